//! Venues and their seat maps: sections → groups (blocks) → rows → seats, plus general-admission
//! areas with a capacity (DESIGN §1.0).
//!
//! Organizers address seats by the names they type (`sectionName`, `groupName`, `rowName`, seat
//! label), so the map is keyed by those names. It is stored flat and shown nested; the rules that
//! turn nested JSON or a CSV file into a validated flat plan live here, without I/O.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::{Error, FieldError, Reason, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::nullable;
use super::ids::{GaAreaId, SeatId, VenueId};

mod seat_file;

pub use seat_file::{plan_from_table, sort_into_tree_order, SEAT_MAP_COLUMNS};

/// The time zone a venue gets when none is given: Fullhouse was born in Copenhagen.
pub const DEFAULT_TIMEZONE: &str = "Europe/Copenhagen";
/// The most seats one venue's map may hold; larger maps are almost certainly a wrong file.
pub const MAX_SEATS: usize = 100_000;
/// The most GA areas one venue may have.
pub const MAX_GA_AREAS: usize = 1_000;
/// The longest section, group, row, seat, GA area or category name.
pub const MAX_NAME_CHARS: usize = 100;

/// A place where events happen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Venue {
    pub id: VenueId,
    pub name: String,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The IANA time zone event times are shown in, e.g. `Europe/Copenhagen`.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVenue {
    pub name: String,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// Give both coordinates or neither.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Defaults to `Europe/Copenhagen`.
    pub timezone: Option<String>,
}

/// Fields left out stay as they are; an empty string clears an optional text field and `null`
/// clears a coordinate.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenuePatch {
    pub name: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub longitude: Option<Option<f64>>,
    pub timezone: Option<String>,
}

/// An IANA time zone name such as `Europe/Copenhagen` or `UTC`. Only the shape is checked: the
/// server carries no time zone database, and a wrong zone only affects how times are shown.
pub fn validate_timezone(value: &str) -> Result<String> {
    let zone = value.trim();
    let shaped = !zone.is_empty()
        && zone.len() <= 64
        && zone.starts_with(|c: char| c.is_ascii_alphabetic())
        && !zone.contains("//")
        && !zone.ends_with('/')
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if shaped {
        Ok(zone.to_string())
    } else {
        Err(Error::invalid(
            "timezone",
            format!("`{value}` is not an IANA time zone name such as Europe/Copenhagen"),
        ))
    }
}

// ------------------------------------------------------------------------------------------
// The seat map as shown.

/// A venue's seat map, nested as organizers think of it, in the order they gave it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeatMap {
    pub sections: Vec<Section>,
    /// General-admission areas, in the order they were first created.
    pub ga_areas: Vec<GaArea>,
    /// The number of seats in all sections (GA capacity not included).
    pub seat_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Section {
    pub name: String,
    pub groups: Vec<SeatGroup>,
}

/// A block of rows within a section.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeatGroup {
    pub name: String,
    pub rows: Vec<SeatRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeatRow {
    pub name: String,
    pub seats: Vec<Seat>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Seat {
    pub id: SeatId,
    pub label: String,
    /// The seat category (price zone).
    pub category: Option<String>,
}

/// A general-admission area: no seats, a number of places.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GaArea {
    pub id: GaAreaId,
    pub name: String,
    pub capacity: i64,
    pub category: Option<String>,
}

// ------------------------------------------------------------------------------------------
// The seat map as given.

/// A whole seat map, replacing the current one. The shape `GET …/seat-map` returns: ids are
/// optional; a seat without an id keeps the id of the current seat at the same address
/// (section, group, row, label), so sold tickets keep pointing at it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatMapInput {
    #[serde(default)]
    pub sections: Vec<SectionInput>,
    #[serde(default)]
    pub ga_areas: Vec<GaAreaInput>,
    /// Accepted so a fetched map can be sent back as it is; the count is always recomputed.
    pub seat_count: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionInput {
    pub name: String,
    pub groups: Vec<SeatGroupInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatGroupInput {
    pub name: String,
    pub rows: Vec<SeatRowInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatRowInput {
    pub name: String,
    pub seats: Vec<SeatInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatInput {
    /// Keep this seat's id even when its address changes (renaming a row keeps its tickets).
    pub id: Option<SeatId>,
    pub label: String,
    pub category: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GaAreaInput {
    /// Keep this area's id even when it is renamed; otherwise the id follows the name.
    pub id: Option<GaAreaId>,
    pub name: String,
    pub capacity: i64,
    pub category: Option<String>,
}

// ------------------------------------------------------------------------------------------
// The validated plan both inputs become.

/// Where a seat is, by the names organizers type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeatAddress {
    pub section: String,
    pub group: String,
    pub row: String,
    pub label: String,
}

impl std::fmt::Display for SeatAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {} / {} / {}",
            self.section, self.group, self.row, self.label
        )
    }
}

