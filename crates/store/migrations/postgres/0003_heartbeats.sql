-- 0003_heartbeats (PostgreSQL): the secret ping URLs of heartbeat monitors.
-- Only the SHA-256 of a token is kept; the plain token is shown once.
-- A token names its monitor by catalog name, so it survives the monitor
-- being removed and re-added; revoking sets revoked_at.

CREATE TABLE heartbeat_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   TEXT   NOT NULL UNIQUE,
    service      TEXT   NOT NULL,
    monitor      TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX heartbeat_tokens_monitor ON heartbeat_tokens (service, monitor);
