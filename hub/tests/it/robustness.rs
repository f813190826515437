//! The hub under abuse, issue 15 item 12: the real `nac-hub serve` on 127.0.0.1 port 0, with its
//! default limits unless a test says otherwise. Attackers connect from other loopback addresses
//! (127.0.0.2, …; see `support/raw.rs`) so the per-address limits can tell them from the
//! station, which stays on 127.0.0.1.
//!
//! * a flood of badly signed requests is refused by address (429, `Retry-After`) before the
//!   signature check, and so before any database read (counted on PostgreSQL);
//! * a flood of bad enrolments from one address does not block enrolments from another;
//! * slow connections (headers or a body trickled a byte at a time) are closed within the header
//!   and request timeouts while a station's request still gets through;
//! * connections over the cap are closed at once;
//! * the HTTPS server has the same guards (and a handshake timeout);
//! * the hub connects to PostgreSQL over TLS (`sslmode=require`, `verify-ca`, `verify-full` with
//!   `sslrootcert`) and says clearly when it cannot.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{self, pg_tls, raw};

use std::time::{Duration, Instant};

use nac_credential::StationKey;
use nac_protocol::client::{ClientLimits, HubClient, HubResponse, SignedClient};
use nac_protocol::*;
use raw::{connect_from, hub_addr, loopback, Conn};
use support::process::{run_hub, DataArg, HubProcess};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The defaults the tests rely on (`nac-hub serve` without flags).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_CONNECTIONS: usize = 512;
/// "At once", for a connection over the cap: well before the header timeout would close it,
/// with room for a loaded machine.
const CLOSED_AT_ONCE: Duration = Duration::from_secs(5);

struct Env {
    data: DataArg,
    dir: tempfile::TempDir,
    /// The database's URL on PostgreSQL.
    pg: Option<String>,
}

fn sqlite_env() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Sqlite(dir.path().join("hub.db")),
        dir,
        pg: None,
    })
}

fn postgres_env() -> Option<Env> {
    let url = runtime().block_on(pg::fresh_database())?;
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Postgres(url.clone(), dir.path().join("keys")),
        dir,
        pg: Some(url),
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn add_station(env: &Env) -> String {
    let out = run_hub(
        &env.data,
        &[
            "station", "add", "--name", "Lane 9", "--area", "Xuhui", "--json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["enrolment_code"].as_str().unwrap().to_owned()
}

fn post_enrol(hub: &HubProcess, key: &StationKey, code: &str) -> HubResponse {
    let body = serde_json::to_vec(&enrol_request(key, code)).unwrap();
    HubClient::new(&hub.url, ClientLimits::TOOLS)
        .send(Method::Post, PATH_ENROL, &body, &[])
        .unwrap()
}

/// Starts the hub with `args`, a station added beforehand (while no hub runs: two `nac-hub`
/// processes starting at once race on the key directory's feed stamp) and enrolled over HTTP
/// from 127.0.0.1; the hub, the station's id and its client.
fn hub_with_station(env: &Env, args: &[&str]) -> (HubProcess, String, SignedClient) {
    let code = add_station(env);
    let hub = HubProcess::start(&env.data, env.dir.path(), args, &[]);
    let key = StationKey::from_secret_bytes(&[1; 32]);
    let answer = post_enrol(&hub, &key, &code);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let enrolled: EnrolResponse = serde_json::from_slice(&answer.body).unwrap();
    let client = SignedClient::new(&hub.url, &enrolled.station, key);
    (hub, enrolled.station, client)
}

/// How many times PostgreSQL has read the `principals` table (every authentication reads it
/// once). A backend reports its counts when it goes idle, but at most once a second, else ten
/// seconds later: so this waits until the count has not moved for 11 s.
fn principal_reads(url: &str) -> i64 {
    let read = || {
        runtime().block_on(pg_tls::query_texts(
            url,
            "SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_user_tables \
             WHERE relname = 'principals'",
        ))[0]
            .parse::<i64>()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = read();
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(11) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let next = read();
        if next != last {
            (last, since) = (next, Instant::now());
        }
    }
    last
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { if let Some(env) = super::sqlite_env() { super::$name(env) } } )*
        }
        mod postgres {
            $( #[test] fn $name() { if let Some(env) = super::postgres_env() { super::$name(env) } } )*
        }
    };
}

both_backends!(bad_signatures_are_refused_by_address_before_any_database_read);

/// 2,000 requests naming a real station but signed with another key, from one address, on one
/// keep-alive connection, as fast as the hub answers.
fn bad_signatures_are_refused_by_address_before_any_database_read(env: Env) {
    let (hub, station, client) = hub_with_station(&env, &[]);
    let before = env.pg.as_deref().map(principal_reads);
    let forger = StationKey::from_secret_bytes(&[99; 32]);
    let addr = hub_addr(&hub.url);
    let started = Instant::now();
    let answers = runtime().block_on(async {
        let mut conn = Conn::open(loopback(2), addr).await.unwrap();
        let mut answers = Vec::new();
        for _ in 0..2000 {
            let signed = sign_request(
                &forger,
                &station,
                "GET",
                PATH_TRUST,
                b"",
                now(),
                &random_hex(16).unwrap(),
            );
            answers.push(
                conn.send("GET", PATH_TRUST, &signed.pairs(), b"")
                    .await
                    .unwrap(),
            );
        }
        answers
    });
    let secs = started.elapsed().as_secs_f64();
    let limited: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    let unauthenticated = answers.iter().filter(|a| a.status == 401).count();
    let reads = env
        .pg
        .as_deref()
        .zip(before)
        .map(|(url, before)| principal_reads(url) - before);
    println!(
        "2000 badly signed requests from one address in {secs:.2} s: {} refused 429, \
         {unauthenticated} refused 401 after the signature check; principal reads: {reads:?}",
        limited.len()
    );
    assert_eq!(limited.len() + unauthenticated, 2000);
    assert!(
        limited.len() >= 1500,
        "only {} of 2000 refused by address",
        limited.len()
    );
    for answer in &limited {
        let wait: u64 = answer.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        let body: ErrorBody = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body.error, "rate_limited");
    }
    if let Some(reads) = reads {
        assert!(
            reads <= unauthenticated as i64 + 2,
            "{reads} principal reads for {unauthenticated} requests that reached the check"
        );
    }
    // The station, on its own address, is not slowed by the flood.
    let answer = client.send(Method::Get, PATH_TRUST, b"").unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
}

