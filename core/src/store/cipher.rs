//! Encryption at rest: the station file is a SQLCipher database keyed from the station
//! passphrase.
//!
//! A laptop in a community office gets lost; its station file holds residents' ID numbers and
//! phones and the seed that signs valid codes. So every page of the file, its WAL and its
//! backups is encrypted (SQLCipher 4: AES-256-CBC, HMAC-SHA512 per page); only the 16-byte
//! salt at the start of the file is in the clear.
//!
//! The key is derived once per start with Argon2id from the passphrase and that salt, and
//! handed to SQLCipher as a raw key with its salt (`x'<key><salt>'`), so SQLCipher's own
//! PBKDF2 (hundreds of milliseconds per connection) is skipped: the desktop app opens several
//! connections with one derivation. The salt lives in the file itself, so a station is one
//! file and its copies need nothing else to open. Backups are written with the same key and
//! salt, so they open with the station's passphrase; a new file or a change of passphrase gets
//! a fresh salt.
//!
//! A stolen file is attacked offline, one Argon2id derivation per guess, so the derivation is
//! made as costly as a start-up can afford: 256 MiB and 3 passes (about 0.6 s once per start;
//! `nac bench` measures it). The cost is written into the salt itself ([`KdfParams`]: a
//! marker, the memory as a power of two and the passes, then 11 random bytes), so it can be
//! raised later without breaking old files: a file whose salt names less than
//! [`KdfParams::for_new_files`] is rewritten with the current cost at its next open
//! ([`super::upgrade_key`]). A salt without the marker is a file from before (19 MiB, 2
//! passes).
//!
//! Debug builds (tests) honour `NAC_TEST_KDF=fast` for new files (8 MiB, 1 pass), set in
//! `.cargo/config.toml`: thousands of test stations would otherwise spend an hour deriving
//! keys. Release builds ignore it.
//!
//! The key and passphrase are zeroed when dropped and never printed (`Debug` is redacted).

use super::error::{StoreError, WeakReason};
use argon2::{Algorithm, Argon2, Params, Version};
use std::io::Read as _;
use std::path::Path;
use zeroize::Zeroizing;

/// The passphrase of every demo file (published: a demo holds no real person). Here, beside
/// the key derivation that refuses it for a real station, so the cipher depends on nothing above
/// it; `crate::demo` re-exports it.
pub const DEMO_PASSPHRASE: &str = "nac-demo";

/// Argon2id memory in KiB of PIN hashes (19 MiB; a PIN hash lives inside the encrypted file,
/// and a sign-in must stay quick).
pub const KDF_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes of PIN hashes.
pub const KDF_PASSES: u32 = 2;
/// Argon2id lanes (one: a start-up uses one core; an attacker gains nothing from more).
pub const KDF_LANES: u32 = 1;
/// The shortest passphrase a new station or a change of passphrase accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The first bytes of a salt that carries its key derivation's cost.
const SALT_MARKER: [u8; 3] = *b"NK\x01";

/// The cost of one key derivation (Argon2id, one lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB: a power of two.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
}

