//! Support for the sync tests (the CLI's, the app's, the E2E crate's): the real `nac-hub`
//! process on 127.0.0.1 (port 0) over SQLite or PostgreSQL, a hub clock the stations sign with,
//! a transport that injects faults, and residents with valid ID numbers.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use nac_core::station::{HouseholdInput, ResidentInput};
use nac_core::{Clock, HttpTransport, Station, Transport, TransportError, WriteSource};

/// 2026-03-02T09:00:00+08:00.
pub const T0: i64 = 1_772_413_200;
pub const DAY: i64 = 86_400;

/// A hub on SQLite in `dir`, its clock at the real time.
pub fn local_hub(dir: &Path) -> Hub {
    Hub::start(
        HubData::Sqlite(dir.join("hub.db")),
        dir,
        HubTime::at(Utc::now().timestamp()),
    )
}

/// A hub on SQLite in `dir` whose clock is `clock` (the test moves it with its stations').
pub fn local_hub_following(dir: &Path, clock: &nac_core::ManualClock) -> Hub {
    Hub::start(
        HubData::Sqlite(dir.join("hub.db")),
        dir,
        HubTime::following(clock),
    )
}

/// A station at `path` enrolled with `hub`, on `clock`, holding residents `people`.
pub fn enrolled(
    hub: &Hub,
    path: &Path,
    clock: &nac_core::ManualClock,
    people: &[u32],
) -> (Station, Vec<i64>) {
    let mut station = open_station(path, Arc::new(clock.clone()));
    let code = hub.station_code("station");
    station
        .enrol(&mut hub.transport(), &hub.url, &code)
        .unwrap();
    let ids = add_residents(&mut station, people);
    (station, ids)
}

/// A command's standard output then its standard error.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub use crate::in_ci;

/// The `nac-hub` binary beside this test's binary, brought up to date by `cargo build` once
/// per test process (without it a test of one package would run a stale hub). Under
/// `NAC_WORKSPACE_BUILT=1` (scripts/test.sh, after `cargo test --workspace` built every binary
/// with the workspace's features) it is used as is: `cargo build -p nac-hub` resolves features
/// for the hub alone and would build ~70 crates a second time.
pub fn hub_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // The test executable, in `<target>/debug/deps/`; the binaries are in `<target>/debug/`.
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        if std::env::var_os("NAC_WORKSPACE_BUILT").is_some_and(|v| v == "1") {
            let bin = dir.join("nac-hub");
            assert!(bin.exists(), "no nac-hub binary at {}", bin.display());
            return bin;
        }
        // The cargo that built this kit (and the tests linking it), in the workspace's root.
        let status = Command::new(env!("CARGO"))
            .args(["build", "--locked", "-p", "nac-hub", "--bin", "nac-hub"])
            .current_dir(crate::WORKSPACE_DIR)
            .status()
            .expect("run cargo build -p nac-hub");
        assert!(status.success(), "cargo build -p nac-hub failed");
        let bin = dir.join("nac-hub");
        assert!(bin.exists(), "no nac-hub binary at {}", bin.display());
        bin
    })
    .clone()
}

/// The workspace's `nac` binary (the station's command line), built like [`hub_binary`].
pub fn nac_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        if std::env::var_os("NAC_WORKSPACE_BUILT").is_none_or(|v| v != "1") {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--locked", "-p", "nac-cli", "--bin", "nac"])
                .current_dir(crate::WORKSPACE_DIR)
                .status()
                .expect("run cargo build -p nac-cli");
            assert!(status.success(), "cargo build -p nac-cli failed");
        }
        let bin = dir.join("nac");
        assert!(bin.exists(), "no nac binary at {}", bin.display());
        bin
    })
    .clone()
}

/// Where a hub keeps its data.
#[derive(Debug, Clone)]
pub enum HubData {
    Sqlite(PathBuf),
    Postgres(String),
}

impl HubData {
    fn args(&self) -> Vec<String> {
        match self {
            HubData::Sqlite(p) => vec!["--data".into(), p.display().to_string()],
            HubData::Postgres(u) => vec!["--database".into(), u.clone()],
        }
    }

    /// Rows of a query on the hub's database, each column as text.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        match self {
            HubData::Sqlite(p) => {
                let conn = rusqlite::Connection::open(p).unwrap();
                conn.busy_timeout(Duration::from_secs(10)).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => String::new(),
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(t) => {
                                        String::from_utf8_lossy(t).into_owned()
                                    }
                                    rusqlite::types::ValueRef::Blob(b) => {
                                        String::from_utf8_lossy(b).into_owned()
                                    }
                                })
                            })
                            .collect::<rusqlite::Result<Vec<String>>>()
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            HubData::Postgres(url) => {
                let out = Command::new("psql")
                    .args([url.as_str(), "-X", "-At", "-F", "\t", "-c", sql])
                    .output()
                    .expect("run psql");
                assert!(
                    out.status.success(),
                    "psql: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.split('\t').map(str::to_string).collect())
                    .collect()
            }
        }
    }
}

