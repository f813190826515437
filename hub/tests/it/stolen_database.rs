//! A stolen hub database gives back no identity (issue 15; docs/sync.md §2).
//!
//! Against the old design a reviewer took a copy of `hub.db`, read the district secret from
//! `meta` and the last 4 characters of the ID number from every stored `NAC1` credential, then
//! tried, for 10 area codes and every birth date 1920–2010, the ID numbers those 4 characters
//! complete (skipping candidates whose GB 11643 check digit does not match), HMAC'd each with
//! the secret and compared the results with the stored person keys: 4 of 4 full ID numbers in
//! 1.8 s.
//!
//! Here a real hub is populated through its API with 4 residents (SQLite, and PostgreSQL), and
//! [`attack`] — that same attack, greedier about what might be a secret — runs on exactly what a
//! thief carries away: the SQLite files (read with SQLite and scanned as raw bytes), or a
//! `pg_dump`; never the key directory. It must recover nothing. A positive control runs it again
//! on the same data with the district secret and the clear credentials added (what the old
//! design stored) and must recover all 4, so a broken attack cannot pass for a safe hub.
//!
//! Also here: the hub's files and key directory are private, and a database others may read is
//! refused; and a database written as the old hub wrote it gives the attack every ID number
//! (the reviewer's finding, reproduced) until this hub opens it, after which it gives none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;
use nac_hub::store::console::{AdminRole, ConsoleStore, NewAuditEntry};

use std::collections::{BTreeSet, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use hmac::{Hmac, Mac};
use nac_credential::{decode_unverified, issue, Claims, StationKey, VALIDITY_SECS};
use nac_hub::keys::{default_for_sqlite, DISTRICT_KEY, PHONE_GATEWAY_KEY, PHONE_ISSUER_KEY};
use nac_hub::{Clock, Hub, KeyDir, Policy, SqliteStore, Store};
use nac_protocol::auth::rotation_proof;
use nac_protocol::*;
use sha2::Sha256;
use support::*;

/// The hub's clock: the third day of the story (station pushes are dated days 1 and 2).
const NOW: i64 = T0 + 2 * DAY;

/// A resident as the station knows them; the hub must never learn any of it.
struct Resident {
    name: &'static str,
    masked: &'static str,
    id: &'static str,
}

impl Resident {
    /// What a card shows of the number: the 3-digit sequence and the check digit.
    fn last4(&self) -> &'static str {
        &self.id[14..]
    }
}

/// Four residents from four of the attacker's ten areas, born 1923–2008 (one number ends in X).
const RESIDENTS: [Resident; 4] = [
    Resident {
        name: "钱学明",
        masked: "钱*明",
        id: "31010419230715119X",
    },
    Resident {
        name: "孙晓燕",
        masked: "孙*燕",
        id: "440305198811021283",
    },
    Resident {
        name: "周建国",
        masked: "周*国",
        id: "110105194910010277",
    },
    Resident {
        name: "吴思远",
        masked: "吴*远",
        id: "510104200802293165",
    },
];

/// The area codes (first 6 digits) the attacker tries.
const AREAS: [&str; 10] = [
    "110101", "110105", "310101", "310104", "320106", "330106", "420102", "440103", "440305",
    "510104",
];

// ───────────────────────────── the attack ─────────────────────────────

/// GB 11643-1999 MOD 11-2: the check character of the first 17 digits.
fn check_digit(first17: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize]
}

/// Every birth date 1920-01-01 ..= 2010-12-31 as `yyyymmdd`.
fn birth_dates() -> Vec<[u8; 8]> {
    let mut dates = Vec::with_capacity(33_300);
    for y in 1920..=2010u32 {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for m in 1..=12u32 {
            let days = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            for d in 1..=days {
                dates.push(
                    format!("{y:04}{m:02}{d:02}")
                        .into_bytes()
                        .try_into()
                        .unwrap(),
                );
            }
        }
    }
    dates
}

/// Maximal runs of characters satisfying `keep`.
fn runs(s: &str, keep: impl Fn(char) -> bool) -> impl Iterator<Item = &str> {
    s.split(move |c: char| !keep(c)).filter(|r| !r.is_empty())
}

/// Every run of exactly 64 hex digits (either case) in the strings.
fn hex64_runs(strings: &[String]) -> impl Iterator<Item = &str> {
    strings
        .iter()
        .flat_map(|s| runs(s, |c| c.is_ascii_hexdigit()))
        .filter(|r| r.len() == 64)
}

/// The person keys an attacker sees: every 64-lowercase-hex-digit value in the data (a superset:
/// hashes and public keys are there too, and cost nothing to compare against).
fn stored_person_keys(strings: &[String]) -> Vec<String> {
    let keys: BTreeSet<&str> = hex64_runs(strings)
        .filter(|r| !r.bytes().any(|b| b.is_ascii_uppercase()))
        .collect();
    keys.into_iter().map(str::to_owned).collect()
}

