//! Uses per day as a small server-drawn SVG bar chart (no script, no inline style: the
//! Content-Security-Policy allows neither; colours come from `campaigns.css`).

use chrono::NaiveDate;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar per day from the first to the last day with uses (days without uses stand at zero),
/// the highest count on the axis, and the first and last days under it. `label` names the chart
/// for screen readers; `day` writes a day in the reader's language.
pub fn bars(points: &[(NaiveDate, i64)], label: &str, day: impl Fn(NaiveDate) -> String) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let days = usize::try_from((last.0 - first.0).num_days() + 1)
        .unwrap_or(1)
        .clamp(1, 3_660);
    let mut counts = vec![0i64; days];
    for (date, count) in points {
        let index = usize::try_from((*date - first.0).num_days()).unwrap_or(0);
        if let Some(slot) = counts.get_mut(index) {
            *slot += count;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let plot_width = WIDTH - LEFT - 8.0;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let step = plot_width / days as f64;
    let bar = (step * 0.8).max(1.0);
    let mut svg = format!(
        "<svg class=\"uses-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{label}\" preserveAspectRatio=\"xMinYMin meet\"><title>{label}</title>",
        label = escape(label)
    );
    let base = TOP + plot_height;
    svg.push_str(&format!(
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>",
        WIDTH - 8.0
    ));
    svg.push_str(&format!(
        "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text><text class=\"tick\" x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        LEFT - 6.0,
        TOP + 10.0,
        LEFT - 6.0
    ));
    for (i, count) in counts.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        let height = plot_height * (*count as f64) / (max as f64);
        let x = LEFT + step * i as f64 + (step - bar) / 2.0;
        let date = first.0 + chrono::Duration::days(i64::try_from(i).unwrap_or(0));
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{height:.1}\"><title>{}: {count}</title></rect>",
            base - height,
            escape(&day(date))
        ));
    }
    svg.push_str(&format!(
        "<text class=\"tick\" x=\"{LEFT}\" y=\"{}\">{}</text>",
        HEIGHT - 6.0,
        escape(&day(first.0))
    ));
    if days > 1 {
        svg.push_str(&format!(
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            WIDTH - 8.0,
            HEIGHT - 6.0,
            escape(&day(last.0))
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_without_uses_is_a_gap_and_the_highest_day_reaches_the_top() {
        let d = |day| NaiveDate::from_ymd_opt(2027, 3, day).expect("date");
        let svg = bars(&[(d(1), 2), (d(3), 4)], "Uses <per> day", |x| x.to_string());
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains("aria-label=\"Uses &lt;per&gt; day\""), "{svg}");
        assert!(svg.contains("<title>2027-03-03: 4</title>"), "{svg}");
        assert!(svg.contains(">2027-03-01</text>") && svg.contains(">2027-03-03</text>"));
        assert_eq!(bars(&[], "none", |x| x.to_string()), "");
    }
}
