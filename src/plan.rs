//! The plan: for every item, the service target (from its ABC class or its own column), the
//! lead-time demand (normal approximation for smooth demand, a seeded Monte Carlo over the
//! forecast and lead-time distributions for intermittent demand), safety stock, reorder point
//! and order-up-to level, now and for each future period, and, when the inventory position is
//! at or below the reorder point, an order rounded to MOQ and order multiple, grouped by
//! supplier into suggested purchase orders, with the reason in words.

use std::collections::HashMap;

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::config::{Policy, ServiceMeasure, Settings};
use crate::forecast::{DemandClass, Forecasts};
use crate::ingest::{Backorder, Dataset, Item};
use crate::leadtime::{lead_times, on_order, scheduled_receipts, LeadTime, LeadTimes};
use crate::period::add_days;
use crate::policy::{big_phi, eoq, k_for_fill_rate, normal_loss, protection_sd, round_order, z_for_service};
use crate::series::SeriesSet;

/// One planned SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// Suggested purchase order number (empty when nothing is ordered).
    pub po_number: String,
    /// SKU code.
    pub sku: String,
    /// SKU index.
    pub sku_index: u32,
    /// Supplier code.
    pub supplier: String,
    /// ABC class by yearly consumption value.
    pub abc: char,
    /// XYZ class by demand variability.
    pub xyz: char,
    /// Demand class of the forecast.
    pub class: &'static str,
    /// Forecast model used.
    pub model: String,
    /// `normal` or `bootstrap`.
    pub method: &'static str,
    /// `cycle` or `fill_rate`.
    pub service_measure: &'static str,
    /// Target in that measure.
    pub service_target: f64,
    /// Units in stock.
    pub on_hand: f64,
    /// Units on open purchase orders.
    pub on_order: f64,
    /// Customer units still waiting.
    pub open_backorders: f64,
    /// on_hand + on_order - open_backorders.
    pub inventory_position: f64,
    /// Mean forecast demand per period over the protection interval.
    pub demand_per_period: f64,
    /// Standard deviation of demand per period.
    pub demand_sd_per_period: f64,
    /// Lead time used, in days.
    pub lead_time_days: f64,
    /// Its standard deviation, in days.
    pub lead_time_sd_days: f64,
    /// `history`, `shrunk` or `planned`.
    pub lead_time_source: &'static str,
    /// SKU receipts measured.
    pub receipts: usize,
    /// Expected demand over the lead time.
    pub lead_time_demand: f64,
    /// Lead time plus review period, in periods.
    pub protection_periods: f64,
    /// Expected demand over the protection interval.
    pub protection_demand: f64,
    /// Its standard deviation.
    pub protection_sd: f64,
    /// Safety factor (z for cycle service, k for fill rate; implied for bootstrap).
    pub safety_factor: f64,
    /// Safety stock in units.
    pub safety_stock: f64,
    /// Reorder point s.
    pub reorder_point: f64,
    /// Order-up-to level S = s + cycle quantity.
    pub order_up_to: f64,
    /// Cycle quantity Q.
    pub cycle_qty: f64,
    /// Minimum order quantity applied.
    pub moq: f64,
    /// Order multiple applied.
    pub order_multiple: f64,
    /// Review period in periods (0 for continuous review).
    pub review_periods: f64,
    /// Economic order quantity, when an order cost is known.
    pub eoq: Option<f64>,
    /// Expected units short per replenishment cycle.
    pub expected_shortage: f64,
    /// Fill rate the policy implies.
    pub expected_fill_rate: f64,
    /// Cycle service level the policy implies.
    pub expected_cycle_service: f64,
    /// Suggested order quantity (0 when none).
    pub order_qty: f64,
    /// Cost per unit.
    pub unit_cost: f64,
    /// order_qty x unit_cost.
    pub order_value: f64,
    /// safety_stock x unit_cost.
    pub safety_stock_value: f64,
    /// Day to order.
    pub order_date: NaiveDate,
    /// Day the order should arrive.
    pub expected_arrival: NaiveDate,
    /// When stock runs out on the mean forecast if nothing is ordered (within the horizon).
    pub projected_stockout: Option<NaiveDate>,
    /// Probability that demand before an order placed now arrives exceeds the position.
    pub stockout_risk: f64,
    /// The decision in words.
    pub reason: String,
}

/// Reorder point and safety stock of one SKU in one future period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    /// SKU code.
    pub sku: String,
    /// Period start.
    pub period_start: NaiveDate,
    /// Mean forecast demand of the period.
    pub demand: f64,
    /// Expected demand over the protection interval starting then.
    pub protection_demand: f64,
    /// Safety stock then.
    pub safety_stock: f64,
    /// Reorder point then.
    pub reorder_point: f64,
    /// Order-up-to level then.
    pub order_up_to: f64,
}

