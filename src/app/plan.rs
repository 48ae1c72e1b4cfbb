//! `replen plan`: the weekly job. Forecast, plan every item, write the tables, KPIs, charts
//! and the report (with the config file's what-if scenarios, when it has any).

use super::alerts::FollowUps;
use super::*;
use crate::alerts::Severity;
use crate::ingest::split_key;
use crate::plan::Part;

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
    /// Alerts by severity: high, medium, low.
    pub alerts: [usize; 3],
    /// The stockout risk scored against what happened, when known.
    pub risk: Option<crate::risk::RiskCheck>,
}

/// `policy.csv` / `proposals.csv` columns.
pub fn plan_table(rows: &[&PlanRow]) -> Table {
    Table::new()
        .sku_location(rows.iter().map(|r| r.sku.as_str()))
        .text("po_number", rows.iter().map(|r| r.po_number.as_str()))
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
        .num("review_periods", rows.iter().map(|r| r.review_periods))
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
        .text("policy", rows.iter().map(|r| r.shape.name()))
        .num("service_level_used", rows.iter().map(|r| r.service_level_used))
        .num("risk_score", rows.iter().map(|r| r.risk_score))
        .text("risk_basis", rows.iter().map(|r| r.risk_basis))
        .num("service_allocated", rows.iter().map(|r| r.service_allocated))
}

/// `rop_by_period.csv`: the levels of each item in each future period.
pub(super) fn period_table(skus: &crate::ingest::Skus, r: &[crate::plan::PeriodRow]) -> Table {
    Table::new()
        .sku_location(r.iter().map(|x| skus.name(x.sku)))
        .date("period_start", r.iter().map(|x| x.period_start))
        .num("demand", r.iter().map(|x| x.demand))
        .num("protection_demand", r.iter().map(|x| x.protection_demand))
        .num("safety_stock", r.iter().map(|x| x.safety_stock))
        .num("reorder_point", r.iter().map(|x| x.reorder_point))
        .num("order_up_to", r.iter().map(|x| x.order_up_to))
}

/// A row of `lead_times.csv`: a supplier's, or an item's.
pub(super) struct LeadTimeRow<'a> {
    scope: &'static str,
    sku: &'a str,
    supplier: &'a str,
    st: Option<&'a Stats>,
    planned: Option<f64>,
    used: Option<&'a crate::leadtime::LeadTime>,
}

/// The rows of `lead_times.csv`: one per supplier of `lts`, then one per planned item of
/// `plan_rows`.
pub(super) fn lead_time_rows<'a>(
    ds: &Dataset,
    lts: &'a crate::leadtime::LeadTimes,
    plan_rows: &'a [PlanRow],
) -> Vec<LeadTimeRow<'a>> {
    let mut rows: Vec<LeadTimeRow> = lts
        .supplier
        .iter()
        .map(|(sup, st)| LeadTimeRow {
            scope: "supplier",
            sku: "",
            supplier: sup,
            st: Some(st),
            planned: None,
            used: None,
        })
        .collect();
    let items = ds.items.as_ref();
    for r in plan_rows {
        let (own, used) = &lts.sku[&r.sku_index];
        let planned = items.and_then(|m| m.get(&r.sku_index)).map(|i| i.lead_time_days);
        rows.push(LeadTimeRow {
            scope: "sku",
            sku: &r.sku,
            supplier: &r.supplier,
            st: own.as_ref(),
            planned,
            used: Some(used),
        });
    }
    rows
}

/// `lead_times.csv` of some of its rows.
pub(super) fn lead_time_table(rows: &[LeadTimeRow]) -> Table {
    Table::new()
        .text("scope", rows.iter().map(|r| r.scope))
        .sku_location(rows.iter().map(|r| r.sku))
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

/// One line of a suggested order, as the PO summary adds them up.
pub(super) struct PoLine<'a> {
    pub po_number: &'a str,
    pub supplier: &'a str,
    pub location: &'a str,
    pub qty: f64,
    pub value: f64,
    pub order_date: NaiveDate,
    pub arrival: NaiveDate,
}

