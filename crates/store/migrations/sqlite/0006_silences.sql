-- 0006_silences (SQLite): silences created by responders at run time.
-- `matchers` is Alertmanager matcher text; the window is either one-off
-- (`starts_at_ms`..`ends_at_ms`) or recurring (`recurrence`, e.g.
-- `Sun 02:00-04:00 America/New_York`), never both. Times are integer ms
-- since the epoch. Expand-only.

CREATE TABLE silences (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers      TEXT    NOT NULL,
    starts_at_ms  INTEGER,
    ends_at_ms    INTEGER,
    recurrence    TEXT,
    comment       TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    -- Set when someone expires it early; a recurring silence lasts until then.
    expired_at_ms INTEGER,
    CHECK (
        (recurrence IS NULL AND starts_at_ms IS NOT NULL AND ends_at_ms IS NOT NULL
            AND ends_at_ms > starts_at_ms)
        OR (recurrence IS NOT NULL AND starts_at_ms IS NULL AND ends_at_ms IS NULL)
    )
);
-- The live ones, read by the paging engine on every pass.
CREATE INDEX silences_live ON silences (id) WHERE expired_at_ms IS NULL;
