"""The cloud's copy of this gateway's ledgers, compared with the local books.

``GET {cloud}/api/v1/gateways/{gateway_id}/ledger`` (the gateway's bearer
token) answers ``{"gateway_id", "entries": [{book, seq, id, hash,
prev_hash}], "forks": [{book, seq, ids, hashes}]}`` ordered by book, seq.
A local chain can be intact and still wrong: restored from an old backup, or
rolled back after the cloud got its entries. So ``verify-ledger`` reports
entries the cloud holds that the local book lacks, a different id or hash at
the same book and seq, and every fork the cloud found. Local entries the
cloud lacks are not a problem: they are still on their way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, ValidationError

from coalguard.gateway.cloud_get import CloudUnavailable, cloud_get
from coalguard.gateway.config import GatewayConfig
from coalguard.gateway.ledger import Problem


class CloudEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    book: str
    seq: int
    id: str
    hash: str
    prev_hash: str


class CloudFork(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    book: str
    seq: int
    ids: list[str]
    hashes: list[str]


class CloudLedger(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    gateway_id: str
    entries: list[CloudEntry]
    forks: list[CloudFork]


@dataclass
class Comparison:
    compared: int = 0  # positions held both here and in the cloud
    not_in_cloud: int = 0  # local entries still on their way
    problems: list[Problem] = field(default_factory=list)


def fetch_cloud_ledger(config: GatewayConfig, timeout_s: float = 15.0) -> CloudLedger:
    """The cloud's copy; ``CloudUnavailable`` when it cannot be had or read."""
    resp = cloud_get(config, "ledger", timeout_s)
    try:
        ledger = CloudLedger.model_validate_json(resp.content)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(body)"
        raise CloudUnavailable(
            f"{resp.url}: not a ledger copy: field {where}: {err['msg']}"
        ) from None
    if ledger.gateway_id != config.checkpoint.id:
        raise CloudUnavailable(
            f"{resp.url}: the cloud answered for gateway {ledger.gateway_id!r}, "
            f"not {config.checkpoint.id!r}"
        )
    return ledger


def compare_with_cloud(
    local: dict[tuple[str, int], tuple[str, str]], cloud: CloudLedger
) -> Comparison:
    """What differs between the local books (``Ledger.positions()``) and the cloud's copy."""
    out = Comparison()
    held: dict[tuple[str, int], list[CloudEntry]] = defaultdict(list)
    for e in cloud.entries:
        held[(e.book, e.seq)].append(e)
    forked = {(f.book, f.seq) for f in cloud.forks}
    for (book, seq), entries in sorted(held.items()):
        mine = local.get((book, seq))
        if mine is None:
            ids = ", ".join(e.id for e in entries)
            out.problems.append(
                Problem(
                    book,
                    seq,
                    f"the cloud holds entry {ids} but the local book does not "
                    "(local ledger truncated or rolled back)",
                    "ledger_cloud.cloud_only",
                    {"ids": ids},
                )
            )
            continue
        out.compared += 1
        if len(entries) > 1 and (book, seq) not in forked:
            out.problems.append(
                Problem(
                    book,
                    seq,
                    f"forked in the cloud: {len(entries)} entries at this position",
                    "ledger_cloud.forked",
                    {"n": len(entries), "ids": ", ".join(e.id for e in entries)},
                )
            )
        if not any((e.id, e.hash) == mine for e in entries):
            e = entries[0]
            out.problems.append(
                Problem(
                    book,
                    seq,
                    f"differs from the cloud's copy (local id {mine[0]} hash {mine[1][:12]}…, "
                    f"cloud id {e.id} hash {e.hash[:12]}…)",
                    "ledger_cloud.differs",
                    {
                        "local_id": mine[0],
                        "local_hash": mine[1][:12],
                        "cloud_id": e.id,
                        "cloud_hash": e.hash[:12],
                    },
                )
            )
    for f in cloud.forks:
        out.problems.append(
            Problem(
                f.book,
                f.seq,
                f"forked in the cloud: {len(f.ids)} entries at this position "
                f"(ids {', '.join(f.ids)})",
                "ledger_cloud.forked",
                {"n": len(f.ids), "ids": ", ".join(f.ids)},
            )
        )
    out.not_in_cloud = sum(1 for pos in local if pos not in held)
    return out
