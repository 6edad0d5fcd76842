//! The referral tables. Every table leads with `organization_id` (DESIGN §2.2a).

mod hit_visitors;
mod mail_queue;

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

/// The referrals' own migrations (ticketing's and checkout's come first, from their modules).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Referrals),
        Box::new(hit_visitors::M0002HitVisitors),
        Box::new(mail_queue::M0004MailQueue),
    ]
}

struct M0001Referrals;

impl MigrationName for M0001Referrals {
    fn name(&self) -> &str {
        "referrals_0001_referrals"
    }
}

/// - `referral_promotions` and their `referral_tiers`;
/// - `referral_participants`: one per buyer and promotion; `code` is unique across every
///   organization because `/r/{code}` names no organization;
/// - `referral_hits`: every hit on a tracking link, with its class and reason (never a raw IP
///   address: `visitor` and `network` are salted hashes of the truncated address);
/// - `referral_orders`: what each order recording a code is to its participant (the verdict,
///   tickets and revenue), written from the outbox;
/// - `referral_rewards`: the ledger of rewards earned (earned → reminded → fulfilled);
/// - `referral_salts`: one random salt per organization for the address hashes.
#[async_trait::async_trait]
impl MigrationTrait for M0001Referrals {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let promotions = tenant_table("referral_promotions")
            .col(text("name"))
            .col(id_ref_null("event_id"))
            .col(id_ref_null("production_id"))
            .col(timestamp("opens_at"))
            .col(timestamp("closes_at"))
            .col(int("attribution_days"))
            .col(text("counts"))
            .col(json("tiers"))
            .col(json("staff_emails"))
            .col(timestamp_null("closed_at"))
            .col(text_null("closed_by"))
            .col(timestamp_null("close_notice_sent_at"))
            .col(text("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let participants = tenant_table("referral_participants")
            .col(id_ref("promotion_id"))
            .col(id_ref("customer_id"))
            .col(text("email"))
            .col(text("name"))
            .col(text("code"))
            .col(text("token"))
            .col(text("source"))
            .col(text("language"))
            .col(id_ref_null("first_order_id"))
            .col(timestamp_null("mailed_at"))
            .col(timestamp("created_at"))
            .to_owned();
        let hits = tenant_table("referral_hits")
            .col(id_ref("promotion_id"))
            .col(id_ref("participant_id"))
            .col(timestamp("at"))
            .col(text("class"))
            .col(text("reason"))
            .col(text("method"))
            .col(text("visitor"))
            .col(text("network"))
            .col(text_null("user_agent"))
            .col(text_null("referer"))
            .to_owned();
        let orders = tenant_table("referral_orders")
            .col(id_ref("promotion_id"))
            .col(id_ref("participant_id"))
            .col(id_ref_null("customer_id"))
            .col(text("code"))
            .col(text("verdict"))
            .col(text("source"))
            .col(int("tickets"))
            .col(int("revenue_minor"))
            .col(text("currency"))
            .col(timestamp("placed_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let rewards = tenant_table("referral_rewards")
            .col(id_ref("promotion_id"))
            .col(id_ref("participant_id"))
            .col(int("tier_tickets"))
            .col(text("reward"))
            .col(text("state"))
            .col(timestamp("earned_at"))
            .col(timestamp_null("reminded_at"))
            .col(timestamp_null("fulfilled_at"))
            .col(text_null("fulfilled_by"))
            .to_owned();
        let salts = tenant_table("referral_salts")
            .col(text("salt"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(
            manager,
            vec![promotions, participants, hits, orders, rewards, salts],
            vec![
                index("referral_promotions", &["organization_id", "event_id"]),
                index("referral_promotions", &["organization_id", "production_id"]),
                unique("referral_participants", &["code"]),
                unique("referral_participants", &["token"]),
                unique(
                    "referral_participants",
                    &["organization_id", "promotion_id", "customer_id"],
                ),
                index(
                    "referral_hits",
                    &["organization_id", "participant_id", "at"],
                ),
                index("referral_hits", &["organization_id", "promotion_id", "at"]),
                index("referral_orders", &["organization_id", "participant_id"]),
                index("referral_orders", &["organization_id", "promotion_id"]),
                unique(
                    "referral_rewards",
                    &["organization_id", "participant_id", "tier_tickets"],
                ),
                index("referral_rewards", &["organization_id", "promotion_id"]),
            ],
        )
        .await
    }
}
