//! The state of a project as clients see it.

use granttrail_domain::{BusinessDate, Project};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A project's state with its id and today's overdue flag, in the shape
/// clients rely on (docs/api.md, "Reads").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectView {
    /// The project (stream) id.
    pub id: Uuid,
    /// The folded state.
    #[serde(flatten)]
    pub project: Project,
    /// Planned end passed and no self-report yet, judged against `today`.
    pub overdue: bool,
}

impl ProjectView {
    /// The view of `project` on `today`.
    pub fn new(id: Uuid, project: Project, today: BusinessDate) -> ProjectView {
        let overdue = project.is_overdue(today);
        ProjectView {
            id,
            project,
            overdue,
        }
    }

    /// The `ETag` value of this state: its version, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.project.version)
    }
}
