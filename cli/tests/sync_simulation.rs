//! A randomized, seed-reproducible simulation of a district: 5 stations with overlapping
//! rosters and the phone channel, 30 simulated days, against the real `nac-hub` process.
//!
//! What the world does to it: requests lost, answers lost after the hub committed, requests
//! duplicated, old requests delivered again late; the hub killed and restarted; station clocks
//! off by minutes to days, forward and back, some corrected later; days that run past CST
//! midnight; a station disabled by the district and enabled again; key rotations; the hub
//! restored from an earlier backup (SQLite seeds), with or without its feed stamp; pages of 3
//! events or changes so pushes and pulls span many pages; on PostgreSQL, stations syncing in
//! threads at once so the hub's locks are contended.
//!
//! After a final fault-free sync with every clock right, the checks (each from first
//! principles, not from the hub's own bookkeeping where it could be wrong):
//!
//! * R3: at most one accepted application per person per CST day, the day computed here from
//!   each code's `issued_at` in UTC+08:00 (not the hub's `day` column);
//! * R2: exactly one active code per person that ever had one accepted, and every station's
//!   active code for each resident is the hub's;
//! * every station event is synced (accepted at the hub) or rejected — by R3 (recorded as such)
//!   or by a refusal this simulation can justify from what it did (a code dated outside the
//!   window when it reached the hub, ahead of the hub's clock, or after the district disabled
//!   its station); no other refusal is allowed;
//! * every phone renewal's answer is justified the same way and reached the hub;
//! * no code is valid at any station unless the hub accepted it and it is the person's active
//!   code: every code any station ever held is verified at every station.
//!
//! ```text
//! cargo test -p nac-cli --test sync_simulation                 # 200 seeds SQLite + 6 PostgreSQL
//! cargo test -p nac-cli --test sync_simulation -- --seeds 1000 # more
//! cargo test -p nac-cli --test sync_simulation -- --seed 42    # replay one
//! cargo test -p nac-cli --test sync_simulation -- --seed 42 --postgres
//! ```
//!
//! A failing seed prints the command that replays it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::domain::Capacity;
use nac_core::station::HubRequest;
use nac_core::{Clock, ErrorCode, ManualClock, Station, Transport, TransportError};
use nac_credential::Verdict;
use nac_test_support::hub::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const STATIONS: usize = 5;
const PEOPLE: u32 = 14;
const DAYS: i64 = 30;
const STEPS_PER_DAY: u32 = 16;
const WINDOW: i64 = nac_protocol::DEFAULT_OFFLINE_WINDOW_SECS;
const SKEW: i64 = nac_protocol::MAX_REQUEST_SKEW_SECS;

/// A station clock's error: none, a little, or far off (ahead or behind).
const OFFSETS: [i64; 7] = [0, 0, 90, -120, 2 * 3600, -DAY, -9 * DAY];

struct SimStation {
    station: Station,
    clock: ManualClock,
    /// This station's clock minus the hub's.
    offset: i64,
    /// Its clock's error at the start.
    initial_offset: i64,
    /// The simulated day its clock is put right, if it is off.
    fixed_on: Option<i64>,
    residents: Vec<(u32, i64)>,
    delivered: Vec<HubRequest>,
}

/// One event as it reached the hub, and the hub's time then.
#[derive(Debug, Clone)]
struct Arrival {
    hub_time: i64,
    issued_at: i64,
    kid: String,
}

/// What reached the hub, by event id.
type Arrivals = HashMap<String, Vec<Arrival>>;

/// A phone renewal and what the hub answered.
#[derive(Debug, Clone)]
struct PhoneRenewal {
    event_id: String,
    person: u32,
    issued_at: i64,
    status: String,
    reason: Option<String>,
}

struct Sim {
    hub: Hub,
    /// The hub's clock (the district's true time).
    base: ManualClock,
    stations: Vec<SimStation>,
    rng: Rng,
    phone: Vec<PhoneRenewal>,
    /// Every pushed event that reached the hub, by event id.
    arrivals: HashMap<String, Vec<Arrival>>,
    /// Station index → (disabled at, enabled at), hub time.
    disabled: HashMap<usize, (i64, Option<i64>)>,
    rotations: u32,
    restores: u32,
    /// (backup taken, restored), hub time: what reached the hub between is what it lost.
    lost: Vec<(i64, i64)>,
    backup: Option<(PathBuf, i64)>,
    dir: PathBuf,
}

