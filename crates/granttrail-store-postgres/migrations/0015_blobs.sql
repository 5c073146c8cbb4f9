-- Attachment bytes, keyed by their SHA-256, beside the events: one backup
-- holds both. The event referencing a file is its proof; the bytes are
-- checked against it on every read.
CREATE TABLE blobs (
    sha256 TEXT NOT NULL PRIMARY KEY,
    bytes  BYTEA NOT NULL
);
