-- 0002_monitoring (PostgreSQL): the monitor and location registries, raw
-- check results, failure reasons, hour/day rollups and state-change events.
-- Times are BIGINT ms since the epoch. Result columns are ordered widest
-- first so the row has no alignment padding.

CREATE TABLE monitors (
    id         INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT    NOT NULL,
    monitor    TEXT    NOT NULL,
    paused     BIGINT  NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    UNIQUE (service, monitor)
);

CREATE TABLE locations (
    id         SMALLINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT     NOT NULL UNIQUE,
    created_at BIGINT   NOT NULL
);

-- One row per check; kept for the raw retention (7 days by default).
CREATE TABLE check_results (
    at_ms       BIGINT   NOT NULL,
    monitor_id  INTEGER  NOT NULL,
    latency_ms  INTEGER  NOT NULL,
    status_code INTEGER,
    location_id SMALLINT NOT NULL,
    ok          SMALLINT NOT NULL,
    PRIMARY KEY (monitor_id, at_ms, location_id)
);

-- The reason of each failed check (passing checks have no row here).
CREATE TABLE check_failures (
    at_ms       BIGINT   NOT NULL,
    monitor_id  INTEGER  NOT NULL,
    location_id SMALLINT NOT NULL,
    reason      TEXT,
    PRIMARY KEY (monitor_id, at_ms, location_id)
);

-- Per monitor, one row per hour (width_s 3600) and per UTC day (86400):
-- checks, failures and a latency sketch of the successful checks.
CREATE TABLE check_rollups (
    start_ms   BIGINT  NOT NULL,
    checks     BIGINT  NOT NULL,
    failures   BIGINT  NOT NULL,
    monitor_id INTEGER NOT NULL,
    width_s    INTEGER NOT NULL,
    sketch     BYTEA   NOT NULL,
    PRIMARY KEY (monitor_id, width_s, start_ms)
);

CREATE TABLE monitor_events (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id INTEGER NOT NULL REFERENCES monitors (id),
    at_ms      BIGINT  NOT NULL,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    reason     TEXT,
    locations  TEXT    NOT NULL
);
CREATE INDEX monitor_events_monitor_id ON monitor_events (monitor_id, id);
