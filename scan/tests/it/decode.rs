//! `decode_image` on real pictures and on hostile ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use nac_scan::{decode_image, ScanError, MAX_DIMENSION, MAX_INPUT_BYTES};
use qrcode::{Color, EcLevel, QrCode};

const QUIET_ZONE: usize = 4;
const CREDENTIAL: &str = "NAC1:NCF590B20FFWTWGSLK/-4N69-09-6LZOC-U977B35LBJD M9ECAAB7ZB84X9N6A4N5H*9WKFG1IL60$Y88IHD-P26D3%N0J5UFN:O0*964M61T0AEDKHNWY05FDA%87.02OA7W5LN9AG6/IBR486ODVHNC:V7X8UFQ%D2K*RXH09SFVR460M40SP8TVBT/8AE35*N6YO8POB8V5FS0-FQ2+6H8QZVTX63YKOBTQ$GQ77BF/BI%0LL6:2";

/// `text`'s QR code (level Q, as cards print it) as a screenshot would hold it: `scale` pixels
/// a module, with the quiet zone.
fn qr_picture(text: &str, scale: usize) -> GrayImage {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let size = ((width + 2 * QUIET_ZONE) * scale) as u32;
    GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = (QUIET_ZONE..width + QUIET_ZONE).contains(&mx)
            && (QUIET_ZONE..width + QUIET_ZONE).contains(&my)
            && colors[(my - QUIET_ZONE) * width + mx - QUIET_ZONE] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    })
}

fn encode(picture: GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageLuma8(picture)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// A well-formed PNG header declaring `width` × `height` 8-bit RGB pixels, followed by a tiny
/// IDAT and IEND: a few dozen bytes that ask a naive decoder for width × height × 3 bytes.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // depth 8, RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn a_screenshot_of_a_card_code_decodes() {
    let png = encode(qr_picture(CREDENTIAL, 6), ImageFormat::Png);
    assert_eq!(decode_image(&png).unwrap(), vec![CREDENTIAL.to_string()]);
}

#[test]
fn a_jpeg_photo_sized_picture_decodes() {
    // 4 pixels a module, then pasted into a 3000 × 2000 white "photo": the first pass sees it
    // downscaled to 2400 px.
    let code = qr_picture(CREDENTIAL, 8);
    let mut photo = GrayImage::from_pixel(3000, 2000, Luma([255]));
    image::imageops::overlay(&mut photo, &code, 900, 500);
    let jpeg = encode(photo, ImageFormat::Jpeg);
    assert_eq!(decode_image(&jpeg).unwrap(), vec![CREDENTIAL.to_string()]);
}

#[test]
fn a_picture_without_a_code_gives_an_empty_list() {
    let blank = encode(
        GrayImage::from_pixel(300, 200, Luma([255])),
        ImageFormat::Png,
    );
    assert_eq!(decode_image(&blank).unwrap(), Vec::<String>::new());
}

#[test]
fn a_header_declaring_a_huge_picture_is_refused_before_decoding() {
    // Control: the crafted file is a valid PNG header (CRCs right), so the refusal below is the
    // limits', not a parse error.
    let small = png_declaring(16, 16);
    let reader = image::ImageReader::new(Cursor::new(&small))
        .with_guessed_format()
        .unwrap();
    assert_eq!(reader.into_dimensions().unwrap(), (16, 16));

    for (w, h) in [
        (100_000, 100_000),
        (MAX_DIMENSION + 1, 10),
        (10, MAX_DIMENSION + 1),
        // Within the side limit, but 7999 × 7999 × 3 bytes is more than 64 MiB.
        (MAX_DIMENSION - 1, MAX_DIMENSION - 1),
    ] {
        let started = Instant::now();
        let result = decode_image(&png_declaring(w, h));
        assert!(
            matches!(result, Err(ScanError::Limits(_))),
            "{w}×{h}: {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{w}×{h} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn bytes_that_are_not_a_picture_are_an_error() {
    for junk in [
        &b"hello"[..],
        b"",
        b"NAC1:HELLO",
        &[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0], // a truncated PNG
        &[0xff, 0xd8, 0xff, 0xe0, 0, 0x10],                         // a truncated JPEG
    ] {
        let result = decode_image(junk);
        assert!(
            matches!(result, Err(ScanError::NotAnImage(_))),
            "{junk:?}: {result:?}"
        );
    }
    let message = decode_image(b"hello").unwrap_err().to_string();
    assert!(message.contains(" / cannot read the image"), "{message}");
}

#[test]
fn an_oversized_input_is_refused_unread() {
    let mut big = encode(qr_picture(CREDENTIAL, 6), ImageFormat::Png);
    big.resize(MAX_INPUT_BYTES + 1, 0);
    let result = decode_image(&big);
    assert!(
        matches!(result, Err(ScanError::TooLarge { size, max }) if size == MAX_INPUT_BYTES + 1 && max == MAX_INPUT_BYTES),
        "{result:?}"
    );
}
