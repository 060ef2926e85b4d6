-- A gateway database made by coalguard as on main at 6f8b32d (before PRAGMA user_version
-- migrations): three users, two with a language in meta 'lang:<username>', one inspection.
-- Made by Store + open_outbox + Gateway.build as `coalguard gateway run` does.
BEGIN TRANSACTION;
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    cleared_at TEXT
);
CREATE TABLE analyzer_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    analyzer_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE analyzer_results (
    id TEXT PRIMARY KEY,
    analyzer_id TEXT NOT NULL,
    sample_id TEXT,
    at TEXT NOT NULL,
    indicators TEXT NOT NULL,
    uncertainty TEXT NOT NULL,
    inspection_id TEXT
);
CREATE TABLE camera_dead_letters (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    camera_id TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE camera_events (
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
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    last_seen TEXT,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    silent_since TEXT
);
INSERT INTO "devices" VALUES('cam-entry','camera',NULL,0,NULL,NULL);
INSERT INTO "devices" VALUES('cam-sample','camera',NULL,0,NULL,NULL);
INSERT INTO "devices" VALUES('cam-exit','camera',NULL,0,NULL,NULL);
INSERT INTO "devices" VALUES('an-1','analyzer',NULL,0,NULL,NULL);
CREATE TABLE fast_pass (
    plate TEXT PRIMARY KEY,
    company TEXT NOT NULL,
    report_id TEXT NOT NULL,
    expires TEXT NOT NULL,
    list_version TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE inspections (
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
INSERT INTO "inspections" VALUES('7fcd0f5c-18cb-4b34-9de3-02b180d0adb5','冀A12345','registered','2026-11-23T00:30:00.000000+00:00','2026-11-23T00:30:00.000000+00:00',NULL,'manual','{"coal_type":"anthracite","destination":"石家庄","driver":"张三","origin":"山西大同","plate":"冀A12345","waybill_no":"WB-0001","weight_t":32.5}',NULL,NULL,NULL,'gb34169-2017/anthracite-1',NULL,NULL,NULL,0,2);
CREATE TABLE lab_samples (
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
CREATE TABLE ledger (
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
INSERT INTO "ledger" VALUES('inspection',1,'446f6c1b-770f-44d7-af0a-5c1f38367284','2026-11-23T00:30:00.000000+00:00','zhang','arrive','{"action":"arrive","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"plate":"冀A12345","source":"manual"},"from":null,"inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","plate":"冀A12345","reason":"arrival (manual)","seq":1,"to":"arrived"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','b93392f38af1db8f90c863ad618e5085680ff266d9c2ebe1dbabd1449046cabc');
INSERT INTO "ledger" VALUES('inspection',2,'2b90dc50-33c1-4454-ab77-936d296cf219','2026-11-23T00:30:00.000000+00:00','zhang','register','{"action":"register","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"coal_type":"anthracite","destination":"石家庄","driver":"张三","origin":"山西大同","plate":"冀A12345","profile_id":"gb34169-2017/anthracite-1","waybill_no":"WB-0001","weight_t":32.5},"from":"arrived","inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","plate":"冀A12345","reason":"registered","seq":2,"to":"registered"}',NULL,'b93392f38af1db8f90c863ad618e5085680ff266d9c2ebe1dbabd1449046cabc','51d57445d191790252420cec82006926aed723995b327753d9b758c5f2c88dd6');
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO "meta" VALUES('lang:zhang','en');
INSERT INTO "meta" VALUES('lang:li','zh');
CREATE TABLE outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "outbox_meta" VALUES('schema','1');
CREATE TABLE outbox_records (
    seq      INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL
);
INSERT INTO "outbox_records" VALUES(1,'75dd841f-62e9-4726-a1a8-e1553981d379','inspection.transition',0,1795393800000000,'{"action":"arrive","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"plate":"冀A12345","source":"manual"},"from":null,"inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","operator":"zhang","plate":"冀A12345","reason":"arrival (manual)","seq":1,"to":"arrived"}',406);
INSERT INTO "outbox_records" VALUES(2,'446f6c1b-770f-44d7-af0a-5c1f38367284','ledger.entry',0,1795393800000000,'{"at":"2026-11-23T00:30:00.000000+00:00","body":{"action":"arrive","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"plate":"冀A12345","source":"manual"},"from":null,"inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","plate":"冀A12345","reason":"arrival (manual)","seq":1,"to":"arrived"},"book":"inspection","corrects":null,"hash":"b93392f38af1db8f90c863ad618e5085680ff266d9c2ebe1dbabd1449046cabc","kind":"arrive","operator":"zhang","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1}',659);
INSERT INTO "outbox_records" VALUES(3,'98572435-a30d-4ac0-8333-a73d99d2284f','inspection.transition',0,1795393800000000,'{"action":"register","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"coal_type":"anthracite","destination":"石家庄","driver":"张三","origin":"山西大同","plate":"冀A12345","profile_id":"gb34169-2017/anthracite-1","waybill_no":"WB-0001","weight_t":32.5},"from":"arrived","inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","operator":"zhang","plate":"冀A12345","reason":"registered","seq":2,"to":"registered"}',565);
INSERT INTO "outbox_records" VALUES(4,'2b90dc50-33c1-4454-ab77-936d296cf219','ledger.entry',0,1795393800000000,'{"at":"2026-11-23T00:30:00.000000+00:00","body":{"action":"register","at":"2026-11-23T00:30:00.000000+00:00","checkpoint_id":"cp-test","data":{"coal_type":"anthracite","destination":"石家庄","driver":"张三","origin":"山西大同","plate":"冀A12345","profile_id":"gb34169-2017/anthracite-1","waybill_no":"WB-0001","weight_t":32.5},"from":"arrived","inspection_id":"7fcd0f5c-18cb-4b34-9de3-02b180d0adb5","plate":"冀A12345","reason":"registered","seq":2,"to":"registered"},"book":"inspection","corrects":null,"hash":"51d57445d191790252420cec82006926aed723995b327753d9b758c5f2c88dd6","kind":"register","operator":"zhang","prev_hash":"b93392f38af1db8f90c863ad618e5085680ff266d9c2ebe1dbabd1449046cabc","seq":2}',820);
CREATE TABLE outbox_sent (
    id       TEXT    PRIMARY KEY,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    born_us  INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    acked_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE purge_runs (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    examined INTEGER NOT NULL,
    purged INTEGER NOT NULL,
    held INTEGER NOT NULL,
    batches INTEGER NOT NULL
);
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    born_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE transitions (
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
INSERT INTO "transitions" VALUES('75dd841f-62e9-4726-a1a8-e1553981d379','7fcd0f5c-18cb-4b34-9de3-02b180d0adb5',1,'arrive',NULL,'arrived','2026-11-23T00:30:00.000000+00:00','zhang','arrival (manual)','{"plate":"冀A12345","source":"manual"}');
INSERT INTO "transitions" VALUES('98572435-a30d-4ac0-8333-a73d99d2284f','7fcd0f5c-18cb-4b34-9de3-02b180d0adb5',2,'register','arrived','registered','2026-11-23T00:30:00.000000+00:00','zhang','registered','{"coal_type":"anthracite","destination":"石家庄","driver":"张三","origin":"山西大同","plate":"冀A12345","profile_id":"gb34169-2017/anthracite-1","waybill_no":"WB-0001","weight_t":32.5}');
CREATE TABLE users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    api_token_hash TEXT UNIQUE
);
INSERT INTO "users" VALUES('zhang','张三','operator','$argon2id$v=19$m=8192,t=1,p=1$sowPpQaQ7KNEvSM4UK1puA$4PVhW6rvR3pOf5jaagX8WLA/PFrDn0wLWv0m2T+USV8',0,'2026-11-23T00:30:00.000000+00:00',NULL);
INSERT INTO "users" VALUES('li','李四','shift_lead','$argon2id$v=19$m=8192,t=1,p=1$YMOOMpKus6hg6ZHmmWKfnw$KXg7SLB0vjgpbflrpZy1rzEr5N+OIQn4pobZUBNI7xw',0,'2026-11-23T00:30:00.000000+00:00',NULL);
INSERT INTO "users" VALUES('wang','王五','admin','$argon2id$v=19$m=8192,t=1,p=1$Vi4yFAPb5WFxuRJ5VQiU6w$cztQq3js5O+0CdCIe9phWCt/iK4WO+NWq8SkJ6xmOq0',0,'2026-11-23T00:30:00.000000+00:00',NULL);
CREATE INDEX inspections_plate ON inspections(plate, state);
CREATE INDEX inspections_opened ON inspections(opened_at);
CREATE INDEX analyzer_results_sample ON analyzer_results(sample_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: write a correction entry'); END;
CREATE INDEX camera_events_age ON camera_events(received_at);
CREATE INDEX camera_events_plate ON camera_events(plate, at);
CREATE INDEX camera_events_inspection ON camera_events(inspection_id);
CREATE INDEX login_failures_key ON login_failures(key, at);
CREATE INDEX outbox_records_telemetry ON outbox_records (born_us, seq) WHERE priority = 1;
CREATE INDEX outbox_sent_acked ON outbox_sent (acked_us);
COMMIT;
