-- Browser sessions: a bearer token exchanged once, at sign-in, for a
-- cookie. Only the SHA-256 of the cookie's secret is kept. A session acts
-- as its token did, for as long as both live.
CREATE TABLE sessions (
    id          BLOB NOT NULL PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    token_id    BLOB NOT NULL REFERENCES tokens (id),
    form_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
