//! The seat map and the standing-quantity fields, as the storefront and the box office draw them.

use fullhouse_core::Error;
use fullhouse_web::{FormErrors, Lang};

use crate::model::order_form::QUANTITY_PREFIX;
use crate::model::OrderForm;
use crate::service::{OfferedType, SaleView, SeatState};

/// One row of the seat map as the picker draws it.
pub struct SeatRowView {
    pub name: String,
    pub seats: Vec<SeatCell>,
}

/// One clickable seat: its form value names the ticket type it sells as.
pub struct SeatCell {
    pub value: String,
    pub label: String,
    /// `available`, `sold`, `held`, `unlocked` or `unavailable` (no ticket type sells it).
    pub state: &'static str,
    pub title: String,
    pub buyable: bool,
    pub checked: bool,
}

/// The ticket types a seat may sell as, the default first: the offered seated types of the
/// seat's category, else the offered seated types without a category. Among them the types on
/// open sale come before those a code unlocked, so a seat is never offered at a code-only price
/// unless someone chooses it.
pub fn types_for_seat<'v>(view: &'v SaleView, category: Option<&str>) -> Vec<&'v OfferedType> {
    let seated = || view.ticket_types.iter().filter(|t| !t.general_admission);
    let of_category: Vec<&OfferedType> = category
        .map(|c| {
            seated()
                .filter(|t| {
                    t.category
                        .as_deref()
                        .is_some_and(|tc| tc.trim().eq_ignore_ascii_case(c.trim()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut types = if of_category.is_empty() {
        seated().filter(|t| t.category.is_none()).collect()
    } else {
        of_category
    };
    // Stable: the catalog's order within each group.
    types.sort_by_key(|t| t.unlocked_by.is_some());
    types
}

/// The ticket type id a posted seat value (`<ticket type>:<seat>`) names for `seat`.
pub fn chosen_type<'c>(chosen: &'c [String], seat: &str) -> Option<&'c str> {
    chosen.iter().find_map(|value| {
        value
            .split_once(':')
            .filter(|(_, s)| *s == seat)
            .map(|(t, _)| t)
    })
}

/// The seat map as rows of cells, for the storefront or the box office. `chosen` are the posted
/// seat values: a chosen seat is ticked and keeps the ticket type it was chosen as, when that
/// type is one it may sell as.
pub fn seat_rows(view: &SaleView, lang: Lang, chosen: &[String]) -> Vec<SeatRowView> {
    let mut rows: Vec<SeatRowView> = Vec::new();
    for offer in &view.seats {
        let seat = &offer.seat;
        let name = format!(
            "{} · {} · {}",
            seat.section_name, seat.group_name, seat.row_name
        );
        let seat_id = seat.id.to_string();
        let picked = chosen_type(chosen, &seat_id);
        let allowed = types_for_seat(view, seat.category.as_deref());
        let ticket_type = allowed
            .iter()
            .find(|t| picked.is_some_and(|p| t.id.to_string() == p))
            .or(allowed.first())
            .copied();
        let state = match (offer.state, ticket_type) {
            (SeatState::Sold, _) => "sold",
            (SeatState::Held, _) => "held",
            (_, None) => "unavailable",
            (SeatState::Unlocked, Some(_)) => "unlocked",
            (SeatState::Available, Some(_)) => "available",
        };
        let value = ticket_type
            .map(|t| format!("{}:{}", t.id, seat.id))
            .unwrap_or_default();
        let title = match ticket_type {
            Some(t) => format!(
                "{} {} · {} · {}",
                lang.t("shop-seat"),
                seat.seat_label,
                t.name,
                lang.money(t.price_minor, &t.currency)
            ),
            None => format!("{} {}", lang.t("shop-seat"), seat.seat_label),
        };
        let buyable = matches!(state, "available" | "unlocked");
        let cell = SeatCell {
            checked: buyable && picked.is_some(),
            buyable,
            value,
            label: seat.seat_label.clone(),
            state,
            title,
        };
        match rows.last_mut() {
            Some(row) if row.name == name => row.seats.push(cell),
            _ => rows.push(SeatRowView {
                name,
                seats: vec![cell],
            }),
        }
    }
    rows
}

/// A general-admission quantity field, with what was wrong with the quantity last posted in it.
pub struct QuantityField {
    pub ticket_type: OfferedType,
    /// The field's name (`qty_<ticket type>`).
    pub name: String,
    /// The quantity as last typed (`0` when none was).
    pub value: String,
    pub problem: Option<String>,
}

/// The general-admission types on sale as quantity fields, keeping what `form` typed in them;
/// `refused` is the error the last post got, whose field problems are shown beside their fields.
pub fn quantity_fields(
    view: &SaleView,
    lang: Lang,
    form: &OrderForm,
    refused: Option<&Error>,
) -> Vec<QuantityField> {
    let problems = refused.map(|err| FormErrors::from_error(lang, err));
    view.ticket_types
        .iter()
        .filter(|t| t.general_admission)
        .map(|t| {
            let id = t.id.to_string();
            let name = format!("{QUANTITY_PREFIX}{id}");
            let value = form
                .quantities
                .iter()
                .find(|(type_id, _)| *type_id == id)
                .map(|(_, typed)| typed.trim().to_string())
                .filter(|typed| !typed.is_empty())
                .unwrap_or_else(|| "0".to_string());
            QuantityField {
                problem: problems
                    .as_ref()
                    .and_then(|p| p.field(&name))
                    .map(str::to_string),
                name,
                value,
                ticket_type: t.clone(),
            }
        })
        .collect()
}
