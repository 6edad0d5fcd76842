//! The basket the clerk reviews before selling: the cart as posted, priced by
//! [`crate::Checkout::quote`], as one line per ticket with each problem beside the line, the
//! quantity or the code it is about.
//!
//! Lines come from the cart, not only from the quote: a seat the quote could not price (sold in
//! the meantime, not on sale without a code) still has its line, with the reason and a choice of
//! ticket type or "remove", so the clerk can fix it where it is.

use std::collections::BTreeSet;

use fullhouse_core::{Error, FieldError};
use fullhouse_ticketing::EventId;
use fullhouse_web::i18n::{field_reason, untranslated_reason};
use fullhouse_web::Lang;

use super::super::storefront::{quantity_fields, types_for_seat, QuantityField};
use crate::model::{Cart, CodeStatus, OrderForm, Quote, QuoteLine, SeatView};
use crate::service::SaleView;

/// The basket as the page shows it.
pub struct Basket {
    pub lines: Vec<BasketLine>,
    pub tickets: usize,
    pub total_minor: i64,
    pub currency: String,
    /// General-admission quantities, editable in the basket too.
    pub quantities: Vec<QuantityField>,
    pub codes: String,
    pub code_outcomes: Vec<CodeLine>,
    /// Problems with the codes field as a whole or one of its codes.
    pub code_problems: Vec<String>,
    /// Problems that belong to no line or field (an empty basket, the event not on sale).
    pub problems: Vec<String>,
}

impl Basket {
    /// Whether the basket can be sold as it is: tickets and no problem anywhere.
    pub fn sellable(&self) -> bool {
        self.tickets > 0
            && self.problems.is_empty()
            && self.code_problems.is_empty()
            && self.lines.iter().all(|l| l.problems.is_empty())
            && self.quantities.iter().all(|q| q.problem.is_none())
    }
}

/// One ticket of the basket (or, for an item nothing could be priced for, the item).
pub struct BasketLine {
    /// The element id, for `aria-describedby`.
    pub id: String,
    /// `Parterre · A · Seat 12`, or the general-admission area.
    pub place: String,
    /// For a seat: the ticket types it may sell as (values `<ticket type>:<seat>`, the field
    /// `seat` of the order form) and "remove" (an empty value, which the form ignores).
    pub options: Vec<TypeOption>,
    pub type_name: String,
    /// Prices as the language writes money; empty when the line could not be priced.
    pub list_price: String,
    pub price: String,
    /// The price differs from the list price (a code or loyalty discount).
    pub discounted: bool,
    /// The code (or automatic grant) this ticket uses.
    pub applied: Option<String>,
    pub problems: Vec<String>,
}

pub struct TypeOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What one typed code did, in the clerk's language.
pub struct CodeLine {
    pub code: String,
    /// `applied`, `valid`, `used_up` or `unknown` (a CSS class).
    pub status: &'static str,
    pub text: String,
}

/// What the basket is built from.
pub struct BasketInput<'a> {
    pub view: &'a SaleView,
    pub form: &'a OrderForm,
    pub cart: &'a Cart,
    pub quote: Option<&'a Quote>,
    /// The quote's problems and any refusal of the form, the sale or the payment method.
    pub problems: Vec<FieldError>,
    /// A refusal that names no field (shown on the page, not in the basket).
    pub refused: Option<&'a Error>,
}

