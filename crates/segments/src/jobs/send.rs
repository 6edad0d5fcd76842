//! The `segments.send` job: queues a campaign-link send's mails (see [`crate::sends`]).
//!
//! Registered resumable: a run killed anywhere leaves whole pages done or not done, and the
//! next run skips the customers recorded already, so it is safe to take again.

use std::sync::Arc;

use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::{Error, Result};
use fullhouse_web::Lang;

use crate::index::Registry;
use crate::sends::{run, SendPayload, SendService};

/// Runs sends with the module's index registry.
pub struct SendHandler {
    pub service: SendService,
    pub registry: Arc<Registry>,
    /// The server's public address, for the unsubscribe links.
    pub public_url: String,
}

#[async_trait::async_trait]
impl JobHandler for SendHandler {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: SendPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("a send job's payload: {e}")))?;
        let lang = Lang::from_stored(&payload.language);
        let report = run::run(
            &self.service,
            &self.registry,
            ctx,
            &payload.send_id,
            lang,
            &self.public_url,
        )
        .await?;
        let send = self.service.get(&ctx.org, &payload.send_id).await?;
        let done = i64::try_from(report.members).unwrap_or(i64::MAX);
        ctx.progress(
            done,
            Some(done),
            Some(&format!(
                "{} · {} · {}",
                lang.t1("segments-send-done", "queued", send.queued),
                lang.t1("segments-send-no-consent", "count", send.skipped_no_consent),
                lang.t1("segments-send-no-email", "count", send.skipped_no_email),
            )),
        )
        .await
    }
}

/// Registers `segments.send` (resumable: see the module's documentation).
pub fn register(mount: &mut fullhouse_core::module::Mount, registry: &Arc<Registry>) {
    let state = mount.state().clone();
    mount.resumable_job(
        crate::sends::SEND_JOB,
        SendHandler {
            service: SendService::new(state.db.clone()),
            registry: registry.clone(),
            public_url: state.settings.public_url.clone(),
        },
    );
}