/// Passes requests to the hub, noting every push that reached it (the answer may still be
/// lost after) with the hub's time.
struct Recording<'a> {
    inner: HubTransport,
    base: &'a ManualClock,
    arrivals: &'a mut HashMap<String, Vec<Arrival>>,
}

impl Transport for Recording<'_> {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.send(request);
        let reached = !matches!(&answer, Err(TransportError::Unreachable(_)));
        if reached && request.path_and_query == nac_protocol::PATH_PUSH {
            if let Ok(push) = serde_json::from_slice::<nac_protocol::PushRequest>(&request.body) {
                let hub_time = self.base.now().timestamp();
                for e in push.events {
                    self.arrivals.entry(e.event_id).or_default().push(Arrival {
                        hub_time,
                        issued_at: e.code.issued_at,
                        kid: e.code.kid.to_string(),
                    });
                }
            }
        }
        answer
    }

    fn hub_headers(&self) -> Option<nac_core::station::HubHeaders> {
        self.inner.hub_headers()
    }
}

fn run_seed(seed: u64, postgres: bool) -> Result<String, String> {
    let dir = fast_tempdir();
    let data = if postgres {
        match postgres_database() {
            Some(url) => HubData::Postgres(url),
            None => return Ok("skipped (no PostgreSQL)".into()),
        }
    } else {
        HubData::Sqlite(dir.path().join("hub.db"))
    };
    let base = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = Hub::start(data, dir.path(), HubTime::following(&base));
    let mut rng = Rng::new(seed);
    // Overlapping rosters: each person is on 1-3 stations.
    let mut rosters: Vec<Vec<u32>> = vec![Vec::new(); STATIONS];
    for person in 0..PEOPLE {
        let copies = 1 + rng.below(3) as usize;
        let mut placed = 0;
        while placed < copies {
            let s = rng.below(STATIONS as u64) as usize;
            if !rosters[s].contains(&person) {
                rosters[s].push(person);
                placed += 1;
            }
        }
    }
    let mut stations = Vec::new();
    for (i, roster) in rosters.iter().enumerate() {
        let offset = OFFSETS[rng.below(OFFSETS.len() as u64) as usize];
        let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0 + offset, 0).unwrap());
        let path = dir.path().join(format!("s{i}.db"));
        let mut station = open_station(&path, Arc::new(clock.clone()));
        let code = hub.station_code(&format!("station {i}"));
        station
            .enrol(&mut hub.transport(), &hub.url, &code)
            .map_err(|e| format!("enrol: {e}"))?;
        // Pages of 3: pushes and pulls span many pages.
        station
            .connection()
            .execute(
                "INSERT INTO settings (key, value) VALUES ('sync_page_size', '3')",
                [],
            )
            .unwrap();
        let ids = add_residents(&mut station, roster);
        stations.push(SimStation {
            station,
            clock,
            offset,
            initial_offset: offset,
            fixed_on: (offset != 0).then(|| rng.below(DAYS as u64) as i64),
            residents: roster.iter().copied().zip(ids).collect(),
            delivered: Vec::new(),
        });
    }
    let mut sim = Sim {
        hub,
        base,
        stations,
        rng,
        phone: Vec::new(),
        arrivals: HashMap::new(),
        disabled: HashMap::new(),
        rotations: 0,
        restores: 0,
        lost: Vec::new(),
        backup: None,
        dir: dir.path().to_path_buf(),
    };
    let secret = district_secret(&sim.stations[0].station);
    // Plans made once per seed: which station the district disables and when (some seeds),
    // when the hub is backed up and restored (some SQLite seeds).
    let disable_plan = sim.rng.chance(0.5).then(|| {
        let s = sim.rng.below(STATIONS as u64) as usize;
        let day = 3 + sim.rng.below(20) as i64;
        (s, day, day + 1 + sim.rng.below(4) as i64)
    });
    let restore_plan = (!postgres && sim.rng.chance(0.4)).then(|| {
        let day = 2 + sim.rng.below(20) as i64;
        (day, day + 1 + sim.rng.below(3) as i64, sim.rng.chance(0.5))
    });
    let mut hub_restarts = 0;
    for day in 0..DAYS {
        // A day starts at 09:00 CST; some start early, at 06:30, and run across 08:00 CST
        // (midnight UTC: a day counted in UTC instead of CST would show), some in the evening
        // and run past CST midnight.
        let start = [9 * 3600, 9 * 3600, 6 * 3600 + 1800, 18 * 3600][sim.rng.below(4) as usize];
        let day_start = T0 - 9 * 3600 + day * DAY + start;
        let now = sim.now();
        if day_start > now {
            sim.advance(day_start - now);
        }
        for s in 0..STATIONS {
            if sim.stations[s].fixed_on == Some(day) {
                sim.stations[s].offset = 0;
            }
        }
        if let Some((s, off, on)) = disable_plan {
            let id = sim.stations[s].station.station_id().to_string();
            if day == off {
                sim.hub.admin(&["station", "disable", &id]);
                sim.disabled.insert(s, (sim.now(), None));
            }
            // (A restore from a backup taken before the disable may have undone it.)
            let disabled_now = || {
                sim.hub.data.query(&format!(
                    "SELECT count(*) FROM principals WHERE id = '{id}' AND status = 'disabled'"
                ))[0][0]
                    == "1"
            };
            if day == on && disabled_now() {
                sim.hub.admin(&["station", "enable", &id]);
                let now = sim.now();
                if let Some(entry) = sim.disabled.get_mut(&s) {
                    entry.1 = Some(now);
                }
            }
        }
        if let Some((backup_day, restore_day, lose_stamp)) = restore_plan {
            if day == backup_day {
                sim.take_backup();
            }
            if day == restore_day {
                sim.restore(lose_stamp);
            }
        }
        for _step in 0..STEPS_PER_DAY {
            let step = 60 * (10 + sim.rng.below(60) as i64);
            sim.advance(step);
            let roll = sim.rng.below(100);
            if roll < 25 {
                sim.renew_someone()?;
            } else if roll < 31 {
                sim.phone_renewal(&secret)?;
            } else if roll < 57 {
                if postgres && sim.rng.chance(0.5) {
                    sim.sync_concurrently()?;
                } else {
                    let s = sim.rng.below(STATIONS as u64) as usize;
                    sim.sync_with_faults(s)?;
                }
            } else if roll < 58 {
                sim.hub.restart();
                hub_restarts += 1;
            } else if roll < 59 {
                sim.rotate_someones_key()?;
            }
        }
    }
    // Heal: every clock right, every station enabled, two fault-free rounds.
    for st in &mut sim.stations {
        st.offset = 0;
    }
    sim.advance(60);
    for (&s, entry) in sim.disabled.iter_mut() {
        let id = sim.stations[s].station.station_id().to_string();
        let disabled = sim.hub.data.query(&format!(
            "SELECT count(*) FROM principals WHERE id = '{id}' AND status = 'disabled'"
        ))[0][0]
            == "1";
        if disabled {
            sim.hub.admin(&["station", "enable", &id]);
        }
        if entry.1.is_none() {
            entry.1 = Some(sim.base.now().timestamp());
        }
    }
    for _round in 0..2 {
        for s in 0..STATIONS {
            let transport_hub = &sim.hub;
            let st = &mut sim.stations[s];
            let mut transport = Recording {
                inner: transport_hub.transport(),
                base: &sim.base,
                arrivals: &mut sim.arrivals,
            };
            let report = st
                .station
                .sync(&mut transport, &mut |_| {})
                .map_err(|e| format!("final sync of station {s}: {e}"))?;
            if report.stopped.is_some() {
                return Err(format!("final sync of station {s} stopped: {report:?}"));
            }
        }
    }
    check(&sim, &secret)?;
    Ok(format!(
        "{} hub applications, {} phone renewals, {hub_restarts} hub restarts, {} rotations, \
         {} restores, disabled {:?}, offsets {:?}",
        sim.hub.data.query("SELECT count(*) FROM applications")[0][0],
        sim.phone.len(),
        sim.rotations,
        sim.restores,
        disable_plan.map(|p| p.0),
        sim.stations
            .iter()
            .map(|s| s.initial_offset)
            .collect::<Vec<_>>(),
    ))
}

