//! The command bodies, run against a real station file with a manual clock and a recording
//! event sink: no window, no WebDriver. Each test is one volunteer task through the same
//! functions the `#[tauri::command]` adapters call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::ManualClock;
use nac_station::api::{codes, files, print, roster, station};
use nac_station::error::AppCode;
use nac_station::host::{events, EventSink, Host};
use nac_station::view::*;
use serde_json::Value;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Called on every `job-progress` event, on the job's thread (see
/// `a_print_renders_without_holding_the_writer`).
type Probe = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<(String, Value)>>,
    done: Mutex<Option<mpsc::Sender<Value>>>,
    probe: Mutex<Option<Probe>>,
}

impl EventSink for Recorder {
    fn emit(&self, event: &str, payload: Value) {
        if event == events::JOB_PROGRESS {
            if let Some(probe) = self.probe.lock().ok().as_deref().and_then(Option::as_ref) {
                probe();
            }
        }
        if event == events::JOB_DONE {
            if let Some(tx) = self.done.lock().ok().and_then(|g| g.clone()) {
                let _ = tx.send(payload.clone());
            }
        }
        if let Ok(mut list) = self.events.lock() {
            list.push((event.to_string(), payload));
        }
    }
}

struct Fixture {
    host: Host,
    clock: ManualClock,
    recorder: Arc<Recorder>,
    done: mpsc::Receiver<Value>,
    _dir: tempfile::TempDir,
}

/// The key of the test stations (one Argon2id derivation per test binary).
fn test_key() -> &'static nac_core::store::DatabaseKey {
    static KEY: std::sync::OnceLock<nac_core::store::DatabaseKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        nac_core::store::DatabaseKey::derive(
            &nac_core::store::Passphrase::new("test station passphrase"),
            *b"test-salt-16byte",
        )
        .expect("derive")
    })
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = ManualClock::at_cst(2026, 11, 27, 10, 0, 0);
    let recorder = Arc::new(Recorder::default());
    let (tx, rx) = mpsc::channel();
    *recorder.done.lock().expect("lock") = Some(tx);
    let host = Host::open(
        &dir.path().join("station.db"),
        test_key(),
        Arc::new(clock.clone()),
        recorder.clone(),
    )
    .expect("open station");
    Fixture {
        host,
        clock,
        recorder,
        done: rx,
        _dir: dir,
    }
}

fn household_form() -> HouseholdForm {
    HouseholdForm {
        district: "徐汇区".into(),
        road: "天钥桥路".into(),
        lane: "100".into(),
        number: "5".into(),
        room: "302".into(),
        phone: "13812345678".into(),
    }
}

fn resident_form(name: &str, id: &str) -> ResidentForm {
    ResidentForm {
        name: name.into(),
        document_type: "resident_id".into(),
        document_number: id.into(),
        ..ResidentForm::default()
    }
}

/// Valid resident IDs (checksums correct).
const ZHANG: &str = "11010519491231002X";
const LI: &str = "310104194501010015";

fn query(search: &str) -> ListQuery {
    ListQuery {
        search: search.into(),
        limit: 50,
        ..ListQuery::default()
    }
}

fn with_household(f: &Fixture) -> (i64, i64, i64) {
    let hh = roster::add_household(&f.host, &household_form()).expect("add household");
    let a = roster::add_resident(&f.host, hh, &resident_form("张三丰", ZHANG)).expect("add 张三丰");
    let b = roster::add_resident(&f.host, hh, &resident_form("李秀英", LI)).expect("add 李秀英");
    (hh, a, b)
}

