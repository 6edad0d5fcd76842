//! Back-dating as a job: when a promotion starts after sales began, every earlier ticket holder
//! of its events is enrolled (source `backdated`) and mailed their own links.
//!
//! The job can stop anywhere (cancelled, its process killed) and run again, or run twice at
//! once: enrolment returns the participant already there, and each link mail is claimed in the
//! transaction that queues it (see `service::mails`), so every holder is mailed exactly once
//! whatever happens — which is also why the kind is registered as resumable. The mail is
//! marketing: only holders whose email permission allows it receive it.

use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::module::Mount;
use fullhouse_core::{Error, Result};
use fullhouse_ticketing::service::OrderService;
use fullhouse_ticketing::EventId;
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};

use crate::model::{PromotionId, PromotionStatus};
use crate::service::{Referrals, SOURCE_BACKDATED};

/// The back-dating job's kind.
pub const BACKDATE_JOB: &str = "referrals.backdate";
/// Holders enrolled and mailed per step (one claim-and-queue transaction each).
const STEP: u64 = 200;

/// Registers the referrals' job kinds.
pub fn register(mount: &mut Mount, referrals: &Referrals) {
    mount.resumable_job(
        BACKDATE_JOB,
        Backdate {
            referrals: referrals.clone(),
        },
    );
}

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackdatePayload {
    pub promotion_id: PromotionId,
    /// The language of the person who started it, for the progress messages.
    pub language: String,
}

/// What a run did, for its last progress message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackdateReport {
    /// Earlier holders walked through.
    pub holders: u64,
    /// Link mails this run queued (holders mailed before are not mailed again).
    pub mailed: u64,
    /// Holders that could not be enrolled (their customer record was erased meanwhile).
    pub skipped: u64,
}

/// Runs back-dating jobs with the module's referrals.
pub struct Backdate {
    referrals: Referrals,
}

impl Backdate {
    pub fn new(referrals: Referrals) -> Self {
        Self { referrals }
    }
}

#[async_trait::async_trait]
impl JobHandler for Backdate {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: BackdatePayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("a back-dating job's payload: {e}")))?;
        let lang = Lang::from_stored(&payload.language);
        let report = backdate(&self.referrals, ctx, &payload.promotion_id, lang).await?;
        let done = i64::try_from(report.holders).unwrap_or(i64::MAX);
        ctx.progress(
            done,
            Some(done),
            Some(&lang.t1("referrals-backdate-done", "mailed", report.mailed)),
        )
        .await
    }
}

/// Walks every earlier holder of the promotion's events: enrols them and mails their links.
pub async fn backdate(
    referrals: &Referrals,
    ctx: &JobContext,
    promotion: &PromotionId,
    lang: Lang,
) -> Result<BackdateReport> {
    let org = &ctx.org;
    let promotion = referrals.promotion(org, promotion).await?;
    if promotion.status == PromotionStatus::Closed {
        return Err(Error::conflict(
            "promotion",
            "the promotion is closed: its links no longer count",
        ));
    }
    let events: Vec<EventId> = referrals
        .events_of(org, &promotion.scope)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let orders = OrderService::new(referrals.db().clone());
    let total = orders.count_event_holders(org, &events).await?;
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    ctx.progress(
        0,
        Some(as_i64(total)),
        Some(&lang.t("referrals-backdate-started")),
    )
    .await?;
    let mut report = BackdateReport::default();
    let mut after = None;
    loop {
        let page = orders
            .event_holders(org, &events, after.as_ref(), STEP)
            .await?;
        let Some(last) = page.last().cloned() else {
            break;
        };
        let mut enrolled = Vec::with_capacity(page.len());
        for customer in &page {
            match referrals
                .enrol(org, &promotion.id, customer, None, SOURCE_BACKDATED)
                .await
            {
                Ok((participant, _)) => enrolled.push(participant),
                Err(Error::NotFound(_)) => report.skipped += 1,
                Err(err) => return Err(err),
            }
        }
        report.mailed += referrals.mail_links(org, &enrolled).await? as u64;
        report.holders += page.len() as u64;
        ctx.progress(
            as_i64(report.holders),
            Some(as_i64(total.max(report.holders))),
            Some(&lang.t1("referrals-backdate-progress", "mailed", report.mailed)),
        )
        .await?;
        if (page.len() as u64) < STEP {
            break;
        }
        after = Some(last);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;
    use fullhouse_web::Lang;

    #[test]
    fn danish_and_french_translate_every_string_of_the_jobs_and_templates() {
        assert!(checks::keys_in(crate::LOCALES, "en").contains("referrals-backdate-title"));
        assert_eq!(checks::untranslated(crate::LOCALES), Vec::<String>::new());
    }

    /// Installed beside the platform's strings (a key defined twice would take them all away),
    /// the job's title reads in the starter's language.
    #[test]
    fn the_job_title_reads_in_each_language() {
        assert_eq!(fullhouse_web::i18n::install(crate::LOCALES), Ok(()));
        for (lang, word) in [
            (Lang::En, "Mail earlier"),
            (Lang::Da, "Send tidligere"),
            (Lang::Fr, "Envoyer aux anciens"),
        ] {
            let title = lang.t1("referrals-backdate-title", "promotion", "Bring a friend");
            assert!(
                title.contains(word) && title.contains("Bring a friend"),
                "{title}"
            );
        }
    }
}
