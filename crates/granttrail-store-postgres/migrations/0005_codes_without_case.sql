-- Project codes compare without regard to case: JT-1 and jt-1 name the
-- same project, so both cannot be reserved (codes are ASCII). A database
-- that already holds two codes differing only in case fails here;
-- docs/deployment.md says how to resolve it.
CREATE UNIQUE INDEX project_codes_without_case ON project_codes (lower(code));
