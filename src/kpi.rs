//! KPIs planners track, from the history in the input folder: backorder rate (orders with a
//! backordered line / orders x 100), unit fill rate, days to fill backorders, open and
//! cancelled backorders, forecast accuracy by rolling origin, inventory turnover, and supplier
//! on-time rate and lead-time adherence.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::forecast::Calibration;
use crate::ingest::{Dataset, OrderIds, Sales};
use crate::leadtime::{quantile_sorted, LeadTimes};
use crate::period::Period;
use crate::series::SalesAre;

/// One KPI value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// KPI name, such as `backorder_rate`.
    pub kpi: String,
    /// `all`, `period` or a supplier code.
    pub scope: String,
    /// Period start for per-period rows.
    pub period_start: Option<NaiveDate>,
    /// The value.
    pub value: f64,
    /// `%`, `days`, `units`, `orders`, `value` or `ratio`.
    pub unit: &'static str,
}

/// Backorder counts of one period (or the whole span).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct OrderCounts {
    /// Customer orders.
    pub orders: usize,
    /// Orders with at least one backordered line.
    pub backordered_orders: usize,
    /// Units ordered.
    pub units_ordered: f64,
    /// Units backordered.
    pub units_backordered: f64,
}

impl OrderCounts {
    /// Backordered orders / orders x 100.
    pub fn backorder_rate(&self) -> f64 {
        if self.orders == 0 {
            0.0
        } else {
            100.0 * self.backordered_orders as f64 / self.orders as f64
        }
    }

    /// Units shipped on time / units ordered x 100.
    pub fn fill_rate(&self) -> f64 {
        if self.units_ordered <= 0.0 {
            100.0
        } else {
            100.0 * (1.0 - self.units_backordered / self.units_ordered)
        }
    }
}

/// Every KPI of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Kpis {
    /// First day counted.
    pub from: Option<NaiveDate>,
    /// Last day counted.
    pub to: Option<NaiveDate>,
    /// Whole-span counts.
    pub overall: OrderCounts,
    /// Per-period counts, oldest first.
    pub by_period: Vec<(NaiveDate, OrderCounts)>,
    /// All KPI rows, as written to `kpis.csv`.
    pub rows: Vec<Kpi>,
}

/// Key bit of an order that is one sales line without an id (ids are below it).
const LINE: u64 = 1 << 40;

/// An order's first day and whether any of its lines was backordered, in four bytes (a
/// million-item history has over a hundred million orders): the day from the common era,
/// shifted left one bit, with the flag in that bit; zero before any line is seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FirstSeen(u32);

impl FirstSeen {
    const NONE: FirstSeen = FirstSeen(0);

    /// A line of the order on day `d`, backordered when `hit`.
    fn add(&mut self, d: NaiveDate, hit: bool) {
        // Days from 0001-01-01 (day 1) are positive for every date a file can hold here.
        let day = d.num_days_from_ce().max(1) as u32;
        let (first, was_hit) = match self.get() {
            Some((f, h)) => (day.min(f.num_days_from_ce() as u32), h),
            None => (day, false),
        };
        self.0 = first << 1 | u32::from(was_hit || hit);
    }

    /// The first day and the flag, once a line was seen.
    fn get(self) -> Option<(NaiveDate, bool)> {
        if self.0 == 0 {
            return None;
        }
        let day = NaiveDate::from_num_days_from_ce_opt((self.0 >> 1) as i32)?;
        Some((day, self.0 & 1 == 1))
    }
}

/// Orders and units of one location.
#[derive(Default)]
struct AtLocation {
    orders: HashSet<u64>,
    backordered: HashSet<u64>,
    units: f64,
    units_backordered: f64,
}

/// Computes the KPIs of `ds` for sales and backorders dated in `[from, to]`, with the forecast
/// accuracy of `calibration` when given.
pub fn compute(
    ds: &Dataset,
    sales_are: SalesAre,
    period: Period,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    calibration: Option<&Calibration>,
    lead_times: Option<&LeadTimes>,
) -> Kpis {
    let mut k = compute_history(ds, &ds.sales, sales_are, period, from, to, lead_times);
    if let Some(c) = calibration {
        k.add_accuracy(c);
    }
    k
}

