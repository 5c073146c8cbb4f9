//! Many projects' paper past as a spreadsheet: the template the binary
//! writes is filled in, dry-run (every flag reported, nothing written) and
//! imported, as CSV through the CLI and as XLSX over HTTP; a cell that is
//! wrong is refused by its row and writes nothing.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server};
use serde_json::{Value, json};

/// The template as CSV rows (header first).
fn rows_of(csv_bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn csv_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).unwrap()
}

/// The template's example (the source project) and a second project of
/// the same shape whose completion date is right.
fn two_projects(template: &[u8]) -> Vec<u8> {
    let mut rows = rows_of(template);
    let (project, code, completed) = (
        column(&rows, "@project"),
        column(&rows, "code"),
        column(&rows, "completed_on"),
    );
    let mut second: Vec<Vec<String>> = rows[1..].to_vec();
    for row in &mut second {
        row[project] = "second".into();
        if !row[code].is_empty() {
            row[code] = "JTCF-2022-XGXD-02".into();
        }
        if !row[completed].is_empty() {
            row[completed] = "2023-02-10".into();
        }
    }
    rows.extend(second);
    csv_of(&rows)
}

#[tokio::test]
async fn a_sheet_of_two_projects_is_dry_run_then_imported_through_the_cli() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.csv");
    let written = server.cli(&["history-template", template.to_str().unwrap()]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let bulk = dir.path().join("bulk.csv");
    std::fs::write(&bulk, two_projects(&std::fs::read(&template).unwrap())).unwrap();

    let dry = server.cli(&[
        "import",
        "--historical",
        bulk.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(report["projects"][0]["ref"], "source");
    assert_eq!(
        report["projects"][0]["flags"][0]["message"],
        "completion precedes signing (2022-05-11); likely 2023-02-10"
    );
    assert_eq!(report["projects"][1]["ref"], "second");
    assert_eq!(report["projects"][1]["flags"], json!([]));
    assert_eq!(
        staff.get("/api/v1/projects").await.json["items"],
        json!([]),
        "a dry run writes nothing"
    );

    let done = server.cli(&["import", "--historical", bulk.to_str().unwrap()]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    let source = report["projects"][0]["id"].as_str().unwrap();
    let second = report["projects"][1]["id"].as_str().unwrap();
    let state = staff.get(&format!("/api/v1/projects/{source}")).await;
    assert_eq!(state.json["stage"], "finalized");
    assert_eq!(state.json["self_report"]["completed_on"], "2022-02-10");
    assert_eq!(state.json["imported"]["file_name"], "bulk.csv");
    let state = staff.get(&format!("/api/v1/projects/{second}")).await;
    assert_eq!(state.json["code"], "JTCF-2022-XGXD-02");
    assert!(
        state.json["data_quality"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{}",
        state.text
    );
    let flagged = staff.get("/api/v1/projects?flagged=true").await;
    assert_eq!(flagged.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(flagged.json["items"][0]["id"], source);
}

async fn post_import(client: &Client, query: &str, body: Vec<u8>) -> Answer {
    let request = client
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/imports/historical{query}"),
        )
        .body(body);
    granttrail_e2e::answer(request.send().await.unwrap()).await
}

async fn template(client: &Client, format: &str) -> (u16, String, Vec<u8>) {
    let response = client
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/imports/historical/template?format={format}"),
        )
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, media, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn admins_fetch_the_template_and_import_a_workbook_over_http() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let staff = Client::new(&server, &server.token("staff", None));
    assert_eq!(template(&staff, "xlsx").await.0, 403);
    assert_eq!(template(&admin, "ods").await.0, 400);
    let (status, media, workbook) = template(&admin, "xlsx").await;
    assert_eq!(status, 200);
    assert_eq!(
        media,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    let dry = post_import(
        &admin,
        "?dry_run=true&file_name=history.xlsx",
        workbook.clone(),
    )
    .await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(
        dry.json["projects"][0]["flags"][0]["fields"],
        json!(["/completed_on"])
    );
    assert_eq!(staff.get("/api/v1/projects").await.json["items"], json!([]));

    let imported = post_import(&admin, "?file_name=history.xlsx", workbook).await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    let id = imported.json["projects"][0]["id"].as_str().unwrap();
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.json["imported"]["file_name"], "history.xlsx");
    assert_eq!(state.json["indicators"][8]["target"], 100);
}

#[tokio::test]
async fn a_wrong_cell_is_refused_by_its_row_and_writes_nothing() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let (_, _, csv_template) = template(&admin, "csv").await;
    let mut rows = rows_of(&csv_template);
    let target = column(&rows, "indicators.0.target");
    rows[1][target] = "fifty".into();
    let refused = post_import(&admin, "?file_name=bad.csv", csv_of(&rows)).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.json["code"], "import-refused");
    let detail = refused.json["detail"].as_str().unwrap();
    assert!(detail.contains("row 2"), "{detail}");
    assert!(detail.contains("indicators"), "{detail}");

    let mut rows = rows_of(&csv_template);
    let command = column(&rows, "@command");
    rows[3][command] = "sgn".into();
    let refused = post_import(&admin, "?dry_run=true", csv_of(&rows)).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap()
            .contains("row 4: its @command 'sgn' is no command"),
        "{}",
        refused.text
    );
    let listed = Client::new(&server, &server.token("staff", None))
        .get("/api/v1/projects")
        .await;
    assert_eq!(listed.json["items"], json!([]));
}
