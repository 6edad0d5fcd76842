//! Referral mail through a real SMTP server on loopback: back-dating a promotion to 1,000
//! earlier ticket holders with the job killed half-way and started again (each consenting
//! holder mailed exactly once, the others never); the link mail once per participant; the
//! staff's reminders when a tier is reached and when the promotion closes, once each; the
//! ledger's fulfil; and an external platform's webhook order attributed like a storefront one.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use fullhouse_checkout::Checkout;
use fullhouse_core::jobs::Worker;
use fullhouse_core::OrgId;
use fullhouse_referrals::model::{PromotionId, RewardState};
use fullhouse_referrals::{Referrals, Sweep};
use fullhouse_testkit::both_backends;
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::checkout::public;
use crate::common::*;
use crate::mail::use_smtp;

/// An event with a standing area for 5,000 and its standing ticket type.
struct Stage {
    event: String,
    standing: String,
}

async fn stage(app: &TestApp, org: &TestOrg) -> Stage {
    let t = &org.token;
    let (s, production) = app
        .post("/api/v1/productions", t, json!({"name": "Hamlet"}))
        .await;
    assert_eq!(s, 201, "{production}");
    let (s, venue) = app
        .post("/api/v1/venues", t, json!({"name": "Main Stage"}))
        .await;
    assert_eq!(s, 201, "{venue}");
    let venue_id = venue["id"].as_str().unwrap_or_default();
    let (s, map) = app
        .call(
            Method::PUT,
            &format!("/api/v1/venues/{venue_id}/seat-map"),
            t,
            Some(json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 5000}]})),
        )
        .await;
    assert_eq!(s, 200, "{map}");
    let (s, event) = app
        .post(
            "/api/v1/events",
            t,
            json!({"production_id": production["id"], "venue_id": venue_id, "starts_at": "2031-01-01T19:30:00Z"}),
        )
        .await;
    assert_eq!(s, 201, "{event}");
    let event = event["id"].as_str().unwrap_or_default().to_string();
    let (s, standing) = app
        .post(
            &format!("/api/v1/events/{event}/ticket-types"),
            t,
            json!({"name": "Standing", "price_minor": 20000, "ga_area_id": map["ga_areas"][0]["id"]}),
        )
        .await;
    assert_eq!(s, 201, "{standing}");
    Stage {
        event,
        standing: standing["id"].as_str().unwrap_or_default().to_string(),
    }
}

/// The referrals service and its sweep on the app's database (the server's own sweep runs only
/// with job workers, which test servers have none of).
fn referrals(app: &TestApp) -> (Referrals, Sweep) {
    let referrals = Referrals::new(
        app.db.db.clone(),
        Checkout::new(app.db.db.clone()),
        &app.base,
    );
    (referrals.clone(), Sweep::new(referrals))
}