#[test]
fn list_search_and_filters() {
    let f = fixture();
    let (hh, _, _) = with_household(&f);
    let page = roster::household_page(&f.host, &query("")).expect("page");
    assert_eq!(page.total, 1);
    let row = &page.rows[0];
    assert_eq!(row.id, hh);
    assert_eq!(row.building, "徐汇区 天钥桥路 100弄 5号");
    assert_eq!(row.room, "302室");
    assert_eq!(row.never, 2);
    for search in ["zsf", "张三", "002X", "天钥桥路100弄"] {
        let page = roster::household_page(&f.host, &query(search)).expect("search");
        assert_eq!(page.total, 1, "search {search}");
    }
    assert_eq!(
        roster::household_page(&f.host, &query("wxyz"))
            .expect("search")
            .total,
        0
    );
    let expired_only = ListQuery {
        expired: true,
        ..query("")
    };
    assert_eq!(
        roster::household_page(&f.host, &expired_only)
            .expect("filter")
            .total,
        0
    );
    let never = ListQuery {
        never: true,
        ..query("")
    };
    assert_eq!(
        roster::household_page(&f.host, &never)
            .expect("filter")
            .total,
        1
    );
    let buildings = roster::buildings(&f.host).expect("buildings");
    assert_eq!(buildings.len(), 1);
    assert_eq!(buildings[0].never, 2);
}

#[test]
fn renew_then_refused_the_same_day_then_allowed_the_next() {
    let f = fixture();
    let (_, zhang, _) = with_household(&f);
    let first = codes::renew(&f.host, zhang, Capacity::Family).expect("renew");
    let RenewResult::Renewed {
        code, superseded, ..
    } = first
    else {
        panic!("expected a renewal, got {first:?}")
    };
    assert_eq!(superseded, None);
    assert_eq!(code.expires_at, "2026-12-27 10:00");
    // Change events reached the sink (the UI refreshes from them).
    assert!(f
        .recorder
        .events
        .lock()
        .expect("lock")
        .iter()
        .any(|(e, p)| e == events::STATION_CHANGED && p["kind"] == "codes"));

    f.clock.advance_secs(3600);
    let again = codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew again");
    match again {
        RenewResult::AlreadyAppliedToday {
            active, applied_at, ..
        } => {
            assert_eq!(applied_at, "2026-11-27 10:00");
            assert_eq!(active.map(|c| c.serial), Some(code.serial.clone()));
        }
        other => panic!("expected already applied today, got {other:?}"),
    }

    f.clock.advance_secs(24 * 3600);
    match codes::renew(&f.host, zhang, Capacity::Own).expect("next day") {
        RenewResult::Renewed { superseded, .. } => assert_eq!(superseded, Some(code.serial)),
        other => panic!("expected a renewal, got {other:?}"),
    }
    let view = codes::resident(&f.host, zhang).expect("resident");
    assert!(view
        .qr_svg
        .as_deref()
        .is_some_and(|s| s.starts_with("<svg")));
    assert_eq!(view.history.len(), 2);
    assert_eq!(view.history[1].code.state, "superseded");
}

#[test]
fn batch_renews_the_household_with_progress_and_results() {
    let f = fixture();
    let (hh, zhang, _) = with_household(&f);
    codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew one");
    let request = BatchRequest {
        target: BatchTarget::Household { id: hh },
        within_days: 7,
        capacity: Capacity::Volunteer,
    };
    let preview = codes::preview_batch(&f.host, &request).expect("preview");
    // 张三丰 has a fresh code (not due); only 李秀英 is due.
    assert_eq!(preview.total, 1);
    assert_eq!(preview.names, vec!["李秀英".to_string()]);
    let job = codes::start_batch(&f.host, &request).expect("start");
    let done = f
        .done
        .recv_timeout(Duration::from_secs(30))
        .expect("job-done");
    assert_eq!(done["job"], job);
    assert_eq!(done["batch"]["renewed"], 1);
    assert_eq!(done["cancelled"], false);
    let progress: Vec<Value> = f
        .recorder
        .events
        .lock()
        .expect("lock")
        .iter()
        .filter(|(e, _)| e == events::JOB_PROGRESS)
        .map(|(_, p)| p.clone())
        .collect();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0]["items"][0]["outcome"], "renewed");
    assert_eq!(progress[0]["items"][0]["name"], "李秀英");
    // The job is gone: cancelling it now says so.
    assert_eq!(
        codes::cancel_job(&f.host, job).err().map(|e| e.code()),
        Some(AppCode::NoSuchJob.into())
    );
}

