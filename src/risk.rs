//! Stockout risk: the probability that a new customer order has to wait before an order placed
//! today can arrive. Stock is used up by demand from now; open purchase orders add to it when
//! they are due, after the open backorders they serve first. The risk is the largest of the
//! probabilities that demand outruns stock just before each open order is due, and over the
//! whole lead time against the inventory position. Probabilities are kept in logs, so items
//! far from running out still rank (no mass of exact zeros). Items without a usable forecast
//! (no sales yet, or none lately) take a portfolio prior: how often such items saw demand
//! within their lead time at earlier origins of the same history, and how large it was.

use statrs::distribution::{ContinuousCDF, Gamma};
use statrs::function::erf::erfc;
use statrs::function::gamma::ln_gamma;

use crate::engine::Ltd;
use crate::forecast::Forecasts;
use crate::series::SeriesSet;

/// Draws beyond which the tail of a sample is extrapolated (exponential above the
/// `TAIL + 1`-th largest draw, with the mean excess of the `TAIL` largest).
const TAIL: usize = 20;

/// Lowest log10 risk written: the score of an item that cannot run out (a normal tail dozens
/// of deviations out is far above it, so such items still rank).
pub const MIN_SCORE: f64 = -1e6;

/// Natural log of P(Z > z) for a standard normal Z, accurate far into the tail.
pub fn ln_normal_sf(z: f64) -> f64 {
    if z < 30.0 {
        (0.5 * erfc(z / std::f64::consts::SQRT_2)).ln()
    } else {
        // Asymptotic series: phi(z)/z (1 - 1/z^2 + 3/z^4).
        let z2 = z * z;
        -0.5 * z2 - (z * (2.0 * std::f64::consts::PI).sqrt()).ln() + (1.0 - 1.0 / z2 + 3.0 / (z2 * z2)).ln()
    }
}

/// ln P(X > x) for X normal with `mean` and `sd`.
fn ln_normal_exceeds(mean: f64, sd: f64, x: f64) -> f64 {
    if sd > 0.0 {
        ln_normal_sf((x - mean) / sd)
    } else if mean > x {
        0.0
    } else {
        f64::NEG_INFINITY
    }
}

/// ln P(X > x) from a sorted sample, with the tail past the sample extrapolated: beyond the
/// `TAIL + 1`-th largest draw `u`, P = TAIL/n exp(-(x - u)/theta), theta the mean excess of
/// the `TAIL` largest draws over `u` (a peaks-over-threshold fit with an exponential tail).
pub fn ln_sample_exceeds(sorted: &[f64], x: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NEG_INFINITY;
    }
    let above = n - sorted.partition_point(|v| *v <= x);
    if above >= TAIL || n <= TAIL {
        return if above == 0 { f64::NEG_INFINITY } else { (above as f64 / n as f64).ln() };
    }
    let u = sorted[n - TAIL - 1];
    let theta = sorted[n - TAIL..].iter().map(|v| v - u).sum::<f64>() / TAIL as f64;
    if theta <= 0.0 && above == 0 {
        return ln_past_tied_top(sorted, x);
    }
    if theta <= 0.0 || x < u {
        return if above == 0 { f64::NEG_INFINITY } else { (above as f64 / n as f64).ln() };
    }
    (TAIL as f64 / n as f64).ln() - (x - u) / theta
}

/// ln P(X > x) at or past the largest draw when the largest draws tie (whole units of a slow
/// item): half a draw's chance beyond the largest, falling exponentially with the mean excess
/// of the draws above the next lower value; no tail when every draw is the same.
fn ln_past_tied_top(sorted: &[f64], x: f64) -> f64 {
    let n = sorted.len();
    let top = sorted[n - 1];
    let below = sorted.partition_point(|v| *v < top);
    if below == 0 {
        return f64::NEG_INFINITY;
    }
    let next = sorted[below - 1];
    let theta = sorted[below..].iter().map(|v| v - next).sum::<f64>() / (n - below) as f64;
    (0.5 / n as f64).ln() - (x - top) / theta
}

