//! Simulating policies. Forward: many seeded futures drawn from the forecast and lead-time
//! distributions, run through the planned policy, for the distribution of fill rate and
//! backorders a plan delivers. Replay: the policy rebuilt at each of the last periods from the
//! data before it, run against the demand that really happened.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::forecast::Forecasts;
use crate::leadtime::quantile_sorted;
use crate::plan::{fnv, Plan, PlanRow};
use crate::policy::round_order;

/// Forward simulation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McSettings {
    /// Simulated futures.
    pub paths: usize,
    /// Periods per future.
    pub periods: usize,
    /// Seed.
    pub seed: u64,
    /// Days per period.
    pub period_days: f64,
    /// Periods per year.
    pub per_year: f64,
}

/// Mean and spread of a simulated figure.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Spread {
    /// Mean over futures.
    pub mean: f64,
    /// 5th percentile over futures.
    pub p05: f64,
    /// 95th percentile over futures.
    pub p95: f64,
}

fn spread(mut v: Vec<f64>) -> Spread {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return Spread { mean: f64::NAN, p05: f64::NAN, p95: f64::NAN };
    }
    v.sort_by(f64::total_cmp);
    Spread {
        mean: v.iter().sum::<f64>() / v.len() as f64,
        p05: quantile_sorted(&v, 0.05),
        p95: quantile_sorted(&v, 0.95),
    }
}

/// What the futures showed for a whole plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McResult {
    /// Units served from stock / units demanded, per future.
    pub fill_rate: Spread,
    /// Share of replenishment cycles without a stockout (pooled over futures).
    pub cycle_service: f64,
    /// Units backordered per year, per future.
    pub backorder_units_per_year: Spread,
    /// Average stock value, per future.
    pub avg_inventory_value: Spread,
}

/// Totals of one SKU in one future.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    demand: f64,
    served: f64,
    short: f64,
    stock_value: f64,
    cycles: f64,
    bad_cycles: f64,
    periods: f64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.demand += o.demand;
        self.served += o.served;
        self.short += o.short;
        self.stock_value += o.stock_value;
        self.cycles += o.cycles;
        self.bad_cycles += o.bad_cycles;
        self.periods = self.periods.max(o.periods);
    }
}

/// Inputs of one SKU's simulation.
pub struct SkuPolicy<'a> {
    /// The planned row (state today, today's order, lead time, MOQ, multiple, review).
    pub row: &'a PlanRow,
    /// Reorder point and order-up-to level per future period (the last repeats).
    pub levels: Vec<(f64, f64)>,
    /// Open orders: (period offset, units).
    pub pipeline: Vec<(usize, f64)>,
}

/// Policies of every planned SKU: the plan's time-phased levels and the open orders due in
/// each future period.
pub fn policies<'a>(plan: &'a Plan, pipeline: impl Fn(&PlanRow) -> Vec<(usize, f64)>) -> Vec<SkuPolicy<'a>> {
    let mut by_sku: std::collections::HashMap<&str, Vec<(f64, f64)>> = std::collections::HashMap::new();
    for p in &plan.by_period {
        by_sku.entry(p.sku.as_str()).or_default().push((p.reorder_point, p.order_up_to));
    }
    plan.rows
        .iter()
        .map(|row| SkuPolicy {
            row,
            levels: by_sku.remove(row.sku.as_str()).unwrap_or_else(|| vec![(row.reorder_point, row.order_up_to)]),
            pipeline: pipeline(row),
        })
        .collect()
}

