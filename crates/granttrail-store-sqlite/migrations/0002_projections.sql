-- Projections: rows derived from events, and how far each has read the
-- global log. A projection's rows and its checkpoint are written in one
-- transaction, so an event is applied exactly once across crashes.
CREATE TABLE projection_checkpoints (
    name     TEXT    NOT NULL PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

-- The current state of every project, for the filtered project list.
-- Ids are UUIDv7, so ordering by id is ordering by creation, and a cursor
-- (the last id seen) stays stable while projects are added.
CREATE TABLE project_list (
    id              BLOB    NOT NULL PRIMARY KEY,
    version         INTEGER NOT NULL,
    stage           TEXT    NOT NULL,
    executor_org_id TEXT    NOT NULL,
    planned_end     TEXT    NOT NULL,
    state           TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX project_list_by_stage ON project_list (stage, id);
CREATE INDEX project_list_by_executor ON project_list (executor_org_id, id);
CREATE INDEX project_list_by_end ON project_list (planned_end);
