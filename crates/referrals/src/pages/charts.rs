//! The report's charts, drawn on the server as SVG: no script, no framework, readable by a
//! screen reader (`role="img"` with a title and a description, and each bar or point with its own
//! `<title>` naming the day and the figure). Colours come from the stylesheet's classes, so the
//! Content-Security-Policy needs no inline style.

use std::fmt::Write;

use crate::service::report::Day;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bars,
    Line,
}

/// One chart: its id (for the accessible names), title, description, and a value per day.
pub(crate) struct Chart<'a> {
    pub id: &'a str,
    pub title: String,
    pub desc: String,
    /// What one value is called in a point's tooltip ("clicks").
    pub unit: String,
    pub kind: Kind,
    pub points: Vec<(String, u64)>,
}

/// The days' clicks or tickets as chart points.
pub(crate) fn series(days: &[Day], pick: fn(&Day) -> u64) -> Vec<(String, u64)> {
    days.iter().map(|d| (d.date.clone(), pick(d))).collect()
}

/// Text safe inside SVG markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round top for the y axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let top = step.saturating_mul(m);
            if top >= max {
                return top.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

impl Chart<'_> {
    /// The chart as an `<svg>` element (to be inserted unescaped: every text in it is escaped).
    pub(crate) fn svg(&self) -> String {
        let mut out = String::new();
        let id = escape(self.id);
        let _ = write!(
            out,
            "<svg class=\"chart chart-kind-{kind}\" id=\"{id}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMidYMid meet\">\
             <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
            kind = if self.kind == Kind::Bars { "bars" } else { "line" },
            title = escape(&self.title),
            desc = escape(&self.desc),
        );
        let max = self.points.iter().map(|(_, v)| *v).max().unwrap_or(0);
        // At least 2, so that the middle gridline is a whole number too.
        let top = nice_top(max).max(2);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let base = TOP + plot_h;
        // Axis and gridlines at 0, half and the top.
        for (value, y) in [(0, base), (top / 2, TOP + plot_h / 2.0), (top, TOP)] {
            let _ = write!(
                out,
                "<line class=\"chart-grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{x2:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"chart-label\" x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{value}</text>",
                x2 = WIDTH - RIGHT,
                lx = LEFT - 6.0,
                ty = y + 4.0,
            );
        }
        let n = self.points.len();
        if n == 0 {
            out.push_str("</svg>");
            return out;
        }
        let slot = plot_w / n as f64;
        let y_of = |v: u64| base - plot_h * (v as f64) / (top as f64);
        let x_of = |i: usize| LEFT + slot * (i as f64) + slot / 2.0;
        match self.kind {
            Kind::Bars => {
                // A few days' bars are not wider than a thumb.
                let bar = (slot * 0.7).clamp(1.0, 36.0);
                for (i, (label, value)) in self.points.iter().enumerate() {
                    let y = y_of(*value);
                    let _ = write!(
                        out,
                        "<rect class=\"chart-bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\">\
                         <title>{label}: {value} {unit}</title></rect>",
                        x = x_of(i) - bar / 2.0,
                        h = (base - y).max(0.0),
                        label = escape(label),
                        unit = escape(&self.unit),
                    );
                }
            }
            Kind::Line => {
                let points: Vec<String> = self
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, (_, v))| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
                    .collect();
                let _ = write!(
                    out,
                    "<polyline class=\"chart-line\" fill=\"none\" points=\"{}\"/>",
                    points.join(" ")
                );
                for (i, (label, value)) in self.points.iter().enumerate() {
                    let _ = write!(
                        out,
                        "<circle class=\"chart-point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\">\
                         <title>{label}: {value} {unit}</title></circle>",
                        x = x_of(i),
                        y = y_of(*value),
                        label = escape(label),
                        unit = escape(&self.unit),
                    );
                }
            }
        }
        // The first and last day under the axis (every day's label would not fit).
        let label_y = HEIGHT - 8.0;
        if let Some((first, _)) = self.points.first() {
            let _ = write!(
                out,
                "<text class=\"chart-label\" x=\"{LEFT}\" y=\"{label_y}\" text-anchor=\"start\">{}</text>",
                escape(first)
            );
        }
        if n > 1 {
            if let Some((last, _)) = self.points.last() {
                let _ = write!(
                    out,
                    "<text class=\"chart-label\" x=\"{x}\" y=\"{label_y}\" text-anchor=\"end\">{}</text>",
                    escape(last),
                    x = WIDTH - RIGHT
                );
            }
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: Kind, points: Vec<(String, u64)>) -> String {
        Chart {
            id: "clicks-chart",
            title: "Clicks <per> day".into(),
            desc: "Human clicks".into(),
            unit: "clicks".into(),
            kind,
            points,
        }
        .svg()
    }

    #[test]
    fn a_bar_chart_has_a_bar_per_day_each_with_its_figure_and_escaped_text() {
        let svg = chart(
            Kind::Bars,
            vec![("2031-01-01".into(), 3), ("2031-01-02".into(), 0)],
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("<title>2031-01-01: 3 clicks</title>"), "{svg}");
        assert!(svg.contains("Clicks &lt;per&gt; day"), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_line_chart_has_a_point_per_day_and_an_empty_chart_is_still_drawn() {
        let svg = chart(
            Kind::Line,
            vec![("a".into(), 1), ("b".into(), 7), ("c".into(), 2)],
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<polyline"));
        let empty = chart(Kind::Line, Vec::new());
        assert!(empty.ends_with("</svg>") && !empty.contains("<circle"));
    }

    #[test]
    fn the_axis_tops_at_a_round_number() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(3), 5);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(120), 200);
    }
}
