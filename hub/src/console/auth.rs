//! Who is at the console: passwords, sessions, the CSRF token, and the sign-in backoff.
//!
//! * Passwords are Argon2id (64 MiB, 3 passes) PHC strings; at most two are hashed at once, so
//!   a burst of sign-ins cannot take the hub's memory.
//! * A session is a random 256-bit token in a cookie (`HttpOnly`, `SameSite=Strict`, and under
//!   TLS `Secure` with the `__Host-` prefix); the database holds only its SHA-256. It ends after
//!   [`IDLE_SECS`] without a request, at sign-out, or when the account's password changes or it
//!   is disabled.
//! * Every state-changing request carries the session's CSRF token in its form, and is refused
//!   when its `Sec-Fetch-Site` or `Origin` names another site ([`same_origin`]). The sign-in form, before any session, carries a
//!   token that must match a cookie set with the form (double submit).
//! * Wrong passwords slow the next try down, per account (in the database) and per client
//!   address (in memory): after three, 30 s, doubling up to 15 min.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::http::ClientAddress;

/// A session ends after this long without a request: 30 minutes.
pub const IDLE_SECS: i64 = 30 * 60;

/// Wrong passwords before the backoff starts.
const FREE_TRIES: i64 = 3;
/// The first wait, doubled with each further wrong password.
const FIRST_WAIT_SECS: i64 = 30;
/// The longest wait.
const MAX_WAIT_SECS: i64 = 15 * 60;

/// Shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The session cookie's name: with the `__Host-` prefix under TLS (the browser then refuses it
/// unless it is `Secure`, for `/`, from this host).
pub fn session_cookie(tls: bool) -> &'static str {
    if tls {
        "__Host-nac_console"
    } else {
        "nac_console"
    }
}

/// The sign-in form's double-submit cookie.
pub fn signin_cookie(tls: bool) -> &'static str {
    if tls {
        "__Host-nac_signin"
    } else {
        "nac_signin"
    }
}

/// The language cookie (not a secret: no prefix needed, but the same attributes).
pub const LANG_COOKIE: &str = "nac_console_lang";

/// A `Set-Cookie` value with the console's attributes; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, tls: bool, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if tls {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A fresh random token: 32 bytes as 64 hex digits.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a state-changing request comes from this console's own pages. The browser says so
/// twice: `Sec-Fetch-Site` must be `same-origin`, and an `Origin` must be this host's. Either
/// may be missing (older browsers, scripts), and `Origin` is `null` on every form this console
/// posts, because its pages' `Referrer-Policy: no-referrer` tells the browser to hide it; a
/// header that is present and names another site refuses the request. The CSRF token is
/// checked besides, always.
pub fn same_origin(headers: &HeaderMap, tls: bool) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let Some(origin) = origin.filter(|o| *o != "null") else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let scheme = if tls { "https" } else { "http" };
    origin == format!("{scheme}://{host}")
}

