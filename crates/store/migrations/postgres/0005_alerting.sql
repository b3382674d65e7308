-- 0005_alerting (PostgreSQL): the current condition of every alert source,
-- incidents with their alerts and timeline, escalation progress, the
-- notification outbox and server-held secrets. Times are BIGINT ms since
-- the epoch; `labels` and `payload` are JSON text. Expand-only.

-- Level-triggered: one row per alert source, overwritten as it changes.
CREATE TABLE alerts (
    key           TEXT   PRIMARY KEY,
    source        TEXT   NOT NULL,
    group_key     TEXT   NOT NULL,
    service       TEXT,
    component     TEXT,
    severity      TEXT   NOT NULL,
    labels        TEXT   NOT NULL,
    summary       TEXT   NOT NULL,
    state         TEXT   NOT NULL CHECK (state IN ('firing', 'flapping', 'ok')),
    since_ms      BIGINT NOT NULL,
    ends_at_ms    BIGINT,
    link          TEXT,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, updated_at_ms);

CREATE TABLE incidents (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key            TEXT   NOT NULL,
    service        TEXT,
    title          TEXT   NOT NULL,
    severity       TEXT   NOT NULL,
    status         TEXT   NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    labels         TEXT   NOT NULL,
    opened_at_ms   BIGINT NOT NULL,
    acked_at_ms    BIGINT,
    acked_by       TEXT,
    resolved_at_ms BIGINT,
    resolved_by    TEXT,
    parent_id      BIGINT,
    suppressed     TEXT,
    flapping       BIGINT NOT NULL DEFAULT 0,
    updated_at_ms  BIGINT NOT NULL
);
-- At most one open (or acknowledged) incident per alert group key.
CREATE UNIQUE INDEX incidents_open_key ON incidents (key) WHERE status <> 'resolved';
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_service ON incidents (service, id);
CREATE INDEX incidents_resolved_at ON incidents (resolved_at_ms) WHERE status = 'resolved';

CREATE TABLE incident_alerts (
    incident_id   BIGINT NOT NULL REFERENCES incidents (id),
    alert_key     TEXT   NOT NULL,
    summary       TEXT   NOT NULL,
    severity      TEXT   NOT NULL,
    started_at_ms BIGINT NOT NULL,
    cleared_at_ms BIGINT,
    PRIMARY KEY (incident_id, alert_key)
);

CREATE TABLE incident_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    at_ms       BIGINT NOT NULL,
    kind        TEXT   NOT NULL,
    actor       TEXT,
    text        TEXT   NOT NULL
);
CREATE INDEX incident_events_incident_id ON incident_events (incident_id, id);

CREATE TABLE escalations (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    policy      TEXT   NOT NULL,
    step        BIGINT NOT NULL,
    round       BIGINT NOT NULL,
    next_at_ms  BIGINT,
    state       TEXT   NOT NULL CHECK (state IN ('waiting', 'stopped', 'done')),
    PRIMARY KEY (incident_id, policy)
);
CREATE INDEX escalations_due ON escalations (state, next_at_ms);

-- Notifications to send; `key` makes enqueueing idempotent. `incident_id`
-- has no foreign key: test messages have none, and a pending message may
-- outlive its pruned incident.
CREATE TABLE outbox (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key                TEXT   NOT NULL UNIQUE,
    incident_id        BIGINT,
    kind               TEXT   NOT NULL,
    recipient          TEXT   NOT NULL,
    channel            TEXT   NOT NULL,
    payload            TEXT   NOT NULL,
    state              TEXT   NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    last_error         TEXT,
    created_at_ms      BIGINT NOT NULL,
    delivered_at_ms    BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);
CREATE INDEX outbox_incident_id ON outbox (incident_id, id);

-- Secrets generated once and shared by every instance (e.g. signing keys).
CREATE TABLE server_keys (
    name          TEXT   PRIMARY KEY,
    secret        BYTEA  NOT NULL,
    created_at_ms BIGINT NOT NULL
);