/// Bad enrolments as fast as one address can send them; a real station enrols from another.
#[test]
fn an_enrolment_flood_from_one_address_does_not_block_another() {
    let env = sqlite_env().unwrap();
    let code = add_station(&env);
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let bogus = serde_json::to_vec(&enrol_request(
        &StationKey::from_secret_bytes(&[7; 32]),
        "AAAA-BBBB-CCCC-DDDD",
    ))
    .unwrap();
    let addr = hub_addr(&hub.url);
    let statuses: Vec<u16> = runtime().block_on(async {
        let mut conn = Conn::open(loopback(2), addr).await.unwrap();
        let mut statuses = Vec::new();
        for _ in 0..60 {
            statuses.push(
                conn.send("POST", PATH_ENROL, &[], &bogus)
                    .await
                    .unwrap()
                    .status,
            );
        }
        statuses
    });
    let limited = statuses.iter().filter(|s| **s == 429).count();
    println!("60 bad enrolments from 127.0.0.2: {limited} refused 429");
    assert!(limited >= 30, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [403, 429].contains(s)),
        "{statuses:?}"
    );
    // The flooding address is still refused; a station elsewhere is not.
    let again = runtime().block_on(async {
        let mut conn = Conn::open(loopback(2), addr).await.unwrap();
        conn.send("POST", PATH_ENROL, &[], &bogus).await.unwrap()
    });
    assert_eq!(again.status, 429);
    let answer = post_enrol(&hub, &StationKey::from_secret_bytes(&[1; 32]), &code);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

/// When a slow connection ended (`None`: still open at the deadline) and what it was answered.
#[derive(Debug)]
struct Closed {
    after: Option<Duration>,
    answer: String,
}

/// Writes `head` at once, then one byte of `trickle` every `every`, until the hub closes the
/// connection or `deadline` passes.
async fn trickle(
    source: std::net::IpAddr,
    addr: std::net::SocketAddr,
    head: Vec<u8>,
    trickle: Vec<u8>,
    every: Duration,
    start: Instant,
    deadline: Duration,
) -> Closed {
    let mut answer = Vec::new();
    let Ok(mut stream) = connect_from(source, addr).await else {
        return Closed {
            after: Some(start.elapsed()),
            answer: "connect failed".into(),
        };
    };
    let mut closed = stream.write_all(&head).await.is_err();
    let mut next = trickle.iter().cycle();
    let mut buf = [0u8; 4096];
    while !closed && start.elapsed() < deadline {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => closed = true,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            () = tokio::time::sleep(every) => {
                let byte = [*next.next().unwrap()];
                closed = stream.write_all(&byte).await.is_err();
            }
        }
    }
    Closed {
        after: closed.then(|| start.elapsed()),
        answer: String::from_utf8_lossy(&answer).into_owned(),
    }
}

