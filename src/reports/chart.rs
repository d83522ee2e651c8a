//! Small SVG charts for the HTML report: horizontal bars and monthly
//! columns. Written by hand rather than with a plotting crate: the charts
//! are simple, the output is deterministic and self-contained (no fonts to
//! embed, no scripts), and the build stays lean on a two-core machine.

use crate::reports::html::escape as html_escape;
use std::fmt::Write as _;

const WIDTH: f64 = 460.0;
const COLOUR: &str = "#2b6cb0";

fn nice_max(items: &[(String, f64)]) -> f64 {
    items
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0)
}

fn value_text(v: f64, unit: &str) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// Horizontal bars, one per item, with the value after the bar.
pub fn bars(title: &str, items: &[(String, f64)], unit: &str) -> String {
    let row = 24.0;
    let label_w = 180.0;
    let height = 34.0 + row * items.len().max(1) as f64;
    let max = if unit == "%" { 100.0 } else { nice_max(items) };
    let bar_w = WIDTH - label_w - 60.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\" font-family=\"sans-serif\">{t}</text>",
        t = html_escape(title)
    );
    if items.is_empty() {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"44\" font-size=\"12\" font-family=\"sans-serif\" fill=\"#666\">geen gegevens</text>"
        );
    }
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 28.0 + row * i as f64;
        let w = (v / max * bar_w).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\" font-family=\"sans-serif\">{l}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{COLOUR}\"><title>{l}: {vt}</title></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\" font-family=\"sans-serif\">{vt}</text>",
            lx = label_w - 6.0,
            ty = y + 12.5,
            l = html_escape(&truncate(label, 24)),
            vx = label_w + w + 4.0,
            vt = value_text(*v, unit),
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

/// Vertical columns, e.g. cases per month.
pub fn columns(title: &str, items: &[(String, f64)]) -> String {
    let height = 200.0;
    let base = height - 30.0;
    let top = 30.0;
    let max = nice_max(items);
    let n = items.len().max(1) as f64;
    let slot = (WIDTH - 20.0) / n;
    let col = (slot * 0.7).min(40.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\" font-family=\"sans-serif\">{t}</text>\
         <line x1=\"10\" y1=\"{base}\" x2=\"{x2}\" y2=\"{base}\" stroke=\"#999\"/>",
        t = html_escape(title),
        x2 = WIDTH - 10.0,
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let h = v / max * (base - top);
        let x = 10.0 + slot * i as f64 + (slot - col) / 2.0;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{col:.1}\" height=\"{h:.1}\" fill=\"{COLOUR}\"><title>{l}: {vt}</title></rect>\
             <text x=\"{cx:.1}\" y=\"{vy:.1}\" font-size=\"11\" text-anchor=\"middle\" font-family=\"sans-serif\">{vt}</text>\
             <text x=\"{cx:.1}\" y=\"{ly}\" font-size=\"10\" text-anchor=\"middle\" font-family=\"sans-serif\">{short}</text>",
            y = base - h,
            cx = x + col / 2.0,
            vy = base - h - 3.0,
            ly = base + 14.0,
            l = html_escape(label),
            short = html_escape(label.get(5..).unwrap_or(label)),
            vt = value_text(*v, ""),
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_to_the_largest() {
        let svg = bars(
            "Per <categorie>",
            &[("a&b".into(), 2.0), ("c".into(), 4.0)],
            "",
        );
        assert!(svg.contains("Per &lt;categorie&gt;") && svg.contains("a&amp;b"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("width=\"220.0\""), "{svg}");
    }

    #[test]
    fn columns_draw_one_per_month() {
        let svg = columns(
            "Per maand",
            &[("2026-01".into(), 3.0), ("2026-02".into(), 0.0)],
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">01<") && svg.contains(">02<"));
    }
}
