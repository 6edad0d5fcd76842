//! The OpenAPI 3.1 document at `/api/openapi.json`, built from the routes themselves (utoipa), so a
//! route cannot exist without being documented.
//!
//! [`finish`] then adds, in one place, what every operation shares instead of repeating it in
//! every annotation: the error answers each operation can give (all in the one error shape, with
//! the codes of their status), the shape of `details`, and a few repairs of what utoipa writes
//! (flattened structs become one object; query parameters are never `null`).

use std::collections::BTreeSet;

use crate::error::{ErrorBody, ErrorCode, ErrorObject};
use crate::tabular::ExportFormat;
use crate::FieldError;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fullhouse API",
        description = "Audience and campaign engine for event ticketing.\n\n\
            Authenticate with `Authorization: Bearer <token>` (an API token, or the token `POST /api/v1/auth/login` returns).\n\n\
            Every error has the shape `{\"error\": {\"code\", \"message\", \"details\"}}`; the codes are listed in the `ErrorCode` schema, \
            and each operation lists the statuses it can answer with the codes each status carries. \
            `400` means the request has the wrong shape (a malformed body or id); `422` means it has the right shape but breaks a rule \
            (an empty name, an unknown customer, an event not on sale).\n\n\
            Lists are paginated with `?limit=` and `?cursor=` (the `next_cursor` of the previous page).",
        license(name = "AGPL-3.0-or-later")
    ),
    security(("bearer" = [])),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody, ErrorObject, ErrorCode, FieldError, ExportFormat))
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

/// Final touches once every route is in; the answer of `GET /api/openapi.json`.
pub fn finish(document: Document) -> Value {
    let mut doc = serde_json::to_value(&document).unwrap_or_else(|err| {
        tracing::error!(error = %err, "the OpenAPI document does not serialize");
        json!({})
    });
    merge_flattened_objects(&mut doc);
    close_enum_variants(&mut doc);
    widen_unsigned_integers(&mut doc);
    describe_error_details(&mut doc);
    tidy_parameters(&mut doc);
    add_error_responses(&mut doc);
    doc
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Calls `f(path, method, operation)` for every operation of the document.
fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                f(path, method, operation);
            }
        }
    }
}

/// `#[serde(flatten)]` makes utoipa write `allOf: [<the flattened struct>, <the other fields>]`.
/// When the flattened struct denies unknown fields (`additionalProperties: false`), no value can
/// satisfy both halves: the `Segment` schema refused its own `id`. Every such `allOf` of plain
/// objects becomes the one object serde reads and writes: all the properties, all the required
/// names, closed only when the struct itself denies unknown fields.
fn merge_flattened_objects(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    merge_in(doc, &schemas);
}

fn merge_in(value: &mut Value, schemas: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(merged) = merged_all_of(map, schemas) {
                *map = merged;
            }
            for child in map.values_mut() {
                merge_in(child, schemas);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| merge_in(item, schemas)),
        _ => {}
    }
}

fn merged_all_of(map: &Map<String, Value>, schemas: &Value) -> Option<Map<String, Value>> {
    let parts = map.get("allOf")?.as_array()?;
    if parts.len() < 2 {
        return None;
    }
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = None;
    for part in parts {
        let (object, inline) = match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => (
                schemas.get(reference.strip_prefix("#/components/schemas/")?)?,
                false,
            ),
            None => (part, true),
        };
        let is_plain_object = object.get("type") == Some(&json!("object"))
            && ["allOf", "oneOf", "anyOf", "enum"]
                .iter()
                .all(|k| object.get(k).is_none());
        if !is_plain_object {
            return None;
        }
        if let Some(props) = object.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        for name in object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
        if inline {
            let denies = object.get("additionalProperties") == Some(&json!(false));
            closed = Some(closed.unwrap_or(true) && denies);
        }
    }
    let mut merged: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    merged.insert("type".into(), json!("object"));
    merged.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        merged.insert("required".into(), Value::Array(required));
    }
    if closed == Some(true) {
        merged.insert("additionalProperties".into(), json!(false));
    }
    Some(merged)
}

/// The enums tagged by `kind` whose serde derive denies unknown fields; utoipa does not say so,
/// so the document let clients send fields the server then refused. (A test below checks that
/// each of them really refuses one.)
pub const CLOSED_TAGGED_ENUMS: [&str; 3] = ["Filter", "Generate", "DiscountRule"];

