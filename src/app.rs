//! The commands as library calls: each loads what it needs, runs the stages in order and
//! writes its outputs, returning a summary for the binary to print.

use std::path::{Path, PathBuf};

use std::collections::HashMap;

use chrono::NaiveDate;
use rand::SeedableRng;
use rayon::prelude::*;

use crate::config::{ServiceMeasure, Settings};
use crate::error::{Error, Result};
use crate::forecast::dist::LEVEL_NAMES;
use crate::forecast::{forecast_all, pattern, EngineSettings, Forecasts as Engine, ModelChoice};
use crate::ingest::{Dataset, Load};
use crate::kpi::{self as kpis, Kpis};
use crate::leadtime::lead_times;
use crate::leadtime::scheduled_receipts;
use crate::leadtime::Stats;
use crate::output::{write_csv, Table};
use crate::period::add_days;
use crate::plan::{abc_of, plan, plan_with, r3, Adjust, Plan, PlanRow};
use crate::report::{self, Extra, ReportInput, TradeOff};
use crate::series::SeriesSet;
use crate::simulate::{self, McResult, McSettings};
use crate::whatif::Scenario;

/// Options shared by the commands that read a data folder.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Input folder.
    pub data: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Planning date; default the day after the last sales date.
    pub as_of: Option<NaiveDate>,
    /// Checked settings.
    pub settings: Settings,
    /// Model selection.
    pub model: ModelChoice,
    /// Draw per-SKU charts for every SKU (default: the ones that matter most).
    pub all_charts: bool,
    /// Told the name of each stage as it starts.
    pub progress: Progress,
}

/// A stage callback for progress display; the default does nothing.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<StageFn>>);

/// The callback behind [`Progress`].
type StageFn = dyn Fn(&str) + Send + Sync;

