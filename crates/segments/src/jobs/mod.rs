//! The segment actions that run as jobs (seed 002, "Actions"): exports, pushes to Meta and mail
//! tools, bulk tags and campaign-link sends. Each starts from a [`crate::selection::Selection`],
//! resolves it when it runs, reports progress in the language of whoever started it, and is
//! written to the audit log when it is started.

use std::sync::Arc;

use fullhouse_core::module::Mount;

use crate::index::Registry;

pub mod export;
pub mod export_rows;

/// Registers the segments' job kinds.
pub fn register(mount: &mut Mount, registry: &Arc<Registry>) {
    mount.job(export::EXPORT_JOB, export::ExportJob::new(registry.clone()));
    let _ = (mount, registry);
}
