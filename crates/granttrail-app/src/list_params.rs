//! The project list's parameters as a query string gives them (the API's
//! or a page's), read into a [`ProjectListQuery`] once, for both.

use granttrail_domain::{BusinessDate, Stage};

use crate::AppError;
use crate::projection::ProjectListQuery;

/// The list's parameters as they arrive in a query string (the API's or a
/// page's), before they are read.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Search text.
    pub q: Option<String>,
    /// A stage name.
    pub stage: Option<String>,
    /// An executor's organisation id.
    pub executor: Option<String>,
    /// `true` or `false`.
    pub overdue: Option<String>,
    /// First signing date, `YYYY-MM-DD`.
    pub signed_from: Option<String>,
    /// Last signing date, `YYYY-MM-DD`.
    pub signed_to: Option<String>,
    /// `true` or `false`: unresolved data-quality flags.
    #[serde(default)]
    pub flagged: Option<String>,
    /// Page size, 1 to 500 (50).
    pub limit: Option<String>,
    /// The last id of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    /// Reads the parameters; an empty one counts as absent. A bad one is
    /// `AppError::BadParameter` naming it.
    pub fn parse(self) -> Result<ProjectListQuery, AppError> {
        let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        let bad = |parameter: &str, message: String| AppError::BadParameter {
            parameter: parameter.to_owned(),
            message,
        };
        let stage = given(self.stage)
            .map(|s| {
                Stage::parse(&s).ok_or_else(|| {
                    let known: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
                    bad(
                        "stage",
                        format!("'{s}' is not a stage; use one of {}", known.join(", ")),
                    )
                })
            })
            .transpose()?;
        let yes_or_no = |value: Option<String>, name: &str| match given(value).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(bad(name, format!("'{other}' is not true or false"))),
        };
        let overdue = yes_or_no(self.overdue, "overdue")?;
        let flagged = yes_or_no(self.flagged, "flagged")?;
        let date = |value: Option<String>, name: &str| {
            given(value)
                .map(|d| BusinessDate::parse(d.trim()).map_err(|e| bad(name, e)))
                .transpose()
        };
        let limit = match given(self.limit) {
            None => 50,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=500).contains(l))
                .ok_or_else(|| bad("limit", format!("'{l}' is not a limit from 1 to 500")))?,
        };
        let cursor = given(self.cursor)
            .map(|c| {
                c.parse()
                    .map_err(|_| bad("cursor", "the cursor is not one this server issued".into()))
            })
            .transpose()?;
        let search = given(self.q).map(|q| q.trim().to_owned());
        if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(bad("q", "search for at most 200 characters".into()));
        }
        Ok(ProjectListQuery {
            stage,
            executor: given(self.executor),
            overdue,
            search,
            signed_from: date(self.signed_from, "signed_from")?,
            signed_to: date(self.signed_to, "signed_to")?,
            flagged,
            limit,
            cursor,
        })
    }
}