/// One seat of a validated map, in map order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSeat {
    pub id: Option<SeatId>,
    pub address: SeatAddress,
    pub category: Option<String>,
    /// Where the seat came from, for errors: a JSON path, or a file row.
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedGaArea {
    pub id: Option<GaAreaId>,
    pub name: String,
    pub capacity: i64,
    pub category: Option<String>,
    pub origin: Origin,
}

/// The place in the input an item came from, so that errors point at it.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A JSON path such as `sections[0].groups[1].rows[2].seats[3]`.
    Path(String),
    /// A 1-based row of an uploaded file.
    FileRow(u64),
}

impl Origin {
    fn error(&self, field: &str, reason: impl Into<Reason>) -> FieldError {
        match self {
            Origin::Path(path) => FieldError::new(format!("{path}.{field}"), reason),
            Origin::FileRow(row) => FieldError::at_row(*row, field, reason),
        }
    }
}

/// A seat map that passed every rule, ready to be stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeatMapPlan {
    /// In display order: grouped by section, then group, then row, in order of first appearance.
    pub seats: Vec<PlannedSeat>,
    pub ga_areas: Vec<PlannedGaArea>,
}

/// A section, group, row, seat or GA name: trimmed, not empty, at most 100 characters.
fn map_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("cannot be empty".into())
    } else if trimmed.chars().count() > MAX_NAME_CHARS {
        Err(format!("must be at most {MAX_NAME_CHARS} characters"))
    } else {
        Ok(trimmed.to_string())
    }
}

/// An optional category: trimmed; empty means none.
fn map_category(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => map_name(v).map(Some),
    }
}

/// Collects field errors while a whole input is checked, so every problem is reported at once.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn check<T>(&mut self, result: Result<T, String>, at: impl FnOnce(String) -> FieldError) -> T
    where
        T: Default,
    {
        result.unwrap_or_else(|reason| {
            self.0.push(at(reason));
            T::default()
        })
    }

    fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    fn finish<T>(self, value: T) -> Result<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::invalid_fields(self.0))
        }
    }
}

impl SeatMapInput {
    /// Checks every rule and flattens the map in order; every problem is reported with its path.
    pub fn plan(self) -> Result<SeatMapPlan> {
        let mut problems = Problems::default();
        let mut plan = SeatMapPlan::default();
        let mut section_names = HashSet::new();
        for (s, section) in self.sections.into_iter().enumerate() {
            let path = format!("sections[{s}]");
            let name = problems.check(map_name(&section.name), |r| {
                FieldError::new(format!("{path}.name"), r)
            });
            if !name.is_empty() && !section_names.insert(name.clone()) {
                problems.push(FieldError::new(
                    format!("{path}.name"),
                    format!("section `{name}` is listed twice; put all its groups in one entry"),
                ));
            }
            plan_groups(&mut problems, &mut plan, &path, &name, section.groups);
        }
        plan_ga_areas(&mut problems, &mut plan, self.ga_areas);
        check_size(&mut problems, &plan, "sections");
        problems.finish(plan)
    }
}

fn plan_groups(
    problems: &mut Problems,
    plan: &mut SeatMapPlan,
    section_path: &str,
    section: &str,
    groups: Vec<SeatGroupInput>,
) {
    if groups.is_empty() {
        problems.push(FieldError::new(
            format!("{section_path}.groups"),
            "a section needs at least one group of rows; leave out sections without seats",
        ));
    }
    let mut group_names = HashSet::new();
    for (g, group) in groups.into_iter().enumerate() {
        let path = format!("{section_path}.groups[{g}]");
        let name = problems.check(map_name(&group.name), |r| {
            FieldError::new(format!("{path}.name"), r)
        });
        if !name.is_empty() && !group_names.insert(name.clone()) {
            problems.push(FieldError::new(
                format!("{path}.name"),
                format!("group `{name}` is listed twice in section `{section}`"),
            ));
        }
        plan_rows(problems, plan, &path, [section, &name], group.rows);
    }
}

