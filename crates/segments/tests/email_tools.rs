//! The email-tool clients against local servers on 127.0.0.1 that check each request's shape
//! (path, authentication, body fields, batch size) and answer the way the real service does:
//! per-record refusals, a 429 before a success, asynchronous import jobs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use base64::Engine;
use fullhouse_segments::connectors::tools::{
    http_client, klaviyo, mailchimp, webhook, BatchOutcome, Brevo, Contact, EmailTool, Klaviyo,
    Mailchimp, Retry, Webhook,
};
use serde_json::{json, Value};

/// One request as the fake service saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    raw: Bytes,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// What the fake service answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body,
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Serves `script` (the request, how many came before it) on a free loopback port.
async fn fake(script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> (String, Log) {
    let log: Log = Arc::default();
    let script = Arc::new(script);
    let seen_log = log.clone();
    let app = Router::new()
        .fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, raw: Bytes| {
                let log = seen_log.clone();
                let script = script.clone();
                async move {
                    let seen = Seen {
                        method,
                        path: uri.path().to_string(),
                        query: uri.query().unwrap_or("").to_string(),
                        headers,
                        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
                        raw,
                    };
                    let before = {
                        let mut log = log.lock().expect("log");
                        log.push(seen.clone());
                        log.len() - 1
                    };
                    let a = script(&seen, before);
                    let mut response = (
                        StatusCode::from_u16(a.status).expect("status"),
                        a.body.to_string(),
                    )
                        .into_response();
                    for (name, value) in a.headers {
                        response
                            .headers_mut()
                            .insert(name, value.parse().expect("header value"));
                    }
                    response
                }
            },
        )
        // A 10,000-profile import is a few MB, more than axum takes by default.
        .layer(axum::extract::DefaultBodyLimit::max(32 << 20));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().expect("log").clone()
}

fn quick() -> Retry {
    Retry {
        attempts: 3,
        first_pause: Duration::from_millis(10),
        longest_pause: Duration::from_secs(3),
    }
}

/// `n` customers; every 100th has an address the fake services refuse.
fn contacts(n: usize) -> Vec<Contact> {
    (0..n)
        .map(|i| Contact {
            customer_id: format!("cust{i:05}"),
            email: if i % 100 == 7 {
                format!("bad{i}@example")
            } else {
                format!("person{i}@example.dk")
            },
            first_name: Some(format!("Åse{i}")),
            last_name: (i % 2 == 0).then(|| "Ørsted".to_string()),
            phone: (i % 3 == 0).then(|| format!("+4520{i:06}")),
            language: Some("da".into()),
            country: Some("DK".into()),
            postal_code: Some("8000".into()),
            city: Some("Aarhus".into()),
            tags: vec!["Jazz 2026".into()],
        })
        .collect()
}

/// What the push job does: the contacts in the tool's batches, outcomes summed.
async fn push_all(
    tool: &dyn EmailTool,
    contacts: &[Contact],
) -> fullhouse_core::Result<BatchOutcome> {
    let mut total = BatchOutcome::default();
    for batch in contacts.chunks(tool.batch_size()) {
        let outcome = tool.push(batch).await?;
        total.accepted += outcome.accepted;
        total.rejected.extend(outcome.rejected);
    }
    Ok(total)
}

fn refused_ids(outcome: &BatchOutcome) -> Vec<String> {
    let mut ids: Vec<String> = outcome
        .rejected
        .iter()
        .map(|r| r.customer_id.clone())
        .collect();
    ids.sort();
    ids
}

// --- Mailchimp ---------------------------------------------------------------------------

