//! A plan split into parts (`portfolio`, `plan --shard K/N`, `merge`) writes the same bytes as
//! one run over every item, and refuses parts that do not belong together.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn replen() -> Command {
    Command::cargo_bin("replen").expect("binary built")
}

/// A generated folder with two locations, promotions and late launches, and three items
/// without sales that borrow a like item's demand.
fn data(dir: &Path, skus: usize) {
    replen()
        .args(["generate", "--skus", &skus.to_string(), "--weeks", "80", "--seed", "5", "--locations", "2"])
        .args(["--new-items", "0.15", "--events", "0.2", "--future-weeks", "0", "--out"])
        .arg(dir)
        .assert()
        .success();
    let items = fs::read_to_string(dir.join("items.csv")).unwrap();
    let mut lines = items.lines();
    let mut out = format!("{},like_sku\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.collect();
    for l in &rows {
        out.push_str(&format!("{l},\n"));
    }
    for (i, l) in rows.iter().take(3).enumerate() {
        let (sku, rest) = l.split_once(',').unwrap();
        out.push_str(&format!("NEW{i},{rest},{sku}\n"));
    }
    fs::write(dir.join("items.csv"), out).unwrap();
}

fn plan(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    replen().arg("plan").arg("--data").arg(data).arg("--out").arg(out).args(extra).arg("--quiet").output().unwrap()
}

const SAME: [&str; 12] = [
    "forecast.csv",
    "forecast_models.csv",
    "policy.csv",
    "rop_by_period.csv",
    "lead_times.csv",
    "po_summary.csv",
    "proposals.csv",
    "backorder_eta.csv",
    "alerts.csv",
    "kpis.csv",
    "kpis.json",
    "proposals.xlsx",
];

#[test]
fn three_parts_merge_to_the_bytes_of_one_run() {
    let t = tempfile::tempdir().unwrap();
    let (d, p) = (t.path().join("data"), t.path().join("portfolio"));
    data(&d, 40);
    let single = t.path().join("single");
    assert!(plan(&d, &single, &[]).status.success());
    let rows = |dir: &Path| fs::read_to_string(dir.join("policy.csv")).unwrap().lines().count() - 1;
    // 40 SKUs at two locations, and the three new items.
    let total = rows(&single);
    assert_eq!(total, 83);
    replen().arg("portfolio").arg("--data").arg(&d).arg("--out").arg(&p).assert().success();
    let pf = p.join("portfolio.json");
    let parts: Vec<PathBuf> = (1..=3).map(|k| t.path().join(format!("part{k}"))).collect();
    let mut planned = 0;
    for (k, dir) in parts.iter().enumerate() {
        let shard = format!("{}/3", k + 1);
        let o = plan(&d, dir, &["--shard", &shard, "--portfolio", pf.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let n = rows(dir);
        assert!(n > 0 && n < total, "part {shard} planned {n} of {total} items");
        planned += n;
    }
    assert_eq!(planned, total, "every item planned in exactly one part");
    let merged = t.path().join("merged");
    // The parts in any order.
    replen().arg("merge").args([&parts[2], &parts[0], &parts[1]]).arg("--out").arg(&merged).assert().success();
    for f in SAME {
        let (a, b) = (fs::read(single.join(f)).unwrap(), fs::read(merged.join(f)).unwrap());
        assert!(a == b, "{f} differs between the single run and the merged parts");
    }
}

#[test]
fn parts_that_do_not_belong_together_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let (d, p) = (t.path().join("data"), t.path().join("portfolio"));
    data(&d, 10);
    replen().arg("portfolio").arg("--data").arg(&d).arg("--out").arg(&p).assert().success();
    let pf = p.join("portfolio.json");
    let pf = pf.to_str().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    assert!(plan(&d, &a, &["--shard", "1/2", "--portfolio", pf]).status.success());
    // Other settings than the portfolio was learned with.
    let o = plan(&d, &b, &["--shard", "2/2", "--portfolio", pf, "--service-level", "0.9"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--portfolio") && err.contains("same data and settings"), "{err}");
    // A part missing, a part twice, a shard that does not exist.
    let merge =
        |dirs: &[&Path]| replen().arg("merge").args(dirs).arg("--out").arg(t.path().join("m")).output().unwrap();
    let o = merge(&[&a]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing 2/2"));
    let o = merge(&[&a, &a]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("part 1/2 is given twice"));
    let o = plan(&d, &b, &["--shard", "3/2", "--portfolio", pf]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--shard"));
    assert!(!t.path().join("m").join("policy.csv").exists());
}
