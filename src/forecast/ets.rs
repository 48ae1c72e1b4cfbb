//! Exponential smoothing in state-space form (Hyndman, Koehler, Ord & Snyder, 2008): additive
//! or multiplicative error, no / additive / damped trend, no / additive / multiplicative
//! season, with smoothing weights fitted by maximum likelihood and the form chosen by AICc.
//! Any season length works (52 weeks included): the seasonal states are a plain vector.

use super::models::{Fitted, Model};
use super::optim::{logit, nelder_mead, sigmoid};

/// Error component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// y = mu + e.
    Add,
    /// y = mu (1 + e).
    Mul,
}

/// Trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendType {
    /// No trend.
    None,
    /// Linear trend.
    Add,
    /// Damped linear trend.
    Damped,
}

/// Season component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonType {
    /// No season.
    None,
    /// Seasonal offsets.
    Add,
    /// Seasonal factors.
    Mul,
}

/// One member of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Error.
    pub error: ErrorType,
    /// Trend.
    pub trend: TrendType,
    /// Season.
    pub season: SeasonType,
    /// Season length (ignored without a season).
    pub m: usize,
}

impl Spec {
    /// Short code such as `AAdN`.
    pub fn code(&self) -> String {
        let e = if self.error == ErrorType::Add { "A" } else { "M" };
        let t = match self.trend {
            TrendType::None => "N",
            TrendType::Add => "A",
            TrendType::Damped => "Ad",
        };
        let s = match self.season {
            SeasonType::None => "N",
            SeasonType::Add => "A",
            SeasonType::Mul => "M",
        };
        format!("{e}{t}{s}")
    }

    fn seasonal(&self) -> bool {
        self.season != SeasonType::None
    }

    /// Smoothing parameters plus initial states.
    fn n_params(&self) -> usize {
        let smoothing = 1
            + usize::from(self.trend != TrendType::None)
            + usize::from(self.trend == TrendType::Damped)
            + usize::from(self.seasonal());
        let states = 1 + usize::from(self.trend != TrendType::None) + if self.seasonal() { self.m - 1 } else { 0 };
        smoothing + states
    }

    fn needs_positive(&self) -> bool {
        self.error == ErrorType::Mul || self.season == SeasonType::Mul
    }
}

/// Smoothing weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Level weight.
    pub alpha: f64,
    /// Trend weight.
    pub beta: f64,
    /// Season weight.
    pub gamma: f64,
    /// Damping factor (1 without damping).
    pub phi: f64,
}