fn plan_rows(
    problems: &mut Problems,
    plan: &mut SeatMapPlan,
    group_path: &str,
    [section, group]: [&str; 2],
    rows: Vec<SeatRowInput>,
) {
    if rows.is_empty() {
        problems.push(FieldError::new(
            format!("{group_path}.rows"),
            "a group needs at least one row; leave out groups without seats",
        ));
    }
    let mut row_names = HashSet::new();
    for (r, row) in rows.into_iter().enumerate() {
        let path = format!("{group_path}.rows[{r}]");
        let name = problems.check(map_name(&row.name), |reason| {
            FieldError::new(format!("{path}.name"), reason)
        });
        if !name.is_empty() && !row_names.insert(name.clone()) {
            problems.push(FieldError::new(
                format!("{path}.name"),
                format!("row `{name}` is listed twice in group `{group}`"),
            ));
        }
        if row.seats.is_empty() {
            problems.push(FieldError::new(
                format!("{path}.seats"),
                "a row needs at least one seat; leave out rows without seats",
            ));
        }
        let mut labels = HashSet::new();
        for (n, seat) in row.seats.into_iter().enumerate() {
            let origin = Origin::Path(format!("{path}.seats[{n}]"));
            let label = problems.check(map_name(&seat.label), |r| origin.error("label", r));
            if !label.is_empty() && !labels.insert(label.clone()) {
                problems.push(origin.error(
                    "label",
                    format!("seat `{label}` is listed twice in row `{name}`"),
                ));
            }
            let category = problems.check(map_category(seat.category.as_deref()), |r| {
                origin.error("category", r)
            });
            plan.seats.push(PlannedSeat {
                id: seat.id,
                address: SeatAddress {
                    section: section.to_string(),
                    group: group.to_string(),
                    row: name.clone(),
                    label,
                },
                category,
                origin,
            });
        }
    }
}

fn plan_ga_areas(problems: &mut Problems, plan: &mut SeatMapPlan, areas: Vec<GaAreaInput>) {
    let mut names = HashSet::new();
    for (a, area) in areas.into_iter().enumerate() {
        let origin = Origin::Path(format!("ga_areas[{a}]"));
        let name = problems.check(map_name(&area.name), |r| origin.error("name", r));
        if !name.is_empty() && !names.insert(name.clone()) {
            problems.push(origin.error("name", format!("GA area `{name}` is listed twice")));
        }
        if area.capacity < 1 {
            problems.push(origin.error("capacity", "must be 1 or more"));
        }
        let category = problems.check(map_category(area.category.as_deref()), |r| {
            origin.error("category", r)
        });
        plan.ga_areas.push(PlannedGaArea {
            id: area.id,
            name,
            capacity: area.capacity,
            category,
            origin,
        });
    }
}

fn check_size(problems: &mut Problems, plan: &SeatMapPlan, field: &str) {
    if plan.seats.len() > MAX_SEATS {
        problems.push(FieldError::new(
            field,
            format!(
                "a seat map holds at most {MAX_SEATS} seats; this one has {}",
                plan.seats.len()
            ),
        ));
    }
    if plan.ga_areas.len() > MAX_GA_AREAS {
        problems.push(FieldError::new(
            "ga_areas",
            format!(
                "a venue has at most {MAX_GA_AREAS} GA areas; this one has {}",
                plan.ga_areas.len()
            ),
        ));
    }
}

// ------------------------------------------------------------------------------------------
// Keeping ids across a replacement.

/// A seat as currently stored.
#[derive(Debug, Clone)]
pub struct StoredSeat {
    pub id: SeatId,
    pub address: SeatAddress,
}

/// A GA area as currently stored.
#[derive(Debug, Clone)]
pub struct StoredGaArea {
    pub id: GaAreaId,
    pub name: String,
}

