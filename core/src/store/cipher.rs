//! Encryption at rest: the station file is a SQLCipher database keyed from the station
//! passphrase.
//!
//! A laptop in a community office gets lost; its station file holds residents' ID numbers and
//! phones and the seed that signs valid codes. So every page of the file, its WAL and its
//! backups is encrypted (SQLCipher 4: AES-256-CBC, HMAC-SHA512 per page); only the 16-byte
//! salt at the start of the file is in the clear.
//!
//! The key is derived once per start with Argon2id (19 MiB, 2 passes, 1 lane: OWASP's
//! minimum) from the passphrase and that salt, and handed to SQLCipher as a raw key with its
//! salt (`x'<key><salt>'`), so SQLCipher's own PBKDF2 (hundreds of milliseconds per
//! connection) is skipped: the desktop app opens several connections with one derivation.
//! The salt lives in the file itself, so a station is one file and its copies need nothing
//! else to open. Backups are written with the same key and salt, so they open with the
//! station's passphrase; a new file or a change of passphrase gets a fresh salt.
//!
//! The key and passphrase are zeroed when dropped and never printed (`Debug` is redacted).

use super::StoreError;
use argon2::{Algorithm, Argon2, Params, Version};
use std::io::Read as _;
use std::path::Path;
use zeroize::Zeroizing;

/// Argon2id memory in KiB (19 MiB).
pub const KDF_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes.
pub const KDF_PASSES: u32 = 2;
/// Argon2id lanes.
pub const KDF_LANES: u32 = 1;
/// The shortest passphrase a new station or a change of passphrase accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// How a plain SQLite file starts; an encrypted one starts with its random salt.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A station passphrase as typed (zeroed on drop).
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Passphrase {
        Passphrase(Zeroizing::new(text.into()))
    }

    /// Refuses a passphrase too short to protect a new station or replace the current one.
    pub fn check_new(&self) -> Result<(), StoreError> {
        // The demo's passphrase is published: it must never protect a real station.
        if self.0.chars().count() < MIN_PASSPHRASE_CHARS
            || self.0.as_str() == crate::demo::DEMO_PASSPHRASE
        {
            return Err(StoreError::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        Ok(())
    }

    /// Reads a passphrase file: its first line, without the line ending.
    pub fn from_file(path: &Path) -> Result<Passphrase, StoreError> {
        let mut text = Zeroizing::new(String::new());
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|source| StoreError::File {
                path: path.to_path_buf(),
                source,
            })?;
        let line = text.lines().next().unwrap_or_default();
        Ok(Passphrase::new(line))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The text itself, for the few places that pass it on (a PIN check).
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// The 256-bit database key with the salt it was derived with (zeroed on drop).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseKey {
    key: Zeroizing<[u8; 32]>,
    salt: [u8; 16],
}

/// What the first bytes of a station file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new station.
    Missing,
    /// A plain SQLite file written before encryption (migrated at its first open).
    Plaintext,
    /// An encrypted station with this salt.
    Encrypted([u8; 16]),
}

/// Reads the first 16 bytes of `path` to tell what it is.
pub fn file_kind(path: &Path) -> Result<FileKind, StoreError> {
    let file_error = |source| StoreError::File {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(file_error(e)),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]).map_err(file_error)? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => FileKind::Missing,
        16 if &head == PLAINTEXT_HEADER => FileKind::Plaintext,
        16 => FileKind::Encrypted(head),
        _ => {
            return Err(StoreError::NotAStationFile {
                path: path.to_path_buf(),
            })
        }
    })
}

impl DatabaseKey {
    /// Derives the key for `salt` (Argon2id, see the module docs).
    pub fn derive(passphrase: &Passphrase, salt: [u8; 16]) -> Result<DatabaseKey, StoreError> {
        let params = Params::new(KDF_MEMORY_KIB, KDF_PASSES, KDF_LANES, Some(32))
            .map_err(|_| StoreError::KeyDerivation)?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
            .map_err(|_| StoreError::KeyDerivation)?;
        Ok(DatabaseKey { key, salt })
    }

    /// The key for the file at `path`: derived with the salt in its header, or with a fresh
    /// salt when the file is new or still plaintext (it will be written with that salt).
    pub fn for_file(path: &Path, passphrase: &Passphrase) -> Result<DatabaseKey, StoreError> {
        match file_kind(path)? {
            FileKind::Encrypted(salt) => DatabaseKey::derive(passphrase, salt),
            FileKind::Missing | FileKind::Plaintext => DatabaseKey::fresh(passphrase),
        }
    }

    /// A key with a fresh random salt, for a file about to be written.
    pub fn fresh(passphrase: &Passphrase) -> Result<DatabaseKey, StoreError> {
        DatabaseKey::derive(passphrase, fresh_salt()?)
    }

    /// The salt this key was derived with (the first 16 bytes of files it encrypts).
    pub fn salt(&self) -> [u8; 16] {
        self.salt
    }

    /// The value of `PRAGMA key` / `ATTACH … KEY`: raw key and salt, `x'…'`.
    pub(crate) fn sqlcipher_value(&self) -> Zeroizing<String> {
        let mut value = Zeroizing::new(String::with_capacity(3 + 96));
        value.push_str("x'");
        for byte in self.key.iter().chain(self.salt.iter()) {
            push_hex(&mut value, *byte);
        }
        value.push('\'');
        value
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(..)")
    }
}

fn push_hex(out: &mut String, byte: u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.push(DIGITS[usize::from(byte >> 4)] as char);
    out.push(DIGITS[usize::from(byte & 0x0f)] as char);
}

fn fresh_salt() -> Result<[u8; 16], StoreError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| StoreError::KeyDerivation)?;
    Ok(salt)
}
