//! Tranches (分期拨付): a grant paid in parts, each released when its
//! condition holds — at signing, on an accepted self-report, on a passed
//! evaluation, or once a named indicator is met.
//!
//! A tranche whose condition does not hold is refused, naming the unmet
//! condition. A failed evaluation withholds the last tranche; an approver
//! may still release it with a written reason (an override), and four eyes
//! keep the person who finalized the failed evaluation from overriding it.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::checks::{Checks, Item, Pointer};
use crate::command::ReleaseTranche;
use crate::date::BusinessDate;
use crate::decide::MAX_LONG_TEXT;
use crate::event::ProjectEvent;
use crate::event_data::TrancheReleased;
use crate::rejection::Rejection;
use crate::state::{Project, Stage};
use crate::values::{Conclusion, Funding, Indicator, ReviewOutcome};

/// When a tranche may be released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum TrancheCondition {
    /// From the signing on.
    Signing,
    /// Once staff accepted the executor's self-report.
    AcceptedSelfReport,
    /// Once the evaluation was finalized as passed.
    PassedEvaluation,
    /// Once the named indicator's actual meets its target.
    IndicatorMet {
        /// The indicator's key.
        indicator: String,
    },
}

/// One part of the grant, as scheduled at signing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    /// The amount, a decimal string like the grant.
    pub amount: String,
    /// When it may be released.
    pub condition: TrancheCondition,
}

/// Where a tranche stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TrancheState {
    /// Not yet released.
    Scheduled,
    /// Paid out.
    Released,
    /// Held back: the evaluation failed and this is the last tranche.
    Withheld,
}

/// A tranche with where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrancheStatus {
    /// Its number, from 1.
    pub number: u32,
    /// The amount.
    pub amount: String,
    /// When it may be released.
    pub condition: TrancheCondition,
    /// Where it stands.
    pub state: TrancheState,
    /// When it was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_on: Option<BusinessDate>,
    /// The written reason of an override that released a withheld tranche.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// The amounts scheduled (not yet released), released and withheld.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrancheTotals {
    /// Still to be released.
    pub scheduled: String,
    /// Paid out.
    pub released: String,
    /// Held back.
    pub withheld: String,
}

fn decimal(amount: &str) -> Decimal {
    Decimal::from_str(amount).unwrap_or_default()
}

/// Checks a signing's tranche schedule: amounts are amounts, they add up
/// to the grant, and a named indicator exists.
pub(crate) fn check_schedule(checks: &mut Checks, funding: &Funding, indicators: &[Indicator]) {
    if funding.tranches.is_empty() {
        return;
    }
    checks.at_most_items("/funding/tranches", funding.tranches.len());
    let mut total = Decimal::ZERO;
    for (i, tranche) in funding.tranches.iter().enumerate() {
        let at = Item::new("/funding/tranches", i);
        checks.amount(&at.member("amount"), Some(&tranche.amount));
        total += decimal(&tranche.amount);
        if let TrancheCondition::IndicatorMet { indicator } = &tranche.condition
            && !indicators.iter().any(|i| &i.key == indicator)
        {
            checks.fail(
                at.member("condition/indicator").spell(),
                "unknown-indicator",
                format!("the project has no indicator '{indicator}'"),
            );
        }
    }
    match funding.grant_amount.as_deref() {
        None => checks.fail(
            "/funding/grant_amount",
            "required",
            "a tranche schedule needs the grant amount it divides",
        ),
        Some(grant) if decimal(grant) != total => checks.fail(
            "/funding/tranches",
            "tranches-do-not-add-up",
            format!("the tranches add up to {total}, not the grant of {grant}"),
        ),
        Some(_) => {}
    }
}

/// Whether a tranche's condition holds now, or why not.
fn unmet(project: &Project, condition: &TrancheCondition) -> Option<String> {
    match condition {
        TrancheCondition::Signing => None,
        TrancheCondition::AcceptedSelfReport => {
            let accepted = matches!(
                project.stage,
                Stage::Reviewed | Stage::SiteVisited | Stage::Drafted | Stage::Finalized
            ) || project
                .review
                .as_ref()
                .is_some_and(|r| r.outcome == ReviewOutcome::Accepted);
            (!accepted).then(|| {
                format!(
                    "it is released on an accepted self-report, and the project is {} without one",
                    project.stage
                )
            })
        }
        TrancheCondition::PassedEvaluation => match &project.finalized {
            Some(f) if f.conclusion == Conclusion::Passed => None,
            Some(_) => {
                Some("it is released on a passed evaluation, and the evaluation failed".into())
            }
            None => Some(format!(
                "it is released on a passed evaluation, and the evaluation is not final (stage {})",
                project.stage
            )),
        },
        TrancheCondition::IndicatorMet { indicator } => {
            let status = project.indicators.iter().find(|i| &i.key == indicator);
            match status {
                Some(i) if i.met == Some(true) => None,
                Some(i) => Some(format!(
                    "it is released once indicator '{}' ({}) meets its target of {}, and it has {}",
                    i.key,
                    i.label,
                    i.target,
                    i.actual
                        .map_or("no actual yet".to_owned(), |a| format!("{a}"))
                )),
                None => Some(format!(
                    "it names indicator '{indicator}', which the project lacks"
                )),
            }
        }
    }
}

