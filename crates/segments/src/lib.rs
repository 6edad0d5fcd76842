//! Customer segmentation (DESIGN §1.2, §2.3): segment definitions and saved views, the in-memory
//! segment index with its filters, the reference SQL that checks it, and the JSON API.

pub mod api;
pub mod bench;
pub mod index;
pub mod migrations;
pub mod model;
pub mod reference;
pub mod service;
pub mod store;

pub use migrations::migrations;
pub use model::{SegmentId, ViewId};
