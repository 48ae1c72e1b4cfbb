//! Point-forecast models, each written from its textbook recursion. A model sees a plain demand
//! series (oldest first) and returns the mean forecast for the next periods plus the standard
//! deviation of its one-step in-sample errors.

/// A fitted model's output for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFit {
    /// Mean demand forecast per future period.
    pub mean: Vec<f64>,
    /// Root mean square of the one-step-ahead in-sample errors.
    pub sigma: f64,
    /// Smoothing weight used for the level, when the model has one (for multi-step variance).
    pub alpha: Option<f64>,
}

/// One forecasting model: fitted on a series, it predicts a horizon.
pub trait Model: Send + Sync {
    /// Name written to outputs.
    fn name(&self) -> &'static str;
    /// Fits on `y` and forecasts `h` periods. `y` is never empty.
    fn fit(&self, y: &[f64], h: usize) -> ModelFit;
}

fn rms(errors: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for e in errors {
        s += e * e;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        (s / n as f64).sqrt()
    }
}

/// Last value carried forward.
pub struct Naive;

impl Model for Naive {
    fn name(&self) -> &'static str {
        "naive"
    }
    fn fit(&self, y: &[f64], h: usize) -> ModelFit {
        let last = *y.last().unwrap_or(&0.0);
        let sigma = rms(y.windows(2).map(|w| w[1] - w[0]));
        ModelFit { mean: vec![last; h], sigma, alpha: Some(1.0) }
    }
}

/// Mean of the last `window` periods (all periods when the series is shorter).
pub struct MovingAverage {
    /// Number of periods averaged.
    pub window: usize,
}

impl Model for MovingAverage {
    fn name(&self) -> &'static str {
        "moving_average"
    }
    fn fit(&self, y: &[f64], h: usize) -> ModelFit {
        let k = self.window.max(1);
        let tail = &y[y.len().saturating_sub(k)..];
        let mean = tail.iter().sum::<f64>() / tail.len() as f64;
        let errors = (1..y.len()).map(|t| {
            let w = &y[t.saturating_sub(k)..t];
            y[t] - w.iter().sum::<f64>() / w.len() as f64
        });
        ModelFit { mean: vec![mean; h], sigma: rms(errors), alpha: None }
    }
}

/// Simple exponential smoothing state run over `y`: returns the final level and the sum of
/// squared one-step errors. The level starts at the first value.
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

/// Simple exponential smoothing with the smoothing weight chosen to minimise the in-sample
/// one-step squared error.
pub struct Ses;

impl Model for Ses {
    fn name(&self) -> &'static str {
        "ses"
    }
    fn fit(&self, y: &[f64], h: usize) -> ModelFit {
        if y.len() < 3 {
            return MovingAverage { window: y.len() }.fit(y, h);
        }
        let alpha = golden_min(0.01, 0.99, 30, |a| ses_run(y, a).1);
        let (level, sse) = ses_run(y, alpha);
        let sigma = (sse / (y.len() - 1) as f64).sqrt();
        ModelFit { mean: vec![level.max(0.0); h], sigma, alpha: Some(alpha) }
    }
}

/// Croston's method: sizes and intervals of non-zero demands smoothed separately; with
/// `sba = true` the Syntetos-Boylan bias correction (1 - alpha/2) is applied.
pub struct Croston {
    /// Smoothing weight of sizes and intervals.
    pub alpha: f64,
    /// Apply the Syntetos-Boylan approximation.
    pub sba: bool,
}

impl Model for Croston {
    fn name(&self) -> &'static str {
        if self.sba {
            "sba"
        } else {
            "croston"
        }
    }
    fn fit(&self, y: &[f64], h: usize) -> ModelFit {
        let a = self.alpha;
        let factor = if self.sba { 1.0 - a / 2.0 } else { 1.0 };
        let (mut z, mut p): (Option<f64>, f64) = (None, 1.0);
        let mut since = 1.0;
        let mut errors = Vec::with_capacity(y.len());
        for &v in y {
            if let Some(zz) = z {
                errors.push(v - factor * zz / p);
            }
            if v > 0.0 {
                match z {
                    None => {
                        z = Some(v);
                        p = since;
                    }
                    Some(zz) => {
                        z = Some(zz + a * (v - zz));
                        p += a * (since - p);
                    }
                }
                since = 1.0;
            } else {
                since += 1.0;
            }
        }
        let mean = z.map_or(0.0, |zz| factor * zz / p);
        ModelFit { mean: vec![mean; h], sigma: rms(errors.into_iter()), alpha: Some(a) }
    }
}

