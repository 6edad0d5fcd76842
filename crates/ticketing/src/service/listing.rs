//! Lists sorted by a column and paged both ways by keyset: what the organizer's lists (events,
//! customers) read.
//!
//! A page's cursor names the row it starts after (or before) by the sort key **and** the id, so
//! a page stays right when rows are added or removed between two clicks, and ties on the key
//! (two events at the same hour, customers without a last name) are broken by id. The cursor
//! says its direction: `n…` reads the page after a row, `p…` the page before one (read in the
//! opposite order and turned around).

use chrono::{DateTime, SecondsFormat, Utc};
use fullhouse_core::{Error, Result};
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Value,
};

/// One page of a sorted list, with the cursors of its neighbours and the number of rows the
/// whole list has.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Rows matching the filters, over every page.
    pub total: u64,
    /// Pass as the cursor to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as the cursor to read the previous page; absent on the first page.
    pub prev_cursor: Option<String>,
}

impl<T> Listing<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            next_cursor: self.next_cursor,
            prev_cursor: self.prev_cursor,
        }
    }
}

/// A sort key's value as a cursor holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    Time(DateTime<Utc>),
    Text(String),
}

impl Key {
    fn encode(&self) -> String {
        match self {
            Key::Time(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Key::Text(text) => text.clone(),
        }
    }

    fn value(&self) -> Value {
        match self {
            Key::Time(at) => (*at).into(),
            Key::Text(text) => text.clone().into(),
        }
    }
}

/// How a list is sorted: an expression (a column, or a text column with empty for none) and a
/// direction; the id breaks ties in the same direction.
#[derive(Debug, Clone)]
pub(crate) struct SortKey {
    expr: SimpleExpr,
    time: bool,
    pub(crate) descending: bool,
}

impl SortKey {
    pub(crate) fn time(column: impl ColumnTrait, descending: bool) -> Self {
        SortKey {
            expr: Expr::col(column).into(),
            time: true,
            descending,
        }
    }

    /// A text column that always has a value (an id): the index on it answers the order.
    pub(crate) fn plain_text(column: impl ColumnTrait, descending: bool) -> Self {
        SortKey {
            expr: Expr::col(column).into(),
            time: false,
            descending,
        }
    }

    /// A text column; rows without a value sort as empty text (first when ascending), the same
    /// on both backends.
    pub(crate) fn text(column: impl ColumnTrait, descending: bool) -> Self {
        let value: SimpleExpr = Expr::col(column).into();
        SortKey {
            expr: Func::coalesce([value, Expr::val("").into()]).into(),
            time: false,
            descending,
        }
    }

