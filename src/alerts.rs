//! Alerts a planner acts on, from the plan, the open orders, the waiting customers and the
//! KPIs, against the thresholds of the `[alerts]` settings. Sorted by severity, then kind
//! (stockouts and waiting customers first, see [`KINDS`]), then SKU.

use chrono::NaiveDate;

use crate::backorder::Eta;
use crate::config::AlertSettings;
use crate::engine::Shape;
use crate::ingest::PurchaseOrder;
use crate::kpi::OrderCounts;
use crate::leadtime::{Incoming, Stats};
use crate::plan::PlanRow;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Act today.
    High,
    /// Act this week.
    Medium,
    /// Worth a look.
    Low,
}

impl Severity {
    /// `high`, `medium` or `low`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// Parses `high`, `medium` or `low`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// SKU code (empty for supplier and portfolio alerts).
    pub sku: String,
    /// Supplier code, when the alert concerns one.
    pub supplier: String,
    /// `stockout_before_arrival`, `below_reorder_point`, `overdue_po`, `backorder_late`,
    /// `excess_stock`, `supplier_late` or `kpi_threshold`.
    pub kind: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The measured figure (days, units, share or %; the message says which).
    pub value: Option<f64>,
    /// The threshold it was held against.
    pub threshold: Option<f64>,
    /// What is wrong, in words.
    pub message: String,
}

/// What the alerts are raised from.
pub struct AlertInput<'a> {
    /// Planning date.
    pub as_of: NaiveDate,
    /// Days per planning period.
    pub period_days: f64,
    /// Plan rows.
    pub rows: &'a [PlanRow],
    /// Open orders of each plan row's SKU, in due order (same order as `rows`).
    pub incoming: &'a [&'a [Incoming]],
    /// Purchase orders.
    pub purchase_orders: &'a [PurchaseOrder],
    /// SKU code by index.
    pub sku_name: &'a dyn Fn(u32) -> String,
    /// Open backorder lines with their dates.
    pub etas: &'a [Eta],
    /// Suppliers' receipt figures.
    pub suppliers: &'a [(&'a str, &'a Stats)],
    /// Order counts of the latest periods, oldest first.
    pub recent_kpis: &'a [(NaiveDate, OrderCounts)],
    /// Thresholds.
    pub settings: &'a AlertSettings,
}

fn days(a: NaiveDate, b: NaiveDate) -> f64 {
    (b - a).num_days() as f64
}

fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Every alert, most severe first.
pub fn alerts(x: &AlertInput) -> Vec<Alert> {
    let s = x.settings;
    let mut out = Vec::new();
    for (r, incoming) in x.rows.iter().zip(x.incoming) {
        // Stock runs out (on the mean forecast, counting open orders) before the next receipt:
        // the first open order, or an order placed today.
        let next = incoming.first().map_or((r.expected_arrival, "an order placed today"), |n| (n.due, "open order"));
        if let Some(out_day) = r.projected_stockout.filter(|d| *d < next.0) {
            let what = match incoming.first() {
                Some(n) => format!("open order {} due {}", n.po_id, n.due),
                None => format!("{} arriving {}", next.1, next.0),
            };
            out.push(Alert {
                sku: r.sku.clone(),
                supplier: r.supplier.clone(),
                kind: "stockout_before_arrival",
                severity: Severity::High,
                value: Some(days(x.as_of, out_day)),
                threshold: Some(days(x.as_of, next.0)),
                message: format!(
                    "{} runs out {} (in {} days), before the next receipt: {what}",
                    r.sku,
                    out_day,
                    days(x.as_of, out_day)
                ),
            });
        }
        // Below the reorder point: for (R,S) rows, whose reorder point is the order-up-to
        // level, the level less one review period's demand (where a continuous rule orders).
        let rop = match r.shape {
            Shape::RS => r.order_up_to - r.demand_per_period * r.review_periods,
            Shape::RsS | Shape::SnQ => r.reorder_point,
        };
        if r.inventory_position < rop && r.demand_per_period > 0.0 {
            out.push(Alert {
                sku: r.sku.clone(),
                supplier: r.supplier.clone(),
                kind: "below_reorder_point",
                severity: Severity::Medium,
                value: Some(r.inventory_position),
                threshold: Some(r3(rop)),
                message: format!(
                    "{}: inventory position {} is below the reorder point {}; suggested order {}",
                    r.sku,
                    r.inventory_position,
                    r3(rop),
                    r.order_qty
                ),
            });
        }
        // Excess: days of cover of the stock on hand.
        if r.on_hand > 0.0 {
            let cover =
                if r.demand_per_period > 0.0 { r.on_hand / r.demand_per_period * x.period_days } else { f64::INFINITY };
            if cover > s.excess_cover_days {
                let said = if cover.is_finite() {
                    format!("{:.0} days of cover", cover)
                } else {
                    "no demand forecast".to_string()
                };
                out.push(Alert {
                    sku: r.sku.clone(),
                    supplier: r.supplier.clone(),
                    kind: "excess_stock",
                    severity: Severity::Low,
                    value: cover.is_finite().then(|| r1(cover)),
                    threshold: Some(s.excess_cover_days),
                    message: format!(
                        "{}: {} on hand is {said} (value {:.2}), over {} days",
                        r.sku,
                        r.on_hand,
                        r.on_hand * r.unit_cost,
                        s.excess_cover_days
                    ),
                });
            }
        }
    }
    for p in x.purchase_orders {
        let Some(e) = p.expected_date.filter(|e| p.open_at(x.as_of) && *e < x.as_of) else { continue };
        let late = days(e, x.as_of);
        out.push(Alert {
            sku: (x.sku_name)(p.sku),
            supplier: p.supplier.to_string(),
            kind: "overdue_po",
            severity: if late > s.overdue_high_days { Severity::High } else { Severity::Medium },
            value: Some(late),
            threshold: Some(0.0),
            message: format!(
                "purchase order {} ({} units of {} from {}) was expected {e}: {late} days overdue",
                p.po_id,
                p.qty,
                (x.sku_name)(p.sku),
                p.supplier
            ),
        });
    }
    for e in x.etas {
        let sku = (x.sku_name)(e.sku);
        let line =
            if e.order_id.is_empty() { format!("backorder of {}", e.date) } else { format!("order {}", e.order_id) };
        let (severity, value, threshold, why) = match (e.eta, e.promised) {
            (None, _) => (
                Severity::High,
                None,
                Some(s.backorder_wait_days),
                "no stock, open order or suggested order covers it".to_string(),
            ),
            (Some(eta), Some(p)) if eta > p => (
                Severity::High,
                Some(days(x.as_of, eta)),
                Some(days(x.as_of, p)),
                format!("ships {eta}, after the promised {p}"),
            ),
            (Some(eta), _) if days(x.as_of, eta) > s.backorder_wait_days => (
                Severity::Medium,
                Some(days(x.as_of, eta)),
                Some(s.backorder_wait_days),
                format!("ships {eta}, {} days from now", days(x.as_of, eta)),
            ),
            _ => continue,
        };
        out.push(Alert {
            sku: sku.clone(),
            supplier: String::new(),
            kind: "backorder_late",
            severity,
            value,
            threshold,
            message: format!("{sku}: {line} ({} units, waiting since {}) {why}", e.qty, e.date),
        });
    }
    for (name, st) in x.suppliers {
        let (promised, late_days) = st.late();
        let Some(rate) = st.on_time.filter(|r| promised >= s.supplier_min_receipts && *r < s.supplier_on_time_min)
        else {
            continue;
        };
        out.push(Alert {
            sku: String::new(),
            supplier: name.to_string(),
            kind: "supplier_late",
            severity: Severity::Medium,
            value: Some(r3(rate)),
            threshold: Some(s.supplier_on_time_min),
            message: format!(
                "supplier {name} delivered {:.0}% of {} receipts on time (below {:.0}%), {:.1} days late on average",
                rate * 100.0,
                promised,
                s.supplier_on_time_min * 100.0,
                late_days
            ),
        });
    }
    if let Some(first) = x.recent_kpis.first() {
        let mut total = OrderCounts::default();
        for (_, c) in x.recent_kpis {
            total.orders += c.orders;
            total.backordered_orders += c.backordered_orders;
            total.units_ordered += c.units_ordered;
            total.units_backordered += c.units_backordered;
        }
        let since = first.0;
        if total.orders > 0 && total.backorder_rate() > s.max_backorder_rate {
            out.push(Alert {
                sku: String::new(),
                supplier: String::new(),
                kind: "kpi_threshold",
                severity: Severity::Medium,
                value: Some(r1(total.backorder_rate())),
                threshold: Some(s.max_backorder_rate),
                message: format!(
                    "backorder rate {:.1}% of {} orders since {since}, above {}%",
                    total.backorder_rate(),
                    total.orders,
                    s.max_backorder_rate
                ),
            });
        }
        if total.units_ordered > 0.0 && total.fill_rate() < s.min_fill_rate {
            out.push(Alert {
                sku: String::new(),
                supplier: String::new(),
                kind: "kpi_threshold",
                severity: Severity::Medium,
                value: Some(r1(total.fill_rate())),
                threshold: Some(s.min_fill_rate),
                message: format!(
                    "fill rate {:.1}% of units since {since}, below {}%",
                    total.fill_rate(),
                    s.min_fill_rate
                ),
            });
        }
    }
    out.sort_by(|a, b| a.severity.cmp(&b.severity).then(rank(a.kind).cmp(&rank(b.kind))).then(a.sku.cmp(&b.sku)));
    out
}

