//! Deciding a batch: which queued appends commit, and what each writes.
//!
//! Pure: the writer reads the batch's [`Bearings`] inside its write
//! transaction, and [`plan`] answers every append from them alone, in
//! queue order, each seeing what the appends before it in the batch did.
//! A refused append writes nothing and never holds back its neighbours.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use granttrail_store::{
    AppendOutcome, CheckpointStep, ExpectedVersion, IdempotencyRecord, PreparedAppend, StoreError,
    StreamHead,
};
use uuid::Uuid;

/// What the database holds that a batch's appends are judged against,
/// read under the write lock (so it cannot change before the commit).
#[derive(Clone, Debug, Default)]
pub(crate) struct Bearings {
    /// Heads of the batch's streams that exist.
    pub(crate) heads: HashMap<Uuid, StreamHead>,
    /// The highest position ever assigned (SQLite's AUTOINCREMENT counter).
    pub(crate) last_position: i64,
    /// Recorded-at of the newest event: instants never go back along the
    /// log, even if the wall clock does.
    pub(crate) last_recorded: Option<DateTime<Utc>>,
    /// Idempotency records already kept under the batch's keys, by
    /// (actor, key).
    pub(crate) keys: HashMap<(String, String), IdempotencyRecord>,
    /// Holders of the batch's project codes, by code in lower case (codes
    /// compare without case).
    pub(crate) codes: HashMap<String, Uuid>,
    /// Where the project list's checkpoint stands (`None`: never run).
    pub(crate) project_list_at: Option<i64>,
}

/// What one batch writes, and the answer for each append.
#[derive(Debug)]
pub(crate) struct Plan {
    /// One per append, in queue order.
    pub(crate) answers: Vec<Result<AppendOutcome, StoreError>>,
    /// The instant every event of the batch is recorded at.
    pub(crate) recorded_at: DateTime<Utc>,
    /// Codes reserved, with their streams.
    pub(crate) codes: Vec<(String, Uuid)>,
    /// Idempotency records kept.
    pub(crate) records: Vec<IdempotencyRecord>,
    /// Project-list rows written with the events: the index of the
    /// append carrying each stream's newest.
    pub(crate) project_rows: Vec<usize>,
    /// The project list's checkpoint move, when the list was current up
    /// to the batch's first event and every accepted append carried its
    /// row: the batch leaves it current. Otherwise the runner catches up.
    pub(crate) project_list_step: Option<CheckpointStep>,
    /// The head of every stream the batch moved.
    pub(crate) heads: Vec<(Uuid, StreamHead)>,
    /// The last position the batch assigned (the bearings' if none).
    pub(crate) last_position: i64,
}

impl Plan {
    /// Whether any append was refused.
    pub(crate) fn refuses(&self) -> bool {
        self.answers.iter().any(Result::is_err)
    }

    /// Whether the batch writes anything at all.
    pub(crate) fn writes(&self) -> bool {
        self.answers
            .iter()
            .any(|a| matches!(a, Ok(AppendOutcome::Appended(_))))
    }
}

