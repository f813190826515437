//! Reading QR codes from a picture: a phone screenshot or a photo of a paper card, as the
//! verify screen receives it.
//!
//! # Why a crate of its own
//!
//! A picture is untrusted input that arrives whole from the UI, and decoding it is the one place
//! in the app where a few bytes can ask for gigabytes (a PNG header may declare 100 000 × 100 000
//! pixels) or seconds of CPU, and where a third-party decoder (`rqrr`) has been seen to panic on
//! ordinary photos. Keeping it here — no Tauri, no database — lets every limit be tested
//! directly, and keeps the shell's job to running [`decode_image`] off the main thread.
//!
//! # Limits
//!
//! * at most [`MAX_INPUT_BYTES`] of input (a 12-megapixel phone JPEG is 3–6 MB);
//! * at most [`MAX_DIMENSION`] pixels a side and [`MAX_ALLOC_BYTES`] for the decoded picture,
//!   enforced by `image` from the header, before any pixel is decoded;
//! * a panic inside the QR decoder becomes [`ScanError::Decoder`] (this relies on the default
//!   `panic = "unwind"`; the workspace does not set `abort`);
//! * two detection passes at most: the picture at its size (long side capped at
//!   [`FIRST_PASS_MAX_SIDE`]), then once downscaled to [`SECOND_PASS_MAX_SIDE`] — a blurry photo
//!   often decodes better smaller — and no more.
//!
//! Errors carry "中文 / English" messages, as everywhere in the project; the shell picks the
//! half in the UI's language.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageReader, Limits};

/// The largest width or height, in pixels, of a picture that is decoded at all.
pub const MAX_DIMENSION: u32 = 8_000;
/// The most memory the decoded picture may take (64 MiB: about 16 megapixels in RGBA, 22 in RGB).
pub const MAX_ALLOC_BYTES: u64 = 64 * 1024 * 1024;
/// The largest input accepted, in bytes (20 MiB).
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;

/// The long side of the first detection pass: large enough that the modules of a card
/// photographed whole are several pixels wide, small enough to detect in well under a second.
pub const FIRST_PASS_MAX_SIDE: u32 = 2_400;
/// The long side of the second and last pass, tried only when the first found nothing.
pub const SECOND_PASS_MAX_SIDE: u32 = 1_200;

/// Why a picture could not be scanned. (A picture without a readable QR code is not an error:
/// [`decode_image`] returns an empty list.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// More than [`MAX_INPUT_BYTES`] of input.
    #[error("图片文件太大（{size} 字节，最多 {max} 字节） / the picture file is too large ({size} bytes, at most {max})")]
    TooLarge {
        /// The input's size in bytes.
        size: usize,
        /// [`MAX_INPUT_BYTES`].
        max: usize,
    },
    /// Not a PNG or JPEG picture (or one too damaged to decode).
    #[error("无法读取图片，请选择PNG或JPEG图片 / cannot read the image; choose a PNG or JPEG picture: {0}")]
    NotAnImage(#[source] image::ImageError),
    /// The picture is larger than [`MAX_DIMENSION`] a side or needs more than
    /// [`MAX_ALLOC_BYTES`] decoded. Refused from its header, before decoding.
    #[error("图片尺寸太大（每边最多 {MAX_DIMENSION} 像素），请截图或缩小后再试 / the picture is too large (at most {MAX_DIMENSION} pixels a side); crop or shrink it and try again: {0}")]
    Limits(#[source] image::error::LimitError),
    /// The QR decoder failed unexpectedly (it panicked) on this picture.
    #[error(
        "二维码识别出错，请换一张图片 / the QR decoder failed on this picture; try another one"
    )]
    Decoder,
}

/// The texts of the QR codes found in a PNG or JPEG picture, in the order found; empty when
/// none is readable.
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, ScanError> {
    scan(bytes, detect_qr)
}

