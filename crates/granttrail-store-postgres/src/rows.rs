//! Turning `events` rows back into stored events (the shared reader of
//! `granttrail_store::sqlx_event_rows!`).

granttrail_store::sqlx_event_rows!(sqlx::postgres::PgRow);
