//! The campaign form's problems as the reader's words, each beside its field.

use fullhouse_core::Error;
use fullhouse_web::{FormErrors, Lang};

use crate::campaigns::model::{Problem, MAX_TEXT_LENGTH};

/// Every problem of a submitted campaign form, in the page's language: the form's own and its
/// rules' (by their `campaigns-error-…` key), then any the service found (an audience another
/// organization owns, a name taken), translated as every form's are.
#[derive(Debug, Default, Clone)]
pub struct Messages {
    pub message: Option<String>,
    fields: Vec<(String, String)>,
    service: FormErrors,
}

/// The form field a problem is shown beside: the rules name the definition's fields.
fn form_field(field: &str) -> &str {
    match field {
        "discount" => "discount_value",
        "effects.loyalty" => "loyalty",
        other => other,
    }
}

impl Messages {
    pub fn from_problems(lang: Lang, problems: &[Problem]) -> Self {
        let fields = problems
            .iter()
            .map(|p| {
                let text = if p.key == "campaigns-error-too-long" {
                    lang.t1(p.key, "max", MAX_TEXT_LENGTH)
                } else {
                    lang.t(p.key)
                };
                (form_field(&p.field).to_string(), text)
            })
            .collect();
        Self {
            message: Some(lang.t1("campaigns-error-count", "count", problems.len())),
            fields,
            service: FormErrors::default(),
        }
    }

    pub fn from_error(lang: Lang, error: &Error) -> Self {
        let service = FormErrors::from_error(lang, error);
        Self {
            message: service.message.clone(),
            fields: Vec::new(),
            service,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.message.is_none() && self.fields.is_empty()
    }

    /// The problem beside `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, text)| text.as_str())
            .or_else(|| self.service.field(name))
    }

    /// `aria-invalid` for a field: `true`, or empty.
    pub fn invalid(&self, name: &str) -> &'static str {
        if self.field(name).is_some() {
            "true"
        } else {
            ""
        }
    }
}
