//! `replen leadtimes`: supplier and SKU lead-time figures from the purchase-order file alone,
//! for supplier reviews without the rest of the folder.

use super::*;
use crate::ingest::{read_purchase_orders, require, Skus};
use crate::source::FileSpecs;

/// Summary of a lead-time run.
#[derive(Debug, Clone)]
pub struct LeadTimesSummary {
    /// Receipts are counted before this date.
    pub as_of: NaiveDate,
    /// Purchase-order rows read.
    pub rows: usize,
    /// Per supplier: code, receipts, mean days, on-time rate.
    pub suppliers: Vec<(String, usize, f64, Option<f64>)>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Reads `purchase_orders` of `data` as `files` says and writes `OUT/lead_times.csv`: one row
/// per supplier, then one per SKU and supplier, each over the receipts before `as_of` (default:
/// the day after the latest date in the file).
pub fn run_leadtimes(data: &Path, out: &Path, files: &FileSpecs, as_of: Option<NaiveDate>) -> Result<LeadTimesSummary> {
    let src = require(data, "purchase_orders", files)?;
    let mut skus = Skus::default();
    let mut rejected = Vec::new();
    let pos = read_purchase_orders(&src, &mut skus, &mut rejected)?;
    let latest = pos.iter().flat_map(|p| [Some(p.order_date), p.received_date]).flatten().max();
    let as_of = as_of.or(latest.map(|d| add_days(d, 1))).ok_or_else(|| Error::Setting {
        name: "--as-of".into(),
        value: String::new(),
        expected: "a date, since the purchase orders have none".into(),
    })?;
    let m = crate::leadtime::measure(&pos, as_of, |p| Some((p.sku, p.supplier.to_string())), |_| None);
    let mut warnings: Vec<String> = src.note.iter().cloned().chain(m.warning()).collect();
    if !rejected.is_empty() {
        let rows: std::collections::BTreeSet<usize> = rejected.iter().map(|r| r.row).collect();
        warnings.push(format!(
            "{} bad row(s) of {} were left out: each problem is listed in rejected_rows.csv",
            rows.len(),
            src.file_name()
        ));
    }
    let mut by_sku: Vec<(&(u32, String), &Stats)> = m.sku.iter().collect();
    by_sku.sort_by(|a, b| skus.name(a.0 .0).cmp(skus.name(b.0 .0)).then(a.0 .1.cmp(&b.0 .1)));
    let rows: Vec<(&str, &str, &str, &Stats)> = m
        .supplier
        .iter()
        .map(|(sup, st)| ("supplier", "", sup.as_str(), st))
        .chain(by_sku.iter().map(|((k, sup), st)| ("sku", skus.name(*k), sup.as_str(), *st)))
        .collect();
    let file = out.join("lead_times.csv");
    write_csv(lead_time_figures(&rows), &file)?;
    let files = std::iter::once(file).chain(write_rejected(&rejected, src.spec.skips_bad_rows(), out)?).collect();
    Ok(LeadTimesSummary {
        as_of,
        rows: pos.len(),
        suppliers: m.supplier.iter().map(|(s, st)| (s.clone(), st.receipts, st.mean, st.on_time)).collect(),
        files,
        warnings,
    })
}

/// `lead_times.csv` of `leadtimes`: scope, SKU, location, supplier, then the receipts' count,
/// mean, sample standard deviation (empty for one receipt), median, 90th percentile, range,
/// on-time share of those with a promised date, and their mean days late.
fn lead_time_figures(rows: &[(&str, &str, &str, &Stats)]) -> Table {
    let late = |s: &Stats| s.late();
    Table::new()
        .text("scope", rows.iter().map(|r| r.0))
        .sku_location(rows.iter().map(|r| r.1))
        .text("supplier", rows.iter().map(|r| r.2))
        .int("receipts", rows.iter().map(|r| r.3.receipts as u64))
        .num("mean_days", rows.iter().map(|r| r.3.mean))
        .opt_num("sd_days", rows.iter().map(|r| (r.3.receipts > 1).then_some(r.3.sd)))
        .num("p50_days", rows.iter().map(|r| r.3.p50))
        .num("p90_days", rows.iter().map(|r| r.3.p90))
        .opt_num("min_days", rows.iter().map(|r| r.3.samples.first().copied()))
        .opt_num("max_days", rows.iter().map(|r| r.3.samples.last().copied()))
        .opt_num("on_time_rate", rows.iter().map(|r| r.3.on_time))
        .int("promised_receipts", rows.iter().map(|r| late(r.3).0 as u64))
        .opt_num("mean_days_late", rows.iter().map(|r| (late(r.3).0 > 0).then_some(late(r.3).1)))
}
