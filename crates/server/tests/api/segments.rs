//! HTTP tests of segments: the JSON API, and an order placed through the API showing in the
//! next count within a second.

use std::time::{Duration, Instant};

use crate::common::*;
use fullhouse_testkit::both_backends;
use serde_json::json;

/// A future event with a GA ticket type in category `A`, and a customer.
struct Stage {
    production: String,
    event: String,
    ticket_type: String,
    customer: String,
}

async fn stage(app: &TestApp, org: &TestOrg) -> Stage {
    let venue = created(
        app,
        org,
        "/api/v1/venues",
        json!({"name": "Main Stage", "latitude": 55.68, "longitude": 12.57}),
    )
    .await;
    let venue = id(&venue);
    let map = json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]});
    let (status, map) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/venues/{venue}/seat-map"),
            &org.token,
            Some(map),
        )
        .await;
    assert_eq!(status, 200, "{map}");
    let production = id(&created(app, org, "/api/v1/productions", json!({"name": "Carmen"})).await);
    let event = id(&created(
        app,
        org,
        "/api/v1/events",
        json!({"production_id": production, "venue_id": venue, "starts_at": "2031-03-01T19:30:00Z"}),
    )
    .await);
    let ticket_type = id(&created(
        app,
        org,
        &format!("/api/v1/events/{event}/ticket-types"),
        json!({"name": "Floor", "price_minor": 30000, "category": "A", "ga_area_id": map["ga_areas"][0]["id"]}),
    )
    .await);
    let customer = id(&created(
        app,
        org,
        "/api/v1/customers",
        json!({"first_name": "Mette", "last_name": "Frederiksen", "email": "mette@example.dk", "tags": ["vip"]}),
    )
    .await);
    Stage {
        production,
        event,
        ticket_type,
        customer,
    }
}

