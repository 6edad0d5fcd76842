//! Files that are not spreadsheets at all — a photo, a PDF, a ZIP of something else — told by
//! their first bytes, so an upload is refused with what it is ("a PNG image") instead of being
//! previewed as Windows-1252 text. Only what is certain is refused: text in any encoding the
//! reader decodes, XLSX, ODS and XLS pass.

use crate::error::Error;

/// What a file that is not a spreadsheet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotASpreadsheet {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    /// A zip archive whose parts are not a workbook's.
    Zip,
    /// A Word document (DOCX, or an OpenDocument text).
    Document,
    Gzip,
    /// A program (Windows, Linux or macOS executable).
    Program,
    /// Bytes no text has (NUL bytes, control characters).
    Binary,
}

/// How many first bytes [`NotASpreadsheet::sniff`] looks at.
pub const SNIFF_BYTES: usize = 4096;

impl NotASpreadsheet {
    /// A stable name, for pages that say it in their own words (`audiences-kind-png`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
            Self::Zip => "zip",
            Self::Document => "document",
            Self::Gzip => "gzip",
            Self::Program => "program",
            Self::Binary => "binary",
        }
    }

    /// What the file is, in English.
    fn described(self) -> &'static str {
        match self {
            Self::Png => "a PNG image",
            Self::Jpeg => "a JPEG image",
            Self::Gif => "a GIF image",
            Self::Webp => "a WebP image",
            Self::Pdf => "a PDF document",
            Self::Zip => "a ZIP archive",
            Self::Document => "a text document",
            Self::Gzip => "a compressed (gzip) file",
            Self::Program => "a program",
            Self::Binary => "a binary file",
        }
    }

    /// The refusal of the field `file`: "This is a PNG image, not a spreadsheet: …".
    pub fn error(self) -> Error {
        Error::invalid(
            "file",
            format!(
                "This is {}, not a spreadsheet: upload a CSV or XLSX file",
                self.described()
            ),
        )
    }

    /// What the first bytes of a file (up to [`SNIFF_BYTES`]) say it is, when it is certainly
    /// no spreadsheet.
    pub fn sniff(head: &[u8]) -> Option<NotASpreadsheet> {
        const MAGIC: [(&[u8], NotASpreadsheet); 9] = [
            (b"\x89PNG\r\n\x1a\n", NotASpreadsheet::Png),
            (b"\xFF\xD8\xFF", NotASpreadsheet::Jpeg),
            (b"GIF87a", NotASpreadsheet::Gif),
            (b"GIF89a", NotASpreadsheet::Gif),
            (b"%PDF-", NotASpreadsheet::Pdf),
            (b"\x1F\x8B", NotASpreadsheet::Gzip),
            (b"MZ", NotASpreadsheet::Program),
            (b"\x7FELF", NotASpreadsheet::Program),
            (b"\xCF\xFA\xED\xFE", NotASpreadsheet::Program),
        ];
        if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
            return Some(*kind);
        }
        if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
            return Some(NotASpreadsheet::Webp);
        }
        if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            // An old Excel workbook (the reader refuses it with its own way out).
            return None;
        }
        if head.starts_with(b"PK\x03\x04") {
            return zip_kind(head);
        }
        if head.starts_with(b"PK\x05\x06") {
            // An empty zip archive.
            return Some(NotASpreadsheet::Zip);
        }
        binary_text(head).then_some(NotASpreadsheet::Binary)
    }
}