/// 200 connections trickling their headers a byte every 2 s and 20 trickling a declared body
/// are closed within the header and request timeouts, and a station's request gets through
/// while they are open.
#[test]
fn slow_connections_are_closed_and_a_station_still_gets_through() {
    let env = sqlite_env().unwrap();
    let (hub, _, client) = hub_with_station(&env, &[]);
    let addr = hub_addr(&hub.url);
    let rt = runtime();
    let start = Instant::now();
    let deadline = REQUEST_TIMEOUT + Duration::from_secs(15);
    let every = Duration::from_secs(2);
    let slow_headers: Vec<_> = (0..200)
        .map(|_| {
            rt.spawn(trickle(
                loopback(2),
                addr,
                b"GET /v1/trust HTTP/1.1\r\n".to_vec(),
                b"x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".to_vec(),
                every,
                start,
                deadline,
            ))
        })
        .collect();
    let slow_bodies: Vec<_> = (0..20)
        .map(|_| {
            rt.spawn(trickle(
                loopback(3),
                addr,
                format!(
                    "POST {PATH_PUSH} HTTP/1.1\r\nhost: hub\r\ncontent-type: application/json\r\n\
                     content-length: 100000\r\n\r\n"
                )
                .into_bytes(),
                b" ".to_vec(),
                every,
                start,
                deadline,
            ))
        })
        .collect();
    // While they are all open, the station syncs.
    std::thread::sleep(Duration::from_secs(3));
    let asked = Instant::now();
    let answer = client.send(Method::Get, PATH_TRUST, b"").unwrap();
    let took = asked.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(took < Duration::from_secs(2), "the station waited {took:?}");
    let slow_headers: Vec<Closed> = slow_headers
        .into_iter()
        .map(|h| rt.block_on(h).unwrap())
        .collect();
    let slow_bodies: Vec<Closed> = slow_bodies
        .into_iter()
        .map(|h| rt.block_on(h).unwrap())
        .collect();
    let span = |v: &[Closed]| {
        let held: Vec<Duration> = v.iter().filter_map(|c| c.after).collect();
        let open = v.len() - held.len();
        (held.iter().min().copied(), held.iter().max().copied(), open)
    };
    let (h_min, h_max, h_open) = span(&slow_headers);
    let (b_min, b_max, b_open) = span(&slow_bodies);
    println!(
        "slow headers: closed after {h_min:?}..{h_max:?}, {h_open} still open at {deadline:?}; \
         slow bodies: closed after {b_min:?}..{b_max:?}, {b_open} still open; station answered in {took:?}"
    );
    assert_eq!(h_open, 0, "slow-header connections held past {deadline:?}");
    assert_eq!(b_open, 0, "slow-body connections held past {deadline:?}");
    let slack = Duration::from_secs(4);
    assert!(
        h_max.unwrap() <= HEADER_TIMEOUT + slack,
        "a slow-header connection was held {h_max:?}"
    );
    assert!(
        b_max.unwrap() <= REQUEST_TIMEOUT + slack,
        "a slow-body connection was held {b_max:?}"
    );
    for c in &slow_bodies {
        assert!(
            c.answer.starts_with("HTTP/1.1 408"),
            "a slow body is answered 408: {:?}",
            c.answer
        );
    }
}

