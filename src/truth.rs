//! The truth check: a plan for generated data, simulated forward under the generator's TRUE
//! demand and lead-time process (`ground_truth.csv`), never under the model that made the
//! plan. Day by day: customer orders arrive as the generator makes them, suppliers deliver
//! with its lead-time law, waiting customers are served first, the policy reviews every
//! Monday through the replenishment engine. Beside the plan it runs the textbook (R,S) rule
//! (mean and sd of the last 26 weeks, planned lead time, no lead-time variance) at several
//! targets under the same truth, so the plan's stock can be read against the textbook curve
//! at the same achieved service.

use std::collections::HashMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use rayon::prelude::*;

use crate::engine::{self, Constraints, Flow, OrderRule, Shape, Tally};
use crate::error::Result;
use crate::plan::{fnv, Plan};
use crate::series::SeriesSet;

/// The true process of one generated SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueSku {
    /// smooth, seasonal, trending, intermittent or lumpy.
    pub pattern: String,
    /// Mean customer orders per week before season and trend.
    pub orders_per_week: f64,
    /// Mean order size.
    pub size_mean: f64,
    /// Coefficient of variation of order sizes.
    pub size_cv: f64,
    /// Seasonal amplitude (share of the mean).
    pub amplitude: f64,
    /// Seasonal phase, weeks.
    pub phase: f64,
    /// Growth per year (share of the starting rate).
    pub trend: f64,
    /// Supplier's planned lead time, days.
    pub planned_days: f64,
    /// Median actual over planned lead time.
    pub bias: f64,
    /// Log-sd of actual over planned.
    pub spread: f64,
    /// Share of orders not late (late ones take 1.2-1.6 times longer).
    pub on_time_share: f64,
}

impl TrueSku {
    /// Mean customer orders in week `w` (0 = first generated week).
    pub fn orders_in_week(&self, w: f64) -> f64 {
        let season = 1.0 + self.amplitude * (2.0 * std::f64::consts::PI * (w + self.phase) / 52.0).sin();
        let growth = (1.0 + self.trend * w / 52.0).max(0.05);
        self.orders_per_week * season * growth
    }

    /// One order size, as the generator draws it: gamma, rounded, at least 1.
    pub fn size<R: Rng>(&self, rng: &mut R) -> f64 {
        crate::generate::draw_size(rng, self.size_mean, self.size_cv)
    }

    /// One lead time in whole days, as the generator draws it.
    pub fn lead_days<R: Rng>(&self, rng: &mut R) -> usize {
        let ln = LogNormal::new(self.bias.ln(), self.spread.max(1e-9)).map_or(self.bias, |d| d.sample(rng));
        let mut lt = self.planned_days * ln;
        if !rng.gen_bool(self.on_time_share.clamp(0.0, 1.0)) {
            lt *= rng.gen_range(1.2..1.6);
        }
        lt.round().max(1.0) as usize
    }
}

/// How to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthSettings {
    /// Futures per SKU.
    pub paths: usize,
    /// Weeks counted.
    pub weeks: usize,
    /// Weeks run before counting, from the planned order-up-to level.
    pub warmup: usize,
    /// Seed of the simulated futures (not the plan's).
    pub seed: u64,
}

impl Default for TruthSettings {
    fn default() -> Self {
        TruthSettings { paths: 40, weeks: 52, warmup: 13, seed: 20_261_127 }
    }
}

/// One SKU's policy for the daily simulation: weekly levels (the first is used in the
/// warm-up, the last repeats) and its order rule.
struct Daily {
    weekly: Vec<(f64, f64)>,
    warmup: usize,
    rule: OrderRule,
}

impl Daily {
    fn at(&self, tick: usize) -> (f64, f64) {
        let w = (tick / 7).saturating_sub(self.warmup);
        self.weekly[w.min(self.weekly.len() - 1)]
    }
}

