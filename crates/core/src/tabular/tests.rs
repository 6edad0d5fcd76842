use super::*;
use proptest::prelude::*;

fn read_all(bytes: Vec<u8>) -> (TableReader, Vec<Row>) {
    let mut reader = TableReader::from_bytes(bytes).expect("readable");
    let rows = reader.by_ref().map(|r| r.expect("row")).collect();
    (reader, rows)
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

const AUDIENCE_FIELDS: [FieldSpec; 3] = [
    FieldSpec {
        name: "code",
        aliases: &["barcode", "stregkode", "code-barre"],
        required: true,
    },
    FieldSpec {
        name: "quantity",
        aliases: &["antal", "quantité"],
        required: true,
    },
    FieldSpec {
        name: "category",
        aliases: &["kategori", "catégorie"],
        required: false,
    },
];

#[test]
fn semicolon_files_in_windows_1252_keep_danish_and_french_letters() {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252
        .encode("Navn;Fødselsdato\nSøren Ærø;1980-01-02\nHélène;1975-03-04\n");
    let table = read_csv(&bytes, true).expect("table");
    assert_eq!(table.delimiter, ';');
    assert_eq!(table.rows[0].cell(0), "Søren Ærø");
    assert_eq!(table.rows[1].cell(0), "Hélène");
}

#[test]
fn utf16_with_bom_and_tabs_is_read() {
    let bytes = utf16le_with_bom("Code\tQuantity\r\nVIP1\t2\r\n");
    let table = read_csv(&bytes, true).expect("table");
    assert_eq!(
        table.headers,
        vec!["Code".to_string(), "Quantity".to_string()]
    );
    assert_eq!(table.rows[0].number, 2);
    assert_eq!(table.delimiter, '\t');
}

#[test]
fn an_unclosed_quote_is_reported_at_its_row() {
    let err = read_csv(b"a,b\n1,2\n\"3,4\n5,6\n", true)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("row 3, file: a quoted field starts here and is never closed (a `\"` is missing)")
    );
}

#[test]
fn rows_are_numbered_by_the_line_they_start_on() {
    let (_, rows) = read_all(b"Code,Note\n\nA,\"two\nlines\"\nB,x\r\n".to_vec());
    let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, vec![1, 3, 5]);
    assert_eq!(rows[1].cells[1], "two\nlines");
}

#[test]
fn headers_map_in_any_language_and_case() {
    let headers = vec![
        "Prénom".to_string(),
        "E-mail".to_string(),
        "Postnummer".to_string(),
    ];
    let fields = [
        FieldSpec {
            name: "first_name",
            aliases: &["prenom", "fornavn", "first name"],
            required: false,
        },
        FieldSpec {
            name: "email",
            aliases: &["e-mail", "mail"],
            required: true,
        },
        FieldSpec {
            name: "postal_code",
            aliases: &["postnummer", "code postal", "zip"],
            required: false,
        },
    ];
    let map = ColumnMap::from_headers(&headers, &fields).expect("map");
    assert_eq!(map.column("first_name"), Some(0));
    assert_eq!(map.column("postal_code"), Some(2));
}

#[test]
fn a_missing_required_column_is_named() {
    let fields = [FieldSpec {
        name: "email",
        aliases: &[],
        required: true,
    }];
    let err = ColumnMap::from_headers(&["name".to_string()], &fields)
        .err()
        .map(|e| e.to_string());
    assert!(err.unwrap_or_default().starts_with("email:"));
}

#[test]
fn the_seeds_examples_find_their_header_and_columns() {
    for (file, code, quantity, category) in [
        ("Code,Quantity\ntesting1,1\n", "testing1", "1", None),
        (
            "Barcode,Quantity,Category\n1231245,1,Section2\n1231246,1,Section3\n",
            "1231245",
            "1",
            Some("Section2"),
        ),
        (
            "Stregkode;Antal;Kategori\nX1;3;Parket\n",
            "X1",
            "3",
            Some("Parket"),
        ),
    ] {
        let mut reader = TableReader::from_bytes(file.as_bytes().to_vec()).expect("reader");
        let layout = reader.layout(HeaderRows::Auto, &AUDIENCE_FIELDS);
        assert_eq!(layout.header_rows, 1, "{file}");
        let map = layout.automatic_map(&AUDIENCE_FIELDS);
        let row = reader.next().expect("row").expect("readable");
        assert_eq!(map.get(&row, "code"), Some(code));
        assert_eq!(map.get(&row, "quantity"), Some(quantity));
        assert_eq!(map.get(&row, "category"), category);
    }
}

