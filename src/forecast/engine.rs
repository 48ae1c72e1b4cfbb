//! The forecasting engine: per SKU, fit the candidate models of its demand class, compare them
//! by rolling-origin backtest on the SKU's own history, keep the best (or the mean of the best
//! two when that backtests better), and describe demand as a distribution. Across the
//! portfolio, the backtests also calibrate the forecasts: a level factor that removes
//! systematic bias, and quantile levels that make the bands hold their nominal share of
//! actuals. Everything here works on plain slices; SKUs run in parallel.

use rayon::prelude::*;

use super::dist::{DemandDist, Hurdle, PeriodSamplers, LEVELS};
use super::ets::{AutoEts, HoltDamped};
use super::models::{Adida, Croston, Fitted, Imapa, Model, MovingAverage, Naive, SeasonalNaive, Ses, Tsb};
use super::season;
use super::{classify, DemandClass, ModelChoice};

/// Engine settings, checked where they enter.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Number of future periods.
    pub horizon: usize,
    /// Model selection.
    pub model: ModelChoice,
    /// Periods in a year: the season length tried (52 weekly, 12 monthly).
    pub season: usize,
    /// Backtest origins per SKU.
    pub folds: usize,
    /// Periods per backtest window: the horizon, at most half a year (and at least 1).
    pub window: usize,
}

impl EngineSettings {
    /// Settings for a horizon and season with the default model choice and three folds.
    pub fn new(horizon: usize, season: usize, model: ModelChoice) -> Self {
        let horizon = horizon.max(1);
        EngineSettings { horizon, model, season, folds: 3, window: horizon.min((season / 2).max(1)).max(1) }
    }

    fn window(&self) -> usize {
        self.window
    }

    /// Moving-average window: a year for monthly data, a quarter for weekly, four weeks daily.
    fn ma_window(&self) -> usize {
        match self.season {
            0..=12 => 12,
            13..=60 => 13,
            _ => 28,
        }
    }
}

/// Forecast of one SKU, before portfolio calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct SkuForecast {
    /// Model used (`a+b` for the mean of two).
    pub model: String,
    /// Demand class.
    pub class: DemandClass,
    /// Mean demand per future period (calibrated).
    pub mean: Vec<f64>,
    /// Variance of one period's demand around the mean.
    pub var: f64,
    /// Known events' demand multiplier per future period (empty for none): `mean` already
    /// carries it, and a period's variance is `var` times its square.
    pub lift: Vec<f64>,
    /// Demand comes in whole units.
    pub discrete: bool,
    /// Root mean squared backtest error scaled by the in-sample naive error (RMSSE), when
    /// the history allowed a backtest.
    pub backtest_rmsse: Option<f64>,
    /// Periods of history.
    pub history: usize,
    /// Values capped as outliers before fitting.
    pub outliers: usize,
    /// For intermittent classes: recent probability of demand in a period, and the mean and
    /// variance of non-zero demand sizes in the history.
    pub sizes: Option<(f64, f64, f64)>,
    /// Share of the last year's periods with any demand (1 for demand every period).
    pub nonzero_share: f64,
    /// The honest error: the option chosen on the older backtest folds, forecast on the latest
    /// fold that did not choose it (`None` with fewer than two folds).
    pub holdout: Option<Holdout>,
}

/// A held-out backtest window of one SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Forecast per period of the window (portfolio level applied).
    pub forecast: Vec<f32>,
    /// What happened.
    pub actual: Vec<f32>,
    /// Mean squared one-period error of that option on the older folds that chose it.
    pub var: f64,
    /// Intermittent size profile from the data before the window (as [`SkuForecast::sizes`]).
    pub sizes: Option<(f64, f64, f64)>,
}

impl SkuForecast {
    /// The empty forecast of a series left out of a run (another shard's).
    pub fn skipped(horizon: usize) -> SkuForecast {
        SkuForecast {
            model: String::new(),
            class: DemandClass::None,
            mean: vec![0.0; horizon],
            var: 0.0,
            lift: Vec::new(),
            discrete: false,
            backtest_rmsse: None,
            history: 0,
            outliers: 0,
            sizes: None,
            nonzero_share: 0.0,
            holdout: None,
        }
    }

    /// Distribution of one period's demand with mean `mean`.
    pub fn dist(&self, mean: f64) -> DemandDist {
        match self.sizes {
            Some((p, m, v)) => DemandDist::intermittent(Hurdle::with_mean(mean, p, m, v, self.discrete), self.discrete),
            None => DemandDist::new(mean, self.var, self.discrete),
        }
    }
}

/// Recent demand probability and size moments of an intermittent series: the probability
/// is the share of periods with demand over the last year (Laplace-smoothed), the sizes are all
/// non-zero demands.
fn size_profile(y: &[f64], year: usize) -> Option<(f64, f64, f64)> {
    let nz: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
    if nz.is_empty() {
        return None;
    }
    let recent = &y[y.len().saturating_sub(year.max(1))..];
    let hits = recent.iter().filter(|v| **v > 0.0).count() as f64;
    let prob = (hits + 0.5) / (recent.len() as f64 + 1.0);
    let m = nz.iter().sum::<f64>() / nz.len() as f64;
    let v = if nz.len() > 1 { nz.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (nz.len() - 1) as f64 } else { 0.0 };
    Some((prob, m, v))
}

/// Share of the last `year` periods with demand.
fn nonzero_share(y: &[f64], year: usize) -> f64 {
    let recent = &y[y.len().saturating_sub(year.max(1))..];
    if recent.is_empty() {
        return 1.0;
    }
    recent.iter().filter(|v| **v > 0.0).count() as f64 / recent.len() as f64
}

