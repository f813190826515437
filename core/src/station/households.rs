//! Household-level views for the desktop app: the list a volunteer scrolls (grouped by road,
//! lane and building, with what is due in each household), one household with its members, the
//! road/lane/building tree with counts, and revealing one resident's full identity on demand.
//!
//! The list is paged by offset/limit so a 50,000-resident roster scrolls smoothly: a page costs
//! a count of the matching households, one ordered page query (cheap without filters: it walks
//! the `households_sort` index) and one member query for the page's households only. Statuses are classified with the same
//! [`ResidentStatus::classify`] as every other list, so "expired" means the same everywhere.

use super::status::{bind, ResidentStatus, StatusFilter, EVER, TO_REPLACE};
use super::{CodeState, HouseholdDetail, ResidentQuery, Station};
use crate::domain::document::mask_middle;
use crate::domain::Address;
use crate::error::{Error, Result};
use crate::search::SearchTerm;
use crate::time::DAY_SECS;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A place to narrow the list to: a road, a lane of it, or one building (号).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Place {
    pub district: String,
    pub road: String,
    pub lane: Option<String>,
    pub number: Option<String>,
}

/// Which households the list shows, and which page of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdQuery {
    /// Name, pinyin initials, last four digits, or an address fragment (see [`SearchTerm`]).
    pub search: Option<String>,
    /// Households with at least one member in any of these states.
    pub filter: StatusFilter,
    /// …or with a member whose latest code the hub rejected.
    pub rejected: bool,
    /// Overrides the station's expiring threshold (the "expiring ≤ N days" filter).
    pub expiring_within_days: Option<u32>,
    pub place: Option<Place>,
    pub offset: u32,
    /// At most 500 per page; 0 means 100.
    pub limit: u32,
}

/// A member as shown in the household list: enough for a badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberBrief {
    pub id: i64,
    pub name: String,
    pub state: CodeState,
    pub days_left: Option<i64>,
    /// The latest code of this resident was rejected by the hub.
    pub rejected: bool,
    pub cards_to_replace: u32,
}

/// One household row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdListRow {
    pub id: i64,
    /// The building (`徐汇区 天钥桥路 100弄 5号`), the list's group.
    pub building: String,
    /// The room (`302室`), or empty.
    pub room: String,
    pub address: String,
    pub members: Vec<MemberBrief>,
    pub expired: u32,
    pub expiring: u32,
    pub never: u32,
    pub rejected: u32,
    pub cards_to_replace: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdPage {
    /// Households matching the query (all pages).
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<HouseholdListRow>,
}

/// One building (号) with counts, for the road/lane/building tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildingCounts {
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub households: u32,
    pub residents: u32,
    pub expired: u32,
    pub expiring: u32,
    pub never: u32,
}

/// A resident's full document number and phone, shown on demand (and audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevealedIdentity {
    pub resident_id: i64,
    pub document_number: String,
    pub phone: Option<String>,
}

const MAX_PAGE: u32 = 500;
/// The resident's latest renewal at this station was rejected by the hub (someone else
/// applied first that day); the hub's code was adopted and is the one to print.
const REJECTED: &str = "coalesce((SELECT la.state FROM applications la WHERE la.resident_id = r.id
     ORDER BY la.applied_at DESC, la.id DESC LIMIT 1) = 'rejected', 0)";

