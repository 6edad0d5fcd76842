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
    /// What this buyer pays for the seat (minor units; the basket's running total adds these).
    pub price_minor: i64,
    /// The seat's category colour on the map (`cat-0` … `cat-7`), see [`SeatMap::legend`].
    pub category_class: String,
}

/// The seat map drawn as a map: blocks (a section's group) side by side, each with its rows,
/// and a legend of the category colours with their prices.
pub struct SeatMap {
    pub blocks: Vec<SeatBlock>,
    pub legend: Vec<LegendEntry>,
}

/// One block of seats: a group of a section ("Parterre · Left").
pub struct SeatBlock {
    pub name: String,
    pub rows: Vec<SeatRowView>,
}

/// A category's colour and what its seats cost this buyer.
pub struct LegendEntry {
    pub category_class: String,
    pub name: String,
    pub currency: String,
    /// The list price, and this buyer's price when a code lowers it.
    pub price_minor: i64,
    pub best_price_minor: i64,
}

/// How many category colours the map has (more categories reuse them, the legend says which).
const CATEGORY_COLOURS: usize = 8;

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
    for (name, cell) in seat_cells(view, lang, chosen) {
        let name = format!("{} · {} · {}", name.0, name.1, name.2);
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

/// The seat map as the shop draws it: blocks in the venue's order, rows named by their own
/// names (the block is named once), and the legend of the categories on sale. Empty when no
/// seated ticket type is on sale to this buyer (a shop selling standing places only).
pub fn seat_map(view: &SaleView, lang: Lang, chosen: &[String]) -> SeatMap {
    if !view.ticket_types.iter().any(|t| !t.general_admission) {
        return SeatMap {
            blocks: Vec::new(),
            legend: Vec::new(),
        };
    }
    let mut blocks: Vec<SeatBlock> = Vec::new();
    for ((section, group, row), cell) in seat_cells(view, lang, chosen) {
        // A venue may list its seats row by row across the hall (row 1 left, centre, right,
        // then row 2): each seat joins its own block wherever it comes.
        let block_name = format!("{section} · {group}");
        let at = match blocks.iter().position(|b| b.name == block_name) {
            Some(at) => at,
            None => {
                blocks.push(SeatBlock {
                    name: block_name,
                    rows: Vec::new(),
                });
                blocks.len() - 1
            }
        };
        let Some(block) = blocks.get_mut(at) else {
            continue;
        };
        match block.rows.last_mut() {
            Some(last) if last.name == row => last.seats.push(cell),
            _ => block.rows.push(SeatRowView {
                name: row,
                seats: vec![cell],
            }),
        }
    }
    let legend = categories(view)
        .into_iter()
        .enumerate()
        .filter_map(|(i, category)| {
            let offered = types_for_seat(view, category.as_deref());
            let first = offered.first()?;
            Some(LegendEntry {
                category_class: format!("cat-{}", i % CATEGORY_COLOURS),
                name: category.unwrap_or_else(|| first.name.clone()),
                currency: first.currency.clone(),
                price_minor: first.price_minor,
                best_price_minor: first.best_price_minor,
            })
        })
        .collect();
    SeatMap { blocks, legend }
}

/// The seat categories of the venue in the order they first appear (`None`: seats without one).
fn categories(view: &SaleView) -> Vec<Option<String>> {
    let mut seen: Vec<Option<String>> = Vec::new();
    for offer in &view.seats {
        let category = offer.seat.category.as_ref().map(|c| c.trim().to_string());
        let known = seen.iter().any(|s| match (s, &category) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        });
        if !known {
            seen.push(category);
        }
    }
    seen
}

/// The text after a price that names the discount giving it ("20 % off — Friends of the house").
pub fn discount_text(lang: Lang, offered: &OfferedType) -> Option<String> {
    let discount = offered.discount.as_ref()?;
    let what = match discount.kind {
        crate::codes::DiscountKind::PercentBasisPoints(bp) => {
            let whole = bp / 100;
            let percent = match bp % 100 {
                0 => whole.to_string(),
                rest => {
                    let decimal = if lang == Lang::En { '.' } else { ',' };
                    format!(
                        "{whole}{decimal}{}",
                        format!("{rest:02}").trim_end_matches('0')
                    )
                }
            };
            lang.t1("shop-discount-percent", "percent", percent)
        }
        crate::codes::DiscountKind::AmountOffMinor(off) => lang.t1(
            "shop-discount-amount",
            "amount",
            lang.money(off, &offered.currency),
        ),
        crate::codes::DiscountKind::FixedPriceMinor(_) => lang.t("shop-discount-fixed"),
    };
    Some(format!("{what} — {}", discount.label))
}

/// Every seat with the names of its section, group and row, in the venue's order.
fn seat_cells(
    view: &SaleView,
    lang: Lang,
    chosen: &[String],
) -> Vec<((String, String, String), SeatCell)> {
    let categories = categories(view);
    let colour_of = |category: Option<&str>| {
        let i = categories
            .iter()
            .position(|c| match (c, category) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b.trim()),
                (None, None) => true,
                _ => false,
            })
            .unwrap_or(0);
        format!("cat-{}", i % CATEGORY_COLOURS)
    };
    let mut cells = Vec::new();
    for offer in &view.seats {
        let seat = &offer.seat;
        let name = (
            seat.section_name.clone(),
            seat.group_name.clone(),
            seat.row_name.clone(),
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
        let place = format!(
            "{} {} · {} {}",
            lang.t("shop-row"),
            name.2,
            lang.t("shop-seat"),
            seat.seat_label
        );
        let title = match (state, ticket_type) {
            ("sold", _) => format!("{place} · {}", lang.t("shop-seat-sold")),
            ("held", _) => format!("{place} · {}", lang.t("shop-seat-held")),
            (_, Some(t)) => {
                let price = lang.money(t.best_price_minor, &t.currency);
                match discount_text(lang, t) {
                    Some(discount) => format!("{place} · {} · {price} ({discount})", t.name),
                    None => format!("{place} · {} · {price}", t.name),
                }
            }
            (_, None) => format!("{place} · {}", lang.t("shop-seat-unavailable")),
        };
        let buyable = matches!(state, "available" | "unlocked");
        let cell = SeatCell {
            checked: buyable && picked.is_some(),
            buyable,
            value,
            label: seat.seat_label.clone(),
            state,
            title,
            price_minor: ticket_type.map_or(0, |t| t.best_price_minor),
            category_class: colour_of(seat.category.as_deref()),
        };
        cells.push((name, cell));
    }
    cells
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
