//! The tickets of an order as a PDF: one A4 page per ticket with the event, its time on the
//! venue's clock, the venue, the seat or area, the ticket type, the price, the order reference
//! and the ticket's QR code.
//!
//! Written with lopdf's object model directly: the page is a few lines of text in the standard
//! Helvetica and Courier fonts (no font file to embed; WinAnsi covers Danish and French) and one
//! grayscale image, the QR code, stored losslessly (Flate) so that any reader — a door scanner
//! reading a print, or a test — gets the exact modules back.

use encoding_rs::WINDOWS_1252;
use fullhouse_core::{Error, Result};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

use super::qr::qr_gray;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// The QR code's side on the page, in points (about 7 cm).
const QR_SIDE: f32 = 200.0;
/// Pixels per QR module in the embedded image: sharp when printed at 200 pt.
const QR_SCALE: u32 = 6;

/// What one ticket's page says, already in the buyer's language.
#[derive(Debug, Clone)]
pub struct TicketPage {
    /// Seat or area in words.
    pub place: String,
    pub type_name: String,
    /// The price paid, with the full price and the discount when there was one.
    pub price: String,
    pub barcode: String,
}

/// The headings of a ticket page, in the buyer's language.
#[derive(Debug, Clone)]
pub struct TicketLabels {
    pub place: String,
    pub type_name: String,
    pub price: String,
    pub reference: String,
    /// "Ticket", followed on the page by `n/count`.
    pub ticket: String,
    /// What to do with the ticket at the door.
    pub at_the_door: String,
}

/// An order's tickets, ready to print.
#[derive(Debug, Clone)]
pub struct TicketsPdf {
    pub organization: String,
    pub event_title: String,
    /// Day and time on the venue's clock.
    pub when: String,
    pub venue: String,
    pub reference: String,
    pub labels: TicketLabels,
    pub tickets: Vec<TicketPage>,
}

/// Text as the standard fonts' WinAnsi encoding has it; a character it lacks becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut buffer = [0u8; 4];
    for c in text.chars() {
        let (encoded, _, unmappable) = WINDOWS_1252.encode(c.encode_utf8(&mut buffer));
        match encoded.first() {
            Some(byte) if !unmappable && encoded.len() == 1 => bytes.push(*byte),
            _ => bytes.push(b'?'),
        }
    }
    bytes
}

