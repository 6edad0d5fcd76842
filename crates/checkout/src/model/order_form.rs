//! The order form of the storefront and the box office, as posted: repeated `seat` fields
//! (`<ticket type>:<seat>`), one `qty_<ticket type>` quantity per general-admission type, the
//! buyer and the codes. Both pages keep what was typed as text and turn it into a [`Cart`] here,
//! so a quantity that is not a number is refused beside its field instead of quietly becoming
//! no tickets.

use fullhouse_core::{Error, Result};
use fullhouse_ticketing::service::sale_facts::Buyer;
use fullhouse_ticketing::{EventId, SeatId, TicketTypeId};

use super::{Cart, CartItem, SeatChoice};

/// The name of a general-admission quantity field is this followed by the ticket type's id.
pub const QUANTITY_PREFIX: &str = "qty_";

/// What the buyer (or the organizer at the counter) typed and ticked, unparsed.
#[derive(Debug, Default, Clone)]
pub struct OrderForm {
    pub seats: Vec<String>,
    /// `(ticket type id, quantity as typed)` for every `qty_…` field.
    pub quantities: Vec<(String, String)>,
    pub codes: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The referral code the page was opened with (`?ref=`, from a tracking link), carried in
    /// a hidden field so that it reaches the order even without the tracking cookie.
    pub referral: String,
}

impl OrderForm {
    /// The form from its posted fields; fields it does not know (the CSRF token) are ignored.
    /// The field names are not fixed (`qty_<ticket type>`), hence pairs rather than a struct.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = OrderForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "seat" if !value.is_empty() => form.seats.push(value),
                "codes" => form.codes = value,
                "email" => form.email = value,
                "first_name" => form.first_name = value,
                "last_name" => form.last_name = value,
                "ref" => form.referral = value,
                other => {
                    if let Some(type_id) = other.strip_prefix(QUANTITY_PREFIX) {
                        form.quantities.push((type_id.to_string(), value));
                    }
                }
            }
        }
        form
    }

    /// The codes typed, comma-separated, without blanks.
    pub fn code_list(&self) -> Vec<String> {
        split_codes(&self.codes)
    }

    /// The cart the form asks for. A quantity that is not a whole number is refused with its
    /// field's name (`qty_<ticket type>`); a blank or zero quantity asks for nothing. Ids that
    /// do not parse are reported like the API reports them.
    pub fn cart(&self, event: &EventId) -> Result<Cart> {
        let mut items: Vec<CartItem> = Vec::new();
        for value in &self.seats {
            let (type_id, seat_id) = value
                .split_once(':')
                .ok_or_else(|| Error::invalid("seat", "choose seats from the seat map"))?;
            let type_id = TicketTypeId::parse(type_id)?;
            let choice = SeatChoice {
                seat_id: Some(SeatId::parse(seat_id)?),
                seat: None,
            };
            match items
                .iter_mut()
                .find(|i| i.ticket_type_id == type_id && !i.seats.is_empty())
            {
                Some(item) => item.seats.push(choice),
                None => items.push(CartItem {
                    ticket_type_id: type_id,
                    quantity: None,
                    seats: vec![choice],
                    ga_name: None,
                }),
            }
        }
        for (type_id, typed) in &self.quantities {
            let quantity = quantity(type_id, typed)?;
            if quantity > 0 {
                items.push(CartItem {
                    ticket_type_id: TicketTypeId::parse(type_id)?,
                    quantity: Some(quantity),
                    seats: Vec::new(),
                    ga_name: None,
                });
            }
        }
        Ok(Cart {
            // A malformed code is no reason to refuse a purchase: the order simply has none.
            referral_code: fullhouse_ticketing::model::orders::referral_code(&self.referral)
                .ok()
                .flatten(),
            event_id: event.clone(),
            items,
            codes: self.code_list(),
            customer_id: None,
        })
    }

    /// The buyer as typed; blank names are no names.
    pub fn buyer(&self) -> Buyer {
        let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        Buyer {
            email: self.email.clone(),
            first_name: optional(&self.first_name),
            last_name: optional(&self.last_name),
            phone: None,
        }
    }
}

/// Codes typed into one field, comma-separated: trimmed, blanks dropped.
pub fn split_codes(typed: &str) -> Vec<String> {
    typed
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// A typed quantity: blank is none; anything but a whole number of 0 or more is refused.
fn quantity(type_id: &str, typed: &str) -> Result<u32> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(0);
    }
    typed.parse::<u32>().map_err(|_| {
        Error::invalid_because(
            format!("{QUANTITY_PREFIX}{type_id}"),
            fullhouse_core::Problem::NotAWholeNumber,
            "must be a whole number of 0 or more",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_quantity_that_is_not_a_number_is_refused_beside_its_field() {
        let ga = TicketTypeId::generate();
        for typed in ["two", "1.5", "-1", "3 tickets"] {
            let form = OrderForm::from_pairs(pairs(&[
                ("csrf_token", "t"),
                (&format!("qty_{ga}"), typed),
                ("email", "a@example.com"),
            ]));
            match form.cart(&EventId::generate()) {
                Err(Error::Validation { fields, .. }) => {
                    assert_eq!(fields.len(), 1, "{typed}");
                    assert_eq!(fields[0].field, format!("qty_{ga}"), "{typed}");
                    assert!(
                        fields[0].reason.starts_with("must be a whole number"),
                        "{typed}: {}",
                        fields[0].reason
                    );
                }
                other => panic!("{typed:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn blank_and_zero_quantities_ask_for_nothing_and_numbers_ask_for_tickets() {
        let (none, zero, three) = (
            TicketTypeId::generate(),
            TicketTypeId::generate(),
            TicketTypeId::generate(),
        );
        let form = OrderForm::from_pairs(pairs(&[
            (&format!("qty_{none}"), ""),
            (&format!("qty_{zero}"), "0"),
            (&format!("qty_{three}"), " 3 "),
            ("codes", " SPRING, ,vip "),
        ]));
        let cart = form.cart(&EventId::generate()).expect("cart");
        assert_eq!(cart.items.len(), 1);
        assert_eq!(cart.items[0].ticket_type_id, three);
        assert_eq!(cart.items[0].quantity, Some(3));
        assert_eq!(cart.codes, vec!["SPRING".to_string(), "vip".to_string()]);
    }

    #[test]
    fn seats_of_one_ticket_type_share_one_cart_item() {
        let seated = TicketTypeId::generate();
        let (a, b) = (SeatId::generate(), SeatId::generate());
        let form = OrderForm::from_pairs(pairs(&[
            ("seat", &format!("{seated}:{a}")),
            ("seat", &format!("{seated}:{b}")),
            ("seat", ""),
        ]));
        let cart = form.cart(&EventId::generate()).expect("cart");
        assert_eq!(cart.items.len(), 1);
        assert_eq!(cart.items[0].seats.len(), 2);
    }

    #[test]
    fn a_seat_without_its_ticket_type_is_refused() {
        let form = OrderForm::from_pairs(pairs(&[("seat", "no-colon")]));
        match form.cart(&EventId::generate()) {
            Err(Error::Validation { fields, .. }) => assert_eq!(fields[0].field, "seat"),
            other => panic!("gave {other:?}"),
        }
    }
}