/// What the attacker gathers from the data before enumerating.
struct Survey {
    /// Every value that might be the district secret: each 64-hex-digit run, each 32-byte value
    /// written in Base64 (a 32-byte blob read from SQLite arrives here as its hex).
    candidates: Vec<[u8; 32]>,
    /// Every distinct `NAC1:` credential found, decoded (signature not checked).
    credentials: Vec<Claims>,
    /// Masked names other than the phone channel's `*`.
    masked_names: BTreeSet<String>,
    /// Last-4 fragments usable against resident ID numbers (3 digits + a digit or X).
    fragments: BTreeSet<String>,
}

impl Survey {
    /// Credentials that show anything of a person (a phone code shows `*` and no number).
    fn with_fragment(&self) -> usize {
        self.credentials
            .iter()
            .filter(|c| !c.id_last4.is_empty() || c.masked_name.chars().any(|ch| ch != '*'))
            .count()
    }
}

const BASE45: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Every `NAC1:` credential in `s` (prefix in any case). In raw database bytes a credential may
/// run straight into the next column's characters, so each candidate is shortened until it
/// decodes.
fn nac1_credentials(s: &str, found: &mut BTreeSet<String>, out: &mut Vec<Claims>) {
    let upper = s.to_ascii_uppercase();
    for (start, _) in upper.match_indices("NAC1:") {
        let run = upper[start..]
            .find(|c: char| !BASE45.contains(c))
            .map_or(s.len(), |n| start + n);
        for end in (start + 6..=run).rev() {
            let text = &s[start..end];
            if let Ok((_, claims)) = decode_unverified(text) {
                if found.insert(text.trim().to_owned()) {
                    out.push(claims);
                }
                break;
            }
        }
    }
}