/// A one-time password for a new or reset account: 20 characters from an alphabet without
/// look-alikes (about 100 bits), in groups of four.
pub fn one_time_password() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Why a new password is refused, in both languages.
pub fn weak_password(name: &str, password: &str) -> Option<(&'static str, &'static str)> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some((
            "新密码至少12个字符",
            "the new password needs at least 12 characters",
        ));
    }
    if password.to_lowercase().contains(&name.to_lowercase()) {
        return Some((
            "新密码不能包含账号名",
            "the new password must not contain the account name",
        ));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Some((
            "新密码不能只有数字",
            "the new password must not be digits only",
        ));
    }
    None
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(64 * 1024, 3, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes passwords on the blocking pool, two at a time at most.
pub struct Hasher {
    permits: Semaphore,
}

/// A hash that could not be made (the random source or the blocking pool failed).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashFailed(String);

impl Default for Hasher {
    fn default() -> Self {
        Hasher {
            permits: Semaphore::new(2),
        }
    }
}

impl Hasher {
    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, HashFailed> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashFailed(e.to_string()))?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(|e| HashFailed(e.to_string()))?
    }

    /// Whether `password` matches `phc`; for an unknown account pass `None`, which spends the
    /// same time on a dummy hash, so the answer's timing does not tell which names exist.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let password = zeroize::Zeroizing::new(password.to_owned());
        let phc = phc.map(str::to_owned);
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => PasswordHash::new(&phc)
                .is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok()),
            None => {
                let _ = hash_now(&password);
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

/// Hashes at once, on this thread (the CLI's `admin add` and `reset`).
pub fn hash_now(password: &str) -> Result<String, HashFailed> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashFailed(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashFailed(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashFailed(e.to_string()))
}

/// The wait after `failures` wrong passwords in a row (0 while under [`FREE_TRIES`]).
pub fn backoff_secs(failures: i64) -> i64 {
    if failures < FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES).min(10) as u32;
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// Wrong passwords per client address, in memory (bounded: the oldest entries go first).
#[derive(Default)]
pub struct AddressBackoff {
    entries: Mutex<HashMap<ClientAddress, (i64, i64)>>,
}

/// Addresses tracked at most.
const MAX_ADDRESSES: usize = 10_000;

impl AddressBackoff {
    /// Seconds this address must still wait at `now` (0: it may try).
    pub fn wait(&self, address: &ClientAddress, now: i64) -> i64 {
        self.entries
            .lock()
            .ok()
            .and_then(|m| m.get(address).map(|(_, until)| (until - now).max(0)))
            .unwrap_or(0)
    }

    /// Notes a sign-in from `address`: a good one forgets it, a bad one counts.
    pub fn note(&self, address: &ClientAddress, ok: bool, now: i64) {
        let Ok(mut map) = self.entries.lock() else {
            return;
        };
        if ok {
            map.remove(address);
            return;
        }
        if map.len() >= MAX_ADDRESSES && !map.contains_key(address) {
            if let Some(oldest) = map.iter().min_by_key(|(_, (_, until))| *until) {
                let oldest = *oldest.0;
                map.remove(&oldest);
            }
        }
        let entry = map.entry(*address).or_insert((0, 0));
        entry.0 += 1;
        entry.1 = now + backoff_secs(entry.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_starts_after_three_and_doubles_to_fifteen_minutes() {
        assert_eq!(
            (0..8).map(backoff_secs).collect::<Vec<_>>(),
            vec![0, 0, 0, 30, 60, 120, 240, 480]
        );
        assert_eq!(backoff_secs(9), 900);
        assert_eq!(backoff_secs(1_000), 900);
    }

    #[test]
    fn an_address_waits_after_wrong_passwords_and_is_forgotten_after_a_good_one() {
        let backoff = AddressBackoff::default();
        let a = ClientAddress::of(std::net::Ipv4Addr::LOCALHOST.into());
        for _ in 0..3 {
            backoff.note(&a, false, 100);
        }
        assert_eq!(backoff.wait(&a, 100), 30);
        assert_eq!(backoff.wait(&a, 131), 0);
        backoff.note(&a, true, 131);
        backoff.note(&a, false, 131);
        assert_eq!(
            backoff.wait(&a, 131),
            0,
            "one wrong password after a good one is free"
        );
    }

    #[test]
    fn a_request_from_another_site_is_refused_however_the_browser_says_it() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            h.insert(
                header::HOST,
                axum::http::HeaderValue::from_static("hub.local:8700"),
            );
            for (k, v) in pairs {
                h.insert(*k, axum::http::HeaderValue::from_static(v));
            }
            h
        };
        assert!(
            same_origin(&headers(&[]), false),
            "a script: the token decides"
        );
        assert!(same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            false
        ));
        assert!(same_origin(
            &headers(&[("origin", "http://hub.local:8700")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://hub.local:8700")]),
            true
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://evil.example")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            false
        ));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abcd", "abc"));
    }

    #[test]
    fn one_time_passwords_are_long_and_unlike_each_other() {
        let a = one_time_password().unwrap_or_default();
        let b = one_time_password().unwrap_or_default();
        assert_eq!(a.len(), 24, "20 characters in 5 groups");
        assert_ne!(a, b);
        assert!(weak_password("li", &a).is_none());
        assert!(weak_password("li", "short").is_some());
        assert!(weak_password("wanghong", "WangHong-2026-pass").is_some());
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let phc = hash_now("correct horse battery").unwrap_or_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        let hasher = Hasher::default();
        assert!(rt.block_on(hasher.verify("correct horse battery", Some(&phc))));
        assert!(!rt.block_on(hasher.verify("correct horse battery!", Some(&phc))));
        assert!(!rt.block_on(hasher.verify("correct horse battery", None)));
    }
}
