//! The OpenAPI 3.1 document at `/api/openapi.json`, built from the routes themselves (utoipa), so a
//! route cannot exist without being documented.

use fullhouse_core::error::{ErrorBody, ErrorCode, ErrorObject};
use fullhouse_core::FieldError;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fullhouse API",
        description = "Audience and campaign engine for event ticketing.\n\n\
            Authenticate with `Authorization: Bearer <token>` (an API token, or the token `POST /api/v1/auth/login` returns).\n\n\
            Every error has the shape `{\"error\": {\"code\", \"message\", \"details\"}}`; the codes are listed in the `ErrorCode` schema.\n\n\
            Lists are paginated with `?limit=` and `?cursor=` (the `next_cursor` of the previous page).",
        license(name = "AGPL-3.0-or-later")
    ),
    security(("bearer" = [])),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody, ErrorObject, ErrorCode, FieldError))
)]
struct BaseDocument;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document the module routes are added to.
pub fn base_document() -> Document {
    BaseDocument::openapi()
}

/// Final touches once every route is in.
pub fn finish(document: Document) -> Document {
    document
}

/// The whole document, for tests and `fullhouse openapi`.
pub fn document() -> Document {
    let (_, document) = crate::http::api_routes().split_for_parts();
    finish(document)
}
