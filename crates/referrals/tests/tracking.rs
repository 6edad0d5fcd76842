//! The tracking link over HTTP on both backends: the redirect, its cookie and headers; every
//! class of hit stored with its reason; duplicates within the hour (also after a restart,
//! from the database); no raw address anywhere in the table; a clean shutdown writes every
//! queued hit; a full queue drops and counts; an unknown code is a 404 page in the visitor's
//! language.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::{Extension, Router};
use chrono::{Duration, Utc};
use fullhouse_checkout::{Checkout, CheckoutModule, ManualClock};
use fullhouse_core::files::FileStore;
use fullhouse_core::http::{AppState, Settings};
use fullhouse_core::module::Module;
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, OrgId};
use fullhouse_referrals::model::{HitClass, NewPromotion, Participant, Scope, Tier};
use fullhouse_referrals::service::SOURCE_PURCHASE;
use fullhouse_referrals::store::referral_hits as hits;
use fullhouse_referrals::tracking::{Hit, Recorder, Tracker};
use fullhouse_referrals::{Referrals, ReferralsModule};
use fullhouse_testkit::{both_backends, TestDb};
use fullhouse_ticketing::model::catalog::{NewEvent, NewProduction};
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::model::venues::NewVenue;
use fullhouse_ticketing::service::{CatalogService, CustomerService, VenueService};
use fullhouse_ticketing::{EventId, Ticketing};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use tokio_util::sync::CancellationToken;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

struct Fixture {
    db: TestDb,
    org: OrgId,
    event: EventId,
    participant: Participant,
    referrals: Referrals,
    clock: ManualClock,
    base: String,
    tracker: Tracker,
    client: reqwest::Client,
    stop: CancellationToken,
    drain: tokio::task::JoinHandle<()>,
}