impl Sim {
    fn now(&self) -> i64 {
        self.base.now().timestamp()
    }

    /// Moves the district's time, and every station's clock with its own error.
    fn advance(&mut self, secs: i64) {
        self.base.advance_secs(secs);
        let now = self.now();
        for st in &self.stations {
            st.clock
                .set(chrono::DateTime::from_timestamp(now + st.offset, 0).unwrap());
        }
    }

    fn renew_someone(&mut self) -> Result<(), String> {
        let s = self.rng.below(STATIONS as u64) as usize;
        let st = &mut self.stations[s];
        if st.residents.is_empty() {
            return Ok(());
        }
        let (_, resident) = st.residents[self.rng.below(st.residents.len() as u64) as usize];
        let capacity =
            [Capacity::Volunteer, Capacity::Family, Capacity::Own][self.rng.below(3) as usize];
        match st.station.renew(resident, capacity) {
            Ok(_) => Ok(()),
            // A station that knows its clock is wrong, or that the district disabled it,
            // refuses to renew: expected.
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::ClockOff | ErrorCode::ClockBehind | ErrorCode::StationDisabled
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(format!("renew at station {s}: {e}")),
        }
    }

    fn phone_renewal(&mut self, secret: &nac_protocol::DistrictSecret) -> Result<(), String> {
        let person = self.rng.below(u64::from(PEOPLE)) as u32;
        let event_id = self.rng.event_id();
        let issued_at = self.now();
        self.send_phone(secret, person, issued_at, &event_id)
    }

