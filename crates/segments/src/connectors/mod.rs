//! Where a segment's customers can be sent (seed 002, "Actions"): Meta custom audiences and the
//! organizer's email tools (Mailchimp, Klaviyo, Brevo, a webhook of their own). Each is a real
//! HTTP client whose base URL is part of its settings, so tests point it at a local server that
//! checks the request shape and production points it at the service.

pub mod meta;
pub mod model;
pub mod service;
pub mod store;
pub mod tools;
