//! Lead-time demand: the demand a replenishment policy must cover, built from the forecasts
//! and the measured lead times, for the engine to set levels on.
//!
//! Regular demand gets a normal approximation over the lead time L and the protection interval
//! L + R. Intermittent, lumpy and dead items get Monte Carlo draws: a lead time drawn from the
//! receipts (restated to the shrunk figures), whole periods drawn from the forecast
//! distribution, and a part w of a period taken as that period's demand with probability w
//! (so its variance grows with w, not w^2). For cycle service the review period that triggers
//! an order is one with demand: a replenishment cycle starts with a demand, and for slow
//! movers that is most of the risk.
//!
//! Then the honest part: on the latest backtest window, which neither chose the model nor
//! fitted it, each SKU's demand over a drawn lead time plus a review is placed in the planning
//! model's own distribution (its PIT). Per demand class and group, the share of windows a level
//! covered is what a fill-rate plan's level is mapped through ([`LevelMap`]).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::engine::{DrawLtd, Ltd, NormalLtd};
use crate::forecast::dist::{DemandDist, Hurdle, PeriodSamplers, Sampler};
use crate::forecast::{DemandClass, Forecasts};
use crate::leadtime::LeadTime;

/// True for the classes planned from draws.
pub fn uses_draws(class: DemandClass) -> bool {
    matches!(class, DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Dead)
}

/// How lead-time demand is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    /// Days per period.
    pub pdays: f64,
    /// Review period, in periods (0 for continuous review).
    pub review: f64,
    /// Draws per item.
    pub sims: usize,
    /// Seed of this item's draws.
    pub seed: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Demand over `len` periods from period `from`, period `t`'s drawn by `draw(t, rng)`: whole
/// periods drawn, and the part `w` of the last one counted as its demand with probability `w`.
fn span_of<R: Rng>(draw: impl Fn(usize, &mut R) -> f64, from: usize, len: f64, rng: &mut R) -> f64 {
    let whole = len.max(0.0).floor() as usize;
    let mut total: f64 = (0..whole).map(|k| draw(from + k, rng)).sum();
    let w = len - whole as f64;
    if w > 1e-9 {
        let x = draw(from + whole, rng);
        if rng.gen_bool(w.min(1.0)) {
            total += x;
        }
    }
    total
}

/// One lead time in days: resampled from the receipts, or normal around the planned figures.
fn lead_days<R: Rng>(lt: &LeadTime, rng: &mut R) -> f64 {
    if !lt.samples.is_empty() {
        lt.samples.get(rng.gen_range(0..lt.samples.len()))
    } else {
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
        (lt.mean + lt.sd.max(0.0) * e).max(0.0)
    }
}

/// Lead-time demand of SKU `i` for a policy reviewed every `spec.review` periods, from future
/// period `from`.
pub fn model(fc: &Forecasts, i: usize, from: usize, lt: &LeadTime, spec: &Spec) -> Ltd {
    let f = &fc.skus[i];
    let l = lt.mean / spec.pdays;
    if uses_draws(f.class) && f.mean.iter().any(|m| *m > 0.0) {
        return Ltd::Draws(draws(fc, i, from, lt, spec));
    }
    let p = l + spec.review;
    let over = fc.over(i, from, p);
    let (d, var_d) = if p > 0.0 { (over.mean / p, over.var / p) } else { (f.mean[from.min(f.mean.len() - 1)], f.var) };
    let pi = if f.nonzero_share > 0.0 { f.nonzero_share } else { 1.0 };
    Ltd::Normal(NormalLtd::from_rates(d, var_d.sqrt(), l, lt.sd / spec.pdays, spec.review, pi))
}

/// Each future period's distribution of one SKU made ready for draws ([`Sampler`]), and for a
/// hurdle the same given that the period has demand. Periods past the horizon repeat the last.
struct Tables {
    period: PeriodSamplers,
    /// Per distinct period distribution ([`PeriodSamplers::slot`]), its given-demand sampler.
    given: Vec<Option<Sampler>>,
}

