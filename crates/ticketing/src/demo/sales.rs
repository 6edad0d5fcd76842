//! Who bought what, when: orders and tickets for every performance, and the customers behind
//! them.
//!
//! Each performance sells towards its fill rate with orders of 1–6 tickets bought online (days
//! to months ahead, most in the last two weeks) or at the box office (mostly on the day). Orders
//! dated after "now" are dropped, which leaves future performances partly sold, as they would be.
//! Buyers are then drawn in time order: a first-time buyer, or a returning one picked in
//! proportion to how often they bought before, which gives the heavy tail of real audiences
//! (most people buy once, a few buy all the time).

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;

use super::catalog::{Catalog, Category, TicketKind, SALES_WINDOW_DAYS};
use super::clock::{copenhagen, copenhagen_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Online,
    BoxOffice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::BoxOffice => "box_office",
        }
    }
}

pub struct Order {
    pub event: usize,
    pub created_at: DateTime<Utc>,
    pub channel: Channel,
    pub delivery: &'static str,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The customer's index in [`Audience`], or `None` for an anonymous box-office sale.
    pub customer: Option<usize>,
    pub tickets: Vec<Ticket>,
}

impl Order {
    pub fn total_minor(&self) -> i64 {
        self.tickets.iter().map(|t| t.price_minor).sum()
    }
}

pub struct Ticket {
    pub ticket_type: usize,
    pub seat: Option<usize>,
    pub price_minor: i64,
}

/// The demo's sales: orders in the order they were placed, and what each ticket type sold.
pub struct Sales {
    pub orders: Vec<Order>,
    /// Valid tickets per ticket type (index into [`Catalog::ticket_types`]).
    pub sold: Vec<i64>,
    pub tickets: usize,
}

/// How a customer came to be in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Brought over from the theatre's previous system when it moved to Fullhouse.
    Imported,
    /// Signed up for the newsletter on the website.
    SignedUp,
    /// Created by their first purchase.
    Bought(Channel),
}

/// Every customer, in creation order: when they were created and how.
pub struct Audience {
    pub created_at: Vec<DateTime<Utc>>,
    pub origin: Vec<Origin>,
}

impl Audience {
    pub fn len(&self) -> usize {
        self.created_at.len()
    }
}

/// Sells every performance of `catalog` up to `now`.
pub fn sell(rng: &mut StdRng, catalog: &Catalog, now: DateTime<Utc>) -> Sales {
    let mut sales = Sales {
        orders: Vec::new(),
        sold: vec![0; catalog.ticket_types.len()],
        tickets: 0,
    };
    let mut taken = vec![false; catalog.seats.len()];
    for event in 0..catalog.events.len() {
        taken.iter_mut().for_each(|t| *t = false);
        EventSale::new(catalog, event, &mut taken).run(rng, now, &mut sales);
    }
    sales
        .orders
        .sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.event.cmp(&b.event)));
    sales
}

/// The state of one performance while it sells.
struct EventSale<'a> {
    catalog: &'a Catalog,
    event: usize,
    taken: &'a mut [bool],
    free: [usize; 3],
    left: Vec<i64>,
}

impl<'a> EventSale<'a> {
    fn new(catalog: &'a Catalog, event: usize, taken: &'a mut [bool]) -> Self {
        let venue = &catalog.venues[catalog.events[event].venue];
        let free = [0, 1, 2].map(|c| venue.category_seats[c].len());
        let left = catalog.events[event]
            .ticket_types
            .clone()
            .map(|t| catalog.ticket_types[t].capacity)
            .collect();
        EventSale {
            catalog,
            event,
            taken,
            free,
            left,
        }
    }

