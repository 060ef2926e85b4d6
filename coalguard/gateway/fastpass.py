"""The fast-pass list (R11): pre-registered trucks with a valid quality report.

The list is cached in the gateway database so the green lane works with the
uplink down. It is pulled from the cloud or read from a local file, both in
the one format of ``coalguard.edge.fastpass``; either way ``replace()`` swaps
the whole list atomically.
A report past its expiry sends the truck to normal inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from coalguard.edge.clock import LOCAL_TZ, Clock
from coalguard.edge.fastpass import FastPassList
from coalguard.edge.plates import normalize_plate
from coalguard.edge.records import FastPassLoaded
from coalguard.gateway.sink import RecordSink
from coalguard.gateway.store import Store
from coalguard.gateway.stored_time import iso


@dataclass(frozen=True)
class FastPassCheck:
    """The outcome of looking a plate up: ``green`` means take the green lane."""

    plate: str
    green: bool
    reason: str  # listed | not_listed | expired
    company: str | None = None
    report_id: str | None = None
    expires: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "plate": self.plate,
            "green": self.green,
            "reason": self.reason,
            "company": self.company,
            "report_id": self.report_id,
            "expires": self.expires,
        }


class FastPassCache:
    def __init__(self, store: Store, sink: RecordSink, clock: Clock, checkpoint_id: str) -> None:
        self.store = store
        self.sink = sink
        self.clock = clock
        self.checkpoint_id = checkpoint_id

    def replace(self, fl: FastPassList, source: str) -> int:
        """Install a whole new list (atomic: never half old, half new)."""
        now = iso(self.clock.now())
        with self.store.tx() as db:
            db.execute("DELETE FROM fast_pass")
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('fast_pass_version', ?)",
                (fl.version,),
            )
            for t in fl.trucks:
                db.execute(
                    "INSERT OR REPLACE INTO fast_pass(plate, company, report_id, expires, "
                    "list_version, loaded_at) VALUES (?,?,?,?,?,?)",
                    (t.plate, t.company, t.report_id, t.expires.isoformat(), fl.version, now),
                )
            self.sink.put(
                FastPassLoaded(
                    checkpoint_id=self.checkpoint_id,
                    version=fl.version,
                    trucks=len(fl.trucks),
                    source=source,
                    at=now,
                )
            )
        return len(fl.trucks)

    def version(self) -> str | None:
        return self.store.scalar("SELECT value FROM meta WHERE key = 'fast_pass_version'")

    def count(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM fast_pass") or 0)

    def check(self, plate: str, when: datetime | None = None) -> FastPassCheck:
        p = normalize_plate(plate)
        row = self.store.row("SELECT * FROM fast_pass WHERE plate = ?", (p,))
        if row is None:
            return FastPassCheck(p, False, "not_listed")
        today = (when or self.clock.now()).astimezone(LOCAL_TZ).date()
        valid = date.fromisoformat(row["expires"]) >= today
        return FastPassCheck(
            p,
            valid,
            "listed" if valid else "expired",
            row["company"],
            row["report_id"],
            row["expires"],
        )