/// Runs one future of one SKU. `demand(t, rng)` draws period `t`'s demand.
fn run_path(
    p: &SkuPolicy,
    periods: usize,
    period_days: f64,
    rng: &mut ChaCha8Rng,
    mut demand: impl FnMut(usize, &mut ChaCha8Rng) -> f64,
) -> Tally {
    let r = p.row;
    let review = r.review_periods.max(1.0).round() as usize;
    let mut incoming = vec![0.0; periods + 1];
    for &(t, q) in &p.pipeline {
        incoming[t.min(periods)] += q;
    }
    let mut lead = lead_draw(r.lead_time_days, r.lead_time_sd_days, period_days);
    // Today's suggestion.
    if r.order_qty > 0.0 {
        let at = lead(rng);
        if at <= periods {
            incoming[at] += r.order_qty;
        }
    }
    let mut avail = r.on_hand - r.open_backorders;
    let mut on_order: f64 = incoming.iter().sum();
    let mut tally = Tally::default();
    let mut stockout_in_cycle = false;
    // Today's stock and orders are whatever history left: count from the period the policy's
    // own orders can have arrived (lead time plus a review), so the figures describe the policy.
    let warmup =
        (((r.lead_time_days + 2.0 * r.lead_time_sd_days) / period_days).ceil() as usize + review).min(periods / 2);
    let mut counted = false;
    for t in 0..periods {
        if t == warmup {
            counted = true;
            stockout_in_cycle = false;
        }
        if incoming[t] > 0.0 {
            if t > warmup {
                tally.cycles += 1.0;
                tally.bad_cycles += f64::from(u8::from(stockout_in_cycle));
                stockout_in_cycle = false;
            }
            avail += incoming[t];
            on_order -= incoming[t];
        }
        let (s, big_s) = p.levels[t.min(p.levels.len() - 1)];
        if t > 0 && t % review == 0 {
            let position = avail + on_order;
            if position <= s {
                let q = round_order(big_s - position, r.moq, r.order_multiple);
                if q > 0.0 {
                    let at = t + lead(rng);
                    on_order += q;
                    if at < incoming.len() {
                        if at == t {
                            avail += q;
                            on_order -= q;
                        } else {
                            incoming[at] += q;
                        }
                    }
                }
            }
        }
        let d = demand(t, rng);
        let served = d.min(avail.max(0.0));
        avail -= d;
        if counted {
            tally.demand += d;
            tally.served += served;
            tally.short += d - served;
            if d > served + 1e-9 {
                stockout_in_cycle = true;
            }
            tally.stock_value += avail.max(0.0) * r.unit_cost;
        }
    }
    tally.stock_value /= (periods - warmup).max(1) as f64;
    tally.periods = (periods - warmup) as f64;
    tally
}