impl Tables {
    fn new(fc: &Forecasts, i: usize) -> Tables {
        let dists = (0..fc.skus[i].mean.len()).map(|t| fc.period(i, t));
        let given = |d: &DemandDist| {
            d.hurdle.map(|h| Sampler::new(&DemandDist::intermittent(Hurdle { prob: 1.0, ..h }, d.discrete)))
        };
        let (period, given) = PeriodSamplers::with(dists, given);
        Tables { period, given }
    }

    /// [`span_of`] on the tables: with whole units, one number per whole period, and for a
    /// part of the last one a number for its demand and one for whether it counts.
    fn span<R: Rng>(&self, from: usize, len: f64, rng: &mut R) -> f64 {
        span_of(|t, rng| self.period.at(t).sample(rng), from, len, rng)
    }

    /// Demand over `len` periods from `from` given that there is some: one whole period of
    /// hurdle demand is a demand size, drawn at once; otherwise spans are drawn until one has
    /// demand (a draw of a non-zero period when tries run out).
    fn span_with_demand<R: Rng>(&self, fc: &Forecasts, i: usize, from: usize, len: f64, rng: &mut R) -> f64 {
        let given = &self.given[self.period.slot(from)];
        if let (Some(g), true) = (given, (len - 1.0).abs() < 1e-9) {
            return g.sample(rng);
        }
        for _ in 0..64 {
            let x = self.span(from, len.max(1.0), rng);
            if x > 0.0 {
                return x;
            }
        }
        match given {
            Some(g) => g.sample(rng),
            None => {
                let d = fc.period(i, from);
                d.mean.max(if d.discrete { 1.0 } else { 0.0 })
            }
        }
    }
}

/// The random numbers of part `part` of draw `j`: a stream of its own, so the same draw sees
/// the same numbers whatever the target or lead time.
fn part_rng(seed: u64, j: u64, part: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ (4 * j + part).wrapping_mul(GOLDEN))
}

fn draws(fc: &Forecasts, i: usize, from: usize, lt: &LeadTime, spec: &Spec) -> DrawLtd {
    let n = spec.sims.max(1);
    let tables = Tables::new(fc, i);
    let (mut lead, mut protect, mut cycle) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for j in 0..n as u64 {
        // One stream per part of a draw (the lead time, its demand, the review period's, the
        // review period's given demand), and one number per period drawn: a longer lead time
        // only adds demand at the end of its part, so levels move monotonically with both the
        // target and the lead time.
        let lp = lead_days(lt, &mut part_rng(spec.seed, j, 0)) / spec.pdays;
        let a = tables.span(from, lp, &mut part_rng(spec.seed, j, 1));
        let after = from + lp.floor() as usize;
        let b = tables.span(after, spec.review, &mut part_rng(spec.seed, j, 2));
        let b_given = if spec.review > 0.0 {
            tables.span_with_demand(fc, i, after, spec.review, &mut part_rng(spec.seed, j, 3))
        } else {
            0.0
        };
        lead.push(a);
        protect.push(a + b);
        cycle.push(a + b_given);
    }
    for v in [&mut lead, &mut protect, &mut cycle] {
        // Equal values are the same bits: an unstable sort gives the same order.
        v.sort_unstable_by(f64::total_cmp);
    }
    DrawLtd { lead, protect, cycle, review_demand: fc.over(i, from, spec.review).mean }
}

/// (class, group): a family is `DemandClass::None` with group `regular` or `intermittent`; a
/// class's pool has an empty group.
pub type Key = (DemandClass, String);

/// Target levels learned from held-out backtest windows, per demand class and group (the XYZ
/// class), each backed off to its class and the class to its family (regular or
/// intermittent) when it has few windows; and a factor on each SKU's own variance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelMap {
    /// Sorted PIT values per key.
    pits: Vec<(Key, Vec<f64>)>,
}

/// Windows at which a group's own figure counts as much as the one it backs off to. Windows
/// of one item, and of one season, move together, so a group holds fewer independent ones
/// than it counts.
const PRIOR_WINDOWS: f64 = 200.0;

fn family(class: DemandClass) -> Key {
    (DemandClass::None, if uses_draws(class) { "intermittent" } else { "regular" }.to_string())
}