/// Decides every append of a batch (see the module docs); `now` is the
/// wall clock.
pub(crate) fn plan(appends: &[&PreparedAppend], bearings: &Bearings, now: DateTime<Utc>) -> Plan {
    let recorded_at = match bearings.last_recorded {
        Some(last) if now < last => last,
        _ => now,
    };
    let mut heads: HashMap<Uuid, StreamHead> = HashMap::new();
    let mut keys: HashMap<(String, String), IdempotencyRecord> = HashMap::new();
    let mut codes: HashMap<String, Uuid> = HashMap::new();
    let mut next_position = bearings.last_position + 1;
    let mut plan = Plan {
        answers: Vec::with_capacity(appends.len()),
        recorded_at,
        codes: Vec::new(),
        records: Vec::new(),
        project_rows: Vec::new(),
        project_list_step: None,
        heads: Vec::new(),
        last_position: bearings.last_position,
    };
    let mut rows: HashMap<Uuid, usize> = HashMap::new();
    let mut every_row_inline = true;
    for (index, append) in appends.iter().enumerate() {
        let request = &append.request;
        if let Some(record) = &request.idempotency {
            let key = (record.actor_id.clone(), record.key.clone());
            if let Some(previous) = keys.get(&key).or_else(|| bearings.keys.get(&key)) {
                plan.answers
                    .push(Ok(AppendOutcome::AlreadyDone(previous.clone())));
                continue;
            }
        }
        let head = heads
            .get(&request.stream_id)
            .or_else(|| bearings.heads.get(&request.stream_id))
            .cloned();
        let actual = head.as_ref().map_or(0, |h| h.version);
        let matches = match request.expected {
            ExpectedVersion::NoStream => head.is_none(),
            ExpectedVersion::Exact(v) => head.is_some() && actual == v,
        };
        if !matches {
            plan.answers.push(Err(StoreError::VersionConflict {
                stream_id: request.stream_id,
                expected: request.expected.as_u64(),
                actual,
            }));
            continue;
        }
        if let Some(code) = &request.reserve_code {
            let folded = code.to_ascii_lowercase();
            if let Some(holder) = codes.get(&folded).or_else(|| bearings.codes.get(&folded)) {
                plan.answers.push(Err(StoreError::DuplicateCode {
                    code: code.clone(),
                    holder: *holder,
                }));
                continue;
            }
            codes.insert(folded, request.stream_id);
            plan.codes.push((code.clone(), request.stream_id));
        }
        let events = append.chained(head, recorded_at, next_position);
        next_position += events.len() as i64;
        if let Some(last) = events.last() {
            heads.insert(
                request.stream_id,
                StreamHead {
                    version: last.version,
                    hash: last.hash.clone(),
                },
            );
        }
        if let Some(record) = &request.idempotency {
            keys.insert(
                (record.actor_id.clone(), record.key.clone()),
                record.clone(),
            );
            plan.records.push(record.clone());
        }
        match &request.project_row {
            Some(_) if !events.is_empty() => {
                rows.insert(request.stream_id, index);
            }
            _ => every_row_inline = false,
        }
        plan.answers.push(Ok(AppendOutcome::Appended(events)));
    }
    let first = bearings.last_position + 1;
    let last = next_position - 1;
    if last >= first && every_row_inline && bearings.project_list_at.unwrap_or(0) == first - 1 {
        plan.project_list_step = Some(CheckpointStep {
            from: first - 1,
            to: last,
        });
    }
    plan.project_rows = rows.into_values().collect();
    plan.project_rows.sort_unstable();
    plan.heads = heads.into_iter().collect();
    plan.last_position = next_position - 1;
    plan
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use granttrail_store::{AppendRequest, ProjectRow};
    use granttrail_store_conformance::{append, new_stream};

    use super::*;

    fn prepared(request: AppendRequest) -> PreparedAppend {
        request.prepare()
    }

    fn decide(appends: &[PreparedAppend], bearings: &Bearings) -> Plan {
        let refs: Vec<&PreparedAppend> = appends.iter().collect();
        plan(&refs, bearings, Utc::now())
    }

    fn appended(answer: &Result<AppendOutcome, StoreError>) -> &[granttrail_store::StoredEvent] {
        match answer {
            Ok(AppendOutcome::Appended(events)) => events,
            other => panic!("expected appended, got {other:?}"),
        }
    }

    fn keyed(mut request: AppendRequest, key: &str) -> AppendRequest {
        request.idempotency = Some(IdempotencyRecord {
            key: key.into(),
            actor_id: "tok-staff".into(),
            fingerprint: "f".into(),
            stream_id: request.stream_id,
            status: 201,
            etag: Some("\"1\"".into()),
            body: "{}".into(),
        });
        request
    }

    fn row_for(id: Uuid, version: u64) -> ProjectRow {
        ProjectRow {
            id,
            version,
            stage: "signed".into(),
            executor_org_id: "org".into(),
            planned_end: granttrail_domain::BusinessDate::parse("2022-10-10").unwrap(),
            overdue_from: None,
            signed_on: granttrail_domain::BusinessDate::parse("2022-05-11").unwrap(),
            search_text: String::new(),
            unresolved_flags: 0,
            state: granttrail_store::StateJson::of(&serde_json::json!({})).unwrap(),
        }
    }

    #[test]
    fn given_an_empty_log_new_streams_take_positions_in_queue_order() {
        let (a, b) = (new_stream(), new_stream());
        let plan = decide(
            &[
                prepared(append(a, ExpectedVersion::NoStream)),
                prepared(append(b, ExpectedVersion::NoStream)),
            ],
            &Bearings::default(),
        );
        assert_eq!(appended(&plan.answers[0])[0].position, 1);
        assert_eq!(appended(&plan.answers[1])[0].position, 2);
        assert!(plan.writes());
    }

    #[test]
    fn a_second_append_to_the_same_stream_in_a_batch_builds_on_the_first() {
        let id = new_stream();
        let plan = decide(
            &[
                prepared(append(id, ExpectedVersion::NoStream)),
                prepared(append(id, ExpectedVersion::Exact(1))),
            ],
            &Bearings::default(),
        );
        let (first, second) = (appended(&plan.answers[0]), appended(&plan.answers[1]));
        assert_eq!(second[0].version, 2);
        assert_eq!(second[0].prev_hash, first[0].hash);
        assert_eq!(plan.heads.len(), 1);
        assert_eq!((plan.heads[0].0, plan.heads[0].1.version), (id, 2));
        assert_eq!(plan.last_position, 2);
    }

    #[test]
    fn a_stale_expected_version_is_refused_alone() {
        let (taken, fresh) = (new_stream(), new_stream());
        let bearings = Bearings {
            heads: HashMap::from([(
                taken,
                StreamHead {
                    version: 3,
                    hash: "h".into(),
                },
            )]),
            last_position: 10,
            ..Bearings::default()
        };
        let plan = decide(
            &[
                prepared(append(taken, ExpectedVersion::Exact(2))),
                prepared(append(fresh, ExpectedVersion::NoStream)),
            ],
            &bearings,
        );
        assert!(matches!(
            plan.answers[0],
            Err(StoreError::VersionConflict {
                expected: 2,
                actual: 3,
                ..
            })
        ));
        assert_eq!(appended(&plan.answers[1])[0].position, 11);
    }

    #[test]
    fn a_used_idempotency_key_answers_with_its_record_and_writes_nothing() {
        let id = new_stream();
        let request = keyed(append(id, ExpectedVersion::NoStream), "k1");
        let record = request.idempotency.clone().unwrap();
        let bearings = Bearings {
            keys: HashMap::from([(
                (record.actor_id.clone(), record.key.clone()),
                record.clone(),
            )]),
            ..Bearings::default()
        };
        let plan = decide(&[prepared(request)], &bearings);
        assert_eq!(plan.answers[0], Ok(AppendOutcome::AlreadyDone(record)));
        assert!(!plan.writes() && plan.records.is_empty());
    }

    #[test]
    fn a_key_used_twice_in_one_batch_writes_once() {
        let (a, b) = (new_stream(), new_stream());
        let first = keyed(append(a, ExpectedVersion::NoStream), "k1");
        let again = keyed(append(b, ExpectedVersion::NoStream), "k1");
        let plan = decide(&[prepared(first), prepared(again)], &Bearings::default());
        assert!(matches!(plan.answers[1], Ok(AppendOutcome::AlreadyDone(_))));
        assert_eq!(plan.records.len(), 1);
    }

    #[test]
    fn a_code_is_held_once_whatever_its_case() {
        let (holder, a, b) = (new_stream(), new_stream(), new_stream());
        let mut first = append(a, ExpectedVersion::NoStream);
        first.reserve_code = Some("JT-2022-01".into());
        let mut second = append(b, ExpectedVersion::NoStream);
        second.reserve_code = Some("jt-2022-02".into());
        let bearings = Bearings {
            codes: HashMap::from([("jt-2022-02".to_owned(), holder)]),
            ..Bearings::default()
        };
        let plan = decide(&[prepared(first), prepared(second)], &bearings);
        assert!(plan.answers[0].is_ok());
        assert_eq!(
            plan.answers[1],
            Err(StoreError::DuplicateCode {
                code: "jt-2022-02".into(),
                holder
            })
        );
        assert_eq!(plan.codes, vec![("JT-2022-01".to_owned(), a)]);
    }

    #[test]
    fn recorded_at_never_goes_back_even_if_the_clock_does() {
        let later = Utc::now() + chrono::Duration::hours(1);
        let bearings = Bearings {
            last_recorded: Some(later),
            ..Bearings::default()
        };
        let plan = decide(
            &[prepared(append(new_stream(), ExpectedVersion::NoStream))],
            &bearings,
        );
        assert_eq!(plan.recorded_at, later);
    }

    #[test]
    fn the_project_list_moves_with_the_batch_only_when_it_was_current() {
        let id = new_stream();
        let mut request = append(id, ExpectedVersion::NoStream);
        request.project_row = Some(row_for(id, 1));
        let current = Bearings {
            last_position: 5,
            project_list_at: Some(5),
            ..Bearings::default()
        };
        let plan = decide(&[prepared(request.clone())], &current);
        assert_eq!(
            plan.project_list_step,
            Some(CheckpointStep { from: 5, to: 6 })
        );
        assert_eq!(plan.project_rows, vec![0]);

        let behind = Bearings {
            project_list_at: Some(4),
            ..current
        };
        let plan = decide(&[prepared(request)], &behind);
        assert_eq!(plan.project_list_step, None);
        assert_eq!(plan.project_rows.len(), 1, "rows still move forward");
    }

    #[test]
    fn an_append_without_its_row_leaves_the_checkpoint_to_the_runner() {
        let (a, b) = (new_stream(), new_stream());
        let mut with_row = append(a, ExpectedVersion::NoStream);
        with_row.project_row = Some(row_for(a, 1));
        let without = append(b, ExpectedVersion::NoStream);
        let plan = decide(
            &[prepared(with_row), prepared(without)],
            &Bearings::default(),
        );
        assert_eq!(plan.project_list_step, None);
    }
}
