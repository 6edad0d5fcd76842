//! Durable background jobs in the database (imports, exports, mail sends, segment pushes): enqueued
//! in the same transaction as the change that causes them, claimed with a lease, retried with
//! backoff, with progress, cancellation and result files. A job survives a restart.

pub mod api;
pub mod demo;
pub mod model;
pub mod notify;
pub mod service;
pub mod store;
pub mod worker;

pub use model::{Job, JobFile, JobId, JobStatus};
pub use notify::{Notify, NOTIFY_KEY};
pub use service::{enqueue, JobService, NewJob};
pub use worker::{JobContext, JobHandler, JobRegistry, Worker};
