//! Supplier lead times measured from purchase-order receipts: per supplier and per SKU, with
//! a SKU's few receipts shrunk toward its supplier's figures, and what is still on order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;

use crate::ingest::{Item, PurchaseOrder};

/// Longest lead time taken as real, in days (ten years): a longer planned lead time is an input
/// error, a longer receipt is reported and left out.
pub const MAX_LEAD_TIME_DAYS: i64 = 3650;

/// Weight, in receipts, of the supplier's figures when shrinking a SKU's own.
pub const SHRINK_RECEIPTS: f64 = 5.0;

/// Receipts needed before a SKU's (or supplier's) own receipts are resampled in simulations.
pub const MIN_RESAMPLE: usize = 5;

/// Lead-time statistics of a set of receipts, in days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Receipts measured.
    pub receipts: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 with one receipt).
    pub sd: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Share received on or before the expected date, of receipts that had one.
    pub on_time: Option<f64>,
    /// Mean of received minus planned lead time, in days.
    pub vs_planned: Option<f64>,
    /// Days late against the promise of each receipt that had one (negative when early),
    /// sorted.
    pub delays: Vec<f64>,
    /// The receipts themselves, in days, sorted (shared with the lead times resampled from them).
    pub samples: Arc<Vec<f64>>,
}

impl Stats {
    /// Receipts that had a promised date, and their mean days late against it (0 for none).
    pub fn late(&self) -> (usize, f64) {
        let n = self.delays.len();
        (n, if n > 0 { self.delays.iter().sum::<f64>() / n as f64 } else { 0.0 })
    }
}

