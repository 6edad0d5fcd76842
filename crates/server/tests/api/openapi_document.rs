//! The assembled OpenAPI document: what every operation shares (errors, ids, limits), checked on
//! the document of every module of this binary.

use fullhouse_server::openapi::document;
use std::collections::BTreeSet;

use fullhouse_core::openapi::CLOSED_TAGGED_ENUMS;
use serde_json::{json, Value};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_string(), op.clone()));
            }
        }
    }
    out
}

/// Resolves a local `$ref` (`#/components/…`), decoding `~1` and `~0`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let doc = document();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(
        all.len() > 100,
        "the walk found too few refs: {}",
        all.len()
    );
    let dangling: BTreeSet<_> = all.iter().filter(|r| resolve(&doc, r).is_none()).collect();
    assert!(dangling.is_empty(), "dangling $refs: {dangling:?}");
    assert!(doc.pointer("/components/schemas/ExportFormat").is_some());
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(operations(&doc).len() > 100);
}

#[test]
fn every_operation_lists_the_errors_it_can_answer() {
    let doc = document();
    for (path, method, op) in operations(&doc) {
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let has = |s: &str| responses.contains_key(s);
        let public = op["security"] == json!([{}]);
        assert!(has("500"), "{method} {path}");
        if !public {
            assert!(has("401") && has("403"), "{method} {path}: 401/403");
        }
        if path.contains('{') {
            for s in ["400", "404", "422"] {
                assert!(has(s), "{method} {path}: {s}");
            }
        }
        if op.get("requestBody").is_some() {
            for s in ["400", "413", "415", "422"] {
                assert!(has(s), "{method} {path}: {s}");
            }
        }
        if path.starts_with("/api/v1/") {
            assert!(has("429"), "{method} {path}: 429");
        }
    }
}

#[test]
fn each_error_status_carries_the_codes_of_that_status() {
    let doc = document();
    let bad_request = &doc["components"]["responses"]["BadRequest"];
    let codes = bad_request
        .pointer("/content/application~1json/schema/allOf/1/properties/error/properties/code/enum")
        .cloned()
        .unwrap_or_default();
    assert_eq!(codes, json!(["malformed_body", "invalid_id"]));
    let forbidden = &doc["components"]["responses"]["Forbidden"];
    let codes = forbidden
        .pointer("/content/application~1json/schema/allOf/1/properties/error/properties/code/enum")
        .cloned()
        .unwrap_or_default();
    assert_eq!(codes, json!(["forbidden", "csrf_failed"]));
}

#[test]
fn error_details_is_an_object_with_its_keys() {
    let doc = document();
    let details = &doc["components"]["schemas"]["ErrorObject"]["properties"]["details"];
    let reference = details
        .get("$ref")
        .or_else(|| details.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert_eq!(reference, "#/components/schemas/ErrorDetails");
    let schema = &doc["components"]["schemas"]["ErrorDetails"];
    assert_eq!(schema["type"], "object");
    for key in ["fields", "field", "kind", "value"] {
        assert!(schema["properties"].get(key).is_some(), "{key}");
    }
}

#[test]
fn path_ids_are_documented_with_their_prefix_and_ulid() {
    let doc = document();
    let mut checked = 0;
    for (path, method, op) in operations(&doc) {
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] != "path" {
                continue;
            }
            let schema = &parameter["schema"];
            let schema = match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(&doc, r).cloned().unwrap_or_default(),
                None => schema.clone(),
            };
            let name = parameter["name"].as_str().unwrap_or_default();
            if name == "id" || name.ends_with("_id") {
                let pattern = schema["pattern"].as_str().unwrap_or_default();
                assert!(
                    pattern.starts_with('^')
                        && pattern.ends_with("_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"),
                    "{method} {path} {name}: {schema}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked}");
    let audience = &doc["components"]["schemas"]["AudienceId"]["pattern"];
    assert_eq!(audience, "^aud_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$");
}

#[test]
fn limit_is_bounded_and_query_parameters_are_never_null() {
    let doc = document();
    let mut limits = 0;
    for (path, method, op) in operations(&doc) {
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            let schema = &parameter["schema"];
            let text = schema.to_string();
            assert!(!text.contains("\"null\""), "{method} {path}: {parameter}");
            if parameter["name"] == "limit" {
                assert_eq!(schema["minimum"], 1, "{method} {path}");
                assert_eq!(schema["maximum"], 500, "{method} {path}");
                limits += 1;
            }
        }
    }
    assert!(limits > 10, "{limits}");
}

