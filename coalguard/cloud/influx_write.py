"""Where the InfluxDB export's line protocol goes: InfluxDB 2.x or 1.x.

Both writers send the same lines, whose timestamps are nanoseconds, and say so
(``precision=ns``): a timestamp and its declared precision travel together
here and nowhere else (seconds declared as nanoseconds put every point in 1970).

* 2.x: ``influxdb-client``'s synchronous write API (``/api/v2/write``, org,
  bucket, token).
* 1.x: the v1 ``/write`` endpoint (``db``, optional ``rp``, optional basic
  auth), over ``httpx``. Also accepted by 2.x's v1 compatibility API.
"""

from __future__ import annotations

from typing import Literal, Protocol

import httpx

PRECISION = "ns"
InfluxApi = Literal["v2", "v1"]


class InfluxRefused(RuntimeError):
    """InfluxDB answered a write with an error status: the batch was not stored."""


class InfluxWriter(Protocol):
    def write(self, lines: list[str]) -> None:
        """Store ``lines`` (line protocol, ns timestamps); raise unless accepted."""

    def close(self) -> None: ...


class V2Writer:
    """InfluxDB 2.x: org, bucket and a write token."""

    def __init__(self, url: str, org: str, bucket: str, token: str | None, timeout_ms: int):
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.org = org
        self.bucket = bucket
        self.client = InfluxDBClient(
            url=url, token=token or "", org=org, timeout=timeout_ms, retries=False
        )
        self.api = self.client.write_api(write_options=SYNCHRONOUS)

    def write(self, lines: list[str]) -> None:
        from influxdb_client import WritePrecision

        self.api.write(
            bucket=self.bucket, org=self.org, record=lines, write_precision=WritePrecision.NS
        )

    def close(self) -> None:
        self.client.close()


class V1Writer:
    """InfluxDB 1.x: ``POST /write?db=…&rp=…&precision=ns``, basic auth when a user is set."""

    def __init__(
        self,
        url: str,
        db: str,
        rp: str | None,
        username: str | None,
        password: str | None,
        timeout_ms: int,
    ):
        self.params = {"db": db, "precision": PRECISION, **({"rp": rp} if rp else {})}
        auth = httpx.BasicAuth(username, password or "") if username else None
        self.client = httpx.Client(base_url=url, auth=auth, timeout=timeout_ms / 1000)

    def write(self, lines: list[str]) -> None:
        body = "\n".join(lines).encode()
        r = self.client.post("/write", params=self.params, content=body)
        if r.status_code >= 300:
            raise InfluxRefused(f"InfluxDB /write answered {r.status_code}: {r.text[:300]}")

    def close(self) -> None:
        self.client.close()


def make_writer(
    api: InfluxApi,
    url: str,
    *,
    org: str = "coalguard",
    bucket: str = "coalguard",
    token: str | None = None,
    db: str = "coalguard",
    rp: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout_ms: int = 10_000,
) -> InfluxWriter:
    """The writer of one InfluxDB version (settings ``influx_api``)."""
    if api == "v1":
        return V1Writer(url, db, rp, username, password, timeout_ms)
    return V2Writer(url, org, bucket, token, timeout_ms)
