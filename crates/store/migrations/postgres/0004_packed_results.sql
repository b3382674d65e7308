-- 0004_packed_results (PostgreSQL): closed hours of raw results, packed.
-- `Store::pack_closed_hours` moves the `check_results` rows of each hour
-- that ended (plus a grace period) into one row per monitor, hour and
-- location here: `data` holds every result of that hour compactly (see
-- `src/monitoring/packed.rs`), about 3 bytes a check instead of a row with
-- ~40 bytes of tuple header, line pointer and index entry. Failure reasons
-- stay in `check_failures`.

CREATE TABLE check_results_packed (
    hour_ms     BIGINT   NOT NULL,
    monitor_id  INTEGER  NOT NULL,
    location_id SMALLINT NOT NULL,
    data        BYTEA    NOT NULL,
    PRIMARY KEY (monitor_id, hour_ms, location_id)
);