/// The properties a (merged) object schema allows, or None when it allows any.
fn allowed(schema: &Value) -> Option<BTreeSet<String>> {
    if schema.get("additionalProperties") != Some(&json!(false)) {
        return None;
    }
    Some(
        schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

#[test]
fn a_segment_schema_allows_its_own_fields() {
    let doc = document();
    let segment = &doc["components"]["schemas"]["Segment"];
    assert!(segment.get("allOf").is_none(), "{segment}");
    for field in ["id", "name", "event_filter", "days_back", "created_at"] {
        assert!(segment["properties"].get(field).is_some(), "{field}");
        if let Some(allowed) = allowed(segment) {
            assert!(allowed.contains(field), "{field}");
        }
    }
}

#[test]
fn an_import_request_can_be_satisfied() {
    let doc = document();
    for name in ["ImportRequest", "PreviewRequest"] {
        let schema = &doc["components"]["schemas"][name];
        assert!(schema.get("allOf").is_none(), "{name}: {schema}");
        let allowed = allowed(schema).unwrap_or_default();
        for field in ["upload_id", "header_rows", "columns"] {
            assert!(allowed.contains(field), "{name}: {field}");
        }
        assert_eq!(schema["required"], json!(["upload_id"]), "{name}");
    }
}

#[test]
fn the_closed_tagged_enums_do_refuse_unknown_fields() {
    use fullhouse_audiences::campaigns::model::DiscountRule;
    use fullhouse_audiences::model::Generate;
    use fullhouse_segments::model::Filter;
    let extra = |mut v: Value| {
        v["unexpected"] = json!(1);
        v
    };
    let filter = json!({"kind": "subscriber", "subscriber": true});
    assert!(serde_json::from_value::<Filter>(filter.clone()).is_ok());
    assert!(serde_json::from_value::<Filter>(extra(filter)).is_err());
    let generate = json!({"kind": "codes", "pattern": "VIP-####", "count": 2});
    assert!(serde_json::from_value::<Generate>(generate.clone()).is_ok());
    assert!(serde_json::from_value::<Generate>(extra(generate)).is_err());
    let discount = json!({"kind": "percent", "percent": 10.0});
    assert!(serde_json::from_value::<DiscountRule>(discount.clone()).is_ok());
    assert!(serde_json::from_value::<DiscountRule>(extra(discount)).is_err());
    let doc = document();
    for name in CLOSED_TAGGED_ENUMS {
        for variant in doc["components"]["schemas"][name]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(variant["additionalProperties"], false, "{name}: {variant}");
        }
    }
    let header_rows = &doc["components"]["schemas"]["HeaderRows"]["oneOf"][1];
    assert_eq!(header_rows["additionalProperties"], false, "{header_rows}");
}

#[test]
fn unsigned_integers_reach_their_real_maximum() {
    let doc = document();
    let count = doc
        .pointer("/components/schemas/HeaderRows/oneOf/1/properties/count")
        .cloned()
        .unwrap_or_default();
    assert_eq!(count["maximum"], json!(u32::MAX), "{count}");
    assert_ne!(count["format"], "int32", "{count}");
    // An optional one too (schemathesis sent `seat_count: 2^63` as invalid data).
    let seats = doc
        .pointer("/components/schemas/SeatMapInput/properties/seat_count")
        .cloned()
        .unwrap_or_default();
    assert_eq!(seats["maximum"], json!(u64::MAX), "{seats}");
    assert!(seats.get("format").is_none(), "{seats}");
}

/// The payment method of a counter sale: an enum of its own, on the sale and on the order.
#[test]
fn the_counter_payment_method_is_documented_on_the_sale_and_the_order() {
    let doc = document();
    assert_eq!(
        doc.pointer("/components/schemas/PaymentMethod/enum"),
        Some(&json!(["cash", "card", "invoice"])),
        "{}",
        doc["components"]["schemas"]["PaymentMethod"]
    );
    for schema in ["CheckoutOrder", "BoxOfficeSale"] {
        let property = &doc["components"]["schemas"][schema]["properties"]["payment_method"];
        let mut found = Vec::new();
        refs(property, &mut found);
        assert!(
            found
                .iter()
                .any(|r| r == "#/components/schemas/PaymentMethod"),
            "{schema}.payment_method: {property}"
        );
    }
}

#[test]
fn orders_and_checkout_orders_name_the_five_states_an_organizer_reads() {
    let doc = document();
    let states = json!([
        "awaiting_payment",
        "paid",
        "expired",
        "cancelled",
        "refunded"
    ]);
    let status_of = |schema: &str| {
        let status = &doc["components"]["schemas"][schema]["properties"]["status"];
        let named = status["$ref"].as_str().and_then(|r| resolve(&doc, r));
        named.unwrap_or(status)["enum"].clone()
    };
    assert_eq!(status_of("Order"), states);
    assert_eq!(status_of("CheckoutOrder"), states);
    let report = &doc["components"]["schemas"]["CampaignReport"]["properties"];
    for field in ["paid_uses", "held_uses", "paid_orders", "held_orders"] {
        assert!(
            report.get(field).is_some(),
            "the campaign report has {field}"
        );
    }
}
