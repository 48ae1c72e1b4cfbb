//! What follows from a plan for the backorders: each waiting customer's date
//! (`backorder_eta.csv`), the alerts (`alerts.csv`, and `replen alerts`), and the stockout risk
//! scored against what happened after the as-of date, when that is known (`risk_check.csv`).

use super::*;
use crate::alerts::{alerts, Alert, AlertInput, Severity};
use crate::backorder::{etas, Eta};
use crate::report::esc;
use crate::risk::{self, RiskCheck};

/// Waiting customers' dates and the alerts of a plan.
pub struct FollowUps {
    /// Open backorder lines with their dates.
    pub etas: Vec<Eta>,
    /// Alerts, most severe first.
    pub alerts: Vec<Alert>,
}

/// Dates the open backorders from the plan's supply and raises the alerts. A shard raises its
/// items' alerts only: suppliers and KPIs are the portfolio's ([`portfolio_alerts`]).
pub(super) fn follow_ups(
    ds: &Dataset,
    p: &Plan,
    k: &Kpis,
    settings: &Settings,
    as_of: NaiveDate,
    shard: Option<&super::shard::Shard>,
) -> FollowUps {
    let planned: HashMap<u32, &PlanRow> = p.rows.iter().map(|r| (r.sku_index, r)).collect();
    // Lines of SKUs that are not planned (missing from items) are warned about on reading.
    let mut etas = etas(
        ds.backorders.iter().flatten().filter(|b| planned.contains_key(&b.sku)),
        as_of,
        |s| planned.get(&s).map_or(0.0, |r| r.on_hand),
        &p.incoming,
        |s| planned.get(&s).filter(|r| r.order_qty > 0.0).map(|r| (r.order_qty, r.expected_arrival)),
    );
    // By SKU code (a stable sort keeps each SKU's serving order).
    etas.sort_by(|a, b| ds.skus.name(a.sku).cmp(ds.skus.name(b.sku)));
    let incoming: Vec<&[crate::leadtime::Incoming]> =
        p.rows.iter().map(|r| p.incoming.get(&r.sku_index).map_or(&[][..], Vec::as_slice)).collect();
    let mut suppliers: Vec<(&str, &Stats)> = p.lead_times.supplier.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let mut recent = recent_kpis(k, settings, as_of);
    let all_pos = ds.purchase_orders.as_deref().unwrap_or(&[]);
    let shard_pos: Vec<crate::ingest::PurchaseOrder>;
    let mut pos = all_pos;
    if let Some(sh) = shard {
        suppliers.clear();
        recent.clear();
        shard_pos = all_pos.iter().filter(|x| sh.holds(ds.skus.name(x.sku))).cloned().collect();
        pos = &shard_pos;
    }
    let name = |s: u32| ds.skus.name(s).to_string();
    let alerts = alerts(&AlertInput {
        as_of,
        period_days: settings.period.days(),
        rows: &p.rows,
        incoming: &incoming,
        purchase_orders: pos,
        sku_name: &name,
        etas: &etas,
        suppliers: &suppliers,
        recent_kpis: &recent,
        settings: &settings.alerts,
    });
    FollowUps { etas, alerts }
}

/// The KPI periods the alert thresholds look at: the last ones before the as-of date.
fn recent_kpis(k: &Kpis, settings: &Settings, as_of: NaiveDate) -> Vec<(NaiveDate, crate::kpi::OrderCounts)> {
    let before: Vec<_> = k.by_period.iter().filter(|x| x.0 < as_of).cloned().collect();
    before[before.len().saturating_sub(settings.alerts.kpi_periods)..].to_vec()
}

/// The portfolio's alerts: late suppliers (from `lead_times`) and KPIs past their thresholds.
pub(super) fn portfolio_alerts(
    lead_times: &crate::leadtime::LeadTimes,
    k: &Kpis,
    settings: &Settings,
    as_of: NaiveDate,
) -> Vec<Alert> {
    let suppliers: Vec<(&str, &Stats)> = lead_times.supplier.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let recent = recent_kpis(k, settings, as_of);
    alerts(&AlertInput {
        as_of,
        period_days: settings.period.days(),
        rows: &[],
        incoming: &[],
        purchase_orders: &[],
        sku_name: &|_| String::new(),
        etas: &[],
        suppliers: &suppliers,
        recent_kpis: &recent,
        settings: &settings.alerts,
    })
}

/// `backorder_eta.csv` columns.
pub(super) fn eta_table(ds: &Dataset, e: &[Eta]) -> Table {
    Table::new()
        .sku_location(e.iter().map(|x| ds.skus.name(x.sku)))
        .text("order_id", e.iter().map(|x| x.order_id.as_str()))
        .date("date", e.iter().map(|x| x.date))
        .num("qty", e.iter().map(|x| x.qty))
        .opt_date("eta", e.iter().map(|x| x.eta))
        .text("source", e.iter().map(|x| x.source.as_str()))
        .text("eta_basis", e.iter().map(|x| x.basis))
        .opt_num("wait_days", e.iter().map(|x| x.eta.map(|d| (d - x.date).num_days() as f64)))
        .opt_num("priority", e.iter().map(|x| x.priority))
        .opt_date("promised_date", e.iter().map(|x| x.promised))
}

