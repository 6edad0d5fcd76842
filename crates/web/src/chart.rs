//! Server-rendered SVG charts: a bar chart any page can include, with no script and no front-end
//! build chain.
//!
//! [`bars`] returns the whole `<svg>` as a string; a template includes it with `{{ chart|safe }}`
//! (every label and value in it is escaped here). The chart is accessible: `role="img"`, the
//! title as `aria-label` and `<title>`, and every bar's label and value in a `<desc>` and in the
//! bar's own `<title>` (a tooltip on hover). It scales with its container through the `viewBox`;
//! its look comes from the `chart*` classes in `static/app.css` (no `style` attribute: the CSP
//! refuses them).
//!
//! ```
//! let points = vec![("1 Mar".to_string(), 3), ("2 Mar".to_string(), 5)];
//! let svg = fullhouse_web::chart::bars(&points, |n| n.to_string(), "Tickets sold per day");
//! assert!(svg.starts_with("<svg"));
//! assert_eq!(svg.matches("<rect").count(), 2);
//! ```

use std::fmt::Write;

// The drawing's own units; the SVG is as wide as its container (CSS), so these only set the
// proportions and the text size relative to the bars.
const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 200.0;
const TOP: f64 = 22.0; // room for the value above the highest bar and the top grid label
const BOTTOM: f64 = 22.0; // room for the labels under the bars
const SIDE: f64 = 4.0;
// Above this many bars the values no longer fit above them: they stay in the tooltips and the
// `<desc>`, and only every n-th label is written under the axis.
const MAX_VALUES_SHOWN: usize = 12;
const MAX_LABELS_SHOWN: usize = 8;

/// A vertical bar chart of `points` (label, value), in the given order.
///
/// `format_value` writes a value for people (e.g. `|n| lang.number(n)` or
/// `|minor| lang.money(minor, &currency)`); it is used for the values above the bars, the grid
/// labels and the accessible description. `title` names the chart for screen readers and
/// tooltips (it is not drawn: the page shows its own heading). Negative values are drawn as
/// empty bars but described with their value.
pub fn bars(points: &[(String, i64)], format_value: impl Fn(i64) -> String, title: &str) -> String {
    let max = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(0);
    let top = nice_ceiling(max);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let baseline = HEIGHT - BOTTOM;
    let count = points.len().max(1);
    let slot = (WIDTH - 2.0 * SIDE) / count as f64;
    let bar_width = (slot * 0.7).max(1.0);
    let label_every = points.len().div_ceil(MAX_LABELS_SHOWN).max(1);
    let show_values = points.len() <= MAX_VALUES_SHOWN;

    let title = escape(title);
    let mut svg = String::with_capacity(512 + points.len() * 256);
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>{title}</title><desc>"#
    );
    let description: Vec<String> = points
        .iter()
        .map(|(label, value)| format!("{}: {}", escape(label), escape(&format_value(*value))))
        .collect();
    svg.push_str(&description.join("; "));
    svg.push_str("</desc>");

    // Grid: the baseline (0), the middle and the top of the scale, each with its value.
    for (fraction, value) in [(0.0, 0), (0.5, top / 2), (1.0, top)] {
        let y = baseline - plot_height * fraction;
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="{SIDE}" y1="{y:.1}" x2="{x2}" y2="{y:.1}"/><text class="chart-axis" x="{SIDE}" y="{ty:.1}">{label}</text>"#,
            x2 = WIDTH - SIDE,
            ty = y - 3.0,
            label = escape(&format_value(value)),
        );
    }

    for (index, (label, value)) in points.iter().enumerate() {
        let height = if top > 0 {
            plot_height * ((*value).max(0) as f64 / top as f64)
        } else {
            0.0
        };
        let center = SIDE + slot * (index as f64 + 0.5);
        let x = center - bar_width / 2.0;
        let y = baseline - height;
        let label = escape(label);
        let formatted = escape(&format_value(*value));
        let _ = write!(
            svg,
            r#"<rect class="chart-bar" x="{x:.1}" y="{y:.1}" width="{bar_width:.1}" height="{height:.1}"><title>{label}: {formatted}</title></rect>"#
        );
        if show_values {
            let _ = write!(
                svg,
                r#"<text class="chart-value" x="{center:.1}" y="{vy:.1}" text-anchor="middle">{formatted}</text>"#,
                vy = y - 4.0,
            );
        }
        if index % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="chart-label" x="{center:.1}" y="{ly:.1}" text-anchor="middle">{label}</text>"#,
                ly = HEIGHT - 6.0,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The smallest 1, 2, 2.5 or 5 times a power of ten at or above `max` (and at least 1), so the
/// grid's values are round.
fn nice_ceiling(max: i64) -> i64 {
    if max <= 1 {
        return 1;
    }
    let mut power: i64 = 1;
    while let Some(next) = power.checked_mul(10).filter(|next| *next <= max) {
        power = next;
    }
    for step in [10, 20, 25, 50, 100] {
        if let Some(candidate) = power.checked_mul(step).map(|c| c / 10).filter(|c| *c >= max) {
            return candidate;
        }
    }
    max
}

/// Text and attribute values made safe for XML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[i64]) -> Vec<(String, i64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("day {i}"), *v))
            .collect()
    }

    #[test]
    fn one_bar_per_point_with_its_value_described() {
        let svg = bars(&points(&[3, 0, 7]), |n| format!("{n} sold"), "Sales");
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="Sales""#));
        assert!(svg.contains("<title>day 2: 7 sold</title>"));
        assert!(svg.contains("<desc>day 0: 3 sold; day 1: 0 sold; day 2: 7 sold</desc>"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn the_highest_bar_reaches_the_nice_top_of_the_scale() {
        // 100 is its own nice ceiling, so the bar fills the plot from the top line to the baseline.
        let svg = bars(&points(&[100]), |n| n.to_string(), "t");
        assert!(svg.contains(&format!(r#"y="{TOP:.1}""#)));
        assert!(svg.contains(&format!(r#"height="{:.1}""#, HEIGHT - TOP - BOTTOM)));
        assert_eq!(nice_ceiling(73), 100);
        assert_eq!(nice_ceiling(180), 200);
        assert_eq!(nice_ceiling(2100), 2500);
        assert_eq!(nice_ceiling(0), 1);
    }

    #[test]
    fn labels_and_title_are_escaped() {
        let svg = bars(
            &[("<b>&\"x\"".to_string(), 1)],
            |n| n.to_string(),
            "a<script>",
        );
        assert!(!svg.contains("<b>"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;b&gt;&amp;&quot;x&quot;"));
    }

    #[test]
    fn many_bars_keep_values_in_tooltips_and_thin_out_labels() {
        let svg = bars(&points(&[1; 30]), |n| n.to_string(), "t");
        assert_eq!(svg.matches("<rect").count(), 30);
        assert_eq!(svg.matches("chart-value").count(), 0);
        assert!(svg.matches("chart-label").count() <= MAX_LABELS_SHOWN);
    }

    #[test]
    fn no_points_and_negative_values_draw_without_panicking() {
        assert!(bars(&[], |n| n.to_string(), "t").ends_with("</svg>"));
        let svg = bars(&points(&[-5, i64::MAX]), |n| n.to_string(), "t");
        assert!(svg.contains("day 0: -5"));
    }
}
