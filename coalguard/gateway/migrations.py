"""Versioned schema of the gateway database: ``PRAGMA user_version`` counts applied steps.

``STEPS`` is the ordered list of migrations; step *n* brings a database from
version *n - 1* to *n*. At open, each missing step runs in one transaction
together with the new ``user_version``, so a crash leaves the database at a
whole version. A database newer than the code (a downgrade) is refused.
Never edit a released step; append a new one. Version 0 is both an empty
file and a database made before versions existed (release 6f8b32d), which is
why step 1 is that release's schema with ``IF NOT EXISTS``.

The ``outbox_*`` tables in the same file belong to the outbox
(``coalguard.edge.outbox.rows``), which keeps its own schema version in
``outbox_meta``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from coalguard.errors import CoalguardError


class SchemaTooNew(CoalguardError):
    """The database was written by a newer release than this code."""


# Frozen: the schema of release 6f8b32d. Changes go in a new step below.
_RELEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    born_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inspections (
    id TEXT PRIMARY KEY,
    plate TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    source TEXT NOT NULL,
    registration TEXT,
    fast_pass TEXT,
    sample TEXT,
    result TEXT,
    profile_id TEXT,
    verdict TEXT,
    overall TEXT,
    outcome TEXT,
    case_open INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inspections_plate ON inspections(plate, state);
CREATE INDEX IF NOT EXISTS inspections_opened ON inspections(opened_at);
CREATE TABLE IF NOT EXISTS transitions (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (inspection_id, seq)
);
CREATE TABLE IF NOT EXISTS analyzer_results (
    id TEXT PRIMARY KEY,
    analyzer_id TEXT NOT NULL,
    sample_id TEXT,
    at TEXT NOT NULL,
    indicators TEXT NOT NULL,
    uncertainty TEXT NOT NULL,
    inspection_id TEXT
);
CREATE INDEX IF NOT EXISTS analyzer_results_sample ON analyzer_results(sample_id);
CREATE TABLE IF NOT EXISTS lab_samples (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    sample_id TEXT NOT NULL,
    seal_no TEXT,
    profile_id TEXT NOT NULL,
    sampled_at TEXT NOT NULL,
    dispatch_due TEXT NOT NULL,
    dispatched_at TEXT,
    lab_name TEXT,
    received_at TEXT,
    report_due TEXT,
    reported_at TEXT,
    report_no TEXT,
    report TEXT,
    overall TEXT,
    office_flagged INTEGER NOT NULL DEFAULT 0,
    dispatch_alerted INTEGER NOT NULL DEFAULT 0,
    report_alerted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ledger (
    book TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    corrects TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (book, seq)
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE TABLE IF NOT EXISTS camera_events (
    id TEXT PRIMARY KEY,
    camera_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    plate TEXT,
    confidence REAL,
    snapshot_ref TEXT,
    snapshot_sha256 TEXT,
    clip_ref TEXT,
    clip_sha256 TEXT,
    inspection_id TEXT,
    body TEXT NOT NULL,
    UNIQUE (camera_id, event_id)
);
CREATE INDEX IF NOT EXISTS camera_events_age ON camera_events(received_at);
CREATE INDEX IF NOT EXISTS camera_events_plate ON camera_events(plate, at);
CREATE INDEX IF NOT EXISTS camera_events_inspection ON camera_events(inspection_id);
CREATE TABLE IF NOT EXISTS camera_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    camera_id TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS analyzer_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    analyzer_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    last_seen TEXT,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    silent_since TEXT
);
CREATE TABLE IF NOT EXISTS purge_runs (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    examined INTEGER NOT NULL,
    purged INTEGER NOT NULL,
    held INTEGER NOT NULL,
    batches INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fast_pass (
    plate TEXT PRIMARY KEY,
    company TEXT NOT NULL,
    report_id TEXT NOT NULL,
    expires TEXT NOT NULL,
    list_version TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    api_token_hash TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    cleared_at TEXT
);
"""


def _release_schema(db: sqlite3.Connection) -> None:
    """1: the schema as released before versions existed (every table, ``IF NOT EXISTS``)."""
    for statement in _statements(_RELEASE_SCHEMA):
        db.execute(statement)


