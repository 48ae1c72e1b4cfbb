//! The portfolio file: what the whole catalogue teaches each item's forecast and plan, written
//! once by `replen portfolio` so that shards of a run spread over several machines plan their
//! items exactly as one run over all would. Numbers are written as text in Rust's shortest
//! exact form, so they read back to the same bits.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::forecast::{Calibration, DemandClass, Learned as ForecastLearned};
use crate::ingest::Skus;
use crate::ltd::LevelMap;
use crate::plan::{Learned as PlanLearned, Multiplier};
use crate::risk::{Prior, StateRate};

/// First field of every portfolio file, and its version.
pub const FORMAT: &str = "replen portfolio 2";

/// A number that reads back to the same bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exact(pub f64);

impl Serialize for Exact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:?}", self.0))
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(Exact).map_err(|_| serde::de::Error::custom(format!("{s:?} is not a number")))
    }
}

/// Many numbers, separated by spaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Exacts(pub Vec<f64>);

impl Serialize for Exacts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<String> = self.0.iter().map(|x| format!("{x:?}")).collect();
        s.serialize_str(&v.join(" "))
    }
}

impl<'de> Deserialize<'de> for Exacts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.split_ascii_whitespace()
            .map(|x| x.parse().map_err(|_| serde::de::Error::custom(format!("{x:?} is not a number"))))
            .collect::<Result<Vec<f64>, _>>()
            .map(Exacts)
    }
}

/// The portfolio file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortfolioFile {
    /// [`FORMAT`].
    pub format: String,
    /// replen's version that wrote it.
    pub replen: String,
    /// Planning date.
    pub as_of: String,
    /// The settings the figures were learned with, in short; a shard must use the same.
    pub settings: String,
    /// Items in the catalogue, and sales lines read: a shard must read the same data.
    pub items: usize,
    /// Sales lines read.
    pub sales_lines: usize,
    /// What the forecasts learned.
    pub forecast: ForecastPart,
    /// Items of ABC classes A and B (every other item is C).
    pub abc_a: Vec<String>,
    /// Items of class B.
    pub abc_b: Vec<String>,
    /// The service-level calibration: held-out PIT values per demand class and group.
    pub service_levels: Vec<LevelPart>,
    /// The portfolio allocation's multipliers, one per group of items sharing a target:
    /// (`cycle` or `fill_rate`, target, multiplier).
    pub service_multipliers: Vec<(String, Exact, Exact)>,
    /// Prior of items without sales yet.
    pub prior_new: RatePart,
    /// Prior of items without recent sales.
    pub prior_dormant: RatePart,
    /// The portfolio's tables as one run writes them, by file name: the KPIs (`kpis.csv`,
    /// `kpis.json`), the suppliers' lead times and the portfolio's alerts, for `merge`.
    pub tables: std::collections::BTreeMap<String, String>,
}

/// What the forecasts learned, see [`crate::forecast::Learned`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastPart {
    defaults: Vec<(DemandClass, crate::forecast::engine::Choice)>,
    levels: Option<Vec<(DemandClass, Exact)>>,
    sizes: Vec<(DemandClass, Exact, Exact)>,
    calibration: CalibrationPart,
}

/// [`Calibration`] in the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CalibrationPart {
    level: Exact,
    levels: Vec<(DemandClass, Exact)>,
    tails: [Exact; 3],
    coverage: [Exact; 3],
    window_corr: Exact,
    window: usize,
    points: usize,
    bt_abs_error: Exact,
    bt_error: Exact,
    bt_actual: Exact,
}

/// One key of the service-level calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelPart {
    class: DemandClass,
    group: String,
    pits: Exacts,
}

/// A [`StateRate`] in the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatePart {
    items: usize,
    hits: usize,
    per_period: Exact,
    sizes: Exacts,
}

fn pairs(v: &[(DemandClass, f64)]) -> Vec<(DemandClass, Exact)> {
    v.iter().map(|&(c, x)| (c, Exact(x))).collect()
}

fn unpairs(v: &[(DemandClass, Exact)]) -> Vec<(DemandClass, f64)> {
    v.iter().map(|&(c, x)| (c, x.0)).collect()
}

impl RatePart {
    fn of(r: &StateRate) -> RatePart {
        RatePart { items: r.items, hits: r.hits, per_period: Exact(r.per_period), sizes: Exacts(r.sizes.clone()) }
    }

    fn rate(&self) -> StateRate {
        StateRate { items: self.items, hits: self.hits, per_period: self.per_period.0, sizes: self.sizes.0.clone() }
    }
}

/// Where the file was learned: its date, settings and data size.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// Planning date.
    pub as_of: String,
    /// The settings in short.
    pub settings: String,
    /// Items in the catalogue.
    pub items: usize,
    /// Sales lines read.
    pub sales_lines: usize,
}

