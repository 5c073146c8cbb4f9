-- One row readiness rewrites (at most once a second) to prove a commit
-- would succeed now: the file writable, the disk not full.
CREATE TABLE write_probe (
    id        INTEGER NOT NULL PRIMARY KEY,
    probed_at TEXT    NOT NULL
);
