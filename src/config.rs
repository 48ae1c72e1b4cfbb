//! Run settings: read once from `replen.toml` (when present), overridden by command-line
//! flags, and checked here so the rest of the code can trust them.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::series::SalesAre;

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
    /// Default cycle service level, in (0, 1).
    pub service_level: Option<f64>,
    /// Review period in periods.
    pub review_periods: Option<f64>,
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
        let text = std::fs::read_to_string(path).map_err(|e| Error::Write { path: path.into(), source: e })?;
        toml::from_str(&text).map_err(|e| Error::Setting {
            name: "config file".into(),
            value: path.display().to_string(),
            expected: e.to_string().trim().replace('\n', " "),
        })
    }
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
    /// Default cycle service level in (0, 1).
    pub service_level: f64,
    /// Review period in periods (more than 0).
    pub review_periods: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sales_are: SalesAre::Orders,
            period: Period::Week,
            horizon: 13,
            service_level: 0.95,
            review_periods: 1.0,
        }
    }
}

fn bad(name: &str, value: impl ToString, expected: &str) -> Error {
    Error::Setting { name: name.into(), value: value.to_string(), expected: expected.into() }
}

impl Settings {
    /// Checks a config file merged with flags (flags win).
    pub fn from_parts(file: &ConfigFile, flags: &ConfigFile) -> Result<Settings> {
        let d = Settings::default();
        let sales_are = match flags.sales_are.as_ref().or(file.sales_are.as_ref()) {
            Some(s) => SalesAre::parse(s).ok_or_else(|| bad("sales_are", s, "`orders` or `shipments`"))?,
            None => d.sales_are,
        };
        let period = match flags.period.as_ref().or(file.period.as_ref()) {
            Some(s) => Period::parse(s).ok_or_else(|| bad("period", s, "`day`, `week` or `month`"))?,
            None => d.period,
        };
        let horizon = flags.horizon.or(file.horizon).unwrap_or(d.horizon);
        if horizon == 0 || horizon > 1000 {
            return Err(bad("horizon", horizon, "a number of periods from 1 to 1000"));
        }
        let service_level = flags.service_level.or(file.service_level).unwrap_or(d.service_level);
        if !(service_level > 0.0 && service_level < 1.0) {
            return Err(bad("service_level", service_level, "a share between 0 and 1, such as 0.95"));
        }
        let review_periods = flags.review_periods.or(file.review_periods).unwrap_or(d.review_periods);
        if !(review_periods > 0.0 && review_periods.is_finite()) {
            return Err(bad("review_periods", review_periods, "a number of periods above 0, such as 1"));
        }
        Ok(Settings { sales_are, period, horizon, service_level, review_periods })
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
        assert_eq!(s.service_level, 0.98);
        let flags = ConfigFile { service_level: Some(95.0), ..Default::default() };
        let e = Settings::from_parts(&file, &flags).unwrap_err().to_string();
        assert!(e.contains("service_level") && e.contains("95"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<ConfigFile>("servce_level = 0.9").is_err());
    }
}
