-- 0002_monitoring (SQLite): the monitor and location registries, raw check
-- results, failure reasons, hour/day rollups and state-change events.
-- Times are integer ms since the epoch. The hot tables are WITHOUT ROWID:
-- the primary key is the table's only b-tree, with no hidden rowid and no
-- second index, which keeps a result row near 20 bytes.

CREATE TABLE monitors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT    NOT NULL,
    monitor    TEXT    NOT NULL,
    paused     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (service, monitor)
);

CREATE TABLE locations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- One row per check; kept for the raw retention (7 days by default).
CREATE TABLE check_results (
    monitor_id  INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    status_code INTEGER,
    PRIMARY KEY (monitor_id, at_ms, location_id)
) WITHOUT ROWID;

-- The reason of each failed check (passing checks have no row here).
CREATE TABLE check_failures (
    monitor_id  INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    reason      TEXT,
    PRIMARY KEY (monitor_id, at_ms, location_id)
) WITHOUT ROWID;

-- Per monitor, one row per hour (width_s 3600) and per UTC day (86400):
-- checks, failures and a latency sketch of the successful checks.
CREATE TABLE check_rollups (
    monitor_id INTEGER NOT NULL,
    width_s    INTEGER NOT NULL,
    start_ms   INTEGER NOT NULL,
    checks     INTEGER NOT NULL,
    failures   INTEGER NOT NULL,
    sketch     BLOB    NOT NULL,
    PRIMARY KEY (monitor_id, width_s, start_ms)
) WITHOUT ROWID;

CREATE TABLE monitor_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id INTEGER NOT NULL REFERENCES monitors (id),
    at_ms      INTEGER NOT NULL,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    reason     TEXT,
    locations  TEXT    NOT NULL
);
CREATE INDEX monitor_events_monitor_id ON monitor_events (monitor_id, id);