/// One period of the projected inventory of a SKU on the mean forecast, following the
/// policy: the sawtooth a planner expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedPeriod {
    /// Period start.
    pub period_start: NaiveDate,
    /// Units received at the start of the period (open orders, today's proposal, later orders).
    pub receipts: f64,
    /// Units ordered at the start of the period by the policy (today's proposal in period 0).
    pub ordered: f64,
    /// Stock after receipts at the start of the period.
    pub on_hand_start: f64,
    /// Stock at the end of the period, after mean demand (negative: backorders).
    pub on_hand_end: f64,
    /// Safety stock in the period.
    pub safety_stock: f64,
    /// Reorder point in the period.
    pub reorder_point: f64,
}

/// Result of planning a dataset.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One row per item, in SKU code order.
    pub rows: Vec<PlanRow>,
    /// Time-phased rows, per SKU then period.
    pub by_period: Vec<PeriodRow>,
    /// Projected inventory per SKU (same order as `rows`).
    pub projections: Vec<Vec<ProjectedPeriod>>,
    /// Lead-time figures.
    pub lead_times: LeadTimes,
    /// Findings for stderr.
    pub warnings: Vec<String>,
}

/// How a lead time changes in a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeadChange {
    /// Multiply by a factor.
    Factor(f64),
    /// Set to a number of days.
    Days(f64),
    /// Add (or remove) days.
    Plus(f64),
}

/// A scenario's changes, applied to the items in its scope (all items without one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adjust {
    /// Only items of this ABC class.
    pub abc: Option<char>,
    /// Only items of this supplier.
    pub supplier: Option<String>,
    /// Cycle service target.
    pub service: Option<f64>,
    /// Fill-rate target.
    pub fill_rate: Option<f64>,
    /// Lead-time change.
    pub lead_time: Option<LeadChange>,
    /// Factor on the lead-time standard deviation.
    pub lead_time_sd: Option<f64>,
    /// Factor on demand.
    pub demand: Option<f64>,
    /// Review period in periods.
    pub review: Option<f64>,
    /// Factor on MOQs.
    pub moq: Option<f64>,
}

impl Adjust {
    /// True when the scenario applies to an item of class `abc` from `supplier`.
    pub fn applies(&self, abc: char, supplier: &str) -> bool {
        self.abc.is_none_or(|a| a == abc) && self.supplier.as_deref().is_none_or(|s| s == supplier)
    }
}

/// Units of open backorders per SKU at `as_of`.
pub fn open_backorders(backorders: &[Backorder], as_of: NaiveDate) -> HashMap<u32, f64> {
    let mut out: HashMap<u32, f64> = HashMap::new();
    for b in backorders {
        if b.date < as_of && !b.cancelled && b.filled_date.is_none_or(|f| f >= as_of) {
            *out.entry(b.sku).or_default() += b.qty;
        }
    }
    out
}

/// ABC class per item by yearly consumption value (demand of the last year of history x unit
/// cost; shorter histories scaled to a year): A until `cuts[0]` of the cumulative value, B
/// until `cuts[1]`, C after.
pub fn abc_classes(values: &[(u32, f64)], cuts: [f64; 2]) -> HashMap<u32, char> {
    let mut v: Vec<(u32, f64)> = values.to_vec();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: f64 = v.iter().map(|x| x.1.max(0.0)).sum();
    let mut cum = 0.0;
    v.into_iter()
        .map(|(s, x)| {
            let share = if total > 0.0 { cum / total } else { 1.0 };
            cum += x.max(0.0);
            let c = if x <= 0.0 {
                'C'
            } else if share < cuts[0] {
                'A'
            } else if share < cuts[1] {
                'B'
            } else {
                'C'
            };
            (s, c)
        })
        .collect()
}

