//! Campaign links and campaign-link mail to a segment view (issue #19 point 5), on both
//! backends: links made and refused by the campaign's rules; a send to 50 customers delivered
//! through the loopback SMTP server to the consenting ones only; and the "Done when" run — a
//! 100,000-customer view whose send job is killed half-way and taken again, after which every
//! consenting customer has exactly one message in the outbox and every member a recipient row.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use fullhouse_core::jobs::store::jobs;
use fullhouse_core::jobs::{JobRegistry, Worker};
use fullhouse_segments::jobs::send::SendHandler;
use fullhouse_segments::sends::{SendService, SEND_JOB};
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use fullhouse_ticketing::store::{customer_permissions, customers, orders, tickets};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement};
use serde_json::{json, Value};

use crate::browser::page_session;
use crate::common::*;
use crate::mail::use_smtp;

/// A production with two events: holders of `held` make the segment; the campaign is for
/// `offered`, the event the view is shown for.
pub(crate) struct Stage {
    pub(crate) production: String,
    pub(crate) held: String,
    pub(crate) offered: String,
    pub(crate) ticket_type: String,
}

pub(crate) async fn stage(app: &TestApp, org: &TestOrg) -> Stage {
    let venue = id(&created(app, org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
    let (status, map) = app
        .call(
            Method::PUT,
            &format!("/api/v1/venues/{venue}/seat-map"),
            &org.token,
            Some(json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 200000}]})),
        )
        .await;
    assert_eq!(status, 200, "{map}");
    let production = id(&created(app, org, "/api/v1/productions", json!({"name": "Carmen"})).await);
    let event =
        |starts: &str| json!({"production_id": production, "venue_id": venue, "starts_at": starts});
    let held = id(&created(app, org, "/api/v1/events", event("2031-03-01T19:30:00Z")).await);
    let offered = id(&created(app, org, "/api/v1/events", event("2031-04-01T19:30:00Z")).await);
    let ticket_type = id(&created(
        app,
        org,
        &format!("/api/v1/events/{held}/ticket-types"),
        json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]}),
    )
    .await);
    Stage {
        production,
        held,
        offered,
        ticket_type,
    }
}

/// An audience with the shared code `SPRING` and a campaign on the offered event; its id.
pub(crate) async fn campaign(
    app: &TestApp,
    org: &TestOrg,
    stage: &Stage,
    production: bool,
) -> String {
    let audience = id(&created(app, org, "/api/v1/audiences", json!({"name": "Spring"})).await);
    created(
        app,
        org,
        &format!("/api/v1/audiences/{audience}/members"),
        json!({"code": "SPRING", "quantity": 100000}),
    )
    .await;
    let mut body = json!({"name": "Spring offer", "audience_ids": [audience], "event_ids": [stage.offered],
        "effects": {"discount": {"kind": "percent", "percent": 20}}});
    if production {
        body["production_ids"] = json!([stage.production]);
    }
    id(&created(app, org, "/api/v1/campaigns", body).await)
}

