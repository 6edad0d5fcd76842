//! Tenants stay apart: organization B's token, aimed at organization A's resources through every
//! route of the API, gets 404 and never data. The routes are read from the OpenAPI document the
//! router is built from, so a new route cannot be forgotten.

use std::collections::BTreeMap;

use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::Method;
use serde_json::{json, Value};

/// One resource of each kind in organization A, by the collection name that addresses it.
struct Seeded {
    ids: BTreeMap<&'static str, String>,
}

impl Seeded {
    fn id(&self, collection: &str) -> Option<&String> {
        self.ids.get(collection)
    }

    fn all_ids(&self) -> impl Iterator<Item = &String> {
        self.ids.values()
    }
}

fn id_of(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body}"))
        .to_string()
}

/// Creates one of everything in `org` through the API.
async fn seed(app: &TestApp, org: &TestOrg) -> Seeded {
    let t = &org.token;
    let mut ids = BTreeMap::new();
    let (s, production) = app
        .post("/api/v1/productions", t, json!({"name": "Hamlet"}))
        .await;
    assert_eq!(s, 201, "{production}");
    ids.insert("productions", id_of(&production));
    let (s, venue) = app
        .post(
            "/api/v1/venues",
            t,
            json!({"name": "Main Stage", "city": "København"}),
        )
        .await;
    assert_eq!(s, 201, "{venue}");
    let venue_id = id_of(&venue);
    let seat_map = json!({
        "sections": [{"name": "Parterre", "groups": [{"name": "Centre", "rows": [{"name": "1", "seats": [
            {"label": "1", "category": "A"}, {"label": "2", "category": "A"}]}]}]}],
        "ga_areas": [{"name": "Standing", "capacity": 10}]
    });
    let (s, map) = app
        .call(
            Method::PUT,
            &format!("/api/v1/venues/{venue_id}/seat-map"),
            t,
            Some(seat_map),
        )
        .await;
    assert_eq!(s, 200, "{map}");
    ids.insert("venues", venue_id.clone());
    let (s, event) = app
        .post(
            "/api/v1/events",
            t,
            json!({"production_id": ids["productions"], "venue_id": venue_id, "starts_at": "2030-01-01T19:30:00Z"}),
        )
        .await;
    assert_eq!(s, 201, "{event}");
    let event_id = id_of(&event);
    ids.insert("events", event_id.clone());
    let (s, ticket_type) = app
        .post(&format!("/api/v1/events/{event_id}/ticket-types"), t, json!({"name": "Standing", "price_minor": 25000, "ga_area_id": map["ga_areas"][0]["id"]}))
        .await;
    assert_eq!(s, 201, "{ticket_type}");
    ids.insert("ticket-types", id_of(&ticket_type));
    let (s, shop) = app
        .post(
            "/api/v1/shops",
            t,
            json!({"name": "Friends", "kind": "secret"}),
        )
        .await;
    assert_eq!(s, 201, "{shop}");
    ids.insert("shops", id_of(&shop));
    let (s, customer) = app
        .post("/api/v1/customers", t, json!({"first_name": "Søren", "last_name": "Kierkegaard", "email": "soren@example.dk", "tags": ["vip"], "permissions": {"newsletter": true}}))
        .await;
    assert_eq!(s, 201, "{customer}");
    let customer_id = id_of(&customer);
    ids.insert("customers", customer_id.clone());
    let (s, order) = app
        .post(
            "/api/v1/orders",
            t,
            json!({"customer_id": customer_id, "channel": "online", "tickets": [{"ticket_type_id": ids["ticket-types"], "ga_name": "Standing"}]}),
        )
        .await;
    assert_eq!(s, 201, "{order}");
    ids.insert("orders", id_of(&order));
    let (s, intent) = app
        .post(
            "/api/v1/intents",
            t,
            json!({"customer_id": customer_id, "event_id": event_id, "items": [{"ticket_type_id": ids["ticket-types"], "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, 201, "{intent}");
    ids.insert("intents", id_of(&intent));
    let (s, user) = app
        .post("/api/v1/users", t, json!({"email": "viewer@a.example", "name": "Vera", "password": "long enough password", "role": "viewer"}))
        .await;
    assert_eq!(s, 201, "{user}");
    ids.insert("users", id_of(&user));
    let (s, token) = app
        .post(
            "/api/v1/api-tokens",
            t,
            json!({"name": "export", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, 201, "{token}");
    ids.insert("api-tokens", id_of(&token));
    let (s, job) = app.post("/api/v1/jobs/demo", t, json!({"steps": 1})).await;
    assert_eq!(s, 201, "{job}");
    ids.insert("jobs", id_of(&job));
    let (s, segment) = app
        .post(
            "/api/v1/segments",
            t,
            json!({"name": "Opera lovers", "days_back": 30}),
        )
        .await;
    assert_eq!(s, 201, "{segment}");
    let segment_id = id_of(&segment);
    ids.insert("segments", segment_id.clone());
    let (s, view) = app
        .post(
            &format!("/api/v1/segments/{segment_id}/views"),
            t,
            json!({"name": "VIP", "filters": [{"kind": "tag", "tag": "vip", "mode": "include"}]}),
        )
        .await;
    assert_eq!(s, 201, "{view}");
    ids.insert("views", id_of(&view));
    let (s, tagging) = app
        .post(
            &format!("/api/v1/segments/{segment_id}/tag-actions"),
            t,
            json!({"tag": "seeded"}),
        )
        .await;
    assert_eq!(s, 201, "{tagging}");
    let (_, tag_actions) = app
        .get(&format!("/api/v1/segments/{segment_id}/tag-actions"), t)
        .await;
    ids.insert("tag-actions", id_of(&tag_actions["items"][0]));
    let (s, audience) = app
        .post("/api/v1/audiences", t, json!({"name": "Friends of A"}))
        .await;
    assert_eq!(s, 201, "{audience}");
    let audience_id = id_of(&audience);
    ids.insert("audiences", audience_id.clone());
    let (s, member) = app
        .post(
            &format!("/api/v1/audiences/{audience_id}/members"),
            t,
            json!({"code": "A-SECRET", "quantity": 1}),
        )
        .await;
    assert_eq!(s, 201, "{member}");
    ids.insert("members", id_of(&member));
    let (s, campaign) = app
        .post(
            "/api/v1/campaigns",
            t,
            json!({"name": "A's presale", "audience_ids": [audience_id], "event_ids": [event_id],
                   "effects": {"discount": {"kind": "percent", "percent": 10.0}}}),
        )
        .await;
    assert_eq!(s, 201, "{campaign}");
    ids.insert("campaigns", id_of(&campaign));
    let (s, promotion) = app
        .post(
            "/api/v1/referrals/promotions",
            t,
            json!({"name": "Bring a friend", "scope": {"kind": "event", "id": event_id},
                   "tiers": [{"tickets": 1, "reward": "A drink"}]}),
        )
        .await;
    assert_eq!(s, 201, "{promotion}");
    let promotion_id = id_of(&promotion);
    ids.insert("promotions", promotion_id.clone());
    ids.insert(
        "rewards",
        seed_reward(app, org, &promotion_id, &customer_id).await,
    );
    let template = json!({"subject": SECRET_MARKER, "html": format!("<p>{SECRET_MARKER}</p>")});
    let (s, saved) = app
        .call(
            Method::PUT,
            "/api/v1/mail/templates/campaign_link/en",
            t,
            Some(template),
        )
        .await;
    assert_eq!(s, 200, "{saved}");
    Seeded { ids }
}

/// A participant of A's promotion with a reward earned (through the service: earning one over
/// HTTP takes a tracked sale, which `referrals.rs` walks through); the reward's id.
async fn seed_reward(app: &TestApp, org: &TestOrg, promotion: &str, customer: &str) -> String {
    use fullhouse_referrals::Referrals;
    use sea_orm::{ConnectionTrait, Statement};
    let checkout = fullhouse_checkout::Checkout::new(app.db.db.clone());
    let referrals = Referrals::new(app.db.db.clone(), checkout, &app.base);
    let promotion = fullhouse_referrals::PromotionId::parse(promotion).expect("promotion id");
    let customer = fullhouse_ticketing::CustomerId::parse(customer).expect("customer id");
    let (participant, _) = referrals
        .enrol(&org.id, &promotion, &customer, None, "purchase")
        .await
        .expect("enrolled");
    let reward = fullhouse_referrals::model::RewardId::generate();
    let sql = format!(
        "INSERT INTO referral_rewards (organization_id, id, promotion_id, participant_id, tier_tickets, reward, state, earned_at) \
         VALUES ('{}', '{reward}', '{promotion}', '{}', 1, 'A drink', 'earned', CURRENT_TIMESTAMP)",
        org.id, participant.id
    );
    app.db
        .db
        .writer()
        .execute(Statement::from_string(app.db.db.db_backend(), sql))
        .await
        .expect("reward written");
    reward.to_string()
}

/// Organization A's own template text, which B must never see.
const SECRET_MARKER: &str = "only-for-organization-a";

/// Routes addressed by a name every organization has (its own mail template), not by an id:
/// B reaches B's own, and must never see A's.
fn addressed_by_name(template: &str) -> bool {
    template.contains("/mail/templates/{key}")
}

/// Fills a path template with A's ids: `{id}` after `/venues` is A's venue, and so on.
fn fill(template: &str, seeded: &Seeded) -> String {
    let mut previous = "";
    let mut parts = Vec::new();
    for segment in template.split('/') {
        let filled = if segment.starts_with('{') {
            match previous {
                "permissions" => "newsletter".to_string(),
                "files" => "result.csv".to_string(),
                "templates" => "campaign_link".to_string(),
                "{key}" => "en".to_string(),
                "tags" => "vip".to_string(),
                collection => seeded
                    .id(collection)
                    .unwrap_or_else(|| panic!("the isolation test has no seeded resource for `{collection}` in {template}"))
                    .clone(),
            }
        } else {
            segment.to_string()
        };
        previous = segment;
        parts.push(filled);
    }
    parts.join("/")
}

/// A body that is valid for the route, so that validation cannot answer before the lookup does.
fn body_for(method: &Method, template: &str) -> Option<Value> {
    if *method == Method::GET || *method == Method::DELETE {
        return None;
    }
    Some(match template {
        t if t.ends_with("/permissions/{permission}") => {
            json!({"granted": false, "source": "isolation-test"})
        }
        t if t.ends_with("/tags") => json!({"tag": "intruder"}),
        t if t.starts_with("/api/v1/segments/")
            && (t.ends_with("/views") || t.ends_with("/views/{view_id}")) =>
        {
            json!({"name": "Intruder"})
        }
        t if t.ends_with("/segments/{id}/audiences") => json!({"name": "Intruder"}),
        t if t.ends_with("/tag-actions") => json!({"tag": "intruder"}),
        t if t.ends_with("/segments/audiences/{audience_id}/sync") => json!({"sync": "daily"}),
        t if t.ends_with("/audiences/{id}/members") => json!({"code": "B-1", "quantity": 1}),
        t if t.ends_with("/ticket-types") => json!({"name": "Intruder", "price_minor": 1}),
        t if t.ends_with("/seat-map") => json!({"sections": [], "ga_areas": []}),
        t if t.ends_with("/intents/{id}/actions") => json!({"action": "cancel"}),
        t if t.ends_with("/promotions/{id}/tiers") => {
            json!({"tiers": [{"tickets": 1, "reward": "Intruder"}]})
        }
        t if t.ends_with("/intent-defaults") => {
            json!({"strategy": "invoice", "pay_days": 7, "remind_days": 3})
        }
        t if t.contains("/users/") => json!({"name": "Intruder"}),
        t if t.contains("/mail/templates/") && t.ends_with("/preview") => json!({}),
        t if t.contains("/mail/templates/") => {
            json!({"subject": "B's own", "html": "<p>B's own</p>"})
        }
        _ => json!({}),
    })
}

fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, _) in item.as_object().into_iter().flatten() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                found.push((method, path.clone()));
            }
        }
    }
    found
}

both_backends! {
    setup = spawn_app;

    async fn organization_b_gets_404_on_every_route_aimed_at_organization_a(app: TestApp) {
        let a = app.new_org("tenant-a").await;
        let b = app.new_org("tenant-b").await;
        let seeded = seed(&app, &a).await;
        let doc: Value = app.client.get(app.url("/api/openapi.json")).send().await.expect("doc").json().await.expect("json");
        let operations = operations(&doc);
        assert!(operations.len() > 30, "the document lists only {} operations", operations.len());

        // Snapshot A's resources as A sees them.
        let mut before = BTreeMap::new();
        for (collection, id) in &seeded.ids {
            before.insert(*collection, app.get(&format!("/api/v1/{collection}/{id}"), &a.token).await.1);
        }

        let mut checked = 0;
        for (method, template) in &operations {
            if template.contains("/auth/") || template.ends_with("/webhooks/orders") {
                continue;
            }
            // The storefront is public and names the organization by its slug, not by the
            // caller's token; `checkout.rs` checks that one shop never reaches another's events.
            if template.contains("/storefront/") {
                continue;
            }
            if addressed_by_name(template) {
                let path = fill(template, &seeded);
                let (status, body) = app.call(method.clone(), &path, &b.token, body_for(method, template)).await;
                assert!(!body.to_string().contains(SECRET_MARKER), "{method} {template} showed A's template to B: {body}");
                assert!(status.as_u16() < 500, "{method} {template}: {status} {body}");
                checked += 1;
            } else if template.contains('{') {
                let path = fill(template, &seeded);
                let (status, body) = if template.ends_with("/import") {
                    let csv = "section;group;row;seat\nParterre;Centre;1;9\n".as_bytes().to_vec();
                    app.upload(&path, &b.token, "text/csv", csv).await
                } else {
                    app.call(method.clone(), &path, &b.token, body_for(method, template)).await
                };
                assert_eq!(status, 404, "{method} {template} answered {status} to another organization: {body}");
                assert_eq!(body["error"]["code"], "not_found", "{method} {template}: {body}");
                checked += 1;
            } else if *method == Method::GET {
                let response = app.client.get(app.url(template)).bearer_auth(&b.token).send().await.expect("sent");
                let text = response.text().await.unwrap_or_default();
                for id in seeded.all_ids() {
                    assert!(!text.contains(id.as_str()), "GET {template} shows organization A's {id} to B");
                }
                checked += 1;
            }
        }
        assert!(checked >= 25, "only {checked} routes were checked");

        // B can reference A's ids in bodies neither: nothing is booked or linked.
        let (status, body) = app
            .post("/api/v1/orders", &b.token, json!({"channel": "online", "tickets": [{"ticket_type_id": seeded.ids["ticket-types"], "ga_name": "Standing"}]}))
            .await;
        assert!(status.is_client_error(), "B ordered A's ticket type: {status} {body}");
        let (status, body) = app
            .post("/api/v1/events", &b.token, json!({"production_id": seeded.ids["productions"], "venue_id": seeded.ids["venues"], "starts_at": "2030-01-01T19:30:00Z"}))
            .await;
        assert!(status.is_client_error(), "B made an event of A's production: {status} {body}");

        let (_, template) = app.get("/api/v1/mail/templates/campaign_link/en", &a.token).await;
        assert_eq!(template["template"]["subject"], SECRET_MARKER, "B changed A's template");

        // A's resources are exactly as they were.
        for (collection, id) in &seeded.ids {
            let after = app.get(&format!("/api/v1/{collection}/{id}"), &a.token).await.1;
            if *collection != "users" {
                assert_eq!(before[collection], after, "B changed A's {collection} {id}");
            }
        }
        app.finish().await;
    }
}
