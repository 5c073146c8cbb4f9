-- Project codes compare without regard to case: JT-1 and jt-1 name the
-- same project, so both cannot be reserved. Codes are ASCII (letters,
-- digits, '_', '-', '.'), which NOCASE folds. A database that already
-- holds two codes differing only in case fails this migration on the
-- copy below; docs/deployment.md says how to resolve it.
CREATE TABLE project_codes_nocase (
    code      TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
    stream_id BLOB NOT NULL UNIQUE
) WITHOUT ROWID;
INSERT INTO project_codes_nocase (code, stream_id) SELECT code, stream_id FROM project_codes;
DROP TABLE project_codes;
ALTER TABLE project_codes_nocase RENAME TO project_codes;
