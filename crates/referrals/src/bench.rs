//! `fullhouse bench redirect`: the tracking redirect under load, beside a bare axum redirect
//! handler driven by the same in-process load generator in the same run, and the time until
//! every hit is in the database once the load stops.
//!
//! The server crate starts the real application (every module, every layer) on loopback and
//! hands its address here; this module builds the stage (an organization, an event, a
//! promotion and a participant, made through the services), the bare reference server, the
//! load generator and the figures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use fullhouse_checkout::Checkout;
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Db, OrgId};
use fullhouse_ticketing::model::catalog::{NewEvent, NewProduction};
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::model::venues::NewVenue;
use fullhouse_ticketing::service::{CatalogService, CustomerService, VenueService};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio_util::sync::CancellationToken;

use crate::model::{NewPromotion, Scope, Tier};
use crate::service::SOURCE_PURCHASE;
use crate::store::referral_hits as hits;
use crate::Referrals;

pub type BenchResult<T> = Result<T, String>;

fn fail(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// The user agents the load cycles through: people, a link preview, a crawler, a scanner, so
/// that every request runs the whole classification.
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
];

/// How many requests each side gets before it is timed (connections opened, caches filled).
const WARM_UP: usize = 500;
/// How long the bench waits for the hits to be stored before it calls them missing.
const STORE_WAIT: Duration = Duration::from_secs(30);

/// What the load sees of one server.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub requests: usize,
    pub seconds: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers other than a redirect, and failed requests.
    pub errors: usize,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::EPSILON)
    }
}

/// What the bench stands on: an organization with one event, its promotion and a participant.
pub struct Stage {
    pub org: OrgId,
    pub code: String,
    pub landing: String,
}

