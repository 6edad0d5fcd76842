//! The preview's sample values in the template's language: a Danish template previews with a
//! Danish customer, event, ticket types and money written the Danish way, so the organizer
//! reads the preview as their customers will read the mail. The English samples are the base;
//! each language replaces the words (objects merge, lists are replaced whole).

use serde_json::{json, Value};

/// Puts `language`'s words into the English `values`.
pub(super) fn localize(values: &mut Value, language: &str) {
    let words = match language {
        "da" => danish(),
        "fr" => french(),
        _ => return,
    };
    merge(values, words);
}

fn merge(into: &mut Value, patch: Value) {
    match (into, patch) {
        (Value::Object(into), Value::Object(patch)) => {
            for (key, value) in patch {
                match into.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        into.insert(key, value);
                    }
                }
            }
        }
        (slot, patch) => *slot = patch,
    }
}

fn danish() -> Value {
    json!({
        "organization": "Demoteatret",
        "recipient": "Mette",
        "job": {"title": "Importér publikum VIP-koder"},
        "customer": {"first_name": "Søren", "last_name": "Nielsen"},
        "custom_text": "To billetter til prisen for én på fredag.",
        "order": {"total": "540,00 DKK", "list_total": "600,00 DKK", "discount_total": "60,00 DKK"},
        "event": {"title": "Maskarade", "venue": "Store Scene", "starts_at": "2031-01-01 19:00"},
        "tickets": [
            {"place": "Parket · Midt · Række A · Plads 5", "section": "Parket", "group": "Midt", "row": "A", "seat": "5", "area": "", "type": "Voksen", "list_price": "300,00 DKK", "price": "240,00 DKK", "discount": "60,00 DKK", "discount_label": "Husets venner"},
            {"place": "Parket · Midt · Række A · Plads 6", "section": "Parket", "group": "Midt", "row": "A", "seat": "6", "area": "", "type": "Voksen", "list_price": "300,00 DKK", "price": "300,00 DKK", "discount": "", "discount_label": ""},
        ],
        "discounts": [{"label": "Husets venner", "code": "VENNER"}],
        "intent": {"total": "540,00 DKK", "company": "Nordisk Film A/S"},
        "intents": [
            {"customer": "Søren Nielsen", "event": "Maskarade · 2031-01-01 19:00", "pay_by": "2030-12-24 12:00", "total": "540,00 DKK", "url": "https://example.invalid/intents/int_1"},
            {"customer": "mette@example.invalid", "event": "Maskarade · 2031-01-01 19:00", "pay_by": "2030-12-24 18:30", "total": "300,00 DKK", "url": "https://example.invalid/intents/int_2"},
        ],
        "promotion": {"name": "Tag en ven med"},
        "tiers": [
            {"tickets": 3, "reward": "En drink i baren"},
            {"tickets": 10, "reward": "VIP-opgradering"},
        ],
        "rewards": [
            {"participant": "Søren Nielsen", "email": "soren@example.invalid", "tier_tickets": 3, "reward": "En drink i baren", "tickets": 3},
        ],
        "totals": {"participants": 120, "tickets": 48, "revenue": "9.600,00 DKK"},
        "leaderboard": [
            {"rank": 1, "participant": "Søren Nielsen", "tickets": 11, "revenue": "2.200,00 DKK", "clicks": 40},
            {"rank": 2, "participant": "Mette Holm", "tickets": 4, "revenue": "800,00 DKK", "clicks": 12},
        ],
        "winners": [
            {"participant": "Søren Nielsen", "email": "soren@example.invalid", "tier_tickets": 10, "reward": "VIP-opgradering", "state": "reminded"},
            {"participant": "Mette Holm", "email": "mette@example.invalid", "tier_tickets": 3, "reward": "En drink i baren", "state": "earned"},
        ],
    })
}

fn french() -> Value {
    // Thousands are grouped with a narrow no-break space, as the French pages do.
    json!({
        "organization": "Théâtre de démonstration",
        "recipient": "Claire",
        "job": {"title": "Importer l'audience Codes VIP"},
        "customer": {"first_name": "Camille", "last_name": "Martin"},
        "custom_text": "Deux places pour le prix d'une ce vendredi.",
        "order": {"total": "540,00 DKK", "list_total": "600,00 DKK", "discount_total": "60,00 DKK"},
        "event": {"title": "Le Misanthrope", "venue": "Grande Salle", "starts_at": "2031-01-01 19:00"},
        "tickets": [
            {"place": "Parterre · Centre · Rang A · Place 5", "section": "Parterre", "group": "Centre", "row": "A", "seat": "5", "area": "", "type": "Adulte", "list_price": "300,00 DKK", "price": "240,00 DKK", "discount": "60,00 DKK", "discount_label": "Amis de la maison"},
            {"place": "Parterre · Centre · Rang A · Place 6", "section": "Parterre", "group": "Centre", "row": "A", "seat": "6", "area": "", "type": "Adulte", "list_price": "300,00 DKK", "price": "300,00 DKK", "discount": "", "discount_label": ""},
        ],
        "discounts": [{"label": "Amis de la maison", "code": "AMIS"}],
        "intent": {"total": "540,00 DKK", "company": "Gaumont SA"},
        "intents": [
            {"customer": "Camille Martin", "event": "Le Misanthrope · 2031-01-01 19:00", "pay_by": "2030-12-24 12:00", "total": "540,00 DKK", "url": "https://example.invalid/intents/int_1"},
            {"customer": "claire@example.invalid", "event": "Le Misanthrope · 2031-01-01 19:00", "pay_by": "2030-12-24 18:30", "total": "300,00 DKK", "url": "https://example.invalid/intents/int_2"},
        ],
        "promotion": {"name": "Venez avec un ami"},
        "tiers": [
            {"tickets": 3, "reward": "Un verre au bar"},
            {"tickets": 10, "reward": "Surclassement VIP"},
        ],
        "rewards": [
            {"participant": "Camille Martin", "email": "camille@example.invalid", "tier_tickets": 3, "reward": "Un verre au bar", "tickets": 3},
        ],
        "totals": {"participants": 120, "tickets": 48, "revenue": "9\u{202f}600,00 DKK"},
        "leaderboard": [
            {"rank": 1, "participant": "Camille Martin", "tickets": 11, "revenue": "2\u{202f}200,00 DKK", "clicks": 40},
            {"rank": 2, "participant": "Claire Dubois", "tickets": 4, "revenue": "800,00 DKK", "clicks": 12},
        ],
        "winners": [
            {"participant": "Camille Martin", "email": "camille@example.invalid", "tier_tickets": 10, "reward": "Surclassement VIP", "state": "reminded"},
            {"participant": "Claire Dubois", "email": "claire@example.invalid", "tier_tickets": 3, "reward": "Un verre au bar", "state": "earned"},
        ],
    })
}
