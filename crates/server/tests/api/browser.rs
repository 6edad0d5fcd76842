//! The organizer web UI in a real browser: Debian's headless Chromium driven through
//! chromedriver with fantoccini, against the whole app on loopback (SQLite is enough here; the
//! pages use the same services the API tests cover on both backends).
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` these tests skip with a loud message,
//! except under `CI=true`, where that is a failure (`scripts/test` installs both).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fullhouse_core::Backend;
use serde_json::json;

use crate::chromium::Browser;
use crate::common::{TestApp, TestOrg};

/// The box office's basket and sale (in its own file: this one is long enough).
mod boxoffice;
/// The buyer's side: seats on the map, a code, sign-in by mailed link, payment, My tickets.
mod buyer;
/// Campaigns: the report (money, paid vs held, linked orders, CSV) and the guiding form.
mod campaigns;
/// The engine's words in the user's language: a failed code import read in Danish.
mod engine;
/// The start page's sales figures and chart, and events in date order (issue #20).
mod home;
/// Purchase intents: made for a customer, paid through the mailed link.
mod intents;
/// Mail: an outbox message opened, a template's typo named, a test sent, a reset confirmed.
mod mail;
/// Column mapping: a field chosen twice, the counted Import button, the job's link.
mod mapping;
/// The organizer's order page: reached from the customer page, refunded from there.
mod orders;
/// Referral rewards: the share panel, the progress page and the organizer's charts.
mod referrals;
/// The segment dashboard: counts in view while the filters scroll, sliders that turn their
/// filter on, tags and permissions to choose from; a days back beyond the slider kept.
mod segment_dashboard;
/// Segment actions: export, tag, audience and campaign-link mail from the dashboard, audited.
mod segments;

async fn app_and_browser(workers: usize) -> Option<(TestApp, Browser)> {
    let browser = Browser::start().await?;
    let app = TestApp::spawn_with_workers(Backend::Sqlite, workers)
        .await
        .expect("SQLite app");
    Some((app, browser))
}

#[tokio::test]
async fn logging_in_shows_the_start_page_and_a_wrong_password_a_translated_error() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("browser-login").await;
    browser.goto(&app, "/login").await;
    assert_eq!(browser.lang_attribute().await, "en");

    // The visitor picks Danish before logging in; the refusal comes in Danish.
    browser.click("button[name=language][value=da]").await;
    browser
        .wait_text("h1", |t| t == "Log ind på Fullhouse")
        .await;
    browser.type_into("#email", &org.admin_email).await;
    browser.type_into("#password", "not the password").await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    let error = browser.wait_text("#login-error", |t| !t.is_empty()).await;
    assert_eq!(error, "E-mail eller adgangskode er forkert.");
    assert_eq!(browser.lang_attribute().await, "da");

    // The right password opens the start page, in the user's own language (English).
    browser.type_into("#password", &org.admin_password).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser
        .wait_text("main h1", |t| t == "Welcome, Owner")
        .await;
    let organization = browser.find("[data-testid=organization]").await;
    assert_eq!(
        organization.text().await.expect("text"),
        "Org browser-login"
    );
    assert_eq!(browser.lang_attribute().await, "en");
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn switching_to_danish_then_french_translates_the_navigation_and_is_remembered() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("browser-lang").await;
    browser.log_in(&app, &org).await;
    browser
        .wait_text("nav.sidenav a[href='/customers']", |t| t == "Customers")
        .await;

    browser.click("button[name=language][value=da]").await;
    browser
        .wait_text("nav.sidenav a[href='/customers']", |t| t == "Kunder")
        .await;
    assert_eq!(browser.lang_attribute().await, "da");
    browser.client.refresh().await.expect("reload");
    browser
        .wait_text("nav.sidenav a[href='/events']", |t| t == "Arrangementer")
        .await;

    browser.click("button[name=language][value=fr]").await;
    browser
        .wait_text("nav.sidenav a[href='/customers']", |t| t == "Clients")
        .await;
    browser.client.refresh().await.expect("reload");
    browser
        .wait_text("nav.sidenav a[href='/events']", |t| t == "Événements")
        .await;
    assert_eq!(browser.lang_attribute().await, "fr");

    // The choice is the user's preference, not the browser's: it survives logging out and in.
    browser
        .click("form[action='/logout'] button[type=submit]")
        .await;
    browser.find("#password").await;
    browser.log_in(&app, &org).await;
    browser
        .wait_text("nav.sidenav a[href='/jobs']", |t| t == "Tâches")
        .await;
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn searching_customers_shows_only_the_match() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("browser-search").await;
    for (first, last, email) in [
        ("Astrid", "Nielsen", "astrid@example.dk"),
        ("Bertrand", "Dupont", "bertrand@example.fr"),
        ("Camille", "Martin", "camille@example.fr"),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/customers",
                &org.token,
                json!({"first_name": first, "last_name": last, "email": email}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    browser.log_in(&app, &org).await;
    browser.goto(&app, "/customers").await;
    let rows = "#customers-table tbody tr";
    assert_eq!(
        browser
            .client
            .find_all(Locator::Css(rows))
            .await
            .expect("rows")
            .len(),
        3
    );

    // Typing searches as you type (htmx swaps the results; the page stays).
    browser.type_into("#q", "dupont").await;
    browser
        .wait_text("#results", |t| {
            t.contains("Bertrand Dupont") && !t.contains("Astrid")
        })
        .await;
    let shown = browser
        .client
        .find_all(Locator::Css(rows))
        .await
        .expect("rows");
    assert_eq!(shown.len(), 1);
    assert!(shown[0]
        .text()
        .await
        .expect("text")
        .contains("bertrand@example.fr"));
    let url = browser.client.current_url().await.expect("url");
    let query = url.query().unwrap_or_default();
    assert!(
        query.contains("q=dupont"),
        "the search is in the address: {url}"
    );

    browser.type_into("#q", "nobody-has-this-name").await;
    browser
        .wait_text("#results", |t| t == "No customer matches your search.")
        .await;
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn a_demo_job_started_from_the_jobs_page_shows_live_progress_to_100_percent() {
    let Some((app, browser)) = app_and_browser(1).await else {
        return;
    };
    let org = app.new_org(fullhouse_core::tenancy::model::DEMO_SLUG).await;
    browser.log_in(&app, &org).await;
    browser.goto(&app, "/jobs").await;
    browser.type_into("#steps", "25").await;
    browser.type_into("#step_ms", "100").await;
    browser.click("#start-demo").await;
    let row = "#jobs-table tbody tr";
    browser.find(row).await;

    // A mark on the window: if it is still there at the end, htmx updated the row in place.
    browser
        .client
        .execute("window.fullhouseMark = 'same page'; return null", vec![])
        .await
        .expect("script");
    let started = Instant::now();
    let mut seen = Vec::new();
    let status = loop {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the job did not finish; progress seen: {seen:?}"
        );
        let state = browser
            .client
            .execute(
                "const row = document.querySelector('#jobs-table tbody tr');
                 const bar = row && row.querySelector('progress');
                 return row && [row.dataset.status, bar && bar.getAttribute('value'),
                                bar && bar.getAttribute('aria-valuenow'),
                                row.querySelector('.status').textContent];",
                vec![],
            )
            .await
            .expect("script");
        let value = state[1].as_str().and_then(|v| v.parse::<u8>().ok());
        if let Some(value) = value {
            assert_eq!(
                state[2].as_str(),
                state[1].as_str(),
                "aria-valuenow follows the bar"
            );
            if seen.last() != Some(&value) {
                seen.push(value);
            }
        }
        if state[0] == "succeeded" && value == Some(100) {
            break state[3].as_str().unwrap_or_default().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, "Succeeded");
    assert!(
        seen.iter().any(|v| (1..100).contains(v)),
        "the bar moved through intermediate values, not only to the end: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {seen:?}"
    );
    let mark = browser
        .client
        .execute("return window.fullhouseMark || null", vec![])
        .await
        .expect("script");
    assert_eq!(
        mark,
        json!("same page"),
        "the row was polled, not the page reloaded"
    );
    // Polling stops once the job is done: the finished row has no trigger.
    let row_element = browser.find(row).await;
    assert_eq!(row_element.attr("hx-trigger").await.expect("attr"), None);
    browser.finish().await;
    app.finish().await;
}

// ------------------------------------------------------------------------------------------
// The same pages over plain HTTP, for what a browser test would show only slowly: every page
// answers, forms check the CSRF token and answer refused input with the reason beside the field,
// and another organization's ids are not found.

/// A session logged in through the login form, with the CSRF token its pages carry.
pub(crate) struct PageSession {
    pub(crate) client: reqwest::Client,
    pub(crate) csrf: String,
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

pub(crate) async fn page_session(app: &TestApp, org: &TestOrg) -> PageSession {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login form");
    let login_csrf = hidden_csrf(&form.text().await.expect("html"));
    let answer = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", login_csrf.as_str()),
            ("email", org.admin_email.as_str()),
            ("password", org.admin_password.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), 303, "logged in and sent to the start page");
    let home = client.get(app.url("/")).send().await.expect("home");
    let csrf = hidden_csrf(&home.text().await.expect("html"));
    assert!(!csrf.is_empty());
    PageSession { client, csrf }
}

impl PageSession {
    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        let response = self.client.get(app.url(path)).send().await.expect("get");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    pub(crate) async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let response = self
            .client
            .post(app.url(path))
            .form(fields)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Posts a form without following the answer: its status, where it sends the browser
    /// (`Location`, empty when none) and its body.
    pub(crate) async fn post_located(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let response = self
            .client
            .post(app.url(path))
            .form(fields)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, location, response.text().await.unwrap_or_default())
    }
}

#[tokio::test]
async fn every_page_of_the_navigation_answers_for_an_owner() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-all").await;
    let (_, customer) = app
        .post(
            "/api/v1/customers",
            &org.token,
            json!({"first_name": "Ann", "permissions": {"newsletter": true}}),
        )
        .await;
    let session = page_session(&app, &org).await;
    let customer_page = format!("/customers/{}", customer["id"].as_str().unwrap_or_default());
    for path in [
        "/",
        "/events",
        "/events?when=past&q=x",
        "/customers",
        "/customers?q=ann&tag=vip",
        customer_page.as_str(),
        "/jobs",
        "/audiences",
        "/audiences?q=vip",
        "/audiences/upload",
        "/audiences/generate",
        "/outbox",
        "/settings/organization",
        "/settings/users",
        "/settings/api-tokens",
        "/settings/email",
        "/settings/templates",
        "/settings/templates/campaign_link/fr",
        "/intents",
        "/referrals",
        "/referrals/new",
    ] {
        let (status, html) = session.get(&app, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            html.contains("<html lang=\"en\""),
            "{path} says its language"
        );
        assert!(html.contains("<main id=\"main\""), "{path} has the layout");
    }
    let (status, _) = session.get(&app, "/static/htmx.min.js").await;
    assert_eq!(status, 200);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = anonymous
        .get(app.url("/customers"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        response.status(),
        303,
        "a visitor is sent to the login form"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_page_form_without_the_session_csrf_token_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-csrf").await;
    let session = page_session(&app, &org).await;
    let (status, html) = session
        .post(
            &app,
            "/jobs/demo",
            &[("csrf_token", "forged"), ("steps", "3"), ("step_ms", "0")],
        )
        .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("The form expired"), "{html}");
    let (_, jobs) = app.get("/api/v1/jobs", &org.token).await;
    assert_eq!(
        jobs["items"].as_array().map(Vec::len),
        Some(0),
        "no job was started"
    );

    let (status, _) = session
        .post(
            &app,
            "/jobs/demo",
            &[
                ("csrf_token", &session.csrf),
                ("steps", "3"),
                ("step_ms", "0"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, jobs) = app.get("/api/v1/jobs", &org.token).await;
    assert_eq!(jobs["items"][0]["kind"], "demo.count");
    app.finish().await;
}

#[tokio::test]
async fn refused_input_comes_back_beside_its_field_in_the_users_language() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-errors").await;
    let session = page_session(&app, &org).await;
    let (status, _) = session
        .post(
            &app,
            "/language",
            &[
                ("csrf_token", &session.csrf),
                ("language", "da"),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(status, 303);

    let (status, html) = session
        .post(
            &app,
            "/settings/organization",
            &[
                ("csrf_token", &session.csrf),
                ("name", "  "),
                ("default_language", "da"),
                ("timezone", "Europe/Copenhagen"),
                ("currency", "DKK"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("<html lang=\"da\""));
    assert!(
        html.contains(
            "<small class=\"field-error\" id=\"name-error\">Dette felt skal udfyldes.</small>"
        ),
        "{html}"
    );

    let (status, html) = session
        .post(
            &app,
            "/settings/organization",
            &[
                ("csrf_token", &session.csrf),
                ("name", "Teatret"),
                ("default_language", "da"),
                ("timezone", "Mars/Olympus"),
                ("currency", "DKK"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"timezone-error\">Dette er ikke en tidszone"),
        "{html}"
    );

    let (status, html) = session
        .post(
            &app,
            "/settings/users",
            &[
                ("csrf_token", &session.csrf),
                ("name", "Bo"),
                ("email", "bo@"),
                ("password", "short"),
                ("role", "viewer"),
                ("language", "da"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"email-error\">Dette er ikke en e-mailadresse."),
        "{html}"
    );
    assert!(
        !html.contains("value=\"short\""),
        "a refused password is not echoed back"
    );

    let (status, html) = session
        .post(
            &app,
            "/jobs/demo",
            &[
                ("csrf_token", &session.csrf),
                ("steps", "0"),
                ("step_ms", "10"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"steps-error\">Angiv et heltal"),
        "{html}"
    );
    app.finish().await;
}

/// The campaign form's numbers are parsed by the audiences' model: a discount or a per-order
/// limit that is not a number comes back beside its field, and nothing is created.
#[tokio::test]
async fn a_campaign_form_number_that_is_not_a_number_comes_back_beside_its_field() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-campaign-numbers").await;
    let session = page_session(&app, &org).await;
    let (status, html) = session
        .post(
            &app,
            "/campaigns",
            &[
                ("csrf_token", &session.csrf),
                ("name", "Presale"),
                ("discount_kind", "percent"),
                ("discount_value", "ten"),
                ("max_tickets_per_order", "four"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(
            "id=\"discount_value-error\">Write the percentage as a number, for example 20.</small>"
        ),
        "{html}"
    );
    assert!(
        html.contains("value=\"ten\""),
        "the typed value stays: {html}"
    );
    let (_, campaigns) = app.get("/api/v1/campaigns", &org.token).await;
    assert_eq!(
        campaigns["items"].as_array().map(Vec::len),
        Some(0),
        "no campaign was created"
    );

    let (status, html) = session
        .post(
            &app,
            "/campaigns",
            &[
                ("csrf_token", &session.csrf),
                ("name", "Presale"),
                ("discount_kind", "percent"),
                ("discount_value", "10"),
                ("max_tickets_per_order", "four"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        // In plain words, in the page's language.
        html.contains(
            "id=\"max_tickets_per_order-error\">Write a whole number, for example 2.</small>"
        ),
        "{html}"
    );
    app.finish().await;
}

#[tokio::test]
async fn another_organizations_customer_and_event_pages_are_not_found() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let a = app.new_org("pages-a").await;
    let b = app.new_org("pages-b").await;
    let (_, customer) = app
        .post(
            "/api/v1/customers",
            &a.token,
            json!({"first_name": "Secret", "last_name": "Person"}),
        )
        .await;
    let (_, production) = app
        .post(
            "/api/v1/productions",
            &a.token,
            json!({"name": "Their show"}),
        )
        .await;
    let (_, venue) = app
        .post("/api/v1/venues", &a.token, json!({"name": "Their hall"}))
        .await;
    let (status, event) = app
        .post("/api/v1/events", &a.token, json!({"production_id": production["id"], "venue_id": venue["id"], "starts_at": "2030-01-01T19:00:00Z"}))
        .await;
    assert_eq!(status, 201, "{event}");
    let session = page_session(&app, &b).await;
    for path in [
        format!("/customers/{}", customer["id"].as_str().unwrap_or_default()),
        format!("/events/{}", event["id"].as_str().unwrap_or_default()),
        "/customers/not-an-id".to_string(),
    ] {
        let (status, html) = session.get(&app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !html.contains("Secret") && !html.contains("Their show"),
            "{path} leaks: {html}"
        );
        assert!(html.contains("Page not found"), "{html}");
    }
    let (_, list) = session.get(&app, "/customers?q=secret").await;
    assert!(list.contains("No customer matches your search."), "{list}");
    app.finish().await;
}

#[tokio::test]
async fn settings_forms_create_change_and_revoke_what_they_say() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-settings").await;
    let session = page_session(&app, &org).await;
    let csrf = session.csrf.clone();

    // An API token's secret is shown once, on the answer to creating it.
    let (status, html) = session
        .post(
            &app,
            "/settings/api-tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "box office sync"),
                ("role", "box_office"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let secret = html
        .split("id=\"secret\" type=\"text\" readonly value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    assert!(secret.starts_with("fht_"), "{html}");
    assert_eq!(
        app.get("/api/v1/me", &secret).await.0,
        200,
        "the shown secret works"
    );
    let (_, again) = session.get(&app, "/settings/api-tokens").await;
    assert!(
        again.contains("box office sync") && !again.contains(&secret),
        "shown only once"
    );
    let (_, tokens) = app.get("/api/v1/api-tokens", &org.token).await;
    let created = tokens
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "box office sync")
        .expect("listed");
    let revoke = format!(
        "/settings/api-tokens/{}/revoke",
        created["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        session
            .post(&app, &revoke, &[("csrf_token", &csrf)])
            .await
            .0,
        303
    );
    assert_eq!(app.get("/api/v1/me", &secret).await.0, 401, "revoked");

    // A user is added, given another role, and disabled.
    let (status, html) = session
        .post(
            &app,
            "/settings/users",
            &[
                ("csrf_token", &csrf),
                ("name", "Bo Berg"),
                ("email", "bo@pages-settings.example"),
                ("password", "a long enough password"),
                ("role", "viewer"),
                ("language", "da"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    let (_, users) = app.get("/api/v1/users", &org.token).await;
    let bo = users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["name"] == "Bo Berg")
        .expect("added")
        .clone();
    let bo_path = format!("/settings/users/{}", bo["id"].as_str().unwrap_or_default());
    assert_eq!(
        session
            .post(
                &app,
                &bo_path,
                &[
                    ("csrf_token", &csrf),
                    ("action", "role"),
                    ("role", "marketer")
                ]
            )
            .await
            .0,
        303
    );
    assert_eq!(
        session
            .post(
                &app,
                &bo_path,
                &[("csrf_token", &csrf), ("action", "disable")]
            )
            .await
            .0,
        303
    );
    let (_, bo) = app
        .get(
            &format!("/api/v1/users/{}", bo["id"].as_str().unwrap_or_default()),
            &org.token,
        )
        .await;
    assert_eq!(
        (bo["role"].as_str(), bo["disabled"].as_bool()),
        (Some("marketer"), Some(true))
    );

    // Email: SMTP needs a host; the connection test reports a refusal on the page, not as a 500.
    let smtp = |host: &'static str, port: String| {
        vec![
            ("csrf_token", csrf.clone()),
            ("sender_name", "Teatret".to_string()),
            ("sender_email", "hello@teatret.dk".to_string()),
            ("reply_to", String::new()),
            ("transport", "smtp".to_string()),
            ("host", host.to_string()),
            ("port", port),
            ("security", "plain".to_string()),
            ("username", String::new()),
            ("password", String::new()),
        ]
    };
    let fields = smtp("", "2525".into());
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = session.post(&app, "/settings/email", &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("id=\"host-error\">This field is required."),
        "{html}"
    );
    let closed = TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let fields = smtp("127.0.0.1", port.to_string());
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = session.post(&app, "/settings/email", &form).await;
    assert_eq!(status, 200, "{html}");
    let (status, html) = session
        .post(&app, "/settings/email/test", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("The connection failed:"), "{html}");

    // Templates: the preview renders what is typed; a broken template says why; saving keeps it.
    let preview = "/settings/templates/job_finished/en/preview";
    let (status, html) = session
        .post(
            &app,
            preview,
            &[
                ("csrf_token", &csrf),
                ("subject", "Done: {{ job.title }}"),
                ("html", "<p>Hi {{ recipient }}</p>"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Done: Import audience VIP codes") && html.contains("Hi Owner"),
        "{html}"
    );
    let (_, html) = session
        .post(
            &app,
            preview,
            &[
                ("csrf_token", &csrf),
                ("subject", "{% if %}"),
                ("html", "<p>x</p>"),
                ("text", ""),
            ],
        )
        .await;
    assert!(html.contains("class=\"error\""), "{html}");
    let (status, _) = session
        .post(
            &app,
            "/settings/templates/job_finished/da",
            &[
                ("csrf_token", &csrf),
                ("subject", "Færdig: {{ job.title }}"),
                ("html", "<p>Hej</p>"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, saved) = app
        .get("/api/v1/mail/templates/job_finished/da", &org.token)
        .await;
    assert_eq!(saved["template"]["subject"], "Færdig: {{ job.title }}");
    let (status, _) = session
        .get(&app, "/settings/templates/job_finished/de")
        .await;
    assert_eq!(status, 404, "no German templates");
    app.finish().await;
}

#[tokio::test]
async fn events_are_searched_by_name_filtered_by_date_and_paged() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let org = app.new_org("pages-events").await;
    let mut ids = std::collections::HashMap::new();
    for name in ["Hamlet", "Lear"] {
        let (_, production) = app
            .post("/api/v1/productions", &org.token, json!({"name": name}))
            .await;
        ids.insert(name, production["id"].clone());
    }
    let (_, venue) = app
        .post("/api/v1/venues", &org.token, json!({"name": "Operaen"}))
        .await;
    let event = |production: &str, starts_at: String| json!({"production_id": ids[production], "venue_id": venue["id"], "starts_at": starts_at});
    for day in 1..=30 {
        let body = event("Hamlet", format!("2031-01-{:02}T19:00:00Z", (day % 28) + 1));
        assert_eq!(app.post("/api/v1/events", &org.token, body).await.0, 201);
    }
    assert_eq!(
        app.post(
            "/api/v1/events",
            &org.token,
            event("Lear", "2031-03-01T19:00:00Z".into())
        )
        .await
        .0,
        201
    );
    assert_eq!(
        app.post(
            "/api/v1/events",
            &org.token,
            event("Lear", "2020-03-01T19:00:00Z".into())
        )
        .await
        .0,
        201
    );
    let session = page_session(&app, &org).await;
    let rows = |html: &str| html.matches("<a href=\"/events/evt_").count();

    let (_, html) = session.get(&app, "/events?q=lear").await;
    assert_eq!(rows(&html), 1, "only the upcoming Lear: {html}");
    let (_, html) = session.get(&app, "/events?q=LEAR&when=all").await;
    assert_eq!(rows(&html), 2);
    let (_, html) = session.get(&app, "/events?when=past").await;
    assert_eq!(rows(&html), 1);
    assert!(html.contains("2020-03-01"), "{html}");

    let (_, first) = session.get(&app, "/events?q=hamlet").await;
    assert_eq!(rows(&first), 25);
    let next = first
        .split("<a href=\"/events?")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|query| {
            format!(
                "/events?{}",
                query.replace("&#38;", "&").replace("&amp;", "&")
            )
        })
        .expect("a next-page link");
    assert!(
        next.contains("q=hamlet") && next.contains("cursor=n2031-01-"),
        "{next}"
    );
    let (_, second) = session.get(&app, &next).await;
    assert_eq!(rows(&second), 5, "the rest of the matches");
    assert!(
        !second.contains("rel=\"next\"") && second.contains("rel=\"prev\""),
        "no page after the last, one before it"
    );

    // htmx asks for the results only.
    let partial = session
        .client
        .get(app.url("/events?q=lear"))
        .header("hx-request", "true")
        .send()
        .await
        .expect("partial");
    assert_eq!(partial.headers()["vary"], "HX-Request");
    let partial = partial.text().await.expect("html");
    assert!(
        !partial.contains("<html") && rows(&partial) == 1,
        "{partial}"
    );
    app.finish().await;
}

#[tokio::test]
async fn an_uploaded_file_is_mapped_column_by_column_previewed_and_imported() {
    let Some((app, browser)) = app_and_browser(1).await else {
        return;
    };
    let org = app.new_org("browser-audiences").await;
    browser.log_in(&app, &org).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("vip-koder.csv");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252
        .encode("Navn;Stregkode;Antal;Kategori\nIda;VIP-1;2;Østbalkon\nBo;VIP-2;1;Parket\n");
    std::fs::write(&file, latin1).expect("file written");

    browser.goto(&app, "/audiences/upload").await;
    browser
        .find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("file chosen");
    browser
        .click("form[action='/audiences/upload'] button[type=submit]")
        .await;

    // The mapping screen: the header was found, each column has its field, the preview shows
    // the rows as they will be read (Windows-1252 decoded).
    browser
        .wait_text("#preview-table tbody", |t| t.contains("Østbalkon"))
        .await;
    let chosen = |column: usize| format!("return document.querySelector('#column_{column}').value");
    for (column, field) in [(0, "ignore"), (1, "code"), (2, "quantity"), (3, "category")] {
        let value = browser
            .client
            .execute(&chosen(column), vec![])
            .await
            .expect("script");
        assert_eq!(value, json!(field), "column {column}");
    }
    // No header rows: the header line becomes the first previewed row.
    browser
        .client
        .execute(
            "const s = document.querySelector('#header_rows'); s.value = '0';
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .expect("script");
    browser
        .wait_text("#preview-table tbody tr:first-child", |t| {
            t.contains("Stregkode")
        })
        .await;
    browser
        .client
        .execute(
            "const s = document.querySelector('#header_rows'); s.value = '1';
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .expect("script");
    browser
        .wait_text("#preview-table tbody tr:first-child", |t| {
            t.contains("VIP-1")
        })
        .await;

    browser.type_into("#name", "VIP koder").await;
    browser.click("#start-import").await;
    browser
        .wait_text("#jobs-table tbody tr:first-child .status", |t| {
            t.contains("Succeeded")
        })
        .await;
    browser.goto(&app, "/audiences").await;
    let row = browser
        .wait_text("#audiences-table tbody", |t| t.contains("VIP koder"))
        .await;
    assert!(row.contains("VIP koder"), "{row}");
    browser.click("#audiences-table tbody a").await;
    let members = browser
        .wait_text("#members-table", |t| t.contains("VIP-2"))
        .await;
    assert!(members.contains("Østbalkon"), "{members}");
    browser.finish().await;
    app.finish().await;
}

#[tokio::test]
async fn no_page_breaks_the_content_security_policy() {
    let Some((app, browser)) = app_and_browser(0).await else {
        return;
    };
    let org = app.new_org("browser-csp").await;
    let (_, audience) = app
        .post("/api/v1/audiences", &org.token, json!({"name": "VIP"}))
        .await;
    let audience_page = format!("/audiences/{}", audience["id"].as_str().unwrap_or_default());
    browser.log_in(&app, &org).await;
    let mut refused = Vec::new();
    for path in [
        "/",
        "/events",
        "/customers",
        "/jobs",
        "/audiences",
        audience_page.as_str(),
        "/audiences/upload",
        "/segments",
        "/segments/new",
        "/outbox",
        "/settings/users",
        "/settings/api-tokens",
        "/settings/templates/campaign_link/en",
        "/shop/browser-csp",
    ] {
        browser.goto(&app, path).await;
        browser.find("main").await;
        refused.extend(
            browser
                .console()
                .await
                .into_iter()
                .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
                .map(|m| format!("{path}: {m}")),
        );
    }
    assert!(refused.is_empty(), "CSP refusals: {refused:#?}");

    // The behaviours moved out of inline handlers still work: a slider shows its value.
    browser.goto(&app, "/segments/new").await;
    browser
        .client
        .execute(
            "const r = document.getElementById('days_back'); r.value = '42'; \
             r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("script");
    browser.wait_text("#days-back-value", |t| t == "42").await;
    browser.finish().await;
    app.finish().await;
}
