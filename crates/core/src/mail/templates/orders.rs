//! The buyer's transactional mail about an order: the confirmation that carries the tickets, and
//! the notice that an order was cancelled or refunded. Transactional: they go to the buyer
//! without any marketing permission and carry no unsubscribe link.
//!
//! Checkout fills the variables in the buyer's language (times on the venue's clock, money
//! formatted), so the templates only place them.

use serde_json::{json, Value};

/// The keys of this file's templates.
pub const KEYS: [&str; 2] = ["order_confirmation", "order_cancelled"];

/// The variables both templates get, then `extra` ones.
macro_rules! order_variables {
    ($($extra:expr),* $(,)?) => {
        &[
            ("organization", "the organization's name"),
            ("customer.first_name", "the buyer's first name (may be empty)"),
            ("customer.last_name", "the buyer's last name (may be empty)"),
            ("order.reference", "a short order reference to quote, e.g. 4M5N6-P7R8S"),
            ("order.url", "the order's page"),
            ("order.tickets_url", "the tickets as a PDF"),
            ("order.total", "the amount paid, formatted, e.g. 520.00 DKK"),
            ("order.list_total", "the tickets' full prices added up, formatted"),
            ("order.discount_total", "how much the discounts took off, formatted; empty without discount"),
            ("event.title", "the event's name"),
            ("event.venue", "the venue's name"),
            ("event.date", "the day on the venue's calendar, e.g. 2031-01-01"),
            ("event.time", "the start time on the venue's clock, e.g. 19:00"),
            ("event.starts_at", "day and time together on the venue's clock"),
            ("event.timezone", "the venue's time zone, e.g. Europe/Copenhagen"),
            ("tickets", "the tickets; each has the fields below"),
            ("tickets[].place", "seat or area in words, e.g. Parterre · Centre · Row A · Seat 5"),
            ("tickets[].section", "the seat's section (empty for standing)"),
            ("tickets[].group", "the seat's block or group"),
            ("tickets[].row", "the seat's row"),
            ("tickets[].seat", "the seat's number or label"),
            ("tickets[].area", "the standing area (empty for a seat)"),
            ("tickets[].type", "the ticket type, e.g. Adult"),
            ("tickets[].list_price", "the ticket type's full price, formatted"),
            ("tickets[].price", "the price paid, formatted"),
            ("tickets[].discount", "what the discount took off this ticket, formatted; empty without"),
            ("tickets[].discount_label", "the campaign or code that gave the discount"),
            ("discounts", "the codes and campaigns used: each has label and code (code empty for a discount without one)"),
            $($extra),*
        ]
    };
}

/// The variables of `key`, for the editor's help text; `None` for another key.
pub fn documented_variables(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match key {
        "order_confirmation" => Some(order_variables!()),
        "order_cancelled" => Some(order_variables!(
            ("order.status", "cancelled or refunded"),
            (
                "order.refund",
                "what happens with the money: provider (paid back to the card or account used), counter (handed back at the box office), test (a test payment: no money moved) or none (ask the organization)",
            ),
        )),
        _ => None,
    }
}

/// Sample values of an order for previews and the render that checks a template before it is
/// saved.
pub fn sample_variables() -> Value {
    json!({
        "order": {
            "reference": "4M5N6-P7R8S",
            "url": "https://example.invalid/shop/demo/orders/ord_1",
            "tickets_url": "https://example.invalid/shop/demo/orders/ord_1/tickets.pdf",
            "total": "540.00 DKK",
            "list_total": "600.00 DKK",
            "discount_total": "60.00 DKK",
            "status": "refunded",
            "refund": "provider",
        },
        "event": {
            "title": "Hamlet",
            "venue": "Main Stage",
            "date": "2031-01-01",
            "time": "19:00",
            "starts_at": "2031-01-01 19:00",
            "timezone": "Europe/Copenhagen",
        },
        "tickets": [
            {"place": "Parterre · Centre · Row A · Seat 5", "section": "Parterre", "group": "Centre", "row": "A", "seat": "5", "area": "", "type": "Adult", "list_price": "300.00 DKK", "price": "240.00 DKK", "discount": "60.00 DKK", "discount_label": "Friends of the house"},
            {"place": "Parterre · Centre · Row A · Seat 6", "section": "Parterre", "group": "Centre", "row": "A", "seat": "6", "area": "", "type": "Adult", "list_price": "300.00 DKK", "price": "300.00 DKK", "discount": "", "discount_label": ""},
        ],
        "discounts": [{"label": "Friends of the house", "code": "FRIENDS"}],
    })
}

