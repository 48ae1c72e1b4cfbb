//! When each waiting customer's goods ship. Open backorder lines of a SKU are served in turn
//! (lines with a `priority` first, lowest number first; then oldest first; then file order)
//! from the supply as it comes: stock on hand now, the open purchase orders in the order they
//! are due, then this plan's suggested order. A line's date is the day the supply that
//! completes it arrives.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::ingest::Backorder;
use crate::leadtime::Incoming;

/// One open backorder line with its estimated fill date.
#[derive(Debug, Clone, PartialEq)]
pub struct Eta {
    /// SKU index.
    pub sku: u32,
    /// Customer order id (empty when the file has none).
    pub order_id: String,
    /// Day the backorder was created.
    pub date: NaiveDate,
    /// Units waiting.
    pub qty: f64,
    /// Priority from the file, when given.
    pub priority: Option<f64>,
    /// Date promised to the customer, when given.
    pub promised: Option<NaiveDate>,
    /// Estimated day the line can ship; `None` when no planned supply covers it.
    pub eta: Option<NaiveDate>,
    /// What completes it: `stock`, a purchase order number, `proposal`, or `none`.
    pub source: String,
    /// The rule that gave the date: `on_hand`, the open order's (`expected_date`,
    /// `expected_date+supplier_delay`, `order_date+lead_time`, `overdue`), `proposal`
    /// (ordered today, arriving after the planned lead time), or `not_covered`.
    pub basis: &'static str,
}

/// This plan's suggested order for a SKU: units and expected arrival.
pub type Proposal = (f64, NaiveDate);

/// Units of supply left below which a line counts as served (rounding of fractional units).
const EPS: f64 = 1e-9;