#[test]
fn a_cancelled_batch_stops_at_a_chunk_boundary() {
    let f = fixture();
    let (_, zhang, li) = with_household(&f);
    let ticket = f.host.start_job();
    let job = ticket.id;
    assert!(f.host.cancel_job(job));
    codes::run_batch(&f.host, ticket, &[zhang, li], Capacity::Volunteer);
    let done = f
        .done
        .recv_timeout(Duration::from_secs(5))
        .expect("job-done");
    assert_eq!(done["cancelled"], true);
    assert_eq!(done["batch"]["renewed"], 0);
}

#[test]
fn invalid_forms_come_back_per_field_in_the_ui_language() {
    let f = fixture();
    let hh = roster::add_household(&f.host, &household_form()).expect("add household");
    let bad = ResidentForm {
        name: String::new(),
        document_number: "110105194912310021".into(),
        phone: "12345".into(),
        ..ResidentForm::default()
    };
    let err = roster::add_resident(&f.host, hh, &bad)
        .expect_err("refused")
        .to_api(Lang::Zh);
    assert_eq!(err.code, "invalid");
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["name", "document_number", "phone"]);
    assert!(
        err.fields[1].message.contains("校验位"),
        "{}",
        err.fields[1].message
    );
    assert!(
        !err.fields[1].message.contains(" / "),
        "only the Chinese half"
    );

    station::set_language(&f.host, Lang::En).expect("english");
    let err = roster::add_household(&f.host, &household_form())
        .expect_err("duplicate")
        .to_api(f.host.lang());
    assert_eq!(err.code, "duplicate_address");
    assert_eq!(err.message, "a household with this address already exists");
}

#[test]
fn revealing_full_numbers_is_audited() {
    let f = fixture();
    let (_, zhang, _) = with_household(&f);
    let detail = roster::household(
        &f.host,
        roster::household_page(&f.host, &query(""))
            .expect("page")
            .rows[0]
            .id,
    )
    .expect("household");
    assert_eq!(detail.members[0].masked_document, "110***********002X");
    assert_eq!(detail.masked_phone.as_deref(), Some("138****5678"));
    let full = roster::reveal_resident(&f.host, zhang).expect("reveal");
    assert_eq!(full.document_number, ZHANG);
    let audited: i64 = f
        .host
        .station()
        .connection()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'resident.reveal' AND subject = ?1",
            [zhang.to_string()],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audited, 1);
}

#[test]
fn verify_text_and_picture() {
    let f = fixture();
    let (_, zhang, _) = with_household(&f);
    codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew");
    let credential = f
        .host
        .station()
        .active_code(zhang)
        .expect("code")
        .expect("active")
        .credential;
    let ok = codes::verify_text(&f.host, &format!("  {credential}\n"));
    assert_eq!(ok.verdict, "valid");
    assert_eq!(ok.masked_name.as_deref(), Some("张*丰"));
    assert_eq!(ok.id_last4.as_deref(), Some("002X"));
    assert_eq!(codes::verify_text(&f.host, "hello").verdict, "malformed");

    let png = nac_station::qr::test_png(&credential);
    let from_picture = codes::verify_image(&f.host, &png).expect("picture");
    assert_eq!(from_picture.verdict, "valid");
    let blank = nac_station::qr::test_png("");
    assert!(codes::verify_image(&f.host, &blank[..10]).is_err());
}

#[test]
fn import_report_lists_bad_rows() {
    let f = fixture();
    let csv = "区,路,弄,号,室,姓名,证件号码\n徐汇区,天钥桥路,100,5,302,张三丰,11010519491231002X\n徐汇区,天钥桥路,100,5,303,李四,110105194912310021\n";
    let job =
        files::start_import(&f.host, "名单.csv", csv.as_bytes().to_vec(), false).expect("start");
    let done = f
        .done
        .recv_timeout(Duration::from_secs(30))
        .expect("job-done");
    assert_eq!(done["job"], job);
    assert_eq!(done["error"], Value::Null, "{done}");
    let report = &done["import"];
    assert_eq!(report["file"], "名单.csv");
    assert_eq!(report["rows_read"], 2);
    assert_eq!(report["rows_imported"], 1);
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(report["errors"][0]["value"], "110***********0021");
    assert_eq!(
        files::start_import(&f.host, "roster", vec![], false)
            .err()
            .map(|e| e.code()),
        Some(AppCode::FileName.into())
    );
}