#[test]
fn a_file_without_header_is_mapped_by_position_and_the_user_can_say_otherwise() {
    let mut reader = TableReader::from_bytes(b"VIP1,2\nVIP2,5\n".to_vec()).expect("reader");
    let layout = reader.layout(HeaderRows::Auto, &AUDIENCE_FIELDS);
    assert_eq!(layout.header_rows, 0);
    assert_eq!(layout.headers, vec!["Column A", "Column B"]);
    let map = layout.automatic_map(&AUDIENCE_FIELDS);
    assert_eq!(map.choices(2), vec![Some("code"), Some("quantity")]);

    let mut reader = TableReader::from_bytes(b"Name,Kode\nx,VIP1\n".to_vec()).expect("reader");
    let layout = reader.layout(HeaderRows::Count(1), &AUDIENCE_FIELDS);
    assert_eq!(layout.headers, vec!["Name", "Kode"]);
    let map = ColumnMap::from_choices(&["ignore".into(), "code".into()], &AUDIENCE_FIELDS)
        .expect("choices");
    let row = reader.next().expect("row").expect("readable");
    assert_eq!(map.get(&row, "code"), Some("VIP1"));
    assert!(map.require(&AUDIENCE_FIELDS).is_err());
}

#[test]
fn a_wrong_column_choice_is_named() {
    let err = ColumnMap::from_choices(&["code".into(), "colour".into()], &AUDIENCE_FIELDS)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with("columns[1]: `colour` is not a field"),
        "{err}"
    );
}

#[test]
fn xlsx_sheets_are_read_with_numbers_as_the_sheet_shows_them() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Kode").expect("cell");
    sheet.write_string(0, 1, "Antal").expect("cell");
    sheet.write_string(0, 2, "Kategori").expect("cell");
    sheet.write_string(1, 0, "ÆRØ-1").expect("cell");
    sheet.write_number(1, 1, 2.0).expect("cell");
    sheet.write_string(1, 2, "Østbalkon").expect("cell");
    sheet.write_number(3, 0, 1231245.0).expect("cell");
    sheet.write_number(3, 1, 1.5).expect("cell");
    let bytes = workbook.save_to_buffer().expect("xlsx");
    let (reader, rows) = read_all(bytes);
    assert_eq!(reader.format, Format::Xlsx);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].cells, vec!["ÆRØ-1", "2", "Østbalkon"]);
    assert_eq!(rows[2].number, 4);
    assert_eq!(rows[2].cells[0], "1231245");
    assert_eq!(rows[2].cells[1], "1.5");
}

#[test]
fn preview_shows_the_first_rows_as_they_will_be_read() {
    let mut file = String::from("Code;Quantity\n");
    for i in 0..30 {
        file.push_str(&format!("C{i};{}\n", i + 1));
    }
    let mut reader = TableReader::from_bytes(file.into_bytes()).expect("reader");
    let layout = reader.layout(HeaderRows::Auto, &AUDIENCE_FIELDS);
    let map = layout.automatic_map(&AUDIENCE_FIELDS);
    let preview = Preview::build(&mut reader, &layout, &map, &AUDIENCE_FIELDS).expect("preview");
    assert_eq!(preview.rows.len(), PREVIEW_ROWS);
    assert_eq!(preview.delimiter.as_deref(), Some(";"));
    assert_eq!(preview.rows[0].number, 2);
    assert_eq!(
        preview.rows[0].values,
        vec![Some("C0".to_string()), Some("1".to_string()), None]
    );
    assert_eq!(
        preview.columns,
        vec![Some("code".to_string()), Some("quantity".to_string())]
    );
}