/// Dates every open backorder line at `as_of` (created before it, not cancelled, not filled
/// before it), in SKU order then serving order.
pub fn etas<'a>(
    backorders: impl IntoIterator<Item = &'a Backorder>,
    as_of: NaiveDate,
    on_hand: impl Fn(u32) -> f64,
    incoming: &HashMap<u32, Vec<Incoming>>,
    proposal: impl Fn(u32) -> Option<Proposal>,
) -> Vec<Eta> {
    let mut by_sku: HashMap<u32, Vec<&'a Backorder>> = HashMap::new();
    for b in backorders {
        if b.open_at(as_of) && b.qty > 0.0 {
            by_sku.entry(b.sku).or_default().push(b);
        }
    }
    let mut skus: Vec<u32> = by_sku.keys().copied().collect();
    skus.sort_unstable();
    let mut out = Vec::new();
    for sku in skus {
        let mut lines = by_sku.remove(&sku).unwrap_or_default();
        lines.sort_by(|a, b| {
            let p = |x: &Backorder| x.priority.get().unwrap_or(f64::INFINITY);
            p(a).total_cmp(&p(b)).then(a.date.cmp(&b.date)).then(a.row.cmp(&b.row))
        });
        // Supply in the order it comes: (source, day, units, basis).
        let mut supply: Vec<(String, NaiveDate, f64, &'static str)> = Vec::new();
        let stock = on_hand(sku);
        if stock > 0.0 {
            supply.push(("stock".into(), as_of, stock, "on_hand"));
        }
        for x in incoming.get(&sku).into_iter().flatten() {
            supply.push((x.po_id.clone(), x.due, x.qty, x.basis));
        }
        if let Some((qty, day)) = proposal(sku).filter(|p| p.0 > 0.0) {
            supply.push(("proposal".into(), day, qty, "proposal"));
        }
        let mut k = 0;
        let mut left = supply.first().map_or(0.0, |s| s.2);
        for b in lines {
            let mut need = b.qty;
            while need > EPS && k < supply.len() {
                let take = need.min(left);
                need -= take;
                left -= take;
                if need > EPS {
                    k += 1;
                    left = supply.get(k).map_or(0.0, |s| s.2);
                }
            }
            let (eta, source, basis) = match supply.get(k) {
                Some(s) if need <= EPS => (Some(s.1), s.0.clone(), s.3),
                _ => (None, "none".to_string(), "not_covered"),
            };
            if left <= EPS && k < supply.len() {
                k += 1;
                left = supply.get(k).map_or(0.0, |s| s.2);
            }
            out.push(Eta {
                sku,
                order_id: b.order_id.as_deref().unwrap_or_default().to_string(),
                date: b.date,
                qty: b.qty,
                priority: b.priority.get(),
                promised: b.promised_date,
                eta,
                source,
                basis,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{row_number, OptNum};
    use crate::period::parse_date;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn back(id: &str, date: &str, qty: f64, row: usize) -> Backorder {
        Backorder {
            sku: 0,
            date: d(date),
            qty,
            filled_date: None,
            order_id: Some(id.into()),
            cancelled: false,
            priority: OptNum::NONE,
            promised_date: None,
            row: row_number(row),
        }
    }

    fn po(id: &str, due: &str, qty: f64) -> Incoming {
        Incoming { po_id: id.into(), due: d(due), qty, basis: "expected_date", spread: vec![0.0] }
    }

    #[test]
    fn oldest_first_over_two_orders_and_the_proposal() {
        // The hand case of the acceptance check: B1 5, B2 10, B3 30; P1 8, P2 20; proposal 40.
        let backs = vec![
            back("B3", "2025-06-06", 30.0, 3),
            back("B1", "2025-06-02", 5.0, 1),
            back("B2", "2025-06-04", 10.0, 2),
        ];
        let inc: HashMap<u32, Vec<Incoming>> =
            [(0, vec![po("P1", "2025-06-20", 8.0), po("P2", "2025-07-07", 20.0)])].into_iter().collect();
        let e = etas(&backs, d("2025-06-16"), |_| 0.0, &inc, |_| Some((40.0, d("2025-07-14"))));
        let got: Vec<(&str, Option<NaiveDate>, &str)> =
            e.iter().map(|x| (x.order_id.as_str(), x.eta, x.source.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("B1", Some(d("2025-06-20")), "P1"),
                ("B2", Some(d("2025-07-07")), "P2"),
                ("B3", Some(d("2025-07-14")), "proposal")
            ]
        );
    }

    #[test]
    fn stock_first_priority_first_and_uncovered_lines_say_so() {
        let mut urgent = back("U", "2025-06-05", 4.0, 3);
        urgent.priority = Some(1.0).into();
        let mut filled = back("F", "2025-05-01", 9.0, 4);
        filled.filled_date = Some(d("2025-05-03"));
        let backs = vec![back("A", "2025-06-01", 3.0, 1), back("B", "2025-06-02", 6.0, 2), urgent, filled];
        let inc: HashMap<u32, Vec<Incoming>> = [(0, vec![po("P", "2025-06-30", 2.0)])].into_iter().collect();
        let e = etas(&backs, d("2025-06-16"), |_| 5.0, &inc, |_| None);
        let got: Vec<(&str, Option<NaiveDate>, &str, &str)> =
            e.iter().map(|x| (x.order_id.as_str(), x.eta, x.source.as_str(), x.basis)).collect();
        assert_eq!(
            got,
            vec![
                ("U", Some(d("2025-06-16")), "stock", "on_hand"),
                ("A", Some(d("2025-06-30")), "P", "expected_date"),
                ("B", None, "none", "not_covered"),
            ]
        );
    }

    #[test]
    fn an_exact_fit_moves_on_to_the_next_supply() {
        let backs = vec![back("A", "2025-06-01", 8.0, 1), back("B", "2025-06-02", 1.0, 2)];
        let inc: HashMap<u32, Vec<Incoming>> =
            [(0, vec![po("P1", "2025-06-20", 8.0), po("P2", "2025-06-27", 5.0)])].into_iter().collect();
        let e = etas(&backs, d("2025-06-16"), |_| 0.0, &inc, |_| None);
        assert_eq!(e[0].source, "P1");
        assert_eq!(e[1].source, "P2");
    }
}
