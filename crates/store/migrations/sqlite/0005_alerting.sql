-- 0005_alerting (SQLite): the current condition of every alert source,
-- incidents with their alerts and timeline, escalation progress, the
-- notification outbox and server-held secrets. Times are integer ms since
-- the epoch; `labels` and `payload` are JSON text. Expand-only.

-- Level-triggered: one row per alert source, overwritten as it changes.
CREATE TABLE alerts (
    key           TEXT    PRIMARY KEY,
    source        TEXT    NOT NULL,
    group_key     TEXT    NOT NULL,
    service       TEXT,
    component     TEXT,
    severity      TEXT    NOT NULL,
    labels        TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('firing', 'flapping', 'ok')),
    since_ms      INTEGER NOT NULL,
    ends_at_ms    INTEGER,
    link          TEXT,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, updated_at_ms);

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    key            TEXT    NOT NULL,
    service        TEXT,
    title          TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    labels         TEXT    NOT NULL,
    opened_at_ms   INTEGER NOT NULL,
    acked_at_ms    INTEGER,
    acked_by       TEXT,
    resolved_at_ms INTEGER,
    resolved_by    TEXT,
    parent_id      INTEGER,
    suppressed     TEXT,
    flapping       INTEGER NOT NULL DEFAULT 0,
    updated_at_ms  INTEGER NOT NULL
);
-- At most one open (or acknowledged) incident per alert group key.
CREATE UNIQUE INDEX incidents_open_key ON incidents (key) WHERE status <> 'resolved';
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_service ON incidents (service, id);
CREATE INDEX incidents_resolved_at ON incidents (resolved_at_ms) WHERE status = 'resolved';

CREATE TABLE incident_alerts (
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    alert_key     TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    severity      TEXT    NOT NULL,
    started_at_ms INTEGER NOT NULL,
    cleared_at_ms INTEGER,
    PRIMARY KEY (incident_id, alert_key)
) WITHOUT ROWID;

CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at_ms       INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT,
    text        TEXT    NOT NULL
);
CREATE INDEX incident_events_incident_id ON incident_events (incident_id, id);

CREATE TABLE escalations (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    policy      TEXT    NOT NULL,
    step        INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    next_at_ms  INTEGER,
    state       TEXT    NOT NULL CHECK (state IN ('waiting', 'stopped', 'done')),
    PRIMARY KEY (incident_id, policy)
) WITHOUT ROWID;
CREATE INDEX escalations_due ON escalations (state, next_at_ms);

-- Notifications to send; `key` makes enqueueing idempotent. `incident_id`
-- has no foreign key: test messages have none, and a pending message may
-- outlive its pruned incident.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    key                TEXT    NOT NULL UNIQUE,
    incident_id        INTEGER,
    kind               TEXT    NOT NULL,
    recipient          TEXT    NOT NULL,
    channel            TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error         TEXT,
    created_at_ms      INTEGER NOT NULL,
    delivered_at_ms    INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);
CREATE INDEX outbox_incident_id ON outbox (incident_id, id);

-- Secrets generated once and shared by every instance (e.g. signing keys).
CREATE TABLE server_keys (
    name          TEXT    PRIMARY KEY,
    secret        BLOB    NOT NULL,
    created_at_ms INTEGER NOT NULL
);
