//! Point-forecast models, each written from its textbook recursion. A [`Model`] is fitted on a
//! demand series (oldest first) and gives a [`Fitted`] that forecasts the mean of the periods
//! after any series with those parameters, so backtests at several origins need one fit.

use super::optim::{logit, nelder_mead, sigmoid};

/// A forecasting model.
pub trait Model: Send + Sync {
    /// Name written to outputs.
    fn name(&self) -> &'static str;
    /// Fits on `y` (never empty); `None` when the model does not apply to this series.
    fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>>;
}

/// A model with its parameters fixed.
pub trait Fitted: Send {
    /// Mean forecast of the `h` periods that follow `y`.
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64>;
}

/// Models without parameters to estimate are their own fitted form.
macro_rules! stateless {
    ($t:ty) => {
        impl Model for $t {
            fn name(&self) -> &'static str {
                self.label()
            }
            fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
                self.applies(y).then(|| Box::new(self.clone()) as Box<dyn Fitted>)
            }
        }
    };
}

/// Last value carried forward.
#[derive(Debug, Clone)]
pub struct Naive;

impl Naive {
    fn label(&self) -> &'static str {
        "naive"
    }
    fn applies(&self, _: &[f64]) -> bool {
        true
    }
}

impl Fitted for Naive {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        vec![*y.last().unwrap_or(&0.0); h]
    }
}
stateless!(Naive);

/// The value one season earlier.
#[derive(Debug, Clone)]
pub struct SeasonalNaive {
    /// Season length in periods.
    pub m: usize,
}

impl SeasonalNaive {
    fn label(&self) -> &'static str {
        "seasonal_naive"
    }
    fn applies(&self, y: &[f64]) -> bool {
        self.m > 1 && y.len() >= self.m
    }
}

impl Fitted for SeasonalNaive {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let n = y.len();
        if n < self.m {
            return Naive.predict(y, h);
        }
        (0..h).map(|k| y[n - self.m + k % self.m]).collect()
    }
}
stateless!(SeasonalNaive);

/// Mean of the last `window` periods (all periods when the series is shorter).
#[derive(Debug, Clone)]
pub struct MovingAverage {
    /// Number of periods averaged.
    pub window: usize,
}

impl MovingAverage {
    fn label(&self) -> &'static str {
        "moving_average"
    }
    fn applies(&self, _: &[f64]) -> bool {
        true
    }
}

impl Fitted for MovingAverage {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let tail = &y[y.len().saturating_sub(self.window.max(1))..];
        let mean = if tail.is_empty() { 0.0 } else { tail.iter().sum::<f64>() / tail.len() as f64 };
        vec![mean; h]
    }
}
stateless!(MovingAverage);

/// Runs simple exponential smoothing over `y` from a first level of `y[0]`; returns the final
/// level and the sum of squared one-step errors.
pub fn ses_run(y: &[f64], alpha: f64) -> (f64, f64) {
    let mut level = y[0];
    let mut sse = 0.0;
    for &v in &y[1..] {
        let e = v - level;
        sse += e * e;
        level += alpha * e;
    }
    (level, sse)
}

/// Minimises `f` on `[lo, hi]` by golden-section search.
pub fn golden_min(lo: f64, hi: f64, iters: usize, f: impl Fn(f64) -> f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..iters {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    if fc <= fd {
        c
    } else {
        d
    }
}

/// The SES weight minimising in-sample squared one-step error.
pub fn ses_alpha(y: &[f64]) -> f64 {
    if y.len() < 3 {
        return 0.5;
    }
    golden_min(0.01, 0.99, 25, |a| ses_run(y, a).1)
}

/// Simple exponential smoothing with an optimised weight.
#[derive(Debug, Clone)]
pub struct Ses;

struct SesFit {
    alpha: f64,
}

impl Fitted for SesFit {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        vec![ses_run(y, self.alpha).0.max(0.0); h]
    }
}

impl Model for Ses {
    fn name(&self) -> &'static str {
        "ses"
    }
    fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
        Some(Box::new(SesFit { alpha: ses_alpha(y) }))
    }
}

/// Croston's method (sizes and intervals smoothed with weight 0.1); with `sba` the
/// Syntetos-Boylan correction (1 - alpha/2) removes its upward bias.
#[derive(Debug, Clone)]
pub struct Croston {
    /// Apply the Syntetos-Boylan approximation.
    pub sba: bool,
}

