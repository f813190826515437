//! A randomized, seed-reproducible simulation of a district: 5 stations with overlapping
//! rosters and the phone channel, 30 simulated days, against the real `nac-hub` process, with
//! requests lost, answers lost after the hub committed, requests duplicated, old requests
//! delivered again late, and the hub killed and restarted. After a final fault-free sync:
//!
//! * at most one accepted application per person key per CST day (R3 across channels);
//! * exactly one active code per person that ever had an accepted application (R2);
//! * every station's active code for each resident is the hub's;
//! * no event lost: every station event is synced or rejected, and the hub holds each one
//!   with the same decision.
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

mod common;

use common::*;
use nac_core::domain::Capacity;
use nac_core::{ManualClock, Station};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const STATIONS: usize = 5;
const PEOPLE: u32 = 14;
const DAYS: i64 = 30;
const STEPS_PER_DAY: u32 = 16;

struct Sim {
    hub: Hub,
    clock: ManualClock,
    stations: Vec<SimStation>,
    rng: Rng,
    phone_events: u32,
}

struct SimStation {
    station: Station,
    residents: Vec<(u32, i64)>,
    delivered: Vec<nac_core::station::HubRequest>,
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
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = Hub::start(data, dir.path(), HubTime::following(&clock));
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
        let mut station = open_station(
            &dir.path().join(format!("s{i}.db")),
            Arc::new(clock.clone()),
        );
        let code = hub.station_code(&format!("station {i}"));
        station
            .enrol(&mut hub.transport(), &hub.url, &code)
            .map_err(|e| format!("enrol: {e}"))?;
        let ids = add_residents(&mut station, roster);
        stations.push(SimStation {
            station,
            residents: roster.iter().copied().zip(ids).collect(),
            delivered: Vec::new(),
        });
    }
    let mut sim = Sim {
        hub,
        clock,
        stations,
        rng,
        phone_events: 0,
    };
    let secret = district_secret(&sim.stations[0].station);
    let mut hub_restarts = 0;
    let mut spent = [std::time::Duration::ZERO; 4];
    for _day in 0..DAYS {
        // A station day in 16 steps of 10-70 minutes.
        for _step in 0..STEPS_PER_DAY {
            sim.clock.advance_secs(60 * (10 + sim.rng.below(60) as i64));
            let roll = sim.rng.below(100);
            let t = std::time::Instant::now();
            let kind = if roll < 25 {
                0
            } else if roll < 31 {
                1
            } else if roll < 60 {
                2
            } else {
                3
            };
            if roll < 25 {
                let s = sim.rng.below(STATIONS as u64) as usize;
                let st = &mut sim.stations[s];
                if st.residents.is_empty() {
                    continue;
                }
                let (_, resident) = st.residents[sim.rng.below(st.residents.len() as u64) as usize];
                let capacity = [Capacity::Volunteer, Capacity::Family, Capacity::OwnBehalf]
                    [sim.rng.below(3) as usize];
                st.station
                    .renew(resident, capacity)
                    .map_err(|e| format!("renew: {e}"))?;
            } else if roll < 31 {
                let person = sim.rng.below(u64::from(PEOPLE)) as u32;
                let key = nac_protocol::person_key(&secret, "resident_id", &resident_id(person));
                let event = sim.rng.event_id();
                let at = sim.clock_now();
                let answer = sim.hub.phone_renew(key.as_str(), at, &event);
                let status = answer["result"]["status"].as_str().unwrap_or("");
                if !matches!(status, "accepted" | "rejected") {
                    return Err(format!("phone renewal answered {answer}"));
                }
                sim.phone_events += 1;
            } else if roll < 60 {
                let s = sim.rng.below(STATIONS as u64) as usize;
                sim.sync_with_faults(s)?;
            } else if roll < 61 {
                sim.hub.restart();
                hub_restarts += 1;
            }
            spent[kind] += t.elapsed();
        }
        // Overnight.
        sim.clock
            .advance_secs(DAY - (sim.clock_now() - T0).rem_euclid(DAY));
    }
    // Heal: two fault-free rounds (push everything, then pull everyone's results).
    for _round in 0..2 {
        for s in 0..STATIONS {
            let st = &mut sim.stations[s];
            let report = st
                .station
                .sync(&mut sim.hub.transport(), &mut |_| {})
                .map_err(|e| format!("final sync of station {s}: {e}"))?;
            if report.stopped.is_some() {
                return Err(format!("final sync of station {s} stopped: {report:?}"));
            }
        }
    }
    check(&sim, &secret)?;
    if std::env::var("NAC_SIM_PROFILE").is_ok() {
        eprintln!("renew/phone/sync/restart: {spent:?}");
    }
    Ok(format!(
        "{} hub applications, {} phone renewals, {hub_restarts} hub restarts",
        sim.hub.data.query("SELECT count(*) FROM applications")[0][0],
        sim.phone_events
    ))
}

