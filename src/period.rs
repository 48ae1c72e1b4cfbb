//! Calendar buckets. Demand is planned per period (day, ISO week starting Monday, or calendar
//! month); every date maps to an absolute period number so bucketing is integer arithmetic.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Length of a planning bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// One calendar day.
    Day,
    /// ISO week, Monday to Sunday.
    #[default]
    Week,
    /// Calendar month.
    Month,
}

/// A Monday, the origin of week numbers.
fn week_origin() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 5).expect("valid constant date")
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid constant date")
}

impl Period {
    /// Parses `day`, `week` or `month`.
    pub fn parse(s: &str) -> Option<Period> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" | "d" => Some(Period::Day),
            "week" | "weekly" | "w" => Some(Period::Week),
            "month" | "monthly" | "m" => Some(Period::Month),
            _ => None,
        }
    }

    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// Average length in days (a month is 365.25 / 12 days).
    pub fn days(self) -> f64 {
        match self {
            Period::Day => 1.0,
            Period::Week => 7.0,
            Period::Month => 365.25 / 12.0,
        }
    }

    /// Number of periods in a year, the natural seasonal cycle.
    pub fn per_year(self) -> usize {
        match self {
            Period::Day => 365,
            Period::Week => 52,
            Period::Month => 12,
        }
    }

    /// [`Period::index`] for many dates in a row, the last day's period kept: lines of one day
    /// are in one period, and files list their lines mostly in date order.
    pub fn day_index(self) -> impl FnMut(NaiveDate) -> i64 {
        let mut day = (NaiveDate::MIN, 0i64);
        move |d| {
            if d != day.0 {
                day = (d, self.index(d));
            }
            day.1
        }
    }

    /// Absolute number of the period that contains `d`.
    pub fn index(self, d: NaiveDate) -> i64 {
        match self {
            Period::Day => (d - epoch()).num_days(),
            Period::Week => (d - week_origin()).num_days().div_euclid(7),
            Period::Month => d.year() as i64 * 12 + d.month0() as i64,
        }
    }

    /// First day of period number `i`.
    pub fn start(self, i: i64) -> NaiveDate {
        match self {
            Period::Day => add_days(epoch(), i),
            Period::Week => add_days(week_origin(), i * 7),
            Period::Month => {
                let y = i.div_euclid(12) as i32;
                let m = i.rem_euclid(12) as u32 + 1;
                NaiveDate::from_ymd_opt(y, m, 1).expect("month index maps to a valid date")
            }
        }
    }

    /// First day of the period containing `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        self.start(self.index(d))
    }
}

/// `d` plus `n` days (negative allowed), saturating at chrono's range.
pub fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(NaiveDate::MIN)
    }
}

/// Parses an ISO date `YYYY-MM-DD`; a time after the date (`T..` or ` ..`) is ignored, as
/// written by spreadsheets and Parquet datetime columns.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        Some(v)
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2024-01-01 is a Monday; 2024-01-07 a Sunday.
        assert_eq!(Period::Week.start_of(d("2024-01-07")), d("2024-01-01"));
        assert_eq!(Period::Week.start_of(d("2024-01-08")), d("2024-01-08"));
        assert_eq!(Period::Week.start_of(d("1969-12-31")), d("1969-12-29"));
        let i = Period::Week.index(d("2024-03-14"));
        assert_eq!(Period::Week.index(Period::Week.start(i)), i);
    }

    #[test]
    fn months_and_days_round_trip() {
        assert_eq!(Period::Month.start_of(d("2001-10-31")), d("2001-10-01"));
        assert_eq!(Period::Month.index(d("2002-01-01")) - Period::Month.index(d("2001-12-31")), 1);
        assert_eq!(Period::Day.start(Period::Day.index(d("2020-02-29"))), d("2020-02-29"));
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date("2024-02-29"), Some(d("2024-02-29")));
        assert_eq!(parse_date("2024-03-01T10:00:00"), Some(d("2024-03-01")));
        assert_eq!(parse_date("2024-03-01 00:00:00.000"), Some(d("2024-03-01")));
        assert_eq!(parse_date("2024-13-45"), None);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("01/03/2024"), None);
        assert_eq!(parse_date("2024-1-5"), None);
        assert_eq!(parse_date(""), None);
    }
}
