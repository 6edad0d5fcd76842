//! Organizations (tenants), users and roles, login sessions, API tokens, the audit log.

pub mod api;
pub mod audit;
pub mod branding;
pub mod invitations;
pub mod model;
pub mod service;
pub mod store;