/// Empirical quantile with linear interpolation (type 7) of sorted `v`.
pub fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn stats(mut days: Vec<i32>, on_time: (usize, usize), vs_planned: (f64, usize), mut late: Vec<i32>) -> Stats {
    // Whole days, sorted, then as numbers in vectors of exactly their length: held for the
    // whole run (a million items have 24 million receipts, twice: the SKU's and the
    // supplier's).
    days.sort_unstable();
    late.sort_unstable();
    let samples: Vec<f64> = days.into_iter().map(f64::from).collect();
    let delays: Vec<f64> = late.into_iter().map(f64::from).collect();
    let n = samples.len();
    let mean = samples.iter().sum::<f64>() / n as f64;
    let sd =
        if n > 1 { (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    Stats {
        receipts: n,
        mean,
        sd,
        p50: quantile_sorted(&samples, 0.5),
        p90: quantile_sorted(&samples, 0.9),
        on_time: (on_time.1 > 0).then(|| on_time.0 as f64 / on_time.1 as f64),
        vs_planned: (vs_planned.1 > 0).then(|| vs_planned.0 / vs_planned.1 as f64),
        delays,
        samples: Arc::new(samples),
    }
}

/// The lead time a SKU is planned with.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    /// Mean, in days.
    pub mean: f64,
    /// Standard deviation, in days.
    pub sd: f64,
    /// SKU receipts measured.
    pub receipts: usize,
    /// `history` (own receipts), `shrunk` (few own receipts pulled toward the supplier's),
    /// or `planned` (no receipts: the item's planned lead time, with the supplier's relative
    /// spread when it has receipts).
    pub source: &'static str,
    /// Days to resample in simulations, scaled to `mean`; empty to draw from a normal.
    pub samples: Samples,
}

/// Lead times of a portfolio.
#[derive(Debug, Clone, Default)]
pub struct LeadTimes {
    /// Per SKU index: own statistics (when it has receipts) and the figures planned with.
    pub sku: HashMap<u32, (Option<Stats>, LeadTime)>,
    /// Per supplier code.
    pub supplier: BTreeMap<String, Stats>,
    /// Findings for stderr.
    pub warnings: Vec<String>,
}

/// Receipts measured from purchase orders, per supplier and per SKU key.
#[derive(Debug, Clone)]
pub struct Measured<K> {
    /// Per SKU key (see [`measure`]).
    pub sku: HashMap<K, Stats>,
    /// Per supplier code.
    pub supplier: BTreeMap<String, Stats>,
    /// Receipts left out: the file's row and the days measured.
    pub left_out: Vec<(usize, i64)>,
}

impl<K> Measured<K> {
    /// The receipts left out, in words (none: `None`).
    pub fn warning(&self) -> Option<String> {
        left_out_warning(&self.left_out)
    }
}

/// Days from order to receipt of a purchase order line received before `as_of`: `Ok` when it
/// can be a lead time, `Err` when it cannot (received before ordered, or past
/// [`MAX_LEAD_TIME_DAYS`]); `None` when not received before `as_of`.
fn receipt_days(p: &PurchaseOrder, as_of: NaiveDate) -> Option<std::result::Result<i64, i64>> {
    let r = p.received_date.filter(|r| *r < as_of)?;
    let days = (r - p.order_date).num_days();
    Some(if (0..=MAX_LEAD_TIME_DAYS).contains(&days) { Ok(days) } else { Err(days) })
}

/// The rows and days of the receipts before `as_of` that cannot be lead times, as
/// [`measure`] leaves them out.
pub fn unmeasurable(pos: &[PurchaseOrder], as_of: NaiveDate) -> Vec<(usize, i64)> {
    pos.iter().filter_map(|p| receipt_days(p, as_of)?.err().map(|d| (p.row as usize, d))).collect()
}

/// Receipts left out (row, days), in words (none: `None`).
pub fn left_out_warning(bad: &[(usize, i64)]) -> Option<String> {
    if bad.is_empty() {
        return None;
    }
    let rows: Vec<String> = bad.iter().take(8).map(|(r, d)| format!("row {r} ({d} days)")).collect();
    Some(format!(
        "{} row(s) of purchase_orders have an impossible lead time (column `received_date` before `order_date`, or over {} days after it) and were left out of the lead times: {}{}",
        bad.len(),
        MAX_LEAD_TIME_DAYS,
        rows.join(", "),
        if bad.len() > 8 { ", ..." } else { "" }
    ))
}

/// Measures lead times from receipts before `as_of`. Each received row is one receipt (a
/// partial delivery is a row of its own); open rows are not lead times. Every receipt counts
/// for its supplier, and for the SKU key `sku_key` gives it (none: for no SKU); `planned`
/// gives the planned lead time a receipt is compared with.
pub fn measure<K: std::hash::Hash + Eq>(
    pos: &[PurchaseOrder],
    as_of: NaiveDate,
    sku_key: impl Fn(&PurchaseOrder) -> Option<K>,
    planned: impl Fn(&PurchaseOrder) -> Option<f64>,
) -> Measured<K> {
    // Days and delays are whole days: as `i32` while measuring, half the memory of numbers.
    #[derive(Default)]
    struct Acc {
        days: Vec<i32>,
        on_time: (usize, usize),
        vs_planned: (f64, usize),
        delays: Vec<i32>,
    }
    let mut by_sku: HashMap<K, Acc> = HashMap::new();
    let mut by_sup: HashMap<crate::ingest::SupplierCode, Acc> = HashMap::new();
    let mut left_out = Vec::new();
    for p in pos {
        let days = match receipt_days(p, as_of) {
            None => continue,
            Some(Err(days)) => {
                left_out.push((p.row as usize, days));
                continue;
            }
            Some(Ok(days)) => days,
        };
        let Some(r) = p.received_date else { continue };
        let d = days as f64;
        let planned = planned(p);
        let add = |acc: &mut Acc| {
            // Within 0..=MAX_LEAD_TIME_DAYS.
            acc.days.push(days as i32);
            if let Some(e) = p.expected_date {
                acc.on_time.1 += 1;
                acc.on_time.0 += usize::from(r <= e);
                // Two dates chrono holds are under 2^28 days apart.
                acc.delays.push((r - e).num_days() as i32);
            }
            if let Some(pl) = planned {
                acc.vs_planned.0 += d - pl;
                acc.vs_planned.1 += 1;
            }
        };
        if let Some(k) = sku_key(p) {
            add(by_sku.entry(k).or_default());
        }
        add(by_sup.entry(p.supplier).or_default());
    }
    let done = |a: Acc| stats(a.days, a.on_time, a.vs_planned, a.delays);
    Measured {
        sku: by_sku.into_iter().map(|(k, a)| (k, done(a))).collect(),
        supplier: by_sup.into_iter().map(|(k, a)| (k.to_string(), done(a))).collect(),
        left_out,
    }
}

/// Measures lead times from receipts before `as_of` ([`measure`]): a SKU's own receipts count
/// only when it is planned, and each SKU gets the lead time it is planned with.
pub fn lead_times(items: &HashMap<u32, Item>, pos: &[PurchaseOrder], as_of: NaiveDate) -> LeadTimes {
    let mut m = measure(
        pos,
        as_of,
        |p| items.contains_key(&p.sku).then_some(p.sku),
        |p| items.get(&p.sku).map(|i| i.lead_time_days),
    );
    let warnings: Vec<String> = m.warning().into_iter().collect();
    let supplier = m.supplier;
    let sku = items
        .iter()
        .map(|(&s, item)| {
            let own = m.sku.remove(&s);
            let sup = supplier.get(&item.supplier);
            // The SKU is shrunk toward the supplier's OTHER receipts: its own count once.
            let others = sup.map(|x| without(x, own.as_ref()));
            (s, (own.clone(), plan_lead_time(own.as_ref(), sup, others.as_ref(), item.lead_time_days)))
        })
        .collect();
    LeadTimes { sku, supplier, warnings }
}

/// Mean and sd of a supplier's receipts other than one SKU's (no samples: only the moments
/// are used for shrinking).
fn without(sup: &Stats, own: Option<&Stats>) -> Stats {
    let Some(o) = own else { return Stats { samples: Arc::default(), ..sup.clone() } };
    let n = sup.receipts.saturating_sub(o.receipts);
    if n == 0 {
        return Stats::default();
    }
    let sum_sq = |s: &Stats| s.sd * s.sd * (s.receipts.max(1) - 1) as f64 + s.receipts as f64 * s.mean * s.mean;
    let sum = sup.mean * sup.receipts as f64 - o.mean * o.receipts as f64;
    let mean = sum / n as f64;
    let ss = (sum_sq(sup) - sum_sq(o)).max(0.0);
    let var = if n > 1 { ((ss - n as f64 * mean * mean) / (n - 1) as f64).max(0.0) } else { 0.0 };
    Stats { receipts: n, mean, sd: var.sqrt(), ..Stats::default() }
}

/// `samples` moved and stretched to mean `mean` and sd `sd` (never below 0).
fn restate(samples: &Arc<Vec<f64>>, from_mean: f64, from_sd: f64, mean: f64, sd: f64) -> Samples {
    let k = if from_sd > 0.0 { sd / from_sd } else { 1.0 };
    Samples::of(samples).then(Step::Restate { from: from_mean, k, to: mean })
}

/// Lead times to resample, in days: receipts shared with the statistics they were measured in
/// (a supplier's may be tens of thousands, for each of its SKUs), and the steps that move them
/// to the figures planned with, applied in order when one is drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Samples {
    base: Arc<Vec<f64>>,
    steps: Vec<Step>,
}

