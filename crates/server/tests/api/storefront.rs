//! The storefront as a buyer reads it: a programme in date order, every time on the venue's
//! clock (never in UTC), and an order page that names the event it is for.

use crate::checkout::{buyer, public, show};
use crate::common::*;
use fullhouse_testkit::both_backends;
use reqwest::Method;
use serde_json::json;

both_backends! {
    setup = spawn_app;

    async fn the_shop_lists_events_by_date_and_shows_every_time_on_the_venues_clock(app: TestApp) {
        let org = app.new_org("royal").await;
        // 2031-01-01 19:30 UTC: 20:30 in Copenhagen (the venue's default zone), in winter.
        let show = show(&app, &org).await;
        let (s, event) = app.get(&format!("/api/v1/events/{}", show.event), &org.token).await;
        assert_eq!(s, 200, "{event}");
        assert_eq!(event["venue_timezone"], "Europe/Copenhagen", "{event}");
        // A matinee of the same production, created later but on earlier.
        let (s, matinee) = app
            .post("/api/v1/events", &org.token, json!({"production_id": event["production_id"], "venue_id": event["venue_id"],
                   "name": "Matinee", "starts_at": "2030-06-01T12:00:00Z"}))
            .await;
        assert_eq!(s, 201, "{matinee}");

        let shop = app.client.get(app.url("/shop/royal")).header("accept-language", "en").send().await.expect("sent");
        let html = shop.text().await.unwrap_or_default();
        let matinee_at = html.find("Matinee").expect("the matinee is listed");
        let evening_at = html.find(&format!("/shop/royal/events/{}", show.event)).expect("the evening is listed");
        assert!(matinee_at < evening_at, "events in date order: {html}");
        assert!(html.contains("2030-06-01 14:00"), "summer time in Copenhagen: {html}");
        assert!(html.contains("2031-01-01 20:30"), "winter time in Copenhagen: {html}");
        assert!(!html.contains("UTC"), "no time in UTC: {html}");

        let page = app.client.get(app.url(&format!("/shop/royal/events/{}", show.event))).send().await.expect("sent");
        let html = page.text().await.unwrap_or_default();
        assert!(html.contains("2031-01-01 20:30") && !html.contains("UTC"), "{html}");

        let cart = json!({"event_id": show.event, "items": [{"ticket_type_id": show.standing, "quantity": 1}]});
        let (s, order) = public(&app, Method::POST, "/api/v1/storefront/royal/orders", Some(json!({"cart": cart, "buyer": buyer()}))).await;
        assert_eq!(s, 201, "{order}");
        let id = order["id"].as_str().unwrap_or_default();
        let page = app.client.get(app.url(&format!("/shop/royal/orders/{id}"))).send().await.expect("sent");
        let html = page.text().await.unwrap_or_default();
        assert!(html.contains("id=\"order-event\""), "the order page names its event: {html}");
        assert!(html.contains("Hamlet") && html.contains("Main Stage") && html.contains("2031-01-01 20:30"), "{html}");
        assert!(!html.contains("UTC"), "the hold's end is on the venue's clock too: {html}");
        app.finish().await;
    }

    async fn a_visitor_picks_a_language_in_the_shop_and_keeps_it(app: TestApp) {
        let org = app.new_org("royal").await;
        let show = show(&app, &org).await;
        let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let page = client.get(app.url("/shop/royal?lang=da")).header("accept-language", "en").send().await.expect("sent");
        assert!(page.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap_or_default().starts_with("fullhouse_lang=da")));
        let html = page.text().await.unwrap_or_default();
        assert!(html.contains("lang=\"da\" aria-current=\"true\""), "Danish is the current language: {html}");
        assert!(html.contains("?lang=fr"), "the other languages are offered: {html}");
        // The choice is kept on the next page, whatever the browser asks for.
        let next = client.get(app.url(&format!("/shop/royal/events/{}", show.event))).header("accept-language", "en").send().await.expect("sent");
        let html = next.text().await.unwrap_or_default();
        assert!(html.contains("<html lang=\"da\""), "{}", &html[..html.len().min(300)]);
        app.finish().await;
    }

    async fn an_unknown_shop_event_or_order_is_said_in_plain_words(app: TestApp) {
        let org = app.new_org("royal").await;
        show(&app, &org).await;
        for (path, words) in [
            ("/shop/no-such-theatre", "We could not find this shop."),
            ("/shop/royal/events/not-an-event", "We could not find this event."),
            ("/shop/royal/events/evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "We could not find this event."),
            ("/shop/royal/orders/12345", "We could not find this order."),
        ] {
            let response = app.client.get(app.url(path)).header("accept-language", "en").send().await.expect("sent");
            assert_eq!(response.status().as_u16(), 404, "{path}");
            let html = response.text().await.unwrap_or_default();
            assert!(html.contains(words), "{path}: {html}");
            assert!(!html.contains("evt_") && !html.contains("ord_") && !html.contains("invalid"), "no id formats: {html}");
        }
        app.finish().await;
    }
}
