//! What-if scenarios: each re-plans the same data with some settings changed (service or
//! fill-rate target, lead time and its spread, demand, review period, MOQ), for all items or
//! one ABC class or supplier, and is checked by simulating many futures under its policy.

use crate::error::{Error, Result};

/// How a lead time changes in a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeadChange {
    /// Multiply by a factor.
    Factor(f64),
    /// Set to a number of days.
    Days(f64),
    /// Add (or remove) days.
    Plus(f64),
}

/// A scenario's changes, applied to the items in its scope (all items without one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adjust {
    /// Only items of this ABC class.
    pub abc: Option<char>,
    /// Only items of this supplier.
    pub supplier: Option<String>,
    /// Cycle service target.
    pub service: Option<f64>,
    /// Fill-rate target.
    pub fill_rate: Option<f64>,
    /// Lead-time change.
    pub lead_time: Option<LeadChange>,
    /// Factor on the lead-time standard deviation.
    pub lead_time_sd: Option<f64>,
    /// Factor on demand.
    pub demand: Option<f64>,
    /// Review period in periods.
    pub review: Option<f64>,
    /// Factor on MOQs.
    pub moq: Option<f64>,
}

impl Adjust {
    /// True when the scenario applies to an item of class `abc` from `supplier`.
    pub fn applies(&self, abc: char, supplier: &str) -> bool {
        self.abc.is_none_or(|a| a == abc) && self.supplier.as_deref().is_none_or(|s| s == supplier)
    }
}

/// A named scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name shown in outputs.
    pub name: String,
    /// The changes as written.
    pub spec: String,
    /// The changes.
    pub adjust: Adjust,
}

fn bad(spec: &str, what: &str) -> Error {
    Error::Setting { name: "--scenario".into(), value: spec.into(), expected: what.into() }
}

/// Largest factor a scenario may apply (a typo such as x1e9 would plan for centuries).
const MAX_FACTOR: f64 = 100.0;

/// Longest review period a scenario may set, in periods (a year of weeks).
const MAX_REVIEW: f64 = 53.0;

fn factor(spec: &str, key: &str, v: &str) -> Result<f64> {
    let x = v.strip_prefix('x').or_else(|| v.strip_prefix('*')).unwrap_or(v);
    match x.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= MAX_FACTOR => Ok(f),
        _ => Err(bad(
            spec,
            &format!("`{key}` takes a factor above 0 and at most {MAX_FACTOR}, such as x1.5 (got `{v}`)"),
        )),
    }
}

fn share(spec: &str, key: &str, v: &str) -> Result<f64> {
    let x = match v.strip_suffix('%') {
        Some(p) => p.parse::<f64>().map(|p| p / 100.0),
        None => v.parse::<f64>(),
    };
    match x {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err(bad(spec, &format!("`{key}` takes a share between 0 and 1, such as 0.98 or 98% (got `{v}`)"))),
    }
}

/// Parses `NAME:key=value,key=value`. Keys: `service`, `fill_rate`, `lead_time` (`x1.5`, `21`
/// days or `+7` days), `lead_time_sd` (factor), `demand` (factor), `review` (periods), `moq`
/// (factor), and the scope keys `abc` (A, B or C) and `supplier`.
pub fn parse(text: &str) -> Result<Scenario> {
    let (name, body) = text.split_once(':').ok_or_else(|| bad(text, "NAME:key=value,... such as high:service=0.99"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(bad(text, "a scenario name before the colon"));
    }
    parse_body(name, body, text)
}

/// Parses the changes of a scenario called `name`.
pub fn parse_body(name: &str, body: &str, text: &str) -> Result<Scenario> {
    let mut a = Adjust::default();
    for part in body.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| bad(text, &format!("key=value pairs (got `{part}`)")))?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "service" | "service_level" => a.service = Some(share(text, &k, v)?),
            "fill_rate" => a.fill_rate = Some(share(text, &k, v)?),
            "lead_time" => {
                a.lead_time = Some(if v.starts_with('x') || v.starts_with('*') {
                    LeadChange::Factor(factor(text, &k, v)?)
                } else if v.starts_with('+') || v.starts_with('-') {
                    let max = crate::leadtime::MAX_LEAD_TIME_DAYS as f64;
                    match v.trim_start_matches('+').parse::<f64>() {
                        Ok(d) if d.abs() <= max => LeadChange::Plus(d),
                        _ => return Err(bad(text, "lead_time=+DAYS or -DAYS takes a number of days up to 3650")),
                    }
                } else {
                    match v.parse::<f64>() {
                        Ok(d) if (0.0..=crate::leadtime::MAX_LEAD_TIME_DAYS as f64).contains(&d) => LeadChange::Days(d),
                        _ => return Err(bad(text, "lead_time takes x1.5 (factor), 21 (days) or +7 (days more)")),
                    }
                })
            }
            "lead_time_sd" => a.lead_time_sd = Some(factor(text, &k, v)?),
            "demand" => a.demand = Some(factor(text, &k, v)?),
            "moq" => a.moq = Some(factor(text, &k, v)?),
            "review" | "review_periods" => match v.parse::<f64>() {
                Ok(r) if r > 0.0 && r <= MAX_REVIEW => a.review = Some(r),
                _ => return Err(bad(text, "review takes a number of periods above 0 and at most 53")),
            },
            "abc" | "class" => match v.to_ascii_uppercase().as_str() {
                c @ ("A" | "B" | "C") => a.abc = c.chars().next(),
                _ => return Err(bad(text, "abc takes A, B or C")),
            },
            "supplier" => a.supplier = Some(v.to_string()),
            other => {
                return Err(bad(
                    text,
                    &format!(
                        "a known key (service, fill_rate, lead_time, lead_time_sd, demand, review, moq, abc, supplier), not `{other}`"
                    ),
                ))
            }
        }
    }
    Ok(Scenario { name: name.to_string(), spec: body.trim().to_string(), adjust: a })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let s =
            parse("late:lead_time=x1.5,lead_time_sd=x2,demand=1.2,service=98%,review=2,moq=x0.5,abc=a,supplier=SUP01")
                .unwrap();
        assert_eq!(s.name, "late");
        let a = s.adjust;
        assert_eq!(a.lead_time, Some(LeadChange::Factor(1.5)));
        assert_eq!(a.lead_time_sd, Some(2.0));
        assert_eq!(a.demand, Some(1.2));
        assert!((a.service.unwrap() - 0.98).abs() < 1e-12);
        assert_eq!(a.review, Some(2.0));
        assert_eq!(a.moq, Some(0.5));
        assert_eq!(a.abc, Some('A'));
        assert_eq!(a.supplier.as_deref(), Some("SUP01"));
        assert_eq!(parse("d:lead_time=21").unwrap().adjust.lead_time, Some(LeadChange::Days(21.0)));
        assert_eq!(parse("p:lead_time=+7").unwrap().adjust.lead_time, Some(LeadChange::Plus(7.0)));
        assert_eq!(parse("m:lead_time=-3").unwrap().adjust.lead_time, Some(LeadChange::Plus(-3.0)));
    }

    #[test]
    fn bad_scenarios_say_what_is_expected() {
        for (s, word) in [
            ("nocolon", "NAME:"),
            ("x:service=1.5", "share"),
            ("x:speed=2", "known key"),
            ("x:abc=D", "A, B or C"),
            ("x:lead_time=x1e9", "at most 100"),
            ("x:lead_time=+1e300", "up to 3650"),
            ("x:review=100000", "at most 53"),
        ] {
            let e = parse(s).unwrap_err().to_string();
            assert!(e.contains(word), "{s}: {e}");
        }
    }
}
