-- 0001_auth (PostgreSQL): accounts, set-up links, sessions, API tokens,
-- login throttling and the audit log. Times are BIGINT ms since the epoch.

CREATE TABLE users (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_hash TEXT,
    created_at    BIGINT  NOT NULL,
    disabled      BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE setup_tokens (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX setup_tokens_expires_at ON setup_tokens (expires_at);

CREATE TABLE sessions (
    id_hash    TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip         TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE login_failures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    failure_key TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (failure_key, at);

CREATE TABLE audit_log (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT   NOT NULL,
    action TEXT   NOT NULL,
    target TEXT   NOT NULL,
    detail TEXT   NOT NULL,
    source TEXT   NOT NULL
);
