-- 0011_cluster (SQLite): what several instances sharing one database need
-- to share the work. `cluster_instances` holds one row per running
-- instance (a random id made at start), refreshed by its heartbeat and
-- marked stopped on a graceful shutdown. `cluster_leases` holds named
-- leases: who holds each and until when; `generation` goes up by one each
-- time a lease changes hands (a fencing token) and a released lease keeps
-- its row, so generations never repeat. Times are integer ms since the
-- epoch. Expand-only.

CREATE TABLE cluster_instances (
    id              TEXT    PRIMARY KEY,
    location        TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    heartbeat_at_ms INTEGER NOT NULL,
    stopped_at_ms   INTEGER
);

CREATE TABLE cluster_leases (
    name           TEXT    PRIMARY KEY,
    holder         TEXT    NOT NULL,
    acquired_at_ms INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    generation     INTEGER NOT NULL
);