impl Station {
    /// A page of households matching `query`, in address order, with member badges.
    pub fn household_page(&self, query: &HouseholdQuery) -> Result<HouseholdPage> {
        let now = self.now();
        let days = match query.expiring_within_days {
            Some(d) => d,
            None => self.expiring_days()?,
        };
        let threshold = i64::from(days) * DAY_SECS;
        let term = query.search.as_deref().and_then(SearchTerm::parse);
        let params = term.as_ref().map(|t| t.sql().1).unwrap_or_default();
        let conditions = page_conditions(query, term.as_ref());
        let place = query.place.clone().unwrap_or_default();
        let limit = match query.limit {
            0 => 100,
            n => n.min(MAX_PAGE),
        };
        let lane = place.lane.clone().unwrap_or_default();
        let number = place.number.clone().unwrap_or_default();
        let values: [(&str, &dyn rusqlite::ToSql); 11] = [
            (":now", &now),
            (":threshold", &threshold),
            (":q", &params.q),
            (":q_end", &params.q_end),
            (":fts", &params.fts),
            (":district", &place.district),
            (":road", &place.road),
            (":lane", &lane),
            (":number", &number),
            (":limit", &limit),
            (":offset", &query.offset),
        ];
        let total = self.count_households(&conditions, &values)?;
        let households = self.households_in_order(&conditions, &values)?;
        let ids: Vec<i64> = households.iter().map(|(id, _)| *id).collect();
        let mut members = self.member_briefs(&ids, now, days)?;
        let rows = households
            .into_iter()
            .map(|(id, address)| list_row(id, address, members.remove(&id).unwrap_or_default()))
            .collect();
        Ok(HouseholdPage {
            total,
            offset: query.offset,
            rows,
        })
    }

