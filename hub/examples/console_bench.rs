//! The district console's pages with a district's worth of data: 300 enrolled stations and
//! 1,000,000 recorded applications over 40 days (2 % refused), each station with an audit
//! anchor. The hub serves in this process on 127.0.0.1 port 0; a signed-in client loads the
//! overview and the stations page 20 times each and prints the time to the whole answer
//! (median, p95, max), which bounds the server's time from above.
//!
//! ```text
//! cargo run --release -p nac-hub --example console_bench                      # SQLite
//! cargo run --release -p nac-hub --example console_bench -- --pg postgres://… # and PostgreSQL
//! ```
//!
//! The applications are written with one `INSERT … SELECT` (the trigger keeps the day counts
//! as the push path does); the persons are distinct, so R3's index accepts every row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use anyhow::Result;
use nac_credential::StationKey;
use nac_hub::console::auth::{hash_now, token_hash};
use nac_hub::http::{serve, Limits};
use nac_hub::store::console::{AdminRole, ConsoleStore};
use nac_hub::{AnyStore, Clock, Hub, PgStore, SqliteStore, Store};
use nac_protocol::*;

const STATIONS: usize = 300;
const APPLICATIONS: i64 = 1_000_000;
const DAYS: i64 = 40;
const LOADS: usize = 20;

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
    let path = dir.path().join("console-bench.db");
    let sqlite = rt.block_on(SqliteStore::open(&path, now()))?;
    run("sqlite", &rt, AnyStore::Sqlite(sqlite), |stations| {
        seed_sqlite(&path, stations)
    })?;
    if let Some(url) = pg {
        let store = rt.block_on(PgStore::connect(&url, now()))?;
        run("postgres", &rt, AnyStore::Postgres(store), |stations| {
            rt.block_on(seed_postgres(&url, stations))
        })?;
    }
    Ok(())
}

fn now() -> i64 {
    Clock::System.now()
}

fn run(
    name: &str,
    rt: &tokio::runtime::Runtime,
    store: AnyStore,
    seed: impl FnOnce(&[(String, String)]) -> Result<()>,
) -> Result<()> {
    let keys_dir = tempfile::tempdir()?;
    let keys = nac_hub::KeyDir::open(keys_dir.path().join("keys"))?;
    let hub = rt.block_on(Hub::open(
        store,
        Clock::System,
        keys,
        nac_hub::Policy::default(),
    ))?;
    let start = Instant::now();
    let mut stations = Vec::new();
    for s in 0..STATIONS {
        let key = StationKey::generate()?;
        let (_, code) =
            rt.block_on(hub.add_station(&format!("居委会 {s:03}"), &format!("街道 {}", s % 12)))?;
        let enrolled = rt.block_on(hub.enrol(&EnrolRequest {
            v: V1,
            enrolment_code: code.clone(),
            station_name: "bench".into(),
            public_key: key.public_key(),
            kid: key.kid(),
            proof: auth::enrolment_proof(&key, &code),
        }))?;
        rt.block_on(hub.store.remember_nonce(
            &enrolled.station,
            &random_hex(16)?,
            now() - (s as i64 % 50) * 3600,
            Some(APP_VERSION),
        ))?;
        rt.block_on(hub.store.add_audit_anchor(
            &enrolled.station,
            AuditAnchor {
                seq: 1 + s as i64,
                hash: random_hex(32)?,
                received_at: now() - 600,
            },
        ))?;
        stations.push((enrolled.station, key.kid().to_string()));
    }
    let enrol_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    seed(&stations)?;
    println!(
        "{name}: {STATIONS} stations enrolled in {enrol_secs:.1} s; {APPLICATIONS} applications \
         over {DAYS} days written in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    rt.block_on(hub.store.add_admin(
        "bench",
        AdminRole::Viewer,
        &hash_now("bench password 2026")?,
        now(),
    ))?;
    rt.block_on(hub.store.set_admin_password(
        "bench",
        &hash_now("bench password 2026")?,
        false,
        None,
    ))?;
    let token = random_hex(32)?;
    rt.block_on(hub.store.create_session(
        &token_hash(&token),
        "bench",
        &random_hex(32)?,
        "127.0.0.1",
        now(),
    ))?;

    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let limits = Limits {
        rate_per_sec: 1e9,
        burst: 1_000_000,
    };
    let mut serve_limits = nac_hub::http::ServeLimits::from(limits);
    serve_limits.address = limits;
    rt.spawn(serve(
        hub.clone(),
        listener,
        serve_limits,
        std::future::pending(),
    ));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    for page in ["/console/", "/console/stations"] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..=LOADS {
            let start = Instant::now();
            let mut response = agent
                .get(&format!("{url}{page}"))
                .header("cookie", &format!("nac_console={token}"))
                .call()?;
            let body = response.body_mut().read_to_string()?;
            let took = start.elapsed();
            anyhow::ensure!(
                response.status() == 200,
                "{page}: {} {body}",
                response.status()
            );
            bytes = body.len();
            times.push(took);
        }
        times.remove(0); // the first load warms the caches
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}: {page} ({} KiB) over {LOADS} loads: median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            bytes / 1024,
            ms(times[LOADS / 2]),
            ms(times[(LOADS * 95).div_ceil(100) - 1]),
            ms(times[LOADS - 1]),
        );
    }
    Ok(())
}

