//! The weekly report: KPIs, charts and `index.html`, one self-contained page that works offline
//! (charts are SVG files beside it, the table sorting and filtering is inline script).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::chart::{self, BarChart, CurveChart, ForecastChart, ProjectionChart, RangeChart};
use crate::error::Result;
use crate::forecast::Forecasts;
use crate::ingest::Dataset;
use crate::kpi::Kpis;
use crate::output::write_text;
use crate::plan::{consumption_values, Plan, PlanRow};
use crate::series::SeriesSet;

/// A point of the service-level trade-off: target, safety stock value, expected fill rate.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeOff {
    /// Label (a target such as `95%`, or a scenario name).
    pub label: String,
    /// Cycle service level targeted (or the mean implied by the plan).
    pub service: f64,
    /// Total safety stock value.
    pub safety_stock_value: f64,
    /// Demand-weighted expected fill rate.
    pub fill_rate: f64,
    /// Average stock value: (safety stock + half a cycle quantity) x unit cost.
    pub avg_inventory_value: f64,
}

/// Extra sections other commands add to the page.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Sections shown first, under the headline figures: title and HTML body.
    pub top: Vec<(String, String)>,
    /// Section title and HTML body.
    pub sections: Vec<(String, String)>,
}

/// Everything the page shows.
pub struct ReportInput<'a> {
    /// Data read.
    pub ds: &'a Dataset,
    /// Series.
    pub set: &'a SeriesSet,
    /// Forecasts.
    pub fc: &'a Forecasts,
    /// The plan.
    pub plan: &'a Plan,
    /// KPIs.
    pub kpis: &'a Kpis,
    /// Service trade-off curve (may be empty).
    pub curve: &'a [TradeOff],
    /// The plan's own point on the curve.
    pub current: Option<TradeOff>,
    /// Planning date.
    pub as_of: NaiveDate,
    /// Draw per-SKU charts for every SKU, not only the ones that matter most.
    pub all_charts: bool,
    /// Calibration note.
    pub calibration: String,
}

/// Text escaped for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn money(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The SKUs that get their own charts: the largest order values and the highest stockout
/// risks (twelve of each), or all.
pub fn chart_skus(rows: &[PlanRow], all: bool) -> Vec<&PlanRow> {
    if all {
        return rows.iter().collect();
    }
    let mut by_value: Vec<&PlanRow> = rows.iter().filter(|r| r.order_value > 0.0).collect();
    by_value.sort_by(|a, b| b.order_value.total_cmp(&a.order_value).then(a.sku.cmp(&b.sku)));
    let mut by_risk: Vec<&PlanRow> = rows.iter().filter(|r| r.stockout_risk > 0.0).collect();
    by_risk.sort_by(|a, b| b.stockout_risk.total_cmp(&a.stockout_risk).then(a.sku.cmp(&b.sku)));
    let mut out: Vec<&PlanRow> = Vec::new();
    for r in by_value.into_iter().take(12).chain(by_risk.into_iter().take(12)) {
        if !out.iter().any(|x| x.sku == r.sku) {
            out.push(r);
        }
    }
    out
}

fn safe_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// A table of three KPIs per scope (a supplier, a location): `heads` are the column titles,
/// `scopes` the (label, KPI scope) of each row; `-` where a KPI is missing.
fn scope_table(html: &mut String, k: &Kpis, heads: [&str; 4], scopes: &[(&str, String)], kpis: [&str; 3]) {
    let _ = writeln!(html, "<table><tr>{}</tr>", heads.map(|h| format!("<th>{h}</th>")).concat());
    for (label, scope) in scopes {
        let v = |kpi: &str| {
            k.rows
                .iter()
                .find(|x| &x.scope == scope && x.kpi == kpi)
                .map_or(String::from("-"), |x| format!("{:.1}", x.value))
        };
        let _ = writeln!(
            html,
            "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(label),
            v(kpis[0]),
            v(kpis[1]),
            v(kpis[2])
        );
    }
    html.push_str("</table>\n");
}

/// The `cap` items of largest value (`key` gives the value and a name that breaks ties), in
/// that order; all of them, as they are, when there are no more than `cap`.
fn largest<T>(mut items: Vec<T>, cap: usize, key: impl Fn(&T) -> (f64, &str)) -> Vec<T> {
    if items.len() > cap {
        items.sort_by(|a, b| {
            let (a, b) = (key(a), key(b));
            b.0.total_cmp(&a.0).then(a.1.cmp(b.1))
        });
        items.truncate(cap);
    }
    items
}