    /// How many live households match `conditions` (all pages).
    fn count_households(
        &self,
        conditions: &str,
        values: &[(&str, &dyn rusqlite::ToSql)],
    ) -> Result<u32> {
        let sql =
            format!("SELECT count(*) FROM households hh WHERE hh.removed_at IS NULL {conditions}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        bind(&mut stmt, values)?;
        let mut rows = stmt.raw_query();
        Ok(match rows.next()? {
            Some(r) => r.get(0)?,
            None => 0,
        })
    }

    /// The page (`:limit`, `:offset`) of live households matching `conditions`, in address order.
    fn households_in_order(
        &self,
        conditions: &str,
        values: &[(&str, &dyn rusqlite::ToSql)],
    ) -> Result<Vec<(i64, Address)>> {
        let sql = format!(
            "SELECT hh.id, hh.district, hh.road, hh.lane, hh.number, hh.room
             FROM households hh WHERE hh.removed_at IS NULL {conditions}
             ORDER BY hh.sort_key, hh.id LIMIT :limit OFFSET :offset"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        bind(&mut stmt, values)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((r.get(0)?, super::address_at(r, 1)?));
        }
        Ok(out)
    }

    /// Members of these households with their status, keyed by household.
    fn member_briefs(
        &self,
        household_ids: &[i64],
        now: i64,
        expiring_days: u32,
    ) -> Result<HashMap<i64, Vec<MemberBrief>>> {
        let mut out: HashMap<i64, Vec<MemberBrief>> = HashMap::new();
        if household_ids.is_empty() {
            return Ok(out);
        }
        let list = household_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT r.id, r.household_id, r.name, c.serial, c.issued_at, c.expires_at, {EVER},
                    {REJECTED}, {TO_REPLACE}
             FROM residents r LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
             WHERE r.removed_at IS NULL AND r.household_id IN ({list})
             ORDER BY r.household_id, r.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let serial: Option<String> = r.get(3)?;
            let active = match serial {
                Some(s) => Some((s, r.get(4)?, r.get(5)?)),
                None => None,
            };
            let status = ResidentStatus::classify(active, r.get(6)?, now, expiring_days);
            out.entry(r.get(1)?).or_default().push(MemberBrief {
                id: r.get(0)?,
                name: r.get(2)?,
                state: status.state,
                days_left: status.days_left,
                rejected: r.get(7)?,
                cards_to_replace: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// Every building with household, resident and due counts, in address order.
    pub fn building_counts(&self) -> Result<Vec<BuildingCounts>> {
        let now = self.now();
        let threshold = i64::from(self.expiring_days()?) * DAY_SECS;
        let sql = format!(
            "SELECT h.district, h.road, h.lane, h.number, count(DISTINCT h.id), count(r.id),
                    coalesce(sum(r.id IS NOT NULL AND ((c.id IS NOT NULL AND c.expires_at <= :now)
                                  OR (c.id IS NULL AND {EVER}))), 0),
                    coalesce(sum(c.expires_at > :now AND c.expires_at <= :now + :threshold), 0),
                    coalesce(sum(r.id IS NOT NULL AND c.id IS NULL AND NOT {EVER}), 0)
             FROM households h
             LEFT JOIN residents r ON r.household_id = h.id AND r.removed_at IS NULL
             LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
             WHERE h.removed_at IS NULL
             GROUP BY h.district, h.road, h.lane, h.number
             ORDER BY min(h.sort_key)"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        bind(&mut stmt, &[(":now", &now), (":threshold", &threshold)])?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(BuildingCounts {
                district: r.get(0)?,
                road: r.get(1)?,
                lane: r.get(2)?,
                number: r.get(3)?,
                households: r.get(4)?,
                residents: r.get(5)?,
                expired: r.get(6)?,
                expiring: r.get(7)?,
                never: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// One household with its members (masked identities, statuses).
    pub fn household(&self, id: i64) -> Result<HouseholdDetail> {
        let head = self
            .conn
            .query_row(
                "SELECT uid, district, road, lane, number, room, phone FROM households
                 WHERE id = ?1 AND removed_at IS NULL",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        super::address_at(r, 1)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(Error::household_not_found)?;
        let (uid, address, phone) = head;
        let members = self.residents(&ResidentQuery {
            household_id: Some(id),
            ..ResidentQuery::default()
        })?;
        Ok(HouseholdDetail {
            id,
            uid,
            address: address.to_string(),
            district: address.district,
            road: address.road,
            lane: address.lane,
            number: address.number,
            room: address.room,
            masked_phone: phone.as_deref().map(|p| mask_middle(p, 3, 4)),
            members,
        })
    }

    /// The full document number and phone of one resident, for a volunteer who asked to see
    /// them (or opened the edit form). Every call is written to the audit log.
    pub fn reveal_resident(&mut self, id: i64) -> Result<RevealedIdentity> {
        self.require_admin("see full ID numbers and phones", "查看完整证件号码和电话")?;
        let (document_number, phone): (String, Option<String>) =
            self.write_audited("resident.reveal", id, None, |tx, _| {
                tx.query_row(
                    "SELECT doc_number, phone FROM residents WHERE id = ?1 AND removed_at IS NULL",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(Error::resident_not_found)
            })?;
        Ok(RevealedIdentity {
            resident_id: id,
            document_number,
            phone,
        })
    }

    /// The household's own phone, unmasked, for its edit form (audited like a reveal).
    pub fn reveal_household_phone(&mut self, id: i64) -> Result<Option<String>> {
        self.require_admin("see full ID numbers and phones", "查看完整证件号码和电话")?;
        self.write_audited("household.reveal", id, None, |tx, _| {
            tx.query_row(
                "SELECT phone FROM households WHERE id = ?1 AND removed_at IS NULL",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(Error::household_not_found)
        })
    }
}

fn has_status_filter(query: &HouseholdQuery) -> bool {
    let f = query.filter;
    f.expired || f.expiring || f.never || f.cards_to_replace || query.rejected
}

/// Conditions (starting with AND) on one member `r` (with `h` and active code `c`), or `None`
/// when neither a search nor a status filter is set.
fn member_conditions(query: &HouseholdQuery, term: Option<&SearchTerm>) -> Option<String> {
    let mut sql = String::new();
    if let Some(t) = term {
        sql.push_str(" AND ");
        sql.push_str(t.sql().0);
    }
    if has_status_filter(query) {
        let mut any = query.filter.sql_terms();
        if query.rejected {
            any.push(REJECTED.to_string());
        }
        sql.push_str(&format!(" AND ({})", any.join(" OR ")));
    }
    (!sql.is_empty()).then_some(sql)
}

/// The outbox as the sync screen shows it: events by state and the ones with a problem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxSummary {
    pub queued: u32,
    pub sending: u32,
    pub synced: u32,
    pub rejected: u32,
    pub error: u32,
    pub last_synced_at: Option<i64>,
    /// Rejected or failing events (newest first, at most 200), with the hub's reason.
    pub problems: Vec<OutboxProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxProblem {
    pub resident_id: Option<i64>,
    pub name: Option<String>,
    pub state: String,
    pub reason: String,
    pub attempts: u32,
}

impl Station {
    /// Of these residents, those whose latest code the hub rejected.
    pub fn rejected_among(&self, resident_ids: &[i64]) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REJECTED} FROM residents r WHERE r.id = ?1"
        ))?;
        let mut out = Vec::new();
        for &id in resident_ids {
            let rejected: Option<bool> = stmt.query_row([id], |r| r.get(0)).optional()?;
            if rejected == Some(true) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Outbox counts by state, the last successful sync and the events with a problem.
    pub fn outbox_summary(&self) -> Result<OutboxSummary> {
        let counts = self.sync_status()?;
        let mut summary = OutboxSummary {
            queued: counts.queued,
            sending: counts.sending,
            synced: counts.synced,
            rejected: counts.rejected,
            error: counts.error,
            ..OutboxSummary::default()
        };
        summary.last_synced_at = self.conn.query_row(
            "SELECT max(updated_at) FROM outbox WHERE state = 'synced'",
            [],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.resident_id, r.name, o.state, coalesce(o.last_error, ''), o.attempts
             FROM outbox o LEFT JOIN applications a ON a.id = o.application_id
             LEFT JOIN residents r ON r.id = a.resident_id
             WHERE o.state IN ('rejected', 'error') ORDER BY o.updated_at DESC, o.id DESC LIMIT 200",
        )?;
        let problems = stmt.query_map([], |r| {
            Ok(OutboxProblem {
                resident_id: r.get(0)?,
                name: r.get(1)?,
                state: r.get(2)?,
                reason: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?;
        summary.problems = problems.collect::<rusqlite::Result<_>>()?;
        Ok(summary)
    }
}

/// The `AND …` conditions on households (`hh`) that `query` asks for: the place, then the
/// members' search and status filters. Values are bound by name (`:district`, `:q`, …).
fn page_conditions(query: &HouseholdQuery, term: Option<&SearchTerm>) -> String {
    let mut conditions = String::new();
    if let Some(place) = &query.place {
        conditions.push_str(" AND hh.district = :district AND hh.road = :road");
        if place.lane.is_some() {
            conditions.push_str(" AND hh.lane = :lane");
        }
        if place.number.is_some() {
            conditions.push_str(" AND hh.number = :number");
        }
    }
    if let Some(member) = member_conditions(query, term) {
        conditions.push_str(&format!(
            " AND (hh.id IN (SELECT r.household_id FROM residents r
                    JOIN households h ON h.id = r.household_id
                    LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
                    WHERE r.removed_at IS NULL {member})"
        ));
        // An address fragment also finds a household that has no members yet.
        if matches!(term, Some(SearchTerm::Text(_))) && !has_status_filter(query) {
            conditions.push_str(" OR instr(hh.search_text, :q) > 0");
        }
        conditions.push(')');
    }
    conditions
}

/// One list row: the household's address and its members' badges and counts.
fn list_row(id: i64, address: Address, members: Vec<MemberBrief>) -> HouseholdListRow {
    let count = |f: &dyn Fn(&MemberBrief) -> bool| members.iter().filter(|m| f(m)).count() as u32;
    HouseholdListRow {
        id,
        building: address.building(),
        room: if address.room.is_empty() {
            String::new()
        } else {
            format!("{}室", address.room)
        },
        address: address.to_string(),
        expired: count(&|m| m.state == CodeState::Expired),
        expiring: count(&|m| m.state == CodeState::Expiring),
        never: count(&|m| m.state == CodeState::Never),
        rejected: count(&|m| m.rejected),
        cards_to_replace: members.iter().map(|m| m.cards_to_replace).sum(),
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Capacity;
    use crate::station::{HouseholdInput, ResidentInput};
    use crate::{ManualClock, WriteSource};
    use std::sync::Arc;

    fn station() -> (Station, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let clock = ManualClock::at_cst(2026, 11, 27, 10, 0, 0);
        let key = crate::store::DatabaseKey::derive(
            &crate::store::Passphrase::new("unit test passphrase"),
            [7; 16],
        )
        .unwrap_or_else(|e| panic!("key: {e}"));
        let station = Station::open(
            &dir.path().join("s.db"),
            &key,
            Arc::new(clock),
            WriteSource::Ui,
        )
        .unwrap_or_else(|e| panic!("open: {e}"));
        (station, dir)
    }

    fn household(s: &mut Station, lane: &str, room: &str) -> i64 {
        s.add_household(&HouseholdInput {
            district: "徐汇区".into(),
            road: "天钥桥路".into(),
            lane: lane.into(),
            number: "5".into(),
            room: room.into(),
            phone: String::new(),
        })
        .unwrap_or_else(|e| panic!("household: {e}"))
    }

    fn resident(s: &mut Station, hh: i64, name: &str, id: &str) -> i64 {
        s.add_resident(
            hh,
            &ResidentInput {
                name: name.into(),
                document_number: id.into(),
                ..ResidentInput::default()
            },
        )
        .unwrap_or_else(|e| panic!("resident: {e}"))
    }

    #[test]
    fn pages_filters_places_and_rejected() {
        let (mut s, _dir) = station();
        let a = household(&mut s, "2", "101");
        let b = household(&mut s, "10", "101");
        let _empty = household(&mut s, "10", "102");
        let zhang = resident(&mut s, a, "张三丰", "11010519491231002X");
        resident(&mut s, b, "李秀英", "310104194501010015");
        s.renew(zhang, Capacity::Volunteer)
            .unwrap_or_else(|e| panic!("renew: {e}"));

        let all = s
            .household_page(&HouseholdQuery::default())
            .unwrap_or_else(|e| panic!("page: {e}"));
        assert_eq!(all.total, 3);
        // Natural order: lane 2 before lane 10.
        assert_eq!(all.rows[0].id, a);
        assert_eq!(all.rows[0].building, "徐汇区 天钥桥路 2弄 5号");
        assert_eq!(all.rows[0].members[0].state, CodeState::Active);
        assert_eq!(all.rows[1].never, 1);

        let never = HouseholdQuery {
            filter: StatusFilter {
                never: true,
                ..StatusFilter::default()
            },
            ..HouseholdQuery::default()
        };
        let page = s.household_page(&never).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((page.total, page.rows[0].id), (1, b));

        let lane10 = HouseholdQuery {
            place: Some(Place {
                district: "徐汇区".into(),
                road: "天钥桥路".into(),
                lane: Some("10".into()),
                number: None,
            }),
            limit: 1,
            offset: 1,
            ..HouseholdQuery::default()
        };
        let page = s.household_page(&lane10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (page.total, page.rows.len(), page.rows[0].members.len()),
            (2, 1, 0)
        );

        // The hub rejected 张三丰's code.
        s.connection()
            .execute_batch(&format!(
                "UPDATE codes SET state = 'rejected' WHERE resident_id = {zhang};
                 UPDATE applications SET state = 'rejected' WHERE resident_id = {zhang};"
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        let rejected = HouseholdQuery {
            rejected: true,
            ..HouseholdQuery::default()
        };
        let page = s
            .household_page(&rejected)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((page.total, page.rows[0].rejected), (1, 1));
        assert_eq!(s.rejected_among(&[zhang]).unwrap_or_default(), vec![zhang]);

        let buildings = s.building_counts().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(buildings.len(), 2);
        assert_eq!((buildings[1].households, buildings[1].never), (2, 1));
    }

    #[test]
    fn revealing_is_audited() {
        let (mut s, _dir) = station();
        let hh = household(&mut s, "2", "101");
        let id = resident(&mut s, hh, "张三丰", "11010519491231002X");
        let full = s.reveal_resident(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(full.document_number, "11010519491231002X");
        let n: i64 = s
            .connection()
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'resident.reveal'",
                [],
                |r| r.get(0),
            )
            .unwrap_or_default();
        assert_eq!(n, 1);
        assert_eq!(s.outbox_summary().unwrap_or_default().queued, 0);
    }
}
