//! A seat map read from a CSV file: the columns (with their English, Danish and French
//! names), and every row checked into the same plan the JSON map becomes.

use std::collections::HashMap;

use fullhouse_core::tabular::{whole_number, ColumnMap, FieldSpec, Row, Table};
use fullhouse_core::{Error, FieldError, Reason, Result};

use super::*;

/// The columns of a seat-map file, with the header names (English, Danish, French, and the
/// field names of DESIGN §1.0) that map to them.
pub const SEAT_MAP_COLUMNS: [FieldSpec; 7] = [
    FieldSpec {
        name: "section",
        aliases: &["sectionName", "section name", "sektion", "afsnit", "sektor"],
        required: false,
    },
    FieldSpec {
        name: "group",
        aliases: &[
            "block",
            "groupName",
            "group name",
            "blok",
            "gruppe",
            "bloc",
            "groupe",
        ],
        required: false,
    },
    FieldSpec {
        name: "row",
        aliases: &["rowName", "row name", "række", "raekke", "rang", "rangée"],
        required: false,
    },
    FieldSpec {
        name: "seat",
        aliases: &[
            "seat label",
            "seatLabel",
            "seat_label",
            "label",
            "plads",
            "sæde",
            "siège",
            "place",
        ],
        required: false,
    },
    FieldSpec {
        name: "category",
        aliases: &["kategori", "catégorie", "price zone", "seat category"],
        required: false,
    },
    FieldSpec {
        name: "ga",
        aliases: &[
            "gaName",
            "ga name",
            "ga area",
            "general admission",
            "ståplads",
            "ståområde",
            "placement libre",
        ],
        required: false,
    },
    FieldSpec {
        name: "capacity",
        aliases: &["kapacitet", "capacité", "antal", "nombre de places"],
        required: false,
    },
];

const SEAT_COLUMNS: [&str; 4] = ["section", "group", "row", "seat"];

/// Reads a seat map from a parsed CSV table. Each row is a seat (section, group, row, seat and
/// optionally category) or a GA area (ga, capacity and optionally category). Every bad row is
/// reported with its number, column and reason; duplicate addresses are errors.
pub fn plan_from_table(table: &Table) -> Result<SeatMapPlan> {
    let map = ColumnMap::from_headers(&table.headers, &SEAT_MAP_COLUMNS)?;
    check_columns(&map)?;
    if table.rows.is_empty() {
        return Err(Error::invalid(
            "file",
            "has no rows below the header; an empty file would remove the whole seat map",
        ));
    }
    let reader = FileReader {
        map: &map,
        headers: &table.headers,
    };
    let mut problems = Problems::default();
    let mut plan = SeatMapPlan::default();
    let mut seat_rows: HashMap<SeatAddress, u64> = HashMap::new();
    let mut ga_rows: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        if reader.value(row, "ga").is_some() {
            reader.ga_row(row, &mut problems, &mut plan, &mut ga_rows);
        } else {
            reader.seat_row(row, &mut problems, &mut plan, &mut seat_rows);
        }
    }
    check_size(&mut problems, &plan, "file");
    sort_into_tree_order(&mut plan.seats);
    problems.finish(plan)
}

/// The file must name every seat column, or a GA column, or both.
fn check_columns(map: &ColumnMap) -> Result<()> {
    let has_seats = SEAT_COLUMNS.iter().any(|c| map.column(c).is_some());
    let has_ga = map.column("ga").is_some();
    if !has_seats && !has_ga {
        return Err(Error::invalid(
            "file",
            "no column names a seat (section, group, row, seat) or a GA area (ga, capacity)",
        ));
    }
    let mut missing = Vec::new();
    if has_seats {
        for column in SEAT_COLUMNS {
            if map.column(column).is_none() {
                missing.push(FieldError::new(
                    column,
                    format!("no column maps to this field; seats need a `{column}` column"),
                ));
            }
        }
    }
    if has_ga && map.column("capacity").is_none() {
        missing.push(FieldError::new(
            "capacity",
            "no column maps to this field; GA areas need a `capacity` column",
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_fields(missing))
    }
}

struct FileReader<'a> {
    map: &'a ColumnMap,
    headers: &'a [String],
}