/// The hub's clock: a start advancing in real time, or a test's own clock (a `ManualClock` the
/// test moves by days). The hub process reads it from a file the test writes before every
/// request (`NAC_HUB_CLOCK_FILE`), so hub and stations live through the same simulated days.
#[derive(Clone)]
pub struct HubTime(Arc<dyn Clock>);

struct Running {
    start: i64,
    since: Instant,
}

impl Clock for Running {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.start + self.since.elapsed().as_secs() as i64, 0).unwrap()
    }
}

impl HubTime {
    /// `start` now, advancing in real time.
    pub fn at(start: i64) -> HubTime {
        HubTime(Arc::new(Running {
            start,
            since: Instant::now(),
        }))
    }

    /// Whatever `clock` says (tests move it).
    pub fn following(clock: &nac_core::ManualClock) -> HubTime {
        HubTime(Arc::new(clock.clone()))
    }

    pub fn now_secs(&self) -> i64 {
        self.0.now().timestamp()
    }
}

impl Clock for HubTime {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// A transport to the test hub that first sets the hub's clock file to the hub's time, then
/// sends (signing with that time).
pub struct HubTransport {
    inner: HttpTransport,
    time: HubTime,
    clock_file: PathBuf,
}

impl Transport for HubTransport {
    fn send(&mut self, request: &nac_core::station::HubRequest) -> Result<Vec<u8>, TransportError> {
        write_clock(&self.clock_file, &self.time);
        self.inner.send(request)
    }

