//! Demand distributions built from a mean and a variance: Poisson or negative binomial for
//! count data (whole units), gamma for continuous quantities. Never negative, so quantiles of
//! slow movers do not dip below zero the way a normal band does.

use rand::Rng;
use rand_distr::{Distribution, Gamma as GammaDraw, Poisson};
use statrs::distribution::{ContinuousCDF, Gamma, Normal};

/// The quantile levels written to every forecast.
pub const LEVELS: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

/// Column names of [`LEVELS`].
pub const LEVEL_NAMES: [&str; 7] = ["p05", "p10", "p25", "p50", "p75", "p90", "p95"];

/// Demand over some span: non-negative, described by its first two moments, or for
/// intermittent demand by a hurdle: no demand with probability `1 - prob`, else a demand size
/// drawn from its own distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandDist {
    /// Expected demand.
    pub mean: f64,
    /// Variance of demand.
    pub var: f64,
    /// Demand comes in whole units.
    pub discrete: bool,
    /// Intermittent demand as a hurdle.
    pub hurdle: Option<Hurdle>,
}

/// Probability of any demand in a period, and the size of a demand when there is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hurdle {
    /// Probability that the period has demand.
    pub prob: f64,
    /// Mean size of a non-zero demand.
    pub size_mean: f64,
    /// Variance of the size of a non-zero demand.
    pub size_var: f64,
}

impl Hurdle {
    /// A hurdle whose mean is `mean`, keeping the demand probability and the coefficient of
    /// variation of sizes of the history (`prob`, `size_mean`, `size_var`). With whole units a
    /// size is at least 1, so a mean below `prob` lowers the probability instead.
    pub fn with_mean(mean: f64, prob: f64, size_mean: f64, size_var: f64, discrete: bool) -> Hurdle {
        let prob = prob.clamp(1e-6, 1.0);
        let mut m = mean.max(0.0) / prob;
        let mut p = prob;
        if discrete && m < 1.0 {
            m = 1.0;
            p = mean.max(0.0);
        }
        let cv2 = if size_mean > 0.0 { size_var / (size_mean * size_mean) } else { 0.0 };
        Hurdle { prob: p, size_mean: m, size_var: cv2 * m * m }
    }
}

/// Above this mean a count distribution is replaced by its normal approximation.
const COUNT_NORMAL_CUTOFF: f64 = 2000.0;

impl DemandDist {
    /// Builds a distribution, flooring the variance for counts at the Poisson variance.
    pub fn new(mean: f64, var: f64, discrete: bool) -> Self {
        let mean = mean.max(0.0);
        let var = if discrete { var.max(mean) } else { var.max(0.0) };
        DemandDist { mean, var, discrete, hurdle: None }
    }

    /// A hurdle distribution (see [`Hurdle`]).
    pub fn intermittent(h: Hurdle, discrete: bool) -> Self {
        let mean = h.prob * h.size_mean;
        let var = h.prob * h.size_var + h.prob * (1.0 - h.prob) * h.size_mean * h.size_mean;
        DemandDist { mean, var, discrete, hurdle: Some(h) }
    }

    /// Standard deviation.
    pub fn sd(&self) -> f64 {
        self.var.sqrt()
    }

