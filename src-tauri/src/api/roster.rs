//! Households and residents: the list, one household, and the forms. The list, the building
//! tree and a household are read on a reader connection (see `host`), so they answer while a
//! long job writes; the forms and revealing a number (audited) take the writer.

use crate::error::AppResult;
use crate::host::Host;
use crate::view::{
    Building, Household, HouseholdForm, HouseholdPage, ListQuery, Member, ResidentForm, Revealed,
};
use nac_core::station::HouseholdQuery;

pub fn household_page(host: &Host, query: &ListQuery) -> AppResult<HouseholdPage> {
    let page = host.reader().household_page(&HouseholdQuery::from(query))?;
    Ok(page.into())
}

pub fn buildings(host: &Host) -> AppResult<Vec<Building>> {
    let list = host.reader().building_counts()?;
    Ok(list.into_iter().map(Building::from).collect())
}

pub fn household(host: &Host, id: i64) -> AppResult<Household> {
    let station = host.reader();
    let detail = station.household(id)?;
    let ids: Vec<i64> = detail.members.iter().map(|m| m.id).collect();
    let rejected = station.rejected_among(&ids)?;
    Ok(Household {
        id: detail.id,
        address: detail.address,
        district: detail.district,
        road: detail.road,
        lane: detail.lane,
        number: detail.number,
        room: detail.room,
        masked_phone: detail.masked_phone,
        members: detail
            .members
            .into_iter()
            .map(|m| {
                let r = rejected.contains(&m.id);
                Member::from_row(m, r)
            })
            .collect(),
    })
}

pub fn add_household(host: &Host, form: &HouseholdForm) -> AppResult<i64> {
    Ok(host.station().add_household(&form.into())?)
}

pub fn update_household(host: &Host, id: i64, form: &HouseholdForm) -> AppResult<()> {
    Ok(host.station().update_household(id, &form.into())?)
}

pub fn remove_household(host: &Host, id: i64) -> AppResult<()> {
    Ok(host.station().remove_household(id)?)
}

/// The household's phone in full, for its edit form (audited).
pub fn household_phone(host: &Host, id: i64) -> AppResult<Option<String>> {
    Ok(host.station().reveal_household_phone(id)?)
}

pub fn add_resident(host: &Host, household_id: i64, form: &ResidentForm) -> AppResult<i64> {
    Ok(host.station().add_resident(household_id, &form.into())?)
}

pub fn update_resident(host: &Host, id: i64, form: &ResidentForm) -> AppResult<()> {
    Ok(host.station().update_resident(id, &form.into())?)
}

pub fn move_resident(host: &Host, id: i64, to_household: i64) -> AppResult<()> {
    Ok(host.station().move_resident(id, to_household)?)
}

pub fn remove_resident(host: &Host, id: i64) -> AppResult<()> {
    Ok(host.station().remove_resident(id)?)
}

/// One resident's full document number and phone (audited by the core).
pub fn reveal_resident(host: &Host, id: i64) -> AppResult<Revealed> {
    let r = host.station().reveal_resident(id)?;
    Ok(Revealed {
        document_number: r.document_number,
        phone: r.phone,
    })
}