impl Sim {
    fn clock_now(&self) -> i64 {
        use nac_core::Clock;
        self.clock.now().timestamp()
    }

    fn sync_with_faults(&mut self, s: usize) -> Result<(), String> {
        let st = &mut self.stations[s];
        let mut transport = FaultyTransport {
            inner: self.hub.transport(),
            rng: &mut self.rng,
            lose_request: 0.1,
            lose_answer: 0.1,
            duplicate: 0.1,
            replay_old: 0.1,
            delivered: &mut st.delivered,
        };
        match st.station.sync(&mut transport, &mut |_| {}) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("sync of station {s}: {e}")),
        }
    }
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

fn check(sim: &Sim, secret: &nac_protocol::DistrictSecret) -> Result<(), String> {
    let hub = &sim.hub.data;
    let twice = hub.query(
        "SELECT person_key, day, count(*) FROM applications WHERE status = 'accepted'
         GROUP BY person_key, day HAVING count(*) > 1",
    );
    if !twice.is_empty() {
        return Err(format!("R3 broken on the hub: {twice:?}"));
    }
    let active: HashMap<String, String> = hub
        .query(
            "SELECT ac.person_key, a.serial FROM active_codes ac
             JOIN applications a ON a.id = ac.application_id",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let applied =
        hub.query("SELECT DISTINCT person_key FROM applications WHERE status = 'accepted'");
    for row in &applied {
        if !active.contains_key(&row[0]) {
            return Err(format!(
                "person {} has no active code on the hub",
                &row[0][..8]
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
            let at_hub = active.get(key.as_str()).cloned();
            if local != at_hub {
                return Err(format!(
                    "station {i} person {person}: active {local:?} here, {at_hub:?} on the hub"
                ));
            }
        }
        for entry in st.station.queue(false, 100_000).unwrap() {
            let expected = match entry.state.as_str() {
                "synced" => "accepted",
                "rejected" => "rejected",
                other => {
                    return Err(format!(
                        "station {i} event {} left {other} ({:?} {:?})",
                        entry.event_id, entry.reason, entry.message
                    ))
                }
            };
            // A code dated before the hub's offline window when it finally arrived is refused
            // and recorded nowhere: justified only if it really was that late.
            let too_late = entry.reason.as_deref() == Some("issued_too_early")
                && entry
                    .synced_at
                    .zip(entry.applied_at)
                    .is_some_and(|(refused, applied)| {
                        refused - applied > nac_protocol::DEFAULT_OFFLINE_WINDOW_SECS
                    });
            match decided.get(&entry.event_id) {
                Some(status) if status == expected => {}
                None if expected == "rejected" && too_late => {}
                other => {
                    return Err(format!(
                        "station {i} event {} is {} here ({:?}: {:?}), {other:?} on the hub",
                        entry.event_id, entry.state, entry.reason, entry.message
                    ))
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
