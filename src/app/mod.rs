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
use crate::leadtime::Stats;
use crate::output::{sheet, write_csv, write_csv_by, write_xlsx, Sheet, Table, PART_ROWS};
use crate::period::add_days;
use crate::plan::{abc_of, plan, plan_with, r3, Plan, PlanRow};
use crate::report::{self, Extra, ReportInput, TradeOff};
use crate::series::SeriesSet;
use crate::simulate::{self as sim, McResult, McSettings};
use crate::whatif::{Adjust, Scenario};

mod alerts;
mod check;
mod forecast;
mod kpi;
mod leadtimes;
mod plan;
mod shard;
mod simulate;
mod truth;
mod whatif;

use alerts::{
    alert_table, alerts_section, eta_table, follow_ups, risk_check, risk_section, risk_table, waiting_section,
};
pub use alerts::{run_alerts, AlertsSummary};
pub use check::{check, CheckReport};
pub use forecast::{forecast, ForecastSummary};
use kpi::write_kpis;
pub use kpi::{kpi, KpiSummary};
pub use leadtimes::{run_leadtimes, LeadTimesSummary};
use plan::run_plan_with;
pub use plan::{plan_table, run_plan, trade_off, PlanSummary};
pub use shard::{run_merge, run_plan_shard, run_portfolio, MergeSummary, PortfolioSummary, Shard};
pub use simulate::{run_simulate, SimSummary};
pub use truth::{run_truth, TruthSummary, Versus};
pub use whatif::{run_whatif, WhatIfRow};
use whatif::{what_if, whatif_section, whatif_table};

/// What the planning commands read: every table, items and inventory required; the sales
/// lines' order ids and prices when `details` (the KPIs count orders).
pub(super) const fn planning_load(details: bool) -> Load {
    Load {
        sales_details: details,
        planning: true,
        planning_required: true,
        backorders: true,
        items: true,
        check_only: false,
        orders_whole: false,
    }
}

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

/// Progress callbacks: each stage's name as it starts, and items done within a stage; the
/// default does nothing.
#[derive(Clone, Default)]
pub struct Progress {
    stage: Option<std::sync::Arc<StageFn>>,
    items: Option<std::sync::Arc<ItemsFn>>,
}

/// The stage callback of [`Progress`].
type StageFn = dyn Fn(&str) + Send + Sync;

/// The items callback of [`Progress`]: (done, total).
type ItemsFn = dyn Fn(usize, usize) + Send + Sync;