/// States after a run.
struct Run {
    level: f64,
    trend: f64,
    seasons: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Heuristic initial states: level, trend and seasonal states from the first one or two seasons.
fn init(y: &[f64], s: &Spec) -> Option<(f64, f64, Vec<f64>)> {
    let n = y.len();
    if s.seasonal() {
        let m = s.m;
        if m < 2 || n < 2 * m {
            return None;
        }
        let (m1, m2) = (mean(&y[..m]), mean(&y[m..2 * m]));
        let b0 = if s.trend == TrendType::None { 0.0 } else { (m2 - m1) / m as f64 };
        let l0 = m1 - b0 * (m as f64 + 1.0) / 2.0;
        let mut seasons: Vec<f64> = match s.season {
            SeasonType::Add => (0..m).map(|i| (y[i] - m1 + y[i + m] - m2) / 2.0).collect(),
            _ => {
                if m1 <= 0.0 || m2 <= 0.0 {
                    return None;
                }
                (0..m).map(|i| (y[i] / m1 + y[i + m] / m2) / 2.0).collect()
            }
        };
        let avg = mean(&seasons);
        match s.season {
            SeasonType::Add => seasons.iter_mut().for_each(|x| *x -= avg),
            _ => {
                if avg <= 0.0 {
                    return None;
                }
                seasons.iter_mut().for_each(|x| *x = (*x / avg).max(0.01));
            }
        }
        Some((l0, b0, seasons))
    } else {
        if n < 2 && s.trend != TrendType::None {
            return None;
        }
        let k = (n / 2).clamp(1, 4);
        let l0 = mean(&y[..k.min(n)]);
        let b0 = if s.trend == TrendType::None || n < 2 * k { 0.0 } else { (mean(&y[k..2 * k]) - l0) / k as f64 };
        Some((l0 - b0 * (k as f64 - 1.0) / 2.0, b0, Vec::new()))
    }
}

fn run(y: &[f64], s: &Spec, p: &Params) -> Option<Run> {
    let (l, b, mut seasons) = init(y, s)?;
    let (level, trend, _, _) = steps(y, s, p, l, b, &mut seasons)?;
    // Rotate so that seasons[0] belongs to the first future period.
    if s.seasonal() {
        let m = seasons.len();
        seasons.rotate_left(y.len() % m);
    }
    Some(Run { level, trend, seasons })
}

/// Runs the recursions over `y` from level `l` and trend `b`, updating `seasons` in place:
/// the final level and trend, the sum of squared errors and the sum of log means. One
/// compiled loop per error and season form, so the loop carries no branches on the form.
fn steps(y: &[f64], s: &Spec, p: &Params, l: f64, b: f64, seasons: &mut [f64]) -> Option<(f64, f64, f64, f64)> {
    let phi = match s.trend {
        TrendType::None => 0.0,
        TrendType::Add => 1.0,
        TrendType::Damped => p.phi,
    };
    match (s.error, s.season) {
        (ErrorType::Add, SeasonType::None) => kernel::<false, 0>(y, p, phi, l, b, seasons),
        (ErrorType::Add, SeasonType::Add) => kernel::<false, 1>(y, p, phi, l, b, seasons),
        (ErrorType::Add, SeasonType::Mul) => kernel::<false, 2>(y, p, phi, l, b, seasons),
        (ErrorType::Mul, SeasonType::None) => kernel::<true, 0>(y, p, phi, l, b, seasons),
        (ErrorType::Mul, SeasonType::Add) => kernel::<true, 1>(y, p, phi, l, b, seasons),
        (ErrorType::Mul, SeasonType::Mul) => kernel::<true, 2>(y, p, phi, l, b, seasons),
    }
}

/// The state-space recursions of one form: `MUL` error or not, `SEASON` 0 none, 1 additive,
/// 2 multiplicative.
#[inline(always)]
fn kernel<const MUL: bool, const SEASON: u8>(
    y: &[f64],
    p: &Params,
    phi: f64,
    mut l: f64,
    mut b: f64,
    seasons: &mut [f64],
) -> Option<(f64, f64, f64, f64)> {
    let (mut sse, mut sum_log_mu) = (0.0, 0.0);
    let positive = MUL || SEASON == 2;
    let m = seasons.len().max(1);
    let mut si = 0;
    for &v in y {
        let base = l + phi * b;
        let st = if SEASON != 0 { seasons[si] } else { 0.0 };
        let mu = match SEASON {
            0 => base,
            1 => base + st,
            _ => base * st,
        };
        if positive && (mu <= 1e-9 || base <= 1e-9) {
            return None;
        }
        let e = if MUL { (v - mu) / mu } else { v - mu };
        sse += e * e;
        if MUL {
            sum_log_mu += mu.ln();
        }
        match (MUL, SEASON) {
            (false, 0) | (false, 1) => {
                l = base + p.alpha * e;
                b = phi * b + p.beta * e;
                if SEASON != 0 {
                    seasons[si] = st + p.gamma * e;
                }
            }
            (false, _) => {
                l = base + p.alpha * e / st;
                b = phi * b + p.beta * e / st;
                seasons[si] = st + p.gamma * e / base;
            }
            (true, 0) | (true, 2) => {
                l = base * (1.0 + p.alpha * e);
                b = phi * b + p.beta * base * e;
                if SEASON != 0 {
                    seasons[si] = st * (1.0 + p.gamma * e);
                }
            }
            (true, _) => {
                l = base + p.alpha * mu * e;
                b = phi * b + p.beta * mu * e;
                seasons[si] = st + p.gamma * mu * e;
            }
        }
        if !l.is_finite() || !b.is_finite() {
            return None;
        }
        si += 1;
        if si == m {
            si = 0;
        }
    }
    Some((l, b, sse, sum_log_mu))
}

/// An ETS model with fitted weights.
#[derive(Debug, Clone)]
pub struct EtsFit {
    /// The form.
    pub spec: Spec,
    /// The weights.
    pub params: Params,
    /// Corrected Akaike information criterion of the fit.
    pub aicc: f64,
}

impl Fitted for EtsFit {
    fn predict(&self, y: &[f64], h: usize) -> Vec<f64> {
        let Some(r) = run(y, &self.spec, &self.params) else {
            return vec![y.iter().sum::<f64>() / y.len().max(1) as f64; h];
        };
        let phi = match self.spec.trend {
            TrendType::None => 0.0,
            TrendType::Add => 1.0,
            TrendType::Damped => self.params.phi,
        };
        let mut damp = 0.0;
        let mut pw = 1.0;
        (0..h)
            .map(|k| {
                pw *= phi;
                damp += pw;
                let base = r.level + damp * r.trend;
                let f = match self.spec.season {
                    SeasonType::None => base,
                    SeasonType::Add => base + r.seasons[k % r.seasons.len()],
                    SeasonType::Mul => base * r.seasons[k % r.seasons.len()],
                };
                f.max(0.0)
            })
            .collect()
    }
}

fn params_from(x: &[f64], s: &Spec) -> Params {
    let alpha = 1e-4 + (1.0 - 2e-4) * sigmoid(x[0]);
    let mut i = 1;
    let beta = if s.trend != TrendType::None {
        i += 1;
        alpha * sigmoid(x[i - 1]) * 0.999
    } else {
        0.0
    };
    let gamma = if s.seasonal() {
        i += 1;
        (1.0 - alpha) * sigmoid(x[i - 1]) * 0.999
    } else {
        0.0
    };
    let phi = if s.trend == TrendType::Damped { 0.8 + 0.18 * sigmoid(x[i]) } else { 1.0 };
    Params { alpha, beta, gamma, phi }
}

/// Fits one form by maximum likelihood; `None` when it does not apply to `y`.
pub fn fit_spec(y: &[f64], s: Spec) -> Option<EtsFit> {
    let n = y.len();
    let k = s.n_params();
    if n < k + 2 || (s.needs_positive() && y.iter().any(|v| *v <= 0.0)) {
        return None;
    }
    // The initial states depend on the form only: set once, copied into a scratch season
    // vector for each evaluation.
    let (l0, b0, s0) = init(y, &s)?;
    let scratch = std::cell::RefCell::new(s0.clone());
    let lik = |p: &Params| -> f64 {
        let mut seasons = scratch.borrow_mut();
        seasons.copy_from_slice(&s0);
        match steps(y, &s, p, l0, b0, &mut seasons) {
            Some((_, _, sse, sum_log_mu)) => {
                let sse = sse.max(1e-12 * n as f64);
                n as f64 * (sse / n as f64).ln() + 2.0 * sum_log_mu
            }
            None => f64::INFINITY,
        }
    };
    let mut start = vec![logit(0.2)];
    if s.trend != TrendType::None {
        start.push(logit(0.1));
    }
    if s.seasonal() {
        start.push(logit(0.1));
    }
    if s.trend == TrendType::Damped {
        start.push(logit(0.5));
    }
    let evals = 30 * (start.len() + 1);
    let (x, best) = nelder_mead(|x| lik(&params_from(x, &s)), &start, 1.0, evals, 1e-8);
    if !best.is_finite() {
        return None;
    }
    let kf = k as f64;
    let aic = best + 2.0 * kf;
    let aicc = aic + 2.0 * kf * (kf + 1.0) / (n as f64 - kf - 1.0);
    Some(EtsFit { spec: s, params: params_from(&x, &s), aicc })
}

/// Automatic ETS: every applicable form is fitted and the lowest AICc wins. Seasonal forms
/// are tried only with two full seasons of history.
#[derive(Debug, Clone)]
pub struct AutoEts {
    /// Season length in periods (1 for none).
    pub m: usize,
}

impl AutoEts {
    /// The forms tried on a series of length `n`.
    pub fn specs(&self, n: usize) -> Vec<Spec> {
        use ErrorType as E;
        use SeasonType as S;
        use TrendType as T;
        let mut v = Vec::new();
        let seasonal = self.m > 1 && n >= 2 * self.m;
        for (error, trend, season) in [
            (E::Add, T::None, S::None),
            (E::Add, T::Damped, S::None),
            (E::Mul, T::None, S::None),
            (E::Mul, T::Damped, S::None),
            (E::Add, T::None, S::Add),
            (E::Add, T::Damped, S::Add),
            (E::Mul, T::None, S::Mul),
            (E::Mul, T::Damped, S::Mul),
        ] {
            if season != S::None && !seasonal {
                continue;
            }
            v.push(Spec { error, trend, season, m: self.m });
        }
        v
    }
}

impl Model for AutoEts {
    fn name(&self) -> &'static str {
        "auto_ets"
    }
    fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
        self.specs(y.len())
            .into_iter()
            .filter_map(|s| fit_spec(y, s))
            .min_by(|a, b| a.aicc.total_cmp(&b.aicc))
            .map(|f| Box::new(f) as Box<dyn Fitted>)
    }
}

