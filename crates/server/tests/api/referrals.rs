//! Referral rewards end to end, over HTTP on both backends: a buyer's tracking link clicked by a
//! link preview, a HEAD request, a bot, one visitor twice and two visitors who buy; the buyer's
//! progress, the hits kept with their class, a refund that takes a sale back off, and the
//! buyer's own purchase through their own link that adds nothing. Also the promotion's rules as
//! the API states them: refused tiers named by field, a reached tier that cannot be raised.

use std::sync::Arc;
use std::time::Duration;

use fullhouse_audiences::campaigns::CampaignRules;
use fullhouse_checkout::Checkout;
use fullhouse_core::OrgId;
use fullhouse_referrals::{PromotionId, Referrals, Sweep};
use fullhouse_testkit::both_backends;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::checkout::{public, show, Show};
use crate::common::*;

/// The referrals service and its sweep against the app's database (the test server runs no job
/// workers, so nothing else follows the outbox).
fn referrals_of(app: &TestApp) -> (Referrals, Sweep) {
    let checkout = Checkout::new(app.db.db.clone()).with_code_rules(Arc::new(CampaignRules));
    let referrals = Referrals::new(app.db.db.clone(), checkout, &app.base);
    (referrals.clone(), Sweep::new(referrals))
}

/// A visitor: a client of its own (cookies, user agent) that does not follow redirects, so
/// that each request is one hit.
fn visitor(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .expect("client")
}

const BROWSERS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
];

/// Clicks the tracking link as `client` would: the redirect, its cookie kept, not followed.
async fn click(app: &TestApp, client: &reqwest::Client, method: Method, code: &str) -> StatusCode {
    let response = client
        .request(method, app.url(&format!("/r/{code}")))
        .send()
        .await
        .expect("clicked");
    response.status()
}

