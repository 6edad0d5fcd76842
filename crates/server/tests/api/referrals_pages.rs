//! The referral pages over HTTP, on both backends: the organizer makes a promotion on the form
//! (refused input comes back beside its field); a buyer's paid order page shows the share panel
//! and enrols them; a friend buys through their code; the progress page, the promotion's report
//! (charts, leaderboard, ledger), the JSON report, the hits and the CSV agree; a reward is
//! fulfilled once; closing needs its confirmation and freezes the report; and the pages answer in
//! English, Danish and French.

use chrono::Utc;
use fullhouse_core::Backend;
use fullhouse_referrals::model::PromotionId;
use fullhouse_referrals::store::referral_hits;
use fullhouse_referrals::{Referrals, Sweep};
use fullhouse_testkit::both_backends;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};

use crate::browser::{page_session, PageSession};
use crate::checkout::{public, show, Show};
use crate::common::{spawn_app, TestApp, TestOrg};

/// The referrals service as the server runs it, for the attribution round.
fn referrals_of(app: &TestApp) -> Referrals {
    let state = &app.server.state;
    Referrals::new(
        state.db.clone(),
        fullhouse_checkout::CheckoutModule::new().serving(state),
        &state.settings.public_url,
    )
}

/// Follows the outbox once, as the server's sweep does every few seconds.
pub(crate) async fn attribute(app: &TestApp) {
    Sweep::new(referrals_of(app))
        .round()
        .await
        .expect("attribution round");
}

