//! One function per endpoint.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nac_protocol::{
    Channel, EnrolRequest, EnrolResponse, PhoneRenewRequest, PullResponse, PushRequest,
    RevocationsResponse, SubscribeRequest, SubscribeResponse, TrustListResponse, MAX_BODY_BYTES,
    MAX_EVENTS_PER_PAGE, MAX_ITEMS_PER_PAGE, MAX_PERSON_KEYS_PER_PAGE, V1,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::{authenticate, WhenDisabled};
use super::error::ApiError;
use super::AppState;
use crate::store::{Principal, PrincipalKind, Store, SubscribeRefusal};

type App<S> = State<Arc<AppState<S>>>;

/// The request's parts and its body, read up to the cap.
pub(super) struct Received {
    pub(super) parts: axum::http::request::Parts,
    body: axum::body::Bytes,
}

pub(super) async fn receive(req: Request) -> Result<Received, ApiError> {
    let too_large = || ApiError::too_large(format!("body over {MAX_BODY_BYTES} bytes"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    Ok(Received { parts, body })
}

impl Received {
    pub(super) async fn authenticate<S: Store>(
        &self,
        app: &AppState<S>,
        kind: PrincipalKind,
    ) -> Result<Principal, ApiError> {
        self.authenticate_as(app, kind, WhenDisabled::Refuse).await
    }

    pub(super) async fn authenticate_as<S: Store>(
        &self,
        app: &AppState<S>,
        kind: PrincipalKind,
        when_disabled: WhenDisabled,
    ) -> Result<Principal, ApiError> {
        authenticate(
            &app.hub,
            &app.limiter,
            &app.clock_alerts,
            kind,
            when_disabled,
            &self.parts.method,
            &self.parts.uri,
            &self.parts.headers,
            &self.body,
        )
        .await
    }

    pub(super) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("malformed request: {e}")))
    }

    /// `since` (a position, with the change feed's tag of it: `N-TAG`) and `limit` from the
    /// query string; anything else is refused.
    fn page_query(&self) -> Result<(Cursor, usize), ApiError> {
        let mut since = Cursor::default();
        let mut limit = MAX_ITEMS_PER_PAGE;
        for pair in self
            .parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (digits, tag) = match value.split_once('-') {
                Some((digits, tag)) if is_tag(tag) => (digits, Some(tag.to_owned())),
                Some(_) => ("x", None),
                None => (value, None),
            };
            let number = digits
                .parse::<u64>()
                .ok()
                .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()));
            match (key, number) {
                ("since", Some(n)) if i64::try_from(n).is_ok() => {
                    since = Cursor {
                        position: n as i64,
                        tag,
                    }
                }
                ("limit", Some(n))
                    if (1..=MAX_ITEMS_PER_PAGE as u64).contains(&n) && tag.is_none() =>
                {
                    limit = n as usize
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                    "bad query parameter {key:?}: use since=<cursor>&limit=1..{MAX_ITEMS_PER_PAGE}"
                )))
                }
            }
        }
        Ok((since, limit))
    }
}

/// A position in a feed as a station sends it back: the number, and for the change feed the
/// tag of the change at that position (`N-TAG`), so a hub restored from a backup — whose feed
/// reuses positions for other changes — recognises a cursor it never gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Cursor {
    position: i64,
    tag: Option<String>,
}

fn is_tag(tag: &str) -> bool {
    tag.len() == 16
        && tag
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The change feed's cursor for `position`: the number and its tag.
async fn feed_cursor<S: Store>(store: &S, position: i64) -> Result<String, ApiError> {
    Ok(match store.feed_tag(position).await? {
        Some(tag) => format!("{position}-{tag}"),
        None => position.to_string(),
    })
}

/// Whether a cursor points into this feed as it is (its tag matches the change there).
async fn known_cursor<S: Store>(store: &S, since: &Cursor) -> Result<bool, ApiError> {
    match &since.tag {
        None => Ok(true),
        Some(tag) => Ok(store.feed_tag(since.position).await?.as_deref() == Some(tag)),
    }
}

fn json_response(text: String) -> Response {
    let mut response = (StatusCode::OK, Body::from(text)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(super) fn to_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => json_response(text),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

pub(super) fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

pub(super) fn own_station(principal: &Principal, station: &str) -> Result<(), ApiError> {
    if station == principal.id {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the request names another station than the signer",
        ))
    }
}

pub async fn push<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            let principal = req
                .authenticate_as(&app, PrincipalKind::Station, WhenDisabled::Allow)
                .await?;
            let push: PushRequest = req.json()?;
            own_station(&principal, &push.station)?;
            if push.events.len() > MAX_EVENTS_PER_PAGE {
                return Err(ApiError::too_large(format!(
                    "at most {MAX_EVENTS_PER_PAGE} events per page"
                )));
            }
            let own = Channel::Station(principal.id.clone());
            if push.events.iter().any(|e| e.channel != own) {
                return Err(ApiError::forbidden(
                    "an event's channel is not the pushing station",
                ));
            }
            let now = app.hub.clock.now();
            let hub = app.hub.clone();
            let (order, resent) = app
                .hub
                .push_order(push.resent_from_epoch.as_deref())
                .await?;
            let signer = app.hub.signer_for(&principal, &push.events).await?;
            let checked = tokio::task::spawn_blocking(move || {
                hub.check_station_events(&signer, push.events, resent, now)
            })
            .await
            .map_err(|e| ApiError::internal(&e))?;
            let answers = app
                .hub
                .store
                .push(&principal.id, checked, order, now)
                .await?;
            tracing::debug!(station = %principal.id, events = answers.len(), "pushed");
            // The answers are stored JSON texts: joined as they are, so a duplicate's
            // `original` and a replayed page are byte-for-byte what was first sent.
            let mut body =
                String::with_capacity(answers.iter().map(String::len).sum::<usize>() + 32);
            body.push_str("{\"v\":1,\"results\":[");
            body.push_str(&answers.join(","));
            body.push_str("]}");
            Ok(json_response(body))
        }
        .await,
    )
}

