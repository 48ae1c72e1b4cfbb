//! Forecast accuracy on public data: the carparts set (2,503 monthly intermittent series,
//! train January 1998 to September 2001, test October 2001 to March 2002), prepared and scored
//! exactly as `../shared/eval/prep_carparts.py` and `score.py` do. Skips when the shared data
//! folder is absent.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use assert_cmd::Command;

const DATA: &str = "../shared/data/carparts/carparts_long.csv";
const AS_OF: &str = "2001-10";
const H: usize = 6;

/// Per series: months in order with their values.
fn load() -> Option<BTreeMap<String, Vec<(String, f64)>>> {
    let text = fs::read_to_string(DATA).ok()?;
    let mut by: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut c = line.split(',');
        let (id, month, y) = (c.next()?, c.next()?, c.next()?);
        // Missing months are empty cells: they do not count towards completeness.
        if let Ok(v) = y.parse::<f64>() {
            by.entry(id.to_string()).or_default().push((month.to_string(), v));
        }
    }
    let max = by.values().map(Vec::len).max()?;
    by.retain(|_, v| v.len() == max && v.iter().any(|(m, y)| m.as_str() < AS_OF && *y > 0.0));
    for v in by.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Some(by)
}

struct Scores {
    rmsse: f64,
    mase: f64,
    cov80: f64,
    cov90: f64,
    series: usize,
}

fn run(model: &str) -> Option<Scores> {
    let by = load()?;
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    fs::create_dir(&data).unwrap();
    let mut sales = String::from("date,sku,qty\n");
    for (id, v) in &by {
        for (m, y) in v {
            if *y > 0.0 {
                sales.push_str(&format!("{m}-01,{id},{y}\n"));
            }
        }
    }
    fs::write(data.join("sales.csv"), sales).unwrap();
    let out = t.path().join("out");
    Command::cargo_bin("replen")
        .unwrap()
        .args(["forecast", "--as-of", "2001-10-01", "--period", "month", "--horizon", "6", "--model", model, "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    Some(score(&by, &out.join("forecast.csv")))
}

/// score.py: MASE (m = 1) and RMSSE per series scaled by in-sample naive errors from the first
/// non-zero month, then averaged; coverage of p10-p90 and p05-p95 over all test points.
fn score(by: &BTreeMap<String, Vec<(String, f64)>>, forecast: &Path) -> Scores {
    let text = fs::read_to_string(forecast).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (ks, kp, km, k10, k90, k05, k95) =
        (col("sku"), col("period_start"), col("mean"), col("p10"), col("p90"), col("p05"), col("p95"));
    let mut fc: HashMap<(String, String), [f64; 5]> = HashMap::new();
    for l in lines {
        let c: Vec<&str> = l.split(',').collect();
        let num = |k: usize| c[k].parse::<f64>().unwrap();
        fc.insert((c[ks].to_string(), c[kp][..7].to_string()), [num(km), num(k10), num(k90), num(k05), num(k95)]);
    }
    let (mut rmsse, mut mase) = (Vec::new(), Vec::new());
    let (mut n, mut in80, mut in90) = (0usize, 0usize, 0usize);
    for (id, v) in by {
        let train: Vec<f64> = v.iter().filter(|(m, _)| m.as_str() < AS_OF).map(|x| x.1).collect();
        let test: Vec<(&String, f64)> =
            v.iter().filter(|(m, _)| m.as_str() >= AS_OF).take(H).map(|(m, y)| (m, *y)).collect();
        let first = train.iter().position(|y| *y != 0.0).unwrap_or(0);
        let d: Vec<f64> = train[first..].windows(2).map(|w| w[1] - w[0]).collect();
        let (mae_s, mse_s) = if d.is_empty() {
            (0.0, 0.0)
        } else {
            (
                d.iter().map(|x| x.abs()).sum::<f64>() / d.len() as f64,
                d.iter().map(|x| x * x).sum::<f64>() / d.len() as f64,
            )
        };
        let mut e = Vec::new();
        for (m, y) in &test {
            let f = fc.get(&(id.clone(), (*m).clone())).unwrap_or_else(|| panic!("no forecast for {id} {m}"));
            e.push(y - f[0]);
            n += 1;
            in80 += usize::from(*y >= f[1] && *y <= f[2]);
            in90 += usize::from(*y >= f[3] && *y <= f[4]);
        }
        if mae_s > 0.0 {
            mase.push(e.iter().map(|x| x.abs()).sum::<f64>() / e.len() as f64 / mae_s);
        }
        if mse_s > 0.0 {
            rmsse.push((e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64 / mse_s).sqrt());
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    Scores {
        rmsse: mean(&rmsse),
        mase: mean(&mase),
        cov80: in80 as f64 / n as f64,
        cov90: in90 as f64 / n as f64,
        series: by.len(),
    }
}

#[test]
fn auto_beats_statsforecast_with_calibrated_bands() {
    let Some(s) = run("auto") else {
        eprintln!("skipping: {DATA} not found (the shared data folder is absent)");
        return;
    };
    eprintln!(
        "carparts auto: {} series, RMSSE {:.4}, MASE {:.4}, cov80 {:.4}, cov90 {:.4}",
        s.series, s.rmsse, s.mase, s.cov80, s.cov90
    );
    assert_eq!(s.series, 2503);
    assert!(s.rmsse <= 0.495, "RMSSE {:.4} above the 0.495 target", s.rmsse);
    assert!((0.77..=0.83).contains(&s.cov80), "p10-p90 coverage {:.4} outside 0.77-0.83", s.cov80);
    assert!((0.87..=0.93).contains(&s.cov90), "p05-p95 coverage {:.4} outside 0.87-0.93", s.cov90);
}
