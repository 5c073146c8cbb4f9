-- Users: tokens belong to named users, and every event's actor is the
-- user behind the token. Each existing token becomes one user whose id is
-- the token's id, so the actor ids already recorded name that user.
CREATE TABLE users (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    org_id      TEXT,
    created_at  TEXT NOT NULL,
    disabled_at TEXT
);
INSERT INTO users (id, name, org_id, created_at)
SELECT id::text, name, org_id, created_at FROM tokens;
ALTER TABLE tokens ADD COLUMN user_id TEXT REFERENCES users (id);
UPDATE tokens SET user_id = id::text;
ALTER TABLE tokens ALTER COLUMN user_id SET NOT NULL;
