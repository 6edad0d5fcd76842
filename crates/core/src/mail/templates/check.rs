//! Variables a template uses that its mail never gets.
//!
//! minijinja renders an unknown variable as an empty string (`Dear {{ customer.frist_name }},`
//! becomes `Dear ,` in every message), so the editor's preview names each one with the closest
//! documented variable, and saving refuses the template. The check reads the template's syntax
//! tree (minijinja's `undeclared_variables`): it only parses, so it runs in this process; the
//! render itself stays in the sandbox.

use minijinja::Environment;
use serde::Serialize;

use super::documented_variables;
use crate::error::{Error, FieldError};
use crate::mail::model::MailTemplate;

/// One variable a template part uses that the template's mail does not get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownVariable {
    /// `subject`, `html` or `text`.
    pub part: &'static str,
    /// As written, e.g. `customer.frist_name`.
    pub name: String,
    /// The documented variable it most likely means, e.g. `customer.first_name`.
    pub suggestion: Option<&'static str>,
}

impl UnknownVariable {
    /// The English sentence, for the API's error.
    pub fn reason(&self) -> String {
        match self.suggestion {
            Some(suggestion) => format!(
                "`{}` is not a variable of this template; did you mean `{suggestion}`?",
                self.name
            ),
            None => format!(
                "`{}` is not a variable of this template (it would be empty in every message)",
                self.name
            ),
        }
    }
}

/// Every variable of `template` (subject, HTML, text) that its key does not document, in the
/// order of the parts and then by name. A part that does not parse is skipped: the render
/// reports its syntax error.
pub fn unknown_variables(template: &MailTemplate) -> Vec<UnknownVariable> {
    let documented: Vec<&'static str> = documented_variables(&template.key)
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let env = Environment::new();
    let globals: Vec<String> = env.globals().map(|(name, _)| name.to_string()).collect();
    let mut unknown = Vec::new();
    for (part, source) in [
        ("subject", &template.subject),
        ("html", &template.html),
        ("text", &template.text),
    ] {
        if source.trim().is_empty() {
            continue;
        }
        let Ok(compiled) = env.template_from_str(source) else {
            continue;
        };
        let mut names: Vec<String> = compiled.undeclared_variables(true).into_iter().collect();
        names.sort();
        for name in names {
            let root = name.split('.').next().unwrap_or_default();
            if globals.iter().any(|g| g == root) || is_documented(&name, &documented) {
                continue;
            }
            unknown.push(UnknownVariable {
                part,
                suggestion: closest(&name, &documented),
                name,
            });
        }
    }
    unknown
}

/// The validation error for a template with unknown variables: one field error per variable.
pub fn unknown_variables_error(unknown: &[UnknownVariable]) -> Error {
    Error::invalid_fields(
        unknown
            .iter()
            .map(|u| FieldError::new(u.part, u.reason()).with_value(u.name.clone()))
            .collect(),
    )
}

/// Whether `name` is a documented variable, an object holding some (`customer` for
/// `customer.first_name`), or a lookup inside one (`event.title.upper`).
fn is_documented(name: &str, documented: &[&str]) -> bool {
    documented.iter().any(|d| {
        let d = d.split("[]").next().unwrap_or(d);
        name == d || is_path_prefix(name, d) || is_path_prefix(d, name)
    })
}

/// Whether `prefix` is `whole` up to a dot.
fn is_path_prefix(prefix: &str, whole: &str) -> bool {
    whole
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// The documented variable closest to `name`: by edit distance, or by its last part
/// (`first_name` for `customer.first_name`); none when nothing is close.
fn closest(name: &str, documented: &[&'static str]) -> Option<&'static str> {
    let limit = (name.chars().count() / 3).max(2);
    documented
        .iter()
        .filter(|d| !d.contains("[]"))
        .map(|d| {
            let last = d.rsplit('.').next().unwrap_or(d);
            let score = edit_distance(name, d).min(edit_distance(name, last).saturating_add(1));
            (score, *d)
        })
        .filter(|(score, _)| *score <= limit)
        .min_by_key(|(score, _)| *score)
        .map(|(_, d)| d)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::{built_in, BUILT_IN_KEYS};
    use super::*;
    use crate::mail::model::TEMPLATE_LANGUAGES;

    fn template(key: &str, subject: &str, html: &str) -> MailTemplate {
        MailTemplate {
            key: key.into(),
            language: "en".into(),
            subject: subject.into(),
            html: html.into(),
            text: String::new(),
            built_in: false,
        }
    }

    #[test]
    fn a_typo_is_named_with_the_closest_documented_variable() {
        let unknown = unknown_variables(&template(
            "campaign_link",
            "Hi {{ customer.first_name }}",
            "<p>Dear {{ customer.frist_name }}</p><p>{{ nonsense_here }}</p>{% for i in range(3) %}{{ loop.index }}{% endfor %}",
        ));
        assert_eq!(
            unknown,
            vec![
                UnknownVariable {
                    part: "html",
                    name: "customer.frist_name".into(),
                    suggestion: Some("customer.first_name"),
                },
                UnknownVariable {
                    part: "html",
                    name: "nonsense_here".into(),
                    suggestion: None,
                },
            ]
        );
        assert!(unknown[0]
            .reason()
            .contains("did you mean `customer.first_name`"));
    }

    #[test]
    fn a_variable_of_another_template_is_unknown_and_a_missing_prefix_is_suggested() {
        let unknown = unknown_variables(&template("job_finished", "{{ first_name }}", "x"));
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert_eq!(unknown[0].part, "subject");
        let unknown = unknown_variables(&template(
            "campaign_link",
            "x",
            "{{ first_name }} {{ job.title }}",
        ));
        let names: Vec<_> = unknown
            .iter()
            .map(|u| (u.name.as_str(), u.suggestion))
            .collect();
        assert_eq!(
            names,
            vec![
                ("first_name", Some("customer.first_name")),
                ("job.title", None)
            ]
        );
    }

    #[test]
    fn every_built_in_template_uses_only_its_documented_variables() {
        for key in BUILT_IN_KEYS {
            for language in TEMPLATE_LANGUAGES {
                let template = built_in(key, language).expect("built in");
                assert_eq!(unknown_variables(&template), vec![], "{key}/{language}");
            }
        }
    }
}