/// The tickets as a list, one line each (lists read well in narrow mail clients and in the
/// text part): seat or area, ticket type, price paid, and the full price and discount when a
/// discount applied. `full_price` is the words for "full price".
pub(super) fn ticket_list(full_price: &str) -> String {
    format!(
        "<ul>{{% for t in tickets %}}<li><strong>{{{{ t.place }}}}</strong> – {{{{ t.type }}}}: {{{{ t.price }}}}{{% if t.discount %}} ({full_price} {{{{ t.list_price }}}}, −{{{{ t.discount }}}}{{% if t.discount_label %}} {{{{ t.discount_label }}}}{{% endif %}}){{% endif %}}</li>{{% endfor %}}</ul>"
    )
}

/// The built-in `(subject, html)` of `key` in `language` (English for another language).
pub fn built_in(key: &str, language: &str) -> Option<(String, String)> {
    let discounts = |word: &str, code: &str| {
        format!("{{% if discounts %}}<p>{word}: {{% for d in discounts %}}{{{{ d.label }}}}{{% if d.code %}} ({code} {{{{ d.code }}}}){{% endif %}}{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}</p>{{% endif %}}")
    };
    let found = match (key, language) {
        ("order_confirmation", "da") => (
            "Dine billetter til {{ event.title }} – {{ event.date }} kl. {{ event.time }}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Kære {{{{ customer.first_name }}}}{{% else %}}Hej{{% endif %}},</p>\
<p>Tak for din bestilling. Dine billetter er vedhæftet som PDF; vis QR-koden ved indgangen.</p>\
<h2>{{{{ event.title }}}}</h2><p><strong>{{{{ event.date }}}} kl. {{{{ event.time }}}}</strong> · {{{{ event.venue }}}}</p>{}{}\
{{% if order.discount_total %}}<p>Rabat i alt: {{{{ order.discount_total }}}}</p>{{% endif %}}<p>I alt betalt: <strong>{{{{ order.total }}}}</strong></p>\
<p>Ordrereference: <strong>{{{{ order.reference }}}}</strong></p>\
<p><a href=\"{{{{ order.url }}}}\">Se din bestilling</a> · <a href=\"{{{{ order.tickets_url }}}}\">Hent billetterne (PDF)</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("fuld pris"),
                discounts("Rabatter", "kode"),
            ),
        ),
        ("order_confirmation", "fr") => (
            "Vos billets pour {{ event.title }} – {{ event.date }} à {{ event.time }}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Cher·e {{{{ customer.first_name }}}}{{% else %}}Bonjour{{% endif %}},</p>\
<p>Merci pour votre commande. Vos billets sont joints en PDF ; présentez le code QR à l'entrée.</p>\
<h2>{{{{ event.title }}}}</h2><p><strong>{{{{ event.date }}}} à {{{{ event.time }}}}</strong> · {{{{ event.venue }}}}</p>{}{}\
{{% if order.discount_total %}}<p>Total des remises : {{{{ order.discount_total }}}}</p>{{% endif %}}<p>Total payé : <strong>{{{{ order.total }}}}</strong></p>\
<p>Référence de commande : <strong>{{{{ order.reference }}}}</strong></p>\
<p><a href=\"{{{{ order.url }}}}\">Voir votre commande</a> · <a href=\"{{{{ order.tickets_url }}}}\">Télécharger les billets (PDF)</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("plein tarif"),
                discounts("Remises", "code"),
            ),
        ),
        ("order_confirmation", _) => (
            "Your tickets for {{ event.title }} – {{ event.date }} at {{ event.time }}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Dear {{{{ customer.first_name }}}}{{% else %}}Hello{{% endif %}},</p>\
<p>Thank you for your order. Your tickets are attached as a PDF; show the QR code at the door.</p>\
<h2>{{{{ event.title }}}}</h2><p><strong>{{{{ event.date }}}} at {{{{ event.time }}}}</strong> · {{{{ event.venue }}}}</p>{}{}\
{{% if order.discount_total %}}<p>Discounts in all: {{{{ order.discount_total }}}}</p>{{% endif %}}<p>Total paid: <strong>{{{{ order.total }}}}</strong></p>\
<p>Order reference: <strong>{{{{ order.reference }}}}</strong></p>\
<p><a href=\"{{{{ order.url }}}}\">See your order</a> · <a href=\"{{{{ order.tickets_url }}}}\">Download the tickets (PDF)</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("full price"),
                discounts("Discounts", "code"),
            ),
        ),
        ("order_cancelled", "da") => (
            "Din bestilling til {{ event.title }} er {% if order.status == 'refunded' %}refunderet{% else %}annulleret{% endif %}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Kære {{{{ customer.first_name }}}}{{% else %}}Hej{{% endif %}},</p>\
<p>Din bestilling <strong>{{{{ order.reference }}}}</strong> til {{{{ event.title }}}} ({{{{ event.date }}}} kl. {{{{ event.time }}}}, {{{{ event.venue }}}}) er {{% if order.status == 'refunded' %}}annulleret og refunderet{{% else %}}annulleret{{% endif %}}. Billetterne nedenfor gælder ikke længere.</p>{}\
<p>{{% if order.refund == 'provider' %}}{{{{ order.total }}}} betales tilbage til det kort eller den konto, du betalte med. Det kan tage nogle bankdage.{{% elif order.refund == 'counter' %}}Du betalte i billetlugen: {{{{ order.total }}}} udbetales dér.{{% elif order.refund == 'test' %}}Bestillingen var en testbetaling; ingen penge blev trukket.{{% else %}}Der er ikke flyttet penge ved annulleringen. Kontakt {{{{ organization }}}} om dine {{{{ order.total }}}}; svar blot på denne mail.{{% endif %}}</p>\
<p><a href=\"{{{{ order.url }}}}\">Se bestillingen</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("fuld pris"),
            ),
        ),
        ("order_cancelled", "fr") => (
            "Votre commande pour {{ event.title }} est {% if order.status == 'refunded' %}remboursée{% else %}annulée{% endif %}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Cher·e {{{{ customer.first_name }}}}{{% else %}}Bonjour{{% endif %}},</p>\
<p>Votre commande <strong>{{{{ order.reference }}}}</strong> pour {{{{ event.title }}}} ({{{{ event.date }}}} à {{{{ event.time }}}}, {{{{ event.venue }}}}) est {{% if order.status == 'refunded' %}}annulée et remboursée{{% else %}}annulée{{% endif %}}. Les billets ci-dessous ne sont plus valables.</p>{}\
<p>{{% if order.refund == 'provider' %}}{{{{ order.total }}}} vous sera rendu sur la carte ou le compte utilisé pour payer. Cela peut prendre quelques jours ouvrés.{{% elif order.refund == 'counter' %}}Vous avez payé à la billetterie : {{{{ order.total }}}} vous y sera rendu.{{% elif order.refund == 'test' %}}La commande était un paiement de test ; aucun argent n'a été prélevé.{{% else %}}L'annulation n'a déplacé aucun argent. Contactez {{{{ organization }}}} au sujet de vos {{{{ order.total }}}} ; répondez simplement à ce message.{{% endif %}}</p>\
<p><a href=\"{{{{ order.url }}}}\">Voir la commande</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("plein tarif"),
            ),
        ),
        ("order_cancelled", _) => (
            "Your order for {{ event.title }} is {% if order.status == 'refunded' %}refunded{% else %}cancelled{% endif %}".to_string(),
            format!(
                "<p>{{% if customer.first_name %}}Dear {{{{ customer.first_name }}}}{{% else %}}Hello{{% endif %}},</p>\
<p>Your order <strong>{{{{ order.reference }}}}</strong> for {{{{ event.title }}}} ({{{{ event.date }}}} at {{{{ event.time }}}}, {{{{ event.venue }}}}) is {{% if order.status == 'refunded' %}}cancelled and refunded{{% else %}}cancelled{{% endif %}}. The tickets below are no longer valid.</p>{}\
<p>{{% if order.refund == 'provider' %}}{{{{ order.total }}}} goes back to the card or account you paid with. It can take a few banking days.{{% elif order.refund == 'counter' %}}You paid at the box office: {{{{ order.total }}}} is handed back there.{{% elif order.refund == 'test' %}}The order was a test payment; no money was taken.{{% else %}}No money was moved by the cancellation. Contact {{{{ organization }}}} about your {{{{ order.total }}}}; simply reply to this mail.{{% endif %}}</p>\
<p><a href=\"{{{{ order.url }}}}\">See the order</a></p><p>{{{{ organization }}}}</p>",
                ticket_list("full price"),
            ),
        ),
        _ => return None,
    };
    Some(found)
}
