//! The ticketing JSON routes, mounted by the server under `/api/v1`.

pub mod catalog;
pub mod customers;
pub mod orders;
pub mod venues;

use fullhouse_core::http::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(venues::router())
        .merge(catalog::router())
        .merge(customers::router())
        .merge(orders::router())
}