/// A link to the offered event with the shared code; its id.
pub(crate) async fn link(app: &TestApp, org: &TestOrg, campaign: &str, stage: &Stage) -> String {
    let link = created(
        app,
        org,
        &format!("/api/v1/campaigns/{campaign}/links"),
        json!({"name": "Spring mail", "event_id": stage.offered, "code": "spring"}),
    )
    .await;
    id(&link)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.db.db.reader();
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

async fn strings(app: &TestApp, sql: &str) -> BTreeSet<String> {
    let db = app.db.db.reader();
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("rows")
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
        .collect()
}

/// A worker that runs sends only: the test looks at the outbox, and delivering tens of
/// thousands of messages is the mail worker's business, not this test's.
fn send_worker(app: &TestApp) -> Worker {
    let state = &app.server.state;
    let mut registry = JobRegistry::new();
    registry.register_resumable(
        SEND_JOB,
        SendHandler {
            service: SendService::new(state.db.clone()),
            registry: fullhouse_segments::index::Registry::new(state.db.clone()),
            public_url: app.base.clone(),
        },
    );
    Worker::new(state.db.clone(), state.files.clone(), registry)
        .with_lease(chrono::Duration::seconds(2))
}

fn send_body(stage: &Stage, link: &str) -> Value {
    json!({"selection": {"event_id": stage.offered}, "link_id": link, "subject": "{{ customer.first_name }}, an offer for Carmen",
        "text": "Twenty percent off the April performance."})
}

both_backends! {
    setup = spawn_app;

    async fn campaign_links_open_the_campaigns_events_with_a_code_of_its_audiences(app: TestApp) {
        let org = app.new_org("links").await;
        let stage = stage(&app, &org).await;
        let campaign = campaign(&app, &org, &stage, true).await;
        let path = format!("/api/v1/campaigns/{campaign}/links");
        let link = created(&app, &org, &path, json!({"name": "Spring mail", "event_id": stage.offered, "code": "spring"})).await;
        assert_eq!(link["code"], "SPRING", "the member's code as the member has it: {link}");
        let url = link["url"].as_str().unwrap_or_default();
        assert!(url.ends_with(&format!("/shop/links/events/{}?codes=SPRING", stage.offered)), "{url}");

        // A production link opens the production's next event that has not started.
        let by_production = created(&app, &org, &path, json!({"name": "Carmen", "production_id": stage.production, "code": "SPRING"})).await;
        assert!(by_production["url"].as_str().unwrap_or_default().contains(&format!("/events/{}?codes=SPRING", stage.held)), "{by_production}");

        for (body, field) in [
            (json!({"name": "No target", "code": "SPRING"}), "event_id"),
            (json!({"name": "Unknown code", "event_id": stage.offered, "code": "AUTUMN"}), "code"),
            (json!({"name": "", "event_id": stage.offered, "code": "SPRING"}), "name"),
        ] {
            let (status, refused) = app.post(&path, &org.token, body.clone()).await;
            assert_eq!(status, 422, "{body}: {refused}");
            assert_eq!(refused["error"]["details"]["fields"][0]["field"], field, "{refused}");
        }
        let other = campaign_without_production(&app, &org, &stage).await;
        let (status, refused) = app.post(&format!("/api/v1/campaigns/{other}/links"), &org.token,
            json!({"name": "Held", "event_id": stage.held, "code": "SPRING2"})).await;
        assert_eq!(status, 422, "an event the campaign does not apply to: {refused}");

        let (status, list) = app.get(&path, &org.token).await;
        assert_eq!((status.as_u16(), list.as_array().map(Vec::len)), (200, Some(2)), "{list}");
        let one = format!("{path}/{}", id(&link));
        let (status, renamed) = app.patch(&one, &org.token, json!({"name": "Spring mail, April"})).await;
        assert_eq!((status.as_u16(), renamed["name"].as_str()), (200, Some("Spring mail, April")), "{renamed}");

        // Another organization sees none of it.
        let stranger = app.new_org("stranger").await;
        let (status, _) = app.get(&one, &stranger.token).await;
        assert_eq!(status, 404);
        let (status, _) = app.get(&path, &stranger.token).await;
        assert_eq!(status, 404);

        let (status, _) = app.delete(&one, &org.token).await;
        assert_eq!(status, 204);
        let (status, _) = app.get(&one, &org.token).await;
        assert_eq!(status, 404);
        app.finish().await;
    }

    async fn a_campaign_link_mail_reaches_the_consenting_customers_of_the_view_through_smtp(app: TestApp) {
        let org = app.new_org("mailed").await;
        let smtp = SmtpServer::start();
        use_smtp(&app, &org, &smtp).await;
        let stage = stage(&app, &org).await;
        // 50 holders: even ones allow email, every tenth has no address.
        let customers: Vec<Value> = (0..50)
            .map(|i| {
                let email = if i % 10 == 9 { Value::Null } else { json!(format!("fan-{i:02}@example.dk")) };
                json!({"external_id": format!("F-{i:02}"), "first_name": format!("Fan{i:02}"), "last_name": "Holm",
                    "email": email, "permissions": {"newsletter": i % 2 == 0}})
            })
            .collect();
        let (status, made) = app.post("/api/v1/customers/bulk", &org.token, json!({"customers": customers})).await;
        assert_eq!(status, 200, "{made}");
        let ids: Vec<String> = made["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
        assert_eq!(ids.len(), 50);
        let orders: Vec<Value> = ids.iter().enumerate()
            .map(|(i, id)| json!({"customer_id": id, "channel": "online", "external_id": format!("O-{i}"), "created_at": Utc::now().to_rfc3339(),
                "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}))
            .collect();
        let (status, ingested) = app.post("/api/v1/orders/bulk", &org.token, json!({"orders": orders})).await;
        assert_eq!(status, 200, "{ingested}");
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen, March", "days_back": 30, "event_filter": {"event_ids": [stage.held]}})).await);
        let campaign = campaign(&app, &org, &stage, false).await;
        let link = link(&app, &org, &campaign, &stage).await;
        let sends = format!("/api/v1/segments/{segment}/sends");

        // Not shown for an event or production: refused, naming `event_id`.
        let mut unaimed = send_body(&stage, &link);
        unaimed["selection"] = json!({});
        let (status, refused) = app.post(&sends, &org.token, unaimed).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["details"]["fields"][0]["field"], "selection.event_id", "{refused}");
        let mut wrong = send_body(&stage, &link);
        wrong["selection"]["event_id"] = json!(stage.held);
        let (status, refused) = app.post(&sends, &org.token, wrong).await;
        assert_eq!((status.as_u16(), refused["error"]["details"]["fields"][0]["field"].as_str()), (422, Some("link_id")), "{refused}");

        // The preview is the real mail for a real customer of the view.
        let (status, preview) = app.post(&format!("{sends}/preview"), &org.token, send_body(&stage, &link)).await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["subject"], "Fan00, an offer for Carmen", "{preview}");
        let html = preview["html"].as_str().unwrap_or_default().replace("&#x2f;", "/");
        assert!(html.contains("Twenty percent off") && html.contains(&format!("/events/{}?codes=SPRING", stage.offered)), "{html}");

        let (status, job) = app.post(&sends, &org.token, send_body(&stage, &link)).await;
        assert_eq!(status, 201, "{job}");
        assert_eq!(job["kind"], SEND_JOB, "{job}");
        crate::mail::deliver(&app).await;
        let (_, job) = app.get(&format!("/api/v1/jobs/{}", id(&job)), &org.token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let send_id = strings(&app, "SELECT id FROM segment_sends").await.into_iter().next().expect("a send");
        let (status, send) = app.get(&format!("/api/v1/segments/sends/{send_id}"), &org.token).await;
        assert_eq!(status, 200, "{send}");
        // Even, with an address: 0, 2, …, 48 less 19, 29, 39, 49 (odd anyway) = 25; no address:
        // 9, 19, 29, 39, 49 = 5; the other 20 gave no permission.
        assert_eq!((send["members"].as_i64(), send["queued"].as_i64(), send["skipped_no_consent"].as_i64(), send["skipped_no_email"].as_i64()),
            (Some(50), Some(25), Some(20), Some(5)), "{send}");
        let (_, page) = app.get(&format!("/api/v1/segments/sends/{send_id}/recipients?limit=30"), &org.token).await;
        let cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        let (_, rest) = app.get(&format!("/api/v1/segments/sends/{send_id}/recipients?limit=30&cursor={cursor}"), &org.token).await;
        let listed = page["items"].as_array().map_or(0, Vec::len) + rest["items"].as_array().map_or(0, Vec::len);
        assert_eq!(listed, 50, "every member recorded: {page} {rest}");

        let messages = smtp.wait_for(25, Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let messages = if messages.len() >= 25 { smtp.messages() } else { messages };
        let to: BTreeSet<String> = messages.iter().filter_map(|m| header_value(m, "To")).map(|t| t.to_lowercase()).collect();
        assert_eq!((messages.len(), to.len()), (25, 25), "{to:?}");
        for address in &to {
            let n: usize = address.split("fan-").nth(1).and_then(|r| r.get(..2)).and_then(|n| n.parse().ok()).expect("a fan's address");
            assert_eq!(n % 2, 0, "{address} gave no permission");
        }
        let one = messages.first().expect("a message");
        assert!(header_value(one, "List-Unsubscribe").is_some(), "marketing mail: {one}");
        let body = one.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=").replace("&#x2f;", "/");
        assert!(body.contains(&format!("/events/{}?codes=SPRING", stage.offered)), "{body}");

        // The audit log has the send, under the job it started.
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'segment.mailed' AND subject = '{}'", id(&job))).await, 1);
        // Another organization cannot read it.
        let stranger = app.new_org("stranger-sends").await;
        let (status, _) = app.get(&format!("/api/v1/segments/sends/{send_id}"), &stranger.token).await;
        assert_eq!(status, 404);
        let (status, _) = app.post(&sends, &stranger.token, send_body(&stage, &link)).await;
        assert_eq!(status, 404);
        app.finish().await;
    }

    async fn the_campaign_page_makes_a_link_and_the_view_mails_it_with_a_preview_first(app: TestApp) {
        let org = app.new_org("pages-send").await;
        let stage = stage(&app, &org).await;
        let (status, made) = app.post("/api/v1/customers", &org.token,
            json!({"first_name": "Ida", "last_name": "Holm", "email": "ida@example.dk", "permissions": {"newsletter": true}})).await;
        assert_eq!(status, 201, "{made}");
        let order = json!({"customer_id": made["id"], "channel": "online", "external_id": "P-1", "created_at": Utc::now().to_rfc3339(),
            "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]});
        let (status, ingested) = app.post("/api/v1/orders/bulk", &org.token, json!({"orders": [order]})).await;
        assert_eq!(status, 200, "{ingested}");
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen, March", "days_back": 30, "event_filter": {"event_ids": [stage.held]}})).await);
        let campaign = campaign(&app, &org, &stage, false).await;
        let session = page_session(&app, &org).await;

        // The campaign page's links section: a refused code stays beside its field; a good one
        // makes the link.
        let (status, section) = session.get(&app, &format!("/campaigns/{campaign}/links")).await;
        assert_eq!(status, 200, "{section}");
        assert!(section.contains("campaign-link-form"), "{section}");
        let target = format!("event:{}", stage.offered);
        let fields = |code: &'static str| vec![("csrf_token", session.csrf.clone()), ("name", "Spring mail".to_string()), ("target", target.clone()), ("code", code.to_string())];
        let form: Vec<(&str, String)> = fields("AUTUMN");
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, refused) = session.post_located(&app, &format!("/campaigns/{campaign}/links"), &refs).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("AUTUMN"), "the typed code comes back: {refused}");
        let form: Vec<(&str, String)> = fields("spring");
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, location, _) = session.post_located(&app, &format!("/campaigns/{campaign}/links"), &refs).await;
        assert_eq!((status, location.as_str()), (303, format!("/campaigns/{campaign}#links").as_str()));
        let (_, section) = session.get(&app, &format!("/campaigns/{campaign}/links")).await;
        assert!(section.contains(&format!("/events/{}?codes=SPRING", stage.offered)), "{section}");
        let (_, links) = app.get(&format!("/api/v1/campaigns/{campaign}/links"), &org.token).await;
        let link = links[0]["id"].as_str().unwrap_or_default().to_string();

        // Without "view for", the page says what is missing and links back.
        let page = format!("/segments/{segment}/actions/mail");
        let (status, html) = session.get(&app, &page).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("send-needs-target"), "{html}");
        let aimed = format!("{page}?for_event={}", stage.offered);
        let (status, html) = session.get(&app, &aimed).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Spring mail") && html.contains(&link), "{html}");
        let send = |intent: &'static str| vec![("csrf_token", session.csrf.clone()), ("link_id", link.clone()), ("template", "campaign_link".to_string()),
            ("subject", "Hello {{ customer.first_name }}".to_string()), ("text", "See you in April".to_string()), ("intent", intent.to_string())];
        let form = send("preview");
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, preview) = session.post_located(&app, &aimed, &refs).await;
        assert_eq!(status, 200, "{preview}");
        assert!(preview.contains("Hello Ida") && preview.contains("ida@example.dk"), "{preview}");
        let form = send("send");
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, location, body) = session.post_located(&app, &aimed, &refs).await;
        assert_eq!((status, location.as_str()), (303, "/jobs"), "{body}");
        let (_, sends) = app.get(&format!("/api/v1/segments/{segment}/sends"), &org.token).await;
        assert_eq!(sends["items"][0]["subject"], "Hello {{ customer.first_name }}", "{sends}");
        app.finish().await;
    }

    async fn a_send_to_100000_customers_killed_half_way_and_taken_again_queues_each_consenting_customer_once(app: TestApp) {
        // The 100,000 on the embedded default; PostgreSQL walks the same kill and
        // restart with 20,000, which keeps CI under its half hour on two cores (the queries are
        // the same, only the loading differs).
        let n: usize = match app.db.backend {
            fullhouse_core::Backend::Postgres => 20_000,
            _ => 100_000,
        };
        let org = app.new_org("hundred").await;
        let stage = stage(&app, &org).await;
        let loaded = Instant::now();
        let expected = load_holders(&app, &org, &stage, n).await;
        eprintln!("loaded {n} customers with a ticket each in {:?}", loaded.elapsed());
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen, March", "days_back": 30, "event_filter": {"event_ids": [stage.held]}})).await);
        let campaign = campaign(&app, &org, &stage, false).await;
        let link = link(&app, &org, &campaign, &stage).await;
        let (status, job) = app.post(&format!("/api/v1/segments/{segment}/sends"), &org.token, send_body(&stage, &link)).await;
        assert_eq!(status, 201, "{job}");
        let job_id = id(&job);

        let started = Instant::now();
        let first = send_worker(&app);
        let run = tokio::spawn(async move { first.run_until_idle().await });
        let recorded = "SELECT COUNT(*) FROM segment_send_recipients";
        loop {
            if count(&app, recorded).await >= (n / 2) as i64 {
                break;
            }
            assert!(!run.is_finished(), "the send ended before it could be killed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Killed: the worker's future is dropped wherever it is (its transaction rolls back).
        run.abort();
        let _ = run.await;
        let first_run = started.elapsed();
        let at_kill = count(&app, recorded).await;
        assert!(((n / 2) as i64..n as i64).contains(&at_kill), "killed half-way: {at_kill}");

        // Taken again as after a crash: the lease runs out, the job is queued again, it resumes.
        let db = app.db.db.writer();
        let past = Utc::now() - chrono::Duration::minutes(1);
        jobs::Entity::update_many()
            .col_expr(jobs::Column::LeaseExpiresAt, Expr::value(Some(past)))
            .filter(jobs::Column::Id.eq(job_id.as_str()))
            .exec(db).await.expect("lease expires");
        send_worker(&app).run_until_idle().await.expect("the crash is noticed");
        jobs::Entity::update_many()
            .col_expr(jobs::Column::RunAfter, Expr::value(past))
            .filter(jobs::Column::Id.eq(job_id.as_str()))
            .exec(db).await.expect("due now");
        let resumed = Instant::now();
        send_worker(&app).run_until_idle().await.expect("second run");
        let queuing = first_run + resumed.elapsed();
        eprintln!("queuing the send to {n} customers took {queuing:?} (killed at {at_kill} recorded)");
        let (_, job) = app.get(&format!("/api/v1/jobs/{job_id}"), &org.token).await;
        assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("succeeded"), Some(2)), "{job}");

        assert_eq!(count(&app, recorded).await, n as i64, "every member recorded");
        let mailed = strings(&app, "SELECT customer_id FROM outbox WHERE idempotency_key LIKE 'segment-send:%'").await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'segment-send:%'").await, expected.len() as i64, "one message each");
        assert!(mailed == expected, "exactly the consenting customers with an address");
        let queued = strings(&app, "SELECT customer_id FROM segment_send_recipients WHERE status = 'queued'").await;
        assert!(queued == expected, "the recipients say who was mailed");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM segment_send_recipients WHERE status = 'skipped_no_email'").await, (n / 10) as i64);
        let (_, sent) = app.get(&format!("/api/v1/segments/sends/{}", strings(&app, "SELECT id FROM segment_sends").await.into_iter().next().unwrap_or_default()), &org.token).await;
        assert_eq!(sent["queued"].as_i64(), Some(expected.len() as i64), "{sent}");
        assert!(queuing < Duration::from_secs(15 * 60), "within the seed's 15 minutes: {queuing:?}");
        app.finish().await;
    }
}

