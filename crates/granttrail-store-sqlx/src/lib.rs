//! # granttrail-store-sqlx: what the sqlx backends share
//!
//! The SQLite and PostgreSQL stores speak the same SQL for the project
//! list and map driver errors the same way; both live here once, generic
//! over the sqlx database, so the store contract crate
//! (`granttrail-store`) holds no SQL at all.

mod driver_errors;
mod project_list_query;

pub use driver_errors::{corrupt, unavailable};
pub use project_list_query::project_list_query;
