-- 0004_packed_results (SQLite): closed hours of raw results, packed.
-- `Store::pack_closed_hours` moves the `check_results` rows of each hour
-- that ended (plus a grace period) into one row per monitor, hour and
-- location here: `data` holds every result of that hour compactly (see
-- `src/monitoring/packed.rs`), about 3 bytes a check instead of a ~20-byte
-- row. Failure reasons stay in `check_failures`.

CREATE TABLE check_results_packed (
    monitor_id  INTEGER NOT NULL,
    hour_ms     INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    PRIMARY KEY (monitor_id, hour_ms, location_id)
) WITHOUT ROWID;
