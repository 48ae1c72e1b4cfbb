//! Run settings: read once from `replen.toml` (when present), overridden by command-line
//! flags, and checked here so the rest of the code can trust them.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::series::SalesAre;

/// Service targets per ABC class, as written in the config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    /// Target of class A items.
    #[serde(rename = "A")]
    pub a: Option<f64>,
    /// Target of class B items.
    #[serde(rename = "B")]
    pub b: Option<f64>,
    /// Target of class C items.
    #[serde(rename = "C")]
    pub c: Option<f64>,
}

/// Settings as written in the config file; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `orders` or `shipments`.
    pub sales_are: Option<String>,
    /// `day`, `week` or `month`.
    pub period: Option<String>,
    /// Forecast horizon in periods.
    pub horizon: Option<usize>,
    /// One service target for every item (overrides the ABC targets).
    pub service_level: Option<f64>,
    /// `cycle` (probability of no stockout per cycle) or `fill_rate` (share of units served).
    pub service_measure: Option<String>,
    /// `portfolio` (a target met across the items that share it, with the least stock) or
    /// `item` (every item on its own).
    pub service_scope: Option<String>,
    /// Targets per ABC class.
    pub service_targets: Option<TargetsFile>,
    /// Cumulative consumption-value shares closing classes A and B, e.g. `[0.8, 0.95]`.
    pub abc_cuts: Option<[f64; 2]>,
    /// Review period in periods.
    pub review_periods: Option<f64>,
    /// `periodic` (review every R periods) or `continuous` (s, Q with EOQ).
    pub policy: Option<String>,
    /// Default yearly holding cost as a share of unit cost.
    pub holding_rate: Option<f64>,
    /// Default cost of placing one order line.
    pub order_cost: Option<f64>,
    /// Monte Carlo draws per item for intermittent demand.
    pub simulations: Option<usize>,
    /// Seed of every random draw.
    pub seed: Option<u64>,
    /// What-if scenarios: name = "key=value,key=value".
    pub scenarios: Option<std::collections::BTreeMap<String, String>>,
    /// Futures simulated per scenario.
    pub paths: Option<usize>,
    /// Alert thresholds.
    pub alerts: Option<AlertSettings>,
    /// How each input table is read: file, column names, date layouts, ... (`[files.NAME]`).
    pub files: Option<crate::source::FileSpecs>,
}

/// Alert thresholds (the `[alerts]` table); every key has a default.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// An open backorder whose estimated date is more than this many days after the as-of
    /// date is late (`backorder_late`, medium; past the promised date or undated: high).
    pub backorder_wait_days: f64,
    /// Days of cover (on hand / forecast demand) beyond which stock is excess (low).
    pub excess_cover_days: f64,
    /// Supplier on-time rate below which a supplier is late (medium).
    pub supplier_on_time_min: f64,
    /// Receipts with a promised date a supplier needs before its on-time rate is judged.
    pub supplier_min_receipts: usize,
    /// Days overdue past which an open purchase order is a high alert (else medium).
    pub overdue_high_days: f64,
    /// Backorder rate (% of orders) above which `kpi_threshold` fires (medium).
    pub max_backorder_rate: f64,
    /// Fill rate (% of units) below which `kpi_threshold` fires (medium).
    pub min_fill_rate: f64,
    /// Latest periods the KPI thresholds are judged over.
    pub kpi_periods: usize,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            backorder_wait_days: 14.0,
            excess_cover_days: 180.0,
            supplier_on_time_min: 0.8,
            supplier_min_receipts: 5,
            overdue_high_days: 14.0,
            max_backorder_rate: 5.0,
            min_fill_rate: 95.0,
            kpi_periods: 4,
        }
    }
}

impl AlertSettings {
    fn checked(self) -> Result<AlertSettings> {
        let days = |name: &str, v: f64| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(bad(&format!("alerts.{name}"), v, "a number of days of 0 or more"))
            }
        };
        days("backorder_wait_days", self.backorder_wait_days)?;
        days("excess_cover_days", self.excess_cover_days)?;
        days("overdue_high_days", self.overdue_high_days)?;
        if !(0.0..=1.0).contains(&self.supplier_on_time_min) {
            return Err(bad(
                "alerts.supplier_on_time_min",
                self.supplier_on_time_min,
                "a share from 0 to 1, such as 0.8",
            ));
        }
        for (name, v) in [("max_backorder_rate", self.max_backorder_rate), ("min_fill_rate", self.min_fill_rate)] {
            if !(0.0..=100.0).contains(&v) {
                return Err(bad(&format!("alerts.{name}"), v, "a percentage from 0 to 100, such as 5"));
            }
        }
        if self.kpi_periods == 0 {
            return Err(bad("alerts.kpi_periods", 0, "a number of periods of 1 or more"));
        }
        Ok(self)
    }
}

