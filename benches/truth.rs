//! The truth check at full size: `cargo bench --bench truth`.
//!
//! Generates 2,000-SKU portfolios on seeds that were never used to tune the planner: 8001,
//! 8002 and 8003 with every demand pattern, 8101-8103 and 8201-8203 with only smooth,
//! intermittent and lumpy demand (`REPLEN_TRUTH_SEEDS=8001,8101:stationary` and
//! `REPLEN_TRUTH_SKUS` change them). Plans each for 95% as cycle service and as fill rate, and
//! simulates every plan day by day under the generator's true demand and lead-time process for
//! 13 weeks (the planning horizon, 120 futures per SKU) and for 52 weeks (40 futures), beside
//! the textbook (R,S) rule at several targets. Prints target against achieved per demand
//! pattern, and the plan's stock against the textbook's at the same achieved service. The same
//! figures come from `replen truth --data FOLDER`.

use replen::app::{run_truth, RunOptions};
use replen::config::Settings;
use replen::forecast::ModelChoice;
use replen::generate::{generate, GenSettings};
use replen::ingest::Format;
use replen::truth::TruthSettings;

fn main() {
    let skus: usize = std::env::var("REPLEN_TRUTH_SKUS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let seeds: Vec<(u64, Vec<String>)> = std::env::var("REPLEN_TRUTH_SEEDS")
        .unwrap_or_else(|_| "8001,8002,8003,8101:stationary,8102:stationary,8103:stationary,8201:stationary,8202:stationary,8203:stationary".into())
        .split(',')
        .filter_map(|s| {
            let (seed, kind) = s.trim().split_once(':').unwrap_or((s.trim(), ""));
            let patterns = if kind == "stationary" {
                ["smooth", "intermittent", "lumpy"].iter().map(|p| p.to_string()).collect()
            } else {
                Vec::new()
            };
            seed.parse().ok().map(|x| (x, patterns))
        })
        .collect();
    for (seed, patterns) in seeds {
        let dir = std::env::temp_dir().join(format!("replen-truth-{skus}-{seed}-{}", patterns.join("+")));
        if !dir.join("ground_truth.csv").exists() {
            let g = GenSettings {
                skus,
                weeks: 156,
                seed,
                format: Format::Csv,
                patterns: patterns.clone(),
                ..Default::default()
            };
            generate(&g, &dir).expect("generate");
        }
        for (weeks, paths) in [(13, 120), (52, 40)] {
            let out = dir.join(format!("out{weeks}"));
            std::fs::create_dir_all(&out).expect("output folder");
            let o = RunOptions {
                data: dir.clone(),
                out,
                as_of: None,
                settings: Settings::default(),
                model: ModelChoice::Auto,
                all_charts: false,
                progress: Default::default(),
            };
            let ts = TruthSettings { paths, weeks, warmup: 13, seed: 20_261_127 };
            let s = run_truth(&o, 0.95, &ts, false).expect("truth check");
            let kind = if patterns.is_empty() { "every pattern".to_string() } else { patterns.join(", ") };
            println!("seed {seed} ({kind}), {skus} SKUs, {weeks} weeks counted, {paths} futures per SKU");
            for line in s.lines() {
                println!("  {line}");
            }
        }
    }
}
