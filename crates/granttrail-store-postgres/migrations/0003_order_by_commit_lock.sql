-- Global order no longer reads transaction ids: positions are drawn and
-- committed under one advisory lock, so a snapshot that shows a position
-- shows every smaller one (docs/adr/0004-global-order-on-postgresql.md).
-- The transaction-id column and its index only cost writes now.
DROP INDEX events_by_tx;
ALTER TABLE events DROP COLUMN tx_id;