/// A zip archive's first part names what it holds: a workbook starts with its content types,
/// its relations, its properties or its `xl/` parts (Excel, LibreOffice, openpyxl, Google
/// Sheets), an OpenDocument file with its `mimetype`. Anything else is no workbook.
fn zip_kind(head: &[u8]) -> Option<NotASpreadsheet> {
    let u16_at = |at: usize| {
        head.get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let (Some(name_len), Some(extra_len)) = (u16_at(26), u16_at(28)) else {
        // Too short to tell: the reader decides.
        return None;
    };
    let name = head.get(30..30 + name_len)?;
    let data = head.get(30 + name_len + extra_len..).unwrap_or_default();
    if name == b"mimetype" {
        const SPREADSHEET: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
        const TEXT: &[u8] = b"application/vnd.oasis.opendocument.text";
        return if data.starts_with(SPREADSHEET) {
            None
        } else if data.starts_with(TEXT) {
            Some(NotASpreadsheet::Document)
        } else {
            Some(NotASpreadsheet::Zip)
        };
    }
    if name.starts_with(b"word/") {
        return Some(NotASpreadsheet::Document);
    }
    const WORKBOOK_PARTS: [&[u8]; 5] = [
        b"[Content_Types].xml",
        b"_rels/",
        b"docProps/",
        b"xl/",
        b"customXml/",
    ];
    if WORKBOOK_PARTS.iter().any(|part| name.starts_with(part)) {
        None
    } else {
        Some(NotASpreadsheet::Zip)
    }
}

/// Text has no NUL byte (but UTF-16, which the reader decodes, has one in every other byte)
/// and few control characters.
fn binary_text(head: &[u8]) -> bool {
    const BOMS: [&[u8]; 3] = [b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"];
    if head.is_empty()
        || BOMS.iter().any(|bom| head.starts_with(bom))
        || super::decode::sniff_utf16_without_bom(head).is_some()
    {
        return false;
    }
    let control = |b: &&u8| matches!(**b, 0..=8 | 0x0E..=0x1F | 0x7F) && **b != 0x1A;
    let controls = head.iter().filter(control).count();
    head.contains(&0) || controls * 20 > head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_documents_and_archives_are_told_by_their_first_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(NotASpreadsheet::sniff(png), Some(NotASpreadsheet::Png));
        assert_eq!(
            NotASpreadsheet::sniff(b"%PDF-1.7\n%\xE2\xE3"),
            Some(NotASpreadsheet::Pdf)
        );
        assert_eq!(
            NotASpreadsheet::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(NotASpreadsheet::Jpeg)
        );
        assert_eq!(
            NotASpreadsheet::sniff(b"Code;Antal\nK\0-1;2\n"),
            Some(NotASpreadsheet::Binary)
        );
    }

    fn zip_with_first_part(name: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend_from_slice(&[0u8; 22]);
        bytes.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn a_zip_is_a_workbook_only_when_its_first_part_is_a_workbooks() {
        for workbook in [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/app.xml",
            "xl/workbook.xml",
        ] {
            assert_eq!(
                NotASpreadsheet::sniff(&zip_with_first_part(workbook, b"<?xml")),
                None,
                "{workbook}"
            );
        }
        let ods = zip_with_first_part(
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        );
        assert_eq!(NotASpreadsheet::sniff(&ods), None);
        assert_eq!(
            NotASpreadsheet::sniff(&zip_with_first_part("photos/1.jpg", b"\xFF\xD8")),
            Some(NotASpreadsheet::Zip)
        );
        assert_eq!(
            NotASpreadsheet::sniff(&zip_with_first_part("word/document.xml", b"<?xml")),
            Some(NotASpreadsheet::Document)
        );
    }

    #[test]
    fn text_in_every_encoding_the_reader_decodes_passes() {
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Kode;Række\nÆ-1;2\n");
        let utf16: Vec<u8> = "Code,Quantity\nA-1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for text in [
            b"Code,Quantity\nA-1,2\n".to_vec(),
            latin1.into_owned(),
            utf16,
            "\u{feff}Kode;Antal\n".as_bytes().to_vec(),
        ] {
            assert_eq!(NotASpreadsheet::sniff(&text), None, "{text:?}");
        }
    }

    #[test]
    fn the_refusal_says_what_the_file_is() {
        let message = NotASpreadsheet::Png.error().to_string();
        assert!(
            message.contains("This is a PNG image, not a spreadsheet: upload a CSV or XLSX file"),
            "{message}"
        );
    }
}