impl<'a> PoLine<'a> {
    pub fn of(r: &'a PlanRow) -> PoLine<'a> {
        PoLine {
            po_number: &r.po_number,
            supplier: &r.supplier,
            location: split_key(&r.sku).1,
            qty: r.order_qty,
            value: r.order_value,
            order_date: r.order_date,
            arrival: r.expected_arrival,
        }
    }
}

pub(super) fn po_summary_table(orders: &[PoLine]) -> Table {
    // Per suggested order: its first line (number, supplier, location, date), lines, units,
    // value and the last arrival.
    let mut by: Vec<(&PoLine, usize, f64, f64, NaiveDate)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for r in orders {
        match at.get(r.po_number) {
            Some(&i) => {
                let x = &mut by[i];
                x.1 += 1;
                x.2 += r.qty;
                x.3 += r.value;
                x.4 = x.4.max(r.arrival);
            }
            None => {
                at.insert(r.po_number, by.len());
                by.push((r, 1, r.qty, r.value, r.arrival));
            }
        }
    }
    Table::new()
        .text("po_number", by.iter().map(|x| x.0.po_number))
        .text("supplier", by.iter().map(|x| x.0.supplier))
        .text("location", by.iter().map(|x| x.0.location))
        .int("lines", by.iter().map(|x| x.1 as u64))
        .num("units", by.iter().map(|x| r3(x.2)))
        .num("order_value", by.iter().map(|x| (x.3 * 100.0).round() / 100.0))
        .date("order_date", by.iter().map(|x| x.0.order_date))
        .date("last_expected_arrival", by.iter().map(|x| x.4))
}

/// Writes the tables of every item of a plan (`skus`, sorted, those with a forecast written):
/// forecasts, models, policy, levels by period, lead times, the PO summary and the proposals.
/// `orders` are the plan's [`proposal_rows`]. Returns the files.
pub(super) fn write_plan_files(
    ds: &Dataset,
    f: &Forecasts,
    p: &Plan,
    orders: &[&PlanRow],
    skus: &[u32],
    periods: PathBuf,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let all: Vec<&PlanRow> = p.rows.iter().collect();
    let files: Vec<PathBuf> = PLAN_FILES.iter().map(|n| out.join(n)).collect();
    debug_assert_eq!(periods, files[3], "rop_by_period.csv is written first, by write_periods");
    write_forecast(ds, f, skus, &files[0])?;
    write_models(ds, f, skus, &files[1])?;
    write_csv_by(&all, PART_ROWS, &files[2], plan_table)?;
    write_csv_by(&lead_time_rows(ds, &p.lead_times, &p.rows), PART_ROWS, &files[4], lead_time_table)?;
    let pos: Vec<PoLine> = orders.iter().map(|r| PoLine::of(r)).collect();
    write_csv(po_summary_table(&pos), &files[5])?;
    write_csv_by(orders, PART_ROWS, &files[6], plan_table)?;
    Ok(files)
}

/// Writes `rop_by_period.csv`, the first of [`write_plan_files`]'s tables to be written, and
/// frees the plan's time-phased rows: nothing after it reads them, and at a million items they
/// are 13 million rows (0.6 GB) that the other tables and the report need not share memory with.
pub(super) fn write_periods(ds: &Dataset, p: &mut Plan, out: &Path) -> Result<PathBuf> {
    let path = out.join(PLAN_FILES[3]);
    write_csv_by(&p.by_period, PART_ROWS, &path, |r| period_table(&ds.skus, r))?;
    p.by_period = Vec::new();
    Ok(path)
}

/// The proposal lines (rows with an order), by supplier and SKU.
pub(super) fn proposal_rows(p: &Plan) -> Vec<&PlanRow> {
    let mut orders: Vec<&PlanRow> = p.rows.iter().filter(|r| r.order_qty > 0.0).collect();
    orders.sort_by(|a, b| a.supplier.cmp(&b.supplier).then(a.sku.cmp(&b.sku)));
    orders
}

/// The tables [`write_plan_files`] writes, in order.
pub(super) const PLAN_FILES: [&str; 7] = [
    "forecast.csv",
    "forecast_models.csv",
    "policy.csv",
    "rop_by_period.csv",
    "lead_times.csv",
    "po_summary.csv",
    "proposals.csv",
];

/// Targets of the service trade-off curve.
pub(super) const CURVE: [f64; 8] = [0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99];

/// Items the trade-off curve is computed on at most: a larger portfolio is sampled (every k-th
/// item in SKU order) and its totals scaled up; one re-plan per point.
pub(super) const CURVE_SAMPLE: usize = 500;

/// The trade-off curve: one cycle-service target for every item at each point of [`CURVE`],
/// on at most [`CURVE_SAMPLE`] items (totals scaled to the whole portfolio).
pub(super) fn curve(ds: &Dataset, f: &Forecasts, settings: &Settings, as_of: NaiveDate, all: &Plan) -> Vec<TradeOff> {
    let n = all.rows.len();
    let step = n.div_ceil(CURVE_SAMPLE).max(1);
    let kept: std::collections::HashSet<u32> = all.rows.iter().step_by(step).map(|r| r.sku_index).collect();
    let scale = if kept.is_empty() { 1.0 } else { n as f64 / kept.len() as f64 };
    // Targets do not change what the sample's plans start from: it is made once.
    let keep = |k| kept.contains(&k);
    // The sample's items plan with the lead times the plan measured (the purchase orders
    // received before the as-of date are no longer held).
    let lts = crate::leadtime::LeadTimes {
        sku: all.lead_times.sku.iter().filter(|x| keep(*x.0)).map(|(k, v)| (*k, v.clone())).collect(),
        supplier: all.lead_times.supplier.clone(),
        warnings: Vec::new(),
    };
    let basis = crate::plan::Basis::new(ds, &f.fc, &f.set, settings, as_of, &keep, None, Some(lts));
    let no_projection: Option<crate::plan::Projected> = Some(&|_| std::collections::HashSet::new());
    CURVE
        .iter()
        .map(|&t| {
            let s = Settings { service_level: Some(t), service_measure: ServiceMeasure::Cycle, ..settings.clone() };
            let (rows, _, _) = crate::plan::plan_on(
                ds,
                &f.fc,
                &f.set,
                &s,
                as_of,
                &basis,
                Part::ALL.tweak,
                Part::ALL.done,
                no_projection,
            );
            let mut point = trade_off(&format!("{:.0}%", t * 100.0), &rows);
            point.service = t;
            point.safety_stock_value *= scale;
            point.avg_inventory_value *= scale;
            point
        })
        .collect()
}

/// The plan's totals as a trade-off point.
pub fn trade_off(label: &str, rows: &[PlanRow]) -> TradeOff {
    let demand: f64 = rows.iter().map(|r| r.demand_per_period).sum();
    let w = |f: &dyn Fn(&PlanRow) -> f64| {
        if demand > 0.0 {
            rows.iter().map(|r| f(r) * r.demand_per_period).sum::<f64>() / demand
        } else {
            1.0
        }
    };
    TradeOff {
        label: label.into(),
        service: w(&|r| r.expected_cycle_service),
        safety_stock_value: rows.iter().map(|r| r.safety_stock_value).sum(),
        fill_rate: w(&|r| r.expected_fill_rate),
        avg_inventory_value: rows.iter().map(|r| (r.safety_stock + r.cycle_qty / 2.0) * r.unit_cost).sum(),
    }
}

/// Alerts by severity: high, medium, low.
pub(super) fn by_severity(alerts: &[crate::alerts::Alert]) -> [usize; 3] {
    [Severity::High, Severity::Medium, Severity::Low].map(|s| alerts.iter().filter(|a| a.severity == s).count())
}

/// `replen plan`: forecast, plan every item, write the tables, KPIs, charts and the report
/// (with the config file's what-if scenarios, when it has any).
pub fn run_plan(o: &RunOptions) -> Result<PlanSummary> {
    run_plan_with(o, &o.settings.scenarios)
}

/// Sales lines from which `plan` counts the KPIs, then builds the series, then forecasts, one
/// after the other (see [`read_and_plan`]), instead of counting alongside: about 2 GB of lines
/// and order ids, which then need not be held while the series and the forecasts take theirs.
/// At 100,000 items (22 million lines) counting alongside saves 4 s; at a million (143
/// million) one at a time saves several GB.
const KPIS_FIRST_LINES: usize = 50_000_000;

/// Reads a folder for planning, forecasts it, computes the KPIs (with the forecast's accuracy
/// figures when `accuracy`) and plans it: the first stages of `plan` and `alerts`. The sales
/// lines are released once the KPIs are counted, before planning.
pub(super) fn read_and_plan(o: &RunOptions, accuracy: bool) -> Result<(Dataset, NaiveDate, Forecasts, Kpis, Plan)> {
    read_and_plan_in(o, accuracy, KPIS_FIRST_LINES)
}

/// [`read_and_plan`], counting the KPIs first from `kpis_first` sales lines.
fn read_and_plan_in(
    o: &RunOptions,
    accuracy: bool,
    kpis_first: usize,
) -> Result<(Dataset, NaiveDate, Forecasts, Kpis, Plan)> {
    o.progress.stage("reading data");
    // The orders are counted over the whole history: the order ids' text is freed as soon as
    // the backorders are read.
    let load = Load { orders_whole: true, ..planning_load(true) };
    let (mut ds, counted) = load_counting(o, load, kpis_first)?;
    let as_of = as_of(&ds, o.as_of)?;
    // The demand series and the KPIs are all that is taken from the sales lines, the largest
    // table by far.
    let sales = ds.take_sales_lines();
    let s = &o.settings;
    let forecast =
        |ds: &Dataset, set| forecast_series(ds, o, set, o.settings.horizon, &|series, es| forecast_all(series, es));
    let (f, mut k, lts) = if sales.len() >= kpis_first {
        // Very many lines: one table at a time, each freed as soon as it has served (the
        // orders were counted when read), then the forecasts.
        let (set, k, lts) = history_one_at_a_time(&mut ds, sales, counted, o, as_of);
        (forecast(&ds, set), k, lts)
    } else {
        // The KPIs are counted on a thread of their own while the series are built and the
        // forecasts made (the count is a single pass; the forecasts keep both cores busy most
        // of the time, not all of it). The lines go as soon as both are done with them.
        let sales = std::sync::Arc::new(sales);
        let (f, (k, lts)) = std::thread::scope(|scope| {
            let counted = std::sync::Arc::clone(&sales);
            let ds = &ds;
            let history = scope.spawn(move || {
                let lts = measure_lead_times(ds, as_of);
                let k = kpis::compute_history(ds, &counted, s.sales_are, s.period, None, None, Some(&lts));
                drop(counted);
                (k, lts)
            });
            let set = demand_series_of(ds, &sales, o, as_of);
            drop(sales);
            let f = forecast(ds, set);
            (f, history.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        ds.release_received_purchase_orders(as_of);
        ds.release_closed_backorders(as_of);
        (f, k, lts)
    };
    if accuracy {
        k.add_accuracy(&f.fc.calibration);
    }
    o.progress.stage("planning");
    let done = |n, total| o.progress.items(n, total);
    // Only the projections the report draws are made (a horizon of stock figures per item):
    // the charted items are planned again for them, unless every item is charted.
    let charted = |rows: &[PlanRow]| report::chart_skus(rows, false).iter().map(|r| r.sku_index).collect();
    let projected: Option<crate::plan::Projected> = if o.all_charts { None } else { Some(&charted) };
    let part = Part { done: &done, projected, ..Part::ALL };
    let p = crate::plan::plan_some_with(&ds, &f.fc, &f.set, &o.settings, as_of, part, Some(lts));
    Ok((ds, as_of, f, k, p))
}

pub(super) fn run_plan_with(o: &RunOptions, scenarios: &[Scenario]) -> Result<PlanSummary> {
    let (ds, as_of, f, k, mut p) = read_and_plan(o, true)?;
    let mut warnings = ds.warnings.clone();
    warnings.extend(date_warnings(o, &ds, as_of));
    warnings.extend(p.warnings.iter().cloned());
    o.progress.stage("writing levels by period");
    let periods = write_periods(&ds, &mut p, &o.out)?;
    o.progress.stage("backorders and alerts");
    let fu = follow_ups(&ds, &p, &k, &o.settings, as_of, None);
    o.progress.stage("writing tables");
    // The workbook a planner approves the proposals in. Writing it is long and single-threaded
    // (mostly compression), so it is written on a thread of its own while the tables, the
    // trade-off curve and the report are made.
    let book = o.out.join("proposals.xlsx");
    let orders = proposal_rows(&p);
    let (files, checked) = std::thread::scope(|scope| {
        let workbook = scope.spawn(|| {
            let sheets: Vec<Sheet> = vec![
                ("proposals", Box::new(|| plan_table(&orders))),
                (
                    "po_summary",
                    Box::new(|| po_summary_table(&orders.iter().map(|r| PoLine::of(r)).collect::<Vec<_>>())),
                ),
                ("alerts", Box::new(|| alert_table(&fu.alerts))),
            ];
            write_xlsx(sheets, &book)
        });
        let rest = write_the_rest(o, scenarios, &ds, as_of, &f, &k, &p, &orders, &fu, periods, &book);
        let written = workbook.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        written.and(rest)
    })?;
    Ok(PlanSummary {
        as_of,
        skus: p.rows.len(),
        lines: orders.len(),
        order_value: orders.iter().map(|r| r.order_value).sum(),
        files,
        calibration: format!("{}\n{}", calibration_note(&f), levels_note(&p)),
        warnings,
        alerts: by_severity(&fu.alerts),
        risk: checked,
    })
}

/// What `plan` writes besides the workbook (`book`, listed in its place; `orders` are its
/// proposal lines) and `rop_by_period.csv` (`periods`, written first): the tables, KPIs,
/// backorder ETAs, alerts, the stockout-risk check, the what-if scenarios and the report.
/// Returns the files and the risk check.
#[allow(clippy::too_many_arguments)]
fn write_the_rest(
    o: &RunOptions,
    scenarios: &[Scenario],
    ds: &Dataset,
    as_of: NaiveDate,
    f: &Forecasts,
    k: &Kpis,
    p: &Plan,
    orders: &[&PlanRow],
    fu: &FollowUps,
    periods: PathBuf,
    book: &Path,
) -> Result<(Vec<PathBuf>, Option<crate::risk::RiskCheck>)> {
    let items = ds.items.as_ref();
    let skus = sorted_skus(ds, |s| items.is_some_and(|i| i.contains_key(&s)));
    let mut files = write_plan_files(ds, f, p, orders, &skus, periods, &o.out)?;
    files.extend(write_kpis(k, &o.out, as_of)?);
    for (t, name) in [(eta_table(ds, &fu.etas), "backorder_eta.csv"), (alert_table(&fu.alerts), "alerts.csv")] {
        let path = o.out.join(name);
        write_csv(t, &path)?;
        files.push(path);
    }
    files.push(book.to_path_buf());
    files.extend(write_rejected(&ds.rejected, ds.skipping(), &o.out)?);
    let checked = risk_check(ds, p, as_of)?;
    if let Some(c) = &checked {
        let path = o.out.join("risk_check.csv");
        write_csv(risk_table(c), &path)?;
        files.push(path);
    }
    o.progress.stage("service trade-off");
    let curve = curve(ds, f, &o.settings, as_of, p);
    o.progress.stage("charts and report");
    let input = ReportInput {
        ds,
        set: &f.set,
        fc: &f.fc,
        plan: p,
        kpis: k,
        curve: &curve,
        current: Some(trade_off("this plan", &p.rows)),
        as_of,
        all_charts: o.all_charts,
        calibration: format!("{}\n{}", calibration_note(f), levels_note(p)),
    };
    let mut extra = Extra::default();
    extra.top.push(("Alerts".into(), alerts_section(&fu.alerts)));
    extra.top.push(("Customers waiting".into(), waiting_section(ds, &fu.etas)));
    if let Some(c) = &checked {
        extra.sections.push(("Stockout risk against what happened".into(), risk_section(c)));
    }
    if !scenarios.is_empty() {
        o.progress.stage("what-if scenarios");
        let mut rows = vec![what_if(
            ds,
            f,
            &p.lead_times,
            &o.settings,
            as_of,
            &Scenario { name: "baseline".into(), spec: String::new(), adjust: Adjust::default() },
        )];
        for sc in scenarios {
            rows.push(what_if(ds, f, &p.lead_times, &o.settings, as_of, sc));
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
    Ok((files, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_the_kpis_first_or_alongside_plans_the_same() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
        let o = RunOptions {
            data: dir.clone(),
            out: dir,
            as_of: None,
            settings: Settings::default(),
            model: ModelChoice::Auto,
            all_charts: false,
            progress: Default::default(),
        };
        let (_, _, f1, k1, p1) = read_and_plan_in(&o, true, usize::MAX).unwrap();
        let (_, _, f2, k2, p2) = read_and_plan_in(&o, true, 0).unwrap();
        assert!(k1.overall.orders > 0 && !p1.rows.is_empty());
        assert_eq!(k1.rows, k2.rows);
        assert_eq!(f1.fc.skus, f2.fc.skus);
        assert_eq!((p1.rows, p1.by_period), (p2.rows, p2.by_period));
    }
}
