//! Decoding never panics, whatever arrives: arbitrary JSON values and arbitrary text, for every
//! message type, and validation of whatever decodes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_protocol::*;
use proptest::prelude::*;
use serde_json::Value;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z0-9:-]{0,70}".prop_map(Value::String),
        Just(Value::from(1)),
        Just(Value::from("phone")),
        Just(Value::from(
            "f181c6ae51717d38c4ef10716c75110632dbe05c57d2a6372569b186bed3e8da"
        )),
        Just(Value::from("3f2b9c4e-1d7a-4b8e-9f01-23456789abcd")),
    ];
    let keys = prop_oneof![
        Just("v".to_string()),
        Just("station".to_string()),
        Just("events".to_string()),
        Just("event_id".to_string()),
        Just("person_key".to_string()),
        Just("code".to_string()),
        Just("status".to_string()),
        Just("original".to_string()),
        "[a-z_]{1,12}",
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn decode_all(text: &str) {
    if let Ok(req) = serde_json::from_str::<PushRequest>(text) {
        for e in &req.events {
            let _ = e.validate();
        }
    }
    let _ = serde_json::from_str::<Event>(text).map(|e| e.validate());
    let _ = serde_json::from_str::<PushResponse>(text).map(|r| {
        r.results.iter().for_each(|a| {
            let _ = a.original_answer();
        })
    });
    let _ = serde_json::from_str::<SubscribeRequest>(text);
    let _ = serde_json::from_str::<SubscribeResponse>(text);
    let _ = serde_json::from_str::<PullResponse>(text);
    let _ = serde_json::from_str::<TrustListResponse>(text);
    let _ = serde_json::from_str::<RevocationsResponse>(text);
    let _ = serde_json::from_str::<EnrolRequest>(text);
    let _ = serde_json::from_str::<EnrolResponse>(text);
    let _ = serde_json::from_str::<PhoneRenewRequest>(text);
    let _ = serde_json::from_str::<PhoneRenewResponse>(text);
    let _ = serde_json::from_str::<ErrorBody>(text);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        decode_all(&value.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        decode_all(&text);
    }

    #[test]
    fn arbitrary_headers_never_panic(
        station in ".{0,70}", ts in ".{0,25}", nonce in "[0-9a-fA-F]{0,140}", sig in "[0-9a-f]{0,130}"
    ) {
        if let Ok(h) = SignedHeaders::parse(Some(&station), Some(&ts), Some(&nonce), Some(&sig)) {
            let key = nac_credential::StationKey::from_secret_bytes(&[1; 32]);
            let _ = verify_request(&key.public_key(), "POST", "/v1/push", b"", &h, 0);
        }
    }
}