    fn run(mut self, rng: &mut StdRng, now: DateTime<Utc>, sales: &mut Sales) {
        let event = &self.catalog.events[self.event];
        let venue = &self.catalog.venues[event.venue];
        let seats: usize = venue.category_seats.iter().map(Vec::len).sum();
        let standing = self.catalog.ga_areas[venue.ga_area].capacity as usize;
        let capacity = seats + standing;
        let target = (event.fill * capacity as f64).round() as usize;
        let standing_share = standing as f64 / capacity as f64;
        let mut demanded = 0;
        let mut failures = 0;
        while demanded < target && failures < 30 {
            let quantity = order_size(rng);
            let channel = if rng.gen_bool(0.75) {
                Channel::Online
            } else {
                Channel::BoxOffice
            };
            let created_at = purchase_time(rng, event.starts_at, event.sales_start, channel);
            let wanted = wanted_kind(rng, channel, standing_share);
            if created_at >= now {
                // Sold later than "now": the performance is only partly sold yet.
                demanded += quantity;
                continue;
            }
            let Some((ticket_type, seats)) = self.place(rng, wanted, quantity) else {
                failures += 1;
                continue;
            };
            failures = 0;
            let cancelled_at = rng
                .gen_bool(0.02)
                .then(|| cancel_time(rng, created_at, event.starts_at, now));
            if cancelled_at.is_none() {
                demanded += quantity;
                self.commit(ticket_type, &seats, quantity);
                sales.sold[ticket_type] += quantity as i64;
            }
            sales.tickets += quantity;
            let price_minor = self.catalog.ticket_types[ticket_type].price_minor;
            let tickets = (0..quantity)
                .map(|i| Ticket {
                    ticket_type,
                    seat: seats.get(i).copied(),
                    price_minor,
                })
                .collect();
            sales.orders.push(Order {
                event: self.event,
                created_at,
                channel,
                delivery: delivery(rng, channel),
                cancelled_at,
                customer: None,
                tickets,
            });
        }
    }

    /// Finds room for `quantity` tickets of the wanted kind, else of another kind the buyer
    /// would take (another category, or standing); returns the ticket type and the seats.
    fn place(
        &mut self,
        rng: &mut StdRng,
        wanted: TicketKind,
        quantity: usize,
    ) -> Option<(usize, Vec<usize>)> {
        let mut kinds = vec![wanted];
        if let Some(category) = wanted.seat_category() {
            kinds.push(TicketKind::Seated(category));
        }
        kinds.extend(Category::ALL.map(TicketKind::Seated));
        kinds.push(TicketKind::Standing);
        for kind in kinds {
            let Some(ticket_type) = self.catalog.ticket_type(self.event, kind) else {
                continue;
            };
            let slot = ticket_type - self.catalog.events[self.event].ticket_types.start;
            if self.left[slot] < quantity as i64 {
                continue;
            }
            match kind.seat_category() {
                None => return Some((ticket_type, Vec::new())),
                Some(category) => {
                    if let Some(seats) = self.find_seats(rng, category, quantity) {
                        return Some((ticket_type, seats));
                    }
                }
            }
        }
        None
    }

    /// `quantity` free seats of `category`: side by side in one row when possible, starting
    /// from a random place in the hall, else wherever they are free.
    fn find_seats(
        &self,
        rng: &mut StdRng,
        category: Category,
        quantity: usize,
    ) -> Option<Vec<usize>> {
        if self.free[category.index()] < quantity {
            return None;
        }
        let venue = &self.catalog.venues[self.catalog.events[self.event].venue];
        let list = &venue.category_seats[category.index()];
        let start = rng.gen_range(0..list.len());
        let mut run: Vec<usize> = Vec::with_capacity(quantity);
        for step in 0..list.len() {
            let seat = list[(start + step) % list.len()];
            let same_row = run.last().is_some_and(|&last| {
                self.catalog.seats[last].row_key == self.catalog.seats[seat].row_key
                    && last + 1 == seat
            });
            if self.taken[seat] {
                run.clear();
                continue;
            }
            if !same_row {
                run.clear();
            }
            run.push(seat);
            if run.len() == quantity {
                return Some(run);
            }
        }
        let scattered: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&seat| !self.taken[seat])
            .take(quantity)
            .collect();
        (scattered.len() == quantity).then_some(scattered)
    }

    fn commit(&mut self, ticket_type: usize, seats: &[usize], quantity: usize) {
        let slot = ticket_type - self.catalog.events[self.event].ticket_types.start;
        self.left[slot] -= quantity as i64;
        for &seat in seats {
            self.taken[seat] = true;
            self.free[self.catalog.seats[seat].category.index()] -= 1;
        }
    }
}