impl Progress {
    /// Calls `f` with each stage's name.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress { stage: Some(std::sync::Arc::new(f)), items: None }
    }

    /// Also calls `f` with (items done, items in all) within a stage that goes item by item.
    pub fn with_items(self, f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Progress { items: Some(std::sync::Arc::new(f)), ..self }
    }

    /// Reports a stage.
    pub fn stage(&self, name: &str) {
        if let Some(f) = &self.stage {
            f(name);
        }
    }

    /// Reports items done within the current stage.
    pub fn items(&self, done: usize, total: usize) {
        if let Some(f) = &self.items {
            f(done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
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

/// Series and their forecasts.
pub struct Forecasts {
    /// Demand series, one per SKU index.
    pub set: SeriesSet,
    /// Forecasts, one per SKU index.
    pub fc: Engine,
    /// Names of the events in force per future period, for SKUs with any.
    pub events: HashMap<u32, Vec<String>>,
    /// New items forecast from a like item: the like item and the weight of their own history.
    pub likes: HashMap<u32, (u32, f64)>,
}

/// Periods of its own history after which a new item no longer borrows its like item's.
pub const LIKE_PERIODS: usize = 8;

/// New items like old ones: an item with a `like_sku` and under [`LIKE_PERIODS`] periods of
/// its own history is forecast as `w x own + (1 - w) x like_factor x like item's`, with
/// `w = own periods / LIKE_PERIODS` (the variance blended the same way, with the factor
/// squared); while under half its periods are its own it also takes the like item's demand
/// class and sizes.
fn borrow_likes(
    fc: &mut Engine,
    set: &SeriesSet,
    items: &HashMap<u32, crate::ingest::Item>,
    names: &crate::ingest::Skus,
) -> HashMap<u32, (u32, f64)> {
    let mut likes: Vec<(u32, u32, f64)> =
        items.values().filter_map(|it| it.like.map(|(l, k)| (it.sku, l, k))).collect();
    likes.sort_by_key(|x| x.0);
    let mut used = HashMap::new();
    for (sku, like, k) in likes {
        let n = set.series[sku as usize].values.len();
        if n >= LIKE_PERIODS {
            continue;
        }
        let w = n as f64 / LIKE_PERIODS as f64;
        let src = fc.skus[like as usize].clone();
        let f = &mut fc.skus[sku as usize];
        for (m, l) in f.mean.iter_mut().zip(&src.mean) {
            *m = w * *m + (1.0 - w) * k * l;
        }
        f.var = w * f.var + (1.0 - w) * k * k * src.var;
        if w < 0.5 {
            f.class = src.class;
            f.sizes = src.sizes.map(|(p, m, v)| (p, m * k, v * k * k));
            f.nonzero_share = src.nonzero_share;
            f.discrete = src.discrete;
        }
        f.model = format!("like {} x{k} ({n}/{LIKE_PERIODS} own)", names.name(like));
        used.insert(sku, (like, w));
    }
    used
}

/// A warning when the as-of date falls inside a period: that period's days before it are not
/// history yet and are left out.
/// Days between the last sale and the as-of date past which the history is taken as stale.
pub const STALE_DAYS: i64 = 90;

/// Warnings about the as-of date: it cuts a period in two, or it lies long after the last
/// sale (an old export, or a typo in `--as-of`: the months between count as zero demand).
fn date_warnings(o: &RunOptions, ds: &Dataset, as_of: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let p = o.settings.period;
    let start = p.start_of(as_of);
    if start < as_of {
        out.push(format!(
            "the as-of date {as_of} falls inside the {} starting {start}: its {} day(s) before {as_of} are left out of the history (use --as-of {start} or the next period start to choose)",
            p.name(),
            (as_of - start).num_days()
        ));
    }
    if let Some((_, last)) = ds.sales_span() {
        let gap = (as_of - last).num_days();
        if gap > STALE_DAYS {
            out.push(format!(
                "the as-of date {as_of} is {gap} days after the last sale ({last}): the time between counts as no demand, so forecasts and reorder points drop; check the sales export and --as-of"
            ));
        }
    }
    out
}

/// Writes `rejected_rows.csv` (one line per problem of every row left out) when a table is
/// read with `on_bad_rows = "skip"` (`skipping`).
fn write_rejected(r: &[crate::ingest::Rejected], skipping: bool, out: &Path) -> Result<Option<PathBuf>> {
    if !skipping {
        return Ok(None);
    }
    let t = Table::new()
        .text("file", r.iter().map(|x| x.file.as_str()))
        .int("row", r.iter().map(|x| x.row as u64))
        .text("column", r.iter().map(|x| x.column.as_str()))
        .text("value", r.iter().map(|x| x.value.as_str()))
        .text("problem", r.iter().map(|x| x.problem.as_str()));
    let path = out.join("rejected_rows.csv");
    write_csv(t, &path)?;
    Ok(Some(path))
}

fn run_forecasts(ds: &Dataset, o: &RunOptions, as_of: NaiveDate) -> Forecasts {
    forecasts_for(ds, o, as_of, o.settings.horizon)
}

/// Forecasts `horizon` periods ahead, with the backtests of the run's own horizon.
fn forecasts_for(ds: &Dataset, o: &RunOptions, as_of: NaiveDate, horizon: usize) -> Forecasts {
    forecasts_by(ds, o, as_of, horizon, &|series, es| forecast_all(series, es))
}

/// How a run's series are forecast: all of them, or a shard's with what the portfolio taught.
type EngineFn<'a> = &'a dyn Fn(&[&[f64]], &EngineSettings) -> Engine;

/// Forecasts `horizon` periods ahead by `engine`: the series, with known events divided out;
/// then events multiplied in and new items blended with their like items.
fn forecasts_by(ds: &Dataset, o: &RunOptions, as_of: NaiveDate, horizon: usize, engine: EngineFn) -> Forecasts {
    forecast_series(ds, o, demand_series_of(ds, &ds.sales, o, as_of), horizon, engine)
}

/// The demand series of `sales`, the dataset's lines (or those lines taken out of it).
fn demand_series_of(ds: &Dataset, sales: &crate::ingest::Sales, o: &RunOptions, as_of: NaiveDate) -> SeriesSet {
    let s = &o.settings;
    o.progress.stage("demand series");
    SeriesSet::build(sales, ds.backorders.as_deref(), s.sales_are, s.period, as_of, ds.skus.len())
}

/// Every planned item's lead times, measured from the purchase orders received before `as_of`.
fn measure_lead_times(ds: &Dataset, as_of: NaiveDate) -> crate::leadtime::LeadTimes {
    let empty = HashMap::new();
    lead_times(ds.items.as_ref().unwrap_or(&empty), ds.purchase_orders.as_deref().unwrap_or(&[]), as_of)
}

/// Reads a folder for a run over every item (`load`, with [`Load::orders_whole`]). When the
/// sales have `first` lines or more, their orders are counted over the whole history as soon
/// as the sales and backorders are read, and the lines' order ids dropped, before the other
/// tables are read: at a million items the ids take 0.7 GB and counting 0.6 GB more, which the
/// purchase orders (1.3 GB) then need not share memory with. Returns the orders counted then.
fn load_counting(o: &RunOptions, load: Load, first: usize) -> Result<(Dataset, Option<kpis::OrderTally>)> {
    let mut ds = Dataset::load_history(&o.data, load, &o.settings.files)?;
    let counted = (ds.sales.len() >= first).then(|| {
        o.progress.stage("counting orders");
        let s = &o.settings;
        let t = kpis::count_orders(&ds, &ds.sales, s.sales_are, s.period, None, None);
        ds.sales.order_id = None;
        o.progress.stage("reading data");
        t
    });
    ds.load_rest(load)?;
    Ok((ds, counted))
}

/// What a run over every item takes from the history, one table at a time, each freed as soon
/// as it has served: the orders counted from `sales` (the dataset's lines, taken out of it;
/// then their order ids go), the last year's cost of sales, the demand series (then the lines
/// go), the lead times and the other KPIs (then only the purchase orders and backorders still
/// open at `as_of` stay). Returns the series, the KPIs (without the forecast's accuracy) and
/// the lead times.
fn history_one_at_a_time(
    ds: &mut Dataset,
    mut sales: crate::ingest::Sales,
    counted: Option<kpis::OrderTally>,
    o: &RunOptions,
    as_of: NaiveDate,
) -> (SeriesSet, Kpis, crate::leadtime::LeadTimes) {
    let s = &o.settings;
    o.progress.stage("KPIs");
    let orders = counted.unwrap_or_else(|| kpis::count_orders(ds, &sales, s.sales_are, s.period, None, None));
    sales.order_id = None;
    let cost = kpis::yearly_cost(ds, &sales, None, None);
    let set = demand_series_of(ds, &sales, o, as_of);
    drop(sales);
    let lts = measure_lead_times(ds, as_of);
    let k = kpis::from_counts(orders, ds, cost, Some(&lts));
    ds.release_received_purchase_orders(as_of);
    ds.release_closed_backorders(as_of);
    (set, k, lts)
}

/// [`forecasts_by`] from series already built (the sales lines are not read again).
fn forecast_series(ds: &Dataset, o: &RunOptions, set: SeriesSet, horizon: usize, engine: EngineFn) -> Forecasts {
    let s = &o.settings;
    o.progress.stage("forecasting");
    let mut es = EngineSettings::new(s.horizon, s.period.per_year(), o.model.clone());
    es.horizon = horizon.max(1);
    // Known events: their lifts divided out of the history, multiplied into the forecast.
    let by_sku = crate::events::by_sku(&ds.events, &ds.skus, ds.items.as_ref());
    let adjusted: HashMap<u32, Vec<f64>> = by_sku
        .iter()
        .map(|(sku, evs)| {
            let d = &set.series[*sku as usize];
            let v =
                d.values.iter().enumerate().map(|(t, v)| v / crate::events::lift(evs, s.period, d.start + t as i64).0);
            (*sku, v.collect())
        })
        .collect();
    let series: Vec<&[f64]> = set
        .series
        .iter()
        .enumerate()
        .map(|(i, d)| adjusted.get(&(i as u32)).map_or(d.values.as_slice(), Vec::as_slice))
        .collect();
    let mut fc = engine(&series, &es);
    let likes = ds.items.as_ref().map(|items| borrow_likes(&mut fc, &set, items, &ds.skus)).unwrap_or_default();
    let mut events = HashMap::new();
    for (sku, evs) in &by_sku {
        let f = &mut fc.skus[*sku as usize];
        let (lift, names): (Vec<f64>, Vec<String>) = (0..f.mean.len())
            .map(|t| {
                let (k, n) = crate::events::lift(evs, s.period, set.horizon_start() + t as i64);
                (k, n.join("; "))
            })
            .unzip();
        if lift.iter().any(|k| *k != 1.0) {
            f.mean.iter_mut().zip(&lift).for_each(|(m, k)| *m *= k);
            f.lift = lift;
            events.insert(*sku, names);
        }
    }
    Forecasts { set, fc, events, likes }
}

fn write_forecast(ds: &Dataset, f: &Forecasts, skus: &[u32], path: &Path) -> Result<()> {
    let h = f.fc.skus.first().map_or(0, |x| x.mean.len());
    let part = |skus: &[u32]| {
        let rows: Vec<(u32, usize)> = skus.iter().flat_map(|&s| (0..h).map(move |t| (s, t))).collect();
        let q: Vec<[f64; 7]> = rows.par_iter().map(|&(s, t)| f.fc.quantiles(s as usize, t)).collect();
        let sku = |s: u32| &f.fc.skus[s as usize];
        let mut t = Table::new()
            .sku_location(rows.iter().map(|&(s, _)| ds.skus.name(s)))
            .date("period_start", rows.iter().map(|&(_, t)| f.set.future_start(t)))
            .text("model", rows.iter().map(|&(s, _)| sku(s).model.as_str()))
            .text("class", rows.iter().map(|&(s, _)| sku(s).class.name()))
            .num("mean", rows.iter().map(|&(s, t)| r3(sku(s).mean[t])));
        for (k, name) in LEVEL_NAMES.iter().enumerate() {
            t = t.num(name, q.iter().map(|x| r3(x[k])));
        }
        let event = |s: u32, t: usize| f.events.get(&s).and_then(|v| v.get(t)).map_or("", String::as_str);
        t.text("event", rows.iter().map(|&(s, t)| event(s, t)))
    };
    write_csv_by(skus, PART_ROWS / h.max(1), path, part)
}

/// Per-SKU model choice and backtest error: `forecast_models.csv`.
fn write_models(ds: &Dataset, f: &Forecasts, skus: &[u32], path: &Path) -> Result<()> {
    let sku = |s: u32| &f.fc.skus[s as usize];
    let part = |skus: &[u32]| {
        let pat: Vec<Option<crate::forecast::Pattern>> =
            skus.iter().map(|&s| pattern(&f.set.series[s as usize].values)).collect();
        Table::new()
            .sku_location(skus.iter().map(|&s| ds.skus.name(s)))
            .text("class", skus.iter().map(|&s| sku(s).class.name()))
            .text("model", skus.iter().map(|&s| sku(s).model.as_str()))
            .int("history_periods", skus.iter().map(|&s| sku(s).history as u64))
            .opt_num("adi", pat.iter().map(|p| p.map(|p| r3(p.adi))))
            .opt_num("cv2", pat.iter().map(|p| p.map(|p| r3(p.cv2))))
            .opt_num("backtest_rmsse", skus.iter().map(|&s| sku(s).backtest_rmsse.map(r3)))
            .int("outliers_capped", skus.iter().map(|&s| sku(s).outliers as u64))
            .text("like_sku", skus.iter().map(|s| f.likes.get(s).map_or("", |l| ds.skus.name(l.0))))
            .opt_num("own_history_weight", skus.iter().map(|s| f.likes.get(s).map(|l| l.1)))
    };
    write_csv_by(skus, PART_ROWS, path, part)
}

/// A one-line description of the portfolio calibration, for the run summary.
fn calibration_note(f: &Forecasts) -> String {
    let c = &f.fc.calibration;
    if c.points == 0 {
        return "forecast calibration: not enough history for backtests; nominal quantile levels used".into();
    }
    let per_class: Vec<String> = c.levels.iter().map(|(k, x)| format!("{} x{x:.3}", k.name())).collect();
    format!(
        "forecast calibration on {} backtest points: level factors (learned on older folds, kept where the latest fold confirmed them) {}; p10-p90 band uses levels {:.3}-{:.3} (backtest coverage {:.3}), p05-p95 uses {:.3}-{:.3} ({:.3})",
        c.points,
        per_class.join(", "),
        c.tails[1],
        1.0 - c.tails[1],
        c.coverage[1],
        c.tails[2],
        1.0 - c.tails[2],
        c.coverage[2]
    )
}

/// The planning calibration in words: per demand class, how many held-out windows, the share
/// the model's 95% level covered, and the level a 95% target is planned at.
fn levels_note(p: &Plan) -> String {
    let parts: Vec<String> = p
        .levels
        .coverage_at(0.95)
        .iter()
        .map(|(c, n, cov)| format!("{} {n} windows, 95% level covered {:.1}%", c.name(), 100.0 * cov))
        .collect();
    let calibration = if parts.is_empty() {
        "service calibration: no held-out backtest windows; nominal levels used".into()
    } else {
        format!("service calibration on held-out lead-time windows (sets fill-rate targets): {}", parts.join("; "))
    };
    match allocation_note(&p.rows) {
        Some(a) => format!("{calibration}\n{a}"),
        None => calibration,
    }
}

/// The portfolio allocation in words, per target: how many items share it, how many are
/// planned below and above it, and how far. `None` when every item is planned for its target.
fn allocation_note(rows: &[crate::plan::PlanRow]) -> Option<String> {
    /// Items sharing a target; those planned below it and the lowest; above it and the highest.
    #[derive(Default)]
    struct Spread {
        items: usize,
        below: usize,
        lowest: f64,
        above: usize,
        highest: f64,
    }
    let mut groups: std::collections::BTreeMap<(&str, u64), Spread> = Default::default();
    for r in rows {
        let g = groups
            .entry((r.service_measure, r.service_target.to_bits()))
            .or_insert(Spread { lowest: 1.0, ..Spread::default() });
        g.items += 1;
        if r.service_allocated < r.service_target - 1e-4 {
            g.below += 1;
            g.lowest = g.lowest.min(r.service_allocated);
        } else if r.service_allocated > r.service_target + 1e-4 {
            g.above += 1;
            g.highest = g.highest.max(r.service_allocated);
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .filter(|(_, g)| g.below + g.above > 0)
        .map(|((m, t), g)| {
            let measure = if m == "cycle" { "cycle service" } else { "fill rate" };
            let mut s = format!("{:.1}% {measure} over {} items", 100.0 * f64::from_bits(t), g.items);
            if g.below > 0 {
                s.push_str(&format!(", {} planned below it (down to {:.1}%)", g.below, 100.0 * g.lowest));
            }
            if g.above > 0 {
                s.push_str(&format!(", {} above it (up to {:.1}%)", g.above, 100.0 * g.highest));
            }
            s
        })
        .collect();
    (!parts.is_empty())
        .then(|| format!("service across the portfolio (service_allocated in policy.csv): {}", parts.join("; ")))
}

/// Sorted SKU indices by code.
fn sorted_skus(ds: &Dataset, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut v: Vec<u32> = (0..ds.skus.len() as u32).filter(|s| keep(*s)).collect();
    v.sort_by(|a, b| ds.skus.name(*a).cmp(ds.skus.name(*b)));
    v
}
