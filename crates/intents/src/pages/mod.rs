//! Sales → Purchase intents: the organizer's list, the form that makes one, the intent's page
//! with its actions; and the customer's page the payment link opens.

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;

/// The strings of the intents' pages.
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("intents", "intents-import");

pub fn router() -> Router<AppState> {
    Router::new()
}