/// Most tickets are e-tickets; the box office prints most of its own.
fn delivery(rng: &mut StdRng, channel: Channel) -> &'static str {
    let printed = match channel {
        Channel::Online => 0.08,
        Channel::BoxOffice => 0.7,
    };
    if rng.gen_bool(printed) {
        "HARD"
    } else {
        "VIRTUAL"
    }
}

/// 1 to 6 tickets, mostly 2.
fn order_size(rng: &mut StdRng) -> usize {
    match rng.gen_range(0..100) {
        0..=16 => 1,
        17..=66 => 2,
        67..=76 => 3,
        77..=91 => 4,
        92..=95 => 5,
        _ => 6,
    }
}

fn wanted_kind(rng: &mut StdRng, channel: Channel, standing_share: f64) -> TicketKind {
    if rng.gen_bool(standing_share) {
        return TicketKind::Standing;
    }
    match rng.gen_range(0..100) {
        0..=2 => TicketKind::FriendsOfTheHouse,
        3..=5 if channel == Channel::Online => TicketKind::Partner,
        6..=37 => TicketKind::Seated(Category::A),
        38..=77 => TicketKind::Seated(Category::B),
        _ => TicketKind::Seated(Category::C),
    }
}

/// When an order for a performance at `starts_at` was placed.
fn purchase_time(
    rng: &mut StdRng,
    starts_at: DateTime<Utc>,
    sales_start: DateTime<Utc>,
    channel: Channel,
) -> DateTime<Utc> {
    match channel {
        Channel::Online => {
            let days = match rng.gen_range(0..100) {
                // Half of online buyers decide in the last two weeks, most of them in the last days.
                0..=49 => (-(1.0 - rng.gen::<f64>()).ln() * 4.0).min(14.0),
                50..=84 => rng.gen_range(14.0..60.0),
                _ => rng.gen_range(60.0..SALES_WINDOW_DAYS as f64),
            };
            let seconds = (days * 86_400.0) as i64 + rng.gen_range(600..3_600);
            (starts_at - Duration::seconds(seconds)).max(sales_start)
        }
        Channel::BoxOffice => {
            let days_before = match rng.gen_range(0..100) {
                0..=59 => 0,
                60..=89 => rng.gen_range(1..=7),
                _ => rng.gen_range(8..=30),
            };
            if days_before == 0 {
                starts_at - Duration::minutes(rng.gen_range(15..360))
            } else {
                // The box office is open 10:00–18:00.
                let day = copenhagen_date(starts_at) - Duration::days(days_before);
                copenhagen(day, 10, 0) + Duration::minutes(rng.gen_range(0..480))
            }
        }
    }
}

fn cancel_time(
    rng: &mut StdRng,
    created_at: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    (created_at + Duration::minutes(rng.gen_range(60..14_400)))
        .min(starts_at)
        .min(now)
}