/// Splits `text` into lines of at most about `width` points at `size` (Helvetica averages about
/// half its size per character); a word longer than a line is cut.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let max = ((width / (size * 0.52)).floor() as usize).max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_string();
        while word.chars().count() > max {
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// One page's drawing operations, top to bottom.
struct Page {
    operations: Vec<Operation>,
    y: f32,
}

impl Page {
    fn new() -> Self {
        Self {
            operations: Vec::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn text_at(&mut self, font: &str, size: f32, gray: f32, x: f32, y: f32, text: &str) {
        self.operations.extend([
            Operation::new("BT", vec![]),
            Operation::new("g", vec![gray.into()]),
            Operation::new(
                "Tf",
                vec![Object::Name(font.as_bytes().to_vec()), size.into()],
            ),
            Operation::new("Td", vec![x.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(win_ansi(text))]),
            Operation::new("ET", vec![]),
        ]);
    }

    /// Writes `text` wrapped to the page's width, moving down.
    fn paragraph(&mut self, font: &str, size: f32, gray: f32, text: &str) {
        for line in wrap(text, size, PAGE_WIDTH - 2.0 * MARGIN) {
            self.y -= size * 1.25;
            self.text_at(font, size, gray, MARGIN, self.y, &line);
        }
    }

    /// A small grey heading and its value below it.
    fn field(&mut self, label: &str, value: &str) {
        self.y -= 10.0;
        self.paragraph("F1", 9.0, 0.4, label);
        self.paragraph("F2", 13.0, 0.0, value);
    }

    fn rule(&mut self) {
        self.y -= 12.0;
        self.operations.extend([
            Operation::new("G", vec![0.75.into()]),
            Operation::new("w", vec![0.8.into()]),
            Operation::new("m", vec![MARGIN.into(), self.y.into()]),
            Operation::new("l", vec![(PAGE_WIDTH - MARGIN).into(), self.y.into()]),
            Operation::new("S", vec![]),
        ]);
    }

    fn image(&mut self, name: &str, x: f32, y: f32, side: f32) {
        self.operations.extend([
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    side.into(),
                    0.into(),
                    0.into(),
                    side.into(),
                    x.into(),
                    y.into(),
                ],
            ),
            Operation::new("Do", vec![Object::Name(name.as_bytes().to_vec())]),
            Operation::new("Q", vec![]),
        ]);
    }
}

/// The PDF of `tickets`: one page per ticket (one page saying so when there are none).
pub fn tickets_pdf(tickets: &TicketsPdf) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = |doc: &mut Document, base: &str| {
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => Object::Name(base.as_bytes().to_vec()),
            "Encoding" => "WinAnsiEncoding",
        })
    };
    let fonts = dictionary! {
        "F1" => font(&mut doc, "Helvetica"),
        "F2" => font(&mut doc, "Helvetica-Bold"),
        "F3" => font(&mut doc, "Courier"),
    };
    let count = tickets.tickets.len();
    let mut kids = Vec::with_capacity(count.max(1));
    for (index, ticket) in tickets.tickets.iter().enumerate() {
        let mut page = Page::new();
        page.paragraph("F1", 10.0, 0.4, &tickets.organization);
        page.y -= 6.0;
        page.paragraph("F2", 22.0, 0.0, &tickets.event_title);
        page.y -= 4.0;
        page.paragraph("F2", 14.0, 0.0, &tickets.when);
        page.paragraph("F1", 13.0, 0.0, &tickets.venue);
        page.rule();
        page.field(&tickets.labels.place, &ticket.place);
        page.field(&tickets.labels.type_name, &ticket.type_name);
        page.field(&tickets.labels.price, &ticket.price);
        page.field(&tickets.labels.reference, &tickets.reference);
        page.rule();
        let mut xobjects = lopdf::Dictionary::new();
        let top = page.y - 16.0;
        let x = (PAGE_WIDTH - QR_SIDE) / 2.0;
        match qr_gray(&ticket.barcode, QR_SCALE) {
            Some(image) => {
                let name = format!("Im{}", index + 1);
                let mut stream = Stream::new(
                    dictionary! {
                        "Type" => "XObject",
                        "Subtype" => "Image",
                        "Width" => i64::from(image.size),
                        "Height" => i64::from(image.size),
                        "ColorSpace" => "DeviceGray",
                        "BitsPerComponent" => 8,
                        "Interpolate" => false,
                    },
                    image.pixels,
                );
                stream
                    .compress()
                    .map_err(|e| Error::internal(format!("compressing a QR image: {e}")))?;
                xobjects.set(name.as_bytes().to_vec(), doc.add_object(stream));
                page.image(&name, x, top - QR_SIDE, QR_SIDE);
            }
            None => tracing::warn!("a barcode too long for a QR code is printed as text only"),
        }
        page.y = top - QR_SIDE - 6.0;
        let code_width = ticket.barcode.chars().count() as f32 * 12.0 * 0.6;
        page.y -= 14.0;
        let code_x = ((PAGE_WIDTH - code_width) / 2.0).max(MARGIN);
        page.text_at("F3", 12.0, 0.0, code_x, page.y, &ticket.barcode);
        page.y -= 14.0;
        page.paragraph("F1", 10.0, 0.3, &tickets.labels.at_the_door);
        page.text_at(
            "F1",
            9.0,
            0.4,
            MARGIN,
            MARGIN - 20.0,
            &format!("{} {}/{}", tickets.labels.ticket, index + 1, count),
        );
        let content = Content {
            operations: page.operations,
        }
        .encode()
        .map_err(|e| Error::internal(format!("writing a ticket page: {e}")))?;
        let mut content = Stream::new(dictionary! {}, content);
        content
            .compress()
            .map_err(|e| Error::internal(format!("compressing a ticket page: {e}")))?;
        let content_id = doc.add_object(content);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => dictionary! {
                "Font" => fonts.clone(),
                "XObject" => xobjects,
            },
        });
        kids.push(page_id.into());
    }
    if kids.is_empty() {
        let mut page = Page::new();
        page.paragraph("F2", 22.0, 0.0, &tickets.event_title);
        let content = Content {
            operations: page.operations,
        }
        .encode()
        .map_err(|e| Error::internal(format!("writing a ticket page: {e}")))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(
            doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
                "Resources" => dictionary! { "Font" => fonts.clone() },
            })
            .into(),
        );
    }
    let pages = dictionary! {
        "Type" => "Pages",
        "Count" => i64::try_from(kids.len()).unwrap_or(i64::MAX),
        "Kids" => kids,
        "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH.into(), PAGE_HEIGHT.into()],
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal(win_ansi(&format!("{} – {}", tickets.event_title, tickets.reference))),
        "Producer" => Object::string_literal("Fullhouse"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)
        .map_err(|e| Error::internal(format!("writing the tickets PDF: {e}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(count: usize) -> TicketsPdf {
        TicketsPdf {
            organization: "Det Kongelige Teater".into(),
            event_title:
                "Hamlet – Prinsen af Danmark, en forestilling med en meget lang titel der må brydes"
                    .into(),
            when: "2031-01-01 20:30".into(),
            venue: "Gamle Scene".into(),
            reference: "4M5N6-P7R8S".into(),
            labels: TicketLabels {
                place: "Plads eller område".into(),
                type_name: "Billettype".into(),
                price: "Pris".into(),
                reference: "Ordrereference".into(),
                ticket: "Billet".into(),
                at_the_door: "Vis QR-koden ved indgangen.".into(),
            },
            tickets: (0..count)
                .map(|i| TicketPage {
                    place: format!("Parterre · Centre · Række A · Sæde {}", i + 1),
                    type_name: "Voksen".into(),
                    price: "240,00 DKK (fuld pris 300,00 DKK)".into(),
                    barcode: format!("K7Q2M9X4P1B8N3Z{i}"),
                })
                .collect(),
        }
    }

    /// The grayscale images of a PDF, decompressed, with their sides.
    fn images(pdf: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let doc = Document::load_mem(pdf).expect("a PDF lopdf reads");
        doc.objects
            .values()
            .filter_map(|object| object.as_stream().ok())
            .filter(|stream| {
                stream
                    .dict
                    .get(b"Subtype")
                    .and_then(|s| s.as_name())
                    .is_ok_and(|n| n == b"Image")
            })
            .filter_map(|stream| {
                let side = stream.dict.get(b"Width").and_then(|w| w.as_i64()).ok()?;
                Some((
                    usize::try_from(side).ok()?,
                    stream.decompressed_content().ok()?,
                ))
            })
            .collect()
    }

    #[test]
    fn every_ticket_gets_a_page_whose_qr_code_decodes_to_its_barcode() {
        let pdf = tickets_pdf(&sample(3)).expect("writes");
        assert!(pdf.starts_with(b"%PDF-1.5"));
        let doc = Document::load_mem(&pdf).expect("reads");
        assert_eq!(doc.get_pages().len(), 3);
        let mut decoded: Vec<String> = images(&pdf)
            .into_iter()
            .filter_map(|(side, pixels)| {
                let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
                    pixels[y * side + x]
                });
                let grids = image.detect_grids();
                grids.first()?.decode().ok().map(|(_, text)| text)
            })
            .collect();
        decoded.sort();
        assert_eq!(
            decoded,
            vec!["K7Q2M9X4P1B8N3Z0", "K7Q2M9X4P1B8N3Z1", "K7Q2M9X4P1B8N3Z2"]
        );
    }

    #[test]
    fn danish_letters_are_written_in_the_fonts_encoding() {
        assert_eq!(
            win_ansi("Sæde ø å é – €"),
            b"S\xe6de \xf8 \xe5 \xe9 \x96 \x80"
        );
        assert_eq!(win_ansi("票"), b"?");
    }

    #[test]
    fn long_titles_wrap_and_an_order_without_tickets_still_gives_a_page() {
        let lines = wrap(&sample(1).event_title, 22.0, PAGE_WIDTH - 2.0 * MARGIN);
        assert!(lines.len() > 1, "{lines:?}");
        let pdf = tickets_pdf(&sample(0)).expect("writes");
        assert_eq!(
            Document::load_mem(&pdf).expect("reads").get_pages().len(),
            1
        );
    }
}
