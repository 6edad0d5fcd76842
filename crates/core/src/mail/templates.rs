//! Built-in templates in English, Danish and French, and rendering with minijinja.
//!
//! Organizers edit templates in the UI, so rendering is sandboxed: minijinja has no file or
//! network access, templates cannot include others, HTML variables are escaped, and a fuel limit
//! stops a template that loops forever. Fuel does not bound memory, so [`render`] is only ever
//! called inside a sandbox child process ([`super::sandbox`]); everything else renders through
//! [`super::sandbox::renderer`].

mod check;
mod intents;
mod orders;
mod referrals;
mod samples;
mod users;

pub use check::{unknown_variables, unknown_variables_error, UnknownVariable};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::Value;

use super::model::{MailTemplate, Rendered};
use crate::error::{Error, Result};

/// The variables each template gets, for the editor's help text.
pub fn documented_variables(key: &str) -> &'static [(&'static str, &'static str)] {
    match key {
        "job_finished" => &[
            ("organization", "the organization's name"),
            ("recipient", "the name of the person who started the job"),
            (
                "job.title",
                "what the job did, e.g. \"Import audience VIP codes\"",
            ),
            ("job.status", "succeeded, failed or cancelled"),
            ("job.error", "why it failed (empty when it succeeded)"),
            ("job.url", "the job's page"),
        ],
        "campaign_link" => &[
            ("organization", "the organization's name"),
            ("customer.first_name", "the customer's first name"),
            ("customer.last_name", "the customer's last name"),
            ("custom_text", "the text written for this send"),
            ("campaign_url", "the link to the offer"),
            (
                "unsubscribe_url",
                "the one-click unsubscribe link (always add it)",
            ),
        ],
        "buyer_sign_in" => &[
            ("organization", "the organization's name"),
            ("sign_in_url", "the one-time sign-in link (works once)"),
            ("minutes", "how many minutes the link works"),
        ],
        _ => orders::documented_variables(key)
            .or_else(|| intents::documented_variables(key))
            .or_else(|| referrals::documented_variables(key))
            .or_else(|| users::documented_variables(key))
            .unwrap_or(&[]),
    }
}

/// Plausible values for a preview, and for the render that checks a template before it is saved,
/// in `language` (the template's: names, events and money as its readers write them).
pub fn sample_variables(key: &str, language: &str) -> Value {
    let mut values = serde_json::json!({
        "organization": "Demo Theatre",
        "recipient": "Anna",
        "job": {"title": "Import audience VIP codes", "status": "succeeded", "error": "", "url": "https://example.invalid/jobs/job_1"},
        "customer": {"first_name": "Emma", "last_name": "Wilson"},
        "custom_text": "Two tickets for the price of one this Friday.",
        "campaign_url": "https://example.invalid/c/SPRING",
        "unsubscribe_url": "https://example.invalid/unsubscribe/sample",
        "sign_in_url": "https://example.invalid/shop/demo/sign-in/sample",
        "minutes": 15,
        "template_key": key,
    });
    if let (Some(all), Some(order)) = (
        values.as_object_mut(),
        orders::sample_variables().as_object(),
    ) {
        all.extend(order.clone());
    }
    if let (Some(all), Some(intent)) = (
        values.as_object_mut(),
        intents::sample_variables().as_object(),
    ) {
        all.extend(intent.clone());
    }
    if let (Some(all), Some(referral)) = (
        values.as_object_mut(),
        referrals::sample_variables().as_object(),
    ) {
        all.extend(referral.clone());
    }
    if let (Some(all), Some(user)) = (
        values.as_object_mut(),
        users::sample_variables().as_object(),
    ) {
        all.extend(user.clone());
    }
    samples::localize(&mut values, language);
    values
}

/// The template keys with built-in versions.
pub const BUILT_IN_KEYS: [&str; 12] = [
    "job_finished",
    "campaign_link",
    "buyer_sign_in",
    orders::KEYS[0],
    orders::KEYS[1],
    intents::KEYS[0],
    intents::KEYS[1],
    intents::KEYS[2],
    referrals::KEYS[0],
    referrals::KEYS[1],
    referrals::KEYS[2],
    users::KEYS[0],
];

