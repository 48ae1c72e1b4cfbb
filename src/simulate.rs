//! Simulating policies through the engine's stock-flow loop. Forward: many seeded futures
//! drawn from the forecast and lead-time distributions, run through the planned policy, for the
//! spread of fill rate and backorders a what-if scenario implies (the planning model's own
//! futures: a consistency check, not the truth; see [`crate::truth`]). Replay: the policy
//! rebuilt at each of the last periods from the data before it, run against the demand that
//! really happened.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::engine::{self, Flow, Tally, Tick};
use crate::forecast::Forecasts;
use crate::leadtime::quantile_sorted;
use crate::plan::{fnv, PeriodRow, Plan, PlanRow, RowPolicy};

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

/// Inputs of one SKU's simulation.
pub struct SkuPolicy<'a> {
    /// The planned row (state today, lead time, review).
    pub row: &'a PlanRow,
    /// Its policy with time-phased levels.
    pub policy: RowPolicy,
    /// Open orders: (period offset, units).
    pub pipeline: Vec<(usize, f64)>,
}

/// Policies of every planned SKU: the plan's time-phased levels and the open orders due in
/// each future period.
pub fn policies<'a>(plan: &'a Plan, pipeline: impl Fn(&PlanRow) -> Vec<(usize, f64)>) -> Vec<SkuPolicy<'a>> {
    let mut by_sku: std::collections::HashMap<u32, Vec<PeriodRow>> = std::collections::HashMap::new();
    for p in &plan.by_period {
        by_sku.entry(p.sku).or_default().push(p.clone());
    }
    plan.rows
        .iter()
        .map(|row| SkuPolicy {
            row,
            policy: row.policy(by_sku.get(&row.sku_index).map_or(&[][..], |v| v.as_slice())),
            pipeline: pipeline(row),
        })
        .collect()
}

/// Runs one future of one SKU through the engine. `demand(t, rng)` draws period `t`'s demand.
fn run_path(
    p: &SkuPolicy,
    periods: usize,
    period_days: f64,
    rng: &mut ChaCha8Rng,
    mut demand: impl FnMut(usize, &mut ChaCha8Rng) -> f64,
) -> Tally {
    let r = p.row;
    let mut lead_rng = rng.clone();
    lead_rng.set_stream(1);
    let mut lead = lead_draw(r.lead_time_days, r.lead_time_sd_days, period_days);
    let mut flow = Flow::new(r.on_hand - r.open_backorders, &p.pipeline);
    // Today's stock and orders are whatever history left: count from the period the policy's
    // own orders can have arrived (lead time plus a review), so the figures describe the policy.
    let warmup = (((r.lead_time_days + 2.0 * r.lead_time_sd_days) / period_days).ceil() as usize + r.review_ticks())
        .min(periods / 2);
    let mut tally = Tally::default();
    engine::run(
        &mut flow,
        0..periods,
        r.review_ticks(),
        &p.policy.rule,
        |t| p.policy.at(t),
        |_| lead(&mut lead_rng),
        |t| demand(t, rng),
        |t, k| tally.add(k, t >= warmup),
    );
    tally
}

/// Forward Monte Carlo of a plan: `paths` futures of `periods` periods for every SKU, demand
/// drawn from the forecast distribution (scaled by `demand_factor(sku)`), lead times from a
/// normal around the planned lead time. The same seed gives the same numbers, and each SKU and
/// future has its own stream, so scenarios are compared on the same random demand.
pub fn forward(fc: &Forecasts, policies: &[SkuPolicy], mc: &McSettings) -> McResult {
    // Fixed chunks summed in order: the totals do not depend on how threads split the work.
    // Per future: (totals over SKUs, periods counted, average stock value).
    type Acc = (Tally, f64, f64);
    let chunks: Vec<Vec<Acc>> = policies
        .par_chunks(64)
        .map(|chunk| {
            let mut acc: Vec<Acc> = vec![(Tally::default(), 0.0, 0.0); mc.paths];
            for p in chunk {
                let i = p.row.sku_index as usize;
                let base = mc.seed ^ fnv(&p.row.sku);
                let demand = fc.samplers(i);
                for (k, slot) in acc.iter_mut().enumerate() {
                    let mut rng = ChaCha8Rng::seed_from_u64(base ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    let t = run_path(p, mc.periods, mc.period_days, &mut rng, |t, rng| demand.at(t).sample(rng));
                    slot.0.merge(&t);
                    slot.1 = slot.1.max(t.ticks);
                    slot.2 += if t.ticks > 0.0 { t.stock / t.ticks * p.row.unit_cost } else { 0.0 };
                }
            }
            acc
        })
        .collect();
    let mut per_path: Vec<Acc> = vec![(Tally::default(), 0.0, 0.0); mc.paths];
    for c in chunks {
        for (x, y) in per_path.iter_mut().zip(c) {
            x.0.merge(&y.0);
            x.1 = x.1.max(y.1);
            x.2 += y.2;
        }
    }
    let cycles: f64 = per_path.iter().map(|t| t.0.cycles).sum();
    let bad: f64 = per_path.iter().map(|t| t.0.bad_cycles).sum();
    McResult {
        fill_rate: spread(per_path.iter().map(|t| t.0.fill_rate()).collect()),
        cycle_service: if cycles > 0.0 { 1.0 - bad / cycles } else { f64::NAN },
        backorder_units_per_year: spread(
            per_path.iter().map(|t| (t.0.demand - t.0.served) / (t.1 / mc.per_year).max(1e-9)).collect(),
        ),
        avg_inventory_value: spread(per_path.iter().map(|t| t.2).collect()),
    }
}

/// Replays one SKU's actual demand through its policy (whose levels in force at period `t`
/// were rebuilt from the data before it) from `start_stock`; `lead(rng)` draws a lead time in
/// periods.
pub fn replay(
    demand: &[f64],
    start_stock: f64,
    row: &PlanRow,
    policy: &RowPolicy,
    mut lead: impl FnMut(&mut ChaCha8Rng) -> usize,
    rng: &mut ChaCha8Rng,
) -> ReplayResult {
    let mut flow = Flow::new(start_stock, &[]);
    let mut out = ReplayResult::default();
    engine::run(
        &mut flow,
        0..demand.len(),
        row.review_ticks(),
        &policy.rule,
        |t| policy.at(t),
        |_| lead(rng),
        |t| demand[t],
        |_, k| {
            out.tally.add(k, true);
            out.trajectory.push(*k);
        },
    );
    out
}

/// What a replay showed for one SKU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayResult {
    /// Units, cycles, stock and orders.
    pub tally: Tally,
    /// Per period.
    pub trajectory: Vec<Tick>,
}

/// Draws a lead time in periods around `mean_days` with `sd_days`.
pub fn lead_draw(mean_days: f64, sd_days: f64, period_days: f64) -> impl FnMut(&mut ChaCha8Rng) -> usize {
    move |rng: &mut ChaCha8Rng| {
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
        ((mean_days + sd_days * e).max(0.0) / period_days).round() as usize
    }
}
