//! Tests of the customers service: CRUD, search, consents, tags, erasure, bulk ingest and CSV
//! import, on both backends; and property tests of the CSV parser.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use fullhouse_core::events::DomainEvent;
use fullhouse_core::tenancy::model::{Caller, Credential, Role};
use fullhouse_core::tenancy::store::{audit_log, domain_events};
use fullhouse_core::{Error, OrgId, TokenId};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::import::customers::parse_customer_file;
use fullhouse_ticketing::model::customers::*;
use fullhouse_ticketing::outbox::CustomerChanged;
use fullhouse_ticketing::service::sale_facts::{
    customers_by_email, existing_customers, find_buyer, Buyer,
};
use fullhouse_ticketing::service::CustomerService;
use fullhouse_ticketing::store::{customers, orders};
use fullhouse_ticketing::{CustomerId, OrderId};
use proptest::prelude::*;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::fixture::*;

fn service(fx: &Fixture) -> CustomerService {
    CustomerService::new(fx.db.clone())
}

fn owner(org: &OrgId) -> Caller {
    Caller {
        org: org.clone(),
        user: None,
        role: Role::Owner,
        language: "en".into(),
        credential: Credential::ApiToken(TokenId::generate()),
    }
}

fn person(first: &str, last: &str, email: &str) -> NewCustomer {
    NewCustomer {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: Some(email.into()),
        ..NewCustomer::default()
    }
}