impl FileReader<'_> {
    fn value<'r>(&self, row: &'r Row, field: &str) -> Option<&'r str> {
        self.map.get(row, field)
    }

    /// The column as the file names it, so the organizer finds it in their spreadsheet.
    fn column(&self, field: &str) -> String {
        self.map
            .header(self.headers, field)
            .unwrap_or(field)
            .to_string()
    }

    fn error(&self, row: &Row, field: &str, reason: impl Into<Reason>) -> FieldError {
        FieldError::at_row(row.number, self.column(field), reason)
    }

    fn name(&self, row: &Row, field: &str, problems: &mut Problems) -> String {
        let value = self.value(row, field).unwrap_or_default();
        problems.check(map_name(value), |r| self.error(row, field, r))
    }

    fn category(&self, row: &Row, problems: &mut Problems) -> Option<String> {
        problems.check(map_category(self.value(row, "category")), |r| {
            self.error(row, "category", r)
        })
    }

    fn seat_row(
        &self,
        row: &Row,
        problems: &mut Problems,
        plan: &mut SeatMapPlan,
        seen: &mut HashMap<SeatAddress, u64>,
    ) {
        if self.value(row, "capacity").is_some() {
            problems.push(self.error(
                row,
                "capacity",
                "is only for GA areas; fill the GA column too, or leave capacity empty",
            ));
        }
        let address = SeatAddress {
            section: self.name(row, "section", problems),
            group: self.name(row, "group", problems),
            row: self.name(row, "row", problems),
            label: self.name(row, "seat", problems),
        };
        let category = self.category(row, problems);
        let complete = [
            &address.section,
            &address.group,
            &address.row,
            &address.label,
        ]
        .iter()
        .all(|part| !part.is_empty());
        if complete {
            if let Some(first) = seen.get(&address) {
                problems.push(self.error(
                    row,
                    "seat",
                    format!("seat {address} is already on row {first}"),
                ));
                return;
            }
            seen.insert(address.clone(), row.number);
        }
        plan.seats.push(PlannedSeat {
            id: None,
            address,
            category,
            origin: Origin::FileRow(row.number),
        });
    }

    fn ga_row(
        &self,
        row: &Row,
        problems: &mut Problems,
        plan: &mut SeatMapPlan,
        seen: &mut HashMap<String, u64>,
    ) {
        if SEAT_COLUMNS.iter().any(|c| self.value(row, c).is_some()) {
            problems.push(self.error(
                row,
                "ga",
                "a row is either a seat or a GA area; leave section, group, row and seat empty on GA rows",
            ));
        }
        let name = self.name(row, "ga", problems);
        let capacity = match self.value(row, "capacity").map(whole_number) {
            Some(Ok(n)) if n >= 1 => n,
            Some(Ok(_)) => {
                problems.push(self.error(row, "capacity", "must be a whole number, 1 or more"));
                0
            }
            Some(Err(reason)) => {
                problems.push(self.error(row, "capacity", reason));
                0
            }
            None => {
                problems.push(self.error(row, "capacity", "cannot be empty for a GA area"));
                0
            }
        };
        let category = self.category(row, problems);
        if !name.is_empty() {
            if let Some(first) = seen.get(&name) {
                problems.push(self.error(
                    row,
                    "ga",
                    format!("GA area `{name}` is already on row {first}"),
                ));
                return;
            }
            seen.insert(name.clone(), row.number);
        }
        plan.ga_areas.push(PlannedGaArea {
            id: None,
            name,
            capacity,
            category,
            origin: Origin::FileRow(row.number),
        });
    }
}

/// Orders seats by section, then group, then row, each in order of first appearance, keeping the
/// file's order within a row: a file may list a section's rows apart, but the map shows them
/// together.
pub fn sort_into_tree_order(seats: &mut [PlannedSeat]) {
    let mut keys = Vec::with_capacity(seats.len());
    {
        let mut section_rank: HashMap<&str, usize> = HashMap::new();
        let mut group_rank: HashMap<(&str, &str), usize> = HashMap::new();
        let mut row_rank: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (index, seat) in seats.iter().enumerate() {
            let a = &seat.address;
            let next = section_rank.len();
            let s = *section_rank.entry(&a.section).or_insert(next);
            let next = group_rank.len();
            let g = *group_rank.entry((&a.section, &a.group)).or_insert(next);
            let next = row_rank.len();
            let r = *row_rank
                .entry((&a.section, &a.group, &a.row))
                .or_insert(next);
            keys.push(((s, g, r, index), index));
        }
    }
    keys.sort_unstable();
    let order: Vec<usize> = keys.into_iter().map(|(_, index)| index).collect();
    apply_order(seats, &order);
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`.
fn apply_order<T: Clone>(items: &mut [T], order: &[usize]) {
    let original = items.to_vec();
    for (slot, from) in items.iter_mut().zip(order) {
        if let Some(item) = original.get(*from) {
            *slot = item.clone();
        }
    }
}
