//! `replen check`: validate every file of an input folder and summarise it.

use super::*;

/// What `check` found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Rows per file read.
    pub rows: Vec<(String, usize)>,
    /// Distinct SKUs across all files.
    pub skus: usize,
    /// Distinct SKUs with sales.
    pub skus_with_sales: usize,
    /// First and last sales date.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Validates every file present in `dir`, each read as `files` says.
pub fn check(dir: &Path, files: &crate::source::FileSpecs) -> Result<CheckReport> {
    let ds = Dataset::load(
        dir,
        Load {
            sales_details: true,
            planning: true,
            planning_required: false,
            backorders: true,
            items: true,
            check_only: true,
            orders_whole: false,
        },
        files,
    )?;
    let mut warnings = ds.warnings.clone();
    for (name, missing) in [("items", ds.items.is_none()), ("inventory", ds.inventory.is_none())] {
        if missing {
            warnings.push(format!("no `{name}` file: `plan` needs one (`forecast` and `kpi` do not)"));
        }
    }
    if let (Some(pos), Some((_, last))) = (&ds.purchase_orders, ds.sales_span()) {
        // Receipts that cannot be measured, as `plan` would leave them out.
        let as_of = crate::period::add_days(last, 1);
        warnings.extend(crate::leadtime::left_out_warning(&crate::leadtime::unmeasurable(pos, as_of)));
    }
    let mut seen = vec![false; ds.skus.len()];
    for &s in &ds.sales.sku {
        seen[s as usize] = true;
    }
    Ok(CheckReport {
        rows: ds.rows.clone(),
        skus: ds.skus.len(),
        skus_with_sales: seen.iter().filter(|x| **x).count(),
        span: ds.sales_span(),
        warnings,
    })
}