/// Croston's smoothing weight, as in the literature's classic form.
pub const CROSTON_ALPHA: f64 = 0.1;

/// Croston forecast of `y` with weight `a`, before any bias correction. Size and interval
/// start from their means over `y`, so a series that starts at its first sale does not begin
/// with an interval of one period.
pub fn croston_level(y: &[f64], a: f64) -> f64 {
    let nz = y.iter().filter(|v| **v > 0.0).count();
    if nz == 0 {
        return 0.0;
    }
    let mut z = y.iter().sum::<f64>() / nz as f64;
    let mut p = y.len() as f64 / nz as f64;
    let mut since = 1.0;
    for &v in y {
        if v > 0.0 {
            z += a * (v - z);
            p += a * (since - p);
            since = 1.0;
        } else {
            since += 1.0;
        }
    }
    z / p
}

impl Croston {
    fn label(&self) -> &'static str {
        if self.sba {
            "sba"
        } else {
            "croston"
        }
    }
    fn applies(&self, y: &[f64]) -> bool {
        y.iter().any(|v| *v > 0.0)
    }
}

impl Fitted for Croston {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let f = if self.sba { 1.0 - CROSTON_ALPHA / 2.0 } else { 1.0 };
        vec![f * croston_level(y, CROSTON_ALPHA); h]
    }
}
stateless!(Croston);

/// Teunter-Syntetos-Babai run: returns the final forecast and the in-sample squared error.
pub fn tsb_run(y: &[f64], alpha_p: f64, alpha_z: f64) -> (f64, f64) {
    let nz: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
    let mut prob = nz.len() as f64 / y.len() as f64;
    let mut size = if nz.is_empty() { 0.0 } else { nz.iter().sum::<f64>() / nz.len() as f64 };
    let mut sse = 0.0;
    for &v in y {
        let e = v - prob * size;
        sse += e * e;
        if v > 0.0 {
            prob += alpha_p * (1.0 - prob);
            size += alpha_z * (v - size);
        } else {
            prob -= alpha_p * prob;
        }
    }
    (prob * size, sse)
}

/// TSB with demand probability and size weights optimised on in-sample squared error.
#[derive(Debug, Clone)]
pub struct Tsb;

struct TsbFit {
    alpha_p: f64,
    alpha_z: f64,
}

impl Fitted for TsbFit {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        vec![tsb_run(y, self.alpha_p, self.alpha_z).0; h]
    }
}

impl Model for Tsb {
    fn name(&self) -> &'static str {
        "tsb"
    }
    fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
        // Weights in (0.01, 0.5): larger ones chase noise on sparse series.
        let map = |x: f64| 0.01 + 0.49 * sigmoid(x);
        let (p, _) = nelder_mead(|q| tsb_run(y, map(q[0]), map(q[1])).1, &[logit(0.2), logit(0.2)], 1.0, 60, 1e-6);
        Some(Box::new(TsbFit { alpha_p: map(p[0]), alpha_z: map(p[1]) }))
    }
}

/// Average demand interval (periods per non-zero demand), at least 1.
fn mean_interval(y: &[f64]) -> usize {
    let nz = y.iter().filter(|v| **v > 0.0).count().max(1);
    ((y.len() as f64 / nz as f64).round() as usize).max(1)
}

/// SES on non-overlapping sums of `k` periods taken from the end, divided back by `k`.
fn aggregate_ses(y: &[f64], k: usize) -> Option<f64> {
    let buckets = y.len() / k;
    if buckets == 0 {
        return None;
    }
    let start = y.len() - buckets * k;
    let agg: Vec<f64> = y[start..].chunks(k).map(|c| c.iter().sum()).collect();
    let a = ses_alpha(&agg);
    Some(ses_run(&agg, a).0.max(0.0) / k as f64)
}

/// ADIDA: temporal aggregation to the mean demand interval, SES there, spread back.
#[derive(Debug, Clone)]
pub struct Adida;

impl Adida {
    fn label(&self) -> &'static str {
        "adida"
    }
    fn applies(&self, y: &[f64]) -> bool {
        y.iter().any(|v| *v > 0.0)
    }
}