pub fn basket(lang: Lang, priced: BasketInput<'_>) -> Basket {
    let BasketInput {
        view,
        form,
        cart,
        quote,
        problems,
        refused,
    } = priced;
    let mut placed = Placed::new(lang, &problems);
    let lines = lines(lang, view, cart, quote, &mut placed);
    let quantity_error = quantity_error(&problems);
    let mut quantities = quantity_fields(view, lang, form, quantity_error.as_ref());
    for field in &mut quantities {
        if let Some(reasons) = placed.take_field(&field.name) {
            field.problem.get_or_insert(reasons.join(" "));
        }
    }
    let code_problems = placed.take_prefix("codes");
    let mut rest = placed.rest();
    if let Some(err) = refused {
        if !matches!(err, Error::Validation { .. }) {
            rest.push(fullhouse_web::i18n::error_message(lang, err));
        }
    }
    let (total_minor, currency) = match quote {
        Some(q) => (q.total_minor, q.currency.clone()),
        None => (0, String::new()),
    };
    Basket {
        tickets: quote.map_or(0, |q| q.lines.len()),
        total_minor,
        currency,
        lines,
        quantities,
        codes: form.codes.clone(),
        code_outcomes: quote.map(|q| code_lines(lang, q)).unwrap_or_default(),
        code_problems,
        problems: rest,
    }
}

/// The problems of a form or sale, each handed out once: to its line, its field or the rest.
struct Placed {
    problems: Vec<(String, String)>,
    used: Vec<bool>,
}

impl Placed {
    fn new(lang: Lang, fields: &[FieldError]) -> Self {
        let problems: Vec<(String, String)> = fields
            .iter()
            .map(|f| (f.field.clone(), reason(lang, f)))
            .collect();
        Self {
            used: vec![false; problems.len()],
            problems,
        }
    }

    /// The reasons of the problems whose field `wanted` accepts, deduplicated (a refusal per
    /// ticket repeats itself for every ticket of an item).
    fn take(&mut self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let mut reasons = BTreeSet::new();
        let mut ordered = Vec::new();
        for (i, (field, reason)) in self.problems.iter().enumerate() {
            if wanted(field) {
                self.used[i] = true;
                if reasons.insert(reason.clone()) {
                    ordered.push(reason.clone());
                }
            }
        }
        ordered
    }

    /// Without marking them handed out: an item's problem goes to each of its seats.
    fn peek(&self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let mut reasons = BTreeSet::new();
        self.problems
            .iter()
            .filter(|(field, _)| wanted(field))
            .filter(|(_, reason)| reasons.insert(reason.clone()))
            .map(|(_, reason)| reason.clone())
            .collect()
    }

    fn take_field(&mut self, name: &str) -> Option<Vec<String>> {
        Some(self.take(|f| f == name)).filter(|r| !r.is_empty())
    }

    fn take_prefix(&mut self, prefix: &str) -> Vec<String> {
        self.take(|f| f == prefix || f.starts_with(&format!("{prefix}[")))
    }

    fn rest(self) -> Vec<String> {
        self.problems
            .into_iter()
            .zip(self.used)
            .filter(|(_, used)| !used)
            .map(|((_, reason), _)| reason)
            .collect()
    }
}

/// A problem in the clerk's language: a seat sold in the meantime says so, the rest by kind.
fn reason(lang: Lang, field: &FieldError) -> String {
    if field.field.contains(".seats[") && field.reason.ends_with(" is sold") {
        return lang.t("boxoffice-seat-taken");
    }
    if field.field.starts_with("codes")
        && (field.reason.contains("no uses left") || field.reason.ends_with("has been used up"))
    {
        return lang.t("shop-code-used-up");
    }
    if field.problem.is_none() && field.field.starts_with("codes[") {
        // The one reason for a code that does nothing here.
        if field.reason == crate::model::UNKNOWN_CODE_MESSAGE {
            return lang.t("shop-code-unknown");
        }
        return untranslated_reason(lang, &field.reason);
    }
    field_reason(lang, field)
}

/// The refusal of a typed quantity, for [`quantity_fields`].
fn quantity_error(problems: &[FieldError]) -> Option<Error> {
    let fields: Vec<FieldError> = problems
        .iter()
        .filter(|f| {
            f.field
                .starts_with(crate::model::order_form::QUANTITY_PREFIX)
        })
        .cloned()
        .collect();
    (!fields.is_empty()).then(|| Error::invalid_fields(fields))
}

