-- 0009_status_webhooks (PostgreSQL): webhooks told about the public status
-- page's updates, added by responders (never from the public page).
-- `components` is a comma-separated list of status-page component ids,
-- empty for all. The signing secret is derived, never stored. A removed
-- webhook keeps its row (`removed_at_ms`). Times are BIGINT ms since the
-- epoch. Expand-only.

CREATE TABLE status_webhooks (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url           TEXT   NOT NULL,
    components    TEXT   NOT NULL DEFAULT '',
    created_by    TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    removed_at_ms BIGINT
);
CREATE INDEX status_webhooks_active ON status_webhooks (id) WHERE removed_at_ms IS NULL;