#[test]
fn an_import_holds_rows_with_warnings_until_the_volunteer_confirms() {
    let f = fixture();
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/tests/fixtures/office/single-truncated.csv"),
    )
    .expect("fixture");
    let run = |accept: bool| {
        let job = files::start_import(&f.host, "名单.csv", bytes.clone(), accept).expect("start");
        let done = f
            .done
            .recv_timeout(Duration::from_secs(30))
            .expect("job-done");
        assert_eq!(done["job"], job);
        done["import"].clone()
    };
    let held = run(false);
    assert_eq!(held["rows_held"], 1, "{held}");
    assert_eq!(held["rows_imported"], 6);
    assert_eq!(held["warnings"][0]["row"], 5);
    assert_eq!(held["warnings_accepted"], false);
    let confirmed = run(true);
    assert_eq!(confirmed["rows_held"], 0, "{confirmed}");
    assert_eq!(confirmed["rows_imported"], 7);
    assert_eq!(
        confirmed["residents_added"], 1,
        "only the confirmed row is new"
    );
    assert_eq!(confirmed["residents_unchanged"], 6);
    assert_eq!(confirmed["warnings_accepted"], true);
}

#[test]
fn settings_and_info() {
    let f = fixture();
    let info = station::save_settings(
        &f.host,
        &Settings {
            station_name: "天平街道社区服务站".into(),
            expiring_days: 5,
            language: Lang::En,
            idle_lock_minutes: 10,
            keep_printed_days: 7,
        },
    )
    .expect("save");
    assert_eq!(info.station_name, "天平街道社区服务站");
    assert_eq!(info.expiring_days, 5);
    assert_eq!(info.language, Lang::En);
    let err = station::save_settings(
        &f.host,
        &Settings {
            station_name: "x".into(),
            expiring_days: 40,
            language: Lang::Zh,
            idle_lock_minutes: 10,
            keep_printed_days: 7,
        },
    )
    .expect_err("refused")
    .to_api(Lang::Zh);
    assert_eq!(err.code, "invalid");
    assert!(
        err.fields[0].message.contains("临期天数"),
        "{:?}",
        err.fields
    );
    let queue = nac_station::api::sync::sync_queue(&f.host).expect("queue");
    assert_eq!(queue.queued, 0);
}

/// Runs `f` on another thread and waits at most `within` for its answer.
fn answers_within<T: Send + 'static>(
    within: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(within).ok()
}

/// A long import or print holds the writer (here: the test holds its mutex and an open write
/// transaction): every screen that only reads still answers at once.
#[test]
fn reads_answer_while_a_job_holds_the_writer() {
    let f = fixture();
    let (hh, zhang, _) = with_household(&f);
    codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew");
    let writer = f.host.station();
    writer
        .connection()
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");

    let host = f.host.clone();
    let answered = answers_within(Duration::from_secs(3), move || {
        let page = roster::household_page(&host, &query("zsf")).map(|p| p.total);
        let request = BatchRequest {
            target: BatchTarget::Household { id: hh },
            within_days: 7,
            capacity: Capacity::Volunteer,
        };
        (
            page,
            roster::buildings(&host).map(|b| b.len()),
            roster::household(&host, hh).map(|h| h.members.len()),
            codes::resident(&host, zhang).map(|r| r.history.len()),
            station::counts(&host).map(|c| c.residents),
            station::app_info(&host).map(|i| i.demo),
            nac_station::api::sync::sync_queue(&host).map(|q| q.local),
            codes::cards_to_replace(&host).map(|c| c.len()),
            codes::preview_batch(&host, &request).map(|p| p.total),
            print::candidates(&host, &[zhang]).map(|c| c.len()),
        )
    })
    .expect("the read commands waited for the writer");
    assert_eq!(answered.0.ok(), Some(1), "household_page");
    assert_eq!(answered.1.ok(), Some(1), "buildings");
    assert_eq!(answered.2.ok(), Some(2), "household");
    assert_eq!(answered.3.ok(), Some(1), "resident");
    assert_eq!(answered.4.ok(), Some(2), "counts");
    assert_eq!(answered.5.ok(), Some(false), "app_info");
    assert_eq!(answered.6.ok(), Some(1), "sync_queue");
    assert_eq!(answered.7.ok(), Some(0), "cards_to_replace");
    assert_eq!(answered.8.ok(), Some(1), "preview_batch");
    assert_eq!(answered.9.ok(), Some(1), "print_candidates");

    writer
        .connection()
        .execute_batch("ROLLBACK")
        .expect("release");
}

