//! A million customers through the export's own rows and table writer, to CSV and to XLSX: the
//! process's peak memory while writing stays within a fixed bound (nothing grows with the
//! rows), and both files read back whole — every row there, cells as written.
//!
//! The rows come from memory rather than a database: loading a million customers into a
//! database takes longer than the test may in a debug build; the database path is tested at
//! 20,000 customers end to end (`crates/server/tests/api/segments_exports.rs`) and measured at a
//! million by `fullhouse bench export`. Its own test binary, so no other test's memory is
//! counted in its peak.

use fullhouse_core::tabular::{ExportFormat, TableWriter};
use fullhouse_segments::bench_export::{
    peak_rss_mib, reset_peak_rss, rss_mib, synthetic_customer, synthetic_permissions,
    synthetic_sales, synthetic_tags,
};
use fullhouse_segments::jobs::export_rows::{
    Conventions, CustomerLine, ExportKind, Purchases, RowFormat,
};
use fullhouse_ticketing::service::facts::SaleFacts;
use fullhouse_web::Lang;

const CUSTOMERS: usize = 1_000_000;
/// What writing may add to the process's memory, whatever the number of rows: buffers, the
/// XLSX writer's row, the zip stream. A file held in memory would be 100+ MiB.
const MAX_GROWTH_MIB: f64 = 48.0;

fn write(kind: ExportKind, format: ExportFormat) -> (tempfile::NamedTempFile, Vec<String>) {
    let conventions = Conventions {
        lang: Lang::Da,
        currency: "DKK".into(),
        zone: chrono_tz::Europe::Copenhagen,
    };
    let mut rows = RowFormat::new(kind, conventions);
    let headers = rows.headers();
    let header_cells: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut writer = TableWriter::new(format, &header_cells, rows.delimiter()).expect("writer");
    for i in 0..CUSTOMERS {
        let customer = synthetic_customer("org_1", i);
        let sales = synthetic_sales(&customer.id, i, "evt_1");
        let sales: Vec<&SaleFacts> = sales.iter().collect();
        let row = rows.row(&CustomerLine {
            customer: &customer,
            tags: &synthetic_tags(i),
            permissions: &synthetic_permissions(i),
            purchases: &Purchases::of(&sales),
        });
        writer.write_row(row).expect("row");
    }
    (writer.finish_to_file().expect("finished"), headers)
}

/// Writes with the peak memory reset first; the growth over what the process held before.
fn measured(kind: ExportKind, format: ExportFormat) -> (tempfile::NamedTempFile, Vec<String>, f64) {
    let before = rss_mib();
    reset_peak_rss();
    let (file, headers) = write(kind, format);
    let growth = peak_rss_mib() - before;
    (file, headers, growth)
}

#[test]
fn a_million_customers_export_to_csv_and_xlsx_in_flat_memory_and_read_back_whole() {
    // All customer data as CSV: every row, a neutralized longitude, a list cell.
    let (csv_file, headers, growth) = measured(ExportKind::Customers, ExportFormat::Csv);
    assert!(
        growth < MAX_GROWTH_MIB,
        "CSV writing grew the process by {growth:.0} MiB"
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_path(csv_file.path())
        .expect("csv");
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (longitude, tags, email) = (column("longitude"), column("tags"), column("email"));
    let mut rows = 0usize;
    for (n, record) in reader.records().enumerate() {
        let record = record.expect("record");
        if n == 1 {
            // Customer 0: longitude -4.5 (neutralized), tags vip and student.
            assert_eq!(record.get(longitude), Some("'-4.5"));
            assert_eq!(record.get(tags), Some("vip|student"));
        }
        if n == CUSTOMERS {
            assert_eq!(record.get(email), Some("c999999@example.dk"));
        }
        rows += 1;
    }
    assert_eq!(rows, CUSTOMERS + 1, "the header and every customer");
    drop(csv_file);

    // The customer list as XLSX, read back cell by cell (calamine's whole-sheet range would
    // hold every cell in memory).
    let (xlsx_file, _, growth) = measured(ExportKind::CustomerList, ExportFormat::Xlsx);
    assert!(
        growth < MAX_GROWTH_MIB,
        "XLSX writing grew the process by {growth:.0} MiB"
    );
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(xlsx_file.path()).expect("xlsx");
    let mut cells = workbook.worksheet_cells_reader("Sheet1").expect("sheet");
    let (mut last_row, mut first_revenue, mut last_name) = (0u32, None, None);
    while let Some(cell) = cells.next_cell().expect("cell") {
        let (row, col) = cell.get_position();
        last_row = last_row.max(row);
        let text = || calamine::DataType::as_string(cell.get_value());
        match (row, col) {
            (1, 7) => first_revenue = text(),
            (r, 0) if r as usize == CUSTOMERS => last_name = text(),
            _ => {}
        }
    }
    assert_eq!(last_row as usize, CUSTOMERS, "the header is row 0");
    // Customer 0 bought two tickets of 250.00 kroner; Danish decimal comma.
    assert_eq!(first_revenue.as_deref(), Some("500,00"));
    assert_eq!(last_name.as_deref(), Some("Émile Kunde999999"));
}
