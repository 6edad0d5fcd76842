//! The organization's own people: the invitation to become a user, with the one-time link where
//! the invitee chooses their password. Transactional: no marketing permission, no unsubscribe.

use serde_json::{json, Value};

/// The keys of this file's templates.
pub const KEYS: [&str; 1] = ["user_invitation"];

/// The variables of `key`, for the editor's help text; `None` for another key.
pub fn documented_variables(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match key {
        "user_invitation" => Some(&[
            ("organization", "the organization's name"),
            ("recipient", "the invited person's name"),
            ("inviter", "the name of the person who sent the invitation"),
            (
                "invitation_url",
                "the one-time link where the invitee chooses a password",
            ),
            ("days", "how many days the link works"),
        ]),
        _ => None,
    }
}

/// Plausible values for a preview.
pub fn sample_variables() -> Value {
    json!({
        "inviter": "Mette",
        "invitation_url": "https://example.invalid/invitation/sample",
        "days": 7,
    })
}

/// The built-in subject and HTML of `key` in `language`.
pub fn built_in(key: &str, language: &str) -> Option<(String, String)> {
    let (subject, html) = match (key, language) {
        ("user_invitation", "da") => (
            "Du er inviteret til {{ organization }} i Fullhouse",
            "<p>Hej {{ recipient }},</p><p>{{ inviter }} har inviteret dig til {{ organization }} i Fullhouse.</p><p><a href=\"{{ invitation_url }}\">Vælg din adgangskode</a></p><p>Linket virker én gang i {{ days }} dage. Forventede du ikke denne mail, kan du se bort fra den.</p><p>{{ organization }}</p>",
        ),
        ("user_invitation", "fr") => (
            "Vous êtes invité·e chez {{ organization }} sur Fullhouse",
            "<p>Bonjour {{ recipient }},</p><p>{{ inviter }} vous invite chez {{ organization }} sur Fullhouse.</p><p><a href=\"{{ invitation_url }}\">Choisir votre mot de passe</a></p><p>Le lien fonctionne une seule fois pendant {{ days }} jours. Si vous n'attendiez pas ce message, ignorez-le.</p><p>{{ organization }}</p>",
        ),
        ("user_invitation", _) => (
            "You are invited to {{ organization }} on Fullhouse",
            "<p>Hello {{ recipient }},</p><p>{{ inviter }} has invited you to {{ organization }} on Fullhouse.</p><p><a href=\"{{ invitation_url }}\">Choose your password</a></p><p>The link works once, for {{ days }} days. If you did not expect this mail, you can ignore it.</p><p>{{ organization }}</p>",
        ),
        _ => return None,
    };
    Some((subject.to_string(), html.to_string()))
}