pub async fn subscribe<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            let principal = req.authenticate(&app, PrincipalKind::Station).await?;
            let sub: SubscribeRequest = req.json()?;
            own_station(&principal, &sub.station)?;
            if sub.person_keys.len() > MAX_PERSON_KEYS_PER_PAGE {
                return Err(ApiError::too_large(format!(
                    "at most {MAX_PERSON_KEYS_PER_PAGE} person keys per request"
                )));
            }
            let limits = app.hub.subscribe_limits(&principal);
            let now = app.hub.clock.now();
            let subscribed = app
                .hub
                .store
                .subscribe(&principal.id, sub.person_keys, limits, now)
                .await?
                .map_err(|refusal| {
                    tracing::warn!(station = %principal.id, ?refusal, "subscription refused");
                    ApiError::subscription_limit(match refusal {
                        SubscribeRefusal::TooMany { allowed } => format!(
                            "this station may hold at most {allowed} subscribed persons; ask the \
                             district to raise its allowance"
                        ),
                        SubscribeRefusal::TooFast { allowed } => format!(
                            "this station may look up at most {allowed} new persons a day; the \
                             rest tomorrow"
                        ),
                    })
                })?;
            Ok(to_response(&SubscribeResponse {
                v: V1,
                added: subscribed.added,
                active: subscribed.active,
            }))
        }
        .await,
    )
}

pub async fn pull<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            let principal = req.authenticate(&app, PrincipalKind::Station).await?;
            let (since, limit) = req.page_query()?;
            let held = app.hub.store.held_applications(&principal.id).await?;
            if !known_cursor(&app.hub.store, &since).await? {
                // A cursor this feed never gave: the hub was restored from a backup. "0" tells
                // the station to re-send and pull again from the start.
                return Ok(to_response(&PullResponse {
                    v: V1,
                    changes: Vec::new(),
                    next: "0".into(),
                    more: true,
                    held,
                }));
            }
            let page = app
                .hub
                .store
                .pull(&principal.id, since.position, limit)
                .await?;
            Ok(to_response(&PullResponse {
                v: V1,
                changes: page.items,
                next: feed_cursor(&app.hub.store, page.next).await?,
                more: page.more,
                held,
            }))
        }
        .await,
    )
}

pub async fn trust<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            req.authenticate(&app, PrincipalKind::Station).await?;
            let (since, limit) = req.page_query()?;
            let page = app.hub.store.trust_entries(since.position, limit).await?;
            Ok(to_response(&TrustListResponse {
                v: V1,
                generated_at: app.hub.clock.now(),
                issuers: page.items,
                next: page.next.to_string(),
                more: page.more,
            }))
        }
        .await,
    )
}

pub async fn revocations<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            req.authenticate(&app, PrincipalKind::Station).await?;
            let (since, limit) = req.page_query()?;
            if !known_cursor(&app.hub.store, &since).await? {
                return Ok(to_response(&RevocationsResponse {
                    v: V1,
                    generated_at: app.hub.clock.now(),
                    revocations: Vec::new(),
                    next: "0".into(),
                    more: true,
                }));
            }
            let page = app.hub.store.revocations(since.position, limit).await?;
            Ok(to_response(&RevocationsResponse {
                v: V1,
                generated_at: app.hub.clock.now(),
                revocations: page.items,
                next: feed_cursor(&app.hub.store, page.next).await?,
                more: page.more,
            }))
        }
        .await,
    )
}

pub async fn enrol<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            // Per client address (the address layer set it), so one address flooding bad
            // enrolments cannot block the others'.
            app.enrol_limiter
                .take(
                    req.parts
                        .extensions
                        .get::<super::ClientAddress>()
                        .unwrap_or(&super::ClientAddress::UNKNOWN),
                )
                .map_err(|refused| ApiError::rate_limited(refused.retry_after))?;
            let enrol: EnrolRequest = req.json()?;
            let enrolled = app.hub.enrol(&enrol).await?;
            tracing::info!(
                station = %enrolled.station,
                rekeyed = enrolled.rekeyed,
                "station enrolled"
            );
            Ok(to_response(&EnrolResponse {
                v: V1,
                station: enrolled.station,
                district_secret_sealed: enrolled.sealed_secret,
                issuers: app.hub.full_trust_list().await?,
            }))
        }
        .await,
    )
}

pub async fn phone_renew<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            req.authenticate(&app, PrincipalKind::PhoneGateway).await?;
            let renew: PhoneRenewRequest = req.json()?;
            let answer = app.hub.phone_renew(&renew).await?;
            Ok(json_response(format!("{{\"v\":1,\"result\":{answer}}}")))
        }
        .await,
    )
}