/// Most proposal lines the report's table shows.
pub const REPORT_LINES: usize = 5_000;

/// Draws every chart and writes `index.html` (plus `kpis` are written by the caller).
pub fn write(out: &Path, r: &ReportInput, extra: &Extra) -> Result<Vec<PathBuf>> {
    let dir = out.join("charts");
    std::fs::create_dir_all(&dir).map_err(|e| crate::error::Error::Write { path: dir.clone(), source: e })?;
    let period = r.set.period;
    let mut files = Vec::new();

    // Portfolio: ABC Pareto of consumption value.
    let items = r.ds.items.as_ref();
    let consumption = consumption_values(r.ds, r.set);
    let mut values: Vec<(String, f64)> =
        r.plan.rows.iter().map(|p| (p.sku.clone(), consumption.get(&p.sku_index).copied().unwrap_or(0.0))).collect();
    values.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = values.iter().map(|v| v.1).sum::<f64>().max(1e-9);
    let mut cum = 0.0;
    let cumulative: Vec<f64> = values
        .iter()
        .map(|v| {
            cum += v.1;
            100.0 * cum / total
        })
        .collect();
    let pareto = chart::bars(
        &dir,
        "abc_pareto",
        &BarChart {
            title: "ABC: yearly consumption value by SKU".into(),
            x_label: "SKUs, largest value first".into(),
            y_label: "yearly consumption value".into(),
            labels: (1..=values.len()).map(|i| i.to_string()).collect(),
            values: values.iter().map(|v| v.1).collect(),
            bar_name: "consumption value".into(),
            cumulative: Some(cumulative),
        },
    )?;
    // Backorder rate by period (the last two years).
    let bp: Vec<&(NaiveDate, crate::kpi::OrderCounts)> =
        r.kpis.by_period.iter().rev().take(2 * period.per_year()).collect::<Vec<_>>().into_iter().rev().collect();
    let brate = chart::bars(
        &dir,
        "backorder_rate",
        &BarChart {
            title: format!("Backorder rate per {}", period.name()),
            x_label: "period start".into(),
            y_label: "orders with a backordered line, %".into(),
            labels: bp.iter().map(|x| x.0.format("%Y-%m-%d").to_string()).collect(),
            values: bp.iter().map(|x| x.1.backorder_rate()).collect(),
            bar_name: "backorder rate".into(),
            cumulative: None,
        },
    )?;
    // Lead times per supplier.
    let lts = chart::ranges(
        &dir,
        "lead_times",
        &RangeChart {
            title: "Supplier lead times from receipts".into(),
            x_label: "days from order to receipt".into(),
            rows: r
                .plan
                .lead_times
                .supplier
                .iter()
                .map(|(s, st)| {
                    let planned = r
                        .plan
                        .rows
                        .iter()
                        .filter(|p| &p.supplier == s)
                        .filter_map(|p| items.and_then(|m| m.get(&p.sku_index)).map(|i| i.lead_time_days))
                        .next();
                    (s.clone(), crate::leadtime::quantile_sorted(&st.samples, 0.1), st.p50, st.p90, planned)
                })
                .collect(),
        },
    )?;
    let mut portfolio = vec![("ABC Pareto", pareto), ("Backorder rate", brate), ("Lead times", lts)];
    if !r.curve.is_empty() {
        let c = chart::curve(
            &dir,
            "service_vs_safety_stock",
            &CurveChart {
                title: "Service level against safety stock value".into(),
                x_label: "cycle service level targeted, %".into(),
                y_label: "safety stock value".into(),
                points: r.curve.iter().map(|t| (100.0 * t.service, t.safety_stock_value)).collect(),
                curve_name: "same target for every item".into(),
                marks: r.current.iter().map(|t| (t.label.clone(), 100.0 * t.service, t.safety_stock_value)).collect(),
            },
        )?;
        portfolio.push(("Service against safety stock", c));
    }
    files.extend(portfolio.iter().map(|p| p.1.clone()));

    // Per SKU.
    let charted = chart_skus(&r.plan.rows, r.all_charts);
    // The charted items' backorders only: a million items have tens of millions.
    let mut backorder_periods: HashMap<u32, Vec<i64>> = charted.iter().map(|row| (row.sku_index, Vec::new())).collect();
    for (sku, date) in r.ds.backorder_days() {
        if let Some(v) = backorder_periods.get_mut(&sku) {
            v.push(period.index(date));
        }
    }
    let events = crate::events::by_sku(&r.ds.events, &r.ds.skus, r.ds.items.as_ref());
    let mut sku_charts = Vec::new();
    for row in charted {
        let i = row.sku_index as usize;
        let s = &r.set.series[i];
        let keep = s.values.len().min(2 * period.per_year());
        let first = s.values.len() - keep;
        let hist = &s.values[first..];
        let h = r.fc.skus[i].mean.len();
        let mut dates: Vec<NaiveDate> = (0..keep).map(|k| period.start(s.start + (first + k) as i64)).collect();
        dates.extend((0..h).map(|t| r.set.future_start(t)));
        let bands = (0..h).map(|t| {
            let q = r.fc.quantiles(i, t);
            (q[0], q[1], q[5], q[6])
        });
        let bo: Vec<usize> = backorder_periods
            .get(&row.sku_index)
            .map(|v| {
                let mut k: Vec<usize> = v
                    .iter()
                    .filter_map(|p| {
                        let off = p - s.start - first as i64;
                        (off >= 0 && (off as usize) < keep).then_some(off as usize)
                    })
                    .collect();
                k.sort_unstable();
                k.dedup();
                k
            })
            .unwrap_or_default();
        // Periods with a known event in force, history and future.
        let marked: Vec<usize> = events
            .get(&row.sku_index)
            .map(|evs| {
                let abs = |k: usize| {
                    if k < keep {
                        s.start + (first + k) as i64
                    } else {
                        r.set.horizon_start() + (k - keep) as i64
                    }
                };
                (0..keep + h).filter(|k| crate::events::lift(evs, period, abs(*k)).0 != 1.0).collect()
            })
            .unwrap_or_default();
        let stem = safe_name(&row.sku);
        let fpath = chart::forecast(
            &dir,
            &format!("{stem}_forecast"),
            &ForecastChart {
                title: format!("{}: demand and forecast ({}, {})", row.sku, row.model, row.class),
                y_label: format!("units per {}", period.name()),
                dates,
                history: hist.to_vec(),
                mean: r.fc.skus[i].mean.clone(),
                bands: bands.collect(),
                backorders: bo,
                events: marked,
            },
        )?;
        let idx = r.plan.rows.iter().position(|x| x.sku == row.sku).unwrap_or(0);
        let pj = &r.plan.projections[idx];
        let ppath = chart::projection(
            &dir,
            &format!("{stem}_projection"),
            &ProjectionChart {
                title: format!("{}: projected stock with the suggested order", row.sku),
                dates: pj.iter().map(|p| p.period_start).collect(),
                stock: pj.iter().map(|p| (p.on_hand_start, p.on_hand_end)).collect(),
                safety_stock: pj.iter().map(|p| p.safety_stock).collect(),
                reorder_point: pj.iter().map(|p| p.reorder_point).collect(),
                receipts: pj.iter().map(|p| p.receipts).collect(),
                stock_label: "projected on hand".into(),
            },
        )?;
        files.push(fpath.clone());
        files.push(ppath.clone());
        sku_charts.push((row, fpath, ppath));
    }

    let rel =
        |p: &Path| format!("charts/{}", p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let mut html = String::new();
    let orders: Vec<&PlanRow> = r.plan.rows.iter().filter(|x| x.order_qty > 0.0).collect();
    let value: f64 = orders.iter().map(|x| x.order_value).sum();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>replen report {as_of}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; max-width: 1400px; }}
