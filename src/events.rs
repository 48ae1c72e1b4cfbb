//! Known events (promotions, launches) as demand multipliers per period. A period's lift is
//! the product, over the events of its SKU, of `1 + (factor - 1) x` the share of the period's
//! days the event covers. Past lifts are divided out of the history before fitting, so a
//! promotion's spike neither raises the baseline nor widens its spread; future lifts multiply
//! the forecast, its spread and so the reorder points that protect those periods.

use std::collections::HashMap;

use crate::ingest::{split_key, Event, Item, Skus};
use crate::period::Period;

/// The events that concern each planning key (`SKU` or `SKU @ LOCATION`, by index), for keys
/// with any: an event's SKU at every location (or at its location); an event without a SKU,
/// every SKU (of its category, at its location, when it names them).
pub fn by_sku<'a>(
    events: &'a [Event],
    skus: &Skus,
    items: Option<&HashMap<u32, Item>>,
) -> HashMap<u32, Vec<&'a Event>> {
    let mut out: HashMap<u32, Vec<&Event>> = HashMap::new();
    if events.is_empty() {
        return out;
    }
    // Each key's SKU code and location, and the keys of each code.
    let split: Vec<(&str, &str)> = (0..skus.len() as u32).map(|k| split_key(skus.name(k))).collect();
    let mut keys_of: HashMap<&str, Vec<u32>> = HashMap::new();
    for (k, (code, _)) in split.iter().enumerate() {
        keys_of.entry(code).or_default().push(k as u32);
    }
    let all: Vec<u32> = (0..skus.len() as u32).collect();
    for e in events {
        let keys = match &e.sku {
            Some(code) => keys_of.get(code.as_str()).map_or(&[][..], Vec::as_slice),
            None => &all[..],
        };
        for &k in keys {
            let at = split[k as usize].1;
            let place = e.location.as_deref().is_none_or(|l| l == at);
            // A category narrows an event for every SKU; one SKU's event is that SKU's.
            let kind = e.sku.is_some()
                || e.category
                    .as_deref()
                    .is_none_or(|c| items.and_then(|m| m.get(&k)).and_then(|it| it.category.as_deref()) == Some(c));
            if place && kind {
                out.entry(k).or_default().push(e);
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
            sku: Some("A".into()),
            location: None,
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

    #[test]
    fn an_event_finds_its_sku_at_every_location_or_at_its_own() {
        let mut skus = Skus::default();
        for k in ["A @ North", "A @ South", "B @ North", "A"] {
            skus.intern(k);
        }
        let at = |sku: Option<&str>, location: Option<&str>| Event {
            sku: sku.map(String::from),
            location: location.map(String::from),
            ..ev("2026-01-05", "2026-01-11", 2.0)
        };
        let events = [
            at(Some("A"), None),
            at(Some("A"), Some("South")),
            at(None, Some("North")),
            at(None, None),
            at(Some("C"), None),
        ];
        let got = by_sku(&events, &skus, None);
        let which = |key: &str| -> Vec<usize> {
            let k = skus.get(key).unwrap();
            got[&k].iter().map(|e| events.iter().position(|x| std::ptr::eq(x, *e)).unwrap()).collect()
        };
        assert_eq!(which("A @ North"), [0, 2, 3]);
        assert_eq!(which("A @ South"), [0, 1, 3]);
        assert_eq!(which("B @ North"), [2, 3]);
        assert_eq!(which("A"), [0, 3]);
    }
}
