//! Why a command was refused, in words a staff member can act on.

use serde::Serialize;

use crate::command::CommandKind;
use crate::state::Stage;
use crate::values::Person;

/// One thing wrong with a command's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) into the request body, e.g. `/completed_on`.
    pub pointer: String,
    /// Stable machine code, e.g. `date-order`.
    pub code: &'static str,
    /// Plain words naming the values involved.
    pub message: String,
}

/// A command the lifecycle refuses. Nothing is written for any of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A command other than signing for a project that does not exist.
    #[error("the project does not exist")]
    ProjectNotFound,
    /// Signing into a stream that already holds a project.
    #[error("the project already exists")]
    ProjectAlreadyExists,
    /// The project's stage does not accept this command.
    #[error(
        "{command} is not allowed while the project is {stage}; allowed: {}",
        list(allowed)
    )]
    InvalidTransition {
        /// What was attempted.
        command: CommandKind,
        /// The stage the project is in.
        stage: Stage,
        /// What that stage accepts.
        allowed: Vec<CommandKind>,
    },
    /// A four-eyes rule: this act must come from a different person than
    /// the author of the work it judges (see `four_eyes.rs`).
    #[error("four eyes ({}): {}", .0.rule, .0.message)]
    FourEyes(Box<FourEyesRefusal>),
    /// The body breaks one or more rules.
    #[error("{} field(s) are invalid: {}", .0.len(), messages(.0))]
    Invalid(Vec<FieldError>),
}

fn list(kinds: &[CommandKind]) -> String {
    if kinds.is_empty() {
        return "nothing (the project is finalized)".to_owned();
    }
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.pointer, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a four-eyes rule refused an act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FourEyesRefusal {
    /// The rule's code, e.g. `finalizer-is-not-the-author`.
    pub rule: &'static str,
    /// Whose work the act would judge.
    pub author: Person,
    /// Who tried.
    pub actor: Person,
    /// Both people and the rule, in words.
    pub message: String,
}
