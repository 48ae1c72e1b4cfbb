//! A run spread over several machines. `replen portfolio` learns once, from every item, what
//! each item's forecast and plan take from the whole catalogue (model choices, calibrations,
//! ABC classes, priors) and measures the KPIs; `replen plan --shard K/N` plans the items whose
//! stable hash falls in part K of N with what the portfolio learned; `replen merge` puts the
//! parts' tables together as one run over every item writes them.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::alerts::portfolio_alerts;
use super::plan::{po_summary_table, proposal_rows, write_periods, write_plan_files, PoLine, PLAN_FILES};
use super::*;
use crate::forecast::{forecast_and_learn, forecast_some};
use crate::output::{csv_text, dates, write_text};
use crate::portfolio::{PortfolioFile, Stamp, FORMAT};
use polars::prelude::*;

/// Part `k` (1-based) of `n` of a run: the items whose stable hash of their planning key falls
/// in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This part, 1 to `n`.
    pub k: usize,
    /// Parts in all.
    pub n: usize,
}

/// Most parts a run is split into.
pub const MAX_SHARDS: usize = 100_000;

impl Shard {
    /// Reads `K/N`, such as `2/4`.
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::Setting {
            name: "--shard".into(),
            value: s.into(),
            expected: format!("K/N with 1 <= K <= N <= {MAX_SHARDS}, such as 2/4"),
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || k > n || n > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// The part of `n` an item's planning key (`SKU` or `SKU @ LOCATION`) falls in: its
    /// 64-bit FNV-1a hash modulo `n`, plus 1.
    pub fn of(key: &str, n: usize) -> usize {
        (crate::plan::fnv(key) % n as u64) as usize + 1
    }

    /// Whether the item with planning key `key` is planned in this part.
    pub fn holds(&self, key: &str) -> bool {
        Shard::of(key, self.n) == self.k
    }
}

/// What `replen portfolio` did.
#[derive(Debug, Clone)]
pub struct PortfolioSummary {
    /// Planning date.
    pub as_of: NaiveDate,
    /// Items in the catalogue.
    pub items: usize,
    /// Files written, the portfolio file first.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// The settings that change what is learned or planned, in short: a shard must plan with the
/// ones its portfolio file was learned with.
fn settings_stamp(o: &RunOptions) -> String {
    let s = &o.settings;
    format!(
        "{:?} {:?} horizon {} service {:?} {:?} {:?} targets {:?} abc {:?} review {} {:?} holding {} order cost {} draws {} seed {} model {:?}",
        s.sales_are,
        s.period,
        s.horizon,
        s.service_level,
        s.service_measure,
        s.service_scope,
        s.targets,
        s.abc_cuts,
        s.review_periods,
        s.policy,
        s.holding_rate,
        s.order_cost,
        s.simulations,
        s.seed,
        o.model
    )
}

fn stamp(o: &RunOptions, ds: &Dataset, as_of: NaiveDate) -> Stamp {
    Stamp {
        as_of: as_of.to_string(),
        settings: settings_stamp(o),
        items: ds.items.as_ref().map_or(0, HashMap::len),
        sales_lines: ds.sales.len(),
    }
}

/// What a plan reads: the orders are counted over the whole history (by the portfolio), so
/// the order ids' text is freed once the backorders are read.
const PLAN_LOAD: Load = Load { orders_whole: true, ..planning_load(true) };

/// Name of the portfolio file `replen portfolio` writes.
pub const PORTFOLIO_FILE: &str = "portfolio.json";

/// `replen portfolio`: forecasts every item to learn what the catalogue teaches each forecast
/// and plan, measures the KPIs, the suppliers' lead times and the portfolio's alerts, and
/// writes them all in one file, `portfolio.json`.
pub fn run_portfolio(o: &RunOptions) -> Result<PortfolioSummary> {
    o.progress.stage("reading data");
    let (mut ds, counted) = load_counting(o, PLAN_LOAD, 0)?;
    let as_of = as_of(&ds, o.as_of)?;
    let stamped = stamp(o, &ds, as_of);
    let s = &o.settings;
    // The KPIs and the series are all that is taken from the sales lines: they are counted
    // and built, and the lines freed, before the forecasts.
    let sales = ds.take_sales_lines();
    let (set, mut k, lts) = history_one_at_a_time(&mut ds, sales, counted, o, as_of);
    let learned = Mutex::new(None);
    let f = forecast_series(&ds, o, set, o.settings.horizon, &|series, es| {
        let (fc, l) = forecast_and_learn(series, es);
        *learned.lock().unwrap_or_else(|e| e.into_inner()) = Some(l);
        fc
    });
    let fl = learned.into_inner().unwrap_or_else(|e| e.into_inner()).expect("the engine ran");
    k.add_accuracy(&f.fc.calibration);
    o.progress.stage("portfolio figures");
    let mut pl = crate::plan::learn(&ds, &f.fc, &f.set, &o.settings, &lts);
    // The portfolio allocation's multipliers, over every item as one run finds them.
    let all = |_: u32| true;
    let basis = crate::plan::Basis::new(&ds, &f.fc, &f.set, s, as_of, &all, Some(&pl), Some(lts.clone()));
    pl.multipliers = crate::plan::multipliers(&ds, &f.fc, &f.set, s, as_of, &basis);
    let mut file = PortfolioFile::new(stamped, &fl, &pl, &ds.skus);
    let path = o.out.join(PORTFOLIO_FILE);
    let fail = |e: String| Error::Write { path: path.clone(), source: std::io::Error::other(e) };
    let (kpis, kpis_json) = super::kpi::kpi_tables(&k, as_of).map_err(|e| fail(e.to_string()))?;
    // The suppliers' lead times are measured against every item's planned lead time.
    for (name, text) in [
        ("kpis.csv", csv_text(kpis)?),
        ("kpis.json", kpis_json),
        ("alerts.csv", csv_text(alert_table(&portfolio_alerts(&lts, &k, s, as_of)))?),
        ("lead_times.csv", csv_text(super::plan::lead_time_table(&super::plan::lead_time_rows(&ds, &lts, &[])))?),
    ] {
        file.tables.insert(name.into(), text);
    }
    let json = serde_json::to_string_pretty(&file).map_err(|e| fail(e.to_string()))?;
    write_text(&path, &json)?;
    let files = vec![path];
    let mut warnings = ds.warnings.clone();
    warnings.extend(date_warnings(o, &ds, as_of));
    Ok(PortfolioSummary { as_of, items: file.items, files, warnings })
}

/// What one part of a run records beside its tables, for `replen merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    shard: usize,
    of: usize,
    /// The portfolio file, as an absolute path.
    portfolio: PathBuf,
    as_of: String,
    items: usize,
}

/// First field of a part's `shard.json`.
const MANIFEST_FORMAT: &str = "replen shard 1";

/// Name of the record each part writes.
const MANIFEST: &str = "shard.json";

/// Reads a portfolio file.
fn read_portfolio(path: &Path) -> Result<PortfolioFile> {
    let bad = |why: String| Error::Setting {
        name: "--portfolio".into(),
        value: path.display().to_string(),
        expected: format!("a portfolio file written by `replen portfolio` ({why})"),
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let file: PortfolioFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if file.format != FORMAT {
        return Err(bad(format!("it says {:?}, expected {FORMAT:?}", file.format)));
    }
    Ok(file)
}

/// `replen plan --shard K/N --portfolio FILE`: plans the items of part K with what the
/// portfolio learned, and writes the per-item tables of a plan for them (forecasts, models,
/// policy, levels by period, lead times, proposals, PO summary, waiting customers, their
/// alerts) and `shard.json` for `replen merge`.
pub fn run_plan_shard(o: &RunOptions, shard: Shard, portfolio: &Path) -> Result<PlanSummary> {
    let pf = read_portfolio(portfolio)?;
    o.progress.stage("reading data");
    let mut ds = Dataset::load(&o.data, PLAN_LOAD, &o.settings.files)?;
    let as_of = as_of(&ds, o.as_of)?;
    let here = stamp(o, &ds, as_of);
    let there = pf.stamp();
    if here != there {
        let what = if here.as_of != there.as_of {
            format!("as-of date {} here, {} in the file", here.as_of, there.as_of)
        } else if here.settings != there.settings {
            format!("settings here: {}; in the file: {}", here.settings, there.settings)
        } else {
            format!(
                "{} items and {} sales lines here, {} and {} in the file",
                here.items, here.sales_lines, there.items, there.sales_lines
            )
        };
        return Err(Error::Setting {
            name: "--portfolio".into(),
            value: portfolio.display().to_string(),
            expected: format!("a portfolio file learned from the same data and settings ({what})"),
        });
    }
    let fl = pf.forecast();
    let pl = pf.plan(&ds.skus).map_err(|sku| Error::Setting {
        name: "--portfolio".into(),
        value: portfolio.display().to_string(),
        expected: format!("a portfolio file learned from the same data (it names item {sku}, which is not in it)"),
    })?;
    let holds: Vec<bool> = (0..ds.skus.len() as u32).map(|s| shard.holds(ds.skus.name(s))).collect();
    // Forecast the part's items, and the like items its new items borrow from.
    let mut forecast = holds.clone();
    for it in ds.items.iter().flatten().map(|x| x.1) {
        if let (true, Some((like, _))) = (holds[it.sku as usize], it.like) {
            forecast[like as usize] = true;
        }
    }
    let f =
        forecasts_by(&ds, o, as_of, o.settings.horizon, &|series, es| forecast_some(series, es, &fl, &|i| forecast[i]));
    // A part's KPIs are the portfolio's: the sales lines are not read again.
    ds.release_sales_lines();
    o.progress.stage("planning");
    let keep = |s: u32| holds[s as usize];
    let done = |n, total| o.progress.items(n, total);
    let part = crate::plan::Part { keep: &keep, learned: Some(&pl), done: &done, ..crate::plan::Part::ALL };
    let mut p = crate::plan::plan_some(&ds, &f.fc, &f.set, &o.settings, as_of, part);
    // Suppliers' figures are the portfolio's: here they would be measured against this part's
    // items' planned lead times only.
    p.lead_times.supplier.clear();
    let items = ds.items.as_ref();
    let skus = sorted_skus(&ds, |s| keep(s) && items.is_some_and(|i| i.contains_key(&s)));
    let periods = write_periods(&ds, &mut p, &o.out)?;
    let orders = proposal_rows(&p);
    let mut files = write_plan_files(&ds, &f, &p, &orders, &skus, periods, &o.out)?;
    o.progress.stage("backorders and alerts");
    let fu = follow_ups(&ds, &p, &Kpis::default(), &o.settings, as_of, Some(&shard));
    for (t, name) in [(eta_table(&ds, &fu.etas), "backorder_eta.csv"), (alert_table(&fu.alerts), "alerts.csv")] {
        let path = o.out.join(name);
        write_csv(t, &path)?;
        files.push(path);
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        shard: shard.k,
        of: shard.n,
        portfolio: std::path::absolute(portfolio).unwrap_or_else(|_| portfolio.to_path_buf()),
        as_of: as_of.to_string(),
        items: p.rows.len(),
    };
    let path = o.out.join(MANIFEST);
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
    write_text(&path, &json)?;
    files.push(path);
    let mut warnings = ds.warnings.clone();
    warnings.extend(p.warnings.iter().cloned());
    Ok(PlanSummary {
        as_of,
        skus: p.rows.len(),
        lines: orders.len(),
        order_value: orders.iter().map(|r| r.order_value).sum(),
        files,
        calibration: format!("shard {}/{}: calibration from {}", shard.k, shard.n, portfolio.display()),
        warnings,
        alerts: super::plan::by_severity(&fu.alerts),
        risk: None,
    })
}

/// What `replen merge` did.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    /// Parts merged.
    pub shards: usize,
    /// Items planned in all.
    pub items: usize,
    /// Proposal lines.
    pub lines: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bad = |why: String| {
        Error::Parts(format!("`{}` is not the output folder of `replen plan --shard K/N`: {why}", dir.display()))
    };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if m.format != MANIFEST_FORMAT {
        return Err(bad(format!("{} says {:?}", path.display(), m.format)));
    }
    Ok(m)
}

/// A table to merge: a part's file, or one of the portfolio file's tables (name, text).
enum Input<'a> {
    File(PathBuf),
    Text(&'a str, &'a str),
}

