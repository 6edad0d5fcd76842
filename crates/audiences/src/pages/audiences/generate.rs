//! Generated audiences: random codes from a pattern, or past events' barcodes or ticket holders.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::Permission;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};

use super::{refused, service};
use crate::model::GenerateForm;

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/generate.html")]
struct GeneratePage {
    ui: Ui,
    form: GenerateForm,
    errors: FormErrors,
}

pub(super) async fn generate_form(ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    Ok(GeneratePage {
        ui,
        form: GenerateForm::start(),
        errors: FormErrors::default(),
    }
    .into_response())
}

pub(super) async fn generate(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<GenerateForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let made = match form.request() {
        Ok(request) => service(&state).generate(&ui.caller.org, request).await,
        Err(err) => Err(err),
    };
    let errors = match made {
        Ok(audience) => {
            return Ok(Redirect::to(&format!("/audiences/{}", audience.id)).into_response())
        }
        Err(err) => refused(&ui, err)?,
    };
    Ok(with_status(
        &errors,
        GeneratePage {
            ui,
            form,
            errors: errors.clone(),
        },
    ))
}
