//! One sync run: push the outbox in pages, subscribe the roster, pull, refresh the trust and
//! revocation lists. Each step commits what it learned before the next request, so a run cut
//! short anywhere is resumed by the next one without duplicates or gaps.

use std::collections::HashMap;

use super::apply::{apply_answer, apply_change, store_issuers, store_revocations, Applied};
use super::transport::{HubRequest, Method, RequestSigner, Transport, TransportError};
use super::{backoff_secs, jitter};
use crate::error::Result;
use crate::station::outbox;
use crate::station::settings::{self, key};
use crate::station::{Change, Station};
use nac_protocol::{
    DistrictSecret, PageQuery, PullResponse, PushRequest, PushResponse, RevocationsResponse,
    SubscribeRequest, SubscribeResponse, TrustListResponse, MAX_EVENTS_PER_PAGE, PATH_PULL,
    PATH_PUSH, PATH_REVOCATIONS, PATH_SUBSCRIBE, PATH_TRUST, V1,
};
use rusqlite::{params, Connection};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Which step a sync is at (for progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStage {
    Push,
    Subscribe,
    Pull,
    Trust,
}

/// Progress after each page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub stage: SyncStage,
    /// Events pushed so far and events to push (push stage); items so far otherwise.
    pub done: u32,
    pub total: u32,
}

/// What a sync run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Events whose answer arrived (accepted, duplicate, rejected or refused).
    pub pushed: u32,
    pub synced: u32,
    /// Rejected by the hub (already applied that day elsewhere): the hub's code adopted.
    pub rejected: u32,
    /// Refused for good (conflict, invalid): see the queue.
    pub failed: u32,
    /// Codes issued elsewhere that are now the active code here.
    pub adopted: u32,
    pub subscribed: u32,
    pub pulled: u32,
    pub issuers: u32,
    pub revocations: u32,
    /// Events still waiting (not sent because the hub could not be reached).
    pub waiting: u32,
    /// Events sent again because the hub had been restored from a backup (it may have lost
    /// them); the hub answers `duplicate` for those it still holds.
    pub resent: u32,
    /// The hub refused to follow more of the roster's residents (the district's allowance):
    /// its message. The rest of the sync went on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_refused: Option<String>,
    /// A key rotation interrupted earlier and finished by this run: the new key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_rotated: Option<String>,
    /// The audit row this run anchored with the hub (its head), if the log had grown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_anchored: Option<i64>,
    /// Why the run stopped early, if it did; then the next attempt is at `next_attempt_at`.
    pub stopped: Option<String>,
    pub next_attempt_at: Option<i64>,
    /// Residents whose codes changed (for the UI).
    #[serde(skip)]
    pub residents: Vec<i64>,
}

impl SyncReport {
    /// `nac sync`'s exit status: 0 all synced, 1 some rejected or failed, 2 unreachable.
    pub fn exit_code(&self) -> i32 {
        if self.stopped.is_some() {
            2
        } else if self.rejected > 0 || self.failed > 0 {
            1
        } else {
            0
        }
    }
}

