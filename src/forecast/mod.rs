//! Demand forecasting: classify each SKU's demand pattern, fit a model, and turn its mean and
//! error into a demand distribution per period and over any span (lead-time demand).

pub mod dist;
pub mod models;

use rayon::prelude::*;
use serde::Serialize;

use dist::DemandDist;
use models::{Croston, ModelFit, MovingAverage, Naive, Ses, Tsb};

use crate::series::DemandSeries;

/// Syntetos-Boylan cut-off on the average demand interval.
pub const ADI_CUT: f64 = 1.32;
/// Syntetos-Boylan cut-off on the squared coefficient of variation of non-zero demand sizes.
pub const CV2_CUT: f64 = 0.49;

/// Demand pattern of one SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DemandClass {
    /// Regular demand, stable sizes.
    Smooth,
    /// Regular demand, variable sizes.
    Erratic,
    /// Sporadic demand, stable sizes.
    Intermittent,
    /// Sporadic demand, variable sizes.
    Lumpy,
    /// Too little history to classify.
    New,
    /// No demand in the last year.
    Dead,
    /// No demand at all before the as-of date.
    None,
}

impl DemandClass {
    /// Name written to outputs.
    pub fn name(self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
            DemandClass::New => "new",
            DemandClass::Dead => "dead",
            DemandClass::None => "none",
        }
    }
}

/// Pattern statistics of a series from its first sale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pattern {
    /// Average demand interval: periods in the series / periods with demand.
    pub adi: f64,
    /// Squared coefficient of variation of the non-zero demands.
    pub cv2: f64,
}

/// ADI and CV^2 of a series; `None` without any demand.
pub fn pattern(y: &[f64]) -> Option<Pattern> {
    let nz: Vec<f64> = y.iter().copied().filter(|v| *v > 0.0).collect();
    if nz.is_empty() {
        return None;
    }
    let n = nz.len() as f64;
    let mean = nz.iter().sum::<f64>() / n;
    let var = nz.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some(Pattern { adi: y.len() as f64 / n, cv2: var / (mean * mean) })
}

/// Classifies a series. `min_periods` is the history below which a SKU counts as new and
/// `year` the number of periods in a year.
pub fn classify(y: &[f64], min_periods: usize, year: usize) -> DemandClass {
    let Some(p) = pattern(y) else { return DemandClass::None };
    if y.len() >= year && y[y.len() - year..].iter().all(|v| *v <= 0.0) {
        return DemandClass::Dead;
    }
    if y.len() < min_periods {
        return DemandClass::New;
    }
    match (p.adi < ADI_CUT, p.cv2 < CV2_CUT) {
        (true, true) => DemandClass::Smooth,
        (true, false) => DemandClass::Erratic,
        (false, true) => DemandClass::Intermittent,
        (false, false) => DemandClass::Lumpy,
    }
}

/// Which model to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// Chosen per SKU from its demand class.
    Auto,
    /// The named model for every SKU.
    Named(String),
}

/// Names accepted by `--model`.
pub const MODEL_NAMES: [&str; 6] = ["naive", "moving_average", "ses", "croston", "sba", "tsb"];

impl ModelChoice {
    /// Parses `auto` or a model name.
    pub fn parse(s: &str) -> Option<ModelChoice> {
        let s = s.trim().to_ascii_lowercase();
        if s == "auto" {
            Some(ModelChoice::Auto)
        } else if MODEL_NAMES.contains(&s.as_str()) {
            Some(ModelChoice::Named(s))
        } else {
            None
        }
    }
}

fn model_by_name(name: &str) -> Box<dyn models::Model> {
    match name {
        "naive" => Box::new(Naive),
        "moving_average" => Box::new(MovingAverage { window: 12 }),
        "croston" => Box::new(Croston { alpha: 0.1, sba: false }),
        "sba" => Box::new(Croston { alpha: 0.1, sba: true }),
        "tsb" => Box::new(Tsb { alpha_p: 0.1, alpha_z: 0.1 }),
        _ => Box::new(Ses),
    }
}

/// Forecast settings, checked where they enter.
#[derive(Debug, Clone)]
pub struct ForecastSettings {
    /// Number of future periods.
    pub horizon: usize,
    /// Model selection.
    pub model: ModelChoice,
    /// Periods in a year (52 weekly, 12 monthly, 365 daily).
    pub year: usize,
}

/// Forecast of one SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct SkuForecast {
    /// Model used.
    pub model: &'static str,
    /// Demand class.
    pub class: DemandClass,
    /// Mean demand per future period.
    pub mean: Vec<f64>,
    /// Standard deviation of demand per future period.
    pub sd: Vec<f64>,
    /// Demand comes in whole units.
    pub discrete: bool,
}

