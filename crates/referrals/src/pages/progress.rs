//! The buyer's progress page (public: the token in the address is the key): clicks, tickets sold
//! through the link, revenue, the rewards reached and how many more tickets the next one needs,
//! and the link again with its share buttons. In the storefront's look, in the buyer's language
//! (a `?lang=` the visitor chose wins). The figures refresh every 30 seconds through htmx, which
//! asks this same address for the figures alone.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use fullhouse_checkout::pages::storefront::ShopBrand;
use fullhouse_core::Error;
use fullhouse_web::i18n::error_message;
use fullhouse_web::{vary_on_htmx, Lang};
use serde::Deserialize;

use super::panel::Share;
use crate::model::{PromotionStatus, Tier};
use crate::service::{Progress, Referrals};

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    #[serde(default)]
    lang: String,
}

/// A tier as the page lists it.
struct TierLine {
    tier: Tier,
    reached: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/progress.html")]
struct ProgressPage {
    lang: Lang,
    brand: ShopBrand,
    event_title: String,
    promotion_name: String,
    /// The figures, drawn by their own template (the part htmx refreshes).
    figures: String,
    share: Share,
}

/// The part of the page that refreshes.
#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/_progress_figures.html")]
struct Figures {
    lang: Lang,
    progress: Progress,
    token: String,
    revenue: String,
    tiers: Vec<TierLine>,
    /// "3 more tickets to the next reward", or nothing when every tier is reached.
    next: Option<String>,
}

impl Figures {
    fn closed(&self) -> bool {
        self.progress.promotion.status == PromotionStatus::Closed
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/message.html")]
struct MessagePage {
    lang: Lang,
    brand: ShopBrand,
    message: String,
}

/// The progress page. Its address holds the participant's token, so it is never sent on in a
/// `Referer` (a click on a share button would otherwise hand the token to that site).
pub(super) async fn page(
    Extension(referrals): Extension<Referrals>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let mut response = draw(&referrals, &headers, &token, &query).await;
    response.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn draw(
    referrals: &Referrals,
    headers: &HeaderMap,
    token: &str,
    query: &LangQuery,
) -> Response {
    let chosen = Lang::parse(&query.lang);
    let (org, progress) = match referrals.progress(token.trim()).await {
        Ok(found) => found,
        Err(err) => {
            let lang = chosen.unwrap_or_else(|| Lang::of_visitor(headers));
            let (status, message) = match err {
                Error::NotFound(_) => (StatusCode::NOT_FOUND, lang.t("referrals-progress-unknown")),
                other => (other.code().status(), error_message(lang, &other)),
            };
            let brand = ShopBrand::default();
            return (
                status,
                MessagePage {
                    lang,
                    brand,
                    message,
                },
            )
                .into_response();
        }
    };
    let lang = chosen
        .or_else(|| Lang::parse(&progress.participant.language))
        .unwrap_or_default();
    let revenue = lang.money(
        progress.tally.revenue_minor,
        progress.tally.currency.as_deref().unwrap_or_default(),
    );
    let tiers = progress
        .promotion
        .tiers
        .iter()
        .map(|t| TierLine {
            reached: u64::from(t.tickets) <= progress.tally.tickets,
            tier: t.clone(),
        })
        .collect();
    let next = progress.standing.next.as_ref().map(|(tier, more)| {
        let key = if *more == 1 {
            "referrals-next-one"
        } else {
            "referrals-next-more"
        };
        format!("{} {}", lang.t1(key, "count", more), tier.reward)
    });
    let share = Share::new(
        lang,
        "referral",
        &progress.tracking_link,
        &progress.event_title,
    );
    let figures = Figures {
        lang,
        token: progress.participant.token.clone(),
        progress,
        revenue,
        tiers,
        next,
    };
    if headers.contains_key("hx-request") {
        return vary_on_htmx(figures.into_response());
    }
    let event_title = figures.progress.event_title.clone();
    let promotion_name = figures.progress.promotion.name.clone();
    let figures = match figures.render() {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(error = %err, "progress figures not drawn");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let brand = match referrals.slug(&org).await {
        Ok(slug) => ShopBrand::of(referrals.db(), &org, &slug, None)
            .await
            .unwrap_or_default(),
        Err(_) => ShopBrand::default(),
    };
    vary_on_htmx(
        ProgressPage {
            lang,
            brand,
            event_title,
            promotion_name,
            figures,
            share,
        }
        .into_response(),
    )
}
