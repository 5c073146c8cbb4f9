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
//! - [`audit_trail`]: one [`AuditRow`] per event, with every field it
//!   changed from and to.
//! - [`build_report`]: the closing-evaluation report (结项评估报告) in
//!   the five sections of the source, as Markdown, HTML or JSON.
//! - [`build_bundle`] / [`verify_bundle`]: signed compliance bundles and
//!   their offline verification.
//!
//! ## What this crate does not do
//! It does not read or write storage and does not decide commands.

mod audit;
mod bundle;
mod point;
mod report;
mod templates;
mod view;

pub use audit::{
    AuditActor, AuditRow, CSV_HEADER, FieldChange, UNREADABLE, audit_rows, audit_trail,
    unreadable_csv_record,
};
pub use bundle::{
    ATTACHMENTS, BUNDLE_FORMAT, BundleReport, InclusionProof, LogEvidence, Manifest, ManifestFile,
    audit_csv, build_bundle, unreadable_csv, verify_bundle,
};
pub use point::{PointInTime, ProjectionError, decode, decode_events, state_at};
pub use report::{
    CorrectionLine, EvidenceLine, ExtensionLine, IndicatorLine, Lang, MidtermLine, Milestone,
    Money, OutputGroup, Proof, Report, ReportError, Signature, Step, Words, build_report,
};
pub use view::{ProjectView, etag_of, view_json};
