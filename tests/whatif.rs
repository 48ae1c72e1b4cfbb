//! What-if and simulation on generated data with known processes.

use std::path::Path;

use replen::app::{run_whatif, RunOptions};
use replen::config::Settings;
use replen::forecast::ModelChoice;
use replen::generate::{generate, GenSettings};
use replen::ingest::Format;
use replen::whatif::parse;

fn data(dir: &Path, skus: usize) {
    generate(&GenSettings { skus, weeks: 104, seed: 11, format: Format::Csv }, dir).unwrap();
}

fn options(data: &Path, out: &Path, paths: usize) -> RunOptions {
    RunOptions {
        data: data.to_path_buf(),
        out: out.to_path_buf(),
        as_of: None,
        settings: Settings { paths, simulations: 500, ..Settings::default() },
        model: ModelChoice::Auto,
        all_charts: false,
        progress: Default::default(),
    }
}

/// whatif.csv as (scenario -> column -> value).
fn read(out: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(out.join("whatif.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines.map(|l| head.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

fn num(row: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    row[k].parse().unwrap()
}

#[test]
fn simulated_service_meets_the_targets_and_same_seed_gives_same_numbers() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    data(&d, 40);
    let scenarios = vec![parse("csl95:service=0.95").unwrap(), parse("fr95:fill_rate=0.95").unwrap()];
    let out = t.path().join("o");
    run_whatif(&options(&d, &out, 200), &scenarios).unwrap();
    let rows = read(&out);
    let csl = rows.iter().find(|r| r["scenario"] == "csl95").unwrap();
    let fr = rows.iter().find(|r| r["scenario"] == "fr95").unwrap();
    let (c, f) = (num(csl, "sim_cycle_service"), num(fr, "sim_fill_rate"));
    eprintln!("95% cycle service planned -> {c:.4} simulated; 95% fill rate planned -> {f:.4} simulated");
    assert!((c - 0.95).abs() <= 0.02, "cycle service {c}");
    assert!((f - 0.95).abs() <= 0.02, "fill rate {f}");
    // Same seed, same numbers.
    let again = t.path().join("o2");
    run_whatif(&options(&d, &again, 200), &scenarios).unwrap();
    assert_eq!(std::fs::read(out.join("whatif.csv")).unwrap(), std::fs::read(again.join("whatif.csv")).unwrap());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4))]

    /// A higher service target never gives less safety stock or a lower simulated fill rate.
    #[test]
    fn higher_targets_never_give_less_stock_or_service(lo in 0.80f64..0.97, step in 0.005f64..0.03) {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("d");
        data(&d, 15);
        let hi = (lo + step).min(0.995);
        let scenarios = vec![parse(&format!("lo:service={lo}")).unwrap(), parse(&format!("hi:service={hi}")).unwrap()];
        let out = t.path().join("o");
        run_whatif(&options(&d, &out, 60), &scenarios).unwrap();
        let rows = read(&out);
        let (a, b) = (&rows[1], &rows[2]);
        proptest::prop_assert!(num(b, "safety_stock_value") >= num(a, "safety_stock_value"));
        proptest::prop_assert!(num(b, "expected_fill_rate") >= num(a, "expected_fill_rate"));
        proptest::prop_assert!(num(b, "sim_fill_rate") >= num(a, "sim_fill_rate"), "{} < {}", num(b, "sim_fill_rate"), num(a, "sim_fill_rate"));
    }
}