/// Simulates one SKU under its true process: `paths` futures starting `history_weeks` after
/// the generator's first week, less the warm-up. Returns the counted totals.
fn simulate_sku(truth: &TrueSku, policy: &Daily, history_weeks: usize, ts: &TruthSettings, sku: &str) -> Tally {
    let days = (ts.warmup + ts.weeks) * 7;
    let counted_from = ts.warmup * 7;
    let first_week = history_weeks as f64 - ts.warmup as f64;
    let mut total = Tally::default();
    for k in 0..ts.paths {
        let base = ts.seed ^ fnv(sku) ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Demand and lead times on their own streams: the same futures for every policy.
        let mut demand_rng = ChaCha8Rng::seed_from_u64(base);
        let mut lead_rng = ChaCha8Rng::seed_from_u64(base ^ 0x5851_F42D_4C95_7F2D);
        let mut flow = Flow::new(policy.weekly[0].1, &[]);
        let mut tally = Tally::default();
        engine::run(
            &mut flow,
            0..days,
            7,
            &policy.rule,
            |t| policy.at(t),
            |_| truth.lead_days(&mut lead_rng),
            |t| {
                let lambda = truth.orders_in_week(first_week + (t / 7) as f64) / 7.0;
                let n =
                    if lambda > 0.0 { Poisson::new(lambda).map_or(0.0, |p| p.sample(&mut demand_rng)) } else { 0.0 };
                (0..n as usize).map(|_| truth.size(&mut demand_rng)).sum()
            },
            |t, tick| tally.add(tick, t >= counted_from),
        );
        total.merge(&tally);
    }
    total
}

/// Achieved figures of one policy over a group of SKUs.
#[derive(Debug, Clone, PartialEq)]
pub struct Achieved {
    /// Policy name (`replen` or `textbook`).
    pub policy: String,
    /// Target it was set for.
    pub target: f64,
    /// `cycle` or `fill_rate`.
    pub measure: &'static str,
    /// Pattern (`all` for the whole portfolio).
    pub pattern: String,
    /// SKUs in the group.
    pub skus: usize,
    /// Share of replenishment cycles without a stockout.
    pub cycle_service: f64,
    /// Units served from stock / demanded.
    pub fill_rate: f64,
    /// Average units on hand per SKU.
    pub avg_on_hand: f64,
}

fn group(
    policy: &str,
    target: f64,
    measure: &'static str,
    per_sku: &[(String, Tally)],
    patterns: &[String],
) -> Vec<Achieved> {
    let mut names: Vec<String> = patterns.to_vec();
    names.sort();
    names.dedup();
    names.insert(0, "all".into());
    names
        .into_iter()
        .map(|p| {
            let mut t = Tally::default();
            let mut stock = 0.0;
            let mut n = 0usize;
            for (_, x) in per_sku.iter().filter(|(pat, _)| p == "all" || *pat == p) {
                t.merge(x);
                stock += if x.ticks > 0.0 { x.stock / x.ticks } else { 0.0 };
                n += 1;
            }
            Achieved {
                policy: policy.into(),
                target,
                measure,
                pattern: p,
                skus: n,
                cycle_service: t.cycle_service(),
                fill_rate: t.fill_rate(),
                avg_on_hand: if n > 0 { stock / n as f64 } else { 0.0 },
            }
        })
        .collect()
}

/// The plan's policies simulated under the truth: per pattern and overall.
pub fn check_plan(
    plan: &Plan,
    truth: &HashMap<String, TrueSku>,
    history_weeks: usize,
    target: f64,
    measure: &'static str,
    ts: &TruthSettings,
) -> Vec<Achieved> {
    let mut by_sku: HashMap<u32, Vec<(f64, f64)>> = HashMap::new();
    for p in &plan.by_period {
        by_sku.entry(p.sku).or_default().push((p.reorder_point, p.order_up_to));
    }
    let per_sku: Vec<(String, Tally)> = plan
        .rows
        .par_iter()
        .filter_map(|r| {
            let t = truth.get(&r.sku)?;
            let weekly = by_sku.get(&r.sku_index).cloned().unwrap_or_else(|| vec![(r.reorder_point, r.order_up_to)]);
            let policy = Daily {
                weekly,
                warmup: ts.warmup,
                rule: OrderRule {
                    shape: r.shape,
                    q: r.cycle_qty,
                    constraints: Constraints { moq: r.moq, multiple: r.order_multiple, eoq: None },
                },
            };
            Some((t.pattern.clone(), simulate_sku(t, &policy, history_weeks, ts, &r.sku)))
        })
        .collect();
    let patterns: Vec<String> = per_sku.iter().map(|x| x.0.clone()).collect();
    group("replen", target, measure, &per_sku, &patterns)
}