/// The validation errors of a result, as `(field, row)` pairs.
fn failing_fields<T: std::fmt::Debug>(result: Result<T, Error>) -> Vec<(String, Option<u64>)> {
    match result {
        Err(Error::Validation { fields, .. }) => {
            fields.into_iter().map(|f| (f.field, f.row)).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn customer_count(fx: &Fixture, org: &OrgId) -> u64 {
    customers::Entity::find()
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .count(&fx.db.reader().clone())
        .await
        .expect("count")
}

/// Windows-1252 agrees with Unicode on every character these tests use (Latin-1).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

both_backends! {
    setup = fixture;

    async fn a_customer_is_created_read_and_patched(fx: Fixture) {
        let customers = service(&fx);
        let mut new = person(" Søren ", "Ærø", "Soren@Example.DK");
        new.country = Some("dk".into());
        new.birth_date = Some("17.05.1980".into());
        new.gender = Some("male".into());
        new.permissions = Some(BTreeMap::from([("newsletter".to_string(), true)]));
        new.tags = Some(vec!["VIP".into()]);
        let created = customers.create(&fx.org, new).await.expect("created");
        assert_eq!(created.first_name.as_deref(), Some("Søren"));
        assert_eq!(created.email.as_deref(), Some("soren@example.dk"));
        assert_eq!(created.country.as_deref(), Some("DK"));
        assert_eq!(created.birth_date.map(|d| d.to_string()).as_deref(), Some("1980-05-17"));
        assert_eq!(created.gender, Some(Gender::Male));
        assert_eq!(created.tags, ["vip"]);
        assert_eq!(created.permissions.len(), 1);
        assert_eq!(created.permissions[0].source, "api");

        let read = customers.customer(&fx.org, &created.id).await.expect("read");
        assert_eq!(read, created);

        let patch: CustomerPatch = serde_json::from_value(serde_json::json!({
            "city": "Marstal", "country": null, "tags": ["abo", "vip"], "latitude": 54.85, "longitude": 10.52
        }))
        .expect("patch");
        let patched = customers.update(&fx.org, &created.id, patch).await.expect("patched");
        assert_eq!(patched.city.as_deref(), Some("Marstal"));
        assert_eq!(patched.country, None);
        assert_eq!(patched.first_name.as_deref(), Some("Søren"), "left out stays");
        assert_eq!(patched.tags, ["abo", "vip"]);
        assert_eq!(patched.created_at, created.created_at);
        assert!(patched.updated_at >= created.updated_at);

        let bad: CustomerPatch = serde_json::from_value(serde_json::json!({
            "email": "not-an-email", "language": "de", "latitude": 95.0
        }))
        .expect("patch");
        let fields = failing_fields(customers.update(&fx.org, &created.id, bad).await);
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["email", "language", "latitude"]);
        fx.finish().await;
    }

    async fn buyers_are_found_by_email_in_any_case_oldest_first_and_only_in_their_organization(fx: Fixture) {
        let customers = service(&fx);
        let ann = customers.create(&fx.org, person("Ann", "Hansen", "ann@example.dk")).await.expect("ann");
        // A later customer with the same address in another case, as an ingest may keep it.
        let later = CustomerId::generate();
        let now = Utc::now();
        customers::ActiveModel {
            organization_id: Set(fx.org.to_string()),
            id: Set(later.to_string()),
            email: Set(Some("ANN@Example.DK".into())),
            subscriber: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(fx.db.writer())
        .await
        .expect("later ann");
        let bo = customers.create(&fx.other_org, person("Bo", "Berg", "bo@example.dk")).await.expect("bo");
        let conn = fx.db.writer();

        let found = customers_by_email(conn, &fx.org, &["ann@example.dk", "bo@example.dk", "nobody@example.dk"]).await.expect("by email");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found.get("ann@example.dk"), Some(&ann.id), "the oldest of the two");
        assert!(customers_by_email(conn, &fx.org, &[]).await.expect("none wanted").is_empty());

        let typed = Buyer { email: "  Ann@EXAMPLE.dk ".into(), first_name: None, last_name: None, phone: None };
        assert_eq!(find_buyer(conn, &fx.org, &typed).await.expect("find"), Some(ann.id.clone()));
        let bad = Buyer { email: "ann at example".into(), ..typed };
        assert_eq!(failing_fields(find_buyer(conn, &fx.org, &bad).await), [("buyer.email".to_string(), None)]);

        let unknown = CustomerId::generate();
        let existing = existing_customers(conn, &fx.org, &[&ann.id, &later, &bo.id, &unknown]).await.expect("existing");
        assert_eq!(existing, [ann.id.clone(), later.clone()].into_iter().collect(), "bo is the other organization's");
        fx.finish().await;
    }

    async fn the_organizers_list_sorts_by_a_column_counts_and_pages_both_ways(fx: Fixture) {
        let customers = service(&fx);
        // Two Hansens to tie on the last name (then by id), and one without a last name.
        for (first, last, email) in [("Cia", "Østergaard", "c@x.dk"), ("Ann", "Hansen", "a@x.dk"), ("Bo", "Andersen", "b@x.dk"), ("Dan", "Hansen", "d@x.dk")] {
            customers.create(&fx.org, person(first, last, email)).await.expect("customer");
        }
        customers.create(&fx.org, NewCustomer { first_name: Some("Eva".into()), ..NewCustomer::default() }).await.expect("no last name");
        customers.create(&fx.other_org, person("Zed", "Other", "z@x.dk")).await.expect("other org");
        let query = |cursor: Option<String>| CustomerQuery { cursor, limit: Some(2), ..CustomerQuery::default() };
        let names = |items: &[Customer]| items.iter().map(|c| c.first_name.clone().unwrap_or_default()).collect::<Vec<_>>();
        let first = customers.browse(&fx.org, &query(None), CustomerSort::Name, false).await.expect("first");
        assert_eq!(first.total, 5, "only this organization's customers");
        assert_eq!(first.prev_cursor, None);
        let second = customers.browse(&fx.org, &query(first.next_cursor.clone()), CustomerSort::Name, false).await.expect("second");
        let third = customers.browse(&fx.org, &query(second.next_cursor.clone()), CustomerSort::Name, false).await.expect("third");
        let mut all = [names(&first.items), names(&second.items), names(&third.items)].concat();
        // No last name sorts first; the Hansens tie and keep their id (creation) order.
        assert_eq!(all[..2], ["Eva".to_string(), "Bo".to_string()]);
        let hansens: Vec<&String> = all[2..4].iter().collect();
        assert!(hansens.contains(&&"Ann".to_string()) && hansens.contains(&&"Dan".to_string()), "{all:?}");
        assert_eq!(all.len(), 5);
        assert_eq!(third.next_cursor, None);
        let back = customers.browse(&fx.org, &query(third.prev_cursor.clone()), CustomerSort::Name, false).await.expect("back");
        assert_eq!(names(&back.items), names(&second.items));
        let descending = customers.browse(&fx.org, &CustomerQuery { limit: Some(10), ..CustomerQuery::default() }, CustomerSort::Name, true).await.expect("descending");
        all.reverse();
        assert_eq!(names(&descending.items), all);
        let by_email = customers.browse(&fx.org, &CustomerQuery { limit: Some(1), ..CustomerQuery::default() }, CustomerSort::Email, false).await.expect("email");
        assert_eq!(names(&by_email.items), ["Eva"], "no email sorts first");
        let tagged = CustomerQuery { q: Some("hansen".into()), ..CustomerQuery::default() };
        assert_eq!(customers.browse(&fx.org, &tagged, CustomerSort::Added, false).await.expect("search").total, 2);
        fx.finish().await;
    }

    async fn the_list_searches_filters_by_tag_and_pages(fx: Fixture) {
        let customers = service(&fx);
        // "hansen1" in the email would match `hansen_` if `_` were a wildcard.
        let mut ann = person("Ann", "Hansen", "ann.hansen1@example.dk");
        ann.phone = Some("+45 12 34 56 78".into());
        ann.tags = Some(vec!["vip".into()]);
        ann.external_id = Some("EXT-7".into());
        let ann = customers.create(&fx.org, ann).await.expect("ann");
        let mut bo = person("Bo", "Hansen", "bo@example.dk");
        bo.company = Some("Hansen_Lys A/S".into());
        let bo = customers.create(&fx.org, bo).await.expect("bo");
        for i in 0..3 {
            let mut other = person("Carla", &format!("Nielsen{i}"), &format!("c{i}@example.fr"));
            other.tags = Some(vec!["vip".into()]);
            customers.create(&fx.org, other).await.expect("other");
        }
        customers
            .create(&fx.other_org, person("Ann", "Hansen", "ann@other.dk"))
            .await
            .expect("other org");

        let find = |q: &str| CustomerQuery { q: Some(q.to_string()), ..CustomerQuery::default() };
        let ids = |page: fullhouse_core::http::Page<Customer>| -> Vec<CustomerId> {
            page.items.into_iter().map(|c| c.id).collect()
        };
        assert_eq!(ids(customers.list(&fx.org, &find("HANSEN")).await.expect("q")), [ann.id.clone(), bo.id.clone()]);
        assert_eq!(ids(customers.list(&fx.org, &find("ann hansen")).await.expect("q")), vec![ann.id.clone()]);
        assert_eq!(ids(customers.list(&fx.org, &find("12345678")).await.expect("q")), vec![ann.id.clone()]);
        assert_eq!(ids(customers.list(&fx.org, &find("ext-7")).await.expect("q")), vec![ann.id.clone()]);
        assert_eq!(ids(customers.list(&fx.org, &find(&bo.id.to_string().to_lowercase())).await.expect("q")), vec![bo.id.clone()]);
        assert_eq!(ids(customers.list(&fx.org, &find("hansen_")).await.expect("q")), vec![bo.id.clone()], "_ is not a wildcard");
        assert!(customers.list(&fx.org, &find("%")).await.expect("q").items.is_empty(), "% is not a wildcard");

        let tagged = CustomerQuery { tag: Some("VIP".into()), limit: Some(3), ..CustomerQuery::default() };
        let first = customers.list(&fx.org, &tagged).await.expect("page 1");
        assert_eq!(first.items.len(), 3);
        assert!(first.items.iter().all(|c| c.tags == ["vip"]));
        let cursor = first.next_cursor.clone().expect("a second page");
        let second = customers
            .list(&fx.org, &CustomerQuery { cursor: Some(cursor), ..tagged.clone() })
            .await
            .expect("page 2");
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.next_cursor, None);
        assert!(second.items[0].id > first.items[2].id);

        let bad_tag = CustomerQuery { tag: Some("no spaces".into()), ..CustomerQuery::default() };
        assert_eq!(failing_fields(customers.list(&fx.org, &bad_tag).await), [("tag".to_string(), None)]);
        fx.finish().await;
    }

    async fn a_permission_change_records_its_time_and_source(fx: Fixture) {
        let customers = service(&fx);
        let mut new = person("Ann", "Hansen", "ann@example.dk");
        new.permissions = Some(BTreeMap::from([("newsletter".to_string(), true)]));
        new.permission_source = Some("signup-form".into());
        let created = customers.create(&fx.org, new).await.expect("created");
        let given = created.permissions[0].clone();
        assert_eq!((given.permission.as_str(), given.granted, given.source.as_str()), ("newsletter", true, "signup-form"));

        // Sending the same consent again in a patch keeps the time it was really given.
        let same: CustomerPatch = serde_json::from_value(serde_json::json!({"permissions": {"newsletter": true}}))
            .expect("patch");
        let kept = customers.update(&fx.org, &created.id, same).await.expect("patched");
        assert_eq!(kept.permissions, vec![given.clone()]);

        let before = Utc::now();
        let changed = customers
            .set_permission(&fx.org, &created.id, "Newsletter", PermissionChange { granted: false, source: "unsubscribe-link".into() })
            .await
            .expect("changed");
        let now = &changed.permissions[0];
        assert!(!now.granted);
        assert_eq!(now.source, "unsubscribe-link");
        assert!(now.changed_at >= before - Duration::seconds(1) && now.changed_at > given.changed_at);

        let bad = customers
            .set_permission(&fx.org, &created.id, "news letter", PermissionChange { granted: true, source: "x".into() })
            .await;
        assert_eq!(failing_fields(bad), [("permission".to_string(), None)]);
        let empty_source = customers
            .set_permission(&fx.org, &created.id, "newsletter", PermissionChange { granted: true, source: " ".into() })
            .await;
        assert_eq!(failing_fields(empty_source), [("source".to_string(), None)]);
        fx.finish().await;
    }

    async fn tags_are_added_once_and_removed_idempotently(fx: Fixture) {
        let customers = service(&fx);
        let created = customers.create(&fx.org, person("Ann", "Hansen", "ann@example.dk")).await.expect("created");
        customers.add_tag(&fx.org, &created.id, "VIP").await.expect("tag");
        let twice = customers.add_tag(&fx.org, &created.id, "vip").await.expect("tag again");
        assert_eq!(twice.tags, ["vip"]);
        customers.remove_tag(&fx.org, &created.id, "vip").await.expect("untag");
        customers.remove_tag(&fx.org, &created.id, "vip").await.expect("untag again");
        assert!(customers.customer(&fx.org, &created.id).await.expect("read").tags.is_empty());
        assert_eq!(failing_fields(customers.add_tag(&fx.org, &created.id, "a b").await), [("tag".to_string(), None)]);
        fx.finish().await;
    }

    async fn a_bulk_tag_adds_only_where_missing_and_its_removal_only_where_present(fx: Fixture) {
        let customers = service(&fx);
        let had = customers.create(&fx.org, person("Ann", "Hansen", "ann@example.dk")).await.expect("ann");
        customers.add_tag(&fx.org, &had.id, "vip").await.expect("tag");
        let lacked = customers.create(&fx.org, person("Bo", "Berg", "bo@example.dk")).await.expect("bo");
        let gone = CustomerId::generate().to_string();
        let ids = vec![had.id.to_string(), lacked.id.to_string(), gone, lacked.id.to_string()];
        let txn = fx.db.begin_write().await.expect("txn");
        let added = CustomerService::add_tag_to_many(&txn, &fx.org, &ids, "VIP", Utc::now()).await.expect("added");
        txn.commit().await.expect("commit");
        assert_eq!(added, [lacked.id.to_string()], "only the customer who lacked it, once");
        assert_eq!(customers.customer(&fx.org, &lacked.id).await.expect("bo").tags, ["vip"]);

        let txn = fx.db.begin_write().await.expect("txn");
        let removed = CustomerService::remove_tag_from_many(&txn, &fx.org, &added, "vip", Utc::now()).await.expect("removed");
        let again = CustomerService::remove_tag_from_many(&txn, &fx.org, &added, "vip", Utc::now()).await.expect("again");
        txn.commit().await.expect("commit");
        assert_eq!(removed, [lacked.id.to_string()]);
        assert!(again.is_empty());
        assert_eq!(customers.customer(&fx.org, &had.id).await.expect("ann").tags, ["vip"], "kept what she had");
        assert!(customers.customer(&fx.org, &lacked.id).await.expect("bo").tags.is_empty());
        let changes = domain_events::Entity::find()
            .filter(domain_events::Column::OrganizationId.eq(fx.org.as_str()))
            .filter(domain_events::Column::Kind.eq(CustomerChanged::KIND))
            .filter(domain_events::Column::SubjectId.eq(lacked.id.as_str()))
            .count(fx.db.reader())
            .await
            .expect("events");
        assert_eq!(changes, 3, "created, tagged, untagged");
        let bad = {
            let txn = fx.db.begin_write().await.expect("txn");
            CustomerService::add_tag_to_many(&txn, &fx.org, &ids, "a b", Utc::now()).await
        };
        assert_eq!(failing_fields(bad), [("tag".to_string(), None)]);
        fx.finish().await;
    }

    async fn erasure_anonymizes_a_customer_with_orders_and_deletes_one_without(fx: Fixture) {
        let customers = service(&fx);
        let mut buyer = person("Ann", "Hansen", "ann@example.dk");
        buyer.external_id = Some("EXT-1".into());
        buyer.phone = Some("12345678".into());
        buyer.tags = Some(vec!["vip".into()]);
        buyer.permissions = Some(BTreeMap::from([("newsletter".to_string(), true)]));
        let buyer = customers.create(&fx.org, buyer).await.expect("buyer");
        let order_id = OrderId::generate();
        orders::ActiveModel {
            organization_id: Set(fx.org.to_string()),
            id: Set(order_id.to_string()),
            external_id: Set(None),
            customer_id: Set(Some(buyer.id.to_string())),
            channel: Set("online".into()),
            status: Set("completed".into()),
            total_minor: Set(45_000),
            currency: Set("DKK".into()),
            source: Set("test".into()),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            cancelled_at: Set(None),
            referral_code: Set(None),
        }
        .insert(fx.db.writer())
        .await
        .expect("order");
        let export = customers.export(&owner(&fx.org), &buyer.id).await.expect("export");
        assert_eq!(export.customer.email.as_deref(), Some("ann@example.dk"));
        assert_eq!(export.orders.iter().map(|o| o.id.clone()).collect::<Vec<_>>(), vec![order_id.clone()]);

        let erased = customers.erase(&owner(&fx.org), &buyer.id).await.expect("erased");
        assert_eq!(erased.outcome, ErasureOutcome::Anonymized);
        let left = customers.customer(&fx.org, &buyer.id).await.expect("row stays");
        assert_eq!(
            (left.first_name, left.last_name, left.email, left.phone, left.external_id),
            (None, None, None, None, None)
        );
        assert!(left.tags.is_empty() && left.permissions.is_empty());
        let order = orders::Entity::find_by_id((fx.org.to_string(), order_id.to_string()))
            .one(fx.db.reader())
            .await
            .expect("read order")
            .expect("the order stays");
        assert_eq!(order.customer_id.as_deref(), Some(buyer.id.as_str()));

        let browser = customers.create(&fx.org, person("Bo", "Berg", "bo@example.dk")).await.expect("browser");
        let erased = customers.erase(&owner(&fx.org), &browser.id).await.expect("erased");
        assert_eq!(erased.outcome, ErasureOutcome::Deleted);
        assert!(matches!(customers.customer(&fx.org, &browser.id).await, Err(Error::NotFound(_))));

        let audit = audit_log::Entity::find()
            .filter(audit_log::Column::OrganizationId.eq(fx.org.as_str()))
            .all(fx.db.reader())
            .await
            .expect("audit");
        let actions: Vec<(&str, &str)> = audit.iter().map(|a| (a.action.as_str(), a.subject.as_str())).collect();
        assert!(actions.contains(&("customer.exported", buyer.id.as_str())), "{actions:?}");
        assert!(actions.contains(&("customer.erased", buyer.id.as_str())), "{actions:?}");
        assert!(actions.contains(&("customer.erased", browser.id.as_str())), "{actions:?}");
        fx.finish().await;
    }

    async fn every_change_records_a_customer_changed_event(fx: Fixture) {
        let customers = service(&fx);
        let created = customers.create(&fx.org, person("Ann", "Hansen", "ann@example.dk")).await.expect("created");
        customers.update(&fx.org, &created.id, CustomerPatch { city: Some(Some("Aarhus".into())), ..CustomerPatch::default() })
            .await
            .expect("patched");
        customers.add_tag(&fx.org, &created.id, "vip").await.expect("tagged");
        customers.add_tag(&fx.org, &created.id, "vip").await.expect("no change");
        customers.erase(&owner(&fx.org), &created.id).await.expect("erased");
        let changes: Vec<String> = domain_events::Entity::find()
            .filter(domain_events::Column::OrganizationId.eq(fx.org.as_str()))
            .filter(domain_events::Column::Kind.eq(CustomerChanged::KIND))
            .filter(domain_events::Column::SubjectId.eq(created.id.as_str()))
            .all(fx.db.reader())
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.payload["change"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(changes, ["created", "updated", "updated", "erased"]);
        fx.finish().await;
    }

    async fn a_bulk_upserts_by_external_id(fx: Fixture) {
        let customers = service(&fx);
        let mut existing = person("Ann", "Hansen", "ann@example.dk");
        existing.external_id = Some("EXT-1".into());
        existing.tags = Some(vec!["vip".into()]);
        existing.permissions = Some(BTreeMap::from([("newsletter".to_string(), true)]));
        let existing = customers.create(&fx.org, existing).await.expect("existing");

        let mut items: Vec<NewCustomer> = (0..1200)
            .map(|i| {
                let mut item = person("Guest", &format!("No{i}"), &format!("guest{i}@example.dk"));
                item.external_id = Some(format!("EXT-{}", i + 2));
                item.tags = Some(vec!["imported".into()]);
                item.permissions = Some(BTreeMap::from([("newsletter".to_string(), i % 2 == 0)]));
                item
            })
            .collect();
        let mut update = person("Ann", "Hansen-Berg", "ann@example.dk");
        update.external_id = Some("EXT-1".into());
        update.tags = Some(vec!["imported".into()]);
        update.permissions = Some(BTreeMap::from([("newsletter".to_string(), true), ("partners".to_string(), false)]));
        items.insert(5, update);

        let outcome = customers.bulk_upsert(&fx.org, items).await.expect("bulk");
        assert_eq!((outcome.created, outcome.updated), (1200, 1));
        assert_eq!(outcome.ids.len(), 1201);
        assert_eq!(outcome.ids[5], existing.id);
        assert_eq!(customer_count(&fx, &fx.org).await, 1201);

        let ann = customers.customer(&fx.org, &existing.id).await.expect("ann");
        assert_eq!(ann.last_name.as_deref(), Some("Hansen-Berg"));
        assert_eq!(ann.tags, ["imported", "vip"], "bulk adds tags, never removes them");
        assert_eq!(ann.permissions.len(), 2);
        assert_eq!(ann.permissions[0].changed_at, existing.permissions[0].changed_at, "an unchanged consent keeps its time");
        assert_eq!(ann.permissions[1].source, "bulk");

        let guest = customers.customer(&fx.org, &outcome.ids[0]).await.expect("guest");
        assert_eq!(guest.external_id.as_deref(), Some("EXT-2"));
        assert_eq!(guest.tags, ["imported"]);

        // Sending the same batch again creates nobody.
        let again: Vec<NewCustomer> = (0..1200)
            .map(|i| {
                let mut item = person("Guest", &format!("No{i}"), &format!("guest{i}@example.dk"));
                item.external_id = Some(format!("EXT-{}", i + 2));
                item
            })
            .collect();
        let outcome = customers.bulk_upsert(&fx.org, again).await.expect("again");
        assert_eq!((outcome.created, outcome.updated), (0, 1200));
        assert_eq!(customer_count(&fx, &fx.org).await, 1201);
        fx.finish().await;
    }

    async fn a_bulk_with_bad_items_writes_nothing_and_names_each(fx: Fixture) {
        let customers = service(&fx);
        let mut items: Vec<NewCustomer> = (0..6)
            .map(|i| {
                let mut item = person("Guest", "Berg", &format!("guest{i}@example.dk"));
                item.external_id = Some(format!("EXT-{i}"));
                item
            })
            .collect();
        items[3].email = Some("guest3-at-example.dk".into());
        items[4].birth_date = Some("1880-01-01".into());
        items[5].external_id = Some("EXT-0".into());
        let fields = failing_fields(customers.bulk_upsert(&fx.org, items).await);
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["customers[3].email", "customers[4].birth_date", "customers[5].external_id"]);
        assert_eq!(customer_count(&fx, &fx.org).await, 0);

        let too_many = vec![NewCustomer::default(); MAX_BULK + 1];
        assert_eq!(failing_fields(customers.bulk_upsert(&fx.org, too_many).await), [("customers".to_string(), None)]);
        fx.finish().await;
    }

    async fn a_windows_1252_file_with_danish_headers_round_trips(fx: Fixture) {
        let customers = service(&fx);
        let text = "Kunde-ID;Fornavn;Efternavn;E-mail;Telefon;Postnummer;By;Fødselsdato;Køn;Abonnent;Tags;Samtykker;Noter\r\n\
                    K-1;Søren;Ærøskøbing;Soren@Example.dk;+45 12 34 56 78;5970;Ærø;17-05-1980;mand;ja;vip|abonnent;newsletter;ring først\r\n\
                    K-2;Åse;Grønnegård;ase@example.dk;;2100;København Ø;01.02.1975;kvinde;nej;;;\r\n";
        let bytes = windows_1252(text);
        let dry = customers.import_csv(&fx.org, bytes.clone().into(), true).await.expect("dry run");
        assert_eq!((dry.created, dry.updated, dry.rows, dry.dry_run), (2, 0, 2, true));
        assert_eq!(customer_count(&fx, &fx.org).await, 0, "a dry run writes nothing");

        let outcome = customers.import_csv(&fx.org, bytes.clone().into(), false).await.expect("import");
        assert_eq!((outcome.created, outcome.updated, outcome.rows), (2, 0, 2));
        assert_eq!(outcome.ignored_columns, ["Noter"]);

        let page = customers.list(&fx.org, &CustomerQuery::default()).await.expect("list");
        let soren = &page.items[0];
        assert_eq!(soren.external_id.as_deref(), Some("K-1"));
        assert_eq!((soren.first_name.as_deref(), soren.last_name.as_deref()), (Some("Søren"), Some("Ærøskøbing")));
        assert_eq!(soren.email.as_deref(), Some("soren@example.dk"));
        assert_eq!(soren.city.as_deref(), Some("Ærø"));
        assert_eq!(soren.birth_date.map(|d| d.to_string()).as_deref(), Some("1980-05-17"));
        assert_eq!(soren.gender, Some(Gender::Male));
        assert!(soren.subscriber);
        assert_eq!(soren.tags, ["abonnent", "vip"]);
        assert_eq!(soren.permissions[0].source, "import");
        let ase = &page.items[1];
        assert_eq!((ase.first_name.as_deref(), ase.city.as_deref()), (Some("Åse"), Some("København Ø")));
        assert_eq!(ase.gender, Some(Gender::Female));

        let again = customers.import_csv(&fx.org, bytes.into(), false).await.expect("import again");
        assert_eq!((again.created, again.updated), (0, 2), "importing a file twice creates nobody twice");
        assert_eq!(customer_count(&fx, &fx.org).await, 2);
        fx.finish().await;
    }

    async fn a_file_without_external_ids_updates_by_email_and_only_its_columns(fx: Fixture) {
        let customers = service(&fx);
        let mut ann = person("Ann", "Hansen", "ann@example.dk");
        ann.city = Some("Aarhus".into());
        let ann = customers.create(&fx.org, ann).await.expect("ann");
        let file = "Courriel,Téléphone\nANN@example.dk,+33 1 23 45 67 89\nnew@example.fr,0612345678\n";
        let outcome = customers.import_csv(&fx.org, file.as_bytes().to_vec().into(), false).await.expect("import");
        assert_eq!((outcome.created, outcome.updated), (1, 1));
        let ann = customers.customer(&fx.org, &ann.id).await.expect("ann");
        assert_eq!(ann.phone.as_deref(), Some("+33 1 23 45 67 89"));
        assert_eq!((ann.first_name.as_deref(), ann.city.as_deref()), (Some("Ann"), Some("Aarhus")), "columns the file lacks stay");
        fx.finish().await;
    }

    async fn a_broken_file_is_refused_with_row_and_column_and_changes_nothing(fx: Fixture) {
        let customers = service(&fx);
        let mut ann = person("Ann", "Hansen", "ann@example.dk");
        ann.external_id = Some("K-1".into());
        let ann = customers.create(&fx.org, ann).await.expect("ann");

        let unclosed = "Kunde ID,Fornavn,Fødselsdato\nK-1,Anne,1980-01-01\nK-2,\"Bo,1981-01-01\nK-3,Carl,1982-01-01\n";
        let fields = failing_fields(customers.import_csv(&fx.org, unclosed.as_bytes().to_vec().into(), false).await);
        assert_eq!(fields, [("file".to_string(), Some(3))]);

        let bad_date = "Kunde ID,Fornavn,Fødselsdato\nK-1,Anne,1980-01-01\nK-2,Bo \"the\" Berg,31.02.1981\nK-3,Carl,soon\n";
        let fields = failing_fields(customers.import_csv(&fx.org, bad_date.as_bytes().to_vec().into(), false).await);
        assert_eq!(fields, [("Fødselsdato".to_string(), Some(3)), ("Fødselsdato".to_string(), Some(4))]);

        assert_eq!(customer_count(&fx, &fx.org).await, 1);
        let unchanged = customers.customer(&fx.org, &ann.id).await.expect("ann");
        assert_eq!(unchanged, ann);
        fx.finish().await;
    }

    async fn a_customer_export_with_a_sep_line_and_a_title_row_imports_and_errors_name_rows_in_the_file(fx: Fixture) {
        let customers = service(&fx);
        let good = windows_1252("sep=;\nKunder eksporteret 2026-01-05\n\nKunde ID;Fornavn;Fødselsdato\nK-1;Anne;1980-01-01\n");
        let outcome = customers.import_csv(&fx.org, good.into(), false).await.expect("import");
        assert_eq!((outcome.created, outcome.rows), (1, 1));

        let bad = windows_1252("sep=;\nKunder eksporteret 2026-01-05\n\nKunde ID;Fornavn;Fødselsdato\nK-2;Bo;1981-01-01\nK-3;Carl;32-01-1982\n");
        let fields = failing_fields(customers.import_csv(&fx.org, bad.into(), false).await);
        assert_eq!(fields, [("Fødselsdato".to_string(), Some(6))]);

        let unknown = "Kunder\n\nFarve;Størrelse\nrød;M\n";
        let fields = failing_fields(customers.import_csv(&fx.org, unknown.as_bytes().to_vec().into(), false).await);
        assert_eq!(fields, [("file".to_string(), Some(3))], "the header's row, below the title");
        assert_eq!(customer_count(&fx, &fx.org).await, 1);
        fx.finish().await;
    }

    async fn another_organization_never_sees_a_customer(fx: Fixture) {
        let customers = service(&fx);
        let mut ann = person("Ann", "Hansen", "ann@example.dk");
        ann.external_id = Some("EXT-1".into());
        let ann = customers.create(&fx.org, ann).await.expect("ann");
        let other = &fx.other_org;
        let not_found = |r: Result<_, Error>| matches!(r, Err(Error::NotFound("customer")));
        assert!(not_found(customers.customer(other, &ann.id).await.map(|_| ())));
        assert!(not_found(customers.update(other, &ann.id, CustomerPatch::default()).await.map(|_| ())));
        assert!(not_found(customers.add_tag(other, &ann.id, "vip").await.map(|_| ())));
        assert!(not_found(customers.remove_tag(other, &ann.id, "vip").await));
        assert!(not_found(customers
            .set_permission(other, &ann.id, "newsletter", PermissionChange { granted: true, source: "x".into() })
            .await
            .map(|_| ())));
        assert!(not_found(customers.export(&owner(other), &ann.id).await.map(|_| ())));
        assert!(not_found(customers.erase(&owner(other), &ann.id).await.map(|_| ())));
        let search = CustomerQuery { q: Some(ann.id.to_string()), ..CustomerQuery::default() };
        assert!(customers.list(other, &search).await.expect("list").items.is_empty());

        // The same external id in another organization is another customer.
        let mut twin = person("Ann", "Hansen", "ann@example.dk");
        twin.external_id = Some("EXT-1".into());
        let outcome = customers.bulk_upsert(other, vec![twin]).await.expect("bulk");
        assert_eq!((outcome.created, outcome.updated), (1, 0));
        assert_eq!(customers.customer(&fx.org, &ann.id).await.expect("ann"), ann);

        let mut duplicate = person("Bo", "Berg", "bo@example.dk");
        duplicate.external_id = Some("EXT-1".into());
        assert!(matches!(customers.create(&fx.org, duplicate).await, Err(Error::Conflict { .. })));
        fx.finish().await;
    }
}

/// A valid customer file; property tests change one cell of it.
const HEADER: [&str; 8] = [
    "Kunde ID",
    "Fornavn",
    "E-mail",
    "Fødselsdato",
    "Land",
    "Tags",
    "Breddegrad",
    "Længdegrad",
];
const ROWS: [[&str; 8]; 3] = [
    [
        "K-1",
        "Søren",
        "soren@example.dk",
        "17-05-1980",
        "DK",
        "vip|abo",
        "55.67",
        "12.57",
    ],
    [
        "K-2",
        "Hélène",
        "helene@example.fr",
        "1975-03-04",
        "FR",
        "",
        "",
        "",
    ],
    [
        "K-3",
        "Åse",
        "ase@example.no",
        "",
        "NO",
        "vip",
        "\"59,91\"",
        "\"10,75\"",
    ],
];

fn csv_with(row: usize, column: usize, cell: &str) -> String {
    let mut text = HEADER.join(",");
    text.push('\n');
    for (r, cells) in ROWS.iter().enumerate() {
        let line: Vec<&str> = cells
            .iter()
            .enumerate()
            .map(|(c, value)| if (r, c) == (row, column) { cell } else { value })
            .collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    text
}

#[test]
fn the_valid_file_of_the_property_tests_is_valid() {
    let file = parse_customer_file(csv_with(0, 0, "K-1").as_bytes()).expect("valid");
    assert_eq!(file.customers.len(), 3);
    assert_eq!(file.customers[2].profile.latitude, Some(59.91));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Err(errors) = parse_customer_file(&bytes) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.row.is_some_and(|r| r >= 1) && !e.reason.is_empty()));
        }
    }

    #[test]
    fn any_text_in_a_cell_is_read_or_reported_with_its_row(
        row in 0..ROWS.len(),
        column in 0..HEADER.len(),
        cell in any::<String>(),
    ) {
        if let Err(errors) = parse_customer_file(csv_with(row, column, &cell).as_bytes()) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.row.is_some_and(|r| r >= 1) && !e.field.is_empty() && !e.reason.is_empty()));
        }
    }

    /// A quoted cell cannot break the file: any problem is reported on that cell's row only.
    #[test]
    fn a_quoted_cell_only_ever_fails_its_own_row(
        row in 0..ROWS.len(),
        column in prop::sample::select(vec![1usize, 3, 4, 5, 6, 7]),
        cell in "[^\r\n\0]{0,40}",
    ) {
        let quoted = format!("\"{}\"", cell.replace('"', "\"\""));
        match parse_customer_file(csv_with(row, column, &quoted).as_bytes()) {
            Ok(file) => prop_assert_eq!(file.customers.len(), ROWS.len()),
            Err(errors) => {
                let line = row as u64 + 2;
                prop_assert!(errors.iter().all(|e| e.row == Some(line)), "{:?}", errors);
            }
        }
    }
}
