//! Evidence (证明材料): files attached to a project — vouchers, budget and
//! final accounts, sign-in sheets, the photo booklet — each referenced by
//! an event that names its SHA-256, so the event is the proof and the
//! bytes are checked against it on every read. Withdrawing one is an event
//! too: the hash stays on the record for good.

use serde::{Deserialize, Serialize};

use crate::checks::Checks;
use crate::command::{AddAttachment, WithdrawAttachment};
use crate::date::BusinessDate;
use crate::decide::{MAX_LONG_TEXT, MAX_SHORT_TEXT};
use crate::event::ProjectEvent;
use crate::event_data::{AttachmentAdded, AttachmentWithdrawn};
use crate::rejection::Rejection;
use crate::state::{Project, Stage};
use crate::values::Person;

/// What a file is evidence of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "of", rename_all = "snake_case", deny_unknown_fields)]
pub enum Evidence {
    /// The project as a whole.
    Project,
    /// One stage's work (its snake_case name, e.g. `site_visited`).
    Stage {
        /// The stage.
        stage: Stage,
    },
    /// One indicator's actual (e.g. the photo booklet).
    Indicator {
        /// The indicator's key.
        indicator: String,
    },
    /// One of the financial checks.
    FinanceCheck {
        /// `vouchers`, `budget` or `compliance`.
        check: FinanceCheckKind,
    },
}

/// The three financial checks of a site visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinanceCheckKind {
    /// Original vouchers (原始凭证).
    Vouchers,
    /// Budget and final accounts (预决算表).
    Budget,
    /// Compliance with the financial rules.
    Compliance,
}

/// An attachment as the state shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentStatus {
    /// SHA-256 of the bytes (hex): the file's identity and its proof.
    pub sha256: String,
    /// Its file name (no path).
    pub name: String,
    /// The media type sniffed from its content.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// What it evidences.
    pub evidences: Evidence,
    /// When it was attached.
    pub added_on: BusinessDate,
    /// Who attached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<Person>,
    /// When and why it was withdrawn; the hash stays on the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
}

/// A withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withdrawal {
    /// When.
    pub withdrawn_on: BusinessDate,
    /// Why.
    pub reason: String,
}

/// Whether a file name is one name and no path: no separators, no control
/// characters, not `.` or `..`.
fn check_name(checks: &mut Checks, name: &str) -> String {
    let name = checks.text("/name", name, MAX_SHORT_TEXT);
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        checks.fail(
            "/name",
            "invalid-name",
            format!("'{name}' is a path; give the file's name alone"),
        );
    }
    name
}

pub(crate) fn attach(project: &Project, c: &AddAttachment) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    let sha256 = c.sha256.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        checks.fail(
            "/sha256",
            "invalid-hash",
            "a SHA-256 is 64 hexadecimal digits",
        );
    }
    if project
        .attachments
        .iter()
        .any(|a| a.sha256 == sha256 && a.withdrawn.is_none())
    {
        checks.fail(
            "/sha256",
            "already-attached",
            format!("a file with SHA-256 {sha256} is attached already"),
        );
    }
    let name = check_name(&mut checks, &c.name);
    let media_type = checks.text("/media_type", &c.media_type, MAX_SHORT_TEXT);
    if let Evidence::Indicator { indicator } = &c.evidences
        && !project.indicators.iter().any(|i| &i.key == indicator)
    {
        checks.fail(
            "/evidences/indicator",
            "unknown-indicator",
            format!("the project has no indicator '{indicator}'"),
        );
    }
    checks.not_before("/added_on", c.added_on, project.signed_on, || {
        format!(
            "the file is dated {}, before the project was signed on {}",
            c.added_on, project.signed_on
        )
    });
    checks.into_result(ProjectEvent::AttachmentAdded(AttachmentAdded {
        added_on: c.added_on,
        sha256,
        name,
        media_type,
        size: c.size,
        evidences: c.evidences.clone(),
        added_by: None,
    }))
}

pub(crate) fn withdraw(
    project: &Project,
    c: &WithdrawAttachment,
) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    let sha256 = c.sha256.to_ascii_lowercase();
    match project.attachments.iter().find(|a| a.sha256 == sha256) {
        None => checks.fail(
            "/sha256",
            "unknown-attachment",
            format!("the project has no attachment {sha256}"),
        ),
        Some(a) if a.withdrawn.is_some() => checks.fail(
            "/sha256",
            "already-withdrawn",
            format!("{} was withdrawn already", a.name),
        ),
        Some(_) => {}
    }
    let reason = checks.text("/reason", &c.reason, MAX_LONG_TEXT);
    checks.into_result(ProjectEvent::AttachmentWithdrawn(AttachmentWithdrawn {
        withdrawn_on: c.withdrawn_on,
        sha256,
        reason,
    }))
}

impl Project {
    pub(crate) fn apply_attachment(&mut self, added: &AttachmentAdded) {
        self.attachments.push(AttachmentStatus {
            sha256: added.sha256.clone(),
            name: added.name.clone(),
            media_type: added.media_type.clone(),
            size: added.size,
            evidences: added.evidences.clone(),
            added_on: added.added_on,
            added_by: added.added_by.clone(),
            withdrawn: None,
        });
    }

    pub(crate) fn apply_withdrawal(&mut self, withdrawn: &AttachmentWithdrawn) {
        if let Some(a) = self
            .attachments
            .iter_mut()
            .find(|a| a.sha256 == withdrawn.sha256 && a.withdrawn.is_none())
        {
            a.withdrawn = Some(Withdrawal {
                withdrawn_on: withdrawn.withdrawn_on,
                reason: withdrawn.reason.clone(),
            });
        }
    }
}