#[test]
fn rejected_rows_keep_the_original_cells_and_add_the_reason() {
    let mut rejects =
        RejectedRows::new(&["Code".to_string(), "Quantity".to_string()], b';').expect("file");
    let row = Row {
        number: 7,
        cells: vec!["VIP1".into(), "zero".into()],
    };
    rejects
        .reject(
            &row,
            &[FieldError::at_row(
                7,
                "Quantity",
                "must be a positive whole number",
            )],
        )
        .expect("written");
    let bytes = rejects.finish().expect("bytes");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert_eq!(
        text,
        "\u{feff}Code;Quantity;Row;Reason\nVIP1;zero;7;Quantity: must be a positive whole number\n"
    );
}

#[test]
fn an_xlsx_export_reads_back() {
    let mut writer =
        TableWriter::new(ExportFormat::Xlsx, &["Code", "Quantity"], b',').expect("writer");
    writer.write_row(&["Åben-1", "3"]).expect("row");
    let (_, rows) = read_all(writer.finish().expect("bytes"));
    assert_eq!(rows[1].cells, vec!["Åben-1", "3"]);
}

/// Cells as organizers type them: words with Danish and French letters, spaces, quotes,
/// separators and line breaks inside.
fn cell() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec![
        "Søren",
        "Ærø",
        "Hélène",
        "Café",
        "Åbenrå",
        "VIP-321",
        "North-1",
        "1231245",
        "Parket",
        "Østbalkon",
        "Loge",
        "garçon",
        "x",
        "12",
        "",
    ]);
    let glue = prop::sample::select(vec![" ", "\"", ",", ";", "\t", "|", "\n", "-", "'"]);
    prop::collection::vec((word, glue), 1..4).prop_map(|parts| {
        let mut text: String = parts.into_iter().map(|(w, g)| format!("{w}{g}")).collect();
        text.pop();
        text
    })
}

fn table() -> impl Strategy<Value = Vec<Vec<String>>> {
    (2usize..5).prop_flat_map(|columns| {
        prop::collection::vec(prop::collection::vec(cell(), columns), 1..25).prop_map(|rows| {
            rows.into_iter()
                .filter(|row| row.iter().any(|c| !c.trim().is_empty()))
                .collect()
        })
    })
}

fn encode(text: &str, encoding: usize) -> Vec<u8> {
    match encoding {
        0 => text.as_bytes().to_vec(),
        1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        2 => utf16le_with_bom(text),
        3 => {
            let mut bytes = vec![0xFE, 0xFF];
            for unit in text.encode_utf16() {
                bytes.extend_from_slice(&unit.to_be_bytes());
            }
            bytes
        }
        _ => encoding_rs::WINDOWS_1252.encode(text).0.into_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_csv(&bytes, true);
        if let Ok(mut reader) = TableReader::from_bytes(bytes) {
            let _ = reader.layout(HeaderRows::Auto, &AUDIENCE_FIELDS);
            for _ in reader.by_ref() {}
        }
    }

    /// Any table written with any supported separator, quoting and encoding reads back identical.
    #[test]
    fn any_table_in_any_separator_and_encoding_reads_back_identical(
        rows in table(),
        delimiter in prop::sample::select(DELIMITERS.to_vec()),
        encoding in 0usize..5,
        crlf in any::<bool>(),
    ) {
        prop_assume!(!rows.is_empty());
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .quote_style(csv::QuoteStyle::Always)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        for row in &rows {
            writer.write_record(row).expect("written");
        }
        let text = String::from_utf8(writer.into_inner().expect("flushed")).expect("utf-8");
        let (reader, read) = read_all(encode(&text, encoding));
        prop_assert_eq!(reader.delimiter, Some(delimiter));
        let cells: Vec<Vec<String>> = read.into_iter().map(|r| r.cells).collect();
        prop_assert_eq!(cells, rows);
    }
}

const FORMULAS: [&str; 8] = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "VIP-1",
];

