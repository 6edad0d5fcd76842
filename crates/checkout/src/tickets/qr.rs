//! A ticket's barcode as a QR code: SVG for pages (the order page, "My tickets"), a grayscale
//! bitmap for the PDF.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code: the quiet zone scanners need (4 modules, as the standard asks).
const QUIET_ZONE: usize = 4;

/// The QR code of `text` as an inline `<svg>` element (no XML declaration), labelled for
/// screen readers, ready to place in HTML as is. Empty when `text` cannot be a QR code (longer
/// than a QR code holds): the caller shows the text beside it anyway.
///
/// Medium error correction: a ticket on a cracked phone screen or a creased print still scans.
pub fn qr_svg(text: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(160, 160)
        .build();
    let Some(start) = image.find("<svg") else {
        return String::new();
    };
    // The text is not in the SVG (only rectangles are), so nothing here needs escaping.
    image[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code\" class=\"qr\" ",
        1,
    )
}

/// A square grayscale bitmap (one byte a pixel, 0 black, 255 white, rows top to bottom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Width and height in pixels.
    pub size: u32,
    pub pixels: Vec<u8>,
}

/// The QR code of `text` with its quiet zone, `scale` pixels a module; `None` when `text` cannot
/// be a QR code.
pub fn qr_gray(text: &str, scale: u32) -> Option<GrayImage> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let scale = usize::try_from(scale.max(1)).ok()?;
    let side = (modules + 2 * QUIET_ZONE) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            let row = y * side;
            pixels[row + mx * scale..row + (mx + 1) * scale].fill(0);
        }
    }
    Some(GrayImage {
        size: u32::try_from(side).ok()?,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the first QR code found in `image`.
    pub(crate) fn decode(image: &GrayImage) -> Option<String> {
        let side = usize::try_from(image.size).ok()?;
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            image.pixels[y * side + x]
        });
        let grids = prepared.detect_grids();
        let (_, content) = grids.first()?.decode().ok()?;
        Some(content)
    }

    #[test]
    fn the_bitmap_decodes_back_to_the_barcode() {
        let image = qr_gray("K7Q2M9X4P1B8N3Z6", 4).expect("encodes");
        assert_eq!(image.pixels.len(), (image.size * image.size) as usize);
        assert_eq!(decode(&image).as_deref(), Some("K7Q2M9X4P1B8N3Z6"));
    }

    #[test]
    fn the_svg_is_an_inline_element_with_a_label() {
        let svg = qr_svg("K7Q2M9X4P1B8N3Z6");
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"QR code\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>") && !svg.contains("<?xml"), "{svg}");
    }

    #[test]
    fn text_too_long_for_a_qr_code_gives_nothing_rather_than_a_panic() {
        let long = "x".repeat(5_000);
        assert_eq!(qr_svg(&long), "");
        assert_eq!(qr_gray(&long, 4), None);
    }
}
