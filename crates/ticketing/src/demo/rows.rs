//! The catalog and the sales as table rows.

use sea_orm::Value;

use super::bulk::{self, Batch, Output, Stopped, Table};
use super::catalog::{Catalog, GA_CATEGORY, PUBLIC_SHOP};
use super::clock::ulid_id;
use super::customers::customer_id;
use super::sales::{Audience, Sales};
use rand::rngs::StdRng;
use rand::Rng;

pub const VENUES: Table = Table {
    name: "venues",
    columns: &[
        "organization_id",
        "id",
        "name",
        "address_line",
        "postal_code",
        "city",
        "country",
        "latitude",
        "longitude",
        "timezone",
        "created_at",
        "updated_at",
    ],
};

pub const SEATS: Table = Table {
    name: "venue_seats",
    columns: &[
        "organization_id",
        "id",
        "venue_id",
        "section_name",
        "group_name",
        "row_name",
        "seat_label",
        "category",
        "sort_order",
    ],
};

pub const GA_AREAS: Table = Table {
    name: "venue_ga_areas",
    columns: &[
        "organization_id",
        "id",
        "venue_id",
        "name",
        "capacity",
        "category",
    ],
};

pub const PRODUCTIONS: Table = Table {
    name: "productions",
    columns: &[
        "organization_id",
        "id",
        "name",
        "description",
        "genre",
        "created_at",
        "updated_at",
    ],
};

pub const SHOPS: Table = Table {
    name: "shops",
    columns: &[
        "organization_id",
        "id",
        "name",
        "kind",
        "created_at",
        "updated_at",
    ],
};

pub const EVENTS: Table = Table {
    name: "events",
    columns: &[
        "organization_id",
        "id",
        "production_id",
        "venue_id",
        "name",
        "starts_at",
        "ends_at",
        "status",
        "sales_start",
        "sales_end",
        "created_at",
        "updated_at",
    ],
};

pub const TICKET_TYPES: Table = Table {
    name: "ticket_types",
    columns: &[
        "organization_id",
        "id",
        "event_id",
        "shop_id",
        "name",
        "category",
        "price_minor",
        "currency",
        "capacity",
        "sold",
        "hidden",
        "ga_area_id",
        "sales_start",
        "sales_end",
        "created_at",
        "updated_at",
    ],
};

pub const ORDERS: Table = Table {
    name: "orders",
    columns: &[
        "organization_id",
        "id",
        "external_id",
        "customer_id",
        "channel",
        "status",
        "total_minor",
        "currency",
        "source",
        "created_at",
        "updated_at",
        "cancelled_at",
    ],
};

pub const TICKETS: Table = Table {
    name: "tickets",
    columns: &[
        "organization_id",
        "id",
        "order_id",
        "event_id",
        "ticket_type_id",
        "customer_id",
        "seat_id",
        "ga_area_id",
        "price_minor",
        "currency",
        "barcode",
        "delivery_type",
        "status",
        "created_at",
    ],
};

pub const CURRENCY: &str = "DKK";
pub const TIMEZONE: &str = "Europe/Copenhagen";

