//! The writer's hash ([`PreparedAppend::stored_events`], which splices
//! the writer's three members into a canonical form built ahead) is the
//! hash of the whole event canonicalised at once ([`chain::compute_hash`]),
//! for any event: any text (quotes, control characters, characters outside
//! the Basic Multilingual Plane, whose UTF-16 order differs from their
//! code-point order), any data, any version. The data text a store
//! keeps from the same preparation reads back as the same data.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use granttrail_domain::{BusinessDate, EncodedEvent};
use granttrail_store::{
    Actor, AppendRequest, ExpectedVersion, IdempotencyRecord, NewEvent, StreamHead, chain,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{0,8}",
        "\\PC{0,12}",
        any::<String>(),
        Just("\"\\\u{0}\u{1f}\u{7f}\u{2028}😀\u{ffff}".to_owned()),
    ]
}

fn data() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn actor() -> impl Strategy<Value = Actor> {
    (text(), text(), text(), proptest::option::of(text())).prop_map(|(id, name, role, org_id)| {
        Actor {
            id,
            name,
            role,
            org_id,
        }
    })
}

fn new_event() -> impl Strategy<Value = NewEvent> {
    (
        uuid(),
        text(),
        any::<u32>(),
        data(),
        1i32..9999,
        1u32..13,
        1u32..29,
    )
        .prop_map(
            |(event_id, event_type, schema_version, data, y, m, d)| NewEvent {
                event_id,
                event: EncodedEvent {
                    event_type,
                    schema_version,
                    data,
                },
                occurred_on: BusinessDate::from_ymd(y, m, d).unwrap(),
            },
        )
}

fn request() -> impl Strategy<Value = AppendRequest> {
    (
        uuid(),
        prop::collection::vec(new_event(), 1..4),
        actor(),
        uuid(),
        proptest::option::of(uuid()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(stream_id, events, actor, correlation_id, causation_id, key)| AppendRequest {
                stream_id,
                expected: ExpectedVersion::NoStream,
                events,
                actor: actor.clone(),
                correlation_id,
                causation_id,
                idempotency: key.map(|key| IdempotencyRecord {
                    key,
                    actor_id: actor.id,
                    fingerprint: String::new(),
                    stream_id,
                    status: 201,
                    etag: None,
                    body: String::new(),
                }),
                reserve_code: None,
                project_row: None,
            },
        )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..253_402_300_799_999_999).prop_map(|micros| Utc.timestamp_micros(micros).unwrap())
}

fn head() -> impl Strategy<Value = Option<StreamHead>> {
    proptest::option::of(
        (0u64..u64::MAX - 8, "[0-9a-f]{64}")
            .prop_map(|(version, hash)| StreamHead { version, hash }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_writers_hash_is_the_hash_of_the_whole_event(
        request in request(),
        head in head(),
        recorded_at in instant(),
        position in 0i64..1_000_000,
    ) {
        let prepared = request.prepare();
        let stored = prepared.stored_events(head.clone(), recorded_at, position);
        let mut prev_hash = head.map(|h| h.hash).unwrap_or_default();
        for (event, data) in stored.iter().zip(prepared.data_json()) {
            prop_assert_eq!(&serde_json::from_str::<Value>(data).unwrap(), &event.data);
            prop_assert_eq!(&event.prev_hash, &prev_hash);
            prop_assert_eq!(&event.hash, &chain::compute_hash(event));
            // The reader's member-by-member hash of a stored event agrees.
            prop_assert_eq!(&chain::stored_hash(event), &chain::compute_hash(event));
            prev_hash = event.hash.clone();
        }
    }
}
