-- 0006_silences (PostgreSQL): silences created by responders at run time.
-- `matchers` is Alertmanager matcher text; the window is either one-off
-- (`starts_at_ms`..`ends_at_ms`) or recurring (`recurrence`, e.g.
-- `Sun 02:00-04:00 America/New_York`), never both. Times are BIGINT ms
-- since the epoch. Expand-only.

CREATE TABLE silences (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    matchers      TEXT   NOT NULL,
    starts_at_ms  BIGINT,
    ends_at_ms    BIGINT,
    recurrence    TEXT,
    comment       TEXT   NOT NULL,
    created_by    TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    -- Set when someone expires it early; a recurring silence lasts until then.
    expired_at_ms BIGINT,
    CHECK (
        (recurrence IS NULL AND starts_at_ms IS NOT NULL AND ends_at_ms IS NOT NULL
            AND ends_at_ms > starts_at_ms)
        OR (recurrence IS NOT NULL AND starts_at_ms IS NULL AND ends_at_ms IS NULL)
    )
);
-- The live ones, read by the paging engine on every pass.
CREATE INDEX silences_live ON silences (id) WHERE expired_at_ms IS NULL;
