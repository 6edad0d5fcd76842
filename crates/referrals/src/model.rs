//! Referral rewards as types and rules, no I/O: a promotion and its reward tiers, which orders
//! count for whom, what a participant has reached, and the classes a tracking-link hit falls in.
//!
//! One rule per question, so that the progress page, the report, the API and the mails agree:
//! - **Who takes part**: every buyer (a customer) of an order with a ticket for the promotion's
//!   event (or any event of its production) — enrolled when the order is placed.
//! - **What counts** ([`judge`]): an order that records the participant's code, was placed while
//!   the promotion was open, whose status is one the promotion counts (paid by default), and
//!   whose buyer is not the participant (neither the same customer nor the same email). Its
//!   tickets for the promotion's events count, with their revenue. A cancelled or refunded
//!   order takes them back off.
//! - **Clicks** ([`HitClass`]): every hit is kept with its class and reason; only unique human
//!   clicks count.

use chrono::{DateTime, Duration, Utc};
use fullhouse_core::define_id;
use fullhouse_core::{Error, FieldError, Result};
use fullhouse_ticketing::model::orders::OrderStatus;
use fullhouse_ticketing::{CustomerId, EventId, OrderId, ProductionId};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

define_id!(
    /// A referral promotion on an event or a production.
    PromotionId,
    "prm",
    "promotion"
);

define_id!(
    /// One buyer's place in a promotion: their tracking code and progress link.
    ParticipantId,
    "par",
    "participant"
);

define_id!(
    /// One reward a participant earned (a row of the reward ledger).
    RewardId,
    "rwd",
    "reward"
);

/// How long before the event a promotion closes unless told otherwise (the seed's advice: a
/// day to plan the rewards' fulfilment).
pub const DEFAULT_CLOSE_HOURS_BEFORE: i64 = 24;
/// How long after a click a purchase is still credited to the link, unless told otherwise.
pub const DEFAULT_ATTRIBUTION_DAYS: u32 = 30;
/// The longest attribution window.
pub const MAX_ATTRIBUTION_DAYS: u32 = 365;
/// The most reward tiers a promotion has.
pub const MAX_TIERS: usize = 10;
/// The longest reward name.
pub const MAX_REWARD_CHARS: usize = 120;
/// The longest promotion name.
pub const MAX_NAME_CHARS: usize = 120;
/// A second hit of the same visitor on the same link within this is a duplicate.
pub const DUPLICATE_WINDOW_MINUTES: i64 = 60;
/// Characters of a tracking code: Crockford's base-32 alphabet, lower case (no i, l, o, u: a
/// code read aloud or retyped from a poster is not misread).
pub const CODE_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters per tracking code: 10 × 5 bits = 50 bits, far too many to guess one, short
/// enough for a text message.
pub const CODE_CHARS: usize = 10;
/// The prefix of progress-page tokens (payment links are `fhi_`, sessions `fhs_`/`fhb_`).
pub const PROGRESS_TOKEN_PREFIX: &str = "fhr_";

/// What a promotion is on: one event, or every event of a production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    #[schema(value_type = String)]
    Event(EventId),
    #[schema(value_type = String)]
    Production(ProductionId),
}

/// A promotion's state. Open and scheduled follow from the clock; closed is what the organizer
/// (or the close time) made it, and freezes the leaderboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    /// Before its open time: links exist but nothing counts yet.
    Scheduled,
    Open,
    /// After its close time, or closed by the organizer: the final report.
    Closed,
}

impl PromotionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// One reward tier: so many tickets sold through one's link earn the named reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tier {
    /// Tickets sold through the link to reach it (at least 1).
    pub tickets: u32,
    /// What the organizer gives, in their words ("a drink at the bar").
    pub reward: String,
}

/// Which order states count toward a participant's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Only paid orders (the default: a hold that expires never counted).
    Paid,
    /// Paid orders and orders awaiting payment (invoiced sales, pay-by-link intents).
    PaidOrAwaiting,
}

impl Counts {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::PaidOrAwaiting => "paid_or_awaiting",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "paid_or_awaiting" => Self::PaidOrAwaiting,
            _ => Self::Paid,
        }
    }

    /// Whether an order in `status` counts.
    pub fn counts(self, status: OrderStatus) -> bool {
        match status {
            OrderStatus::Paid => true,
            OrderStatus::AwaitingPayment => self == Self::PaidOrAwaiting,
            _ => false,
        }
    }
}

