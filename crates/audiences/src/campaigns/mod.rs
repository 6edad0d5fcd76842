//! Campaigns attach audiences to events or productions and say what a member's code does there:
//! a discount, access to hidden ticket types or the member's category, the member's own seat, or
//! a loyalty discount without a code. They plug into checkout as its [`CodeRules`](fullhouse_checkout::CodeRules).

pub mod api;
pub mod bench;
pub mod figures;
pub mod form;
pub mod links;
pub mod links_api;
pub mod model;
mod report;
pub mod rules;
pub mod service;
pub mod store;

pub use model::{Campaign, CampaignId};
pub use rules::CampaignRules;
pub use service::CampaignService;