/// The tables `name` of every part folder in `dirs`, after the portfolio's when it has one.
fn inputs<'a>(pf: &'a PortfolioFile, dirs: &[PathBuf], name: &'a str) -> Vec<Input<'a>> {
    let own = pf.tables.get(name).map(|t| Input::Text(name, t.as_str()));
    own.into_iter().chain(dirs.iter().map(|d| Input::File(d.join(name)))).collect()
}

/// Reads a table to merge, with the column types of `like` (the same table, empty), or every
/// column as text.
fn read_table(part: &Input, like: Option<Table>) -> Result<DataFrame> {
    let schema = match like {
        Some(t) => Some(t.frame()?.schema().clone()),
        None => None,
    };
    match part {
        Input::File(path) => {
            let bad = |e: PolarsError| {
                Error::Parts(format!("`{}` is not a table written by `replen plan --shard`: {e}", path.display()))
            };
            let pl_path = PlRefPath::new(path.to_string_lossy().as_ref());
            let reader = LazyCsvReader::new(pl_path).with_has_header(true).with_missing_is_null(true);
            match schema {
                Some(s) => reader.with_schema(Some(s)),
                None => reader.with_infer_schema_length(Some(0)),
            }
            .finish()
            .and_then(|lf| lf.collect())
            .map_err(bad)
        }
        Input::Text(name, text) => {
            let bad = |e: PolarsError| Error::Parts(format!("table `{name}` of the portfolio file: {e}"));
            let options = match schema {
                Some(s) => CsvReadOptions::default().with_schema(Some(s)),
                None => CsvReadOptions::default().with_infer_schema_length(Some(0)),
            };
            options
                .with_has_header(true)
                .map_parse_options(|o| o.with_missing_is_null(true))
                .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes().to_vec()))
                .finish()
                .map_err(bad)
        }
    }
}

