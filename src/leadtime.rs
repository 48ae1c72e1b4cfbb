//! Supplier lead times measured from purchase-order receipts, and what is still on order.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::ingest::{Item, PurchaseOrder};

/// Lead-time figures of one SKU, in days.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    /// Mean lead time.
    pub mean: f64,
    /// Standard deviation (0 with fewer than two receipts).
    pub sd: f64,
    /// Receipts measured.
    pub receipts: usize,
    /// `history` when measured, `planned` when taken from the item master.
    pub source: &'static str,
}

/// Lead time per SKU from receipts before `as_of`, falling back to the planned lead time.
/// Receipts dated before their order are skipped and reported in the returned warnings.
pub fn lead_times(
    items: &HashMap<u32, Item>,
    pos: &[PurchaseOrder],
    as_of: NaiveDate,
) -> (HashMap<u32, LeadTime>, Vec<String>) {
    let mut samples: HashMap<u32, Vec<f64>> = HashMap::new();
    let mut bad = Vec::new();
    for p in pos {
        let Some(r) = p.received_date else { continue };
        if r >= as_of {
            continue;
        }
        let days = (r - p.order_date).num_days();
        if days < 0 {
            bad.push(p.row);
            continue;
        }
        samples.entry(p.sku).or_default().push(days as f64);
    }
    let mut warnings = Vec::new();
    if !bad.is_empty() {
        let rows: Vec<String> = bad.iter().take(8).map(|r| r.to_string()).collect();
        warnings.push(format!(
            "{} purchase-order receipt(s) are dated before their order and were left out of lead times (rows {}{})",
            bad.len(),
            rows.join(", "),
            if bad.len() > 8 { ", ..." } else { "" }
        ));
    }
    let out = items
        .iter()
        .map(|(&sku, item)| {
            let lt = match samples.get(&sku) {
                Some(v) if !v.is_empty() => {
                    let n = v.len() as f64;
                    let mean = v.iter().sum::<f64>() / n;
                    let sd = if v.len() > 1 {
                        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                    } else {
                        0.0
                    };
                    LeadTime { mean, sd, receipts: v.len(), source: "history" }
                }
                _ => LeadTime { mean: item.lead_time_days, sd: 0.0, receipts: 0, source: "planned" },
            };
            (sku, lt)
        })
        .collect();
    (out, warnings)
}

/// Units on order per SKU at `as_of`: lines ordered before it and not received before it.
pub fn on_order(pos: &[PurchaseOrder], as_of: NaiveDate) -> HashMap<u32, f64> {
    let mut out: HashMap<u32, f64> = HashMap::new();
    for p in pos {
        if p.order_date < as_of && p.received_date.is_none_or(|r| r >= as_of) {
            *out.entry(p.sku).or_default() += p.qty;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::parse_date;

    fn po(sku: u32, od: &str, rd: Option<&str>, qty: f64, row: usize) -> PurchaseOrder {
        PurchaseOrder {
            po_id: format!("P{row}"),
            sku,
            supplier: "S".into(),
            order_date: parse_date(od).unwrap(),
            qty,
            received_date: rd.map(|d| parse_date(d).unwrap()),
            expected_date: None,
            row,
        }
    }

    fn item(lt: f64) -> Item {
        Item {
            sku: 0,
            supplier: "S".into(),
            unit_cost: 1.0,
            lead_time_days: lt,
            moq: 0.0,
            order_multiple: 1.0,
            service_level: None,
            order_cost: None,
            holding_rate: None,
            description: None,
            category: None,
        }
    }

    #[test]
    fn measured_and_planned_lead_times() {
        let items: HashMap<u32, Item> = [(0, item(10.0)), (1, item(21.0))].into_iter().collect();
        let pos = vec![
            po(0, "2024-01-01", Some("2024-01-11"), 5.0, 1),
            po(0, "2024-02-01", Some("2024-02-15"), 5.0, 2),
            po(0, "2024-03-01", Some("2024-02-20"), 5.0, 3), // impossible: left out
            po(0, "2024-03-10", None, 7.0, 4),
            po(0, "2024-03-20", Some("2024-04-10"), 3.0, 5), // received after as-of: on order
        ];
        let as_of = parse_date("2024-04-01").unwrap();
        let (lt, warnings) = lead_times(&items, &pos, as_of);
        assert_eq!(lt[&0].receipts, 2);
        assert!((lt[&0].mean - 12.0).abs() < 1e-12);
        assert!((lt[&0].sd - 8f64.sqrt()).abs() < 1e-12);
        assert_eq!(lt[&1].source, "planned");
        assert_eq!(lt[&1].mean, 21.0);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("rows 3"));
        assert_eq!(on_order(&pos, as_of)[&0], 10.0);
    }
}