/// A promotion as asked for by the organizer (API and form alike).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromotion {
    pub name: String,
    pub scope: Scope,
    /// When links start to count; defaults to now.
    pub opens_at: Option<DateTime<Utc>>,
    /// When the promotion closes; defaults to 24 hours before the (first) event.
    pub closes_at: Option<DateTime<Utc>>,
    /// Days after a click that a purchase is credited to the link; default 30.
    pub attribution_days: Option<u32>,
    /// Which orders count; default paid.
    pub counts: Option<Counts>,
    /// At least one, thresholds strictly rising.
    pub tiers: Vec<Tier>,
    /// Where tier and closing reminders go (staff addresses); empty: the organization's
    /// members with the `campaigns` permission.
    #[serde(default)]
    pub staff_emails: Vec<String>,
}

/// A promotion as stored and shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Promotion {
    #[schema(value_type = String)]
    pub id: PromotionId,
    pub name: String,
    pub scope: Scope,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub attribution_days: u32,
    pub counts: Counts,
    pub tiers: Vec<Tier>,
    pub staff_emails: Vec<String>,
    pub status: PromotionStatus,
    /// When the organizer (or the close time, seen by the sweep) closed it.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Promotion {
    /// Whether an order placed at `at` falls in the promotion's open time.
    pub fn open_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.opens_at && at < self.closes_at && self.closed_at.is_none_or(|c| at < c)
    }

    /// The state at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> PromotionStatus {
        status_at(self.opens_at, self.closes_at, self.closed_at, now)
    }

    /// The window after a click in which a purchase is credited.
    pub fn attribution_window(&self) -> Duration {
        Duration::days(i64::from(self.attribution_days))
    }
}

/// A promotion's state at `now` from its times.
pub fn status_at(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> PromotionStatus {
    if closed_at.is_some() || now >= closes_at {
        PromotionStatus::Closed
    } else if now < opens_at {
        PromotionStatus::Scheduled
    } else {
        PromotionStatus::Open
    }
}

/// The default close time: [`DEFAULT_CLOSE_HOURS_BEFORE`] before the first event starts.
pub fn default_close(first_event_starts: DateTime<Utc>) -> DateTime<Utc> {
    first_event_starts - Duration::hours(DEFAULT_CLOSE_HOURS_BEFORE)
}

/// Checks tiers: one to [`MAX_TIERS`], thresholds at least 1 and strictly rising, rewards named.
/// Every problem is reported with its field (`tiers[2].tickets`).
pub fn check_tiers(tiers: &[Tier], problems: &mut Vec<FieldError>) {
    if tiers.is_empty() {
        problems.push(FieldError::new("tiers", "add at least one reward tier"));
    }
    if tiers.len() > MAX_TIERS {
        problems.push(FieldError::new(
            "tiers",
            format!("at most {MAX_TIERS} reward tiers"),
        ));
    }
    let mut previous = 0;
    for (i, tier) in tiers.iter().enumerate() {
        if tier.tickets == 0 {
            problems.push(FieldError::new(
                format!("tiers[{i}].tickets"),
                "must be at least 1 ticket",
            ));
        } else if tier.tickets <= previous {
            problems.push(FieldError::new(
                format!("tiers[{i}].tickets"),
                format!("must be more than the tier before ({previous} tickets)"),
            ));
        }
        previous = previous.max(tier.tickets);
        let reward = tier.reward.trim();
        if reward.is_empty() {
            problems.push(FieldError::new(
                format!("tiers[{i}].reward"),
                "name the reward",
            ));
        } else if reward.chars().count() > MAX_REWARD_CHARS {
            problems.push(FieldError::new(
                format!("tiers[{i}].reward"),
                format!("must be at most {MAX_REWARD_CHARS} characters"),
            ));
        }
    }
}

/// Once a participant has reached a tier, its threshold may not go up (they would lose a reward
/// they were told they had won) and it may not be removed. `reached` is the highest ticket
/// count any participant has; every tier at or below it must stay with the same or a lower
/// threshold.
pub fn check_tier_change(
    before: &[Tier],
    after: &[Tier],
    reached: u32,
    problems: &mut Vec<FieldError>,
) {
    for (i, old) in before.iter().enumerate() {
        if old.tickets > reached {
            continue;
        }
        match after.get(i) {
            None => problems.push(FieldError::new(
                "tiers",
                format!(
                    "the tier of {} tickets ({}) has been reached and cannot be removed",
                    old.tickets, old.reward
                ),
            )),
            Some(new) if new.tickets > old.tickets => problems.push(FieldError::new(
                format!("tiers[{i}].tickets"),
                format!(
                    "has been reached at {} tickets and cannot be raised",
                    old.tickets
                ),
            )),
            Some(_) => {}
        }
    }
}

/// Checks a new promotion's fields other than its scope (which needs the database); all
/// problems at once.
pub fn check_promotion(new: &NewPromotion, problems: &mut Vec<FieldError>) {
    let name = new.name.trim();
    if name.is_empty() {
        problems.push(FieldError::new("name", "name the promotion"));
    } else if name.chars().count() > MAX_NAME_CHARS {
        problems.push(FieldError::new(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if let Some(days) = new.attribution_days {
        if days == 0 || days > MAX_ATTRIBUTION_DAYS {
            problems.push(FieldError::new(
                "attribution_days",
                format!("must be between 1 and {MAX_ATTRIBUTION_DAYS} days"),
            ));
        }
    }
    if let (Some(opens), Some(closes)) = (new.opens_at, new.closes_at) {
        if closes <= opens {
            problems.push(FieldError::new("closes_at", "must be after the open time"));
        }
    }
    for (i, email) in new.staff_emails.iter().enumerate() {
        if fullhouse_core::tenancy::model::validate_email("staff_emails", email).is_err() {
            problems.push(FieldError::new(
                format!("staff_emails[{i}]"),
                "is not an email address",
            ));
        }
    }
    check_tiers(&new.tiers, problems);
}

/// Turns problems into the one error the API and forms show, or nothing.
pub fn refuse(problems: Vec<FieldError>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_fields(problems))
    }
}

/// A fresh tracking code ([`CODE_CHARS`] of [`CODE_ALPHABET`]).
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_CHARS)
        .map(|_| {
            let i = rng.gen_range(0..CODE_ALPHABET.len());
            char::from(CODE_ALPHABET.get(i).copied().unwrap_or(b'0'))
        })
        .collect()
}

