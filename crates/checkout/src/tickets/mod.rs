//! Tickets as the buyer holds them: each ticket's QR code ([`qr_svg`] for pages, an image in the
//! PDF), the order's tickets as a PDF ([`pdf`]), and [`OrderTickets`], everything the
//! confirmation mail, the PDF and the order page say about an order's tickets — event, time on
//! the venue's clock, venue, seat or area, ticket type, full price, price paid and the discount
//! that made the difference.

pub mod pdf;
pub mod qr;

pub use qr::qr_svg;

use std::collections::HashMap;

use fullhouse_core::{Db, OrgId, Result};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::orders::TicketSeat;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::OrderId;
use fullhouse_web::Lang;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::model::CheckoutOrder;
use crate::store::checkout_code_uses;

/// Characters of the order id in the readable reference: 50 random bits of its ULID, enough to
/// tell an organization's orders apart when a buyer reads it out at the box office.
const REFERENCE_CHARS: usize = 10;

/// A short reference for people to quote (`4M5N6-P7R8S`): the last characters of the order's
/// id, in two groups. Links carry the full id.
pub fn order_reference(id: &OrderId) -> String {
    let chars: Vec<char> = id
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let tail: String = chars[chars.len().saturating_sub(REFERENCE_CHARS)..]
        .iter()
        .collect::<String>()
        .to_uppercase();
    let middle = tail.len() / 2;
    format!("{}-{}", &tail[..middle], &tail[middle..])
}

/// The file name of an order's tickets.
pub fn pdf_file_name(reference: &str) -> String {
    format!("tickets-{reference}.pdf")
}

/// One ticket of an order, with what the buyer needs to read on it.
#[derive(Debug, Clone)]
pub struct TicketLine {
    pub barcode: String,
    pub seat: Option<TicketSeat>,
    /// The standing area, for a ticket without a seat.
    pub area: Option<String>,
    pub type_name: String,
    /// The ticket type's price now (what the ticket costs without a discount).
    pub list_price_minor: i64,
    pub price_minor: i64,
    pub currency: String,
    /// The code or campaign that lowered the price, when it was lowered.
    pub discount_label: Option<String>,
}

impl TicketLine {
    /// Seat or area in words: `Parterre · Centre · Row A · Seat 5`, or `Floor`.
    pub fn place(&self, lang: Lang) -> String {
        match (&self.seat, &self.area) {
            (Some(seat), _) => {
                let mut parts = vec![seat.section_name.clone()];
                if !seat.group_name.trim().is_empty() {
                    parts.push(seat.group_name.clone());
                }
                parts.push(format!("{} {}", lang.t("tickets-row"), seat.row_name));
                parts.push(format!("{} {}", lang.t("tickets-seat"), seat.seat_label));
                parts.join(" · ")
            }
            (None, Some(area)) => area.clone(),
            (None, None) => lang.t("tickets-general-admission"),
        }
    }

    /// What the discount took off (never negative: a price above the list price is no discount).
    pub fn discount_minor(&self) -> i64 {
        (self.list_price_minor - self.price_minor).max(0)
    }

    /// The price paid, with the full price and the discount when there was one.
    pub fn price_line(&self, lang: Lang) -> String {
        let paid = lang.money(self.price_minor, &self.currency);
        if self.discount_minor() == 0 {
            return paid;
        }
        let full = lang.money(self.list_price_minor, &self.currency);
        match &self.discount_label {
            Some(label) => format!("{paid} ({} {full}; {label})", lang.t("tickets-full-price")),
            None => format!("{paid} ({} {full})", lang.t("tickets-full-price")),
        }
    }
}

/// A code or campaign an order used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountUsed {
    pub label: String,
    pub code: Option<String>,
}

/// An order's tickets with their event, ready for the mail, the PDF and the order page.
#[derive(Debug, Clone)]
pub struct OrderTickets {
    pub organization: String,
    pub reference: String,
    pub event: Event,
    pub lines: Vec<TicketLine>,
    pub discounts: Vec<DiscountUsed>,
    pub total_minor: i64,
    pub currency: String,
}