/// Enum variants are closed objects: an externally tagged variant (`{"count": 2}`) is a map with
/// exactly one key, and the variants of [`CLOSED_TAGGED_ENUMS`] deny unknown fields.
fn close_enum_variants(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        let closed_enum = CLOSED_TAGGED_ENUMS.contains(&name.as_str());
        let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        for variant in variants {
            let Some(variant) = variant.as_object_mut() else {
                continue;
            };
            if variant.get("type") != Some(&json!("object"))
                || variant.contains_key("additionalProperties")
            {
                continue;
            }
            let properties = variant.get("properties").and_then(Value::as_object);
            let single_key = properties.is_some_and(|p| {
                p.len() == 1
                    && variant.get("required")
                        == Some(&json!(p.keys().cloned().collect::<Vec<_>>()))
            });
            if closed_enum || single_key {
                variant.insert("additionalProperties".into(), json!(false));
            }
        }
    }
}

/// utoipa writes `u32` as `{"format": "int32", "minimum": 0}` and `u64` as `int64`: formats of
/// *signed* integers, so the document said 2^31 was out of range while the server read it
/// (schemathesis sent `header_rows.count = 2147483648` as invalid data and saw it accepted). Unsigned
/// integers get their real upper bound instead (`u8` and `u16` fields read as `u32` here: the
/// document is then wider than the server, which answers 422, never narrower).
fn widen_unsigned_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // `Option<u64>` is `"type": ["integer", "null"]`.
            let integer = match map.get("type") {
                Some(Value::String(kind)) => kind == "integer",
                Some(Value::Array(kinds)) => kinds.contains(&json!("integer")),
                _ => false,
            };
            let unsigned =
                integer && map.get("minimum") == Some(&json!(0)) && !map.contains_key("maximum");
            if unsigned {
                match map.get("format").and_then(Value::as_str) {
                    Some("int32") => {
                        map.insert("format".into(), json!("int64"));
                        map.insert("maximum".into(), json!(u32::MAX));
                    }
                    Some("int64") => {
                        map.remove("format");
                        map.insert("maximum".into(), json!(u64::MAX));
                    }
                    _ => {}
                }
            }
            map.values_mut().for_each(widen_unsigned_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(widen_unsigned_integers),
        _ => {}
    }
}

/// `details` is always an object (`{}` when there is nothing to add); these are its keys.
fn describe_error_details(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    schemas.insert(
        "ErrorDetails".into(),
        json!({
            "type": "object",
            "description": "Machine-readable details of an error: `{}` when there is nothing to add.",
            "properties": {
                "fields": {
                    "type": "array",
                    "description": "`validation`: every failing field, or cell of an uploaded file.",
                    "items": {"$ref": "#/components/schemas/FieldError"}
                },
                "field": {
                    "type": "string",
                    "description": "`conflict`: the field whose value is taken."
                },
                "kind": {
                    "type": "string",
                    "description": "`invalid_id`: the kind of id expected (`audience`, `customer`, …)."
                },
                "value": {
                    "type": "string",
                    "description": "`invalid_id`: the value given, cut to 64 characters."
                }
            }
        }),
    );
    if let Some(object) = schemas.get_mut("ErrorObject") {
        if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
            let description = properties
                .get("details")
                .and_then(|d| d.get("description"))
                .cloned();
            let mut details = json!({"$ref": "#/components/schemas/ErrorDetails"});
            if let Some(description) = description {
                details = json!({"allOf": [details], "description": description});
            }
            properties.insert("details".into(), details);
        }
    }
}

/// A query or path parameter is absent or a value, never JSON `null`: utoipa writes `Option<T>`
/// as `[T, "null"]`, which told clients `?limit=null` was fine.
fn tidy_parameters(doc: &mut Value) {
    for_each_operation(doc, |_, _, operation| {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        for parameter in parameters {
            if let Some(schema) = parameter.get_mut("schema") {
                drop_null(schema);
            }
        }
    });
}

