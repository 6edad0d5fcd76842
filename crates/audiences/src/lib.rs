//! Audiences (code lists) and their members: created blank, uploaded from CSV/XLSX/ODS with
//! column mapping, edited by hand, exported, or generated (random codes from a pattern, last
//! events' barcodes or ticket holders). Campaigns attach them to events (issue #5).

pub mod api;
pub mod bench;
pub mod campaigns;
pub mod import;
pub mod jobs;
pub mod model;
pub mod service;
pub mod store;

pub use model::{Audience, AudienceId, Member, MemberId};
pub use service::AudienceService;
pub use store::migrations;
