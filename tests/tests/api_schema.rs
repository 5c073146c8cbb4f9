//! The OpenAPI document against the real server, with schemathesis: every
//! answer to generated requests (valid and invalid) must be no 5xx, a
//! documented status, of a documented content type, and match the
//! documented schema.
//!
//! It needs `schemathesis` from PyPI, so the run is an ignored test:
//! `make test` reports it as ignored, and `make test-api-schema` — which
//! `.ci/run` calls after installing schemathesis — runs it, bounded to a
//! fixed number of examples and seed (well under two minutes).

#![allow(clippy::unwrap_used)]

use std::process::Command;

use granttrail_e2e::{Client, Server};

/// The checks that must report nothing.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// Runs schemathesis with `token` on the operations `filter` selects.
fn schemathesis(server: &Server, dir: &std::path::Path, token: &str, filter: &[&str]) {
    let out = Command::new("schemathesis")
        .current_dir(dir)
        .env("GRANTTRAIL_TOKEN", token)
        .args(["--config-file", "schemathesis.toml", "run", "openapi.json"])
        .args(["--url", &server.url("")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", "25", "--seed", "20221001"])
        .args(["--request-timeout", "10", "--no-color"])
        .args(filter)
        .output()
        .expect("schemathesis from PyPI is installed (`make test-api-schema` needs it)");
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{report}\n--- server log ---\n{}",
        server.log()
    );
    assert!(report.contains("passed"), "{report}");
}

#[tokio::test]
#[ignore = "needs schemathesis from PyPI: `make test-api-schema` (CI runs it)"]
async fn every_answer_matches_the_openapi_document() {
    let server = Server::start();
    let imported = server.import_seed();
    let seed_id = imported.split('\t').nth(1).unwrap().to_owned();

    let admin = Client::new(&server, &server.admin);
    let document = admin.get("/api/v1/openapi.json").await;
    assert_eq!(document.status, 200);
    let dir = server.dir.path();
    std::fs::write(dir.join("openapi.json"), &document.text).unwrap();
    // Path ids are the seed project's, so generated commands reach the
    // domain instead of stopping at 404.
    std::fs::write(
        dir.join("schemathesis.toml"),
        format!(
            "headers = {{ Authorization = \"Bearer ${{GRANTTRAIL_TOKEN}}\" }}\n\n\
             [parameters]\n\"path.id\" = \"{seed_id}\"\n"
        ),
    )
    .unwrap();

    // Everything but revoking a token, with the admin token. The live feed
    // never ends, so no response to it is ever complete; its 200 and its
    // refusals are checked by tests/feed.rs.
    schemathesis(
        &server,
        dir,
        &server.admin,
        &[
            "--exclude-path",
            "/api/v1/events/stream",
            "--exclude-path",
            "/api/v1/tokens/{id}",
        ],
    );
    // Revoking, with an admin token of its own: schemathesis may well
    // revoke the very token it uses, which is allowed.
    let revoker = server.token("admin", None);
    schemathesis(
        &server,
        dir,
        &revoker,
        &["--include-path", "/api/v1/tokens/{id}"],
    );
}
