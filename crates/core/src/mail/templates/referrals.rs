//! The referral programme's mail: the participant's links (the tracking link to share and the
//! private progress link), and the staff's reminders — a tier was reached (who, what to give)
//! and a promotion closed (the final leaderboard and the rewards still to fulfil).
//!
//! `referral_link` is marketing: it goes only to customers whose email permission allows it and
//! always carries the unsubscribe link (the delivery checks the permission again when it sends).
//! The staff mails go to the organizer's people, not to customers: no permission, no unsubscribe
//! link. The referrals module fills the variables in the reader's language (times on the venue's
//! clock, money formatted), so the templates only place them.

use serde_json::{json, Value};

/// The keys of this file's templates.
pub const KEYS: [&str; 3] = [
    "referral_link",
    "referral_staff_tier",
    "referral_staff_closed",
];

/// The variables of `key`, for the editor's help text; `None` for another key.
pub fn documented_variables(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match key {
        "referral_link" => Some(&[
            ("organization", "the organization's name"),
            ("customer.first_name", "the participant's name (may be empty)"),
            ("promotion.name", "the promotion's name"),
            (
                "promotion.closes_at",
                "when sales stop counting, on the venue's clock",
            ),
            ("event.title", "the event the link sells"),
            ("event.starts_at", "its day and time on the venue's clock"),
            (
                "tiers",
                "the rewards: each has tickets (sold through the link) and reward",
            ),
            ("tracking_link", "the participant's link to share"),
            (
                "progress_link",
                "the participant's private progress page (no login)",
            ),
            (
                "unsubscribe_url",
                "the one-click unsubscribe link (always add it)",
            ),
        ]),
        "referral_staff_tier" => Some(&[
            ("organization", "the organization's name"),
            ("recipient", "the name (or address) of the person mailed"),
            ("promotion.name", "the promotion's name"),
            ("promotion.url", "the promotion's page, with the reward ledger"),
            ("count", "how many rewards were reached"),
            (
                "rewards",
                "the rewards reached: each has participant, email, tier_tickets, reward and tickets (sold so far)",
            ),
        ]),
        "referral_staff_closed" => Some(&[
            ("organization", "the organization's name"),
            ("recipient", "the name (or address) of the person mailed"),
            ("promotion.name", "the promotion's name"),
            ("promotion.url", "the promotion's page, with the reward ledger"),
            (
                "promotion.closes_at",
                "when the promotion closed, on the venue's clock",
            ),
            (
                "totals",
                "participants, tickets and revenue (formatted) counted in all",
            ),
            (
                "leaderboard",
                "the best participants: each has rank, participant, tickets, revenue and clicks",
            ),
            ("count", "how many rewards are still to fulfil"),
            (
                "winners",
                "the rewards to fulfil: each has participant, email, tier_tickets, reward and state",
            ),
        ]),
        _ => None,
    }
}

/// Sample values for previews and the render that checks a template before it is saved (the
/// event's and the organization's come from the other samples).
pub fn sample_variables() -> Value {
    json!({
        "promotion": {
            "name": "Bring a friend",
            "closes_at": "2030-12-31 19:30",
            "url": "https://example.invalid/referrals/prm_1",
        },
        "tiers": [
            {"tickets": 3, "reward": "A drink at the bar"},
            {"tickets": 10, "reward": "VIP upgrade"},
        ],
        "tracking_link": "https://example.invalid/r/4m5n6p7r8s",
        "progress_link": "https://example.invalid/referrals/progress/fhr_sample",
        "rewards": [
            {"participant": "Søren Nielsen", "email": "soren@example.invalid", "tier_tickets": 3, "reward": "A drink at the bar", "tickets": 3},
        ],
        "totals": {"participants": 120, "tickets": 48, "revenue": "9,600.00 DKK"},
        "leaderboard": [
            {"rank": 1, "participant": "Søren Nielsen", "tickets": 11, "revenue": "2,200.00 DKK", "clicks": 40},
            {"rank": 2, "participant": "Anna Holm", "tickets": 4, "revenue": "800.00 DKK", "clicks": 12},
        ],
        "winners": [
            {"participant": "Søren Nielsen", "email": "soren@example.invalid", "tier_tickets": 10, "reward": "VIP upgrade", "state": "reminded"},
            {"participant": "Anna Holm", "email": "anna@example.invalid", "tier_tickets": 3, "reward": "A drink at the bar", "state": "earned"},
        ],
    })
}