impl OrderTickets {
    /// Reads what `order` says about its tickets: their types' names and prices and the codes
    /// the order used. `event` is the order's event.
    pub async fn load(db: &Db, org: &OrgId, order: &CheckoutOrder, event: Event) -> Result<Self> {
        let catalog = CatalogService::new(db.clone());
        let mut types = HashMap::new();
        for ticket in &order.order.tickets {
            if !types.contains_key(&ticket.ticket_type_id) {
                let found = catalog.ticket_type(org, &ticket.ticket_type_id).await?;
                types.insert(ticket.ticket_type_id.clone(), found);
            }
        }
        let discounts: Vec<DiscountUsed> = checkout_code_uses::Entity::find()
            .filter(checkout_code_uses::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_code_uses::Column::OrderId.eq(order.id.as_str()))
            .order_by_asc(checkout_code_uses::Column::CreatedAt)
            .order_by_asc(checkout_code_uses::Column::GrantKey)
            .all(db.reader())
            .await?
            .into_iter()
            .map(|used| DiscountUsed {
                label: used.label,
                code: used.code,
            })
            .collect();
        // Which grant lowered which ticket is not kept per ticket; with one grant it is that
        // one, with several the ticket names them all.
        let label = (!discounts.is_empty()).then(|| {
            discounts
                .iter()
                .map(|d| d.label.clone())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let lines = order
            .order
            .tickets
            .iter()
            .map(|ticket| {
                let list_price_minor = types
                    .get(&ticket.ticket_type_id)
                    .map_or(ticket.price_minor, |t| t.price_minor);
                TicketLine {
                    barcode: ticket.barcode.clone(),
                    seat: ticket.seat.clone(),
                    area: ticket.ga_area.as_ref().map(|a| a.name.clone()),
                    type_name: types
                        .get(&ticket.ticket_type_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default(),
                    list_price_minor,
                    price_minor: ticket.price_minor,
                    currency: ticket.currency.clone(),
                    discount_label: (list_price_minor > ticket.price_minor)
                        .then(|| label.clone())
                        .flatten(),
                }
            })
            .collect();
        let organization = fullhouse_core::tenancy::service::TenancyService::new(db.clone())
            .organization(org)
            .await?
            .name;
        Ok(Self {
            organization,
            reference: order_reference(&order.id),
            event,
            lines,
            discounts,
            total_minor: order.total_minor,
            currency: order.currency.clone(),
        })
    }

    /// Day and time on the venue's clock.
    pub fn when(&self, lang: Lang) -> String {
        lang.local_time(self.event.starts_at, &self.event.venue_timezone)
    }

    /// The tickets as a PDF, in `lang`.
    pub fn pdf(&self, lang: Lang) -> Result<Vec<u8>> {
        pdf::tickets_pdf(&pdf::TicketsPdf {
            organization: self.organization.clone(),
            event_title: self.event.title.clone(),
            when: self.when(lang),
            venue: self.event.venue_name.clone(),
            reference: self.reference.clone(),
            labels: pdf::TicketLabels {
                place: lang.t("tickets-place"),
                type_name: lang.t("tickets-type"),
                price: lang.t("tickets-price"),
                reference: lang.t("tickets-reference"),
                ticket: lang.t("tickets-ticket"),
                at_the_door: lang.t("tickets-at-the-door"),
            },
            tickets: self
                .lines
                .iter()
                .map(|line| pdf::TicketPage {
                    place: line.place(lang),
                    type_name: line.type_name.clone(),
                    price: line.price_line(lang),
                    barcode: line.barcode.clone(),
                })
                .collect(),
        })
    }

    /// The variables of the `order_confirmation` and `order_cancelled` templates (see
    /// `fullhouse_core::mail::templates`), in `lang`; `order_url` is the order's page.
    pub fn mail_variables(&self, lang: Lang, order_url: &str, buyer: (&str, &str)) -> Value {
        let money = |minor: i64| lang.money(minor, &self.currency);
        let list_total: i64 = self.lines.iter().map(|l| l.list_price_minor).sum();
        let discount_total: i64 = self.lines.iter().map(TicketLine::discount_minor).sum();
        let zone = self.event.venue_timezone.as_str();
        let starts_at = self.when(lang);
        let date = starts_at.split(' ').next().unwrap_or_default().to_string();
        let tickets: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let seat = line.seat.as_ref();
                json!({
                    "place": line.place(lang),
                    "section": seat.map(|s| s.section_name.clone()).unwrap_or_default(),
                    "group": seat.map(|s| s.group_name.clone()).unwrap_or_default(),
                    "row": seat.map(|s| s.row_name.clone()).unwrap_or_default(),
                    "seat": seat.map(|s| s.seat_label.clone()).unwrap_or_default(),
                    "area": line.area.clone().unwrap_or_default(),
                    "type": line.type_name,
                    "list_price": lang.money(line.list_price_minor, &line.currency),
                    "price": lang.money(line.price_minor, &line.currency),
                    "discount": if line.discount_minor() > 0 { lang.money(line.discount_minor(), &line.currency) } else { String::new() },
                    "discount_label": line.discount_label.clone().unwrap_or_default(),
                })
            })
            .collect();
        let discounts: Vec<Value> = self
            .discounts
            .iter()
            .map(|d| json!({"label": d.label, "code": d.code.clone().unwrap_or_default()}))
            .collect();
        json!({
            "organization": self.organization,
            "customer": {"first_name": buyer.0, "last_name": buyer.1},
            "order": {
                "reference": self.reference,
                "url": order_url,
                "tickets_url": format!("{order_url}/tickets.pdf"),
                "total": money(self.total_minor),
                "list_total": money(list_total),
                "discount_total": if discount_total > 0 { money(discount_total) } else { String::new() },
            },
            "event": {
                "title": self.event.title,
                "venue": self.event.venue_name,
                "date": date,
                "time": lang.local_clock(self.event.starts_at, zone),
                "starts_at": starts_at,
                "timezone": zone,
            },
            "tickets": tickets,
            "discounts": discounts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_the_end_of_the_id_in_two_groups() {
        let id = OrderId::from_db("ord_01jd8y3q6w2v7x9k4m5n6p7r8s".into());
        assert_eq!(order_reference(&id), "4M5N6-P7R8S");
        assert_eq!(pdf_file_name("4M5N6-P7R8S"), "tickets-4M5N6-P7R8S.pdf");
    }

    #[test]
    fn a_discounted_ticket_says_its_full_price_and_what_lowered_it() {
        fullhouse_web::i18n::install(crate::pages::LOCALES).expect("locales");
        let line = TicketLine {
            barcode: "B".into(),
            seat: None,
            area: Some("Floor".into()),
            type_name: "Standing".into(),
            list_price_minor: 30000,
            price_minor: 24000,
            currency: "DKK".into(),
            discount_label: Some("Friends of the house".into()),
        };
        assert_eq!(line.discount_minor(), 6000);
        assert_eq!(line.place(Lang::En), "Floor");
        assert_eq!(
            line.price_line(Lang::En),
            "240.00 DKK (full price 300.00 DKK; Friends of the house)"
        );
        assert_eq!(
            line.price_line(Lang::Da),
            "240,00 DKK (fuld pris 300,00 DKK; Friends of the house)"
        );
    }
}