/// The tables of every part, one after the other.
fn stacked(parts: &[Input], like: impl Fn() -> Option<Table>) -> Result<DataFrame> {
    let frames: Vec<LazyFrame> =
        parts.iter().map(|p| read_table(p, like()).map(DataFrame::lazy)).collect::<Result<_>>()?;
    Ok(concat(frames, UnionArgs::default()).and_then(|lf| lf.collect())?)
}

/// A text column's values (empty for empty cells).
fn texts(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df.column(name)?.str()?.iter().map(|v| v.unwrap_or("").to_string()).collect())
}

/// Planning keys (`SKU` or `SKU @ LOCATION`) of a table's rows.
fn keys(df: &DataFrame) -> Result<Vec<String>> {
    let (sku, loc) = (texts(df, "sku")?, texts(df, "location")?);
    Ok(sku
        .into_iter()
        .zip(loc)
        .map(|(s, l)| if l.is_empty() { s } else { format!("{s}{}{l}", crate::ingest::LOCATION_SEP) })
        .collect())
}

/// The rows of `df` in the order of `key` (a stable sort: rows with equal keys keep theirs).
fn sorted_by<K: Ord>(df: &DataFrame, key: impl Fn(usize) -> K) -> Result<DataFrame> {
    let mut idx: Vec<u32> = (0..df.height() as u32).collect();
    idx.sort_by_key(|&i| key(i as usize));
    Ok(df.take(&IdxCa::from_vec("i".into(), idx))?)
}

