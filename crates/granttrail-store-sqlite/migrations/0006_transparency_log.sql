-- The transparency log (docs/hash-chain.md): one leaf per event, in
-- position order with dense leaf indexes; the hashes of every complete
-- subtree at their stored indexes (about two per leaf); every signed
-- checkpoint. Leaves and hashes are derived from the events; checkpoints
-- left the system and are kept for good.
CREATE TABLE log_leaves (
    position   INTEGER NOT NULL PRIMARY KEY,
    leaf_index INTEGER NOT NULL UNIQUE
);

CREATE TABLE log_hashes (
    hash_index INTEGER NOT NULL PRIMARY KEY,
    hash       BLOB    NOT NULL
);

CREATE TABLE log_checkpoints (
    tree_size INTEGER NOT NULL PRIMARY KEY,
    root      TEXT    NOT NULL,
    note      TEXT    NOT NULL,
    key_id    TEXT    NOT NULL,
    signed_at TEXT    NOT NULL
);

CREATE TRIGGER log_checkpoints_are_kept_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are kept as signed'); END;
CREATE TRIGGER log_checkpoints_are_kept_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are kept as signed'); END;