impl Progress {
    /// Calls `f` with each stage's name.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress(Some(std::sync::Arc::new(f)))
    }

    /// Reports a stage.
    pub fn stage(&self, name: &str) {
        if let Some(f) = &self.0 {
            f(name);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// What `check` found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Rows per file read.
    pub rows: Vec<(String, usize)>,
    /// Distinct SKUs across all files.
    pub skus: usize,
    /// Distinct SKUs with sales.
    pub skus_with_sales: usize,
    /// First and last sales date.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Validates every file present in `dir`.
pub fn check(dir: &Path) -> Result<CheckReport> {
    let ds =
        Dataset::load(dir, Load { sales_details: true, planning: true, planning_required: false, backorders: true })?;
    let mut seen = vec![false; ds.skus.len()];
    for &s in &ds.sales.sku {
        seen[s as usize] = true;
    }
    Ok(CheckReport {
        rows: ds.rows.clone(),
        skus: ds.skus.len(),
        skus_with_sales: seen.iter().filter(|x| **x).count(),
        span: ds.sales_span(),
        warnings: ds.warnings.clone(),
    })
}

/// The as-of date: given, or the day after the last sale.
fn as_of(ds: &Dataset, given: Option<NaiveDate>) -> Result<NaiveDate> {
    if let Some(d) = given {
        return Ok(d);
    }
    let (_, last) = ds.sales_span().ok_or_else(|| Error::Setting {
        name: "--as-of".into(),
        value: String::new(),
        expected: "a date, since the sales file has no dates".into(),
    })?;
    Ok(add_days(last, 1))
}

/// Summary of a forecast run.
#[derive(Debug, Clone)]
pub struct ForecastSummary {
    /// Planning date used.
    pub as_of: NaiveDate,
    /// SKUs forecast.
    pub skus: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The calibration in words.
    pub calibration: String,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Series and their forecasts.
pub struct Forecasts {
    /// Demand series, one per SKU index.
    pub set: SeriesSet,
    /// Forecasts, one per SKU index.
    pub fc: Engine,
}

/// A warning when the as-of date falls inside a period: that period's days before it are not
/// history yet and are left out.
fn partial_period(o: &RunOptions, as_of: NaiveDate) -> Option<String> {
    let p = o.settings.period;
    let start = p.start_of(as_of);
    (start < as_of).then(|| {
        format!(
            "the as-of date {as_of} falls inside the {} starting {start}: its {} day(s) before {as_of} are left out of the history (use --as-of {start} or the next period start to choose)",
            p.name(),
            (as_of - start).num_days()
        )
    })
}

fn run_forecasts(ds: &Dataset, o: &RunOptions, as_of: NaiveDate) -> Forecasts {
    let s = &o.settings;
    let set = SeriesSet::build(&ds.sales, ds.backorders.as_deref(), s.sales_are, s.period, as_of, ds.skus.len());
    let es = EngineSettings::new(s.horizon, s.period.per_year(), o.model.clone());
    let series: Vec<&[f64]> = set.series.iter().map(|d| d.values.as_slice()).collect();
    let fc = forecast_all(&series, &es);
    Forecasts { set, fc }
}

fn write_forecast(ds: &Dataset, f: &Forecasts, skus: &[u32], path: &Path) -> Result<()> {
    let h = f.fc.skus.first().map_or(0, |x| x.mean.len());
    let rows: Vec<(u32, usize)> = skus.iter().flat_map(|&s| (0..h).map(move |t| (s, t))).collect();
    let q: Vec<[f64; 7]> = rows.iter().map(|&(s, t)| f.fc.quantiles(s as usize, t)).collect();
    let sku = |s: u32| &f.fc.skus[s as usize];
    let mut t = Table::new()
        .text("sku", rows.iter().map(|&(s, _)| ds.skus.name(s)))
        .date("period_start", rows.iter().map(|&(_, t)| f.set.future_start(t)))
        .text("model", rows.iter().map(|&(s, _)| sku(s).model.as_str()))
        .text("class", rows.iter().map(|&(s, _)| sku(s).class.name()))
        .num("mean", rows.iter().map(|&(s, t)| r3(sku(s).mean[t])));
    for (k, name) in LEVEL_NAMES.iter().enumerate() {
        t = t.num(name, q.iter().map(|x| r3(x[k])));
    }
    write_csv(t, path)
}

/// Per-SKU model choice and backtest error: `forecast_models.csv`.
fn write_models(ds: &Dataset, f: &Forecasts, skus: &[u32], path: &Path) -> Result<()> {
    let sku = |s: u32| &f.fc.skus[s as usize];
    let pat: Vec<Option<crate::forecast::Pattern>> =
        skus.iter().map(|&s| pattern(&f.set.series[s as usize].values)).collect();
    let t = Table::new()
        .text("sku", skus.iter().map(|&s| ds.skus.name(s)))
        .text("class", skus.iter().map(|&s| sku(s).class.name()))
        .text("model", skus.iter().map(|&s| sku(s).model.as_str()))
        .int("history_periods", skus.iter().map(|&s| sku(s).history as u64))
        .opt_num("adi", pat.iter().map(|p| p.map(|p| r3(p.adi))))
        .opt_num("cv2", pat.iter().map(|p| p.map(|p| r3(p.cv2))))
        .opt_num("backtest_rmsse", skus.iter().map(|&s| sku(s).backtest_rmsse.map(r3)))
        .int("outliers_capped", skus.iter().map(|&s| sku(s).outliers as u64));
    write_csv(t, path)
}

/// A one-line description of the portfolio calibration, for the run summary.
fn calibration_note(f: &Forecasts) -> String {
    let c = &f.fc.calibration;
    if c.points == 0 {
        return "forecast calibration: not enough history for backtests; nominal quantile levels used".into();
    }
    format!(
        "forecast calibration on {} backtest points: level x{:.3}; p10-p90 band uses levels {:.3}-{:.3} (backtest coverage {:.3}), p05-p95 uses {:.3}-{:.3} ({:.3})",
        c.points,
        c.level,
        c.tails[1],
        1.0 - c.tails[1],
        c.coverage[1],
        c.tails[2],
        1.0 - c.tails[2],
        c.coverage[2]
    )
}

/// Sorted SKU indices by code.
fn sorted_skus(ds: &Dataset, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut v: Vec<u32> = (0..ds.skus.len() as u32).filter(|s| keep(*s)).collect();
    v.sort_by(|a, b| ds.skus.name(*a).cmp(ds.skus.name(*b)));
    v
}

/// `replen forecast`: forecast every SKU with sales and write `forecast.csv`.
pub fn forecast(o: &RunOptions) -> Result<ForecastSummary> {
    let load = Load { backorders: o.settings.sales_are == crate::series::SalesAre::Shipments, ..Default::default() };
    let ds = Dataset::load(&o.data, load)?;
    let as_of = as_of(&ds, o.as_of)?;
    let f = run_forecasts(&ds, o, as_of);
    let skus = sorted_skus(&ds, |s| !f.set.series[s as usize].values.is_empty());
    let mut warnings = ds.warnings.clone();
    warnings.extend(partial_period(o, as_of));
    let without = ds.skus.len() - skus.len();
    if without > 0 {
        warnings.push(format!("{without} SKU(s) have no sales before {as_of} and are not forecast"));
    }
    let file = o.out.join("forecast.csv");
    write_forecast(&ds, &f, &skus, &file)?;
    let models = o.out.join("forecast_models.csv");
    write_models(&ds, &f, &skus, &models)?;
    Ok(ForecastSummary {
        as_of,
        skus: skus.len(),
        files: vec![file, models],
        calibration: calibration_note(&f),
        warnings,
    })
}

/// Summary of a plan run.
#[derive(Debug, Clone)]
pub struct PlanSummary {
    /// Planning date used.
    pub as_of: NaiveDate,
    /// Items planned.
    pub skus: usize,
    /// Proposal lines.
    pub lines: usize,
    /// Total value of the proposals.
    pub order_value: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The forecast calibration in words.
    pub calibration: String,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `policy.csv` / `proposals.csv` columns.
pub fn plan_table(rows: &[&PlanRow]) -> Table {
    Table::new()
        .text("po_number", rows.iter().map(|r| r.po_number.as_str()))
        .text("sku", rows.iter().map(|r| r.sku.as_str()))
        .text("supplier", rows.iter().map(|r| r.supplier.as_str()))
        .text("abc", rows.iter().map(|r| r.abc.to_string()))
        .text("xyz", rows.iter().map(|r| r.xyz.to_string()))
        .text("class", rows.iter().map(|r| r.class))
        .text("model", rows.iter().map(|r| r.model.as_str()))
        .text("method", rows.iter().map(|r| r.method))
        .text("service_measure", rows.iter().map(|r| r.service_measure))
        .num("service_target", rows.iter().map(|r| r.service_target))
        .num("on_hand", rows.iter().map(|r| r.on_hand))
        .num("on_order", rows.iter().map(|r| r.on_order))
        .num("open_backorders", rows.iter().map(|r| r.open_backorders))
        .num("inventory_position", rows.iter().map(|r| r.inventory_position))
        .num("demand_per_period", rows.iter().map(|r| r.demand_per_period))
        .num("demand_sd_per_period", rows.iter().map(|r| r.demand_sd_per_period))
        .num("lead_time_days", rows.iter().map(|r| r.lead_time_days))
        .num("lead_time_sd_days", rows.iter().map(|r| r.lead_time_sd_days))
        .text("lead_time_source", rows.iter().map(|r| r.lead_time_source))
        .int("receipts", rows.iter().map(|r| r.receipts as u64))
        .num("lead_time_demand", rows.iter().map(|r| r.lead_time_demand))
        .num("protection_periods", rows.iter().map(|r| r.protection_periods))
        .num("protection_demand", rows.iter().map(|r| r.protection_demand))
        .num("protection_sd", rows.iter().map(|r| r.protection_sd))
        .num("safety_factor", rows.iter().map(|r| r.safety_factor))
        .num("safety_stock", rows.iter().map(|r| r.safety_stock))
        .num("reorder_point", rows.iter().map(|r| r.reorder_point))
        .num("order_up_to", rows.iter().map(|r| r.order_up_to))
        .num("cycle_qty", rows.iter().map(|r| r.cycle_qty))
        .opt_num("eoq", rows.iter().map(|r| r.eoq))
        .num("expected_shortage", rows.iter().map(|r| r.expected_shortage))
        .num("expected_fill_rate", rows.iter().map(|r| r.expected_fill_rate))
        .num("expected_cycle_service", rows.iter().map(|r| r.expected_cycle_service))
        .num("order_qty", rows.iter().map(|r| r.order_qty))
        .num("unit_cost", rows.iter().map(|r| r.unit_cost))
        .num("order_value", rows.iter().map(|r| r.order_value))
        .num("safety_stock_value", rows.iter().map(|r| r.safety_stock_value))
        .date("order_date", rows.iter().map(|r| r.order_date))
        .date("expected_arrival", rows.iter().map(|r| r.expected_arrival))
        .opt_date("projected_stockout_date", rows.iter().map(|r| r.projected_stockout))
        .num("stockout_risk", rows.iter().map(|r| r.stockout_risk))
        .text("reason", rows.iter().map(|r| r.reason.as_str()))
}

fn period_table(p: &Plan) -> Table {
    let r = &p.by_period;
    Table::new()
        .text("sku", r.iter().map(|x| x.sku.as_str()))
        .date("period_start", r.iter().map(|x| x.period_start))
        .num("demand", r.iter().map(|x| x.demand))
        .num("protection_demand", r.iter().map(|x| x.protection_demand))
        .num("safety_stock", r.iter().map(|x| x.safety_stock))
        .num("reorder_point", r.iter().map(|x| x.reorder_point))
        .num("order_up_to", r.iter().map(|x| x.order_up_to))
}

fn lead_time_table(ds: &Dataset, p: &Plan) -> Table {
    struct Row<'a> {
        scope: &'static str,
        sku: String,
        supplier: &'a str,
        st: Option<&'a Stats>,
        planned: Option<f64>,
        used: Option<&'a crate::leadtime::LeadTime>,
    }
    let mut rows: Vec<Row> = p
        .lead_times
        .supplier
        .iter()
        .map(|(sup, st)| Row {
            scope: "supplier",
            sku: String::new(),
            supplier: sup,
            st: Some(st),
            planned: None,
            used: None,
        })
        .collect();
    let items = ds.items.as_ref();
    for r in &p.rows {
        let (own, used) = &p.lead_times.sku[&r.sku_index];
        let planned = items.and_then(|m| m.get(&r.sku_index)).map(|i| i.lead_time_days);
        rows.push(Row {
            scope: "sku",
            sku: r.sku.clone(),
            supplier: &r.supplier,
            st: own.as_ref(),
            planned,
            used: Some(used),
        });
    }
    Table::new()
        .text("scope", rows.iter().map(|r| r.scope))
        .text("sku", rows.iter().map(|r| r.sku.as_str()))
        .text("supplier", rows.iter().map(|r| r.supplier))
        .int("receipts", rows.iter().map(|r| r.st.map_or(0, |s| s.receipts as u64)))
        .opt_num("mean_days", rows.iter().map(|r| r.st.map(|s| r3(s.mean))))
        .opt_num("sd_days", rows.iter().map(|r| r.st.map(|s| r3(s.sd))))
        .opt_num("p50_days", rows.iter().map(|r| r.st.map(|s| r3(s.p50))))
        .opt_num("p90_days", rows.iter().map(|r| r.st.map(|s| r3(s.p90))))
        .opt_num("on_time_rate", rows.iter().map(|r| r.st.and_then(|s| s.on_time).map(r3)))
        .opt_num("days_vs_planned", rows.iter().map(|r| r.st.and_then(|s| s.vs_planned).map(r3)))
        .opt_num("planned_days", rows.iter().map(|r| r.planned))
        .opt_num("used_mean_days", rows.iter().map(|r| r.used.map(|u| r3(u.mean))))
        .opt_num("used_sd_days", rows.iter().map(|r| r.used.map(|u| r3(u.sd))))
        .text("used_source", rows.iter().map(|r| r.used.map_or("", |u| u.source)))
}

fn po_summary_table(orders: &[&PlanRow]) -> Table {
    let mut by: Vec<(String, String, usize, f64, f64, NaiveDate, NaiveDate)> = Vec::new();
    for r in orders {
        match by.iter_mut().find(|x| x.0 == r.po_number) {
            Some(x) => {
                x.2 += 1;
                x.3 += r.order_qty;
                x.4 += r.order_value;
                x.6 = x.6.max(r.expected_arrival);
            }
            None => by.push((
                r.po_number.clone(),
                r.supplier.clone(),
                1,
                r.order_qty,
                r.order_value,
                r.order_date,
                r.expected_arrival,
            )),
        }
    }
    Table::new()
        .text("po_number", by.iter().map(|x| x.0.as_str()))
        .text("supplier", by.iter().map(|x| x.1.as_str()))
        .int("lines", by.iter().map(|x| x.2 as u64))
        .num("units", by.iter().map(|x| r3(x.3)))
        .num("order_value", by.iter().map(|x| (x.4 * 100.0).round() / 100.0))
        .date("order_date", by.iter().map(|x| x.5))
        .date("last_expected_arrival", by.iter().map(|x| x.6))
}

/// Writes `kpis.csv` and `kpis.json`.
fn write_kpis(k: &Kpis, out: &Path, as_of: NaiveDate) -> Result<Vec<PathBuf>> {
    let csv = out.join("kpis.csv");
    let t = Table::new()
        .text("kpi", k.rows.iter().map(|r| r.kpi.as_str()))
        .text("scope", k.rows.iter().map(|r| r.scope.as_str()))
        .opt_date("period_start", k.rows.iter().map(|r| r.period_start))
        .num("value", k.rows.iter().map(|r| r.value))
        .text("unit", k.rows.iter().map(|r| r.unit));
    write_csv(t, &csv)?;
    let overall: serde_json::Map<String, serde_json::Value> =
        k.rows.iter().filter(|r| r.scope == "all").map(|r| (r.kpi.clone(), serde_json::json!(r.value))).collect();
    let mut suppliers: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for r in k.rows.iter().filter(|r| r.scope != "all" && r.scope != "period") {
        let e = suppliers.entry(r.scope.clone()).or_insert_with(|| serde_json::json!({}));
        e[r.kpi.as_str()] = serde_json::json!(r.value);
    }
    let by_period: Vec<serde_json::Value> = k
        .by_period
        .iter()
        .map(|(d, c)| {
            serde_json::json!({
                "period_start": d.to_string(),
                "orders": c.orders,
                "backordered_orders": c.backordered_orders,
                "backorder_rate": (c.backorder_rate() * 1e4).round() / 1e4,
                "unit_fill_rate": (c.fill_rate() * 1e4).round() / 1e4,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "as_of": as_of.to_string(),
        "from": k.from.map(|d| d.to_string()),
        "to": k.to.map(|d| d.to_string()),
        "overall": overall,
        "suppliers": suppliers,
        "by_period": by_period,
    });
    let json = out.join("kpis.json");
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Write { path: json.clone(), source: e.into() })?;
    crate::output::write_text(&json, &text)?;
    Ok(vec![csv, json])
}

/// Summary of a KPI run.
#[derive(Debug, Clone)]
pub struct KpiSummary {
    /// Orders counted.
    pub orders: usize,
    /// Backorder rate, %.
    pub backorder_rate: f64,
    /// Unit fill rate, %.
    pub fill_rate: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `replen kpi`: KPIs of the history between `from` and `to`.
pub fn kpi(o: &RunOptions, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<KpiSummary> {
    o.progress.stage("reading data");
    let load = Load { sales_details: true, planning: true, planning_required: false, backorders: true };
    let ds = Dataset::load(&o.data, load)?;
    let as_of = as_of(&ds, o.as_of)?;
    o.progress.stage("backtesting forecasts");
    let f = run_forecasts(&ds, o, as_of);
    let lts = ds.items.as_ref().map(|items| lead_times(items, ds.purchase_orders.as_deref().unwrap_or(&[]), as_of));
    let k =
        kpis::compute(&ds, o.settings.sales_are, o.settings.period, from, to, Some(&f.fc.calibration), lts.as_ref());
    let files = write_kpis(&k, &o.out, as_of)?;
    Ok(KpiSummary {
        orders: k.overall.orders,
        backorder_rate: k.overall.backorder_rate(),
        fill_rate: k.overall.fill_rate(),
        files,
        warnings: ds.warnings.clone(),
    })
}

/// Targets of the service trade-off curve.
const CURVE: [f64; 8] = [0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99];

/// Items above which the trade-off curve (one re-plan per point) is left out of the report.
const CURVE_MAX_ITEMS: usize = 20_000;

/// The plan's totals as a trade-off point.
pub fn trade_off(label: &str, p: &Plan) -> TradeOff {
    let demand: f64 = p.rows.iter().map(|r| r.demand_per_period).sum();
    let w = |f: &dyn Fn(&PlanRow) -> f64| {
        if demand > 0.0 {
            p.rows.iter().map(|r| f(r) * r.demand_per_period).sum::<f64>() / demand
        } else {
            1.0
        }
    };
    TradeOff {
        label: label.into(),
        service: w(&|r| r.expected_cycle_service),
        safety_stock_value: p.rows.iter().map(|r| r.safety_stock_value).sum(),
        fill_rate: w(&|r| r.expected_fill_rate),
        avg_inventory_value: p.rows.iter().map(|r| (r.safety_stock + r.cycle_qty / 2.0) * r.unit_cost).sum(),
    }
}

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

/// Forecasts with demand scaled for the items in a scenario's scope.
fn scaled(fc: &Engine, ds: &Dataset, set: &SeriesSet, settings: &Settings, adj: &Adjust) -> Engine {
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

/// Plans and simulates one scenario.
fn what_if(ds: &Dataset, f: &Forecasts, settings: &Settings, as_of: NaiveDate, sc: &Scenario) -> WhatIfRow {
    let fc = scaled(&f.fc, ds, &f.set, settings, &sc.adjust);
    let p = plan_with(ds, &fc, &f.set, settings, as_of, &sc.adjust);
    let per_year = settings.period.per_year() as f64;
    let pos = ds.purchase_orders.as_deref().unwrap_or(&[]);
    let sched = scheduled_receipts(pos, as_of, |s| p.lead_times.sku.get(&s).map_or(0.0, |x| x.1.mean));
    let start = f.set.horizon_start();
    let pols = simulate::policies(&p, |row| {
        sched
            .get(&row.sku_index)
            .map(|v| v.iter().map(|(d, q)| ((settings.period.index(*d) - start).max(0) as usize, *q)).collect())
            .unwrap_or_default()
    });
    let mc = McSettings {
        paths: settings.paths,
        periods: settings.horizon.max(52),
        seed: settings.seed,
        period_days: settings.period.days(),
        per_year,
    };
    let sim = simulate::forward(&fc, &pols, &mc);
    let orders: Vec<&PlanRow> = p.rows.iter().filter(|r| r.order_qty > 0.0).collect();
    WhatIfRow {
        scenario: sc.name.clone(),
        spec: sc.spec.clone(),
        point: trade_off(&sc.name, &p),
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

fn whatif_table(rows: &[WhatIfRow]) -> Table {
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

fn whatif_section(rows: &[WhatIfRow], chart: &Path) -> String {
    let mut h = String::from("<p class=\"note\">Each scenario re-plans the same data; figures by formula, then checked on simulated futures (mean and 5-95% range of the fill rate).</p>\n<table><tr><th>scenario</th><th>changes</th><th>safety stock value</th><th>avg inventory value</th><th>expected fill rate</th><th>simulated fill rate</th><th>backorder units / yr (sim)</th><th>order value</th></tr>\n");
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

/// Summary of a replay simulation.
#[derive(Debug, Clone)]
pub struct SimSummary {
    /// Periods replayed.
    pub periods: usize,
    /// First period replayed.
    pub from: NaiveDate,
    /// SKUs replayed.
    pub skus: usize,
    /// Share of replenishment cycles without a stockout.
    pub cycle_service: f64,
    /// Units served from stock / demand.
    pub fill_rate: f64,
    /// Share of SKU-periods with unmet demand.
    pub stockout_period_rate: f64,
    /// Average stock value.
    pub avg_inventory_value: f64,
    /// Orders placed.
    pub orders: usize,
    /// What history shows for the same periods: units backordered / demand.
    pub history_fill_rate: Option<f64>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `replen simulate`: for each of the last `periods` periods, the forecast and the policy are
/// rebuilt from the data before it; the actual demand is replayed through them, orders arrive
/// after lead times drawn from the receipts' spread, backorders are served first.
pub fn run_simulate(o: &RunOptions, periods: usize) -> Result<SimSummary> {
    o.progress.stage("reading data");
    let load = Load { sales_details: false, planning: true, planning_required: true, backorders: true };
    let ds = Dataset::load(&o.data, load)?;
    let end = as_of(&ds, o.as_of)?;
    let s = &o.settings;
    let full = SeriesSet::build(&ds.sales, ds.backorders.as_deref(), s.sales_are, s.period, end, ds.skus.len());
    let first = full.horizon_start() - periods as i64;
    let from = s.period.start(first);
    // Policies rebuilt at every period start.
    let mut levels: Vec<HashMap<u32, (f64, f64, f64)>> = Vec::with_capacity(periods);
    let mut rows0: Option<Plan> = None;
    for k in 0..periods {
        o.progress.stage(&format!("rebuilding the policy, period {} of {periods}", k + 1));
        let at = s.period.start(first + k as i64);
        let f = run_forecasts(&ds, o, at);
        let p = plan(&ds, &f.fc, &f.set, s, at);
        levels.push(p.rows.iter().map(|r| (r.sku_index, (r.reorder_point, r.order_up_to, r.safety_stock))).collect());
        if k == 0 {
            rows0 = Some(p);
        }
    }
    let Some(p0) = rows0 else {
        return Err(Error::Setting {
            name: "--periods".into(),
            value: periods.to_string(),
            expected: "at least 1".into(),
        });
    };
    o.progress.stage("replaying demand");
    // Historical backorders in the same periods, for comparison.
    let mut hist_back: HashMap<u32, f64> = HashMap::new();
    for b in ds.backorders.iter().flatten() {
        let p = s.period.index(b.date);
        if p >= first && p < full.horizon_start() {
            *hist_back.entry(b.sku).or_default() += b.qty;
        }
    }
    let pdays = s.period.days();
    let results: Vec<(usize, simulate::ReplayResult)> = p0
        .rows
        .par_iter()
        .enumerate()
        .map(|(n, row)| {
            let ser = &full.series[row.sku_index as usize];
            let demand: Vec<f64> = (first..full.horizon_start())
                .map(|p| if p >= ser.start { ser.values[(p - ser.start) as usize] } else { 0.0 })
                .collect();
            let (lt_mean, lt_sd) = (row.lead_time_days, row.lead_time_sd_days);
            let mut rng =
                rand_chacha::ChaCha8Rng::seed_from_u64(s.seed ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let start = row.order_up_to;
            let r = simulate::replay(
                &demand,
                start,
                row,
                |t| levels[t].get(&row.sku_index).map_or((row.reorder_point, row.order_up_to), |x| (x.0, x.1)),
                simulate::lead_draw(lt_mean, lt_sd, pdays),
                &mut rng,
            );
            (n, r)
        })
        .collect();
    let sum = |f: &dyn Fn(&simulate::ReplayResult) -> f64| results.iter().map(|(_, r)| f(r)).sum::<f64>();
    let demand = sum(&|r| r.demand);
    let served = sum(&|r| r.served);
    let cycles = sum(&|r| r.cycles as f64);
    let bad = sum(&|r| r.bad_cycles as f64);
    let sku_periods = sum(&|r| r.periods as f64);
    let value: f64 = results.iter().map(|(n, r)| r.stock / r.periods.max(1) as f64 * p0.rows[*n].unit_cost).sum();
    let hist_units: f64 = hist_back.values().sum();
    // Tables.
    let rows: Vec<(&PlanRow, &simulate::ReplayResult)> = results.iter().map(|(n, r)| (&p0.rows[*n], r)).collect();
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let per_sku = Table::new()
        .text("sku", rows.iter().map(|(p, _)| p.sku.as_str()))
        .text("supplier", rows.iter().map(|(p, _)| p.supplier.as_str()))
        .text("class", rows.iter().map(|(p, _)| p.class))
        .int("periods", rows.iter().map(|(_, r)| r.periods as u64))
        .num("demand", rows.iter().map(|(_, r)| r.demand))
        .num("fill_rate", rows.iter().map(|(_, r)| if r.demand > 0.0 { r4(r.served / r.demand) } else { 1.0 }))
        .opt_num(
            "cycle_service",
            rows.iter().map(|(_, r)| (r.cycles > 0).then(|| r4(1.0 - r.bad_cycles as f64 / r.cycles as f64))),
        )
        .int("stockout_periods", rows.iter().map(|(_, r)| r.stockout_periods as u64))
        .int("orders", rows.iter().map(|(_, r)| r.orders as u64))
        .num("avg_on_hand", rows.iter().map(|(_, r)| r4(r.stock / r.periods.max(1) as f64)))
        .num("avg_on_hand_value", rows.iter().map(|(p, r)| r4(r.stock / r.periods.max(1) as f64 * p.unit_cost)))
        .num("history_backordered_units", rows.iter().map(|(p, _)| hist_back.get(&p.sku_index).copied().unwrap_or(0.0)))
        .opt_num(
            "history_fill_rate",
            rows.iter().map(|(p, r)| {
                (r.demand > 0.0).then(|| r4(1.0 - hist_back.get(&p.sku_index).copied().unwrap_or(0.0) / r.demand))
            }),
        );
    let mut files = vec![o.out.join("simulation.csv"), o.out.join("simulation_trajectory.csv")];
    write_csv(per_sku, &files[0])?;
    let traj: Vec<(&str, NaiveDate, f64, f64, f64, f64, f64)> = rows
        .iter()
        .flat_map(|(p, r)| {
            let ser = &full.series[p.sku_index as usize];
            r.trajectory.iter().enumerate().map(move |(t, x)| {
                let per = first + t as i64;
                let d = if per >= ser.start { ser.values[(per - ser.start) as usize] } else { 0.0 };
                (p.sku.as_str(), s.period.start(per), d, x.end, x.ordered, x.received, x.reorder_point)
            })
        })
        .collect();
    let t = Table::new()
        .text("sku", traj.iter().map(|x| x.0))
        .date("period_start", traj.iter().map(|x| x.1))
        .num("demand", traj.iter().map(|x| x.2))
        .num("stock_end", traj.iter().map(|x| r4(x.3)))
        .num("ordered", traj.iter().map(|x| x.4))
        .num("received", traj.iter().map(|x| x.5))
        .num("reorder_point", traj.iter().map(|x| r4(x.6)));
    write_csv(t, &files[1])?;
    // Charts of the SKUs with the most demand value.
    let charts = o.out.join("charts");
    std::fs::create_dir_all(&charts).map_err(|e| Error::Write { path: charts.clone(), source: e })?;
    let mut top: Vec<&(&PlanRow, &simulate::ReplayResult)> = rows.iter().collect();
    top.sort_by(|a, b| {
        (b.1.demand * b.0.unit_cost).total_cmp(&(a.1.demand * a.0.unit_cost)).then(a.0.sku.cmp(&b.0.sku))
    });
    for (p, r) in top.into_iter().take(6) {
        let lv =
            |t: usize| levels[t].get(&p.sku_index).copied().unwrap_or((p.reorder_point, p.order_up_to, p.safety_stock));
        let c = crate::chart::ProjectionChart {
            title: format!("{}: replayed stock, last {periods} periods", p.sku),
            dates: (0..r.periods).map(|t| s.period.start(first + t as i64)).collect(),
            stock: r.trajectory.iter().map(|x| (x.start, x.end)).collect(),
            safety_stock: (0..r.periods).map(|t| lv(t).2).collect(),
            reorder_point: (0..r.periods).map(|t| lv(t).0).collect(),
            receipts: r.trajectory.iter().map(|x| x.received).collect(),
            stock_label: "replayed stock".into(),
        };
        files.push(crate::chart::projection(
            &charts,
            &format!("sim_{}", p.sku.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
            &c,
        )?);
    }
    Ok(SimSummary {
        periods,
        from,
        skus: rows.len(),
        cycle_service: if cycles > 0.0 { 1.0 - bad / cycles } else { f64::NAN },
        fill_rate: if demand > 0.0 { served / demand } else { 1.0 },
        stockout_period_rate: sum(&|r| r.stockout_periods as f64) / sku_periods.max(1.0),
        avg_inventory_value: value,
        orders: sum(&|r| r.orders as f64) as usize,
        history_fill_rate: ds.backorders.as_ref().map(|_| if demand > 0.0 { 1.0 - hist_units / demand } else { 1.0 }),
        files,
        warnings: ds.warnings.clone(),
    })
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

/// `replen plan`: forecast, plan every item, write the tables, KPIs, charts and the report
/// (with the config file's what-if scenarios, when it has any).
pub fn run_plan(o: &RunOptions) -> Result<PlanSummary> {
    run_plan_with(o, &o.settings.scenarios)
}

fn run_plan_with(o: &RunOptions, scenarios: &[Scenario]) -> Result<PlanSummary> {
    o.progress.stage("reading data");
    let load = Load { sales_details: true, planning: true, planning_required: true, backorders: true };
    let ds = Dataset::load(&o.data, load)?;
    let as_of = as_of(&ds, o.as_of)?;
    o.progress.stage("forecasting");
    let f = run_forecasts(&ds, o, as_of);
    o.progress.stage("planning");
    let p = plan(&ds, &f.fc, &f.set, &o.settings, as_of);
    let mut warnings = ds.warnings.clone();
    warnings.extend(partial_period(o, as_of));
    warnings.extend(p.warnings.iter().cloned());
    let all: Vec<&PlanRow> = p.rows.iter().collect();
    let mut orders: Vec<&PlanRow> = p.rows.iter().filter(|r| r.order_qty > 0.0).collect();
    orders.sort_by(|a, b| a.supplier.cmp(&b.supplier).then(a.sku.cmp(&b.sku)));
    let items = ds.items.as_ref();
    let skus = sorted_skus(&ds, |s| items.is_some_and(|i| i.contains_key(&s)));
    let files = vec![
        o.out.join("forecast.csv"),
        o.out.join("forecast_models.csv"),
        o.out.join("policy.csv"),
        o.out.join("rop_by_period.csv"),
        o.out.join("lead_times.csv"),
        o.out.join("po_summary.csv"),
        o.out.join("proposals.csv"),
    ];
    write_forecast(&ds, &f, &skus, &files[0])?;
    write_models(&ds, &f, &skus, &files[1])?;
    write_csv(plan_table(&all), &files[2])?;
    write_csv(period_table(&p), &files[3])?;
    write_csv(lead_time_table(&ds, &p), &files[4])?;
    write_csv(po_summary_table(&orders), &files[5])?;
    write_csv(plan_table(&orders), &files[6])?;
    let mut files = files;
    o.progress.stage("KPIs");
    let k = kpis::compute(
        &ds,
        o.settings.sales_are,
        o.settings.period,
        None,
        None,
        Some(&f.fc.calibration),
        Some(&p.lead_times),
    );
    files.extend(write_kpis(&k, &o.out, as_of)?);
    o.progress.stage("service trade-off");
    let curve: Vec<TradeOff> = if p.rows.len() <= CURVE_MAX_ITEMS {
        CURVE
            .iter()
            .map(|&t| {
                let s =
                    Settings { service_level: Some(t), service_measure: ServiceMeasure::Cycle, ..o.settings.clone() };
                let mut point = trade_off(&format!("{:.0}%", t * 100.0), &plan(&ds, &f.fc, &f.set, &s, as_of));
                point.service = t;
                point
            })
            .collect()
    } else {
        warnings.push(format!(
            "{} items: the service trade-off curve is left out of the report (over {CURVE_MAX_ITEMS})",
            p.rows.len()
        ));
        Vec::new()
    };
    o.progress.stage("charts and report");
    let input = ReportInput {
        ds: &ds,
        set: &f.set,
        fc: &f.fc,
        plan: &p,
        kpis: &k,
        curve: &curve,
        current: Some(trade_off("this plan", &p)),
        as_of,
        all_charts: o.all_charts,
        calibration: calibration_note(&f),
    };
    let mut extra = Extra::default();
    if !scenarios.is_empty() {
        o.progress.stage("what-if scenarios");
        let mut rows = vec![what_if(
            &ds,
            &f,
            &o.settings,
            as_of,
            &Scenario { name: "baseline".into(), spec: String::new(), adjust: Adjust::default() },
        )];
        for sc in scenarios {
            rows.push(what_if(&ds, &f, &o.settings, as_of, sc));
        }
        let path = o.out.join("whatif.csv");
        write_csv(whatif_table(&rows), &path)?;
        let charts = o.out.join("charts");
        std::fs::create_dir_all(&charts).map_err(|e| Error::Write { path: charts.clone(), source: e })?;
        files.push(path);
        let chart = crate::chart::curve(
            &o.out.join("charts"),
            "whatif",
            &crate::chart::CurveChart {
                title: "What-if: inventory value against fill rate".into(),
                x_label: "expected fill rate, %".into(),
                y_label: "average inventory value".into(),
                points: curve.iter().map(|t| (100.0 * t.fill_rate, t.avg_inventory_value)).collect(),
                curve_name: "one cycle-service target for all items (80% to 99%)".into(),
                marks: rows
                    .iter()
                    .map(|r| (r.scenario.clone(), 100.0 * r.point.fill_rate, r.point.avg_inventory_value))
                    .collect(),
            },
        )?;
        extra.sections.push(("What-if scenarios".into(), whatif_section(&rows, &chart)));
    }
    let reported = report::write(&o.out, &input, &extra)?;
    files.push(reported.last().cloned().unwrap_or_default());
    Ok(PlanSummary {
        as_of,
        skus: p.rows.len(),
        lines: orders.len(),
        order_value: orders.iter().map(|r| r.order_value).sum(),
        files,
        calibration: calibration_note(&f),
        warnings,
    })
}
