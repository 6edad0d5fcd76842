//! Tests of the venues service: venues, nested seat maps, CSV seat-map imports.

use chrono::{TimeZone, Utc};
use fullhouse_core::{Error, OrgId};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::catalog::{NewEvent, NewProduction};
use fullhouse_ticketing::model::venues::*;
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::store::tickets;
use fullhouse_ticketing::{EventId, OrderId, SeatId, TicketId, TicketTypeId, VenueId};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use crate::fixture::*;

fn venues(fx: &Fixture) -> VenueService {
    VenueService::new(fx.db.clone())
}

async fn venue(fx: &Fixture, org: &OrgId, name: &str) -> Venue {
    venues(fx)
        .create_venue(
            org,
            NewVenue {
                name: name.into(),
                address_line: Some("Kongens Nytorv 9".into()),
                postal_code: Some("1050".into()),
                city: Some("København K".into()),
                country: Some("DK".into()),
                latitude: Some(55.6805),
                longitude: Some(12.5860),
                timezone: None,
            },
        )
        .await
        .expect("venue")
}

fn map_input(value: serde_json::Value) -> SeatMapInput {
    serde_json::from_value(value).expect("seat map JSON")
}

/// Two sections, one with two groups, plus a GA area: the shape of a small theatre.
fn small_theatre() -> serde_json::Value {
    json!({
        "sections": [
            {"name": "Parterre", "groups": [
                {"name": "Venstre", "rows": [
                    {"name": "A", "seats": [
                        {"label": "1", "category": "Kat. 1"},
                        {"label": "2", "category": "Kat. 1"}
                    ]},
                    {"name": "B", "seats": [{"label": "1", "category": "Kat. 2"}]}
                ]},
                {"name": "Højre", "rows": [
                    {"name": "A", "seats": [{"label": "3"}]}
                ]}
            ]},
            {"name": "Balkon", "groups": [
                {"name": "Midt", "rows": [{"name": "1", "seats": [{"label": "11"}, {"label": "10"}]}]}
            ]}
        ],
        "ga_areas": [{"name": "Ståpladser", "capacity": 120, "category": "Stå"}]
    })
}

/// The map as JSON without ids, for comparing shapes.
fn shape(map: &SeatMap) -> serde_json::Value {
    let mut value = serde_json::to_value(map).expect("serializes");
    strip_ids(&mut value);
    value
}

fn strip_ids(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            fields.remove("id");
            fields.values_mut().for_each(strip_ids);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_ids),
        _ => {}
    }
}

fn seat_id(map: &SeatMap, section: &str, row: &str, label: &str) -> SeatId {
    map.sections
        .iter()
        .filter(|s| s.name == section)
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.rows)
        .filter(|r| r.name == row)
        .flat_map(|r| &r.seats)
        .find(|s| s.label == label)
        .map(|s| s.id.clone())
        .expect("seat in map")
}

/// Windows-1252 bytes for text made of Latin-1 letters (all Danish and French letters are).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

/// Sells `seat` for an event at the venue, the way checkout stores a ticket.
async fn sell_seat(fx: &Fixture, venue: &VenueId, seat: &SeatId) {
    let catalog = CatalogService::new(fx.db.clone());
    let production = catalog
        .create_production(
            &fx.org,
            NewProduction {
                name: "Hamlet".into(),
                description: None,
                genre: None,
            },
        )
        .await
        .expect("production");
    let event = catalog
        .create_event(
            &fx.org,
            NewEvent {
                production_id: production.id,
                venue_id: venue.clone(),
                name: None,
                starts_at: Utc.with_ymd_and_hms(2026, 3, 1, 19, 30, 0).unwrap(),
                ends_at: None,
                status: None,
                sales_start: None,
                sales_end: None,
            },
        )
        .await
        .expect("event");
    insert_ticket(fx, &event.id, Some(seat)).await;
}