/// Mailchimp's batch subscribe: refuses the `bad…` addresses, counts the rest as created.
fn mailchimp_answer(seen: &Seen) -> Answer {
    let members = seen.body["members"].as_array().cloned().unwrap_or_default();
    let (bad, good): (Vec<_>, Vec<_>) = members
        .iter()
        .partition(|m| m["email_address"].as_str().unwrap_or("").starts_with("bad"));
    let errors: Vec<Value> = bad
        .iter()
        .map(|m| {
            json!({
                "email_address": m["email_address"],
                "error": format!("{} looks fake or invalid, please enter a real email address.", m["email_address"].as_str().unwrap_or("")),
                "error_code": "ERROR_GENERIC",
                "field": "email_address",
                "field_message": ""
            })
        })
        .collect();
    answer(
        200,
        json!({
            "new_members": good,
            "updated_members": [],
            "errors": errors,
            "total_created": good.len(),
            "total_updated": 0,
            "error_count": errors.len()
        }),
    )
}

#[tokio::test]
async fn mailchimp_subscribes_in_batches_of_500_with_basic_auth_and_reports_refused_members() {
    let (base, log) = fake(|seen, _| mailchimp_answer(seen)).await;
    let key = "0123456789abcdef0123456789abcdef-us21";
    let tool = Mailchimp::new(http_client(), Some(&base), key, "a1b2c3d4")
        .expect("client")
        .with_retry(quick());
    let people = contacts(1_201);

    let outcome = push_all(&tool, &people).await.expect("pushed");

    let requests = seen(&log);
    assert_eq!(requests.len(), 3, "1,201 members are 500 + 500 + 201");
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("fullhouse:{key}"))
    );
    for r in &requests {
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.path, "/3.0/lists/a1b2c3d4");
        assert_eq!(r.header("authorization"), expected_auth);
        assert_eq!(r.body["update_existing"], true);
        assert!(r.body["members"].as_array().expect("members").len() <= 500);
    }
    let first = &requests[0].body["members"][0];
    assert_eq!(first["email_address"], "person0@example.dk");
    assert_eq!(first["status_if_new"], "subscribed");
    assert_eq!(first["status"], "subscribed");
    assert_eq!(
        first["merge_fields"],
        json!({"FNAME": "Åse0", "LNAME": "Ørsted", "PHONE": "+4520000000"})
    );
    assert_eq!(first["language"], "da");
    assert_eq!(first["tags"], json!(["Jazz 2026"]));
    assert_eq!(
        requests[0].body["members"][1]["merge_fields"],
        json!({"FNAME": "Åse1"}),
        "a customer without last name or phone sends neither"
    );

    assert_eq!(outcome.accepted, 1_201 - 12);
    assert_eq!(refused_ids(&outcome).len(), 12);
    assert_eq!(refused_ids(&outcome)[0], "cust00007");
    assert!(outcome.rejected[0].reason.contains("looks fake or invalid"));
    assert!(outcome.rejected[0].reason.ends_with("(ERROR_GENERIC)"));
    assert_eq!(
        mailchimp::member_id("Person0@Example.dk"),
        mailchimp::member_id("person0@example.dk")
    );
}

