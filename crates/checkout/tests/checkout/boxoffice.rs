//! Selling at the counter (#15): a seat of a category with a public and a hidden ticket type is
//! sold at the public type's price unless a code unlocks the hidden one, and the payment method
//! the clerk recorded is stored with the order.

use fullhouse_checkout::model::{Cart, CartItem, SeatChoice};
use fullhouse_checkout::{PaymentMethod, PlaceOrder};
use fullhouse_core::Error;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{SeatId, TicketTypeId};
use serde_json::json;

use crate::fixture::*;

/// The hidden type of category A (the stage's public `Seated` type is category A at 300.00):
/// "Friends of the house" at 210.00, sold only with a code that unlocks the category.
async fn friends_of_the_house(f: &Fixture) -> TicketTypeId {
    CatalogService::new(f.db.clone())
        .create_ticket_type(
            &f.org,
            &f.stage.event,
            serde_json::from_value(json!({
                "name": "Friends of the house", "category": "A", "price_minor": 21000, "hidden": true
            }))
            .expect("ticket type input"),
        )
        .await
        .expect("hidden ticket type")
        .id
}

fn at_the_counter(
    f: &Fixture,
    ticket_type: &TicketTypeId,
    seat: &SeatId,
    codes: &[&str],
    payment_method: Option<PaymentMethod>,
) -> PlaceOrder {
    PlaceOrder {
        cart: Cart {
            referral_code: None,
            event_id: f.stage.event.clone(),
            items: vec![CartItem {
                ticket_type_id: ticket_type.clone(),
                quantity: None,
                seats: vec![SeatChoice {
                    seat_id: Some(seat.clone()),
                    seat: None,
                }],
                ga_name: None,
            }],
            codes: codes.iter().map(|c| c.to_string()).collect(),
            customer_id: None,
        },
        channel: Channel::BoxOffice,
        buyer: None,
        paid_at_counter: true,
        payment_method,
    }
}

both_backends! {
    setup = fixture;

    async fn a_category_a_seat_is_sold_at_the_counter_at_its_public_price_without_a_code(f: Fixture) {
        let friends = friends_of_the_house(&f).await;
        let s = &f.stage;
        let view = f.checkout.sale_view(&f.org, &s.event, &[], Channel::BoxOffice).await.expect("view");
        let category_a: Vec<_> = view.ticket_types.iter().filter(|t| t.category.as_deref() == Some("A")).map(|t| t.id.clone()).collect();
        assert_eq!(category_a, vec![s.seated.clone()], "without a code the box office offers only the public type");
        assert!(view.ticket_types.iter().all(|t| t.id != friends));

        let sale = at_the_counter(&f, &s.seated, &s.seats[0], &[], Some(PaymentMethod::Cash));
        let quote = f.checkout.quote(&f.org, &sale.cart, Channel::BoxOffice).await.expect("quote");
        assert_eq!(quote.total_minor, 30_000);
        assert_eq!(quote.lines[0].ticket_type_name, "Seated");
        let order = f.checkout.place(&f.org, sale).await.expect("sold");
        assert_eq!(order.total_minor, 30_000, "the public price");
        assert_eq!(order.order.tickets[0].ticket_type_id, s.seated);
        f.finish().await;
    }

    async fn the_hidden_type_is_refused_at_the_counter_without_its_code_and_sold_with_it(f: Fixture) {
        let friends = friends_of_the_house(&f).await;
        let s = &f.stage;
        let refused = f.checkout.place(&f.org, at_the_counter(&f, &friends, &s.seats[1], &[], Some(PaymentMethod::Card))).await;
        match refused {
            Err(Error::Validation { fields, .. }) => {
                assert_eq!(fields.len(), 1, "{fields:?}");
                assert_eq!(fields[0].field, "items[0].ticket_type_id");
                assert!(fields[0].reason.contains("Friends of the house") && fields[0].reason.contains("needs a code"), "{}", fields[0].reason);
            }
            other => panic!("expected a validation error on the item, got {other:?}"),
        }
        let quote = f.checkout.quote(&f.org, &at_the_counter(&f, &friends, &s.seats[1], &[], None).cart, Channel::BoxOffice).await.expect("quote");
        assert_eq!(quote.problems[0].field, "items[0].ticket_type_id", "the quote says the same: {:?}", quote.problems);

        f.add_code("FRIENDS", Some(&s.event), 5, CodeExtra { unlock_category: Some("A".into()), ..Default::default() }).await;
        let view = f.checkout.sale_view(&f.org, &s.event, &["FRIENDS".into()], Channel::BoxOffice).await.expect("view");
        let offered = view.ticket_types.iter().find(|t| t.id == friends).expect("the code shows the hidden type");
        assert_eq!(offered.unlocked_by.as_deref(), Some("FRIENDS"));
        let order = f.checkout.place(&f.org, at_the_counter(&f, &friends, &s.seats[1], &["FRIENDS"], Some(PaymentMethod::Card))).await.expect("sold with the code");
        assert_eq!(order.total_minor, 21_000);
        assert_eq!(order.codes, vec!["FRIENDS".to_string()]);
        assert_eq!(f.used("FRIENDS").await, 1);
        // The public type is still the public price with the code in the cart.
        let public = f.checkout.place(&f.org, at_the_counter(&f, &s.seated, &s.seats[2], &["FRIENDS"], Some(PaymentMethod::Cash))).await.expect("sold");
        assert_eq!(public.total_minor, 30_000);
        f.finish().await;
    }

    async fn the_payment_method_of_a_counter_sale_is_stored_and_online_orders_have_none(f: Fixture) {
        let s = &f.stage;
        for (seat, method) in s.seats.iter().zip(PaymentMethod::ALL) {
            let order = f.checkout.place(&f.org, at_the_counter(&f, &s.seated, seat, &[], Some(method))).await.expect("sold");
            assert_eq!(order.payment_method, Some(method));
            let read = f.checkout.order(&f.org, &order.id).await.expect("order");
            assert_eq!(read.payment_method, Some(method), "read back");
            assert_eq!(serde_json::to_value(&read).expect("json")["payment_method"], method.as_str());
        }
        let mut online = at_the_counter(&f, &s.seated, &s.seats[10], &[], None);
        online.channel = Channel::Online;
        online.paid_at_counter = false;
        online.buyer = Some(fullhouse_ticketing::service::sale_facts::Buyer {
            email: "online@example.dk".into(),
            first_name: None,
            last_name: None,
            phone: None,
        });
        let order = f.checkout.place(&f.org, online).await.expect("placed online");
        let read = f.checkout.order(&f.org, &order.id).await.expect("order");
        assert_eq!(read.payment_method, None);
        assert!(serde_json::to_value(&read).expect("json")["payment_method"].is_null());
        f.finish().await;
    }
}
