//! Mail: per-organization sender settings and transport (SMTP through lettre, or a file drop in
//! the embedded default), templates in English, Danish and French (minijinja, sandboxed), an
//! outbox with states and idempotency keys, delivery as a job, and one-click unsubscribe
//! (RFC 8058) for marketing mail, which only goes to customers whose permission allows it.

pub mod api;
pub mod delivery;
pub mod model;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod templates;

pub use delivery::Delivery;
pub use model::*;
pub use service::{
    queue, unsubscribe_url, ConsentRegistry, Consents, MailService, QueuedMessage, DELIVER_JOB,
};