fn survey(db_strings: &[String]) -> Survey {
    let mut candidates = BTreeSet::new();
    for run in hex64_runs(db_strings) {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(run, &mut bytes).unwrap();
        candidates.insert(bytes);
    }
    let b64 = |c: char| c.is_ascii_alphanumeric() || "+/-_=".contains(c);
    for run in db_strings.iter().flat_map(|s| runs(s, b64)) {
        if run.len() == 43 || run.len() == 44 {
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                &base64::engine::general_purpose::URL_SAFE,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ] {
                if let Ok(bytes) = engine.decode(run) {
                    if let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) {
                        candidates.insert(bytes);
                    }
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    let mut credentials = Vec::new();
    for s in db_strings {
        nac1_credentials(s, &mut seen, &mut credentials);
    }
    let masked_names = credentials
        .iter()
        .filter(|c| c.masked_name.chars().any(|ch| ch != '*'))
        .map(|c| c.masked_name.clone())
        .collect();
    let fragments = credentials
        .iter()
        .map(|c| c.id_last4.to_ascii_uppercase())
        .filter(|l| {
            let b = l.as_bytes();
            b.len() == 4 && b[..3].iter().all(u8::is_ascii_digit) && b"0123456789X".contains(&b[3])
        })
        .collect();
    Survey {
        candidates: candidates.into_iter().collect(),
        credentials,
        masked_names,
        fragments,
    }
}

/// The enumeration: for each fragment, area and birth date whose check digit matches the
/// fragment's, HMAC the ID number with every candidate secret and look the result up among the
/// stored person keys. Returns the recovered ID numbers and the number of HMACs computed.
fn enumerate(survey: &Survey, stored_person_keys: &[String]) -> (Vec<String>, u64) {
    if survey.candidates.is_empty() || survey.fragments.is_empty() {
        return (Vec::new(), 0);
    }
    let keys: HashSet<[u8; 32]> = stored_person_keys
        .iter()
        .filter_map(|k| {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(k, &mut bytes).ok().map(|()| bytes)
        })
        .collect();
    let dates = birth_dates();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(survey.candidates.len());
    let chunk = survey.candidates.len().div_ceil(threads);
    let (dates, keys) = (&dates, &keys);
    let mut results: Vec<(Vec<String>, u64)> = std::thread::scope(|scope| {
        let workers: Vec<_> = survey
            .candidates
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    // One keyed state per candidate secret, "resident_id:" already absorbed.
                    let macs: Vec<Hmac<Sha256>> = part
                        .iter()
                        .map(|secret| {
                            let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
                            mac.update(b"resident_id:");
                            mac
                        })
                        .collect();
                    let mut found = Vec::new();
                    let mut hmacs = 0u64;
                    let mut id = [0u8; 18];
                    for fragment in &survey.fragments {
                        id[14..].copy_from_slice(fragment.as_bytes());
                        for area in AREAS {
                            id[..6].copy_from_slice(area.as_bytes());
                            for date in dates {
                                id[6..14].copy_from_slice(date);
                                if check_digit(&id[..17]) != id[17] {
                                    continue;
                                }
                                for mac in &macs {
                                    let mut mac = mac.clone();
                                    mac.update(&id);
                                    hmacs += 1;
                                    let out: [u8; 32] = mac.finalize().into_bytes().into();
                                    if keys.contains(&out) {
                                        found.push(String::from_utf8(id.to_vec()).unwrap());
                                    }
                                }
                            }
                        }
                    }
                    (found, hmacs)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let hmacs = results.iter().map(|r| r.1).sum();
    let mut recovered: Vec<String> = results.iter_mut().flat_map(|r| r.0.drain(..)).collect();
    recovered.sort();
    recovered.dedup();
    (recovered, hmacs)
}

/// The reviewer's attack on a copy of the hub's data: `db_strings` is every string value the
/// attacker could read from it, `stored_person_keys` the person keys it holds. Candidate
/// secrets are every 64-hex-digit string and every 32-byte value in the data; fragments are the
/// last 4 characters decoded from every `NAC1:` credential in it. Returns the recovered ID
/// numbers.
fn attack(db_strings: &[String], stored_person_keys: &[String]) -> Vec<String> {
    enumerate(&survey(db_strings), stored_person_keys).0
}

// ───────────────────────────── the hub's side ─────────────────────────────

/// What the test knows and the attacker must not learn.
struct World {
    /// The district secret (read from the key directory).
    secret: DistrictSecret,
    /// Every private key file of the key directory: (name, its 32 bytes).
    private_keys: Vec<(&'static str, [u8; 32])>,
    /// The residents' person keys, in `RESIDENTS` order.
    person_keys: Vec<PersonKey>,
    /// Every clear `NAC1` credential the stations pushed (each shows a masked name and last 4).
    clear_credentials: Vec<String>,
    /// Every enrolment and re-key code the hub handed out.
    enrolment_codes: Vec<String>,
}

fn read_key_file(dir: &Path, name: &str) -> [u8; 32] {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).unwrap();
    bytes
}

/// Resident `i`'s renewal at `station`: a credential with the resident's real masked name and
/// last 4, signed by `signer`, pushed in the clear (for the hub to check) and sealed (to store).
fn resident_event(
    station: &TestStation,
    signer: &StationKey,
    n: u64,
    i: usize,
    serial: &str,
    issued_at: i64,
) -> Event {
    let resident = &RESIDENTS[i];
    let claims = Claims {
        serial: serial.into(),
        resident_ref: event_id(10_000 + n),
        masked_name: resident.masked.into(),
        id_last4: resident.last4().into(),
        issued_at,
        expires_at: issued_at + VALIDITY_SECS,
        station_id: station.id.clone(),
    };
    let credential = issue(&claims, signer).unwrap();
    Event {
        event_id: event_id(n),
        person_key: person_key(&station.secret, "resident_id", resident.id),
        capacity: Capacity::Volunteer,
        channel: Channel::Station(station.id.clone()),
        volunteer: Some(format!("{}/v-7", station.id)),
        code: Code {
            serial: serial.into(),
            issued_at,
            expires_at: issued_at + VALIDITY_SECS,
            kid: signer.kid(),
            sealed: Some(
                seal_credential(&station.secret, &signer.kid(), serial, &credential).unwrap(),
            ),
            credential,
        },
        supersedes: None,
    }
}

fn statuses(answers: &[EventAnswer]) -> Vec<(Outcome, Option<RejectReason>)> {
    answers.iter().map(|a| (a.status, a.reason)).collect()
}

/// Drives the hub through its API so that every table holds rows: two stations enrolled, one
/// pending and a re-key code waiting, renewals accepted, duplicated, rejected by R3, refused
/// (bad signature) and superseded, a phone renewal, a subscribe, pulls, the trust and
/// revocation lists, a nonce, an audit anchor and a key rotation.
async fn populate<S: Store + ConsoleStore>(hub: &Hub<S>) -> World {
    let a = enrol(hub, 1).await;
    let b = enrol(hub, 2).await;
    let secret = DistrictSecret(read_key_file(hub.keys.path(), DISTRICT_KEY));
    assert!(
        a.secret == secret && b.secret == secret,
        "each station opened the district secret sealed under its enrolment code"
    );
    let (_, pending_code) = hub
        .add_station("Lane 88 Residents' Committee", "Xuhui")
        .await
        .unwrap();
    let rekey_code = hub.rekey_station(&a.id).await.unwrap();
    let person_keys: Vec<PersonKey> = RESIDENTS
        .iter()
        .map(|r| person_key(&secret, "resident_id", r.id))
        .collect();
    let mut clear_credentials = Vec::new();

    // Day 1: A renews residents 0 and 1, B residents 2 and 3.
    let day1_a = vec![
        resident_event(&a, &a.key, 1, 0, "A0D1", T0),
        resident_event(&a, &a.key, 2, 1, "A1D1", T0 + 60),
    ];
    let day1_b = vec![
        resident_event(&b, &b.key, 3, 2, "B2D1", T0 + 120),
        resident_event(&b, &b.key, 4, 3, "B3D1", T0 + 180),
    ];
    let accepted = vec![(Outcome::Accepted, None); 2];
    assert_eq!(statuses(&push(hub, &a, &day1_a, T0 + 300).await), accepted);
    assert_eq!(statuses(&push(hub, &b, &day1_b, T0 + 300).await), accepted);
    // The same page again (an answer lost on the way): duplicates.
    assert_eq!(
        statuses(&push(hub, &a, &day1_a, T0 + 600).await),
        vec![(Outcome::Duplicate, None); 2]
    );
    // R3: B renews resident 0 the same day; recorded as rejected, with its sealed credential.
    let same_day = resident_event(&b, &b.key, 5, 0, "B0D1", T0 + 3600);
    assert_eq!(
        statuses(&push(hub, &b, std::slice::from_ref(&same_day), T0 + 3700).await),
        vec![(Outcome::Rejected, Some(RejectReason::AlreadyAppliedToday))]
    );
    // A code B did not sign (A's key): refused before the store.
    let forged = resident_event(&b, &a.key, 6, 1, "B1D1", T0 + 3600);
    assert_eq!(
        statuses(&push(hub, &b, std::slice::from_ref(&forged), T0 + 3700).await),
        vec![(Outcome::Rejected, Some(RejectReason::InvalidCredential))]
    );
    // Day 2: A renews resident 1 again; the day-1 code is superseded.
    let day2 = resident_event(&a, &a.key, 7, 1, "A1D2", T0 + DAY);
    assert_eq!(
        statuses(&push(hub, &a, std::slice::from_ref(&day2), T0 + DAY + 60).await),
        vec![(Outcome::Accepted, None)]
    );
    for e in day1_a
        .iter()
        .chain(&day1_b)
        .chain([&same_day, &forged, &day2])
    {
        clear_credentials.push(e.code.credential.clone());
    }

    // Day 3: resident 2 renews on the phone (a family member); B's code is superseded.
    let phone = PhoneRenewRequest {
        v: V1,
        event_id: event_id(900),
        person_key: person_keys[2].clone(),
        capacity: Capacity::Family,
        issued_at: hub.clock.now(),
    };
    let answer: EventAnswer =
        serde_json::from_str(&hub.phone_renew(&phone).await.unwrap()).unwrap();
    assert_eq!(answer.status, Outcome::Accepted);
    let phone_code = answer.active.unwrap();
    let (_, claims) = decode_unverified(&phone_code.credential).unwrap();
    assert_eq!(
        (claims.masked_name.as_str(), claims.id_last4.as_str()),
        ("*", ""),
        "a phone code is NAC1 text in the clear, showing no one"
    );

    // B looks up its roster (the four residents and one key unknown to the hub). Every station
    // code comes back sealed, and a station opens it to the card's masked name and last 4: the
    // fragments are in the hub's data, sealed.
    let principal_b = hub.store.principal(&b.id).await.unwrap().unwrap();
    let mut roster = person_keys.clone();
    roster.push(nth_person(77));
    let looked_up = hub
        .store
        .subscribe(&b.id, roster, hub.subscribe_limits(&principal_b), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(looked_up.active.len(), 4);
    for code in &looked_up.active {
        let i = person_keys
            .iter()
            .position(|k| *k == code.person_key)
            .unwrap();
        if code.channel == Channel::Phone {
            assert_eq!(i, 2);
            continue;
        }
        assert!(code.credential.starts_with(SEALED_PREFIX), "{code:?}");
        let opened = open_credential(&b.secret, &code.kid, &code.serial, &code.credential).unwrap();
        let (_, claims) = decode_unverified(&opened).unwrap();
        assert_eq!(
            (claims.masked_name.as_str(), claims.id_last4.as_str()),
            (RESIDENTS[i].masked, RESIDENTS[i].last4())
        );
    }
    for station in [&a, &b] {
        let pulled = hub.store.pull(&station.id, 0, 1000).await.unwrap();
        assert!(!pulled.items.is_empty(), "{} pulls changes", station.id);
    }
    assert!(hub.full_trust_list().await.unwrap().len() >= 3);
    let revoked = hub.store.revocations(0, 1000).await.unwrap().items;
    assert_eq!(revoked.len(), 3, "B0D1 rejected, A1D1 and B2D1 superseded");

    // A signed request's nonce, an audit-log head and a key rotation.
    assert!(hub
        .store
        .remember_nonce(&a.id, &random_hex(16).unwrap(), NOW, None)
        .await
        .unwrap());
    let anchor = AuditAnchor {
        seq: 1,
        hash: random_hex(32).unwrap(),
        received_at: NOW,
    };
    assert!(hub.store.add_audit_anchor(&a.id, anchor).await.unwrap());
    let new_key = StationKey::from_secret_bytes(&[42; 32]);
    hub.rotate_key(
        &principal_b,
        &RotateKeyRequest {
            v: V1,
            station: b.id.clone(),
            public_key: new_key.public_key(),
            kid: new_key.kid(),
            proof: rotation_proof(&new_key, &b.id),
        },
    )
    .await
    .unwrap();

    // The console: a staff account, a session, the audit log of what they did.
    let hash = nac_hub::console::auth::hash_now("district office 2026").unwrap();
    assert!(hub
        .store
        .add_admin("li", AdminRole::Admin, &hash, NOW)
        .await
        .unwrap());
    let token = random_hex(32).unwrap();
    hub.store
        .create_session(
            &nac_hub::console::auth::token_hash(&token),
            "li",
            &random_hex(32).unwrap(),
            "127.0.0.1",
            NOW,
        )
        .await
        .unwrap();
    hub.store
        .append_audit(NewAuditEntry {
            at: NOW,
            actor: "console:li".into(),
            action: "station.disable".into(),
            subject: format!("{}: lost laptop", b.id),
            address: "127.0.0.1".into(),
        })
        .await
        .unwrap();

    let private_keys = [DISTRICT_KEY, PHONE_ISSUER_KEY, PHONE_GATEWAY_KEY]
        .into_iter()
        .map(|name| (name, read_key_file(hub.keys.path(), name)))
        .collect();
    World {
        secret,
        private_keys,
        person_keys,
        clear_credentials,
        enrolment_codes: vec![pending_code, rekey_code],
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The key directory is 0700, every file in it 0600, and the three keys are there.
fn assert_key_dir_private(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    for name in [DISTRICT_KEY, PHONE_ISSUER_KEY, PHONE_GATEWAY_KEY] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
}

/// The database file and its companions, as paths.
fn sqlite_files(db: &Path) -> Vec<(String, PathBuf)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .map(|suffix| {
            (
                format!("hub.db{suffix}"),
                PathBuf::from(format!("{}{suffix}", db.display())),
            )
        })
        .collect()
}

/// A hub over `db`, its keys in the default directory beside it (`hub-keys/`), as `nac-hub
/// --data hub.db` runs it.
async fn sqlite_hub(db: &Path) -> Hub<SqliteStore> {
    let store = SqliteStore::open(db, NOW).await.unwrap();
    let keys = KeyDir::open(default_for_sqlite(db)).unwrap();
    Hub::open(store, Clock::starting_at(NOW), keys, Policy::default())
        .await
        .unwrap()
}

// ───────────────────────────── what the thief has ─────────────────────────────

/// What the thief carried away: each file's bytes, and every string value read from them.
struct Loot {
    label: String,
    files: Vec<(String, Vec<u8>)>,
    strings: Vec<String>,
}

/// Runs of text (4+ characters, no control characters) in raw bytes, as `strings(1)` shows.
fn printable_runs(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split(|c: char| c.is_control() || c == char::REPLACEMENT_CHARACTER)
        .filter(|s| s.chars().count() >= 4)
        .map(str::to_owned)
        .collect()
}

/// Copies `hub.db` and its `-wal`/`-shm` (those present) to `to` — the key directory is not
/// taken — and reads them: every text and blob value of every table with SQLite, plus the
/// printable runs of the raw bytes (which include freed pages and old page images in the WAL).
/// Also returns each table's row count.
fn steal_sqlite(label: &str, db: &Path, to: &Path) -> (Loot, Vec<(String, i64)>) {
    std::fs::create_dir_all(to).unwrap();
    let mut files = Vec::new();
    for (name, path) in sqlite_files(db) {
        if let Ok(bytes) = std::fs::read(&path) {
            std::fs::write(to.join(&name), &bytes).unwrap();
            files.push((name, bytes));
        }
    }
    let mut strings: Vec<String> = files.iter().flat_map(|f| printable_runs(&f.1)).collect();
    let conn = rusqlite::Connection::open(to.join("hub.db")).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut counts = Vec::new();
    for table in std::iter::once("sqlite_master".to_owned()).chain(tables) {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut count = 0;
        while let Some(row) = rows.next().unwrap() {
            count += 1;
            for i in 0..columns {
                match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) => {
                        strings.push(String::from_utf8_lossy(t).into_owned());
                    }
                    rusqlite::types::ValueRef::Blob(b) => {
                        strings.push(hex::encode(b));
                        strings.push(String::from_utf8_lossy(b).into_owned());
                    }
                    _ => {}
                }
            }
        }
        if table != "sqlite_master" {
            counts.push((table, count));
        }
    }
    let label = format!(
        "{label}: {}",
        files
            .iter()
            .map(|(name, bytes)| format!("{name} {} B", bytes.len()))
            .collect::<Vec<_>>()
            .join(" + ")
    );
    (
        Loot {
            label,
            files,
            strings,
        },
        counts,
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether `first` occurs with `then` starting within `within` bytes after it.
fn followed_by(haystack: &[u8], first: &[u8], then: &[u8], within: usize) -> bool {
    haystack
        .windows(first.len())
        .enumerate()
        .filter(|(_, w)| *w == first)
        .any(|(at, _)| {
            let from = at + first.len();
            let to = (from + within + then.len()).min(haystack.len());
            contains(&haystack[from..to], then)
        })
}

/// Every table must hold rows but `meta` (which held the secrets before they moved out; a new
/// hub writes nothing there).
fn assert_tables_populated(label: &str, counts: &[(String, i64)]) {
    let empty: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(t, _)| t.as_str())
        .collect();
    eprintln!(
        "[{label}] tables: {}",
        counts
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(empty, vec!["meta"], "every table but meta is populated");
}

/// Runs the attack on `loot` (must recover nothing, must find no credential showing a person,
/// must not hold the secret), scans its bytes for the residents and the keys, then runs the
/// positive control on the same strings with the secret and the clear credentials added.
fn examine(loot: &Loot, world: &World, positive_control: bool) {
    for (file, bytes) in &loot.files {
        let text = String::from_utf8_lossy(bytes);
        let lower = text.to_ascii_lowercase();
        for r in &RESIDENTS {
            for (what, needle) in [
                ("ID number", r.id),
                ("name", r.name),
                ("masked name", r.masked),
            ] {
                assert!(!text.contains(needle), "{file} holds {what} {needle}");
            }
            assert!(
                !followed_by(bytes, r.masked.as_bytes(), r.last4().as_bytes(), 64),
                "{file} holds {} followed by {}",
                r.masked,
                r.last4()
            );
        }
        for (name, key) in &world.private_keys {
            assert!(!contains(bytes, key), "{file} holds the bytes of {name}");
            assert!(!lower.contains(&hex::encode(key)), "{file} holds {name}");
        }
        for code in &world.enrolment_codes {
            let plain = normalize_enrolment_code(code);
            assert!(
                !text.contains(code.as_str()) && !text.contains(&plain),
                "{file} holds an enrolment code"
            );
        }
    }

    let person_keys = stored_person_keys(&loot.strings);
    for key in &world.person_keys {
        assert!(
            person_keys.iter().any(|k| k == key.as_str()),
            "the thief does hold every resident's person key"
        );
    }
    let started = Instant::now();
    let recovered = attack(&loot.strings, &person_keys);
    let elapsed = started.elapsed();
    let found = survey(&loot.strings);
    let has_secret = found.candidates.contains(&world.secret.0);
    eprintln!(
        "[stolen {}] {} strings, {} person keys, {} candidate secrets (district secret among \
         them: {}), {} NAC1 credentials ({} with a name or ID fragment), {} masked names, {} \
         last-4 fragments; recovered {} of {} ID numbers in {:.3} s",
        loot.label,
        loot.strings.len(),
        person_keys.len(),
        found.candidates.len(),
        if has_secret { "YES" } else { "no" },
        found.credentials.len(),
        found.with_fragment(),
        found.masked_names.len(),
        found.fragments.len(),
        recovered.len(),
        RESIDENTS.len(),
        elapsed.as_secs_f64()
    );
    assert!(recovered.is_empty(), "recovered {recovered:?}");
    assert_eq!(found.with_fragment(), 0, "a credential showing a person");
    assert!(found.masked_names.is_empty() && found.fragments.is_empty());
    assert!(!has_secret, "the district secret is in the stolen data");
    assert!(
        !found.credentials.is_empty(),
        "the phone code is stored as NAC1 text: the scan does find credentials in this data"
    );

    if !positive_control {
        return;
    }
    // The same attack, the same data, plus what the old design stored: it must work.
    let mut old_design = loot.strings.clone();
    old_design.push(world.secret.to_hex());
    old_design.extend(world.clear_credentials.iter().cloned());
    let found = survey(&old_design);
    let started = Instant::now();
    let (recovered, hmacs) = enumerate(&found, &person_keys);
    let elapsed = started.elapsed();
    let mut expected: Vec<String> = RESIDENTS.iter().map(|r| r.id.to_owned()).collect();
    expected.sort();
    eprintln!(
        "[positive control: {} + district secret + {} clear credentials] {} candidate secrets, \
         {} NAC1 credentials ({} with a fragment), {} last-4 fragments, {hmacs} HMACs; recovered \
         {} of {} ID numbers in {:.3} s",
        loot.label,
        world.clear_credentials.len(),
        found.candidates.len(),
        found.credentials.len(),
        found.with_fragment(),
        found.fragments.len(),
        recovered.len(),
        RESIDENTS.len(),
        elapsed.as_secs_f64()
    );
    assert_eq!(recovered, expected, "the attack works given the secret");
}

// ───────────────────────────── the tests ─────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_sqlite_database_gives_back_no_identity() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let hub = sqlite_hub(&db).await;
    let world = populate(&hub).await;
    for (name, path) in sqlite_files(&db) {
        assert_eq!(mode(&path), 0o600, "{name} while the hub runs");
    }
    assert_key_dir_private(hub.keys.path());
    // A copy taken while the hub runs (`cp hub.db*`: the WAL holds every recent page image) ...
    let (live, counts) = steal_sqlite(
        "sqlite, copied while running",
        &db,
        &dir.path().join("stolen-live"),
    );
    assert_eq!(live.files.len(), 3, "hub.db, hub.db-wal and hub.db-shm");
    assert_tables_populated("sqlite", &counts);
    // ... and one after it stopped.
    drop(hub);
    let (stopped, _) = steal_sqlite(
        "sqlite, after stop",
        &db,
        &dir.path().join("stolen-stopped"),
    );
    examine(&live, &world, false);
    examine(&stopped, &world, true);
}

/// The newest `pg_dump` of the PostgreSQL installations (the test server runs the newest), or
/// the one on `PATH`.
fn pg_dump_binary() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin/pg_dump");
            bin.exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map_or_else(|| PathBuf::from("pg_dump"), |f| f.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_postgres_dump_gives_back_no_identity() {
    let Some(url) = pg::fresh_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = nac_hub::PgStore::connect(&url, NOW).await.unwrap();
    let keys = KeyDir::open(dir.path().join("hub-keys")).unwrap();
    let hub = Hub::open(store, Clock::starting_at(NOW), keys, Policy::default())
        .await
        .unwrap();
    let world = populate(&hub).await;
    assert_key_dir_private(hub.keys.path());
    drop(hub);

    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    let mut counts = Vec::new();
    for row in client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
    {
        let table: String = row.get(0);
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
            .await
            .unwrap()
            .get(0);
        counts.push((table, count));
    }
    drop(client);
    let _ = task.await;
    assert_tables_populated("postgres", &counts);

    let bin = pg_dump_binary();
    let out = std::process::Command::new(&bin)
        .arg(format!("--dbname={url}"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8(out.stdout).unwrap();
    assert!(dump.contains("COPY public.applications"), "a data dump");
    let loot = Loot {
        label: format!("postgres, pg_dump {} B", dump.len()),
        strings: dump.lines().map(str::to_owned).collect(),
        files: vec![("pg_dump".into(), dump.into_bytes())],
    };
    examine(&loot, &world, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_files_are_private_and_a_readable_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let hub = sqlite_hub(&db).await;
    let st = enrol(&hub, 1).await;
    push(&hub, &st, &[event(&st, 1, &nth_person(1), "S1", NOW)], NOW).await;
    for (name, path) in sqlite_files(&db) {
        assert!(path.exists(), "{name}");
        assert_eq!(mode(&path), 0o600, "{name}");
    }
    assert_key_dir_private(&default_for_sqlite(&db));
    drop(hub);

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SqliteStore::open(&db, NOW)
        .await
        .err()
        .expect("a database others may read is refused")
        .to_string();
    assert!(
        err.contains(&db.display().to_string()) && err.contains("644"),
        "{err}"
    );
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(SqliteStore::open(&db, NOW).await.is_ok(), "private again");
}

// ───────────────────────────── a database of the old design ─────────────────────────────

/// A phone code as the hub issues it: signed with its phone key, showing no one.
fn phone_credential(issuer: &StationKey, serial: &str, issued_at: i64) -> String {
    let claims = Claims {
        serial: serial.into(),
        resident_ref: event_id(20_000),
        masked_name: "*".into(),
        id_last4: String::new(),
        issued_at,
        expires_at: issued_at + VALIDITY_SECS,
        station_id: PHONE_CHANNEL.into(),
    };
    issue(&claims, issuer).unwrap()
}

/// One application as the old hub stored it.
struct OldRow {
    event_id: String,
    person: String,
    serial: String,
    channel: String,
    kid: String,
    credential: String,
    issued_at: i64,
}

/// Writes `db` as the old hub did (schema versions 1–2): the district secret and the phone keys
/// in `meta`, each station credential in the clear in `applications` and in the stored answer.
fn write_old_database(db: &Path, world: &World, station: &TestStation) {
    let secret = |name: &str| world.private_keys.iter().find(|k| k.0 == name).unwrap().1;
    let issuer = StationKey::from_secret_bytes(&secret(PHONE_ISSUER_KEY));
    let gateway = StationKey::from_secret_bytes(&secret(PHONE_GATEWAY_KEY));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(db)
        .unwrap();
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)
             STRICT;",
    )
    .unwrap();
    for (version, sql) in &nac_hub::store::sqlite::MIGRATIONS[..2] {
        let tx = conn.transaction().unwrap();
        tx.execute_batch(sql).unwrap();
        tx.execute("INSERT INTO schema_migrations VALUES (?1, 0)", [version])
            .unwrap();
        tx.commit().unwrap();
    }
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO meta VALUES ('district_secret', ?1), ('phone_issuer_secret', ?2),
             ('phone_gateway_secret', ?3)",
        [
            world.secret.to_hex(),
            hex::encode(secret(PHONE_ISSUER_KEY)),
            hex::encode(secret(PHONE_GATEWAY_KEY)),
        ],
    )
    .unwrap();
    for (id, kind, key) in [
        (PHONE_CHANNEL, "gateway", &gateway),
        (station.id.as_str(), "station", &station.key),
    ] {
        tx.execute(
            "INSERT INTO principals (id, kind, name, area, status, public_key, kid, created_at,
                 enrolled_at)
             VALUES (?1, ?2, ?1, '', 'active', ?3, ?4, ?5, ?5)",
            rusqlite::params![
                id,
                kind,
                key.public_key().to_string(),
                key.kid().to_string(),
                T0
            ],
        )
        .unwrap();
    }
    for (station_id, key) in [
        (PHONE_CHANNEL, &issuer),
        (station.id.as_str(), &station.key),
    ] {
        tx.execute(
            "INSERT INTO trust (kid, station, public_key, status) VALUES (?1, ?2, ?3, 'active')",
            [
                key.kid().to_string(),
                station_id.to_owned(),
                key.public_key().to_string(),
            ],
        )
        .unwrap();
    }
    // Residents 0–3 renewed at the station on day 1; resident 0 on the phone on day 2.
    let mut rows: Vec<OldRow> = (0..RESIDENTS.len())
        .map(|i| {
            let serial = format!("OLD{i}");
            let e = resident_event(station, &station.key, i as u64 + 1, i, &serial, T0);
            OldRow {
                event_id: e.event_id,
                person: e.person_key.to_string(),
                serial,
                channel: station.id.clone(),
                kid: e.code.kid.to_string(),
                credential: e.code.credential,
                issued_at: T0,
            }
        })
        .collect();
    rows.push(OldRow {
        event_id: event_id(99),
        person: world.person_keys[0].to_string(),
        serial: "PHONE0001".into(),
        channel: PHONE_CHANNEL.into(),
        kid: issuer.kid().to_string(),
        credential: phone_credential(&issuer, "PHONE0001", T0 + DAY),
        issued_at: T0 + DAY,
    });
    for row in &rows {
        let OldRow {
            event_id: event,
            person,
            serial,
            channel,
            kid,
            credential,
            issued_at,
        } = row;
        let issued_at = *issued_at;
        tx.execute(
            "INSERT INTO applications (serial, event_id, person_key, day, issued_at, expires_at,
                 kid, channel, capacity, volunteer, credential, supersedes, status, reason,
                 received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'self', NULL, ?9, NULL, 'accepted', NULL,
                 ?5)",
            rusqlite::params![
                serial,
                event,
                person,
                cst_day(issued_at),
                issued_at,
                issued_at + VALIDITY_SECS,
                kid,
                channel,
                credential
            ],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO active_codes VALUES (?1, ?2, ?3)
             ON CONFLICT (person_key) DO UPDATE SET serial = excluded.serial",
            rusqlite::params![person, serial, issued_at],
        )
        .unwrap();
        let answer = serde_json::json!({
            "event_id": event,
            "status": "accepted",
            "active": {
                "person_key": person, "channel": channel, "serial": serial,
                "issued_at": issued_at, "expires_at": issued_at + VALIDITY_SECS,
                "kid": kid, "credential": credential,
            },
        });
        tx.execute(
            "INSERT INTO event_records VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                event,
                channel,
                "0".repeat(64),
                answer.to_string(),
                issued_at
            ],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO changes (person_key, kind, serial) VALUES (?1, 'issued', ?2)",
            [person, serial],
        )
        .unwrap();
        tx.execute(
            "INSERT OR IGNORE INTO subscriptions VALUES (?1, ?2)",
            [station.id.as_str(), person],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// The reviewer's scenario on a database as the old hub wrote it: the attack recovers every ID
/// number. Opened by this hub — which moves the secrets to the key directory, seals the stored
/// credentials and rewrites the file — the same file gives back none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_database_gives_back_every_id_and_none_once_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let secret = DistrictSecret([0x5a; 32]);
    let station = TestStation {
        id: "ST-OLD001".into(),
        key: StationKey::from_secret_bytes(&[9; 32]),
        secret: secret.clone(),
    };
    let world = World {
        person_keys: RESIDENTS
            .iter()
            .map(|r| person_key(&secret, "resident_id", r.id))
            .collect(),
        clear_credentials: (0..RESIDENTS.len())
            .map(|i| {
                let serial = format!("OLD{i}");
                resident_event(&station, &station.key, i as u64 + 1, i, &serial, T0)
                    .code
                    .credential
            })
            .collect(),
        private_keys: vec![
            (DISTRICT_KEY, secret.0),
            (PHONE_ISSUER_KEY, [0x11; 32]),
            (PHONE_GATEWAY_KEY, [0x22; 32]),
        ],
        secret,
        enrolment_codes: Vec::new(),
    };
    write_old_database(&db, &world, &station);

    let (old, _) = steal_sqlite("old design", &db, &dir.path().join("stolen-old"));
    let person_keys = stored_person_keys(&old.strings);
    let found = survey(&old.strings);
    let started = Instant::now();
    let recovered = attack(&old.strings, &person_keys);
    let mut expected: Vec<String> = RESIDENTS.iter().map(|r| r.id.to_owned()).collect();
    expected.sort();
    eprintln!(
        "[stolen {}] {} candidate secrets (district secret among them: {}), {} NAC1 credentials \
         ({} with a name or ID fragment), {} last-4 fragments; recovered {} of {} ID numbers in \
         {:.3} s",
        old.label,
        found.candidates.len(),
        if found.candidates.contains(&world.secret.0) {
            "YES"
        } else {
            "no"
        },
        found.credentials.len(),
        found.with_fragment(),
        found.fragments.len(),
        recovered.len(),
        RESIDENTS.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(recovered, expected, "the reviewer's attack, reproduced");

    let hub = sqlite_hub(&db).await;
    assert_key_dir_private(hub.keys.path());
    for (name, key) in &world.private_keys {
        assert_eq!(
            read_key_file(hub.keys.path(), name),
            *key,
            "{name} moved to the key directory"
        );
    }
    let (live, _) = steal_sqlite(
        "old design upgraded, copied while running",
        &db,
        &dir.path().join("stolen-live"),
    );
    drop(hub);
    let (stopped, _) = steal_sqlite(
        "old design upgraded, after stop",
        &db,
        &dir.path().join("stolen-stopped"),
    );
    examine(&live, &world, false);
    examine(&stopped, &world, false);
}
