//! The persisted event shape: every event survives a serde round trip, and
//! data stored under an older schema version still decodes.

mod support;

use granttrail_domain::{DecodeError, EncodedEvent, ProjectEvent};
use serde_json::json;

#[test]
fn every_seed_event_round_trips_through_its_persisted_form() {
    let events = support::seed_events(8);
    let types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
    for name in [
        "ProjectSigned",
        "PeriodExtended",
        "SelfReportSubmitted",
        "SelfReportReviewed",
        "SiteVisited",
        "EvaluationDrafted",
        "EvaluationFinalized",
    ] {
        assert!(types.contains(&name), "the seed covers {name}");
    }
    for event in events {
        let encoded = event.encode();
        let text = serde_json::to_string(&encoded).unwrap();
        let read: EncodedEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(ProjectEvent::decode(&read).unwrap(), event);
    }
}

#[test]
fn event_data_holds_integers_and_strings_only_never_floats() {
    fn has_float(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) => !n.is_i64() && !n.is_u64(),
            serde_json::Value::Array(items) => items.iter().any(has_float),
            serde_json::Value::Object(fields) => fields.values().any(has_float),
            _ => false,
        }
    }
    for event in support::seed_events(8) {
        assert!(!has_float(&event.encode().data), "{}", event.event_type());
    }
}

#[test]
fn a_self_report_stored_as_schema_version_1_is_upcast() {
    let current = support::seed_events(3).pop().unwrap().encode();
    assert_eq!(current.schema_version, 2);
    let mut v1 = current.data.clone();
    let object = v1.as_object_mut().unwrap();
    let summary = object.remove("summary").unwrap();
    object.insert("narrative".into(), summary);
    object.remove("extra_outputs");
    let decoded = ProjectEvent::decode_parts("SelfReportSubmitted", 1, &v1).unwrap();
    let ProjectEvent::SelfReportSubmitted(report) = decoded else {
        panic!()
    };
    assert!(report.summary.starts_with("延续以居民需求为导向"));
    assert!(report.extra_outputs.is_empty());
}

#[test]
fn unknown_types_versions_and_shapes_are_typed_errors() {
    assert_eq!(
        ProjectEvent::decode_parts("ProjectCancelled", 1, &json!({})),
        Err(DecodeError::UnknownType("ProjectCancelled".into()))
    );
    assert!(matches!(
        ProjectEvent::decode_parts("SiteVisited", 9, &json!({})),
        Err(DecodeError::UnknownSchemaVersion {
            schema_version: 9,
            ..
        })
    ));
    assert!(matches!(
        ProjectEvent::decode_parts("SiteVisited", 1, &json!({"visited_on": 3})),
        Err(DecodeError::Malformed { .. })
    ));
}
