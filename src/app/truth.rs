//! `replen truth`: plans checked against the true process of generated data, beside the
//! textbook rule.

use super::*;

/// Summary of a truth check.
#[derive(Debug, Clone)]
pub struct TruthSummary {
    /// Every row of `truth.csv`.
    pub rows: Vec<crate::truth::Achieved>,
    /// The plan's stock beside the textbook rules' at the same achieved service, overall and
    /// per pattern.
    pub versus: Vec<Versus>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// A plan's average stock beside the stock each textbook rule needs for the service the plan
/// achieved, in one group of SKUs.
#[derive(Debug, Clone, PartialEq)]
pub struct Versus {
    /// The plan's target.
    pub target: f64,
    /// `cycle` or `fill_rate`.
    pub measure: &'static str,
    /// Pattern, or `all`.
    pub pattern: String,
    /// Achieved in that measure.
    pub achieved: f64,
    /// The plan's average units on hand per SKU.
    pub stock: f64,
    /// Stock the textbook cycle-service rule (z on a 26-week sd) needs for the same achieved
    /// figure; `None` outside its curve.
    pub textbook: Option<f64>,
    /// Stock the textbook fill-rate rule (normal loss function) needs for it.
    pub textbook_fill: Option<f64>,
}

impl TruthSummary {
    /// The results as lines of text: the plan per pattern, the textbook curve, and the plan's
    /// stock against the textbook's at the same achieved service.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in self.rows.iter().filter(|r| r.policy == "replen" || r.pattern == "all") {
            out.push(format!(
                "{:<8} {:>9} {:.4}  {:<12} {:>5} SKUs  cycle service {:6.2}%  fill rate {:6.2}%  on hand {:8.2}",
                r.policy,
                r.measure,
                r.target,
                r.pattern,
                r.skus,
                100.0 * r.cycle_service,
                100.0 * r.fill_rate,
                r.avg_on_hand
            ));
        }
        for v in &self.versus {
            // Beyond a curve: say how far the rule gets at its highest target.
            let pct = |own: f64, x: Option<f64>, policy: &str| match x {
                Some(x) => format!("{x:.2} ({:+.1}%)", 100.0 * (own / x - 1.0)),
                None => self
                    .rows
                    .iter()
                    .filter(|r| r.policy == policy && r.pattern == v.pattern)
                    .map(|r| (if v.measure == "cycle" { r.cycle_service } else { r.fill_rate }, r.avg_on_hand))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map_or("nothing (no curve)".to_string(), |(got, stock)| {
                        if v.achieved > got {
                            format!("more than it reaches (at most {:.2}%, with {stock:.2})", 100.0 * got)
                        } else {
                            "less than its lowest target gives".to_string()
                        }
                    }),
            };
            out.push(format!(
                "{} {:.2}, {}: achieved {:.2}%, stock {:.2} per SKU; the textbook cycle rule needs {}, the textbook fill-rate rule {}",
                v.measure,
                v.target,
                v.pattern,
                100.0 * v.achieved,
                v.stock,
                pct(v.stock, v.textbook, "textbook"),
                pct(v.stock, v.textbook_fill, "textbook_fill")
            ));
        }
        out
    }
}

/// `replen truth`: on a folder written by `replen generate`, plans every item for `target` as
/// cycle service and as fill rate, simulates each plan under the generator's true process, and
/// beside it the textbook (R,S) rule at several targets; writes `truth.csv`.
/// With `order_costs` false, items are planned without an order cost (no EOQ), so every
/// periodic row is an (R,S) rule like the textbook's and the stocks compare like for like.
pub fn run_truth(
    o: &RunOptions,
    target: f64,
    ts: &crate::truth::TruthSettings,
    order_costs: bool,
) -> Result<TruthSummary> {
    use crate::truth;
    o.progress.stage("reading data");
    let load = planning_load(false);
    let ds = Dataset::load(&o.data, load, &o.settings.files)?;
    let truth_skus = crate::ingest::read_ground_truth(&o.data)?;
    let as_of = as_of(&ds, o.as_of)?;
    if o.settings.period != crate::period::Period::Week {
        return Err(Error::Setting {
            name: "--period".into(),
            value: o.settings.period.name().into(),
            expected: "`week`: the truth check reviews weekly, as the generator does".into(),
        });
    }
    let history_weeks = ((as_of - crate::generate::first_day()).num_days().max(0) / 7) as usize;
    // Levels for every simulated week: the forecast runs over them, its backtests as the run's.
    let horizon = o.settings.horizon.max(ts.weeks + 1);
    let f = forecasts_for(&ds, o, as_of, horizon);
    let mut rows = Vec::new();
    let mut versus = Vec::new();
    let planned: HashMap<String, f64> =
        ds.items.iter().flatten().map(|(s, it)| (ds.skus.name(*s).to_string(), it.lead_time_days)).collect();
    o.progress.stage("textbook rule under the truth");
    let base =
        Settings { horizon, order_cost: if order_costs { o.settings.order_cost } else { 0.0 }, ..o.settings.clone() };
    let no_cost = |inp: &mut crate::plan::ItemInputs| {
        if !order_costs {
            inp.item.order_cost = None;
        }
    };
    let forced = |measure: ServiceMeasure| {
        move |inp: &mut crate::plan::ItemInputs| {
            no_cost(inp);
            // One target for every item: the items' own service levels are left out.
            inp.target = Some(match measure {
                ServiceMeasure::Cycle => crate::engine::Target::Cycle(target),
                ServiceMeasure::FillRate => crate::engine::Target::FillRate(target),
            });
        }
    };
    let p0 = plan_with(&ds, &f.fc, &f.set, &base, as_of, &no_cost);
    let mut curve = Vec::new();
    for rule in [truth::TextbookRule::Cycle, truth::TextbookRule::FillRate] {
        curve.extend(truth::check_textbook(&p0, &f.set, &planned, &truth_skus, history_weeks, &TEXTBOOK, rule, ts));
    }
    for measure in [ServiceMeasure::Cycle, ServiceMeasure::FillRate] {
        o.progress.stage("planning and simulating under the truth");
        let s = Settings { service_level: Some(target), service_measure: measure, ..base.clone() };
        let p = plan_with(&ds, &f.fc, &f.set, &s, as_of, &forced(measure));
        let name = match measure {
            ServiceMeasure::Cycle => "cycle",
            ServiceMeasure::FillRate => "fill_rate",
        };
        let got = truth::check_plan(&p, &truth_skus, history_weeks, target, name, ts);
        for a in &got {
            let achieved = if measure == ServiceMeasure::Cycle { a.cycle_service } else { a.fill_rate };
            let at =
                |rule: truth::TextbookRule| truth::textbook_stock_at(&curve, rule.policy(), &a.pattern, name, achieved);
            versus.push(Versus {
                target,
                measure: name,
                pattern: a.pattern.clone(),
                achieved,
                stock: a.avg_on_hand,
                textbook: at(truth::TextbookRule::Cycle),
                textbook_fill: at(truth::TextbookRule::FillRate),
            });
        }
        rows.extend(got);
    }
    rows.extend(curve);
    let path = o.out.join("truth.csv");
    truth::write(&rows, &path)?;
    Ok(TruthSummary { rows, versus, files: vec![path], warnings: ds.warnings.clone() })
}

/// Targets of the textbook rule's curve in the truth check.
pub(super) const TEXTBOOK: [f64; 14] =
    [0.80, 0.85, 0.90, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999];
