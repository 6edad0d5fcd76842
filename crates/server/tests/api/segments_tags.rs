//! The bulk tag (issue #19 point 4): a view's customers tagged as a job, counted in the tag
//! table, and the undo removes the tag only from the customers the action gave it to.

use crate::common::*;
use fullhouse_testkit::both_backends;
use serde_json::{json, Value};

async fn tags_of(app: &TestApp, org: &TestOrg, customer: &str) -> Vec<String> {
    let (status, customer) = app
        .get(&format!("/api/v1/customers/{customer}"), &org.token)
        .await;
    assert_eq!(status, 200, "{customer}");
    serde_json::from_value(customer["tags"].clone()).expect("tags")
}

/// The tag table's row for `tag`: (in the view, in all).
async fn counted(app: &TestApp, org: &TestOrg, segment: &str, view: &str, tag: &str) -> (u64, u64) {
    let (status, overview) = app
        .get(
            &format!("/api/v1/segments/{segment}/tags?view_id={view}"),
            &org.token,
        )
        .await;
    assert_eq!(status, 200, "{overview}");
    let row = overview["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["tag"] == tag);
    row.map_or((0, 0), |r| {
        (
            r["in_selection"].as_u64().unwrap_or(0),
            r["in_all"].as_u64().unwrap_or(0),
        )
    })
}

async fn job_status(app: &TestApp, org: &TestOrg, job: &str) -> Value {
    let (status, job) = app.get(&format!("/api/v1/jobs/{job}"), &org.token).await;
    assert_eq!(status, 200, "{job}");
    job
}

both_backends! {
    setup = spawn_app;

    async fn tagging_a_view_then_undoing_it_leaves_the_tags_customers_had_before(app: TestApp) {
        let org = app.new_org("segment-tags").await;
        let venue = id(&created(&app, &org, "/api/v1/venues", json!({"name": "Main Stage"})).await);
        let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
        let (status, map) = app.call(reqwest::Method::PUT, &format!("/api/v1/venues/{venue}/seat-map"), &org.token, Some(map)).await;
        assert_eq!(status, 200, "{map}");
        let production = id(&created(&app, &org, "/api/v1/productions", json!({"name": "Carmen"})).await);
        let event = id(&created(&app, &org, "/api/v1/events", json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"})).await);
        let ticket_type = id(&created(&app, &org, &format!("/api/v1/events/{event}/ticket-types"), json!({"name": "Floor", "price_minor": 30000, "ga_area_id": map["ga_areas"][0]["id"]})).await);
        // Mette and Lars are opera-goers (the view); Mette is gold already. Emil is gold but
        // outside the view.
        let mut customers = Vec::new();
        for (name, tags) in [("Mette", json!(["opera", "gold"])), ("Lars", json!(["opera"])), ("Emil", json!(["gold"]))] {
            let customer = id(&created(&app, &org, "/api/v1/customers", json!({"first_name": name, "email": format!("{}@example.dk", name.to_lowercase()), "tags": tags})).await);
            created(&app, &org, "/api/v1/orders", json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": ticket_type, "ga_name": "Floor"}]})).await;
            customers.push(customer);
        }
        let (mette, lars, emil) = (&customers[0], &customers[1], &customers[2]);
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Carmen buyers", "event_filter": {"production_ids": [production]}})).await);
        let view = id(&created(&app, &org, &format!("/api/v1/segments/{segment}/views"), json!({"name": "Opera", "filters": [{"kind": "tag", "tag": "opera", "mode": "include"}]})).await);

        let (status, overview) = app.get(&format!("/api/v1/segments/{segment}/tags?view_id={view}"), &org.token).await;
        assert_eq!(status, 200, "{overview}");
        assert_eq!(overview["members"], 2, "{overview}");
        assert_eq!(counted(&app, &org, &segment, &view, "gold").await, (1, 2));
        assert_eq!(counted(&app, &org, &segment, &view, "opera").await, (2, 2));

        // A tag that is no tag is refused by field, and nothing starts.
        let (status, bad) = app.post(&format!("/api/v1/segments/{segment}/tag-actions"), &org.token, json!({"selection": {"view_id": view}, "tag": "a b"})).await;
        assert_error(status, &bad, 422, "validation");
        assert_eq!(bad["error"]["details"]["fields"][0]["field"], "tag", "{bad}");

        let job = created(&app, &org, &format!("/api/v1/segments/{segment}/tag-actions"), json!({"selection": {"view_id": view}, "tag": "Gold"})).await;
        assert_eq!(job["kind"], "segments.tag", "{job}");
        run_jobs(&app).await;
        let job = job_status(&app, &org, &id(&job)).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(tags_of(&app, &org, lars).await, ["gold", "opera"]);
        assert_eq!(counted(&app, &org, &segment, &view, "gold").await, (2, 3), "the index follows the tags");

        let (status, actions) = app.get(&format!("/api/v1/segments/{segment}/tag-actions"), &org.token).await;
        assert_eq!(status, 200, "{actions}");
        let action = &actions["items"][0];
        assert_eq!((action["tag"].clone(), action["members"].clone(), action["added"].clone()), (json!("gold"), json!(2), json!(1)), "{actions}");
        assert_eq!(action["status"], "tagged", "{actions}");
        let action_id = id(action);

        // Undo: Lars loses the tag this action gave him; Mette and Emil keep theirs.
        let undo = created(&app, &org, &format!("/api/v1/segments/tag-actions/{action_id}/undo"), json!({})).await;
        assert_eq!(undo["kind"], "segments.untag", "{undo}");
        run_jobs(&app).await;
        assert_eq!(job_status(&app, &org, &id(&undo)).await["status"], "succeeded");
        assert_eq!(tags_of(&app, &org, lars).await, ["opera"]);
        assert_eq!(tags_of(&app, &org, mette).await, ["gold", "opera"]);
        assert_eq!(tags_of(&app, &org, emil).await, ["gold"]);
        assert_eq!(counted(&app, &org, &segment, &view, "gold").await, (1, 2));
        let (_, actions) = app.get(&format!("/api/v1/segments/{segment}/tag-actions"), &org.token).await;
        assert_eq!(actions["items"][0]["status"], "undone", "{actions}");
        assert_eq!(actions["items"][0]["removed"], 1, "{actions}");
        let (status, twice) = app.post(&format!("/api/v1/segments/tag-actions/{action_id}/undo"), &org.token, json!({})).await;
        assert_error(status, &twice, 409, "conflict");

        // Another organization sees none of it.
        let other = app.new_org("segment-tags-other").await;
        let (status, _) = app.get(&format!("/api/v1/segments/{segment}/tags"), &other.token).await;
        assert_eq!(status, 404);
        let (status, _) = app.get(&format!("/api/v1/segments/{segment}/tag-actions"), &other.token).await;
        assert_eq!(status, 404);
        let (status, _) = app.post(&format!("/api/v1/segments/{segment}/tag-actions"), &other.token, json!({"tag": "x"})).await;
        assert_eq!(status, 404);
        let (status, _) = app.post(&format!("/api/v1/segments/tag-actions/{action_id}/undo"), &other.token, json!({})).await;
        assert_eq!(status, 404);

        // Both steps are in the audit log with the tag and the view.
        let (status, log) = app.get("/api/v1/audit-log?action=segment.", &org.token).await;
        assert_eq!(status, 200, "{log}");
        let actions: Vec<&str> = log["items"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, ["segment.untagged", "segment.tagged"], "{log}");
        assert_eq!(log["items"][1]["details"]["tag"], "gold", "{log}");
        assert_eq!(log["items"][1]["details"]["view"], "Opera", "{log}");
        assert_eq!(log["items"][0]["details"]["customers"], 1, "{log}");
        app.finish().await;
    }
}