def _user_lang_column(db: sqlite3.Connection) -> None:
    """2: a user's page language moves from ``meta`` ``lang:<username>`` to ``users.lang``."""
    db.execute("ALTER TABLE users ADD COLUMN lang TEXT")
    db.execute(
        "UPDATE users SET lang = "
        "(SELECT value FROM meta WHERE meta.key = 'lang:' || users.username)"
    )
    db.execute("DELETE FROM meta WHERE key LIKE 'lang:%'")


def _fast_pass_checks_and_watch_list(db: sqlite3.Connection) -> None:
    """3: the fast-pass cache keeps what the green lane checks; the cloud's watch list."""
    for column in ("coal_type TEXT", "valid_from TEXT", "quantity_t REAL"):
        db.execute(f"ALTER TABLE fast_pass ADD COLUMN {column}")
    db.execute(
        "CREATE TABLE watch_list (plate TEXT NOT NULL, source TEXT NOT NULL, "
        "reason TEXT NOT NULL, times INTEGER NOT NULL, at TEXT NOT NULL, checkpoint TEXT, "
        "list_version TEXT NOT NULL, loaded_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX watch_list_plate ON watch_list(plate)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS inspections_plate_closed ON inspections(plate, closed_at)"
    )


_CAMERA_READS = """
CREATE TABLE camera_events_by_read (
    id TEXT PRIMARY KEY,
    camera_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    plate TEXT,
    confidence REAL,
    snapshot_ref TEXT,
    snapshot_sha256 TEXT,
    clip_ref TEXT,
    clip_sha256 TEXT,
    inspection_id TEXT,
    body TEXT NOT NULL,
    epoch INTEGER NOT NULL DEFAULT 0
);
INSERT INTO camera_events_by_read(id, camera_id, event_id, type, at, received_at, plate,
    confidence, snapshot_ref, snapshot_sha256, clip_ref, clip_sha256, inspection_id, body)
SELECT id, camera_id, event_id, type, at, received_at, plate, confidence, snapshot_ref,
    snapshot_sha256, clip_ref, clip_sha256, inspection_id, body FROM camera_events;
DROP TABLE camera_events;
ALTER TABLE camera_events_by_read RENAME TO camera_events;
CREATE INDEX camera_events_age ON camera_events(received_at);
CREATE INDEX camera_events_plate ON camera_events(plate, at);
CREATE INDEX camera_events_inspection ON camera_events(inspection_id);
CREATE UNIQUE INDEX camera_events_read
    ON camera_events(camera_id, event_id, at, COALESCE(plate, ''));
ALTER TABLE devices ADD COLUMN counter_resets INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inspections_overall_opened ON inspections(overall, opened_at);
CREATE INDEX inspections_plate_opened ON inspections(plate, opened_at);
CREATE INDEX ledger_inspection ON ledger(json_extract(body, '$.inspection_id'));
"""


def _camera_reads_and_history(db: sqlite3.Connection) -> None:
    """4: a camera event is its read, not its id; history search is indexed.

    A camera whose counter resets sends event ids again: ``(camera_id,
    event_id)`` stops being unique (the table is rebuilt without it) and a read
    is (camera, event id, capture time, plate). ``epoch`` numbers the camera's
    counter runs, ``devices.counter_resets`` counts them. The history page
    filters inspections by verdict and day, and by plate over days; an
    inspection's detail page finds its ledger entries by inspection id.
    """
    for statement in _statements(_CAMERA_READS):
        db.execute(statement)


