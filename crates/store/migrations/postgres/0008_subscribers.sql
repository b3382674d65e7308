-- 0008_subscribers (PostgreSQL): people subscribed to the public status page's
-- updates. `kind` is how they are reached (only 'email' for now);
-- `components` is a comma-separated list of status-page component ids,
-- empty for all. Double opt-in: notices go only to confirmed ones.
-- Times are BIGINT ms since the epoch. Expand-only.

CREATE TABLE subscribers (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               TEXT    NOT NULL CHECK (kind IN ('email')),
    address            TEXT    NOT NULL,
    components         TEXT    NOT NULL DEFAULT '',
    created_at_ms      BIGINT  NOT NULL,
    confirmed_at_ms    BIGINT,
    unsubscribed_at_ms BIGINT
);
-- One active subscription per address (compared case-insensitively) and kind.
CREATE UNIQUE INDEX subscribers_active_address
    ON subscribers (kind, lower(address)) WHERE unsubscribed_at_ms IS NULL;
