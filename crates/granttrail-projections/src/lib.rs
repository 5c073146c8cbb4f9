//! # granttrail-projections: what events look like to people
//!
//! Pure functions from stored events to the shapes users read. Nothing
//! here does IO; the app crate feeds these functions from the store.
//!
//! ## Main types
//! - [`PointInTime`]: which prefix of a stream to fold — all of it, up to
//!   a version, as known at a recorded-at instant, or as of a business
//!   date.
//! - [`ProjectView`]: a project's state as the API returns it (the domain
//!   state plus its id and whether it is overdue today).
//! - [`state_at`]: decode and fold a stream's events up to a point.
//!
//! ## What this crate does not do
//! It does not read or write storage and does not decide commands.

mod point;
mod view;

pub use point::{PointInTime, ProjectionError, decode_events, state_at};
pub use view::ProjectView;