/// Whether `value` has the form of a tracking code (a cheap check before any lookup).
pub fn looks_like_code(value: &str) -> bool {
    value.len() == CODE_CHARS && value.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// A buyer's place in a promotion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Participant {
    #[schema(value_type = String)]
    pub id: ParticipantId,
    #[schema(value_type = String)]
    pub promotion_id: PromotionId,
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    pub email: String,
    pub name: String,
    /// The tracking code: the link is `{public_url}/r/{code}`.
    pub code: String,
    /// The progress page's token: `{public_url}/referrals/progress/{token}`.
    #[serde(skip)]
    pub token: String,
    /// `purchase` (enrolled by an order) or `backdated` (an earlier holder, mailed later).
    pub source: String,
    pub language: String,
    /// When the mail with the links went out.
    pub mailed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What an order is to the participant whose code it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Counts: its tickets and revenue are the participant's.
    Counted,
    /// Placed, not yet in a state the promotion counts (awaiting payment).
    Pending,
    /// The participant bought through their own link: it never counts.
    OwnPurchase,
    /// Placed before the promotion opened or after it closed.
    OutsidePromotion,
    /// Placed more than the attribution window after the link's last click.
    OutsideWindow,
    /// Counted once, then cancelled, refunded or expired: taken back off.
    Released,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counted => "counted",
            Self::Pending => "pending",
            Self::OwnPurchase => "own_purchase",
            Self::OutsidePromotion => "outside_promotion",
            Self::OutsideWindow => "outside_window",
            Self::Released => "released",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "counted" => Self::Counted,
            "pending" => Self::Pending,
            "own_purchase" => Self::OwnPurchase,
            "outside_promotion" => Self::OutsidePromotion,
            "outside_window" => Self::OutsideWindow,
            _ => Self::Released,
        }
    }
}

/// The facts about one order that decide what it is to a participant.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub order_id: OrderId,
    pub customer_id: Option<CustomerId>,
    /// The buyer's email, lower-cased (the same person under another customer record).
    pub email: Option<String>,
    pub status: OrderStatus,
    pub placed_at: DateTime<Utc>,
    /// The latest hit on the code at or before the order. `None` for an external platform's
    /// order (its platform tracked the visit) or when no hit is on record; then the code on the
    /// order is trusted, because the tracking cookie that carried it lives only as long as the
    /// attribution window.
    pub last_click: Option<DateTime<Utc>>,
}

