-- 0010_readiness (SQLite): the readiness review's records. Attestations
-- are a person's word that a checklist item is in place for a service
-- (dates as text `YYYY-MM-DD`; a revoked one keeps its row). Runs are the
-- stored results of reviews: the counts for lists and charts, the
-- per-practice scores (JSON `[{practice, satisfied, applicable}]`) and the
-- whole report (JSON), both opaque to the store. Times are integer ms
-- since the epoch. Expand-only.

CREATE TABLE readiness_attestations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    service        TEXT    NOT NULL,
    item           TEXT    NOT NULL,
    attested_by    TEXT    NOT NULL,
    attested_on    TEXT    NOT NULL,
    link           TEXT,
    expires_on     TEXT,
    note           TEXT,
    recorded_by    TEXT    NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    revoked_at_ms  INTEGER,
    revoked_by     TEXT
);
CREATE INDEX readiness_attestations_service ON readiness_attestations (service, id)
    WHERE revoked_at_ms IS NULL;

CREATE TABLE readiness_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service     TEXT    NOT NULL,
    ran_at_ms   INTEGER NOT NULL,
    mode        TEXT    NOT NULL,
    satisfied   INTEGER NOT NULL,
    applicable  INTEGER NOT NULL,
    blocking    INTEGER NOT NULL,
    fail        INTEGER NOT NULL,
    unknown     INTEGER NOT NULL,
    scores      TEXT    NOT NULL,
    report      TEXT    NOT NULL
);
CREATE INDEX readiness_runs_service_ran_at ON readiness_runs (service, ran_at_ms);