impl LevelMap {
    /// The sorted PIT values per key, as stored.
    pub fn parts(&self) -> &[(Key, Vec<f64>)] {
        &self.pits
    }

    /// A map from stored parts (each key's values sorted).
    pub fn from_parts(mut pits: Vec<(Key, Vec<f64>)>) -> LevelMap {
        for (_, p) in &mut pits {
            p.sort_by(f64::total_cmp);
        }
        LevelMap { pits }
    }

    fn shrunk(&self, key: &Key, target: f64, prior: f64) -> f64 {
        let Some((_, p)) = self.pits.iter().find(|(k, _)| k == key) else { return prior };
        if p.is_empty() {
            return prior;
        }
        let q = crate::leadtime::quantile_sorted(p, target);
        let w = p.len() as f64 / (p.len() as f64 + PRIOR_WINDOWS);
        w * q + (1.0 - w) * prior
    }

    /// The model level that covered `target` of held-out windows of items of `class` in
    /// `group`: the empirical `target` quantile of their PIT values, shrunk toward their
    /// class's, the class's toward its family's, the family's toward `target` itself.
    pub fn level(&self, class: DemandClass, group: &str, target: f64) -> f64 {
        let fam = self.shrunk(&family(class), target, target);
        let cls = self.shrunk(&(class, String::new()), target, fam);
        self.shrunk(&(class, group.to_string()), target, cls).clamp(0.0, 0.9995)
    }

    /// (class, windows, share the nominal level covered), per class, for the run summary.
    pub fn coverage_at(&self, nominal: f64) -> Vec<(DemandClass, usize, f64)> {
        self.pits
            .iter()
            .filter(|((c, g), _)| *c != DemandClass::None && g.is_empty())
            .map(|((c, _), p)| {
                (*c, p.len(), p.iter().filter(|x| **x <= nominal).count() as f64 / p.len().max(1) as f64)
            })
            .collect()
    }
}

/// Mid-rank PIT of `actual` among `draws` draws from `draw`.
fn draw_pit(actual: f64, draws: usize, mut draw: impl FnMut() -> f64) -> f64 {
    let (mut below, mut equal) = (0usize, 0usize);
    for _ in 0..draws {
        let x = draw();
        if x < actual - 1e-9 {
            below += 1;
        } else if (x - actual).abs() <= 1e-9 {
            equal += 1;
        }
    }
    (below as f64 + 0.5 * equal as f64) / draws as f64
}

/// PIT of `actual` in a normal (mean, sd); a point mass when sd is 0.
fn normal_pit(actual: f64, mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        if actual > mean {
            1.0
        } else if actual < mean {
            0.0
        } else {
            0.5
        }
    } else {
        crate::policy::big_phi((actual - mean) / sd)
    }
}

/// PITs of one SKU's held-out demand: each window spans a lead time drawn from the SKU's
/// receipts plus the review period (what one order must cover), and is placed in the planning
/// model's own distribution of that demand, lead-time spread included; so the calibration
/// checks the very quantity the plan protects.
fn pits(fc: &Forecasts, i: usize, lt: &LeadTime, review: f64, pdays: f64, seed: u64) -> Vec<f64> {
    let f = &fc.skus[i];
    let mut out = Vec::new();
    let Some(h) = f.holdout.as_ref() else { return out };
    let draws_method = uses_draws(f.class);
    if draws_method && h.sizes.is_none() {
        return out;
    }
    let w = h.actual.len();
    let p = lt.mean / pdays + review;
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let fcast = |t: usize| h.forecast[t.min(w - 1)] as f64;
    let dist = |t: usize| match h.sizes {
        Some((pr, m, v)) => DemandDist::intermittent(Hurdle::with_mean(fcast(t), pr, m, v, f.discrete), f.discrete),
        None => DemandDist::new(fcast(t), h.var, f.discrete),
    };
    let samplers = PeriodSamplers::new((0..if draws_method { w } else { 0 }).map(dist));
    let draw = |t: usize, rng: &mut ChaCha8Rng| samplers.at(t).sample(rng);
    let actual = |start: usize, len: usize| -> f64 { h.actual[start..start + len].iter().map(|x| *x as f64).sum() };
    let normal = |start: usize| -> NormalLtd {
        let whole = p.floor() as usize;
        let mean: f64 = (0..whole).map(|k| fcast(start + k)).sum::<f64>() + (p - whole as f64) * fcast(start + whole);
        let d = if p > 0.0 { mean / p } else { 0.0 };
        let var_d = if p > 0.0 { fc.span_var(h.var, p) / p } else { h.var };
        let var_d = var_d.max(if f.discrete { d } else { 0.0 });
        NormalLtd::from_rates(d, var_d.sqrt(), lt.mean / pdays, lt.sd / pdays, review, 1.0)
    };
    let step = (p.ceil() as usize).clamp(1, w);
    for start in (0..=w - step).step_by(step) {
        let realized = ((lead_days(lt, rng) / pdays + review).round() as usize).clamp(1, w - start);
        let a = actual(start, realized);
        out.push(if draws_method {
            draw_pit(a, 400, || span_of(draw, start, lead_days(lt, rng) / pdays + review, rng))
        } else {
            let n = normal(start);
            normal_pit(a, n.protect.0, n.protect.1)
        });
    }
    out
}