impl Station {
    /// Syncs with the hub through `transport`. Transport failures end the run early and are
    /// reported in [`SyncReport::stopped`] with the next attempt time (backoff with jitter);
    /// a refusal of the whole request (4xx: disabled station, bad signature) is an error.
    pub fn sync(
        &mut self,
        transport: &mut dyn Transport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        let mut signer = self.signer_for_hub()?;
        let secret = self
            .district_secret
            .clone()
            .ok_or(crate::Error::NotEnrolled)?;
        let mut report = SyncReport::default();
        let outcome = self
            .finish_interrupted_rotation(transport, &mut signer, &mut report)
            .and_then(|()| self.push_all(transport, &signer, &secret, &mut report, progress))
            .and_then(|()| {
                if self.hub_epoch_changed(transport)? {
                    self.push_all(transport, &signer, &secret, &mut report, progress)?;
                }
                Ok(())
            })
            .and_then(|()| {
                self.subscribe_roster(transport, &signer, &secret, &mut report, progress)
            })
            .and_then(|()| self.pull_all(transport, &signer, &secret, &mut report, progress))
            .and_then(|restored| {
                if restored {
                    // The hub's feed is shorter than this station's cursor: it was restored
                    // without a new epoch. Re-send, then pull everything again.
                    self.push_all(transport, &signer, &secret, &mut report, progress)?;
                    self.subscribe_roster(transport, &signer, &secret, &mut report, progress)?;
                    self.pull_all(transport, &signer, &secret, &mut report, progress)?;
                }
                Ok(())
            })
            .and_then(|()| self.refresh_lists(transport, &signer, &mut report, progress))
            .and_then(|()| self.anchor_audit(transport, &signer, &mut report));
        self.note_hub_clock(transport)?;
        report.waiting = outbox::count_sendable(&self.conn)?;
        let now = self.now();
        let result = match outcome {
            Ok(()) => {
                let tx = self.write()?;
                settings::write(&tx, key::LAST_SYNC_AT, &now.to_string())?;
                settings::delete(&tx, key::LAST_SYNC_ERROR)?;
                settings::delete(&tx, key::SYNC_FAILURES)?;
                settings::delete(&tx, key::NEXT_SYNC_AT)?;
                settings::delete(&tx, key::DISABLED_AT_HUB)?;
                tx.commit()?;
                Ok(())
            }
            Err(crate::Error::Hub(e)) if e.is_transient() => {
                let failures = settings::read(&self.conn, key::SYNC_FAILURES)?
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(0)
                    .saturating_add(1);
                let wait = match &e {
                    TransportError::Busy { retry_after_secs } => *retry_after_secs as i64,
                    _ => backoff_secs(failures, jitter()),
                };
                let next = now + wait;
                let tx = self.write()?;
                settings::write(&tx, key::LAST_SYNC_ERROR, &e.to_string())?;
                settings::write(&tx, key::SYNC_FAILURES, &failures.to_string())?;
                settings::write(&tx, key::NEXT_SYNC_AT, &next.to_string())?;
                outbox::hold_until(&tx, &e.to_string(), next, now)?;
                tx.commit()?;
                report.stopped = Some(e.to_string());
                report.next_attempt_at = Some(next);
                Ok(())
            }
            Err(e) => {
                let tx = self.write()?;
                settings::write(&tx, key::LAST_SYNC_ERROR, &e.to_string())?;
                if matches!(&e, crate::Error::Hub(TransportError::Refused { code, .. })
                    if code == nac_protocol::STATION_DISABLED)
                {
                    settings::write(&tx, key::DISABLED_AT_HUB, &now.to_string())?;
                }
                outbox::requeue_unanswered(&tx, now)?;
                tx.commit()?;
                Err(e)
            }
        };
        if !report.residents.is_empty() {
            report.residents.sort_unstable();
            report.residents.dedup();
            self.emit(Change::Codes {
                source: crate::WriteSource::Sync,
                residents: report.residents.clone(),
            });
        }
        result.map(|()| report)
    }

    /// When the next automatic sync is due (after failures: backoff), if one is scheduled.
    pub fn next_sync_at(&self) -> Result<Option<i64>> {
        Ok(settings::read(&self.conn, key::NEXT_SYNC_AT)?.and_then(|v| v.parse().ok()))
    }