/// Writes venues, seat maps, productions, shops, events and ticket types (with what each sold).
pub fn write_catalog(
    org: &str,
    catalog: &Catalog,
    sold: &[i64],
    out: &Output,
) -> Result<(), Stopped> {
    let org = || bulk::text(org);
    let mut batch = Batch::new(&VENUES);
    for venue in &catalog.venues {
        batch.push(
            [
                org(),
                bulk::text(&venue.id),
                bulk::text(venue.name),
                bulk::text(venue.address_line),
                bulk::text(venue.postal_code),
                bulk::text(venue.city),
                bulk::text("DK"),
                bulk::float(Some(venue.latitude)),
                bulk::float(Some(venue.longitude)),
                bulk::text(TIMEZONE),
                bulk::time(venue.created_at),
                bulk::time(venue.created_at),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&SEATS);
    for seat in &catalog.seats {
        batch.push(
            [
                org(),
                bulk::text(&seat.id),
                bulk::text(&catalog.venues[seat.venue].id),
                bulk::text(seat.section),
                bulk::text(seat.group),
                bulk::text(&seat.row),
                bulk::text(&seat.label),
                bulk::text(seat.category.label()),
                bulk::int(seat.sort_order),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&GA_AREAS);
    for area in &catalog.ga_areas {
        batch.push(
            [
                org(),
                bulk::text(&area.id),
                bulk::text(&catalog.venues[area.venue].id),
                bulk::text(area.name),
                bulk::int(area.capacity),
                bulk::text(GA_CATEGORY),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&PRODUCTIONS);
    for production in &catalog.productions {
        batch.push(
            [
                org(),
                bulk::text(&production.id),
                bulk::text(production.name),
                bulk::text(production.description),
                bulk::text(production.genre),
                bulk::time(production.created_at),
                bulk::time(production.created_at),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&SHOPS);
    for shop in &catalog.shops {
        batch.push(
            [
                org(),
                bulk::text(&shop.id),
                bulk::text(shop.name),
                bulk::text(shop.kind),
                bulk::time(shop.created_at),
                bulk::time(shop.created_at),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&EVENTS);
    for event in &catalog.events {
        batch.push(
            [
                org(),
                bulk::text(&event.id),
                bulk::text(&catalog.productions[event.production].id),
                bulk::text(&catalog.venues[event.venue].id),
                bulk::optional_text(None),
                bulk::time(event.starts_at),
                bulk::time(event.ends_at),
                bulk::text("scheduled"),
                bulk::time(event.sales_start),
                bulk::time(event.starts_at),
                bulk::time(event.created_at),
                bulk::time(event.created_at),
            ],
            out,
        )?;
    }
    batch.flush(out)?;

    let mut batch = Batch::new(&TICKET_TYPES);
    for (index, ticket_type) in catalog.ticket_types.iter().enumerate() {
        let event = &catalog.events[ticket_type.event];
        let category = match ticket_type.kind.seat_category() {
            Some(category) => category.label(),
            None => GA_CATEGORY,
        };
        batch.push(
            [
                org(),
                bulk::text(&ticket_type.id),
                bulk::text(&event.id),
                // Public ticket types belong to no shop; secret-shop ones name theirs.
                bulk::optional_text(
                    (ticket_type.shop != PUBLIC_SHOP)
                        .then(|| catalog.shops[ticket_type.shop].id.clone()),
                ),
                bulk::text(ticket_type.name),
                bulk::text(category),
                bulk::int(ticket_type.price_minor),
                bulk::text(CURRENCY),
                bulk::optional_int(Some(ticket_type.capacity)),
                bulk::int(sold.get(index).copied().unwrap_or(0)),
                bulk::boolean(ticket_type.hidden),
                bulk::optional_text(ticket_type.ga_area.map(|a| catalog.ga_areas[a].id.clone())),
                bulk::optional_time(Some(event.sales_start)),
                bulk::optional_time(Some(event.starts_at)),
                bulk::time(event.created_at),
                bulk::time(event.created_at),
            ],
            out,
        )?;
    }
    batch.flush(out)
}

/// Writes the orders and their tickets. Barcodes are 13 digits: twelve from a bijection of the
/// ticket's number (so they never repeat and do not count upwards) and an EAN-13 check digit.
pub fn write_sales(
    rng: &mut StdRng,
    org: &str,
    seed: u64,
    catalog: &Catalog,
    sales: &Sales,
    audience: &Audience,
    out: &Output,
) -> Result<(), Stopped> {
    let barcodes = Barcodes::new(rng);
    let mut orders = Batch::new(&ORDERS);
    let mut tickets = Batch::new(&TICKETS);
    let mut number: u64 = 0;
    for order in &sales.orders {
        let order_id = ulid_id("ord", order.created_at, rng.gen());
        let customer = order
            .customer
            .map(|index| customer_id(seed, index, audience.created_at[index]));
        let (status, ticket_status) = match order.cancelled_at {
            Some(_) => ("cancelled", "cancelled"),
            None => ("paid", "valid"),
        };
        orders.push(
            [
                bulk::text(org),
                bulk::text(&order_id),
                bulk::optional_text(None),
                bulk::optional_text(customer.clone()),
                bulk::text(order.channel.as_str()),
                bulk::text(status),
                bulk::int(order.total_minor()),
                bulk::text(CURRENCY),
                bulk::text("demo"),
                bulk::time(order.created_at),
                bulk::time(order.cancelled_at.unwrap_or(order.created_at)),
                bulk::optional_time(order.cancelled_at),
            ],
            out,
        )?;
        let event_id = &catalog.events[order.event].id;
        for ticket in &order.tickets {
            let ticket_type = &catalog.ticket_types[ticket.ticket_type];
            let row: [Value; 14] = [
                bulk::text(org),
                bulk::owned_text(ulid_id("tkt", order.created_at, rng.gen())),
                bulk::text(&order_id),
                bulk::text(event_id),
                bulk::text(&ticket_type.id),
                bulk::optional_text(customer.clone()),
                bulk::optional_text(ticket.seat.map(|s| catalog.seats[s].id.clone())),
                bulk::optional_text(ticket_type.ga_area.map(|a| catalog.ga_areas[a].id.clone())),
                bulk::int(ticket.price_minor),
                bulk::text(CURRENCY),
                bulk::owned_text(barcodes.barcode(number)),
                bulk::text(order.delivery),
                bulk::text(ticket_status),
                bulk::time(order.created_at),
            ];
            tickets.push(row, out)?;
            number += 1;
        }
    }
    orders.flush(out)?;
    tickets.flush(out)
}

/// `number → (number · factor + offset) mod 10¹²`, a bijection because `factor` is coprime to
/// 10¹²: unique barcodes without remembering the ones already given.
struct Barcodes {
    factor: u64,
    offset: u64,
}

const BARCODE_SPACE: u64 = 1_000_000_000_000;

impl Barcodes {
    fn new(rng: &mut StdRng) -> Barcodes {
        let mut factor = rng.gen_range(BARCODE_SPACE / 10..BARCODE_SPACE);
        while factor % 2 == 0 || factor % 5 == 0 {
            factor += 1;
        }
        Barcodes {
            factor,
            offset: rng.gen_range(0..BARCODE_SPACE),
        }
    }

    fn barcode(&self, number: u64) -> String {
        let body = ((u128::from(number) * u128::from(self.factor) + u128::from(self.offset))
            % u128::from(BARCODE_SPACE)) as u64;
        let digits = format!("{body:012}");
        let weighted: u32 = digits
            .bytes()
            .enumerate()
            .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
            .sum();
        let check = (10 - weighted % 10) % 10;
        format!("{digits}{check}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn barcodes_never_repeat_and_carry_an_ean13_check_digit() {
        let barcodes = Barcodes::new(&mut StdRng::seed_from_u64(42));
        let mut seen = std::collections::HashSet::new();
        for number in 0..100_000 {
            let code = barcodes.barcode(number);
            assert_eq!(code.len(), 13, "{code}");
            let sum: u32 = code
                .bytes()
                .enumerate()
                .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            assert_eq!(sum % 10, 0, "check digit of {code}");
            assert!(seen.insert(code), "barcode {number} repeats");
        }
    }
}