/// The words each language needs; the templates are the same shape in all three.
struct Words {
    greeting: &'static str,
    hello: &'static str,
    link_subject: &'static str,
    link_intro: &'static str,
    link_tiers: &'static str,
    tickets: &'static str,
    link_share: &'static str,
    link_progress: &'static str,
    link_progress_note: &'static str,
    link_closes: &'static str,
    unsubscribe: &'static str,
    tier_subject: &'static str,
    tier_intro: &'static str,
    tier_sold: &'static str,
    open_promotion: &'static str,
    closed_subject: &'static str,
    closed_intro: &'static str,
    closed_totals: &'static str,
    participants: &'static str,
    revenue: &'static str,
    clicks: &'static str,
    closed_leaderboard: &'static str,
    closed_winners: &'static str,
    closed_no_winners: &'static str,
}

const EN: Words = Words {
    greeting: "Dear",
    hello: "Hello",
    link_subject: "Bring friends to {{ event.title }} and earn rewards",
    link_intro: "Thank you for your tickets to <strong>{{ event.title }}</strong> ({{ event.starts_at }}). Share your own link: every ticket your friends buy through it counts for you in <strong>{{ promotion.name }}</strong>.",
    link_tiers: "The rewards",
    tickets: "tickets",
    link_share: "Your link to share",
    link_progress: "See your progress",
    link_progress_note: "This progress link is private: keep it for yourself.",
    link_closes: "Sales count until {{ promotion.closes_at }}.",
    unsubscribe: "Unsubscribe",
    tier_subject: "{{ count }} referral rewards to give – {{ promotion.name }}",
    tier_intro: "These participants of <strong>{{ promotion.name }}</strong> reached a reward. Give it to them and mark it fulfilled on the promotion's page.",
    tier_sold: "sold",
    open_promotion: "Open the promotion",
    closed_subject: "{{ promotion.name }} has closed: {{ count }} rewards to fulfil",
    closed_intro: "The promotion <strong>{{ promotion.name }}</strong> closed at {{ promotion.closes_at }}. Its leaderboard is final.",
    closed_totals: "In all",
    participants: "participants",
    revenue: "revenue",
    clicks: "clicks",
    closed_leaderboard: "Leaderboard",
    closed_winners: "Rewards to fulfil",
    closed_no_winners: "No reward is left to fulfil.",
};

const DA: Words = Words {
    greeting: "Kære",
    hello: "Hej",
    link_subject: "Tag venner med til {{ event.title }} og få belønninger",
    link_intro: "Tak for dine billetter til <strong>{{ event.title }}</strong> ({{ event.starts_at }}). Del dit eget link: hver billet, dine venner køber gennem det, tæller for dig i <strong>{{ promotion.name }}</strong>.",
    link_tiers: "Belønningerne",
    tickets: "billetter",
    link_share: "Dit link til deling",
    link_progress: "Se hvordan det går",
    link_progress_note: "Linket til din status er privat: behold det for dig selv.",
    link_closes: "Salg tæller indtil {{ promotion.closes_at }}.",
    unsubscribe: "Afmeld",
    tier_subject: "{{ count }} henvisningsbelønninger skal gives – {{ promotion.name }}",
    tier_intro: "Disse deltagere i <strong>{{ promotion.name }}</strong> har nået en belønning. Giv dem den, og markér den som udleveret på kampagnens side.",
    tier_sold: "solgt",
    open_promotion: "Åbn kampagnen",
    closed_subject: "{{ promotion.name }} er lukket: {{ count }} belønninger skal udleveres",
    closed_intro: "Kampagnen <strong>{{ promotion.name }}</strong> lukkede {{ promotion.closes_at }}. Resultatlisten er endelig.",
    closed_totals: "I alt",
    participants: "deltagere",
    revenue: "omsætning",
    clicks: "klik",
    closed_leaderboard: "Resultatliste",
    closed_winners: "Belønninger der skal udleveres",
    closed_no_winners: "Der er ingen belønninger tilbage at udlevere.",
};

