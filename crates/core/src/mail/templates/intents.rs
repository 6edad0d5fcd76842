//! The purchase intents' mail: the booking an organizer made for a customer (with the payment
//! link, the invoice note, or the news that the tickets follow), the reminder before the payment
//! deadline, and the organizer's daily digest of the links about to run out.
//!
//! The booking and the reminder are transactional: they go to the customer without marketing
//! permission and carry no unsubscribe link. The intents module fills the variables in the
//! customer's language (times on the venue's clock, money formatted), so the templates only place
//! them. The booking gets every variable of the order confirmation, so an organizer who edits
//! one knows the other.

use serde_json::{json, Value};

use super::orders::ticket_list;

/// The keys of this file's templates.
pub const KEYS: [&str; 3] = ["intent_booking", "intent_reminder", "intent_digest"];

/// The variables of `key`, for the editor's help text; `None` for another key.
pub fn documented_variables(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    const CUSTOMER: &[(&str, &str)] = &[
        ("organization", "the organization's name"),
        ("customer.first_name", "the customer's first name (may be empty)"),
        ("customer.last_name", "the customer's last name (may be empty)"),
        ("order.reference", "a short booking reference to quote, e.g. 4M5N6-P7R8S"),
        ("order.total", "the amount to pay, formatted, e.g. 520.00 DKK"),
        ("order.list_total", "the tickets' full prices added up, formatted"),
        ("order.discount_total", "how much the discounts took off, formatted; empty without discount"),
        ("event.title", "the event's name"),
        ("event.venue", "the venue's name"),
        ("event.date", "the day on the venue's calendar, e.g. 2031-01-01"),
        ("event.time", "the start time on the venue's clock, e.g. 19:00"),
        ("event.starts_at", "day and time together on the venue's clock"),
        ("event.timezone", "the venue's time zone, e.g. Europe/Copenhagen"),
        ("tickets", "the tickets; each has place, section, group, row, seat, area, type, list_price, price, discount, discount_label (as in the order confirmation)"),
        ("discounts", "the codes and campaigns used: each has label and code"),
        ("intent.link", "the customer's page of the booking: pay there (pay by link) or see it"),
        ("intent.strategy", "pay_by_link, invoice or complimentary"),
        ("intent.pay_by", "the payment deadline on the venue's clock (pay by link; empty otherwise)"),
        ("intent.total", "the amount of the booking, formatted"),
        ("intent.company", "the company the booking is for (may be empty)"),
    ];
    match key {
        "intent_booking" | "intent_reminder" => Some(CUSTOMER),
        "intent_digest" => Some(&[
            ("organization", "the organization's name"),
            ("recipient", "the name of the person the digest goes to"),
            ("count", "how many links run out within the day"),
            ("list_url", "the intents page, filtered to the pending ones"),
            ("intents", "the intents; each has the fields below"),
            ("intents[].customer", "the customer's name, or email"),
            (
                "intents[].event",
                "the event's name and start on the venue's clock",
            ),
            (
                "intents[].pay_by",
                "the payment deadline on the venue's clock",
            ),
            ("intents[].total", "the amount, formatted"),
            ("intents[].url", "the intent's page, to extend the deadline"),
        ]),
        _ => None,
    }
}

/// Sample values of an intent (and a digest) for previews and the render that checks a template
/// before it is saved; the order's samples come from `orders`.
pub fn sample_variables() -> Value {
    json!({
        "intent": {
            "link": "https://example.invalid/shop/demo/intents/fhi_sample",
            "strategy": "pay_by_link",
            "pay_by": "2030-12-24 12:00",
            "total": "540.00 DKK",
            "company": "Nordisk Film A/S",
        },
        "count": 2,
        "list_url": "https://example.invalid/intents?status=pending",
        "intents": [
            {"customer": "Søren Nielsen", "event": "Hamlet · 2031-01-01 19:00", "pay_by": "2030-12-24 12:00", "total": "540.00 DKK", "url": "https://example.invalid/intents/int_1"},
            {"customer": "anna@example.invalid", "event": "Hamlet · 2031-01-01 19:00", "pay_by": "2030-12-24 18:30", "total": "300.00 DKK", "url": "https://example.invalid/intents/int_2"},
        ],
    })
}

/// The words each language needs; the templates are the same shape in all three.
struct Words {
    greeting: &'static str,
    hello: &'static str,
    booked: &'static str,
    at: &'static str,
    full_price: &'static str,
    total: &'static str,
    reference: &'static str,
    pay_by_link: &'static str,
    pay_button: &'static str,
    invoice: &'static str,
    complimentary: &'static str,
    see_booking: &'static str,
    company: &'static str,
    booking_subject: &'static str,
    reminder_subject: &'static str,
    reminder: &'static str,
    digest_subject: &'static str,
    digest_intro: &'static str,
    digest_deadline: &'static str,
    digest_extend: &'static str,
    digest_all: &'static str,
}