fn print_request(residents: Vec<i64>, destination: PrintDestination) -> PrintJobRequest {
    PrintJobRequest {
        residents,
        layout: "a4-8up".into(),
        destination,
    }
}

fn job_state(f: &Fixture, job: i64) -> String {
    f.host.station().print_job_state(job).expect("job state")
}

fn last_job(f: &Fixture) -> i64 {
    f.host
        .station()
        .connection()
        .query_row("SELECT max(id) FROM print_jobs", [], |r| r.get(0))
        .expect("a print job")
}

/// While a print renders, the writer is free: each progress report (sent from the job's
/// thread mid-render) checks that another command can take the writer.
#[test]
fn a_print_renders_without_holding_the_writer() {
    let f = fixture();
    let (_, zhang, li) = with_household(&f);
    codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew");
    codes::renew(&f.host, li, Capacity::Volunteer).expect("renew");
    let free: Arc<Mutex<Vec<bool>>> = Arc::default();
    let (host, seen) = (f.host.clone(), free.clone());
    *f.recorder.probe.lock().expect("lock") = Some(Box::new(move || {
        let host = host.clone();
        let took = answers_within(Duration::from_secs(2), move || {
            host.station().station_name().is_ok()
        });
        seen.lock().expect("lock").push(took == Some(true));
    }));
    let out = f._dir.path().join("out/cards.pdf");
    let request = print_request(
        vec![zhang, li],
        PrintDestination::Pdf {
            path: out.display().to_string(),
        },
    );
    let job = print::start(&f.host, &request).expect("start");
    let done = f
        .done
        .recv_timeout(Duration::from_secs(60))
        .expect("job-done");
    *f.recorder.probe.lock().expect("lock") = None;
    assert_eq!(done["job"], job);
    assert_eq!(done["error"], Value::Null, "{done}");
    assert_eq!(done["print"]["recorded"], true);
    assert_eq!(done["print"]["cards"], 2);
    let probes = free.lock().expect("lock").clone();
    assert!(!probes.is_empty(), "progress was reported");
    assert!(
        probes.iter().all(|&free| free),
        "the writer was held while rendering: {probes:?}"
    );
    assert!(out.exists());
    assert_eq!(job_state(&f, last_job(&f)), "sent");
}

