-- Bearer tokens, by the SHA-256 of their secret only.
CREATE TABLE tokens (
    id          UUID NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    org_id      TEXT,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Projections: rows and checkpoints written in one transaction.
CREATE TABLE projection_checkpoints (
    name     TEXT   NOT NULL PRIMARY KEY,
    position BIGINT NOT NULL
);

CREATE TABLE project_list (
    id              UUID   NOT NULL PRIMARY KEY,
    version         BIGINT NOT NULL,
    stage           TEXT   NOT NULL,
    executor_org_id TEXT   NOT NULL,
    planned_end     TEXT   NOT NULL,
    state           TEXT   NOT NULL
);
CREATE INDEX project_list_by_stage ON project_list (stage, id);
CREATE INDEX project_list_by_executor ON project_list (executor_org_id, id);