const EN: Words = Words {
    greeting: "Dear",
    hello: "Hello",
    booked: "We have booked these tickets for you:",
    at: "at",
    full_price: "full price",
    total: "Total",
    reference: "Booking reference",
    pay_by_link: "The tickets are held for you until <strong>{{ intent.pay_by }}</strong>. Pay through the link below by then; after that they are released.",
    pay_button: "Pay now",
    invoice: "The tickets are reserved for you. We will invoice you; nothing is to be paid online.",
    complimentary: "These tickets are complimentary. Your tickets follow in a separate mail.",
    see_booking: "See your booking",
    company: "For",
    booking_subject: "Your booking for {{ event.title }} – {{ event.date }} at {{ event.time }}",
    reminder_subject: "Reminder: pay for {{ event.title }} by {{ intent.pay_by }}",
    reminder: "A reminder: the tickets below are held for you until <strong>{{ intent.pay_by }}</strong> and are not paid yet. After that they are released.",
    digest_subject: "{{ count }} payment links run out within a day",
    digest_intro: "These payment links run out within the next day. Open one to extend its deadline.",
    digest_deadline: "deadline",
    digest_extend: "Extend",
    digest_all: "All pending intents",
};

const DA: Words = Words {
    greeting: "Kære",
    hello: "Hej",
    booked: "Vi har reserveret disse billetter til dig:",
    at: "kl.",
    full_price: "fuld pris",
    total: "I alt",
    reference: "Reservationsnummer",
    pay_by_link: "Billetterne holdes til dig indtil <strong>{{ intent.pay_by }}</strong>. Betal via linket herunder inden da; derefter frigives de.",
    pay_button: "Betal nu",
    invoice: "Billetterne er reserveret til dig. Vi sender dig en faktura; der skal ikke betales online.",
    complimentary: "Billetterne er gratis. Dine billetter kommer i en særskilt mail.",
    see_booking: "Se din reservation",
    company: "For",
    booking_subject: "Din reservation til {{ event.title }} – {{ event.date }} kl. {{ event.time }}",
    reminder_subject: "Påmindelse: betal for {{ event.title }} senest {{ intent.pay_by }}",
    reminder: "En påmindelse: billetterne herunder holdes til dig indtil <strong>{{ intent.pay_by }}</strong> og er endnu ikke betalt. Derefter frigives de.",
    digest_subject: "{{ count }} betalingslinks udløber inden for et døgn",
    digest_intro: "Disse betalingslinks udløber inden for det næste døgn. Åbn et for at forlænge fristen.",
    digest_deadline: "frist",
    digest_extend: "Forlæng",
    digest_all: "Alle ventende købsreservationer",
};

const FR: Words = Words {
    greeting: "Cher·e",
    hello: "Bonjour",
    booked: "Nous avons réservé ces billets pour vous :",
    at: "à",
    full_price: "plein tarif",
    total: "Total",
    reference: "Référence de réservation",
    pay_by_link: "Les billets vous sont réservés jusqu'au <strong>{{ intent.pay_by }}</strong>. Payez par le lien ci-dessous d'ici là ; ensuite ils seront libérés.",
    pay_button: "Payer maintenant",
    invoice: "Les billets vous sont réservés. Nous vous enverrons une facture ; rien n'est à payer en ligne.",
    complimentary: "Ces billets sont offerts. Vos billets suivent dans un message séparé.",
    see_booking: "Voir votre réservation",
    company: "Pour",
    booking_subject: "Votre réservation pour {{ event.title }} – {{ event.date }} à {{ event.time }}",
    reminder_subject: "Rappel : payez {{ event.title }} avant le {{ intent.pay_by }}",
    reminder: "Un rappel : les billets ci-dessous vous sont réservés jusqu'au <strong>{{ intent.pay_by }}</strong> et ne sont pas encore payés. Ensuite ils seront libérés.",
    digest_subject: "{{ count }} liens de paiement expirent d'ici un jour",
    digest_intro: "Ces liens de paiement expirent dans la journée. Ouvrez-en un pour prolonger son délai.",
    digest_deadline: "délai",
    digest_extend: "Prolonger",
    digest_all: "Toutes les intentions d'achat en attente",
};

fn words(language: &str) -> &'static Words {
    match language {
        "da" => &DA,
        "fr" => &FR,
        _ => &EN,
    }
}

/// The greeting, the event and its venue-local start, the tickets and the total.
fn booking_body(w: &Words) -> String {
    format!(
        "<p>{{% if customer.first_name %}}{greeting} {{{{ customer.first_name }}}}{{% else %}}{hello}{{% endif %}},</p>\
<p>{booked}</p>\
<h2>{{{{ event.title }}}}</h2><p><strong>{{{{ event.date }}}} {at} {{{{ event.time }}}}</strong> · {{{{ event.venue }}}}</p>\
{{% if intent.company %}}<p>{company}: {{{{ intent.company }}}}</p>{{% endif %}}{tickets}\
<p>{total}: <strong>{{{{ intent.total }}}}</strong></p><p>{reference}: <strong>{{{{ order.reference }}}}</strong></p>",
        greeting = w.greeting,
        hello = w.hello,
        booked = w.booked,
        at = w.at,
        company = w.company,
        tickets = ticket_list(w.full_price),
        total = w.total,
        reference = w.reference,
    )
}