/// Holt's linear method with a damped trend (ETS AAdN).
#[derive(Debug, Clone)]
pub struct HoltDamped;

impl Model for HoltDamped {
    fn name(&self) -> &'static str {
        "holt_damped"
    }
    fn fit(&self, y: &[f64]) -> Option<Box<dyn Fitted>> {
        let s = Spec { error: ErrorType::Add, trend: TrendType::Damped, season: SeasonType::None, m: 1 };
        fit_spec(y, s).map(|f| Box::new(f) as Box<dyn Fitted>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ann_with_fixed_weight_is_ses() {
        let y = [10.0, 12.0, 8.0, 11.0, 9.0];
        let s = Spec { error: ErrorType::Add, trend: TrendType::None, season: SeasonType::None, m: 1 };
        let fit = EtsFit { spec: s, params: Params { alpha: 0.5, beta: 0.0, gamma: 0.0, phi: 1.0 }, aicc: 0.0 };
        // Initial level = mean of the first two values (11); then SES with alpha 0.5.
        let mut l: f64 = 11.0;
        for v in y {
            l += 0.5 * (v - l);
        }
        assert!((fit.predict(&y, 1)[0] - l).abs() < 1e-12);
    }

    #[test]
    fn additive_holt_winters_recovers_a_clean_seasonal_pattern() {
        // Weekly-style season of 4 with a trend of 0.5 a period, no noise.
        let pat = [5.0, -2.0, 0.0, -3.0];
        let y: Vec<f64> = (0..24).map(|t| 50.0 + 0.5 * t as f64 + pat[t % 4]).collect();
        let truth: Vec<f64> = (24..28).map(|t| 50.0 + 0.5 * t as f64 + pat[t % 4]).collect();
        let f = AutoEts { m: 4 }.fit(&y).unwrap().predict(&y, 4);
        for (a, b) in f.iter().zip(&truth) {
            assert!((a - b).abs() < 1.0, "{f:?} vs {truth:?}");
        }
    }

    #[test]
    fn fifty_two_week_season_is_fitted() {
        // Three years of weekly demand with a yearly cycle: the seasonal forecast must beat
        // the flat mean on the fourth year's first quarter.
        let y: Vec<f64> = (0..156)
            .map(|t| 100.0 + 40.0 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin() + (t % 3) as f64)
            .collect();
        let fit = AutoEts { m: 52 }.fit(&y).unwrap();
        let f = fit.predict(&y, 13);
        let truth: Vec<f64> = (156..169)
            .map(|t| 100.0 + 40.0 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin() + (t % 3) as f64)
            .collect();
        let err: f64 = f.iter().zip(&truth).map(|(a, b)| (a - b).abs()).sum::<f64>() / 13.0;
        let flat: f64 = truth.iter().map(|b| (100.0 - b).abs()).sum::<f64>() / 13.0;
        assert!(err < flat / 3.0, "seasonal error {err} vs flat {flat}");
    }

    #[test]
    fn damped_trend_flattens() {
        let y: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
        let f = HoltDamped.fit(&y).unwrap().predict(&y, 50);
        assert!(f[49] - f[48] < f[1] - f[0]);
        assert!(f[0] > 38.0);
    }
}
