//! Anchoring the audit log's head with the hub, and checking the log against the heads it holds.
//!
//! The hash chain shows an edited, deleted or moved row to anyone holding the file — unless
//! whoever edited it rewrote every hash after it too, which anyone with the passphrase can do.
//! Each sync sends the log's head (row number and chain hash, nothing of the content) to the
//! hub, which keeps the first hash it receives for each row. A rewritten log no longer holds a
//! head the hub kept: [`Station::check_audit_anchors`] names the first such row. One anchored
//! head vouches for every row before it (each hash covers the one before), so the newest
//! anchors suffice.
//!
//! Anchors of rows written before migration 8 hold those rows' chain-version-1 hashes (the
//! migration re-chained the log with an unambiguous encoding, see [`crate::audit`]): they are
//! compared with the version-1 hash each such row keeps, which `audit verify` checks against
//! the row's content, so an old anchor neither reports a migrated log as rewritten nor lets an
//! edit of an old row pass.

use nac_protocol::{AuditAnchor, AuditAnchorRequest, AuditAnchorsResponse, PATH_AUDIT_ANCHOR, V1};
use serde::Serialize;

use super::call;
use super::run::SyncReport;
use super::transport::{Method, RequestSigner, Transport};
use crate::error::Result;
use crate::station::settings::{self, key};
use crate::station::Station;

/// What the hub's anchors say about this station's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorCheck {
    /// Anchors the hub returned (its newest, up to [`nac_protocol::MAX_AUDIT_ANCHORS`]).
    pub anchors: usize,
    /// The newest anchored row and when the hub received it.
    pub newest: Option<AuditAnchor>,
    /// The first anchored row this log no longer holds as the hub recorded it.
    pub problem: Option<AnchorProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorProblem {
    pub row: i64,
    /// When the hub received that row's hash (unix s).
    pub anchored_at: i64,
    /// `missing` (the log ends before it) or `rewritten` (the row's hash differs).
    pub kind: &'static str,
    pub message: String,
}

impl Station {
    /// Sends the audit log's head to the hub when it has grown since the last anchor.
    pub(super) fn anchor_audit(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        report: &mut SyncReport,
    ) -> Result<()> {
        let (seq, hash) = crate::audit::head(&self.conn)?;
        let anchored = settings::read(&self.conn, key::AUDIT_ANCHORED_SEQ)?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if seq <= anchored {
            return Ok(());
        }
        let request = AuditAnchorRequest {
            v: V1,
            station: signer.station.clone(),
            seq,
            hash,
        };
        let _: AuditAnchorsResponse = call(
            transport,
            signer,
            Method::Post,
            PATH_AUDIT_ANCHOR.to_string(),
            &request,
        )?;
        let tx = self.write()?;
        settings::write(&tx, key::AUDIT_ANCHORED_SEQ, &seq.to_string())?;
        settings::write(&tx, key::AUDIT_ANCHORED_AT, &self.now().to_string())?;
        tx.commit()?;
        report.audit_anchored = Some(seq);
        Ok(())
    }

    /// Asks the hub for the audit heads it holds for this station and compares them with the
    /// log here (administrators only).
    pub fn check_audit_anchors(&mut self, transport: &mut dyn Transport) -> Result<AnchorCheck> {
        self.require_admin("read the audit log", "查看审计记录")?;
        let signer = self.signer_for_hub()?;
        let answer: AuditAnchorsResponse = call(
            transport,
            &signer,
            Method::Get,
            PATH_AUDIT_ANCHOR.to_string(),
            &(),
        )?;
        let mut problem = None;
        for anchor in &answer.anchors {
            let local = crate::audit::anchored_hash(&self.conn, anchor.seq)?;
            let (kind, message) = match local {
                Some(hash) if hash == anchor.hash => continue,
                Some(_) => ("rewritten", format!(
                    "审计记录{row}与区平台{at}保存的不一致：记录已被改写（或从较早的备份恢复） / audit row {row} differs from the hash the hub kept at {at}: the log was rewritten (or restored from an older backup)",
                    row = anchor.seq,
                    at = crate::time::format_cst_second(anchor.received_at),
                )),
                None => ("missing", format!(
                    "区平台{at}保存了审计记录{row}，本机已没有这条记录（被删除，或从较早的备份恢复） / the hub kept audit row {row} at {at}; this log no longer has it (deleted, or restored from an older backup)",
                    row = anchor.seq,
                    at = crate::time::format_cst_second(anchor.received_at),
                )),
            };
            problem = Some(AnchorProblem {
                row: anchor.seq,
                anchored_at: anchor.received_at,
                kind,
                message,
            });
            break;
        }
        Ok(AnchorCheck {
            anchors: answer.anchors.len(),
            newest: answer.anchors.last().cloned(),
            problem,
        })
    }
}