/// Who placed the orders, and every customer's creation: buyers are drawn in time order (a
/// first purchase creates the customer, or is made by a customer imported earlier), and the
/// customers who never bought are imported at the start or sign up for the newsletter along the
/// way. Fills in each order's customer.
pub fn assign_customers(
    rng: &mut StdRng,
    orders: &mut [Order],
    customers: usize,
    imported_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Audience {
    let named: Vec<usize> = (0..orders.len())
        .filter(|&o| customers > 0 && (orders[o].channel == Channel::Online || rng.gen_bool(0.7)))
        .collect();
    let first_buyers = if named.is_empty() {
        0
    } else {
        ((customers as f64 * 0.7).min(named.len() as f64 * 0.55) as usize).clamp(1, customers)
    };
    let imported = (customers - first_buyers) * 70 / 100;

    // Buyers: `Existing(i)` is imported customer `i`; `New(b)` is the b-th customer created by a
    // purchase, whose index is known once everyone is sorted by creation time.
    let mut buyer_of_order: Vec<(usize, Buyer)> = Vec::with_capacity(named.len());
    let mut past_buyers: Vec<Buyer> = Vec::with_capacity(named.len());
    let mut distinct: Vec<Buyer> = Vec::with_capacity(first_buyers);
    let mut new_buyers: Vec<(DateTime<Utc>, Channel)> = Vec::new();
    let mut next_imported = 0;
    for (position, &order) in named.iter().enumerate() {
        let remaining = named.len() - position;
        let firsts_left = first_buyers - distinct.len();
        let first =
            firsts_left > 0 && (distinct.is_empty() || rng.gen_range(0..remaining) < firsts_left);
        let buyer = if first {
            let buyer = if next_imported < imported && rng.gen_bool(0.25) {
                next_imported += 1;
                Buyer::Existing(next_imported - 1)
            } else {
                let at = orders[order].created_at - Duration::seconds(rng.gen_range(30..1_200));
                new_buyers.push((at, orders[order].channel));
                Buyer::New(new_buyers.len() - 1)
            };
            distinct.push(buyer);
            buyer
        } else if rng.gen_bool(0.7) {
            past_buyers[rng.gen_range(0..past_buyers.len())]
        } else {
            distinct[rng.gen_range(0..distinct.len())]
        };
        past_buyers.push(buyer);
        buyer_of_order.push((order, buyer));
    }

    // Some first purchases were made by imported customers: the rest of the audience signed up.
    let signed_up = customers - imported - new_buyers.len();
    let audience = timeline(rng, imported, signed_up, &new_buyers, imported_at, now);
    let new_index = &audience.1;
    for (order, buyer) in buyer_of_order {
        orders[order].customer = Some(match buyer {
            Buyer::Existing(index) => index,
            Buyer::New(number) => new_index[number],
        });
    }
    audience.0
}

#[derive(Debug, Clone, Copy)]
enum Buyer {
    Existing(usize),
    New(usize),
}

/// Everyone in creation order: the imported customers first (one import, a few per second),
/// then sign-ups and first-time buyers interleaved by time. Returns the audience and each new
/// buyer's index in it.
fn timeline(
    rng: &mut StdRng,
    imported: usize,
    signed_up: usize,
    new_buyers: &[(DateTime<Utc>, Channel)],
    imported_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (Audience, Vec<usize>) {
    let total = imported + signed_up + new_buyers.len();
    let mut audience = Audience {
        created_at: Vec::with_capacity(total),
        origin: Vec::with_capacity(total),
    };
    for i in 0..imported {
        audience
            .created_at
            .push(imported_at + Duration::milliseconds(i as i64 * 37));
        audience.origin.push(Origin::Imported);
    }
    let first_signup = imported_at + Duration::days(1);
    let span = (now - first_signup).num_seconds().max(1);
    let mut later: Vec<(DateTime<Utc>, Option<usize>)> = (0..signed_up)
        .map(|_| {
            (
                first_signup + Duration::seconds(rng.gen_range(0..span)),
                None,
            )
        })
        .collect();
    later.extend(
        new_buyers
            .iter()
            .enumerate()
            .map(|(b, (at, _))| (*at, Some(b))),
    );
    later.sort_by_key(|(at, buyer)| (*at, *buyer));
    let mut new_index = vec![0; new_buyers.len()];
    for (at, buyer) in later {
        if let Some(b) = buyer {
            new_index[b] = audience.created_at.len();
            audience.origin.push(Origin::Bought(new_buyers[b].1));
        } else {
            audience.origin.push(Origin::SignedUp);
        }
        audience.created_at.push(at);
    }
    (audience, new_index)
}
