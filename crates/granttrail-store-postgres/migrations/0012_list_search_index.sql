-- A search of the list scans this narrow index (search text and id)
-- instead of the wide rows, then reads only the rows that match.
CREATE INDEX project_list_by_search_text ON project_list (search_text, id);
