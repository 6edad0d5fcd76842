//! The links of a sorted, paged list: column headers that sort (and say how the list is
//! sorted, for screen readers too), and a pager that goes back as well as forward.
//!
//! A list page builds one [`ListLinks`] from its path, the filters to keep in every link, the
//! sort it shows and the cursors its service gave, then its results partial writes
//! `{{ links.sort_header("date", label)|safe }}` inside `<th aria-sort="{{ links.aria_sort("date") }}">`
//! and `{{ links.pager(ui.lang)|safe }}` under the table. Links load the results partial with
//! htmx into `#results` and work as plain links without it. A sort is written `date` (ascending)
//! or `-date` (descending); changing the sort starts again from the first page.

use std::borrow::Borrow;

use crate::i18n::Lang;
use crate::layout::next_link;

#[derive(Debug, Clone)]
pub struct ListLinks {
    path: String,
    /// The filters every link keeps, e.g. `[("q", "hamlet")]` (empty ones are left out).
    params: Vec<(String, String)>,
    /// The column sorted by, without the `-`.
    column: String,
    descending: bool,
    prev: Option<String>,
    next: Option<String>,
}

impl ListLinks {
    /// Links for the list at `path`, sorted by `sort` (`column` or `-column`).
    pub fn new(path: &str, params: &[(&str, &str)], sort: &str) -> Self {
        let (column, descending) = parse_sort(sort);
        ListLinks {
            path: path.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            column: column.to_string(),
            descending,
            prev: None,
            next: None,
        }
    }

    /// The cursors of the previous and the next page, as the list's service gave them.
    pub fn with_cursors(mut self, prev: Option<String>, next: Option<String>) -> Self {
        self.prev = prev;
        self.next = next;
        self
    }

    /// The sort as written in links: `date` or `-date`.
    pub fn sort(&self) -> String {
        if self.descending {
            format!("-{}", self.column)
        } else {
            self.column.clone()
        }
    }

    fn link(&self, sort: &str, cursor: Option<&str>) -> String {
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        params.push(("sort", sort));
        match cursor {
            Some(cursor) => next_link(&self.path, &params, cursor),
            None => {
                let query = next_link("", &params, "");
                // `next_link` always ends with the cursor; without one the query stops before it.
                let query = query
                    .strip_suffix("&cursor=")
                    .or_else(|| query.strip_suffix("?cursor="))
                    .unwrap_or(&query)
                    .to_string();
                format!("{}{query}", self.path)
            }
        }
    }

    /// Where a click on `column`'s header goes: the same column the other way round, another
    /// column ascending; always the first page.
    pub fn sort_href(&self, column: &str) -> String {
        let sort = if column == self.column && !self.descending {
            format!("-{column}")
        } else {
            column.to_string()
        };
        self.link(&sort, None)
    }

    /// `aria-sort` of `column`'s header: `ascending`, `descending` or `none`.
    pub fn aria_sort(&self, column: &str) -> &'static str {
        match (column == self.column, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The inside of a sortable column's `<th>`: a link that sorts by it, with an arrow when
    /// the list is sorted by it.
    pub fn sort_header(&self, column: &str, label: impl AsRef<str>) -> String {
        let href = escape(&self.sort_href(column));
        let arrow = match self.aria_sort(column) {
            "ascending" => " ▲",
            "descending" => " ▼",
            _ => "",
        };
        format!(
            r##"<a class="sort" href="{href}" hx-get="{href}" hx-target="#results" hx-push-url="true">{}<span aria-hidden="true">{arrow}</span></a>"##,
            escape(label.as_ref())
        )
    }

    pub fn prev_href(&self) -> Option<String> {
        self.prev
            .as_deref()
            .map(|cursor| self.link(&self.sort(), Some(cursor)))
    }

    pub fn next_href(&self) -> Option<String> {
        self.next
            .as_deref()
            .map(|cursor| self.link(&self.sort(), Some(cursor)))
    }

    /// The pager under the list (nothing when it fits on one page).
    pub fn pager(&self, lang: impl Borrow<Lang>) -> String {
        let lang = *lang.borrow();
        let (prev, next) = (self.prev_href(), self.next_href());
        if prev.is_none() && next.is_none() {
            return String::new();
        }
        let mut html = format!(
            r#"<nav class="pager" aria-label="{}">"#,
            escape(&lang.t("pager"))
        );
        for (href, key, rel) in [(prev, "previous-page", "prev"), (next, "next-page", "next")] {
            if let Some(href) = href {
                let href = escape(&href);
                html.push_str(&format!(
                    r##"<a href="{href}" hx-get="{href}" hx-target="#results" hx-push-url="true" role="button" class="outline" rel="{rel}">{}</a>"##,
                    escape(&lang.t(key))
                ));
            }
        }
        html.push_str("</nav>");
        html
    }
}

/// `-date` → (`date`, descending); `date` → (`date`, ascending).
pub fn parse_sort(sort: &str) -> (&str, bool) {
    match sort.strip_prefix('-') {
        Some(column) => (column, true),
        None => (sort, false),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_sorts_by_its_column_and_turns_the_order_round() {
        let links = ListLinks::new("/events", &[("q", "Lear & co"), ("when", "")], "date");
        assert_eq!(links.aria_sort("date"), "ascending");
        assert_eq!(links.aria_sort("name"), "none");
        assert_eq!(
            links.sort_href("date"),
            "/events?q=Lear%20%26%20co&sort=-date"
        );
        assert_eq!(
            links.sort_href("name"),
            "/events?q=Lear%20%26%20co&sort=name"
        );
        let down = ListLinks::new("/events", &[], "-date");
        assert_eq!(down.aria_sort("date"), "descending");
        assert_eq!(down.sort_href("date"), "/events?sort=date");
        assert!(down.sort_header("date", "Date").contains("▼"));
    }

    #[test]
    fn the_pager_goes_both_ways_and_keeps_sort_and_filters() {
        let links = ListLinks::new("/customers", &[("tag", "vip")], "-name")
            .with_cursors(Some("pa~cus_1".into()), Some("nb~cus_9".into()));
        assert_eq!(
            links.prev_href().as_deref(),
            Some("/customers?tag=vip&sort=-name&cursor=pa~cus_1")
        );
        let pager = links.pager(Lang::En);
        assert!(pager.contains(r#"rel="prev""#) && pager.contains(r#"rel="next""#));
        let single = ListLinks::new("/customers", &[], "name");
        assert_eq!(single.pager(Lang::En), "");
    }
}