    fn send_phone(
        &mut self,
        secret: &nac_protocol::DistrictSecret,
        person: u32,
        issued_at: i64,
        event_id: &str,
    ) -> Result<(), String> {
        let key = nac_protocol::person_key(secret, "resident_id", &resident_id(person));
        let (status, text) = self.hub.phone_renew_raw(key.as_str(), issued_at, event_id);
        if status != 200 {
            return Err(format!(
                "phone renewal dated {issued_at} at hub time {}: {status} {text}",
                self.now()
            ));
        }
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut result = answer["result"].clone();
        if result["status"] == "duplicate" {
            result = result["original"].clone();
        }
        let status = result["status"].as_str().unwrap_or("").to_string();
        if !matches!(status.as_str(), "accepted" | "rejected") {
            return Err(format!("phone renewal answered {answer}"));
        }
        let reason = result["reason"].as_str().map(str::to_string);
        match self.phone.iter_mut().find(|p| p.event_id == event_id) {
            Some(earlier) => {
                earlier.status = status;
                earlier.reason = reason;
            }
            None => self.phone.push(PhoneRenewal {
                event_id: event_id.to_string(),
                person,
                issued_at,
                status,
                reason,
            }),
        }
        Ok(())
    }

    fn sync_with_faults(&mut self, s: usize) -> Result<(), String> {
        let st = &mut self.stations[s];
        let mut transport = FaultyTransport {
            inner: Recording {
                inner: self.hub.transport(),
                base: &self.base,
                arrivals: &mut self.arrivals,
            },
            rng: &mut self.rng,
            lose_request: 0.1,
            lose_answer: 0.1,
            duplicate: 0.1,
            replay_old: 0.1,
            delivered: &mut st.delivered,
        };
        let result = st.station.sync(&mut transport, &mut |_| {});
        match result {
            // A hub restored from a backup older than this station's key rotation does not
            // know its key: the district re-keys it (nac-hub station rekey), as docs/sync.md
            // §9 tells it to.
            Err(e) if self.restores > 0 && e.to_string().contains("(401") => self.rekey(s),
            other => sync_result(s, other),
        }
    }

