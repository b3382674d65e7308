-- 0007_status (SQLite): what responders tell the public. Status-page
-- incidents with their affected components and updates, scheduled
-- maintenances likewise, and manual component status overrides. Status,
-- impact and component ids are plain text owned by the status crate (e.g.
-- `investigating`, `major`, `website`). Times are integer ms since the
-- epoch. Expand-only.

CREATE TABLE status_incidents (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN
                          ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
    impact            TEXT    NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical')),
    created_at_ms     INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL,
    monitoring_at_ms  INTEGER,
    resolved_at_ms    INTEGER,
    created_by        TEXT    NOT NULL,
    -- The alerting incident it was published from; no foreign key: alerting
    -- incidents are pruned on their own schedule.
    alert_incident_id INTEGER
);
-- The ones still shown as ongoing, read on every status page render.
CREATE INDEX status_incidents_unresolved ON status_incidents (id)
    WHERE status NOT IN ('resolved', 'postmortem');
CREATE INDEX status_incidents_resolved_at ON status_incidents (resolved_at_ms)
    WHERE resolved_at_ms IS NOT NULL;
CREATE INDEX status_incidents_alert ON status_incidents (alert_incident_id, id)
    WHERE alert_incident_id IS NOT NULL;

CREATE TABLE status_incident_components (
    incident_id  INTEGER NOT NULL REFERENCES status_incidents (id),
    component_id TEXT    NOT NULL,
    PRIMARY KEY (incident_id, component_id)
) WITHOUT ROWID;

CREATE TABLE maintenances (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN
                           ('scheduled', 'in_progress', 'verifying', 'completed')),
    impact             TEXT    NOT NULL,
    scheduled_for_ms   INTEGER NOT NULL,
    scheduled_until_ms INTEGER NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    created_by         TEXT    NOT NULL,
    cancelled_at_ms    INTEGER,
    CHECK (scheduled_until_ms > scheduled_for_ms)
);
-- Windows overlapping a range, and the ones the engine advances.
CREATE INDEX maintenances_until ON maintenances (scheduled_until_ms);
CREATE INDEX maintenances_status ON maintenances (status, scheduled_for_ms);

CREATE TABLE maintenance_components (
    maintenance_id INTEGER NOT NULL REFERENCES maintenances (id),
    component_id   TEXT    NOT NULL,
    PRIMARY KEY (maintenance_id, component_id)
) WITHOUT ROWID;

-- Updates of either an incident or a maintenance, never both.
CREATE TABLE status_updates (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id      INTEGER REFERENCES status_incidents (id),
    maintenance_id   INTEGER REFERENCES maintenances (id),
    status           TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_by       TEXT    NOT NULL,
    at_ms            INTEGER NOT NULL,
    -- The status the update set for the affected components, if any.
    component_status TEXT,
    CHECK (
        (incident_id IS NOT NULL AND maintenance_id IS NULL)
        OR (incident_id IS NULL AND maintenance_id IS NOT NULL)
    )
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, id);
CREATE INDEX status_updates_maintenance ON status_updates (maintenance_id, id);

-- A responder's manual status for a component, over what monitors say.
CREATE TABLE component_overrides (
    component_id TEXT    PRIMARY KEY,
    status       TEXT    NOT NULL,
    set_by       TEXT    NOT NULL,
    set_at_ms    INTEGER NOT NULL,
    note         TEXT
);