impl KdfParams {
    /// What new station files get: 256 MiB, 3 passes.
    pub const STANDARD: KdfParams = KdfParams {
        memory_kib: 256 * 1024,
        passes: 3,
    };
    /// Files written before the cost was carried in the salt: 19 MiB, 2 passes.
    pub const LEGACY: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        passes: 2,
    };
    /// Debug builds with `NAC_TEST_KDF=fast` (tests only): 8 MiB, 1 pass.
    pub const TEST_FAST: KdfParams = KdfParams {
        memory_kib: 8 * 1024,
        passes: 1,
    };

    /// The cost new files are written with, and below which an existing file is upgraded.
    pub fn for_new_files() -> KdfParams {
        #[cfg(debug_assertions)]
        if std::env::var_os("NAC_TEST_KDF").is_some_and(|v| v == "fast") {
            return KdfParams::TEST_FAST;
        }
        KdfParams::STANDARD
    }

    /// The cost a salt names (see the module docs); [`KdfParams::LEGACY`] without the marker.
    pub fn of_salt(salt: &[u8; 16]) -> KdfParams {
        if salt[..3] != SALT_MARKER {
            return KdfParams::LEGACY;
        }
        let (log2_kib, passes) = (u32::from(salt[3]), u32::from(salt[4]));
        // A marked salt always names a cost this program can run; anything else was not
        // written by it, and deriving with the legacy cost then fails the unlock honestly.
        if (13..=22).contains(&log2_kib) && (1..=16).contains(&passes) {
            KdfParams {
                memory_kib: 1 << log2_kib,
                passes,
            }
        } else {
            KdfParams::LEGACY
        }
    }

    /// Whether a file derived with `self` should be rewritten with `target`'s cost.
    pub fn weaker_than(&self, target: &KdfParams) -> bool {
        self.memory_kib < target.memory_kib || self.passes < target.passes
    }

    /// A fresh random salt that names this cost.
    pub fn fresh_salt(&self) -> Result<[u8; 16], StoreError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| StoreError::KeyDerivation)?;
        salt[..3].copy_from_slice(&SALT_MARKER);
        salt[3] = self.memory_kib.trailing_zeros() as u8;
        salt[4] = self.passes as u8;
        Ok(salt)
    }
}

