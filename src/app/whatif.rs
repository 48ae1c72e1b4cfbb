//! `replen whatif`: every scenario re-planned on the same data and simulated forward.

use super::*;

/// One what-if row.
#[derive(Debug, Clone)]
pub struct WhatIfRow {
    /// Scenario name.
    pub scenario: String,
    /// Its changes as written.
    pub spec: String,
    /// Formula figures of the plan (safety stock value, fill rate, service, average stock value).
    pub point: TradeOff,
    /// Expected units backordered per year by formula.
    pub backorder_units_per_year: f64,
    /// Yearly demand in units.
    pub yearly_demand: f64,
    /// Proposal lines today.
    pub order_lines: usize,
    /// Proposal value today.
    pub order_value: f64,
    /// Simulated futures.
    pub sim: McResult,
}

/// A scenario's changes to one item's inputs, when the item is in its scope.
pub(super) fn apply(adj: &Adjust, inp: &mut crate::plan::ItemInputs) {
    use crate::whatif::LeadChange;
    if !adj.applies(inp.abc, &inp.item.supplier) {
        return;
    }
    let lt = &mut inp.lead_time;
    let scale = |lt: &mut crate::leadtime::LeadTime, k: f64| {
        lt.mean *= k;
        lt.sd *= k;
        lt.samples.push(crate::leadtime::Step::Times(k));
    };
    match adj.lead_time {
        Some(LeadChange::Factor(k)) => scale(lt, k),
        Some(LeadChange::Days(d)) if lt.mean > 0.0 => {
            let k = d / lt.mean;
            scale(lt, k)
        }
        Some(LeadChange::Days(d)) => lt.mean = d,
        Some(LeadChange::Plus(d)) => {
            lt.mean = (lt.mean + d).max(0.0);
            lt.samples.push(crate::leadtime::Step::Plus(d));
        }
        None => {}
    }
    if let Some(k) = adj.lead_time_sd {
        let mean = lt.mean;
        lt.sd *= k;
        lt.samples.push(crate::leadtime::Step::Restate { from: mean, k, to: mean });
    }
    if let Some(r) = adj.review {
        inp.review = r;
    }
    if let Some(k) = adj.moq {
        inp.item.moq *= k;
    }
    if let Some(t) = adj.service {
        inp.target = Some(crate::engine::Target::Cycle(t));
    }
    if let Some(t) = adj.fill_rate {
        inp.target = Some(crate::engine::Target::FillRate(t));
    }
}

/// Forecasts with demand scaled for the items in a scenario's scope.
pub(super) fn scaled(fc: &Engine, ds: &Dataset, set: &SeriesSet, settings: &Settings, adj: &Adjust) -> Engine {
    let Some(k) = adj.demand else { return fc.clone() };
    let abc = abc_of(ds, set, settings);
    let mut out = fc.clone();
    if let Some(items) = &ds.items {
        for (sku, item) in items {
            if adj.applies(abc.get(sku).copied().unwrap_or('C'), &item.supplier) {
                let f = &mut out.skus[*sku as usize];
                f.mean.iter_mut().for_each(|m| *m *= k);
                f.var *= k * k;
                if let Some((p, m, v)) = f.sizes {
                    f.sizes = Some((p, m * k, v * k * k));
                }
            }
        }
    }
    out
}

/// Plans and simulates one scenario, from the lead times the plan measured.
pub(super) fn what_if(
    ds: &Dataset,
    f: &Forecasts,
    lead_times: &crate::leadtime::LeadTimes,
    settings: &Settings,
    as_of: NaiveDate,
    sc: &Scenario,
) -> WhatIfRow {
    let fc = scaled(&f.fc, ds, &f.set, settings, &sc.adjust);
    let adj = &sc.adjust;
    let part = crate::plan::Part { tweak: &|inp| apply(adj, inp), ..crate::plan::Part::ALL };
    let p = crate::plan::plan_some_with(ds, &fc, &f.set, settings, as_of, part, Some(lead_times.clone()));
    let per_year = settings.period.per_year() as f64;
    let start = f.set.horizon_start();
    let pols = sim::policies(&p, |row| {
        p.incoming
            .get(&row.sku_index)
            .map(|v| v.iter().map(|x| ((settings.period.index(x.due) - start).max(0) as usize, x.qty)).collect())
            .unwrap_or_default()
    });
    let mc = McSettings {
        paths: settings.paths,
        periods: settings.horizon.max(52),
        seed: settings.seed,
        period_days: settings.period.days(),
        per_year,
    };
    let sim = sim::forward(&fc, &pols, &mc);
    let orders: Vec<&PlanRow> = p.rows.iter().filter(|r| r.order_qty > 0.0).collect();
    WhatIfRow {
        scenario: sc.name.clone(),
        spec: sc.spec.clone(),
        point: trade_off(&sc.name, &p.rows),
        backorder_units_per_year: p
            .rows
            .iter()
            .filter(|r| r.cycle_qty > 0.0)
            .map(|r| r.expected_shortage * r.demand_per_period * per_year / r.cycle_qty)
            .sum(),
        yearly_demand: p.rows.iter().map(|r| r.demand_per_period * per_year).sum(),
        order_lines: orders.len(),
        order_value: orders.iter().map(|r| r.order_value).sum(),
        sim,
    }
}

