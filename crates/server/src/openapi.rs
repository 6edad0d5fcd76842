//! The OpenAPI document of this binary: every module's routes, finished by
//! [`fullhouse_core::openapi::finish`].

use serde_json::Value;

/// The whole document, for tests and `fullhouse openapi`.
pub fn document() -> Value {
    let (_, document) = crate::http::api_routes().split_for_parts();
    fullhouse_core::openapi::finish(document)
}