#[test]
fn a_csv_export_writes_no_cell_as_a_formula() {
    let mut writer = TableWriter::new(ExportFormat::Csv, &["=Code", "Name"], b',').expect("writer");
    for value in FORMULAS {
        writer.write_row(&[value, "ok"]).expect("row");
    }
    let bytes = writer.finish().expect("bytes");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.get(3..).unwrap_or_default());
    let cells: Vec<String> = reader
        .records()
        .map(|r| r.expect("record").get(0).unwrap_or_default().to_string())
        .collect();
    assert_eq!(cells[0], "'=Code");
    for (written, value) in cells.iter().skip(1).zip(FORMULAS) {
        if value == "VIP-1" {
            assert_eq!(written, value);
        } else {
            assert_eq!(written, &format!("'{value}"));
        }
    }
}

#[test]
fn an_xlsx_export_writes_no_cell_as_a_formula() {
    let mut writer = TableWriter::new(ExportFormat::Xlsx, &["Code"], b',').expect("writer");
    for value in FORMULAS {
        writer.write_row(&[value]).expect("row");
    }
    let mut workbook: calamine::Xlsx<_> =
        calamine::Reader::new(std::io::Cursor::new(writer.finish().expect("bytes"))).expect("xlsx");
    let range = calamine::Reader::worksheet_range_at(&mut workbook, 0)
        .expect("a sheet")
        .expect("range");
    let cells: Vec<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
    for (written, value) in cells.iter().zip(FORMULAS) {
        let expected = if value == "VIP-1" {
            value.to_string()
        } else {
            format!("'{value}")
        };
        assert_eq!(written, &expected);
    }
}

#[test]
fn rejected_rows_write_no_cell_as_a_formula() {
    let mut rejects = RejectedRows::new(&["Code".to_string()], b',').expect("file");
    let row = Row {
        number: 2,
        cells: vec!["\t=cmd|' /C calc'!A0".into()],
    };
    rejects
        .reject(&row, &[FieldError::at_row(2, "Code", "=not allowed")])
        .expect("written");
    let text = String::from_utf8(rejects.finish().expect("bytes")).expect("utf-8");
    assert_eq!(
        text,
        "\u{feff}Code,Row,Reason\n'\t=cmd|' /C calc'!A0,2,Code: =not allowed\n"
    );
}

fn xlsx(rows: &[(u32, &[&str])]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, cells) in rows {
        for (column, cell) in cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let column = u16::try_from(column).expect("column");
            match cell.parse::<f64>() {
                Ok(number) => sheet.write_number(*row, column, number).expect("cell"),
                Err(_) => sheet.write_string(*row, column, *cell).expect("cell"),
            };
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// The layout the import would use, and the data rows after it.
fn laid_out(bytes: Vec<u8>) -> (Layout, Vec<Row>) {
    let mut reader = TableReader::from_bytes(bytes).expect("reader");
    let layout = reader.layout(HeaderRows::Auto, &AUDIENCE_FIELDS);
    let rows = reader.by_ref().map(|r| r.expect("row")).collect();
    (layout, rows)
}

#[test]
fn title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers() {
    let csv = "Subscribers 2026;;\n;;\nStregkode;Antal;Kategori\nVIP1;2;Parket\n\nVIP2;3;Loge\n";
    let (layout, rows) = laid_out(csv.as_bytes().to_vec());
    assert_eq!(layout.header_rows, 2, "the title and the header");
    assert_eq!(layout.headers, vec!["Stregkode", "Antal", "Kategori"]);
    assert_eq!(
        layout.automatic_map(&AUDIENCE_FIELDS).choices(3),
        vec![Some("code"), Some("quantity"), Some("category")]
    );
    let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, vec![4, 6], "lines as the file has them");
    assert_eq!(rows[0].cells, vec!["VIP1", "2", "Parket"]);

    // Two title lines without any separator, in a comma file.
    let csv = "Abonnenter\nUdtrukket 2026-01-05\n\nCode,Quantity\nA,1\nB,2\n";
    let (layout, rows) = laid_out(csv.as_bytes().to_vec());
    assert_eq!(layout.header_rows, 3);
    assert_eq!(layout.headers, vec!["Code", "Quantity"]);
    assert_eq!(
        rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![5, 6]
    );

    // A whole-file read (customers, orders, seat maps): an error names the row in the file.
    let table = read_csv(b"Customers\n\nemail,first_name\na@b.dk,Ida\n", true).expect("table");
    assert_eq!(table.headers, vec!["email", "first_name"]);
    assert_eq!(table.header_row, Some(3));
    assert_eq!(table.rows[0].number, 4);
    let err = read_csv(
        b"Customers\n\nemail,first_name\na@b.dk,Ida\nc@d.dk,Bo,extra\n",
        true,
    )
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("row 5, file: has 3 fields but the header has 2")
    );
}