/// The ids a new map's seats and areas get, and what disappears.
#[derive(Debug, Clone, Default)]
pub struct IdAssignment {
    /// One id per planned seat, in plan order.
    pub seat_ids: Vec<SeatId>,
    pub ga_area_ids: Vec<GaAreaId>,
    /// Stored seats the new map no longer has.
    pub removed_seats: Vec<StoredSeat>,
    pub removed_ga_areas: Vec<StoredGaArea>,
}

/// Gives each planned seat an id: the id it names (which must be one of this venue's seats),
/// else the id of the stored seat at the same address, else a fresh one. Explicit ids win, so a
/// renamed row keeps its tickets; an id is never given to two seats.
pub fn assign_ids(
    plan: &SeatMapPlan,
    stored_seats: &[StoredSeat],
    stored_areas: &[StoredGaArea],
) -> Result<IdAssignment> {
    let mut problems = Problems::default();
    let seat_ids = assign(
        &mut problems,
        plan.seats
            .iter()
            .map(|s| (s.id.as_ref(), &s.address, &s.origin)),
        stored_seats.iter().map(|s| (&s.id, &s.address)),
        SeatId::generate,
        "seat",
    );
    let ga_area_ids = assign(
        &mut problems,
        plan.ga_areas
            .iter()
            .map(|a| (a.id.as_ref(), &a.name, &a.origin)),
        stored_areas.iter().map(|a| (&a.id, &a.name)),
        GaAreaId::generate,
        "GA area",
    );
    let kept_seats: HashSet<&SeatId> = seat_ids.iter().collect();
    let kept_areas: HashSet<&GaAreaId> = ga_area_ids.iter().collect();
    let removed_seats = stored_seats
        .iter()
        .filter(|s| !kept_seats.contains(&s.id))
        .cloned()
        .collect();
    let removed_ga_areas = stored_areas
        .iter()
        .filter(|a| !kept_areas.contains(&a.id))
        .cloned()
        .collect();
    problems.finish(IdAssignment {
        seat_ids,
        ga_area_ids,
        removed_seats,
        removed_ga_areas,
    })
}

