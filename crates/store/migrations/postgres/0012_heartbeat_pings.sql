-- 0012_heartbeat_pings (PostgreSQL): heartbeat pings as they arrive, so the
-- instance that runs a heartbeat monitor hears the pings another instance
-- received. `ok` is 0/1; `origin` is the id of the instance that took the
-- ping. Kept a day. Times are BIGINT ms since the epoch. Expand-only.

CREATE TABLE heartbeat_pings (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT   NOT NULL,
    monitor    TEXT   NOT NULL,
    at_ms      BIGINT NOT NULL,
    ok         BIGINT NOT NULL,
    message    TEXT,
    runtime_ms BIGINT,
    origin     TEXT   NOT NULL
);
CREATE INDEX heartbeat_pings_at ON heartbeat_pings (at_ms);