#[tokio::test]
async fn mailchimp_waits_as_long_as_retry_after_says_after_a_429_then_succeeds() {
    let (base, log) = fake(|seen, before| {
        if before == 0 {
            Answer {
                status: 429,
                headers: vec![("retry-after", "1".into())],
                body: json!({"title": "Too Many Requests", "status": 429}),
            }
        } else {
            mailchimp_answer(seen)
        }
    })
    .await;
    let tool = Mailchimp::new(http_client(), Some(&base), "k-us1", "list1")
        .expect("client")
        .with_retry(quick());
    let started = Instant::now();

    let outcome = tool.push(&contacts(3)).await.expect("pushed after the 429");

    assert_eq!(outcome.accepted, 3);
    assert_eq!(seen(&log).len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test]
async fn mailchimp_refusing_the_key_fails_the_call_with_its_message() {
    let (base, log) = fake(|_, _| {
        answer(
            401,
            json!({"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "API Key Invalid", "status": 401, "detail": "Your API key may be invalid, or you've attempted to access the wrong datacenter."}),
        )
    })
    .await;
    let tool = Mailchimp::new(http_client(), Some(&base), "k-us1", "list1")
        .expect("client")
        .with_retry(quick());

    let err = tool.push(&contacts(2)).await.expect_err("refused");

    let message = err.to_string();
    assert!(message.contains("Mailchimp answered 401"), "{message}");
    assert!(message.contains("API Key Invalid"), "{message}");
    assert_eq!(seen(&log).len(), 1, "a 4xx is not tried again");
}

#[tokio::test]
async fn a_service_failing_three_times_fails_the_call_after_three_attempts() {
    let (base, log) = fake(|_, _| answer(503, json!({"detail": "maintenance"}))).await;
    let tool = Mailchimp::new(http_client(), Some(&base), "k-us1", "list1")
        .expect("client")
        .with_retry(quick());

    let err = tool.push(&contacts(2)).await.expect_err("unavailable");

    assert_eq!(seen(&log).len(), 3);
    assert!(err.to_string().contains("503"), "{err}");
    assert!(err.to_string().contains("maintenance"), "{err}");
}

// --- Klaviyo -----------------------------------------------------------------------------

#[tokio::test]
async fn klaviyo_imports_10000_profiles_per_job_waits_for_it_and_reads_every_page_of_errors() {
    // Each job: created → processing once → complete; its errors on two pages.
    let (base, log) = fake(|seen, _| {
        let host = seen.header("host").to_string();
        match (seen.method.as_str(), seen.path.as_str()) {
            ("POST", "/api/profile-bulk-import-jobs") => {
                let n = seen.body["data"]["attributes"]["profiles"]["data"]
                    .as_array()
                    .map_or(0, Vec::len);
                answer(
                    202,
                    json!({"data": {"type": "profile-bulk-import-job", "id": format!("job{n}"),
                        "attributes": {"status": "queued", "total_count": n, "completed_count": 0, "failed_count": 0}}}),
                )
            }
            ("GET", path) if path.ends_with("/import-errors") => {
                let job = path.split('/').nth(3).unwrap_or("").to_string();
                let size: usize = job.trim_start_matches("job").parse().unwrap_or(0);
                let bad: Vec<usize> = (0..size).filter(|i| i % 100 == 7).collect();
                let on_second = seen.query.contains("page");
                let half = bad.len() / 2;
                let shown = if on_second { &bad[half..] } else { &bad[..half] };
                let data: Vec<Value> = shown
                    .iter()
                    .map(|i| {
                        json!({"type": "import-error", "id": format!("e{i}"), "attributes": {
                            "code": "invalid", "title": "Invalid input.",
                            "detail": "Invalid email address",
                            "source": {"pointer": format!("/data/attributes/profiles/data/{i}/attributes/email")},
                            "original_payload": {"email": format!("bad{i}@example")}}})
                    })
                    .collect();
                let next = (!on_second).then(|| format!("http://{host}{path}?page%5Bcursor%5D=2"));
                answer(200, json!({"data": data, "links": {"self": "", "next": next}}))
            }
            ("GET", path) => {
                let id = path.rsplit('/').next().unwrap_or("");
                let looks = seen_gets(seen);
                let status = if looks < 1 { "processing" } else { "complete" };
                answer(
                    200,
                    json!({"data": {"type": "profile-bulk-import-job", "id": id, "attributes": {"status": status}}}),
                )
            }
            _ => answer(404, json!({"errors": [{"detail": "no such route"}]})),
        }
    })
    .await;
    let tool = Klaviyo::new(http_client(), Some(&base), "pk_test123", "Y6nRLr")
        .expect("client")
        .with_retry(quick())
        .with_polling(Duration::from_millis(10), Duration::from_secs(10));
    // 10,000 in the first job and 250 in the second; the second's refusals are at its own
    // places 7, 107, 207, so the contacts are numbered per job in this test.
    let mut people = contacts(10_000);
    people.extend(contacts(250).into_iter().map(|mut c| {
        c.customer_id = format!("second-{}", c.customer_id);
        c
    }));

    let outcome = push_all(&tool, &people).await.expect("pushed");

    let requests = seen(&log);
    let posts: Vec<&Seen> = requests
        .iter()
        .filter(|r| r.method == Method::POST)
        .collect();
    assert_eq!(posts.len(), 2);
    for r in &requests {
        assert_eq!(r.header("authorization"), "Klaviyo-API-Key pk_test123");
        assert_eq!(r.header("revision"), klaviyo::REVISION);
        assert_eq!(r.header("accept"), "application/vnd.api+json");
    }
    assert_eq!(posts[0].header("content-type"), "application/vnd.api+json");
    let profiles = posts[0].body["data"]["attributes"]["profiles"]["data"]
        .as_array()
        .expect("profiles");
    assert_eq!(profiles.len(), 10_000);
    assert_eq!(
        posts[0].body["data"]["relationships"]["lists"]["data"],
        json!([{"type": "list", "id": "Y6nRLr"}])
    );
    assert_eq!(
        profiles[0]["attributes"],
        json!({"email": "person0@example.dk", "first_name": "Åse0", "last_name": "Ørsted",
            "phone_number": "+4520000000",
            "location": {"country": "DK", "zip": "8000", "city": "Aarhus"},
            "properties": {"fullhouse_customer_id": "cust00000", "language": "da", "fullhouse_tags": ["Jazz 2026"]}})
    );
    let error_pages = requests
        .iter()
        .filter(|r| r.path.ends_with("/import-errors"))
        .count();
    assert_eq!(error_pages, 4, "two pages of errors for each job");

    assert_eq!(outcome.rejected.len(), 100 + 3);
    assert_eq!(outcome.accepted, 10_250 - 103);
    let ids = refused_ids(&outcome);
    assert_eq!(ids[0], "cust00007");
    assert!(ids.contains(&"second-cust00207".to_string()));
    assert_eq!(
        outcome.rejected[0].reason,
        "Invalid input. — Invalid email address — invalid"
    );
}

/// How many times this path (one job or process: their ids differ between tests) was looked
/// at before, so a fake reports "still working" once and "done" after.
fn seen_gets(seen: &Seen) -> usize {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static LOOKS: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    let mut looks = LOOKS.get_or_init(Mutex::default).lock().expect("looks");
    let count = looks.entry(seen.path.clone()).or_insert(0);
    *count += 1;
    *count - 1
}

// --- Brevo -------------------------------------------------------------------------------

#[tokio::test]
async fn brevo_imports_into_the_list_and_waits_for_its_process() {
    let (base, log) = fake(|seen, _| match (seen.method.as_str(), seen.path.as_str()) {
        ("POST", "/v3/contacts/import") => answer(202, json!({"processId": 78})),
        ("GET", "/v3/processes/78") => {
            let looks = seen_gets(seen);
            let status = if looks < 1 { "in_process" } else { "completed" };
            answer(
                200,
                json!({"id": 78, "name": "import_contacts", "status": status}),
            )
        }
        _ => answer(404, json!({"code": "document_not_found", "message": "no"})),
    })
    .await;
    let tool = Brevo::new(http_client(), Some(&base), "xkeysib-abc", "12")
        .expect("client")
        .with_retry(quick())
        .with_polling(Duration::from_millis(10), Duration::from_secs(10));
    let people = contacts(5_001);

    let outcome = push_all(&tool, &people).await.expect("pushed");

    let requests = seen(&log);
    let imports: Vec<&Seen> = requests
        .iter()
        .filter(|r| r.method == Method::POST)
        .collect();
    assert_eq!(imports.len(), 2, "5,001 contacts are 5,000 + 1");
    for r in &requests {
        assert_eq!(r.header("api-key"), "xkeysib-abc");
    }
    let body = &imports[0].body;
    assert_eq!(body["listIds"], json!([12]));
    assert_eq!(body["updateExistingContacts"], true);
    assert_eq!(body["jsonBody"].as_array().map(Vec::len), Some(5_000));
    assert_eq!(
        body["jsonBody"][0],
        json!({"email": "person0@example.dk", "attributes": {"FIRSTNAME": "Åse0", "LASTNAME": "Ørsted", "SMS": "+4520000000"}})
    );
    assert!(requests.iter().any(|r| r.path == "/v3/processes/78"));
    assert_eq!(outcome.accepted, 5_001);
    assert!(
        outcome.rejected.is_empty(),
        "Brevo reports refusals only in its own files"
    );
}

// --- Webhook -----------------------------------------------------------------------------

#[tokio::test]
async fn the_webhook_posts_signed_numbered_batches_and_maps_refusals() {
    let (base, log) = fake(|seen, _| {
        let now = chrono::Utc::now().timestamp();
        let valid = webhook::verify(
            "whsec_42",
            seen.header("x-fullhouse-timestamp"),
            seen.header("x-fullhouse-signature"),
            &seen.raw,
            now,
            300,
        );
        if !valid {
            return answer(401, json!({"error": "bad signature"}));
        }
        let refused: Vec<Value> = seen.body["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["email"].as_str().unwrap_or("").starts_with("bad"))
            .map(|c| json!({"email": c["email"], "reason": "no MX record"}))
            .collect();
        answer(200, json!({"rejected": refused}))
    })
    .await;
    let tool = Webhook::new(
        http_client(),
        &format!("{base}/hooks/fullhouse"),
        "whsec_42",
    )
    .expect("client")
    .with_retry(quick());

    let outcome = push_all(&tool, &contacts(2_500)).await.expect("pushed");

    let requests = seen(&log);
    assert_eq!(requests.len(), 3);
    let batches: Vec<i64> = requests
        .iter()
        .map(|r| r.body["batch"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(batches, [1, 2, 3]);
    assert_eq!(requests[0].path, "/hooks/fullhouse");
    assert_eq!(
        requests[0].body["contacts"].as_array().map(Vec::len),
        Some(1_000)
    );
    assert_eq!(
        requests[2].body["contacts"].as_array().map(Vec::len),
        Some(500)
    );
    assert_eq!(requests[0].body["contacts"][0]["customer_id"], "cust00000");
    assert_eq!(outcome.rejected.len(), 25);
    assert_eq!(outcome.rejected[0].customer_id, "cust00007");
    assert_eq!(outcome.rejected[0].reason, "no MX record");
    assert_eq!(outcome.accepted, 2_475);
}

#[tokio::test]
async fn a_webhook_refusing_the_batch_fails_with_the_start_of_its_answer() {
    let (base, _) = fake(|_, _| answer(400, json!({"error": "unknown field first_name"}))).await;
    let tool = Webhook::new(http_client(), &base, "s")
        .expect("client")
        .with_retry(quick());

    let err = tool.push(&contacts(1)).await.expect_err("refused");

    let message = err.to_string();
    assert!(message.contains("400"), "{message}");
    assert!(message.contains("unknown field first_name"), "{message}");
}

#[tokio::test]
async fn a_webhook_that_is_down_once_gets_the_batch_again_freshly_signed() {
    let (base, log) = fake(|seen, before| {
        if before == 0 {
            return answer(502, json!("bad gateway"));
        }
        let ok = webhook::verify(
            "s",
            seen.header("x-fullhouse-timestamp"),
            seen.header("x-fullhouse-signature"),
            &seen.raw,
            chrono::Utc::now().timestamp(),
            300,
        );
        answer(if ok { 204 } else { 401 }, Value::Null)
    })
    .await;
    let tool = Webhook::new(http_client(), &base, "s")
        .expect("client")
        .with_retry(quick());

    let outcome = tool
        .push(&contacts(4))
        .await
        .expect("pushed on the second attempt");

    assert_eq!(outcome.accepted, 4);
    let requests = seen(&log);
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].raw, requests[1].raw,
        "the same batch, sent again"
    );
}