/// Idle connections beyond the cap are closed at once while those under it are kept; once they
/// end, the hub answers again.
#[test]
fn connections_over_the_cap_are_closed_at_once() {
    let env = sqlite_env().unwrap();
    let (hub, _, client) = hub_with_station(&env, &[]);
    let addr = hub_addr(&hub.url);
    let rt = runtime();
    // Let the enrolment's connection end.
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    // Up to the cap, in batches the hub's accept queue (128) can take.
    let kept = rt.block_on(async {
        let mut kept = Vec::new();
        while kept.len() < MAX_CONNECTIONS {
            let batch: Vec<_> = (0..64.min(MAX_CONNECTIONS - kept.len()))
                .map(|_| tokio::spawn(connect_from(loopback(4), addr)))
                .collect();
            for c in batch {
                kept.push(c.await.unwrap().unwrap());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        kept
    });
    // Over the cap.
    let extra = 30;
    let over = rt.block_on(futures_count((0..extra).map(move |_| async move {
        let mut stream = connect_from(loopback(5), addr).await.unwrap();
        let mut buf = [0u8; 16];
        tokio::time::timeout(CLOSED_AT_ONCE, stream.read(&mut buf))
            .await
            .is_ok_and(|r| r.is_ok_and(|n| n == 0))
    })));
    // The ones under the cap are still open (the header timeout has not come).
    let still_open = rt.block_on(futures_count(kept.into_iter().map(|mut s| async move {
        let mut buf = [0u8; 16];
        tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf))
            .await
            .is_err()
    })));
    let took = start.elapsed();
    println!(
        "{MAX_CONNECTIONS} idle connections, then {extra} more: {over} of those closed at once, \
         {still_open} of the first kept ({took:?})"
    );
    assert!(took < HEADER_TIMEOUT, "too slow to tell: {took:?}");
    assert_eq!(over, extra, "connections over the cap are closed at once");
    assert_eq!(
        still_open, MAX_CONNECTIONS,
        "connections under the cap are kept"
    );
    // The idle ones are gone (closed by the client here; the header timeout closes them
    // otherwise), and the hub answers again.
    let mut ok = false;
    for _ in 0..20 {
        if client
            .send(Method::Get, PATH_TRUST, b"")
            .is_ok_and(|a| a.status == 200)
        {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(ok, "the hub answers again once the connections are gone");
}

/// The flags raise the per-address limits and lower the connection cap.
#[test]
fn the_limits_are_flags() {
    let env = sqlite_env().unwrap();
    let (hub, station, _) = hub_with_station(
        &env,
        &[
            "--address-rate",
            "100000",
            "--address-burst",
            "100000",
            "--max-connections",
            "8",
        ],
    );
    let forger = StationKey::from_secret_bytes(&[99; 32]);
    let addr = hub_addr(&hub.url);
    let rt = runtime();
    let statuses: Vec<u16> = rt.block_on(async {
        let mut conn = Conn::open(loopback(2), addr).await.unwrap();
        let mut statuses = Vec::new();
        for _ in 0..300 {
            let signed = sign_request(
                &forger,
                &station,
                "GET",
                PATH_TRUST,
                b"",
                now(),
                &random_hex(16).unwrap(),
            );
            statuses.push(
                conn.send("GET", PATH_TRUST, &signed.pairs(), b"")
                    .await
                    .unwrap()
                    .status,
            );
        }
        statuses
    });
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    // Let the hub see the earlier connections end.
    std::thread::sleep(Duration::from_secs(1));
    let closed_at_once = rt.block_on(async {
        let mut streams = Vec::new();
        for _ in 0..12 {
            streams.push(connect_from(loopback(3), addr).await.unwrap());
        }
        let waits = streams.into_iter().map(|mut s| async move {
            let mut buf = [0u8; 16];
            tokio::time::timeout(CLOSED_AT_ONCE, s.read(&mut buf))
                .await
                .is_ok()
        });
        futures_count(waits).await
    });
    assert_eq!(closed_at_once, 4, "12 connections, a cap of 8");
}

/// The HTTPS server has the same guards: the per-address limit counts the TLS client's
/// address, and a client that never completes its handshake is dropped after the header
/// timeout.
#[test]
fn the_https_server_has_the_same_guards() {
    let env = sqlite_env().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = env.dir.path().join("cert.pem");
    let key = env.dir.path().join("key.pem");
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let hub = HubProcess::start(
        &env.data,
        env.dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--address-rate",
            "0.1",
            "--address-burst",
            "3",
            "--header-timeout",
            "2",
        ],
        &[],
    );
    let addr: std::net::SocketAddr = hub.url.strip_prefix("https://").unwrap().parse().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(issued.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let healthz = |source| {
        let connector = connector.clone();
        async move {
            let tcp = connect_from(source, addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
            let tls = connector.connect(name, tcp).await.unwrap();
            let mut stream = tokio::io::BufReader::new(tls);
            let mut statuses = Vec::new();
            for _ in 0..5 {
                stream
                    .get_mut()
                    .write_all(&raw::request_bytes("GET", "/healthz", &[], b""))
                    .await
                    .unwrap();
                statuses.push(raw::read_answer(&mut stream).await.unwrap().status);
            }
            statuses
        }
    };
    let rt = runtime();
    assert_eq!(rt.block_on(healthz(loopback(2))), [200, 200, 200, 429, 429]);
    assert_eq!(rt.block_on(healthz(loopback(3))), [200, 200, 200, 429, 429]);
    let held = rt.block_on(async {
        let mut idle = connect_from(loopback(4), addr).await.unwrap();
        let start = Instant::now();
        let mut buf = [0u8; 16];
        let closed = tokio::time::timeout(Duration::from_secs(15), idle.read(&mut buf)).await;
        assert!(closed.is_ok(), "a client that never says hello is dropped");
        start.elapsed()
    });
    println!("HTTPS: a client that never starts its handshake was dropped after {held:?}");
    assert!(
        (Duration::from_millis(1500)..Duration::from_secs(6)).contains(&held),
        "{held:?}"
    );
}

/// How many of `waits` are true, all awaited at once.
async fn futures_count(
    waits: impl Iterator<Item = impl std::future::Future<Output = bool> + Send + 'static>,
) -> usize {
    let handles: Vec<_> = waits.map(tokio::spawn).collect();
    let mut n = 0;
    for h in handles {
        n += usize::from(h.await.unwrap());
    }
    n
}

/// `PgStore::connect` and the real `nac-hub` over TLS: `sslmode=require` encrypts,
/// `verify-ca` and `verify-full` check the server's certificate against `sslrootcert`, and every
/// refusal says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls() {
    let Some(cluster) = pg_tls::cluster() else {
        return;
    };
    let db = pg_tls::fresh_database_on(&cluster.url).await;
    let root = cluster.root_cert();
    let root = root.display();
    // Encrypted, not verified.
    nac_hub::PgStore::connect(&format!("{db}?sslmode=require"), T0)
        .await
        .unwrap_or_else(|e| panic!("sslmode=require: {e}"));
    // Verified: the chain, then also the name (the certificate is for IP 127.0.0.1).
    for mode in ["verify-ca", "verify-full"] {
        let url = format!("{db}?sslmode={mode}&sslrootcert={root}");
        let store = nac_hub::PgStore::connect(&url, T0)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // Every connection the pool holds to this database is encrypted.
        let name = db.rsplit_once('/').unwrap().1;
        let ssl = pg_tls::query_texts(
            &cluster.url,
            &format!(
                "SELECT s.ssl::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.datname = '{name}'"
            ),
        )
        .await;
        assert!(
            !ssl.is_empty() && ssl.iter().all(|s| s == "true"),
            "{ssl:?}"
        );
        drop(store);
    }
    // A name the certificate does not hold: verify-full refuses, verify-ca does not look.
    let by_name = db.replace("127.0.0.1", "localhost");
    let err = nac_hub::PgStore::connect(
        &format!("{by_name}?sslmode=verify-full&sslrootcert={root}"),
        T0,
    )
    .await
    .err()
    .expect("verify-full refuses a certificate for another name")
    .to_string();
    println!("verify-full, another name: {err}");
    assert!(err.contains("certificate"), "{err}");
    nac_hub::PgStore::connect(
        &format!("{by_name}?sslmode=verify-ca&sslrootcert={root}"),
        T0,
    )
    .await
    .unwrap_or_else(|e| panic!("verify-ca by name: {e}"));
    // Not signed by the given root (the server's own certificate is no CA).
    let other = cluster.server_cert();
    let err = nac_hub::PgStore::connect(
        &format!("{db}?sslmode=verify-full&sslrootcert={}", other.display()),
        T0,
    )
    .await
    .err()
    .expect("an unknown issuer is refused")
    .to_string();
    println!("verify-full, another root: {err}");
    assert!(err.contains("certificate"), "{err}");
    // Verification without a root to verify with, or a root that cannot be read.
    let err = nac_hub::PgStore::connect(&format!("{db}?sslmode=verify-full"), T0)
        .await
        .err()
        .expect("verify-full needs sslrootcert")
        .to_string();
    assert!(err.contains("sslrootcert"), "{err}");
    let err = nac_hub::PgStore::connect(
        &format!("{db}?sslmode=verify-full&sslrootcert=/nonexistent/root.crt"),
        T0,
    )
    .await
    .err()
    .expect("a missing root file")
    .to_string();
    assert!(err.contains("/nonexistent/root.crt"), "{err}");
    // A server without TLS, asked for it.
    if let Some(plain) = pg::fresh_database().await {
        let err = nac_hub::PgStore::connect(&format!("{plain}?sslmode=require"), T0)
            .await
            .err()
            .expect("sslmode=require against a server without TLS")
            .to_string();
        println!("sslmode=require against a plain server: {err}");
        assert!(err.contains("TLS"), "{err}");
    }
    // The real hub, end to end, with the URL on its command line.
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        data: DataArg::Postgres(
            format!("{db}?sslmode=verify-full&sslrootcert={root}"),
            dir.path().join("keys"),
        ),
        dir,
        pg: None,
    };
    let (env, ok) = tokio::task::spawn_blocking(move || {
        let (_hub, _, client) = hub_with_station(&env, &[]);
        let ok = client.send(Method::Get, PATH_TRUST, b"").unwrap().status;
        (env, ok)
    })
    .await
    .unwrap();
    assert_eq!(ok, 200);
    drop(env);
}