/// `alerts.csv` columns.
pub(super) fn alert_table(a: &[Alert]) -> Table {
    Table::new()
        .sku_location(a.iter().map(|x| x.sku.as_str()))
        .text("kind", a.iter().map(|x| x.kind))
        .text("severity", a.iter().map(|x| x.severity.name()))
        .opt_num("value", a.iter().map(|x| x.value))
        .opt_num("threshold", a.iter().map(|x| x.threshold))
        .text("message", a.iter().map(|x| x.message.as_str()))
        .text("supplier", a.iter().map(|x| x.supplier.as_str()))
}

/// The stockout risk scored against what happened after the as-of date: from `outcomes.csv`
/// in the data folder when present (as `generate` writes it), else from backorders created on
/// or after the as-of date when the history runs on past it (a plan for a past date). An item
/// counts as backordered when its first backorder came within its lead time of the as-of date
/// (the risk's horizon) when the dates are known; the whole window is scored beside it.
pub(super) fn risk_check(ds: &Dataset, p: &Plan, as_of: NaiveDate) -> Result<Option<RiskCheck>> {
    // Per planned SKU: backordered in the window, and the first backorder's date when known.
    let mut seen: HashMap<&str, (bool, Option<NaiveDate>)> = HashMap::new();
    let (source, dated) = if let Some(o) = ds.outcomes.as_ref() {
        let planned: std::collections::HashSet<&str> = p.rows.iter().map(|r| r.sku.as_str()).collect();
        for (sku, hit, first) in &o.rows {
            if let Some(k) = planned.get(sku.as_str()) {
                seen.insert(k, (*hit, *first));
            }
        }
        let dated = o.rows.iter().all(|x| !x.1 || x.2.is_some());
        (format!("{} ({} items)", o.path.display(), o.rows.len()), dated)
    } else {
        let Some((_, last)) = ds.sales_span() else { return Ok(None) };
        if (last - as_of).num_days() < 7 {
            return Ok(None);
        }
        for r in &p.rows {
            seen.insert(r.sku.as_str(), (false, None));
        }
        for b in ds.backorders.iter().flatten().filter(|b| b.date >= as_of && b.date <= last) {
            if let Some(h) = seen.get_mut(ds.skus.name(b.sku)) {
                h.0 = true;
                h.1 = Some(h.1.map_or(b.date, |d: NaiveDate| d.min(b.date)));
            }
        }
        (format!("backorders created {as_of} to {last}"), true)
    };
    let rows: Vec<&PlanRow> = p.rows.iter().filter(|r| seen.contains_key(r.sku.as_str())).collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let risk: Vec<f64> = rows.iter().map(|r| r.stockout_risk).collect();
    let score: Vec<f64> = rows.iter().map(|r| r.risk_score).collect();
    let cover: Vec<f64> = rows
        .iter()
        .map(|r| if r.demand_per_period > 0.0 { r.inventory_position / r.demand_per_period } else { f64::INFINITY })
        .collect();
    let window: Vec<bool> = rows.iter().map(|r| seen[r.sku.as_str()].0).collect();
    if !dated {
        return Ok(Some(risk::check(source, &risk, &score, &cover, &window, None)));
    }
    let within: Vec<bool> = rows
        .iter()
        .map(|r| {
            let end = add_days(as_of, r.lead_time_days.round().max(1.0) as i64);
            seen[r.sku.as_str()].1.is_some_and(|d| d >= as_of && d < end)
        })
        .collect();
    Ok(Some(risk::check(source, &risk, &score, &cover, &within, Some(&window))))
}

/// `risk_check.csv` columns: one row per risk band, then the AUCs (within the lead time, and
/// over the whole window when it differs).
pub(super) fn risk_table(c: &RiskCheck) -> Table {
    let b = &c.bands;
    let mut band: Vec<String> = b.iter().map(|x| format!("{}-{}", x.range.0, x.range.1)).collect();
    let mut items: Vec<u64> = b.iter().map(|x| x.items as u64).collect();
    let mut predicted: Vec<Option<f64>> = b.iter().map(|x| (x.items > 0).then(|| r3(x.predicted))).collect();
    let mut observed: Vec<Option<f64>> = b.iter().map(|x| (x.items > 0).then(|| r3(x.observed))).collect();
    let share = |h: usize| Some(r3(h as f64 / c.items.max(1) as f64));
    let mut aucs = vec![("auc_stockout_risk", c.auc, c.hits), ("auc_weeks_of_cover", c.auc_cover, c.hits)];
    if let Some(w) = &c.window {
        aucs.push(("window_auc_stockout_risk", w.auc, w.hits));
        aucs.push(("window_auc_weeks_of_cover", w.auc_cover, w.hits));
    }
    for (name, auc, hits) in aucs {
        band.push(name.into());
        items.push(c.items as u64);
        predicted.push(auc.map(|a| (a * 10_000.0).round() / 10_000.0));
        observed.push(share(hits));
    }
    Table::new().text("band", band).int("items", items).opt_num("predicted", predicted).opt_num("observed", observed)
}

