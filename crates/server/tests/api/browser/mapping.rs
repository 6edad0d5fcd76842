//! The column mapping in a real browser (issue #20): the Import button says what the whole file
//! gives ("Import 3 codes, 6 uses") and follows the mapping; choosing one field for two columns
//! marks both drop-downs with a message beside each and keeps the preview; undoing it clears
//! both; then the import runs and its job links to the audience.
//!
//! With `FULLHOUSE_SCREENSHOTS=<dir>` the test leaves PNGs at 1400 and 390 pixels wide there.

use super::app_and_browser;

/// Sets column `column`'s drop-down to `field` as a person would (a `change` event for htmx).
fn choose(column: usize, field: &str) -> String {
    format!(
        "const s = document.querySelector('#column_{column}'); s.value = '{field}';
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return null"
    )
}

async fn invalid(browser: &crate::chromium::Browser, column: usize) -> Option<String> {
    browser
        .find(&format!("#column_{column}"))
        .await
        .attr("aria-invalid")
        .await
        .expect("attribute")
}

#[tokio::test]
async fn a_field_chosen_twice_marks_both_columns_and_the_import_button_counts_the_file() {
    let Some((app, browser)) = app_and_browser(1).await else {
        return;
    };
    let org = app.new_org("browser-mapping").await;
    browser.log_in(&app, &org).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("koder.csv");
    std::fs::write(
        &file,
        "Kode;Stregkode;Antal;Kategori\nK-1;B-1;1;Parket\nK-2;B-2;2;Parket\nK-3;B-3;3;Balkon\n",
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
    let label = browser
        .wait_text("#start-import", |t| t.starts_with("Import "))
        .await;
    assert_eq!(label, "Import 3 codes, 6 uses");
    browser.screenshots("mapping-1-counted").await;

    // "Stregkode" (barcode) is the code as well: both columns are marked, the table stays.
    browser
        .client
        .execute(&choose(1, "code"), vec![])
        .await
        .expect("script");
    browser
        .wait_text("#column_1-error", |t| {
            t.to_lowercase().contains("also chosen for another column")
        })
        .await;
    assert_eq!(invalid(&browser, 0).await.as_deref(), Some("true"));
    assert_eq!(invalid(&browser, 1).await.as_deref(), Some("true"));
    assert!(browser
        .text("#column_0-error")
        .await
        .to_lowercase()
        .contains("also chosen for another column"));
    assert_eq!(
        invalid(&browser, 2).await,
        None,
        "the quantity column is fine"
    );
    let table = browser.text("#preview-table tbody").await;
    assert!(table.contains("B-3") && table.contains("Balkon"), "{table}");
    assert_eq!(browser.text("#start-import").await, "Import");
    browser.screenshots("mapping-2-field-twice").await;

    // Importing as it stands is refused on the same page, still marked.
    browser.click("#start-import").await;
    browser
        .wait_text("#column_0-error", |t| {
            t.to_lowercase().contains("also chosen")
        })
        .await;
    assert!(browser.path().await.starts_with("/audiences/upload/upl_"));

    // The first column is ignored instead: the marks go, the button counts the barcodes.
    browser
        .client
        .execute(&choose(0, "ignore"), vec![])
        .await
        .expect("script");
    browser
        .wait_text("#start-import", |t| t == "Import 3 codes, 6 uses")
        .await;
    assert_eq!(invalid(&browser, 1).await, None);
    browser.type_into("#name", "Stregkoder").await;
    browser.click("#start-import").await;
    browser
        .wait_text("#jobs-table tbody tr:first-child .status", |t| {
            t.contains("Succeeded")
        })
        .await;
    browser.screenshots("mapping-3-job").await;
    browser
        .click("#jobs-table tbody tr:first-child a.job-result")
        .await;
    let members = browser
        .wait_text("#members-table", |t| t.contains("B-3"))
        .await;
    assert!(
        !members.contains("K-3"),
        "the ignored column was not imported: {members}"
    );
    browser.screenshots("mapping-4-audience").await;
    browser.finish().await;
    app.finish().await;
}