fn drop_null(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    for combinator in ["oneOf", "anyOf"] {
        let Some(Value::Array(options)) = map.get_mut(combinator) else {
            continue;
        };
        options.retain(|o| o.get("type") != Some(&json!("null")));
        if options.len() == 1 {
            let only = options.remove(0);
            map.remove(combinator);
            if let Value::Object(only) = only {
                for (k, v) in only {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// The error statuses, each as a shared response (`#/components/responses/<name>`) whose body is
/// the one error shape with the codes that status carries.
const ERROR_RESPONSES: [(u16, &str, &str); 10] = [
    (
        400,
        "BadRequest",
        "The request has the wrong shape: a body that is not JSON or not the expected structure, or an id in the path that is not an id of the right kind.",
    ),
    (401, "Unauthorized", "No valid session or API token."),
    (
        403,
        "Forbidden",
        "The caller's role does not allow this, or (with the session cookie) the CSRF token is missing.",
    ),
    (
        404,
        "NotFound",
        "The resource, or one the request names, does not exist in the caller's organization.",
    ),
    (
        409,
        "Conflict",
        "The change conflicts with existing data (a taken name or code, a sold seat, a resource still in use).",
    ),
    (413, "PayloadTooLarge", "The body is larger than this route accepts."),
    (
        415,
        "UnsupportedMediaType",
        "The body's `Content-Type` is not one this route reads.",
    ),
    (
        422,
        "Unprocessable",
        "The request has the right shape but breaks a rule; `details.fields` names every failing field.",
    ),
    (429, "TooManyRequests", "Too many requests; try again in a moment."),
    (
        500,
        "Internal",
        "Something went wrong on our side; the server log has the details.",
    ),
];

fn add_error_responses(doc: &mut Value) {
    let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else {
        return;
    };
    let responses = components.entry("responses").or_insert_with(|| json!({}));
    if let Some(responses) = responses.as_object_mut() {
        for (status, name, description) in ERROR_RESPONSES {
            let codes: Vec<&str> = ErrorCode::ALL
                .iter()
                .filter(|c| c.status().as_u16() == status)
                .map(|c| c.as_str())
                .collect();
            let listed = codes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            responses.insert(
                name.into(),
                json!({
                    "description": format!("{description} Codes: {listed}."),
                    "content": {"application/json": {"schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/ErrorBody"},
                            {"type": "object", "properties": {"error": {"type": "object", "properties": {
                                "code": {"type": "string", "enum": codes}
                            }}}}
                        ]
                    }}}
                }),
            );
        }
    }
    for_each_operation(doc, |path, method, operation| {
        let statuses = error_statuses(path, method, operation);
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        for (status, name, _) in ERROR_RESPONSES {
            let key = status.to_string();
            let answered_by_hand = responses.get(&key).is_some_and(|r| !is_error_body(r));
            if statuses.contains(&status) && !answered_by_hand {
                responses.insert(
                    key,
                    json!({"$ref": format!("#/components/responses/{name}")}),
                );
            }
        }
    });
}

/// Whether a response an annotation wrote is the one error shape (then the shared response,
/// with its codes, replaces it).
fn is_error_body(response: &Value) -> bool {
    response
        .pointer("/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        == Some("#/components/schemas/ErrorBody")
}

/// The error statuses an operation can answer, from what it takes: every operation can fail
/// inside (500); signed-in ones can be refused (401, 403); anything that reads a path id or a
/// body can be malformed (400), name something missing (404) or break a rule (422); bodies can
/// be too large (413) or of the wrong type (415); writes can conflict (409); every `/api/v1`
/// route is rate limited (429). Statuses an annotation already lists stay.
fn error_statuses(path: &str, method: &str, operation: &Map<String, Value>) -> BTreeSet<u16> {
    let mut statuses = BTreeSet::from([500]);
    let api = path.starts_with("/api/v1/");
    // No `security` key means the document's default (a bearer token); `[{}]` means public.
    let signed_in = match operation.get("security").and_then(Value::as_array) {
        None => true,
        Some(requirements) => requirements
            .iter()
            .any(|r| r.as_object().is_some_and(|r| !r.is_empty())),
    };
    let parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let in_path = parameters.iter().any(|p| p["in"] == "path");
    let in_query = parameters.iter().any(|p| p["in"] == "query");
    let body = operation.contains_key("requestBody");
    let write = method != "get";
    if signed_in {
        statuses.extend([401, 403]);
    }
    if in_path || body {
        statuses.extend([400, 404, 422]);
    }
    if in_query {
        statuses.insert(422);
    }
    if body {
        statuses.extend([413, 415]);
    }
    if api && write {
        statuses.insert(409);
    }
    if api {
        statuses.insert(429);
    }
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_objects_merge_into_one() {
        let schemas = json!({"Inner": {"type": "object", "properties": {"a": {"type": "string"}},
            "required": ["a"], "additionalProperties": false}});
        let mut outer = json!({"description": "outer", "allOf": [
            {"$ref": "#/components/schemas/Inner"},
            {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}
        ]});
        merge_in(&mut outer, &schemas);
        assert_eq!(
            outer,
            json!({"description": "outer", "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                "required": ["a", "b"]})
        );
    }
}