/// Summary of `replen alerts`.
pub struct AlertsSummary {
    /// Planning date.
    pub as_of: NaiveDate,
    /// Alerts, most severe first.
    pub alerts: Vec<Alert>,
    /// Where they were written.
    pub file: PathBuf,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl AlertsSummary {
    /// Alerts at `severity` or worse.
    pub fn at_least(&self, severity: Severity) -> usize {
        self.alerts.iter().filter(|a| a.severity <= severity).count()
    }
}

/// `replen alerts`: plans as `plan` does and writes only `alerts.csv`.
pub fn run_alerts(o: &RunOptions) -> Result<AlertsSummary> {
    let (ds, as_of, _, k, p) = super::plan::read_and_plan(o, false)?;
    let fu = follow_ups(&ds, &p, &k, &o.settings, as_of, None);
    let file = o.out.join("alerts.csv");
    std::fs::create_dir_all(&o.out).map_err(|e| Error::Write { path: o.out.clone(), source: e })?;
    write_csv(alert_table(&fu.alerts), &file)?;
    let mut warnings = ds.warnings.clone();
    warnings.extend(p.warnings.iter().cloned());
    Ok(AlertsSummary { as_of, alerts: fu.alerts, file, warnings })
}

/// Rows shown in the report's tables (the CSV files have them all).
const SHOWN: usize = 100;

fn more(n: usize, file: &str) -> String {
    if n > SHOWN {
        format!("<p class=\"note\">{SHOWN} of {n} shown; all in {file}.</p>\n")
    } else {
        String::new()
    }
}

/// The report's alerts table.
pub(super) fn alerts_section(a: &[Alert]) -> String {
    let count = |s: Severity| a.iter().filter(|x| x.severity == s).count();
    let mut h = format!(
        "<p class=\"note\">{} high, {} medium, {} low. Thresholds from the [alerts] settings.</p>\n<div class=\"scroll\"><table><tr><th>severity</th><th>kind</th><th>SKU</th><th>supplier</th><th>message</th></tr>\n",
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low)
    );
    for x in a.iter().take(SHOWN) {
        h.push_str(&format!(
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>\n",
            x.severity.name(),
            x.kind,
            esc(&x.sku),
            esc(&x.supplier),
            esc(&x.message)
        ));
    }
    h.push_str("</table></div>\n");
    h + &more(a.len(), "alerts.csv")
}

/// The report's "customers waiting" table.
pub(super) fn waiting_section(ds: &Dataset, e: &[Eta]) -> String {
    let units: f64 = e.iter().map(|x| x.qty).sum();
    let undated = e.iter().filter(|x| x.eta.is_none()).count();
    let mut h = format!(
        "<p class=\"note\">{} open backorder lines, {units} units; {undated} with no supply in sight. Supply is given out oldest line first (lines with a priority first): stock on hand, open purchase orders as they are due, then this plan's suggested order.</p>\n<div class=\"scroll\"><table><tr><th>SKU</th><th>order</th><th>waiting since</th><th>units</th><th>ships</th><th>from</th><th>date rule</th></tr>\n",
        e.len()
    );
    for x in e.iter().take(SHOWN) {
        h.push_str(&format!(
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>\n",
            esc(ds.skus.name(x.sku)),
            esc(&x.order_id),
            x.date,
            x.qty,
            x.eta.map_or("not covered".to_string(), |d| d.to_string()),
            esc(&x.source),
            x.basis
        ));
    }
    h.push_str("</table></div>\n");
    h + &more(e.len(), "backorder_eta.csv")
}

/// The report's risk calibration table.
pub(super) fn risk_section(c: &RiskCheck) -> String {
    let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
    let scope = if c.window.is_some() { "within its lead time" } else { "in the window" };
    let window = c.window.as_ref().map_or(String::new(), |w| {
        format!(
            " Over the whole window: {} items went on backorder; AUC stockout_risk {}, weeks of cover {}.",
            w.hits,
            f(w.auc),
            f(w.auc_cover)
        )
    });
    let mut h = format!(
        "<p class=\"note\">Stockout risk against what happened ({}): {} of {} items went on backorder {scope}. AUC (the chance a backordered item ranks above one that was not): stockout_risk {}, weeks of cover (inventory position / demand per period) {}.{window}</p>\n<table><tr><th>predicted risk</th><th>items</th><th>mean predicted</th><th>observed</th></tr>\n",
        esc(&c.source),
        c.hits,
        c.items,
        f(c.auc),
        f(c.auc_cover)
    );
    for b in &c.bands {
        h.push_str(&format!(
            "<tr><td class=\"t\">{} to {}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td></tr>\n",
            b.range.0, b.range.1, b.items, b.predicted, b.observed
        ));
    }
    h + "</table>\n"
}
