//! Demand forecasting: classify each SKU's demand pattern, fit a model, and turn its mean and
//! error into a demand distribution per period and over any span (lead-time demand).

pub mod dist;
pub mod engine;
pub mod ets;
pub mod models;
pub mod optim;
pub mod season;

use serde::{Deserialize, Serialize};

pub use engine::{
    forecast_all, forecast_and_learn, forecast_some, Calibration, EngineSettings, Forecasts, Holdout, Learned,
    SkuForecast,
};

/// Syntetos-Boylan cut-off on the average demand interval.
pub const ADI_CUT: f64 = 1.32;
/// Syntetos-Boylan cut-off on the squared coefficient of variation of non-zero demand sizes.
pub const CV2_CUT: f64 = 0.49;

/// Demand pattern of one SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Chosen per SKU by rolling-origin backtest among the models that fit its class.
    Auto,
    /// The named model for every SKU.
    Named(String),
}

/// Names accepted by `--model` besides `auto`.
pub const MODEL_NAMES: [&str; 11] = [
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "holt_damped",
    "auto_ets",
    "croston",
    "sba",
    "tsb",
    "adida",
    "imapa",
];

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
}