#[test]
fn title_rows_above_the_header_are_skipped_in_xlsx() {
    let bytes = xlsx(&[
        (0, &["Subscribers 2026"]),
        (2, &["Code", "Quantity", "Category"]),
        (3, &["VIP1", "2", "Parket"]),
        (4, &["VIP2", "2,0", ""]),
    ]);
    let (layout, rows) = laid_out(bytes);
    assert_eq!(layout.header_rows, 2);
    assert_eq!(layout.headers, vec!["Code", "Quantity", "Category"]);
    assert_eq!(
        rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![4, 5]
    );
    let map = layout.automatic_map(&AUDIENCE_FIELDS);
    let quantities: Vec<_> = rows
        .iter()
        .map(|r| whole_number(map.get(r, "quantity").unwrap_or_default()))
        .collect();
    assert_eq!(quantities, vec![Ok(2), Ok(2)]);
}

#[test]
fn a_one_column_file_keeps_its_first_row_as_its_header() {
    // A code list: no row has two cells, so nothing is a title.
    let (layout, rows) = laid_out(b"Code\nVIP1\nVIP2\n".to_vec());
    assert_eq!(layout.header_rows, 1);
    assert_eq!(layout.headers, vec!["Code"]);
    assert_eq!(rows.len(), 2);
    let table = read_csv(b"email\na@b.dk\nc@d.dk\n", true).expect("table");
    assert_eq!((table.headers.len(), table.rows.len()), (1, 2));
    // One stray wider row further down is no header: the rows below it are one cell wide.
    let table = read_csv(b"Code\nVIP1\nVIP2,x\nVIP3\nVIP4\n", true).expect_err("wide row");
    assert_eq!(
        table.to_string(),
        "row 3, file: has 2 fields but the header has 1"
    );
    let bytes = xlsx(&[
        (0, &["Code"]),
        (1, &["VIP1"]),
        (2, &["VIP2", "x"]),
        (3, &["VIP3"]),
    ]);
    let (layout, _) = laid_out(bytes);
    assert_eq!(layout.header_rows, 1);
}