/// How a plain SQLite file starts; an encrypted one starts with its random salt.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A station passphrase as typed (zeroed on drop).
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Passphrase {
        Passphrase(Zeroizing::new(text.into()))
    }

    /// Refuses a passphrase too weak to protect a new station, a plaintext station being
    /// encrypted, or to replace the current passphrase. `context` holds words an attacker
    /// would try first (the station's name, id, area).
    pub fn check_new(&self, context: &[&str]) -> Result<(), StoreError> {
        let text = self.0.as_str();
        let weak = |reason: WeakReason| Err(StoreError::WeakPassphrase { reason });
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            return weak(WeakReason::TooShort);
        }
        // The demo's passphrase is published: it must never protect a real station.
        if text == DEMO_PASSPHRASE {
            return weak(WeakReason::Demo);
        }
        // Digits alone are a phone number, a date or an ID: guessed from outside the office.
        if text
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "-+()./".contains(c))
        {
            return weak(WeakReason::OnlyDigits);
        }
        let lowered = text.to_lowercase();
        if context
            .iter()
            .map(|word| word.trim().to_lowercase())
            .any(|word| word.chars().count() >= 3 && lowered.contains(&word))
        {
            return weak(WeakReason::NamesTheStation);
        }
        let mut inputs: Vec<&str> = context.to_vec();
        inputs.extend(["nac", "核酸", "核酸码"]);
        if zxcvbn::zxcvbn(text, &inputs).score() < zxcvbn::Score::Three {
            return weak(WeakReason::Guessable);
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
    /// Derives the key for `salt` with the cost the salt names (Argon2id, see the module docs).
    pub fn derive(passphrase: &Passphrase, salt: [u8; 16]) -> Result<DatabaseKey, StoreError> {
        let cost = KdfParams::of_salt(&salt);
        let params = Params::new(cost.memory_kib, cost.passes, KDF_LANES, Some(32))
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

    /// A key with a fresh random salt naming the current cost, for a file about to be written.
    pub fn fresh(passphrase: &Passphrase) -> Result<DatabaseKey, StoreError> {
        DatabaseKey::derive(passphrase, KdfParams::for_new_files().fresh_salt()?)
    }

    /// The cost this key was derived with.
    pub fn cost(&self) -> KdfParams {
        KdfParams::of_salt(&self.salt)
    }

    /// Whether files under this key should be rewritten with the current cost.
    pub fn needs_upgrade(&self) -> bool {
        self.cost().weaker_than(&KdfParams::for_new_files())
    }

    /// The salt this key was derived with (the first 16 bytes of files it encrypts).
    pub fn salt(&self) -> [u8; 16] {
        self.salt
    }

    /// The derived key and its salt as 48 bytes, for keeping an unlocked station in the
    /// operating system's keyring (zeroed on drop). Never log or print them.
    pub fn to_raw(&self) -> Zeroizing<[u8; 48]> {
        let mut raw = Zeroizing::new([0u8; 48]);
        raw[..32].copy_from_slice(self.key.as_ref());
        raw[32..].copy_from_slice(&self.salt);
        raw
    }

    /// A key from [`DatabaseKey::to_raw`]'s bytes; whether it opens a file is checked when
    /// the file is unlocked with it.
    pub fn from_raw(raw: &[u8; 48]) -> DatabaseKey {
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&raw[..32]);
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&raw[32..]);
        DatabaseKey { key, salt }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_salt_names_its_cost_and_an_unmarked_one_is_legacy() {
        for cost in [KdfParams::STANDARD, KdfParams::TEST_FAST] {
            let salt = cost.fresh_salt().unwrap();
            assert_eq!(KdfParams::of_salt(&salt), cost);
            assert_ne!(salt, cost.fresh_salt().unwrap(), "11 bytes stay random");
        }
        assert_eq!(KdfParams::of_salt(&[7; 16]), KdfParams::LEGACY);
        let mut absurd = KdfParams::STANDARD.fresh_salt().unwrap();
        absurd[3] = 40;
        assert_eq!(KdfParams::of_salt(&absurd), KdfParams::LEGACY);
        assert!(KdfParams::LEGACY.weaker_than(&KdfParams::STANDARD));
        assert!(!KdfParams::STANDARD.weaker_than(&KdfParams::STANDARD));
    }

    /// The standard cost is really what the key is derived with: 256 MiB, 3 passes, 1 lane.
    #[test]
    fn a_standard_salt_derives_with_256_mib_and_3_passes() {
        let salt = KdfParams::STANDARD.fresh_salt().unwrap();
        let passphrase = Passphrase::new("correct horse battery staple");
        let key = DatabaseKey::derive(&passphrase, salt).unwrap();
        let mut expected = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(256 * 1024, 3, 1, Some(32)).unwrap(),
        )
        .hash_password_into(passphrase.as_bytes(), &salt, &mut expected)
        .unwrap();
        assert_eq!(&key.to_raw()[..32], &expected);
        assert_eq!(key.cost(), KdfParams::STANDARD);
        assert_eq!(DatabaseKey::from_raw(&key.to_raw()), key);
    }

    #[test]
    fn weak_passphrases_are_refused_with_their_reason() {
        let context = ["ST-4KX9PQ", "天平街道第三站"];
        let refused = |text: &str| match Passphrase::new(text).check_new(&context) {
            Err(StoreError::WeakPassphrase { reason }) => Some(reason),
            _ => None,
        };
        assert_eq!(refused("short"), Some(WeakReason::TooShort));
        assert_eq!(refused(DEMO_PASSPHRASE), Some(WeakReason::Demo));
        assert_eq!(refused("12345678"), Some(WeakReason::OnlyDigits));
        assert_eq!(refused("138 0013 8000"), Some(WeakReason::OnlyDigits));
        assert_eq!(refused("2024-03-15"), Some(WeakReason::OnlyDigits));
        assert_eq!(
            refused("天平街道第三站2024"),
            Some(WeakReason::NamesTheStation)
        );
        assert_eq!(refused("st-4kx9pq!!"), Some(WeakReason::NamesTheStation));
        assert_eq!(refused("password1"), Some(WeakReason::Guessable));
        assert_eq!(refused("qwertyuiop"), Some(WeakReason::Guessable));
        assert_eq!(refused("abcdefgh"), Some(WeakReason::Guessable));
        for strong in [
            "test station passphrase",
            "correct horse battery staple",
            "天平街道 station 1",
            "梧桐 lantern 47 orchard",
        ] {
            assert_eq!(refused(strong), None, "{strong} should be accepted");
        }
    }
}
