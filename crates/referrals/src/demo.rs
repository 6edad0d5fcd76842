//! The demo organization's referral promotion, so that `fullhouse serve --demo` shows the
//! programme at work: a promotion on the next event with two tiers, its earlier ticket holders
//! enrolled (as the back-dating job would, without mailing anyone), and a week of hits on their
//! links in every class, so that the report's charts and "hits by class" have something to show.
//! Everything goes through the service except the hits, which the tracking recorder would
//! otherwise write one redirect at a time.

use chrono::{Duration, Utc};
use fullhouse_core::db::insert_rows;
use fullhouse_core::http::PageParams;
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::model::catalog::EventFilter;
use fullhouse_ticketing::service::{CatalogService, OrderService};
use sea_orm::Set;

use crate::model::*;
use crate::service::{Referrals, SOURCE_BACKDATED};
use crate::store::referral_hits as hits;

/// Participants the demo enrols.
const DEMO_PARTICIPANTS: u64 = 40;
/// Participants whose links the demo's visitors click.
const DEMO_SHARERS: usize = 12;

/// What the demo made.
#[derive(Debug, Clone, Default)]
pub struct DemoReferrals {
    pub promotion: Option<PromotionId>,
    pub participants: usize,
    pub hits: usize,
}

/// Makes the demo promotion in `org`; nothing when the organization has no upcoming event.
pub async fn seed(referrals: &Referrals, org: &OrgId) -> Result<DemoReferrals> {
    let now = Utc::now();
    let upcoming = CatalogService::new(referrals.db().clone())
        .list_events(
            org,
            &EventFilter {
                from: Some(now + Duration::days(3)),
                ..EventFilter::default()
            },
            &PageParams {
                cursor: None,
                limit: Some(500),
            },
        )
        .await?;
    let Some(event) = upcoming.items.into_iter().min_by_key(|e| e.starts_at) else {
        return Ok(DemoReferrals::default());
    };
    let promotion = referrals
        .create_promotion(
            org,
            NewPromotion {
                name: "Bring a friend".into(),
                scope: Scope::Event(event.id.clone()),
                opens_at: Some(now - Duration::days(7)),
                closes_at: None,
                attribution_days: None,
                counts: None,
                tiers: vec![
                    Tier {
                        tickets: 3,
                        reward: "A drink at the bar".into(),
                    },
                    Tier {
                        tickets: 10,
                        reward: "VIP upgrade".into(),
                    },
                ],
                staff_emails: Vec::new(),
            },
            "demo",
        )
        .await?;
    let holders = OrderService::new(referrals.db().clone())
        .event_holders(
            org,
            std::slice::from_ref(&event.id),
            None,
            DEMO_PARTICIPANTS,
        )
        .await?;
    let mut participants = Vec::new();
    for customer in &holders {
        let (participant, _) = referrals
            .enrol(org, &promotion.id, customer, None, SOURCE_BACKDATED)
            .await?;
        participants.push(participant);
    }
    let rows = demo_hits(org, &promotion.id, &participants, now);
    let count = rows.len();
    insert_rows(referrals.db().writer(), rows).await?;
    Ok(DemoReferrals {
        promotion: Some(promotion.id),
        participants: participants.len(),
        hits: count,
    })
}

/// A week of hits on the first sharers' links: mostly people, with the previews, bots,
/// scanners, prefetches and repeat visits every shared link gets. Deterministic, so that every
/// demo looks the same.
fn demo_hits(
    org: &OrgId,
    promotion: &PromotionId,
    participants: &[Participant],
    now: chrono::DateTime<Utc>,
) -> Vec<hits::ActiveModel> {
    const KINDS: [(HitClass, &str, &str); 8] = [
        (HitClass::Human, "person", "GET"),
        (HitClass::Human, "person", "GET"),
        (HitClass::Human, "person", "GET"),
        (HitClass::Preview, "WhatsApp link preview", "GET"),
        (HitClass::Prefetch, "HEAD request", "HEAD"),
        (HitClass::Bot, "crawler: Googlebot", "GET"),
        (HitClass::Scanner, "Microsoft Safe Links", "GET"),
        (HitClass::Duplicate, "same visitor within 60 minutes", "GET"),
    ];
    let mut rows = Vec::new();
    for (n, participant) in participants.iter().take(DEMO_SHARERS).enumerate() {
        let visits = 4 + (n * 7) % 9;
        for v in 0..visits {
            let Some((class, reason, method)) = KINDS.get((n + v * 3) % KINDS.len()) else {
                continue;
            };
            let hours = i64::try_from((n * 13 + v * 17) % (7 * 24)).unwrap_or(0);
            rows.push(hits::ActiveModel {
                organization_id: Set(org.to_string()),
                id: Set(fullhouse_core::ids::generate("hit")),
                promotion_id: Set(promotion.to_string()),
                participant_id: Set(participant.id.to_string()),
                at: Set(now - Duration::hours(hours)),
                class: Set(class.as_str().to_string()),
                reason: Set((*reason).to_string()),
                method: Set((*method).to_string()),
                visitor: Set(format!("demo-visitor-{n}-{v}")),
                network: Set(format!("demo-network-{}", v % 5)),
                user_agent: Set(None),
                referer: Set(None),
            });
        }
    }
    rows
}