/// Learns the level map from every SKU's held-out windows: `items[i]` is (its lead time, its
/// group within its class, such as its XYZ class), `None` for SKUs not planned; `review` and
/// `pdays` as in [`Spec`].
pub fn calibrate(
    fc: &Forecasts,
    items: &[Option<(&LeadTime, String)>],
    review: f64,
    pdays: f64,
    seed: u64,
) -> LevelMap {
    use rayon::prelude::*;
    let found: Vec<(usize, Vec<f64>)> = items
        .par_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.as_ref().map(|s| (i, pits(fc, i, s.0, review, pdays, seed ^ (i as u64 + 1).wrapping_mul(GOLDEN))))
        })
        .collect();
    let mut pits: Vec<(Key, Vec<f64>)> = Vec::new();
    let mut add = |key: Key, p: f64| match pits.iter_mut().find(|x| x.0 == key) {
        Some(x) => x.1.push(p),
        None => pits.push((key, vec![p])),
    };
    for (i, windows) in found {
        let f = &fc.skus[i];

        let group = items[i].as_ref().map_or(String::new(), |s| s.1.clone());
        for p in windows {
            for (class, g) in [(f.class, group.clone()), (f.class, String::new()), family(f.class)] {
                add((class, g), p);
            }
        }
    }
    for (_, p) in &mut pits {
        p.sort_by(f64::total_cmp);
    }
    pits.sort_by(|a, b| (a.0 .0.name(), &a.0 .1).cmp(&(b.0 .0.name(), &b.0 .1)));
    LevelMap { pits }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_pits_leave_targets_alone_and_narrow_bands_raise_them() {
        let key = |m: &str| (DemandClass::Smooth, m.to_string());
        let even: Vec<f64> = (0..1000).map(|k| (k as f64 + 0.5) / 1000.0).collect();
        let m = LevelMap { pits: vec![(key(""), even.clone()), (key("ses"), even)] };
        assert!((m.level(DemandClass::Smooth, "ses", 0.95) - 0.95).abs() < 0.002);
        assert_eq!(m.level(DemandClass::Lumpy, "tsb", 0.9), 0.9);
        // Half the windows beyond the model's 99.5th percentile: 95% needs a far higher level.
        let mut wide: Vec<f64> = (0..1000).map(|k| if k % 2 == 0 { 0.995 } else { 0.5 }).collect();
        wide.sort_by(f64::total_cmp);
        let m = LevelMap { pits: vec![(key(""), wide.clone()), (key("ses"), wide)] };
        assert!(m.level(DemandClass::Smooth, "ses", 0.95) > 0.99);
        // A group with few windows keeps close to its class.
        let m = LevelMap {
            pits: vec![(key(""), (0..1000).map(|k| (k as f64 + 0.5) / 1000.0).collect()), (key("x"), vec![0.999; 3])],
        };
        assert!(m.level(DemandClass::Smooth, "x", 0.95) < 0.96);
    }
}