impl Fitted for Adida {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let k = mean_interval(y);
        let f = aggregate_ses(y, k).or_else(|| aggregate_ses(y, 1)).unwrap_or(0.0);
        vec![f; h]
    }
}
stateless!(Adida);

/// IMAPA: the mean of SES forecasts made at every aggregation level from 1 to the mean
/// demand interval.
#[derive(Debug, Clone)]
pub struct Imapa;

impl Imapa {
    fn label(&self) -> &'static str {
        "imapa"
    }
    fn applies(&self, y: &[f64]) -> bool {
        y.iter().any(|v| *v > 0.0)
    }
}

impl Fitted for Imapa {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let top = mean_interval(y);
        let fs: Vec<f64> = (1..=top).filter_map(|k| aggregate_ses(y, k)).collect();
        let f = if fs.is_empty() { 0.0 } else { fs.iter().sum::<f64>() / fs.len() as f64 };
        vec![f; h]
    }
}
stateless!(Imapa);

#[cfg(test)]
mod tests {
    use super::*;

    fn one(m: &dyn Model, y: &[f64], h: usize) -> Vec<f64> {
        m.fit(y).expect("applies").predict(y, h)
    }

    #[test]
    fn ses_level_matches_hand_recursion() {
        // level: 10 -> 10 + 0.5*(12-10) = 11 -> 11 + 0.5*(8-11) = 9.5
        let (level, sse) = ses_run(&[10.0, 12.0, 8.0], 0.5);
        assert!((level - 9.5).abs() < 1e-12);
        assert!((sse - (4.0 + 9.0)).abs() < 1e-12);
    }

    #[test]
    fn ses_follows_a_level_shift() {
        let mut y = vec![10.0; 10];
        y.extend(vec![30.0; 10]);
        assert!((one(&Ses, &y, 3)[0] - 30.0).abs() < 0.1);
    }

    #[test]
    fn croston_and_sba_on_a_hand_example() {
        // Demands 4 (after 2 periods) and 6 (after 3). Start: z = 10/2 = 5, p = 6/2 = 3.
        // alpha 0.1: z = 5 - 0.1 = 4.9, p = 3 - 0.1 = 2.9; then z = 4.9 + 0.11 = 5.01, p = 2.9 + 0.01 = 2.91.
        let y = [0.0, 4.0, 0.0, 0.0, 6.0, 0.0];
        assert!((croston_level(&y, 0.1) - 5.01 / 2.91).abs() < 1e-12);
        assert!((one(&Croston { sba: true }, &y, 1)[0] - 0.95 * 5.01 / 2.91).abs() < 1e-12);
    }

    #[test]
    fn tsb_decays_after_demand_stops() {
        let mut y = vec![5.0; 10];
        y.extend(vec![0.0; 20]);
        let (f, _) = tsb_run(&y, 0.1, 0.1);
        let mut p: f64 = 10.0 / 30.0;
        for _ in 0..10 {
            p += 0.1 * (1.0 - p);
        }
        p *= 0.9f64.powi(20);
        assert!((f - 5.0 * p).abs() < 1e-9);
        assert!(one(&Tsb, &y, 1)[0] < 1.0);
    }

    #[test]
    fn seasonal_naive_repeats_last_season() {
        assert_eq!(one(&SeasonalNaive { m: 3 }, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 4), vec![4.0, 5.0, 6.0, 4.0]);
    }

    #[test]
    fn moving_average_uses_the_last_window() {
        assert_eq!(one(&MovingAverage { window: 2 }, &[1.0, 2.0, 3.0, 5.0], 2), vec![4.0, 4.0]);
    }

    #[test]
    fn adida_aggregates_to_the_demand_interval() {
        // One demand of 6 every 3 periods: buckets of 3 sum to 6 each -> 2 per period.
        let y = [0.0, 0.0, 6.0, 0.0, 0.0, 6.0, 0.0, 0.0, 6.0];
        assert!((one(&Adida, &y, 1)[0] - 2.0).abs() < 1e-9);
        // IMAPA averages levels 1..=3: level 2 sees buckets [0+6? ...]; all are near 2.
        let f = one(&Imapa, &y, 1)[0];
        assert!(f > 1.0 && f < 3.5, "{f}");
    }
}