/// Portfolio-wide corrections learned from the backtests.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Demand-weighted mean of the class level factors (for the summary).
    pub level: f64,
    /// Level factor per demand class (see `level_factors`): multiplies its SKUs' means.
    pub levels: Vec<(DemandClass, f64)>,
    /// Tail probabilities used for the 50%, 80% and 90% bands (nominal 0.25, 0.10, 0.05).
    pub tails: [f64; 3],
    /// Backtest coverage of the three bands with the calibrated tails.
    pub coverage: [f64; 3],
    /// Variance of a window's total over the sum of its period variances.
    pub window_corr: f64,
    /// Backtest window length in periods.
    pub window: usize,
    /// Backtest points used.
    pub points: usize,
    /// Sum of absolute backtest errors (calibrated level), for WAPE.
    pub bt_abs_error: f64,
    /// Sum of backtest errors, forecast minus actual, for bias.
    pub bt_error: f64,
    /// Sum of backtest actuals.
    pub bt_actual: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            level: 1.0,
            levels: Vec::new(),
            tails: [0.25, 0.10, 0.05],
            coverage: [f64::NAN; 3],
            window_corr: 1.0,
            window: 1,
            points: 0,
            bt_abs_error: 0.0,
            bt_error: 0.0,
            bt_actual: 0.0,
        }
    }
}

impl Calibration {
    /// The calibrated probability level for a nominal one, interpolating between the bands'
    /// tails (levels beyond the 90% band keep its shift in log-odds).
    pub fn level_for(&self, p: f64) -> f64 {
        let upper = p >= 0.5;
        let tail = if upper { 1.0 - p } else { p };
        let knots = [(0.5, 0.5), (0.25, self.tails[0]), (0.10, self.tails[1]), (0.05, self.tails[2])];
        let mut t = tail;
        if tail >= 0.05 {
            for w in knots.windows(2) {
                let ((a0, b0), (a1, b1)) = (w[0], w[1]);
                if tail <= a0 && tail >= a1 {
                    t = b0 + (b1 - b0) * (tail - a0) / (a1 - a0);
                    break;
                }
            }
        } else {
            let odds = |x: f64| (x / (1.0 - x)).ln();
            let shift = odds(self.tails[2]) - odds(0.05);
            let v = odds(tail) + shift;
            t = 1.0 / (1.0 + (-v).exp());
        }
        if upper {
            1.0 - t
        } else {
            t
        }
    }
}

/// All forecasts of a run with their calibration.
#[derive(Debug, Clone)]
pub struct Forecasts {
    /// One per series, in the order given.
    pub skus: Vec<SkuForecast>,
    /// Portfolio calibration.
    pub calibration: Calibration,
}

impl Forecasts {
    /// Demand distribution of SKU `i` in future period `t`.
    pub fn period(&self, i: usize, t: usize) -> DemandDist {
        let f = &self.skus[i];
        let t = t.min(f.mean.len() - 1);
        match f.lift.get(t) {
            Some(k) if f.sizes.is_none() => DemandDist::new(f.mean[t], f.var * k * k, f.discrete),
            _ => f.dist(f.mean[t]),
        }
    }

    /// SKU `i`'s period distributions made ready for many draws.
    pub fn samplers(&self, i: usize) -> PeriodSamplers {
        PeriodSamplers::new((0..self.skus[i].mean.len()).map(|t| self.period(i, t)))
    }

    /// Calibrated quantiles at [`LEVELS`] for SKU `i`, period `t`.
    pub fn quantiles(&self, i: usize, t: usize) -> [f64; 7] {
        let d = self.period(i, t);
        let mut q = LEVELS.map(|p| d.quantile(self.calibration.level_for(p)));
        for k in 1..q.len() {
            q[k] = q[k].max(q[k - 1]);
        }
        q
    }

    /// Distribution of SKU `i`'s demand over `span` periods from future period `from` (the
    /// last period counts pro rata; past the horizon the last period repeats). The variance
    /// grows with the span as the backtests showed errors add up over a window.
    pub fn over(&self, i: usize, from: usize, span: f64) -> DemandDist {
        let f = &self.skus[i];
        let mut mean = 0.0;
        let mut lifted = 0.0;
        let mut left = span.max(0.0);
        let mut t = from;
        let last = f.mean.len() - 1;
        while left > 1e-12 {
            if t >= last {
                // Past the horizon the last period repeats: the rest at once.
                mean += left * f.mean[last];
                lifted += left * f.lift.get(last).map_or(1.0, |x| x * x);
                break;
            }
            let w = left.min(1.0);
            mean += w * f.mean[t];
            lifted += w * f.lift.get(t).map_or(1.0, |x| x * x);
            left -= w;
            t += 1;
        }
        // Events scale each period's variance by their lift squared.
        let var = self.span_var(f.var, span);
        let var = if f.lift.is_empty() || span <= 0.0 { var } else { var * lifted / span };
        DemandDist::new(mean, var, f.discrete)
    }

    /// Variance of the error of a sum over `span` periods whose one-period error variance is
    /// `var`: it grows with the span as the backtests showed errors add up over a window.
    pub fn span_var(&self, var: f64, span: f64) -> f64 {
        let c = &self.calibration;
        let span = span.max(0.0);
        let corr = if c.window > 1 {
            1.0 + (c.window_corr - 1.0) * ((span - 1.0).max(0.0) / (c.window - 1) as f64)
        } else {
            1.0
        };
        var * span * corr.max(1.0)
    }
}