const FR: Words = Words {
    greeting: "Cher·e",
    hello: "Bonjour",
    link_subject: "Invitez vos amis à {{ event.title }} et gagnez des récompenses",
    link_intro: "Merci pour vos billets pour <strong>{{ event.title }}</strong> ({{ event.starts_at }}). Partagez votre lien personnel : chaque billet que vos amis achètent par ce lien compte pour vous dans <strong>{{ promotion.name }}</strong>.",
    link_tiers: "Les récompenses",
    tickets: "billets",
    link_share: "Votre lien à partager",
    link_progress: "Voir votre progression",
    link_progress_note: "Ce lien de progression est privé : gardez-le pour vous.",
    link_closes: "Les ventes comptent jusqu'au {{ promotion.closes_at }}.",
    unsubscribe: "Se désabonner",
    tier_subject: "{{ count }} récompenses de parrainage à remettre – {{ promotion.name }}",
    tier_intro: "Ces participants à <strong>{{ promotion.name }}</strong> ont atteint une récompense. Remettez-la-leur et marquez-la remise sur la page de la promotion.",
    tier_sold: "vendus",
    open_promotion: "Ouvrir la promotion",
    closed_subject: "{{ promotion.name }} est terminée : {{ count }} récompenses à remettre",
    closed_intro: "La promotion <strong>{{ promotion.name }}</strong> s'est terminée le {{ promotion.closes_at }}. Son classement est définitif.",
    closed_totals: "Au total",
    participants: "participants",
    revenue: "chiffre d'affaires",
    clicks: "clics",
    closed_leaderboard: "Classement",
    closed_winners: "Récompenses à remettre",
    closed_no_winners: "Aucune récompense ne reste à remettre.",
};

fn words(language: &str) -> &'static Words {
    match language {
        "da" => &DA,
        "fr" => &FR,
        _ => &EN,
    }
}

