//! Forecast speed on generated weekly data: `cargo bench --bench forecast_speed`.
//!
//! Generates `REPLEN_BENCH_SKUS` SKUs (default 100,000) x 156 weeks once into the system temp
//! folder, then times the whole forecast step as the command runs it (read, bucket, select
//! over all models, calibrate, write) with `--model auto` and reports series per second and the
//! process's peak memory. One timed run: a run takes tens of seconds, so repeated sampling
//! would say little more.

use std::time::Instant;

use replen::app::{forecast, RunOptions};
use replen::config::Settings;
use replen::forecast::ModelChoice;
use replen::generate::{generate, GenSettings};
use replen::ingest::Format;

fn peak_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let skus: usize = std::env::var("REPLEN_BENCH_SKUS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("replen-bench-{skus}x156"));
    if !dir.join("items.csv").exists() {
        let t = Instant::now();
        generate(
            &GenSettings { skus, weeks: 156, seed: 1, format: Format::Csv, patterns: Vec::new(), ..Default::default() },
            &dir,
        )
        .expect("generate");
        eprintln!("generated {skus} SKUs x 156 weeks in {:.1} s", t.elapsed().as_secs_f64());
    }
    let out = dir.join("out");
    let o = RunOptions {
        data: dir.clone(),
        out,
        as_of: None,
        settings: Settings { horizon: 8, ..Settings::default() },
        model: ModelChoice::Auto,
        all_charts: false,
        progress: Default::default(),
    };
    // Peak memory of the forecast alone: reset the high-water mark left by generation.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let s = forecast(&o).expect("forecast");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "forecast_speed: {} series in {:.1} s = {:.0} series/s; peak memory {:.0} MB",
        s.skus,
        secs,
        s.skus as f64 / secs,
        peak_mb().unwrap_or(f64::NAN)
    );
    println!("{}", s.calibration);
}
