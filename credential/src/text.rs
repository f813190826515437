//! The text layers around the COSE bytes: zlib, Base45 and the `NAC1:` prefix.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::{base45, CredentialError};

/// The prefix of every credential text; it names the format and its version.
pub const PREFIX: &str = "NAC1:";

/// The most bytes the zlib layer may inflate to; anything larger is refused before it is
/// fully inflated, so a "zip bomb" costs at most this much memory.
pub const MAX_COSE_LEN: usize = 4096;

/// The longest Base45 part accepted (enough for `MAX_COSE_LEN` stored uncompressed).
pub const MAX_BASE45_LEN: usize = 6144;

/// zlib-compresses the COSE bytes, Base45-encodes them and prepends the prefix.
pub(crate) fn wrap(cose: &[u8]) -> Result<String, CredentialError> {
    let mut zlib = Vec::with_capacity(cose.len() + 64);
    let mut z = Compress::new(Compression::new(COMPRESSION_LEVEL), true);
    match z.compress_vec(cose, &mut zlib, FlushCompress::Finish) {
        Ok(Status::StreamEnd) => {}
        _ => return Err(CredentialError::Zlib("compression did not finish")),
    }
    let mut text = String::with_capacity(PREFIX.len() + base45::encoded_len(zlib.len()));
    text.push_str(PREFIX);
    base45::encode_into(&zlib, &mut text);
    Ok(text)
}

/// zlib level used when issuing: 9 ("best"). The input is a couple of hundred bytes, so the level
/// costs nothing measurable; for typical (incompressible) claims every level from 6 up emits the
/// same stored block.
const COMPRESSION_LEVEL: u32 = 9;

/// Undoes [`wrap`]: trims surrounding whitespace, checks the prefix (case-insensitively), decodes
/// Base45 and inflates the zlib stream (which must be complete, checksummed, without trailing
/// bytes and at most [`MAX_COSE_LEN`] bytes once inflated).
pub(crate) fn unwrap(text: &str) -> Result<Vec<u8>, CredentialError> {
    let text = text.trim();
    let body = match text.as_bytes().get(..PREFIX.len()) {
        // The prefix is ASCII, so the match ends on a character boundary.
        Some(p) if p.eq_ignore_ascii_case(PREFIX.as_bytes()) => &text[PREFIX.len()..],
        _ => return Err(CredentialError::MissingPrefix),
    };
    if body.len() > MAX_BASE45_LEN {
        return Err(CredentialError::TooLong);
    }
    let zlib = base45::decode(body)?;
    inflate(&zlib)
}

fn inflate(zlib: &[u8]) -> Result<Vec<u8>, CredentialError> {
    use CredentialError::Zlib as E;
    let mut out = Vec::with_capacity(MAX_COSE_LEN);
    let mut z = Decompress::new(true);
    // `decompress_vec` writes only into the spare capacity, so `out` never grows past the cap.
    match z.decompress_vec(zlib, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => {}
        Ok(_) if out.len() >= MAX_COSE_LEN => return Err(E("inflates to more than 4 KiB")),
        Ok(_) => return Err(E("truncated stream")),
        Err(_) => return Err(E("corrupt stream or checksum mismatch")),
    }
    if z.total_in() != zlib.len() as u64 {
        return Err(E("trailing bytes after the zlib stream"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn text_of(zlib: &[u8]) -> String {
        format!("{PREFIX}{}", base45::encode(zlib))
    }

    #[test]
    fn round_trip_and_leniency() {
        let text = wrap(b"hello hello hello").unwrap();
        assert!(text.starts_with(PREFIX));
        assert_eq!(unwrap(&text).unwrap(), b"hello hello hello");
        let lower = text.to_ascii_lowercase();
        assert_eq!(unwrap(&lower).unwrap(), b"hello hello hello");
        let padded = format!(" \t{text}\r\n");
        assert_eq!(unwrap(&padded).unwrap(), b"hello hello hello");
    }

    #[test]
    fn prefix_is_required() {
        let text = wrap(b"x").unwrap();
        for bad in [
            &text[5..],
            &text[1..],
            "NAC2:",
            "NAC1",
            "",
            "  ",
            "ÑAC1:00",
            "NAC1;00",
        ] {
            assert_eq!(unwrap(bad), Err(CredentialError::MissingPrefix), "{bad:?}");
        }
        assert_eq!(
            unwrap("NAC1:"),
            Err(CredentialError::Zlib("truncated stream"))
        );
    }

    #[test]
    fn inflation_is_capped() {
        let exactly = vec![b'a'; MAX_COSE_LEN];
        assert_eq!(unwrap(&text_of(&zlib(&exactly))).unwrap(), exactly);
        let bomb = vec![0u8; 1 << 20];
        let packed = zlib(&bomb);
        assert!(packed.len() < 2048, "{}", packed.len());
        assert_eq!(
            unwrap(&text_of(&packed)),
            Err(CredentialError::Zlib("inflates to more than 4 KiB"))
        );
        let one_more = vec![b'a'; MAX_COSE_LEN + 1];
        assert!(unwrap(&text_of(&zlib(&one_more))).is_err());
    }

    #[test]
    fn corrupt_truncated_and_trailing_streams_are_refused() {
        let good = zlib(b"some bytes to protect");
        let mut bad_checksum = good.clone();
        *bad_checksum.last_mut().unwrap() ^= 1;
        let mut trailing = good.clone();
        trailing.push(0);
        let truncated = &good[..good.len() - 1];
        let raw_deflate = &good[2..good.len() - 4];
        for bad in [
            &bad_checksum[..],
            &trailing,
            truncated,
            raw_deflate,
            &[],
            &[0x78],
        ] {
            assert!(unwrap(&text_of(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn overlong_text_is_refused_before_decoding() {
        let text = format!("{PREFIX}{}", "0".repeat(MAX_BASE45_LEN + 3));
        assert_eq!(unwrap(&text), Err(CredentialError::TooLong));
    }
}