/// Forward Monte Carlo of a plan: `paths` futures of `periods` periods for every SKU, demand
/// drawn from the forecast distribution (scaled by `demand_factor(sku)`), lead times from a
/// normal around the planned lead time. The same seed gives the same numbers, and each SKU and
/// future has its own stream, so scenarios are compared on the same random demand.
pub fn forward(fc: &Forecasts, policies: &[SkuPolicy], mc: &McSettings) -> McResult {
    // Fixed chunks summed in order: the totals do not depend on how threads split the work.
    let chunks: Vec<Vec<Tally>> = policies
        .par_chunks(64)
        .map(|chunk| {
            let mut acc = vec![Tally::default(); mc.paths];
            for p in chunk {
                let i = p.row.sku_index as usize;
                let base = mc.seed ^ fnv(&p.row.sku);
                for (k, slot) in acc.iter_mut().enumerate() {
                    let mut rng = ChaCha8Rng::seed_from_u64(base ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    *slot += run_path(p, mc.periods, mc.period_days, &mut rng, |t, rng| fc.period(i, t).sample(rng));
                }
            }
            acc
        })
        .collect();
    let mut per_path = vec![Tally::default(); mc.paths];
    for c in chunks {
        for (x, y) in per_path.iter_mut().zip(c) {
            *x += y;
        }
    }
    let counted = per_path.iter().map(|t| t.periods).fold(0.0, f64::max).max(1.0);
    let years = counted / mc.per_year;
    let cycles: f64 = per_path.iter().map(|t| t.cycles).sum();
    let bad: f64 = per_path.iter().map(|t| t.bad_cycles).sum();
    McResult {
        fill_rate: spread(per_path.iter().map(|t| if t.demand > 0.0 { t.served / t.demand } else { 1.0 }).collect()),
        cycle_service: if cycles > 0.0 { 1.0 - bad / cycles } else { f64::NAN },
        backorder_units_per_year: spread(per_path.iter().map(|t| t.short / years).collect()),
        avg_inventory_value: spread(per_path.iter().map(|t| t.stock_value).collect()),
    }
}

/// Replays one SKU's actual demand through a policy; `levels(t)` gives the reorder point and
/// order-up-to level in force at period `t`, `lead(rng)` draws a lead time in periods.
pub fn replay(
    demand: &[f64],
    start_stock: f64,
    row: &PlanRow,
    mut levels: impl FnMut(usize) -> (f64, f64),
    mut lead: impl FnMut(&mut ChaCha8Rng) -> usize,
    rng: &mut ChaCha8Rng,
) -> ReplayResult {
    let periods = demand.len();
    let review = row.review_periods.max(1.0).round() as usize;
    let mut incoming = vec![0.0; periods + 1];
    let mut avail = start_stock;
    let mut on_order = 0.0;
    let mut out = ReplayResult::default();
    let mut stockout_in_cycle = false;
    for (t, &d) in demand.iter().enumerate() {
        let received = incoming[t];
        if received > 0.0 {
            out.cycles += 1;
            out.bad_cycles += usize::from(stockout_in_cycle);
            stockout_in_cycle = false;
            avail += received;
            on_order -= received;
        }
        let (s, big_s) = levels(t);
        let mut ordered = 0.0;
        if t % review == 0 {
            let position = avail + on_order;
            if position <= s {
                let q = round_order(big_s - position, row.moq, row.order_multiple);
                if q > 0.0 {
                    ordered = q;
                    out.orders += 1;
                    let at = t + lead(rng);
                    on_order += q;
                    if at == t {
                        avail += q;
                        on_order -= q;
                    } else if at < incoming.len() {
                        incoming[at] += q;
                    }
                }
            }
        }
        let start = avail;
        let served = d.min(avail.max(0.0));
        avail -= d;
        out.demand += d;
        out.served += served;
        if d > served + 1e-9 {
            stockout_in_cycle = true;
            out.stockout_periods += 1;
        }
        out.stock += avail.max(0.0);
        out.trajectory.push(Step { start, end: avail, ordered, received, reorder_point: s });
    }
    out.periods = periods;
    out
}

/// What a replay showed for one SKU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayResult {
    /// Periods replayed.
    pub periods: usize,
    /// Units demanded.
    pub demand: f64,
    /// Units served from stock when demanded.
    pub served: f64,
    /// Periods with unmet demand.
    pub stockout_periods: usize,
    /// Replenishment cycles completed (receipts after the first period).
    pub cycles: usize,
    /// Of which with a stockout.
    pub bad_cycles: usize,
    /// Orders placed.
    pub orders: usize,
    /// Sum of end-of-period stock (for the average).
    pub stock: f64,
    /// Per period.
    pub trajectory: Vec<Step>,
}

/// One replayed period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Step {
    /// Stock after receipts at the start (negative: backorders waiting).
    pub start: f64,
    /// Stock at the end, after demand.
    pub end: f64,
    /// Units ordered at the start.
    pub ordered: f64,
    /// Units received at the start.
    pub received: f64,
    /// Reorder point in force.
    pub reorder_point: f64,
}

/// Draws a lead time in periods around `mean_days` with `sd_days`.
pub fn lead_draw(mean_days: f64, sd_days: f64, period_days: f64) -> impl FnMut(&mut ChaCha8Rng) -> usize {
    move |rng: &mut ChaCha8Rng| {
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
        ((mean_days + sd_days * e).max(0.0) / period_days).round() as usize
    }
}
