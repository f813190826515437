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
                let kept = app
                    .hub
                    .store
                    .add_audit_anchor(
                        &principal.id,
                        AuditAnchor {
                            seq: anchor.seq,
                            hash: anchor.hash,
                            received_at: app.hub.clock.now(),
                        },
                    )
                    .await?;
                if !kept {
                    tracing::warn!(
                        station = %principal.id,
                        seq = anchor.seq,
                        "audit head differs from the one recorded for that row: the station's audit log was rewritten or restored from an older backup"
                    );
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