/// One step applied to a resampled lead time `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// `(to + (x - from) * k)`, never below 0.
    Restate {
        /// Mean moved from.
        from: f64,
        /// Stretch.
        k: f64,
        /// Mean moved to.
        to: f64,
    },
    /// `x * num / den`.
    Ratio {
        /// Numerator.
        num: f64,
        /// Denominator.
        den: f64,
    },
    /// `x * k`.
    Times(f64),
    /// `x + d`, never below 0.
    Plus(f64),
}

impl Step {
    fn apply(self, x: f64) -> f64 {
        match self {
            Step::Restate { from, k, to } => (to + (x - from) * k).max(0.0),
            Step::Ratio { num, den } => x * num / den,
            Step::Times(k) => x * k,
            Step::Plus(d) => (x + d).max(0.0),
        }
    }
}

impl Samples {
    /// Samples taken as they are.
    pub fn new(v: Vec<f64>) -> Samples {
        Samples { base: Arc::new(v), steps: Vec::new() }
    }

    /// Samples shared with `base`, as they are.
    pub fn of(base: &Arc<Vec<f64>>) -> Samples {
        Samples { base: Arc::clone(base), steps: Vec::new() }
    }

    /// The samples with one more step.
    pub fn then(mut self, step: Step) -> Samples {
        self.steps.push(step);
        self
    }

    /// Adds a step.
    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.base.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// Sample `i`, every step applied.
    pub fn get(&self, i: usize) -> f64 {
        self.steps.iter().fold(self.base[i], |x, s| s.apply(x))
    }
}

