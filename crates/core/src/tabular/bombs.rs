//! Hostile spreadsheets, built on demand: the files the reader's limits are tested with (unit
//! tests here, the server's upload tests, the fuzz corpus). Each is a valid archive that asks the
//! reader for far more memory than its size.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::ZipWriter;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
}

/// An XLSX of one sheet whose XML `write_sheet` writes (after `<worksheet>`, before its end).
pub fn xlsx_with_sheet(
    write_sheet: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        zip.start_file(name, options())?;
        zip.write_all(text.as_bytes())?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", options())?;
    zip.write_all(SHEET_START.as_bytes())?;
    write_sheet(&mut zip)?;
    zip.write_all(b"</worksheet>")?;
    Ok(zip.finish()?.into_inner())
}

/// The 1.6 KB file that declares `A1:XFD1048576` and fills A1 and XFD1048576: read as a
/// dense grid it is 16,384 × 1,048,576 cells.
pub fn dimension_bomb() -> std::io::Result<Vec<u8>> {
    xlsx_with_sheet(|w| {
        w.write_all(
            br#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData>"#,
        )
    })
}

/// A sheet whose XML unpacks to `bytes` (one real cell, then empty rows).
pub fn sheet_unpacking_to(bytes: u64) -> std::io::Result<Vec<u8>> {
    xlsx_with_sheet(|w| {
        w.write_all(br#"<sheetData><row r="1"><c r="A1"><v>1</v></c></row>"#)?;
        write_repeated(w, b"<row/>", bytes)?;
        w.write_all(b"</sheetData>")
    })
}

/// A sheet of one cell holding `bytes` characters.
pub fn single_cell_of(bytes: u64) -> std::io::Result<Vec<u8>> {
    xlsx_with_sheet(|w| {
        w.write_all(br#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#)?;
        write_repeated(w, b"x", bytes)?;
        w.write_all(b"</t></is></c></row></sheetData>")
    })
}

fn write_repeated(w: &mut dyn Write, unit: &[u8], bytes: u64) -> std::io::Result<()> {
    let chunk: Vec<u8> = unit.iter().copied().cycle().take(1 << 20).collect();
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        w.write_all(chunk.get(..n).unwrap_or_default())?;
        left -= n as u64;
    }
    Ok(())
}

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";
const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// An ODS whose first table's rows are `rows` (`<table:table-row>` elements).
pub fn ods_with_rows(rows: &str) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        "mimetype",
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )?;
    zip.write_all(ODS_MIMETYPE.as_bytes())?;
    zip.start_file("META-INF/manifest.xml", options())?;
    zip.write_all(ODS_MANIFEST.as_bytes())?;
    zip.start_file("content.xml", options())?;
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )?;
    Ok(zip.finish()?.into_inner())
}

/// An ODS of a million rows × 16,384 columns of `1` in a few hundred bytes of XML.
pub fn ods_repeat_bomb() -> std::io::Result<Vec<u8>> {
    ods_with_rows(
        r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#,
    )
}

/// An ODS cell of `spaces` spaces, written as one `<text:s text:c="…"/>`.
pub fn ods_space_bomb(spaces: u64) -> std::io::Result<Vec<u8>> {
    ods_with_rows(&format!(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="{spaces}"/></text:p></table:table-cell></table:table-row>"#
    ))
}