/// `replen merge DIR... --out OUT`: the tables of every part of a run, put together as one run
/// over every item writes them: the per-item tables concatenated in the single run's order,
/// the PO summary and workbook recomputed from the merged proposals, the portfolio's KPIs and
/// alerts with the parts'.
pub fn run_merge(dirs: &[PathBuf], out: &Path) -> Result<MergeSummary> {
    let manifests: Vec<Manifest> = dirs.iter().map(|d| read_manifest(d)).collect::<Result<_>>()?;
    let bad = |why: String| Error::Parts(format!("the folders are not the parts of one split plan: {why}"));
    let Some(first) = manifests.first() else {
        return Err(bad("no folder given".into()));
    };
    let n = first.of;
    let mut seen = vec![false; n];
    for (m, d) in manifests.iter().zip(dirs) {
        if m.of != n || m.portfolio != first.portfolio || m.as_of != first.as_of {
            return Err(bad(format!(
                "{} is part {}/{} of {} as of {}, {} part {}/{} of {} as of {}",
                d.display(),
                m.shard,
                m.of,
                m.portfolio.display(),
                m.as_of,
                dirs[0].display(),
                first.shard,
                first.of,
                first.portfolio.display(),
                first.as_of
            )));
        }
        if m.shard == 0 || m.shard > n {
            return Err(bad(format!("{} says it is part {}/{}", d.display(), m.shard, m.of)));
        }
        if std::mem::replace(&mut seen[m.shard - 1], true) {
            return Err(bad(format!("part {}/{n} is given twice", m.shard)));
        }
    }
    let missing: Vec<String> = (1..=n).filter(|k| !seen[k - 1]).map(|k| format!("{k}/{n}")).collect();
    if !missing.is_empty() {
        return Err(bad(format!("missing {}", missing.join(", "))));
    }
    let pf = read_portfolio(&first.portfolio)?;
    let mut files = Vec::new();
    let put = |t: Table, name: &str| -> Result<PathBuf> {
        let path = out.join(name);
        write_csv(t, &path)?;
        Ok(path)
    };
    let text = || None;
    // Per-item tables by planning key; the proposals by supplier, then key.
    let none: Vec<&PlanRow> = Vec::new();
    let [forecast, models, policy, periods, lead, _, proposals] = PLAN_FILES;
    let by_key = |df: DataFrame| -> Result<DataFrame> {
        let k = keys(&df)?;
        sorted_by(&df, |i| k[i].clone())
    };
    let of = |name| inputs(&pf, dirs, name);
    for name in [forecast, models, periods] {
        files.push(put(Table::from_frame(by_key(stacked(&of(name), text)?)?), name)?);
    }
    let policy_df = by_key(stacked(&of(policy), text)?)?;
    let items = policy_df.height();
    files.push(put(Table::from_frame(policy_df), policy)?);
    // Lead times: the suppliers' rows from the portfolio (measured against every item; the
    // parts write none), then every item's from the parts.
    let lt = stacked(&of(lead), text)?;
    let (scope, k) = (texts(&lt, "scope")?, keys(&lt)?);
    let lt = sorted_by(&lt, |i| (scope[i] != "supplier", k[i].clone()))?;
    files.push(put(Table::from_frame(lt), lead)?);
    let props = stacked(&of(proposals), || Some(plan_table(&none)))?;
    let (sup, k) = (texts(&props, "supplier")?, keys(&props)?);
    let props = sorted_by(&props, |i| (sup[i].clone(), k[i].clone()))?;
    let lines = props.height();
    // The PO summary, recomputed from the merged proposals.
    let po_summary = {
        let (po, sup, loc) = (texts(&props, "po_number")?, texts(&props, "supplier")?, texts(&props, "location")?);
        let num =
            |c: &str| -> Result<Vec<f64>> { Ok(props.column(c)?.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect()) };
        let (qty, value) = (num("order_qty")?, num("order_value")?);
        let (ordered, arrival) = (dates(props.column("order_date")?)?, dates(props.column("expected_arrival")?)?);
        let day = |d: Option<NaiveDate>| d.unwrap_or_default();
        let lines: Vec<PoLine> = (0..props.height())
            .map(|i| PoLine {
                po_number: &po[i],
                supplier: &sup[i],
                location: &loc[i],
                qty: qty[i],
                value: value[i],
                order_date: day(ordered[i]),
                arrival: day(arrival[i]),
            })
            .collect();
        po_summary_table(&lines).frame()?
    };
    files.push(put(Table::from_frame(po_summary.clone()), "po_summary.csv")?);
    files.push(put(Table::from_frame(props.clone()), proposals)?);
    let etas = by_key(stacked(&of("backorder_eta.csv"), text)?)?;
    files.push(put(Table::from_frame(etas), "backorder_eta.csv")?);
    // Alerts: the portfolio's (suppliers, KPIs) and every part's, as one run sorts them.
    let alerts = stacked(&of("alerts.csv"), || Some(alert_table(&[])))?;
    let (sev, kind, k) = (texts(&alerts, "severity")?, texts(&alerts, "kind")?, keys(&alerts)?);
    let sev_rank = |s: &str| crate::alerts::Severity::parse(s).map_or(3, |s| s as usize);
    let alerts = sorted_by(&alerts, |i| (sev_rank(&sev[i]), crate::alerts::rank(&kind[i]), k[i].clone()))?;
    files.push(put(Table::from_frame(alerts.clone()), "alerts.csv")?);
    // The portfolio's KPIs.
    for name in ["kpis.csv", "kpis.json"] {
        let text = pf.tables.get(name).ok_or_else(|| bad(format!("the portfolio file has no `{name}`")))?;
        let path = out.join(name);
        write_text(&path, text)?;
        files.push(path);
    }
    let book = out.join("proposals.xlsx");
    write_xlsx(
        vec![
            sheet("proposals", Table::from_frame(props)),
            sheet("po_summary", Table::from_frame(po_summary)),
            sheet("alerts", Table::from_frame(alerts)),
        ],
        &book,
    )?;
    files.push(book);
    Ok(MergeSummary { shards: n, items, lines, files })
}
