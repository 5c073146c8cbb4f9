//! Two `granttrail serve` processes on one database, as behind a load
//! balancer, with clients racing commands against both: the database is
//! the only thing they share, and it is enough.
//!
//! Runs on the backend under test: PostgreSQL under `make test-postgres`
//! (the scale-out deployment), and on one SQLite file otherwise (two
//! processes on one host).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use granttrail_e2e::{Client, Server, read_events};
use serde_json::{Value, json};

const PROJECTS: usize = 8;
const ROUNDS: u64 = 3;
const RACERS: usize = 6;

async fn live_feed(
    server: &Server,
    token: &str,
) -> impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin {
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/events/stream"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes_stream()
}

async fn whole_list(client: &Client) -> Vec<Value> {
    let page = client.get("/api/v1/projects?limit=500").await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.json["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_agree_on_every_event() {
    let first = Server::start();
    let second = first.another();
    let token = first.token("staff", None);
    let clients = [Client::new(&first, &token), Client::new(&second, &token)];
    let mut feeds = [
        live_feed(&first, &token).await,
        live_feed(&second, &token).await,
    ];

    // Projects signed through both servers.
    let mut ids = Vec::new();
    for n in 0..PROJECTS {
        ids.push(clients[n % 2].sign_seed(None).await);
    }

    // Each round, racers on both servers send the same If-Match: exactly
    // one wins, whichever server it reached.
    let mut acknowledged: BTreeSet<(String, u64)> = ids.iter().map(|id| (id.clone(), 1)).collect();
    for round in 1..=ROUNDS {
        let mut racers = Vec::new();
        for id in &ids {
            for racer in 0..RACERS {
                let client = Client::new(if racer % 2 == 0 { &first } else { &second }, &token);
                let id = id.clone();
                racers.push(tokio::spawn(async move {
                    let body = json!({
                        "decided_on": format!("2022-10-{:02}", round),
                        "new_end": format!("2024-0{}-0{}", round, 1 + racer),
                        "reason": format!("round {round}, racer {racer}"),
                    });
                    let answer = client
                        .post(
                            &format!("/api/v1/projects/{id}/extensions"),
                            &body,
                            Some(round),
                        )
                        .await;
                    (id, answer)
                }));
            }
        }
        let mut winners: BTreeMap<String, usize> = BTreeMap::new();
        for racer in racers {
            let (id, answer) = racer.await.unwrap();
            match answer.status {
                200 => {
                    let version = round + 1;
                    assert_eq!(answer.etag, Some(format!("\"{version}\"")));
                    *winners.entry(id.clone()).or_default() += 1;
                    acknowledged.insert((id, version));
                }
                412 => assert_eq!(answer.etag, Some(format!("\"{}\"", round + 1))),
                other => panic!("racer got {other}: {}", answer.text),
            }
        }
        assert!(
            winners.len() == PROJECTS && winners.values().all(|w| *w == 1),
            "one winner per project in round {round}: {winners:?}"
        );
    }

    // No stream has two events with one version, and every acknowledged
    // event is there, whichever server is asked.
    for client in &clients {
        for id in &ids {
            let events = client.get(&format!("/api/v1/projects/{id}/events")).await;
            let versions: Vec<u64> = events
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["version"].as_u64().unwrap())
                .collect();
            assert_eq!(versions, (1..=ROUNDS + 1).collect::<Vec<_>>(), "{id}");
            for version in &versions {
                assert!(acknowledged.contains(&(id.clone(), *version)));
            }
        }
    }
    let total = PROJECTS * (ROUNDS as usize + 1);
    assert_eq!(acknowledged.len(), total);

    // Each server's live feed carries the same global sequence, which is
    // the paged feed's.
    let mut sequences = Vec::new();
    for feed in &mut feeds {
        sequences.push(read_events(feed, &mut String::new(), total).await);
    }
    let paged = clients[0].get("/api/v1/events?after=0&limit=1000").await;
    let paged: Vec<(i64, String)> = paged.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["position"].as_i64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(paged.len(), total);
    assert_eq!(sequences[0], paged, "the first server's live feed");
    assert_eq!(sequences[1], paged, "the second server's live feed");

    // One project list, the same from both, and equal to a rebuild.
    let listed = whole_list(&clients[0]).await;
    assert_eq!(listed.len(), PROJECTS);
    assert_eq!(whole_list(&clients[1]).await, listed);
    for item in &listed {
        assert_eq!(item["version"], ROUNDS + 1, "{item}");
    }
    let rebuilt = first.cli(&["rebuild"]);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert_eq!(whole_list(&clients[0]).await, listed, "equal to a rebuild");
    assert_eq!(whole_list(&clients[1]).await, listed);
}

/// Two servers integrate and sign one log: every event is one leaf, and
/// the checkpoints they sign form one series, each consistent with every
/// earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_sign_one_consistent_series_of_checkpoints() {
    use base64::Engine;
    let first = Server::start_with(&[("GRANTTRAIL_CHECKPOINT_INTERVAL_SECONDS", "1")]);
    let second = first.another();
    let token = first.token("staff", None);
    let clients = [Client::new(&first, &token), Client::new(&second, &token)];
    // Exports sign a checkpoint at once, on whichever server they reach.
    for n in 0..12 {
        let id = clients[n % 2].sign_seed(None).await;
        let bundle = clients[(n + 1) % 2]
            .get_raw(&format!("/api/v1/projects/{id}/export"))
            .await;
        assert_eq!(bundle.status(), 200);
    }
    let history = clients[0].get("/api/v1/log/checkpoints?limit=1000").await;
    let items = history.json["items"].as_array().unwrap().clone();
    assert!(items.len() >= 2, "{}", history.text);
    let key = clients[0].get("/api/v1/signing-key").await;
    let verifier =
        granttrail_tlog::note::NoteVerifier::parse(key.json["log_verifier_key"].as_str().unwrap())
            .unwrap();
    let checkpoints: Vec<granttrail_tlog::Checkpoint> = items
        .iter()
        .map(|item| {
            let note =
                granttrail_tlog::note::Note::parse(item["checkpoint"].as_str().unwrap()).unwrap();
            note.verify(&verifier).unwrap();
            granttrail_tlog::Checkpoint::parse(&note.text).unwrap()
        })
        .collect();
    // Sizes strictly grow, and every pair is consistent.
    for pair in checkpoints.windows(2) {
        assert!(pair[0].size < pair[1].size);
    }
    for (i, older) in checkpoints.iter().enumerate() {
        for newer in &checkpoints[i + 1..] {
            let proof = clients[1]
                .get(&format!(
                    "/api/v1/log/consistency?from={}&to={}",
                    older.size, newer.size
                ))
                .await;
            let proof: Vec<[u8; 32]> = proof.json["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    base64::engine::general_purpose::STANDARD
                        .decode(p.as_str().unwrap())
                        .unwrap()
                        .try_into()
                        .unwrap()
                })
                .collect();
            granttrail_tlog::verify::verify_consistency(
                older.size,
                newer.size,
                &proof,
                &older.root,
                &newer.root,
            )
            .unwrap();
        }
    }
    // Every event is exactly one leaf: the last checkpoint covers all 12.
    assert_eq!(checkpoints.last().unwrap().size, 12);
}
