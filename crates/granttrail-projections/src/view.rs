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
        etag_of(self.project.version)
    }
}

/// The `ETag` value of a project's state at `version`: the version, quoted.
pub fn etag_of(version: u64) -> String {
    format!("\"{version}\"")
}

/// The JSON of a [`ProjectView`], made from its project's JSON text as
/// `serde_json` writes a [`Project`] (`{"version":1,...}`).
///
/// A command serialises its new state once, for the project list's row;
/// its answer is the same members between the view's own two. The bytes
/// are those of `serde_json::to_string(&view)` (a test holds them equal),
/// without the project being cloned into a view and written a second time.
/// `None` if `state_json` is not an object's text.
pub fn view_json(id: Uuid, state_json: &str, overdue: bool) -> Option<String> {
    let members = state_json.strip_prefix('{')?.strip_suffix('}')?;
    let mut json = String::with_capacity(state_json.len() + 64);
    json.push_str("{\"id\":\"");
    json.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    json.push('"');
    if !members.is_empty() {
        json.push(',');
        json.push_str(members);
    }
    json.push_str(if overdue {
        ",\"overdue\":true}"
    } else {
        ",\"overdue\":false}"
    });
    Some(json)
}
