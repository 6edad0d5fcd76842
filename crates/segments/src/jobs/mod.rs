//! The segment actions that run as jobs (seed 002, "Actions"): exports, pushes to Meta and mail
//! tools, bulk tags and campaign-link sends. Each starts from a [`crate::selection::Selection`],
//! resolves it when it runs, reports progress in the language of whoever started it, and is
//! written to the audit log when it is started.

pub mod push;
mod push_data;

use std::sync::Arc;

use fullhouse_core::module::Mount;

use crate::index::Registry;

/// Registers the segments' job kinds.
pub fn register(mount: &mut Mount, registry: &Arc<Registry>) {
    push::register(mount, registry);
}