/// ln P(D > x) for demand `D` of SKU `i` over the next `t` periods (a fixed span: the time to
/// an open order's due date). Intermittent SKUs (with demand sizes) as a compound: Poisson
/// many demands, scaled so their mean is the forecast's, of gamma sizes; others normal.
pub fn ln_demand_exceeds(fc: &Forecasts, i: usize, t: f64, x: f64) -> f64 {
    if t <= 0.0 {
        return if x < 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    let over = fc.over(i, 0, t);
    if x < 0.0 {
        return 0.0;
    }
    match fc.skus[i].sizes {
        Some((_, size_mean, size_var)) if size_mean > 0.0 && over.mean > 0.0 => {
            let rate = over.mean / size_mean;
            ln_compound_exceeds(rate, size_mean, size_var, x)
        }
        _ => ln_normal_exceeds(over.mean, over.var.sqrt(), x),
    }
}

/// ln P(Y > x) for Y ~ Gamma(`shape`, `rate`), far into the tail: where the survival function
/// underflows, the asymptotic Gamma(s, y) ~ y^(s-1) e^(-y) (1 + (s-1)/y) with y = rate x
/// (exact for shapes 1 and 2).
fn ln_gamma_sf(shape: f64, rate: f64, x: f64) -> f64 {
    let sf = Gamma::new(shape, rate).map_or(0.0, |g| g.sf(x));
    if sf > 1e-280 || x <= 0.0 {
        return sf.ln();
    }
    let y = rate * x;
    (shape - 1.0) * y.ln() - y - ln_gamma(shape) + (1.0 + (shape - 1.0) / y).max(f64::MIN_POSITIVE).ln()
}

/// ln P(S > x), S the sum of N ~ Poisson(`rate`) gamma sizes of mean `m` and variance `v`, in
/// logs throughout, so an item far from running out keeps a small risk rather than 0.
fn ln_compound_exceeds(rate: f64, m: f64, v: f64, x: f64) -> f64 {
    let last = (rate + 10.0 * rate.sqrt() + 20.0).ceil() as usize;
    let mut ln_pn = -rate; // ln P(N = 0)
    let mut terms = Vec::with_capacity(last);
    for n in 1..=last {
        ln_pn += rate.ln() - (n as f64).ln();
        let ln_tail = if v > 0.0 {
            ln_gamma_sf(n as f64 * m * m / v, m / v, x)
        } else if n as f64 * m > x {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        terms.push(ln_pn + ln_tail);
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    (top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()).min(0.0)
}

/// How often items in one state saw demand within their lead time, and how much.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateRate {
    /// Item-origins observed in the state.
    pub items: usize,
    /// Of them, those with demand within their lead time.
    pub hits: usize,
    /// Hazard of a first demand per period.
    pub per_period: f64,
    /// Demand within the lead time of those that had some, sorted.
    pub sizes: Vec<f64>,
}

impl StateRate {
    fn new(items: usize, hits: usize, lead_periods: f64, mut sizes: Vec<f64>) -> StateRate {
        // Jeffreys' estimate of the share, turned into a rate per period.
        let share = (hits as f64 + 0.5) / (items as f64 + 1.0);
        let mean_lead = if items > 0 { lead_periods / items as f64 } else { 1.0 };
        sizes.sort_by(f64::total_cmp);
        StateRate { items, hits, per_period: -(1.0 - share).ln() / mean_lead.max(1e-9), sizes }
    }

    /// ln P(demand over `lead` periods exceeds `stock`), from the state's rate and sizes.
    pub fn ln_risk(&self, lead: f64, stock: f64) -> f64 {
        let any = 1.0 - (-self.per_period * lead.max(0.0)).exp();
        let over = self.sizes.len() - self.sizes.partition_point(|v| *v <= stock.max(0.0));
        let more = (over as f64 + 0.5) / (self.sizes.len() as f64 + 1.0);
        if any > 0.0 {
            (any * more).ln()
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// The portfolio priors: items with no sales yet, and items with none in the last
/// [`DORMANT_PERIODS`] periods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prior {
    /// Items without any sale before the origin.
    pub new: StateRate,
    /// Items with sales once, none lately.
    pub dormant: StateRate,
}

/// Periods without demand after which an item counts as dormant.
pub const DORMANT_PERIODS: usize = 26;

/// Origins looked back at, one every [`PRIOR_STEP`] periods.
const PRIOR_ORIGINS: i64 = 4;
const PRIOR_STEP: i64 = 13;

/// Measures the priors on the history: at origins 13, 26, 39 and 52 periods before the end,
/// each planned SKU (`lead(sku)` gives its lead time in periods) that is new or dormant at the
/// origin counts once, with or without demand within its lead time after it.
pub fn prior(set: &SeriesSet, lead: impl Fn(u32) -> Option<f64>) -> Prior {
    let first = set.series.iter().filter(|s| !s.values.is_empty()).map(|s| s.start).min();
    let Some(first) = first else { return Prior::default() };
    let mut acc = [(0usize, 0usize, 0.0f64, Vec::new()), (0, 0, 0.0, Vec::new())];
    for k in 1..=PRIOR_ORIGINS {
        let origin = set.end - k * PRIOR_STEP;
        if origin <= first {
            break;
        }
        for (s, ser) in set.series.iter().enumerate() {
            let Some(l) = lead(s as u32) else { continue };
            let span = l.ceil().max(1.0) as i64;
            if origin + span > set.end {
                continue;
            }
            let at = |p: i64| if p >= ser.start { ser.values.get((p - ser.start) as usize).copied() } else { None };
            let state = if ser.values.is_empty() || ser.start >= origin {
                0
            } else if (origin - DORMANT_PERIODS as i64..origin).all(|p| at(p).unwrap_or(0.0) <= 0.0) {
                1
            } else {
                continue;
            };
            let demand: f64 = (origin..origin + span).filter_map(at).sum();
            let a = &mut acc[state];
            a.0 += 1;
            a.2 += l;
            if demand > 0.0 {
                a.1 += 1;
                a.3.push(demand);
            }
        }
    }
    let [n, d] = acc;
    Prior { new: StateRate::new(n.0, n.1, n.2, n.3), dormant: StateRate::new(d.0, d.1, d.2, d.3) }
}

/// What an item's risk is computed from.
pub struct RiskInput<'a> {
    /// Forecasts.
    pub fc: &'a Forecasts,
    /// SKU index.
    pub i: usize,
    /// Lead-time demand model the plan uses.
    pub ltd: &'a Ltd,
    /// On hand less open backorders.
    pub net: f64,
    /// Open orders in due order: the periods until each may arrive (equally likely points)
    /// and its units.
    pub receipts: &'a [(Vec<f64>, f64)],
    /// Lead time in periods.
    pub lead: f64,
    /// Inventory position.
    pub position: f64,
    /// No sale before the as-of date.
    pub no_history: bool,
}

/// ln of the stockout risk (see the module comment), and where it came from: `model`, or the
/// `new_item_prior` (no sale yet) / `dormant_prior` (a forecast of zero) in place of the
/// forecast.
pub fn ln_risk(r: &RiskInput, prior: &Prior) -> (f64, &'static str) {
    let f = &r.fc.skus[r.i];
    let forecast_zero = f.mean.iter().all(|m| *m <= 0.0);
    let prior_state = if r.no_history {
        Some((&prior.new, "new_item_prior"))
    } else if forecast_zero {
        Some((&prior.dormant, "dormant_prior"))
    } else {
        None
    };
    // Demand from now against the stock a customer can get: before each open order is due,
    // and over the whole lead time against the position.
    let exceeds = |t: f64, x: f64| match prior_state {
        Some((state, _)) => state.ln_risk(t, x),
        None => ln_demand_exceeds(r.fc, r.i, t, x),
    };
    let mut best = match (prior_state, r.ltd) {
        (Some((state, _)), _) => state.ln_risk(r.lead, r.position.max(0.0)),
        (None, Ltd::Normal(n)) => ln_normal_exceeds(n.lead.0, n.lead.1, r.position.max(0.0)),
        (None, Ltd::Draws(d)) => ln_sample_exceeds(&d.lead, r.position.max(0.0)),
    };
    let mut stock = r.net;
    for (times, q) in r.receipts {
        let n = times.len().max(1) as f64;
        if times.iter().sum::<f64>() / n >= r.lead {
            break;
        }
        // Demand before the order arrives, over its possible arrival times.
        let p = times.iter().map(|t| exceeds(t.min(r.lead), stock.max(0.0)).exp()).sum::<f64>() / n;
        best = best.max(p.ln());
        stock += q;
    }
    (best, prior_state.map_or("model", |x| x.1))
}

/// A risk for the table: the probability to four significant figures, and log10 of it (the
/// score: 0 is certain, -1 one in ten, -2 one in a hundred), never below [`MIN_SCORE`].
pub fn written(ln_p: f64) -> (f64, f64) {
    let p = ln_p.min(0.0).exp();
    let sig = if p > 0.0 { format!("{p:.3e}").parse().unwrap_or(p) } else { 0.0 };
    let score = (ln_p.min(0.0) / std::f64::consts::LN_10).max(MIN_SCORE);
    (sig, (score * 1000.0).round() / 1000.0)
}

/// Area under the ROC curve of `score` (higher = riskier) against `hit`: the chance a random
/// hit scores above a random miss, ties counted half (Mann-Whitney with mid-ranks).
pub fn auc(score: &[f64], hit: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|a, b| score[*a].total_cmp(&score[*b]));
    let mut ranks = vec![0.0; score.len()];
    let mut k = 0;
    while k < idx.len() {
        let mut j = k;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[k]] {
            j += 1;
        }
        let mid = (k + j) as f64 / 2.0 + 1.0;
        for x in &idx[k..=j] {
            ranks[*x] = mid;
        }
        k = j + 1;
    }
    let pos = hit.iter().filter(|h| **h).count() as f64;
    let neg = hit.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let sum: f64 = ranks.iter().zip(hit).filter(|x| *x.1).map(|x| x.0).sum();
    Some((sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Risk bands of the calibration table: lower edges.
pub const BANDS: [f64; 8] = [0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.9];

/// One row of the calibration table.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Lower and upper edge of the predicted risk.
    pub range: (f64, f64),
    /// Items in the band.
    pub items: usize,
    /// Mean predicted risk.
    pub predicted: f64,
    /// Share that went on backorder.
    pub observed: f64,
}

/// The risk scored against what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskCheck {
    /// Where the outcomes came from, in words.
    pub source: String,
    /// Items scored, and how many went on backorder.
    pub items: usize,
    /// Items that went on backorder.
    pub hits: usize,
    /// AUC of `stockout_risk`.
    pub auc: Option<f64>,
    /// AUC of the weeks-of-cover ratio (`inventory_position / demand_per_period`, lower is
    /// riskier; no demand counts as endless cover).
    pub auc_cover: Option<f64>,
    /// Calibration table.
    pub bands: Vec<Band>,
    /// The same AUCs over the whole outcome window, when hits are dated and the primary
    /// figures count only those within each item's lead time.
    pub window: Option<WindowScore>,
}

/// AUCs over the whole outcome window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowScore {
    /// Items that went on backorder in the window.
    pub hits: usize,
    /// AUC of `stockout_risk`.
    pub auc: Option<f64>,
    /// AUC of the weeks-of-cover ratio.
    pub auc_cover: Option<f64>,
}

/// Scores `risk` (probability per item; `score` ranks it) and `cover` against `hit`, and
/// against `window` when given.
pub fn check(
    source: String,
    risk: &[f64],
    score: &[f64],
    cover: &[f64],
    hit: &[bool],
    window: Option<&[bool]>,
) -> RiskCheck {
    let neg_cover: Vec<f64> = cover.iter().map(|c| if c.is_finite() { -c } else { f64::NEG_INFINITY }).collect();
    let bands = BANDS
        .iter()
        .enumerate()
        .map(|(k, lo)| {
            let hi = BANDS.get(k + 1).copied().unwrap_or(1.0);
            let inside: Vec<usize> = (0..risk.len())
                .filter(|j| risk[*j] >= *lo && (risk[*j] < hi || (hi == 1.0 && risk[*j] <= 1.0)))
                .collect();
            let n = inside.len();
            let mean = |f: &dyn Fn(usize) -> f64| {
                if n > 0 {
                    inside.iter().map(|j| f(*j)).sum::<f64>() / n as f64
                } else {
                    0.0
                }
            };
            Band {
                range: (*lo, hi),
                items: n,
                predicted: mean(&|j| risk[j]),
                observed: mean(&|j| f64::from(u8::from(hit[j]))),
            }
        })
        .collect();
    RiskCheck {
        source,
        items: hit.len(),
        hits: hit.iter().filter(|h| **h).count(),
        auc: auc(score, hit),
        auc_cover: auc(&neg_cover, hit),
        bands,
        window: window.map(|w| WindowScore {
            hits: w.iter().filter(|h| **h).count(),
            auc: auc(score, w),
            auc_cover: auc(&neg_cover, w),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_reference_values() {
        // P(Z > 1.96) = 0.0249979; P(Z > 8) = 6.220961e-16; P(Z > 40) = 3.655893e-350 (ln -804.6084).
        assert!((ln_normal_sf(1.96).exp() - 0.024_997_9).abs() < 1e-7);
        assert!((ln_normal_sf(8.0).exp() / 6.220_961e-16 - 1.0).abs() < 1e-5);
        assert!((ln_normal_sf(40.0) - (-804.608_4)).abs() < 1e-3, "{}", ln_normal_sf(40.0));
        // Continuous across the switch at 30.
        assert!((ln_normal_sf(29.999_999) - ln_normal_sf(30.0)).abs() < 1e-4);
    }

    #[test]
    fn sample_tail_is_positive_and_falls_past_the_largest_draw() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        // Inside the sample: the empirical share.
        assert!((ln_sample_exceeds(&v, 49.5).exp() - 0.5).abs() < 1e-12);
        // Past the largest draw: still above zero, and smaller further out.
        let a = ln_sample_exceeds(&v, 150.0);
        let b = ln_sample_exceeds(&v, 300.0);
        assert!(a.is_finite() && b < a);
        // u = 79, theta = mean(1..=20) = 10.5: P(X > 100) = 0.2 exp(-21/10.5).
        assert!((ln_sample_exceeds(&v, 100.0) - (0.2f64.ln() - 2.0)).abs() < 1e-12);
        assert_eq!(ln_sample_exceeds(&[0.0; 50], 0.0), f64::NEG_INFINITY);
        // The 100 largest of 2,000 draws tie at 3 (a slow item's whole units): past them half a
        // draw's chance, falling with the mean excess over 0 (3): P(X > 32) = 0.5/2000 e^(-29/3).
        let tied: Vec<f64> = (0..2000).map(|k| if k < 1900 { 0.0 } else { 3.0 }).collect();
        let want = (0.5f64 / 2000.0).ln() - 29.0 / 3.0;
        assert!((ln_sample_exceeds(&tied, 32.0) - want).abs() < 1e-12);
        assert!(ln_sample_exceeds(&tied, 40.0) < ln_sample_exceeds(&tied, 32.0));
        assert_eq!(ln_sample_exceeds(&[2.0; 50], 5.0), f64::NEG_INFINITY);
    }

    #[test]
    fn compound_demand_matches_hand_values() {
        // Poisson(2) demands of exactly 3 units: P(S > 4) = P(N >= 2) = 1 - e^-2 (1 + 2).
        let p = ln_compound_exceeds(2.0, 3.0, 0.0, 4.0).exp();
        assert!((p - (1.0 - 3.0 * (-2.0f64).exp())).abs() < 1e-12);
        // Exponential sizes (gamma shape 1, mean 5), one demand for sure is not possible with
        // Poisson; with rate 1: P(S > 0) = 1 - e^-1.
        assert!((ln_compound_exceeds(1.0, 5.0, 25.0, 0.0).exp() - (1.0 - (-1.0f64).exp())).abs() < 1e-9);
    }

    #[test]
    fn far_gamma_and_compound_tails_stay_above_zero() {
        // Shape 1 (exponential): ln P(Y > x) = -rate x exactly, past where e^-x underflows.
        assert!((ln_gamma_sf(1.0, 1.0, 800.0) + 800.0).abs() < 1e-9);
        // Shape 2: P(Y > x) = e^-y (1 + y), y = rate x.
        let y: f64 = 2.0 * 600.0;
        assert!((ln_gamma_sf(2.0, 2.0, 600.0) - (-y + (1.0 + y).ln())).abs() < 1e-9);
        // Where the survival function does not underflow, the same as before.
        let g = Gamma::new(3.5, 0.4).unwrap();
        assert!((ln_gamma_sf(3.5, 0.4, 20.0) - g.sf(20.0).ln()).abs() < 1e-12);
        // Continuous across the switch to the asymptotic (shape 3: next term y^-2 off).
        let (a, b) = (ln_gamma_sf(3.0, 1.0, 640.0), ln_gamma_sf(3.0, 1.0, 660.0));
        assert!(a.is_finite() && b < a && (a - b - 20.0).abs() < 0.1, "{a} {b}");
        // A slow item with stock for years: a tiny risk, not zero, falling with more stock.
        let (near, far) = (ln_compound_exceeds(0.3, 2.0, 4.0, 400.0), ln_compound_exceeds(0.3, 2.0, 4.0, 800.0));
        assert!(near.is_finite() && far.is_finite() && far < near, "{near} {far}");
    }

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(auc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), Some(1.0));
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        // Hits at 0.9 and 0.3; misses at 0.5 and 0.1: 3 of 4 pairs ordered.
        assert_eq!(auc(&[0.9, 0.3, 0.5, 0.1], &[true, true, false, false]), Some(0.75));
        assert_eq!(auc(&[0.1], &[true]), None);
    }

    #[test]
    fn state_rate_grows_with_lead_time_and_falls_with_stock() {
        let r = StateRate::new(99, 49, 99.0 * 2.0, vec![1.0, 2.0, 5.0, 10.0]);
        // Share (49.5 / 100) over a 2-period lead time.
        assert!((1.0 - (-r.per_period * 2.0).exp() - 0.495).abs() < 1e-12);
        assert!(r.ln_risk(4.0, 0.0) > r.ln_risk(2.0, 0.0));
        assert!(r.ln_risk(2.0, 6.0) < r.ln_risk(2.0, 0.0));
        assert!(r.ln_risk(2.0, 100.0).is_finite());
    }
}