impl Kpis {
    /// Adds the forecast accuracy of the engine's rolling-origin backtests (`forecast_wape`,
    /// `forecast_bias`), after the backorder figures, where [`compute`] lists them.
    pub fn add_accuracy(&mut self, c: &Calibration) {
        if c.bt_actual <= 0.0 {
            return;
        }
        let at = self.rows.iter().position(|r| r.kpi == "cancelled_backorder_units").map_or(self.rows.len(), |k| k + 1);
        let rows = [
            ("forecast_wape", 100.0 * c.bt_abs_error / c.bt_actual),
            ("forecast_bias", 100.0 * c.bt_error / c.bt_actual),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(kpi, v)| Kpi {
            kpi: kpi.into(),
            scope: "all".into(),
            period_start: None,
            value: round4(v),
            unit: "%",
        });
        self.rows.splice(at..at, rows);
    }
}

fn round4(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

/// The KPIs of the history alone (everything but forecast accuracy), as [`compute`], from
/// `sales` (the dataset's own lines, or those lines taken out of it).
pub fn compute_history(
    ds: &Dataset,
    sales: &Sales,
    sales_are: SalesAre,
    period: Period,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    lead_times: Option<&LeadTimes>,
) -> Kpis {
    let counted = count_orders(ds, sales, sales_are, period, from, to);
    let cost = yearly_cost(ds, sales, from, to);
    from_counts(counted, ds, cost, lead_times)
}

/// What the last year of sales lines dated in `[from, to]` cost at the items' unit costs: the
/// turnover's numerator (`None` without items, inventory or lines). With the order counts, all
/// the KPIs take from the lines.
pub fn yearly_cost(ds: &Dataset, sales: &Sales, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Option<f64> {
    let (Some(items), Some(_)) = (&ds.items, &ds.inventory) else { return None };
    let inside = window(from, to);
    let last = sales.date.iter().filter(|d| inside(**d)).max().copied()?;
    let start = crate::period::add_days(last, -364);
    let cost: Vec<f64> = (0..ds.skus.len() as u32).map(|s| items.get(&s).map_or(0.0, |it| it.unit_cost)).collect();
    Some(
        (0..sales.len())
            .filter(|&i| sales.date[i] >= start && sales.date[i] <= last)
            .map(|i| sales.qty.get(i) * cost[sales.sku[i] as usize])
            .sum(),
    )
}

/// The orders and units of a history, per period and per location: the part of the KPIs that
/// reads the sales lines' order ids.
/// It borrows nothing: a run counts the orders as soon as the sales and backorders are read,
/// before the other tables, and the backorders counted are those of the same window then.
pub struct OrderTally {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// The whole span.
    overall: OrderCounts,
    /// Per period, oldest first.
    by_period: Vec<(NaiveDate, OrderCounts)>,
    /// Per location (none without locations).
    at: std::collections::BTreeMap<String, OrderCounts>,
}

/// Whether a day is in `[from, to]` (either end open when `None`).
fn window(from: Option<NaiveDate>, to: Option<NaiveDate>) -> impl Fn(NaiveDate) -> bool {
    move |d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
}

/// The backorders dated in `[from, to]`.
fn backorders_in(ds: &Dataset, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<&crate::ingest::Backorder> {
    let inside = window(from, to);
    ds.backorders.iter().flatten().filter(|b| inside(b.date)).collect()
}

/// Per distinct order id of the sales lines: whether a backorder dated in `[from, to]` names
/// it; ids flagged when read (over the whole history, [`OrderIds::flag_backordered`]) give
/// their flags.
fn backordered_ids<'i>(
    ds: &Dataset,
    ids: Option<&'i OrderIds>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> std::borrow::Cow<'i, [bool]> {
    if let Some(flags) = ids.and_then(OrderIds::backordered) {
        assert!(from.is_none() && to.is_none(), "order ids flagged over the whole history counted over a window");
        return std::borrow::Cow::Borrowed(flags);
    }
    std::borrow::Cow::Owned(ids.map_or(Vec::new(), |o| o.named_by(&backorders_in(ds, from, to))))
}

/// Counts the orders and units of sales and backorders dated in `[from, to]`: the first step
/// of [`compute_history`], after which the order ids are no longer needed.
pub fn count_orders(
    ds: &Dataset,
    sales: &Sales,
    sales_are: SalesAre,
    period: Period,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> OrderTally {
    let inside = window(from, to);
    let backs = backorders_in(ds, from, to);
    // Which orders had a backordered line: by order id when both files have one, else by
    // SKU and date.
    let back_keys: HashSet<(u32, NaiveDate)> =
        backs.iter().filter(|b| b.order_id.is_none()).map(|b| (b.sku, b.date)).collect();
    // Orders: by order id when the sales have one, else each line is an order. Per order id:
    // its first date and whether any line was backordered.
    let ids = sales.order_id.as_ref();
    let id_backordered = backordered_ids(ds, ids, from, to);
    let mut by_id: Vec<FirstSeen> = vec![FirstSeen::NONE; id_backordered.len()];
    let mut per: FxHashMap<i64, OrderCounts> = FxHashMap::default();
    let mut units: FxHashMap<i64, (f64, f64)> = FxHashMap::default();
    // With locations: orders, backordered orders and units per location.
    let locations: Vec<&str> = (0..ds.skus.len() as u32).map(|s| crate::ingest::split_key(ds.skus.name(s)).1).collect();
    let mut at: std::collections::BTreeMap<&str, AtLocation> = Default::default();
    let mut index = period.day_index();
    for i in 0..sales.len() {
        let d = sales.date[i];
        if !inside(d) {
            continue;
        }
        let p = index(d);
        let id = ids.map_or(OrderIds::NONE, |o| o.line[i]);
        let hit = (id != OrderIds::NONE && id_backordered[id as usize])
            || !back_keys.is_empty() && back_keys.contains(&(sales.sku[i], d));
        let loc = locations[sales.sku[i] as usize];
        if !loc.is_empty() {
            // Order ids and line numbers apart: a line without an id is an order of its own.
            let key = if id == OrderIds::NONE { LINE | i as u64 } else { u64::from(id) };
            let e = at.entry(loc).or_default();
            if hit {
                e.backordered.insert(key);
            }
            e.orders.insert(key);
            e.units += sales.qty.get(i);
        }
        if id == OrderIds::NONE {
            let c = per.entry(p).or_default();
            c.orders += 1;
            c.backordered_orders += usize::from(hit);
        } else {
            by_id[id as usize].add(d, hit);
        }
        units.entry(p).or_default().0 += sales.qty.get(i);
    }
    for b in &backs {
        let loc = locations[b.sku as usize];
        if !loc.is_empty() {
            at.entry(loc).or_default().units_backordered += b.qty;
        }
        let u = units.entry(period.index(b.date)).or_default();
        u.1 += b.qty;
        if sales_are == SalesAre::Shipments {
            // Ordered when the backorder was created; its fill's shipment is not a new order.
            u.0 += b.qty;
            if let (Some(f), false) = (b.filled_date, b.cancelled) {
                units.entry(period.index(f)).or_default().0 -= b.qty;
            }
        }
    }
    for (d, hit) in by_id.iter().filter_map(|x| x.get()) {
        let c = per.entry(period.index(d)).or_default();
        c.orders += 1;
        c.backordered_orders += usize::from(hit);
    }
    for (p, (o, b)) in &units {
        let c = per.entry(*p).or_default();
        c.units_ordered += o;
        c.units_backordered += b;
    }
    let mut by_period: Vec<(i64, OrderCounts)> = per.into_iter().collect();
    by_period.sort_by_key(|x| x.0);
    let mut overall = OrderCounts::default();
    for (_, c) in &by_period {
        overall.orders += c.orders;
        overall.backordered_orders += c.backordered_orders;
        overall.units_ordered += c.units_ordered;
        overall.units_backordered += c.units_backordered;
    }
    let by_period: Vec<(NaiveDate, OrderCounts)> = by_period.into_iter().map(|(p, c)| (period.start(p), c)).collect();
    let at = at
        .into_iter()
        .map(|(loc, a)| {
            let c = OrderCounts {
                orders: a.orders.len(),
                backordered_orders: a.backordered.len(),
                units_ordered: a.units,
                units_backordered: a.units_backordered,
            };
            (loc.to_string(), c)
        })
        .collect();
    OrderTally { from, to, overall, by_period, at }
}

/// The KPIs of a history from its order counts and the cost of its last year of sales
/// ([`yearly_cost`]): the rest reads no sales line.
pub fn from_counts(t: OrderTally, ds: &Dataset, yearly_cost: Option<f64>, lead_times: Option<&LeadTimes>) -> Kpis {
    let OrderTally { from, to, overall, by_period, at } = t;
    // The backorders counted: the dataset's are not released before the KPIs are counted.
    let backs = backorders_in(ds, from, to);
    let mut rows = Vec::new();
    let mut add = |kpi: &str, scope: &str, p: Option<NaiveDate>, value: f64, unit: &'static str| {
        if value.is_finite() {
            rows.push(Kpi { kpi: kpi.into(), scope: scope.into(), period_start: p, value: round4(value), unit });
        }
    };
    add("orders", "all", None, overall.orders as f64, "orders");
    add("backordered_orders", "all", None, overall.backordered_orders as f64, "orders");
    add("backorder_rate", "all", None, overall.backorder_rate(), "%");
    add("unit_fill_rate", "all", None, overall.fill_rate(), "%");
    // Days to fill, open and cancelled backorders.
    let mut days: Vec<f64> = backs
        .iter()
        .filter(|b| !b.cancelled)
        .filter_map(|b| b.filled_date.map(|f| (f - b.date).num_days() as f64))
        .collect();
    days.sort_by(f64::total_cmp);
    if !days.is_empty() {
        add("days_to_fill_mean", "all", None, days.iter().sum::<f64>() / days.len() as f64, "days");
        add("days_to_fill_p90", "all", None, quantile_sorted(&days, 0.9), "days");
    }
    let end = to.unwrap_or(NaiveDate::MAX);
    let open: Vec<&&crate::ingest::Backorder> =
        backs.iter().filter(|b| !b.cancelled && b.filled_date.is_none_or(|f| f > end)).collect();
    add("open_backorder_units", "all", None, open.iter().map(|b| b.qty).sum(), "units");
    if let Some(items) = &ds.items {
        let v: f64 = open.iter().map(|b| b.qty * items.get(&b.sku).map_or(0.0, |i| i.unit_cost)).sum();
        add("open_backorder_value", "all", None, v, "value");
    }
    let cancelled: Vec<&&crate::ingest::Backorder> = backs.iter().filter(|b| b.cancelled).collect();
    add("cancelled_backorders", "all", None, cancelled.len() as f64, "orders");
    add("cancelled_backorder_units", "all", None, cancelled.iter().map(|b| b.qty).sum(), "units");
    // Turnover: cost of the last year's demand over the value of stock on hand now (the
    // contract has no inventory history, so today's stock stands in for the average).
    if let (Some(items), Some(inv), Some(cogs)) = (&ds.items, &ds.inventory, yearly_cost) {
        // Summed in SKU order: the map's own order changes from run to run, and so would the
        // last digits of a sum over a million items.
        let mut held: Vec<(u32, f64)> = inv.iter().map(|(s, q)| (*s, *q)).collect();
        held.sort_unstable_by_key(|x| x.0);
        let stock: f64 = held.iter().map(|(s, q)| q * items.get(s).map_or(0.0, |it| it.unit_cost)).sum();
        if stock > 0.0 {
            add("inventory_turnover", "all", None, cogs / stock, "ratio");
            add("inventory_value", "all", None, stock, "value");
        }
    }
    if let Some(lt) = lead_times {
        for (sup, st) in &lt.supplier {
            if let Some(o) = st.on_time {
                add("supplier_on_time_rate", sup, None, 100.0 * o, "%");
            }
            add("supplier_lead_time_days", sup, None, st.mean, "days");
            if let Some(v) = st.vs_planned {
                add("supplier_days_vs_planned", sup, None, v, "days");
            }
        }
    }
    for (loc, c) in &at {
        let scope = format!("location:{loc}");
        add("backorder_rate", &scope, None, c.backorder_rate(), "%");
        add("unit_fill_rate", &scope, None, c.fill_rate(), "%");
        add("orders", &scope, None, c.orders as f64, "orders");
    }
    for (p, c) in &by_period {
        add("backorder_rate", "period", Some(*p), c.backorder_rate(), "%");
        add("unit_fill_rate", "period", Some(*p), c.fill_rate(), "%");
        add("orders", "period", Some(*p), c.orders as f64, "orders");
    }
    Kpis { from, to, overall, by_period, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{row_number, Backorder, OptNum, Sales, Skus};
    use crate::period::parse_date;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    /// Ten orders of 10 units, three with a backordered line of 5, 4 and 3 units.
    fn dataset(with_ids: bool) -> Dataset {
        let mut skus = Skus::default();
        let a = skus.intern("A");
        let dates: Vec<NaiveDate> = (1..=10).map(|i| d(&format!("2025-03-{:02}", i))).collect();
        let sales = Sales {
            sku: vec![a; 10],
            date: dates.clone(),
            qty: vec![10.0; 10].into(),
            order_id: with_ids.then(|| {
                let ids: Vec<String> = (1..=10).map(|i| format!("O{i}")).collect();
                OrderIds::from_cells(ids.iter().map(|s| Some(s.as_str())))
            }),
        };
        let bo = |i: usize, q: f64, filled: Option<&str>| Backorder {
            sku: a,
            date: dates[i - 1],
            qty: q,
            filled_date: filled.map(d),
            order_id: with_ids.then(|| format!("O{i}").into()),
            cancelled: false,
            priority: OptNum::NONE,
            promised_date: None,
            row: row_number(i),
        };
        Dataset {
            skus,
            sales,
            backorders: Some(vec![bo(1, 5.0, Some("2025-03-08")), bo(3, 4.0, Some("2025-03-13")), bo(5, 3.0, None)]),
            ..Default::default()
        }
    }

    #[test]
    fn an_order_keeps_its_first_day_and_any_backorder() {
        let mut o = FirstSeen::NONE;
        assert_eq!(o.get(), None);
        o.add(d("2025-03-10"), false);
        o.add(d("2025-03-03"), false);
        assert_eq!(o.get(), Some((d("2025-03-03"), false)));
        o.add(d("2025-03-17"), true);
        o.add(d("2025-03-12"), false);
        assert_eq!(o.get(), Some((d("2025-03-03"), true)));
        let mut early = FirstSeen::NONE;
        let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        early.add(first, true);
        assert_eq!(early.get(), Some((first, true)));
    }

    #[test]
    fn backorder_rate_and_fill_rate_by_hand() {
        for ids in [true, false] {
            let k = compute(&dataset(ids), SalesAre::Orders, Period::Month, None, None, None, None);
            assert_eq!(k.overall.orders, 10);
            assert_eq!(k.overall.backordered_orders, 3);
            assert!((k.overall.backorder_rate() - 30.0).abs() < 1e-12);
            // 100 ordered, 12 backordered.
            assert!((k.overall.fill_rate() - 88.0).abs() < 1e-12);
            let get = |n: &str| k.rows.iter().find(|r| r.kpi == n && r.scope == "all").unwrap().value;
            // Filled after 7 and 10 days.
            assert!((get("days_to_fill_mean") - 8.5).abs() < 1e-12);
            assert_eq!(get("open_backorder_units"), 3.0);
        }
    }

    #[test]
    fn orders_with_ids_count_once_and_lines_without_ids_count_each() {
        let mut skus = Skus::default();
        let (a, b) = (skus.intern("A"), skus.intern("B"));
        let day = |i: u32| d(&format!("2025-03-{i:02}"));
        let ids = [Some("O1"), Some("O1"), None, None, Some("O2")];
        let order_id = OrderIds::from_cells(ids.iter().copied());
        assert_eq!(order_id.names().collect::<Vec<_>>(), ["O1", "O2"]);
        assert_eq!((order_id.get(1), order_id.get(2), order_id.get(4)), (Some("O1"), None, Some("O2")));
        let sales = Sales {
            sku: vec![a, b, a, a, a],
            date: vec![day(3), day(3), day(4), day(5), day(5)],
            qty: vec![1.0; 5].into(),
            order_id: Some(order_id),
        };
        let bo = |sku: u32, date: NaiveDate, id: Option<&str>| Backorder {
            sku,
            date,
            qty: 1.0,
            filled_date: None,
            order_id: id.map(Into::into),
            cancelled: false,
            priority: OptNum::NONE,
            promised_date: None,
            row: 1,
        };
        // O1 by its id; the line of A on the 4th by SKU and date.
        let ds = Dataset {
            skus,
            sales,
            backorders: Some(vec![bo(b, day(3), Some("O1")), bo(a, day(4), None)]),
            ..Default::default()
        };
        let k = compute(&ds, SalesAre::Orders, Period::Month, None, None, None, None);
        assert_eq!(k.overall.orders, 4);
        assert_eq!(k.overall.backordered_orders, 2);
        // The same counts once the ids keep only their flags, as `plan` reads them.
        let mut flagged = ds;
        let backs = flagged.backorders.clone().unwrap_or_default();
        let ids = flagged.sales.order_id.as_mut().unwrap();
        ids.flag_backordered(&backs);
        assert_eq!((ids.len(), ids.backordered()), (2, Some(&[true, false][..])));
        assert_eq!(compute(&flagged, SalesAre::Orders, Period::Month, None, None, None, None).rows, k.rows);
    }

    #[test]
    fn flagged_order_ids_count_as_named_ones() {
        let whole = compute(&dataset(true), SalesAre::Orders, Period::Week, None, None, None, None);
        let mut ds = dataset(true);
        let backs = ds.backorders.clone().unwrap_or_default();
        ds.sales.order_id.as_mut().unwrap().flag_backordered(&backs);
        let k = compute(&ds, SalesAre::Orders, Period::Week, None, None, None, None);
        assert_eq!((k.overall.orders, k.overall.backordered_orders), (10, 3));
        assert_eq!(k.rows, whole.rows);
    }

    #[test]
    fn turnover_is_the_last_years_cost_of_sales_over_todays_stock_value() {
        let mut ds = dataset(false);
        let a = ds.skus.get("A").unwrap();
        // A line 400 days before the last one is out of the year.
        ds.sales.sku.push(a);
        ds.sales.date.push(d("2024-02-04"));
        ds.sales.qty.push(1000.0);
        let item = crate::ingest::Item::plain(a, "S", 2.0, 7.0);
        ds.items = Some(std::collections::HashMap::from([(a, item)]));
        ds.inventory = Some(std::collections::HashMap::from([(a, 50.0)]));
        // 100 units at 2 sold in the year, 50 units at 2 on hand: 200 / 100.
        assert_eq!(yearly_cost(&ds, &ds.sales, None, None), Some(200.0));
        let k = compute(&ds, SalesAre::Orders, Period::Month, None, None, None, None);
        let get = |n: &str| k.rows.iter().find(|r| r.kpi == n && r.scope == "all").map(|r| r.value);
        assert_eq!((get("inventory_turnover"), get("inventory_value")), (Some(2.0), Some(100.0)));
        ds.inventory = None;
        assert_eq!(yearly_cost(&ds, &ds.sales, None, None), None);
    }

    #[test]
    fn date_window_limits_the_counts() {
        let k = compute(&dataset(true), SalesAre::Orders, Period::Week, Some(d("2025-03-04")), None, None, None);
        // Orders 4..=10: seven, one backordered (O5).
        assert_eq!(k.overall.orders, 7);
        assert_eq!(k.overall.backordered_orders, 1);
    }
}