h1 {{ margin-bottom: 4px; }} h2 {{ margin-top: 32px; border-bottom: 1px solid #ccc; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 150px; }}
.card b {{ display: block; font-size: 1.4em; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ddd; padding: 4px 6px; text-align: right; }}
th {{ background: #f2f4f8; cursor: pointer; position: sticky; top: 0; }}
td.t {{ text-align: left; }}
.charts img {{ width: 100%; max-width: 900px; border: 1px solid #eee; margin: 6px 0; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); gap: 12px; }}
.note {{ color: #555; font-size: 13px; }}
.scroll {{ max-height: 520px; overflow: auto; border: 1px solid #ddd; }}
</style></head><body>
<h1>Replenishment report</h1>
<div class="note">as of {as_of} &middot; {period}ly buckets &middot; {note}</div>
<div class="cards">
<div class="card">SKUs planned<b>{skus}</b></div>
<div class="card">lines to order<b>{lines}</b></div>
<div class="card">order value<b>{value}</b></div>
<div class="card">suppliers to order from<b>{sups}</b></div>
"#,
        as_of = r.as_of,
        period = period.name(),
        note = esc(&r.calibration),
        skus = r.plan.rows.len(),
        lines = orders.len(),
        value = money(value),
        sups = {
            let mut s: Vec<&str> = orders.iter().map(|x| x.supplier.as_str()).collect();
            s.sort_unstable();
            s.dedup();
            s.len()
        },
    );
    let get = |k: &str| r.kpis.rows.iter().find(|x| x.kpi == k && x.scope == "all").map(|x| x.value);
    for (k, label, unit) in [
        ("backorder_rate", "backorder rate", "%"),
        ("unit_fill_rate", "unit fill rate", "%"),
        ("forecast_wape", "forecast WAPE (backtest)", "%"),
        ("inventory_turnover", "inventory turnover", "x/yr"),
    ] {
        if let Some(v) = get(k) {
            let _ = writeln!(html, "<div class=\"card\">{label}<b>{v:.1} {unit}</b></div>");
        }
    }
    html.push_str("</div>\n");
    for (title, body) in &extra.top {
        let _ = write!(html, "<h2>{}</h2>\n{}\n", esc(title), body);
    }
    html.push_str("<h2>Portfolio</h2>\n<div class=\"grid charts\">\n");
    for (title, p) in &portfolio {
        let _ = writeln!(html, "<div><img src=\"{}\" alt=\"{}\"></div>", rel(p), esc(title));
    }
    html.push_str("</div>\n<h2>KPIs</h2>\n<div style=\"display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start\">\n<table><tr><th>KPI</th><th>value</th><th>unit</th></tr>\n");
    for k in r.kpis.rows.iter().filter(|k| k.scope == "all") {
        let _ = writeln!(
            html,
            "<tr><td class=\"t\">{}</td><td>{:.2}</td><td class=\"t\">{}</td></tr>",
            esc(&k.kpi),
            k.value,
            k.unit
        );
    }
    html.push_str("</table>\n");
    let mut sup_names: Vec<&str> = r
        .kpis
        .rows
        .iter()
        .filter(|k| k.scope != "all" && k.scope != "period" && !k.scope.starts_with("location:"))
        .map(|k| k.scope.as_str())
        .collect();
    sup_names.dedup();
    let sups: Vec<(&str, String)> = sup_names.iter().map(|s| (*s, s.to_string())).collect();
    scope_table(
        &mut html,
        r.kpis,
        ["supplier", "on time, %", "lead time, days", "days vs planned"],
        &sups,
        ["supplier_on_time_rate", "supplier_lead_time_days", "supplier_days_vs_planned"],
    );
    let mut loc_names: Vec<&str> = r.kpis.rows.iter().filter_map(|k| k.scope.strip_prefix("location:")).collect();
    loc_names.dedup();
    if !loc_names.is_empty() {
        let locs: Vec<(&str, String)> = loc_names.iter().map(|l| (*l, format!("location:{l}"))).collect();
        scope_table(
            &mut html,
            r.kpis,
            ["location", "orders", "backorder rate, %", "fill rate, %"],
            &locs,
            ["orders", "backorder_rate", "unit_fill_rate"],
        );
    }
    html.push_str("</div>\n");
    html.push_str("<h2>Suggested purchase orders</h2>\n");
    let mut sups: Vec<&str> = orders.iter().map(|x| x.supplier.as_str()).collect();
    sups.sort_unstable();
    sups.dedup();
    html.push_str("<p>Supplier: <select id=\"sup\" onchange=\"filt()\"><option value=\"\">all</option>");
    for s in &sups {
        let _ = write!(html, "<option>{}</option>", esc(s));
    }
    html.push_str("</select>");
    let mut locs: Vec<&str> =
        orders.iter().map(|x| crate::ingest::split_key(&x.sku).1).filter(|l| !l.is_empty()).collect();
    locs.sort_unstable();
    locs.dedup();
    html.push_str(" &middot; Location: <select id=\"loc\" onchange=\"filt()\"><option value=\"\">all</option>");
    for l in &locs {
        let _ = write!(html, "<option>{}</option>", esc(l));
    }
    html.push_str(
        "</select> &middot; click a column heading to sort</p>\n<div class=\"scroll\"><table id=\"po\"><thead><tr>",
    );
    let cols = [
        "PO",
        "SKU",
        "supplier",
        "ABC",
        "class",
        "method",
        "position",
        "reorder point",
        "order-up-to",
        "qty",
        "value",
        "arrival",
        "stockout risk",
        "runs out",
        "reason",
    ];
    for c in cols {
        let _ = write!(html, "<th>{c}</th>");
    }
    html.push_str("</tr></thead><tbody>\n");
    // A page of every line of a large catalogue would not open: past REPORT_LINES the table
    // shows the lines of largest value (the workbook and the CSV have them all).
    let mut sorted = largest(orders.clone(), REPORT_LINES, |o| (o.order_value, o.sku.as_str()));
    sorted.sort_by(|a, b| a.supplier.cmp(&b.supplier).then(a.sku.cmp(&b.sku)));
    for o in sorted {
        let _ = writeln!(
            html,
            "<tr data-sup=\"{sup}\" data-loc=\"{loc}\"><td class=\"t\">{po}</td><td class=\"t\">{sku}</td><td class=\"t\">{sup}</td><td class=\"t\">{abc}</td><td class=\"t\">{class}</td><td class=\"t\">{method}</td><td>{pos}</td><td>{rop}</td><td>{upto}</td><td>{qty}</td><td>{val:.2}</td><td class=\"t\">{arr}</td><td>{risk:.1}%</td><td class=\"t\">{out}</td><td class=\"t\">{reason}</td></tr>",
            sup = esc(&o.supplier),
            loc = esc(crate::ingest::split_key(&o.sku).1),
            po = esc(&o.po_number),
            sku = esc(&o.sku),
            abc = o.abc,
            class = o.class,
            method = o.method,
            pos = o.inventory_position,
            rop = o.reorder_point,
            upto = o.order_up_to,
            qty = o.order_qty,
            val = o.order_value,
            arr = o.expected_arrival,
            risk = 100.0 * o.stockout_risk,
            out = o.projected_stockout.map(|d| d.to_string()).unwrap_or_default(),
            reason = esc(&o.reason),
        );
    }
    html.push_str("</tbody></table></div>\n");
    if orders.len() > REPORT_LINES {
        let _ = writeln!(
            html,
            "<p class=\"note\">The {REPORT_LINES} lines of largest value of {} are shown; every line is in proposals.xlsx and proposals.csv.</p>",
            orders.len()
        );
    }
    for (title, body) in &extra.sections {
        let _ = write!(html, "<h2>{}</h2>\n{}\n", esc(title), body);
    }
    let _ = write!(
        html,
        "<h2>SKUs that matter most</h2>\n<p class=\"note\">The twelve largest orders and the twelve highest stockout risks{}. Bands: 80% and 90% of demand; triangles: periods with backorders. Projection: stock on the mean forecast with open orders, today's suggestion and later orders by the same policy.</p>\n<div class=\"grid charts\">\n",
        if r.all_charts { " (this run: every SKU)" } else { "; run with --charts all for every SKU" }
    );
    for (row, f, p) in &sku_charts {
        let _ = writeln!(
            html,
            "<div><img src=\"{}\" alt=\"{} forecast\"></div><div><img src=\"{}\" alt=\"{} projection\"></div>",
            rel(f),
            esc(&row.sku),
            rel(p),
            esc(&row.sku)
        );
    }
    html.push_str(
        r#"</div>
<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images); var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.body.setAttribute('data-images', bad.length ? 'missing ' + bad.length + ' of ' + imgs.length : 'ok ' + imgs.length); });
function filt() { var s = document.getElementById('sup').value, l = document.getElementById('loc').value;
  document.querySelectorAll('#po tbody tr').forEach(function (r) { r.style.display = ((!s || r.dataset.sup === s) && (!l || r.dataset.loc === l)) ? '' : 'none'; }); }
document.querySelectorAll('#po th').forEach(function (th, i) { th.addEventListener('click', function () {
  var tb = document.querySelector('#po tbody'); var rows = Array.from(tb.rows); var asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
  rows.sort(function (a, b) { var x = a.cells[i].innerText, y = b.cells[i].innerText; var nx = parseFloat(x), ny = parseFloat(y);
    var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y); return asc ? c : -c; });
  rows.forEach(function (r) { tb.appendChild(r); }); }); });
</script>
</body></html>
"#,
    );
    let index = out.join("index.html");
    write_text(&index, &html)?;
    files.push(index);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_keeps_the_lines_of_largest_value() {
        let lines = vec![("A", 5.0), ("B", 9.0), ("C", 1.0), ("D", 9.0), ("E", 7.0)];
        fn key<'a>(x: &'a (&'static str, f64)) -> (f64, &'a str) {
            (x.1, x.0)
        }
        assert_eq!(largest(lines.clone(), 3, key), [("B", 9.0), ("D", 9.0), ("E", 7.0)]);
        assert_eq!(largest(lines.clone(), 5, key), lines);
    }
}
