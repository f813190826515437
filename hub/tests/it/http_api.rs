//! The real `nac-hub` binary on 127.0.0.1 port 0, driven over HTTP like a station would, on
//! SQLite and on PostgreSQL: enrolment, idempotent pushes, R3 under concurrency, paging, the
//! phone channel, every refused request (right status, nothing changed), rate limits, and
//! what the hub's files and log must never contain.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;

use nac_credential::StationKey;
use nac_protocol::client::{ClientLimits, HubClient, HubResponse, SignedClient};
use nac_protocol::*;
use support::process::{run_hub, DataArg, HubProcess};
use support::*;

use support::backends::Env;

both_backends!(
    enrol_push_repeatedly_pull_and_lists,
    refused_requests_change_nothing,
    ten_stations_same_person_same_day_over_http,
    phone_renewal_reaches_a_station,
    enrolment_code_expires_after_24_hours,
    bursts_get_429_with_retry_after,
    hub_files_and_log_hold_no_identities,
    a_killed_hub_restarts_with_its_answers,
    a_stations_subscriptions_follow_the_districts_allowance,
    a_far_off_station_clock_is_shown_to_the_district_once_a_day,
);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn add_station(env: &Env, extra_env: &[(&str, String)]) -> String {
    let out = run_hub(
        &env.data,
        &[
            "station",
            "add",
            "--name",
            "Lane 1200",
            "--area",
            "Xuhui",
            "--json",
        ],
        extra_env,
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

/// Adds and enrols a station over HTTP; returns it and its client.
fn enrolled(env: &Env, hub: &HubProcess, seed: u8) -> (TestStation, SignedClient, EnrolResponse) {
    let code = add_station(env, &[]);
    let key = StationKey::from_secret_bytes(&[seed; 32]);
    let answer = post_enrol(hub, &key, &code);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let enrolled: EnrolResponse = serde_json::from_slice(&answer.body).unwrap();
    let station = TestStation {
        id: enrolled.station.clone(),
        key: key.clone(),
        secret: open_district_secret(&code, &enrolled.station, &enrolled.district_secret_sealed)
            .unwrap(),
    };
    (
        station,
        SignedClient::new(&hub.url, &enrolled.station, key),
        enrolled,
    )
}

fn push_body(station: &TestStation, events: &[Event]) -> Vec<u8> {
    serde_json::to_vec(&PushRequest {
        v: V1,
        station: station.id.clone(),
        events: events.to_vec(),
        resent_from_epoch: None,
    })
    .unwrap()
}

fn dump(env: &Env) -> String {
    run_hub(&env.data, &["dump"], &[])
}

fn enrol_push_repeatedly_pull_and_lists(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let code = add_station(&env, &[]);
    let key = StationKey::from_secret_bytes(&[1; 32]);
    let first = post_enrol(&hub, &key, &code);
    assert_eq!(first.status, 200, "{}", first.text());
    let enrolled: EnrolResponse = serde_json::from_slice(&first.body).unwrap();
    assert!(enrolled.station.starts_with("ST-"));
    assert_eq!(enrolled.issuers.len(), 2, "phone issuer and this station");
    assert_eq!(
        post_enrol(&hub, &StationKey::from_secret_bytes(&[2; 32]), &code).status,
        403,
        "single use"
    );
    let station = TestStation {
        id: enrolled.station.clone(),
        key: key.clone(),
        secret: open_district_secret(&code, &enrolled.station, &enrolled.district_secret_sealed)
            .unwrap(),
    };
    let client = SignedClient::new(&hub.url, &station.id, key);
    let t = now();
    let events: Vec<Event> = (0..3)
        .map(|i| {
            event(
                &station,
                i,
                &person(&station.secret, i as usize),
                &format!("S{i}"),
                t - 10,
            )
        })
        .collect();
    let body = push_body(&station, &events);
    let first = client.send(Method::Post, PATH_PUSH, &body).unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    let parsed: PushResponse = serde_json::from_slice(&first.body).unwrap();
    assert!(parsed.results.iter().all(|r| r.status == Outcome::Accepted));
    let state = dump(&env);
    let mut replies = Vec::new();
    for _ in 0..4 {
        let again = client.send(Method::Post, PATH_PUSH, &body).unwrap();
        assert_eq!(again.status, 200);
        replies.push(again.body);
    }
    assert!(
        replies.windows(2).all(|w| w[0] == w[1]),
        "byte-identical answers"
    );
    let again: PushResponse = serde_json::from_slice(&replies[0]).unwrap();
    for (dup, orig) in again.results.iter().zip(&parsed.results) {
        assert_eq!(dup.status, Outcome::Duplicate);
        assert_eq!(dup.original_answer().as_ref(), Some(orig));
    }
    assert_eq!(dump(&env), state, "one renewal each");
    // Pull, paged.
    let p1 = client.send(Method::Get, "/v1/pull?limit=2", b"").unwrap();
    let p1: PullResponse = serde_json::from_slice(&p1.body).unwrap();
    assert_eq!((p1.changes.len(), p1.more), (2, true));
    let p2 = client
        .send(
            Method::Get,
            &format!("/v1/pull?since={}&limit=2", p1.next),
            b"",
        )
        .unwrap();
    let p2: PullResponse = serde_json::from_slice(&p2.body).unwrap();
    assert_eq!((p2.changes.len(), p2.more), (1, false));
    // Trust list, paged.
    let t1: TrustListResponse = serde_json::from_slice(
        &client
            .send(Method::Get, "/v1/trust?limit=1", b"")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!((t1.issuers.len(), t1.more), (1, true));
    let t2: TrustListResponse = serde_json::from_slice(
        &client
            .send(
                Method::Get,
                &format!("/v1/trust?since={}&limit=1", t1.next),
                b"",
            )
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(t2.issuers[0].station, station.id);
    // Revocations: a renewal of S0's person dated the day before but accepted after S0
    // supersedes it (the hub's acceptance order decides, not station clocks).
    let earlier = event(&station, 11, &person(&station.secret, 0), "S0A", t - DAY);
    let r = client
        .send(Method::Post, PATH_PUSH, &push_body(&station, &[earlier]))
        .unwrap();
    assert_eq!(r.status, 200);
    let rev: RevocationsResponse = serde_json::from_slice(
        &client
            .send(Method::Get, "/v1/revocations?limit=1", b"")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(rev.revocations.len(), 1);
    assert_eq!(rev.revocations[0].serial, "S0");
    assert_eq!(rev.revocations[0].kid, station.key.kid());
    // Bad queries.
    for q in [
        "/v1/pull?since=-1",
        "/v1/pull?limit=0",
        "/v1/pull?limit=1001",
        "/v1/pull?x=1",
        "/v1/trust?since=abc",
    ] {
        assert_eq!(client.send(Method::Get, q, b"").unwrap().status, 400, "{q}");
    }
    // Station list shows it active.
    let list = run_hub(&env.data, &["station", "list", "--json"], &[]);
    assert!(
        list.contains(&station.id) && list.contains("\"active\""),
        "{list}"
    );
}

fn refused_requests_change_nothing(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let (a, client_a, _) = enrolled(&env, &hub, 1);
    let (b, client_b, _) = enrolled_again(&env, &hub, 2);
    let t = now();
    let p = person(&a.secret, 0);
    let good = push_body(&a, &[event(&a, 1, &p, "A1", t - 5)]);
    // The one write a refusal may cause: a genuine stale request reports the station's clock
    // to the district (once a day); nothing else of the hub changes.
    let without_clock_reports = |dump: String| {
        dump.lines()
            .filter(|l| !(l.starts_with("district_events|") && l.contains("clock_off")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = without_clock_reports(dump(&env));
    let check = |what: &str, answer: HubResponse, status: u16| {
        assert_eq!(answer.status, status, "{what}: {}", answer.text());
        let body: ErrorBody = serde_json::from_slice(&answer.body)
            .unwrap_or_else(|e| panic!("{what}: error body {e}: {}", answer.text()));
        assert!(!body.error.is_empty());
        assert_eq!(
            without_clock_reports(dump(&env)),
            before,
            "{what} changed the hub"
        );
    };
    // Forged: signed by B's key but naming A.
    let forged = SignedClient::new(&hub.url, &a.id, b.key.clone());
    check(
        "forged signature",
        forged.send(Method::Post, PATH_PUSH, &good).unwrap(),
        401,
    );
    // Unknown station.
    let unknown = SignedClient::new(
        &hub.url,
        "ST-NOBODY",
        StationKey::from_secret_bytes(&[9; 32]),
    );
    check(
        "unknown station",
        unknown.send(Method::Post, PATH_PUSH, &good).unwrap(),
        401,
    );
    // No headers at all.
    check(
        "unsigned",
        HubClient::new(&hub.url, ClientLimits::TOOLS)
            .send(Method::Post, PATH_PUSH, &good, &[])
            .unwrap(),
        401,
    );
    // Body altered after signing.
    let sig = sign_request(
        &a.key,
        &a.id,
        "POST",
        PATH_PUSH,
        &good,
        now(),
        &random_hex(16).unwrap(),
    );
    let mut altered = good.clone();
    altered.extend_from_slice(b" ");
    check(
        "tampered body",
        client_a
            .send_with(Method::Post, PATH_PUSH, &altered, &sig.pairs())
            .unwrap(),
        401,
    );
    // Replayed nonce: a good signed request that fails later (wrong v) is answered, then
    // replaying its exact headers is refused.
    let v2 = br#"{"v":2,"station":"x","events":[]}"#;
    let sig = sign_request(
        &a.key,
        &a.id,
        "POST",
        PATH_PUSH,
        v2,
        now(),
        &random_hex(16).unwrap(),
    );
    check(
        "wrong version",
        client_a
            .send_with(Method::Post, PATH_PUSH, v2, &sig.pairs())
            .unwrap(),
        400,
    );
    check(
        "replayed nonce",
        client_a
            .send_with(Method::Post, PATH_PUSH, v2, &sig.pairs())
            .unwrap(),
        401,
    );
    // Timestamps off by more than 5 minutes either way.
    for offset in [-301, 301] {
        let mut stale = client_a.clone();
        stale.clock_offset = offset;
        check(
            "stale timestamp",
            stale.send(Method::Post, PATH_PUSH, &good).unwrap(),
            401,
        );
    }
    assert_eq!(
        dump(&env).matches("clock_off").count(),
        1,
        "the stale requests were A's own: reported once"
    );
    // A acting for B: in the body, and in an event's channel.
    let for_b = serde_json::to_vec(&PushRequest {
        v: V1,
        station: b.id.clone(),
        events: vec![],
        resent_from_epoch: None,
    })
    .unwrap();
    check(
        "body names another station",
        client_a.send(Method::Post, PATH_PUSH, &for_b).unwrap(),
        403,
    );
    let mut b_event = event(&a, 2, &p, "A2", t - 5);
    b_event.channel = Channel::Station(b.id.clone());
    check(
        "event for another station",
        client_a
            .send(Method::Post, PATH_PUSH, &push_body(&a, &[b_event]))
            .unwrap(),
        403,
    );
    let sub_b = serde_json::to_vec(&SubscribeRequest {
        v: V1,
        station: b.id.clone(),
        person_keys: vec![p.clone()],
    })
    .unwrap();
    check(
        "subscribe for another station",
        client_a.send(Method::Post, PATH_SUBSCRIBE, &sub_b).unwrap(),
        403,
    );
    // Too big: over the byte cap, and over the page cap.
    check("body over 1 MiB", oversized_push(&hub.url, &a), 413);
    let many: Vec<Event> = (0..=MAX_EVENTS_PER_PAGE as u64)
        .map(|i| {
            event(
                &a,
                1000 + i,
                &nth_person(i as usize),
                &format!("M{i}"),
                t - 5,
            )
        })
        .collect();
    let many = push_body(&a, &many);
    if many.len() <= MAX_BODY_BYTES {
        check(
            "501 events",
            client_a.send(Method::Post, PATH_PUSH, &many).unwrap(),
            413,
        );
    }
    // More person keys than a subscribe may carry (its answer would outgrow the body cap).
    let keys: Vec<PersonKey> = (0..=MAX_PERSON_KEYS_PER_PAGE).map(nth_person).collect();
    let subscribe = serde_json::to_vec(&SubscribeRequest {
        v: V1,
        station: a.id.clone(),
        person_keys: keys,
    })
    .unwrap();
    check(
        "1001 person keys",
        client_a
            .send(Method::Post, PATH_SUBSCRIBE, &subscribe)
            .unwrap(),
        413,
    );
    // Malformed JSON, unknown fields.
    check(
        "malformed json",
        client_a
            .send(Method::Post, PATH_PUSH, b"{\"v\":1,")
            .unwrap(),
        400,
    );
    check(
        "unknown field",
        client_a
            .send(
                Method::Post,
                PATH_PUSH,
                br#"{"v":1,"station":"x","events":[],"x":1}"#,
            )
            .unwrap(),
        400,
    );
    // The phone gateway's endpoint is not for stations, and the push endpoint not for it.
    let renew = serde_json::to_vec(&PhoneRenewRequest {
        v: V1,
        event_id: event_id(5),
        person_key: p.clone(),
        capacity: Capacity::Own,
        issued_at: t,
    })
    .unwrap();
    check(
        "station on phone endpoint",
        client_a
            .send(Method::Post, PATH_PHONE_RENEW, &renew)
            .unwrap(),
        403,
    );
    // Enrolment with a bad proof, or a made-up code.
    let code = add_station(&env, &[]);
    let before_enrol = dump(&env);
    let mut bad = enrol_request(&StationKey::from_secret_bytes(&[7; 32]), &code);
    bad.proof = enrol_request(&StationKey::from_secret_bytes(&[8; 32]), &code).proof;
    let answer = HubClient::new(&hub.url, ClientLimits::TOOLS)
        .send(
            Method::Post,
            PATH_ENROL,
            &serde_json::to_vec(&bad).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(answer.status, 401);
    let made_up = enrol_request(
        &StationKey::from_secret_bytes(&[7; 32]),
        "AAAA-BBBB-CCCC-DDDD",
    );
    let answer = HubClient::new(&hub.url, ClientLimits::TOOLS)
        .send(
            Method::Post,
            PATH_ENROL,
            &serde_json::to_vec(&made_up).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(answer.status, 403);
    assert_eq!(dump(&env), before_enrol);
    // A disabled station: its other requests get 403; its pushes are heard, so a code it
    // issued before it was disabled still counts for R3, and one dated later is refused.
    run_hub(&env.data, &["station", "disable", &b.id], &[]);
    let before = dump(&env);
    let sub = serde_json::to_vec(&SubscribeRequest {
        v: V1,
        station: b.id.clone(),
        person_keys: vec![p.clone()],
    })
    .unwrap();
    let answer = client_b.send(Method::Post, PATH_SUBSCRIBE, &sub).unwrap();
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert!(answer.text().contains(STATION_DISABLED));
    assert_eq!(
        client_b.send(Method::Get, PATH_PULL, b"").unwrap().status,
        403
    );
    assert_eq!(dump(&env), before);
    let answer = client_b
        .send(
            Method::Post,
            PATH_PUSH,
            &push_body(
                &b,
                &[
                    event(&b, 3, &p, "B1", t - 5),
                    event(&b, 4, &person(&b.secret, 1), "B2", now() + 2),
                ],
            ),
        )
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let results: PushResponse = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(results.results[0].status, Outcome::Accepted);
    assert_eq!(results.results[1].reason, Some(RejectReason::KeyWithdrawn));
    // And after all that, the good request still works.
    let ok = client_a.send(Method::Post, PATH_PUSH, &good).unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
}

/// A push declaring a body over the cap: the hub must answer 413 from the headers alone (so
/// the test sends only the headers; a client still writing would see the connection close).
fn oversized_push(url: &str, station: &TestStation) -> HubResponse {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let sig = sign_request(
        &station.key,
        &station.id,
        "POST",
        PATH_PUSH,
        &body,
        now(),
        &random_hex(16).unwrap(),
    );
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!("POST {PATH_PUSH} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in sig.pairs() {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.as_bytes().to_vec())
        .unwrap_or_default();
    HubResponse {
        status,
        body,
        retry_after: None,
        hub: None,
    }
}

fn enrolled_again(
    env: &Env,
    hub: &HubProcess,
    seed: u8,
) -> (TestStation, SignedClient, EnrolResponse) {
    enrolled(env, hub, seed)
}

fn ten_stations_same_person_same_day_over_http(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let stations: Vec<_> = (1..=10).map(|seed| enrolled(&env, &hub, seed)).collect();
    let secret = stations[0].0.secret.clone();
    let p = person(&secret, 1);
    let t = now();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(10));
    let handles: Vec<_> = stations
        .iter()
        .enumerate()
        .map(|(i, (station, client, _))| {
            let body = push_body(
                station,
                &[event(
                    station,
                    i as u64,
                    &p,
                    &format!("C{i}"),
                    t - 60 + i as i64,
                )],
            );
            let client = client.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let answer = client.send(Method::Post, PATH_PUSH, &body).unwrap();
                assert_eq!(answer.status, 200, "{}", answer.text());
                serde_json::from_slice::<PushResponse>(&answer.body)
                    .unwrap()
                    .results
                    .remove(0)
            })
        })
        .collect();
    let answers: Vec<EventAnswer> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let accepted: Vec<_> = answers
        .iter()
        .filter(|a| a.status == Outcome::Accepted)
        .collect();
    assert_eq!(accepted.len(), 1, "exactly one accepted: {answers:?}");
    let winner = accepted[0].active.as_ref().unwrap().serial.clone();
    for a in answers.iter().filter(|a| a.status != Outcome::Accepted) {
        assert_eq!(a.reason, Some(RejectReason::AlreadyAppliedToday));
        assert_eq!(
            a.active.as_ref().unwrap().serial,
            winner,
            "the authoritative code"
        );
    }
}

fn phone_renewal_reaches_a_station(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let (station, client, _) = enrolled(&env, &hub, 1);
    // A resident the station holds but never renewed there.
    let p = person(&station.secret, 2);
    let sub = serde_json::to_vec(&SubscribeRequest {
        v: V1,
        station: station.id.clone(),
        person_keys: vec![p.clone()],
    })
    .unwrap();
    let answer = client.send(Method::Post, PATH_SUBSCRIBE, &sub).unwrap();
    let sub: SubscribeResponse = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!((sub.added, sub.active.len()), (1, 0));
    let out = run_hub(
        &env.data,
        &[
            "phone",
            "renew",
            "--person-key",
            p.as_str(),
            "--capacity",
            "family",
            "--hub",
            &hub.url,
        ],
        &[],
    );
    let renewed: PhoneRenewResponse = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(renewed.result.status, Outcome::Accepted);
    let pulled: PullResponse =
        serde_json::from_slice(&client.send(Method::Get, PATH_PULL, b"").unwrap().body).unwrap();
    assert_eq!(pulled.changes.len(), 1);
    let code = pulled.changes[0].code.as_ref().unwrap();
    assert_eq!(code.channel, Channel::Phone);
    // It verifies offline against the trust list the station got.
    let trust: TrustListResponse =
        serde_json::from_slice(&client.send(Method::Get, PATH_TRUST, b"").unwrap().body).unwrap();
    let mut list = nac_credential::TrustList::new();
    for e in trust.issuers {
        list.add_issuer(e.public_key, e.station);
    }
    assert_eq!(
        nac_credential::verify(&code.credential, &list, now()).verdict,
        nac_credential::Verdict::Valid
    );
    // The station's own renewal the same day is rejected with the phone's code.
    let answer = client
        .send(
            Method::Post,
            PATH_PUSH,
            &push_body(&station, &[event(&station, 1, &p, "ST1", now() - 1)]),
        )
        .unwrap();
    let answer: PushResponse = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(
        answer.results[0].reason,
        Some(RejectReason::AlreadyAppliedToday)
    );
    assert_eq!(
        answer.results[0].active.as_ref().unwrap().serial,
        code.serial
    );
}

fn enrolment_code_expires_after_24_hours(env: Env) {
    let t = now();
    let code = add_station(&env, &[("NAC_HUB_FAKE_NOW", (t - 86_400).to_string())]);
    let fresh = add_station(&env, &[("NAC_HUB_FAKE_NOW", (t - 86_399 + 5).to_string())]);
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let expired = post_enrol(&hub, &StationKey::from_secret_bytes(&[1; 32]), &code);
    assert_eq!(expired.status, 403, "{}", expired.text());
    assert!(expired.text().contains("expired"));
    let ok = post_enrol(&hub, &StationKey::from_secret_bytes(&[1; 32]), &fresh);
    assert_eq!(ok.status, 200, "{}", ok.text());
}

fn bursts_get_429_with_retry_after(env: Env) {
    let hub = HubProcess::start(
        &env.data,
        env.dir.path(),
        &["--rate", "0.5", "--burst", "3"],
        &[],
    );
    let (_, client, _) = enrolled(&env, &hub, 1);
    let statuses: Vec<HubResponse> = (0..5)
        .map(|_| client.send(Method::Get, PATH_TRUST, b"").unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|r| r.status == 200).count(), 3);
    let limited = statuses.iter().find(|r| r.status == 429).expect("a 429");
    let wait: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
}

fn hub_files_and_log_hold_no_identities(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let (station, client, _) = enrolled(&env, &hub, 1);
    let t = now();
    let events: Vec<Event> = (0..3)
        .map(|i| {
            event(
                &station,
                i,
                &person(&station.secret, i as usize),
                &format!("S{i}"),
                t - 5,
            )
        })
        .collect();
    assert_eq!(
        client
            .send(Method::Post, PATH_PUSH, &push_body(&station, &events))
            .unwrap()
            .status,
        200
    );
    client.send(Method::Get, PATH_PULL, b"").unwrap();
    client.send(Method::Post, PATH_PUSH, b"{not json").unwrap();
    let log = hub.log_text();
    assert!(log.contains("/v1/push"), "the log has request lines: {log}");
    let mut haystacks = vec![("log", log.into_bytes())];
    if let DataArg::Sqlite(path) = &env.data {
        for suffix in ["", "-wal", "-shm"] {
            let file = Path::new(&format!("{}{suffix}", path.display())).to_path_buf();
            if let Ok(bytes) = std::fs::read(&file) {
                haystacks.push(("database file", bytes));
            }
        }
    } else {
        haystacks.push(("database dump", dump(&env).into_bytes()));
    }
    for (what, bytes) in &haystacks {
        let text = String::from_utf8_lossy(bytes);
        for needle in SEEDED_IDS.iter().chain(&SEEDED_NAMES).chain(&SEEDED_PHONES) {
            assert!(!text.contains(needle), "{what} contains {needle}");
        }
    }
    // At info level the log names no person key and no credential.
    let log = &haystacks[0].1;
    let log = String::from_utf8_lossy(log);
    for e in &events {
        assert!(
            !log.contains(e.person_key.as_str()),
            "person key in the log"
        );
        assert!(
            !log.contains(&e.code.credential[..40]),
            "credential in the log"
        );
    }
    assert!(!log.contains("NAC1:"));
}

fn a_killed_hub_restarts_with_its_answers(env: Env) {
    let mut hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let (station, client, enrolled) = enrolled(&env, &hub, 1);
    let t = now();
    let body = push_body(
        &station,
        &[event(&station, 1, &person(&station.secret, 0), "K1", t - 5)],
    );
    let first: PushResponse =
        serde_json::from_slice(&client.send(Method::Post, PATH_PUSH, &body).unwrap().body).unwrap();
    assert_eq!(first.results[0].status, Outcome::Accepted);
    hub.kill();
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let client = SignedClient::new(&hub.url, &station.id, station.key.clone());
    let again: PushResponse =
        serde_json::from_slice(&client.send(Method::Post, PATH_PUSH, &body).unwrap().body).unwrap();
    assert_eq!(again.results[0].status, Outcome::Duplicate);
    assert_eq!(
        again.results[0].original_answer().as_ref(),
        Some(&first.results[0])
    );
    // Same district secret and keys after the restart.
    let trust: TrustListResponse =
        serde_json::from_slice(&client.send(Method::Get, PATH_TRUST, b"").unwrap().body).unwrap();
    assert_eq!(trust.issuers, enrolled.issuers);
}

fn subscribe_body(station: &TestStation, from: usize, count: usize) -> Vec<u8> {
    serde_json::to_vec(&SubscribeRequest {
        v: V1,
        station: station.id.clone(),
        person_keys: (from..from + count).map(nth_person).collect(),
    })
    .unwrap()
}

/// `serve --max-subscriptions` bounds every station; `station allow` raises one station's
/// allowance; a subscribe over it is refused whole (nothing subscribed) and the district sees it.
fn a_stations_subscriptions_follow_the_districts_allowance(env: Env) {
    let hub = HubProcess::start(
        &env.data,
        env.dir.path(),
        &["--max-subscriptions", "3"],
        &[],
    );
    let (station, client, _) = enrolled(&env, &hub, 1);
    let answer = client
        .send(
            Method::Post,
            PATH_SUBSCRIBE,
            &subscribe_body(&station, 0, 2),
        )
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let over = client
        .send(
            Method::Post,
            PATH_SUBSCRIBE,
            &subscribe_body(&station, 2, 2),
        )
        .unwrap();
    assert_eq!(over.status, 403, "2 + 2 is over an allowance of 3");
    let error: ErrorBody = serde_json::from_slice(&over.body).unwrap();
    assert_eq!(error.error, SUBSCRIPTION_LIMIT);
    // Refused whole: one more key still fits.
    let one = client
        .send(
            Method::Post,
            PATH_SUBSCRIBE,
            &subscribe_body(&station, 2, 1),
        )
        .unwrap();
    let one: SubscribeResponse = serde_json::from_slice(&one.body).unwrap();
    assert_eq!(one.added, 1, "the refused subscribe left its keys out");
    let events = run_hub(&env.data, &["events"], &[]);
    assert!(
        events.contains("over its allowance of 3"),
        "the district sees the refusal: {events}"
    );

    run_hub(
        &env.data,
        &["station", "allow", &station.id, "--subscriptions", "10"],
        &[],
    );
    let raised = client
        .send(
            Method::Post,
            PATH_SUBSCRIBE,
            &subscribe_body(&station, 3, 7),
        )
        .unwrap();
    assert_eq!(raised.status, 200, "{}", raised.text());
    let over = client
        .send(
            Method::Post,
            PATH_SUBSCRIBE,
            &subscribe_body(&station, 10, 1),
        )
        .unwrap();
    assert_eq!(
        over.status, 403,
        "the eleventh key is over the raised allowance"
    );
}

/// A genuine request signed with a clock more than 2 minutes off the hub's is reported to the
/// district (a `clock_off` event, once a day per station), whether it is served (3 minutes
/// ahead) or refused as stale (10 minutes behind); a forged stale request names no one.
fn a_far_off_station_clock_is_shown_to_the_district_once_a_day(env: Env) {
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &[]);
    let (a, client_a, _) = enrolled(&env, &hub, 1);
    let (b, client_b, _) = enrolled(&env, &hub, 2);
    let (c, client_c, _) = enrolled(&env, &hub, 3);
    let mut ahead = client_a.clone();
    ahead.clock_offset = 180;
    for _ in 0..2 {
        assert_eq!(
            ahead.send(Method::Get, PATH_TRUST, b"").unwrap().status,
            200
        );
    }
    let mut behind = client_b.clone();
    behind.clock_offset = -600;
    assert_eq!(
        behind.send(Method::Get, PATH_TRUST, b"").unwrap().status,
        401
    );
    let mut close = client_c.clone();
    close.clock_offset = 60;
    assert_eq!(
        close.send(Method::Get, PATH_TRUST, b"").unwrap().status,
        200
    );
    let mut forger = SignedClient::new(&hub.url, &c.id, StationKey::from_secret_bytes(&[99; 32]));
    forger.clock_offset = -600;
    assert_eq!(
        forger.send(Method::Get, PATH_TRUST, b"").unwrap().status,
        401
    );

    let events = run_hub(&env.data, &["events", "--json"], &[]);
    let clock_off = |station: &str| {
        events
            .lines()
            .filter(|l| l.contains("\"clock_off\"") && l.contains(station))
            .count()
    };
    assert_eq!(clock_off(&a.id), 1, "once a day: {events}");
    assert_eq!(
        clock_off(&b.id),
        1,
        "a refused genuine request too: {events}"
    );
    assert_eq!(clock_off(&c.id), 0, "a minute off, or forged: {events}");
    assert!(events.contains("ahead of the hub") && events.contains("behind the hub"));
}
