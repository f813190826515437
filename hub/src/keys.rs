//! The hub's private keys, kept in a directory of their own — never in the database.
//!
//! # Why not in the database
//!
//! A database is copied: backups, `pg_dump`s, replicas, a support engineer's laptop. A key kept
//! in the same file as the data it protects is no secret (issue 15): the district secret in
//! `meta` let a stolen `hub.db` give back full ID numbers, and the phone gateway's signing key
//! let any local user who could read the file sign accepted renewals. So the database holds
//! public keys only, and this directory (mode 0700, files 0600) holds:
//!
//! | file | what | who needs it |
//! |---|---|---|
//! | `district.key` | the district secret (person keys, sealing) | `station add` / `station rekey` only, to seal it under the new enrolment code; `serve` never reads it |
//! | `phone-issuer.key` | the key the hub signs phone codes with | `serve` |
//! | `phone-gateway.key` | the phone gateway's request-signing key | the gateway (`phone renew --hub`); the hub keeps its public key |
//!
//! A district that keeps `district.key` off the hub's host (moved to the office that adds
//! stations) takes even that out of reach of a stolen hub server: `serve` runs without it.
//!
//! Each file holds 64 hex digits and a newline. Files and directory looser than owner-only are
//! refused, so a key cannot silently become readable by other users of the host.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nac_credential::StationKey;
use nac_protocol::DistrictSecret;
use zeroize::Zeroizing;

/// The district secret's file.
pub const DISTRICT_KEY: &str = "district.key";
/// The phone issuing key's file.
pub const PHONE_ISSUER_KEY: &str = "phone-issuer.key";
/// The phone gateway's signing key's file.
pub const PHONE_GATEWAY_KEY: &str = "phone-gateway.key";

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file or directory is readable or writable by others than its owner.
    #[error(
        "{path} has mode {mode:o}; it must be private to the hub's user (chmod {want:o} {path})"
    )]
    TooOpen {
        /// The path.
        path: String,
        /// Its permission bits.
        mode: u32,
        /// What it should be.
        want: u32,
    },
    /// A key the operation needs is not there.
    #[error("{path} is missing{hint}")]
    Missing {
        /// The path.
        path: String,
        /// What to do.
        hint: &'static str,
    },
    /// The file does not hold 64 hex digits.
    #[error("{0} is damaged (expected 64 hex digits)")]
    Damaged(String),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// No random numbers.
    #[error("random source failed")]
    Random,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses `path` if anyone but its owner may read or write it.
pub fn check_private(path: &Path, want: u32) -> Result<(), KeyError> {
    let mode = fs::metadata(path).map_err(io(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.display().to_string(),
            mode,
            want,
        });
    }
    Ok(())
}

/// The hub's key directory.
#[derive(Debug, Clone)]
pub struct KeyDir {
    path: PathBuf,
}

impl KeyDir {
    /// The directory at `path`, created (0700) if absent; refused if others may enter it.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KeyError> {
        let path = path.into();
        if !path.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&path)
                .map_err(io(&path))?;
        }
        check_private(&path, 0o700)?;
        Ok(Self { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether the named key file exists.
    pub fn has(&self, name: &str) -> bool {
        self.file(name).exists()
    }

    fn read(&self, name: &str, hint: &'static str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let path = self.file(name);
        if !path.exists() {
            return Err(KeyError::Missing {
                path: path.display().to_string(),
                hint,
            });
        }
        check_private(&path, 0o600)?;
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(io(&path))?);
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut())
            .map_err(|_| KeyError::Damaged(path.display().to_string()))?;
        Ok(bytes)
    }

    /// Writes a new key file (0600, never over an existing one), synced to disk.
    pub fn write_new(&self, name: &str, bytes: &[u8; 32]) -> Result<(), KeyError> {
        let path = self.file(name);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(bytes)));
        file.write_all(text.as_bytes()).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
        if let Ok(dir) = fs::File::open(&self.path) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Creates any of the three keys that is missing (a new hub).
    pub fn create_missing(&self) -> Result<(), KeyError> {
        for name in [DISTRICT_KEY, PHONE_ISSUER_KEY, PHONE_GATEWAY_KEY] {
            if !self.has(name) {
                let mut bytes = Zeroizing::new([0u8; 32]);
                getrandom::fill(bytes.as_mut()).map_err(|_| KeyError::Random)?;
                self.write_new(name, &bytes)?;
            }
        }
        Ok(())
    }

    /// The district secret (only `station add` / `station rekey` need it).
    pub fn district_secret(&self) -> Result<DistrictSecret, KeyError> {
        let bytes = self.read(
            DISTRICT_KEY,
            ": adding or re-keying a station needs the district secret; give the key directory \
             that holds it with --keys",
        )?;
        Ok(DistrictSecret(*bytes))
    }

    /// The key the hub signs phone codes with.
    pub fn phone_issuer(&self) -> Result<StationKey, KeyError> {
        let bytes = self.read(
            PHONE_ISSUER_KEY,
            ": the hub signs phone codes with it; restore it from the district's key backup",
        )?;
        Ok(StationKey::from_secret_bytes(&bytes))
    }

    /// The phone gateway's request-signing key.
    pub fn phone_gateway(&self) -> Result<StationKey, KeyError> {
        let bytes = self.read(
            PHONE_GATEWAY_KEY,
            ": the phone gateway signs its requests with it (it lives with the gateway)",
        )?;
        Ok(StationKey::from_secret_bytes(&bytes))
    }
}

/// The default key directory for a SQLite database file: `<dir>/<stem>-keys` beside it (for
/// `hub.db`, `hub-keys/`), so a copy of the database file alone carries no key.
pub fn default_for_sqlite(data: &Path) -> PathBuf {
    let stem = data
        .file_stem()
        .map_or_else(|| "hub".into(), |s| s.to_string_lossy().into_owned());
    data.with_file_name(format!("{stem}-keys"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_are_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path().join("k")).unwrap();
        keys.create_missing().unwrap();
        let issuer = keys.phone_issuer().unwrap();
        keys.create_missing().unwrap();
        assert_eq!(
            keys.phone_issuer().unwrap().kid(),
            issuer.kid(),
            "never replaced"
        );
        for name in [DISTRICT_KEY, PHONE_ISSUER_KEY, PHONE_GATEWAY_KEY] {
            let mode = fs::metadata(keys.file(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        let mode = fs::metadata(keys.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn a_key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path().join("k")).unwrap();
        keys.create_missing().unwrap();
        let path = keys.file(PHONE_ISSUER_KEY);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = keys.phone_issuer().unwrap_err().to_string();
        assert!(e.contains("mode 644") && e.contains("chmod 600"), "{e}");
        fs::set_permissions(keys.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(matches!(
            KeyDir::open(keys.path()),
            Err(KeyError::TooOpen { .. })
        ));
    }

    #[test]
    fn a_missing_district_key_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyDir::open(dir.path().join("k")).unwrap();
        let e = keys.district_secret().unwrap_err().to_string();
        assert!(
            e.contains("district.key is missing") && e.contains("--keys"),
            "{e}"
        );
    }

    #[test]
    fn the_default_directory_sits_beside_the_database() {
        assert_eq!(
            default_for_sqlite(Path::new("/var/lib/nac-hub/hub.db")),
            PathBuf::from("/var/lib/nac-hub/hub-keys")
        );
    }
}
