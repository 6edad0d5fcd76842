//! The engine speaks the user's language: a Danish organizer uploads a code list with bad rows,
//! maps two columns to the same field, imports it anyway, and reads the mapping error, the failed
//! job, its progress and every bad row on the Jobs page in Danish — no sentence of the engine's
//! English catalogue appears on either page. The Jobs page names the job by its kind in Danish
//! (never `audiences.import`), highlights the job just started, shows no demo-job form in a live
//! organization, and does not put "100 %" next to a failed job.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs of the mapping page and the Jobs page.

use fullhouse_core::i18n::ENGINE;
use serde_json::Value;

use super::app_and_browser;
use crate::chromium::Browser;

/// The literal parts of the engine's English strings longer than 12 characters: what would
/// betray an untranslated engine message on a page ("is not a whole number", "appears twice in
/// the file"). Placeables (`{ $value }`) and select expressions are cut out; the variants of a
/// select (`[one] 1 row refused`) are kept.
fn english_engine_literals() -> Vec<String> {
    let mut literals = Vec::new();
    for file in ENGINE.iter().filter(|f| f.lang == "en") {
        for line in file.source.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let value = match line.split_once(" = ") {
                Some((key, value)) if !key.starts_with(' ') => value,
                _ => trimmed,
            };
            let value = match value.strip_prefix('*').unwrap_or(value).strip_prefix('[') {
                Some(variant) => variant.split_once(']').map_or("", |(_, text)| text),
                None => value,
            };
            let mut piece = String::new();
            let mut depth = 0usize;
            let mut pieces = Vec::new();
            for c in value.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        pieces.push(std::mem::take(&mut piece));
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        pieces.push(std::mem::take(&mut piece));
                    }
                    c if depth == 0 => piece.push(c),
                    _ => {}
                }
            }
            pieces.push(piece);
            for piece in pieces {
                let piece = piece.trim().trim_matches('`').trim();
                if piece.chars().count() > 12 {
                    literals.push(piece.to_string());
                }
            }
        }
    }
    literals
}

/// The text of the page as the user reads it.
async fn page_text(browser: &Browser) -> String {
    let text: Value = browser
        .client
        .execute("return document.body.innerText", vec![])
        .await
        .expect("script");
    text.as_str().unwrap_or_default().to_string()
}

/// The engine's English sentences that `text` shows.
fn english_in(text: &str) -> Vec<String> {
    english_engine_literals()
        .into_iter()
        .filter(|literal| text.contains(literal.as_str()))
        .collect()
}

#[test]
fn the_english_catalogue_yields_the_sentences_to_look_for() {
    let literals = english_engine_literals();
    for expected in [
        "is not a whole number",
        "appears twice in the file (first on row",
        "is already chosen for another column",
        "rows of the file have errors.",
        "Audience import",
    ] {
        assert!(
            literals.iter().any(|l| l == expected),
            "{expected:?} not in {literals:#?}"
        );
    }
    assert!(!literals.iter().any(|l| l.contains('$') || l.contains('{')));
}