/// The built-in `(subject, html)` of `key` in `language` (English for another language).
pub fn built_in(key: &str, language: &str) -> Option<(String, String)> {
    let w = words(language);
    let link = |label: &str| format!("<p><a href=\"{{{{ intent.link }}}}\">{label}</a></p>");
    let signature = "<p>{{ organization }}</p>";
    match key {
        "intent_booking" => Some((
            w.booking_subject.to_string(),
            format!(
                "{body}{{% if intent.strategy == 'pay_by_link' %}}<p>{pay}</p>{pay_link}\
{{% elif intent.strategy == 'invoice' %}}<p>{invoice}</p>{see}\
{{% else %}}<p>{complimentary}</p>{see}{{% endif %}}{signature}",
                body = booking_body(w),
                pay = w.pay_by_link,
                pay_link = link(w.pay_button),
                invoice = w.invoice,
                complimentary = w.complimentary,
                see = link(w.see_booking),
            ),
        )),
        "intent_reminder" => Some((
            w.reminder_subject.to_string(),
            format!(
                "<p>{{% if customer.first_name %}}{greeting} {{{{ customer.first_name }}}}{{% else %}}{hello}{{% endif %}},</p>\
<p>{reminder}</p><h2>{{{{ event.title }}}}</h2><p><strong>{{{{ event.date }}}} {at} {{{{ event.time }}}}</strong> · {{{{ event.venue }}}}</p>\
{tickets}<p>{total}: <strong>{{{{ intent.total }}}}</strong></p>{pay_link}{signature}",
                greeting = w.greeting,
                hello = w.hello,
                reminder = w.reminder,
                at = w.at,
                tickets = ticket_list(w.full_price),
                total = w.total,
                pay_link = link(w.pay_button),
            ),
        )),
        "intent_digest" => Some((
            w.digest_subject.to_string(),
            format!(
                "<p>{hello} {{{{ recipient }}}},</p><p>{intro}</p>\
<ul>{{% for i in intents %}}<li><strong>{{{{ i.customer }}}}</strong> – {{{{ i.event }}}} – {{{{ i.total }}}}, {deadline} {{{{ i.pay_by }}}} · <a href=\"{{{{ i.url }}}}\">{extend}</a></li>{{% endfor %}}</ul>\
<p><a href=\"{{{{ list_url }}}}\">{all}</a></p>{signature}",
                hello = w.hello,
                intro = w.digest_intro,
                deadline = w.digest_deadline,
                extend = w.digest_extend,
                all = w.digest_all,
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{built_in as template, render, sample_variables as all_samples};

    fn rendered(key: &str, language: &str, strategy: &str) -> super::super::Rendered {
        let mut variables = all_samples(key, "en");
        variables["intent"]["strategy"] = strategy.into();
        render(&template(key, language).expect("built in"), &variables).expect("renders")
    }

    #[test]
    fn the_booking_says_what_each_strategy_asks_of_the_customer_in_every_language() {
        for language in ["en", "da", "fr"] {
            let link = rendered("intent_booking", language, "pay_by_link");
            for expected in [
                "Seat 5",
                "Seat 6",
                "19:00",
                "fhi_sample",
                "2030-12-24 12:00",
                "540.00 DKK",
                "Hamlet",
            ] {
                assert!(
                    link.html.contains(expected),
                    "{language}: {expected} in {}",
                    link.html
                );
            }
            let invoice = rendered("intent_booking", language, "invoice");
            let free = rendered("intent_booking", language, "complimentary");
            assert!(
                !invoice.html.contains("2030-12-24 12:00"),
                "{}",
                invoice.html
            );
            assert_ne!(invoice.html, free.html);
            assert_ne!(link.html, invoice.html);
            for mail in [&link, &invoice, &free] {
                assert!(!mail.html.to_lowercase().contains("unsubscribe"));
                assert!(!mail.html.contains("UTC"));
            }
        }
    }

    #[test]
    fn the_reminder_carries_the_link_and_the_deadline_and_the_digest_links_each_intent() {
        for language in ["en", "da", "fr"] {
            let reminder = rendered("intent_reminder", language, "pay_by_link");
            assert!(
                reminder.subject.contains("2030-12-24 12:00"),
                "{}",
                reminder.subject
            );
            assert!(reminder.html.contains("fhi_sample"), "{}", reminder.html);
            let digest = rendered("intent_digest", language, "pay_by_link");
            assert!(digest.subject.starts_with('2'), "{}", digest.subject);
            for expected in ["int_1\">", "int_2\">", "Søren Nielsen", "18:30"] {
                assert!(
                    digest.html.contains(expected),
                    "{language}: {expected} in {}",
                    digest.html
                );
            }
        }
    }
}
