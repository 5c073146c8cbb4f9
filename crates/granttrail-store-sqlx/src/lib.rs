//! # granttrail-store-sqlx: what the sqlx backends share
//!
//! The SQLite and PostgreSQL stores speak the same SQL for the project
//! list and map driver errors the same way; both live here once, generic
//! over the sqlx database, so the store contract crate
//! (`granttrail-store`) holds no SQL at all.

mod driver_errors;
mod project_list_query;
mod project_list_row;
mod session_row;

pub use driver_errors::{corrupt, unavailable};
pub use project_list_query::project_list_query;
pub use project_list_row::{
    PROJECT_LIST_COLUMN_COUNT, PROJECT_LIST_COLUMNS, PROJECT_LIST_UPSERT, ProjectListRow,
    project_from_row, project_list_upsert,
};
pub use session_row::{SESSION_WITH_TOKEN_COLUMNS, SessionWithTokenRow, session_from_row};