/// Kinds in the order a planner acts on them: customers about to wait or waiting, then
/// supply, then the portfolio.
const KINDS: [&str; 7] = [
    "stockout_before_arrival",
    "backorder_late",
    "overdue_po",
    "below_reorder_point",
    "supplier_late",
    "kpi_threshold",
    "excess_stock",
];

/// A kind's place in [`KINDS`] (unknown kinds last): alerts are sorted by it after severity.
pub fn rank(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len())
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::parse_date;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn orders_customers_suppliers_and_kpis_past_their_thresholds() {
        let po = |id: &str, expected: &str| PurchaseOrder {
            po_id: id.into(),
            sku: 0,
            supplier: "S1".into(),
            order_date: d("2025-05-01"),
            qty: 10.0,
            received_date: None,
            expected_date: Some(d(expected)),
            row: 1,
        };
        // Overdue by 3 days (medium) and by 20 (high); one not due yet.
        let pos = vec![po("P1", "2025-06-13"), po("P2", "2025-05-27"), po("P3", "2025-06-30")];
        let eta = |id: &str, eta: Option<&str>, promised: Option<&str>| Eta {
            sku: 0,
            order_id: id.into(),
            date: d("2025-06-01"),
            qty: 2.0,
            priority: None,
            promised: promised.map(d),
            eta: eta.map(d),
            source: "P1".into(),
            basis: "expected_date",
        };
        let etas = vec![
            eta("ON-TIME", Some("2025-06-20"), None),
            eta("SLOW", Some("2025-07-20"), None),
            eta("BROKEN-PROMISE", Some("2025-06-20"), Some("2025-06-18")),
            eta("NONE", None, None),
        ];
        let late = Stats { on_time: Some(0.5), delays: vec![4.0; 10], ..Stats::default() };
        let fine = Stats { on_time: Some(0.9), delays: vec![0.5; 10], ..Stats::default() };
        let few = Stats { on_time: Some(0.2), delays: vec![9.0; 2], ..Stats::default() };
        let suppliers = [("S1", &late), ("S2", &fine), ("S3", &few)];
        let counts = OrderCounts { orders: 100, backordered_orders: 8, units_ordered: 1000.0, units_backordered: 30.0 };
        let settings = AlertSettings::default();
        let name = |_: u32| "A".to_string();
        let a = alerts(&AlertInput {
            as_of: d("2025-06-16"),
            period_days: 7.0,
            rows: &[],
            incoming: &[],
            purchase_orders: &pos,
            sku_name: &name,
            etas: &etas,
            suppliers: &suppliers,
            recent_kpis: &[(d("2025-05-19"), counts)],
            settings: &settings,
        });
        let got: Vec<(&str, &str, Option<f64>)> = a.iter().map(|x| (x.severity.name(), x.kind, x.value)).collect();
        assert_eq!(
            got,
            vec![
                ("high", "backorder_late", Some(4.0)), // past the promise
                ("high", "backorder_late", None),      // nothing covers it
                ("high", "overdue_po", Some(20.0)),
                ("medium", "backorder_late", Some(34.0)),
                ("medium", "overdue_po", Some(3.0)),
                ("medium", "supplier_late", Some(0.5)), // S3 has too few receipts to judge
                ("medium", "kpi_threshold", Some(8.0)), // backorder rate 8% > 5%; fill rate 97% is fine
            ]
        );
        assert!(a[2].message.contains("P2") && a[2].message.contains("20 days overdue"), "{}", a[2].message);
    }
}