/// Candidate models of a class.
fn candidates(class: DemandClass, s: &EngineSettings, n: usize) -> Vec<Box<dyn Model>> {
    let ma = MovingAverage { window: s.ma_window() };
    match class {
        DemandClass::Smooth | DemandClass::Erratic => {
            // Where the seasonal test applies (see `season`), a real season is divided out
            // before fitting and an absent one needs no seasonal states: ETS without them.
            let m = if s.season > 1 && n >= 2 * s.season + s.season / 2 { 1 } else { s.season };
            let mut v: Vec<Box<dyn Model>> =
                vec![Box::new(Ses), Box::new(ma), Box::new(HoltDamped), Box::new(AutoEts { m })];
            if s.season > 1 && n >= 2 * s.season {
                v.push(Box::new(SeasonalNaive { m: s.season }));
            }
            v
        }
        DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Dead => vec![
            Box::new(Ses),
            Box::new(ma),
            Box::new(Croston { sba: false }),
            Box::new(Croston { sba: true }),
            Box::new(Tsb),
            Box::new(Adida),
            Box::new(Imapa),
        ],
        DemandClass::New | DemandClass::None => vec![Box::new(MovingAverage { window: n.max(1) })],
    }
}

/// A model by its `--model` name.
pub fn model_named(name: &str, s: &EngineSettings) -> Box<dyn Model> {
    match name {
        "naive" => Box::new(Naive),
        "seasonal_naive" => Box::new(SeasonalNaive { m: s.season }),
        "moving_average" => Box::new(MovingAverage { window: s.ma_window() }),
        "holt_damped" => Box::new(HoltDamped),
        "auto_ets" => Box::new(AutoEts { m: s.season }),
        "croston" => Box::new(Croston { sba: false }),
        "sba" => Box::new(Croston { sba: true }),
        "tsb" => Box::new(Tsb),
        "adida" => Box::new(Adida),
        "imapa" => Box::new(Imapa),
        _ => Box::new(Ses),
    }
}

/// Times its outlier cap past which a period's demand is taken for a typing error in the
/// backtests too (see [`trial`]).
const TYPO_FACTOR: f64 = 100.0;

