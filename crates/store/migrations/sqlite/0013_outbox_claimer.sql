-- 0013_outbox_claimer (SQLite): which instance claimed a pending outbox
-- message (`cluster_instances.id`), so another instance can take it over
-- as soon as the claimer's heartbeat stops instead of waiting out the
-- claim's lease. NULL when nobody holds a claim (never claimed, or its
-- sender recorded a retry). Older binaries neither write nor read it.
-- Expand-only.

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
