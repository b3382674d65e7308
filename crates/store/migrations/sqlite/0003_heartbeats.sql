-- 0003_heartbeats (SQLite): the secret ping URLs of heartbeat monitors.
-- Only the SHA-256 of a token is kept; the plain token is shown once.
-- A token names its monitor by catalog name, so it survives the monitor
-- being removed and re-added; revoking sets revoked_at.

CREATE TABLE heartbeat_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT    NOT NULL UNIQUE,
    service      TEXT    NOT NULL,
    monitor      TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX heartbeat_tokens_monitor ON heartbeat_tokens (service, monitor);