/// [`decode_image`] with the detector as a parameter, so a test can make it panic.
fn scan(
    bytes: &[u8],
    detect: impl Fn(&GrayImage) -> Vec<String>,
) -> Result<Vec<String>, ScanError> {
    let gray = load_gray(bytes)?;
    let long_side = gray.width().max(gray.height());
    let mut panicked = false;
    for max_side in [FIRST_PASS_MAX_SIDE, SECOND_PASS_MAX_SIDE] {
        // Only the first pass runs on a picture already small enough for the second: it would
        // see the same pixels again.
        if max_side == SECOND_PASS_MAX_SIDE && long_side <= SECOND_PASS_MAX_SIDE {
            break;
        }
        let scaled = fit(&gray, max_side);
        match catch_unwind(AssertUnwindSafe(|| {
            detect(scaled.as_ref().unwrap_or(&gray))
        })) {
            Ok(found) if !found.is_empty() => return Ok(found),
            Ok(_) => {}
            // The other size may still decode; report the failure only if it does not.
            Err(_) => panicked = true,
        }
    }
    if panicked {
        Err(ScanError::Decoder)
    } else {
        Ok(Vec::new())
    }
}

/// Decodes `bytes` as a PNG or JPEG picture within the limits, to greyscale.
fn load_gray(bytes: &[u8]) -> Result<GrayImage, ScanError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ScanError::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ScanError::NotAnImage(image::ImageError::IoError(e)))?;
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(limit) => ScanError::Limits(limit),
        other => ScanError::NotAnImage(other),
    })?;
    Ok(picture.into_luma8())
}

/// `gray` scaled down so its long side is at most `max_side`, keeping its proportions; `None`
/// when it already fits.
fn fit(gray: &GrayImage, max_side: u32) -> Option<GrayImage> {
    let (w, h) = gray.dimensions();
    let long_side = w.max(h);
    if long_side <= max_side {
        return None;
    }
    let scale = |side: u32| {
        let scaled = u64::from(side) * u64::from(max_side) / u64::from(long_side);
        u32::try_from(scaled).unwrap_or(max_side).max(1)
    };
    Some(imageops::resize(
        gray,
        scale(w),
        scale(h),
        FilterType::Triangle,
    ))
}

/// Finds the QR grids in a greyscale picture and decodes those it can.
fn detect_qr(gray: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        gray.width() as usize,
        gray.height() as usize,
        |x, y| gray.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic in a test is a failure
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::DynamicImage::ImageLuma8(GrayImage::new(width, height))
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_panicking_decoder_is_an_error_not_a_crash() {
        let result = scan(&png(40, 30), |_| panic!("rqrr: index out of bounds"));
        assert!(matches!(result, Err(ScanError::Decoder)), "{result:?}");
    }

    #[test]
    fn a_panic_in_one_pass_does_not_hide_a_code_found_in_the_other() {
        let result = scan(&png(2500, 100), |g| {
            if g.width() > SECOND_PASS_MAX_SIDE {
                panic!("first pass");
            }
            vec!["NAC1:X".to_string()]
        });
        assert_eq!(result.unwrap(), vec!["NAC1:X".to_string()]);
    }

    #[test]
    fn at_most_two_passes_and_a_small_picture_gets_one() {
        let sizes = std::sync::Mutex::new(Vec::new());
        let record = |g: &GrayImage| {
            sizes.lock().unwrap().push(g.dimensions());
            Vec::new()
        };
        assert_eq!(scan(&png(4800, 200), record).unwrap(), Vec::<String>::new());
        assert_eq!(*sizes.lock().unwrap(), vec![(2400, 100), (1200, 50)]);

        sizes.lock().unwrap().clear();
        assert!(scan(&png(2000, 500), record).unwrap().is_empty());
        assert_eq!(*sizes.lock().unwrap(), vec![(2000, 500), (1200, 300)]);

        sizes.lock().unwrap().clear();
        assert!(scan(&png(1200, 800), record).unwrap().is_empty());
        assert_eq!(*sizes.lock().unwrap(), vec![(1200, 800)]);
    }

    #[test]
    fn messages_are_bilingual() {
        for e in [ScanError::TooLarge { size: 1, max: 0 }, ScanError::Decoder] {
            let message = e.to_string();
            let (zh, en) = message.split_once(" / ").unwrap();
            assert!(!zh.is_ascii() && en.is_ascii(), "{message}");
        }
    }
}
