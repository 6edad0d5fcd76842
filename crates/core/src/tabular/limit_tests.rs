//! Files that ask for more than they are: each is refused with a clear reason, or read as the
//! few cells it really holds, and memory stays bounded.

use super::*;

fn read(bytes: Vec<u8>) -> Result<Vec<Row>> {
    let reader = TableReader::from_bytes(bytes)?;
    let mut rows = Vec::new();
    for row in reader {
        rows.push(row.map_err(|e| Error::invalid_fields(vec![e]))?);
    }
    Ok(rows)
}

fn message(result: Result<Vec<Row>>) -> String {
    match result {
        Ok(rows) => panic!("read {} rows instead of refusing", rows.len()),
        Err(err) => err.to_string(),
    }
}

/// The process's peak resident memory so far, in bytes (Linux).
pub(crate) fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn the_dimension_bomb_is_refused_for_its_far_cell_without_allocating_the_grid() {
    let bytes = bombs::dimension_bomb().expect("bomb");
    assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
    let text = message(read(bytes));
    assert!(
        text.contains("row 1048576")
            && text.contains("column XFD")
            && text.contains("1,000 columns"),
        "{text}"
    );
}

#[test]
fn a_declared_dimension_is_ignored_and_an_empty_far_cell_is_not_padded_to() {
    let bytes = bombs::xlsx_with_sheet(|w| {
        w.write_all(
            br#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row><row r="7"><c r="C7"><v>3</v></c></row><row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>"#,
        )
    })
    .expect("xlsx");
    let rows = read(bytes).expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].number, rows[0].cells.clone()),
        (1, vec!["1".to_string(), "x".into()])
    );
    assert_eq!(
        (rows[1].number, rows[1].cells.clone()),
        (7, vec![String::new(), String::new(), "3".into()])
    );
}

#[test]
fn a_sheet_unpacking_to_a_gigabyte_is_refused_with_memory_bounded() {
    let bytes = bombs::sheet_unpacking_to(1 << 30).expect("bomb");
    assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
    let before = peak_rss();
    let text = message(read(bytes));
    assert!(
        text.contains("the sheet unpacks to more than 512 MB"),
        "{text}"
    );
    let grown = peak_rss().saturating_sub(before);
    assert!(grown < 300 << 20, "peak memory grew by {} MB", grown >> 20);
}

#[test]
fn a_single_cell_of_a_gigabyte_is_refused_before_it_is_buffered() {
    let bytes = bombs::single_cell_of(1 << 30).expect("bomb");
    let before = peak_rss();
    let text = message(read(bytes));
    assert!(
        text.contains("a cell longer than 32,767 characters"),
        "{text}"
    );
    let grown = peak_rss().saturating_sub(before);
    assert!(grown < 300 << 20, "peak memory grew by {} MB", grown >> 20);
}

#[test]
fn a_cell_longer_than_a_spreadsheet_cell_is_refused_with_its_row_and_column() {
    let bytes = bombs::xlsx_with_sheet(|w| {
        w.write_all(br#"<sheetData><row r="3"><c r="B3" t="inlineStr"><is><t>"#)?;
        w.write_all(&vec![b'y'; 40_000])?;
        w.write_all(b"</t></is></c></row></sheetData>")
    })
    .expect("xlsx");
    let text = message(read(bytes));
    assert!(
        text.contains("row 3, B: a cell longer than 32,767 characters"),
        "{text}"
    );
}

#[test]
fn an_ods_whose_repeats_expand_to_billions_of_cells_is_refused() {
    let text = message(read(bombs::ods_repeat_bomb().expect("bomb")));
    assert!(text.contains("more than 2,000,000 cells"), "{text}");
}

#[test]
fn an_ods_cell_of_a_billion_repeated_spaces_is_refused() {
    let text = message(read(bombs::ods_space_bomb(1_000_000_000).expect("bomb")));
    assert!(
        text.contains("a cell longer than 32,767 characters"),
        "{text}"
    );
}

#[test]
fn an_ods_with_repeated_cells_inside_the_caps_reads() {
    let bytes = bombs::ods_with_rows(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Code</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Antal</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="7"/><table:table-cell table:number-columns-repeated="1000"/></table:table-row>"#,
    )
    .expect("ods");
    let rows = read(bytes).expect("rows");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3].cells, vec!["7".to_string(), "7".into()]);
    assert_eq!(rows[3].number, 4);
}