    fn hub_headers(&self) -> Option<nac_core::station::HubHeaders> {
        self.inner.hub_headers()
    }
}

fn write_clock(path: &Path, time: &HubTime) {
    // The ticking thread and a transport may write at once. Reading the time and renaming the
    // file under one lock keeps the last write the latest time: without it, a tick that read
    // the time before the simulation moved it could land after the transport's write and set
    // the hub back (seed 1004 once saw a phone renewal dated "now" refused as ahead of the hub).
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _writing = WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let tmp = path
        .with_extension(format!("tmp{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    if std::fs::write(&tmp, time.now_secs().to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// A running `nac-hub serve`; killed when dropped.
pub struct Hub {
    pub data: HubData,
    pub time: HubTime,
    pub url: String,
    dir: PathBuf,
    child: Option<Child>,
    log: PathBuf,
    /// The hub's clock file (`NAC_HUB_CLOCK_FILE`).
    clock_file: PathBuf,
    /// Stops the thread that keeps the clock file at the hub's time.
    ticking: Arc<std::sync::atomic::AtomicBool>,
    /// Extra `serve` arguments (TLS).
    serve_args: Vec<String>,
}

impl Hub {
    pub fn start(data: HubData, dir: &Path, time: HubTime) -> Hub {
        Hub::serving(data, dir, time, Vec::new())
    }

    /// A hub serving HTTPS with this certificate and key (PEM files).
    pub fn start_tls(data: HubData, dir: &Path, time: HubTime, cert: &Path, key: &Path) -> Hub {
        let tls = vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
        ];
        Hub::serving(data, dir, time, tls)
    }

    fn serving(data: HubData, dir: &Path, time: HubTime, serve_args: Vec<String>) -> Hub {
        let mut hub = Hub {
            data,
            time,
            url: String::new(),
            dir: dir.to_path_buf(),
            child: None,
            log: dir.join("hub.log"),
            clock_file: dir.join("hub-clock"),
            ticking: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            serve_args,
        };
        // Requests from transports this module did not make (the app's own) still meet the
        // hub at the test's time.
        let (file, time, ticking) = (
            hub.clock_file.clone(),
            hub.time.clone(),
            hub.ticking.clone(),
        );
        std::thread::spawn(move || {
            while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                write_clock(&file, &time);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        hub.spawn();
        hub
    }

    /// Where the hub keeps its keys (never in its database).
    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join("hub-keys")
    }

    fn command(&self) -> Command {
        write_clock(&self.clock_file, &self.time);
        let mut cmd = Command::new(hub_binary());
        cmd.args(self.data.args())
            .arg("--keys")
            .arg(self.keys_dir())
            .env_remove("RUST_LOG")
            .env_remove("NAC_HUB_FAKE_NOW")
            .env("NAC_HUB_CLOCK_FILE", &self.clock_file);
        cmd
    }

    /// Runs a `nac-hub` administration command; its stdout (panics on failure).
    pub fn admin(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "nac-hub {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut child = self
            .command()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--rate",
                "100000",
                "--burst",
                "100000",
            ])
            .args(&self.serve_args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn nac-hub");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("nac-hub listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        self.url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(50)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nac-hub exited ({status}): {}", self.log_text());
            }
            assert!(Instant::now() < deadline, "nac-hub did not start");
        };
        self.child = Some(child);
    }

    /// SIGKILL and start again on the same data (a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `nac-hub station add`; returns the one-time enrolment code.
    pub fn station_code(&self, name: &str) -> String {
        let out = self
            .command()
            .args(["station", "add", "--name", name, "--area", "test", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["enrolment_code"].as_str().unwrap().to_string()
    }

    /// A transport to this hub, setting and signing with the hub's clock.
    pub fn transport(&self) -> HubTransport {
        HubTransport {
            inner: HttpTransport::with_clock(&self.url, Arc::new(self.time.clone())),
            time: self.time.clone(),
            clock_file: self.clock_file.clone(),
        }
    }

    /// A resident's own renewal through the phone endpoint, applied at `issued_at`.
    pub fn phone_renew(
        &self,
        person_key: &str,
        issued_at: i64,
        event_id: &str,
    ) -> serde_json::Value {
        let (status, text) = self.phone_renew_raw(person_key, issued_at, event_id);
        assert_eq!(status, 200, "phone renewal: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// [`Hub::phone_renew`], answering the status and body whatever they are.
    pub fn phone_renew_raw(
        &self,
        person_key: &str,
        issued_at: i64,
        event_id: &str,
    ) -> (u16, String) {
        let secret = std::fs::read_to_string(self.keys_dir().join("phone-gateway.key")).unwrap();
        let secret = secret.trim();
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&secret[2 * i..2 * i + 2], 16).unwrap();
        }
        let key = nac_credential::StationKey::from_secret_bytes(&bytes);
        let body = serde_json::json!({
            "v": 1, "event_id": event_id, "person_key": person_key,
            "capacity": "self", "issued_at": issued_at,
        })
        .to_string();
        let mut transport = self.transport();
        let answer = transport.send(&nac_core::station::HubRequest {
            method: nac_core::station::Method::Post,
            path_and_query: nac_protocol::PATH_PHONE_RENEW.into(),
            body: body.into_bytes(),
            signer: Some(nac_core::station::RequestSigner {
                station: "phone".into(),
                key,
            }),
        });
        match answer {
            Ok(body) => (200, String::from_utf8_lossy(&body).into_owned()),
            Err(TransportError::Refused {
                status, message, ..
            }) => (status, message),
            Err(e) => panic!("phone renewal: {e}"),
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.ticking
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.kill();
    }
}

/// A fresh database on the test PostgreSQL server (`NAC_TEST_PG_URL`, or one started by
/// `scripts/pg-test.sh`: see `crate::pg`); `None` outside CI when there is none, a failure
/// under CI.
pub fn postgres_database() -> Option<String> {
    let admin = crate::pg::server_url()?;
    let name = format!("nac_sync_{}", nac_protocol::random_hex(6).unwrap());
    let out = Command::new("psql")
        .args([
            admin.as_str(),
            "-X",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A valid 18-digit resident ID number (GB 11643 check digit) made from `n`.
pub fn resident_id(n: u32) -> String {
    let body = format!(
        "310104{}{:02}{:02}{:03}",
        1930 + n % 40,
        1 + n % 12,
        1 + n % 28,
        n % 1000
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// The passphrase of every test station (the CLI's tests give it to `nac` as `$NAC_PASSPHRASE`).
pub const PASSPHRASE: &str = "test station passphrase";

/// The key of the station file at `path`: new files get one fixed salt, files `nac` created
/// keep theirs; one Argon2id derivation per salt per test binary.
pub fn station_key(path: &Path) -> nac_core::store::DatabaseKey {
    use nac_core::store::{file_kind, DatabaseKey, FileKind, Passphrase};
    static KEYS: std::sync::Mutex<Vec<DatabaseKey>> = std::sync::Mutex::new(Vec::new());
    let salt = match file_kind(path).unwrap() {
        FileKind::Encrypted(salt) => salt,
        FileKind::Missing | FileKind::Plaintext => *b"test-salt-16byte",
    };
    let mut keys = KEYS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(key) = keys.iter().find(|k| k.salt() == salt) {
        return key.clone();
    }
    let key = DatabaseKey::derive(&Passphrase::new(PASSPHRASE), salt).unwrap();
    keys.push(key.clone());
    key
}

/// A connection straight to a station file (no migration), as another program would have:
/// opened with the test passphrase, or with the demo's for a file `nac demo` made.
pub fn raw_connection(path: &Path) -> rusqlite::Connection {
    nac_core::store::connect(path, &station_key(path))
        .or_else(|_| nac_core::store::connect(path, &nac_core::demo::key(path).unwrap()))
        .expect("the file opens with the test or the demo passphrase")
}

/// Opens (creating) a station at `path` on `clock`.
pub fn open_station(path: &Path, clock: Arc<dyn Clock>) -> Station {
    Station::open(path, &station_key(path), clock, WriteSource::Cli).unwrap()
}

/// Adds one household per resident (room = n) holding resident `n`; returns resident ids.
pub fn add_residents(station: &mut Station, people: &[u32]) -> Vec<i64> {
    people
        .iter()
        .map(|&n| {
            let household = station
                .add_household(&HouseholdInput {
                    district: "徐汇区".into(),
                    road: "天钥桥路".into(),
                    lane: "100".into(),
                    number: "5".into(),
                    room: format!("{}", 100 + n),
                    phone: String::new(),
                })
                .unwrap();
            station
                .add_resident(
                    household,
                    &ResidentInput {
                        name: format!("居民{}", chinese_number(n)),
                        document_number: resident_id(n),
                        ..ResidentInput::default()
                    },
                )
                .unwrap()
        })
        .collect()
}

fn chinese_number(n: u32) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    n.to_string()
        .bytes()
        .map(|b| D[usize::from(b - b'0')])
        .collect()
}

/// A deterministic random source (SplitMix64) for reproducible simulations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A deterministic UUID-shaped event id.
    pub fn event_id(&mut self) -> String {
        let h = format!("{:016x}{:016x}", self.next_u64(), self.next_u64());
        format!(
            "{}-{}-4{}-8{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
}

/// Faults between a station and the hub: requests lost before the hub, answers lost after it
/// committed, requests delivered twice, and old requests delivered again later (reordering).
pub struct FaultyTransport<'a, T: Transport = HubTransport> {
    pub inner: T,
    pub rng: &'a mut Rng,
    pub lose_request: f64,
    pub lose_answer: f64,
    pub duplicate: f64,
    pub replay_old: f64,
    /// Requests already delivered, for late re-delivery.
    pub delivered: &'a mut Vec<nac_core::station::HubRequest>,
}

impl<T: Transport> Transport for FaultyTransport<'_, T> {
    fn send(&mut self, request: &nac_core::station::HubRequest) -> Result<Vec<u8>, TransportError> {
        if !self.delivered.is_empty() && self.rng.chance(self.replay_old) {
            let i = self.rng.below(self.delivered.len() as u64) as usize;
            let old = self.delivered[i].clone();
            let _ = self.inner.send(&old);
        }
        if self.rng.chance(self.lose_request) {
            return Err(TransportError::Unreachable(
                "request lost (simulated)".into(),
            ));
        }
        let answer = self.inner.send(request);
        if answer.is_ok() && request.method == nac_core::station::Method::Post {
            self.delivered.push(request.clone());
            if self.delivered.len() > 20 {
                self.delivered.remove(0);
            }
        }
        if self.rng.chance(self.duplicate) {
            let _ = self.inner.send(request);
        }
        if self.rng.chance(self.lose_answer) {
            return Err(TransportError::Unreachable(
                "answer lost (simulated)".into(),
            ));
        }
        answer
    }

    fn hub_headers(&self) -> Option<nac_core::station::HubHeaders> {
        self.inner.hub_headers()
    }
}

/// A temp dir on tmpfs when there is one (the simulation fsyncs a lot), else the default.
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::TempDir::new_in(shm) {
            return dir;
        }
    }
    tempfile::TempDir::new().unwrap()
}

/// The active signing key of the station file at `path`, as a thief holding the file and its
/// passphrase reads it.
pub fn stolen_key(path: &Path) -> nac_credential::StationKey {
    let secret: Vec<u8> = raw_connection(path)
        .query_row(
            "SELECT secret FROM station_keys WHERE state = 'active'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    nac_credential::StationKey::from_secret_bytes(&secret.try_into().unwrap())
}

/// A card minted with `key` for station `station_id`, dated `issued_at`.
pub fn minted(
    key: &nac_credential::StationKey,
    station_id: &str,
    serial: &str,
    issued_at: i64,
) -> String {
    nac_credential::issue(
        &nac_credential::Claims {
            serial: serial.into(),
            resident_ref: "stolen".into(),
            masked_name: "王*".into(),
            id_last4: "0000".into(),
            issued_at,
            expires_at: issued_at + nac_credential::VALIDITY_SECS,
            station_id: station_id.into(),
        },
        key,
    )
    .unwrap()
}