/// Buys one standing ticket in the storefront with `client` (its tracking cookie, if any) as
/// `email`, and pays it with the test provider; the order's id.
async fn buy(app: &TestApp, client: &reqwest::Client, show: &Show, email: &str) -> String {
    let order = json!({
        "cart": {"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]},
        "buyer": {"email": email, "first_name": email.split('@').next().unwrap_or_default()},
    });
    let placed: Value = client
        .post(app.url("/api/v1/storefront/royal/orders"))
        .json(&order)
        .send()
        .await
        .expect("ordered")
        .json()
        .await
        .expect("order reads");
    let id = placed["id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "{placed}");
    let paid = client
        .post(app.url(&format!("/api/v1/storefront/royal/orders/{id}/pay")))
        .json(&json!({}))
        .send()
        .await
        .expect("paid");
    assert_eq!(paid.status(), 200);
    id
}

/// The hits of a participant as `(class, reason)`, once `expected` are stored (the recorder
/// writes off the request path, within a second).
async fn hits(app: &TestApp, participant: &str, expected: usize) -> Vec<(String, String)> {
    let db = &app.db.db;
    let sql = format!(
        "SELECT class, reason FROM referral_hits WHERE participant_id = '{participant}' ORDER BY at, id"
    );
    for _ in 0..100 {
        let rows = db
            .reader()
            .query_all(Statement::from_string(db.db_backend(), sql.clone()))
            .await
            .expect("hits read");
        if rows.len() >= expected {
            return rows
                .iter()
                .map(|r| {
                    (
                        r.try_get::<String>("", "class").unwrap_or_default(),
                        r.try_get::<String>("", "reason").unwrap_or_default(),
                    )
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {expected} hits stored within 5 s");
}

async fn promotion(app: &TestApp, org: &TestOrg, show: &Show) -> Value {
    let (s, promotion) = app
        .post(
            "/api/v1/referrals/promotions",
            &org.token,
            json!({
                "name": "Bring a friend",
                "scope": {"kind": "event", "id": show.event},
                "tiers": [{"tickets": 2, "reward": "A drink at the bar"}, {"tickets": 5, "reward": "VIP upgrade"}],
            }),
        )
        .await;
    assert_eq!(s, 201, "{promotion}");
    promotion
}

both_backends! {
    setup = spawn_app;

    async fn a_buyers_link_counts_unique_human_clicks_and_friends_sales_but_not_previews_bots_refunds_or_their_own(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let promotion = promotion(&app, &org, &show).await;
        assert_eq!(promotion["status"], "open");
        assert_eq!(promotion["attribution_days"], 30);
        assert_eq!(promotion["closes_at"], "2030-12-31T19:30:00Z", "24 hours before the event");
        let (referrals, sweep) = referrals_of(&app);

        // A buys, and becomes a participant when the order's event is followed.
        let ana = visitor(BROWSERS[0]);
        buy(&app, &ana, &show, "ana@example.dk").await;
        sweep.round().await.expect("round");
        let promotion_id = PromotionId::parse(promotion["id"].as_str().unwrap_or_default()).expect("id");
        let participants = referrals.participants(&org.id, &promotion_id).await.expect("participants");
        assert_eq!(participants.len(), 1, "{participants:?}");
        let a = participants.first().expect("Ana takes part").clone();
        assert_eq!(a.email, "ana@example.dk");

        // The hits: a WhatsApp preview, a HEAD request, a bot, one visitor twice, two buyers.
        let whatsapp = visitor("WhatsApp/2.24.23.78 A");
        let redirect = whatsapp.get(app.url(&format!("/r/{}", a.code))).send().await.expect("clicked");
        assert!(redirect.status().is_redirection(), "a redirect, at once");
        let header = |name: &str| redirect.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(header("location").ends_with(&format!("?ref={}", a.code)), "{}", header("location"));
        assert!(header("set-cookie").starts_with(&format!("fh_ref={}; Max-Age=2592000", a.code)), "{}", header("set-cookie"));
        assert_eq!(header("referrer-policy"), "no-referrer", "the code stays out of the next site's Referer");
        let head = visitor("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15");
        click(&app, &head, Method::HEAD, &a.code).await;
        let bot = visitor("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        click(&app, &bot, Method::GET, &a.code).await;
        let twice = visitor(BROWSERS[1]);
        click(&app, &twice, Method::GET, &a.code).await;
        click(&app, &twice, Method::GET, &a.code).await;
        let ben = visitor(BROWSERS[2]);
        click(&app, &ben, Method::GET, &a.code).await;
        let cleo = visitor(BROWSERS[3]);
        click(&app, &cleo, Method::GET, &a.code).await;
        let stored = hits(&app, a.id.as_str(), 7).await;
        let classes: Vec<&str> = stored.iter().map(|(class, _)| class.as_str()).collect();
        let mut sorted = classes.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["bot", "duplicate", "human", "human", "human", "prefetch", "preview"], "{stored:?}");
        assert!(stored.iter().all(|(_, reason)| !reason.is_empty()), "every hit says why: {stored:?}");
        assert!(stored.iter().any(|(class, reason)| class == "preview" && reason.contains("WhatsApp")), "{stored:?}");

        // Ben and Cleo buy through the link (its cookie); one ticket each reaches the first tier.
        buy(&app, &ben, &show, "ben@example.dk").await;
        let cleo_order = buy(&app, &cleo, &show, "cleo@example.dk").await;
        sweep.round().await.expect("round");
        let (s, progress) = public(&app, Method::GET, &format!("/api/v1/storefront/referrals/progress/{}", a.token), None).await;
        assert_eq!(s, 200, "{progress}");
        assert_eq!(progress["tally"]["clicks"], 3, "unique human clicks: {progress}");
        assert_eq!(progress["tally"]["tickets"], 2, "{progress}");
        assert_eq!(progress["tally"]["revenue_minor"], 40000, "{progress}");
        assert_eq!(progress["standing"]["reached"][0]["reward"], "A drink at the bar", "{progress}");
        assert_eq!(progress["standing"]["next"][1], 3, "three more tickets to the VIP upgrade: {progress}");

        // A refund takes Cleo's ticket back off.
        let (s, refunded) = app.post(&format!("/api/v1/checkout/orders/{cleo_order}/cancel"), &org.token, json!({})).await;
        assert_eq!(s, 200, "{refunded}");
        assert_eq!(refunded["status"], "refunded");
        sweep.round().await.expect("round");
        let tally = referrals.tally(&org.id, &a.id).await.expect("tally");
        assert_eq!((tally.clicks, tally.tickets, tally.revenue_minor), (3, 1, 20000));

        // Ana buying through her own link adds nothing, and the order says why.
        click(&app, &ana, Method::GET, &a.code).await;
        let own = buy(&app, &ana, &show, "ana@example.dk").await;
        sweep.round().await.expect("round");
        assert_eq!(referrals.tally(&org.id, &a.id).await.expect("tally").tickets, 1);
        let verdict = app.db.db.reader().query_one(Statement::from_string(
            app.db.db.db_backend(),
            format!("SELECT verdict FROM referral_orders WHERE id = '{own}'"),
        )).await.expect("read").and_then(|r| r.try_get::<String>("", "verdict").ok());
        assert_eq!(verdict.as_deref(), Some("own_purchase"));

        // The order itself records the code: attribution needs no cookie once it is placed.
        let (s, order) = app.get(&format!("/api/v1/orders/{own}"), &org.token).await;
        assert_eq!(s, 200, "{order}");
        assert_eq!(order["referral_code"], a.code.as_str());
        app.finish().await;
    }

    async fn a_promotion_refuses_bad_tiers_by_field_and_a_reached_tier_cannot_be_raised(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let (s, refused) = app
            .post(
                "/api/v1/referrals/promotions",
                &org.token,
                json!({"name": " ", "scope": {"kind": "event", "id": show.event},
                       "tiers": [{"tickets": 3, "reward": "Drink"}, {"tickets": 3, "reward": ""}],
                       "attribution_days": 0}),
            )
            .await;
        let fields: Vec<&str> = refused["error"]["details"]["fields"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(s, 422, "{refused}");
        for field in ["name", "attribution_days", "tiers[1].tickets", "tiers[1].reward"] {
            assert!(fields.contains(&field), "{field} is named: {refused}");
        }

        let promotion = promotion(&app, &org, &show).await;
        let id = promotion["id"].as_str().unwrap_or_default();
        let (referrals, sweep) = referrals_of(&app);
        let seller = visitor(BROWSERS[0]);
        buy(&app, &seller, &show, "ana@example.dk").await;
        sweep.round().await.expect("round");
        let a = referrals.participants(&org.id, &PromotionId::parse(id).expect("id")).await.expect("participants").remove(0);
        for (i, email) in ["ben@example.dk", "cleo@example.dk"].iter().enumerate() {
            let friend = visitor(BROWSERS[i + 1]);
            click(&app, &friend, Method::GET, &a.code).await;
            hits(&app, a.id.as_str(), i + 1).await;
            buy(&app, &friend, &show, email).await;
        }
        sweep.round().await.expect("round");
        let (s, raised) = app
            .call(Method::PUT, &format!("/api/v1/referrals/promotions/{id}/tiers"), &org.token,
                Some(json!({"tiers": [{"tickets": 3, "reward": "A drink at the bar"}]})))
            .await;
        assert_eq!(s, 422, "{raised}");
        assert_eq!(raised["error"]["details"]["fields"][0]["field"], "tiers[0].tickets", "{raised}");
        let (s, lowered) = app
            .call(Method::PUT, &format!("/api/v1/referrals/promotions/{id}/tiers"), &org.token,
                Some(json!({"tiers": [{"tickets": 2, "reward": "Two drinks"}, {"tickets": 4, "reward": "VIP upgrade"}]})))
            .await;
        assert_eq!(s, 200, "{lowered}");

        let (s, closed) = app.post(&format!("/api/v1/referrals/promotions/{id}/close"), &org.token, json!({})).await;
        assert_eq!(s, 200, "{closed}");
        assert_eq!(closed["status"], "closed");
        let (s, frozen) = app
            .call(Method::PUT, &format!("/api/v1/referrals/promotions/{id}/tiers"), &org.token,
                Some(json!({"tiers": [{"tickets": 1, "reward": "Drink"}]})))
            .await;
        assert_eq!(s, 409, "{frozen}");
        let other = OrgId::from_db(app.new_org("other").await.id.to_string());
        assert!(referrals.promotion(&other, &PromotionId::parse(id).expect("id")).await.is_err(), "another organization does not see it");
        app.finish().await;
    }
}