/// The figures a SKU is planned with, from its own receipts, its supplier's (`sup`, and
/// `others`: the supplier's receipts without this SKU's), and the plan. Samples for resampling
/// always carry the figures planned with, so both planning methods use the same lead time.
pub fn plan_lead_time(own: Option<&Stats>, sup: Option<&Stats>, others: Option<&Stats>, planned: f64) -> LeadTime {
    let sup = sup.filter(|s| s.receipts > 0);
    let others = others.filter(|s| s.receipts > 0);
    match (own, others) {
        (Some(o), Some(s)) if o.receipts < 20 => {
            let n = o.receipts as f64;
            let k = SHRINK_RECEIPTS;
            let mean = (n * o.mean + k * s.mean) / (n + k);
            let var = ((n - 1.0) * o.sd * o.sd + k * s.sd * s.sd) / ((n - 1.0) + k);
            let sd = var.sqrt();
            let samples = if o.receipts >= MIN_RESAMPLE {
                restate(&o.samples, o.mean, o.sd, mean, sd)
            } else {
                match sup {
                    Some(s) if s.receipts >= MIN_RESAMPLE && s.mean > 0.0 => {
                        restate(&s.samples, s.mean, s.sd, mean, sd)
                    }
                    _ => Samples::default(),
                }
            };
            LeadTime { mean, sd, receipts: o.receipts, source: "shrunk", samples }
        }
        (Some(o), _) => {
            let samples = if o.receipts >= MIN_RESAMPLE { Samples::of(&o.samples) } else { Samples::default() };
            LeadTime { mean: o.mean, sd: o.sd, receipts: o.receipts, source: "history", samples }
        }
        (None, _) => match sup {
            Some(s) => {
                let cv = if s.mean > 0.0 { s.sd / s.mean } else { 0.0 };
                let samples = if s.receipts >= MIN_RESAMPLE && s.mean > 0.0 {
                    Samples::of(&s.samples).then(Step::Ratio { num: planned, den: s.mean })
                } else {
                    Samples::default()
                };
                LeadTime { mean: planned, sd: cv * planned, receipts: 0, source: "planned", samples }
            }
            None => LeadTime { mean: planned, sd: 0.0, receipts: 0, source: "planned", samples: Samples::default() },
        },
    }
}

/// Units on order per SKU at `as_of`: rows ordered before it and not received before it.
pub fn on_order(pos: &[PurchaseOrder], as_of: NaiveDate) -> HashMap<u32, f64> {
    let mut out: HashMap<u32, f64> = HashMap::new();
    for p in pos {
        if p.open_at(as_of) {
            *out.entry(p.sku).or_default() += p.qty;
        }
    }
    out
}

/// Receipts with a promised date a supplier needs before its lateness moves the dates of its
/// open orders.
pub const MIN_LATE_RECEIPTS: usize = 5;

/// Days an open order of `sup` is expected after its promised date: the supplier's mean
/// lateness against its promises, rounded, when it has at least [`MIN_LATE_RECEIPTS`] such
/// receipts and is late by a day or more on average; else 0.
pub fn supplier_delay(sup: Option<&Stats>) -> i64 {
    match sup {
        Some(s) => match s.late() {
            (n, days) if n >= MIN_LATE_RECEIPTS && days >= 1.0 => days.round() as i64,
            _ => 0,
        },
        None => 0,
    }
}

/// One open purchase-order row: what arrives, and when it is expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// Purchase order number.
    pub po_id: String,
    /// Day expected (never before the as-of date).
    pub due: NaiveDate,
    /// Units.
    pub qty: f64,
    /// Which rule gave `due`: `expected_date`, `expected_date+supplier_delay`,
    /// `order_date+lead_time`, or `overdue` (the promised date, or the order date plus the
    /// lead time, has passed: expected after the median extra wait of the supplier's receipts
    /// that were as late, else today).
    pub basis: &'static str,
    /// Days after `due` it may arrive, equally likely points (the supplier's record of
    /// lateness against promises, or the lead time's spread; for an overdue order, given that it
    /// is already late); `[0]` when nothing is known.
    pub spread: Vec<f64>,
}

/// Probability points of [`Incoming::spread`].
const SPREAD_POINTS: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];

