//! A small given / when / then harness so each test reads like the rule it
//! checks, plus the seed project's commands as test data.

#![allow(dead_code, clippy::unwrap_used)]

use granttrail_domain::{
    Command, CommandKind, FieldError, Project, ProjectEvent, Rejection, Stage, decide, fold,
};
use serde_json::Value;

/// The seed fixture, copied into the repository from `shared/fixtures`.
pub const SEED: &str = include_str!("../../../../tests/fixtures/seed-project.json");
/// The source report's self-report with its mistyped completion date.
pub const SEED_TYPO: &str = include_str!("../../../../tests/fixtures/seed-typo-self-report.json");

/// The source's mid-term evaluation, which fits after the seed's second
/// command (the extension).
pub const SEED_MIDTERM: &str = include_str!("../../../../tests/fixtures/seed-midterm.json");

/// The body of the source's mid-term evaluation.
pub fn midterm_body() -> Value {
    let fixture: Value = serde_json::from_str(SEED_MIDTERM).expect("midterm fixture is JSON");
    fixture["body"].clone()
}

/// A command of `kind` read from a JSON body, as the API would.
pub fn command(kind: CommandKind, body: Value) -> Command {
    kind.read_body(body)
        .unwrap_or_else(|e| panic!("test body for {kind} does not parse: {e}"))
}

/// The seed project's commands in order, as (kind, body).
pub fn seed_bodies() -> Vec<(CommandKind, Value)> {
    let fixture: Value = serde_json::from_str(SEED).expect("seed fixture is JSON");
    fixture["projects"][0]["commands"]
        .as_array()
        .expect("commands array")
        .iter()
        .map(|c| {
            let kind: CommandKind =
                serde_json::from_value(c["command"].clone()).expect("known command name");
            (kind, c["body"].clone())
        })
        .collect()
}

/// The seed's body for the `n`th command (0-based).
pub fn seed_body(n: usize) -> Value {
    seed_bodies()[n].1.clone()
}

/// The events the seed produces after its first `n` commands.
pub fn seed_events(n: usize) -> Vec<ProjectEvent> {
    let mut events = Vec::new();
    for (kind, body) in seed_bodies().into_iter().take(n) {
        let state = fold(&events).expect("seed history folds");
        let new = decide(state.as_ref(), &command(kind, body))
            .unwrap_or_else(|r| panic!("seed command {kind} rejected: {r}"));
        events.extend(new);
    }
    events
}

/// Seed events up to the moment the project is in `stage`.
pub fn seed_until(stage: Stage) -> Vec<ProjectEvent> {
    let upto = match stage {
        Stage::Signed => 2, // signed and extended
        Stage::SelfReportSubmitted => 3,
        Stage::Reviewed => 4,
        Stage::SiteVisited => 5,
        Stage::Drafted => 6,
        Stage::Finalized => 8,
        Stage::Returned => {
            let mut events = seed_events(3);
            events.push(
                decide(
                    fold(&events).unwrap().as_ref(),
                    &command(
                        CommandKind::Review,
                        serde_json::json!({"reviewed_on": "2023-02-15", "outcome": "returned",
                                           "comments": "补充活动照片"}),
                    ),
                )
                .unwrap()
                .remove(0),
            );
            return events;
        }
    };
    seed_events(upto)
}

/// Starts a scenario from a history.
pub fn given(history: Vec<ProjectEvent>) -> Given {
    Given { history }
}

/// A history, waiting for a command.
pub struct Given {
    history: Vec<ProjectEvent>,
}

impl Given {
    /// Decides `command` against the folded history.
    pub fn when(self, command: Command) -> Then {
        let state = fold(&self.history).expect("given history folds");
        let result = decide(state.as_ref(), &command);
        Then { state, result }
    }
}

/// The outcome of a command, to be checked.
pub struct Then {
    state: Option<Project>,
    result: Result<Vec<ProjectEvent>, Rejection>,
}

impl Then {
    /// The command was accepted; returns its events and the new state.
    pub fn accepted(self) -> (Vec<ProjectEvent>, Project) {
        let events = self
            .result
            .unwrap_or_else(|r| panic!("expected the command to be accepted, got: {r}"));
        let mut state = self.state;
        for event in &events {
            state = Some(granttrail_domain::evolve(state, event).expect("new event folds"));
        }
        (events, state.expect("a state after accepted events"))
    }

    /// The command was accepted and the project is now in `stage`.
    pub fn then_stage(self, stage: Stage) -> Project {
        let (_, project) = self.accepted();
        assert_eq!(project.stage, stage);
        project
    }

    /// The command was refused with exactly these events: none.
    pub fn then_events(self, expected: Vec<ProjectEvent>) {
        assert_eq!(self.accepted().0, expected);
    }

    /// Refused for its body, with an error at `pointer` whose message
    /// names every string in `mentions`.
    pub fn then_invalid_at(self, pointer: &str, mentions: &[&str]) -> Vec<FieldError> {
        match self.result {
            Err(Rejection::Invalid(errors)) => {
                let error = errors
                    .iter()
                    .find(|e| e.pointer == pointer)
                    .unwrap_or_else(|| panic!("no error at {pointer}; got {errors:#?}"));
                for mention in mentions {
                    assert!(
                        error.message.contains(mention),
                        "message at {pointer} should mention {mention}: {}",
                        error.message
                    );
                }
                errors
            }
            other => panic!("expected a validation rejection at {pointer}, got {other:?}"),
        }
    }

    /// Refused because the stage does not allow it.
    pub fn then_invalid_transition(self, stage: Stage, allowed: &[CommandKind]) {
        match self.result {
            Err(Rejection::InvalidTransition {
                stage: s,
                allowed: a,
                ..
            }) => {
                assert_eq!(s, stage);
                assert_eq!(a, allowed);
            }
            other => panic!("expected an invalid transition from {stage}, got {other:?}"),
        }
    }

    /// Refused with exactly this rejection.
    pub fn then_rejected(self, expected: Rejection) {
        assert_eq!(self.result.err(), Some(expected));
    }
}