/// The built-in version of `key` in `language` (English when the language has none).
pub fn built_in(key: &str, language: &str) -> Option<MailTemplate> {
    if let Some((subject, html)) = orders::built_in(key, language)
        .or_else(|| intents::built_in(key, language))
        .or_else(|| referrals::built_in(key, language))
        .or_else(|| users::built_in(key, language))
    {
        return Some(MailTemplate {
            key: key.to_string(),
            language: language.to_string(),
            subject,
            html,
            text: String::new(),
            built_in: true,
        });
    }
    let (subject, html) = match (key, language) {
        ("job_finished", "da") => (
            "{{ job.title }}: {% if job.status == 'succeeded' %}fuldført{% else %}mislykkedes{% endif %}",
            "<p>Hej {{ recipient }},</p><p>Jobbet <strong>{{ job.title }}</strong> er {% if job.status == 'succeeded' %}fuldført{% else %}mislykkedes: {{ job.error }}{% endif %}.</p><p><a href=\"{{ job.url }}\">Se jobbet</a></p><p>{{ organization }}</p>",
        ),
        ("job_finished", "fr") => (
            "{{ job.title }} : {% if job.status == 'succeeded' %}terminé{% else %}échec{% endif %}",
            "<p>Bonjour {{ recipient }},</p><p>La tâche <strong>{{ job.title }}</strong> {% if job.status == 'succeeded' %}est terminée{% else %}a échoué : {{ job.error }}{% endif %}.</p><p><a href=\"{{ job.url }}\">Voir la tâche</a></p><p>{{ organization }}</p>",
        ),
        ("job_finished", _) => (
            "{{ job.title }}: {% if job.status == 'succeeded' %}done{% else %}failed{% endif %}",
            "<p>Hello {{ recipient }},</p><p>The job <strong>{{ job.title }}</strong> {% if job.status == 'succeeded' %}has finished{% else %}failed: {{ job.error }}{% endif %}.</p><p><a href=\"{{ job.url }}\">See the job</a></p><p>{{ organization }}</p>",
        ),
        ("campaign_link", "da") => (
            "Et tilbud til dig fra {{ organization }}",
            "<p>Kære {{ customer.first_name }},</p><p>{{ custom_text }}</p><p><a href=\"{{ campaign_url }}\">Se tilbuddet</a></p><p style=\"font-size:12px\"><a href=\"{{ unsubscribe_url }}\">Afmeld</a></p>",
        ),
        ("campaign_link", "fr") => (
            "Une offre pour vous de {{ organization }}",
            "<p>Cher·e {{ customer.first_name }},</p><p>{{ custom_text }}</p><p><a href=\"{{ campaign_url }}\">Voir l'offre</a></p><p style=\"font-size:12px\"><a href=\"{{ unsubscribe_url }}\">Se désabonner</a></p>",
        ),
        ("campaign_link", _) => (
            "An offer for you from {{ organization }}",
            "<p>Dear {{ customer.first_name }},</p><p>{{ custom_text }}</p><p><a href=\"{{ campaign_url }}\">See the offer</a></p><p style=\"font-size:12px\"><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
        ),
        // Transactional: a buyer asked for it. It says what to do if they did not.
        ("buyer_sign_in", "da") => (
            "Log ind hos {{ organization }}",
            "<p>Hej,</p><p>Brug linket herunder for at logge ind hos {{ organization }}. Det virker én gang i {{ minutes }} minutter.</p><p><a href=\"{{ sign_in_url }}\">Log ind</a></p><p>Bad du ikke om at logge ind, kan du se bort fra denne mail.</p><p>{{ organization }}</p>",
        ),
        ("buyer_sign_in", "fr") => (
            "Connexion chez {{ organization }}",
            "<p>Bonjour,</p><p>Utilisez le lien ci-dessous pour vous connecter chez {{ organization }}. Il fonctionne une seule fois pendant {{ minutes }} minutes.</p><p><a href=\"{{ sign_in_url }}\">Se connecter</a></p><p>Si vous n'avez pas demandé à vous connecter, ignorez ce message.</p><p>{{ organization }}</p>",
        ),
        ("buyer_sign_in", _) => (
            "Sign in to {{ organization }}",
            "<p>Hello,</p><p>Use the link below to sign in to {{ organization }}. It works once, for {{ minutes }} minutes.</p><p><a href=\"{{ sign_in_url }}\">Sign in</a></p><p>If you did not ask to sign in, you can ignore this mail.</p><p>{{ organization }}</p>",
        ),
        _ => return None,
    };
    Some(MailTemplate {
        key: key.to_string(),
        language: language.to_string(),
        subject: subject.to_string(),
        html: html.to_string(),
        text: String::new(),
        built_in: true,
    })
}

