//! Schemathesis against the whole API: the server on loopback (SQLite), a throwaway organization
//! filled with the demo data, and every check on for a bounded time. It fails on any 5xx, any
//! answer that breaks its documented schema, status or content type, and any request the
//! document allows that the server refuses for its shape (or the reverse).
//!
//! `scripts/test` installs schemathesis (`st`) from PyPI. Without it this test skips loudly,
//! except under `CI=true`, where that is a failure.
//!
//! Run alone, with its report: `cargo test -p fullhouse-server --test api schemathesis -- --nocapture`.
//! `FULLHOUSE_SCHEMATHESIS_SECONDS` changes the time budget (default 150 s).

use std::io::Write;
use std::process::{Command, Output};

use crate::common::*;
use fullhouse_core::Backend;
use fullhouse_ticketing::demo::{self, DemoOptions};
use serde_json::{json, Value};

/// The version `scripts/test` installs; the CLI flags below are those of 4.x.
const SCHEMATHESIS: &str = "st";

/// Operations the fuzzer must not call, because they would lock it out of the rest of the run:
/// - `logout` ends the session of the credential it is sent with;
/// - `revoke_api_token` can revoke the fuzzer's own token (its id is in `GET /api-tokens`);
/// - `update_user` and `delete_user` can disable, demote or delete the owner who made the
///   token, and a token dies with its creator.
///
/// Two deletions keep their resource readable by design, which the `use_after_free` check (a
/// deleted resource must answer 404) reports as a failure; schemathesis 4.32 applies a check to
/// every operation or none, so these two are left out rather than the check:
/// - `erase_customer` anonymizes a customer who bought tickets (the orders keep a buyer; it
///   answers `"outcome": "anonymized"`), so `GET /customers/{id}` still answers;
/// - `remove_segment` moves a segment to a bin it can be restored from (`removed_at`,
///   `POST /segments/{id}/restore`).
///
/// And one that would leave loopback:
/// - `test_mail_settings` connects to whatever SMTP host the fuzzer stored with
///   `PUT /settings/mail` (tests talk only to loopback addresses); its bounded answer is pinned
///   by `mail::the_smtp_connection_test_answers_alike_for_a_silent_and_a_closed_port`.
const EXCLUDED_OPERATIONS: [&str; 7] = [
    "logout",
    "revoke_api_token",
    "update_user",
    "delete_user",
    "erase_customer",
    "remove_segment",
    "test_mail_settings",
];

/// `positive_data_acceptance` expects a request the document allows to be accepted. The
/// document describes shapes; rules across fields or against stored data (a customer of this
/// organization, `ends_at` after `starts_at`, a file with a code column) cannot be written in JSON
/// Schema, and the answer to breaking one is `422 validation` (the document says so). So 422 is
/// an expected answer to a schema-valid request; a 400 (malformed body or id) still fails it.
///
/// In the stateful phase, links found by dependency analysis can put an id of one kind where
/// another is expected (a `shop_id` as a ticket type's `{id}`); the server's `400 invalid_id` is
/// then the right answer, so 400 is expected there too. The shapes are checked by the other phases.
///
/// No cache: schemathesis would otherwise keep a `.schemathesis/` directory of past crashes in
/// the crate and replay them, so a run would depend on the runs before it.
const CONFIG: &str = r#"
[cache]
enabled = false

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[phases.stateful.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
"#;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn installed() -> Option<String> {
    match Command::new(SCHEMATHESIS).arg("--version").output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => None,
    }
}

/// The demo organization (venues, seat maps, productions, events, customers, orders) in the
/// test's own database, plus a few objects of the kinds the demo has none of, and an owner API
/// token of that organization.
async fn throwaway_organization(app: &TestApp) -> String {
    let summary = demo::generate(
        &app.server.state.db,
        &DemoOptions {
            customers: 200,
            seed: 7,
        },
    )
    .await
    .expect("demo organization");
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": summary.admin_email, "password": summary.admin_password}))
        .send()
        .await
        .expect("login sent");
    let login: Value = response.json().await.expect("login answer");
    let session = login["token"].as_str().unwrap_or_default().to_string();
    let (status, token) = app
        .post(
            "/api/v1/api-tokens",
            &session,
            json!({"name": "schemathesis", "role": "owner"}),
        )
        .await;
    assert_eq!(status, 201, "{token}");
    let token = token["secret"].as_str().unwrap_or_default().to_string();
    seed(app, &token).await;
    token
}

async fn seed(app: &TestApp, token: &str) {
    let created = |path: &'static str, body: Value| async move {
        let (status, created) = app.post(path, token, body).await;
        assert_eq!(status, 201, "POST {path}: {created}");
        created["id"].as_str().unwrap_or_default().to_string()
    };
    let audience = created(
        "/api/v1/audiences",
        json!({"name": "Friends", "description": "for the fuzzer"}),
    )
    .await;
    let (status, member) = app
        .post(
            &format!("/api/v1/audiences/{audience}/members"),
            token,
            json!({"code": "FRIEND-1", "quantity": 2}),
        )
        .await;
    assert_eq!(status, 201, "{member}");
    let segment = created(
        "/api/v1/segments",
        json!({"name": "Everyone", "days_back": 30}),
    )
    .await;
    let (status, view) = app
        .post(
            &format!("/api/v1/segments/{segment}/views"),
            token,
            json!({"name": "All", "filters": []}),
        )
        .await;
    assert_eq!(status, 201, "{view}");
    let (status, upload) = app
        .upload(
            "/api/v1/uploads?name=codes.csv",
            token,
            "text/csv",
            b"code,quantity\nVIP-1,2\nVIP-2,1\n".to_vec(),
        )
        .await;
    assert_eq!(status, 201, "{upload}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_with_every_check_on() {
    let Some(version) = installed() else {
        let message =
            "the schemathesis test needs `st` (pip install schemathesis; scripts/test installs it)";
        if ci() {
            panic!("{message}");
        }
        eprintln!("SKIPPED: {message}");
        return;
    };
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let token = throwaway_organization(&app).await;
    let seconds = std::env::var("FULLHOUSE_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "150".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("schemathesis.toml");
    std::fs::File::create(&config)
        .and_then(|mut f| f.write_all(CONFIG.as_bytes()))
        .expect("config written");
    let mut command = Command::new(SCHEMATHESIS);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        // One worker and a fixed seed: with two, CPython 3.11 sometimes fails inside
        // schemathesis itself ("AST constructor recursion depth mismatch", a runtime error of the
        // tool, not a finding); the seed makes a CI failure reproducible with the same command.
        .args([
            "--checks",
            "all",
            "--workers",
            "1",
            "--seed",
            "13013",
            "--max-time",
            &seconds,
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .arg("--report-dir")
        .arg(dir.path().join("report"))
        .args(["--report", "junit"]);
    for operation in EXCLUDED_OPERATIONS {
        command.args(["--exclude-operation-id", operation]);
    }
    let output: Output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("schemathesis joined")
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{version}\n{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "schemathesis found failures (its report is above)"
    );
    app.finish().await;
}
