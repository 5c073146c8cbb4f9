-- The project list counts each project's unresolved data-quality flags
-- (from a historical import), so `?flagged=true` is a column comparison.
-- No project had flags before imports existed.
ALTER TABLE project_list ADD COLUMN unresolved_flags INTEGER NOT NULL DEFAULT 0;
