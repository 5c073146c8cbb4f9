-- The first day a project counts as overdue, computed by the domain
-- (Project::overdue_from) and stored with its row, so the list's filter
-- compares dates instead of restating the rule in SQL. The list is a
-- projection: emptied here, the runner rebuilds it from the events on the
-- next start, with the new column filled.
ALTER TABLE project_list ADD COLUMN overdue_from TEXT;
CREATE INDEX project_list_by_overdue_from ON project_list (overdue_from, id);
DELETE FROM project_list;
DELETE FROM projection_checkpoints WHERE name = 'project_list';