/// XYZ class by the coefficient of variation of demand per period over the last year:
/// X below 0.5, Y below 1, Z otherwise (and without history).
pub fn xyz_class(recent: &[f64]) -> char {
    if recent.is_empty() {
        return 'Z';
    }
    let n = recent.len() as f64;
    let m = recent.iter().sum::<f64>() / n;
    if m <= 0.0 {
        return 'Z';
    }
    let cv = (recent.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt() / m;
    if cv < 0.5 {
        'X'
    } else if cv < 1.0 {
        'Y'
    } else {
        'Z'
    }
}

/// A stable hash of a SKU code, so each SKU's random draws do not depend on the others.
pub(crate) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Lead-time demand figures of one SKU for its target.
#[derive(Debug, Clone, Copy)]
struct Protection {
    mean: f64,
    sd: f64,
    factor: f64,
    safety_stock: f64,
    reorder_point: f64,
    shortage: f64,
    csl: f64,
    /// P(demand over the interval > x) for the position, filled in by the caller.
    risk: f64,
}

/// Normal approximation: mean and sd of demand over the protection interval.
fn normal_protection(mean: f64, sd: f64, measure: ServiceMeasure, target: f64, q: f64, position: f64) -> Protection {
    let factor = match measure {
        ServiceMeasure::Cycle => z_for_service(target),
        ServiceMeasure::FillRate => k_for_fill_rate(target, q, sd),
    };
    let ss = (factor * sd).max(0.0);
    let rop = mean + ss;
    let shortage = normal_loss(rop, mean, sd);
    let csl = if sd > 0.0 { big_phi((rop - mean) / sd) } else { 1.0 };
    let risk = if sd > 0.0 { 1.0 - big_phi((position - mean) / sd) } else { f64::from(u8::from(position < mean)) };
    Protection {
        mean,
        sd,
        factor: if sd > 0.0 { ss / sd } else { 0.0 },
        safety_stock: ss,
        reorder_point: rop,
        shortage,
        csl,
        risk,
    }
}

/// Mean of `(x - s)+` over sorted draws.
fn draws_loss(sorted: &[f64], s: f64) -> f64 {
    let start = sorted.partition_point(|x| *x <= s);
    sorted[start..].iter().map(|x| x - s).sum::<f64>() / sorted.len() as f64
}

/// Monte Carlo: lead times drawn from the receipts (or a normal around the planned figure),
/// demand per period drawn from the forecast distribution.
#[allow(clippy::too_many_arguments)]
fn bootstrap_protection(
    fc: &Forecasts,
    i: usize,
    lt: &LeadTime,
    pdays: f64,
    review: f64,
    measure: ServiceMeasure,
    target: f64,
    q: f64,
    position: f64,
    sims: usize,
    seed: u64,
) -> Protection {
    // One stream per draw: the same draw sees the same random numbers whatever the target or
    // lead time, so a longer lead time or a higher target never gives a lower figure.
    let mut draws: Vec<f64> = (0..sims as u64)
        .map(|j| {
            let rng = &mut ChaCha8Rng::seed_from_u64(seed ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let days = if !lt.samples.is_empty() {
                lt.samples[rng.gen_range(0..lt.samples.len())]
            } else {
                let e: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                (lt.mean + lt.sd.max(0.0) * e).max(0.0)
            };
            let span = days / pdays + review;
            let mut total = 0.0;
            let mut t = 0;
            let mut left = span;
            while left > 1e-12 {
                let w = left.min(1.0);
                total += w * fc.period(i, t).sample(rng);
                left -= w;
                t += 1;
            }
            total
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let n = draws.len() as f64;
    let mean = draws.iter().sum::<f64>() / n;
    let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let top = *draws.last().unwrap_or(&0.0);
    let s = match measure {
        ServiceMeasure::Cycle => {
            let k = ((target * n).ceil() as usize).clamp(1, draws.len()) - 1;
            draws[k]
        }
        ServiceMeasure::FillRate => {
            let allowed = (1.0 - target) * q;
            let (mut lo, mut hi) = (0.0, top);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if draws_loss(&draws, mid) > allowed {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            hi
        }
    };
    // Never plan below expected demand: a skewed distribution's quantile can sit under it.
    let rop = s.max(mean);
    let ss = rop - mean;
    let covered = draws.partition_point(|x| *x <= rop) as f64 / n;
    let risk = 1.0 - draws.partition_point(|x| *x <= position) as f64 / n;
    Protection {
        mean,
        sd,
        factor: if sd > 0.0 { ss / sd } else { 0.0 },
        safety_stock: ss,
        reorder_point: rop,
        shortage: draws_loss(&draws, rop),
        csl: covered,
        risk,
    }
}

/// Rounds to three decimals for output tables.
pub(crate) fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A number for a sentence: whole numbers without decimals, others with up to two.
fn fmt(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

/// Everything an item's plan needs besides its own row of data.
struct Context<'a> {
    ds: &'a Dataset,
    fc: &'a Forecasts,
    set: &'a SeriesSet,
    settings: &'a Settings,
    as_of: NaiveDate,
    lts: &'a LeadTimes,
    onord: HashMap<u32, f64>,
    backs: HashMap<u32, f64>,
    sched: HashMap<u32, Vec<(NaiveDate, f64)>>,
    abc: HashMap<u32, char>,
    adjust: &'a Adjust,
}

fn recent(set: &SeriesSet, sku: u32) -> &[f64] {
    let v = &set.series[sku as usize].values;
    &v[v.len().saturating_sub(set.period.per_year())..]
}

fn plan_item(c: &Context, sku: u32, item: &Item) -> (PlanRow, Vec<PeriodRow>, Vec<ProjectedPeriod>) {
    let s = c.settings;
    let i = sku as usize;
    let f = &c.fc.skus[i];
    let abc = c.abc.get(&sku).copied().unwrap_or('C');
    // Scenario changes for this item.
    let adj = c.adjust;
    let scoped = adj.applies(abc, &item.supplier);
    let mut lt = c.lts.sku[&sku].1.clone();
    let mut item = item.clone();
    let mut review_periods = s.review_periods;
    let mut measure_kind = s.service_measure;
    let mut forced_target = None;
    if scoped {
        let scale = |lt: &mut LeadTime, k: f64| {
            lt.mean *= k;
            lt.sd *= k;
            lt.samples.iter_mut().for_each(|x| *x *= k);
        };
        match adj.lead_time {
            Some(LeadChange::Factor(k)) => scale(&mut lt, k),
            Some(LeadChange::Days(d)) if lt.mean > 0.0 => {
                let k = d / lt.mean;
                scale(&mut lt, k)
            }
            Some(LeadChange::Days(d)) => lt.mean = d,
            Some(LeadChange::Plus(d)) => {
                lt.mean = (lt.mean + d).max(0.0);
                lt.samples.iter_mut().for_each(|x| *x = (*x + d).max(0.0));
            }
            None => {}
        }
        if let Some(k) = adj.lead_time_sd {
            let mean = lt.mean;
            lt.sd *= k;
            lt.samples.iter_mut().for_each(|x| *x = (mean + (*x - mean) * k).max(0.0));
        }
        if let Some(r) = adj.review {
            review_periods = r;
        }
        if let Some(k) = adj.moq {
            item.moq *= k;
        }
        if let Some(t) = adj.service {
            measure_kind = ServiceMeasure::Cycle;
            forced_target = Some(t);
        }
        if let Some(t) = adj.fill_rate {
            measure_kind = ServiceMeasure::FillRate;
            forced_target = Some(t);
        }
    }
    let lt = &lt;
    let item = &item;
    let pdays = s.period.days();
    let review = match s.policy {
        Policy::Periodic => review_periods,
        Policy::Continuous => 0.0,
    };
    let l = lt.mean / pdays;
    let sd_l = lt.sd / pdays;
    let p = l + review;
    let target = forced_target.or(item.service_level).or(s.service_level).unwrap_or(match abc {
        'A' => s.targets[0],
        'B' => s.targets[1],
        _ => s.targets[2],
    });
    let on_hand = c.ds.inventory.as_ref().and_then(|m| m.get(&sku)).copied().unwrap_or(0.0);
    let on_order = c.onord.get(&sku).copied().unwrap_or(0.0);
    let backorders = c.backs.get(&sku).copied().unwrap_or(0.0);
    let position = on_hand + on_order - backorders;

    // Demand over the protection interval from the forecast.
    let over = c.fc.over(i, 0, p);
    let d = if p > 0.0 { over.mean / p } else { f.mean[0] };
    let var_d = if p > 0.0 { over.var / p } else { f.var };
    // Cycle quantity: a review period's demand, or the EOQ when an order cost is known.
    let per_year = s.period.per_year() as f64;
    let order_cost = item.order_cost.filter(|k| *k > 0.0).unwrap_or(s.order_cost);
    let holding = item.holding_rate.unwrap_or(s.holding_rate) * item.unit_cost;
    let q_eoq = (order_cost > 0.0 && holding > 0.0 && d > 0.0).then(|| eoq(d * per_year, order_cost, holding));
    let base_q = match s.policy {
        Policy::Periodic => (d * review_periods).max(q_eoq.unwrap_or(0.0)),
        Policy::Continuous => q_eoq.unwrap_or(d * review_periods),
    };
    let q = base_q.max(item.moq);
    let bootstrap = matches!(f.class, DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Dead);
    let pr = if bootstrap && d > 0.0 {
        let seed = s.seed ^ fnv(c.ds.skus.name(sku));
        bootstrap_protection(c.fc, i, lt, pdays, review, measure_kind, target, q, position, s.simulations, seed)
    } else {
        let sd = protection_sd(p, d, var_d.sqrt(), sd_l);
        normal_protection(d * p, sd, measure_kind, target, q, position)
    };
    let method = if bootstrap && d > 0.0 { "bootstrap" } else { "normal" };
    let rop = pr.reorder_point;
    let up_to = rop + q;
    let fill = if q > 0.0 { (1.0 - pr.shortage / q).clamp(0.0, 1.0) } else { 1.0 };

    // Order decision.
    let raw = if position <= rop && d > 0.0 {
        match s.policy {
            Policy::Periodic => up_to - position,
            Policy::Continuous => (((rop - position) / q).floor() + 1.0) * q,
        }
    } else {
        0.0
    };
    let qty = round_order(raw, item.moq, item.order_multiple);

    // Projected stockout on the mean forecast with scheduled receipts only.
    let receipts = c.sched.get(&sku).map(Vec::as_slice).unwrap_or(&[]);
    let projected_stockout = project_stockout(c, i, on_hand - backorders, receipts);

    let measure = match measure_kind {
        ServiceMeasure::Cycle => "cycle",
        ServiceMeasure::FillRate => "fill_rate",
    };
    let reason = reason(&Reasons {
        position,
        rop,
        up_to,
        target,
        measure,
        abc,
        lead: lt.mean,
        review,
        backorders,
        raw,
        qty,
        item,
        stockout: projected_stockout,
        d,
    });
    let arrival = add_days(c.as_of, lt.mean.round() as i64);
    let row = PlanRow {
        po_number: if qty > 0.0 { format!("PO-{}-{}", c.as_of.format("%Y%m%d"), item.supplier) } else { String::new() },
        sku: c.ds.skus.name(sku).to_string(),
        sku_index: sku,
        supplier: item.supplier.clone(),
        abc,
        xyz: xyz_class(recent(c.set, sku)),
        class: f.class.name(),
        model: f.model.clone(),
        method,
        service_measure: measure,
        service_target: target,
        on_hand,
        on_order,
        open_backorders: backorders,
        inventory_position: r3(position),
        demand_per_period: r3(d),
        demand_sd_per_period: r3(var_d.sqrt()),
        lead_time_days: r3(lt.mean),
        lead_time_sd_days: r3(lt.sd),
        lead_time_source: lt.source,
        receipts: lt.receipts,
        lead_time_demand: r3(d * l),
        protection_periods: r3(p),
        protection_demand: r3(pr.mean),
        protection_sd: r3(pr.sd),
        safety_factor: r3(pr.factor),
        safety_stock: r3(pr.safety_stock),
        reorder_point: r3(rop),
        order_up_to: r3(up_to),
        cycle_qty: r3(q),
        moq: item.moq,
        order_multiple: item.order_multiple,
        review_periods: review,
        eoq: q_eoq.map(r3),
        expected_shortage: r3(pr.shortage),
        expected_fill_rate: (fill * 10_000.0).round() / 10_000.0,
        expected_cycle_service: (pr.csl * 10_000.0).round() / 10_000.0,
        order_qty: r3(qty),
        unit_cost: item.unit_cost,
        order_value: (qty * item.unit_cost * 100.0).round() / 100.0,
        safety_stock_value: (pr.safety_stock * item.unit_cost * 100.0).round() / 100.0,
        order_date: c.as_of,
        expected_arrival: arrival,
        projected_stockout,
        stockout_risk: (pr.risk * 10_000.0).round() / 10_000.0,
        reason,
    };

    // Time-phased: the same policy from each future period's forecast.
    let periods: Vec<PeriodRow> = (0..s.horizon)
        .map(|t| {
            let o = c.fc.over(i, t, p);
            let (ss, rp) = if method == "bootstrap" {
                let ratio = if pr.mean > 0.0 { o.mean / pr.mean } else { 1.0 };
                (pr.safety_stock * ratio, pr.reorder_point * ratio)
            } else {
                let dt = if p > 0.0 { o.mean / p } else { f.mean[t] };
                let sd = protection_sd(p, dt, (if p > 0.0 { o.var / p } else { f.var }).sqrt(), sd_l);
                let ss = (pr.factor * sd).max(0.0);
                (ss, dt * p + ss)
            };
            PeriodRow {
                sku: row.sku.clone(),
                period_start: c.set.future_start(t),
                demand: r3(f.mean[t]),
                protection_demand: r3(o.mean),
                safety_stock: r3(ss),
                reorder_point: r3(rp),
                order_up_to: r3(rp + q),
            }
        })
        .collect();
    let projection = project(c, i, &row, &periods, receipts, q, l, item, review_periods);
    (row, periods, projection)
}

/// Projects stock period by period on the mean forecast: open orders arrive when due, today's
/// proposal after the lead time, and at each later review the policy orders again when the
/// position is at or below that period's reorder point.
#[allow(clippy::too_many_arguments)]
fn project(
    c: &Context,
    i: usize,
    row: &PlanRow,
    periods: &[PeriodRow],
    scheduled: &[(NaiveDate, f64)],
    q: f64,
    lead_periods: f64,
    item: &Item,
    review_periods: f64,
) -> Vec<ProjectedPeriod> {
    let f = &c.fc.skus[i];
    let h = periods.len();
    let review = review_periods.max(1.0).round() as usize;
    let lag = lead_periods.round() as usize;
    // Pipeline of receipts per future period.
    let mut incoming = vec![0.0; h + lag + 2];
    for (d, qty) in scheduled {
        let t = (c.settings.period.index(*d) - c.set.horizon_start()).max(0) as usize;
        if t < incoming.len() {
            incoming[t] += qty;
        }
    }
    let mut avail = row.on_hand - row.open_backorders;
    let mut position = row.inventory_position;
    let mut out = Vec::with_capacity(h);
    for (t, p) in periods.iter().enumerate() {
        let ordered = if t == 0 {
            row.order_qty
        } else if t % review == 0 && position <= p.reorder_point && f.mean[t] > 0.0 {
            let raw = match c.settings.policy {
                Policy::Periodic => p.order_up_to - position,
                Policy::Continuous => (((p.reorder_point - position) / q).floor() + 1.0) * q,
            };
            round_order(raw, item.moq, item.order_multiple)
        } else {
            0.0
        };
        if ordered > 0.0 && t + lag < incoming.len() {
            incoming[t + lag] += ordered;
        }
        position += ordered;
        let receipts = incoming[t];
        avail += receipts;
        let start = avail;
        avail -= f.mean[t];
        position -= f.mean[t];
        out.push(ProjectedPeriod {
            period_start: p.period_start,
            receipts,
            ordered,
            on_hand_start: r3(start),
            on_hand_end: r3(avail),
            safety_stock: p.safety_stock,
            reorder_point: p.reorder_point,
        });
    }
    out
}

/// First day the mean forecast takes the projected available stock below zero, with open
/// purchase orders received when due; `None` when it lasts the horizon.
fn project_stockout(c: &Context, i: usize, start: f64, receipts: &[(NaiveDate, f64)]) -> Option<NaiveDate> {
    if start < 0.0 {
        return Some(c.as_of);
    }
    let f = &c.fc.skus[i];
    let mut avail = start;
    for t in 0..f.mean.len() {
        let from = c.set.future_start(t).max(c.as_of);
        let to = c.set.future_start(t + 1);
        avail += receipts.iter().filter(|(d, _)| *d >= from && *d < to).map(|(_, q)| q).sum::<f64>();
        let demand = f.mean[t];
        if demand > avail && demand > 0.0 {
            let days = (to - from).num_days() as f64;
            return Some(add_days(from, (days * avail.max(0.0) / demand).floor() as i64));
        }
        avail -= demand;
    }
    None
}

struct Reasons<'a> {
    position: f64,
    rop: f64,
    up_to: f64,
    target: f64,
    measure: &'static str,
    abc: char,
    lead: f64,
    review: f64,
    backorders: f64,
    raw: f64,
    qty: f64,
    item: &'a Item,
    stockout: Option<NaiveDate>,
    d: f64,
}

fn reason(r: &Reasons) -> String {
    let target = format!(
        "{:.1}% {} target, class {}",
        r.target * 100.0,
        if r.measure == "cycle" { "cycle-service" } else { "fill-rate" },
        r.abc
    );
    if r.d <= 0.0 {
        return "no demand forecast: nothing to order".into();
    }
    if r.qty <= 0.0 {
        let mut s = format!("position {} is above reorder point {} ({target})", fmt(r.position), fmt(r.rop));
        if let Some(d) = r.stockout {
            s.push_str(&format!("; on the forecast stock runs out around {d}"));
        }
        return s;
    }
    let mut s = format!(
        "position {} is at or below reorder point {} ({target}, {:.1} days lead time{})",
        fmt(r.position),
        fmt(r.rop),
        r.lead,
        if r.review > 0.0 { format!(" + {} review", fmt(r.review)) } else { String::new() }
    );
    s.push_str(&format!("; order up to {}", fmt(r.up_to)));
    if r.backorders > 0.0 {
        s.push_str(&format!("; {} units of open backorders served first", fmt(r.backorders)));
    }
    if r.item.moq > r.raw {
        s.push_str(&format!("; raised to MOQ {}", fmt(r.item.moq)));
    }
    if r.item.order_multiple > 1.0 && r.qty > r.raw.max(r.item.moq) + 1e-9 {
        s.push_str(&format!("; rounded up to a multiple of {}", fmt(r.item.order_multiple)));
    }
    if let Some(d) = r.stockout {
        s.push_str(&format!("; without it stock runs out around {d}"));
    }
    s
}

/// Yearly consumption value per item: demand of the last year of history in `set` (a shorter
/// history scaled to a year) x unit cost.
pub fn consumption_values(ds: &Dataset, set: &SeriesSet) -> HashMap<u32, f64> {
    let per_year = set.period.per_year() as f64;
    ds.items
        .iter()
        .flatten()
        .map(|(&s, it)| {
            let r = recent(set, s);
            let yearly = if r.is_empty() { 0.0 } else { r.iter().sum::<f64>() * per_year / r.len() as f64 };
            (s, yearly * it.unit_cost)
        })
        .collect()
}

/// ABC classes of the items of `ds` by yearly consumption value from the history in `set`.
pub fn abc_of(ds: &Dataset, set: &SeriesSet, settings: &Settings) -> HashMap<u32, char> {
    let values: Vec<(u32, f64)> = consumption_values(ds, set).into_iter().collect();
    abc_classes(&values, settings.abc_cuts)
}

/// Plans every item of `ds` from its forecast.
pub fn plan(ds: &Dataset, fc: &Forecasts, set: &SeriesSet, settings: &Settings, as_of: NaiveDate) -> Plan {
    plan_with(ds, fc, set, settings, as_of, &Adjust::default())
}

/// Plans every item with a scenario's changes.
pub fn plan_with(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    adjust: &Adjust,
) -> Plan {
    let empty = HashMap::new();
    let items = ds.items.as_ref().unwrap_or(&empty);
    let pos = ds.purchase_orders.as_deref().unwrap_or(&[]);
    let lts = lead_times(items, pos, as_of);
    let ctx = Context {
        ds,
        fc,
        set,
        settings,
        as_of,
        lts: &lts,
        onord: on_order(pos, as_of),
        backs: open_backorders(ds.backorders.as_deref().unwrap_or(&[]), as_of),
        sched: scheduled_receipts(pos, as_of, |s| lts.sku.get(&s).map_or(0.0, |x| x.1.mean)),
        abc: abc_of(ds, set, settings),
        adjust,
    };
    let mut skus: Vec<(&u32, &Item)> = items.iter().collect();
    skus.sort_by(|a, b| ds.skus.name(*a.0).cmp(ds.skus.name(*b.0)));
    let planned: Vec<(PlanRow, Vec<PeriodRow>, Vec<ProjectedPeriod>)> =
        skus.par_iter().map(|(s, it)| plan_item(&ctx, **s, it)).collect();
    let mut rows = Vec::with_capacity(planned.len());
    let mut by_period = Vec::new();
    let mut projections = Vec::with_capacity(planned.len());
    for (r, p, j) in planned {
        rows.push(r);
        by_period.extend(p);
        projections.push(j);
    }
    let mut warnings = lts.warnings.clone();
    let no_history = rows.iter().filter(|r| r.model == "none").count();
    if no_history > 0 {
        warnings.push(format!("{no_history} item(s) have no sales before the as-of date: demand taken as 0"));
    }
    drop(ctx);
    Plan { rows, by_period, projections, lead_times: lts, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_by_cumulative_value() {
        let v = vec![(0, 700.0), (1, 150.0), (2, 100.0), (3, 50.0), (4, 0.0)];
        let c = abc_classes(&v, [0.8, 0.95]);
        // Cumulative shares before each: 0, 0.70, 0.85, 0.95.
        assert_eq!((c[&0], c[&1], c[&2], c[&3], c[&4]), ('A', 'A', 'B', 'C', 'C'));
    }

    #[test]
    fn xyz_by_variability() {
        assert_eq!(xyz_class(&[10.0, 11.0, 9.0, 10.0]), 'X');
        assert_eq!(xyz_class(&[0.0, 0.0, 30.0, 0.0]), 'Z');
        assert_eq!(xyz_class(&[]), 'Z');
    }

    fn intermittent_fc() -> Forecasts {
        let f = crate::forecast::SkuForecast {
            model: "x".into(),
            class: DemandClass::Lumpy,
            mean: vec![1.5; 6],
            var: 9.0,
            discrete: true,
            backtest_rmsse: None,
            history: 52,
            outliers: 0,
            sizes: Some((0.3, 5.0, 20.0)),
        };
        Forecasts { skus: vec![f], calibration: Default::default() }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Normal method: safety stock and reorder point never fall when the target, the lead
        /// time or either variability rises.
        #[test]
        fn normal_policy_is_monotone(
            d in 0.1f64..200.0, sd_d in 0.0f64..100.0, l in 0.0f64..20.0, sd_l in 0.0f64..5.0,
            t in 0.5f64..0.99, dt in 0.0f64..0.009, dl in 0.0f64..5.0, dsd in 0.0f64..3.0,
            fill in proptest::bool::ANY, q in 1.0f64..500.0,
        ) {
            let measure = if fill { ServiceMeasure::FillRate } else { ServiceMeasure::Cycle };
            let run = |t: f64, l: f64, sd_d: f64, sd_l: f64| {
                let p = l + 1.0;
                normal_protection(d * p, protection_sd(p, d, sd_d, sd_l), measure, t, q, 0.0)
            };
            let base = run(t, l, sd_d, sd_l);
            for more in [run(t + dt, l, sd_d, sd_l), run(t, l + dl, sd_d, sd_l), run(t, l, sd_d + dsd, sd_l), run(t, l, sd_d, sd_l + dsd)] {
                proptest::prop_assert!(more.safety_stock >= base.safety_stock - 1e-9);
                proptest::prop_assert!(more.reorder_point >= base.reorder_point - 1e-9);
            }
        }

        /// Bootstrap method: the same for the target and the lead time.
        #[test]
        fn bootstrap_policy_is_monotone(
            t in 0.5f64..0.98, dt in 0.0f64..0.019, l in 0.0f64..30.0, dl in 0.0f64..10.0, sd in 0.0f64..5.0,
        ) {
            let fc = intermittent_fc();
            let run = |t: f64, l: f64| {
                let lt = LeadTime { mean: l, sd, receipts: 0, source: "planned", samples: vec![] };
                bootstrap_protection(&fc, 0, &lt, 7.0, 1.0, ServiceMeasure::Cycle, t, 10.0, 0.0, 400, 11)
            };
            let base = run(t, l);
            for more in [run(t + dt, l), run(t, l + dl)] {
                proptest::prop_assert!(more.reorder_point >= base.reorder_point - 1e-9);
            }
            // Safety stock over the same interval rises with the target.
            proptest::prop_assert!(run(t + dt, l).safety_stock >= base.safety_stock - 1e-9);
        }

        /// Every order quantity is at least the MOQ and a whole number of order multiples.
        #[test]
        fn orders_respect_moq_and_multiple(raw in 0.001f64..10_000.0, moq in 0.0f64..500.0, mult in 1u32..48) {
            let m = f64::from(mult);
            let q = crate::policy::round_order(raw, moq, m);
            proptest::prop_assert!(q >= moq && q >= raw - 1e-9);
            proptest::prop_assert!(((q / m) - (q / m).round()).abs() < 1e-9);
        }
    }

    #[test]
    fn bootstrap_quantile_of_a_known_distribution() {
        // Zero lead time, one review period of Poisson(4) demand: the 95% quantile is 8
        // (P(X <= 7) = 0.9489, P(X <= 8) = 0.9786).
        let f = crate::forecast::SkuForecast {
            model: "x".into(),
            class: DemandClass::Intermittent,
            mean: vec![4.0; 3],
            var: 4.0,
            discrete: true,
            backtest_rmsse: None,
            history: 20,
            outliers: 0,
            sizes: None,
        };
        let fc = Forecasts { skus: vec![f], calibration: Default::default() };
        let lt = LeadTime { mean: 0.0, sd: 0.0, receipts: 0, source: "planned", samples: vec![] };
        let p = bootstrap_protection(&fc, 0, &lt, 7.0, 1.0, ServiceMeasure::Cycle, 0.95, 10.0, 4.0, 20_000, 3);
        assert_eq!(p.reorder_point, 8.0);
        assert!((p.mean - 4.0).abs() < 0.05);
        // Risk of demand above a position of 4: 1 - P(X <= 4) = 0.3712.
        assert!((p.risk - 0.3712).abs() < 0.01, "{}", p.risk);
        // Fill rate: E[(X - 8)+] for Poisson(4) = 4 - 8 + sum_{k<=8} (8-k) p(k) = 0.0397 (poisson_loss).
        assert!((p.shortage - crate::policy::poisson_loss(8.0, 4.0)).abs() < 0.01);
    }
}