/// The built-in `(subject, html)` of `key` in `language` (English for another language).
pub fn built_in(key: &str, language: &str) -> Option<(String, String)> {
    let w = words(language);
    let signature = "<p>{{ organization }}</p>";
    let open = format!(
        "<p><a href=\"{{{{ promotion.url }}}}\">{}</a></p>",
        w.open_promotion
    );
    match key {
        "referral_link" => Some((
            w.link_subject.to_string(),
            format!(
                "<p>{{% if customer.first_name %}}{greeting} {{{{ customer.first_name }}}}{{% else %}}{hello}{{% endif %}},</p>\
<p>{intro}</p><h3>{tiers_title}</h3>\
<ul>{{% for t in tiers %}}<li><strong>{{{{ t.tickets }}}} {tickets}</strong>: {{{{ t.reward }}}}</li>{{% endfor %}}</ul>\
<p>{share}:<br><a href=\"{{{{ tracking_link }}}}\">{{{{ tracking_link }}}}</a></p>\
<p><a href=\"{{{{ progress_link }}}}\">{progress}</a><br>{progress_note}</p>\
{{% if promotion.closes_at %}}<p>{closes}</p>{{% endif %}}{signature}\
<p style=\"font-size:12px\"><a href=\"{{{{ unsubscribe_url }}}}\">{unsubscribe}</a></p>",
                greeting = w.greeting,
                hello = w.hello,
                intro = w.link_intro,
                tiers_title = w.link_tiers,
                tickets = w.tickets,
                share = w.link_share,
                progress = w.link_progress,
                progress_note = w.link_progress_note,
                closes = w.link_closes,
                unsubscribe = w.unsubscribe,
            ),
        )),
        "referral_staff_tier" => Some((
            w.tier_subject.to_string(),
            format!(
                "<p>{hello} {{{{ recipient }}}},</p><p>{intro}</p>\
<ul>{{% for r in rewards %}}<li><strong>{{{{ r.participant }}}}</strong> ({{{{ r.email }}}}) – {{{{ r.tier_tickets }}}} {tickets}: \
<strong>{{{{ r.reward }}}}</strong> · {{{{ r.tickets }}}} {sold}</li>{{% endfor %}}</ul>{open}{signature}",
                hello = w.hello,
                intro = w.tier_intro,
                tickets = w.tickets,
                sold = w.tier_sold,
            ),
        )),
        "referral_staff_closed" => Some((
            w.closed_subject.to_string(),
            format!(
                "<p>{hello} {{{{ recipient }}}},</p><p>{intro}</p>\
<p>{totals}: {{{{ totals.participants }}}} {participants} · {{{{ totals.tickets }}}} {tickets} · {{{{ totals.revenue }}}} {revenue}</p>\
<h3>{leaderboard}</h3><ol>{{% for l in leaderboard %}}<li><strong>{{{{ l.participant }}}}</strong> – {{{{ l.tickets }}}} {tickets}, \
{{{{ l.revenue }}}}, {{{{ l.clicks }}}} {clicks}</li>{{% endfor %}}</ol>\
<h3>{winners}</h3>{{% if winners %}}<ul>{{% for r in winners %}}<li><strong>{{{{ r.participant }}}}</strong> ({{{{ r.email }}}}) – \
{{{{ r.tier_tickets }}}} {tickets}: <strong>{{{{ r.reward }}}}</strong></li>{{% endfor %}}</ul>{{% else %}}<p>{none}</p>{{% endif %}}\
{open}{signature}",
                hello = w.hello,
                intro = w.closed_intro,
                totals = w.closed_totals,
                participants = w.participants,
                tickets = w.tickets,
                revenue = w.revenue,
                clicks = w.clicks,
                leaderboard = w.closed_leaderboard,
                winners = w.closed_winners,
                none = w.closed_no_winners,
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{built_in as template, render, sample_variables as all_samples};

    fn rendered(key: &str, language: &str) -> super::super::Rendered {
        render(
            &template(key, language).expect("built in"),
            &all_samples(key, "en"),
        )
        .expect("renders")
    }

    #[test]
    fn the_link_mail_carries_both_links_the_tiers_and_the_unsubscribe_link_in_every_language() {
        for language in ["en", "da", "fr"] {
            let mail = rendered("referral_link", language);
            // Slashes in links are escaped in the HTML (`&#x2f;`): look for what is between them.
            for expected in [
                "4m5n6p7r8s\">",
                "fhr_sample\">",
                "VIP upgrade",
                "Bring a friend",
                "unsubscribe&#x2f;sample\">",
            ] {
                assert!(
                    mail.html.contains(expected),
                    "{language}: {expected} in {}",
                    mail.html
                );
            }
            assert!(mail.text.contains("/r/4m5n6p7r8s"), "{}", mail.text);
            assert!(
                mail.text.contains("/referrals/progress/fhr_sample"),
                "{}",
                mail.text
            );
        }
    }

    #[test]
    fn the_staff_mails_name_who_gets_what_and_link_the_promotion_in_every_language() {
        for language in ["en", "da", "fr"] {
            let tier = rendered("referral_staff_tier", language);
            assert!(tier.html.contains("Søren Nielsen"), "{}", tier.html);
            assert!(tier.html.contains("A drink at the bar"), "{}", tier.html);
            assert!(tier.html.contains("prm_1\">"), "{}", tier.html);
            let closed = rendered("referral_staff_closed", language);
            for expected in ["Anna Holm", "VIP upgrade", "9,600.00 DKK", "prm_1\">"] {
                assert!(
                    closed.html.contains(expected),
                    "{language}: {expected} in {}",
                    closed.html
                );
            }
            for mail in [&tier, &closed] {
                assert!(!mail.html.to_lowercase().contains("unsubscribe"));
            }
        }
    }
}