/// The one rule for what an order is to `participant` of `promotion` (see the module docs).
pub fn judge(promotion: &Promotion, participant: &Participant, order: &OrderFacts) -> Verdict {
    let same_customer = order.customer_id.as_ref() == Some(&participant.customer_id);
    let same_email = order
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(participant.email.trim()));
    if same_customer || same_email {
        return Verdict::OwnPurchase;
    }
    if !promotion.open_at(order.placed_at) {
        return Verdict::OutsidePromotion;
    }
    if let Some(click) = order.last_click {
        if order.placed_at - click > promotion.attribution_window() {
            return Verdict::OutsideWindow;
        }
    }
    match order.status {
        OrderStatus::Paid | OrderStatus::AwaitingPayment
            if promotion.counts.counts(order.status) =>
        {
            Verdict::Counted
        }
        OrderStatus::AwaitingPayment => Verdict::Pending,
        _ => Verdict::Released,
    }
}

/// What a participant has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tally {
    /// Unique human clicks.
    pub clicks: u64,
    pub tickets: u64,
    pub revenue_minor: i64,
    pub currency: Option<String>,
}

/// Where a participant stands against the tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Standing {
    /// The tiers reached, lowest first.
    pub reached: Vec<Tier>,
    /// The next tier and how many more tickets it needs.
    pub next: Option<(Tier, u64)>,
}

/// Where `tickets` stands against `tiers` (sorted by threshold).
pub fn standing(tiers: &[Tier], tickets: u64) -> Standing {
    let reached = tiers
        .iter()
        .filter(|t| u64::from(t.tickets) <= tickets)
        .cloned()
        .collect();
    let next = tiers
        .iter()
        .find(|t| u64::from(t.tickets) > tickets)
        .map(|t| (t.clone(), u64::from(t.tickets) - tickets));
    Standing { reached, next }
}

/// Why a hit on a tracking link did or did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HitClass {
    /// A person's first visit within the hour: counts.
    Human,
    /// A crawler, monitor or script (a maintained user-agent list).
    Bot,
    /// A chat or social app drawing the link's preview (WhatsApp, iMessage, Slack, …).
    Preview,
    /// A mail security scanner opening links before the reader does.
    Scanner,
    /// A `HEAD` request (X/Twitter sends three per share), or a browser's prefetch.
    Prefetch,
    /// The same visitor on the same link within the hour.
    Duplicate,
}

impl HitClass {
    pub const ALL: [HitClass; 6] = [
        Self::Human,
        Self::Bot,
        Self::Preview,
        Self::Scanner,
        Self::Prefetch,
        Self::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Bot => "bot",
            Self::Preview => "preview",
            Self::Scanner => "scanner",
            Self::Prefetch => "prefetch",
            Self::Duplicate => "duplicate",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "human" => Self::Human,
            "bot" => Self::Bot,
            "preview" => Self::Preview,
            "scanner" => Self::Scanner,
            "prefetch" => Self::Prefetch,
            _ => Self::Duplicate,
        }
    }
}

/// The state of one earned reward in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardState {
    /// Reached; staff not yet told.
    Earned,
    /// Staff were mailed a reminder to fulfil it.
    Reminded,
    /// Staff gave it (who and when are kept).
    Fulfilled,
}

impl RewardState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Earned => "earned",
            Self::Reminded => "reminded",
            Self::Fulfilled => "fulfilled",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "reminded" => Self::Reminded,
            "fulfilled" => Self::Fulfilled,
            _ => Self::Earned,
        }
    }
}