fn lines(
    lang: Lang,
    view: &SaleView,
    cart: &Cart,
    quote: Option<&Quote>,
    placed: &mut Placed,
) -> Vec<BasketLine> {
    let mut lines = Vec::new();
    let currency = quote.map_or("", |q| q.currency.as_str());
    let quoted = |item: usize| {
        quote
            .map(|q| q.lines.iter().filter(move |l| l.item == item))
            .into_iter()
            .flatten()
    };
    for (index, item) in cart.items.iter().enumerate() {
        let of_item = |f: &str| {
            f.strip_prefix(&format!("items[{index}]"))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        if item.seats.is_empty() {
            // General admission: a line per ticket, the item's problems on the first.
            let mut problems = placed.take(of_item);
            let mut any = false;
            for line in quoted(index) {
                let mut basket_line = priced_line(lang, line, currency, lines.len());
                basket_line.place = line
                    .ga_name
                    .clone()
                    .unwrap_or_else(|| line.ticket_type_name.clone());
                basket_line.problems = std::mem::take(&mut problems);
                lines.push(basket_line);
                any = true;
            }
            if !any {
                let name = view
                    .ticket_types
                    .iter()
                    .find(|t| t.id == item.ticket_type_id)
                    .map_or_else(|| item.ticket_type_id.to_string(), |t| t.name.clone());
                lines.push(BasketLine {
                    id: format!("line-{}", lines.len()),
                    place: lang.t("shop-general-admission"),
                    options: Vec::new(),
                    type_name: format!("{name} × {}", item.quantity.unwrap_or(1)),
                    list_price: String::new(),
                    price: String::new(),
                    discounted: false,
                    applied: None,
                    problems,
                });
            }
            continue;
        }
        let item_problems = placed.peek(|f| of_item(f) && !f.contains(".seats["));
        for (position, choice) in item.seats.iter().enumerate() {
            let Some(seat_id) = &choice.seat_id else {
                continue;
            };
            let offer = view.seats.iter().find(|o| &o.seat.id == seat_id);
            let line = quoted(index).find(|l| l.seat.as_ref().is_some_and(|s| &s.id == seat_id));
            let mut basket_line = match line {
                Some(line) => priced_line(lang, line, currency, lines.len()),
                None => BasketLine {
                    id: format!("line-{}", lines.len()),
                    place: String::new(),
                    options: Vec::new(),
                    type_name: String::new(),
                    list_price: String::new(),
                    price: String::new(),
                    discounted: false,
                    applied: None,
                    problems: Vec::new(),
                },
            };
            basket_line.place = offer.map_or_else(|| seat_id.to_string(), |o| place(lang, &o.seat));
            let seat_field = format!("items[{index}].seats[{position}]");
            basket_line.problems = placed.take(|f| f == seat_field);
            basket_line.problems.extend(item_problems.iter().cloned());
            let chosen = item.ticket_type_id.to_string();
            let mut options: Vec<TypeOption> = offer
                .map(|o| types_for_seat(view, o.seat.category.as_deref()))
                .unwrap_or_default()
                .into_iter()
                .map(|t| TypeOption {
                    value: format!("{}:{seat_id}", t.id),
                    label: format!("{} — {}", t.name, lang.money(t.price_minor, &t.currency)),
                    selected: t.id.to_string() == chosen,
                })
                .collect();
            if !options.iter().any(|o| o.selected) {
                // What was asked for stays what the line says, with the reason it cannot be
                // sold beside it: never silently another type.
                let name = line.map_or_else(
                    || {
                        view.ticket_types
                            .iter()
                            .find(|t| t.id == item.ticket_type_id)
                            .map_or(chosen.clone(), |t| t.name.clone())
                    },
                    |l| l.ticket_type_name.clone(),
                );
                options.insert(
                    0,
                    TypeOption {
                        value: format!("{chosen}:{seat_id}"),
                        label: format!("{name} ({})", lang.t("boxoffice-not-offered")),
                        selected: true,
                    },
                );
            }
            options.push(TypeOption {
                value: String::new(),
                label: lang.t("boxoffice-remove"),
                selected: false,
            });
            basket_line.options = options;
            lines.push(basket_line);
        }
        // The item's problems were shown on its seats.
        placed.take(|f| of_item(f) && !f.contains(".seats["));
    }
    lines
}

fn priced_line(lang: Lang, line: &QuoteLine, currency: &str, index: usize) -> BasketLine {
    BasketLine {
        id: format!("line-{index}"),
        place: String::new(),
        options: Vec::new(),
        type_name: line.ticket_type_name.clone(),
        list_price: lang.money(line.list_price_minor, currency),
        price: lang.money(line.price_minor, currency),
        discounted: line.price_minor != line.list_price_minor,
        applied: line.applied.clone(),
        problems: Vec::new(),
    }
}

/// A seat as the clerk reads it: section, row and seat.
pub fn place(lang: Lang, seat: &SeatView) -> String {
    format!(
        "{} · {} · {} {}",
        seat.section_name,
        seat.row_name,
        lang.t("shop-seat"),
        seat.seat_label
    )
}

fn code_lines(lang: Lang, quote: &Quote) -> Vec<CodeLine> {
    quote
        .codes
        .iter()
        .map(|outcome| {
            let label = outcome
                .grant
                .as_ref()
                .map_or(outcome.message.clone(), |g| g.label.clone());
            let mut text = match outcome.status {
                CodeStatus::Applied => lang.t1("boxoffice-code-applied", "label", &label),
                CodeStatus::Valid => lang.t1("boxoffice-code-valid", "label", &label),
                CodeStatus::UsedUp => lang.t("shop-code-used-up"),
                CodeStatus::Unknown => lang.t("shop-code-unknown"),
            };
            if let Some(limit) = outcome
                .grant
                .as_ref()
                .and_then(|g| g.max_tickets_per_order)
                .filter(|_| matches!(outcome.status, CodeStatus::Applied | CodeStatus::Valid))
            {
                text = format!(
                    "{text} ({})",
                    lang.t1("boxoffice-code-limit", "count", limit)
                );
            }
            CodeLine {
                code: outcome.code.clone(),
                status: outcome.status.as_str(),
                text,
            }
        })
        .collect()
}

/// The event a form was posted for, with its cart: a cart the clerk's form cannot make (a
/// quantity that is not a number, a seat value that is not one of ours) loses what is wrong, and
/// the refusal is kept to be shown beside its field, so the rest of the basket is still priced.
pub fn lenient_cart(form: &OrderForm, event: &EventId) -> (Cart, Vec<FieldError>) {
    match form.cart(event) {
        Ok(cart) => (cart, Vec::new()),
        Err(err) => {
            let problems = match err {
                Error::Validation { fields, .. } => fields,
                other => vec![FieldError::new("seat", other.to_string())],
            };
            let mut cleaned = form.clone();
            cleaned.seats.retain(|value| {
                value.split_once(':').is_some_and(|(t, s)| {
                    fullhouse_ticketing::TicketTypeId::parse(t).is_ok()
                        && fullhouse_ticketing::SeatId::parse(s).is_ok()
                })
            });
            cleaned.quantities.retain(|(type_id, typed)| {
                fullhouse_ticketing::TicketTypeId::parse(type_id).is_ok()
                    && (typed.trim().is_empty() || typed.trim().parse::<u32>().is_ok())
            });
            let cart = cleaned.cart(event).unwrap_or_else(|_| Cart {
                referral_code: None,
                event_id: event.clone(),
                items: Vec::new(),
                codes: form.code_list(),
                customer_id: None,
            });
            (cart, problems)
        }
    }
}
