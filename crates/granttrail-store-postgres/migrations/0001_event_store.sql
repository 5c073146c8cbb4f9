-- The event store on PostgreSQL. Several servers append at once; each
-- append locks its stream's row, so versions stay gap-free per stream.
CREATE TABLE streams (
    stream_id  UUID   NOT NULL PRIMARY KEY,
    version    BIGINT NOT NULL,
    head_hash  TEXT   NOT NULL,
    created_at TEXT   NOT NULL
);

-- tx_id records the writing transaction. Positions come from a sequence,
-- so a transaction that started earlier can commit a smaller position
-- after a reader has passed it; readers of the global log therefore only
-- read events whose transaction is older than every transaction still in
-- flight (pg_snapshot_xmin), which makes skipping impossible
-- (docs/adr/0004-global-order-on-postgresql.md).
CREATE TABLE events (
    position        BIGSERIAL PRIMARY KEY,
    tx_id           XID8   NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       UUID   NOT NULL,
    version         BIGINT NOT NULL,
    event_id        UUID   NOT NULL UNIQUE,
    event_type      TEXT   NOT NULL,
    schema_version  INT    NOT NULL,
    occurred_on     TEXT   NOT NULL,
    recorded_at     TEXT   NOT NULL,
    actor_id        TEXT   NOT NULL,
    actor_name      TEXT   NOT NULL,
    actor_role      TEXT   NOT NULL,
    actor_org_id    TEXT,
    correlation_id  UUID   NOT NULL,
    causation_id    UUID,
    idempotency_key TEXT,
    data            TEXT   NOT NULL,
    prev_hash       TEXT   NOT NULL,
    hash            TEXT   NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX events_by_tx ON events (tx_id);

CREATE TABLE idempotency (
    actor_id    TEXT     NOT NULL,
    key         TEXT     NOT NULL,
    fingerprint TEXT     NOT NULL,
    stream_id   UUID     NOT NULL,
    status      INT      NOT NULL,
    etag        TEXT,
    body        TEXT     NOT NULL,
    created_at  TEXT     NOT NULL,
    PRIMARY KEY (actor_id, key)
);

CREATE TABLE project_codes (
    code      TEXT NOT NULL PRIMARY KEY,
    stream_id UUID NOT NULL UNIQUE
);
