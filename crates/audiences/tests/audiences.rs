//! Campaigns through the real checkout on both backends: a code never sells more than its
//! quantity under concurrency, counted per event or once across events; cancelled orders give
//! their uses back; the report shows what was used. And imports of what spreadsheet exports
//! really hold: title rows, Excel's `sep=;` line, quantities with a decimal comma.

use std::sync::Arc;

use chrono::{Duration, Utc};
use fullhouse_audiences::campaigns::figures::{Amount, UnusedCode, UseChannel};
use fullhouse_audiences::campaigns::model::{DiscountRule, Effects, LimitScope, NewCampaign};
use fullhouse_audiences::campaigns::{CampaignRules, CampaignService};
use fullhouse_audiences::import::{self, ImportInto, ReadChoices, Refused};
use fullhouse_audiences::model::{NewAudience, NewMember};
use fullhouse_audiences::AudienceService;
use fullhouse_checkout::model::{Cart, CartItem};
use fullhouse_checkout::{Checkout, ManualClock, PlaceOrder};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Error, OrgId};
use fullhouse_testkit::{both_backends, TestDb};
use fullhouse_ticketing::model::catalog::{NewEvent, NewProduction, NewTicketType};
use fullhouse_ticketing::model::orders::{Channel, OrderStatus};
use fullhouse_ticketing::model::venues::{GaAreaInput, NewVenue, SeatMapInput};
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::{EventId, TicketTypeId};

struct Stage {
    db: TestDb,
    org: OrgId,
    checkout: Checkout,
    /// (event, its general-admission ticket type)
    events: Vec<(EventId, TicketTypeId)>,
}

