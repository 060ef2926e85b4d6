"""What an outbox may hold and for how long, and what it reports about itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coalguard.edge.outbox.record import DEFAULT_MAX_RECORD_BYTES
from coalguard.edge.plain import field_names, plain
from coalguard.errors import CoalguardError


class OutboxFull(CoalguardError):
    """Free disk fell below the hard floor: the outbox refuses new records.

    Raised (never swallowed) so the producer stops and tells the operator:
    a checkpoint must not pretend it recorded something it could not keep.
    """


@dataclass(frozen=True)
class OutboxPolicy:
    """Bounds of an outbox.

    ``quota_bytes`` counts every record held (unsent and retained sent ones).
    Past it, retained sent records go first, then the oldest unsent telemetry
    (counted as dropped). Critical records are never dropped: when they alone
    exceed the quota the outbox reports ``over_quota`` loudly and keeps
    accepting until free disk falls under ``min_free_disk_bytes``.
    """

    quota_bytes: int = 2 * 1024**3
    telemetry_max_age: timedelta | None = timedelta(days=7)
    retain_acked: timedelta = timedelta(0)
    min_free_disk_bytes: int = 256 * 1024**2
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    lease_timeout: timedelta = timedelta(minutes=2)
    # Expiry and retention also run during puts at most this often.
    maintain_every: timedelta = timedelta(seconds=60)
    # How often the over-quota warning repeats in the log while the state lasts.
    warn_every: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.quota_bytes <= 0:
            raise ValueError("quota_bytes must be positive")
        if self.max_record_bytes <= 0 or self.max_record_bytes > self.quota_bytes:
            raise ValueError("max_record_bytes must be positive and not above quota_bytes")
        if self.retain_acked < timedelta(0):
            raise ValueError("retain_acked must not be negative")
        if self.telemetry_max_age is not None and self.telemetry_max_age <= timedelta(0):
            raise ValueError("telemetry_max_age must be positive (or None for no limit)")


COUNTERS: tuple[str, ...] = (
    "put",
    "acked",
    "dropped_telemetry_quota",
    "dropped_telemetry_expired",
    "evicted_retained",
    "critical_over_quota",
    "refused_disk_floor",
)


@dataclass(frozen=True)
class OutboxStats:
    """A snapshot for health pages, logs and metrics.

    ``health`` is ``ok``, ``over_quota`` (critical records alone exceed the
    quota; still accepting) or ``disk_floor`` (free disk under the floor;
    refusing). ``counters`` survive restarts (stored with the records).
    """

    pending: int
    pending_critical: int
    pending_telemetry: int
    pending_bytes: int
    leased: int
    retained: int
    retained_bytes: int
    quota_bytes: int
    oldest_pending_born_at: datetime | None
    oldest_pending_age_s: float | None
    health: str
    health_reason: str
    commits: int
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return self.pending_bytes + self.retained_bytes

    def as_dict(self) -> dict[str, object]:
        out = plain(self, _STATS_FIELDS, iso=("oldest_pending_born_at",))
        out["counters"] = dict(self.counters)
        return out


# The fields in the order health pages show them: the total beside its parts.
_STATS_FIELDS = (
    *field_names(OutboxStats)[:7],
    "total_bytes",
    *field_names(OutboxStats)[7:],
)