/// Points of `v` (sorted) at [`SPREAD_POINTS`], less `shift`; `[0]` for no data.
fn spread_of(v: &[f64], shift: f64) -> Vec<f64> {
    if v.is_empty() {
        return vec![0.0];
    }
    SPREAD_POINTS.iter().map(|p| quantile_sorted(v, *p) - shift).collect()
}

/// Open purchase-order rows per SKU at `as_of`, in the order they are expected: the promised
/// date, moved by the supplier's measured lateness ([`supplier_delay`]); else the order date
/// plus the SKU's lead time (`lead(sku)`: mean and sd in days; a measured lead time already
/// carries the lateness); never before `as_of`.
pub fn scheduled_receipts<'a>(
    pos: &[PurchaseOrder],
    as_of: NaiveDate,
    lead: impl Fn(u32) -> (f64, f64),
    supplier: impl Fn(&str) -> Option<&'a Stats>,
) -> HashMap<u32, Vec<Incoming>> {
    let mut out: HashMap<u32, Vec<Incoming>> = HashMap::new();
    // Per supplier, once: its lateness shift and the spread of its delays around it.
    let mut on_time: HashMap<&str, (i64, Vec<f64>)> = HashMap::new();
    for p in pos {
        if p.open_at(as_of) {
            let add = crate::period::add_days;
            let (due, basis, spread) = match p.expected_date {
                Some(e) => {
                    let sup = supplier(&p.supplier);
                    let delays = sup.map_or(&[][..], |s| s.delays.as_slice());
                    if e < as_of {
                        // Already late by `gone` days: expected after the median of how much
                        // later the supplier's receipts that were this late came (the delays
                        // are sorted: those later than `gone` are a tail).
                        let gone = (as_of - e).num_days() as f64;
                        debug_assert!(delays.is_sorted_by(|a, b| a <= b), "supplier delays must be sorted");
                        let later = &delays[delays.partition_point(|d| *d <= gone)..];
                        let more: Vec<f64> = later.iter().map(|d| d - gone).collect();
                        let wait = if more.is_empty() { 0.0 } else { quantile_sorted(&more, 0.5).round() };
                        (add(as_of, wait as i64), "overdue", spread_of(&more, wait))
                    } else {
                        let (shift, spread) = on_time
                            .entry(p.supplier.as_str())
                            .or_insert_with(|| {
                                let shift = supplier_delay(sup);
                                (shift, spread_of(delays, shift as f64))
                            })
                            .clone();
                        let basis = if shift == 0 { "expected_date" } else { "expected_date+supplier_delay" };
                        (add(e, shift), basis, spread)
                    }
                }
                None => {
                    let (mean, sd) = lead(p.sku);
                    let due = add(p.order_date, mean.round() as i64);
                    let normal = |from: f64| -> Vec<f64> {
                        if sd <= 0.0 {
                            return vec![0.0];
                        }
                        let below = crate::policy::big_phi(from / sd);
                        SPREAD_POINTS
                            .iter()
                            .map(|q| {
                                sd * crate::policy::z_for_service((below + q * (1.0 - below)).min(1.0 - 1e-12)) - from
                            })
                            .collect()
                    };
                    if due < as_of {
                        (as_of, "overdue", normal((as_of - due).num_days() as f64))
                    } else {
                        (due, "order_date+lead_time", normal(f64::NEG_INFINITY))
                    }
                }
            };
            out.entry(p.sku).or_default().push(Incoming { po_id: p.po_id.to_string(), due, qty: p.qty, basis, spread });
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.po_id.cmp(&b.po_id)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::row_number;
    use crate::period::parse_date;

    fn po(sku: u32, sup: &str, od: &str, rd: Option<&str>, ed: Option<&str>, qty: f64, row: usize) -> PurchaseOrder {
        PurchaseOrder {
            po_id: format!("P{row}").into(),
            sku,
            supplier: sup.into(),
            order_date: parse_date(od).unwrap(),
            qty,
            received_date: rd.map(|d| parse_date(d).unwrap()),
            expected_date: ed.map(|d| parse_date(d).unwrap()),
            row: row_number(row),
        }
    }

    fn item(sup: &str, lt: f64) -> Item {
        Item::plain(0, sup, 1.0, lt)
    }

    #[test]
    fn sku_and_supplier_figures_with_shrinkage() {
        let items: HashMap<u32, Item> =
            [(0, item("S", 10.0)), (1, item("S", 10.0)), (2, item("T", 21.0))].into_iter().collect();
        let pos = vec![
            po(0, "S", "2024-01-01", Some("2024-01-11"), Some("2024-01-11"), 5.0, 1),
            po(0, "S", "2024-02-01", Some("2024-02-15"), Some("2024-02-11"), 5.0, 2),
            po(0, "S", "2024-03-01", Some("2024-02-20"), None, 5.0, 3), // before its order: left out
            po(0, "S", "2024-03-10", None, None, 7.0, 4),
            po(0, "S", "2024-03-20", Some("2024-04-10"), None, 3.0, 5), // after as-of: on order
            po(1, "S", "2024-01-01", Some("2024-01-21"), None, 5.0, 6),
            po(1, "S", "2024-01-05", Some("2024-01-25"), None, 5.0, 7),
            po(1, "S", "2024-01-09", Some("2024-01-29"), None, 5.0, 8),
        ];
        let as_of = parse_date("2024-04-01").unwrap();
        let lt = lead_times(&items, &pos, as_of);
        // Supplier S: receipts 10, 14, 20, 20, 20 -> mean 16.8; two of two on time? 10<=10 yes, 14>10 no.
        let s = &lt.supplier["S"];
        assert_eq!(s.receipts, 5);
        assert!((s.mean - 16.8).abs() < 1e-12);
        assert_eq!(s.on_time, Some(0.5));
        assert!((s.p50 - 20.0).abs() < 1e-12);
        // SKU 0: own 10 and 14 (mean 12, var 8) shrunk with weight 5 toward the supplier's OTHER
        // receipts (SKU 1's 20, 20, 20: mean 20, var 0), so its own are not counted twice.
        let (own, used) = &lt.sku[&0];
        assert_eq!(own.as_ref().unwrap().receipts, 2);
        assert_eq!(used.source, "shrunk");
        assert!((used.mean - (2.0 * 12.0 + 5.0 * 20.0) / 7.0).abs() < 1e-12, "{}", used.mean);
        assert!((used.sd - (1.0 * 8.0 / 6.0f64).sqrt()).abs() < 1e-9, "{}", used.sd);
        // SKU 2: no receipts, supplier T unknown: planned, no spread.
        assert_eq!(lt.sku[&2].1.source, "planned");
        assert_eq!(lt.sku[&2].1.mean, 21.0);
        assert_eq!(lt.warnings.len(), 1);
        assert!(lt.warnings[0].contains("row 3"));
        assert_eq!(on_order(&pos, as_of)[&0], 10.0);
        let sched = scheduled_receipts(&pos, as_of, |_| (12.0, 0.0), |_| None);
        // Row 4: ordered 03-10 + 12 days = 03-22, already past: due at the as-of date.
        assert_eq!((sched[&0][0].due, sched[&0][0].qty, sched[&0][0].basis), (as_of, 7.0, "overdue"));
        // Supplier S: 2 receipts against promises, 0 and 4 days late.
        assert_eq!(s.late(), (2, 2.0));
    }

    #[test]
    fn resampled_lead_times_apply_their_steps_in_order() {
        let base = Arc::new(vec![2.0, 10.0, 30.0]);
        let s = Samples::of(&base)
            .then(Step::Restate { from: 14.0, k: 0.5, to: 6.0 })
            .then(Step::Ratio { num: 3.0, den: 2.0 })
            .then(Step::Plus(-4.0))
            .then(Step::Times(2.0));
        // 2 -> max(0, 6 + (2 - 14) 0.5) = 0 -> 0 -> max(0, -4) = 0 -> 0;
        // 10 -> 4 -> 6 -> 2 -> 4; 30 -> 14 -> 21 -> 17 -> 34.
        assert_eq!((0..3).map(|i| s.get(i)).collect::<Vec<_>>(), [0.0, 4.0, 34.0]);
        assert_eq!(s.len(), 3);
        // The receipts are shared, not copied.
        assert_eq!(Arc::strong_count(&base), 2);
    }

    #[test]
    fn empirical_quantiles_interpolate() {
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!((quantile_sorted(&[10.0, 20.0], 0.9) - 19.0).abs() < 1e-12);
    }
}
