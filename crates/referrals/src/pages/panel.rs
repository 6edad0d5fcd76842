//! The share panel on the storefront's order page ([`OrderPanel`]): below the tickets, never in
//! the way of the purchase, for each open promotion on the order's event it says how the
//! programme works (the tiers), gives the buyer's tracking link with Copy and share buttons
//! (mail, WhatsApp, Facebook, X, and the phone's own share sheet where there is one), and links
//! to the private progress page.
//!
//! The buyer is enrolled here if the outbox follower has not done it yet
//! ([`Referrals::enrol_buyer`] is idempotent: whoever comes first makes the one participant), so
//! the link is on the confirmation page at once.

use askama::Template;
use fullhouse_core::OrgId;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::OrderId;
use fullhouse_web::Lang;

use crate::model::{PromotionStatus, Tier};
use crate::service::Referrals;
use fullhouse_checkout::model::CheckoutStatus;

/// The referral programme's panel on the order page.
pub struct SharePanel {
    referrals: Referrals,
}

impl SharePanel {
    pub fn new(referrals: Referrals) -> Self {
        Self { referrals }
    }
}

/// The links that share a tracking link, each already encoded for its address.
pub(crate) struct Share {
    /// Ids in the page start with this (a page may hold more than one).
    pub id: String,
    pub link: String,
    pub text: String,
    pub mailto: String,
    pub whatsapp: String,
    pub facebook: String,
    pub x: String,
}

impl Share {
    pub(crate) fn new(lang: Lang, id: &str, link: &str, event: &str) -> Self {
        let text = lang.t1("referrals-share-text", "event", event);
        let subject = lang.t1("referrals-share-subject", "event", event);
        let with_link = format!("{text} {link}");
        Self {
            id: id.to_string(),
            mailto: format!(
                "mailto:?subject={}&body={}",
                encode(&subject),
                encode(&with_link)
            ),
            whatsapp: format!("https://wa.me/?text={}", encode(&with_link)),
            facebook: format!(
                "https://www.facebook.com/sharer/sharer.php?u={}",
                encode(link)
            ),
            x: format!(
                "https://x.com/intent/post?url={}&text={}",
                encode(link),
                encode(&text)
            ),
            link: link.to_string(),
            text,
        }
    }
}

/// Percent-encoding of everything but RFC 3986's unreserved characters (safe in any query).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One open promotion as the panel shows it.
struct PanelPromotion {
    name: String,
    tiers: Vec<Tier>,
    share: Share,
    progress_link: String,
}

#[derive(Template)]
#[template(path = "pages/referrals/panel.html")]
struct Panel {
    lang: Lang,
    promotions: Vec<PanelPromotion>,
}

#[async_trait::async_trait]
impl fullhouse_core::module::OrderPanel for SharePanel {
    async fn render(&self, org: &OrgId, order: &str, lang: &str) -> Option<String> {
        match self
            .draw(org, order, Lang::parse(lang).unwrap_or_default())
            .await
        {
            Ok(html) => html,
            Err(err) => {
                tracing::warn!(%org, order, error = %err, "referral panel not drawn");
                None
            }
        }
    }
}

impl SharePanel {
    async fn draw(
        &self,
        org: &OrgId,
        order: &str,
        lang: Lang,
    ) -> fullhouse_core::Result<Option<String>> {
        let Ok(order_id) = OrderId::parse(order) else {
            return Ok(None);
        };
        let order = self.referrals.checkout().order(org, &order_id).await?;
        // A cancelled, refunded or expired order has nothing to share.
        if !matches!(
            order.status,
            CheckoutStatus::Paid | CheckoutStatus::AwaitingPayment
        ) {
            return Ok(None);
        }
        let Some(customer) = order.order.customer_id.clone() else {
            return Ok(None);
        };
        let event = CatalogService::new(self.referrals.db().clone())
            .event(org, &order.event_id)
            .await?;
        let promotions = self.referrals.promotions_of_event(org, &event).await?;
        if !promotions.iter().any(|p| p.status == PromotionStatus::Open) {
            return Ok(None);
        }
        let enrolled = self
            .referrals
            .enrol_buyer(org, &event, &customer, &order_id)
            .await?;
        let mut shown = Vec::new();
        for (i, (participant, _)) in enrolled.into_iter().enumerate() {
            let Some(promotion) = promotions
                .iter()
                .find(|p| p.id == participant.promotion_id && p.status == PromotionStatus::Open)
            else {
                continue;
            };
            let link = self.referrals.tracking_link(&participant.code);
            shown.push(PanelPromotion {
                name: promotion.name.clone(),
                tiers: promotion.tiers.clone(),
                share: Share::new(lang, &format!("referral-{i}"), &link, &event.title),
                progress_link: self.referrals.progress_link(&participant.token),
            });
        }
        if shown.is_empty() {
            return Ok(None);
        }
        let html = Panel {
            lang,
            promotions: shown,
        }
        .render()
        .map_err(fullhouse_core::Error::internal)?;
        Ok(Some(html))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn share_addresses_are_percent_encoded() {
        assert_eq!(
            super::encode("Come! https://x.dk/r/ab?c=1&d"),
            "Come%21%20https%3A%2F%2Fx.dk%2Fr%2Fab%3Fc%3D1%26d"
        );
        assert_eq!(super::encode("ø"), "%C3%B8");
    }
}
