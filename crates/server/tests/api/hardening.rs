//! Hardening (issue #13, finding 5): security headers on every answer, no open redirect, code
//! guessing budgets that a missing cookie or a cart of codes cannot stretch, imports held to the
//! upload limit, bounded input, `Secure` cookies, `/metrics` behind a token, uploads deleted.

use fullhouse_core::Backend;
use fullhouse_testkit::both_backends;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// A production, a venue and an event in it; returns the event's id.
async fn new_event(app: &TestApp, org: &TestOrg) -> String {
    let t = &org.token;
    let (s, production) = app
        .post("/api/v1/productions", t, json!({"name": "Hamlet"}))
        .await;
    assert_eq!(s, 201, "{production}");
    let (s, venue) = app
        .post("/api/v1/venues", t, json!({"name": "Main Stage"}))
        .await;
    assert_eq!(s, 201, "{venue}");
    let (s, event) = app
        .post("/api/v1/events", t, json!({"production_id": production["id"], "venue_id": venue["id"], "starts_at": "2031-01-01T19:30:00Z"}))
        .await;
    assert_eq!(s, 201, "{event}");
    event["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_pages_a_strict_csp() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let client = no_redirects();
    let cases = [
        (Method::GET, "/healthz", 200, false),
        (Method::GET, "/login", 200, true),
        (Method::GET, "/", 303, false),
        (Method::GET, "/static/app.css", 200, false),
        (Method::GET, "/static/app.js", 200, false),
        (Method::GET, "/api/openapi.json", 200, false),
        (Method::GET, "/api/v1/customers", 401, false),
        (Method::GET, "/api/v1/no-such-route", 404, false),
        (Method::GET, "/no-such-page", 404, true),
        (Method::DELETE, "/healthz", 405, false),
    ];
    for (method, path, status, is_page) in cases {
        let response = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("sent");
        let headers = response.headers();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            header(headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(headers, "referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        let csp = header(headers, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if is_page {
            assert_eq!(csp, PAGE_CSP, "{path}");
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        }
    }
    app.finish().await;
}

#[test]
fn no_template_has_inline_script_or_style() {
    // The page CSP refuses inline script and style; a template that has some breaks in browsers.
    // Every crate's templates: each module keeps its own.
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack: Vec<_> = std::fs::read_dir(&crates)
        .expect("crates")
        .flatten()
        .map(|krate| krate.path().join("templates"))
        .filter(|dir| dir.is_dir())
        .collect();
    assert!(
        stack.len() >= 5,
        "templates of web and the modules: {stack:?}"
    );
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("templates").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let inline_script = text.match_indices("<script").any(|(at, _)| {
                !text[at..]
                    .split('>')
                    .next()
                    .unwrap_or_default()
                    .contains("src=")
            });
            let handler = regex_like_handler(&text);
            if inline_script
                || handler
                || text.contains("style=\"")
                || text.contains("<style")
                || text.contains("hx-on")
                || text.contains("javascript:")
            {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "inline script or style in {offenders:?}"
    );
}

/// ` onclick=`, ` oninput=`…: an inline event handler attribute.
fn regex_like_handler(text: &str) -> bool {
    text.match_indices(" on").any(|(at, _)| {
        let rest = &text[at + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    })
}

#[tokio::test]
async fn the_language_picker_returns_only_to_a_path_on_this_site() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let client = no_redirects();
    let attacks = [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r\n/evil.example/",
        "/ /evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "",
    ];
    for target in attacks {
        let response = client
            .post(app.url("/language"))
            .form(&[("language", "da"), ("return_to", target)])
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{target:?}");
        assert_eq!(header(response.headers(), "location"), "/", "{target:?}");
    }
    let response = client
        .post(app.url("/language"))
        .form(&[("language", "da"), ("return_to", "/customers?q=a")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/customers?q=a")
    );
    app.finish().await;
}

#[tokio::test]
async fn with_secure_cookies_every_cookie_the_server_sets_is_secure() {
    let Some(app) = TestApp::spawn_configured(Backend::Sqlite, |c| c.secure_cookies = true).await
    else {
        return;
    };
    let org = app.new_org("royal").await;
    let event = new_event(&app, &org).await;
    let client = no_redirects();
    let mut set = Vec::new();
    for path in ["/login".to_string(), format!("/shop/royal/events/{event}")] {
        let response = client.get(app.url(&path)).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{path}");
        set.extend(cookies(response.headers()));
    }
    let response = client
        .get(app.url(&format!("/api/v1/storefront/royal/events/{event}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    set.extend(cookies(response.headers()));
    let response = client
        .post(app.url("/language"))
        .form(&[("language", "fr"), ("return_to", "/login")])
        .send()
        .await
        .expect("sent");
    set.extend(cookies(response.headers()));
    let response = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": org.admin_email, "password": org.admin_password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    set.extend(cookies(response.headers()));
    for name in ["fullhouse_login_csrf=", "fh_shop=", "fullhouse_session="] {
        assert!(
            set.iter().any(|c| c.starts_with(name)),
            "no {name} in {set:?}"
        );
    }
    for cookie in &set {
        assert!(cookie.ends_with("; Secure"), "not Secure: {cookie}");
    }
    app.finish().await;
}

#[tokio::test]
async fn metrics_answer_only_the_metrics_token() {
    let Some(app) = TestApp::spawn_configured(Backend::Sqlite, |c| {
        c.metrics_token = Some("metrics-secret".into())
    })
    .await
    else {
        return;
    };
    let client = no_redirects();
    let get = |token: Option<&'static str>| {
        let mut request = client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("sent") }
    };
    assert_eq!(get(None).await.status(), 401);
    assert_eq!(get(Some("metrics-secre")).await.status(), 401);
    assert_eq!(get(Some("metrics-secretX")).await.status(), 401);
    let ok = get(Some("metrics-secret")).await;
    assert_eq!(ok.status(), 200);
    app.finish().await;

    // Without a token, a client on loopback (a scraper on the same host) still gets them.
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let response = no_redirects()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    app.finish().await;
}

both_backends! {
    setup = spawn_app;

    async fn a_json_array_is_refused_where_an_object_is_expected(app: TestApp) {
        let org = app.new_org("arrays").await;
        for (path, body) in [
            ("/api/v1/productions", json!(["Hamlet"])),
            ("/api/v1/venues", json!(["Main Stage"])),
            ("/api/v1/audiences", json!(["VIP", null])),
            ("/api/v1/productions", json!("Hamlet")),
        ] {
            let (status, answer) = app.post(path, &org.token, body).await;
            let message = assert_error(status, &answer, 400, "malformed_body");
            assert!(message.contains("expected a JSON object"), "{message}");
        }
        app.finish().await;
    }

    async fn a_mebibyte_name_and_dates_in_year_zero_are_refused_with_their_field(app: TestApp) {
        let org = app.new_org("bounds").await;
        let t = &org.token;
        let huge = "x".repeat(1024 * 1024);
        let (status, body) = app
            .post("/api/v1/campaigns", t, json!({"name": huge, "audience_ids": [], "event_ids": []}))
            .await;
        assert_error(status, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "name", "{}", &body.to_string()[..300]);
        let (status, body) = app
            .post("/api/v1/campaigns", t, json!({"name": "Presale", "audience_ids": [], "valid_from": "0000-01-01T00:00:00Z", "valid_until": "-0001-06-01T00:00:00Z"}))
            .await;
        assert_error(status, &body, 422, "validation");
        let fields: Vec<&str> = body["error"]["details"]["fields"].as_array().map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect()).unwrap_or_default();
        assert_eq!(fields, ["valid_from", "valid_until"], "{body}");
        let (s, production) = app.post("/api/v1/productions", t, json!({"name": "Hamlet"})).await;
        assert_eq!(s, 201, "{production}");
        let (s, venue) = app.post("/api/v1/venues", t, json!({"name": "Main Stage"})).await;
        assert_eq!(s, 201, "{venue}");
        let (status, body) = app
            .post("/api/v1/events", t, json!({"production_id": production["id"], "venue_id": venue["id"], "starts_at": "0000-01-01T19:30:00Z"}))
            .await;
        assert_error(status, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "starts_at", "{body}");
        let (status, body) = app.post("/api/v1/venues", t, json!({"name": "y".repeat(201)})).await;
        assert_error(status, &body, 422, "validation");
        // Nothing out of range was stored: the lists still answer.
        let (status, events) = app.get("/api/v1/events", t).await;
        assert_eq!(status, 200, "{events}");
        app.finish().await;
    }

    async fn csv_imports_are_held_to_the_configured_upload_limit(app: TestApp) {
        let backend = app.db.backend;
        app.finish().await;
        let Some(app) = TestApp::spawn_configured(backend, |c| c.upload_limit_mb = 1).await else {
            return;
        };
        let org = app.new_org("limits").await;
        let (s, venue) = app.post("/api/v1/venues", &org.token, json!({"name": "Main Stage"})).await;
        assert_eq!(s, 201, "{venue}");
        let venue = venue["id"].as_str().unwrap_or_default();
        let mut big = b"email,first_name\n".to_vec();
        while big.len() <= 1024 * 1024 {
            big.extend_from_slice(b"someone@example.com,Someone\n");
        }
        let seat_map = format!("/api/v1/venues/{venue}/seat-map/import");
        for path in ["/api/v1/customers/import", "/api/v1/orders/import", seat_map.as_str()] {
            let (status, body) = app.upload(path, &org.token, "text/csv", big.clone()).await;
            let message = assert_error(status, &body, 413, "payload_too_large");
            assert!(message.contains("1 MB"), "{path}: {message}");
            // Without a declared length (chunked), the body is cut off at the limit all the same.
            // The server answers before the client has written everything and closes the
            // connection, so the client may see the connection reset instead of the answer; what
            // it must never see is the file read whole (200 or 422).
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
            let sent = reqwest::Client::new()
                .post(app.url(path))
                .bearer_auth(&org.token)
                .header("content-type", "text/csv")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
                .send()
                .await;
            match sent {
                Ok(response) => assert_eq!(response.status(), 413, "{path} (chunked)"),
                Err(err) => assert!(err.is_request(), "{path} (chunked): {err}"),
            }
        }
        // Under the limit the file is read as before.
        let (status, body) = app
            .upload("/api/v1/customers/import?dry_run=true", &org.token, "text/csv", b"email,first_name\nida@example.com,Ida\n".to_vec())
            .await;
        assert_eq!(status, 200, "{body}");
        app.finish().await;
    }

    async fn code_guesses_count_per_code_per_buyer_and_without_a_cookie(app: TestApp) {
        use fullhouse_checkout::api::{
            CODE_CHECKS_PER_BUYER_PER_MINUTE, CODE_CHECKS_PER_SESSION_PER_MINUTE,
            CODE_CHECKS_WITHOUT_SESSION_PER_IP_PER_MINUTE,
        };
        let backend = app.db.backend;
        let org = app.new_org("royal").await;
        let event = new_event(&app, &org).await;
        let session = || async {
            let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
            let response = client
                .get(app.url(&format!("/api/v1/storefront/royal/events/{event}")))
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 200);
            client
        };
        let send = |client: &reqwest::Client, path: &str, body: Value| {
            let request = client.post(app.url(path)).json(&body);
            async move { request.send().await.expect("sent").status() }
        };

        // A cart of five codes spends five guesses: a session's budget is spent after
        // (budget / 5) quotes, not after `budget` quotes.
        let client = session().await;
        let five = json!({"event_id": event, "items": [], "codes": ["G1", "G2", "G3", "G4", "G5"]});
        let mut quotes = 0;
        while send(&client, "/api/v1/storefront/royal/quote", five.clone()).await != StatusCode::TOO_MANY_REQUESTS {
            quotes += 1;
            assert!(quotes <= 60, "five-code quotes never throttled");
        }
        assert_eq!(quotes, CODE_CHECKS_PER_SESSION_PER_MINUTE as usize / 5);

        // One buyer spread over several sessions has one budget.
        let mut spent = 0;
        let mut refused = false;
        'sessions: for _ in 0..5 {
            let client = session().await;
            for _ in 0..(CODE_CHECKS_PER_BUYER_PER_MINUTE / 4) {
                let order = json!({"cart": {"event_id": event, "items": [], "codes": ["B1"]}, "buyer": {"email": "Karen@Example.dk"}});
                if send(&client, "/api/v1/storefront/royal/orders", order).await == StatusCode::TOO_MANY_REQUESTS {
                    refused = true;
                    break 'sessions;
                }
                spent += 1;
            }
        }
        assert!(refused, "the buyer was never throttled");
        assert_eq!(spent, CODE_CHECKS_PER_BUYER_PER_MINUTE);
        app.finish().await;

        // Requests without the cookie (each would get a new session) share a small budget of
        // their address.
        let Some(app) = TestApp::spawn(backend).await else {
            return;
        };
        let org = app.new_org("royal").await;
        let event = new_event(&app, &org).await;
        let cookieless = reqwest::Client::new();
        let path = app.url(&format!("/api/v1/storefront/royal/events/{event}/code-check"));
        let mut checks = 0;
        loop {
            let status = cookieless.post(&path).json(&json!({"code": format!("C{checks}")})).send().await.expect("sent").status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
            assert_eq!(status, 200);
            checks += 1;
            assert!(checks <= 60, "cookieless guesses never throttled");
        }
        assert_eq!(checks, CODE_CHECKS_WITHOUT_SESSION_PER_IP_PER_MINUTE);
        app.finish().await;
    }

    async fn uploads_are_deleted_after_their_import_or_the_retention_period(app: TestApp) {
        let org = app.new_org("uploads").await;
        let files = app.server.state.settings.data_dir.join("files").join("uploads").join(org.id.as_str());
        let upload = |name: &'static str| {
            let app = &app;
            let org = &org;
            async move {
                let (status, body) = app
                    .upload(&format!("/api/v1/uploads?name={name}"), &org.token, "application/octet-stream", b"Code;Antal\nK-1;2\nK-2;3\n".to_vec())
                    .await;
                assert_eq!(status, 201, "{body}");
                body["id"].as_str().unwrap_or_default().to_string()
            }
        };
        let stale = upload("stale.csv").await;
        let queued = upload("queued.csv").await;
        let imported = upload("imported.csv").await;
        let count = || std::fs::read_dir(&files).map(|d| d.count()).unwrap_or(0);
        assert_eq!(count(), 3);

        // An import that succeeds deletes its upload.
        let (status, job) = app.post("/api/v1/audiences/import", &org.token, json!({"upload_id": imported, "name": "Imported"})).await;
        assert_eq!(status, 201, "{job}");
        let state = &app.server.state;
        fullhouse_core::jobs::Worker::new(state.db.clone(), state.files.clone(), fullhouse_server::job_registry(state))
            .run_until_idle()
            .await
            .expect("jobs run");
        let (_, job) = app.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap_or_default()), &org.token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(count(), 2);

        // The sweep deletes uploads past their retention, except one a queued job still needs.
        let (status, job) = app.post("/api/v1/audiences/import", &org.token, json!({"upload_id": queued, "name": "Queued"})).await;
        assert_eq!(status, 201, "{job}");
        let later = chrono::Utc::now() + chrono::Duration::seconds(1);
        let removed = fullhouse_core::uploads::sweep(&state.db, &state.files, later).await.expect("sweep");
        assert_eq!(removed, 1);
        assert_eq!(count(), 1);
        let (status, body) = app
            .post("/api/v1/audiences/preview", &org.token, json!({"upload_id": stale}))
            .await;
        assert_error(status, &body, 422, "validation");
        assert_eq!(body["error"]["details"]["fields"][0]["field"], "upload_id", "{body}");
        app.finish().await;
    }
}