/// The id matching shared by seats (keyed by address) and GA areas (keyed by name).
fn assign<'a, Id, Key>(
    problems: &mut Problems,
    planned: impl Iterator<Item = (Option<&'a Id>, &'a Key, &'a Origin)> + Clone,
    stored: impl Iterator<Item = (&'a Id, &'a Key)>,
    generate: impl Fn() -> Id,
    kind: &str,
) -> Vec<Id>
where
    Id: Clone + Eq + std::hash::Hash + std::fmt::Display + 'a,
    Key: Eq + std::hash::Hash + 'a,
{
    let mut by_key: HashMap<&Key, &Id> = HashMap::new();
    let mut known: HashSet<&Id> = HashSet::new();
    for (id, key) in stored {
        by_key.insert(key, id);
        known.insert(id);
    }
    let mut claimed: HashSet<Id> = HashSet::new();
    for (id, _, origin) in planned.clone() {
        let Some(id) = id else { continue };
        if !known.contains(id) {
            problems.push(origin.error("id", format!("{id} is not a {kind} of this venue")));
        } else if !claimed.insert(id.clone()) {
            problems.push(origin.error("id", format!("{id} is given to two {kind}s")));
        }
    }
    planned
        .map(|(explicit, key, _)| match explicit {
            Some(id) => id.clone(),
            None => match by_key.get(key) {
                Some(&id) if claimed.insert(id.clone()) => id.clone(),
                _ => generate(),
            },
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Building the nested map from stored rows.

/// A stored seat with what the map shows, in display order.
#[derive(Debug, Clone)]
pub struct SeatLine {
    pub id: SeatId,
    pub address: SeatAddress,
    pub category: Option<String>,
}

/// Nests seats given in display order; a section, group or row that reappears after another one
/// is merged into its first appearance.
pub fn build_seat_map(seats: Vec<SeatLine>, ga_areas: Vec<GaArea>) -> SeatMap {
    let seat_count = seats.len() as u64;
    let mut sections: Vec<Section> = Vec::new();
    for line in seats {
        let a = line.address;
        let section = find_or_push(&mut sections, &a.section, |name| Section {
            name,
            groups: Vec::new(),
        });
        let group = find_or_push(&mut section.groups, &a.group, |name| SeatGroup {
            name,
            rows: Vec::new(),
        });
        let row = find_or_push(&mut group.rows, &a.row, |name| SeatRow {
            name,
            seats: Vec::new(),
        });
        row.seats.push(Seat {
            id: line.id,
            label: a.label,
            category: line.category,
        });
    }
    SeatMap {
        sections,
        ga_areas,
        seat_count,
    }
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for Section {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for SeatGroup {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for SeatRow {
    fn name(&self) -> &str {
        &self.name
    }
}

/// The entry named `name`: the last one in the common case of sorted input, else searched.
fn find_or_push<'v, T: Named>(
    items: &'v mut Vec<T>,
    name: &str,
    make: impl FnOnce(String) -> T,
) -> &'v mut T {
    let position = match items.last() {
        Some(last) if last.name() == name => Some(items.len() - 1),
        _ => items.iter().position(|item| item.name() == name),
    };
    let index = match position {
        Some(index) => index,
        None => {
            items.push(make(name.to_string()));
            items.len() - 1
        }
    };
    &mut items[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(section: &str, group: &str, row: &str, label: &str) -> PlannedSeat {
        PlannedSeat {
            id: None,
            address: SeatAddress {
                section: section.into(),
                group: group.into(),
                row: row.into(),
                label: label.into(),
            },
            category: None,
            origin: Origin::FileRow(1),
        }
    }

    #[test]
    fn rows_listed_apart_are_brought_together_in_order_of_first_appearance() {
        let mut seats = vec![
            seat("Parterre", "Left", "A", "1"),
            seat("Balcony", "Mid", "A", "1"),
            seat("Parterre", "Left", "B", "1"),
            seat("Parterre", "Left", "A", "2"),
        ];
        sort_into_tree_order(&mut seats);
        let order: Vec<String> = seats.iter().map(|s| s.address.to_string()).collect();
        assert_eq!(
            order,
            [
                "Parterre / Left / A / 1",
                "Parterre / Left / A / 2",
                "Parterre / Left / B / 1",
                "Balcony / Mid / A / 1",
            ]
        );
    }

    #[test]
    fn a_seat_at_an_unchanged_address_keeps_its_id_and_explicit_ids_win() {
        let kept = SeatId::generate();
        let renamed = SeatId::generate();
        let stored = vec![
            StoredSeat {
                id: kept.clone(),
                address: seat("P", "G", "A", "1").address,
            },
            StoredSeat {
                id: renamed.clone(),
                address: seat("P", "G", "A", "2").address,
            },
        ];
        let mut moved = seat("P", "G", "B", "2");
        moved.id = Some(renamed.clone());
        let plan = SeatMapPlan {
            seats: vec![seat("P", "G", "A", "1"), moved, seat("P", "G", "A", "2")],
            ga_areas: vec![],
        };
        let assignment = assign_ids(&plan, &stored, &[]).expect("valid");
        assert_eq!(assignment.seat_ids[0], kept);
        assert_eq!(assignment.seat_ids[1], renamed);
        assert_ne!(
            assignment.seat_ids[2], renamed,
            "an id is never given twice"
        );
        assert!(assignment.removed_seats.is_empty());
    }

    #[test]
    fn an_id_of_another_venue_is_refused() {
        let mut foreign = seat("P", "G", "A", "1");
        foreign.id = Some(SeatId::generate());
        foreign.origin = Origin::Path("sections[0].groups[0].rows[0].seats[0]".into());
        let plan = SeatMapPlan {
            seats: vec![foreign],
            ga_areas: vec![],
        };
        let err = assign_ids(&plan, &[], &[]).err().map(|e| e.to_string());
        assert!(err
            .unwrap_or_default()
            .starts_with("sections[0].groups[0].rows[0].seats[0].id:"));
    }

    #[test]
    fn timezones_are_checked_for_shape() {
        assert!(validate_timezone("America/Argentina/Buenos_Aires").is_ok());
        assert!(validate_timezone("UTC").is_ok());
        assert!(validate_timezone("").is_err());
        assert!(validate_timezone("Europe/Copen hagen").is_err());
    }
}
