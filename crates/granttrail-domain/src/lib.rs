//! # granttrail-domain: the lifecycle of a funded project
//!
//! A foundation signs an agreement with an executing organisation (执行单位)
//! to carry out a project; the project may be extended; at its end the
//! executor submits a closing self-report, foundation staff review it,
//! visit the site, draft the closing-evaluation report (结项评估报告),
//! revise it, and finalize it. This crate is that lifecycle and nothing
//! else.
//!
//! ```text
//!  sign ──► signed ──submit_self_report──► self_report_submitted ──review──► reviewed
//!            │  ▲                                     │ (returned)               │
//!            │  └─extend                              ▼                        visit
//!            │                                     returned ◄─extend           ▼
//!            │                                        │                   site_visited
//!            └──────────── submit_self_report ◄───────┘                        │ draft
//!                                                                              ▼
//!                                         finalized ◄──finalize── drafted ◄─┐ draft
//!                                                                     └─────┘
//! ```
//!
//! ## Main types
//! - [`Command`]: what is asked (each is one API body, read strictly).
//! - [`ProjectEvent`]: what happened; persisted through [`EncodedEvent`]
//!   with a schema version, upcast on read.
//! - [`Project`] and [`Stage`]: the state after some events, and the
//!   transition table ([`Stage::allowed_commands`]).
//! - [`decide`]: `state + command → events | Rejection`, checking every
//!   rule of the product specification; [`evolve`]: `state + event →
//!   state`; [`fold`]: a whole history.
//! - [`Rejection`] and [`FieldError`]: why a command was refused, with JSON
//!   Pointers into the body and messages that name the values involved.
//!
//! ## What this crate does not do
//! No IO, no async, no clock and no randomness: ids, the recording
//! instant, the actor and "today" come from the outer layers. Storage,
//! hashing, authorisation and rendering live in other crates.

mod attachments;
pub mod body_path;
mod checks;
mod command;
mod correctable;
mod correction;
mod date;
mod decide;
mod event;
mod event_data;
mod event_type;
mod finance;
mod four_eyes;
mod happened;
mod history;
mod midterm;
mod rejection;
mod state;
mod tranches;
mod values;

pub use attachments::{AttachmentStatus, Evidence, FinanceCheckKind, Withdrawal};
pub use command::{
    AddAttachment, Command, CommandKind, DraftEvaluation, ExtendPeriod, FinalizeEvaluation,
    RecordCorrection, RecordMidtermEvaluation, RecordSiteVisit, ReleaseTranche, ReviewSelfReport,
    SignProject, SubmitSelfReport, WithdrawAttachment,
};
pub use date::BusinessDate;
pub use decide::{MAX_ITEMS, MAX_KEY, MAX_LONG_TEXT, MAX_SHORT_TEXT, decide};
pub use event::{DecodeError, EncodedEvent, ProjectEvent};
pub use event_data::{
    AttachmentAdded, AttachmentWithdrawn, CorrectionRecorded, EvaluationDrafted,
    EvaluationFinalized, HistoryImported, MidtermEvaluated, PeriodExtended, ProjectSigned,
    SelfReportReviewed, SelfReportSubmitted, SiteVisited, TrancheReleased,
};
pub use event_type::EventType;
pub use four_eyes::{FourEyes, decide_as};
pub use happened::decide_on;
pub use history::{ImportRefusal, QualityFlag, RecordedFact, record_history};
pub use rejection::{FieldError, FourEyesRefusal, Rejection};
pub use state::{
    CorrectionMark, Finalized, HistoryError, IndicatorStatus, Project, Stage, evolve, fold,
};
pub use tranches::{Tranche, TrancheCondition, TrancheState, TrancheStatus, TrancheTotals};
pub use values::{
    Actual, Comparison, Conclusion, Executor, ExtraOutput, FinancialCheck, Funding, Indicator,
    Period, Person, ReviewOutcome,
};