_SAMPLE_BINDING_SCHEMA = """
ALTER TABLE inspections ADD COLUMN sample_id TEXT;
ALTER TABLE inspections ADD COLUMN lane TEXT;
UPDATE inspections SET sample_id = json_extract(sample, '$.sample_id') WHERE sample IS NOT NULL;
CREATE UNIQUE INDEX inspections_sample_id ON inspections(sample_id) WHERE sample_id IS NOT NULL;
CREATE TABLE sample_numbers (
    prefix TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
ALTER TABLE analyzer_results ADD COLUMN measured_at TEXT;
ALTER TABLE analyzer_results ADD COLUMN device_seq INTEGER;
ALTER TABLE analyzer_results ADD COLUMN device_key TEXT;
UPDATE analyzer_results SET measured_at = at;
CREATE UNIQUE INDEX analyzer_results_device_key ON analyzer_results(analyzer_id, device_key)
    WHERE device_key IS NOT NULL;
CREATE INDEX analyzer_results_measured ON analyzer_results(analyzer_id, measured_at);
CREATE TABLE result_bindings (
    id TEXT PRIMARY KEY,
    result_id TEXT NOT NULL REFERENCES analyzer_results(id),
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    sample_id TEXT NOT NULL,
    how TEXT NOT NULL,
    bound_at TEXT NOT NULL,
    bound_by TEXT NOT NULL,
    unbound_at TEXT,
    unbound_by TEXT,
    unbind_reason TEXT
);
CREATE UNIQUE INDEX result_bindings_one_sample_per_result ON result_bindings(result_id)
    WHERE unbound_at IS NULL;
CREATE UNIQUE INDEX result_bindings_one_result_per_sample ON result_bindings(inspection_id)
    WHERE unbound_at IS NULL;
CREATE TRIGGER result_bindings_no_edit BEFORE UPDATE ON result_bindings
WHEN OLD.unbound_at IS NOT NULL OR NEW.unbound_at IS NULL
    OR NEW.result_id IS NOT OLD.result_id OR NEW.inspection_id IS NOT OLD.inspection_id
    OR NEW.sample_id IS NOT OLD.sample_id OR NEW.how IS NOT OLD.how
    OR NEW.bound_at IS NOT OLD.bound_at OR NEW.bound_by IS NOT OLD.bound_by
BEGIN SELECT RAISE(ABORT, 'a result binding is never edited: unbind it with a correction'); END;
CREATE TRIGGER result_bindings_no_delete BEFORE DELETE ON result_bindings
BEGIN SELECT RAISE(ABORT, 'a result binding is never deleted: unbind it with a correction'); END;
INSERT INTO result_bindings(id, result_id, inspection_id, sample_id, how, bound_at, bound_by)
    SELECT 'migrated-' || r.id, r.id, r.inspection_id, COALESCE(i.sample_id, ''), 'migrated',
           r.at, 'system'
    FROM analyzer_results r JOIN inspections i ON i.id = r.inspection_id
    WHERE r.inspection_id IS NOT NULL;
ALTER TABLE devices ADD COLUMN last_sequence INTEGER;
ALTER TABLE devices ADD COLUMN gaps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN offline_after_s REAL;
"""


def _sample_binding(db: sqlite3.Connection) -> None:
    """5: gateway-issued sample ids, lanes, results stored once per device counter,
    bindings that are never edited (one live binding per result and per sample),
    and per-device result gaps."""
    for statement in _statements(_SAMPLE_BINDING_SCHEMA):
        db.execute(statement)


def _judged_profile_columns(db: sqlite3.Connection) -> None:
    """6: the profile (limits and version) a rapid verdict was judged by, kept with the
    inspection and copied to its lab sample, so the lab report is judged by the same one."""
    db.execute("ALTER TABLE inspections ADD COLUMN judged_profile TEXT")
    db.execute("ALTER TABLE lab_samples ADD COLUMN judged_profile TEXT")


def _zone_list_and_seizure(db: sqlite3.Connection) -> None:
    """The zone list pulled from the cloud (villages and their zones), and each
    inspection's destination check (held for seizure when bound for a 禁煤区)."""
    db.execute(
        "CREATE TABLE zone_villages (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "kind TEXT NOT NULL, allowed_fuels TEXT NOT NULL, published_on TEXT NOT NULL, "
        "list_version TEXT NOT NULL, loaded_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX zone_villages_name ON zone_villages(name)")
    db.execute("ALTER TABLE inspections ADD COLUMN zone TEXT")


Step = Callable[[sqlite3.Connection], None]
STEPS: tuple[Step, ...] = (
    _release_schema,
    _user_lang_column,
    _fast_pass_checks_and_watch_list,
    _camera_reads_and_history,
    _sample_binding,
    _judged_profile_columns,
    _zone_list_and_seizure,
)
VERSION = len(STEPS)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> int:
    """Apply the missing steps, one transaction each; returns the version reached.

    ``db`` is in autocommit mode (``isolation_level=None``), as the store opens it.
    """
    current = schema_version(db)
    if current > VERSION:
        raise SchemaTooNew(
            f"gateway database schema version {current} is newer than this release's "
            f"({VERSION}): run the coalguard release that wrote it, or restore a backup"
        )
    for version in range(current + 1, VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) >= version:  # another process got here first
                db.execute("ROLLBACK")
                continue
            STEPS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return VERSION


def _statements(script: str) -> Iterator[str]:
    """The complete SQL statements of ``script`` (triggers keep their inner ``;``)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]}")
