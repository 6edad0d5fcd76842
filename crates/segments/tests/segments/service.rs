//! Segments and views through the service: create, edit, remove, restore, saved views.

use fullhouse_core::Error;
use fullhouse_segments::model::*;
use fullhouse_segments::service::{Listing, SegmentService};
use fullhouse_testkit::both_backends;

use crate::data;
use crate::{fixture, Fixture};

fn new_segment(name: &str) -> NewSegment {
    NewSegment {
        name: name.into(),
        description: Some("Opera lovers".into()),
        event_filter: EventFilter {
            categories: vec!["A".into()],
            ..Default::default()
        },
        days_back: 120,
        excluded: None,
    }
}

both_backends! {
    setup = fixture;

    async fn a_removed_segment_leaves_the_list_and_comes_back_when_restored(fx: Fixture) {
        let org = data::new_org(&fx.db, "crud").await;
        let other = data::new_org(&fx.db, "other").await;
        let segments = SegmentService::new(fx.db.clone());
        let created = segments.create(&org, new_segment("Opera")).await.expect("create");
        assert_eq!(created.definition.days_back, 120);
        let edited = segments
            .update(&org, &created.id, SegmentPatch {
                days_back: Some(30),
                description: Some(None),
                ..Default::default()
            })
            .await
            .expect("update");
        assert_eq!(edited.definition.days_back, 30);
        assert_eq!(edited.description, None);
        assert_eq!(edited.definition.event_filter.categories, vec!["A".to_string()]);

        segments.remove(&org, &created.id).await.expect("remove");
        assert!(segments.list(&org, Listing::Active).await.expect("list").is_empty());
        let removed = segments.list(&org, Listing::Removed).await.expect("list");
        assert_eq!(removed.len(), 1);
        assert!(removed[0].removed_at.is_some());
        let restored = segments.restore(&org, &created.id).await.expect("restore");
        assert_eq!(restored.removed_at, None);
        assert_eq!(segments.list(&org, Listing::Active).await.expect("list").len(), 1);

        let foreign = segments.segment(&other, &created.id).await;
        assert!(matches!(foreign, Err(Error::NotFound("segment"))), "{foreign:?}");
        fx.finish().await;
    }

    async fn bad_segments_and_views_name_every_bad_field(fx: Fixture) {
        let org = data::new_org(&fx.db, "bad").await;
        let segments = SegmentService::new(fx.db.clone());
        let mut bad = new_segment(" ");
        bad.days_back = 100_000;
        bad.event_filter.from = chrono::NaiveDate::from_ymd_opt(2026, 5, 1);
        bad.event_filter.to = chrono::NaiveDate::from_ymd_opt(2026, 4, 1);
        let err = segments.create(&org, bad).await.expect_err("invalid");
        let details = err.details().to_string();
        for field in ["name", "days_back", "event_filter.to"] {
            assert!(details.contains(&format!("\"{field}\"")), "{field} in {details}");
        }
        let segment = segments.create(&org, new_segment("Jazz")).await.expect("create");
        let err = segments
            .create_view(&org, &segment.id, NewView {
                name: "Young".into(),
                filters: vec![Filter::Age { min: Some(30), max: Some(20) }],
            })
            .await
            .expect_err("invalid");
        assert!(err.details().to_string().contains("filters[0].max"), "{}", err.details());
        fx.finish().await;
    }

    async fn a_saved_view_keeps_its_filters_not_its_members(fx: Fixture) {
        let org = data::new_org(&fx.db, "views").await;
        let segments = SegmentService::new(fx.db.clone());
        let segment = segments.create(&org, new_segment("Ballet")).await.expect("create");
        let filters = vec![
            Filter::Age { min: Some(20), max: Some(40) },
            Filter::Tag { tag: "vip".into(), mode: Inclusion::Exclude },
        ];
        let view = segments
            .create_view(&org, &segment.id, NewView { name: "Young, not VIP".into(), filters: filters.clone() })
            .await
            .expect("view");
        assert_eq!(view.filters, filters);
        let renamed = segments
            .update_view(&org, &segment.id, &view.id, NewView { name: "Renamed".into(), filters: Vec::new() })
            .await
            .expect("update");
        assert_eq!(renamed.name, "Renamed");
        assert!(renamed.filters.is_empty());
        assert_eq!(segments.views(&org, &segment.id).await.expect("views").len(), 1);
        segments.delete_view(&org, &segment.id, &view.id).await.expect("delete");
        assert!(segments.views(&org, &segment.id).await.expect("views").is_empty());
        fx.finish().await;
    }
}