/// A sandboxed environment. Undefined variables render empty (a real send may leave an optional
/// one out); typos are caught before that by [`unknown_variables`].
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(50_000));
    env.set_auto_escape_callback(|name| {
        if name == "html" {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// Renders a template with `variables`; errors name the part (subject, html, text) and the line.
/// In this process, without a memory bound: only the sandbox child calls it.
pub(crate) fn render(template: &MailTemplate, variables: &Value) -> Result<Rendered> {
    let env = environment();
    let subject = render_part(&env, "subject", &template.subject, variables)?;
    let html = render_part(&env, "html", &template.html, variables)?;
    let text = if template.text.trim().is_empty() {
        html_to_text(&html)
    } else {
        render_part(&env, "text", &template.text, variables)?
    };
    Ok(Rendered {
        subject: subject.trim().replace(['\r', '\n'], " "),
        html,
        text,
    })
}

fn render_part(
    env: &Environment<'_>,
    part: &'static str,
    source: &str,
    variables: &Value,
) -> Result<String> {
    let template = env
        .template_from_named_str(part, source)
        .map_err(|e| template_error(part, &e))?;
    template
        .render(variables)
        .map_err(|e| template_error(part, &e))
}

fn template_error(part: &str, err: &minijinja::Error) -> Error {
    let line = err
        .line()
        .map(|l| format!(" (line {l})"))
        .unwrap_or_default();
    Error::invalid(
        part,
        format!("{}{line}", err.detail().unwrap_or(&err.kind().to_string())),
    )
}

/// The text part of a message whose template has none: wrapped at 78 columns, except links,
/// which stay on one line so a sign-in or payment link still works when copied from a
/// text-only mail reader.
pub fn html_to_text(html: &str) -> String {
    html2text::config::plain()
        .no_link_wrapping()
        .string_from_read(html.as_bytes(), 78)
        .unwrap_or_else(|_| html.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_long_link_stays_whole_in_the_text_part() {
        let link = format!(
            "https://tickets.example/shop/royal/sign-in/fhl_{}",
            "x".repeat(64)
        );
        let text = html_to_text(&format!(
            "<p>Use this link within 15 minutes to sign in: <a href=\"{link}\">{link}</a></p>"
        ));
        assert!(text.contains(&link), "{text}");
    }

    #[test]
    fn every_built_in_template_renders_in_every_language() {
        for key in BUILT_IN_KEYS {
            for language in super::super::model::TEMPLATE_LANGUAGES {
                let template = built_in(key, language).expect("built in");
                let rendered = render(
                    &template,
                    &json!({"organization": "Demo Theatre", "job": {"title": "Import", "status": "succeeded"}, "customer": {"first_name": "Søren"}}),
                );
                assert!(rendered.is_ok(), "{key}/{language}: {rendered:?}");
            }
        }
    }

    #[test]
    fn the_order_templates_show_every_ticket_the_local_time_and_the_refund_in_every_language() {
        for (language, seat, total, code) in [
            ("en", "Seat", "540.00 DKK", "FRIENDS"),
            ("da", "Plads", "540,00 DKK", "VENNER"),
            ("fr", "Place", "540,00 DKK", "AMIS"),
        ] {
            let variables = sample_variables("order_confirmation", language);
            let confirmation = built_in("order_confirmation", language).expect("built in");
            let rendered = render(&confirmation, &variables).expect("renders");
            for expected in [
                &format!("{seat} 5"),
                &format!("{seat} 6"),
                "19:00",
                "4M5N6-P7R8S",
                total,
                code,
                "tickets.pdf",
            ] {
                assert!(
                    rendered.html.contains(expected),
                    "{language}: {expected} in {}",
                    rendered.html
                );
            }
            assert!(!rendered.html.contains("UTC") && !rendered.text.contains("UTC"));
            assert!(
                !rendered.html.contains("unsubscribe"),
                "transactional mail has no unsubscribe link"
            );
            let cancelled = built_in("order_cancelled", language).expect("built in");
            let refunded = render(&cancelled, &variables).expect("renders");
            let mut counter = variables.clone();
            counter["order"]["refund"] = "counter".into();
            counter["order"]["status"] = "cancelled".into();
            let at_counter = render(&cancelled, &counter).expect("renders");
            assert_ne!(
                refunded.subject, at_counter.subject,
                "{language}: refunded and cancelled differ"
            );
            assert_ne!(refunded.html, at_counter.html);
            assert!(refunded.html.contains(total), "{}", refunded.html);
        }
    }

    #[test]
    fn the_sample_values_follow_the_templates_language() {
        let english = sample_variables("order_confirmation", "en");
        let danish = sample_variables("order_confirmation", "da");
        let french = sample_variables("order_confirmation", "fr");
        assert_eq!(english["customer"]["first_name"], "Emma");
        assert_eq!(danish["customer"]["first_name"], "Søren");
        assert_eq!(french["customer"]["first_name"], "Camille");
        assert_eq!(danish["event"]["title"], "Maskarade");
        assert_eq!(danish["tickets"][0]["type"], "Voksen");
        assert_eq!(danish["order"]["total"], "540,00 DKK");
        // What a language does not change stays: the links, the reference, the dates.
        assert_eq!(danish["order"]["reference"], english["order"]["reference"]);
        assert_eq!(danish["event"]["date"], english["event"]["date"]);
        let job = sample_variables("job_finished", "da");
        assert_eq!(job["job"]["title"], "Importér publikum VIP-koder");
        assert_eq!(job["job"]["status"], "succeeded");
    }

    #[test]
    fn variables_are_escaped_in_html_and_the_text_part_is_derived() {
        let template = MailTemplate {
            key: "t".into(),
            language: "en".into(),
            subject: "Hi {{ name }}".into(),
            html: "<p>Hi {{ name }}</p>".into(),
            text: String::new(),
            built_in: false,
        };
        let rendered = render(&template, &json!({"name": "<script>x</script>"})).expect("renders");
        assert!(
            rendered.html.contains("&lt;script&gt;"),
            "{}",
            rendered.html
        );
        assert!(
            rendered.text.contains("Hi <script>x</script>"),
            "{}",
            rendered.text
        );
    }

    #[test]
    fn a_broken_template_names_its_part_and_line() {
        let template = MailTemplate {
            key: "t".into(),
            language: "en".into(),
            subject: "ok".into(),
            html: "<p>\n{% if %}</p>".into(),
            text: String::new(),
            built_in: false,
        };
        let message = render(&template, &json!({}))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.starts_with("html:") && message.contains("line 2"),
            "{message}"
        );
    }

    #[test]
    fn an_endless_template_runs_out_of_fuel() {
        let template = MailTemplate {
            key: "t".into(),
            language: "en".into(),
            subject:
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                    .into(),
            html: String::new(),
            text: String::new(),
            built_in: false,
        };
        assert!(render(&template, &json!({})).is_err());
    }
}
