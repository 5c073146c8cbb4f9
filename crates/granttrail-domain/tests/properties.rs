//! Properties of decide and evolve over generated command sequences.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Days;
use granttrail_domain::{
    BusinessDate, Command, CommandKind as K, Project, ProjectEvent, Stage, decide, evolve, fold,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::{command, seed_body};

/// One step a random staff member or executor might take, with dates
/// relative to the latest date the project knows, so that sequences hit
/// both accepted and refused commands.
#[derive(Clone, Debug)]
enum Step {
    Extend { after: i8, by: i8 },
    Submit { after: i8, shortfall: bool },
    Review { after: i8, returned: bool },
    Visit { after: i8 },
    Draft { after: i8, failed: bool },
    Finalize { after: i8 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<i8>(), any::<i8>()).prop_map(|(after, by)| Step::Extend { after, by }),
        (any::<i8>(), any::<bool>())
            .prop_map(|(after, shortfall)| Step::Submit { after, shortfall }),
        (any::<i8>(), any::<bool>()).prop_map(|(after, returned)| Step::Review { after, returned }),
        any::<i8>().prop_map(|after| Step::Visit { after }),
        (any::<i8>(), any::<bool>()).prop_map(|(after, failed)| Step::Draft { after, failed }),
        any::<i8>().prop_map(|after| Step::Finalize { after }),
    ]
}

fn latest_date(p: &Project) -> BusinessDate {
    let mut dates = vec![p.signed_on];
    dates.extend(p.extensions.iter().map(|e| e.decided_on));
    dates.extend(p.self_report.iter().map(|r| r.submitted_on));
    dates.extend(p.review.iter().map(|r| r.reviewed_on));
    dates.extend(p.site_visit.iter().map(|v| v.visited_on));
    dates.extend(p.draft.iter().map(|d| d.drafted_on));
    dates.into_iter().max().expect("signed_on")
}

fn shift(date: BusinessDate, days: i8) -> String {
    let naive = date.naive();
    let moved = if days >= 0 {
        naive.checked_add_days(Days::new(days as u64 % 20))
    } else {
        naive.checked_sub_days(Days::new((-(days as i64)) as u64 % 5))
    };
    moved.expect("in range").format("%Y-%m-%d").to_string()
}

fn to_command(step: &Step, p: &Project) -> Command {
    let base = latest_date(p);
    match *step {
        Step::Extend { after, by } => command(
            K::Extend,
            json!({"decided_on": shift(base, after), "new_end": shift(p.period.end, by), "reason": "延期"}),
        ),
        Step::Submit { after, shortfall } => {
            let mut body = seed_body(2);
            body["completed_on"] = json!(shift(base, after));
            body["submitted_on"] = json!(shift(base, after.saturating_add(3)));
            if shortfall {
                body["actuals"][0]["value"] = json!(1);
            }
            command(K::SubmitSelfReport, body)
        }
        Step::Review { after, returned } => command(
            K::Review,
            json!({"reviewed_on": shift(base, after),
                   "outcome": if returned { "returned" } else { "accepted" },
                   "comments": "意见"}),
        ),
        Step::Visit { after } => {
            let mut body = seed_body(4);
            body["visited_on"] = json!(shift(base, after));
            command(K::Visit, body)
        }
        Step::Draft { after, failed } => {
            let mut body = seed_body(5);
            body["drafted_on"] = json!(shift(base, after));
            body["conclusion"] = json!(if failed { "failed" } else { "passed" });
            command(K::Draft, body)
        }
        Step::Finalize { after } => command(
            K::Finalize,
            json!({"finalized_on": shift(base, after), "approved_by": "基金会"}),
        ),
    }
}