async fn fixture(backend: Backend) -> Option<Fixture> {
    let db = TestDb::new(
        backend,
        fullhouse_core::module::migrations_with_core(&[
            &Ticketing,
            &CheckoutModule::new(),
            &ReferralsModule::new(CheckoutModule::new()),
        ]),
    )
    .await?;
    fullhouse_web::i18n::install(ReferralsModule::new(CheckoutModule::new()).locales())
        .expect("locales");
    let org = TenancyService::new(db.db.clone())
        .create_organization(NewOrganization {
            name: "Teatret".into(),
            slug: "teatret".into(),
            default_language: "da".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id;
    let venue = VenueService::new(db.db.clone())
        .create_venue(
            &org,
            NewVenue {
                name: "Store Scene".into(),
                address_line: None,
                postal_code: None,
                city: None,
                country: None,
                latitude: None,
                longitude: None,
                timezone: None,
            },
        )
        .await
        .expect("venue");
    let catalog = CatalogService::new(db.db.clone());
    let production = catalog
        .create_production(
            &org,
            NewProduction {
                name: "Hamlet".into(),
                description: None,
                genre: None,
            },
        )
        .await
        .expect("production");
    let event = catalog
        .create_event(
            &org,
            NewEvent {
                production_id: production.id,
                venue_id: venue.id,
                name: None,
                starts_at: Utc::now() + Duration::days(30),
                ends_at: None,
                status: None,
                sales_start: None,
                sales_end: None,
            },
        )
        .await
        .expect("event")
        .id;
    let customer = CustomerService::new(db.db.clone())
        .create(
            &org,
            NewCustomer {
                email: Some("ana@example.dk".into()),
                first_name: Some("Ana".into()),
                ..NewCustomer::default()
            },
        )
        .await
        .expect("customer")
        .id;
    let clock = ManualClock::starting_at(Utc::now());
    let checkout = Checkout::new(db.db.clone()).with_clock(Arc::new(clock.clone()));
    let referrals = Referrals::new(db.db.clone(), checkout, "http://127.0.0.1");
    let promotion = referrals
        .create_promotion(
            &org,
            NewPromotion {
                name: "Bring a friend".into(),
                scope: Scope::Event(event.clone()),
                opens_at: None,
                closes_at: None,
                attribution_days: Some(14),
                counts: None,
                tiers: vec![Tier {
                    tickets: 2,
                    reward: "A drink".into(),
                }],
                staff_emails: Vec::new(),
            },
            "test",
        )
        .await
        .expect("promotion");
    let (participant, _) = referrals
        .enrol(&org, &promotion.id, &customer, None, SOURCE_PURCHASE)
        .await
        .expect("participant");
    let (recorder, drain) = Recorder::new(referrals.clone());
    let tracker = Tracker::new(referrals.clone(), recorder);
    let stop = CancellationToken::new();
    let drain = tokio::spawn(drain.run(stop.clone()));
    let base = serve(&db, tracker.clone(), stop.clone()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(Fixture {
        db,
        org,
        event,
        participant,
        referrals,
        clock,
        base,
        tracker,
        client,
        stop,
        drain,
    })
}

/// The module's pages (the tracking router) on a loopback port, with connect info as
/// `fullhouse serve` has it.
async fn serve(db: &TestDb, tracker: Tracker, stop: CancellationToken) -> String {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let state = AppState {
        db: db.db.clone(),
        files: FileStore::local(&dir.join("files")).expect("files"),
        settings: Arc::new(Settings {
            data_dir: dir,
            public_url: "http://127.0.0.1".into(),
            secure_cookies: false,
            upload_limit_bytes: 1 << 20,
            metrics_token: None,
        }),
    };
    let app: Router = ReferralsModule::new(CheckoutModule::new())
        .pages()
        .layer(Extension(tracker))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
    });
    format!("http://{addr}")
}

impl Fixture {
    fn link(&self) -> String {
        format!("{}/r/{}", self.base, self.participant.code)
    }

    async fn get(&self, agent: &str) -> reqwest::Response {
        self.client
            .get(self.link())
            .header("user-agent", agent)
            .send()
            .await
            .expect("request")
    }

    /// (class, reason) of every stored hit, oldest first.
    async fn hits(&self) -> Vec<(String, String)> {
        self.tracker.recorder().flush().await.expect("flush");
        hits::Entity::find()
            .filter(hits::Column::OrganizationId.eq(self.org.as_str()))
            .order_by_asc(hits::Column::Id)
            .all(self.db.db.reader())
            .await
            .expect("hits")
            .into_iter()
            .map(|h| (h.class, h.reason))
            .collect()
    }

    async fn count(&self) -> u64 {
        hits::Entity::find()
            .filter(hits::Column::OrganizationId.eq(self.org.as_str()))
            .count(self.db.db.reader())
            .await
            .expect("count")
    }

    async fn finish(self) {
        self.stop.cancel();
        let _ = self.drain.await;
        self.db.finish().await;
    }
}

fn pair(class: HitClass, reason: &str) -> (String, String) {
    (class.as_str().to_string(), reason.to_string())
}

both_backends! {
    setup = fixture;

    async fn the_link_redirects_to_the_event_with_the_code_in_a_cookie(fx: Fixture) {
        let response = fx.get(CHROME).await;
        assert_eq!(response.status(), 302);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .unwrap_or_default()
        };
        assert_eq!(
            header("location"),
            format!("/shop/teatret/events/{}?ref={}", fx.event, fx.participant.code)
        );
        assert_eq!(
            header("set-cookie"),
            format!(
                "fh_ref={}; Max-Age={}; Path=/; HttpOnly; SameSite=Lax",
                fx.participant.code,
                14 * 86_400
            )
        );
        assert_eq!(header("cache-control"), "no-store");
        assert_eq!(header("referrer-policy"), "no-referrer");
        // A code retyped in capitals is the same code.
        let upper = fx
            .client
            .get(format!("{}/r/{}", fx.base, fx.participant.code.to_uppercase()))
            .header("user-agent", CHROME)
            .send()
            .await
            .expect("request");
        assert_eq!(upper.status(), 302);
        fx.finish().await;
    }

    async fn every_class_of_hit_is_stored_with_its_reason(fx: Fixture) {
        fx.get(CHROME).await;
        fx.get(CHROME).await;
        fx.get("WhatsApp/2.23.20.0 A").await;
        fx.get("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0").await;
        fx.get("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b").await;
        fx.get("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)").await;
        fx.client
            .head(fx.link())
            .header("user-agent", "Twitterbot/1.0")
            .send()
            .await
            .expect("head");
        fx.client
            .get(fx.link())
            .header("user-agent", CHROME)
            .header("sec-purpose", "prefetch")
            .send()
            .await
            .expect("prefetch");
        fx.client.get(fx.link()).send().await.expect("no agent");
        let hits = fx.hits().await;
        assert_eq!(hits.len(), 9, "{hits:?}");
        assert_eq!(hits[0], pair(HitClass::Human, "browser"));
        assert_eq!(
            hits[1],
            pair(HitClass::Duplicate, "same visitor within 60 minutes of a counted click")
        );
        assert_eq!(hits[2], pair(HitClass::Preview, "WhatsApp"));
        assert_eq!(hits[3], pair(HitClass::Preview, "iMessage"));
        assert_eq!(hits[4], pair(HitClass::Scanner, "Microsoft Defender Safe Links"));
        assert_eq!(hits[5].0, "bot");
        assert!(hits[5].1.starts_with("crawler: "), "{:?}", hits[5]);
        assert_eq!(hits[6], pair(HitClass::Prefetch, "HEAD request"));
        assert_eq!(hits[7], pair(HitClass::Prefetch, "browser prefetch (Sec-Purpose)"));
        assert_eq!(hits[8], pair(HitClass::Bot, "no user agent"));
        // Reports count unique human clicks only.
        let tally = fx.referrals.tally(&fx.org, &fx.participant.id).await.expect("tally");
        assert_eq!(tally.clicks, 1);
        fx.finish().await;
    }

    async fn a_visitor_counts_again_after_the_hour_and_a_restart_remembers(fx: Fixture) {
        fx.get(CHROME).await;
        fx.clock.advance(Duration::minutes(59));
        fx.get(CHROME).await;
        fx.clock.advance(Duration::minutes(2));
        fx.get(CHROME).await;
        // Another browser on the same network is another visitor.
        fx.get("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0").await;
        let classes: Vec<String> = fx.hits().await.into_iter().map(|h| h.0).collect();
        assert_eq!(classes, ["human", "duplicate", "human", "human"]);
        // A fresh recorder (a restart, another node) knows the last counted click from the
        // database.
        let (recorder, drain) = Recorder::new(fx.referrals.clone());
        let stop = CancellationToken::new();
        let running = tokio::spawn(drain.run(stop.clone()));
        let hit = Hit {
            org: fx.org.clone(),
            promotion_id: fx.participant.promotion_id.clone(),
            participant_id: fx.participant.id.clone(),
            at: fx.referrals.now(),
            method: "GET".into(),
            class: HitClass::Human,
            reason: "browser".into(),
            network: "127.0.0.1".parse().expect("address"),
            user_agent: Some(CHROME.into()),
            referer: None,
        };
        assert!(recorder.record(hit));
        recorder.flush().await.expect("flush");
        stop.cancel();
        running.await.expect("drain");
        let last = fx.hits().await.pop().expect("a hit");
        assert_eq!(last.0, "duplicate");
        fx.finish().await;
    }

    async fn no_raw_address_is_ever_stored(fx: Fixture) {
        fx.client
            .get(fx.link())
            .header("user-agent", CHROME)
            .header("referer", "https://mail.example.org/inbox/ana@example.dk?id=7")
            .send()
            .await
            .expect("request");
        fx.tracker.recorder().flush().await.expect("flush");
        let rows = hits::Entity::find()
            .filter(hits::Column::OrganizationId.eq(fx.org.as_str()))
            .all(fx.db.db.reader())
            .await
            .expect("hits");
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        let text = format!("{row:?}");
        assert!(!text.contains("127.0.0"), "{text}");
        assert_eq!(row.visitor.len(), 64);
        assert_eq!(row.network.len(), 64);
        assert_ne!(row.visitor, row.network);
        assert_eq!(row.referer.as_deref(), Some("https://mail.example.org"));
        assert_eq!(row.user_agent.as_deref(), Some(CHROME));
        assert_eq!(row.method, "GET");
        fx.finish().await;
    }

    async fn a_clean_shutdown_writes_every_queued_hit(fx: Fixture) {
        const K: usize = 2_500;
        let (recorder, drain) = Recorder::new(fx.referrals.clone());
        let stop = CancellationToken::new();
        let running = tokio::spawn(drain.run(stop.clone()));
        for i in 0..K {
            let hit = Hit {
                org: fx.org.clone(),
                promotion_id: fx.participant.promotion_id.clone(),
                participant_id: fx.participant.id.clone(),
                at: fx.referrals.now(),
                method: "GET".into(),
                class: HitClass::Human,
                reason: "browser".into(),
                network: format!("10.0.{}.{}", i % 10, i / 10 % 250).parse().expect("address"),
                user_agent: Some(CHROME.into()),
                referer: None,
            };
            assert!(recorder.record(hit), "queued");
        }
        stop.cancel();
        drop(recorder);
        running.await.expect("drain");
        assert_eq!(fx.count().await, K as u64);
        // Ten networks (/24s): the first hit of each counted, the rest duplicates.
        let tally = fx.referrals.tally(&fx.org, &fx.participant.id).await.expect("tally");
        assert_eq!(tally.clicks, 10);
        fx.finish().await;
    }

    async fn a_full_queue_drops_and_counts_but_still_redirects(fx: Fixture) {
        // A recorder whose drain never runs, with room for one hit.
        let (recorder, _drain) = Recorder::with_capacity(fx.referrals.clone(), 1);
        let tracker = Tracker::new(fx.referrals.clone(), recorder.clone());
        let stop = CancellationToken::new();
        let base = serve(&fx.db, tracker, stop.clone()).await;
        for _ in 0..3 {
            let response = fx
                .client
                .get(format!("{base}/r/{}", fx.participant.code))
                .header("user-agent", CHROME)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 302);
        }
        let stats = recorder.stats();
        assert_eq!((stats.accepted, stats.dropped), (1, 2));
        stop.cancel();
        fx.finish().await;
    }

    async fn an_unknown_code_is_a_page_not_found_in_the_visitors_language(fx: Fixture) {
        for (lang, words) in [
            ("da", "Linket findes ikke"),
            ("fr", "Lien introuvable"),
            ("en", "Link not found"),
        ] {
            for path in ["/r/zzzzzzzzzz", "/r/not-a-code", "/r/"] {
                let response = fx
                    .client
                    .get(format!("{}{path}", fx.base))
                    .header("accept-language", lang)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 404, "{path}");
                if path != "/r/" {
                    let body = response.text().await.expect("body");
                    assert!(body.contains(words), "{lang} {path}: {body}");
                }
            }
        }
        assert_eq!(fx.count().await, 0);
        fx.finish().await;
    }
}