impl ConfigFile {
    /// Reads `path`; a missing file gives the defaults only when `required` is false.
    pub fn read(path: &Path, required: bool) -> Result<ConfigFile> {
        if !path.exists() {
            if required {
                return Err(Error::Setting {
                    name: "--config".into(),
                    value: path.display().to_string(),
                    expected: "an existing TOML file".into(),
                });
            }
            return Ok(ConfigFile::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::ReadText { path: path.into(), source: e })?;
        toml::from_str(&text).map_err(|e| Error::Setting {
            name: "config file".into(),
            value: path.display().to_string(),
            expected: e.to_string().trim().replace('\n', " "),
        })
    }
}

/// What a service target measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceMeasure {
    /// Probability of no stockout in a replenishment cycle.
    Cycle,
    /// Share of demand served from stock.
    FillRate,
}

/// Over what a service target is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceScope {
    /// Across the items that share the target (units or cycles pooled), with the least stock;
    /// each item is kept near the target by a floor.
    Portfolio,
    /// By every item on its own.
    Item,
}

/// Replenishment policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Review every R periods; order up to S when the position is at or below s.
    Periodic,
    /// Watch the position continuously; order Q (EOQ) when it reaches s.
    Continuous,
}

/// Checked settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// What the sales quantities measure.
    pub sales_are: SalesAre,
    /// Planning bucket.
    pub period: Period,
    /// Forecast horizon in periods (at least 1).
    pub horizon: usize,
    /// One target for all items, when set.
    pub service_level: Option<f64>,
    /// What targets measure.
    pub service_measure: ServiceMeasure,
    /// Over what targets are met.
    pub service_scope: ServiceScope,
    /// Targets of ABC classes A, B, C.
    pub targets: [f64; 3],
    /// Cumulative value shares closing A and B.
    pub abc_cuts: [f64; 2],
    /// Review period in periods (more than 0).
    pub review_periods: f64,
    /// Replenishment policy.
    pub policy: Policy,
    /// Default yearly holding rate.
    pub holding_rate: f64,
    /// Default order cost (0 = unknown: no EOQ).
    pub order_cost: f64,
    /// Monte Carlo draws per item.
    pub simulations: usize,
    /// Seed.
    pub seed: u64,
    /// What-if scenarios from the config file.
    pub scenarios: Vec<crate::whatif::Scenario>,
    /// Futures simulated per scenario.
    pub paths: usize,
    /// Alert thresholds.
    pub alerts: AlertSettings,
    /// How each input table is read (`[files.NAME]`).
    pub files: crate::source::FileSpecs,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sales_are: SalesAre::Orders,
            period: Period::Week,
            horizon: 13,
            service_level: None,
            service_measure: ServiceMeasure::Cycle,
            service_scope: ServiceScope::Portfolio,
            targets: [0.98, 0.95, 0.90],
            abc_cuts: [0.8, 0.95],
            review_periods: 1.0,
            policy: Policy::Periodic,
            holding_rate: 0.25,
            order_cost: 0.0,
            simulations: 2000,
            seed: 42,
            scenarios: Vec::new(),
            paths: 300,
            alerts: AlertSettings::default(),
            files: crate::source::FileSpecs::new(),
        }
    }
}

fn bad(name: &str, value: impl ToString, expected: &str) -> Error {
    Error::Setting { name: name.into(), value: value.to_string(), expected: expected.into() }
}

fn share(name: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(bad(name, v, "a share between 0 and 1, such as 0.95"))
    }
}

