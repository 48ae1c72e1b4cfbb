//! Bucketing and counting order lines: replen's passes over interned columns against the same
//! work as polars lazy group-bys. `cargo bench --bench relational`.
//!
//! Generates `REPLEN_BENCH_SKUS` items (default 20,000) x 156 weeks with `replen generate`
//! (or reads `REPLEN_BENCH_DATA`, such as the 100,000-item folder of
//! `../shared/checks/scale-plan-100k`), then runs each way in a process of its own, so that
//! each peak is its own:
//!
//! - demand series: every line's units summed per SKU and week (what `series::SeriesSet`
//!   does by adding into each SKU's zero-filled vector; polars groups by SKU and week);
//! - orders per week: each order counted in the week of its first line (what `kpi` does with
//!   one slot per interned order id; polars groups by order id, then by week).
//!
//! Prints each way's time and how far the process's peak memory rose above what the loaded
//! lines already held. Both ways must agree on the totals; the bench stops when they do not.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use polars::prelude::*;
use replen::generate::{generate, GenSettings};
use replen::ingest::{Dataset, Format, Load};
use replen::period::Period;
use replen::series::{SalesAre, SeriesSet};

/// A figure of this process's `/proc/self/status`, in kB (`VmHWM` its peak resident memory,
/// `VmRSS` the current).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Week number of every line (weeks from the calendar's origin, Monday-based).
fn weeks(ds: &Dataset) -> Vec<i32> {
    ds.sales.date.iter().map(|d| Period::Week.index(*d) as i32).collect()
}

/// Runs one way on the folder and prints `seconds peak_growth_kb total`.
fn probe(way: &str, dir: &Path) {
    let details = way.starts_with("orders");
    let load = Load { sales_details: details, ..Load::default() };
    let ds = Dataset::load(dir, load, &Default::default()).expect("the folder reads");
    let (_, last) = ds.sales_span().expect("the folder has sales");
    let as_of = last.succ_opt().expect("a day after the last sale");
    // The peak starts again from here (Linux: 5 written to clear_refs resets it), so the
    // loading's own peak does not hide the work's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kb("VmRSS:");
    let t = Instant::now();
    let total: f64 = match way {
        "series_replen" => {
            let set = SeriesSet::build(&ds.sales, None, SalesAre::Orders, Period::Week, as_of, ds.skus.len());
            set.series.iter().flat_map(|s| s.values.iter()).sum()
        }
        "series_polars" => {
            let end = Period::Week.index(as_of) as i32;
            let df = DataFrame::new_infer_height(vec![
                Column::new("sku".into(), ds.sales.sku.clone()),
                Column::new("week".into(), weeks(&ds)),
                Column::new("qty".into(), ds.sales.qty.to_vec()),
            ])
            .expect("equal columns");
            let out = df
                .lazy()
                .filter(col("week").lt(lit(end)))
                .group_by([col("sku"), col("week")])
                .agg([col("qty").sum()])
                .collect()
                .expect("the query runs");
            out.column("qty").expect("qty").f64().expect("f64").sum().unwrap_or(0.0)
        }
        "orders_replen" => {
            let ids = ds.sales.order_id.as_ref().expect("order ids");
            let mut first = vec![i64::MAX; ids.len()];
            let mut index = Period::Week.day_index();
            for (i, &id) in ids.line.iter().enumerate() {
                let p = index(ds.sales.date[i]);
                if let Some(f) = first.get_mut(id as usize) {
                    *f = (*f).min(p);
                }
            }
            let mut per: std::collections::BTreeMap<i64, usize> = Default::default();
            for p in first.iter().filter(|p| **p != i64::MAX) {
                *per.entry(*p).or_default() += 1;
            }
            per.values().sum::<usize>() as f64
        }
        "orders_polars" => {
            let ids = ds.sales.order_id.as_ref().expect("order ids");
            let df = DataFrame::new_infer_height(vec![
                Column::new("order".into(), ids.line.clone()),
                Column::new("week".into(), weeks(&ds)),
            ])
            .expect("equal columns");
            let out = df
                .lazy()
                .group_by([col("order")])
                .agg([col("week").min()])
                .group_by([col("week")])
                .agg([len().alias("orders")])
                .collect()
                .expect("the query runs");
            let n = out.column("orders").expect("orders").cast(&DataType::Float64).expect("cast");
            n.f64().expect("f64").sum().unwrap_or(0.0)
        }
        other => panic!("no way named {other}"),
    };
    println!("{:.3} {} {total}", t.elapsed().as_secs_f64(), status_kb("VmHWM:").saturating_sub(before));
}

fn data_folder() -> PathBuf {
    if let Ok(d) = std::env::var("REPLEN_BENCH_DATA") {
        return PathBuf::from(d);
    }
    let skus: usize = std::env::var("REPLEN_BENCH_SKUS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("replen-relational-{skus}"));
    if !dir.join("sales.csv").exists() {
        let g = GenSettings { skus, weeks: 156, seed: 1, format: Format::Csv, ..Default::default() };
        generate(&g, &dir).expect("generate writes the folder");
    }
    dir
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(k) = args.iter().position(|a| a == "--probe") {
        probe(&args[k + 1], Path::new(&args[k + 2]));
        return;
    }
    let dir = data_folder();
    let me = std::env::current_exe().expect("the bench knows its own path");
    println!("order lines of {}", dir.display());
    println!("{:<8} {:<8} {:>9} {:>16}", "work", "way", "seconds", "peak growth MB");
    for work in ["series", "orders"] {
        let mut totals = Vec::new();
        for way in ["replen", "polars"] {
            let out = Command::new(&me).arg("--probe").arg(format!("{work}_{way}")).arg(&dir).output().expect("runs");
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = text.split_whitespace().collect();
            assert!(out.status.success() && f.len() == 3, "{work} {way}: {}", String::from_utf8_lossy(&out.stderr));
            let kb: f64 = f[1].parse().unwrap_or(0.0);
            println!("{work:<8} {way:<8} {:>9} {:>16.0}", f[0], kb / 1024.0);
            totals.push(f[2].parse::<f64>().unwrap_or(f64::NAN));
        }
        assert!((totals[0] - totals[1]).abs() <= 1e-6 * totals[0].abs().max(1.0), "{work}: totals differ: {totals:?}");
    }
}