impl SkuForecast {
    /// Distribution of demand in future period `t` (0-based).
    pub fn period(&self, t: usize) -> DemandDist {
        DemandDist::new(self.mean[t], self.sd[t].powi(2), self.discrete)
    }

    /// Distribution of demand over `span` periods starting at future period `from` (a fraction
    /// of the last period counts pro rata). Periods are taken as independent, as in the
    /// textbook safety-stock formula; the last forecast period is repeated past the horizon.
    pub fn over(&self, from: usize, span: f64) -> DemandDist {
        let (mut mean, mut var) = (0.0, 0.0);
        let mut left = span.max(0.0);
        let mut t = from;
        while left > 1e-12 {
            let w = left.min(1.0);
            let i = t.min(self.mean.len().saturating_sub(1));
            if self.mean.is_empty() {
                break;
            }
            mean += w * self.mean[i];
            var += w * self.sd[i].powi(2);
            left -= w;
            t += 1;
        }
        DemandDist::new(mean, var, self.discrete)
    }
}

/// Forecasts one series.
pub fn forecast_one(y: &[f64], s: &ForecastSettings) -> SkuForecast {
    let h = s.horizon.max(1);
    let discrete = y.iter().all(|v| v.fract() == 0.0);
    let class = classify(y, 8.min(s.year), s.year);
    if y.is_empty() {
        return SkuForecast { model: "none", class, mean: vec![0.0; h], sd: vec![0.0; h], discrete: true };
    }
    let model: Box<dyn models::Model> = match &s.model {
        ModelChoice::Named(n) => model_by_name(n),
        ModelChoice::Auto => match class {
            DemandClass::Smooth | DemandClass::Erratic => Box::new(Ses),
            DemandClass::Intermittent | DemandClass::Lumpy => Box::new(Croston { alpha: 0.1, sba: true }),
            DemandClass::Dead => Box::new(Tsb { alpha_p: 0.1, alpha_z: 0.1 }),
            DemandClass::New | DemandClass::None => Box::new(MovingAverage { window: y.len() }),
        },
    };
    let ModelFit { mean, sigma, alpha } = model.fit(y, h);
    let a = alpha.unwrap_or(0.0);
    let sd = (0..h).map(|k| sigma * (1.0 + k as f64 * a * a).sqrt()).collect();
    SkuForecast { model: model.name(), class, mean: mean.into_iter().map(|m| m.max(0.0)).collect(), sd, discrete }
}

/// Forecasts every series in parallel.
pub fn forecast_all(series: &[DemandSeries], s: &ForecastSettings) -> Vec<SkuForecast> {
    series.par_iter().map(|d| forecast_one(&d.values, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntetos_boylan_quadrants() {
        let smooth = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 11.0];
        assert_eq!(classify(&smooth, 4, 52), DemandClass::Smooth);
        let erratic = [1.0, 30.0, 2.0, 25.0, 1.0, 40.0, 3.0, 1.0];
        assert_eq!(classify(&erratic, 4, 52), DemandClass::Erratic);
        let intermittent = [0.0, 5.0, 0.0, 0.0, 6.0, 0.0, 5.0, 0.0];
        assert_eq!(classify(&intermittent, 4, 52), DemandClass::Intermittent);
        let lumpy = [0.0, 1.0, 0.0, 0.0, 40.0, 0.0, 2.0, 0.0];
        assert_eq!(classify(&lumpy, 4, 52), DemandClass::Lumpy);
        assert_eq!(classify(&[3.0, 0.0], 4, 52), DemandClass::New);
        assert_eq!(classify(&[0.0; 5], 4, 52), DemandClass::None);
        let mut dead = vec![4.0; 10];
        dead.extend(vec![0.0; 12]);
        assert_eq!(classify(&dead, 4, 12), DemandClass::Dead);
    }

    #[test]
    fn pattern_uses_periods_over_demands() {
        let p = pattern(&[0.0, 2.0, 0.0, 4.0]).unwrap();
        assert!((p.adi - 2.0).abs() < 1e-12);
        // sizes 2 and 4: mean 3, population variance 1 -> cv2 = 1/9.
        assert!((p.cv2 - 1.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn span_distribution_adds_periods_pro_rata() {
        let f = SkuForecast {
            model: "x",
            class: DemandClass::Smooth,
            mean: vec![10.0, 20.0],
            sd: vec![3.0, 4.0],
            discrete: false,
        };
        let d = f.over(0, 1.5);
        assert!((d.mean - 20.0).abs() < 1e-12);
        assert!((d.var - (9.0 + 0.5 * 16.0)).abs() < 1e-12);
        // Past the horizon the last period repeats.
        assert!((f.over(1, 3.0).mean - 60.0).abs() < 1e-12);
    }
}