impl Settings {
    /// Checks a config file merged with flags (flags win).
    pub fn from_parts(file: &ConfigFile, flags: &ConfigFile) -> Result<Settings> {
        let d = Settings::default();
        macro_rules! pick {
            ($f:ident) => {
                flags.$f.clone().or(file.$f.clone())
            };
        }
        let sales_are = match pick!(sales_are) {
            Some(s) => SalesAre::parse(&s).ok_or_else(|| bad("sales_are", &s, "`orders` or `shipments`"))?,
            None => d.sales_are,
        };
        let period = match pick!(period) {
            Some(s) => Period::parse(&s).ok_or_else(|| bad("period", &s, "`day`, `week` or `month`"))?,
            None => d.period,
        };
        let horizon = pick!(horizon).unwrap_or(d.horizon);
        if horizon == 0 || horizon > 1000 {
            return Err(bad("horizon", horizon, "a number of periods from 1 to 1000"));
        }
        let service_level = pick!(service_level).map(|v| share("service_level", v)).transpose()?;
        let service_measure = match pick!(service_measure).as_deref() {
            None | Some("cycle") => ServiceMeasure::Cycle,
            Some("fill_rate") => ServiceMeasure::FillRate,
            Some(other) => return Err(bad("service_measure", other, "`cycle` or `fill_rate`")),
        };
        let service_scope = match pick!(service_scope).as_deref() {
            None | Some("portfolio") => ServiceScope::Portfolio,
            Some("item") => ServiceScope::Item,
            Some(other) => return Err(bad("service_scope", other, "`portfolio` or `item`")),
        };
        let t = pick!(service_targets).unwrap_or_default();
        let targets = [
            share("service_targets.A", t.a.unwrap_or(d.targets[0]))?,
            share("service_targets.B", t.b.unwrap_or(d.targets[1]))?,
            share("service_targets.C", t.c.unwrap_or(d.targets[2]))?,
        ];
        let abc_cuts = pick!(abc_cuts).unwrap_or(d.abc_cuts);
        if !(abc_cuts[0] > 0.0 && abc_cuts[0] < abc_cuts[1] && abc_cuts[1] <= 1.0) {
            return Err(bad(
                "abc_cuts",
                format!("{abc_cuts:?}"),
                "two increasing shares in (0, 1], such as [0.8, 0.95]",
            ));
        }
        let review_periods = pick!(review_periods).unwrap_or(d.review_periods);
        // At most a year between reviews: longer cycles are not a replenishment policy, and
        // every period of one is simulated.
        if !(review_periods > 0.0 && review_periods * period.days() <= 366.0) {
            return Err(bad(
                "review_periods",
                review_periods,
                &format!(
                    "a number of periods above 0 and at most a year ({} {}s), such as 1",
                    (366.0 / period.days()).floor(),
                    period.name()
                ),
            ));
        }
        let policy = match pick!(policy).as_deref() {
            None | Some("periodic") => Policy::Periodic,
            Some("continuous") => Policy::Continuous,
            Some(other) => return Err(bad("policy", other, "`periodic` or `continuous`")),
        };
        let holding_rate = pick!(holding_rate).unwrap_or(d.holding_rate);
        if !(holding_rate > 0.0 && holding_rate < 10.0) {
            return Err(bad("holding_rate", holding_rate, "a yearly share of unit cost above 0, such as 0.25"));
        }
        let order_cost = pick!(order_cost).unwrap_or(d.order_cost);
        if !(order_cost >= 0.0 && order_cost.is_finite()) {
            return Err(bad("order_cost", order_cost, "a cost of 0 or more"));
        }
        let simulations = pick!(simulations).unwrap_or(d.simulations);
        if !(100..=1_000_000).contains(&simulations) {
            return Err(bad("simulations", simulations, "a number of draws from 100 to 1000000"));
        }
        let seed = pick!(seed).unwrap_or(d.seed);
        let scenarios = pick!(scenarios)
            .unwrap_or_default()
            .iter()
            .map(|(name, body)| crate::whatif::parse_body(name, body, &format!("{name} = \"{body}\"")))
            .collect::<Result<Vec<_>>>()?;
        let paths = pick!(paths).unwrap_or(d.paths);
        if !(10..=100_000).contains(&paths) {
            return Err(bad("paths", paths, "a number of simulated futures from 10 to 100000"));
        }
        let alerts = pick!(alerts).unwrap_or_default().checked()?;
        let files = pick!(files).unwrap_or_default();
        for (name, spec) in &files {
            if !crate::ingest::TABLES.contains(&name.as_str()) {
                return Err(bad(
                    &format!("files.{name}"),
                    name,
                    &format!("one of the input tables: {}", crate::ingest::TABLES.join(", ")),
                ));
            }
            spec.check(name)?;
        }
        Ok(Settings {
            alerts,
            files,
            sales_are,
            period,
            horizon,
            service_level,
            service_measure,
            service_scope,
            targets,
            abc_cuts,
            review_periods,
            policy,
            holding_rate,
            order_cost,
            simulations,
            seed,
            scenarios,
            paths,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_bad_values_are_named() {
        let file = ConfigFile { period: Some("month".into()), service_level: Some(0.9), ..Default::default() };
        let flags = ConfigFile { service_level: Some(0.98), ..Default::default() };
        let s = Settings::from_parts(&file, &flags).unwrap();
        assert_eq!(s.period, Period::Month);
        assert_eq!(s.service_level, Some(0.98));
        let flags = ConfigFile { service_level: Some(95.0), ..Default::default() };
        let e = Settings::from_parts(&file, &flags).unwrap_err().to_string();
        assert!(e.contains("service_level") && e.contains("95"), "{e}");
        // The scope: portfolio unless a file or flag says `item`; anything else is named.
        assert_eq!(s.service_scope, ServiceScope::Portfolio);
        let item = ConfigFile { service_scope: Some("item".into()), ..Default::default() };
        assert_eq!(Settings::from_parts(&item, &ConfigFile::default()).unwrap().service_scope, ServiceScope::Item);
        let flags = ConfigFile { service_scope: Some("sku".into()), ..Default::default() };
        let e = Settings::from_parts(&file, &flags).unwrap_err().to_string();
        assert!(e.contains("service_scope") && e.contains("sku") && e.contains("portfolio"), "{e}");
    }

    #[test]
    fn config_file_with_targets_parses() {
        let c: ConfigFile = toml::from_str(
            "service_measure = \"fill_rate\"\npolicy = \"continuous\"\n[service_targets]\nA = 0.99\nC = 0.9\n",
        )
        .unwrap();
        let s = Settings::from_parts(&c, &ConfigFile::default()).unwrap();
        assert_eq!(s.service_measure, ServiceMeasure::FillRate);
        assert_eq!(s.policy, Policy::Continuous);
        assert_eq!(s.targets, [0.99, 0.95, 0.9]);
    }

    #[test]
    fn alert_thresholds_default_and_are_checked() {
        let c: ConfigFile = toml::from_str("[alerts]\nbackorder_wait_days = 7\n").unwrap();
        let s = Settings::from_parts(&c, &ConfigFile::default()).unwrap();
        assert_eq!(s.alerts.backorder_wait_days, 7.0);
        assert_eq!(s.alerts.excess_cover_days, AlertSettings::default().excess_cover_days);
        let c: ConfigFile = toml::from_str("[alerts]\nmin_fill_rate = 0.95\nmax_backorder_rate = 500\n").unwrap();
        let e = Settings::from_parts(&c, &ConfigFile::default()).unwrap_err().to_string();
        assert!(e.contains("alerts.max_backorder_rate"), "{e}");
        assert!(toml::from_str::<ConfigFile>("[alerts]\nbackorder_days = 3\n").is_err());
    }

    #[test]
    fn review_periods_are_at_most_a_year() {
        let flags =
            |r: f64, p: &str| ConfigFile { review_periods: Some(r), period: Some(p.into()), ..Default::default() };
        assert!(Settings::from_parts(&ConfigFile::default(), &flags(52.0, "week")).is_ok());
        assert!(Settings::from_parts(&ConfigFile::default(), &flags(53.0, "week")).is_err());
        assert!(Settings::from_parts(&ConfigFile::default(), &flags(366.0, "day")).is_ok());
        assert!(Settings::from_parts(&ConfigFile::default(), &flags(1e5, "day")).is_err());
    }

    #[test]
    fn file_settings_name_known_tables_and_valid_values() {
        let text = "[files.purchase_orders]\npath = \"po.csv\"\ndate_formats = [\"%d-%b-%y\"]\non_bad_rows = \"skip\"\n[files.purchase_orders.columns]\npo_id = \"PO / SO #\"\n";
        let c: ConfigFile = toml::from_str(text).unwrap();
        let s = Settings::from_parts(&c, &ConfigFile::default()).unwrap();
        assert_eq!(s.files["purchase_orders"].columns["po_id"], "PO / SO #");
        assert!(s.files["purchase_orders"].skips_bad_rows());
        for bad in ["[files.purchase_order]\npath = \"x.csv\"\n", "[files.sales]\non_bad_rows = \"drop\"\n"] {
            let c: ConfigFile = toml::from_str(bad).unwrap();
            assert!(Settings::from_parts(&c, &ConfigFile::default()).is_err(), "{bad}");
        }
        assert!(toml::from_str::<ConfigFile>("[files.sales]\ncolumn = {}\n").is_err());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<ConfigFile>("servce_level = 0.9").is_err());
    }
}