/// Caps isolated extreme values (at most 2% of periods, at least one) at a robust bound on
/// the non-zero demands: median + 10 x MAD (MAD at least half the median). Returns the
/// number capped.
pub fn cap_outliers(y: &mut [f64]) -> usize {
    let mut nz: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
    if nz.len() < 6 {
        return 0;
    }
    nz.sort_by(f64::total_cmp);
    let med = nz[nz.len() / 2];
    let mut dev: Vec<f64> = nz.iter().map(|v| (v - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev[dev.len() / 2].max(0.5 * med);
    let cap = med + 10.0 * mad;
    let above = y.iter().filter(|v| **v > cap).count();
    if above == 0 || above > (y.len() / 50).max(1) {
        return 0;
    }
    y.iter_mut().filter(|v| **v > cap).for_each(|v| *v = cap);
    above
}

/// Backtest record of one SKU: forecasts and actuals of every fold window, concatenated.
#[derive(Default)]
struct Backtest {
    forecast: Vec<f64>,
    actual: Vec<f64>,
}

/// What the backtest of one SKU showed, before the portfolio decides.
/// It holds no copy of the series: a million trials are held at once (until the portfolio's
/// choices and level factors are learned from them), and the capped series is made again
/// ([`capped`]) where it is fitted for good.
struct Trial {
    class: DemandClass,
    /// Length of the series.
    n: usize,
    discrete: bool,
    outliers: usize,
    /// RMSSE scale (in-sample naive MSE from the first sale).
    scale: f64,
    actual: Vec<f64>,
    /// (candidate index, backtest MSE, fold forecasts) of every candidate that fitted.
    scored: Vec<(usize, f64, Vec<f64>)>,
    /// Seasonal indices of the whole history, when its season is real.
    season: Option<Vec<f64>>,
}

/// A way to forecast: one candidate, or the mean of several.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Choice {
    Models(Vec<usize>),
    /// Mean of every candidate that fitted.
    All,
}

struct Outcome {
    fc: SkuForecast,
    bt: Backtest,
}

fn mse(f: &[f64], a: &[f64]) -> f64 {
    f.iter().zip(a).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / f.len().max(1) as f64
}

/// Mean squared error over backtest windows (latest first), each window weighing half again
/// as much as the one before it: recent errors say more about the next ones.
fn recent_mse(f: &[f64], a: &[f64], w: usize) -> f64 {
    let (mut num, mut den, mut weight) = (0.0, 0.0, 1.0);
    for (fw, aw) in f.chunks(w).zip(a.chunks(w)) {
        num += weight * fw.iter().zip(aw).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
        den += weight * fw.len() as f64;
        weight /= 1.5;
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// In-sample mean squared one-step naive error, the RMSSE scale.
fn naive_scale(y: &[f64]) -> f64 {
    if y.len() < 2 {
        return 0.0;
    }
    y.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (y.len() - 1) as f64
}

/// How much better (relative backtest MSE) a SKU's own choice must be to override its class's
/// portfolio choice. Per-SKU backtests over a few windows are noisy; this keeps selection from
/// chasing that noise.
const OVERRIDE_MARGIN: f64 = 0.2;

fn models_for(class: DemandClass, s: &EngineSettings, n: usize) -> Vec<Box<dyn Model>> {
    match &s.model {
        ModelChoice::Named(name) => vec![model_named(name, s)],
        ModelChoice::Auto => candidates(class, s, n),
    }
}

/// The series with outliers capped ([`cap_outliers`]), for fitting, and how many were.
fn capped(raw: &[f64]) -> (Vec<f64>, usize) {
    let mut y = raw.to_vec();
    let outliers = cap_outliers(&mut y);
    (y, outliers)
}

fn trial(raw: &[f64], s: &EngineSettings) -> Trial {
    let n = raw.len();
    let discrete = raw.iter().all(|v| v.fract() == 0.0);
    let (y, outliers) = capped(raw);
    // Spikes stay in the class and the backtests' actuals (their error is demand's), except
    // values past TYPO_FACTOR times the cap: an order number typed as a quantity would
    // otherwise make the spread, and the safety stock, as large as itself.
    let clean: Vec<f64> = raw.iter().zip(&y).map(|(r, c)| if *r > TYPO_FACTOR * c { *c } else { *r }).collect();
    let raw = &clean[..];
    let class = classify(raw, 8.min(s.season.max(2)), s.season);
    let scale = naive_scale(&raw[raw.iter().position(|v| *v != 0.0).unwrap_or(0)..]);
    let season = seasonal(&y, s);
    let mut t = Trial { class, n, discrete, outliers, scale, actual: Vec::new(), scored: Vec::new(), season };
    if n == 0 {
        return t;
    }
    let models = models_for(class, s, n);
    // Rolling origins: the last `folds` windows of `w` periods, keeping at least 8 periods
    // (or half the history) to fit on.
    let w = s.window();
    let min_train = 8.max(n / 2);
    let origins: Vec<usize> = (1..=s.folds).filter_map(|j| n.checked_sub(j * w)).filter(|o| *o >= min_train).collect();
    for o in &origins {
        t.actual.extend_from_slice(&raw[*o..*o + w]);
    }
    // Parameters are estimated once, before the OLDEST origin, so no fold's window was seen
    // in fitting; each fold then runs the states on to its own origin. A season found in the
    // data before that origin is divided out first and multiplied back into the forecasts.
    if let Some(&oldest) = origins.last() {
        let index = t.season.as_ref().and_then(|_| season::indices(&y[..oldest], s.season));
        let fit_on = match &index {
            Some(ix) => season::adjust(&y, ix),
            None => y,
        };
        for (k, m) in models.iter().enumerate() {
            let Some(fit) = m.fit(&fit_on[..oldest]) else { continue };
            let mut f = Vec::with_capacity(t.actual.len());
            for o in &origins {
                let mut p = fit.predict(&fit_on[..*o], w);
                if let Some(ix) = &index {
                    season::restore(&mut p, *o, ix);
                }
                f.extend(p);
            }
            t.scored.push((k, mse(&f, &t.actual), f));
        }
    }
    t
}

/// The seasonal indices of a SKU's whole history, when its season is real (see
/// [`season::indices`]).
fn seasonal(y: &[f64], s: &EngineSettings) -> Option<Vec<f64>> {
    (s.season > 1).then(|| season::indices(y, s.season)).flatten()
}

/// Fold forecasts of a choice.
fn choice_forecast(t: &Trial, c: &Choice) -> Option<Vec<f64>> {
    let parts: Vec<&Vec<f64>> = match c {
        Choice::All => t.scored.iter().map(|x| &x.2).collect(),
        Choice::Models(ks) => ks.iter().filter_map(|k| t.scored.iter().find(|x| x.0 == *k).map(|x| &x.2)).collect(),
    };
    let want = match c {
        Choice::All => t.scored.len(),
        Choice::Models(ks) => ks.len(),
    };
    if parts.is_empty() || parts.len() != want {
        return None;
    }
    let len = parts[0].len();
    Some((0..len).map(|i| parts.iter().map(|p| p[i]).sum::<f64>() / parts.len() as f64).collect())
}

/// Options a SKU can take: each single candidate, the mean of all, the mean of its best two.
fn options(t: &Trial) -> Vec<Choice> {
    let mut v: Vec<Choice> = t.scored.iter().map(|x| Choice::Models(vec![x.0])).collect();
    if t.scored.len() > 1 {
        v.push(Choice::All);
        let mut order: Vec<&(usize, f64, Vec<f64>)> = t.scored.iter().collect();
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        v.push(Choice::Models(vec![order[0].0, order[1].0]));
    }
    v
}

/// The portfolio's choice per class: the single candidate or the mean of all with the lowest
/// total scaled backtest error over the SKUs of that class.
fn portfolio_choices(trials: &[Trial]) -> Vec<(DemandClass, Choice)> {
    let mut out = Vec::new();
    let mut classes: Vec<DemandClass> = trials.iter().map(|t| t.class).collect();
    classes.sort_by_key(|c| c.name());
    classes.dedup();
    for class in classes {
        let mut totals: Vec<(Choice, f64, usize)> = Vec::new();
        for t in trials.iter().filter(|t| t.class == class && t.scale > 0.0 && !t.scored.is_empty()) {
            let mut opts: Vec<Choice> = t.scored.iter().map(|x| Choice::Models(vec![x.0])).collect();
            opts.push(Choice::All);
            for c in opts {
                let Some(f) = choice_forecast(t, &c) else { continue };
                let e = mse(&f, &t.actual) / t.scale;
                match totals.iter_mut().find(|x| x.0 == c) {
                    Some(x) => {
                        x.1 += e;
                        x.2 += 1;
                    }
                    None => totals.push((c, e, 1)),
                }
            }
        }
        let most = totals.iter().map(|x| x.2).max().unwrap_or(0);
        if let Some(best) = totals.into_iter().filter(|x| x.2 == most).min_by(|a, b| a.1.total_cmp(&b.1)).map(|x| x.0) {
            out.push((class, best));
        }
    }
    out
}

/// The forecast of series `raw` from its trial `t`.
fn finish(mut t: Trial, raw: &[f64], default: Option<&Choice>, level: f64, s: &EngineSettings) -> Outcome {
    let h = s.horizon;
    let n = raw.len();
    debug_assert_eq!(n, t.n, "a trial is finished with its own series");
    if n == 0 {
        let fc = SkuForecast { model: "none".into(), class: t.class, discrete: true, ..SkuForecast::skipped(h) };
        return Outcome { fc, bt: Backtest::default() };
    }
    let (y, _) = capped(raw);
    let holdout = holdout(&t, &y, default, level, s);
    // Own best option, unless the class's portfolio choice is within the margin.
    let mut best: Option<(Choice, f64, Vec<f64>)> = None;
    for c in options(&t) {
        if let Some(f) = choice_forecast(&t, &c) {
            let e = mse(&f, &t.actual);
            if best.as_ref().is_none_or(|b| e < b.1) {
                best = Some((c, e, f));
            }
        }
    }
    if let (Some(d), Some(b)) = (default, best.as_ref()) {
        if let Some(f) = choice_forecast(&t, d) {
            let e = mse(&f, &t.actual);
            if b.1 >= (1.0 - OVERRIDE_MARGIN) * e {
                best = Some((d.clone(), e, f));
            }
        }
    }
    let models = models_for(t.class, s, n);
    let chosen: Vec<usize> = match best.as_ref().map(|b| &b.0) {
        Some(Choice::Models(ks)) => ks.clone(),
        Some(Choice::All) => t.scored.iter().map(|x| x.0).collect(),
        None => (0..models.len()).collect(),
    };
    // Final forecasts from the whole history (its season divided out, when it has one).
    let index = t.season.take();
    let fit_on = match &index {
        Some(ix) => season::adjust(&y, ix),
        None => y.clone(),
    };
    let mut fits: Vec<(usize, Box<dyn Fitted>)> =
        chosen.iter().filter_map(|&k| models[k].fit(&fit_on).map(|f| (k, f))).collect();
    if best.is_none() {
        fits.truncate(1);
    }
    let (name, mut mean) = if fits.is_empty() {
        ("moving_average".to_string(), MovingAverage { window: n }.predict(&fit_on, h))
    } else if fits.len() > 2 {
        ("ensemble".to_string(), average(&fits, &fit_on, h))
    } else {
        (fits.iter().map(|(k, _)| models[*k].name()).collect::<Vec<_>>().join("+"), average(&fits, &fit_on, h))
    };
    let name = match &index {
        Some(ix) => {
            season::restore(&mut mean, fit_on.len(), ix);
            format!("{name}*season")
        }
        None => name,
    };
    // Backtest forecasts with the portfolio level applied: their errors give the spread.
    let (bt_forecast, bt_mse) = match best {
        Some((_, _, f)) => {
            let f: Vec<f64> = f.into_iter().map(|v| v * level).collect();
            let e = recent_mse(&f, &t.actual, s.window());
            (f, Some(e))
        }
        None => (Vec::new(), None),
    };
    // Spread: the backtest error when there is one, else the spread of the history itself.
    let var = match bt_mse {
        Some(v) => v,
        None => {
            let mu = y.iter().sum::<f64>() / n as f64;
            y.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / n.max(2).saturating_sub(1) as f64
        }
    };
    let backtest_rmsse = bt_mse.filter(|_| t.scale > 0.0).map(|m| (m / t.scale).sqrt());
    let fc = SkuForecast {
        model: name,
        class: t.class,
        mean: mean.into_iter().map(|v| (v * level).max(0.0)).collect(),
        var,
        lift: Vec::new(),
        discrete: t.discrete,
        backtest_rmsse,
        history: n,
        outliers: t.outliers,
        sizes: match t.class {
            DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Dead => size_profile(&y, s.season),
            _ => None,
        },
        nonzero_share: nonzero_share(&y, s.season),
        holdout,
    };
    Outcome { fc, bt: Backtest { forecast: bt_forecast, actual: t.actual } }
}

/// The honest error of a SKU: the same choice as the final one (own best option, unless the
/// class's choice is within the margin) made on the older folds only, with its variance
/// measured the same way; then that choice's forecast and the actuals of the latest fold,
/// which played no part in the choice (nor in any fit: parameters come from before the
/// oldest origin).
fn holdout(t: &Trial, y: &[f64], default: Option<&Choice>, level: f64, s: &EngineSettings) -> Option<Holdout> {
    let w = s.window();
    if t.actual.len() < 2 * w {
        return None;
    }
    let (latest, older) = t.actual.split_at(w);
    let scaled = |c: &Choice| -> Option<Vec<f64>> {
        choice_forecast(t, c).map(|f| f.into_iter().map(|v| (v * level).max(0.0)).collect())
    };
    let mut best: Option<(f64, Vec<f64>)> = None;
    for c in options(t) {
        let Some(f) = scaled(&c) else { continue };
        let e = mse(&f[w..], older);
        if best.as_ref().is_none_or(|b| e < b.0) {
            best = Some((e, f));
        }
    }
    if let (Some(d), Some(b)) = (default, best.as_ref()) {
        if let Some(f) = scaled(d) {
            let e = mse(&f[w..], older);
            if b.0 >= (1.0 - OVERRIDE_MARGIN) * e {
                best = Some((e, f));
            }
        }
    }
    let (_, f) = best?;
    let var = recent_mse(&f[w..], older, w);
    let origin = y.len() - w;
    Some(Holdout {
        forecast: f[..w].iter().map(|v| *v as f32).collect(),
        actual: latest.iter().map(|v| *v as f32).collect(),
        var,
        sizes: match t.class {
            DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Dead => size_profile(&y[..origin], s.season),
            _ => None,
        },
    })
}

fn average(fits: &[(usize, Box<dyn Fitted>)], y: &[f64], h: usize) -> Vec<f64> {
    let mut mean = vec![0.0; h];
    for (_, f) in fits {
        for (m, v) in mean.iter_mut().zip(f.predict(y, h)) {
            *m += v / fits.len() as f64;
        }
    }
    mean
}

#[cfg(test)]
fn forecast_sku(raw: &[f64], s: &EngineSettings) -> Outcome {
    finish(trial(raw, s), raw, None, 1.0, s)
}

/// Most backtest points used to calibrate quantile levels (evenly thinned beyond).
const MAX_CAL_POINTS: usize = 60_000;

/// SKUs at which a class's own level factor counts as much as no factor (1).
const LEVEL_PRIOR_SKUS: f64 = 50.0;

/// Level factors per demand class: actual over forecast demand on the OLDER backtest folds,
/// each SKU forecast by its class's portfolio choice; shrunk toward 1 by the SKUs it rests on;
/// and kept only where it also lowers the absolute error on the LATEST fold, which it was not
/// learned on. Classes with fewer than 20 backtested SKUs keep 1. `None` when no class has
/// 20, which also leaves the quantile levels nominal.
fn level_factors(trials: &[Trial], defaults: &[(DemandClass, Choice)], w: usize) -> Option<Vec<(DemandClass, f64)>> {
    // Per class: actual and forecast sums on older folds, absolute errors on the latest fold
    // without and with the factor (filled in a second pass), SKUs.
    let mut acc: Vec<(DemandClass, f64, f64, usize)> = Vec::new();
    let fold = |t: &Trial| -> Option<Vec<f64>> {
        let d = defaults.iter().find(|(c, _)| *c == t.class).map_or(Choice::All, |(_, c)| c.clone());
        choice_forecast(t, &d).or_else(|| choice_forecast(t, &Choice::All)).filter(|f| f.len() > w)
    };
    for t in trials.iter().filter(|t| !t.scored.is_empty()) {
        let Some(f) = fold(t) else { continue };
        let (a, fc) = (t.actual[w..].iter().sum::<f64>(), f[w..].iter().sum::<f64>());
        match acc.iter_mut().find(|x| x.0 == t.class) {
            Some(x) => {
                x.1 += a;
                x.2 += fc;
                x.3 += 1;
            }
            None => acc.push((t.class, a, fc, 1)),
        }
    }
    if acc.iter().all(|x| x.3 < 20) {
        return None;
    }
    let raw: Vec<(DemandClass, f64)> = acc
        .iter()
        .map(|&(c, a, f, n)| {
            let k = if n >= 20 && f > 0.0 { (a / f).clamp(0.5, 1.5) } else { 1.0 };
            (c, 1.0 + (k - 1.0) * n as f64 / (n as f64 + LEVEL_PRIOR_SKUS))
        })
        .collect();
    // Validation on the latest fold.
    let mut errs: Vec<(DemandClass, f64, f64)> = raw.iter().map(|x| (x.0, 0.0, 0.0)).collect();
    for t in trials.iter().filter(|t| !t.scored.is_empty()) {
        let Some(f) = fold(t) else { continue };
        let Some(k) = raw.iter().find(|x| x.0 == t.class).map(|x| x.1) else { continue };
        let e = errs.iter_mut().find(|x| x.0 == t.class).expect("every class has a row");
        for (fv, av) in f[..w].iter().zip(&t.actual[..w]) {
            e.1 += (fv - av).abs();
            e.2 += (k * fv - av).abs();
        }
    }
    Some(
        raw.into_iter()
            .zip(errs)
            .map(|((c, k), (_, without, with))| (c, if with < without { k } else { 1.0 }))
            .collect(),
    )
}

fn calibrate(out: &[Outcome], w: usize, levels: Option<Vec<(DemandClass, f64)>>) -> Calibration {
    let (mut win_num, mut win_den) = (0.0, 0.0);
    for o in out {
        if o.bt.forecast.is_empty() {
            continue;
        }
        for (fw, aw) in o.bt.forecast.chunks(w).zip(o.bt.actual.chunks(w)) {
            let e: f64 = fw.iter().zip(aw).map(|(f, a)| a - f).sum();
            win_num += e * e;
            win_den += w as f64 * o.fc.var;
        }
    }
    let mut cal = Calibration { window: w, ..Default::default() };
    for o in out {
        for (f, a) in o.bt.forecast.iter().zip(&o.bt.actual) {
            cal.bt_abs_error += (f - a).abs();
            cal.bt_error += f - a;
            cal.bt_actual += a;
        }
    }
    let Some(levels) = levels else { return cal };
    // The demand-weighted mean factor, for the one-line summary.
    let (mut num, mut den) = (0.0, 0.0);
    for o in out {
        let k = levels.iter().find(|x| x.0 == o.fc.class).map_or(1.0, |x| x.1);
        let a: f64 = o.bt.actual.iter().sum();
        num += k * a;
        den += a;
    }
    cal.level = if den > 0.0 { num / den } else { 1.0 };
    cal.levels = levels;
    if win_den > 0.0 {
        cal.window_corr = (win_num / win_den).clamp(1.0, w as f64);
    }
    // Backtest points: (distribution with the calibrated level, actual).
    let total: usize = out.iter().map(|o| o.bt.actual.len()).sum();
    let step = total.div_ceil(MAX_CAL_POINTS).max(1);
    let mut points = Vec::with_capacity(total / step + 1);
    let mut i = 0usize;
    for o in out {
        for (f, a) in o.bt.forecast.iter().zip(&o.bt.actual) {
            if i % step == 0 {
                points.push((o.fc.dist(*f), *a));
            }
            i += 1;
        }
    }
    cal.points = points.len();
    let coverage = |t: f64| -> f64 {
        let inside = points.iter().filter(|(d, a)| *a >= d.quantile(t) && *a <= d.quantile(1.0 - t)).count();
        inside as f64 / points.len() as f64
    };
    let mut hi_bound = 0.4999;
    for (k, nominal) in [0.5, 0.8, 0.9].into_iter().enumerate() {
        // Coverage falls as the tail grows: bisect for the tail that covers `nominal`.
        let (mut lo, mut hi) = (1e-4, hi_bound);
        for _ in 0..22 {
            let mid = 0.5 * (lo + hi);
            if coverage(mid) >= nominal {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        cal.tails[k] = lo;
        cal.coverage[k] = coverage(lo);
        hi_bound = lo;
    }
    cal
}

/// What the whole portfolio teaches each SKU's forecast: learned once on every series, then
/// applied to any subset of them (a shard of a run spread over several machines) with the same
/// result as in a run over all.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// The portfolio's model choice per demand class.
    pub(crate) defaults: Vec<(DemandClass, Choice)>,
    /// Level factor per demand class (`None`: too few backtests, nominal levels).
    pub(crate) levels: Option<Vec<(DemandClass, f64)>>,
    /// Squared coefficient of variation of demand sizes per class, and the non-zero periods it
    /// rests on: what each SKU's own size variability is shrunk toward.
    pub(crate) sizes: Vec<(DemandClass, f64, f64)>,
    /// The portfolio calibration of quantile levels.
    pub calibration: Calibration,
}

/// Forecasts every series (in parallel) and calibrates the portfolio.
pub fn forecast_all(series: &[&[f64]], s: &EngineSettings) -> Forecasts {
    forecast_and_learn(series, s).0
}

/// Forecasts every series and returns, besides, what the portfolio taught them, for
/// [`forecast_some`].
pub fn forecast_and_learn(series: &[&[f64]], s: &EngineSettings) -> (Forecasts, Learned) {
    let trials: Vec<Trial> = series.par_iter().map(|y| trial(y, s)).collect();
    let defaults = if s.model == ModelChoice::Auto { portfolio_choices(&trials) } else { Vec::new() };
    let levels = level_factors(&trials, &defaults, s.window());
    let out: Vec<Outcome> = trials
        .into_par_iter()
        .zip(series.par_iter())
        .map(|(t, y)| finish_with(t, y, &defaults, levels.as_deref(), s))
        .collect();
    let mut out = out;
    let sizes = size_classes(&out, series);
    for (o, y) in out.iter_mut().zip(series) {
        pool_sizes(o, y, &sizes);
    }
    let calibration = calibrate(&out, s.window(), levels.clone());
    let skus = out.into_iter().map(|o| o.fc).collect();
    let learned = Learned { defaults, levels, sizes, calibration: calibration.clone() };
    (Forecasts { skus, calibration }, learned)
}

/// Forecasts the series `keep` accepts with what the whole portfolio taught (see
/// [`forecast_and_learn`]): each is the forecast a run over every series gives it. The others
/// get an empty forecast of the same horizon, never to be used.
pub fn forecast_some(
    series: &[&[f64]],
    s: &EngineSettings,
    learned: &Learned,
    keep: &(dyn Fn(usize) -> bool + Sync),
) -> Forecasts {
    let skus = series
        .par_iter()
        .enumerate()
        .map(|(i, y)| {
            if !keep(i) {
                return SkuForecast::skipped(s.horizon);
            }
            let mut o = finish_with(trial(y, s), y, &learned.defaults, learned.levels.as_deref(), s);
            pool_sizes(&mut o, y, &learned.sizes);
            o.fc
        })
        .collect();
    Forecasts { skus, calibration: learned.calibration.clone() }
}

/// Finishes a SKU's trial with its class's portfolio choice and level factor.
fn finish_with(
    t: Trial,
    raw: &[f64],
    defaults: &[(DemandClass, Choice)],
    levels: Option<&[(DemandClass, f64)]>,
    s: &EngineSettings,
) -> Outcome {
    let d = defaults.iter().find(|(c, _)| *c == t.class).map(|(_, c)| c);
    let k = levels.and_then(|l| l.iter().find(|x| x.0 == t.class)).map_or(1.0, |x| x.1);
    finish(t, raw, d, k, s)
}

/// Non-zero periods at which a SKU's own size variability counts as much as its class's.
const SIZE_PRIOR: f64 = 10.0;

/// Partial pooling of demand-size variability: each intermittent SKU's squared coefficient of
/// variation of non-zero demands is shrunk toward its class's, weighted by its count of
/// non-zero periods. A few lumps say little about how large the next one can be, and the
/// sample variance of skewed sizes mostly falls short of the true one. Per class: the sum of
/// its SKUs' size cv² weighted by their non-zero periods, and those periods.
fn size_classes(out: &[Outcome], series: &[&[f64]]) -> Vec<(DemandClass, f64, f64)> {
    let mut classes: Vec<(DemandClass, f64, f64)> = Vec::new();
    for (o, y) in out.iter().zip(series) {
        if let Some((_, m, v)) = o.fc.sizes {
            if m > 0.0 {
                let n = nonzero(y);
                match classes.iter_mut().find(|c| c.0 == o.fc.class) {
                    Some(c) => {
                        c.1 += n * v / (m * m);
                        c.2 += n;
                    }
                    None => classes.push((o.fc.class, n * v / (m * m), n)),
                }
            }
        }
    }
    classes
}

fn nonzero(y: &[f64]) -> f64 {
    y.iter().filter(|v| **v > 0.0).count() as f64
}

/// Shrinks one SKU's size variability (and its holdout's) toward its class's.
fn pool_sizes(o: &mut Outcome, y: &[f64], classes: &[(DemandClass, f64, f64)]) {
    let Some(&(_, sum, n_all)) = classes.iter().find(|c| c.0 == o.fc.class) else { return };
    if n_all <= 0.0 {
        return;
    }
    let class_cv2 = sum / n_all;
    let n = nonzero(y);
    let shrink = |sizes: &mut Option<(f64, f64, f64)>, n: f64| {
        if let Some((p, m, v)) = *sizes {
            if m > 0.0 {
                let cv2 = (n * v / (m * m) + SIZE_PRIOR * class_cv2) / (n + SIZE_PRIOR);
                *sizes = Some((p, m, cv2 * m * m));
            }
        }
    };
    shrink(&mut o.fc.sizes, n);
    if let Some(h) = o.fc.holdout.as_mut() {
        let before = n - h.actual.iter().filter(|v| **v > 0.0).count() as f64;
        shrink(&mut h.sizes, before.max(0.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(mean: Vec<f64>, var: f64) -> Forecasts {
        let f = SkuForecast {
            model: "x".into(),
            class: DemandClass::Smooth,
            mean,
            var,
            lift: Vec::new(),
            discrete: false,
            backtest_rmsse: None,
            history: 10,
            outliers: 0,
            sizes: None,
            nonzero_share: 1.0,
            holdout: None,
        };
        Forecasts { skus: vec![f], calibration: Calibration::default() }
    }

    #[test]
    fn span_distribution_adds_periods_pro_rata() {
        let f = fc(vec![10.0, 20.0], 4.0);
        let d = f.over(0, 0, 1.5);
        assert!((d.mean - 20.0).abs() < 1e-12);
        assert!((d.var - 6.0).abs() < 1e-12);
        assert!((f.over(0, 1, 3.0).mean - 60.0).abs() < 1e-12);
    }

    #[test]
    fn uncalibrated_levels_are_the_nominal_ones() {
        let c = Calibration::default();
        for p in [0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 0.95, 0.99] {
            assert!((c.level_for(p) - p).abs() < 1e-12, "{p}");
        }
    }

    #[test]
    fn outlier_is_capped_once() {
        let mut y = vec![5.0, 6.0, 4.0, 5.0, 0.0, 6.0, 5.0, 500.0, 4.0, 5.0];
        assert_eq!(cap_outliers(&mut y), 1);
        assert!(y[7] < 100.0);
        let mut z = vec![5.0, 6.0, 4.0, 5.0, 0.0, 6.0, 5.0, 6.0, 4.0, 5.0];
        assert_eq!(cap_outliers(&mut z), 0);
    }

    #[test]
    fn a_typed_order_number_does_not_become_the_spread() {
        let s = EngineSettings::new(4, 52, ModelChoice::Auto);
        let steady: Vec<f64> = (0..60).map(|t| [5.0, 6.0, 4.0, 7.0][t % 4]).collect();
        let mut typo = steady.clone();
        typo[57] = 9.0e11;
        let (a, b) = (forecast_sku(&steady, &s).fc, forecast_sku(&typo, &s).fc);
        assert_eq!(b.outliers, 1);
        assert_eq!(a.class, b.class);
        // The week counts as a spike at the cap (5.5 + 10 x 2.75 = 33 units), not as 9e11: a
        // spread of a few units a week more than steady demand's, nowhere near the typo's.
        assert!(a.var < 2.0 && b.var < 200.0, "{} vs {}", b.var, a.var);
        assert!(b.mean[0] < 10.0, "{}", b.mean[0]);
    }

    #[test]
    fn selection_picks_a_seasonal_model_for_seasonal_demand() {
        let y: Vec<f64> =
            (0..48).map(|t| (50.0 + 30.0 * (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin()).round()).collect();
        let s = EngineSettings::new(6, 12, ModelChoice::Auto);
        let o = forecast_sku(&y, &s);
        assert!(o.fc.model.contains("ets") || o.fc.model.contains("seasonal"), "{}", o.fc.model);
        assert!(o.fc.backtest_rmsse.unwrap() < 0.3);
    }

    #[test]
    fn calibration_hits_nominal_coverage_on_poisson_demand() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Poisson};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let series: Vec<Vec<f64>> = (0..200)
            .map(|i| {
                let p = Poisson::new(0.5 + (i % 7) as f64).unwrap();
                (0..60).map(|_| p.sample(&mut rng)).collect()
            })
            .collect();
        let refs: Vec<&[f64]> = series.iter().map(|v| v.as_slice()).collect();
        let f = forecast_all(&refs, &EngineSettings::new(6, 12, ModelChoice::Auto));
        let c = &f.calibration;
        assert!((c.level - 1.0).abs() < 0.1, "{c:?}");
        assert!((c.coverage[1] - 0.8).abs() < 0.03, "{c:?}");
        assert!((c.coverage[2] - 0.9).abs() < 0.03, "{c:?}");
    }
}
