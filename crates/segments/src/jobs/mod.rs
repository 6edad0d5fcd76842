//! The segment actions that run as jobs (seed 002, "Actions"): exports, pushes to Meta and mail
//! tools, bulk tags, campaign-link sends and the audiences views feed. Each starts from a
//! [`crate::selection::Selection`], resolves it when it runs, reports progress in the language
//! of whoever started it, and is written to the audit log when it is started.

pub mod audience;
pub mod send;

use std::sync::Arc;

use fullhouse_core::module::{Mount, Runs};

use crate::index::Registry;

/// Registers the segments' job kinds and the sweep that refreshes daily audiences.
pub fn register(mount: &mut Mount, registry: &Arc<Registry>) {
    let db = mount.state().db.clone();
    mount
        .resumable_job(
            audience::AUDIENCE_JOB,
            audience::RefreshAudience {
                registry: registry.clone(),
            },
        )
        .task("segment audiences", Runs::WithJobWorkers, move |shutdown| {
            audience::run_daily_sweep(db, shutdown)
        });
    send::register(mount, registry);
}
