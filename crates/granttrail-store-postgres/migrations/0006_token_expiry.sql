-- Tokens may expire: past this instant a token authenticates nobody.
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
