//! Tranches over HTTP: scheduled at signing, released when their condition
//! holds, shown in the state and the list.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands};
use serde_json::json;

#[tokio::test]
async fn a_tranche_is_released_when_its_condition_holds_and_the_list_shows_the_amounts() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let mut sign = seed_commands()[0].1.clone();
    sign["funding"]["grant_amount"] = json!("50000.00");
    sign["funding"]["currency"] = json!("CNY");
    sign["funding"]["tranches"] = json!([
        {"amount": "30000.00", "condition": {"on": "signing"}},
        {"amount": "20000.00", "condition": {"on": "accepted_self_report"}}
    ]);
    let signed = staff.post("/api/v1/projects", &sign, None).await;
    assert_eq!(signed.status, 201, "{}", signed.text);
    let id = signed.json["id"].as_str().unwrap().to_owned();
    let releases = format!("/api/v1/projects/{id}/tranche-releases");

    let early = staff
        .post(
            &releases,
            &json!({"released_on": "2022-05-20", "tranche": 2}),
            Some(1),
        )
        .await;
    assert_eq!(early.status, 422, "{}", early.text);
    assert_eq!(early.json["errors"][0]["code"], "condition-unmet");
    assert!(
        early.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("accepted self-report"),
        "{}",
        early.text
    );
    let released = staff
        .post(
            &releases,
            &json!({"released_on": "2022-05-20", "tranche": 1}),
            Some(1),
        )
        .await;
    assert_eq!(released.status, 200, "{}", released.text);
    assert_eq!(released.json["tranches"][0]["state"], "released");
    assert_eq!(released.json["tranche_totals"]["released"], "30000.00");
    assert_eq!(released.json["tranche_totals"]["scheduled"], "20000.00");

    let listed = staff.get("/api/v1/projects").await;
    assert_eq!(
        listed.json["items"][0]["tranche_totals"]["released"], "30000.00",
        "{}",
        listed.text
    );
    let trail = staff
        .get(&format!("/api/v1/projects/{id}/audit-trail"))
        .await;
    assert_eq!(trail.json[1]["event_type"], "TrancheReleased");
}
