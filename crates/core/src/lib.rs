//! The Fullhouse platform: what every module builds on.
//!
//! Errors ([`error`]), typed ids ([`ids`]), the database and its migrations ([`db`],
//! [`migrations`], [`schema`]), tenancy and auth ([`tenancy`], [`auth`]), the domain-event
//! outbox ([`events`]), shared HTTP pieces ([`http`]) and tabular input ([`tabular`]).

pub mod auth;
pub mod db;
pub mod error;
pub mod events;
pub mod files;
pub mod http;
pub mod i18n;
pub mod ids;
pub mod import;
pub mod input;
pub mod jobs;
pub mod mail;
pub mod migrations;
pub mod module;
pub mod money;
pub mod openapi;
pub mod rate_limit;
pub mod schema;
pub mod secrets;
pub mod tabular;
pub mod tenancy;
pub mod uploads;

pub use db::{Backend, Db};
pub use error::{Error, ErrorCode, FieldError, Problem, Reason, Result};
pub use i18n::{Lang, Msg};
pub use ids::{OrgId, TokenId, UserId};
pub use tenancy::model::{Caller, Permission, Role};
