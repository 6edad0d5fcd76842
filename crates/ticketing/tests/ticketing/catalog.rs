//! Tests of the catalog service: productions, events, ticket types and shops.

use chrono::{DateTime, TimeZone, Utc};
use fullhouse_core::{Error, OrgId};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::catalog::*;
use fullhouse_ticketing::model::venues::{NewVenue, SeatMapInput, Venue};
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::store::{ticket_types, tickets};
use fullhouse_ticketing::{EventId, OrderId, TicketId, TicketTypeId};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use crate::fixture::*;

fn catalog(fx: &Fixture) -> CatalogService {
    CatalogService::new(fx.db.clone())
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, day, hour, 0, 0).unwrap()
}

async fn production(fx: &Fixture, org: &OrgId, name: &str) -> Production {
    catalog(fx)
        .create_production(
            org,
            NewProduction {
                name: name.into(),
                description: None,
                genre: Some("theatre".into()),
            },
        )
        .await
        .expect("production")
}

async fn venue(fx: &Fixture, org: &OrgId) -> Venue {
    VenueService::new(fx.db.clone())
        .create_venue(
            org,
            NewVenue {
                name: "Operaen".into(),
                address_line: None,
                postal_code: None,
                city: None,
                country: None,
                latitude: None,
                longitude: None,
                timezone: None,
            },
        )
        .await
        .expect("venue")
}

fn new_event(production: &Production, venue: &Venue, starts_at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        production_id: production.id.clone(),
        venue_id: venue.id.clone(),
        name: None,
        starts_at,
        ends_at: Some(starts_at + chrono::Duration::hours(3)),
        status: None,
        sales_start: None,
        sales_end: None,
    }
}

/// An organization's production, venue and one event on 1 May.
async fn scheduled_event(fx: &Fixture, org: &OrgId) -> Event {
    let show = production(fx, org, "Hamlet").await;
    let hall = venue(fx, org).await;
    catalog(fx)
        .create_event(org, new_event(&show, &hall, at(1, 19)))
        .await
        .expect("event")
}

fn new_ticket_type(value: serde_json::Value) -> NewTicketType {
    serde_json::from_value(value).expect("ticket type JSON")
}

async fn issue_ticket(fx: &Fixture, event: &EventId, ticket_type: &TicketTypeId) {
    tickets::ActiveModel {
        organization_id: Set(fx.org.to_string()),
        id: Set(TicketId::generate().into_string()),
        order_id: Set(OrderId::generate().into_string()),
        event_id: Set(event.to_string()),
        ticket_type_id: Set(ticket_type.to_string()),
        customer_id: Set(None),
        seat_id: Set(None),
        ga_area_id: Set(None),
        price_minor: Set(25000),
        currency: Set("DKK".into()),
        barcode: Set(TicketId::generate().into_string()),
        delivery_type: Set("VIRTUAL".into()),
        status: Set("valid".into()),
        created_at: Set(Utc::now()),
    }
    .insert(fx.db.writer())
    .await
    .expect("ticket");
}

/// What checkout does when it sells: raises `sold`.
async fn record_sold(fx: &Fixture, id: &TicketTypeId, sold: i64) {
    let found = ticket_types::Entity::find_by_id((fx.org.to_string(), id.to_string()))
        .one(fx.db.reader())
        .await
        .expect("query")
        .expect("ticket type");
    let mut active = found.into_active_model();
    active.sold = Set(sold);
    active.update(fx.db.writer()).await.expect("update");
}