/// What must hold of any state that accepted commands can reach.
fn assert_reachable(p: &Project, events: &[ProjectEvent]) {
    assert_eq!(p.version as usize, events.len());
    assert!(p.period.end >= p.original_period.end);
    assert_eq!(
        p.original_period,
        fold(&events[..1]).unwrap().unwrap().period
    );
    match p.stage {
        Stage::Signed => assert!(p.self_report.is_none()),
        Stage::SelfReportSubmitted => assert!(p.self_report.is_some()),
        Stage::Reviewed => assert!(
            matches!(&p.review, Some(r) if r.outcome == granttrail_domain::ReviewOutcome::Accepted)
        ),
        Stage::Returned => assert!(
            matches!(&p.review, Some(r) if r.outcome == granttrail_domain::ReviewOutcome::Returned)
        ),
        Stage::SiteVisited => assert!(p.site_visit.is_some() && p.draft.is_none()),
        Stage::Drafted => assert!(p.site_visit.is_some() && p.draft.is_some()),
        Stage::Finalized => {
            let (Some(draft), Some(fin)) = (&p.draft, &p.finalized) else {
                panic!("{p:?}")
            };
            assert_eq!(draft.revision, fin.revision);
            assert_eq!(draft.conclusion, fin.conclusion);
        }
    }
    if p.stage != Stage::Finalized {
        assert!(p.finalized.is_none());
    }
    if p.self_report.is_some() {
        assert!(
            p.indicators
                .iter()
                .all(|i| i.actual.is_some() && i.met.is_some())
        );
    }
    let revisions: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            ProjectEvent::EvaluationDrafted(d) => Some(d.revision),
            _ => None,
        })
        .collect();
    assert!(
        revisions
            .iter()
            .enumerate()
            .all(|(i, r)| *r == i as u32 + 1),
        "{revisions:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replaying_accepted_events_gives_the_live_state(steps in prop::collection::vec(step(), 0..40)) {
        let mut events = decide(None, &command(K::Sign, seed_body(0))).unwrap();
        let mut live = fold(&events).unwrap();
        for step in &steps {
            let project = live.clone().unwrap();
            let command = to_command(step, &project);
            match decide(Some(&project), &command) {
                Ok(new) => {
                    for event in &new {
                        live = Some(evolve(live, event).expect("accepted events always fold"));
                    }
                    events.extend(new);
                    assert_reachable(live.as_ref().unwrap(), &events);
                }
                Err(_) => prop_assert_eq!(live.as_ref(), Some(&project)),
            }
        }
        prop_assert_eq!(fold(&events).unwrap(), live);
    }

    #[test]
    fn decide_never_panics_on_arbitrary_commands(
        prefix in 0usize..=8,
        kind in prop::sample::select(K::ALL.to_vec()),
        text in ".{0,300}",
        number in any::<i64>(),
        year in 1i32..4000,
        month in 1u32..=12,
        day in 1u32..=28,
        list in prop::collection::vec(".{0,20}", 0..5),
    ) {
        let date = BusinessDate::from_ymd(year, month, day).unwrap().to_string();
        let state = fold(&support::seed_events(prefix)).unwrap();
        let body = arbitrary_body(kind, &text, number, &date, &list);
        if let Ok(command) = kind.read_body(body) {
            let _ = decide(state.as_ref(), &command);
        }
    }
}

/// A body of the right shape for `kind`, with every leaf replaced by the
/// generated value of its type.
fn arbitrary_body(kind: K, text: &str, number: i64, date: &str, list: &[String]) -> Value {
    fn fill(value: &mut Value, text: &str, number: i64, date: &str, list: &[String]) {
        match value {
            Value::String(s) if BusinessDate::parse(s).is_ok() => *s = date.to_owned(),
            Value::String(s) if s.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {}
            Value::String(s) => *s = text.to_owned(),
            Value::Number(_) => *value = json!(number),
            Value::Array(items) if items.iter().all(Value::is_string) && !items.is_empty() => {
                *value = json!(list)
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| fill(v, text, number, date, list)),
            Value::Object(fields) => fields
                .values_mut()
                .for_each(|v| fill(v, text, number, date, list)),
            _ => {}
        }
    }
    let mut body = support::seed_bodies()
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, b)| b)
        .unwrap_or_else(|| seed_body(0));
    fill(&mut body, text, number, date, list);
    body
}
