//! Writing reports out: Markdown (for mail), self-contained HTML with SVG
//! charts (for reading), CSV and JSON (for export), and the agenda as
//! Markdown.

use crate::reports::chart;
use crate::reports::figures::{Agenda, CaseLine, Report};
use crate::reports::html::escape as html_escape;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown, for mail.
    Markdown,
    /// Self-contained HTML with SVG charts.
    Html,
    /// CSV: one figure per row (`section,item,value`).
    Csv,
    /// JSON: the report as one object.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format '{s}'; use md, html, csv or json")),
        }
    }
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

/// Markdown table cell: no pipes or line breaks from free text.
fn cell(s: &str) -> String {
    s.replace('|', "/").replace(['\r', '\n'], " ")
}

fn case_table(out: &mut String, lines: &[CaseLine]) {
    if lines.is_empty() {
        out.push_str("_Geen._\n\n");
        return;
    }
    out.push_str("| Zaak | Ontvangen | Status | Categorie | Behandelaar | Standpunt uiterlijk | Onderwerp |\n|---|---|---|---|---|---|---|\n");
    for l in lines {
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {}{} | {} |",
            l.case,
            if l.urgent { " (urgent)" } else { "" },
            l.received,
            l.state.label("nl"),
            cell(&l.category),
            cell(&l.handler),
            l.due,
            if l.overdue { " **verlopen**" } else { "" },
            cell(&l.subject)
        );
    }
    out.push('\n');
}

fn counts_table(out: &mut String, head: &str, m: &BTreeMap<String, u32>) {
    let _ = writeln!(out, "| {head} | Aantal |\n|---|---:|");
    for (k, v) in m {
        let _ = writeln!(out, "| {} | {v} |", cell(k));
    }
    out.push('\n');
}

