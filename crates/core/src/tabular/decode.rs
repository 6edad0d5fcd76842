//! Which text encoding an uploaded file is in, and turning it into UTF-8 as it streams.
//!
//! Order of evidence: a byte-order mark wins; then UTF-16 without a mark (a NUL in every other
//! byte of ASCII text); then "is the whole file valid UTF-8"; only then the detector (chardetng),
//! which picks Windows-1252 / ISO-8859-1 for most Danish and French spreadsheet exports. The whole
//! file is scanned, not a sample, because a Latin-1 "Å" on row 90,000 must not turn into "�".

use std::io::{self, Read, Seek, SeekFrom};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// The detector's hint of where a file comes from (a top-level domain; any of Western Europe's
/// gives the same). Fullhouse's organizers export Danish and French spreadsheets: without a hint
/// a short Windows-1252 file such as `Hélène,VIP-321` reads as Central European (`Hélčne`), found
/// by the round-trip property test in `tests.rs`; with it, Windows-1252 wins where the bytes leave
/// it open.
const WESTERN: &[u8] = b"dk";

/// Decodes a whole buffer: the same rules as [`detect_encoding`], for small inputs held in memory.
pub fn decode_text(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (text, _) = encoding.decode_without_bom_handling(body);
        return (text.into_owned(), encoding);
    }
    if let Some(encoding) = sniff_utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return (text.into_owned(), encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), UTF_8);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(Some(WESTERN), chardetng::Utf8Detection::Deny);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding)
}

/// Detects the encoding of a seekable source by reading it once, and rewinds it.
pub fn detect_encoding<R: Read + Seek>(source: &mut R) -> io::Result<&'static Encoding> {
    source.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(4096);
    source.by_ref().take(4096).read_to_end(&mut head)?;
    let found = if let Some((encoding, _)) = Encoding::for_bom(&head) {
        encoding
    } else if let Some(encoding) = sniff_utf16_without_bom(&head) {
        encoding
    } else {
        source.seek(SeekFrom::Start(0))?;
        scan_for_encoding(source)?
    };
    source.seek(SeekFrom::Start(0))?;
    Ok(found)
}

/// Reads everything: UTF-8 when every byte sequence is valid UTF-8, else the detector's guess.
fn scan_for_encoding<R: Read>(source: &mut R) -> io::Result<&'static Encoding> {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let mut utf8 = Utf8Check::default();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = source.read(&mut buffer)?;
        let chunk = buffer.get(..read).unwrap_or_default();
        if read == 0 {
            detector.feed(&[], true);
            break;
        }
        utf8.feed(chunk);
        detector.feed(chunk, false);
    }
    if utf8.finish() {
        return Ok(UTF_8);
    }
    Ok(detector.guess(Some(WESTERN), chardetng::Utf8Detection::Deny))
}

/// UTF-8 validation across chunk boundaries: a character split between two reads is carried over.
#[derive(Default)]
struct Utf8Check {
    carry: Vec<u8>,
    invalid: bool,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) {
        if self.invalid {
            return;
        }
        let joined;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            let mut all = std::mem::take(&mut self.carry);
            all.extend_from_slice(chunk);
            joined = all;
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.carry.clear(),
            Err(err) if err.error_len().is_none() => {
                self.carry = bytes.get(err.valid_up_to()..).unwrap_or_default().to_vec();
            }
            Err(_) => self.invalid = true,
        }
    }

    fn finish(self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
}

/// UTF-16 files saved without a BOM show a NUL byte in every other position of ASCII text.
pub(crate) fn sniff_utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = bytes.get(..bytes.len().min(512))?;
    if sample.len() < 4 {
        return None;
    }
    let even_nuls = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nuls = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let half = sample.len() / 2;
    if odd_nuls * 10 >= half * 8 && even_nuls == 0 {
        Some(UTF_16LE)
    } else if even_nuls * 10 >= half * 8 && odd_nuls == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// A reader that yields the source's text as UTF-8 (a BOM is dropped).
pub fn utf8_reader<R: Read + Seek + Send + 'static>(
    mut source: R,
    encoding: &'static Encoding,
) -> io::Result<Box<dyn Read + Send>> {
    if encoding == UTF_8 {
        // Already validated: the bytes pass through untouched, after the BOM if there is one.
        let mut bom = Vec::with_capacity(3);
        source.by_ref().take(3).read_to_end(&mut bom)?;
        if bom != b"\xEF\xBB\xBF" {
            source.seek(SeekFrom::Start(0))?;
        }
        return Ok(Box::new(source));
    }
    Ok(Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_sniffing(true)
            .build(source),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_latin1_letter_far_down_the_file_decides_the_encoding() {
        let mut text = "Code;Kategori\n".to_string();
        for i in 0..20_000 {
            text.push_str(&format!("C{i};Parkett\n"));
        }
        text.push_str("C-last;Østbalkon\n");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        let found = detect_encoding(&mut Cursor::new(bytes.into_owned())).ok();
        assert_eq!(found.map(|e| e.name()), Some("windows-1252"));
    }

    #[test]
    fn a_character_split_between_reads_is_still_utf8() {
        let mut check = Utf8Check::default();
        let bytes = "Æble".as_bytes();
        check.feed(bytes.get(..1).unwrap_or_default());
        check.feed(bytes.get(1..).unwrap_or_default());
        assert!(check.finish());
    }
}
