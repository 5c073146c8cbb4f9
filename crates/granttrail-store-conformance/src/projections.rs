//! What every backend must do with the project list's rows and the
//! projections' checkpoints.

use std::sync::Arc;

use granttrail_domain::BusinessDate;
use granttrail_store::{
    CheckpointStep, EventStore, ExpectedVersion, ProjectFilter, ProjectRow, ProjectionStore, Saved,
    StateJson,
};
use serde_json::json;
use uuid::Uuid;

use crate::{append, new_stream};

/// Given a projection checkpoint at 0, when many runners save the same
/// step at once, then exactly one is saved and its rows land; a step from
/// a stale checkpoint writes nothing; the next step from the new one is
/// saved. This is what lets runners in several processes share a database
/// and still apply each event exactly once.
pub async fn checkpoint_steps_have_one_winner<S: ProjectionStore + ?Sized>(store: Arc<S>) {
    let name = "project_list";
    let row = |version: u64, stage: &str| ProjectRow {
        id: Uuid::from_u128(7),
        version,
        stage: stage.into(),
        executor_org_id: "org-a".into(),
        planned_end: BusinessDate::from_ymd(2023, 2, 28).unwrap(),
        overdue_from: None,
        signed_on: BusinessDate::from_ymd(2022, 5, 11).unwrap(),
        search_text: "jt-1\n全龄友好".into(),
        unresolved_flags: 0,
        state: StateJson::of(&json!({"version": version})).unwrap(),
    };
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let store = Arc::clone(&store);
            let rows = vec![row(2, &format!("racer-{n}"))];
            tokio::spawn(async move {
                store
                    .save_projects(name, &rows, CheckpointStep { from: 0, to: 10 })
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut saved = 0;
    for racer in racers {
        if racer.await.unwrap() == Saved::Written {
            saved += 1;
        }
    }
    assert_eq!(saved, 1, "one runner applies positions 1..=10");
    assert_eq!(store.checkpoint(name).await.unwrap(), 10);

    let stale = store
        .save_projects(name, &[row(9, "stale")], CheckpointStep { from: 0, to: 20 })
        .await
        .unwrap();
    assert_eq!(stale, Saved::Overtaken);
    let rows = store.load_projects(&[Uuid::from_u128(7)]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].stage.starts_with("racer-"),
        "the stale save wrote nothing"
    );
    assert_eq!(store.checkpoint(name).await.unwrap(), 10);

    let next = store
        .save_projects(name, &[row(3, "next")], CheckpointStep { from: 10, to: 20 })
        .await
        .unwrap();
    assert_eq!(next, Saved::Written);
    assert_eq!(store.checkpoint(name).await.unwrap(), 20);
    assert_eq!(
        store.load_projects(&[Uuid::from_u128(7)]).await.unwrap()[0].stage,
        "next"
    );
}

/// Given a stream whose appends carry their project-list rows, the list
/// holds each row as soon as its append is acknowledged; a row never
/// moves back to an older version, whoever writes it later (a runner
/// catching up).
pub async fn an_append_moves_its_project_row_forward_only<S>(store: Arc<S>)
where
    S: EventStore + ProjectionStore + ?Sized,
{
    let id = new_stream();
    let row = |version: u64| ProjectRow {
        id,
        version,
        stage: format!("stage-{version}"),
        executor_org_id: "org-a".into(),
        planned_end: BusinessDate::from_ymd(2023, 2, 28).unwrap(),
        overdue_from: BusinessDate::from_ymd(2023, 3, 1),
        signed_on: BusinessDate::from_ymd(2022, 5, 11).unwrap(),
        search_text: "全龄友好".into(),
        unresolved_flags: 0,
        state: StateJson::of(&json!({"version": version, "title": "全龄友好"})).unwrap(),
    };
    let mut first = append(id, ExpectedVersion::NoStream);
    first.project_row = Some(row(1));
    store.append(first).await.unwrap();
    assert_eq!(store.load_projects(&[id]).await.unwrap(), vec![row(1)]);
    let mut second = append(id, ExpectedVersion::Exact(1));
    second.project_row = Some(row(2));
    store.append(second).await.unwrap();
    assert_eq!(store.load_projects(&[id]).await.unwrap(), vec![row(2)]);

    let at = store.checkpoint("project_list").await.unwrap();
    let late = store
        .save_projects(
            "project_list",
            &[row(1)],
            CheckpointStep { from: at, to: at },
        )
        .await
        .unwrap();
    assert_eq!(late, Saved::Written);
    assert_eq!(
        store.load_projects(&[id]).await.unwrap(),
        vec![row(2)],
        "an older row never replaces a newer one"
    );
}

/// Given rows with their search text and signing dates, when the list is
/// searched, then it answers the rows whose text contains the search
/// (`%` and `_` in it match only themselves) signed within the range.
pub async fn the_list_is_searched_by_text_and_signing_date<S: ProjectionStore + ?Sized>(
    store: Arc<S>,
) {
    let day = |y, m, d| BusinessDate::from_ymd(y, m, d).unwrap();
    let row = |n: u128, text: &str, signed_on: BusinessDate| ProjectRow {
        id: Uuid::from_u128(n),
        version: 1,
        stage: "signed".into(),
        executor_org_id: "org-a".into(),
        planned_end: day(2030, 1, 1),
        overdue_from: None,
        signed_on,
        search_text: text.into(),
        unresolved_flags: if n == 3 { 2 } else { 0 },
        state: StateJson::of(&json!({"n": n as u64})).unwrap(),
    };
    let rows = [
        row(1, "jt-2022-07\n全龄友好社区\n小水滴", day(2022, 5, 11)),
        row(2, "jt-2023-01\n助老食堂\nanother-org", day(2023, 3, 1)),
        row(3, "100%_done\nx", day(2023, 9, 9)),
    ];
    store
        .save_projects("project_list", &rows, CheckpointStep { from: 0, to: 3 })
        .await
        .unwrap();
    let found = |search: Option<&str>, from: Option<BusinessDate>, to: Option<BusinessDate>| {
        let store = Arc::clone(&store);
        let filter = ProjectFilter {
            search: search.map(str::to_owned),
            signed_from: from,
            signed_to: to,
            limit: 50,
            ..ProjectFilter::default()
        };
        async move {
            let rows = store.list_projects(&filter).await.unwrap();
            rows.iter().map(|r| r.id.as_u128()).collect::<Vec<_>>()
        }
    };
    assert_eq!(found(Some("jt-20"), None, None).await, vec![1, 2]);
    assert_eq!(found(Some("小水滴"), None, None).await, vec![1]);
    assert_eq!(
        found(Some("JT-2023"), None, None).await,
        vec![2],
        "any case"
    );
    assert_eq!(found(Some("%"), None, None).await, vec![3], "% is itself");
    assert_eq!(found(Some("%_d"), None, None).await, vec![3]);
    assert_eq!(
        found(Some("jt_"), None, None).await,
        Vec::<u128>::new(),
        "_ is itself"
    );
    assert_eq!(
        found(None, Some(day(2023, 1, 1)), Some(day(2023, 6, 30))).await,
        vec![2]
    );
    assert_eq!(
        found(Some("jt"), Some(day(2022, 5, 11)), Some(day(2022, 5, 11))).await,
        vec![1],
        "the range includes its ends"
    );
    let flagged = |flagged: bool| {
        let store = Arc::clone(&store);
        let filter = ProjectFilter {
            flagged: Some(flagged),
            limit: 50,
            ..ProjectFilter::default()
        };
        async move {
            let rows = store.list_projects(&filter).await.unwrap();
            rows.iter().map(|r| r.id.as_u128()).collect::<Vec<_>>()
        }
    };
    assert_eq!(flagged(true).await, vec![3], "unresolved flags");
    assert_eq!(flagged(false).await, vec![1, 2]);
    let read = store
        .list_projects(&ProjectFilter {
            limit: 50,
            ..ProjectFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(read[2].unresolved_flags, 2, "the count reads back");
}
