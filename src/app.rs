//! The commands as library calls: each loads what it needs, runs the stages in order and
//! writes its outputs, returning a summary for the binary to print.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::{ServiceMeasure, Settings};
use crate::error::{Error, Result};
use crate::forecast::dist::LEVEL_NAMES;
use crate::forecast::{forecast_all, pattern, EngineSettings, Forecasts as Engine, ModelChoice};
use crate::ingest::{Dataset, Load};
use crate::kpi::{self as kpis, Kpis};
use crate::leadtime::lead_times;
use crate::leadtime::Stats;
use crate::output::{write_csv, Table};
use crate::period::add_days;
use crate::plan::{plan, Plan, PlanRow};
use crate::report::{self, Extra, ReportInput, TradeOff};
use crate::series::SeriesSet;

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

fn run_forecasts(ds: &Dataset, o: &RunOptions, as_of: NaiveDate) -> Forecasts {
    let s = &o.settings;
    let set = SeriesSet::build(&ds.sales, ds.backorders.as_deref(), s.sales_are, s.period, as_of, ds.skus.len());
    let es = EngineSettings::new(s.horizon, s.period.per_year(), o.model.clone());
    let series: Vec<&[f64]> = set.series.iter().map(|d| d.values.as_slice()).collect();
    let fc = forecast_all(&series, &es);
    Forecasts { set, fc }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
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
    }
}

/// `replen plan`: forecast, plan every item, write the tables, KPIs, charts and the report.
pub fn run_plan(o: &RunOptions) -> Result<PlanSummary> {
    o.progress.stage("reading data");
    let load = Load { sales_details: true, planning: true, planning_required: true, backorders: true };
    let ds = Dataset::load(&o.data, load)?;
    let as_of = as_of(&ds, o.as_of)?;
    o.progress.stage("forecasting");
    let f = run_forecasts(&ds, o, as_of);
    o.progress.stage("planning");
    let p = plan(&ds, &f.fc, &f.set, &o.settings, as_of);
    let mut warnings = ds.warnings.clone();
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
    let reported = report::write(&o.out, &input, &Extra::default())?;
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
