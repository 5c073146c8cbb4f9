//! A command's answer is spliced from its state's JSON text: it must be
//! the very bytes of the view serialised whole, at every step of a life.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::BusinessDate;
use granttrail_projections::{PointInTime, ProjectView, state_at, view_json};
use support::seed_with_midterm;

#[test]
fn the_spliced_answer_is_the_view_serialised_whole_at_every_version() {
    let events = seed_with_midterm();
    let id = events[0].stream_id;
    for version in 1..=events.len() {
        let project = state_at(&events[..version], PointInTime::Latest)
            .unwrap()
            .unwrap();
        // Before, on and after the planned end: overdue both ways.
        for today in ["2022-05-11", "2022-10-11", "2030-01-01"] {
            let view = ProjectView::new(id, project.clone(), BusinessDate::parse(today).unwrap());
            let state_json = serde_json::to_string(&project).unwrap();
            assert_eq!(
                view_json(id, &state_json, view.overdue).unwrap(),
                serde_json::to_string(&view).unwrap(),
                "version {version}, today {today}"
            );
        }
    }
}

#[test]
fn text_that_is_not_an_object_makes_no_view() {
    let id = uuid::Uuid::nil();
    assert_eq!(view_json(id, "[]", false), None);
    assert_eq!(view_json(id, "\"x\"", false), None);
    assert_eq!(
        view_json(id, "{}", true).unwrap(),
        r#"{"id":"00000000-0000-0000-0000-000000000000","overdue":true}"#
    );
}
