-- The event store. Events are append-only: triggers refuse UPDATE and
-- DELETE, so altering history takes a deliberate act (dropping them), and
-- the hash chain then shows what was altered.

-- One row per stream: its current version and head hash. Verification
-- compares the last stored event with this row, which catches deletion of
-- the newest event.
CREATE TABLE streams (
    stream_id  BLOB    NOT NULL PRIMARY KEY,
    version    INTEGER NOT NULL,
    head_hash  TEXT    NOT NULL,
    created_at TEXT    NOT NULL
) WITHOUT ROWID;

-- position is the global commit order. AUTOINCREMENT so a position is
-- never reused, even after a row is removed by hand. Stream ids are
-- UUIDv7 (time-ordered), so (stream_id, version) inserts land near the
-- right-hand edge of the index instead of scattering across the B-tree.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id       BLOB    NOT NULL,
    version         INTEGER NOT NULL,
    event_id        BLOB    NOT NULL,
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    occurred_on     TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_name      TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    actor_org_id    TEXT,
    correlation_id  BLOB    NOT NULL,
    causation_id    BLOB,
    idempotency_key TEXT,
    data            TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    UNIQUE (stream_id, version),
    UNIQUE (event_id)
);

-- The head of a stream moves with every event, inside SQLite: one
-- statement fewer per append for the writer, and no way to insert an
-- event without moving the head.
CREATE TRIGGER events_move_stream_head AFTER INSERT ON events
BEGIN
    INSERT INTO streams (stream_id, version, head_hash, created_at)
    VALUES (NEW.stream_id, NEW.version, NEW.hash, NEW.recorded_at)
    ON CONFLICT (stream_id) DO UPDATE
        SET version = excluded.version, head_hash = excluded.head_hash;
END;

CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- What a command answered, under the client's Idempotency-Key, scoped to
-- the token that sent it. Written in the same transaction as the events.
CREATE TABLE idempotency (
    actor_id    TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    stream_id   BLOB    NOT NULL,
    status      INTEGER NOT NULL,
    etag        TEXT,
    body        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (actor_id, key)
) WITHOUT ROWID;

-- Project codes are unique across all projects; the reservation is written
-- with the ProjectSigned event, so neither exists without the other.
CREATE TABLE project_codes (
    code      TEXT NOT NULL PRIMARY KEY,
    stream_id BLOB NOT NULL UNIQUE
) WITHOUT ROWID;

-- Bearer tokens, by the SHA-256 of their secret only.
CREATE TABLE tokens (
    id          BLOB NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    org_id      TEXT,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