/// Teunter-Syntetos-Babai: demand probability and size smoothed separately, the probability
/// updated every period so obsolescence shows.
pub struct Tsb {
    /// Smoothing weight of the demand probability.
    pub alpha_p: f64,
    /// Smoothing weight of the demand size.
    pub alpha_z: f64,
}

impl Model for Tsb {
    fn name(&self) -> &'static str {
        "tsb"
    }
    fn fit(&self, y: &[f64], h: usize) -> ModelFit {
        let nz: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
        let mut prob = nz.len() as f64 / y.len() as f64;
        let mut size = if nz.is_empty() { 0.0 } else { nz.iter().sum::<f64>() / nz.len() as f64 };
        let mut errors = Vec::with_capacity(y.len());
        for &v in y {
            errors.push(v - prob * size);
            if v > 0.0 {
                prob += self.alpha_p * (1.0 - prob);
                size += self.alpha_z * (v - size);
            } else {
                prob -= self.alpha_p * prob;
            }
        }
        ModelFit { mean: vec![prob * size; h], sigma: rms(errors.into_iter()), alpha: Some(self.alpha_p) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ses_level_matches_hand_recursion() {
        // level: 10 -> 10 + 0.5*(12-10) = 11 -> 11 + 0.5*(8-11) = 9.5
        let (level, sse) = ses_run(&[10.0, 12.0, 8.0], 0.5);
        assert!((level - 9.5).abs() < 1e-12);
        assert!((sse - (4.0 + 9.0)).abs() < 1e-12);
    }

    #[test]
    fn ses_optimum_is_high_for_a_random_walk_step() {
        let mut y = vec![10.0; 10];
        y.extend(vec![30.0; 10]);
        let f = Ses.fit(&y, 3);
        assert!(f.alpha.unwrap() > 0.9);
        assert!((f.mean[0] - 30.0).abs() < 0.1);
    }

    #[test]
    fn croston_and_sba_on_a_hand_example() {
        // Demands 4 at t=1 and 6 at t=4 (intervals 2 then 3). alpha = 0.5:
        // z = 4, p = 2; then z = 5, p = 2.5 -> Croston 2.0, SBA 2.0 * 0.75 = 1.5.
        let y = [0.0, 4.0, 0.0, 0.0, 6.0, 0.0];
        let c = Croston { alpha: 0.5, sba: false }.fit(&y, 1);
        assert!((c.mean[0] - 2.0).abs() < 1e-12);
        let s = Croston { alpha: 0.5, sba: true }.fit(&y, 1);
        assert!((s.mean[0] - 1.5).abs() < 1e-12);
    }

    #[test]
    fn tsb_decays_after_demand_stops() {
        let mut y = vec![5.0; 10];
        y.extend(vec![0.0; 20]);
        let f = Tsb { alpha_p: 0.1, alpha_z: 0.1 }.fit(&y, 1);
        // start prob 1/3, size 5; after ten demands prob rises, twenty zeros shrink it by 0.9^20.
        let mut p: f64 = 10.0 / 30.0;
        for _ in 0..10 {
            p += 0.1 * (1.0 - p);
        }
        p *= 0.9f64.powi(20);
        assert!((f.mean[0] - 5.0 * p).abs() < 1e-9);
    }

    #[test]
    fn moving_average_uses_the_last_window() {
        let f = MovingAverage { window: 2 }.fit(&[1.0, 2.0, 3.0, 5.0], 2);
        assert_eq!(f.mean, vec![4.0, 4.0]);
    }
}