pub(super) fn whatif_table(rows: &[WhatIfRow]) -> Table {
    let base = &rows[0];
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let rate =
        |r: &WhatIfRow| if r.yearly_demand > 0.0 { 100.0 * r.backorder_units_per_year / r.yearly_demand } else { 0.0 };
    Table::new()
        .text("scenario", rows.iter().map(|r| r.scenario.as_str()))
        .text("changes", rows.iter().map(|r| r.spec.as_str()))
        .num("safety_stock_value", rows.iter().map(|r| r2(r.point.safety_stock_value)))
        .num("avg_inventory_value", rows.iter().map(|r| r2(r.point.avg_inventory_value)))
        .num("expected_fill_rate", rows.iter().map(|r| r4(r.point.fill_rate)))
        .num("expected_cycle_service", rows.iter().map(|r| r4(r.point.service)))
        .num("expected_backorder_units_per_year", rows.iter().map(|r| r2(r.backorder_units_per_year)))
        .num("expected_backorder_rate", rows.iter().map(|r| r4(rate(r))))
        .int("order_lines", rows.iter().map(|r| r.order_lines as u64))
        .num("order_value", rows.iter().map(|r| r2(r.order_value)))
        .num("sim_fill_rate", rows.iter().map(|r| r4(r.sim.fill_rate.mean)))
        .num("sim_fill_rate_p05", rows.iter().map(|r| r4(r.sim.fill_rate.p05)))
        .num("sim_fill_rate_p95", rows.iter().map(|r| r4(r.sim.fill_rate.p95)))
        .num("sim_cycle_service", rows.iter().map(|r| r4(r.sim.cycle_service)))
        .num("sim_backorder_units_per_year", rows.iter().map(|r| r2(r.sim.backorder_units_per_year.mean)))
        .num("sim_backorder_units_per_year_p95", rows.iter().map(|r| r2(r.sim.backorder_units_per_year.p95)))
        .num("sim_avg_inventory_value", rows.iter().map(|r| r2(r.sim.avg_inventory_value.mean)))
        .num(
            "delta_safety_stock_value",
            rows.iter().map(|r| r2(r.point.safety_stock_value - base.point.safety_stock_value)),
        )
        .num(
            "delta_avg_inventory_value",
            rows.iter().map(|r| r2(r.point.avg_inventory_value - base.point.avg_inventory_value)),
        )
        .num("delta_order_value", rows.iter().map(|r| r2(r.order_value - base.order_value)))
        .num("delta_expected_fill_rate", rows.iter().map(|r| r4(r.point.fill_rate - base.point.fill_rate)))
        .num("delta_sim_fill_rate", rows.iter().map(|r| r4(r.sim.fill_rate.mean - base.sim.fill_rate.mean)))
}

pub(super) fn whatif_section(rows: &[WhatIfRow], chart: &Path) -> String {
    let mut h = String::from("<p class=\"note\">Each scenario re-plans the same data; figures by formula, then run through futures drawn from the planning model itself (mean and 5-95% range of the fill rate): a comparison between scenarios, not a promise of service (replen truth checks that against a known process).</p>\n<table><tr><th>scenario</th><th>changes</th><th>safety stock value</th><th>avg inventory value</th><th>expected fill rate</th><th>simulated fill rate</th><th>backorder units / yr (sim)</th><th>order value</th></tr>\n");
    for r in rows {
        h.push_str(&format!(
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{:.0}</td><td>{:.0}</td><td>{:.2}%</td><td>{:.2}% ({:.2}-{:.2})</td><td>{:.0}</td><td>{:.0}</td></tr>\n",
            r.scenario.replace('<', "&lt;"),
            r.spec.replace('<', "&lt;"),
            r.point.safety_stock_value,
            r.point.avg_inventory_value,
            100.0 * r.point.fill_rate,
            100.0 * r.sim.fill_rate.mean,
            100.0 * r.sim.fill_rate.p05,
            100.0 * r.sim.fill_rate.p95,
            r.sim.backorder_units_per_year.mean,
            r.order_value
        ));
    }
    h.push_str(&format!(
        "</table>\n<div class=\"charts\"><img src=\"charts/{}\" alt=\"what-if trade-off\"></div>\n",
        chart.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    h
}

/// `replen whatif`: the plan and report, plus every scenario (command line and config file)
/// re-planned and simulated, in `whatif.csv` and a report section.
pub fn run_whatif(o: &RunOptions, scenarios: &[Scenario]) -> Result<PlanSummary> {
    let mut all: Vec<Scenario> = o.settings.scenarios.clone();
    all.extend(scenarios.iter().cloned());
    if all.is_empty() {
        return Err(Error::Setting {
            name: "--scenario".into(),
            value: String::new(),
            expected: "at least one scenario, such as --scenario high:service=0.99".into(),
        });
    }
    run_plan_with(o, &all)
}