/// How the textbook rule turns a target into its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextbookRule {
    /// Cycle service: `S = d (L + 1) + z sd sqrt(L + 1)` with z the target's normal quantile.
    Cycle,
    /// Fill rate: S from the normal loss function, the level whose expected units short per
    /// week, `sd(L+1) G((S - d(L+1)) / sd(L+1)) - sd(L) G((S - dL) / sd(L))`, are
    /// `(1 - target) d` (the textbook (R,S) fill-rate rule).
    FillRate,
}

impl TextbookRule {
    /// Policy name in `truth.csv`.
    pub fn policy(self) -> &'static str {
        match self {
            TextbookRule::Cycle => "textbook",
            TextbookRule::FillRate => "textbook_fill",
        }
    }

    /// The measure its targets are set in.
    pub fn measure(self) -> &'static str {
        match self {
            TextbookRule::Cycle => "cycle",
            TextbookRule::FillRate => "fill_rate",
        }
    }

    /// Order-up-to level for mean `d` and sd `sd` per week, lead time `l` weeks, weekly review.
    pub fn level(self, target: f64, d: f64, sd: f64, l: f64) -> f64 {
        match self {
            TextbookRule::Cycle => d * (l + 1.0) + crate::policy::z_for_service(target) * sd * (l + 1.0).sqrt(),
            TextbookRule::FillRate => {
                use crate::policy::normal_loss;
                if d <= 0.0 {
                    return 0.0;
                }
                let (lead, protect) = ((d * l, sd * l.sqrt()), (d * (l + 1.0), sd * (l + 1.0).sqrt()));
                let short = |x: f64| normal_loss(x, protect.0, protect.1) - normal_loss(x, lead.0, lead.1);
                let allowed = (1.0 - target) * d;
                let (mut lo, mut hi) = (protect.0 - 8.0 * protect.1 - 1.0, protect.0 + 12.0 * protect.1 + 1.0);
                for _ in 0..100 {
                    let mid = 0.5 * (lo + hi);
                    if short(mid) <= allowed {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                hi
            }
        }
    }
}

/// The textbook (R,S) rule with weekly review under the truth, one row group per target: the
/// level from the mean and sd of the last 26 weeks of demand and the planned lead time L in
/// weeks, by `rule`; the item's MOQ and multiple apply.
#[allow(clippy::too_many_arguments)]
pub fn check_textbook(
    plan: &Plan,
    set: &SeriesSet,
    planned_days: &HashMap<String, f64>,
    truth: &HashMap<String, TrueSku>,
    history_weeks: usize,
    targets: &[f64],
    rule: TextbookRule,
    ts: &TruthSettings,
) -> Vec<Achieved> {
    let mut out = Vec::new();
    for &target in targets {
        let per_sku: Vec<(String, Tally)> = plan
            .rows
            .par_iter()
            .filter_map(|r| {
                let t = truth.get(&r.sku)?;
                let v = &set.series[r.sku_index as usize].values;
                let recent = &v[v.len().saturating_sub(26)..];
                let n = recent.len().max(1) as f64;
                let d = recent.iter().sum::<f64>() / n;
                let sd = if recent.len() > 1 {
                    (recent.iter().map(|x| (x - d).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                } else {
                    0.0
                };
                let l = planned_days.get(&r.sku).copied().unwrap_or(r.lead_time_days) / 7.0;
                let s = rule.level(target, d, sd, l);
                let policy = Daily {
                    weekly: vec![(s, s)],
                    warmup: ts.warmup,
                    rule: OrderRule {
                        shape: Shape::RS,
                        q: d,
                        constraints: Constraints { moq: r.moq, multiple: r.order_multiple, eoq: None },
                    },
                };
                Some((t.pattern.clone(), simulate_sku(t, &policy, history_weeks, ts, &r.sku)))
            })
            .collect();
        let patterns: Vec<String> = per_sku.iter().map(|x| x.0.clone()).collect();
        out.extend(group(rule.policy(), target, rule.measure(), &per_sku, &patterns));
    }
    out
}

/// Average stock a textbook curve (`policy` rows of one `pattern`) needs to achieve `service`
/// in `measure` (`cycle` or `fill_rate`), interpolated along it (rows sorted by achieved
/// service); `None` outside the curve.
pub fn textbook_stock_at(curve: &[Achieved], policy: &str, pattern: &str, measure: &str, service: f64) -> Option<f64> {
    let got = |a: &Achieved| if measure == "cycle" { a.cycle_service } else { a.fill_rate };
    let mut pts: Vec<(f64, f64)> =
        curve.iter().filter(|a| a.policy == policy && a.pattern == pattern).map(|a| (got(a), a.avg_on_hand)).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.windows(2).find(|w| service >= w[0].0 && service <= w[1].0).map(|w| {
        let (a, b) = (w[0], w[1]);
        if b.0 - a.0 <= 1e-12 {
            a.1
        } else {
            a.1 + (b.1 - a.1) * (service - a.0) / (b.0 - a.0)
        }
    })
}

/// Writes the rows as `truth.csv`.
pub fn write(rows: &[Achieved], path: &Path) -> Result<()> {
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let t = crate::output::Table::new()
        .text("policy", rows.iter().map(|r| r.policy.as_str()))
        .text("measure", rows.iter().map(|r| r.measure))
        .num("target", rows.iter().map(|r| r.target))
        .text("pattern", rows.iter().map(|r| r.pattern.as_str()))
        .int("skus", rows.iter().map(|r| r.skus as u64))
        .num("achieved_cycle_service", rows.iter().map(|r| r4(r.cycle_service)))
        .num("achieved_fill_rate", rows.iter().map(|r| r4(r.fill_rate)))
        .num("avg_on_hand_units", rows.iter().map(|r| r4(r.avg_on_hand)));
    crate::output::write_csv(t, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_fill_rate_level_matches_the_loss_function_reference() {
        // d = 10, sd = 3 per week, L = 2 weeks, weekly review, 98% fill: the level where
        // sd(L+1) G(.) - sd(L) G(.) = 0.02 d, solved with Python's statistics.NormalDist.
        let s = TextbookRule::FillRate.level(0.98, 10.0, 3.0, 2.0);
        assert!((s - 37.15946987425737).abs() < 1e-6, "{s}");
        // The cycle rule is the oracle's (R,S) formula: d (L+1) + z sd sqrt(L+1).
        let c = TextbookRule::Cycle.level(0.95, 20.0, 5.0, 9.0);
        assert!((c - 226.0074).abs() < 1e-3, "{c}");
        assert_eq!(TextbookRule::FillRate.level(0.95, 0.0, 0.0, 2.0), 0.0);
    }

    #[test]
    fn textbook_stock_is_read_per_policy_and_pattern() {
        let row = |policy: &str, pattern: &str, fill: f64, stock: f64| Achieved {
            policy: policy.into(),
            target: 0.9,
            measure: "fill_rate",
            pattern: pattern.into(),
            skus: 1,
            cycle_service: fill,
            fill_rate: fill,
            avg_on_hand: stock,
        };
        let curve = vec![
            row("textbook", "all", 0.90, 10.0),
            row("textbook", "all", 0.95, 20.0),
            row("textbook", "lumpy", 0.90, 100.0),
            row("textbook", "lumpy", 0.95, 200.0),
            row("textbook_fill", "all", 0.90, 12.0),
            row("textbook_fill", "all", 0.95, 16.0),
        ];
        let near = |got: Option<f64>, want: f64| got.is_some_and(|x| (x - want).abs() < 1e-9);
        assert!(near(textbook_stock_at(&curve, "textbook", "all", "fill_rate", 0.93), 16.0));
        assert!(near(textbook_stock_at(&curve, "textbook", "lumpy", "cycle", 0.925), 150.0));
        assert!(near(textbook_stock_at(&curve, "textbook_fill", "all", "fill_rate", 0.95), 16.0));
        assert_eq!(textbook_stock_at(&curve, "textbook", "all", "fill_rate", 0.97), None);
    }
}