#[tokio::test]
async fn a_danish_organizer_reads_a_failed_code_import_without_an_english_engine_message() {
    let Some((app, browser)) = app_and_browser(1).await else {
        return;
    };
    let org = app.new_org("engine-dansk").await;
    browser.log_in(&app, &org).await;
    browser.click("button[name=language][value=da]").await;
    browser
        .wait_text("nav.sidenav a[href='/customers']", |t| t == "Kunder")
        .await;

    // A code list as a Danish box office keeps it: a decimal comma, a code twice, a row without
    // a code and a quantity of nothing.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("vip-koder.csv");
    std::fs::write(
        &file,
        "Kode;Antal\nVIP-1;2\nVIP-2;2,5\nVIP-1;1\n;3\nVIP-4;0\n",
    )
    .expect("file written");
    browser.goto(&app, "/audiences/upload").await;
    browser
        .find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("file chosen");
    browser
        .click("form[action='/audiences/upload'] button[type=submit]")
        .await;
    browser
        .wait_text("#preview-table tbody", |t| t.contains("VIP-4"))
        .await;
    let mapping_page = browser.path().await;

    // Both columns as the code: the mapping error comes in Danish, beside both selects (the
    // table's header shows it in capitals, hence the lowercase comparison).
    browser
        .client
        .execute(
            "const s = document.querySelector('#column_1'); s.value = 'code';
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .expect("script");
    let mapping = browser
        .wait_text("main", |t| {
            t.to_lowercase().contains("også valgt til en anden kolonne")
        })
        .await;
    assert_eq!(english_in(&mapping), Vec::<String>::new(), "{mapping}");
    assert_eq!(english_in(&page_text(&browser).await), Vec::<String>::new());
    browser.screenshots("engine-mapping-da").await;

    // Mapped as detected again (the page anew), and imported: every bad row fails the import
    // (all or nothing).
    browser.goto(&app, &mapping_page).await;
    browser
        .wait_text("#preview-table tbody", |t| t.contains("VIP-4"))
        .await;
    browser.type_into("#name", "VIP koder").await;
    browser.click("#start-import").await;
    let failed = "#jobs-table tr.job-started[data-status=failed]";
    let error = browser
        .wait_text(&format!("{failed} .error-text"), |t| !t.is_empty())
        .await;
    assert!(browser.path().await.starts_with("/jobs?started=job_"));

    // Every bad row, with its row, column and value, in Danish.
    for expected in [
        "intet blev importeret: 4 rækker i filen har fejl.",
        "række 3, Antal `2,5`: `2,5` er ikke et helt tal",
        "række 4, Kode `VIP-1`: koden VIP-1 står to gange i filen (første gang i række 2)",
        "række 5, Kode: er tom; hvert medlem skal have en kode",
        "række 6, Antal `0`: skal være 1 eller mere (den er 0)",
    ] {
        assert!(error.contains(expected), "{expected:?} in {error}");
    }
    let row = browser.text(failed).await;
    assert!(
        row.contains("Import af målgruppe"),
        "the kind, in Danish: {row}"
    );
    assert!(
        row.contains("Importér målgruppen VIP koder fra vip-koder.csv"),
        "the title, in the starter's language: {row}"
    );
    assert!(
        row.contains("Lige startet"),
        "the job just started is marked: {row}"
    );
    assert!(
        !row.contains('%'),
        "a failed job shows no percentage: {row}"
    );
    let full_bar = browser
        .client
        .execute(
            &format!("return document.querySelectorAll(\"{failed} progress[value='100']\").length"),
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(full_bar, Value::from(0), "no full bar beside `failed`");
    assert!(
        row.contains("rækker kontrolleret"),
        "the progress it reached stays: {row}"
    );

    let text = page_text(&browser).await;
    assert!(
        !text.contains("audiences.import"),
        "no raw job kind: {text}"
    );
    assert_eq!(english_in(&text), Vec::<String>::new(), "{text}");
    let demo_forms = browser
        .client
        .execute(
            "return document.querySelectorAll('#demo-job').length",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        demo_forms,
        Value::from(0),
        "no demo job in a live organization"
    );
    browser.screenshots("engine-jobs-da").await;

    // The API shows the job as the page does: its error in the language of who started it.
    let (_, jobs) = app.get("/api/v1/jobs", &org.token).await;
    // The import's own row (the "job finished" mail it sent queued a delivery job after it).
    let stored = jobs["items"]
        .as_array()
        .and_then(|items| items.iter().find(|j| j["kind"] == "audiences.import"))
        .and_then(|job| job["error"].as_str())
        .unwrap_or_default();
    assert!(stored.starts_with("intet blev importeret"), "{jobs}");
    browser.finish().await;
    app.finish().await;
}
