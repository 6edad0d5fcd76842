//! What a code covers in one order (README, "One price rule for every counter"): an order that
//! asks a typed code for more tickets than its per-order limit or its uses left is refused on the
//! code — the same answer online, at the box office and in the quote shown before payment — and
//! never sold with some tickets quietly at the list price.

use fullhouse_checkout::model::{Cart, CartItem, Quote};
use fullhouse_checkout::PlaceOrder;
use fullhouse_core::Error;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::Buyer;
use fullhouse_ticketing::{EventId, TicketTypeId};

use crate::fixture::*;

/// Every channel a sale can come through, as checkout sees it.
const CHANNELS: [Channel; 2] = [Channel::Online, Channel::BoxOffice];

fn cart(event: &EventId, ticket_type: &TicketTypeId, quantity: u32, code: &str) -> Cart {
    Cart {
        referral_code: None,
        event_id: event.clone(),
        items: vec![CartItem {
            ticket_type_id: ticket_type.clone(),
            quantity: Some(quantity),
            seats: Vec::new(),
            ga_name: None,
        }],
        codes: vec![code.to_string()],
        customer_id: None,
    }
}

/// The order each channel places: online with a buyer and a hold, at the counter paid at once.
fn order(channel: Channel, cart: Cart) -> PlaceOrder {
    let online = channel == Channel::Online;
    PlaceOrder {
        cart,
        channel,
        buyer: online.then(|| Buyer {
            email: "buyer@example.dk".into(),
            first_name: None,
            last_name: None,
            phone: None,
        }),
        paid_at_counter: !online,
        payment_method: (!online).then_some(fullhouse_checkout::PaymentMethod::Cash),
    }
}

/// The one problem a quote has, on the code.
fn code_problem(quote: &Quote) -> String {
    assert_eq!(quote.problems.len(), 1, "{:?}", quote.problems);
    let problem = &quote.problems[0];
    assert_eq!(problem.field, "codes[0]");
    problem.reason.clone()
}

/// Places the order on every channel; each must be refused with `expected` on `codes[0]`, by
/// a conflict (`conflict: true`) or as invalid input.
async fn refused_everywhere(f: &Fixture, wanted: &Cart, conflict: bool, expected: &str) {
    for channel in CHANNELS {
        let quote = f
            .checkout
            .quote(&f.org, wanted, channel)
            .await
            .expect("quote");
        assert_eq!(code_problem(&quote), expected, "the quote, {channel:?}");
        let placed = f
            .checkout
            .place(&f.org, order(channel, wanted.clone()))
            .await;
        match placed {
            Err(Error::Conflict { field, message }) if conflict => {
                assert_eq!(
                    (field.as_deref(), message.as_str()),
                    (Some("codes[0]"), expected),
                    "{channel:?}"
                );
            }
            Err(Error::Validation { fields, .. }) if !conflict => {
                assert_eq!(fields.len(), 1, "{fields:?}");
                assert_eq!(
                    (fields[0].field.as_str(), fields[0].reason.as_str()),
                    ("codes[0]", expected),
                    "{channel:?}"
                );
            }
            other => panic!("{channel:?}: expected the order refused on its code, got {other:?}"),
        }
    }
}

both_backends! {
    setup = fixture;

    async fn more_tickets_than_a_codes_uses_left_are_refused_on_every_channel_and_in_the_quote(f: Fixture) {
        let s = &f.stage;
        f.add_code("TWO-LEFT", Some(&s.event), 2, CodeExtra { percent_bp: Some(5_000), ..Default::default() }).await;
        refused_everywhere(&f, &cart(&s.event, &s.standing, 3, "TWO-LEFT"), true,
            "code TWO-LEFT has 2 uses left; this order asks it for 3 tickets").await;
        assert_eq!(f.used("TWO-LEFT").await, 0, "a refused order takes no use");

        let two = f.checkout.place(&f.org, order(Channel::BoxOffice, cart(&s.event, &s.standing, 2, "TWO-LEFT"))).await.expect("two fit");
        assert_eq!(two.total_minor, 20_000, "both tickets at the code's price (50 % off 200.00)");
        assert_eq!(f.used("TWO-LEFT").await, 2);
        refused_everywhere(&f, &cart(&s.event, &s.standing, 1, "TWO-LEFT"), true, "code TWO-LEFT has been used up").await;
        f.finish().await;
    }

    async fn more_tickets_than_a_codes_per_order_limit_are_refused_on_every_channel_and_in_the_quote(f: Fixture) {
        let s = &f.stage;
        f.add_code("FOUR-EACH", Some(&s.event), 100, CodeExtra { percent_bp: Some(2_000), per_order: Some(4), ..Default::default() }).await;
        refused_everywhere(&f, &cart(&s.event, &s.standing, 5, "FOUR-EACH"), false,
            "code FOUR-EACH covers at most 4 tickets in one order; this order asks it for 5").await;
        for channel in CHANNELS {
            let quote = f.checkout.quote(&f.org, &cart(&s.event, &s.standing, 4, "FOUR-EACH"), channel).await.expect("quote");
            assert!(quote.problems.is_empty(), "{:?}", quote.problems);
            assert!(quote.lines.iter().all(|l| l.price_minor == 16_000 && l.applied.as_deref() == Some("FOUR-EACH")));
            assert_eq!(quote.total_minor, 64_000);
        }
        let four = f.checkout.place(&f.org, order(Channel::Online, cart(&s.event, &s.standing, 4, "FOUR-EACH"))).await.expect("four fit");
        assert_eq!(four.total_minor, 64_000, "every ticket at the code's price, none at the list price");
        f.finish().await;
    }

    async fn a_hidden_type_beyond_what_its_code_covers_is_refused_on_the_code_not_sold_at_another_price(f: Fixture) {
        let s = &f.stage;
        f.add_code("VIP-TWO", Some(&s.event), 2, CodeExtra { unlock_category: Some("VIP".into()), ..Default::default() }).await;
        let seats = |n: usize| CartItem {
            ticket_type_id: s.vip.clone(),
            quantity: None,
            seats: s.seats[40..40 + n]
                .iter()
                .map(|id| fullhouse_checkout::model::SeatChoice { seat_id: Some(id.clone()), seat: None })
                .collect(),
            ga_name: None,
        };
        let wanted = Cart { event_id: s.event.clone(), items: vec![seats(3)], codes: vec!["VIP-TWO".into()], customer_id: None, referral_code: None };
        refused_everywhere(&f, &wanted, true, "code VIP-TWO has 2 uses left; this order asks it for 3 tickets").await;
        let fits = Cart { items: vec![seats(2)], ..wanted };
        let order = f.checkout.place(&f.org, order(Channel::BoxOffice, fits)).await.expect("two VIP seats");
        assert_eq!(order.total_minor, 100_000);
        f.finish().await;
    }
}