    fn rekey(&mut self, s: usize) -> Result<(), String> {
        let id = self.stations[s].station.station_id().to_string();
        let out = self.hub.admin(&["station", "rekey", &id, "--json"]);
        let code: serde_json::Value = serde_json::from_str(&out).unwrap();
        let code = code["enrolment_code"].as_str().unwrap().to_string();
        let url = self.hub.url.clone();
        self.stations[s]
            .station
            .enrol(&mut self.hub.transport(), &url, &code)
            .map(|_| ())
            .map_err(|e| format!("re-key of station {s}: {e}"))
    }

    /// Two or three stations syncing at the same moment, each in its own thread (PostgreSQL:
    /// the person and feed locks are contended for real).
    fn sync_concurrently(&mut self) -> Result<(), String> {
        let n = 2 + self.rng.below(2) as usize;
        let first = self.rng.below((STATIONS - n + 1) as u64) as usize;
        let hub = &self.hub;
        let base = &self.base;
        let results: Vec<(Result<(), String>, Arrivals)> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .stations
                .iter_mut()
                .enumerate()
                .skip(first)
                .take(n)
                .map(|(s, st)| {
                    scope.spawn(move || {
                        let mut arrivals = HashMap::new();
                        let mut transport = Recording {
                            inner: hub.transport(),
                            base,
                            arrivals: &mut arrivals,
                        };
                        let result = sync_result(s, st.station.sync(&mut transport, &mut |_| {}));
                        (result, arrivals)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (result, arrivals) in results {
            for (id, list) in arrivals {
                self.arrivals.entry(id).or_default().extend(list);
            }
            result?;
        }
        Ok(())
    }

    fn rotate_someones_key(&mut self) -> Result<(), String> {
        let s = self.rng.below(STATIONS as u64) as usize;
        let st = &mut self.stations[s];
        let mut transport = FaultyTransport {
            inner: self.hub.transport(),
            rng: &mut self.rng,
            lose_request: 0.1,
            lose_answer: 0.2,
            duplicate: 0.0,
            replay_old: 0.0,
            delivered: &mut st.delivered,
        };
        match st.station.rotate_key(Some(&mut transport)) {
            Ok(_) => {
                self.rotations += 1;
                Ok(())
            }
            // A lost request or answer: the pending key is finished by a later sync; refused
            // while the district has the station disabled.
            Err(e) if matches!(e.code(), ErrorCode::HubUnreachable | ErrorCode::HubRefused) => {
                Ok(())
            }
            Err(e) => Err(format!("rotate at station {s}: {e}")),
        }
    }

    /// The district backs the hub up: stopped, its file copied, started.
    fn take_backup(&mut self) {
        let HubData::Sqlite(db) = &self.hub.data else {
            return;
        };
        let db = db.clone();
        self.hub.kill();
        let backup = self.dir.join("hub-backup.db");
        copy_sqlite(&db, &backup);
        self.hub.restart();
        self.backup = Some((backup, self.now()));
    }

    /// The disk fails; the district restores the backup (sometimes with a key directory from
    /// the same backup, so the feed stamp cannot tell). The phone gateway sends again what it
    /// sent since the backup, as its own log tells it to.
    fn restore(&mut self, lose_stamp: bool) {
        let (Some((backup, taken_at)), HubData::Sqlite(db)) = (self.backup.clone(), &self.hub.data)
        else {
            return;
        };
        let db = db.clone();
        self.hub.kill();
        copy_sqlite(&backup, &db);
        if lose_stamp {
            let _ = std::fs::remove_file(self.hub.keys_dir().join("feed-stamp"));
        }
        self.hub.restart();
        self.restores += 1;
        self.lost.push((taken_at, self.now()));
        // The backup may hold a station as disabled that was enabled since.
        for (&s, entry) in self.disabled.iter_mut() {
            let id = self.stations[s].station.station_id().to_string();
            let disabled = self.hub.data.query(&format!(
                "SELECT count(*) FROM principals WHERE id = '{id}' AND status = 'disabled'"
            ))[0][0]
                == "1";
            if disabled {
                entry.1 = None;
            }
        }
        let again: Vec<PhoneRenewal> = self
            .phone
            .iter()
            .filter(|p| p.issued_at >= taken_at)
            .cloned()
            .collect();
        let secret = district_secret(&self.stations[0].station);
        for p in again {
            let _ = self.send_phone(&secret, p.person, p.issued_at, &p.event_id);
        }
    }
}

fn sync_result(
    s: usize,
    result: nac_core::Result<nac_core::station::SyncReport>,
) -> Result<(), String> {
    match result {
        Ok(_) => Ok(()),
        // Told it is disabled (403), or a push whose page all came back refused: the run ends;
        // expected while the district has the station disabled.
        Err(e) if e.to_string().contains("station_disabled") => Ok(()),
        Err(e) => Err(format!("sync of station {s}: {e}")),
    }
}

fn copy_sqlite(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let source = format!("{}{suffix}", from.display());
        let target = format!("{}{suffix}", to.display());
        let _ = std::fs::remove_file(&target);
        if Path::new(&source).exists() {
            std::fs::copy(&source, &target).unwrap();
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", to.display()));
}

fn district_secret(station: &Station) -> nac_protocol::DistrictSecret {
    let hex: String = station
        .connection()
        .query_row(
            "SELECT value FROM settings WHERE key = 'district_secret'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    nac_protocol::DistrictSecret::from_hex(&hex).unwrap()
}

/// The CST calendar day of a unix time, computed here (not by the code under test).
fn cst_day(unix: i64) -> chrono::NaiveDate {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap()
        .with_timezone(&cst)
        .date_naive()
}

/// Whether the hub was right to refuse an event of station `s`, from what reached it.
fn justified(sim: &Sim, s: usize, event_id: &str, reason: &str) -> Result<(), String> {
    let arrivals = sim.arrivals.get(event_id).cloned().unwrap_or_default();
    // A decision the restored hub forgot: the station keeps it (a refused code stays void).
    let forgotten = arrivals.iter().any(|a| {
        sim.lost
            .iter()
            .any(|&(taken, restored)| (taken..restored).contains(&a.hub_time))
    });
    let ok = forgotten
        || match reason {
        "issued_too_early" => arrivals.iter().any(|a| {
            a.issued_at < a.hub_time - WINDOW || a.hub_time >= a.issued_at + nac_credential::VALIDITY_SECS
        }),
        "issued_in_future" => arrivals.iter().any(|a| a.issued_at > a.hub_time + SKEW),
        // Dated after the district disabled the station (and pushed while it was disabled),
        // or after its key was retired by a rotation (a clock far ahead).
        "key_withdrawn" => arrivals.iter().any(|a| {
            let disabled = sim.disabled.get(&s).is_some_and(|&(off, on)| {
                a.issued_at > off && a.hub_time >= off && on.is_none_or(|on| a.hub_time < on)
            });
            let retired = sim
                .hub
                .data
                .query(&format!(
                    "SELECT retired_at FROM retired_keys WHERE kid = '{}' AND retired_at IS NOT NULL",
                    a.kid
                ))
                .first()
                .and_then(|r| r[0].parse::<i64>().ok())
                .is_some_and(|not_after| a.issued_at > not_after);
            disabled || retired
        }),
        // Signed with a key the restored hub never learned (a rotation after the backup,
        // before the district re-keyed the station).
        "invalid_credential" => sim.restores > 0
            && arrivals.iter().any(|a| {
                sim.hub
                    .data
                    .query(&format!("SELECT count(*) FROM trust WHERE kid = '{}'", a.kid))[0][0]
                    == "0"
            }),
        "already_applied_today" => false,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let keys = arrivals
            .first()
            .map(|a| {
                sim.hub.data.query(&format!(
                    "SELECT t.status, t.not_after, r.rotated_at, r.retired_at FROM trust t
                     LEFT JOIN retired_keys r ON r.kid = t.kid WHERE t.kid = '{}'",
                    a.kid
                ))
            })
            .unwrap_or_default();
        Err(format!(
            "station {s} event {event_id} refused ({reason}) without cause; arrivals {arrivals:?}; \
             disabled {:?}; the key at the hub {keys:?}; lost {:?}",
            sim.disabled.get(&s),
            sim.lost
        ))
    }
}

fn check(sim: &Sim, secret: &nac_protocol::DistrictSecret) -> Result<(), String> {
    let hub = &sim.hub.data;
    // R3 from the codes themselves, in CST.
    let accepted = hub.query(
        "SELECT person_key, issued_at, serial, kid, event_id, channel FROM applications
         WHERE status = 'accepted'",
    );
    let mut days: BTreeMap<(String, chrono::NaiveDate), Vec<String>> = BTreeMap::new();
    for row in &accepted {
        let day = cst_day(row[1].parse().unwrap());
        days.entry((row[0].clone(), day))
            .or_default()
            .push(row[2].clone());
    }
    for ((person, day), serials) in &days {
        if serials.len() > 1 {
            return Err(format!(
                "R3 broken on the hub: person {} has {serials:?} on {day} (CST)",
                &person[..8]
            ));
        }
    }
    let active: HashMap<String, (String, String)> = hub
        .query(
            "SELECT ac.person_key, a.serial, a.kid FROM active_codes ac
             JOIN applications a ON a.id = ac.application_id",
        )
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
        .collect();
    let persons: BTreeSet<&String> = accepted.iter().map(|r| &r[0]).collect();
    for p in &persons {
        if !active.contains_key(*p) {
            return Err(format!(
                "R2: person {} has no active code on the hub",
                &p[..8]
            ));
        }
    }
    let decided: BTreeMap<String, String> = hub
        .query("SELECT event_id, status FROM applications")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    for (i, st) in sim.stations.iter().enumerate() {
        for (person, resident) in &st.residents {
            let key = nac_protocol::person_key(secret, "resident_id", &resident_id(*person));
            let local = st.station.active_code(*resident).unwrap().map(|c| c.serial);
            let at_hub = active.get(key.as_str()).map(|c| c.0.clone());
            if local != at_hub {
                let hub_rows = hub.query(&format!(
                    "SELECT id, serial, status, reason, issued_at, epoch_no, channel FROM applications
                     WHERE person_key = '{}' ORDER BY id",
                    key.as_str()
                ));
                let here: Vec<(String, String, i64, Option<i64>)> = st
                    .station
                    .connection()
                    .prepare(
                        "SELECT serial, state, issued_at, application_id FROM codes
                         WHERE resident_id = ?1 ORDER BY id",
                    )
                    .unwrap()
                    .query_map([resident], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                return Err(format!(
                    "station {i} person {person}: active {local:?} here, {at_hub:?} on the hub\n  \
                     hub: {hub_rows:?}\n  here: {here:?}"
                ));
            }
        }
        for entry in st.station.queue(false, 100_000).unwrap() {
            let at_hub = decided.get(&entry.event_id);
            match (entry.state.as_str(), at_hub.map(String::as_str)) {
                ("synced", Some("accepted")) => {}
                ("rejected", Some("rejected"))
                    if entry.reason.as_deref() == Some("already_applied_today") => {}
                ("rejected", hub_state) => justified(
                    sim,
                    i,
                    &entry.event_id,
                    entry.reason.as_deref().unwrap_or(""),
                )
                .map_err(|e| format!("{e}; on the hub: {hub_state:?}"))?,
                (state, hub_state) => {
                    return Err(format!(
                        "station {i} event {} is {state} here ({:?}: {:?}), {hub_state:?} on \
                         the hub",
                        entry.event_id, entry.reason, entry.message
                    ))
                }
            }
        }
    }
    // The phone channel: every renewal reached the hub with the answer it got, and a
    // rejection is R3 by a code of that person the same CST day.
    for p in &sim.phone {
        match (p.status.as_str(), p.reason.as_deref()) {
            ("accepted", _) => {
                if decided.get(&p.event_id).map(String::as_str) != Some("accepted") {
                    return Err(format!(
                        "phone renewal {} accepted but not on the hub",
                        p.event_id
                    ));
                }
            }
            ("rejected", Some("already_applied_today")) => {
                let key = nac_protocol::person_key(secret, "resident_id", &resident_id(p.person));
                if !days.contains_key(&(key.as_str().to_string(), cst_day(p.issued_at))) {
                    return Err(format!(
                        "phone renewal {} rejected with no other application that day",
                        p.event_id
                    ));
                }
            }
            other => return Err(format!("phone renewal {} answered {other:?}", p.event_id)),
        }
    }
    // No code valid anywhere unless the hub accepted it and it is the active one.
    let active_codes: BTreeSet<(String, String)> = active.values().cloned().collect();
    let now = sim.now();
    for (i, holder) in sim.stations.iter().enumerate() {
        let codes: Vec<(String, String, String, i64)> = holder
            .station
            .connection()
            .prepare("SELECT serial, kid, credential, expires_at FROM codes")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (serial, kid, credential, expires_at) in codes {
            if expires_at <= now {
                continue;
            }
            for (j, verifier) in sim.stations.iter().enumerate() {
                let verdict = verifier.station.verify(&credential).verdict;
                if verdict == Verdict::Valid
                    && !active_codes.contains(&(serial.clone(), kid.clone()))
                {
                    let at_hub = sim.hub.data.query(&format!(
                        "SELECT a.status, a.reason, a.issued_at, a.epoch_no, a.channel,
                                (SELECT group_concat(c.seq || ':' || c.kind) FROM changes c
                                 WHERE c.application_id = a.id),
                                (SELECT group_concat(b.serial || '/' || b.epoch_no || '/' || b.status)
                                 FROM applications b WHERE b.person_key = a.person_key)
                         FROM applications a
                         WHERE a.serial = '{serial}' AND a.kid = '{kid}'"
                    ));
                    let revoked_there: Vec<String> = sim.stations[j]
                        .station
                        .connection()
                        .prepare("SELECT status FROM revoked_codes WHERE serial = ?1 AND kid = ?2")
                        .unwrap()
                        .query_map([&serial, &kid], |r| r.get(0))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    let state: String = holder
                        .station
                        .connection()
                        .query_row(
                            "SELECT state FROM codes WHERE serial = ?1 AND kid = ?2",
                            [&serial, &kid],
                            |r| r.get(0),
                        )
                        .unwrap();
                    return Err(format!(
                        "code {serial} ({kid}) held by station {i} ({state} there) verifies \
                         valid at station {j}, but the hub's active codes do not include it; on \
                         the hub: {at_hub:?}; restores {}; revoked at the verifier: \
                         {revoked_there:?}",
                        sim.restores
                    ));
                }
            }
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<u64> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
    };
    // `cargo test` passes harness flags (e.g. `--list` for discovery); answer them quietly.
    if args.iter().any(|a| a == "--list") {
        println!("sync_simulation: test");
        return;
    }
    let postgres_only = args.iter().any(|a| a == "--postgres");
    let plan: Vec<(u64, bool)> = match value("--seed") {
        Some(seed) => vec![(seed, postgres_only)],
        None => {
            let n = value("--seeds").unwrap_or(200);
            let pg = value("--pg-seeds").unwrap_or(6);
            let mut plan: Vec<(u64, bool)> = Vec::new();
            if !postgres_only {
                plan.extend((1..=n).map(|s| (s, false)));
            }
            plan.extend((1..=pg).map(|s| (1000 + s, true)));
            plan
        }
    };
    let started = std::time::Instant::now();
    let next = AtomicU64::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 4);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                let Some(&(seed, pg)) = plan.get(i) else {
                    break;
                };
                let backend = if pg { "postgres" } else { "sqlite" };
                let result = std::panic::catch_unwind(|| run_seed(seed, pg)).unwrap_or_else(|p| {
                    Err(p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panic".into()))
                });
                match result {
                    Ok(summary) => eprintln!("seed {seed} ({backend}): ok, {summary}"),
                    Err(why) => {
                        let replay = format!(
                            "cargo test -p nac-cli --test sync_simulation -- --seed {seed}{}",
                            if pg { " --postgres" } else { "" }
                        );
                        eprintln!("seed {seed} ({backend}): FAILED: {why}\n  replay: {replay}");
                        failures.lock().unwrap().push(replay);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "sync simulation: {} seeds, {} failed, {:.1} s",
        plan.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("replay: {f}");
        }
        std::process::exit(1);
    }
}