/// Decides a release.
pub(crate) fn release(project: &Project, c: &ReleaseTranche) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    let count = project.tranches.len();
    let Some(tranche) = (c.tranche as usize)
        .checked_sub(1)
        .and_then(|i| project.tranches.get(i))
    else {
        return Err(Rejection::Invalid(vec![crate::rejection::FieldError {
            pointer: "/tranche".into(),
            code: "unknown-tranche",
            message: format!(
                "the project has {count} tranche(s); there is no tranche {}",
                c.tranche
            ),
        }]));
    };
    let override_reason = checks.optional_text(
        "/override_reason",
        c.override_reason.as_deref(),
        MAX_LONG_TEXT,
    );
    match tranche.state {
        TrancheState::Released => checks.fail(
            "/tranche",
            "already-released",
            format!(
                "tranche {} was released on {}",
                tranche.number,
                tranche.released_on.map_or("—".to_owned(), |d| d.to_string())
            ),
        ),
        TrancheState::Withheld if override_reason.is_none() => checks.fail(
            "/override_reason",
            "withheld",
            format!(
                "tranche {} is withheld because the evaluation failed; an approver may release it with a written override_reason",
                tranche.number
            ),
        ),
        TrancheState::Withheld => {}
        TrancheState::Scheduled => {
            if let Some(why) = unmet(project, &tranche.condition) {
                checks.fail(
                    "/tranche",
                    "condition-unmet",
                    format!("tranche {} cannot be released yet: {why}", tranche.number),
                );
            }
            if override_reason.is_some() {
                checks.fail(
                    "/override_reason",
                    "unexpected-override",
                    "an override releases a tranche withheld by a failed evaluation; this one is not withheld",
                );
            }
        }
    }
    checks.not_before("/released_on", c.released_on, project.signed_on, || {
        format!(
            "the release is dated {}, before the project was signed on {}",
            c.released_on, project.signed_on
        )
    });
    checks.into_result(ProjectEvent::TrancheReleased(TrancheReleased {
        released_on: c.released_on,
        tranche: tranche.number,
        amount: tranche.amount.clone(),
        override_reason,
        released_by: None,
    }))
}

/// The tranche statuses a signing schedules.
pub(crate) fn scheduled(funding: &Funding) -> Vec<TrancheStatus> {
    funding
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| TrancheStatus {
            number: i as u32 + 1,
            amount: t.amount.clone(),
            condition: t.condition.clone(),
            state: TrancheState::Scheduled,
            released_on: None,
            override_reason: None,
        })
        .collect()
}

impl Project {
    /// Applies a release.
    pub(crate) fn apply_release(&mut self, released: &TrancheReleased) {
        if let Some(t) = self
            .tranches
            .iter_mut()
            .find(|t| t.number == released.tranche)
        {
            t.state = TrancheState::Released;
            t.released_on = Some(released.released_on);
            t.override_reason = released.override_reason.clone();
        }
        self.tranche_totals = totals(&self.tranches);
    }

    /// A failed evaluation withholds the last tranche, if not yet paid.
    pub(crate) fn withhold_after_failure(&mut self) {
        let failed = self
            .finalized
            .as_ref()
            .is_some_and(|f| f.conclusion == Conclusion::Failed);
        if let (true, Some(last)) = (failed, self.tranches.last_mut())
            && last.state == TrancheState::Scheduled
        {
            last.state = TrancheState::Withheld;
        }
        self.tranche_totals = totals(&self.tranches);
    }
}

/// The totals of a schedule; `None` without one.
pub(crate) fn totals(tranches: &[TrancheStatus]) -> Option<TrancheTotals> {
    if tranches.is_empty() {
        return None;
    }
    let sum = |state: TrancheState| {
        tranches
            .iter()
            .filter(|t| t.state == state)
            .map(|t| decimal(&t.amount))
            .sum::<Decimal>()
            .to_string()
    };
    Some(TrancheTotals {
        scheduled: sum(TrancheState::Scheduled),
        released: sum(TrancheState::Released),
        withheld: sum(TrancheState::Withheld),
    })
}