    /// Smallest `x` with P(D <= x) >= p (for counts a whole number).
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(1e-9, 1.0 - 1e-9);
        if self.mean <= 0.0 {
            return 0.0;
        }
        if let Some(h) = self.hurdle {
            if p <= 1.0 - h.prob {
                return 0.0;
            }
            let q = ((p - (1.0 - h.prob)) / h.prob).clamp(1e-9, 1.0 - 1e-9);
            return if self.discrete {
                // Sizes are 1 + a count with mean size_mean - 1.
                1.0 + DemandDist::new(h.size_mean - 1.0, h.size_var, true).quantile(q)
            } else {
                DemandDist::new(h.size_mean, h.size_var, false).quantile(q)
            };
        }
        if self.var <= 1e-12 {
            return self.mean;
        }
        if self.discrete && self.mean < COUNT_NORMAL_CUTOFF {
            return self.count_quantile(p);
        }
        if self.discrete {
            let n = Normal::new(self.mean, self.sd()).expect("positive sd");
            return n.inverse_cdf(p).max(0.0).ceil();
        }
        let shape = self.mean * self.mean / self.var;
        let rate = self.mean / self.var;
        match Gamma::new(shape, rate) {
            Ok(g) => g.inverse_cdf(p).max(0.0),
            Err(_) => self.mean,
        }
    }

    /// Quantiles at [`LEVELS`], ordered and non-negative.
    pub fn quantiles(&self) -> [f64; 7] {
        let mut q = LEVELS.map(|p| self.quantile(p));
        for i in 1..q.len() {
            if q[i] < q[i - 1] {
                q[i] = q[i - 1];
            }
        }
        q
    }

    /// One random draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if let Some(h) = self.hurdle {
            if !rng.gen_bool(h.prob.clamp(0.0, 1.0)) {
                return 0.0;
            }
            return if self.discrete {
                1.0 + DemandDist::new(h.size_mean - 1.0, h.size_var, true).sample(rng)
            } else {
                DemandDist::new(h.size_mean, h.size_var, false).sample(rng)
            };
        }
        if self.mean <= 0.0 {
            return 0.0;
        }
        if self.var <= 1e-12 {
            return self.mean;
        }
        if self.discrete {
            // Negative binomial as a gamma mixture of Poissons; Poisson when var = mean.
            let lambda = if self.var <= self.mean * (1.0 + 1e-9) {
                self.mean
            } else {
                let r = self.mean * self.mean / (self.var - self.mean);
                GammaDraw::new(r, self.mean / r).map_or(self.mean, |g| g.sample(rng))
            };
            if lambda <= 0.0 {
                return 0.0;
            }
            Poisson::new(lambda).map_or(lambda.round(), |p| p.sample(rng))
        } else {
            let shape = self.mean * self.mean / self.var;
            GammaDraw::new(shape, self.var / self.mean).map_or(self.mean, |g| g.sample(rng))
        }
    }

    /// Walks the Poisson or negative binomial probabilities up to level `p`.
    fn count_quantile(&self, p: f64) -> f64 {
        let mut cdf = 0.0;
        let limit = self.mean + 40.0 * self.sd() + 50.0;
        let mut k = 0.0;
        for pmf in CountPmf::new(self.mean, self.var) {
            if k >= limit {
                break;
            }
            cdf += pmf;
            if cdf >= p {
                return k;
            }
            k += 1.0;
        }
        k
    }
}

/// Probabilities of 0, 1, 2, ... of a Poisson (variance = mean) or negative binomial count,
/// each from the one before.
struct CountPmf {
    pmf: f64,
    k: f64,
    /// (r, 1 - q) of a negative binomial; `None` for a Poisson of mean `mean`.
    nb: Option<(f64, f64)>,
    mean: f64,
}

impl CountPmf {
    fn new(mean: f64, var: f64) -> CountPmf {
        if var <= mean * (1.0 + 1e-9) {
            CountPmf { pmf: (-mean).exp(), k: 0.0, nb: None, mean }
        } else {
            let r = mean * mean / (var - mean);
            let q = r / (r + mean);
            CountPmf { pmf: q.powf(r), k: 0.0, nb: Some((r, 1.0 - q)), mean }
        }
    }
}

impl Iterator for CountPmf {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let out = self.pmf;
        let k = self.k;
        self.pmf *= match self.nb {
            Some((r, p)) => (k + r) / (k + 1.0) * p,
            None => self.mean / (k + 1.0),
        };
        self.k += 1.0;
        Some(out)
    }
}