    fn parse(&self, text: &str) -> Result<Key> {
        if self.time {
            DateTime::parse_from_rfc3339(text)
                .map(|at| Key::Time(at.with_timezone(&Utc)))
                .map_err(|_| bad_cursor())
        } else {
            Ok(Key::Text(text.to_string()))
        }
    }
}

fn bad_cursor() -> Error {
    Error::invalid(
        "cursor",
        "is not a cursor of this list; start from the first page",
    )
}

/// A cursor as read: which way, from which row.
struct Position {
    forward: bool,
    key: Key,
    id: String,
}

fn parse_cursor(sort: &SortKey, cursor: &str) -> Result<Position> {
    let (forward, rest) = match cursor.split_at_checked(1) {
        Some(("n", rest)) => (true, rest),
        Some(("p", rest)) => (false, rest),
        _ => return Err(bad_cursor()),
    };
    // Ids never hold `~`; a text key may, so the id is what follows the last one. (`~` needs
    // no escaping in an address, so an API client can pass the cursor back as it is.)
    let (key, id) = rest.rsplit_once('~').ok_or_else(bad_cursor)?;
    if id.is_empty() {
        return Err(bad_cursor());
    }
    Ok(Position {
        forward,
        key: sort.parse(key)?,
        id: id.to_string(),
    })
}

fn cursor(forward: bool, key: &Key, id: &str) -> String {
    format!("{}{}~{id}", if forward { "n" } else { "p" }, key.encode())
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window<'a> {
    /// A cursor of a page read before; none for the first page.
    pub(crate) cursor: Option<&'a str>,
    pub(crate) limit: u64,
    /// Whether to count every row the filters keep (one more statement).
    pub(crate) count: bool,
}

/// One page of `select` in `sort` order, with the total when the window asks for it
/// (otherwise 0). `key_of` gives a row's sort key and id, as the cursor will name them.
pub(crate) async fn fetch_listing<E>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    id_column: E::Column,
    sort: &SortKey,
    window: Window<'_>,
    key_of: impl Fn(&E::Model) -> (Key, String),
) -> Result<Listing<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sized + Send + Sync,
{
    let Window {
        cursor: cursor_text,
        limit,
        count,
    } = window;
    let total = if count {
        select.clone().count(conn).await?
    } else {
        0
    };
    let position = cursor_text
        .filter(|c| !c.is_empty())
        .map(|c| parse_cursor(sort, c))
        .transpose()?;
    let forward = position.as_ref().is_none_or(|p| p.forward);
    // Reading forward in a descending list, or backward in an ascending one, walks down.
    let down = forward == sort.descending;
    let mut select = select;
    if let Some(p) = &position {
        let key = p.key.value();
        let id = p.id.clone();
        let (beyond, id_beyond) = if down {
            (
                Expr::expr(sort.expr.clone()).lt(key.clone()),
                id_column.lt(id),
            )
        } else {
            (
                Expr::expr(sort.expr.clone()).gt(key.clone()),
                id_column.gt(id),
            )
        };
        select = select.filter(
            Condition::any().add(beyond).add(
                Condition::all()
                    .add(Expr::expr(sort.expr.clone()).eq(key))
                    .add(id_beyond),
            ),
        );
    }
    let order = if down { Order::Desc } else { Order::Asc };
    let mut rows = select
        .order_by(sort.expr.clone(), order.clone())
        .order_by(id_column, order)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    if !forward {
        rows.reverse();
    }
    let first = rows.first().map(&key_of);
    let last = rows.last().map(&key_of);
    // Forward: more rows beyond means a next page, a cursor means a previous one; backward,
    // the other way round.
    let (has_next, has_prev) = if forward {
        (more, position.is_some())
    } else {
        (true, more)
    };
    Ok(Listing {
        items: rows,
        total,
        next_cursor: last
            .filter(|_| has_next)
            .map(|(key, id)| cursor(true, &key, &id)),
        prev_cursor: first
            .filter(|_| has_prev)
            .map(|(key, id)| cursor(false, &key, &id)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_its_direction_key_and_id_and_reads_back() {
        let sort = SortKey {
            expr: Expr::val(1).into(),
            time: false,
            descending: false,
        };
        let text = cursor(false, &Key::Text("a~b".into()), "cus_1");
        assert_eq!(text, "pa~b~cus_1");
        let p = parse_cursor(&sort, &text).expect("cursor");
        assert!(!p.forward);
        assert_eq!(p.key, Key::Text("a~b".into()));
        assert_eq!(p.id, "cus_1");
        assert!(
            parse_cursor(&sort, "cus_1").is_err(),
            "an old id-only cursor"
        );
        assert!(parse_cursor(&sort, "nkey~").is_err());
    }

    #[test]
    fn a_time_cursor_keeps_every_digit_of_the_time() {
        let sort = SortKey {
            expr: Expr::val(1).into(),
            time: true,
            descending: false,
        };
        let at = DateTime::parse_from_rfc3339("2027-03-16T19:30:00.123456789Z")
            .expect("time")
            .with_timezone(&Utc);
        let text = cursor(true, &Key::Time(at), "evt_1");
        let p = parse_cursor(&sort, &text).expect("cursor");
        assert_eq!(p.key, Key::Time(at));
        assert!(parse_cursor(&sort, "nyesterday~evt_1").is_err());
    }
}
