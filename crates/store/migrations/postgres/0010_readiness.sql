-- 0010_readiness (PostgreSQL): the readiness review's records. Attestations
-- are a person's word that a checklist item is in place for a service
-- (dates as text `YYYY-MM-DD`; a revoked one keeps its row). Runs are the
-- stored results of reviews: the counts for lists and charts, the
-- per-practice scores (JSON `[{practice, satisfied, applicable}]`) and the
-- whole report (JSON), both opaque to the store. Times are BIGINT ms since
-- the epoch. Expand-only.

CREATE TABLE readiness_attestations (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service        TEXT   NOT NULL,
    item           TEXT   NOT NULL,
    attested_by    TEXT   NOT NULL,
    attested_on    TEXT   NOT NULL,
    link           TEXT,
    expires_on     TEXT,
    note           TEXT,
    recorded_by    TEXT   NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    revoked_at_ms  BIGINT,
    revoked_by     TEXT
);
CREATE INDEX readiness_attestations_service ON readiness_attestations (service, id)
    WHERE revoked_at_ms IS NULL;

CREATE TABLE readiness_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service     TEXT   NOT NULL,
    ran_at_ms   BIGINT NOT NULL,
    mode        TEXT   NOT NULL,
    satisfied   BIGINT NOT NULL,
    applicable  BIGINT NOT NULL,
    blocking    BIGINT NOT NULL,
    fail        BIGINT NOT NULL,
    unknown     BIGINT NOT NULL,
    scores      TEXT   NOT NULL,
    report      TEXT   NOT NULL
);
CREATE INDEX readiness_runs_service_ran_at ON readiness_runs (service, ran_at_ms);