both_backends! {
    setup = spawn_app;

    async fn an_order_placed_through_the_api_shows_in_the_next_count_within_a_second(app: TestApp) {
        let org = app.new_org("segments-live").await;
        let stage = stage(&app, &org).await;
        let segment = created(&app, &org, "/api/v1/segments", json!({"name": "Carmen buyers", "event_filter": {"production_ids": [stage.production]}})).await;
        let counts_path = format!("/api/v1/segments/{}/counts", id(&segment));
        let body = json!({"filters": [{"kind": "tag", "tag": "vip", "mode": "include"}, {"kind": "channel", "channel": "online"}]});
        let (status, before) = app.post(&counts_path, &org.token, body.clone()).await;
        assert_eq!(status, 200, "{before}");
        assert_eq!(before["segment"], 0);

        let (status, order) = app
            .post("/api/v1/orders", &org.token, json!({"customer_id": stage.customer, "channel": "online", "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}))
            .await;
        assert_eq!(status, 201, "{order}");
        let placed = Instant::now();
        let after = loop {
            let (status, counts) = app.post(&counts_path, &org.token, body.clone()).await;
            assert_eq!(status, 200, "{counts}");
            if counts["total"] == 1 || placed.elapsed() > Duration::from_secs(3) {
                break counts;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let waited = placed.elapsed();
        assert_eq!(after["segment"], 1, "{after}");
        assert_eq!(after["total"], 1, "{after}");
        assert_eq!(after["filters"][0]["count"], 1, "{after}");
        assert_eq!(after["customers"][0]["id"], stage.customer.as_str(), "{after}");
        assert_eq!(after["customers"][0]["name"], "Mette Frederiksen", "{after}");
        assert!(waited < Duration::from_secs(1), "the count caught up after {waited:?}");

        // "View for event" leaves out the holders of that event.
        let (status, view_for) = app
            .post(&counts_path, &org.token, json!({"event_id": stage.event}))
            .await;
        assert_eq!(status, 200, "{view_for}");
        assert_eq!(view_for["total"], 0, "{view_for}");
    }

    async fn an_unsaved_definition_with_filters_and_view_for_counts_like_the_saved_segment(app: TestApp) {
        let org = app.new_org("segments-unsaved").await;
        let stage = stage(&app, &org).await;
        let (status, order) = app
            .post("/api/v1/orders", &org.token, json!({"customer_id": stage.customer, "channel": "online", "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}))
            .await;
        assert_eq!(status, 201, "{order}");
        let without_events = id(&created(&app, &org, "/api/v1/productions", json!({"name": "Tosca"})).await);
        let definition = json!({"event_filter": {"production_ids": [stage.production]}, "days_back": 30});
        let mut saved = definition.clone();
        saved["name"] = json!("Carmen buyers");
        let segment = id(&created(&app, &org, "/api/v1/segments", saved).await);
        // Tags are matched as customers' tags are stored: ` VIP ` is `vip`.
        let filters = json!([{"kind": "tag", "tag": " VIP ", "mode": "include"}, {"kind": "channel", "channel": "online"}]);
        for (view_for, expected) in [
            (json!({}), 1),
            // A production without events leaves the segment as it is.
            (json!({"production_id": without_events}), 1),
            (json!({"event_id": stage.event}), 0),
        ] {
            let mut body = view_for.clone();
            body["filters"] = filters.clone();
            let (status, of_saved) = app.post(&format!("/api/v1/segments/{segment}/counts"), &org.token, body.clone()).await;
            assert_eq!(status, 200, "{of_saved}");
            body["definition"] = definition.clone();
            let (status, of_unsaved) = app.post("/api/v1/segment-counts", &org.token, body).await;
            assert_eq!(status, 200, "{view_for}: {of_unsaved}");
            for key in ["segment", "total"] {
                assert_eq!(of_saved[key], of_unsaved[key], "{view_for} {key}: {of_saved} / {of_unsaved}");
            }
            assert_eq!(of_saved["filters"], of_unsaved["filters"], "{view_for}");
            assert_eq!(of_unsaved["total"], expected, "{view_for}: {of_unsaved}");
        }

        // References that are not this organization's are said, never counted as nobody.
        let nowhere = id(&created(&app, &org, "/api/v1/venues", json!({"name": "Somewhere"})).await);
        for (body, field) in [
            (json!({"filters": [{"kind": "distance", "venue_id": "ven_01JD0000000000000000000000", "max_km": 5}]}), "filters[0].venue_id"),
            (json!({"filters": [{"kind": "distance", "venue_id": nowhere, "max_km": 5}]}), "filters[0].venue_id"),
            (json!({"production_id": "prd_01JD0000000000000000000000"}), "production_id"),
            (json!({"filters": [{"kind": "tag", "tag": "not a tag!", "mode": "include"}]}), "filters[0].tag"),
        ] {
            let (status, refused) = app.post(&format!("/api/v1/segments/{segment}/counts"), &org.token, body.clone()).await;
            assert_eq!(status, 422, "{body}: {refused}");
            assert_eq!(refused["error"]["details"]["fields"][0]["field"], field, "{refused}");
        }
    }

    async fn segments_are_created_edited_removed_restored_and_viewed_over_http(app: TestApp) {
        let org = app.new_org("segments-crud").await;
        let segment = created(&app, &org, "/api/v1/segments", json!({"name": "Everyone", "days_back": 365})).await;
        let path = format!("/api/v1/segments/{}", id(&segment));
        let (status, edited) = app.patch(&path, &org.token, json!({"description": "All buyers of the last year"})).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["description"], "All buyers of the last year");

        let view = created(&app, &org, &format!("{path}/views"), json!({"name": "Women", "filters": [{"kind": "gender", "gender": "women"}]})).await;
        let (_, views) = app.get(&format!("{path}/views"), &org.token).await;
        assert_eq!(views["items"][0]["name"], "Women", "{views}");
        let (status, counts) = app.post(&format!("{path}/views/{}/counts", id(&view)), &org.token, json!({})).await;
        assert_eq!(status, 200, "{counts}");
        assert_eq!(counts["filters"][0]["kind"], "gender");

        let (status, removed) = app.delete(&path, &org.token).await;
        assert_eq!(status, 200, "{removed}");
        let (_, active) = app.get("/api/v1/segments", &org.token).await;
        assert_eq!(active["items"].as_array().map(Vec::len), Some(0), "{active}");
        assert!(active["next_cursor"].is_null(), "{active}");
        let (_, removed_list) = app.get("/api/v1/segments?removed=true", &org.token).await;
        assert_eq!(removed_list["items"][0]["id"], segment["id"], "{removed_list}");
        let (status, restored) = app.post(&format!("{path}/restore"), &org.token, json!({})).await;
        assert_eq!(status, 200, "{restored}");
        assert!(restored["removed_at"].is_null());

        let (status, bad) = app
            .post(&format!("{path}/counts"), &org.token, json!({"filters": [{"kind": "age", "min": 50, "max": 20}]}))
            .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["error"]["details"]["fields"][0]["field"], "filters[0].max", "{bad}");
        let (status, bad) = app
            .post(&format!("{path}/counts"), &org.token, json!({"filters": [{"kind": "shoe_size", "min": 42}]}))
            .await;
        assert_eq!(status, 422, "{bad}");
    }

    async fn the_edit_form_shows_and_saves_again_a_days_back_beyond_its_slider(app: TestApp) {
        let org = app.new_org("segments-days-back").await;
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Ten years", "days_back": 3650})).await);
        let response = app.client.get(app.url(&format!("/segments/{segment}/edit"))).bearer_auth(&org.token).send().await.expect("edit form");
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap_or_default();
        // The value the form sends, and a slider that reaches it (a browser sets a slider
        // above its `max` to the `max`: 730 was saved instead).
        let attribute = |id: &str, name: &str| {
            html.split(&format!("id=\"{id}\""))
                .nth(1)
                .and_then(|tag| tag.split('>').next())
                .and_then(|tag| tag.split(&format!(" {name}=\"")).nth(1))
                .and_then(|rest| rest.split('"').next())
                .map(str::to_string)
        };
        assert_eq!(attribute("days_back", "value").as_deref(), Some("3650"), "{html}");
        assert_eq!(attribute("days_back", "name").as_deref(), Some("days_back"), "{html}");
        assert_eq!(attribute("days_back_slider", "max").as_deref(), Some("3650"), "{html}");
        assert_eq!(attribute("days_back_slider", "name"), None, "the number alone is sent: {html}");

        // Saved again as the form shows it.
        let response = app
            .client
            .post(app.url(&format!("/segments/{segment}/edit")))
            .bearer_auth(&org.token)
            .form(&[("name", "Ten years"), ("days_back", "3650")])
            .send()
            .await
            .expect("edit");
        assert!(response.status().is_success(), "{}", response.status());
        let (_, saved) = app.get(&format!("/api/v1/segments/{segment}"), &org.token).await;
        assert_eq!(saved["days_back"], 3650, "{saved}");
    }

    async fn a_dashboard_filter_that_is_not_a_number_is_refused_beside_its_field(app: TestApp) {
        let org = app.new_org("segments-not-a-number").await;
        let segment = id(&created(&app, &org, "/api/v1/segments", json!({"name": "Everyone"})).await);
        let page = |path: String, htmx: bool| {
            let mut request = app.client.get(app.url(&path)).bearer_auth(&org.token);
            if htmx {
                request = request.header("hx-request", "true");
            }
            async move {
                let response = request.send().await.expect("page");
                let status = response.status().as_u16();
                let vary = response.headers().get("vary").map(|v| v.to_str().unwrap_or_default().to_string());
                (status, vary, response.text().await.unwrap_or_default())
            }
        };
        // What is beside a field: the reason in the element the field names as its description.
        let beside = |html: &str, field: &str| {
            html.split(&format!("id=\"{field}-error\""))
                .nth(1)
                .and_then(|rest| rest.split("</small>").next())
                .map(|slot| slot.trim_start_matches([' ', '>']).trim_start_matches("hidden>").to_string())
        };
        let reason = "Enter a whole number within the allowed range.";

        // "Bought within the last abc days": the page answers 422, the reason beside the days,
        // and above the counts the row it belongs to; no count is made up from a default.
        let (status, _, html) = page(format!("/segments/{segment}?latest_on=on&latest_days=abc&tickets_on=on&tickets=2"), false).await;
        assert_eq!(status, 422, "{html}");
        assert_eq!(beside(&html, "latest_days").as_deref(), Some(reason), "{html}");
        assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"latest_days-error\""), "{html}");
        assert!(html.contains(&format!("Latest purchase: {reason}")), "{html}");
        assert_eq!(beside(&html, "tickets").as_deref(), Some(""), "only the bad field is marked: {html}");
        assert!(!html.contains("id=\"total\""), "{html}");

        // While typing, htmx gets the counts partial with the reasons for beside the fields.
        let (status, vary, partial) = page(format!("/segments/{segment}/counts?latest_on=on&latest_days=abc"), true).await;
        assert_eq!(status, 200, "htmx swaps only a 2xx answer: {partial}");
        assert_eq!(vary.as_deref(), Some("HX-Request"));
        assert!(!partial.contains("<html"), "{partial}");
        assert!(partial.contains(&format!("id=\"latest_days-error\" hx-swap-oob=\"true\" >{reason}</small>")), "{partial}");
        assert!(partial.contains(&format!("Latest purchase: {reason}")), "{partial}");

        // A number is counted, and nothing is marked.
        let (status, _, html) = page(format!("/segments/{segment}?latest_on=on&latest_days=30"), false).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"total\""), "{html}");
        assert_eq!(beside(&html, "latest_days").as_deref(), Some(""), "{html}");

        // Saving the filters as a view refuses the text too, and saves nothing.
        let response = app
            .client
            .post(app.url(&format!("/segments/{segment}/views")))
            .bearer_auth(&org.token)
            .form(&[("view_name", "Recent"), ("latest_on", "on"), ("latest_days", "abc")])
            .send()
            .await
            .expect("save view");
        assert_eq!(response.status(), 422);
        let (_, views) = app.get(&format!("/api/v1/segments/{segment}/views"), &org.token).await;
        assert_eq!(views["items"].as_array().map(Vec::len), Some(0), "{views}");
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard in a real browser (`chromium.rs`).
// ---------------------------------------------------------------------------------------------

mod dashboard {
    use fullhouse_core::Backend;
    use serde_json::json;

    use super::{created, id, stage};
    use crate::chromium::Browser;
    use crate::common::TestApp;

    #[tokio::test]
    async fn moving_the_age_slider_changes_the_count_live() {
        let Some(browser) = Browser::start().await else {
            return;
        };
        let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite app");
        let org = app.new_org("segments-browser").await;
        let stage = stage(&app, &org).await;
        let older = id(&created(
            &app,
            &org,
            "/api/v1/customers",
            json!({"first_name": "Karen", "last_name": "Blixen", "birth_date": "1950-04-17"}),
        )
        .await);
        let younger = id(&created(
            &app,
            &org,
            "/api/v1/customers",
            json!({"first_name": "Tove", "last_name": "Ditlevsen", "birth_date": "2000-12-14"}),
        )
        .await);
        for customer in [&older, &younger, &stage.customer] {
            let (status, order) = app
                .post("/api/v1/orders", &org.token, json!({"customer_id": customer, "channel": "online", "tickets": [{"ticket_type_id": stage.ticket_type, "ga_name": "Floor"}]}))
                .await;
            assert_eq!(status, 201, "{order}");
        }
        let segment = created(&app, &org, "/api/v1/segments", json!({"name": "Carmen"})).await;

        browser.log_in(&app, &org).await;

        // The navigation leads to the list, the list to the dashboard.
        browser.click("nav.sidenav a[href='/segments']").await;
        browser
            .click(&format!(
                "#segments-table a[href='/segments/{}']",
                id(&segment)
            ))
            .await;
        browser.wait_text("#total", |t| t == "3").await;

        // Turning the age filter on (18–100) keeps all three: customers of unknown age stay in.
        browser.click("#age_on").await;
        browser
            .wait_text("#filter-counts li[data-kind=age] strong", |t| t == "3")
            .await;
        // Dragging the upper bound below 70 leaves out the customer born in 1950.
        browser
            .client
            .execute(
                "const s = document.getElementById('age_max'); s.value = 60; s.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![],
            )
            .await
            .expect("slider moved");
        browser.wait_text("#total", |t| t == "2").await;
        browser.wait_text("#age-max-value", |t| t == "60").await;
        let names = browser
            .wait_text("#segment-customers", |t| !t.is_empty())
            .await;
        assert!(!names.contains("Karen Blixen"), "{names}");
        browser.finish().await;
        app.finish().await;
    }
}