impl PortfolioFile {
    /// The file of what the forecasts (`f`) and plans (`p`) learned; item names from `skus`.
    pub fn new(stamp: Stamp, f: &ForecastLearned, p: &PlanLearned, skus: &Skus) -> PortfolioFile {
        let c = &f.calibration;
        let class = |k: char| {
            let mut v: Vec<String> = p.abc.iter().filter(|x| *x.1 == k).map(|x| skus.name(*x.0).to_string()).collect();
            v.sort();
            v
        };
        PortfolioFile {
            format: FORMAT.into(),
            replen: env!("CARGO_PKG_VERSION").into(),
            as_of: stamp.as_of,
            settings: stamp.settings,
            items: stamp.items,
            sales_lines: stamp.sales_lines,
            forecast: ForecastPart {
                defaults: f.defaults.clone(),
                levels: f.levels.as_deref().map(pairs),
                sizes: f.sizes.iter().map(|&(k, a, b)| (k, Exact(a), Exact(b))).collect(),
                calibration: CalibrationPart {
                    level: Exact(c.level),
                    levels: pairs(&c.levels),
                    tails: c.tails.map(Exact),
                    coverage: c.coverage.map(Exact),
                    window_corr: Exact(c.window_corr),
                    window: c.window,
                    points: c.points,
                    bt_abs_error: Exact(c.bt_abs_error),
                    bt_error: Exact(c.bt_error),
                    bt_actual: Exact(c.bt_actual),
                },
            },
            abc_a: class('A'),
            abc_b: class('B'),
            service_levels: p
                .levels
                .parts()
                .iter()
                .map(|((k, g), v)| LevelPart { class: *k, group: g.clone(), pits: Exacts(v.clone()) })
                .collect(),
            service_multipliers: p
                .multipliers
                .iter()
                .map(|m| {
                    (if m.fill_rate { "fill_rate" } else { "cycle" }.to_string(), Exact(m.target), Exact(m.lambda))
                })
                .collect(),
            prior_new: RatePart::of(&p.prior.new),
            prior_dormant: RatePart::of(&p.prior.dormant),
            tables: Default::default(),
        }
    }

    /// Its stamp.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            as_of: self.as_of.clone(),
            settings: self.settings.clone(),
            items: self.items,
            sales_lines: self.sales_lines,
        }
    }

    /// What the forecasts learned.
    pub fn forecast(&self) -> ForecastLearned {
        let f = &self.forecast;
        let c = &f.calibration;
        ForecastLearned {
            defaults: f.defaults.clone(),
            levels: f.levels.as_deref().map(unpairs),
            sizes: f.sizes.iter().map(|&(k, a, b)| (k, a.0, b.0)).collect(),
            calibration: Calibration {
                level: c.level.0,
                levels: unpairs(&c.levels),
                tails: c.tails.map(|x| x.0),
                coverage: c.coverage.map(|x| x.0),
                window_corr: c.window_corr.0,
                window: c.window,
                points: c.points,
                bt_abs_error: c.bt_abs_error.0,
                bt_error: c.bt_error.0,
                bt_actual: c.bt_actual.0,
            },
        }
    }

    /// What the plans learned, item names resolved in `skus`; names it does not know are
    /// returned (the file was made from other data).
    pub fn plan(&self, skus: &Skus) -> Result<PlanLearned, String> {
        let mut abc = HashMap::new();
        for (k, names) in [('A', &self.abc_a), ('B', &self.abc_b)] {
            for n in names {
                let i = skus.get(n).ok_or_else(|| n.clone())?;
                abc.insert(i, k);
            }
        }
        Ok(PlanLearned {
            abc,
            levels: LevelMap::from_parts(
                self.service_levels.iter().map(|l| ((l.class, l.group.clone()), l.pits.0.clone())).collect(),
            ),
            prior: Prior { new: self.prior_new.rate(), dormant: self.prior_dormant.rate() },
            multipliers: self
                .service_multipliers
                .iter()
                .map(|(m, t, l)| Multiplier { fill_rate: m == "fill_rate", target: t.0, lambda: l.0 })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_to_the_same_bits() {
        let v = vec![0.1 + 0.2, 1e-300, -2.5e17, f64::NAN, f64::INFINITY, 1.0 / 3.0, 0.0];
        let s = serde_json::to_string(&(Exacts(v.clone()), Exact(v[0]))).unwrap();
        let (back, one): (Exacts, Exact) = serde_json::from_str(&s).unwrap();
        assert_eq!(one.0.to_bits(), v[0].to_bits());
        for (a, b) in v.iter().zip(&back.0) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} read back as {b}");
        }
        assert!(serde_json::from_str::<Exact>("\"ten\"").is_err());
    }
}