async fn stage(backend: Backend) -> Option<Stage> {
    let db = TestDb::new(backend, fullhouse_audiences::all_migrations()).await?;
    let org = TenancyService::new(db.db.clone())
        .create_organization(NewOrganization {
            name: "Campaign house".into(),
            slug: "campaign-house".into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id;
    let venue = VenueService::new(db.db.clone())
        .create_venue(
            &org,
            NewVenue {
                name: "Main stage".into(),
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
        .expect("venue");
    let seat_map = VenueService::new(db.db.clone())
        .replace_seat_map(
            &org,
            &venue.id,
            SeatMapInput {
                sections: vec![],
                ga_areas: vec![GaAreaInput {
                    id: None,
                    name: "Floor".into(),
                    capacity: 5_000,
                    category: None,
                }],
                seat_count: None,
            },
        )
        .await
        .expect("seat map");
    let floor = seat_map.ga_areas[0].id.clone();
    let catalog = CatalogService::new(db.db.clone());
    let production = catalog
        .create_production(
            &org,
            NewProduction {
                name: "Hamlet".into(),
                description: None,
                genre: None,
            },
        )
        .await
        .expect("production");
    let mut events = Vec::new();
    for day in 1..=3 {
        let event = catalog
            .create_event(
                &org,
                NewEvent {
                    production_id: production.id.clone(),
                    venue_id: venue.id.clone(),
                    name: None,
                    starts_at: Utc::now() + Duration::days(30 + day),
                    ends_at: None,
                    status: None,
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await
            .expect("event");
        let ticket_type = catalog
            .create_ticket_type(
                &org,
                &event.id,
                NewTicketType {
                    name: "Standing".into(),
                    category: None,
                    price_minor: 20_000,
                    currency: None,
                    capacity: Some(5_000),
                    hidden: false,
                    shop_id: None,
                    ga_area_id: Some(floor.clone()),
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await
            .expect("ticket type");
        events.push((event.id, ticket_type.id));
    }
    let checkout = Checkout::new(db.db.clone()).with_code_rules(Arc::new(CampaignRules));
    Some(Stage {
        db,
        org,
        checkout,
        events,
    })
}

impl Stage {
    /// An audience with one code, and a campaign on every event of the stage.
    async fn code(
        &self,
        code: &str,
        quantity: i64,
        scope: LimitScope,
    ) -> fullhouse_audiences::campaigns::Campaign {
        let audiences = AudienceService::new(self.db.db.clone());
        let audience = audiences
            .create(
                &self.org,
                NewAudience {
                    name: format!("Codes {code}"),
                    ..NewAudience::default()
                },
            )
            .await
            .expect("audience");
        audiences
            .add_member(
                &self.org,
                &audience.id,
                NewMember {
                    code: code.into(),
                    quantity,
                    ..NewMember::default()
                },
            )
            .await
            .expect("member");
        CampaignService::new(self.db.db.clone())
            .create(
                &self.org,
                NewCampaign {
                    name: format!("Campaign {code}"),
                    audience_ids: vec![audience.id],
                    event_ids: self.events.iter().map(|(e, _)| e.clone()).collect(),
                    effects: Effects {
                        discount: Some(DiscountRule::Percent { percent: 50.0 }),
                        ..Effects::default()
                    },
                    limit_scope: scope,
                    ..NewCampaign::default()
                },
            )
            .await
            .expect("campaign")
    }

    fn order(&self, event: usize, code: &str) -> PlaceOrder {
        let (event_id, ticket_type) = self.events[event % self.events.len()].clone();
        PlaceOrder {
            cart: Cart {
                referral_code: None,
                event_id,
                items: vec![CartItem {
                    ticket_type_id: ticket_type,
                    quantity: Some(1),
                    seats: vec![],
                    ga_name: None,
                }],
                codes: vec![code.to_string()],
                customer_id: None,
            },
            channel: Channel::BoxOffice,
            buyer: None,
            paid_at_counter: true,
            payment_method: Some(fullhouse_checkout::PaymentMethod::Cash),
        }
    }

    /// Places `count` orders at once, spread over the events; returns how many succeeded.
    async fn rush(&self, count: usize, code: &str) -> usize {
        let mut tasks = Vec::new();
        for i in 0..count {
            let checkout = self.checkout.clone();
            let (org, order) = (self.org.clone(), self.order(i, code));
            tasks.push(tokio::spawn(
                async move { checkout.place(&org, order).await },
            ));
        }
        let mut placed = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => placed += 1,
                Err(Error::Conflict { .. } | Error::Validation { .. }) => {}
                Err(other) => panic!("a checkout failed otherwise than on the code: {other:?}"),
            }
        }
        placed
    }
}

both_backends! {
    setup = stage;

    async fn loyalty_applies_by_itself_to_member_customers_the_seller_names(stage: Stage) {
        let customers = fullhouse_ticketing::service::CustomerService::new(stage.db.db.clone());
        let member = customers
            .create(&stage.org, fullhouse_ticketing::model::customers::NewCustomer {
                email: Some("loyal@example.dk".into()),
                ..Default::default()
            })
            .await
            .expect("customer");
        let stranger = customers
            .create(&stage.org, fullhouse_ticketing::model::customers::NewCustomer {
                email: Some("new@example.dk".into()),
                ..Default::default()
            })
            .await
            .expect("customer");
        let audiences = AudienceService::new(stage.db.db.clone());
        let audience = audiences
            .create(&stage.org, NewAudience { name: "Last season".into(), ..NewAudience::default() })
            .await
            .expect("audience");
        audiences
            .add_member(&stage.org, &audience.id, NewMember {
                code: member.id.to_string(),
                quantity: 100,
                customer: Some("LOYAL@example.dk".into()),
                ..NewMember::default()
            })
            .await
            .expect("member");
        CampaignService::new(stage.db.db.clone())
            .create(&stage.org, NewCampaign {
                name: "Loyalty".into(),
                audience_ids: vec![audience.id],
                event_ids: stage.events.iter().map(|(e, _)| e.clone()).collect(),
                effects: Effects {
                    discount: Some(DiscountRule::Percent { percent: 25.0 }),
                    loyalty: true,
                    ..Effects::default()
                },
                ..NewCampaign::default()
            })
            .await
            .expect("campaign");
        let at_the_counter = |customer: &fullhouse_ticketing::CustomerId| {
            let mut order = stage.order(0, "");
            order.cart.codes.clear();
            order.cart.customer_id = Some(customer.clone());
            order
        };
        let member_order = stage.checkout.place(&stage.org, at_the_counter(&member.id)).await.expect("member order");
        assert_eq!(member_order.total_minor, 15_000, "25 % off 200.00 without a code");
        let stranger_order = stage.checkout.place(&stage.org, at_the_counter(&stranger.id)).await.expect("order");
        assert_eq!(stranger_order.total_minor, 20_000, "no loyalty for a customer who is not a member");
        // A storefront buyer who types the member's email is not the member for loyalty.
        let mut online = stage.order(2, "");
        online.cart.codes.clear();
        online.channel = Channel::Online;
        online.paid_at_counter = false;
        online.payment_method = None;
        online.buyer = Some(fullhouse_ticketing::service::sale_facts::Buyer {
            email: "loyal@example.dk".into(),
            first_name: None,
            last_name: None,
            phone: None,
        });
        let online_order = stage.checkout.place(&stage.org, online).await.expect("online order");
        assert_eq!(online_order.total_minor, 20_000, "an email typed in the shop proves nothing");
        // Typing the member's customer number as a code does nothing: loyalty has no code.
        let typed = stage.checkout.place(&stage.org, stage.order(1, member.id.as_str())).await;
        assert!(typed.is_err() || typed.is_ok_and(|o| o.total_minor == 20_000));
        stage.db.finish().await;
    }

    async fn a_code_of_quantity_10_shared_across_3_events_sells_exactly_10_of_1000_concurrent_checkouts(stage: Stage) {
        let campaign = stage.code("VIP-ALL", 10, LimitScope::AcrossEvents).await;
        assert_eq!(stage.rush(1_000, "vip-all").await, 10);
        let report = CampaignService::new(stage.db.db.clone()).report(&stage.org, &campaign.id).await.expect("report");
        assert_eq!((report.uses, report.orders), (10, 10));
        assert_eq!((report.paid_uses, report.held_uses), (10, 0), "box-office orders are paid at once");
        assert_eq!(report.codes[0].remaining, 0);
        stage.db.finish().await;
    }

    async fn counted_per_event_each_event_gets_the_full_quantity(stage: Stage) {
        stage.code("EACH", 4, LimitScope::PerEvent).await;
        assert_eq!(stage.rush(120, "EACH").await, 12);
        stage.db.finish().await;
    }

    async fn a_cancelled_order_gives_its_use_back(stage: Stage) {
        let campaign = stage.code("ONCE", 1, LimitScope::AcrossEvents).await;
        let first = stage.checkout.place(&stage.org, stage.order(0, "ONCE")).await.expect("first order");
        assert_eq!(first.total_minor, 10_000, "50 % off 200.00");
        assert!(stage.checkout.place(&stage.org, stage.order(1, "ONCE")).await.is_err(), "used up");
        stage.checkout.cancel(&stage.org, &first.id).await.expect("cancelled");
        let report = CampaignService::new(stage.db.db.clone()).report(&stage.org, &campaign.id).await.expect("report");
        assert_eq!(report.uses, 0);
        stage.checkout.place(&stage.org, stage.order(2, "ONCE")).await.expect("the use came back");
        stage.db.finish().await;
    }

    async fn the_report_counts_uses_held_by_unpaid_orders_apart_from_paid_ones(stage: Stage) {
        let campaign = stage.code("HOLD", 5, LimitScope::AcrossEvents).await;
        let clock = ManualClock::starting_at(Utc::now());
        let checkout = Checkout::new(stage.db.db.clone())
            .with_code_rules(Arc::new(CampaignRules))
            .with_clock(Arc::new(clock.clone()));
        let online = |event: usize| PlaceOrder {
            channel: Channel::Online,
            paid_at_counter: false,
            ..stage.order(event, "HOLD")
        };
        let runs_out = checkout.place(&stage.org, online(0)).await.expect("held");
        let to_pay = checkout.place(&stage.org, online(1)).await.expect("held");
        let at_counter = checkout.place(&stage.org, stage.order(2, "HOLD")).await.expect("paid at the counter");
        let reports = CampaignService::new(stage.db.db.clone());
        let report = reports.report(&stage.org, &campaign.id).await.expect("report");
        assert_eq!((report.paid_uses, report.held_uses), (1, 2), "{report:?}");
        assert_eq!((report.paid_orders, report.held_orders, report.orders), (1, 2, 3));
        let code = &report.codes[0];
        assert_eq!(code.paid_orders, [at_counter.id.to_string()]);
        let mut held = code.held_orders.clone();
        held.sort();
        let mut expected = vec![runs_out.id.to_string(), to_pay.id.to_string()];
        expected.sort();
        assert_eq!(held, expected);
        assert_eq!(code.remaining, 2, "held uses are taken as surely as paid ones");

        checkout.pay(&stage.org, &to_pay.id, None).await.expect("paid");
        let report = reports.report(&stage.org, &campaign.id).await.expect("report");
        assert_eq!((report.paid_uses, report.held_uses), (2, 1), "{report:?}");
        assert_eq!(report.codes[0].held_orders, [runs_out.id.to_string()]);

        clock.advance(Duration::minutes(16));
        assert_eq!(checkout.expire_due_holds().await.expect("sweep"), 1);
        let expired = checkout.order(&stage.org, &runs_out.id).await.expect("order");
        assert_eq!(expired.order.status, OrderStatus::Expired);
        let report = reports.report(&stage.org, &campaign.id).await.expect("report");
        assert_eq!((report.paid_uses, report.held_uses, report.uses), (2, 0, 2), "{report:?}");
        assert_eq!(report.codes[0].remaining, 3, "the expired hold gave its use back");
        assert!(!report.codes[0].orders.contains(&runs_out.id.to_string()));
        stage.db.finish().await;
    }
}

both_backends! {
    setup = stage;

    async fn the_campaign_figures_show_revenue_discount_rate_channel_buyer_and_unused_codes(stage: Stage) {
        let campaign = stage.code("HALF-1", 2, LimitScope::AcrossEvents).await;
        let audiences = AudienceService::new(stage.db.db.clone());
        audiences
            .add_member(&stage.org, &campaign.audience_ids[0], NewMember {
                code: "HALF-2".into(),
                quantity: 3,
                ..NewMember::default()
            })
            .await
            .expect("unused member");
        let customers = fullhouse_ticketing::service::CustomerService::new(stage.db.db.clone());
        let ida = customers
            .create(&stage.org, fullhouse_ticketing::model::customers::NewCustomer {
                first_name: Some("Ida".into()),
                last_name: Some("Holm".into()),
                email: Some("ida@example.dk".into()),
                ..Default::default()
            })
            .await
            .expect("customer");
        let mut at_counter = stage.order(0, "HALF-1");
        at_counter.cart.customer_id = Some(ida.id.clone());
        let paid = stage.checkout.place(&stage.org, at_counter).await.expect("paid at the counter");
        let online = PlaceOrder {
            channel: Channel::Online,
            paid_at_counter: false,
            payment_method: None,
            buyer: Some(fullhouse_ticketing::service::sale_facts::Buyer {
                email: "bo@example.dk".into(),
                first_name: Some("Bo".into()),
                last_name: None,
                phone: None,
            }),
            ..stage.order(1, "HALF-1")
        };
        let held = stage.checkout.place(&stage.org, online).await.expect("held online");

        let service = CampaignService::new(stage.db.db.clone());
        let figures = service.figures(&stage.org, &campaign.id).await.expect("figures");
        let dkk = |minor: i64| vec![Amount { minor, currency: "DKK".into() }];
        assert_eq!(figures.revenue, dkk(10_000), "the paid order's total: 50 % off 200.00");
        assert_eq!(figures.discount, dkk(10_000), "list price 200.00 less 100.00 paid");
        assert_eq!(figures.held_revenue, dkk(10_000));
        assert_eq!(figures.held_discount, dkk(10_000));
        assert_eq!((figures.uses_taken, figures.uses_available), (2, 5), "2 of HALF-1's 2 and HALF-2's 3");
        assert_eq!(figures.redemption_rate(), Some(40.0));
        let lines: Vec<(&str, bool, UseChannel, Option<&str>)> = figures
            .uses
            .iter()
            .map(|u| (u.order_id.as_str(), u.paid, u.channel, u.buyer.as_ref().map(|b| b.name.as_str())))
            .collect();
        assert_eq!(
            lines,
            [
                (paid.id.as_str(), true, UseChannel::BoxOffice, Some("Ida Holm")),
                (held.id.as_str(), false, UseChannel::Storefront, Some("Bo")),
            ]
        );
        assert_eq!(figures.unused, [UnusedCode { code: "HALF-2".into(), quantity: 3 }]);

        // The held order pays: its money moves to revenue. Then it is cancelled: it leaves the
        // report and its use is available again.
        stage.checkout.pay(&stage.org, &held.id, None).await.expect("paid");
        let figures = service.figures(&stage.org, &campaign.id).await.expect("figures");
        assert_eq!(figures.revenue, dkk(20_000));
        assert_eq!(figures.held_revenue, Vec::<Amount>::new());
        stage.checkout.cancel(&stage.org, &held.id).await.expect("cancelled");
        let figures = service.figures(&stage.org, &campaign.id).await.expect("figures");
        assert_eq!((figures.revenue.clone(), figures.uses_taken), (dkk(10_000), 1));

        // Counted per event, every event of the campaign offers the codes' quantities again.
        let per_event = stage.code("EVERY", 2, LimitScope::PerEvent).await;
        let figures = service.figures(&stage.org, &per_event.id).await.expect("figures");
        assert_eq!(figures.uses_available, 6, "2 uses × 3 events");
        assert_eq!(figures.redemption_rate(), Some(0.0));

        // The campaigns of an event: both name the stage's events.
        let (event, _) = stage.events[0].clone();
        let found = service.for_event(&stage.org, &event).await.expect("for event");
        let mut names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Campaign EVERY", "Campaign HALF-1"]);
        stage.db.finish().await;
    }
}

/// An organization and a directory for the files it uploads.
struct Imports {
    db: TestDb,
    org: OrgId,
    dir: tempfile::TempDir,
}

async fn imports(backend: Backend) -> Option<Imports> {
    let db = TestDb::new(backend, fullhouse_audiences::all_migrations()).await?;
    let org = TenancyService::new(db.db.clone())
        .create_organization(NewOrganization {
            name: "Import house".into(),
            slug: "import-house".into(),
            default_language: "da".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id;
    let dir = tempfile::tempdir().expect("temp dir");
    Some(Imports { db, org, dir })
}

impl Imports {
    async fn import(&self, name: &str, file: Vec<u8>) -> Result<(i64, i64), Refused> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, file).expect("file written");
        let service = AudienceService::new(self.db.db.clone());
        let into = ImportInto::New(NewAudience {
            name: name.into(),
            description: None,
            venue_id: None,
            event_ids: vec![],
        });
        let (audience, _) = import::import(
            &service,
            &self.org,
            into,
            path,
            ReadChoices::default(),
            None,
        )
        .await?;
        Ok((audience.member_count, audience.total_quantity))
    }
}

/// An XLSX with a title in A1, the header on row 3 and the members below.
fn titled_xlsx(members: &[(&str, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Abonnenter 2026").expect("cell");
    sheet.write_string(2, 0, "Stregkode").expect("cell");
    sheet.write_string(2, 1, "Antal").expect("cell");
    for (row, (code, quantity)) in (3u32..).zip(members) {
        sheet.write_string(row, 0, *code).expect("cell");
        match quantity.parse::<f64>() {
            Ok(number) => sheet.write_number(row, 1, number).expect("cell"),
            Err(_) => sheet.write_string(row, 1, *quantity).expect("cell"),
        };
    }
    workbook.save_to_buffer().expect("xlsx")
}

fn refused_fields(refused: Refused) -> Vec<(Option<u64>, String, String)> {
    match refused.error {
        Error::Validation { fields, .. } => fields
            .into_iter()
            .map(|f| (f.row, f.field, f.reason))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

both_backends! {
    setup = imports;

    async fn a_title_row_an_excel_sep_line_and_decimal_comma_quantities_import_as_members(fx: Imports) {
        let csv = "sep=;\r\nAbonnenter 2026;;\r\n;;\r\nStregkode;Antal;Kategori\r\nVIP1;2,0;Parket\r\nVIP2;3,00;\r\nVIP3;1;\r\n";
        let imported = fx.import("abonnenter.csv", csv.as_bytes().to_vec()).await.map_err(|r| r.error);
        assert_eq!(imported.ok(), Some((3, 6)));
        let xlsx = titled_xlsx(&[("X1", "2,0"), ("X2", "4"), ("X3", "2.00")]);
        let imported = fx.import("abonnenter.xlsx", xlsx).await.map_err(|r| r.error);
        assert_eq!(imported.ok(), Some((3, 8)));
        fx.db.finish().await;
    }

    async fn a_fractional_quantity_is_refused_with_its_row_in_the_file_and_its_column(fx: Imports) {
        let csv = "Abonnenter 2026\n\nKode;Antal\nVIP1;2,0\nVIP2;2,5\n";
        let refused = fx.import("halve.csv", csv.as_bytes().to_vec()).await.expect_err("2,5 tickets");
        assert_eq!(refused.bad_rows, 1);
        assert_eq!(refused_fields(refused), [(Some(5), "Antal".to_string(), "`2,5` is not a whole number".to_string())]);
        let xlsx = titled_xlsx(&[("X1", "2,0"), ("X2", "1,5")]);
        let refused = fx.import("halve.xlsx", xlsx).await.expect_err("1,5 tickets");
        assert_eq!(refused_fields(refused), [(Some(5), "Antal".to_string(), "`1,5` is not a whole number".to_string())]);
        fx.db.finish().await;
    }
}