/// Makes a promotion on the form (tiers: 1 ticket → a drink, 3 → a VIP upgrade); its id.
pub(crate) async fn promotion_on_form(app: &TestApp, session: &PageSession, event: &str) -> String {
    let scope = format!("event:{event}");
    let (status, location, body) = session
        .post_located(
            app,
            "/referrals/new",
            &[
                ("csrf_token", session.csrf.as_str()),
                ("name", "Bring a friend"),
                ("scope", scope.as_str()),
                ("attribution_days", "30"),
                ("counts", "paid"),
                ("tier_tickets", "1"),
                ("tier_reward", "A drink at the bar"),
                ("tier_tickets", "3"),
                ("tier_reward", "VIP upgrade"),
                ("tier_tickets", ""),
                ("tier_reward", ""),
                ("staff_emails", "bar@example.dk"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let id = location
        .trim_start_matches("/referrals/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(PromotionId::parse(&id).is_ok(), "{location}");
    id
}

/// A paid storefront order for `email` (one standing ticket), through `code` if given.
pub(crate) async fn paid_order(
    app: &TestApp,
    slug: &str,
    show: &Show,
    email: &str,
    code: Option<&str>,
) -> String {
    let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}], "referral_code": code});
    let (s, order) = public(
        app,
        Method::POST,
        &format!("/api/v1/storefront/{slug}/orders"),
        Some(json!({"cart": cart, "buyer": {"email": email, "first_name": email.split('@').next().unwrap_or_default()}})),
    )
    .await;
    assert_eq!(s, 201, "{order}");
    let id = order["id"].as_str().unwrap_or_default().to_string();
    let (s, paid) = public(
        app,
        Method::POST,
        &format!("/api/v1/storefront/{slug}/orders/{id}/pay"),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{paid}");
    id
}

/// The value of the first `attr="…"` after `marker` in `html`.
fn after(html: &str, marker: &str, attr: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"));
    // The element's own attributes, whichever order they are in.
    let tag = html[..start].rfind('<').unwrap_or(start);
    let rest = &html[tag..];
    let from = rest
        .find(&format!("{attr}=\""))
        .unwrap_or_else(|| panic!("no {attr} after {marker}"));
    rest[from + attr.len() + 2..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn visit(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A hit on a participant's link, as the tracking redirect records it.
async fn hit(app: &TestApp, org: &TestOrg, promotion: &str, participant: &str, class: &str) {
    hit_days_ago(app, org, promotion, participant, class, 0).await;
}

/// A hit `days` ago (the report's daily series).
pub(crate) async fn hit_days_ago(
    app: &TestApp,
    org: &TestOrg,
    promotion: &str,
    participant: &str,
    class: &str,
    days: i64,
) {
    let row = referral_hits::ActiveModel {
        organization_id: Set(org.id.to_string()),
        id: Set(format!("hit_{}", rand_suffix())),
        promotion_id: Set(promotion.to_string()),
        participant_id: Set(participant.to_string()),
        at: Set(Utc::now() - chrono::Duration::days(days)),
        class: Set(class.to_string()),
        reason: Set(format!("{class} test visit")),
        method: Set("GET".to_string()),
        visitor: Set(rand_suffix()),
        network: Set("n".to_string()),
        user_agent: Set(Some("Test".to_string())),
        referer: Set(None),
    };
    referral_hits::Entity::insert(row)
        .exec_without_returning(app.server.state.db.writer())
        .await
        .expect("hit written");
}

fn rand_suffix() -> String {
    fullhouse_referrals::model::new_code()
}

async fn setup(app: &TestApp, slug: &str) -> (TestOrg, Show, PageSession) {
    let org = app.new_org(slug).await;
    let show = show(app, &org).await;
    let session = page_session(app, &org).await;
    (org, show, session)
}

both_backends! {
    setup = spawn_app;

    async fn a_buyer_shares_a_link_a_friend_buys_and_the_report_the_progress_page_and_the_ledger_agree(app: TestApp) {
        let (org, show, session) = setup(&app, "ref-pages").await;
        let (status, list) = session.get(&app, "/referrals").await;
        assert_eq!(status, 200, "{list}");
        assert!(list.contains("id=\"referrals-empty\""), "{list}");
        let (status, form) = session.get(&app, "/referrals/new").await;
        assert_eq!(status, 200, "{form}");
        assert!(form.contains(&format!("event:{}", show.event)), "{form}");
        let promotion = promotion_on_form(&app, &session, &show.event).await;

        // Ana buys; her order page shows the panel, which enrols her.
        let ana_order = paid_order(&app, "ref-pages", &show, "ana@example.dk", None).await;
        let (status, page) = visit(&app, &format!("/shop/ref-pages/orders/{ana_order}"), &[]).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"referral-0\""), "the panel: {page}");
        assert!(page.contains("A drink at the bar") && page.contains("https://wa.me/?text="), "{page}");
        let link = after(&page, "id=\"referral-0-link\"", "value");
        let code = link.rsplit('/').next().unwrap_or_default().to_string();
        assert_eq!(code.len(), 10, "{link}");
        let progress = after(&page, "id=\"referral-0-progress\"", "href");
        let progress_path = format!("/referrals/progress/{}", progress.rsplit('/').next().unwrap_or_default());
        // Visiting again is the same participant (the panel enrols once).
        let (_, again) = visit(&app, &format!("/shop/ref-pages/orders/{ana_order}"), &[]).await;
        assert_eq!(after(&again, "id=\"referral-0-link\"", "value"), link);

        // Ben comes through her link and buys.
        let (s, report) = app.get(&format!("/api/v1/referrals/promotions/{promotion}/report"), &org.token).await;
        assert_eq!(s, 200, "{report}");
        let ana = report["leaderboard"][0]["participant_id"].as_str().unwrap_or_default().to_string();
        hit(&app, &org, &promotion, &ana, "human").await;
        hit(&app, &org, &promotion, &ana, "preview").await;
        paid_order(&app, "ref-pages", &show, "ben@example.dk", Some(&code)).await;
        attribute(&app).await;

        let (s, report) = app.get(&format!("/api/v1/referrals/promotions/{promotion}/report"), &org.token).await;
        assert_eq!(s, 200, "{report}");
        assert_eq!(report["totals"]["clicks"], 1, "{report}");
        assert_eq!(report["totals"]["hits"], 2);
        assert_eq!(report["totals"]["tickets"], 1);
        assert_eq!(report["totals"]["orders"], 1);
        assert_eq!(report["totals"]["revenue_minor"], 20000);
        assert_eq!(report["totals"]["conversion"], 1.0);
        assert_eq!(report["daily"].as_array().map(Vec::len), Some(1), "{report}");
        assert_eq!(report["leaderboard"][0]["tickets"], 1);
        let reward = report["rewards"][0]["id"].as_str().unwrap_or_default().to_string();
        assert_eq!(report["winners"][0]["winners"][0]["participant_id"], ana.as_str());
        assert_eq!(report["rewards"][0]["state"], "reminded", "the staff were mailed in the same round");

        let (s, hits) = app.get(&format!("/api/v1/referrals/promotions/{promotion}/hits"), &org.token).await;
        assert_eq!(s, 200, "{hits}");
        assert_eq!(hits["total"], 2);
        let response = app.client.get(app.url(&format!("/api/v1/referrals/promotions/{promotion}/report.csv"))).bearer_auth(&org.token).send().await.expect("csv");
        assert_eq!(response.status(), StatusCode::OK);
        let csv = response.text().await.unwrap_or_default();
        assert!(csv.starts_with("\"rank\",\"name\""), "{csv}");
        assert!(csv.contains("\"ana@example.dk\",\"1\",\"1\",\"200.00\""), "{csv}");

        // The progress page: in Ana's language, or the one asked for; htmx gets the figures alone.
        let (status, mine) = visit(&app, &progress_path, &[]).await;
        assert_eq!(status, 200, "{mine}");
        assert!(mine.contains("id=\"progress-tickets\">1<"), "{mine}");
        assert!(mine.contains("VIP upgrade") && mine.contains("2 more tickets"), "{mine}");
        assert!(mine.contains("hx-trigger=\"every 30s\""), "{mine}");
        let (_, danish) = visit(&app, &format!("{progress_path}?lang=da"), &[]).await;
        assert!(danish.contains("Solgte billetter") && danish.contains("lang=\"da\""), "{danish}");
        let (_, french) = visit(&app, &format!("{progress_path}?lang=fr"), &[]).await;
        assert!(french.contains("Billets vendus"), "{french}");
        let (_, partial) = visit(&app, &progress_path, &[("hx-request", "true")]).await;
        assert!(partial.starts_with("<div id=\"progress-figures\"") && !partial.contains("<html"), "{partial}");
        let (status, unknown) = visit(&app, "/referrals/progress/fhr_nothing", &[]).await;
        assert_eq!(status, 404, "{unknown}");

        // The organizer's page: figures, both charts, the leaderboard and the ledger.
        let (status, detail) = session.get(&app, &format!("/referrals/{promotion}")).await;
        assert_eq!(status, 200, "{detail}");
        assert!(detail.contains("id=\"clicks-chart\"") && detail.contains("id=\"tickets-chart\""), "{detail}");
        assert!(detail.contains("<circle class=\"chart-point\""), "{detail}");
        assert!(detail.contains("<rect class=\"chart-bar\""), "{detail}");
        assert!(detail.contains("id=\"figure-tickets\">1<"), "{detail}");
        assert!(detail.contains("preview test visit"), "hits with their reason: {detail}");
        assert!(detail.contains(&format!("id=\"fulfil-{reward}\"")), "{detail}");

        // Fulfilled from the page, once: a second click keeps the first who and when.
        let (status, location, _) = session.post_located(&app, &format!("/referrals/rewards/{reward}/fulfil"), &[("csrf_token", session.csrf.as_str())]).await;
        assert_eq!(status, 303);
        assert!(location.starts_with(&format!("/referrals/{promotion}?done=fulfilled")), "{location}");
        let (_, detail) = session.get(&app, &location).await;
        assert!(detail.contains("data-state=\"fulfilled\"") && detail.contains(&org.admin_email), "{detail}");
        let (s, first) = app.post(&format!("/api/v1/referrals/rewards/{reward}/fulfil"), &org.token, json!({})).await;
        assert_eq!(s, 200, "{first}");
        assert_eq!(first["fulfilled_by"], org.admin_email.as_str());
        let (_, second) = app.post(&format!("/api/v1/referrals/rewards/{reward}/fulfil"), &org.token, json!({})).await;
        assert_eq!(second["fulfilled_at"], first["fulfilled_at"]);
        let (status, _, _) = session.post_located(&app, &format!("/referrals/rewards/{reward}/fulfil"), &[("csrf_token", "wrong")]).await;
        assert_eq!(status, 403, "a form without the session's token is refused");

        // Closing needs its box ticked; closed, the report is final and the tiers form is gone.
        let (status, refused) = session.post(&app, &format!("/referrals/{promotion}/close"), &[("csrf_token", session.csrf.as_str())]).await;
        assert_eq!(status, 409, "{refused}");
        assert!(refused.contains("id=\"promotion-problem\""), "{refused}");
        let (status, location, _) = session.post_located(&app, &format!("/referrals/{promotion}/close"), &[("csrf_token", session.csrf.as_str()), ("confirm", "yes")]).await;
        assert_eq!(status, 303);
        let (_, closed) = session.get(&app, &location).await;
        assert!(closed.contains("id=\"final-report\"") && !closed.contains("id=\"tiers-form\""), "{closed}");
        assert!(closed.contains("data-status=\"closed\""), "{closed}");
        let (_, finished) = visit(&app, &progress_path, &[]).await;
        assert!(finished.contains("id=\"progress-closed\""), "{finished}");
        app.finish().await;
    }

    async fn a_refused_promotion_form_names_each_problem_beside_its_field(app: TestApp) {
        let (_org, show, session) = setup(&app, "ref-form").await;
        let scope = format!("event:{}", show.event);
        let (status, page) = session.post(&app, "/referrals/new", &[
            ("csrf_token", session.csrf.as_str()),
            ("name", " "),
            ("scope", scope.as_str()),
            ("attribution_days", "0"),
            ("tier_tickets", "3"),
            ("tier_reward", "Drink"),
            ("tier_tickets", "2"),
            ("tier_reward", ""),
            ("staff_emails", "not-an-address"),
            ("opens_at", "2030-06-01T10:00"),
            ("closes_at", "2030-05-01T10:00"),
        ]).await;
        assert_eq!(status, 422, "{page}");
        for id in ["name-error", "attribution_days-error", "tier-tickets-1-error", "tier-reward-1-error", "staff_emails-error", "closes_at-error"] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing: {page}");
        }
        // What was typed comes back as typed.
        assert!(page.contains("value=\"Drink\"") && page.contains("not-an-address"), "{page}");
        let (status, page) = session.post(&app, "/referrals/new", &[
            ("csrf_token", session.csrf.as_str()),
            ("name", "No scope"),
            ("tier_tickets", "x"),
            ("tier_reward", "Drink"),
        ]).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"scope-error\"") && page.contains("id=\"tier-tickets-0-error\""), "{page}");
        let (status, _) = session.get(&app, "/referrals").await;
        assert_eq!(status, 200);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_referral_pages_answer_in_danish_and_french() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let (_org, show, session) = setup(&app, "ref-langs").await;
    let promotion = promotion_on_form(&app, &session, &show.event).await;
    for (lang, title, button) in [
        ("da", "Henvisningsbelønninger", "Luk kampagnen"),
        ("fr", "Récompenses de parrainage", "Clôturer l'opération"),
        ("en", "Referral rewards", "Close the promotion"),
    ] {
        let (status, _) = session
            .post(
                &app,
                "/language",
                &[
                    ("csrf_token", session.csrf.as_str()),
                    ("language", lang),
                    ("return_to", "/referrals"),
                ],
            )
            .await;
        assert!(status == 303 || status == 200, "{lang}: {status}");
        let (status, list) = session.get(&app, "/referrals").await;
        assert_eq!(status, 200);
        assert!(list.contains(title), "{lang}: {list}");
        let (_, detail) = session.get(&app, &format!("/referrals/{promotion}")).await;
        assert!(
            detail.contains(&button.replace('\'', "&#39;")),
            "{lang}: {detail}"
        );
        let (_, form) = session.get(&app, "/referrals/new").await;
        assert!(form.contains(&format!("lang=\"{lang}\"")), "{lang}");
    }
    let _: Value = json!({});
    app.finish().await;
}