/// One row of the reward ledger.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reward {
    #[schema(value_type = String)]
    pub id: RewardId,
    #[schema(value_type = String)]
    pub participant_id: ParticipantId,
    pub participant_name: String,
    pub participant_email: String,
    pub tier: Tier,
    pub state: RewardState,
    pub earned_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Who marked it fulfilled.
    pub fulfilled_by: Option<String>,
    /// What (if anything) was lost since: the tickets fell back under the tier after a refund.
    pub below_tier_now: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers(list: &[(u32, &str)]) -> Vec<Tier> {
        list.iter()
            .map(|(tickets, reward)| Tier {
                tickets: *tickets,
                reward: reward.to_string(),
            })
            .collect()
    }

    #[test]
    fn tiers_must_rise_and_be_named_and_each_problem_names_its_field() {
        let mut problems = Vec::new();
        check_tiers(&tiers(&[(3, "Drink"), (3, "VIP"), (0, " ")]), &mut problems);
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["tiers[1].tickets", "tiers[2].tickets", "tiers[2].reward"]
        );
        let mut none = Vec::new();
        check_tiers(&tiers(&[(3, "Drink"), (10, "VIP upgrade")]), &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn a_reached_tier_cannot_be_raised_or_removed_but_one_not_reached_can() {
        let before = tiers(&[(3, "Drink"), (10, "VIP")]);
        let mut problems = Vec::new();
        check_tier_change(
            &before,
            &tiers(&[(4, "Drink"), (12, "VIP")]),
            3,
            &mut problems,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems.first().map(|p| p.field.as_str()),
            Some("tiers[0].tickets")
        );

        let mut lowered = Vec::new();
        check_tier_change(&before, &tiers(&[(2, "Drink")]), 3, &mut lowered);
        assert!(lowered.is_empty(), "the unreached tier of 10 may go");

        let mut removed = Vec::new();
        check_tier_change(&before, &[], 10, &mut removed);
        assert_eq!(removed.len(), 2);
    }

    #[test]
    fn standing_names_what_the_next_tier_needs() {
        let t = tiers(&[(3, "Drink"), (10, "VIP")]);
        let s = standing(&t, 4);
        assert_eq!(s.reached.len(), 1);
        assert_eq!(
            s.next.map(|(tier, more)| (tier.tickets, more)),
            Some((10, 6))
        );
        assert_eq!(standing(&t, 12).next, None);
        assert!(standing(&t, 0).reached.is_empty());
    }

    #[test]
    fn codes_are_ten_characters_of_the_unambiguous_alphabet_and_differ() {
        let a = new_code();
        let b = new_code();
        assert!(looks_like_code(&a) && looks_like_code(&b));
        assert_ne!(a, b);
        assert!(!looks_like_code("ABCDEFGHJK"), "upper case is not a code");
        assert!(!looks_like_code("0123456789a"));
        assert!(!looks_like_code("iiiiiiiiii"), "i is not in the alphabet");
    }

    fn promotion(counts: Counts) -> Promotion {
        let at = |h: i64| {
            DateTime::<Utc>::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap_or_default()
        };
        Promotion {
            id: PromotionId::generate(),
            name: "Bring a friend".into(),
            scope: Scope::Event(EventId::generate()),
            opens_at: at(0),
            closes_at: at(100),
            attribution_days: 30,
            counts,
            tiers: tiers(&[(3, "Drink")]),
            staff_emails: Vec::new(),
            status: PromotionStatus::Open,
            closed_at: None,
            created_at: at(0),
        }
    }

    fn participant() -> Participant {
        Participant {
            id: ParticipantId::generate(),
            promotion_id: PromotionId::generate(),
            customer_id: CustomerId::generate(),
            email: "Ana@Example.org".into(),
            name: "Ana".into(),
            code: new_code(),
            token: String::new(),
            source: "purchase".into(),
            language: "en".into(),
            mailed_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_order_counts_only_when_open_paid_in_the_window_and_someone_elses() {
        let p = promotion(Counts::Paid);
        let a = participant();
        let placed = p.opens_at + Duration::hours(5);
        let order = OrderFacts {
            order_id: OrderId::generate(),
            customer_id: Some(CustomerId::generate()),
            email: Some("ben@example.org".into()),
            status: OrderStatus::Paid,
            placed_at: placed,
            last_click: Some(placed - Duration::days(2)),
        };
        assert_eq!(judge(&p, &a, &order), Verdict::Counted);

        let own_email = OrderFacts {
            email: Some("ana@example.org".into()),
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &own_email), Verdict::OwnPurchase);
        let own_customer = OrderFacts {
            customer_id: Some(a.customer_id.clone()),
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &own_customer), Verdict::OwnPurchase);

        let awaiting = OrderFacts {
            status: OrderStatus::AwaitingPayment,
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &awaiting), Verdict::Pending);
        assert_eq!(
            judge(&promotion(Counts::PaidOrAwaiting), &a, &awaiting),
            Verdict::Counted
        );

        let stale = OrderFacts {
            last_click: Some(placed - Duration::days(31)),
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &stale), Verdict::OutsideWindow);
        let external = OrderFacts {
            last_click: None,
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &external), Verdict::Counted);

        let late = OrderFacts {
            placed_at: p.closes_at,
            last_click: Some(p.closes_at),
            ..order.clone()
        };
        assert_eq!(judge(&p, &a, &late), Verdict::OutsidePromotion);
        let refunded = OrderFacts {
            status: OrderStatus::Refunded,
            ..order
        };
        assert_eq!(judge(&p, &a, &refunded), Verdict::Released);
    }
}
