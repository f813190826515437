//! The command bodies, run against a real station file with a manual clock and a recording
//! event sink: no window, no WebDriver. Each test is one volunteer task through the same
//! functions the `#[tauri::command]` adapters call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::ManualClock;
use nac_station::api::{codes, files, roster, station};
use nac_station::host::{events, EventSink, Host};
use nac_station::view::*;
use serde_json::Value;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<(String, Value)>>,
    done: Mutex<Option<mpsc::Sender<Value>>>,
}

impl EventSink for Recorder {
    fn emit(&self, event: &str, payload: Value) {
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

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = ManualClock::at_cst(2026, 11, 27, 10, 0, 0);
    let recorder = Arc::new(Recorder::default());
    let (tx, rx) = mpsc::channel();
    *recorder.done.lock().expect("lock") = Some(tx);
    let host = Host::open(
        &dir.path().join("station.db"),
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
    match codes::renew(&f.host, zhang, Capacity::OwnBehalf).expect("next day") {
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
        Some("no_such_job")
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
    let job = files::start_import(&f.host, "名单.csv", csv.as_bytes().to_vec()).expect("start");
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
        files::start_import(&f.host, "roster", vec![])
            .err()
            .map(|e| e.code()),
        Some("file_name")
    );
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
    let queue = station::sync_queue(&f.host).expect("queue");
    assert_eq!(queue.queued, 0);
}