/// The applications, spread over the stations and the last [`DAYS`] CST days.
fn seed_sqlite(path: &std::path::Path, stations: &[(String, String)]) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TEMP TABLE bench_stations (n INTEGER PRIMARY KEY, id TEXT, kid TEXT)",
    )?;
    for (n, (id, kid)) in stations.iter().enumerate() {
        tx.execute(
            "INSERT INTO bench_stations VALUES (?1, ?2, ?3)",
            rusqlite::params![n as i64, id, kid],
        )?;
    }
    let today = cst_day(now());
    tx.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at, expires_at,
             channel, capacity, volunteer, credential, supersedes, status, reason, received_at,
             epoch_no)
         SELECT printf('B%09d', i), s.kid, printf('bench-%d', i), printf('%064x', i),
                ?2 - (i % ?3), (?2 - (i % ?3)) * 86400, (?2 - (i % ?3)) * 86400 + 2592000,
                s.id, 'volunteer', s.id || '/v-1', 'NACS1:bench', NULL,
                CASE WHEN i % 50 = 0 THEN 'rejected' ELSE 'accepted' END,
                CASE WHEN i % 50 = 0 THEN 'already_applied_today' END,
                (?2 - (i % ?3)) * 86400, 1
         FROM n JOIN bench_stations s ON s.n = i % ?4",
        rusqlite::params![APPLICATIONS, today, DAYS, stations.len() as i64],
    )?;
    tx.commit()?;
    Ok(())
}

async fn seed_postgres(url: &str, stations: &[(String, String)]) -> Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute("CREATE TEMP TABLE bench_stations (n BIGINT PRIMARY KEY, id TEXT, kid TEXT)")
        .await?;
    for (n, (id, kid)) in stations.iter().enumerate() {
        client
            .execute(
                "INSERT INTO bench_stations VALUES ($1, $2, $3)",
                &[&(n as i64), id, kid],
            )
            .await?;
    }
    let today = cst_day(now());
    client
        .execute(
            "WITH p AS (SELECT $1::bigint AS total, $2::bigint AS today, $3::bigint AS days,
                               $4::bigint AS stations)
             INSERT INTO applications (serial, kid, event_id, person_key, day, issued_at,
                 expires_at, channel, capacity, volunteer, credential, supersedes, status, reason,
                 received_at, epoch_no)
             SELECT 'B' || lpad(i::text, 9, '0'), s.kid, 'bench-' || i,
                    lpad(to_hex(i), 64, '0'), p.today - (i % p.days),
                    (p.today - (i % p.days)) * 86400,
                    (p.today - (i % p.days)) * 86400 + 2592000, s.id, 'volunteer',
                    s.id || '/v-1', 'NACS1:bench', NULL,
                    CASE WHEN i % 50 = 0 THEN 'rejected' ELSE 'accepted' END,
                    CASE WHEN i % 50 = 0 THEN 'already_applied_today' END,
                    (p.today - (i % p.days)) * 86400, 1
             FROM p CROSS JOIN LATERAL generate_series(0::bigint, p.total - 1) AS i
             JOIN bench_stations s ON s.n = i % p.stations",
            &[&APPLICATIONS, &today, &DAYS, &(stations.len() as i64)],
        )
        .await?;
    client.batch_execute("ANALYZE").await?;
    Ok(())
}
