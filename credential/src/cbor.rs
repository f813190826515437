//! The few CBOR (RFC 8949) encoders the format needs, always in preferred serialisation
//! (shortest heads, definite lengths), so that issuing is deterministic. Decoding untrusted input
//! is done with `minicbor`'s decoder instead.

pub(crate) const MAJOR_UNSIGNED: u8 = 0;
pub(crate) const MAJOR_NEGATIVE: u8 = 1;
pub(crate) const MAJOR_BYTES: u8 = 2;
pub(crate) const MAJOR_TEXT: u8 = 3;
pub(crate) const MAJOR_ARRAY: u8 = 4;
pub(crate) const MAJOR_MAP: u8 = 5;
pub(crate) const MAJOR_TAG: u8 = 6;

/// Writes a data item head: major type and argument, in the shortest form.
pub(crate) fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

pub(crate) fn int(out: &mut Vec<u8>, n: i64) {
    match u64::try_from(n) {
        Ok(u) => head(out, MAJOR_UNSIGNED, u),
        // -1 - n for negative n is in 0..=i64::MAX; `!n` computes it without overflow.
        Err(_) => head(out, MAJOR_NEGATIVE, !n as u64),
    }
}

pub(crate) fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, MAJOR_BYTES, b.len() as u64);
    out.extend_from_slice(b);
}

pub(crate) fn text(out: &mut Vec<u8>, s: &str) {
    head(out, MAJOR_TEXT, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_int(n: i64) -> Vec<u8> {
        let mut v = Vec::new();
        int(&mut v, n);
        v
    }

    /// Examples from RFC 8949 Appendix A.
    #[test]
    fn integers_match_rfc_8949_appendix_a() {
        assert_eq!(enc_int(0), [0x00]);
        assert_eq!(enc_int(23), [0x17]);
        assert_eq!(enc_int(24), [0x18, 0x18]);
        assert_eq!(enc_int(1000), [0x19, 0x03, 0xe8]);
        assert_eq!(enc_int(1_000_000), [0x1a, 0x00, 0x0f, 0x42, 0x40]);
        assert_eq!(
            enc_int(1_000_000_000_000),
            [0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00]
        );
        assert_eq!(enc_int(-1), [0x20]);
        assert_eq!(enc_int(-10), [0x29]);
        assert_eq!(enc_int(-100), [0x38, 0x63]);
        assert_eq!(enc_int(-1000), [0x39, 0x03, 0xe7]);
        assert_eq!(
            enc_int(i64::MIN),
            [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn strings_match_rfc_8949_appendix_a() {
        let mut v = Vec::new();
        text(&mut v, "\u{6c34}");
        assert_eq!(v, [0x63, 0xe6, 0xb0, 0xb4]);
        let mut v = Vec::new();
        bytes(&mut v, &[1, 2, 3, 4]);
        assert_eq!(v, [0x44, 1, 2, 3, 4]);
    }

    #[test]
    fn integers_round_trip_through_minicbor() {
        for n in [
            0,
            1,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as i64,
            i64::MAX,
            -1,
            -24,
            -25,
            -256,
            -257,
            i64::MIN,
        ] {
            let v = enc_int(n);
            assert_eq!(minicbor::Decoder::new(&v).i64().unwrap(), n);
        }
    }
}