fn invalid_field(err: Error) -> String {
    match err {
        Error::Validation { fields, .. } => {
            fields.first().map(|f| f.field.clone()).unwrap_or_default()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

both_backends! {
    setup = fixture;

    async fn an_event_carries_the_names_of_its_production_and_venue(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        assert_eq!(event.production_name, "Hamlet");
        assert_eq!(event.venue_name, "Operaen");
        assert_eq!(event.title, "Hamlet");
        assert_eq!(event.status, EventStatus::Scheduled);
        let patch: EventPatch = serde_json::from_value(json!({
            "name": "Hamlet – premiere", "status": "cancelled", "ends_at": null
        })).expect("patch");
        let changed = catalog(&fx).update_event(&fx.org, &event.id, patch).await.expect("update");
        assert_eq!(changed.title, "Hamlet – premiere");
        assert_eq!(changed.status, EventStatus::Cancelled);
        assert_eq!(changed.ends_at, None);
        assert_eq!(catalog(&fx).event(&fx.org, &event.id).await.expect("get").title, "Hamlet – premiere");
        fx.finish().await;
    }

    async fn an_event_with_a_production_of_another_organization_is_refused(fx: Fixture) {
        let foreign = production(&fx, &fx.other_org, "Their show").await;
        let hall = venue(&fx, &fx.org).await;
        let err = catalog(&fx)
            .create_event(&fx.org, new_event(&foreign, &hall, at(2, 20)))
            .await
            .expect_err("foreign production");
        assert_eq!(invalid_field(err), "production_id");
        let ours = production(&fx, &fx.org, "Ours").await;
        let foreign_venue = venue(&fx, &fx.other_org).await;
        let err = catalog(&fx)
            .create_event(&fx.org, new_event(&ours, &foreign_venue, at(2, 20)))
            .await
            .expect_err("foreign venue");
        assert_eq!(invalid_field(err), "venue_id");
        fx.finish().await;
    }

    async fn event_times_must_be_in_order(fx: Fixture) {
        let show = production(&fx, &fx.org, "Hamlet").await;
        let hall = venue(&fx, &fx.org).await;
        let mut backwards = new_event(&show, &hall, at(3, 20));
        backwards.ends_at = Some(at(3, 19));
        let err = catalog(&fx).create_event(&fx.org, backwards).await.expect_err("ends first");
        assert_eq!(invalid_field(err), "ends_at");
        let mut sales = new_event(&show, &hall, at(3, 20));
        sales.sales_start = Some(at(2, 0));
        sales.sales_end = Some(at(1, 0));
        let err = catalog(&fx).create_event(&fx.org, sales).await.expect_err("sales end first");
        assert_eq!(invalid_field(err), "sales_end");
        fx.finish().await;
    }

    async fn events_are_listed_in_date_order_whatever_order_they_were_created_in(fx: Fixture) {
        let show = production(&fx, &fx.org, "Hamlet").await;
        let hall = venue(&fx, &fx.org).await;
        let svc = catalog(&fx);
        // Created out of date order, two at the same hour: the list is by date, then by id.
        let mut created = Vec::new();
        for (day, hour) in [(16, 19), (2, 19), (20, 19), (9, 19), (9, 19)] {
            created.push(svc.create_event(&fx.org, new_event(&show, &hall, at(day, hour))).await.expect("event"));
        }
        let mut by_date = created.clone();
        by_date.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        let expected: Vec<EventId> = by_date.iter().map(|e| e.id.clone()).collect();
        let all = svc.list_events(&fx.org, &EventFilter::default(), &Default::default()).await.expect("list");
        assert_eq!(all.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), expected);

        // Two at a time, forward then back, with the total on every page.
        let filter = EventFilter::default();
        let first = svc.browse_events(&fx.org, &filter, false, None, 2).await.expect("first");
        assert_eq!(first.total, 5);
        assert_eq!(first.prev_cursor, None, "nothing before the first page");
        let second = svc.browse_events(&fx.org, &filter, false, first.next_cursor.as_deref(), 2).await.expect("second");
        let third = svc.browse_events(&fx.org, &filter, false, second.next_cursor.as_deref(), 2).await.expect("third");
        let ids = |items: &[Event]| items.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!([ids(&first.items), ids(&second.items), ids(&third.items)].concat(), expected);
        assert_eq!(third.next_cursor, None);
        let back = svc.browse_events(&fx.org, &filter, false, third.prev_cursor.as_deref(), 2).await.expect("back");
        assert_eq!(ids(&back.items), ids(&second.items));
        let front = svc.browse_events(&fx.org, &filter, false, back.prev_cursor.as_deref(), 2).await.expect("front");
        assert_eq!(ids(&front.items), ids(&first.items));
        assert_eq!(front.prev_cursor, None, "back at the first page");

        // Latest first reads the same events the other way round.
        let latest = svc.browse_events(&fx.org, &filter, true, None, 10).await.expect("latest");
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(ids(&latest.items), reversed);
        let err = svc.browse_events(&fx.org, &filter, false, Some("evt_not_a_cursor"), 2).await.expect_err("bad cursor");
        assert_eq!(invalid_field(err), "cursor");
        fx.finish().await;
    }

    async fn events_are_listed_by_date_range_production_and_status(fx: Fixture) {
        let hamlet = production(&fx, &fx.org, "Hamlet").await;
        let lear = production(&fx, &fx.org, "Lear").await;
        let hall = venue(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let mut ids = Vec::new();
        for (show, day) in [(&hamlet, 1), (&lear, 5), (&hamlet, 10), (&hamlet, 20)] {
            ids.push(svc.create_event(&fx.org, new_event(show, &hall, at(day, 19))).await.expect("event").id);
        }
        let cancel: EventPatch = serde_json::from_value(json!({"status": "cancelled"})).expect("patch");
        svc.update_event(&fx.org, &ids[2], cancel).await.expect("cancel");
        let list = |filter: EventFilter| {
            let svc = svc.clone();
            let org = fx.org.clone();
            async move {
                svc.list_events(&org, &filter, &Default::default()).await.expect("list")
                    .items.into_iter().map(|e| e.id).collect::<Vec<_>>()
            }
        };
        let range = EventFilter { from: Some(at(5, 0)), to: Some(at(20, 19)), ..Default::default() };
        assert_eq!(list(range).await, [ids[1].clone(), ids[2].clone()], "`to` is exclusive");
        let hamlet_only = EventFilter { production_id: Some(hamlet.id.clone()), from: Some(at(2, 0)), ..Default::default() };
        assert_eq!(list(hamlet_only).await, [ids[2].clone(), ids[3].clone()]);
        let scheduled = EventFilter { status: Some(EventStatus::Scheduled), ..Default::default() };
        assert_eq!(list(scheduled).await, [ids[0].clone(), ids[1].clone(), ids[3].clone()]);
        let page = svc.list_events(&fx.org, &EventFilter::default(), &serde_json::from_value(json!({"limit": 3})).expect("params")).await.expect("page");
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.items[1].production_name, "Lear");
        let cursor = page.next_cursor.clone().expect("a second page");
        assert!(cursor.ends_with(&format!("~{}", ids[2])), "the cursor names the last event: {cursor}");
        let rest = svc.list_events(&fx.org, &EventFilter::default(), &serde_json::from_value(json!({"cursor": cursor})).expect("params")).await.expect("rest");
        assert_eq!(rest.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), [ids[3].clone()]);
        let by_name = EventFilter { q: Some("  LEAR ".into()), ..Default::default() };
        assert_eq!(list(by_name).await, [ids[1].clone()], "found by its production's name, any case");
        let no_match = EventFilter { q: Some("ham 100%".into()), ..Default::default() };
        assert!(list(no_match).await.is_empty(), "every word must match; % is literal");
        let empty = EventFilter { from: Some(at(5, 0)), to: Some(at(5, 0)), ..Default::default() };
        let err = svc.list_events(&fx.org, &empty, &Default::default()).await.expect_err("to before from");
        assert_eq!(invalid_field(err), "to");
        fx.finish().await;
    }

    async fn ticket_type_capacity_cannot_go_below_sold(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let ticket_type = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Adult", "price_minor": 25000, "capacity": 100})))
            .await
            .expect("ticket type");
        assert_eq!((ticket_type.sold, ticket_type.available), (0, Some(100)));
        record_sold(&fx, &ticket_type.id, 40).await;
        let lower: TicketTypePatch = serde_json::from_value(json!({"capacity": 39})).expect("patch");
        let err = svc.update_ticket_type(&fx.org, &ticket_type.id, lower).await.expect_err("below sold");
        assert_eq!(invalid_field(err), "capacity");
        assert_eq!(svc.ticket_type(&fx.org, &ticket_type.id).await.expect("get").capacity, Some(100), "unchanged");
        let exact: TicketTypePatch = serde_json::from_value(json!({"capacity": 40, "name": "Adult (last call)"})).expect("patch");
        let changed = svc.update_ticket_type(&fx.org, &ticket_type.id, exact).await.expect("down to sold");
        assert_eq!((changed.capacity, changed.sold, changed.available), (Some(40), 40, Some(0)));
        assert_eq!(changed.name, "Adult (last call)");
        let unlimited: TicketTypePatch = serde_json::from_value(json!({"capacity": null})).expect("patch");
        let changed = svc.update_ticket_type(&fx.org, &ticket_type.id, unlimited).await.expect("no limit");
        assert_eq!((changed.capacity, changed.available), (None, None));
        fx.finish().await;
    }

    async fn a_ticket_type_gets_the_organization_currency_and_checks_its_references(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let adult = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Adult", "price_minor": 0, "category": "A"})))
            .await
            .expect("ticket type");
        assert_eq!(adult.currency, "DKK");
        let euro = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Tourist", "price_minor": 3500, "currency": "eur"})))
            .await
            .expect("ticket type");
        assert_eq!(euro.currency, "EUR");
        for (body, field) in [
            (json!({"name": "x", "price_minor": -1}), "price_minor"),
            (json!({"name": "x", "price_minor": 1, "capacity": 0}), "capacity"),
            (json!({"name": "x", "price_minor": 1, "currency": "kroner"}), "currency"),
            (json!({"name": " ", "price_minor": 1}), "name"),
            (json!({"name": "x", "price_minor": 1, "shop_id": "shp_01JD8Q3W6M4Z1T0R5Y7X2B9C4E"}), "shop_id"),
            (json!({"name": "x", "price_minor": 1, "ga_area_id": "ga_01JD8Q3W6M4Z1T0R5Y7X2B9C4E"}), "ga_area_id"),
        ] {
            let err = svc.create_ticket_type(&fx.org, &event.id, new_ticket_type(body)).await.expect_err("invalid");
            assert_eq!(invalid_field(err), field);
        }
        // A GA area of another venue is refused; one of the event's venue is accepted.
        let venues = VenueService::new(fx.db.clone());
        let elsewhere = venue(&fx, &fx.org).await;
        let map: SeatMapInput = serde_json::from_value(json!({"ga_areas": [{"name": "Floor", "capacity": 300}]})).expect("map");
        let other_area = venues.replace_seat_map(&fx.org, &elsewhere.id, map.clone()).await.expect("map").ga_areas[0].id.clone();
        let err = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Floor", "price_minor": 1, "ga_area_id": other_area})))
            .await
            .expect_err("GA area of another venue");
        assert_eq!(invalid_field(err), "ga_area_id");
        let own_area = venues.replace_seat_map(&fx.org, &event.venue_id, map).await.expect("map").ga_areas[0].id.clone();
        let floor = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Floor", "price_minor": 1, "ga_area_id": own_area})))
            .await
            .expect("GA ticket type");
        assert_eq!(floor.ga_area_id, Some(own_area));
        let listed = svc.list_ticket_types(&fx.org, &event.id, &Default::default()).await.expect("list");
        assert_eq!(listed.items.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), [adult.id, euro.id, floor.id]);
        fx.finish().await;
    }

    async fn a_seat_map_cannot_drop_a_ga_area_a_ticket_type_is_for(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let venues = VenueService::new(fx.db.clone());
        let map: SeatMapInput = serde_json::from_value(json!({"ga_areas": [{"name": "Floor", "capacity": 300}]})).expect("map");
        let area = venues.replace_seat_map(&fx.org, &event.venue_id, map).await.expect("map").ga_areas[0].id.clone();
        catalog(&fx)
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Floor", "price_minor": 1, "ga_area_id": area})))
            .await
            .expect("GA ticket type");
        let empty: SeatMapInput = serde_json::from_value(json!({})).expect("map");
        let err = venues.replace_seat_map(&fx.org, &event.venue_id, empty).await.expect_err("in use");
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        fx.finish().await;
    }

    async fn things_with_tickets_or_dependants_are_not_deleted(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let shop = svc.create_shop(&fx.org, NewShop { name: "Friends".into(), kind: ShopKind::Secret, open: true }).await.expect("shop");
        let sold = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Friend", "price_minor": 100, "shop_id": shop.id})))
            .await
            .expect("ticket type");
        let unsold = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Spare", "price_minor": 100})))
            .await
            .expect("ticket type");
        assert_eq!(svc.shop(&fx.org, &shop.id).await.expect("shop").ticket_type_ids, vec![sold.id.clone()]);
        assert!(matches!(svc.delete_shop(&fx.org, &shop.id).await, Err(Error::Conflict { .. })));
        issue_ticket(&fx, &event.id, &sold.id).await;
        assert!(matches!(svc.delete_ticket_type(&fx.org, &sold.id).await, Err(Error::Conflict { .. })));
        assert!(matches!(svc.delete_event(&fx.org, &event.id).await, Err(Error::Conflict { .. })));
        let production = event.production_id.clone();
        assert!(matches!(svc.delete_production(&fx.org, &production).await, Err(Error::Conflict { .. })));
        svc.delete_ticket_type(&fx.org, &unsold.id).await.expect("an unsold type goes");
        assert!(matches!(svc.ticket_type(&fx.org, &unsold.id).await, Err(Error::NotFound("ticket type"))));
        let move_out: TicketTypePatch = serde_json::from_value(json!({"shop_id": null})).expect("patch");
        svc.update_ticket_type(&fx.org, &sold.id, move_out).await.expect("leave the shop");
        svc.delete_shop(&fx.org, &shop.id).await.expect("an empty shop goes");
        fx.finish().await;
    }

    async fn an_event_without_tickets_is_deleted_with_its_ticket_types(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let ticket_type = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Adult", "price_minor": 100})))
            .await
            .expect("ticket type");
        svc.delete_event(&fx.org, &event.id).await.expect("delete");
        assert!(matches!(svc.event(&fx.org, &event.id).await, Err(Error::NotFound("event"))));
        assert!(matches!(svc.ticket_type(&fx.org, &ticket_type.id).await, Err(Error::NotFound("ticket type"))));
        fx.finish().await;
    }

    async fn an_event_with_tickets_keeps_its_venue(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let ticket_type = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Adult", "price_minor": 100})))
            .await
            .expect("ticket type");
        issue_ticket(&fx, &event.id, &ticket_type.id).await;
        let elsewhere = venue(&fx, &fx.org).await;
        let patch: EventPatch = serde_json::from_value(json!({"venue_id": elsewhere.id})).expect("patch");
        let err = svc.update_event(&fx.org, &event.id, patch).await.expect_err("has tickets");
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        fx.finish().await;
    }

    async fn organization_b_gets_not_found_on_events_ticket_types_and_shops(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let ticket_type = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Adult", "price_minor": 100})))
            .await
            .expect("ticket type");
        let shop = svc.create_shop(&fx.org, NewShop { name: "Public".into(), kind: ShopKind::Public, open: true }).await.expect("shop");
        let b = &fx.other_org;
        assert!(matches!(svc.event(b, &event.id).await, Err(Error::NotFound("event"))));
        assert!(matches!(svc.update_event(b, &event.id, EventPatch::default()).await, Err(Error::NotFound("event"))));
        assert!(matches!(svc.delete_event(b, &event.id).await, Err(Error::NotFound("event"))));
        assert!(matches!(svc.list_ticket_types(b, &event.id, &Default::default()).await, Err(Error::NotFound("event"))));
        assert!(matches!(
            svc.create_ticket_type(b, &event.id, new_ticket_type(json!({"name": "x", "price_minor": 1}))).await,
            Err(Error::NotFound("event"))
        ));
        assert!(matches!(svc.ticket_type(b, &ticket_type.id).await, Err(Error::NotFound("ticket type"))));
        assert!(matches!(svc.update_ticket_type(b, &ticket_type.id, TicketTypePatch::default()).await, Err(Error::NotFound("ticket type"))));
        assert!(matches!(svc.delete_ticket_type(b, &ticket_type.id).await, Err(Error::NotFound("ticket type"))));
        assert!(matches!(svc.shop(b, &shop.id).await, Err(Error::NotFound("shop"))));
        assert!(matches!(svc.update_shop(b, &shop.id, ShopPatch::default()).await, Err(Error::NotFound("shop"))));
        assert!(matches!(svc.delete_shop(b, &shop.id).await, Err(Error::NotFound("shop"))));
        assert!(svc.list_events(b, &EventFilter::default(), &Default::default()).await.expect("list").items.is_empty());
        assert!(svc.list_shops(b, &Default::default()).await.expect("list").items.is_empty());
        // B cannot use A's shop for its own ticket type either.
        let their_event = scheduled_event(&fx, b).await;
        let err = svc
            .create_ticket_type(b, &their_event.id, new_ticket_type(json!({"name": "x", "price_minor": 1, "shop_id": shop.id})))
            .await
            .expect_err("foreign shop");
        assert_eq!(invalid_field(err), "shop_id");
        fx.finish().await;
    }

    async fn shops_are_listed_with_their_ticket_types(fx: Fixture) {
        let event = scheduled_event(&fx, &fx.org).await;
        let svc = catalog(&fx);
        let public = svc.create_shop(&fx.org, NewShop { name: "Public".into(), kind: ShopKind::Public, open: true }).await.expect("shop");
        let secret = svc.create_shop(&fx.org, NewShop { name: "Press".into(), kind: ShopKind::Secret, open: true }).await.expect("shop");
        let press = svc
            .create_ticket_type(&fx.org, &event.id, new_ticket_type(json!({"name": "Press", "price_minor": 0, "hidden": true, "shop_id": secret.id})))
            .await
            .expect("ticket type");
        let shops = svc.list_shops(&fx.org, &Default::default()).await.expect("list").items;
        assert_eq!(shops.len(), 2);
        assert_eq!((shops[0].id.clone(), shops[0].ticket_type_ids.len()), (public.id, 0));
        assert_eq!((shops[1].id.clone(), shops[1].ticket_type_ids.clone()), (secret.id.clone(), vec![press.id]));
        let renamed = svc.update_shop(&fx.org, &secret.id, ShopPatch { name: Some("Presse".into()), kind: None, open: None }).await.expect("update");
        assert_eq!((renamed.name.as_str(), renamed.kind), ("Presse", ShopKind::Secret));
        fx.finish().await;
    }
}