#[test]
fn a_single_cell_first_row_above_data_without_a_header_stays_a_row() {
    // No header below it: the short row is a member with its quantity missing, to be reported.
    let (layout, rows) = laid_out(b"VIP1\nVIP2,3\nVIP3,4\n".to_vec());
    assert_eq!(layout.header_rows, 0);
    assert_eq!(
        rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn title_rows_are_found_only_with_a_header_of_comparable_width_below() {
    let row = |number: u64, cells: &[&str]| Row {
        number,
        cells: cells.iter().map(|c| c.to_string()).collect(),
    };
    let titled = [
        row(1, &["Report"]),
        row(3, &["Code", "Quantity"]),
        row(4, &["A", "1"]),
    ];
    assert_eq!(title_rows(&titled), 1);
    // A two-cell subtitle above a five-column table is not the header.
    let subtitle = [
        row(1, &["Report"]),
        row(2, &["Date", "2026-01-01"]),
        row(3, &["a", "b", "c", "d", "e"]),
        row(4, &["1", "2", "3", "4", "5"]),
    ];
    assert_eq!(title_rows(&subtitle), 0);
    // More than five single-cell rows: not titles.
    let mut long = (1..=6).map(|n| row(n, &["x"])).collect::<Vec<_>>();
    long.push(row(7, &["Code", "Quantity"]));
    long.push(row(8, &["A", "1"]));
    assert_eq!(title_rows(&long), 0);
    // Nothing below the header: no telling.
    assert_eq!(title_rows(&titled[..2]), 0);
}

#[test]
fn excel_sep_line_sets_the_delimiter() {
    for first_line in ["sep=;", "SEP=;", "\"sep=;\"", "sep=;;", "\u{feff}sep=;"] {
        // Commas in every row would win the sniffing: the `sep=` line decides.
        let csv = format!("{first_line}\r\nCode;Note\r\nVIP1;a, b, c\r\nVIP2;d, e, f\r\n");
        let (reader, rows) = read_all(csv.into_bytes());
        assert_eq!(reader.delimiter, Some(b';'), "{first_line:?}");
        assert_eq!(rows[0].cells, vec!["Code", "Note"], "{first_line:?}");
        assert_eq!(rows[0].number, 2, "{first_line:?}");
        assert_eq!(rows[2].number, 4);
    }
    for (first_line, delimiter) in [
        ("sep=,", b','),
        ("sep=\t", b'\t'),
        ("sep=\\t", b'\t'),
        ("sep=|", b'|'),
    ] {
        let sep = char::from(delimiter);
        let csv = format!("{first_line}\nCode{sep}Quantity\nVIP1{sep}2\n");
        let table = read_csv(csv.as_bytes(), true).expect("table");
        assert_eq!(table.delimiter, sep, "{first_line:?}");
        assert_eq!(table.headers, vec!["Code", "Quantity"], "{first_line:?}");
        assert_eq!(table.header_row, Some(2));
        assert_eq!(table.rows[0].number, 3);
    }
    // In a Windows-1252 file, with a title row under it.
    let (bytes, _, _) =
        encoding_rs::WINDOWS_1252.encode("sep=;\nMedlemmer\nKode;Antal\nØST-1;2,0\n");
    let (layout, rows) = laid_out(bytes.into_owned());
    assert_eq!(layout.header_rows, 2);
    assert_eq!(rows[0].number, 4);
    assert_eq!(rows[0].cells, vec!["ØST-1", "2,0"]);
    // Not a separator line: read as data.
    assert_eq!(excel_separator_line("sep=x\nA,B\n"), None);
    assert_eq!(excel_separator_line("separator;x\n"), None);
    assert_eq!(excel_separator_line("sep=;,\n"), None);
}

#[test]
fn a_title_row_does_not_hide_the_separator() {
    assert_eq!(
        sniff_delimiter("Subscribers 2026\n\nCode;Quantity\nA;1\nB;2\n"),
        b';'
    );
    assert_eq!(
        sniff_delimiter("Report, January\nCode;Quantity\nA;1\nB;2\n"),
        b';'
    );
    // A one-column file with a `;` inside one cell stays one column.
    assert_eq!(sniff_delimiter("Code\nA\nB; C\nD\nE\n"), b',');
}

#[test]
fn decimal_comma_whole_quantities_read_as_integers() {
    let csv = "Kode;Antal\nA;2,0\nB;2,00\nC;2.0\nD;2,5\n";
    let (layout, rows) = laid_out(csv.as_bytes().to_vec());
    let map = layout.automatic_map(&AUDIENCE_FIELDS);
    let read: Vec<(u64, Result<i64, String>)> = rows
        .iter()
        .map(|r| {
            (
                r.number,
                whole_number(map.get(r, "quantity").unwrap_or_default()).map_err(|m| m.to_string()),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            (2, Ok(2)),
            (3, Ok(2)),
            (4, Ok(2)),
            (5, Err("`2,5` is not a whole number".to_string())),
        ]
    );

    let bytes = xlsx(&[
        (0, &["Kode", "Antal"]),
        (1, &["A", "2,0"]),
        (2, &["B", "2"]),
        (3, &["C", "2,5"]),
    ]);
    let (layout, rows) = laid_out(bytes);
    let map = layout.automatic_map(&AUDIENCE_FIELDS);
    let read: Vec<_> = rows
        .iter()
        .map(|r| {
            whole_number(map.get(r, "quantity").unwrap_or_default()).map_err(|m| m.to_string())
        })
        .collect();
    assert_eq!(
        read,
        vec![Ok(2), Ok(2), Err("`2,5` is not a whole number".to_string())]
    );
}