fn worker(app: &TestApp) -> Worker {
    let state = &app.server.state;
    Worker::new(
        state.db.clone(),
        state.files.clone(),
        fullhouse_server::job_registry(state),
    )
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

async fn promotion(app: &TestApp, org: &TestOrg, stage: &Stage, staff: Value) -> String {
    let (s, promotion) = app
        .post(
            "/api/v1/referrals/promotions",
            &org.token,
            json!({
                "name": "Bring a friend", "scope": {"kind": "event", "id": stage.event},
                "tiers": [{"tickets": 3, "reward": "A drink at the bar"}, {"tickets": 10, "reward": "VIP upgrade"}],
                "staff_emails": staff,
            }),
        )
        .await;
    assert_eq!(s, 201, "{promotion}");
    promotion["id"].as_str().unwrap_or_default().to_string()
}

async fn backdate(app: &TestApp, org: &TestOrg, promotion: &str) -> String {
    let (s, job) = app
        .post(
            &format!("/api/v1/referrals/promotions/{promotion}/backdate"),
            &org.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{job}");
    assert_eq!(job["kind"], "referrals.backdate", "{job}");
    job["id"].as_str().unwrap_or_default().to_string()
}

/// The address each message went to.
fn recipients(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| header_value(m, "To"))
        .map(|to| {
            let address = to.rsplit('<').next().unwrap_or(&to);
            address.trim_end_matches('>').trim().to_lowercase()
        })
        .collect()
}

/// A webhook order from the external platform: one standing ticket, through `code` if given.
fn hook(stage: &Stage, id: &str, email: &str, code: Option<&str>) -> Value {
    json!({
        "id": id, "created_at": Utc::now(), "channel": "online",
        "customer": {"external_id": format!("ext-{email}"), "email": email, "first_name": "Guest", "last_name": id, "phone": null},
        "tickets": [{"event_id": stage.event, "ticket_type_id": stage.standing, "seat": null, "ga_name": "Floor", "price_minor": 20000, "barcode": null}],
        "referral_code": code,
    })
}

both_backends! {
    setup = spawn_app;

    async fn back_dating_1000_holders_killed_half_way_and_restarted_mails_each_consenting_holder_once(app: TestApp) {
        let org = app.new_org("backdate").await;
        let smtp = SmtpServer::start();
        use_smtp(&app, &org, &smtp).await;
        let stage = stage(&app, &org).await;
        let customers: Vec<Value> = (0..1000)
            .map(|i| json!({"external_id": format!("H-{i:04}"), "first_name": "Holder", "last_name": format!("{i}"),
                "email": format!("holder-{i:04}@example.dk"), "permissions": {"newsletter": i % 2 == 0}}))
            .collect();
        let (s, made) = app.post("/api/v1/customers/bulk", &org.token, json!({"customers": customers})).await;
        assert_eq!(s, 200, "{made}");
        let ids: Vec<String> = made["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
        assert_eq!(ids.len(), 1000);
        let earlier = (Utc::now() - chrono::Duration::days(10)).to_rfc3339();
        let orders: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"customer_id": id, "channel": "online", "external_id": format!("OLD-{i}"), "created_at": earlier,
                "tickets": [{"ticket_type_id": stage.standing, "ga_name": "Floor"}]}))
            .collect();
        let (s, ingested) = app.post("/api/v1/orders/bulk", &org.token, json!({"orders": orders})).await;
        assert_eq!(s, 200, "{ingested}");
        // The sweep has seen the earlier orders before the promotion exists, as a live server's
        // would have: only back-dating reaches their buyers.
        let (_, sweep) = referrals(&app);
        sweep.round().await.expect("sweep");
        let promotion = promotion(&app, &org, &stage, json!([])).await;

        let started = std::time::Instant::now();
        backdate(&app, &org, &promotion).await;
        let first = worker(&app);
        let run = tokio::spawn(async move { first.run_until_idle().await });
        let claimed = "SELECT COUNT(*) FROM referral_participants WHERE mailed_at IS NOT NULL";
        loop {
            if count(&app, claimed).await >= 400 {
                break;
            }
            assert!(!run.is_finished(), "the job ended before it could be killed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Killed: the worker's future is dropped wherever it is (its transaction rolled back).
        run.abort();
        let _ = run.await;
        let at_kill = count(&app, claimed).await;
        assert!((400..1000).contains(&at_kill), "killed half-way: {at_kill} claimed");
        eprintln!("the back-dating job was killed with {at_kill} of 1,000 holders claimed");

        // Started again, then once more: nobody is mailed twice.
        let second = backdate(&app, &org, &promotion).await;
        worker(&app).run_until_idle().await.expect("second run");
        let (_, job) = app.get(&format!("/api/v1/jobs/{second}"), &org.token).await;
        assert_eq!((job["status"].as_str(), job["progress_done"].as_i64()), (Some("succeeded"), Some(1000)), "{job}");
        backdate(&app, &org, &promotion).await;
        worker(&app).run_until_idle().await.expect("third run");
        eprintln!("back-dating 1,000 holders (killed, restarted, run again) took {:?}", started.elapsed());

        assert_eq!(count(&app, "SELECT COUNT(*) FROM referral_participants WHERE source = 'backdated'").await, 1000);
        assert_eq!(count(&app, claimed).await, 1000);
        let messages = smtp.wait_for(500, Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let messages = if messages.len() >= 500 { smtp.messages() } else { messages };
        let to = recipients(&messages);
        let distinct: BTreeSet<&String> = to.iter().collect();
        assert_eq!((to.len(), distinct.len()), (500, 500), "each consenting holder exactly once");
        for address in &distinct {
            let n: usize = address
                .trim_start_matches("holder-")
                .trim_end_matches("@example.dk")
                .parse()
                .expect("a holder's address");
            assert_eq!(n % 2, 0, "{address} gave no permission and was mailed");
        }
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE status = 'suppressed'").await, 500);
        let one = messages.first().expect("a message");
        assert!(header_value(one, "List-Unsubscribe").is_some(), "marketing mail: {one}");
        let text = one.replace("=\r\n", "").replace("=\n", "");
        assert!(text.contains("/r/") && text.contains("/referrals/progress/fhr_"), "{text}");
        app.finish().await;
    }

    async fn an_external_order_counts_like_a_storefront_one_and_staff_hear_of_the_tier_and_the_close_once(app: TestApp) {
        let org = app.new_org("reminders").await;
        let smtp = SmtpServer::start();
        use_smtp(&app, &org, &smtp).await;
        let stage = stage(&app, &org).await;
        let org_id: OrgId = org.id.clone();
        let (referrals, sweep) = referrals(&app);
        let promotion = promotion(&app, &org, &stage, json!([])).await;
        let promotion_id = PromotionId::from_db(promotion.clone());

        // Ana buys through the external platform and has given her email permission.
        let (s, ana) = app.post("/api/v1/customers", &org.token,
            json!({"first_name": "Ana", "email": "ana@example.dk", "permissions": {"newsletter": true}})).await;
        assert_eq!(s, 201, "{ana}");
        let (s, order) = app.post("/api/v1/webhooks/orders", &org.token, hook(&stage, "ext-1", "ana@example.dk", None)).await;
        assert_eq!(s, 201, "{order}");
        assert_eq!(order["customer_id"], ana["id"], "{order}");
        let report = sweep.round().await.expect("sweep");
        assert_eq!(report.mailed, 1, "{report:?}");
        assert_eq!(sweep.round().await.expect("sweep").mailed, 0, "the link mail goes once");
        let participants = referrals.participants(&org_id, &promotion_id).await.expect("participants");
        let code = participants.first().map(|p| p.code.clone()).expect("Ana takes part");
        let participant = participants.first().cloned().expect("Ana");
        assert!(!referrals.mail_link(&org_id, &participant).await.expect("mail"), "mailed already");

        // Two friends buy on the external platform through her code, one in the storefront.
        for (id, email) in [("ext-2", "ben@example.dk"), ("ext-3", "cy@example.dk")] {
            let (s, order) = app.post("/api/v1/webhooks/orders", &org.token, hook(&stage, id, email, Some(&code))).await;
            assert_eq!(s, 201, "{order}");
            assert_eq!(order["referral_code"], code.as_str(), "{order}");
        }
        let cart = json!({"event_id": stage.event, "items": [{"ticket_type_id": stage.standing, "quantity": 1}], "referral_code": code});
        let (s, placed) = public(&app, Method::POST, "/api/v1/storefront/reminders/orders",
            Some(json!({"cart": cart, "buyer": {"email": "di@example.dk", "first_name": "Di", "last_name": "Berg"}}))).await;
        assert_eq!(s, 201, "{placed}");
        let id = placed["id"].as_str().unwrap_or_default();
        let (s, paid) = public(&app, Method::POST, &format!("/api/v1/storefront/reminders/orders/{id}/pay"), Some(json!({}))).await;
        assert_eq!(s, 200, "{paid}");
        let report = sweep.round().await.expect("sweep");
        assert_eq!(report.reminded, 1, "one tier mail to the one owner: {report:?}");
        assert_eq!(sweep.round().await.expect("sweep").reminded, 0, "the tier reminder goes once");
        let tally = referrals.tally(&org_id, &participant.id).await.expect("tally");
        assert_eq!((tally.tickets, tally.revenue_minor), (3, 60000), "external and storefront alike");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM referral_orders WHERE verdict = 'counted' AND source = 'webhook'").await,
            2
        );

        let rewards = referrals.rewards(&org_id, &promotion_id).await.expect("ledger");
        assert_eq!(rewards.len(), 1, "{rewards:?}");
        let reward = rewards.first().cloned().expect("a reward");
        assert_eq!((reward.state, reward.tier.tickets, reward.below_tier_now), (RewardState::Reminded, 3, false));
        assert!(reward.reminded_at.is_some());
        let fulfilled = referrals.fulfil(&org_id, &reward.id, "owner@reminders.example").await.expect("fulfil");
        assert_eq!((fulfilled.state, fulfilled.fulfilled_by.as_deref()), (RewardState::Fulfilled, Some("owner@reminders.example")));
        let again = referrals.fulfil(&org_id, &reward.id, "someone@else.example").await.expect("fulfil again");
        assert_eq!((again.fulfilled_by, again.fulfilled_at), (fulfilled.fulfilled_by, fulfilled.fulfilled_at), "the first fulfiller is kept");

        let (s, closed) = app.post(&format!("/api/v1/referrals/promotions/{promotion}/close"), &org.token, json!({})).await;
        assert_eq!(s, 200, "{closed}");
        assert_eq!(sweep.round().await.expect("sweep").reminded, 1, "the closing mail");
        assert_eq!(sweep.round().await.expect("sweep").reminded, 0, "the closing mail goes once");
        let (s, refused) = app.post(&format!("/api/v1/referrals/promotions/{promotion}/backdate"), &org.token, json!({})).await;
        assert_error(s, &refused, 409, "conflict");

        worker(&app).run_until_idle().await.expect("delivery");
        smtp.wait_for(3, Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let messages = smtp.messages();
        let to = recipients(&messages);
        assert_eq!(to.len(), 3, "Ana's links and two staff mails (the friends gave no permission): {to:?}");
        assert_eq!(to.iter().filter(|t| t.as_str() == "ana@example.dk").count(), 1);
        assert_eq!(to.iter().filter(|t| t.as_str() == "owner@reminders.example").count(), 2);
        let subjects: Vec<String> = messages.iter().filter_map(|m| header_value(m, "Subject")).collect();
        assert!(subjects.iter().any(|s| s.contains("rewards to give")), "{subjects:?}");
        assert!(subjects.iter().any(|s| s.contains("has closed")), "{subjects:?}");
        app.finish().await;
    }

    async fn staff_addresses_given_to_the_promotion_get_the_reminders_instead_of_the_members(app: TestApp) {
        let org = app.new_org("staffed").await;
        let stage = stage(&app, &org).await;
        let (referrals, sweep) = referrals(&app);
        let promotion = promotion(&app, &org, &stage, json!(["Bar@Staffed.example"])).await;
        // The link mail is a template like the others: built in in three languages, editable.
        let (s, french) = app.get("/api/v1/mail/templates/referral_link/fr", &org.token).await;
        assert_eq!(s, 200, "{french}");
        assert!(french["template"]["subject"].as_str().unwrap_or_default().contains("Invitez"), "{french}");
        let (s, saved) = app.call(Method::PUT, "/api/v1/mail/templates/referral_link/en", &org.token, Some(json!({
            "subject": "Your own link for {{ event.title }}",
            "html": "<p><a href=\"{{ tracking_link }}\">Share</a> <a href=\"{{ progress_link }}\">Progress</a> <a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
        }))).await;
        assert_eq!(s, 200, "{saved}");
        let (_, order) = app.post("/api/v1/webhooks/orders", &org.token, hook(&stage, "x-1", "eva@example.dk", None)).await;
        assert_eq!(order["source"], "webhook", "{order}");
        assert_eq!(sweep.round().await.expect("sweep").mailed, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE subject = 'Your own link for Hamlet'").await, 1);
        let org_id: OrgId = org.id.clone();
        let promotion_id = PromotionId::from_db(promotion.clone());
        let code = referrals.participants(&org_id, &promotion_id).await.expect("participants")
            .first().map(|p| p.code.clone()).expect("Eva takes part");
        for i in 0..3 {
            app.post("/api/v1/webhooks/orders", &org.token, hook(&stage, &format!("x-f{i}"), &format!("f{i}@example.dk"), Some(&code))).await;
        }
        assert_eq!(sweep.round().await.expect("sweep").reminded, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE to_email = 'bar@staffed.example'").await, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox WHERE to_email = 'owner@staffed.example'").await, 0);
        app.finish().await;
    }
}
