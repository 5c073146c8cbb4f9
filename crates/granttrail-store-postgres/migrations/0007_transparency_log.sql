-- The transparency log (docs/hash-chain.md): one leaf per event, in
-- position order with dense leaf indexes (positions themselves may have
-- gaps here); the hashes of every complete subtree at their stored
-- indexes; every signed checkpoint, kept as signed.
CREATE TABLE log_leaves (
    position   BIGINT NOT NULL PRIMARY KEY,
    leaf_index BIGINT NOT NULL UNIQUE
);

CREATE TABLE log_hashes (
    hash_index BIGINT NOT NULL PRIMARY KEY,
    hash       BYTEA  NOT NULL
);

CREATE TABLE log_checkpoints (
    tree_size BIGINT NOT NULL PRIMARY KEY,
    root      TEXT   NOT NULL,
    note      TEXT   NOT NULL,
    key_id    TEXT   NOT NULL,
    signed_at TEXT   NOT NULL
);

CREATE FUNCTION log_checkpoints_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'checkpoints are kept as signed';
END;
$$;
CREATE TRIGGER log_checkpoints_are_kept BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_checkpoints_are_kept();