#[test]
fn a_print_the_printer_refuses_is_recorded_as_failed() {
    let f = fixture();
    let (_, zhang, _) = with_household(&f);
    codes::renew(&f.host, zhang, Capacity::Volunteer).expect("renew");
    let request = print_request(
        vec![zhang],
        PrintDestination::Printer {
            name: "nac-test-no-such-printer".into(),
        },
    );
    let job = print::start(&f.host, &request).expect("start");
    let done = f
        .done
        .recv_timeout(Duration::from_secs(60))
        .expect("job-done");
    assert_eq!(done["job"], job);
    assert_ne!(done["error"], Value::Null, "{done}");
    let id = last_job(&f);
    assert_eq!(job_state(&f, id), "failed");
    let cards: i64 = f
        .host
        .station()
        .connection()
        .query_row(
            "SELECT count(*) FROM printed_cards WHERE job_id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(cards, 0, "a failed job's cards do not count as printed");
    #[cfg(unix)]
    assert_eq!(mode(&f._dir.path().join("printed")), 0o700);
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn previews_are_private_and_stale_ones_are_removed() {
    let f = fixture();
    let path = print::preview_path(&f.host, 7).expect("preview path");
    let dir = path.parent().expect("dir").to_path_buf();
    assert_eq!(dir, f._dir.path().join(print::PREVIEWS_DIR));
    #[cfg(unix)]
    assert_eq!(mode(&dir), 0o700);

    let old = dir.join("preview-old.pdf");
    let fresh = dir.join("preview-fresh.pdf");
    for p in [&old, &fresh] {
        std::fs::write(p, "%PDF").expect("write");
    }
    let two_days_ago = nac_core::files::file_system_now() - Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .and_then(|file| file.set_modified(two_days_ago))
        .expect("age the file");
    assert_eq!(print::remove_stale_previews(&dir, print::STALE_PREVIEW), 1);
    assert!(!old.exists() && fresh.exists());
}

#[test]
fn a_real_station_starts_empty_and_the_demo_lives_beside_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let station_file = dir.path().join("station.db");
    let recorder = Arc::new(Recorder::default());
    let clock = Arc::new(ManualClock::at_cst(2026, 11, 27, 10, 0, 0));

    let real = nac_station::data_file(&station_file, false).expect("real");
    assert_eq!(real, station_file);
    let host = Host::open(&real, test_key(), clock.clone(), recorder.clone()).expect("open real");
    assert!(!host.is_demo());
    assert!(!station::app_info(&host).expect("info").demo);
    assert_eq!(station::counts(&host).expect("counts").households, 0);
    drop(host);

    let demo = nac_station::data_file(&station_file, true).expect("demo");
    assert_eq!(demo, dir.path().join("demo-station.db"));
    let demo_key = nac_core::demo::key(&demo).expect("demo key");
    let host = Host::open(&demo, &demo_key, clock, recorder).expect("open demo");
    assert!(host.is_demo());
    assert!(station::app_info(&host).expect("info").demo);
    let counts = station::counts(&host).expect("counts");
    assert!(counts.households > 0);
    assert_eq!(counts.queued_for_sync, 0, "a demo never queues for the hub");
    // The real station is untouched by the demo.
    let real = nac_core::Station::open(
        &station_file,
        test_key(),
        Arc::new(ManualClock::at_cst(2026, 11, 27, 10, 0, 0)),
        nac_core::WriteSource::Cli,
    )
    .expect("reopen real");
    assert_eq!(real.counts(None).expect("counts").residents, 0);

    assert!(nac_station::demo_requested(
        ["nac-station".to_string(), "--demo".to_string()],
        None
    ));
    assert!(nac_station::demo_requested(Vec::new(), Some("1".into())));
    assert!(!nac_station::demo_requested(
        vec!["nac-station".to_string()],
        Some("0".into())
    ));
}

#[cfg(unix)]
#[test]
fn the_preferences_are_private() {
    let f = fixture();
    station::set_language(&f.host, Lang::En).expect("english");
    assert_eq!(mode(&f._dir.path().join("station.prefs.json")), 0o600);
    assert_eq!(mode(&f._dir.path().join("station.db")), 0o600);
}

/// The start screen: nothing answers before the passphrase; a new station takes a long
/// enough one; an existing one opens only with its own, and wrong ones slow down.
#[test]
fn the_station_opens_only_with_its_passphrase() {
    use nac_station::gate::{wait_after, Gate};
    use nac_station::view::{AccountForm, SignInForm, UnlockForm, UnlockState};
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("station.db");
    let clock = Arc::new(ManualClock::at_cst(2026, 12, 2, 9, 0, 0));
    let opened = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let gate = {
        let opened = opened.clone();
        Gate::new(
            &path,
            clock.clone(),
            Arc::new(Recorder::default()),
            move |_| {
                opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        )
    };
    assert_eq!(gate.status().state, UnlockState::New);
    assert_eq!(
        gate.host().err().map(|e| e.code),
        Some(AppCode::Locked.into())
    );
    let form = |p: &str| UnlockForm {
        passphrase: p.into(),
    };
    let weak = gate
        .unlock(&form("short"))
        .expect_err("too short for a new station");
    assert_eq!(weak.code, "weak_passphrase");
    assert!(!path.exists() || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0);
    gate.unlock(&form("volunteer passphrase")).expect("created");
    assert_eq!(gate.status().state, UnlockState::CreateAdmin);
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        gate.host().err().map(|e| e.code),
        Some(AppCode::SignedOut.into())
    );
    let admin = |name: &str, pin: &str| SignInForm {
        name: name.into(),
        pin: pin.into(),
    };
    let info = gate
        .create_administrator(&admin("王主任", "135790"))
        .expect("first administrator");
    assert_eq!(
        (info.role.as_str(), info.volunteer.as_str()),
        ("admin", "王主任")
    );
    assert!(!info.demo);
    assert_eq!(gate.status().state, UnlockState::Open);
    let host = gate.host().expect("open");
    station::save_settings(
        &host,
        &nac_station::view::Settings {
            station_name: "天平街道服务站".into(),
            expiring_days: 7,
            language: Lang::Zh,
            idle_lock_minutes: 5,
            keep_printed_days: 7,
        },
    )
    .expect("saved");
    nac_station::api::accounts::add_account(
        &host,
        &AccountForm {
            name: "李梅".into(),
            role: "volunteer".into(),
            pin: "246810".into(),
        },
    )
    .expect("volunteer added");
    let exported = path.with_file_name("audit.csv");
    let done = nac_station::api::accounts::export_audit(&host, exported.to_str().expect("utf-8"))
        .expect("an administrator exports the audit log");
    assert!(done.intact && done.rows > 3, "{done:?}");
    assert!(std::fs::read_to_string(&exported)
        .expect("written")
        .contains("account.add"));
    let hh = roster::add_household(&host, &household_form()).expect("household");
    let resident =
        roster::add_resident(&host, hh, &resident_form("张三丰", ZHANG)).expect("resident");
    gate.lock("lock").expect("locked");
    assert_eq!(gate.status().state, UnlockState::SignIn);
    assert_eq!(
        gate.status().accounts,
        vec!["王主任".to_string(), "李梅".to_string()]
    );
    assert_eq!(
        gate.host().err().map(|e| e.code),
        Some(AppCode::SignedOut.into())
    );
    drop(host);
    drop(gate);

    // The next start: locked until the right passphrase, then signed out until a PIN.
    let gate = Gate::new(&path, clock, Arc::new(Recorder::default()), |_| {});
    assert_eq!(gate.status().state, UnlockState::Locked);
    let before = std::fs::read(&path).expect("file");
    let wrong = gate.unlock(&form("not the passphrase")).expect_err("wrong");
    assert_eq!(wrong.code, "wrong_passphrase");
    assert_eq!(
        std::fs::read(&path).expect("file"),
        before,
        "a wrong passphrase writes nothing"
    );
    assert_eq!(
        gate.host().err().map(|e| e.code),
        Some(AppCode::Locked.into())
    );
    let info = gate.unlock(&form("volunteer passphrase")).expect("opens");
    assert_eq!(info.station_name, "天平街道服务站");
    assert_eq!(gate.status().state, UnlockState::SignIn);
    let wrong = gate
        .sign_in(&admin("李梅", "000000"))
        .expect_err("wrong PIN");
    assert_eq!(wrong.code, "wrong_pin");
    let info = gate.sign_in(&admin("李梅", "246810")).expect("signed in");
    assert_eq!(info.role, "volunteer");
    assert_eq!(info.idle_lock_seconds, 300);
    let host = gate.host().expect("signed in");
    let refused = roster::reveal_resident(&host, resident).expect_err("a volunteer");
    assert_eq!(refused.code(), "not_allowed");
    let refused = nac_station::api::accounts::audit(&host).expect_err("a volunteer");
    assert_eq!(refused.code(), "not_allowed");
    let refused = nac_station::api::accounts::export_audit(&host, "/tmp/not-written.csv")
        .expect_err("a volunteer");
    assert_eq!(refused.code(), "not_allowed");

    assert_eq!(wait_after(2), Duration::ZERO, "a typo or two costs nothing");
    assert_eq!(wait_after(3), Duration::from_secs(2));
    assert_eq!(wait_after(4), Duration::from_secs(4));
    assert_eq!(wait_after(40), Duration::from_secs(60), "capped");
}
