//! Demand series: sales lines bucketed per SKU into periods, zero-filled from the SKU's first
//! sale to the last whole period before the as-of date. The maths downstream sees only these
//! plain vectors.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ingest::{Backorder, Sales};
use crate::period::Period;

/// What the `qty` of the sales file measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SalesAre {
    /// Units customers ordered, served on time or not: demand itself.
    #[default]
    Orders,
    /// Units shipped: demand is shipments plus backorders when created, less backorder fills
    /// when shipped (a filled backorder is counted once).
    Shipments,
}

impl SalesAre {
    /// Parses `orders` or `shipments`.
    pub fn parse(s: &str) -> Option<SalesAre> {
        match s.trim().to_ascii_lowercase().as_str() {
            "orders" => Some(SalesAre::Orders),
            "shipments" => Some(SalesAre::Shipments),
            _ => None,
        }
    }
}

/// Demand of one SKU per period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemandSeries {
    /// Absolute period number of `values[0]`.
    pub start: i64,
    /// Demand per period, oldest first; empty when the SKU has no sale before the cut-off.
    pub values: Vec<f64>,
}

/// Demand series of every SKU, on one calendar.
#[derive(Debug, Clone)]
pub struct SeriesSet {
    /// Bucket length.
    pub period: Period,
    /// Planning date: history is strictly before it.
    pub as_of: NaiveDate,
    /// Absolute number of the first period not in the history (the one containing `as_of`).
    pub end: i64,
    /// One series per SKU index.
    pub series: Vec<DemandSeries>,
}

impl SeriesSet {
    /// Buckets `sales` (with backorders moved to their creation date when sales are shipments)
    /// for `n_skus` SKUs.
    pub fn build(
        sales: &Sales,
        backorders: Option<&[Backorder]>,
        sales_are: SalesAre,
        period: Period,
        as_of: NaiveDate,
        n_skus: usize,
    ) -> SeriesSet {
        let end = period.index(as_of);
        let extra: &[Backorder] = match (sales_are, backorders) {
            (SalesAre::Shipments, Some(b)) => b,
            _ => &[],
        };
        // With shipments, demand is what shipped, plus each backorder when it was created, less
        // its fill when that shipped (the fill is a shipment too: counted once, when ordered).
        let lines = || {
            sales
                .sku
                .iter()
                .zip(&sales.date)
                .zip(sales.qty.iter())
                .map(|((s, d), q)| (*s, *d, q))
                .chain(extra.iter().map(|b| (b.sku, b.date, b.qty)))
                .chain(extra.iter().filter(|b| !b.cancelled).filter_map(|b| b.filled_date.map(|f| (b.sku, f, -b.qty))))
        };
        let mut index = period.day_index();
        let mut first = vec![i64::MAX; n_skus];
        for (s, d, q) in lines() {
            let p = index(d);
            if q > 0.0 && p < end && p < first[s as usize] {
                first[s as usize] = p;
            }
        }
        let mut series: Vec<DemandSeries> = first
            .iter()
            .map(|&f| {
                if f == i64::MAX {
                    DemandSeries { start: end, values: Vec::new() }
                } else {
                    DemandSeries { start: f, values: vec![0.0; (end - f) as usize] }
                }
            })
            .collect();
        for (s, d, q) in lines() {
            let p = index(d);
            let ser = &mut series[s as usize];
            if p < end && p >= ser.start {
                ser.values[(p - ser.start) as usize] += q;
            }
        }
        if !extra.is_empty() {
            // A fill whose shipment is missing from the export would leave a period below zero.
            series.iter_mut().flat_map(|s| s.values.iter_mut()).for_each(|v| *v = v.max(0.0));
        }
        SeriesSet { period, as_of, end, series }
    }

    /// Start date of the `k`-th future period (0 = the period containing `as_of`... see
    /// [`SeriesSet::horizon_start`]).
    pub fn future_start(&self, k: usize) -> NaiveDate {
        self.period.start(self.horizon_start() + k as i64)
    }

    /// Absolute number of the first forecast period. When `as_of` falls inside a period, that
    /// partial period is not history and the forecast starts with it.
    pub fn horizon_start(&self) -> i64 {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::OptNum;
    use crate::period::parse_date;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn sales(rows: &[(u32, &str, f64)]) -> Sales {
        Sales {
            sku: rows.iter().map(|r| r.0).collect(),
            date: rows.iter().map(|r| d(r.1)).collect(),
            qty: rows.iter().map(|r| r.2).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn weekly_buckets_zero_fill_and_cut_off() {
        // 2024-01-01 is a Monday. as-of Wednesday 2024-01-24: the week of 01-22 is partial.
        let s = sales(&[
            (0, "2024-01-02", 3.0),
            (0, "2024-01-07", 2.0),
            (0, "2024-01-16", 4.0),
            (0, "2024-01-22", 9.0), // partial week: left out
            (1, "2024-01-23", 1.0), // only sale in the partial week: no history
        ]);
        let set = SeriesSet::build(&s, None, SalesAre::Orders, Period::Week, d("2024-01-24"), 2);
        assert_eq!(set.series[0].values, vec![5.0, 0.0, 4.0]);
        assert_eq!(Period::Week.start(set.series[0].start), d("2024-01-01"));
        assert!(set.series[1].values.is_empty());
        assert_eq!(set.future_start(0), d("2024-01-22"));
    }

    #[test]
    fn shipments_add_backorders_of_the_same_period() {
        let s = sales(&[(0, "2024-03-05", 10.0)]);
        let b = vec![Backorder {
            sku: 0,
            date: d("2024-03-20"),
            qty: 4.0,
            filled_date: None,
            order_id: None,
            cancelled: false,
            priority: OptNum::NONE,
            promised_date: None,
            row: 1,
        }];
        let set = SeriesSet::build(&s, Some(&b), SalesAre::Shipments, Period::Month, d("2024-04-01"), 1);
        assert_eq!(set.series[0].values, vec![14.0]);
        // Filled in April and shipped then: April's shipment of 4 is that fill, not new demand.
        let filled = vec![Backorder { filled_date: Some(d("2024-04-10")), ..b[0].clone() }];
        let s2 = sales(&[(0, "2024-03-05", 10.0), (0, "2024-04-10", 4.0), (0, "2024-04-20", 6.0)]);
        let set = SeriesSet::build(&s2, Some(&filled), SalesAre::Shipments, Period::Month, d("2024-05-01"), 1);
        assert_eq!(set.series[0].values, vec![14.0, 6.0]);
        let set = SeriesSet::build(&s, Some(&b), SalesAre::Orders, Period::Month, d("2024-04-01"), 1);
        assert_eq!(set.series[0].values, vec![10.0]);
    }
}