/// Builds the stage in `db` (migrated) through the services.
pub async fn stage(db: &Db, slug: &str) -> BenchResult<Stage> {
    let org = TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: "Redirect bench".into(),
            slug: slug.into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .map_err(fail)?
        .id;
    let venue = VenueService::new(db.clone())
        .create_venue(
            &org,
            NewVenue {
                name: "Main stage".into(),
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
        .map_err(fail)?;
    let catalog = CatalogService::new(db.clone());
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
        .map_err(fail)?;
    let event = catalog
        .create_event(
            &org,
            NewEvent {
                production_id: production.id,
                venue_id: venue.id,
                name: None,
                starts_at: Utc::now() + chrono::Duration::days(30),
                ends_at: None,
                status: None,
                sales_start: None,
                sales_end: None,
            },
        )
        .await
        .map_err(fail)?;
    let customer = CustomerService::new(db.clone())
        .create(
            &org,
            NewCustomer {
                email: Some("ana@example.dk".into()),
                first_name: Some("Ana".into()),
                ..NewCustomer::default()
            },
        )
        .await
        .map_err(fail)?
        .id;
    let referrals = Referrals::new(db.clone(), Checkout::new(db.clone()), "http://127.0.0.1");
    let promotion = referrals
        .create_promotion(
            &org,
            NewPromotion {
                name: "Bring a friend".into(),
                scope: Scope::Event(event.id),
                opens_at: None,
                closes_at: None,
                attribution_days: None,
                counts: None,
                tiers: vec![Tier {
                    tickets: 3,
                    reward: "A drink".into(),
                }],
                staff_emails: Vec::new(),
            },
            "bench",
        )
        .await
        .map_err(fail)?;
    let (participant, _) = referrals
        .enrol(&org, &promotion.id, &customer, None, SOURCE_PURCHASE)
        .await
        .map_err(fail)?;
    let target = referrals.target(&participant.code).await.map_err(fail)?;
    Ok(Stage {
        org,
        code: participant.code,
        landing: target.landing,
    })
}

/// The reference: a bare axum app whose one handler answers the same redirect and cookie from
/// a constant, served like the real one (with connect info). Stops with the token.
pub async fn bare_server(landing: &str, code: &str) -> BenchResult<(String, CancellationToken)> {
    let location = HeaderValue::from_str(landing).map_err(fail)?;
    let cookie = HeaderValue::from_str(&format!(
        "fh_ref={code}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax"
    ))
    .map_err(fail)?;
    let app = axum::Router::new().route(
        "/r/{code}",
        get(move || {
            let (location, cookie) = (location.clone(), cookie.clone());
            async move {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(fail)?;
    let addr = listener.local_addr().map_err(fail)?;
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stopped.cancelled().await })
        .await
    });
    Ok((format!("http://{addr}"), stop))
}

/// Sends `requests` GETs to `url` over `connections` kept-alive connections (each a client of
/// its own sending its next request when it has its answer), cycling through [`AGENTS`].
pub async fn drive(url: &str, requests: usize, connections: usize) -> BenchResult<Load> {
    drive_expecting(url, requests, connections, StatusCode::FOUND).await
}

/// [`drive`], counting answers other than `expected` as errors.
pub async fn drive_expecting(
    url: &str,
    requests: usize,
    connections: usize,
    expected: StatusCode,
) -> BenchResult<Load> {
    let connections = connections.clamp(1, requests.max(1));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let share = requests / connections + usize::from(c < requests % connections);
        let url = url.to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1)
            .build()
            .map_err(fail)?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            let mut errors = 0;
            for i in 0..share {
                let agent = AGENTS.get((c + i) % AGENTS.len()).copied().unwrap_or("");
                let sent = Instant::now();
                let answer = client.get(&url).header("user-agent", agent).send().await;
                latencies.push(sent.elapsed());
                match answer {
                    Ok(response) if response.status() == expected => {}
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    for task in tasks {
        let (mut own, own_errors) = task.await.map_err(fail)?;
        latencies.append(&mut own);
        errors += own_errors;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or_default()
    };
    Ok(Load {
        requests,
        seconds,
        p50: at(0.50),
        p99: at(0.99),
        errors,
    })
}

/// Hits stored for `org`.
pub async fn stored(db: &Db, org: &OrgId) -> BenchResult<u64> {
    hits::Entity::find()
        .filter(hits::Column::OrganizationId.eq(org.as_str()))
        .count(db.reader())
        .await
        .map_err(fail)
}

/// Runs the comparison on one backend against the real app at `app_url` (serving `db`), and
/// prints one line per figure.
pub async fn measure(
    label: &str,
    db: &Db,
    app_url: &str,
    stage: &Stage,
    requests: usize,
    connections: usize,
) -> BenchResult<()> {
    let (bare_url, bare_stop) = bare_server(&stage.landing, &stage.code).await?;
    let path = format!("/r/{}", stage.code);
    let tracking_url = format!("{app_url}{path}");
    let bare_url = format!("{bare_url}{path}");
    drive(&bare_url, WARM_UP, connections).await?;
    drive(&tracking_url, WARM_UP, connections).await?;

    let bare = drive(&bare_url, requests, connections).await?;
    // The real app's own layers (request id, tracing, metrics, security headers, limits)
    // around no handler at all: its 404 for a path no module serves.
    let layers = drive_expecting(
        &format!("{app_url}/r/"),
        requests,
        connections,
        StatusCode::NOT_FOUND,
    )
    .await?;
    let before = stored(db, &stage.org).await?;
    let tracking = drive(&tracking_url, requests, connections).await?;
    let load_ended = Instant::now();
    let stored_at_end = stored(db, &stage.org).await?;
    let expected = (WARM_UP + requests) as u64;
    let mut now_stored = stored_at_end;
    while now_stored < expected && load_ended.elapsed() < STORE_WAIT {
        tokio::time::sleep(Duration::from_millis(5)).await;
        now_stored = stored(db, &stage.org).await?;
    }
    let all_stored_after = load_ended.elapsed();
    bare_stop.cancel();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: bare axum redirect: {} requests over {connections} connections, {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        bare.requests,
        bare.per_second(),
        ms(bare.p50),
        ms(bare.p99),
        bare.errors
    );
    println!(
        "{label}: the real app's 404 (its layers, no handler): {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        layers.per_second(),
        ms(layers.p50),
        ms(layers.p99),
        layers.errors
    );
    println!(
        "{label}: tracking redirect /r/{{code}}: {} requests over {connections} connections, {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors (target: p99 ≤ 5 ms)",
        tracking.requests,
        tracking.per_second(),
        ms(tracking.p50),
        ms(tracking.p99),
        tracking.errors
    );
    println!(
        "{label}: tracking / bare = {:.2} (target: ≥ 0.7)",
        tracking.per_second() / bare.per_second().max(f64::EPSILON)
    );
    let in_flight = expected.saturating_sub(stored_at_end);
    println!(
        "{label}: when the load stopped {in_flight} hits were answered but not yet stored (what a crash at that instant would lose; {} stored during the timed load)",
        stored_at_end.saturating_sub(before)
    );
    if now_stored == expected {
        println!(
            "{label}: every hit stored ({now_stored} of {expected}) {:.0} ms after the load ended (target: ≤ 1,000 ms)",
            ms(all_stored_after)
        );
    } else {
        println!(
            "{label}: only {now_stored} of {expected} hits stored {:.0} ms after the load ended (the recorder dropped or lost the rest)",
            ms(all_stored_after)
        );
    }
    Ok(())
}

/// The classification's cost per hit (the four agents of the load, in turn).
pub fn classify_cost(runs: usize) -> Duration {
    let headers: Vec<axum::http::HeaderMap> = AGENTS
        .iter()
        .map(|agent| {
            let mut headers = axum::http::HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(agent) {
                headers.insert(header::USER_AGENT, value);
            }
            headers
        })
        .collect();
    let started = Instant::now();
    for i in 0..runs.max(1) {
        if let Some(h) = headers.get(i % headers.len()) {
            std::hint::black_box(crate::tracking::classify(&axum::http::Method::GET, h));
        }
    }
    started.elapsed() / u32::try_from(runs.max(1)).unwrap_or(u32::MAX)
}

/// The reason the redirect caches targets: one uncached lookup (`Referrals::target`, several
/// queries), timed `runs` times.
pub async fn uncached_lookup(db: &Db, code: &str, runs: usize) -> BenchResult<Duration> {
    let referrals = Referrals::new(db.clone(), Checkout::new(db.clone()), "http://127.0.0.1");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        referrals.target(code).await.map_err(fail)?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times.get(times.len() / 2).copied().unwrap_or_default())
}
