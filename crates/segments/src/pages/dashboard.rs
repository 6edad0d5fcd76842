//! The segment dashboard: the filter form and the counts that follow it live.
//!
//! A refused value (text in a number field, an id that is no choice) shows its reason beside
//! its field and, naming the filter row, above the counts. The whole page then answers 422. The
//! htmx partial answers 200 even then: htmx swaps no 4xx answer by default, and the person
//! typing must see the reason; it carries the reasons beside the fields as out-of-band swaps,
//! so a field fixed since loses its reason too.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_web::i18n::{error_message, field_reason, Val};
use fullhouse_web::layout::with_status;
use fullhouse_web::{page_or_partial, vary_on_htmx, FormErrors, Lang, PageError, Ui};
use serde::Deserialize;

use super::{service, Choices};
use crate::index::Registry;
use crate::model::form::{DashboardForm, DASHBOARD_NUMBER_FIELDS};
use crate::model::{Segment, SegmentCounts, SegmentId, SegmentView};

/// What the form's fields show and how the template asks for it.
impl DashboardForm {
    /// The text of a field, for `value="…"`, with a default when empty.
    pub fn or<'a>(&'a self, value: &'a str, default: &'a str) -> &'a str {
        if value.trim().is_empty() {
            default
        } else {
            value
        }
    }

    pub fn checked(&self, value: &str) -> &'static str {
        if value.is_empty() {
            ""
        } else {
            "checked"
        }
    }

    /// A slider's `max`: `max`, or the value shown when it is more (a view saved through the
    /// API), since a browser sets a slider above its `max` to the `max` and the next count or
    /// save would take that instead.
    pub fn reach(&self, value: &str, max: u32) -> u32 {
        value.trim().parse::<u32>().map_or(max, |v| v.max(max))
    }

    pub fn selected(&self, value: &str, option: &str) -> &'static str {
        if value == option {
            "selected"
        } else {
            ""
        }
    }
}

/// The counts partial: the total, each filter's count, the first customers; or why there are
/// none, with the refused fields.
pub struct CountsView {
    pub lang: Lang,
    pub counts: Option<SegmentCounts>,
    pub problem: Option<String>,
    pub errors: FormErrors,
}

impl CountsView {
    fn counted(lang: Lang, counts: SegmentCounts) -> Self {
        Self {
            lang,
            counts: Some(counts),
            problem: None,
            errors: FormErrors::default(),
        }
    }

    /// Refused input: each field's reason for beside it, and all of them above the counts, each
    /// led by the name of its filter row.
    fn refused(lang: Lang, error: &Error) -> Self {
        let problem = match error {
            Error::Validation { fields, .. } if !fields.is_empty() => fields
                .iter()
                .map(|field| {
                    let reason = field_reason(lang, field);
                    match row_label(lang, &field.field) {
                        Some(row) => format!("{row}: {reason}"),
                        None => reason,
                    }
                })
                .collect::<Vec<_>>()
                .join(" · "),
            other => error_message(lang, other),
        };
        Self {
            lang,
            counts: None,
            problem: Some(problem),
            errors: FormErrors::from_error(lang, error),
        }
    }

    /// A count in the user's way of writing numbers (`12,345`, `12.345`).
    pub fn number(&self, count: impl Val<u64>) -> String {
        self.lang
            .number(i64::try_from(count.val()).unwrap_or(i64::MAX))
    }

    /// A filter's name in the user's language.
    pub fn label(&self, kind: &str) -> String {
        self.lang.t(&format!("segments-filter-{kind}"))
    }

    /// The reason refusing `field`, or nothing.
    pub fn reason(&self, field: &str) -> &str {
        self.errors.field(field).unwrap_or_default()
    }

    /// `hidden` for the reason's place beside a field that has none.
    pub fn hidden(&self, field: &str) -> &'static str {
        if self.errors.field(field).is_some() {
            ""
        } else {
            "hidden"
        }
    }

    /// Every number field with its reason (empty when fine), for the partial to replace the
    /// reasons beside the fields.
    pub fn reasons(&self) -> Vec<(&'static str, &str)> {
        DASHBOARD_NUMBER_FIELDS
            .iter()
            .map(|(_, field)| (*field, self.reason(field)))
            .chain(
                ["for_production", "for_event", "distance_venue"]
                    .into_iter()
                    .map(|field| (field, self.reason(field))),
            )
            .collect()
    }
}

/// The name of the filter row a form field (`<row>.<field>`) belongs to; `None` for fields
/// the service names by position (`filters[2].days`).
fn row_label(lang: Lang, field: &str) -> Option<String> {
    let (row, name) = field.split_once('.')?;
    match (row, name) {
        ("view_for", "for_production") => Some(lang.t("segments-view-for-production")),
        ("view_for", "for_event") => Some(lang.t("segments-view-for-event")),
        (row, _) if DASHBOARD_NUMBER_FIELDS.iter().any(|(r, _)| *r == row) => {
            Some(lang.t(&format!("segments-filter-{row}")))
        }
        _ => None,
    }
}