#[test]
fn a_csv_line_of_50_mb_is_refused_without_holding_it() {
    let mut bytes = b"code,quantity\nA,1\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'z', 50 << 20));
    bytes.extend_from_slice(b",2\nB,3\n");
    let before = peak_rss();
    let text = message(read(bytes));
    assert!(
        text.contains("row 3, file: a line longer than 1 MiB"),
        "{text}"
    );
    let grown = peak_rss().saturating_sub(before);
    // The 50 MB file itself is held by the test; the reader adds little to it.
    assert!(grown < 120 << 20, "peak memory grew by {} MB", grown >> 20);
}

#[test]
fn a_csv_cell_longer_than_a_spreadsheet_cell_is_refused_with_its_row_and_column() {
    let mut bytes = b"code,name\nA,".to_vec();
    bytes.extend(std::iter::repeat_n(b'n', 40_000));
    bytes.extend_from_slice(b"\n");
    let text = message(read(bytes));
    assert!(
        text.contains("row 2, B: a cell longer than 32,767 characters"),
        "{text}"
    );
}

#[test]
fn a_preview_shows_at_most_200_characters_of_a_cell() {
    let mut bytes = b"code,quantity\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'q', 30_000));
    bytes.extend_from_slice(b",1\n");
    let mut reader = TableReader::from_bytes(bytes).expect("reader");
    let fields = [
        FieldSpec {
            name: "code",
            aliases: &[],
            required: true,
        },
        FieldSpec {
            name: "quantity",
            aliases: &[],
            required: true,
        },
    ];
    let layout = reader.layout(HeaderRows::Count(1), &fields);
    let map = layout.automatic_map(&fields);
    let preview = Preview::build(&mut reader, &layout, &map, &fields).expect("preview");
    let cell = &preview.rows[0].cells[0];
    assert_eq!(cell.chars().count(), SHOWN_CHARS + 1);
    assert!(cell.ends_with('…'));
    assert_eq!(
        preview.rows[0].values[0]
            .as_deref()
            .map(|v| v.chars().count()),
        Some(201)
    );
}

#[test]
fn problems_keep_values_and_reasons_short() {
    let mut problems = Problems::new();
    problems.push(FieldError::at_row(2, "code", "r".repeat(5_000)).with_value("v".repeat(30_000)));
    let kept = &problems.kept()[0];
    assert_eq!(kept.value.as_deref().map(|v| v.chars().count()), Some(201));
    assert_eq!(kept.reason.chars().count(), 1_001);
}