/// A distribution made ready for many draws. A count of moderate size is drawn by inverting
/// its cumulative probabilities, tabulated once, with one uniform number per draw: the same
/// distribution as [`DemandDist::sample`], at a fraction of the cost, and each draw uses
/// exactly one number (so draws on common random numbers stay aligned). Other distributions
/// are drawn as they are.
#[derive(Debug, Clone, PartialEq)]
pub enum Sampler {
    /// Inversion by table.
    Table {
        /// P(D <= k) for k = 0, 1, ...; the last entry is within 1e-12 of 1.
        cdf: Vec<f64>,
        /// Where the search for a uniform number in `[j / n, (j + 1) / n)` starts, for `n`
        /// entries: the first `k` with `cdf[k] > j / n` (a guide table, so a draw takes one or
        /// two comparisons).
        guide: Vec<u32>,
    },
    /// Drawn by [`DemandDist::sample`].
    Dist(DemandDist),
}

/// The samplers of consecutive periods; past the last period, the last repeats (as
/// [`crate::forecast::Forecasts::period`] does past the horizon). Periods of the same
/// distribution (a flat forecast's, or a season's repeats) share one sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSamplers {
    /// One sampler per distinct distribution, in the order first met.
    samplers: Vec<Sampler>,
    /// Per period, its sampler's index.
    slots: Vec<u32>,
}

impl PeriodSamplers {
    /// The samplers of `dists`, period 0 first; at least one.
    pub fn new(dists: impl IntoIterator<Item = DemandDist>) -> PeriodSamplers {
        PeriodSamplers::with(dists, |_| ()).0
    }

    /// [`PeriodSamplers::new`], and `extra` of each distinct distribution, in the order of
    /// [`PeriodSamplers::slot`].
    pub fn with<U>(
        dists: impl IntoIterator<Item = DemandDist>,
        extra: impl Fn(&DemandDist) -> U,
    ) -> (PeriodSamplers, Vec<U>) {
        let mut distinct: Vec<DemandDist> = Vec::new();
        let (mut samplers, mut extras, mut slots) = (Vec::new(), Vec::new(), Vec::new());
        for d in dists {
            let k = match distinct.iter().rposition(|x| *x == d) {
                Some(k) => k,
                None => {
                    samplers.push(Sampler::new(&d));
                    extras.push(extra(&d));
                    distinct.push(d);
                    distinct.len() - 1
                }
            };
            slots.push(k as u32);
        }
        (PeriodSamplers { samplers, slots }, extras)
    }

    /// Which distinct distribution period `t` has (periods past the last have the last's).
    pub fn slot(&self, t: usize) -> usize {
        self.slots[t.min(self.slots.len() - 1)] as usize
    }

    /// Period `t`'s sampler.
    pub fn at(&self, t: usize) -> &Sampler {
        &self.samplers[self.slot(t)]
    }
}

/// Counts whose tail beyond this many units still holds probability are drawn directly.
const TABLE_MAX: usize = 4096;

impl Sampler {
    /// Tabulates `d` when it is a count that fits [`TABLE_MAX`] entries.
    pub fn new(d: &DemandDist) -> Sampler {
        if !d.discrete || d.mean <= 0.0 || d.var <= 1e-12 && d.hurdle.is_none() {
            return Sampler::Dist(*d);
        }
        // The count part and where it starts: sizes of a hurdle are 1 + a count.
        let (zero, scale, mean, var) = match d.hurdle {
            Some(h) => (1.0 - h.prob.clamp(0.0, 1.0), h.prob.clamp(0.0, 1.0), h.size_mean - 1.0, h.size_var),
            None => (0.0, 1.0, d.mean, d.var),
        };
        // A hurdle's no-demand mass is its own entry at 0; its sizes start at 1.
        let mut cdf = if d.hurdle.is_some() { vec![zero] } else { Vec::new() };
        let mut total = zero;
        if mean <= 0.0 {
            // Sizes of exactly one.
            cdf.push(1.0);
            return Sampler::table(cdf);
        }
        let var = var.max(mean);
        for pmf in CountPmf::new(mean, var) {
            total += scale * pmf;
            cdf.push(total);
            if total >= 1.0 - 1e-12 {
                return Sampler::table(cdf);
            }
            if cdf.len() >= TABLE_MAX {
                break;
            }
        }
        Sampler::Dist(*d)
    }

