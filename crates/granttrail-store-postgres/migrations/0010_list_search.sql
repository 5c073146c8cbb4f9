-- The project list answers searches (code, title, executor, community)
-- and a range of signing dates: each row keeps its signing date and the
-- text a search looks in, lowercased (granttrail-app builds both from the
-- project). The list is a projection: emptied here, the runner rebuilds
-- it from the events on the next start, with the new columns filled.
ALTER TABLE project_list ADD COLUMN signed_on TEXT NOT NULL DEFAULT '';
ALTER TABLE project_list ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX project_list_by_signed_on ON project_list (signed_on, id);
DELETE FROM project_list;
UPDATE projection_checkpoints SET position = 0 WHERE name = 'project_list';
