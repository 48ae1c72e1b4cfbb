//! The truth check on a small generated portfolio: the plan is simulated under the
//! generator's TRUE demand and lead-time process, never under the model that made it, with the
//! textbook (R,S) rule beside it. Fixed seeds (data, plan and futures), so it gives the same
//! figures on every run; the full-size figures are in `benches/truth.rs` and the README.

use replen::app::{run_truth, RunOptions};
use replen::config::Settings;
use replen::forecast::ModelChoice;
use replen::generate::{generate, GenSettings};
use replen::ingest::Format;
use replen::truth::TruthSettings;

#[test]
fn plans_keep_their_promise_under_the_true_process() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    generate(
        &GenSettings {
            skus: 200,
            weeks: 130,
            seed: 31,
            format: Format::Csv,
            patterns: Vec::new(),
            ..Default::default()
        },
        &d,
    )
    .unwrap();
    let o = RunOptions {
        data: d.clone(),
        out: t.path().join("o"),
        as_of: None,
        settings: Settings { simulations: 500, ..Settings::default() },
        model: ModelChoice::Auto,
        all_charts: false,
        progress: Default::default(),
    };
    std::fs::create_dir_all(&o.out).unwrap();
    let ts = TruthSettings { paths: 12, weeks: 26, warmup: 13, seed: 5 };
    let s = run_truth(&o, 0.95, &ts, false).unwrap();
    let get = |measure: &str, pattern: &str| {
        s.rows.iter().find(|r| r.policy == "replen" && r.measure == measure && r.pattern == pattern).unwrap()
    };
    for r in s.rows.iter().filter(|r| r.policy == "replen") {
        eprintln!(
            "{} {} {}: cycle {:.4} fill {:.4} stock {:.1}",
            r.measure, r.pattern, r.skus, r.cycle_service, r.fill_rate, r.avg_on_hand
        );
    }
    let cycle = get("cycle", "all");
    let fill = get("fill_rate", "all");
    // A small portfolio and few futures: bands wider than the full-size targets.
    assert!((0.91..=0.985).contains(&cycle.cycle_service), "cycle service {}", cycle.cycle_service);
    assert!((0.91..=0.985).contains(&fill.fill_rate), "fill rate {}", fill.fill_rate);
    for r in s.rows.iter().filter(|r| r.policy == "replen" && r.pattern != "all" && r.skus >= 20) {
        let got = if r.measure == "cycle" { r.cycle_service } else { r.fill_rate };
        // Stationary patterns keep the promise; seasonal and trending items fall short (a
        // known gap, in the README), here on only 2.5 years of history.
        let floor = if matches!(r.pattern.as_str(), "smooth" | "intermittent" | "lumpy") { 0.90 } else { 0.80 };
        assert!(got >= floor, "{} {}: {got}", r.measure, r.pattern);
    }
    // Planned for more service, the textbook rule holds more stock and achieves more.
    for policy in ["textbook", "textbook_fill"] {
        let tb: Vec<_> = s.rows.iter().filter(|r| r.policy == policy && r.pattern == "all").collect();
        assert_eq!(tb.len(), 14, "{policy}");
        assert!(tb.windows(2).all(|w| w[1].avg_on_hand >= w[0].avg_on_hand), "{policy}");
    }
    // The plan beside both textbook curves, overall and per pattern.
    assert!(s.versus.iter().any(|v| v.measure == "fill_rate" && v.pattern == "all"));
    assert!(s.versus.iter().any(|v| v.measure == "cycle" && v.pattern == "smooth"));
    assert!(o.out.join("truth.csv").exists());
}