async fn insert_ticket(fx: &Fixture, event: &EventId, seat: Option<&SeatId>) {
    tickets::ActiveModel {
        organization_id: Set(fx.org.to_string()),
        id: Set(TicketId::generate().into_string()),
        order_id: Set(OrderId::generate().into_string()),
        event_id: Set(event.to_string()),
        ticket_type_id: Set(TicketTypeId::generate().into_string()),
        customer_id: Set(None),
        seat_id: Set(seat.map(|s| s.to_string())),
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

fn field_errors(err: Error) -> Vec<(Option<u64>, String, String)> {
    match err {
        Error::Validation { fields, .. } => fields
            .into_iter()
            .map(|f| (f.row, f.field, f.reason))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

both_backends! {
    setup = fixture;

    async fn a_venue_is_created_with_the_default_timezone_and_changed(fx: Fixture) {
        let created = venue(&fx, &fx.org, "Gamle Scene").await;
        assert_eq!(created.timezone, "Europe/Copenhagen");
        assert_eq!(created.city.as_deref(), Some("København K"));
        let patch: VenuePatch = serde_json::from_value(json!({
            "name": "Store Scene", "city": "", "latitude": null, "longitude": null, "timezone": "Europe/Paris"
        })).expect("patch");
        let changed = venues(&fx).update_venue(&fx.org, &created.id, patch).await.expect("update");
        assert_eq!(changed.name, "Store Scene");
        assert_eq!(changed.city, None);
        assert_eq!((changed.latitude, changed.longitude), (None, None));
        assert_eq!(changed.timezone, "Europe/Paris");
        let half: VenuePatch = serde_json::from_value(json!({"latitude": 55.0})).expect("patch");
        let err = venues(&fx).update_venue(&fx.org, &created.id, half).await.expect_err("one coordinate");
        assert_eq!(field_errors(err)[0].1, "longitude");
        fx.finish().await;
    }

    async fn a_nested_seat_map_round_trips_in_the_order_given(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let stored = venues(&fx)
            .replace_seat_map(&fx.org, &hall.id, map_input(small_theatre()))
            .await
            .expect("replace");
        let fetched = venues(&fx).seat_map(&fx.org, &hall.id).await.expect("seat map");
        assert_eq!(stored, fetched);
        let mut expected = small_theatre();
        for seat in ["/sections/0/groups/1/rows/0/seats/0", "/sections/1/groups/0/rows/0/seats/0", "/sections/1/groups/0/rows/0/seats/1"] {
            expected.pointer_mut(seat).expect("seat")["category"] = json!(null);
        }
        expected["seat_count"] = json!(6);
        assert_eq!(shape(&fetched), expected);
        fx.finish().await;
    }

    async fn seats_keep_their_ids_when_their_address_is_unchanged(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let first = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(small_theatre())).await.expect("first");
        let kept = seat_id(&first, "Parterre", "A", "2");
        let renamed = seat_id(&first, "Balkon", "1", "10");
        let ga = first.ga_areas[0].id.clone();
        let second = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(json!({
            "sections": [
                {"name": "Balkon", "groups": [{"name": "Midt", "rows": [
                    {"name": "2", "seats": [{"id": renamed, "label": "10"}]}
                ]}]},
                {"name": "Parterre", "groups": [{"name": "Venstre", "rows": [
                    {"name": "A", "seats": [{"label": "2", "category": "Kat. 3"}, {"label": "4"}]}
                ]}]}
            ],
            "ga_areas": [{"name": "Ståpladser", "capacity": 80}]
        }))).await.expect("second");
        assert_eq!(seat_id(&second, "Parterre", "A", "2"), kept);
        assert_eq!(seat_id(&second, "Balkon", "2", "10"), renamed, "an explicit id follows the seat to its new row");
        assert_eq!(second.ga_areas[0].id, ga);
        assert_eq!(second.ga_areas[0].capacity, 80);
        assert_eq!(second.seat_count, 3);
        assert_eq!(second.sections[0].name, "Balkon");
        fx.finish().await;
    }

    async fn a_seat_with_valid_tickets_cannot_be_removed(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let first = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(small_theatre())).await.expect("first");
        let sold = seat_id(&first, "Parterre", "B", "1");
        sell_seat(&fx, &hall.id, &sold).await;
        let mut without_row_b = small_theatre();
        without_row_b["sections"][0]["groups"][0]["rows"].as_array_mut().expect("rows").remove(1);
        let err = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(without_row_b)).await.expect_err("sold seat");
        match err {
            Error::Conflict { message, .. } => assert!(message.contains("Parterre / Venstre / B / 1"), "{message}"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(venues(&fx).seat_map(&fx.org, &hall.id).await.expect("map"), first, "nothing changed");
        let again = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(small_theatre())).await.expect("keeping the seat is fine");
        assert_eq!(seat_id(&again, "Parterre", "B", "1"), sold);
        fx.finish().await;
    }

    async fn a_bad_seat_map_reports_every_problem_with_its_path(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let err = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(json!({
            "sections": [{"name": "P", "groups": [{"name": "G", "rows": [
                {"name": "A", "seats": [{"label": "1"}, {"label": " "}, {"label": "1"}]}
            ]}]}],
            "ga_areas": [{"name": "Floor", "capacity": 0}, {"name": "x".repeat(101), "capacity": 5}]
        }))).await.expect_err("invalid");
        let fields: Vec<String> = field_errors(err).into_iter().map(|(_, field, _)| field).collect();
        assert_eq!(fields, [
            "sections[0].groups[0].rows[0].seats[1].label",
            "sections[0].groups[0].rows[0].seats[2].label",
            "ga_areas[0].capacity",
            "ga_areas[1].name",
        ]);
        fx.finish().await;
    }

    async fn a_csv_with_danish_headers_in_windows_1252_and_semicolons_creates_the_map(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Det Ny Teater").await;
        let file = windows_1252(
            "Sektion;Blok;Række;Plads;Kategori;Ståplads;Kapacitet\r\n\
             Parket;Venstre;Æ;1;Første;;\r\n\
             Parket;Venstre;Æ;2;Første;;\r\n\
             Balkon;Midt;Ø;1;;;\r\n\
             Parket;Venstre;Å;1;Anden;;\r\n\
             ;;;;Stående;Gulvet;500\r\n",
        );
        let map = venues(&fx).import_seat_map(&fx.org, &hall.id, file).await.expect("import");
        assert_eq!(map.seat_count, 4);
        assert_eq!(shape(&map), json!({
            "sections": [
                {"name": "Parket", "groups": [{"name": "Venstre", "rows": [
                    {"name": "Æ", "seats": [{"label": "1", "category": "Første"}, {"label": "2", "category": "Første"}]},
                    {"name": "Å", "seats": [{"label": "1", "category": "Anden"}]}
                ]}]},
                {"name": "Balkon", "groups": [{"name": "Midt", "rows": [
                    {"name": "Ø", "seats": [{"label": "1", "category": null}]}
                ]}]}
            ],
            "ga_areas": [{"name": "Gulvet", "capacity": 500, "category": "Stående"}],
            "seat_count": 4
        }));
        fx.finish().await;
    }

    async fn a_csv_with_bad_rows_reports_row_and_column_and_changes_nothing(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let before = venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(small_theatre())).await.expect("map");
        let file = b"section,block,row,seat label,gaName,capacity\n\
            Stalls,Left,A,1,,\n\
            Stalls,Left,A,,,\n\
            Stalls,Left,A,1,,\n\
            ,,,,Floor,none\n"
            .to_vec();
        let err = venues(&fx).import_seat_map(&fx.org, &hall.id, file).await.expect_err("bad rows");
        let problems = field_errors(err);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!((problems[0].0, problems[0].1.as_str()), (Some(3), "seat label"));
        assert_eq!(problems[0].2, "cannot be empty");
        assert_eq!((problems[1].0, problems[1].1.as_str()), (Some(4), "seat label"));
        assert!(problems[1].2.contains("already on row 2"), "{}", problems[1].2);
        assert_eq!((problems[2].0, problems[2].1.as_str()), (Some(5), "capacity"));
        assert_eq!(venues(&fx).seat_map(&fx.org, &hall.id).await.expect("map"), before);
        fx.finish().await;
    }

    async fn a_seat_map_export_with_a_sep_line_a_title_and_decimal_comma_capacities_is_read(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Det Ny Teater").await;
        let file = windows_1252(
            "sep=;\r\nSalsplan Det Ny Teater\r\n\r\nStåplads;Kapacitet;Kategori\r\nGulvet;500,00;Stående\r\nBalkonen;1.200,0;\r\n",
        );
        let map = venues(&fx).import_seat_map(&fx.org, &hall.id, file).await.expect("import");
        let areas: Vec<(&str, i64)> = map.ga_areas.iter().map(|a| (a.name.as_str(), a.capacity)).collect();
        assert_eq!(areas, [("Gulvet", 500), ("Balkonen", 1_200)]);

        let file = windows_1252("Salsplan\r\nStåplads;Kapacitet\r\nGulvet;2,5\r\nBalkonen;0\r\n");
        let err = venues(&fx).import_seat_map(&fx.org, &hall.id, file).await.expect_err("half a place");
        assert_eq!(field_errors(err), [
            (Some(3), "Kapacitet".to_string(), "`2,5` is not a whole number".to_string()),
            (Some(4), "Kapacitet".to_string(), "must be a whole number, 1 or more".to_string()),
        ]);
        fx.finish().await;
    }

    async fn a_csv_without_the_seat_columns_names_the_missing_ones(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        let err = venues(&fx).import_seat_map(&fx.org, &hall.id, b"rang;siege\nA;1\n".to_vec()).await.expect_err("missing");
        let fields: Vec<String> = field_errors(err).into_iter().map(|(_, f, _)| f).collect();
        assert_eq!(fields, ["section", "group"]);
        fx.finish().await;
    }

    async fn another_organization_gets_not_found_on_a_venue_and_its_seat_map(fx: Fixture) {
        let hall = venue(&fx, &fx.org, "Operaen").await;
        venues(&fx).replace_seat_map(&fx.org, &hall.id, map_input(small_theatre())).await.expect("map");
        let svc = venues(&fx);
        assert!(matches!(svc.venue(&fx.other_org, &hall.id).await, Err(Error::NotFound("venue"))));
        assert!(matches!(svc.seat_map(&fx.other_org, &hall.id).await, Err(Error::NotFound("venue"))));
        assert!(matches!(
            svc.replace_seat_map(&fx.other_org, &hall.id, map_input(json!({"sections": []}))).await,
            Err(Error::NotFound("venue"))
        ));
        assert!(matches!(svc.update_venue(&fx.other_org, &hall.id, VenuePatch::default()).await, Err(Error::NotFound("venue"))));
        assert!(matches!(svc.delete_venue(&fx.other_org, &hall.id).await, Err(Error::NotFound("venue"))));
        assert!(svc.list_venues(&fx.other_org, &Default::default()).await.expect("list").items.is_empty());
        assert_eq!(svc.seat_map(&fx.org, &hall.id).await.expect("still there").seat_count, 6);
        fx.finish().await;
    }

    async fn a_venue_with_events_cannot_be_deleted_and_one_without_takes_its_map_along(fx: Fixture) {
        let busy = venue(&fx, &fx.org, "Operaen").await;
        let map = venues(&fx).replace_seat_map(&fx.org, &busy.id, map_input(small_theatre())).await.expect("map");
        sell_seat(&fx, &busy.id, &seat_id(&map, "Balkon", "1", "11")).await;
        let err = venues(&fx).delete_venue(&fx.org, &busy.id).await.expect_err("has events");
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        let idle = venue(&fx, &fx.org, "Skuespilhuset").await;
        venues(&fx).replace_seat_map(&fx.org, &idle.id, map_input(small_theatre())).await.expect("map");
        venues(&fx).delete_venue(&fx.org, &idle.id).await.expect("delete");
        assert!(matches!(venues(&fx).seat_map(&fx.org, &idle.id).await, Err(Error::NotFound("venue"))));
        fx.finish().await;
    }
}
