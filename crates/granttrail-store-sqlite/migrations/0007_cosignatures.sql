-- Cosignatures: a second key's signature line on a checkpoint (a witness
-- that checked the log only grew since the last checkpoint it cosigned).
CREATE TABLE log_cosignatures (
    tree_size BIGINT NOT NULL REFERENCES log_checkpoints (tree_size),
    name      TEXT   NOT NULL,
    key_id    TEXT   NOT NULL,
    line      TEXT   NOT NULL,
    signed_at TEXT   NOT NULL,
    PRIMARY KEY (tree_size, name, key_id)
);