impl Report {
    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Markdown => self.markdown(),
            Format::Html => self.html(),
            Format::Csv => self.csv(),
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
        }
    }

    fn title(&self) -> String {
        format!(
            "Klachtenrapportage {} — {} t/m {}{}",
            self.organisation,
            self.from,
            self.to,
            if self.anonymised {
                " (geanonimiseerd)"
            } else {
                ""
            }
        )
    }

    /// Markdown, for mail.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        self.markdown_summary(&mut o);
        self.markdown_terms(&mut o);
        self.markdown_causes_and_measures(&mut o);
        let _ = writeln!(o, "## Open zaken\n");
        case_table(&mut o, &self.open_cases);
        o
    }

    /// Title, summary, messages, categories and channels.
    fn markdown_summary(&self, o: &mut String) {
        let _ = writeln!(o, "# {}\n", self.title());
        let _ = writeln!(o, "{}. Stand per {}.\n", self.policy, self.made_local);
        let _ = writeln!(o, "## Samenvatting\n");
        let _ = writeln!(
            o,
            "- Klachten ontvangen: **{}** (vorige periode: {})",
            self.cases, self.cases_before
        );
        let _ = writeln!(
            o,
            "- Gegrond: {}, ongegrond: {}, niet beoordeeld: {}, niet in behandeling genomen: {}",
            self.justified, self.unjustified, self.not_judged, self.not_accepted
        );
        let _ = writeln!(
            o,
            "- Urgent: {}; afgehandeld: {}; beroep: {}",
            self.urgent, self.closed, self.appeals
        );
        let a = &self.appeal_outcomes;
        if a.lodged > 0 {
            let _ = writeln!(
                o,
                "- Beroep ingesteld door de klager: {} (gegrond: {}, ongegrond: {}, nog open: {})",
                a.lodged, a.justified, a.unjustified, a.open
            );
        }
        if self.damage_claims > 0 {
            let _ = writeln!(
                o,
                "- Schadeclaims: {} (waarvan te laat ingediend: {})",
                self.damage_claims, self.damage_claims_late
            );
        }
        if self.both_sides_heard > 0 {
            let _ = writeln!(
                o,
                "- Reactie van de betrokkene gehoord: {}",
                self.both_sides_heard
            );
        }
        let _ = writeln!(
            o,
            "- Nu open: {} (waarvan {} over de termijn)",
            self.open_now, self.overdue_now
        );
        let _ = writeln!(
            o,
            "- Termijn verlengd: {} zaken ({} verlengingen)\n",
            self.extended_cases, self.extensions
        );
        let _ = writeln!(o, "## Binnengekomen berichten per soort\n");
        counts_table(o, "Soort", &self.messages_by_label);
        let _ = writeln!(o, "## Klachten per categorie (met vorige periode)\n");
        let _ = writeln!(
            o,
            "| Categorie | Aantal | Vorige periode |\n|---|---:|---:|"
        );
        for t in &self.category_trend {
            let _ = writeln!(o, "| {} | {} | {} |", cell(&t.item), t.now, t.before);
        }
        o.push('\n');
        let _ = writeln!(o, "## Klachten per kanaal\n");
        counts_table(o, "Kanaal", &self.by_channel);
    }

    /// The terms, resolution time and satisfaction.
    fn markdown_terms(&self, o: &mut String) {
        let _ = writeln!(o, "## Termijnen (in werkdagen)\n");
        let _ = writeln!(o, "| Termijn | Norm | Op tijd | Te laat | Verlopen open | Lopend | Op tijd % | Gemiddeld | Mediaan | Langst |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for t in &self.terms {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                t.name.replace('_', " "),
                t.term,
                t.on_time,
                t.late,
                t.overdue,
                t.open,
                pct(t.share_on_time),
                num(t.days.mean),
                num(t.days.median),
                t.days
                    .max
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(
            o,
            "\nAfhandeling (ontvangst tot opgelost): {} zaken, gemiddeld {} werkdagen, mediaan {}.\n",
            self.resolve_days.count,
            num(self.resolve_days.mean),
            num(self.resolve_days.median)
        );
        let _ = writeln!(o, "## Tevredenheid\n");
        counts_table(o, "Oordeel", &self.satisfaction);
        if let Some(m) = self.satisfaction_mark {
            let _ = writeln!(o, "Gemiddeld cijfer: {m:.1}\n");
        }
    }

    /// Causes against the period before, and the measures taken.
    fn markdown_causes_and_measures(&self, o: &mut String) {
        let _ = writeln!(o, "## Oorzaken (terugkerend: twee keer of vaker)\n");
        if self.causes.is_empty() {
            o.push_str("_Geen oorzaken geregistreerd._\n\n");
        } else {
            let _ = writeln!(
                o,
                "| Oorzaak | Aantal | Vorige periode | |\n|---|---:|---:|---|"
            );
            for t in &self.causes {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    cell(&t.item),
                    t.now,
                    t.before,
                    if t.now >= 2 { "terugkerend" } else { "" }
                );
            }
            o.push('\n');
        }
        let _ = writeln!(o, "## Genomen maatregelen\n");
        if self.measures.is_empty() {
            o.push_str("_Geen maatregelen geregistreerd._\n\n");
        } else {
            for m in &self.measures {
                let _ = writeln!(
                    o,
                    "- {} ({}): {}{}",
                    m.case,
                    cell(&m.category),
                    cell(&m.measure),
                    m.cause
                        .as_ref()
                        .map(|c| format!(" — oorzaak: {}", cell(c)))
                        .unwrap_or_default()
                );
            }
            o.push('\n');
        }
    }

    /// CSV: `section,item,value`, one figure per row.
    pub fn csv(&self) -> String {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        let mut put = |s: &str, i: &str, v: String| rows.push((s.into(), i.into(), v));
        put("period", "from", self.from.to_string());
        put("period", "to", self.to.to_string());
        put("period", "made", self.made.to_rfc3339());
        put("period", "anonymised", self.anonymised.to_string());
        put("cases", "received", self.cases.to_string());
        put("cases", "received_before", self.cases_before.to_string());
        put("cases", "urgent", self.urgent.to_string());
        put("cases", "justified", self.justified.to_string());
        put("cases", "unjustified", self.unjustified.to_string());
        put("cases", "not_judged", self.not_judged.to_string());
        put("cases", "not_accepted", self.not_accepted.to_string());
        put("cases", "closed", self.closed.to_string());
        put("cases", "appeals", self.appeals.to_string());
        put("appeals", "lodged", self.appeal_outcomes.lodged.to_string());
        put(
            "appeals",
            "justified",
            self.appeal_outcomes.justified.to_string(),
        );
        put(
            "appeals",
            "unjustified",
            self.appeal_outcomes.unjustified.to_string(),
        );
        put("appeals", "open", self.appeal_outcomes.open.to_string());
        put("cases", "damage_claims", self.damage_claims.to_string());
        put(
            "cases",
            "damage_claims_late",
            self.damage_claims_late.to_string(),
        );
        put(
            "cases",
            "both_sides_heard",
            self.both_sides_heard.to_string(),
        );
        put("cases", "open_now", self.open_now.to_string());
        put("cases", "overdue_now", self.overdue_now.to_string());
        put("cases", "extended_cases", self.extended_cases.to_string());
        put("cases", "extensions", self.extensions.to_string());
        for (k, v) in &self.messages_by_label {
            put("messages_by_label", k, v.to_string());
        }
        for (k, v) in &self.by_category {
            put("by_category", k, v.to_string());
        }
        for (k, v) in &self.by_channel {
            put("by_channel", k, v.to_string());
        }
        for (k, v) in &self.by_month {
            put("by_month", k, v.to_string());
        }
        for t in &self.terms {
            let s = format!("term:{}", t.name);
            put(&s, "term", t.term.clone());
            put(&s, "on_time", t.on_time.to_string());
            put(&s, "late", t.late.to_string());
            put(&s, "overdue", t.overdue.to_string());
            put(&s, "open", t.open.to_string());
            put(
                &s,
                "share_on_time",
                t.share_on_time.map(|x| x.to_string()).unwrap_or_default(),
            );
            put(
                &s,
                "mean_workdays",
                t.days.mean.map(|x| x.to_string()).unwrap_or_default(),
            );
            put(
                &s,
                "median_workdays",
                t.days.median.map(|x| x.to_string()).unwrap_or_default(),
            );
        }
        put("resolve", "count", self.resolve_days.count.to_string());
        put(
            "resolve",
            "mean_workdays",
            self.resolve_days
                .mean
                .map(|x| x.to_string())
                .unwrap_or_default(),
        );
        for (k, v) in &self.satisfaction {
            put("satisfaction", k, v.to_string());
        }
        if let Some(m) = self.satisfaction_mark {
            put("satisfaction", "mean_mark", m.to_string());
        }
        for t in &self.causes {
            put("causes", &t.item, t.now.to_string());
            put("causes_before", &t.item, t.before.to_string());
        }
        for m in &self.measures {
            put("measures", &m.case, m.measure.clone());
        }
        let mut out = String::from("section,item,value\n");
        for (s, i, v) in rows {
            let _ = writeln!(out, "{},{},{}", csv_field(&s), csv_field(&i), csv_field(&v));
        }
        out
    }

    /// Self-contained HTML with SVG charts.
    pub fn html(&self) -> String {
        let e = html_escape;
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{}</style></head><body>\n",
            e(&self.title()),
            STYLE
        );
        let _ = writeln!(o, "<h1>{}</h1>", e(&self.title()));
        let _ = writeln!(
            o,
            "<p class=\"sub\">{}. Stand per {}.</p>",
            e(&self.policy),
            self.made_local
        );
        let _ = writeln!(o, "<div class=\"tiles\">");
        for (label, value) in [
            ("Klachten", self.cases.to_string()),
            ("Vorige periode", self.cases_before.to_string()),
            ("Gegrond", self.justified.to_string()),
            ("Ongegrond", self.unjustified.to_string()),
            ("Nu open", self.open_now.to_string()),
            ("Over de termijn", self.overdue_now.to_string()),
        ] {
            let _ = writeln!(
                o,
                "<div class=\"tile\"><b>{}</b><span>{}</span></div>",
                e(&value),
                e(label)
            );
        }
        let _ = writeln!(o, "</div>");
        let items = |m: &BTreeMap<String, u32>| -> Vec<(String, f64)> {
            m.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
        };
        o.push_str("<section class=\"charts\">\n");
        o.push_str(&chart::columns(
            "Klachten per maand",
            &items(&self.by_month),
        ));
        o.push_str(&chart::bars(
            "Klachten per categorie",
            &items(&self.by_category),
            "",
        ));
        o.push_str(&chart::bars(
            "Op tijd per termijn",
            &self
                .terms
                .iter()
                .filter_map(|t| {
                    t.share_on_time
                        .map(|s| (t.name.replace('_', " "), s * 100.0))
                })
                .collect::<Vec<_>>(),
            "%",
        ));
        o.push_str(&chart::bars(
            "Berichten per soort",
            &items(&self.messages_by_label),
            "",
        ));
        if !self.satisfaction.is_empty() {
            o.push_str(&chart::bars("Tevredenheid", &items(&self.satisfaction), ""));
        }
        o.push_str("</section>\n");
        // The tables are the Markdown's, as HTML.
        let _ = writeln!(o, "<h2>Termijnen (werkdagen)</h2><table><tr><th>Termijn</th><th>Norm</th><th>Op tijd</th><th>Te laat</th><th>Verlopen open</th><th>Lopend</th><th>Op tijd %</th><th>Gemiddeld</th><th>Mediaan</th></tr>");
        for t in &self.terms {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&t.name.replace('_', " ")), e(&t.term), t.on_time, t.late, t.overdue, t.open, pct(t.share_on_time), num(t.days.mean), num(t.days.median)
            );
        }
        o.push_str("</table>\n");
        let _ = writeln!(o, "<h2>Oorzaken</h2><table><tr><th>Oorzaak</th><th>Aantal</th><th>Vorige periode</th></tr>");
        for t in &self.causes {
            let _ = writeln!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
                if t.now >= 2 {
                    " class=\"recurring\""
                } else {
                    ""
                },
                e(&t.item),
                t.now,
                t.before
            );
        }
        o.push_str("</table>\n<h2>Maatregelen</h2><ul>\n");
        for m in &self.measures {
            let _ = writeln!(
                o,
                "<li>{} ({}): {}</li>",
                e(&m.case),
                e(&m.category),
                e(&m.measure)
            );
        }
        let _ = writeln!(o, "</ul>\n<h2>Open zaken</h2><table><tr><th>Zaak</th><th>Ontvangen</th><th>Status</th><th>Categorie</th><th>Standpunt uiterlijk</th><th>Onderwerp</th></tr>");
        for l in &self.open_cases {
            let _ = writeln!(
                o,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if l.overdue { " class=\"late\"" } else { "" },
                e(&l.case),
                l.received,
                e(l.state.label("nl")),
                e(&l.category),
                l.due,
                e(&l.subject)
            );
        }
        o.push_str("</table>\n</body></html>\n");
        o
    }
}

impl Agenda {
    /// The agenda as Markdown, for mail.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Klachtenoverleg {} — {}\n",
            self.organisation, self.date
        );
        let _ = writeln!(
            o,
            "Binnengekomen sinds {}: **{}**. Open: **{}**, waarvan **{}** over de termijn.\n",
            self.since,
            self.new_cases.len(),
            self.open_cases.len(),
            self.overdue
        );
        let _ = writeln!(o, "## Nieuwe klachten\n");
        case_table(&mut o, &self.new_cases);
        let _ = writeln!(o, "## Open klachten (verlopen eerst)\n");
        case_table(&mut o, &self.open_cases);
        o
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}h1{font-size:1.5em}.sub{color:#555}.tiles{display:flex;gap:1em;flex-wrap:wrap}.tile{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:7em}.tile b{display:block;font-size:1.6em}.tile span{color:#555}.charts{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}tr.late td{background:#fde2e2}tr.recurring td{font-weight:bold}";

/// A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is
/// neutralised so a spreadsheet does not run customer text as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-3"), "-3");
    }
}