/// Writes the fuzz targets' seed corpora: `FUZZ_SEEDS=fuzz/corpus cargo test -p fullhouse-core
/// --lib write_fuzz_seeds -- --ignored`.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let Ok(root) = std::env::var("FUZZ_SEEDS") else {
        return;
    };
    let root = std::path::PathBuf::from(root);
    let write = |target: &str, name: &str, choice: u8, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("dir");
        let mut seed = vec![choice];
        seed.extend_from_slice(bytes);
        std::fs::write(dir.join(format!("seed-{name}")), seed).expect("seed");
    };
    let mut xlsx =
        TableWriter::new(ExportFormat::Xlsx, &["Code", "Antal", "Kategori"], b',').expect("xlsx");
    xlsx.write_row(&["VIP-1", "2", "Parket"]).expect("row");
    xlsx.write_row(&["Æble-2", "1", "Balkon"]).expect("row");
    let valid_ods = bombs::ods_with_rows(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Code</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Antal</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>VIP<text:s text:c="2"/>1</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="3"/></table:table-row>"#,
    )
    .expect("ods");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252
        .encode("Kode;Antal;Kategori\nSøren-1;2;Østbalkon\n\"Hé;lène\";1;Loge\n");
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "valid.csv",
            b"code,quantity,category\nVIP-1,2,Parket\n\"A,B\",1,\"multi\nline\"\n".to_vec(),
        ),
        ("valid-latin1-semicolon.csv", latin1.into_owned()),
        ("valid.xlsx", xlsx.finish().expect("bytes")),
        ("valid.ods", valid_ods),
        (
            "dimension-bomb.xlsx",
            bombs::dimension_bomb().expect("bomb"),
        ),
        (
            "ods-repeat-bomb.ods",
            bombs::ods_repeat_bomb().expect("bomb"),
        ),
        (
            "ods-space-bomb.ods",
            bombs::ods_space_bomb(1_000_000_000).expect("bomb"),
        ),
        (
            "cell-300kb.xlsx",
            bombs::single_cell_of(300 << 10).expect("bomb"),
        ),
        (
            "unpacks-past-512mb.xlsx",
            bombs::sheet_unpacking_to(520 << 20).expect("bomb"),
        ),
    ];
    for (name, bytes) in &files {
        write("tabular_reader", name, 0, bytes);
    }
    let sheets: Vec<(&str, u8, Vec<u8>)> = vec![
        ("xlsx-valid", 0, br#"<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>VIP-1</t></is></c><c r="B2"><v>2</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" s="0"><v>45000.5</v></c></row></sheetData>"#.iter().copied().chain([0xFF]).chain(br#"<si><t>Code</t></si><si><r><t>Qua</t></r><r><t>ntity</t></r></si>"#.iter().copied()).collect()),
        ("xlsx-dimension-bomb", 0, br#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData>"#.to_vec()),
        ("xlsx-rows-out-of-order", 0, br#"<sheetData><row r="5"><c r="A5"><v>1</v></c></row><row r="3"><c r="A3"><v>2</v></c></row></sheetData>"#.to_vec()),
        ("ods-valid", 1, br#"<table:table-row><table:table-cell office:value-type="string"><text:p>Code</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2"/></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="2" office:value-type="string" office:string-value="x"/></table:table-row>"#.to_vec()),
        ("ods-repeat-bomb", 1, br#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#.to_vec()),
        ("ods-space-bomb", 1, br#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="1000000000"/></text:p></table:table-cell></table:table-row>"#.to_vec()),
    ];
    for (name, choice, bytes) in &sheets {
        write("sheet_reader", name, *choice, bytes);
    }
}

/// Found by the `sheet_reader` fuzz target: the ODS reader waited forever for a table's end tag.
#[test]
fn an_ods_that_ends_inside_a_table_or_an_annotation_is_refused_instead_of_hanging() {
    let unclosed_table = bombs::ods_with_rows(
        "<table:table-row><table:table-cell office:value=\"1\"/></table:table-row><table:table-ro",
    )
    .expect("ods");
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(message(read(unclosed_table)));
    });
    let text = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("an answer, not a hang");
    assert!(text.contains("the file ends inside a table"), "{text}");

    let annotation = bombs::ods_with_rows(
        "<table:table-row><table:table-cell office:value-type=\"string\"><office:annotation><text:p>note",
    )
    .expect("ods");
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(message(read(annotation)));
    });
    let text = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("an answer, not a hang");
    assert!(text.contains("not a readable ODS"), "{text}");
}

/// Found by the `sheet_reader` fuzz target: calamine subtracts a backwards dimension
/// (`E1:B2`) and overflows; the panic is the reader's, and the file is refused, not the process.
#[test]
fn a_backwards_declared_dimension_is_an_unreadable_file_not_a_crash() {
    let bytes = bombs::xlsx_with_sheet(|w| {
        w.write_all(br#"<dimension ref="E1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>"#)
    })
    .expect("xlsx");
    match read(bytes) {
        Ok(rows) => assert_eq!(rows.len(), 1),
        Err(err) => assert!(err.to_string().contains("not a readable XLSX"), "{err}"),
    }
}

#[test]
fn an_old_xls_workbook_is_refused_with_the_way_out() {
    let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 1024));
    let text = message(read(bytes));
    assert!(
        text.contains("save it as .xlsx (Excel workbook) or CSV"),
        "{text}"
    );
}
