//! Spreadsheet XML as an upload: the fuzz bytes become the sheet of a valid XLSX (with shared
//! strings) or the table of a valid ODS, so the fuzzer spends its time in the sheet readers and
//! the limits in front of them (declared dimensions, repeat counts, cell lengths, columns) rather
//! than in the zip format. Every input must end in rows or a row-numbered error, never a panic,
//! a hang or an allocation past libFuzzer's RSS limit.
//!
//! Input: one byte choosing XLSX (even) or ODS (odd), then the sheet's XML, then optionally a
//! 0xFF byte and the shared strings' XML (XLSX).
#![no_main]

use std::io::{Cursor, Write};

use fullhouse_core::tabular::{ColumnMap, FieldSpec, HeaderRows, Preview, TableReader};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

const FIELDS: [FieldSpec; 3] = [
    FieldSpec { name: "code", aliases: &["barcode", "stregkode", "code-barre"], required: true },
    FieldSpec { name: "quantity", aliases: &["antal", "quantité"], required: true },
    FieldSpec { name: "category", aliases: &["kategori", "catégorie"], required: false },
];

const XLSX: [(&str, &str); 4] = [
    ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#),
    ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
    ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
    ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#),
];

fn zip(parts: &[(&str, &[u8])]) -> Option<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // Stored, not deflated: the fuzzer's time goes to the readers, not to compression.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in parts {
        zip.start_file(*name, stored).ok()?;
        zip.write_all(bytes).ok()?;
    }
    Some(zip.finish().ok()?.into_inner())
}

fn xlsx(sheet: &[u8], strings: &[u8]) -> Option<Vec<u8>> {
    let mut sheet_xml = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#.to_vec();
    sheet_xml.extend_from_slice(sheet);
    sheet_xml.extend_from_slice(b"</worksheet>");
    let mut sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#.to_vec();
    sst.extend_from_slice(strings);
    sst.extend_from_slice(b"</sst>");
    let mut parts: Vec<(&str, &[u8])> = XLSX.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    parts.push(("xl/worksheets/sheet1.xml", &sheet_xml));
    parts.push(("xl/sharedStrings.xml", &sst));
    zip(&parts)
}

fn ods(table: &[u8]) -> Option<Vec<u8>> {
    let mut content = br#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">"#.to_vec();
    content.extend_from_slice(table);
    content.extend_from_slice(b"</table:table></office:spreadsheet></office:body></office:document-content>");
    let manifest = br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#;
    zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", &content),
    ])
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    let (sheet, strings) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + 1..).unwrap_or_default()),
        None => (rest, &[][..]),
    };
    let file = if choice % 2 == 0 { xlsx(sheet, strings) } else { ods(sheet) };
    let Some(file) = file else { return };
    let header = match (choice / 2) % 3 {
        0 => HeaderRows::Auto,
        n => HeaderRows::Count(u32::from(n - 1)),
    };
    let Ok(mut reader) = TableReader::from_bytes(file) else { return };
    let layout = reader.layout(header, &FIELDS);
    let map = layout.automatic_map(&FIELDS);
    let _ = map.require(&FIELDS);
    let choices: Vec<String> = layout.headers.iter().map(|h| h.chars().take(8).collect()).collect();
    let _ = ColumnMap::from_choices(&choices, &FIELDS);
    let _ = Preview::build(&mut reader, &layout, &map, &FIELDS);
    for row in reader.by_ref() {
        if let Ok(row) = row {
            let _ = map.get(&row, "code");
        }
    }
});
