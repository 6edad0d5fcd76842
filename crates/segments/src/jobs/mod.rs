//! The segment actions that run as jobs (seed 002, "Actions"): exports, pushes to Meta and mail
//! tools, bulk tags, campaign-link sends and the audiences views feed. Each starts from a
//! [`crate::selection::Selection`], resolves it when it runs, reports progress in the language
//! of whoever started it, and is written to the audit log when it is started.

pub mod audience;
pub mod export;
pub mod export_rows;
pub mod push;
mod push_data;
pub mod send;
pub mod tag;

use std::sync::Arc;

use fullhouse_core::module::{Mount, Runs};

use crate::index::Registry;

/// Registers the segments' job kinds and the sweep that refreshes daily audiences.
pub fn register(mount: &mut Mount, registry: &Arc<Registry>) {
    push::register(mount, registry);
    let db = mount.state().db.clone();
    mount
        .resumable_job(
            audience::AUDIENCE_JOB,
            audience::RefreshAudience {
                registry: registry.clone(),
            },
        )
        .resumable_job(
            tag::TAG_JOB,
            tag::Tag {
                registry: registry.clone(),
            },
        )
        .resumable_job(tag::UNTAG_JOB, tag::Untag)
        .task("segment audiences", Runs::WithJobWorkers, move |shutdown| {
            audience::run_daily_sweep(db, shutdown)
        });
    mount.job(export::EXPORT_JOB, export::ExportJob::new(registry.clone()));
    send::register(mount, registry);
}
