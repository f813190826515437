//! Benchmarks of the hub over loopback HTTP, end to end (signing, HTTP, JSON, credential
//! verification, the database): a server in this process on 127.0.0.1 port 0, stations as
//! client threads.
//!
//! ```text
//! cargo run --release -p nac-hub --example bench                      # SQLite
//! cargo run --release -p nac-hub --example bench -- --pg postgres://… # and PostgreSQL
//! ```
//!
//! Measures: one station pushing 10,000 queued events (pages of 500) and pulling 10,000
//! changes; then 8 stations pushing concurrently (accepted events per second). Events are made
//! (and their credentials signed) before the clock starts: they are already in the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use anyhow::{bail, Result};
use nac_credential::{issue, Claims, StationKey, VALIDITY_SECS};
use nac_hub::http::{serve, Limits};
use nac_hub::{AnyStore, Clock, Hub, PgStore, SqliteStore};
use nac_protocol::client::SignedClient;
use nac_protocol::*;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pg = args
        .iter()
        .position(|a| a == "--pg")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let sqlite = rt.block_on(SqliteStore::open(dir.path().join("bench.db"), now()))?;
    run("sqlite", &rt, AnyStore::Sqlite(sqlite))?;
    if let Some(url) = pg {
        let store = rt.block_on(PgStore::connect(&url, now()))?;
        run("postgres", &rt, AnyStore::Postgres(store))?;
    }
    Ok(())
}

fn now() -> i64 {
    Clock::System.now()
}

struct Station {
    id: String,
    client: SignedClient,
    events: Vec<Event>,
}

fn run(name: &str, rt: &tokio::runtime::Runtime, store: AnyStore) -> Result<()> {
    let keys_dir = tempfile::tempdir()?;
    let keys = nac_hub::KeyDir::open(keys_dir.path().join("keys"))?;
    let hub = rt.block_on(Hub::open(
        store,
        Clock::System,
        keys,
        nac_hub::Policy::default(),
    ))?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let limits = Limits {
        rate_per_sec: 1e9,
        burst: 1_000_000,
    };
    rt.spawn(serve(hub.clone(), listener, limits, std::future::pending()));

    // One station, 10,000 events: push, then pull.
    let mut one = stations(rt, &hub, &url, 1, 10_000, 0)?;
    let station = one.remove(0);
    let start = Instant::now();
    let accepted = push_all(&station)?;
    let push_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let pulled = pull_all(&station)?;
    let pull_secs = start.elapsed().as_secs_f64();
    println!(
        "{name}: push {accepted} events, 1 station: {push_secs:.2} s ({:.0} events/s); pull {pulled} changes: {pull_secs:.2} s",
        accepted as f64 / push_secs
    );

    // 8 stations at once.
    let eight = stations(rt, &hub, &url, 8, 2_500, 1_000_000)?;
    let start = Instant::now();
    let handles: Vec<_> = eight
        .into_iter()
        .map(|s| std::thread::spawn(move || push_all(&s)))
        .collect();
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .map_err(|_| anyhow::anyhow!("station thread panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name}: push {total} events, 8 concurrent stations: {secs:.2} s ({:.0} accepted events/s)",
        total as f64 / secs
    );
    Ok(())
}

/// `count` enrolled stations with `per_station` events each, for distinct persons.
fn stations(
    rt: &tokio::runtime::Runtime,
    hub: &Hub<AnyStore>,
    url: &str,
    count: usize,
    per_station: usize,
    person_base: usize,
) -> Result<Vec<Station>> {
    let issued_at = now() - 60;
    let mut out = Vec::new();
    for s in 0..count {
        let key = StationKey::generate()?;
        let (_, code) = rt.block_on(hub.add_station("bench", "bench"))?;
        let enrolled = rt.block_on(hub.enrol(&EnrolRequest {
            v: V1,
            enrolment_code: code.clone(),
            station_name: "bench".into(),
            public_key: key.public_key(),
            kid: key.kid(),
            proof: auth::enrolment_proof(&key, &code),
        }))?;
        let secret = open_district_secret(&code, &enrolled.station, &enrolled.sealed_secret)?;
        let id = enrolled.station;
        let events = (0..per_station)
            .map(|i| {
                let n = person_base + s * per_station + i;
                let serial = format!("B{n:09}");
                let claims = Claims {
                    serial: serial.clone(),
                    resident_ref: format!("r{n}"),
                    masked_name: "张*丰".into(),
                    id_last4: "002X".into(),
                    issued_at,
                    expires_at: issued_at + VALIDITY_SECS,
                    station_id: id.clone(),
                };
                Ok(Event {
                    event_id: new_event_id()?,
                    person_key: PersonKey::parse(&format!("{n:064x}"))?,
                    capacity: Capacity::Volunteer,
                    channel: Channel::Station(id.clone()),
                    volunteer: Some(format!("{id}/v-1")),
                    code: {
                        let credential = issue(&claims, &key)?;
                        Code {
                            sealed: Some(seal_credential(
                                &secret,
                                &key.kid(),
                                &serial,
                                &credential,
                            )?),
                            serial,
                            issued_at,
                            expires_at: issued_at + VALIDITY_SECS,
                            kid: key.kid(),
                            credential,
                        }
                    },
                    supersedes: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(Station {
            client: SignedClient::new(url, &id, key),
            id,
            events,
        });
    }
    Ok(out)
}

/// Pushes every event in pages of 500; returns how many were accepted.
fn push_all(station: &Station) -> Result<usize> {
    let mut accepted = 0;
    for page in station.events.chunks(MAX_EVENTS_PER_PAGE) {
        let body = serde_json::to_vec(&PushRequest {
            v: V1,
            station: station.id.clone(),
            events: page.to_vec(),
            resent_from_epoch: None,
        })?;
        let answer = station.client.send(Method::Post, PATH_PUSH, &body)?;
        if answer.status != 200 {
            bail!("push answered {}: {}", answer.status, answer.text());
        }
        let answer: PushResponse = serde_json::from_slice(&answer.body)?;
        accepted += answer
            .results
            .iter()
            .filter(|r| r.status == Outcome::Accepted)
            .count();
    }
    Ok(accepted)
}

/// Pulls every change from the start; returns how many.
fn pull_all(station: &Station) -> Result<usize> {
    let mut since = String::from("0");
    let mut total = 0;
    loop {
        let answer = station.client.send(
            Method::Get,
            &format!("{PATH_PULL}?since={since}&limit={MAX_ITEMS_PER_PAGE}"),
            b"",
        )?;
        if answer.status != 200 {
            bail!("pull answered {}: {}", answer.status, answer.text());
        }
        let page: PullResponse = serde_json::from_slice(&answer.body)?;
        total += page.changes.len();
        since = page.next;
        if !page.more {
            return Ok(total);
        }
    }
}
