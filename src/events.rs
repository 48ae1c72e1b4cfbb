//! Known events (promotions, launches) as demand multipliers per period. A period's lift is
//! the product, over the events of its SKU, of `1 + (factor - 1) x` the share of the period's
//! days the event covers. Past lifts are divided out of the history before fitting, so a
//! promotion's spike neither raises the baseline nor widens its spread; future lifts multiply
//! the forecast, its spread and so the reorder points that protect those periods.

use std::collections::HashMap;

use crate::ingest::{Event, Item};
use crate::period::Period;

/// The events that concern each SKU (by index), for SKUs with any.
pub fn by_sku<'a>(
    events: &'a [Event],
    n_skus: usize,
    items: Option<&HashMap<u32, Item>>,
) -> HashMap<u32, Vec<&'a Event>> {
    let mut out: HashMap<u32, Vec<&Event>> = HashMap::new();
    for e in events {
        match (e.sku, &e.category) {
            (Some(s), _) => out.entry(s).or_default().push(e),
            (None, Some(cat)) => {
                for (s, it) in items.into_iter().flatten() {
                    if it.category.as_deref() == Some(cat.as_str()) {
                        out.entry(*s).or_default().push(e);
                    }
                }
            }
            (None, None) => {
                for s in 0..n_skus as u32 {
                    out.entry(s).or_default().push(e);
                }
            }
        }
    }
    out
}

/// Lift of absolute period `p` under `events`, and the names of the events in force.
pub fn lift(events: &[&Event], period: Period, p: i64) -> (f64, Vec<String>) {
    let start = period.start(p);
    let next = period.start(p + 1);
    let days = (next - start).num_days().max(1) as f64;
    let mut lift = 1.0;
    let mut names = Vec::new();
    for e in events {
        let from = e.start.max(start);
        let to = e.end.min(next.pred_opt().unwrap_or(next));
        let covered = (to - from).num_days() + 1;
        if covered > 0 {
            lift *= 1.0 + (e.factor - 1.0) * covered as f64 / days;
            names.push(e.name.clone());
        }
    }
    (lift, names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::parse_date;

    fn ev(start: &str, end: &str, factor: f64) -> Event {
        Event {
            sku: Some(0),
            category: None,
            start: parse_date(start).unwrap(),
            end: parse_date(end).unwrap(),
            factor,
            name: start.to_string(),
        }
    }

    #[test]
    fn lift_is_pro_rata_to_the_days_covered() {
        let p = Period::Week;
        let week = p.index(parse_date("2026-01-05").unwrap()); // a Monday
                                                               // A whole week at x2.
        let a = ev("2026-01-05", "2026-01-11", 2.0);
        assert_eq!(lift(&[&a], p, week).0, 2.0);
        // Three of seven days at x3: 1 + 2 x 3/7.
        let b = ev("2026-01-09", "2026-01-20", 3.0);
        assert!((lift(&[&b], p, week).0 - (1.0 + 6.0 / 7.0)).abs() < 1e-12);
        // Both: the product; the week after only b, on its first two days... of seven.
        assert!((lift(&[&a, &b], p, week).0 - 2.0 * (1.0 + 6.0 / 7.0)).abs() < 1e-12);
        assert!((lift(&[&a, &b], p, week + 1).0 - 3.0).abs() < 1e-12);
        assert!((lift(&[&a, &b], p, week + 2).0 - (1.0 + 2.0 * 2.0 / 7.0)).abs() < 1e-12);
        assert_eq!(lift(&[&a, &b], p, week + 3), (1.0, vec![]));
    }
}
