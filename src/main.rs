//! The `replen` command line: parses flags, calls the library, prints summaries and errors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use replen::app::{self, RunOptions};
use replen::calc::{compute, CalcInput, Target};
use replen::config::{ConfigFile, Settings};
use replen::forecast::{ModelChoice, MODEL_NAMES};
use replen::generate::{generate, GenSettings};
use replen::ingest::Format;
use replen::period::parse_date;

/// mimalloc is faster than the system allocator for the many small strings and tables of a
/// large catalogue, and hands memory freed back to the system (at once: see [`purge_at_once`]).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` of the v3 sources that
/// libmimalloc-sys builds (the crate names only the first options).
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc hand freed memory back to the system as soon as it is freed, instead of a
/// second later and only when the thread that freed it allocates again. A plan frees gigabytes
/// at a time (the sales lines once counted, the forecasts' working memory) and then works on
/// other threads: with the delay, a million items kept 4 GB more resident than they used while
/// forecasting.
fn purge_at_once() {
    // A delay given in the environment (`MIMALLOC_PURGE_DELAY`, read by mimalloc) is kept.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is a plain store into mimalloc's option table, valid at
        // any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, 0) }
    }
}

#[derive(Parser)]
#[command(
    name = "replen",
    version,
    about = "Demand forecasts, reorder points and purchase proposals from your own history"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Forecast demand, compute reorder points and write purchase proposals (the weekly job).
    Plan {
        #[command(flatten)]
        run: RunArgs,
        /// Plan only part K of N of the items (by a stable hash of each item's key), with the
        /// figures of `--portfolio`; `replen merge` puts the parts together.
        #[arg(long, value_name = "K/N", requires = "portfolio")]
        shard: Option<String>,
        /// The portfolio file `replen portfolio` wrote, for `--shard`.
        #[arg(long, value_name = "FILE", requires = "shard")]
        portfolio: Option<PathBuf>,
    },
    /// Learn the portfolio-wide figures (model choices, calibrations, ABC classes, priors) and
    /// the KPIs once, for a plan split into parts with `plan --shard K/N --portfolio FILE`.
    Portfolio(RunArgs),
    /// Put the output folders of every part of a split plan together into the tables one run
    /// writes.
    Merge {
        /// The parts' output folders.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Forecast demand per SKU with quantiles; needs only the sales file.
    Forecast(RunArgs),
    /// Re-plan under scenarios (service, lead time, demand, ...) and simulate each.
    Whatif {
        #[command(flatten)]
        run: RunArgs,
        /// NAME:key=value,... with keys service, fill_rate, lead_time (x1.5, 21 or +7 days),
        /// lead_time_sd, demand, review, moq, and scopes abc=A|B|C, supplier=CODE. Repeatable.
        #[arg(long)]
        scenario: Vec<String>,
        /// Simulated futures per scenario.
        #[arg(long)]
        paths: Option<usize>,
    },
    /// Replay the last periods' actual demand through policies rebuilt each period.
    Simulate {
        #[command(flatten)]
        run: RunArgs,
        /// Periods to replay.
        #[arg(long, default_value_t = 26)]
        periods: usize,
    },
    /// Backorder rate, fill rate, days to fill, forecast accuracy, turnover and supplier KPIs.
    Kpi {
        #[command(flatten)]
        run: RunArgs,
        /// First day counted (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Last day counted (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
    },
    /// Check plans against the true process of a folder made by `generate`: plan for a target
    /// as cycle service and as fill rate, simulate each plan day by day under the generator's
    /// own demand and lead-time law, and the textbook (R,S) rule beside it. Writes truth.csv.
    Truth {
        #[command(flatten)]
        run: RunArgs,
        /// Target planned for, as cycle service and as fill rate.
        #[arg(long, default_value_t = 0.95)]
        target: f64,
        /// Simulated futures per SKU.
        #[arg(long, default_value_t = 40)]
        paths: usize,
        /// Weeks counted per future (after a 13-week warm-up).
        #[arg(long, default_value_t = 52)]
        weeks: usize,
        /// Seed of the simulated futures.
        #[arg(long, default_value_t = 20_261_127)]
        sim_seed: u64,
        /// Keep the items' order costs (EOQ lots); by default they are left out so the plan's
        /// (R,S) rows compare like for like with the textbook (R,S) rule.
        #[arg(long)]
        order_costs: bool,
    },
    /// Plan as `plan` does and list the alerts (stockouts before the next receipt, items below
    /// their reorder point, overdue purchase orders, late backorders, excess stock, late
    /// suppliers, KPIs past their thresholds), most severe first. Writes OUT/alerts.csv.
    Alerts {
        #[command(flatten)]
        run: RunArgs,
        /// Exit with status 1 when any alert is at this severity or worse: `high`, `medium`
        /// or `low` (for schedulers).
        #[arg(long)]
        fail_on: Option<String>,
    },
    /// Validate an input folder and summarise it; when a file's columns do not match, print a
    /// ready `[files.NAME.columns]` block for the settings file.
    Check {
        /// Input folder.
        #[arg(long, default_value = "data/sample")]
        data: PathBuf,
        /// Settings file; `replen.toml` is read when present (here or in the data folder).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Supplier and SKU lead times (mean, sample sd, percentiles, on-time rate) from the
    /// purchase-order file alone. Writes OUT/lead_times.csv.
    Leadtimes {
        /// Input folder (only `purchase_orders` is read).
        #[arg(long, default_value = "data/sample")]
        data: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Settings file; `replen.toml` is read when present (here or in the data folder).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Count receipts before this date (YYYY-MM-DD). Default: every receipt in the file.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Safety stock, reorder point and EOQ for one item, as a planner checks by hand.
    Calc(CalcArgs),
    /// Write a synthetic dataset with known demand patterns.
    Generate {
        /// Number of SKUs.
        #[arg(long, default_value_t = 300)]
        skus: usize,
        /// Weeks of history.
        #[arg(long, default_value_t = 156)]
        weeks: usize,
        /// Random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// `csv`, `parquet` or `xlsx` (one workbook per table).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only these demand patterns, comma-separated: smooth, seasonal, trending, intermittent,
        /// lumpy (default: all, in their usual shares).
        #[arg(long, value_delimiter = ',')]
        patterns: Vec<String>,
        /// Weeks simulated after the history to write outcomes.csv (which items went on
        /// backorder next), for scoring the stockout risk; 0 for none.
        #[arg(long, default_value_t = 8)]
        future_weeks: usize,
        /// Share of items launched late (no sales before their launch), from 0 to 1.
        #[arg(long, default_value_t = 0.0)]
        new_items: f64,
        /// Share of items with promotions (two past, one in the 8 weeks after the history, with
        /// their true lifts in events.csv), from 0 to 1.
        #[arg(long, default_value_t = 0.0)]
        events: f64,
        /// Spread each SKU's demand over this many locations (WH1, WH2, ...), each with its own
        /// stock, backorders and purchase orders; 1 for no location column.
        #[arg(long, default_value_t = 1)]
        locations: usize,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Input folder (sales, items, inventory, ... as CSV or Parquet).
    #[arg(long, default_value = "data/sample")]
    data: PathBuf,
    /// Output folder.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Planning date (YYYY-MM-DD): only history before it is used. Default: the day after the
    /// last sale.
    #[arg(long)]
    as_of: Option<String>,
    /// Settings file; `replen.toml` is read when present (here or in the data folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Planning bucket: `day`, `week` or `month`.
    #[arg(long)]
    period: Option<String>,
    /// Forecast horizon in periods.
    #[arg(long)]
    horizon: Option<usize>,
    /// What sales quantities are: `orders` or `shipments`.
    #[arg(long)]
    sales_are: Option<String>,
    /// One service target for every item, e.g. 0.95 (default: targets per ABC class).
    #[arg(long)]
    service_level: Option<f64>,
    /// What service targets measure: `cycle` or `fill_rate`.
    #[arg(long)]
    service_measure: Option<String>,
    /// Over what a target is met: `portfolio` (across the items that share it, with the least
    /// stock, no item far below it) or `item` (every item on its own) [default: portfolio]
    #[arg(long)]
    service_scope: Option<String>,
    /// Replenishment policy: `periodic` (review every R periods) or `continuous` (s, Q).
    #[arg(long)]
    policy: Option<String>,
    /// Review period in periods.
    #[arg(long)]
    review_periods: Option<f64>,
    /// Per-SKU charts in the report: `top` (largest orders and highest risks) or `all`.
    #[arg(long, default_value = "top")]
    charts: String,
    /// No progress display.
    #[arg(long)]
    quiet: bool,
    /// Forecast model: `auto` (chosen per SKU by backtest) or one of naive, seasonal_naive,
    /// moving_average, ses, holt_damped, auto_ets, croston, sba, tsb, adida, imapa.
    #[arg(long, default_value = "auto")]
    model: String,
}

#[derive(Args)]
struct CalcArgs {
    /// Mean demand per period.
    #[arg(long)]
    demand_mean: f64,
    /// Standard deviation of demand per period.
    #[arg(long)]
    demand_sd: f64,
    /// Lead time, in periods.
    #[arg(long)]
    lead_time: f64,
    /// Standard deviation of the lead time, in periods.
    #[arg(long, default_value_t = 0.0)]
    lead_time_sd: f64,
    /// Review period, in periods (gives the order-up-to level).
    #[arg(long)]
    review: Option<f64>,
    /// Cycle service level target, e.g. 0.95.
    #[arg(long, conflicts_with = "fill_rate")]
    service: Option<f64>,
    /// Fill-rate target, e.g. 0.98 (needs --order-qty).
    #[arg(long, requires = "order_qty")]
    fill_rate: Option<f64>,
    /// Order quantity per cycle.
    #[arg(long)]
    order_qty: Option<f64>,
    /// Cost of placing an order (with --holding-cost and --annual-demand: EOQ).
    #[arg(long)]
    order_cost: Option<f64>,
    /// Yearly holding cost per unit.
    #[arg(long)]
    holding_cost: Option<f64>,
    /// Yearly demand.
    #[arg(long)]
    annual_demand: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `replen alerts --fail-on`: alerts at the level asked exist (exit code 1, nothing printed).
#[derive(Debug, thiserror::Error)]
#[error("alerts found")]
struct AlertsFound;

/// An input or usage problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

/// The settings file: `--config`, else `replen.toml` in the working folder, else
/// `replen.toml` in the data folder (both optional).
fn settings_file(config: Option<&std::path::Path>, data: &std::path::Path) -> anyhow::Result<ConfigFile> {
    let path = match config {
        Some(p) => return Ok(ConfigFile::read(p, true)?),
        None => PathBuf::from("replen.toml"),
    };
    let path = if path.exists() { path } else { data.join("replen.toml") };
    Ok(ConfigFile::read(&path, false)?)
}

/// `--out` must be a folder (it is created when missing).
fn check_out(out: &std::path::Path) -> anyhow::Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(
            Usage(format!("--out `{}` is a file: expected a folder (created when missing)", out.display())).into()
        );
    }
    Ok(())
}

fn options(a: RunArgs) -> anyhow::Result<RunOptions> {
    let file = settings_file(a.config.as_deref(), &a.data)?;
    let flags = ConfigFile {
        sales_are: a.sales_are,
        period: a.period,
        horizon: a.horizon,
        service_level: a.service_level,
        service_measure: a.service_measure,
        service_scope: a.service_scope,
        review_periods: a.review_periods,
        policy: a.policy,
        ..Default::default()
    };
    let settings = Settings::from_parts(&file, &flags)?;
    let as_of = match a.as_of {
        Some(s) => {
            Some(parse_date(&s).ok_or_else(|| Usage(format!("--as-of `{s}` is not a date: expected YYYY-MM-DD")))?)
        }
        None => None,
    };
    let model = ModelChoice::parse(&a.model).ok_or_else(|| {
        Usage(format!("--model `{}` is unknown: expected `auto` or one of {}", a.model, MODEL_NAMES.join(", ")))
    })?;
    let all_charts = match a.charts.as_str() {
        "top" => false,
        "all" => true,
        other => return Err(Usage(format!("--charts `{other}` is unknown: expected `top` or `all`")).into()),
    };
    check_out(&a.out)?;
    // Temporary files of a run that was killed: nobody else will remove them.
    for dir in [a.out.clone(), a.out.join("charts")] {
        replen::output::clean_leftovers(&dir);
    }
    let progress = if a.quiet { app::Progress::default() } else { spinner() };
    Ok(RunOptions { data: a.data, out: a.out, as_of, settings, model, all_charts, progress })
}

/// A spinner on stderr naming the stage, shown once a run has taken two seconds; when stderr
/// is not a terminal, a plain line per stage with the time elapsed instead.
fn spinner() -> app::Progress {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    if !std::io::stderr().is_terminal() {
        let start = Instant::now();
        // A line per tenth of the items of a long stage.
        let tenth = Arc::new(AtomicUsize::new(0));
        let t = tenth.clone();
        return app::Progress::new(move |stage| {
            t.store(0, Ordering::Relaxed);
            if stage != "done" {
                eprintln!("[{:>7.1} s{}] {stage}", start.elapsed().as_secs_f64(), memory());
            }
        })
        .with_items(move |done, total| {
            let k = done * 10 / total.max(1);
            if total >= 1000 && k > tenth.fetch_max(k, Ordering::Relaxed) {
                eprintln!("[{:>7.1} s{}]   {done} of {total} items", start.elapsed().as_secs_f64(), memory());
            }
        });
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let spin =
        ProgressStyle::with_template("{spinner} {elapsed} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner());
    let count =
        ProgressStyle::with_template("{spinner} {elapsed} {msg} [{bar:30}] {human_pos}/{human_len} items, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(spin.clone());
    let b = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        if !b.is_finished() {
            b.set_draw_target(ProgressDrawTarget::stderr());
            b.enable_steady_tick(Duration::from_millis(120));
        }
    });
    let b = bar.clone();
    app::Progress::new(move |stage| {
        if stage == "done" {
            bar.finish_and_clear();
        } else {
            bar.set_style(spin.clone());
            bar.set_length(0);
            bar.set_position(0);
            bar.set_message(stage.to_string());
        }
    })
    .with_items(move |done, total| {
        if b.length() != Some(total as u64) {
            b.set_style(count.clone());
            b.set_length(total as u64);
            b.reset_eta();
        }
        b.set_position(done as u64);
    })
}

/// Resident and peak memory so far, where the system says (Linux): `, 1.2 GB (peak 2.0 GB)`.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return String::new() };
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok())
    };
    match (kb("VmRSS:"), kb("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(", {:.1} GB (peak {:.1} GB)", rss / 1048576.0, peak / 1048576.0),
        _ => String::new(),
    }
}

fn print_warnings(w: &[String]) {
    for x in w {
        eprintln!("warning: {x}");
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Plan { run, shard, portfolio } => {
            let shard = shard.map(|s| app::Shard::parse(&s)).transpose()?;
            let o = options(run)?;
            let s = match (shard, portfolio.as_deref()) {
                (Some(k), Some(p)) => app::run_plan_shard(&o, k, p),
                _ => app::run_plan(&o),
            }
            .with_context(|| format!("planning from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!("planned {} SKUs as of {}", s.skus, date(s.as_of));
            eprintln!("{}", s.calibration);
            eprintln!("{} lines to order, total value {:.2}", s.lines, s.order_value);
            let [high, medium, low] = s.alerts;
            eprintln!("alerts: {high} high, {medium} medium, {low} low (alerts.csv)");
            if let Some(c) = &s.risk {
                let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
                eprintln!(
                    "stockout risk against {}: AUC {} (weeks of cover {}), {} of {} items backordered{}",
                    c.source,
                    f(c.auc),
                    f(c.auc_cover),
                    c.hits,
                    c.items,
                    if c.window.is_some() { " within their lead time" } else { "" }
                );
                if let Some(w) = &c.window {
                    eprintln!(
                        "  over the whole window: AUC {} (weeks of cover {}), {} items backordered",
                        f(w.auc),
                        f(w.auc_cover),
                        w.hits
                    );
                }
            }
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Portfolio(a) => {
            let o = options(a)?;
            let s = app::run_portfolio(&o).with_context(|| format!("learning the portfolio of `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!("learned the portfolio figures of {} items as of {}", s.items, date(s.as_of));
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Merge { parts, out } => {
            check_out(&out)?;
            replen::output::clean_leftovers(&out);
            let s = app::run_merge(&parts, &out).context("merging the parts of a plan")?;
            eprintln!("merged {} parts: {} items, {} lines to order", s.shards, s.items, s.lines);
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Alerts { run, fail_on } => {
            let fail_on =
                match fail_on.as_deref() {
                    None => None,
                    Some(s) => Some(replen::alerts::Severity::parse(s).ok_or_else(|| {
                        Usage(format!("--fail-on `{s}` is unknown: expected `high`, `medium` or `low`"))
                    })?),
                };
            let o = options(run)?;
            let s = app::run_alerts(&o).with_context(|| format!("alerts from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            for a in &s.alerts {
                println!("{:<6}  {:<23}  {}", a.severity.name(), a.kind, a.message);
            }
            eprintln!("{} alert(s) as of {}; wrote {}", s.alerts.len(), date(s.as_of), s.file.display());
            if let Some(level) = fail_on {
                let n = s.at_least(level);
                if n > 0 {
                    eprintln!("{n} alert(s) at {} or worse: exit 1", level.name());
                    return Err(AlertsFound.into());
                }
            }
        }
        Command::Forecast(a) => {
            let o = options(a)?;
            let s = app::forecast(&o).with_context(|| format!("forecasting from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!("forecast {} SKUs as of {}", s.skus, date(s.as_of));
            eprintln!("{}", s.calibration);
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Calc(a) => calc(a)?,
        Command::Leadtimes { data, out, config, as_of } => {
            let settings = Settings::from_parts(&settings_file(config.as_deref(), &data)?, &ConfigFile::default())?;
            let as_of = as_of
                .map(|s| {
                    parse_date(&s).ok_or_else(|| Usage(format!("--as-of `{s}` is not a date: expected YYYY-MM-DD")))
                })
                .transpose()?;
            check_out(&out)?;
            replen::output::clean_leftovers(&out);
            let s = app::run_leadtimes(&data, &out, &settings.files, as_of)
                .with_context(|| format!("lead times from `{}`", data.display()))?;
            print_warnings(&s.warnings);
            println!("{:<40}  {:>8}  {:>9}  {:>7}", "supplier", "receipts", "mean days", "on time");
            for (sup, n, mean, on_time) in &s.suppliers {
                let on_time = on_time.map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r));
                println!("{sup:<40}  {n:>8}  {mean:>9.1}  {on_time:>7}");
            }
            eprintln!("{} purchase-order rows, receipts before {}", s.rows, date(s.as_of));
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Truth { run, target, paths, weeks, sim_seed, order_costs } => {
            if !(target > 0.0 && target < 1.0) {
                return Err(
                    Usage(format!("--target `{target}`: expected a share between 0 and 1, such as 0.95")).into()
                );
            }
            if !(1..=100_000).contains(&paths) || !(1..=520).contains(&weeks) {
                return Err(Usage(format!("--paths `{paths}` / --weeks `{weeks}`: expected 1-100000 and 1-520")).into());
            }
            let o = options(run)?;
            let ts = replen::truth::TruthSettings { paths, weeks, warmup: 13, seed: sim_seed };
            let s = app::run_truth(&o, target, &ts, order_costs)
                .with_context(|| format!("truth check of `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            for line in s.lines() {
                println!("{line}");
            }
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Simulate { run, periods } => {
            if periods == 0 || periods > 520 {
                return Err(Usage(format!("--periods `{periods}`: expected 1 to 520")).into());
            }
            let o = options(run)?;
            let s = app::run_simulate(&o, periods).with_context(|| format!("simulating from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!("replayed {} SKUs over {} periods from {}", s.skus, s.periods, date(s.from));
            eprintln!(
                "achieved: cycle service {:.2}%, fill rate {:.2}%, periods with a stockout {:.2}%, {} orders, average stock value {:.0}",
                100.0 * s.cycle_service,
                100.0 * s.fill_rate,
                100.0 * s.stockout_period_rate,
                s.orders,
                s.avg_inventory_value
            );
            if let Some(h) = s.history_fill_rate {
                eprintln!("history in the same periods: fill rate {:.2}%", 100.0 * h);
            }
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Whatif { run, scenario, paths } => {
            let mut o = options(run)?;
            if let Some(p) = paths {
                if !(10..=100_000).contains(&p) {
                    return Err(Usage(format!("--paths `{p}`: expected a number of futures from 10 to 100000")).into());
                }
                o.settings.paths = p;
            }
            let scenarios = scenario.iter().map(|s| replen::whatif::parse(s)).collect::<Result<Vec<_>, _>>()?;
            let s = app::run_whatif(&o, &scenarios).with_context(|| format!("what-if from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!(
                "planned {} SKUs as of {} with {} scenario(s)",
                s.skus,
                date(s.as_of),
                scenarios.len() + o.settings.scenarios.len()
            );
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Kpi { run, from, to } => {
            let day = |s: Option<String>, flag: &str| -> anyhow::Result<Option<NaiveDate>> {
                match s {
                    Some(s) => Ok(Some(
                        parse_date(&s)
                            .ok_or_else(|| Usage(format!("{flag} `{s}` is not a date: expected YYYY-MM-DD")))?,
                    )),
                    None => Ok(None),
                }
            };
            let (from, to) = (day(from, "--from")?, day(to, "--to")?);
            let o = options(run)?;
            let s = app::kpi(&o, from, to).with_context(|| format!("computing KPIs from `{}`", o.data.display()));
            o.progress.stage("done");
            let s = s?;
            print_warnings(&s.warnings);
            eprintln!(
                "{} orders: backorder rate {:.2}%, unit fill rate {:.2}%",
                s.orders, s.backorder_rate, s.fill_rate
            );
            for f in &s.files {
                eprintln!("wrote {}", f.display());
            }
        }
        Command::Check { data, config } => {
            let settings = Settings::from_parts(&settings_file(config.as_deref(), &data)?, &ConfigFile::default())?;
            let r = app::check(&data, &settings.files).with_context(|| format!("checking `{}`", data.display()))?;
            println!("{}: valid", data.display());
            for (f, n) in &r.rows {
                println!("  {f}: {n} rows");
            }
            println!("  SKUs: {} ({} with sales)", r.skus, r.skus_with_sales);
            if let Some((a, b)) = r.span {
                println!("  sales from {} to {}", date(a), date(b));
            }
            print_warnings(&r.warnings);
        }
        Command::Generate { skus, weeks, seed, out, format, patterns, future_weeks, new_items, events, locations } => {
            if !(1..=100).contains(&locations) {
                return Err(Usage(format!("--locations `{locations}`: expected 1 to 100")).into());
            }
            if !(0.0..=1.0).contains(&new_items) || !(0.0..=1.0).contains(&events) {
                return Err(Usage(format!(
                    "--new-items `{new_items}` / --events `{events}`: expected shares from 0 to 1"
                ))
                .into());
            }
            if let Some(p) = patterns.iter().find(|p| !replen::generate::PATTERNS.contains(&p.as_str())) {
                return Err(Usage(format!(
                    "--patterns: `{p}` is unknown: expected some of {}",
                    replen::generate::PATTERNS.join(", ")
                ))
                .into());
            }
            let format = match format.as_str() {
                "csv" => Format::Csv,
                "parquet" => Format::Parquet,
                "xlsx" => Format::Excel,
                other => {
                    return Err(
                        Usage(format!("--format `{other}` is unknown: expected `csv`, `parquet` or `xlsx`")).into()
                    )
                }
            };
            if skus == 0 || weeks == 0 {
                return Err(Usage("--skus and --weeks must be at least 1".into()).into());
            }
            let g = GenSettings { skus, weeks, seed, format, patterns, future_weeks, new_items, events, locations };
            let s = generate(&g, &out).with_context(|| format!("generating into `{}`", out.display()))?;
            for (f, n) in &s.files {
                eprintln!("wrote {f}: {n} rows");
            }
        }
    }
    Ok(())
}

fn calc(a: CalcArgs) -> anyhow::Result<()> {
    let target = match (a.service, a.fill_rate) {
        (Some(s), None) => Target::Cycle(s),
        (None, Some(b)) => Target::FillRate(b),
        _ => return Err(Usage("give --service CSL or --fill-rate B (with --order-qty Q)".into()).into()),
    };
    let input = CalcInput {
        demand_mean: a.demand_mean,
        demand_sd: a.demand_sd,
        lead_time: a.lead_time,
        lead_time_sd: a.lead_time_sd,
        review: a.review,
        target,
        order_qty: a.order_qty,
        order_cost: a.order_cost,
        holding_cost: a.holding_cost,
        annual_demand: a.annual_demand,
    };
    let r = compute(&input).map_err(|e| Usage(e.to_string()))?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", r.describe());
    }
    Ok(())
}

fn main() -> ExitCode {
    purge_at_once();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<AlertsFound>().is_some() => ExitCode::from(1),
        Err(e) => {
            let input = e.chain().any(|c| {
                c.downcast_ref::<replen::Error>().is_some_and(replen::Error::is_input)
                    || c.downcast_ref::<Usage>().is_some()
            });
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_mimallocs_purge_delay() {
        // The only option of mimalloc v3 whose default is 1000 (milliseconds); the environment
        // can set it, and then that value is read.
        let expected = std::env::var("MIMALLOC_PURGE_DELAY").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        // SAFETY: reading an option is a plain load from mimalloc's option table.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_PURGE_DELAY) }, expected);
    }
}