async fn campaign_without_production(app: &TestApp, org: &TestOrg, stage: &Stage) -> String {
    let audience = id(&created(app, org, "/api/v1/audiences", json!({"name": "Autumn"})).await);
    created(
        app,
        org,
        &format!("/api/v1/audiences/{audience}/members"),
        json!({"code": "SPRING2", "quantity": 1}),
    )
    .await;
    id(&created(app, org, "/api/v1/campaigns", json!({"name": "Autumn", "audience_ids": [audience], "event_ids": [stage.offered], "effects": {"discount": {"kind": "percent", "percent": 5}}})).await)
}

/// `n` customers, each holding one ticket of the held event (one paid order each), written
/// straight into the tables in one transaction the way the demo loads its millions. Customer
/// `i` allows email when `i` is even and has no address when `i % 10 == 9`. Returns the ids
/// that should be mailed.
async fn load_holders(app: &TestApp, org: &TestOrg, stage: &Stage, n: usize) -> BTreeSet<String> {
    let org_id = org.id.to_string();
    let now = Utc::now();
    let txn = app.db.db.begin_write().await.expect("txn");
    let mut expected = BTreeSet::new();
    const CHUNK: usize = 1_000;
    for start in (0..n).step_by(CHUNK) {
        let mut people = Vec::with_capacity(CHUNK);
        let mut consents = Vec::with_capacity(CHUNK);
        let mut sales = Vec::with_capacity(CHUNK);
        let mut held = Vec::with_capacity(CHUNK);
        for i in start..(start + CHUNK).min(n) {
            let customer = fullhouse_core::ids::generate("cus");
            let order = fullhouse_core::ids::generate("ord");
            let email = (i % 10 != 9).then(|| format!("c{i}@example.test"));
            if i % 2 == 0 && email.is_some() {
                expected.insert(customer.clone());
            }
            people.push(customers::ActiveModel {
                organization_id: Set(org_id.clone()),
                id: Set(customer.clone()),
                external_id: Set(None),
                first_name: Set(Some(format!("C{i}"))),
                last_name: Set(Some("Holm".into())),
                email: Set(email),
                phone: Set(None),
                company: Set(None),
                title: Set(None),
                gender: Set(None),
                birth_date: Set(None),
                address_line: Set(None),
                postal_code: Set(None),
                city: Set(None),
                country: Set(None),
                latitude: Set(None),
                longitude: Set(None),
                language: Set(Some(["da", "en", "fr"][i % 3].into())),
                subscriber: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            });
            if i % 4 != 3 {
                consents.push(customer_permissions::ActiveModel {
                    organization_id: Set(org_id.clone()),
                    customer_id: Set(customer.clone()),
                    permission: Set("newsletter".into()),
                    granted: Set(i % 2 == 0),
                    changed_at: Set(now),
                    source: Set("test".into()),
                });
            }
            sales.push(orders::ActiveModel {
                organization_id: Set(org_id.clone()),
                id: Set(order.clone()),
                external_id: Set(None),
                customer_id: Set(Some(customer.clone())),
                channel: Set("online".into()),
                status: Set("paid".into()),
                total_minor: Set(30000),
                currency: Set("DKK".into()),
                source: Set("demo".into()),
                created_at: Set(now),
                updated_at: Set(now),
                cancelled_at: Set(None),
                referral_code: Set(None),
            });
            held.push(tickets::ActiveModel {
                organization_id: Set(org_id.clone()),
                id: Set(fullhouse_core::ids::generate("tkt")),
                order_id: Set(order),
                event_id: Set(stage.held.clone()),
                ticket_type_id: Set(stage.ticket_type.clone()),
                customer_id: Set(Some(customer)),
                seat_id: Set(None),
                ga_area_id: Set(None),
                price_minor: Set(30000),
                currency: Set("DKK".into()),
                barcode: Set(format!("LOAD{i:08}")),
                delivery_type: Set("VIRTUAL".into()),
                status: Set("valid".into()),
                created_at: Set(now),
            });
        }
        customers::Entity::insert_many(people)
            .exec_without_returning(&txn)
            .await
            .expect("customers");
        if !consents.is_empty() {
            customer_permissions::Entity::insert_many(consents)
                .exec_without_returning(&txn)
                .await
                .expect("permissions");
        }
        orders::Entity::insert_many(sales)
            .exec_without_returning(&txn)
            .await
            .expect("orders");
        tickets::Entity::insert_many(held)
            .exec_without_returning(&txn)
            .await
            .expect("tickets");
    }
    txn.commit().await.expect("commit");
    expected
}