    /// Records what the hub's last answer said of its clock: the offset renewals check
    /// ([`crate::station::renew`]'s clock check) and the hub's time, below which no code is
    /// dated.
    fn note_hub_clock(&mut self, transport: &dyn Transport) -> Result<()> {
        let Some(headers) = transport.hub_headers() else {
            return Ok(());
        };
        let offset = headers.hub_time - self.now();
        let tx = self.write()?;
        settings::write(&tx, key::HUB_CLOCK_OFFSET, &offset.to_string())?;
        settings::write(&tx, key::LAST_HUB_TIME, &headers.hub_time.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the hub's epoch changed since the last sync (it was restored from a backup);
    /// if so, what this station holds as synced is queued again (see [`Self::resend_all`]).
    fn hub_epoch_changed(&mut self, transport: &dyn Transport) -> Result<bool> {
        let Some(epoch) = transport.hub_headers().and_then(|h| h.epoch) else {
            return Ok(false);
        };
        let known = settings::read(&self.conn, key::HUB_EPOCH)?;
        if known.as_deref() == Some(epoch.as_str()) {
            return Ok(false);
        }
        let tx = self.write()?;
        settings::write(&tx, key::HUB_EPOCH, &epoch)?;
        tx.commit()?;
        match known {
            None => Ok(false),
            Some(earlier) => {
                self.resend_all(&earlier)?;
                Ok(true)
            }
        }
    }

    /// After a restore of the hub: every event it accepted whose code is still valid is queued
    /// again, marked as first accepted in `epoch` (so the hub places it before what it accepted
    /// since and does not hold its date against it); the pull, trust and revocation cursors
    /// start again, and the roster is subscribed again. The hub answers `duplicate` for what
    /// it still holds.
    fn resend_all(&mut self, epoch: &str) -> Result<u32> {
        self.write_audited_subject_after("sync.hub_restored", None, |tx, now| {
            let resent = outbox::queue_again_after_hub_restore(tx, epoch, now)?;
            for key in [key::PULL_CURSOR, key::TRUST_CURSOR, key::REVOCATIONS_CURSOR] {
                settings::delete(tx, key)?;
            }
            tx.execute("DELETE FROM hub_subscriptions", [])?;
            // The trust list is fetched whole again: a key the restored hub no longer knows (a
            // station's rotation after the backup) must not stay trusted here.
            tx.execute(
                "DELETE FROM trusted_issuers WHERE kid NOT IN (SELECT kid FROM station_keys)",
                [],
            )?;
            let subject = format!("the hub was restored from a backup; {resent} events sent again");
            Ok((resent, subject))
        })
    }

    fn push_all(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        secret: &DistrictSecret,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<()> {
        let total = outbox::count_sendable(&self.conn)?;
        let mut after = 0i64;
        let size = page_size(&self.conn, MAX_EVENTS_PER_PAGE)?;
        loop {
            let page = outbox::sendable_page(&self.conn, after, size)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.outbox_id;
            let now = self.now();
            let tx = self.write()?;
            let ids: Vec<i64> = page.iter().map(|p| p.outbox_id).collect();
            outbox::mark_sending(&tx, &ids, now)?;
            tx.commit()?;
            let resent_from_epoch = page[0].resend_epoch.clone();
            let request = PushRequest {
                v: V1,
                station: signer.station.clone(),
                events: page.iter().map(|p| p.event.clone()).collect(),
                resent_from_epoch,
            };
            let response: PushResponse =
                call(transport, signer, Method::Post, PATH_PUSH.into(), &request)?;
            let now = self.now();
            let tx = self.write()?;
            for (item, answer) in page.iter().zip(&response.results) {
                if answer.event_id != item.event.event_id {
                    continue;
                }
                let (applied, adopted) = apply_answer(&tx, secret, item.outbox_id, answer, now)?;
                if item.resend_epoch.is_some() {
                    report.resent += 1;
                }
                // The hub subscribes a pushed event's person to this station by itself.
                tx.prepare_cached(
                    "INSERT INTO hub_subscriptions (person_key, refreshed_at) VALUES (?1, ?2)
                     ON CONFLICT (person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
                )?
                .execute(params![item.event.person_key.as_str(), now])?;
                report.pushed += 1;
                report.adopted += adopted;
                match applied {
                    Applied::Synced => report.synced += 1,
                    Applied::Rejected => report.rejected += 1,
                    Applied::Failed => report.failed += 1,
                }
                if adopted > 0 || applied == Applied::Rejected {
                    if let Some(r) = outbox::resident_of(&tx, item.outbox_id)? {
                        report.residents.push(r);
                    }
                }
            }
            outbox::requeue_unanswered(&tx, now)?;
            tx.commit()?;
            progress(&SyncProgress {
                stage: SyncStage::Push,
                done: report.pushed,
                total,
            });
        }
    }

    /// Tells the hub the roster's person keys it does not follow for this station yet, and
    /// refreshes those told more than a week ago (the hub forgets keys not refreshed for 60
    /// days, so a resident who left the roster stops reaching the station). A refusal by the
    /// district's allowance is reported, not fatal: pushes and pulls go on.
    fn subscribe_roster(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        secret: &DistrictSecret,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<()> {
        let keys_by_resident = person_keys(&self.conn, secret)?;
        let refresh_before = self.now() - SUBSCRIPTION_REFRESH_SECS;
        let mut unsubscribed: Vec<(String, i64)> = Vec::new();
        {
            let mut known = self.conn.prepare_cached(
                "SELECT 1 FROM hub_subscriptions WHERE person_key = ?1 AND refreshed_at >= ?2",
            )?;
            for (key, resident) in &keys_by_resident {
                if !known.exists(params![key, refresh_before])? {
                    unsubscribed.push((key.clone(), *resident));
                }
            }
        }
        unsubscribed.sort();
        for page in unsubscribed.chunks(SUBSCRIBE_PAGE) {
            let request = SubscribeRequest {
                v: V1,
                station: signer.station.clone(),
                person_keys: page
                    .iter()
                    .filter_map(|(k, _)| nac_protocol::PersonKey::parse(k).ok())
                    .collect(),
            };
            let response: SubscribeResponse = match call(
                transport,
                signer,
                Method::Post,
                PATH_SUBSCRIBE.into(),
                &request,
            ) {
                Err(TransportError::Refused { code, message, .. })
                    if code == nac_protocol::SUBSCRIPTION_LIMIT =>
                {
                    report.subscribe_refused = Some(message);
                    return Ok(());
                }
                other => other?,
            };
            let now = self.now();
            let tx = self.write()?;
            for code in &response.active {
                if let Some(&resident) = keys_by_resident.get(code.person_key.as_str()) {
                    let adopted = super::apply::adopt_active(&tx, secret, resident, code, now)?;
                    if adopted > 0 {
                        report.adopted += adopted;
                        report.residents.push(resident);
                    }
                }
            }
            for (key, _) in page {
                tx.prepare_cached(
                    "INSERT INTO hub_subscriptions (person_key, refreshed_at) VALUES (?1, ?2)
                     ON CONFLICT (person_key) DO UPDATE SET refreshed_at = excluded.refreshed_at",
                )?
                .execute(params![key, now])?;
            }
            tx.commit()?;
            report.subscribed += page.len() as u32;
            progress(&SyncProgress {
                stage: SyncStage::Subscribe,
                done: report.subscribed,
                total: unsubscribed.len() as u32,
            });
        }
        Ok(())
    }

    /// Pulls until the hub has no more; `true` if the hub's feed turned out shorter than this
    /// station's cursor (a restore the epoch did not show): then everything is queued to be
    /// sent again and the cursors start over.
    fn pull_all(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        secret: &DistrictSecret,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<bool> {
        let mut keys_by_resident: Option<HashMap<String, i64>> = None;
        let limit = page_size(&self.conn, nac_protocol::MAX_ITEMS_PER_PAGE)?;
        loop {
            let since = settings::read(&self.conn, key::PULL_CURSOR)?;
            let query = PageQuery {
                since: since.clone(),
                limit: (limit < nac_protocol::MAX_ITEMS_PER_PAGE).then_some(limit as u32),
            }
            .to_query_string();
            let path = paged(PATH_PULL, &query);
            let page: PullResponse = call(transport, signer, Method::Get, path, &())?;
            if self.hub_lost_events(since.as_deref(), &page)? {
                let epoch = settings::read(&self.conn, key::HUB_EPOCH)?.unwrap_or_default();
                report.resent += self.resend_all(&epoch)?;
                return Ok(true);
            }
            if !page.changes.is_empty() && keys_by_resident.is_none() {
                keys_by_resident = Some(person_keys(&self.conn, secret)?);
            }
            let now = self.now();
            let tx = self.write()?;
            if let Some(map) = &keys_by_resident {
                for change in &page.changes {
                    if let Some(&resident) = map.get(change.person_key.as_str()) {
                        let adopted = apply_change(&tx, secret, resident, change, now)?;
                        report.adopted += adopted;
                        report.residents.push(resident);
                    }
                }
            }
            settings::write(&tx, key::PULL_CURSOR, &page.next)?;
            tx.commit()?;
            report.pulled += page.changes.len() as u32;
            progress(&SyncProgress {
                stage: SyncStage::Pull,
                done: report.pulled,
                total: report.pulled,
            });
            if !page.more {
                return Ok(false);
            }
        }
    }

    /// Whether a pull shows the hub lost what it had (restored from a backup with its epoch):
    /// its feed ends before this station's cursor, or it holds fewer of this station's
    /// applications as accepted than the station holds as synced.
    fn hub_lost_events(&self, since: Option<&str>, page: &PullResponse) -> Result<bool> {
        // A cursor is `N` or `N-TAG`; the hub answers "0" to one its feed never gave.
        let cursor = |c: &str| c.split('-').next().and_then(|n| n.parse::<i64>().ok());
        if let (Some(since), Some(next)) = (since.and_then(cursor), cursor(&page.next)) {
            if next < since {
                return Ok(true);
            }
        }
        let synced: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE state = 'synced'",
            [],
            |r| r.get(0),
        )?;
        Ok(page.held < synced.max(0) as u64)
    }

    /// A rotation whose answer never arrived is finished first, so the run signs with the key
    /// the hub now expects. A refusal leaves the pending key for `nac key rotate` to report; the
    /// current key keeps working meanwhile.
    fn finish_interrupted_rotation(
        &mut self,
        transport: &mut dyn Transport,
        signer: &mut RequestSigner,
        report: &mut SyncReport,
    ) -> Result<()> {
        match self.finish_rotation(transport, signer, false) {
            Ok(Some(rotation)) => {
                report.key_rotated = Some(rotation.kid);
                *signer = self.signer_for_hub()?;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(crate::Error::Hub(e)) if e.is_transient() => Err(crate::Error::Hub(e)),
            Err(crate::Error::Hub(TransportError::Refused { .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn refresh_lists(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<()> {
        // The trust list is small and read whole every time (a key's entry moves to the end when
        // its status changes; reading it whole also holds against a hub restored from a
        // backup, whose positions may repeat).
        let mut since: Option<String> = None;
        let mut listed: Vec<String> = Vec::new();
        loop {
            let path = paged(
                PATH_TRUST,
                &PageQuery {
                    since: since.clone(),
                    limit: None,
                }
                .to_query_string(),
            );
            let page: TrustListResponse = call(transport, signer, Method::Get, path, &())?;
            since = Some(page.next.clone());
            listed.extend(page.issuers.iter().map(|i| i.kid.to_string()));
            let tx = self.write()?;
            store_issuers(&tx, &page.issuers)?;
            if !page.more {
                // The whole list is in: a key it no longer holds (a hub restored from a backup
                // older than a station's rotation) is trusted here no more. This station's own
                // keys stay (it verifies the cards it signed).
                let listed = serde_json::to_string(&listed)
                    .map_err(|e| TransportError::BadAnswer(e.to_string()))?;
                tx.execute(
                    "DELETE FROM trusted_issuers
                     WHERE kid NOT IN (SELECT value FROM json_each(?1))
                       AND kid NOT IN (SELECT kid FROM station_keys)",
                    [listed],
                )?;
            }
            settings::write(&tx, key::TRUST_CURSOR, &page.next)?;
            settings::write(&tx, key::TRUST_GENERATED_AT, &page.generated_at.to_string())?;
            tx.commit()?;
            report.issuers += page.issuers.len() as u32;
            if !page.more {
                break;
            }
        }
        loop {
            let since = settings::read(&self.conn, key::REVOCATIONS_CURSOR)?;
            let path = paged(
                PATH_REVOCATIONS,
                &PageQuery { since, limit: None }.to_query_string(),
            );
            let page: RevocationsResponse = call(transport, signer, Method::Get, path, &())?;
            let tx = self.write()?;
            store_revocations(&tx, &page.revocations)?;
            // A cursor the hub does not know comes back as "0": read the list again whole.
            settings::write(&tx, key::REVOCATIONS_CURSOR, &page.next)?;
            tx.commit()?;
            report.revocations += page.revocations.len() as u32;
            progress(&SyncProgress {
                stage: SyncStage::Trust,
                done: report.issuers + report.revocations,
                total: report.issuers + report.revocations,
            });
            if !page.more {
                return Ok(());
            }
        }
    }
}

/// Person keys per subscribe request: the protocol's cap, which keeps the answer (an active
/// code with its credential per key) under the 1 MiB body cap.
const SUBSCRIBE_PAGE: usize = nac_protocol::MAX_PERSON_KEYS_PER_PAGE;

/// How often the roster's subscriptions are refreshed at the hub (it forgets them after 60
/// days without).
const SUBSCRIPTION_REFRESH_SECS: i64 = 7 * 86_400;

/// The station's page size (the `sync_page_size` setting), at most `max`.
fn page_size(conn: &Connection, max: usize) -> Result<usize> {
    Ok(settings::read(conn, key::SYNC_PAGE_SIZE)?
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(max, |n| n.clamp(1, max)))
}

/// Every current resident's person key → resident id.
pub(crate) fn person_keys(
    conn: &Connection,
    secret: &DistrictSecret,
) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, doc_type, doc_number FROM residents WHERE removed_at IS NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut map = HashMap::new();
    for row in rows {
        let (id, doc_type, number) = row?;
        let key = nac_protocol::person_key(secret, &doc_type, &number);
        map.insert(key.as_str().to_string(), id);
    }
    Ok(map)
}

fn paged(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// Sends a request and decodes the answer.
pub(crate) fn call<Req: Serialize, Res: DeserializeOwned>(
    transport: &mut dyn Transport,
    signer: &RequestSigner,
    method: Method,
    path_and_query: String,
    body: &Req,
) -> std::result::Result<Res, TransportError> {
    let body = match method {
        Method::Get => Vec::new(),
        Method::Post => {
            serde_json::to_vec(body).map_err(|e| TransportError::BadAnswer(e.to_string()))?
        }
    };
    let answer = transport.send(&HubRequest {
        method,
        path_and_query,
        body,
        signer: Some(signer.clone()),
    })?;
    serde_json::from_slice(&answer).map_err(|e| TransportError::BadAnswer(e.to_string()))
}