/// The tags and permissions the organization's customers hold, read from the index: what the
/// tag and permission filters choose from.
pub struct Held {
    pub tags: Vec<String>,
    pub permissions: Vec<String>,
}

impl Held {
    async fn load(registry: &Registry, ui: &Ui) -> Result<Self, PageError> {
        let index = registry
            .index(&ui.caller.org)
            .await
            .map_err(|e| ui.error(e))?;
        index
            .with(|index| Self {
                tags: index.tag_names(),
                permissions: index.permission_names(),
            })
            .map_err(|e| ui.error(e))
    }

    /// The tag select's options when it shows `current`.
    pub fn tag_choices<'a>(&'a self, current: &'a str) -> Vec<&'a str> {
        with_current(&self.tags, current)
    }

    /// The permission select's options when it shows `current`.
    pub fn permission_choices<'a>(&'a self, current: &'a str) -> Vec<&'a str> {
        with_current(&self.permissions, current)
    }
}

/// The names held, and `current` too when nobody holds it now: a saved view's filter is shown
/// and saved again as it was, not dropped for want of an option.
fn with_current<'a>(names: &'a [String], current: &'a str) -> Vec<&'a str> {
    let current = current.trim();
    let mut choices: Vec<&str> = names.iter().map(String::as_str).collect();
    if !current.is_empty() && !choices.contains(&current) {
        choices.insert(0, current);
    }
    choices
}

/// `?saved=1`: the view was just saved (the save answers with a redirect here).
#[derive(Default, Deserialize)]
pub(super) struct Saved {
    #[serde(default)]
    saved: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/dashboard.html")]
struct DashboardPage {
    ui: Ui,
    segment: Segment,
    form: DashboardForm,
    view: CountsView,
    views: Vec<SegmentView>,
    choices: Choices,
    held: Held,
    /// The name of the view just saved.
    saved: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/_counts.html")]
struct CountsPartial {
    ui: Ui,
    view: CountsView,
}

async fn count_view(
    state: &AppState,
    registry: &Registry,
    ui: &Ui,
    id: &SegmentId,
    form: &DashboardForm,
) -> Result<CountsView, PageError> {
    let counted = match form.count_request() {
        Ok(request) => {
            service(state)
                .count(registry, &ui.caller.org, id, request, chrono::Utc::now())
                .await
        }
        Err(refused) => Err(refused),
    };
    match counted {
        Ok(counts) => Ok(CountsView::counted(ui.lang, counts)),
        // Refused input is shown with the form, not as an error page.
        Err(err @ Error::Validation { .. }) => Ok(CountsView::refused(ui.lang, &err)),
        Err(err) => Err(ui.error(err)),
    }
}

pub(super) async fn dashboard(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    Query(mut form): Query<DashboardForm>,
    Query(just): Query<Saved>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let segment = segments
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let views = segments
        .views(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let open = views.iter().find(|v| v.id.as_str() == form.view);
    let saved = open
        .filter(|_| !just.saved.is_empty())
        .map(|v| v.name.clone());
    if let Some(saved) = open {
        let (for_production, for_event) = (form.for_production.clone(), form.for_event.clone());
        form = DashboardForm::of_filters(&saved.filters);
        form.view = saved.id.to_string();
        form.for_production = for_production;
        form.for_event = for_event;
    }
    let view = count_view(&state, &registry, &ui, &id, &form).await?;
    let choices = Choices::load(&state, &ui).await?;
    let held = Held::load(&registry, &ui).await?;
    let errors = view.errors.clone();
    Ok(vary_on_htmx(with_status(
        &errors,
        DashboardPage {
            ui,
            segment,
            form,
            view,
            views,
            choices,
            held,
            saved,
        },
    )))
}

/// htmx's live counts for the form as it is now; a request without htmx is sent to the
/// dashboard page with the same filters.
pub(super) async fn counts(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    Query(form): Query<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let view = count_view(&state, &registry, &ui, &id, &form).await?;
    let page = match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("/segments/{id}?{query}"),
        None => format!("/segments/{id}"),
    };
    Ok(page_or_partial(
        ui,
        view,
        |ui, view| CountsPartial { ui, view },
        |_, _| Redirect::to(&page),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_nobody_holds_any_more_stays_a_choice_while_a_view_shows_it() {
        let held = Held {
            tags: vec!["press".into(), "vip".into()],
            permissions: vec!["newsletter".into()],
        };
        assert_eq!(held.tag_choices(""), ["press", "vip"]);
        assert_eq!(held.tag_choices("vip"), ["press", "vip"]);
        assert_eq!(held.tag_choices(" board "), ["board", "press", "vip"]);
        assert_eq!(held.permission_choices("sms"), ["sms", "newsletter"]);
    }

    #[test]
    fn a_slider_reaches_a_saved_value_beyond_its_range() {
        let form = DashboardForm::default();
        assert_eq!(form.reach("", 90), 90);
        assert_eq!(form.reach("30", 90), 90);
        assert_eq!(form.reach("120", 90), 120);
        assert_eq!(form.reach("abc", 90), 90);
    }
}