    fn table(cdf: Vec<f64>) -> Sampler {
        let n = cdf.len();
        // The first k with cdf[k] > j / n, for each j: the thresholds rise, so one pass.
        let mut k = 0;
        let guide = (0..n)
            .map(|j| {
                while k < n && cdf[k] <= j as f64 / n as f64 {
                    k += 1;
                }
                k as u32
            })
            .collect();
        Sampler::Table { cdf, guide }
    }

    /// One random draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Table { cdf, guide } => {
                // The smallest k with P(D <= k) > u.
                let u: f64 = rng.gen();
                let n = cdf.len();
                let mut k = (guide[((u * n as f64) as usize).min(n - 1)] as usize).min(n - 1);
                while k + 1 < n && cdf[k] <= u {
                    k += 1;
                }
                k as f64
            }
            Sampler::Dist(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_quantiles_match_tables() {
        // Poisson(3): P(X<=0)=0.0498, P(X<=1)=0.1991, P(X<=3)=0.6472, P(X<=5)=0.9161, P(X<=6)=0.9665.
        let d = DemandDist::new(3.0, 3.0, true);
        assert_eq!(d.quantile(0.05), 1.0);
        assert_eq!(d.quantile(0.04), 0.0);
        assert_eq!(d.quantile(0.5), 3.0);
        assert_eq!(d.quantile(0.9), 5.0);
        assert_eq!(d.quantile(0.95), 6.0);
    }

    #[test]
    fn negative_binomial_quantiles_match_reference() {
        // mean 4, var 12 -> r = 2, p = 1/3. scipy.stats.nbinom(2, 1/3).ppf([.5, .9, .95]) = 3, 9, 11.
        let d = DemandDist::new(4.0, 12.0, true);
        assert_eq!(d.quantile(0.5), 3.0);
        assert_eq!(d.quantile(0.9), 9.0);
        assert_eq!(d.quantile(0.95), 11.0);
    }

    #[test]
    fn gamma_quantile_matches_reference() {
        // mean 10, var 20 -> shape 5, scale 2. scipy.stats.gamma(5, scale=2).ppf(0.9) = 15.987179...
        let d = DemandDist::new(10.0, 20.0, false);
        assert!((d.quantile(0.9) - 15.987_179_548_8).abs() < 1e-6);
    }

    #[test]
    fn hurdle_quantiles_put_the_no_demand_mass_at_zero() {
        // Demand in 30% of periods; sizes 1 + Poisson(2) (mean 3, var 2).
        let d = DemandDist::intermittent(Hurdle { prob: 0.3, size_mean: 3.0, size_var: 2.0 }, true);
        assert!((d.mean - 0.9).abs() < 1e-12);
        assert_eq!(d.quantile(0.7), 0.0);
        // P(D <= 1) = 0.7 + 0.3 * e^-2 = 0.7406; P(D <= 3) = 0.7 + 0.3 * P(Poisson(2) <= 2) = 0.903.
        assert_eq!(d.quantile(0.74), 1.0);
        assert_eq!(d.quantile(0.75), 2.0);
        assert_eq!(d.quantile(0.90), 3.0);
        assert_eq!(d.quantile(0.91), 4.0);
        let h = Hurdle::with_mean(0.1, 0.3, 3.0, 2.0, true);
        assert!((h.prob * h.size_mean - 0.1).abs() < 1e-12 && h.size_mean >= 1.0);
    }

    #[test]
    fn draws_match_the_moments() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for d in [
            DemandDist::new(4.0, 12.0, true),
            DemandDist::new(10.0, 20.0, false),
            DemandDist::intermittent(Hurdle { prob: 0.3, size_mean: 3.0, size_var: 2.0 }, true),
        ] {
            let n = 100_000;
            let x: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
            let m = x.iter().sum::<f64>() / n as f64;
            let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64;
            assert!((m - d.mean).abs() < 0.03 * d.mean, "{d:?}: mean {m}");
            assert!((v - d.var).abs() < 0.05 * d.var, "{d:?}: var {v}");
        }
    }

    #[test]
    fn tabulated_counts_hold_the_reference_probabilities() {
        let table = |d: DemandDist| match Sampler::new(&d) {
            Sampler::Table { cdf, .. } => cdf,
            Sampler::Dist(d) => panic!("{d:?} should be tabulated"),
        };
        // Poisson(3): P(X <= k) for k = 0..6 from a published table.
        let cdf = table(DemandDist::new(3.0, 3.0, true));
        for (k, p) in [0.0498, 0.1991, 0.4232, 0.6472, 0.8153, 0.9161, 0.9665].iter().enumerate() {
            assert!((cdf[k] - p).abs() < 5e-5, "P(X <= {k}) = {}", cdf[k]);
        }
        // Negative binomial r = 2, p = 1/3 (mean 4, var 12): scipy.stats.nbinom(2, 1/3).cdf(0..2)
        // = 0.111111, 0.259259, 0.407407.
        let cdf = table(DemandDist::new(4.0, 12.0, true));
        for (k, p) in [0.111_111, 0.259_259, 0.407_407].iter().enumerate() {
            assert!((cdf[k] - p).abs() < 1e-6, "P(X <= {k}) = {}", cdf[k]);
        }
        // Hurdle: no demand with probability 0.7, sizes 1 + Poisson(2): P(D <= 1) = 0.7 + 0.3 e^-2.
        let cdf = table(DemandDist::intermittent(Hurdle { prob: 0.3, size_mean: 3.0, size_var: 2.0 }, true));
        assert!((cdf[0] - 0.7).abs() < 1e-12 && (cdf[1] - 0.740_601_0).abs() < 1e-6, "{:?}", &cdf[..2]);
        assert!(*cdf.last().unwrap() >= 1.0 - 1e-12);
        // Quantities in other units, and counts too large for a table, are drawn directly.
        assert!(matches!(Sampler::new(&DemandDist::new(10.0, 20.0, false)), Sampler::Dist(_)));
        assert!(matches!(Sampler::new(&DemandDist::new(1e6, 1e9, true)), Sampler::Dist(_)));
    }

    #[test]
    fn a_tabulated_draw_uses_one_number_and_matches_the_moments() {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for d in [
            DemandDist::new(3.0, 3.0, true),
            DemandDist::new(4.0, 12.0, true),
            DemandDist::intermittent(Hurdle { prob: 0.3, size_mean: 3.0, size_var: 2.0 }, true),
            DemandDist::intermittent(Hurdle { prob: 0.2, size_mean: 1.0, size_var: 0.0 }, true),
        ] {
            let s = Sampler::new(&d);
            let mut once = rng.clone();
            s.sample(&mut once);
            rng.next_u64();
            assert_eq!(once, rng, "{d:?}: one number per draw");
            let n = 200_000;
            let x: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let m = x.iter().sum::<f64>() / n as f64;
            let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64;
            assert!((m - d.mean).abs() < 0.02 * d.mean, "{d:?}: mean {m}");
            assert!((v - d.var).abs() < 0.04 * d.var.max(0.01), "{d:?}: var {v}");
        }
    }

    #[test]
    fn the_guide_table_finds_the_inverse_a_search_finds() {
        use rand::rngs::mock::StepRng;
        use rand::RngCore;
        for d in [
            DemandDist::new(0.3, 0.3, true),
            DemandDist::new(40.0, 400.0, true),
            DemandDist::intermittent(Hurdle { prob: 0.05, size_mean: 12.0, size_var: 300.0 }, true),
        ] {
            let s = Sampler::new(&d);
            let Sampler::Table { cdf, .. } = &s else { panic!("{d:?} should be tabulated") };
            // Numbers spread over [0, 1), the same ones the draw turns into u.
            let mut rng = StepRng::new(12_345, u64::MAX / 9_973);
            for _ in 0..20_000 {
                let mut peek = rng.clone();
                let u = (peek.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                let want = cdf.partition_point(|c| *c <= u).min(cdf.len() - 1) as f64;
                assert_eq!(s.sample(&mut rng), want, "{d:?} at u = {u}");
            }
        }
    }

    #[test]
    fn zero_mean_gives_zero_quantiles() {
        assert_eq!(DemandDist::new(0.0, 5.0, true).quantiles(), [0.0; 7]);
    }
}
