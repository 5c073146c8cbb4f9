//! Who may do what: the one table every `App` method asks.
//!
//! A role permits an action or not; which projects a permitted caller
//! sees is a second, separate rule ([`Caller::sees_org`]): an executor
//! acts only on its own organisation's projects, and any other project is
//! the same 404 as one that does not exist.

use granttrail_domain::CommandKind;
use granttrail_store::Role;

use crate::{AppError, Caller};

/// Everything a caller can ask of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a command of this kind.
    Command(CommandKind),
    /// Read one project: its state at any point, events, audit trail,
    /// report, chain verification, bundle, inclusion proofs.
    ReadProject,
    /// List and search projects.
    ListProjects,
    /// Read the event feed of every project (paged and live).
    ReadEveryEvent,
    /// Export the audit trail of every project at once.
    ExportEveryProject,
    /// Read the transparency log's checkpoints and consistency proofs.
    ReadLog,
    /// Create, list and revoke tokens.
    ManageTokens,
    /// Add, list and disable users.
    ManageUsers,
    /// Import a paper past as recorded facts.
    ImportHistory,
}

impl Action {
    /// The action in words, for a refusal.
    fn describe(self) -> String {
        match self {
            Action::Command(kind) => format!("send {kind}"),
            Action::ReadProject => "read projects".into(),
            Action::ListProjects => "list projects".into(),
            Action::ReadEveryEvent => "read the event feed, which spans every organisation".into(),
            Action::ExportEveryProject => {
                "export every project, which spans every organisation".into()
            }
            Action::ReadLog => "read the transparency log".into(),
            Action::ManageTokens => "manage tokens".into(),
            Action::ManageUsers => "manage users".into(),
            Action::ImportHistory => "import history".into(),
        }
    }
}

/// Whether `role` may do `action` at all. The whole table, in one match.
pub fn role_permits(role: Role, action: Action) -> bool {
    use Action::*;
    match (role, action) {
        (Role::Admin, _) => true,
        (Role::Staff, ManageTokens | ManageUsers | ImportHistory) => false,
        (Role::Staff, _) => true,
        (Role::Auditor, Command(_) | ManageTokens | ManageUsers | ImportHistory) => false,
        (Role::Auditor, _) => true,
        (Role::Executor, Command(CommandKind::SubmitSelfReport)) => true,
        (
            Role::Executor,
            Command(_) | ReadEveryEvent | ExportEveryProject | ManageTokens | ManageUsers
            | ImportHistory,
        ) => false,
        (Role::Executor, ReadProject | ListProjects | ReadLog) => true,
    }
}

/// `Ok` when the caller's role permits `action`; else the 403 that says
/// which role may not do what.
pub fn permits(caller: &Caller, action: Action) -> Result<(), AppError> {
    if role_permits(caller.role(), action) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "the {} role may not {}",
            caller.role().as_str(),
            action.describe()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_and_admins_run_the_workflow_and_executors_submit_their_report() {
        for kind in CommandKind::ALL {
            let action = Action::Command(kind);
            assert!(role_permits(Role::Admin, action), "{kind}");
            assert!(role_permits(Role::Staff, action), "{kind}");
            assert!(!role_permits(Role::Auditor, action), "{kind}");
            assert_eq!(
                role_permits(Role::Executor, action),
                kind == CommandKind::SubmitSelfReport,
                "{kind}"
            );
        }
    }

    #[test]
    fn only_admins_manage_tokens() {
        for role in Role::ALL {
            assert_eq!(
                role_permits(role, Action::ManageTokens),
                role == Role::Admin,
                "{role:?}"
            );
        }
    }

    #[test]
    fn executors_never_read_across_organisations_in_bulk() {
        assert!(!role_permits(Role::Executor, Action::ReadEveryEvent));
        assert!(!role_permits(Role::Executor, Action::ExportEveryProject));
        assert!(role_permits(Role::Auditor, Action::ReadEveryEvent));
        assert!(role_permits(Role::Auditor, Action::ExportEveryProject));
    }

    #[test]
    fn a_refusal_names_the_role_and_the_action() {
        let auditor = Caller::for_tests("a-1", Role::Auditor, None);
        let refused = permits(&auditor, Action::Command(CommandKind::Finalize)).unwrap_err();
        assert_eq!(
            refused,
            AppError::Forbidden("the auditor role may not send finalize".into())
        );
    }
}
