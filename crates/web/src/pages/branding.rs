//! Settings → Branding: the brand colour and logo the organization's shop shows (see
//! [`fullhouse_core::tenancy::branding`]). Needs the administer permission.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::tenancy::branding::{
    validate_brand_color, validate_logo, Branding, BrandingPatch, BrandingService, MAX_LOGO_BYTES,
};
use fullhouse_core::{Error, Permission};
use serde::Deserialize;

use crate::layout::{with_status, FormErrors, PageError, Ui};

pub fn router() -> Router<AppState> {
    Router::new().route("/settings/branding", get(branding).post(save_branding))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/branding.html")]
struct BrandingPage {
    ui: Ui,
    slug: String,
    /// The colour as typed (or as stored).
    brand_color: String,
    branding: Branding,
    errors: FormErrors,
    saved: bool,
    /// Changes whenever the branding does (the brand stylesheet's cache key).
    version: i64,
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn page(
    state: &AppState,
    ui: Ui,
    brand_color: Option<String>,
    errors: FormErrors,
    saved: bool,
) -> Result<BrandingPage, PageError> {
    let slug = state
        .tenancy()
        .organization(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?
        .slug;
    let branding = BrandingService::new(state.db.clone())
        .branding(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(BrandingPage {
        version: branding.version(),
        brand_color: brand_color
            .unwrap_or_else(|| branding.brand_color.clone().unwrap_or_default()),
        ui,
        slug,
        branding,
        errors,
        saved,
    })
}

async fn branding(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<SavedQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let saved = !query.saved.is_empty();
    Ok(page(&state, ui, None, FormErrors::default(), saved)
        .await?
        .into_response())
}

/// What the posted form asked for.
#[derive(Default)]
struct BrandingForm {
    brand_color: String,
    logo: Option<Vec<u8>>,
    remove_logo: bool,
}

/// Reads the multipart form: the CSRF token must come first (as in every upload form), and the
/// logo is read only up to one byte past the limit, so an oversized file is refused without
/// being held whole.
async fn read_form(ui: &Ui, mut form: Multipart) -> Result<BrandingForm, PageError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ui.error(Error::invalid(
            "logo",
            format!("the form cannot be read: {e}"),
        ))
    };
    let mut csrf_checked = false;
    let mut read = BrandingForm::default();
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some(crate::form::CSRF_FIELD) => {
                let token = field.text().await.map_err(unreadable)?;
                ui.check_csrf(&token)?;
                csrf_checked = true;
            }
            _ if !csrf_checked => {}
            Some("brand_color") => read.brand_color = field.text().await.map_err(unreadable)?,
            Some("remove_logo") => read.remove_logo = true,
            Some("logo") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    let room = (MAX_LOGO_BYTES + 1).saturating_sub(bytes.len());
                    bytes.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(&[]));
                    if bytes.len() > MAX_LOGO_BYTES {
                        break;
                    }
                }
                // A file input left empty still sends an empty part.
                if !bytes.is_empty() {
                    read.logo = Some(bytes);
                }
            }
            _ => {}
        }
    }
    if !csrf_checked {
        return Err(ui.error(Error::Forbidden("the form has expired; reload the page")));
    }
    Ok(read)
}

async fn save_branding(
    State(state): State<AppState>,
    ui: Ui,
    form: Multipart,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let form = read_form(&ui, form).await?;
    // Checked here first so the refusal is said in the user's language, next to its field.
    let errors = if validate_brand_color(&form.brand_color).is_err() {
        FormErrors::field_only(ui.lang, "brand_color", "branding-error-color")
    } else if let Some(Err(_)) = form.logo.as_deref().map(validate_logo) {
        let key = match form.logo.as_ref().map(Vec::len) {
            Some(n) if n > MAX_LOGO_BYTES => "branding-error-logo-size",
            _ => "branding-error-logo-type",
        };
        FormErrors::field_only(ui.lang, "logo", key)
    } else {
        let service = BrandingService::new(state.db.clone());
        let patch = BrandingPatch {
            brand_color: Some(form.brand_color.clone()),
        };
        let saved = async {
            service.set_brand_color(&ui.caller, patch).await?;
            match form.logo.clone() {
                Some(logo) => service.set_logo(&ui.caller, logo).await.map(|_| ()),
                None if form.remove_logo => service.remove_logo(&ui.caller).await.map(|_| ()),
                None => Ok(()),
            }
        };
        match saved.await {
            Ok(()) => return Ok(Redirect::to("/settings/branding?saved=1").into_response()),
            Err(err @ Error::Validation { .. }) => FormErrors::from_error(ui.lang, &err),
            Err(err) => return Err(ui.error(err)),
        }
    };
    let page = page(&state, ui, Some(form.brand_color), errors.clone(), false).await?;
    Ok(with_status(&errors, page))
}
