//! Key rotation and audit anchors: the two requests about the station itself rather than its
//! residents.

use axum::extract::{Request, State};
use axum::response::Response;
use nac_protocol::{
    AuditAnchor, AuditAnchorRequest, AuditAnchorsResponse, RotateKeyRequest, MAX_AUDIT_ANCHORS, V1,
};

use super::error::ApiError;
use super::handlers::{own_station, receive, respond, to_response};
use super::AppState;
use crate::store::{PrincipalKind, Store};

type App<S> = State<std::sync::Arc<AppState<S>>>;

pub async fn rotate<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            let principal = req.authenticate(&app, PrincipalKind::Station).await?;
            let rotate: RotateKeyRequest = req.json()?;
            own_station(&principal, &rotate.station)?;
            let answer = app.hub.rotate_key(&principal, &rotate).await?;
            tracing::info!(station = %principal.id, kid = %answer.kid, "station key rotated");
            Ok(to_response(&answer))
        }
        .await,
    )
}

/// `POST`: keep the station's audit head, answer the anchors held. `GET`: the anchors held.
pub async fn anchor<S: Store>(State(app): App<S>, req: Request) -> Response {
    respond(
        async {
            let req = receive(req).await?;
            let principal = req.authenticate(&app, PrincipalKind::Station).await?;
            if req.parts.method == axum::http::Method::POST {
                let anchor: AuditAnchorRequest = req.json()?;
                own_station(&principal, &anchor.station)?;
                anchor
                    .validate()
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                let held = app
                    .hub
                    .store
                    .audit_anchors(&principal.id, 1)
                    .await?
                    .last()
                    .map(|a| a.seq)
                    .unwrap_or(0);
                let now = app.hub.clock.now();
                let kept = app
                    .hub
                    .store
                    .add_audit_anchor(
                        &principal.id,
                        AuditAnchor {
                            seq: anchor.seq,
                            hash: anchor.hash,
                            received_at: now,
                        },
                    )
                    .await?;
                // A log rewritten, or shorter than one anchored before (a restore from an
                // older backup): the district sees it, never the rows themselves.
                let rewound = if !kept {
                    Some(format!(
                        "audit row {} differs from the hash held for it: the station's audit \
                         log was rewritten",
                        anchor.seq
                    ))
                } else if anchor.seq < held {
                    Some(format!(
                        "audit log at row {} after row {held} was anchored: the station was \
                         restored from an older backup (or its log cut short)",
                        anchor.seq
                    ))
                } else {
                    None
                };
                if let Some(detail) = rewound {
                    tracing::warn!(station = %principal.id, seq = anchor.seq, held, "{detail}");
                    app.hub
                        .store
                        .record_district_event("audit_rewound", Some(&principal.id), &detail, now)
                        .await?;
                }
            }
            let anchors = app
                .hub
                .store
                .audit_anchors(&principal.id, MAX_AUDIT_ANCHORS)
                .await?;
            Ok(to_response(&AuditAnchorsResponse { v: V1, anchors }))
        }
        .await,
    )
}
