//! Base45 ([RFC 9285](https://www.rfc-editor.org/rfc/rfc9285)): bytes as text drawn from the
//! 45 characters a QR code can store in alphanumeric mode (5.5 bits per character, against
//! 8 bits per byte in byte mode).
//!
//! Every 2 bytes `[a, b]` become the number `n = a·256 + b` written as 3 digits `c d e` with
//! `n = c + d·45 + e·45²` (least significant first); a final odd byte becomes 2 digits. The
//! decoder is strict: a digit triple above 65535, a pair above 255, a length of the form
//! `3k + 1`, or a character outside the alphabet is an error. The only leniency is that ASCII
//! lowercase letters are read as their uppercase counterparts, because a USB scanner typing
//! with Caps Lock on inverts the case of letters (the alphabet has no lowercase, so this is
//! unambiguous).

use crate::CredentialError;

/// The RFC 9285 alphabet, in digit order (`0`..`9`, `A`..`Z`, space, `$%*+-./:`).
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

const INVALID: u8 = 0xff;

/// Digit value of every byte, `INVALID` when the byte is not in the alphabet.
const DIGIT: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        // Lowercase letters read as uppercase (see the module docs).
        if ALPHABET[i].is_ascii_uppercase() {
            table[ALPHABET[i].to_ascii_lowercase() as usize] = i as u8;
        }
        i += 1;
    }
    table
};

/// Length of the Base45 text for `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    n / 2 * 3 + n % 2 * 2
}

/// Appends the Base45 encoding of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(encoded_len(bytes.len()));
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        let mut n = usize::from(pair[0]) << 8 | usize::from(pair[1]);
        for _ in 0..3 {
            out.push(char::from(ALPHABET[n % 45]));
            n /= 45;
        }
    }
    if let [last] = chunks.remainder() {
        let n = usize::from(*last);
        out.push(char::from(ALPHABET[n % 45]));
        out.push(char::from(ALPHABET[n / 45]));
    }
}

/// The Base45 encoding of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    encode_into(bytes, &mut out);
    out
}

/// Decodes Base45 text (strictly, but case-insensitively; see the module docs).
pub fn decode(text: &str) -> Result<Vec<u8>, CredentialError> {
    let text = text.as_bytes();
    if text.len() % 3 == 1 {
        return Err(CredentialError::Base45("length leaves a single digit"));
    }
    let mut out = Vec::with_capacity(text.len() / 3 * 2 + 1);
    let mut chunks = text.chunks_exact(3);
    for triple in &mut chunks {
        let n = digit(triple[0])? + digit(triple[1])? * 45 + digit(triple[2])? * 45 * 45;
        let pair = u16::try_from(n).map_err(|_| CredentialError::Base45("triple above 65535"))?;
        out.extend_from_slice(&pair.to_be_bytes());
    }
    if let [a, b] = chunks.remainder() {
        let n = digit(*a)? + digit(*b)? * 45;
        out.push(u8::try_from(n).map_err(|_| CredentialError::Base45("final pair above 255"))?);
    }
    Ok(out)
}

fn digit(c: u8) -> Result<u32, CredentialError> {
    match DIGIT[usize::from(c)] {
        INVALID => Err(CredentialError::Base45(
            "character outside the Base45 alphabet",
        )),
        d => Ok(u32::from(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 9285 §4.
    const RFC_VECTORS: &[(&[u8], &str)] = &[
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ];

    #[test]
    fn rfc_9285_examples_encode() {
        for (bytes, text) in RFC_VECTORS {
            assert_eq!(encode(bytes), *text);
        }
    }

    #[test]
    fn rfc_9285_examples_decode() {
        for (bytes, text) in RFC_VECTORS {
            assert_eq!(decode(text).as_deref(), Ok(*bytes));
        }
    }

    #[test]
    fn extremes_round_trip() {
        for bytes in [&[0u8][..], &[255], &[0, 0], &[255, 255], &[255, 255, 255]] {
            assert_eq!(decode(&encode(bytes)).as_deref(), Ok(bytes));
        }
        assert_eq!(encode(&[255, 255]), "FGW");
        assert_eq!(encode(&[255]), "U5");
    }

    #[test]
    fn rejects_out_of_range_and_bad_lengths() {
        // RFC 9285 §4.3: "GGW" is 65536 + ... > 65535.
        assert!(decode("GGW").is_err());
        assert!(decode("ZZZ").is_err());
        assert!(decode("V5").is_err()); // 31 + 5·45 = 256
        assert!(decode("A").is_err());
        assert!(decode("BB8A").is_err());
        assert!(decode("BB!").is_err());
        assert!(decode("BB\u{e9}").is_err());
    }

    #[test]
    fn lowercase_letters_read_as_uppercase() {
        assert_eq!(decode("%69 vd92ex0").as_deref(), Ok(&b"Hello!!"[..]));
    }

    #[test]
    fn every_two_byte_value_round_trips() {
        for n in 0..=u16::MAX {
            let bytes = n.to_be_bytes();
            let text = encode(&bytes);
            assert_eq!(text.len(), 3);
            assert_eq!(decode(&text).as_deref(), Ok(&bytes[..]));
        }
    }
}
