//! Synthetic data in the input contract, with known generating processes: smooth, seasonal,
//! trending, intermittent and lumpy SKUs; suppliers with noisy and sometimes late lead times; a
//! company running stale reorder points, so stockouts create backorders; open purchase orders.
//! Each SKU has its own seeded random stream, so the output is the same bytes for the same seed
//! whatever the number of threads.

use std::path::Path;

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Poisson};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::Format;
use crate::output::{concat, write_csv_parts, write_parquet_parts, write_xlsx, Table, XLSX_ROWS};
use crate::period::add_days;
use crate::policy::round_order;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenSettings {
    /// Number of SKUs.
    pub skus: usize,
    /// Weeks of history.
    pub weeks: usize,
    /// Random seed.
    pub seed: u64,
    /// Output format.
    pub format: Format,
    /// Demand patterns to draw from (names of [`PATTERNS`]); empty for all, in their usual
    /// shares.
    pub patterns: Vec<String>,
    /// Weeks simulated after the history, by the same company rule, to write what happened
    /// next (`outcomes.csv`: which items went on backorder).
    pub future_weeks: usize,
    /// Share of items launched during the history or after it (no sales before their launch;
    /// half of them stocked ahead of it, half with nothing until the first order).
    pub new_items: f64,
    /// Share of items with promotions: two in the last two years of history and one in the
    /// first eight weeks after it, each one to three whole weeks at a true lift of 1.5 to 3,
    /// written to `events.csv`.
    pub events: f64,
    /// Locations each SKU's demand is spread over (1: no location column), each with its own
    /// stock, backorders and purchase orders.
    pub locations: usize,
}

impl Default for GenSettings {
    fn default() -> Self {
        GenSettings {
            skus: 300,
            weeks: 156,
            seed: 42,
            format: Format::Csv,
            patterns: Vec::new(),
            future_weeks: 8,
            new_items: 0.0,
            events: 0.0,
            locations: 1,
        }
    }
}

/// Row counts written.
#[derive(Debug, Clone, Default)]
pub struct GenSummary {
    /// (file name, rows).
    pub files: Vec<(String, usize)>,
}

/// The demand patterns the generator knows.
pub const PATTERNS: [&str; 5] = ["smooth", "seasonal", "trending", "intermittent", "lumpy"];

/// First day of generated history (a Monday).
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 2).expect("valid constant date")
}

struct Supplier {
    name: String,
    planned_days: f64,
    /// Actual lead time = planned x lognormal(bias, spread).
    bias: f64,
    spread: f64,
    on_time_share: f64,
}

fn suppliers(n: usize, seed: u64) -> Vec<Supplier> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5u64.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let planned = [7.0, 10.0, 14.0, 21.0, 28.0, 35.0, 42.0];
    (0..n)
        .map(|i| Supplier {
            name: format!("SUP{:02}", i + 1),
            planned_days: planned[rng.gen_range(0..planned.len())],
            bias: rng.gen_range(0.95..1.15),
            spread: rng.gen_range(0.05..0.3),
            on_time_share: rng.gen_range(0.75..0.98),
        })
        .collect()
}

struct Line {
    day: u32,
    qty: f64,
    order: u32,
}

struct Back {
    day: u32,
    qty: f64,
    order: u32,
    filled: Option<u32>,
    cancelled: bool,
}

struct Po {
    day: u32,
    qty: f64,
    expected: u32,
    received: Option<u32>,
}

struct SkuData {
    supplier: usize,
    pattern: usize,
    base_weekly: f64,
    orders_per_week: f64,
    size_mean: f64,
    size_cv: f64,
    amplitude: f64,
    phase: f64,
    trend: f64,
    unit_cost: f64,
    price: f64,
    moq: f64,
    multiple: f64,
    service: Option<f64>,
    order_cost: f64,
    holding_rate: f64,
    lines: Vec<Line>,
    backs: Vec<Back>,
    pos: Vec<Po>,
    /// On hand at the end of the history.
    on_hand: f64,
    /// First week with demand (0 unless a new item).
    starts: usize,
    /// Promotions: first week, weeks, lift.
    promos: Vec<(usize, usize, f64)>,
    /// This location's share of the SKU's demand (1 without locations).
    share: f64,
}

/// One customer order size: gamma with mean `mean` and coefficient of variation `cv`, rounded, at least 1.
pub(crate) fn draw_size<R: Rng + ?Sized>(rng: &mut R, mean: f64, cv: f64) -> f64 {
    let shape = 1.0 / (cv * cv);
    let g = Gamma::new(shape, mean / shape).expect("positive gamma parameters");
    g.sample(rng).round().max(1.0)
}

fn simulate(i: usize, s: &GenSettings, sups: &[Supplier], loc: Option<(usize, f64)>) -> SkuData {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed.wrapping_add((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let draw = |rng: &mut ChaCha8Rng| match rng.gen_range(0..100) {
        0..=29 => 0,
        30..=49 => 1,
        50..=64 => 2,
        65..=84 => 3,
        _ => 4,
    };
    let mut pattern = draw(&mut rng);
    // Only the patterns asked for, in their usual shares among themselves.
    while !s.patterns.is_empty() && !s.patterns.iter().any(|p| p == PATTERNS[pattern]) {
        pattern = draw(&mut rng);
    }
    let supplier = rng.gen_range(0..sups.len());
    let (mut orders_per_week, size_mean, size_cv) = match pattern {
        0..=2 => {
            (rng.gen_range(0.8..3.0), LogNormal::<f64>::new(2.0, 0.6).expect("valid").sample(&mut rng).max(1.5), 0.35)
        }
        3 => (rng.gen_range(0.05..0.5), rng.gen_range(1.0..5.0), 0.25),
        _ => (rng.gen_range(0.05..0.5), rng.gen_range(3.0..30.0), 1.2),
    };
    let amplitude = if pattern == 1 { rng.gen_range(0.3..0.8) } else { 0.0 };
    let phase = rng.gen_range(0.0..52.0);
    let trend = if pattern == 2 { rng.gen_range(-0.3..0.6) } else { 0.0 };
    // A location sees its share of the SKU's customers.
    let share = loc.map_or(1.0, |l| l.1);
    orders_per_week *= share;
    let base_weekly = orders_per_week * size_mean;
    let unit_cost = (LogNormal::<f64>::new(3.0, 1.0).expect("valid").sample(&mut rng) * 100.0).round() / 100.0;
    let price = (unit_cost * rng.gen_range(1.3..2.0) * 100.0).round() / 100.0;
    let multiple = [1.0, 1.0, 1.0, 5.0, 6.0, 10.0, 12.0, 24.0][rng.gen_range(0..8)];
    let moq = if rng.gen_bool(0.4) { 0.0 } else { multiple * rng.gen_range(1..5) as f64 };
    let service = match rng.gen_range(0..10) {
        0 => Some(0.98),
        1 => Some(0.9),
        _ => None,
    };
    let sup = &sups[supplier];
    // The company's reorder rule, set once from the base rate and never revisited.
    let cover = sup.planned_days / 7.0 + 1.0;
    let reorder = (base_weekly * cover * rng.gen_range(1.0..1.6)).round();
    let up_to = reorder + (base_weekly * rng.gen_range(1.0..4.0)).round().max(1.0);
    // New items: a launch week from the middle of the history to the end of the future weeks,
    // drawn from a stream of their own so the others' histories do not move.
    let mut launch = ChaCha8Rng::seed_from_u64(s.seed ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let is_new = s.new_items > 0.0 && launch.gen_bool(s.new_items.min(1.0));
    let starts =
        if is_new { launch.gen_range(s.weeks / 2..(s.weeks + s.future_weeks).max(s.weeks / 2 + 1)) } else { 0 };
    let stocked = !is_new || launch.gen_bool(0.5);
    // Promotions, from a stream of their own too.
    let mut promo_rng = ChaCha8Rng::seed_from_u64(s.seed ^ (i as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let mut promos: Vec<(usize, usize, f64)> = Vec::new();
    if s.events > 0.0 && promo_rng.gen_bool(s.events.min(1.0)) && s.weeks >= 8 {
        let past = s.weeks.saturating_sub(104).max(1)..s.weeks.saturating_sub(4).max(2);
        for range in [past.clone(), past, s.weeks..s.weeks + 8] {
            let len = promo_rng.gen_range(1..=3);
            let start = promo_rng.gen_range(range);
            let lift = (promo_rng.gen_range(1.5f64..3.0) * 10.0).round() / 10.0;
            if promos.iter().all(|(a, l, _)| start + len <= *a || *a + *l <= start) {
                promos.push((start, len, lift));
            }
        }
    }
    let mut on_hand = if stocked { up_to } else { 0.0 };
    let mut history_on_hand = on_hand;
    // Costs are drawn when the history ends, so the future weeks leave the history's bytes
    // as they were without them.
    let costs = |rng: &mut ChaCha8Rng| {
        (rng.gen_range(20.0f64..100.0).round(), (rng.gen_range(0.18f64..0.30) * 100.0).round() / 100.0)
    };
    let mut drawn = None;
    let mut sold = false;
    let total_weeks = s.weeks + s.future_weeks;
    let lt_dist = LogNormal::new(sup.bias.ln(), sup.spread).expect("valid");
    let mut lines = Vec::new();
    let mut backs: Vec<Back> = Vec::new();
    let mut pos: Vec<Po> = Vec::new();
    let mut on_order = 0.0;
    let mut backlog = 0.0;
    let mut order_no = 0u32;
    let mut week_orders: Vec<(u32, f64)> = Vec::new();
    if let Some((j, _)) = loc {
        // Each location's customers and deliveries come from a stream of its own.
        rng = ChaCha8Rng::seed_from_u64(rng.gen::<u64>() ^ (j as u64 + 1).wrapping_mul(0xE703_7ED1_A0B4_28DB));
    }
    for w in 0..total_weeks {
        if w == s.weeks {
            history_on_hand = on_hand;
            drawn = Some(costs(&mut rng));
        }
        let t = w as f64;
        let season = 1.0 + amplitude * (2.0 * std::f64::consts::PI * (t + phase) / 52.0).sin();
        let growth = (1.0 + trend * t / 52.0).max(0.05);
        let promo = promos.iter().find(|(a, l, _)| (*a..a + l).contains(&w)).map_or(1.0, |p| p.2);
        let lambda = if w < starts { 0.0 } else { orders_per_week * season * growth * promo };
        let n = if lambda > 0.0 { Poisson::new(lambda).expect("positive rate").sample(&mut rng) as usize } else { 0 };
        week_orders.clear();
        for _ in 0..n {
            let day = (w * 7) as u32 + rng.gen_range(0..7);
            week_orders.push((day, draw_size(&mut rng, size_mean, size_cv)));
        }
        week_orders.sort_by_key(|a| a.0);
        let mut k = 0;
        for day in (w * 7) as u32..((w + 1) * 7) as u32 {
            // Receipts of the day, then backorders served first.
            for p in pos.iter().filter(|p| p.received == Some(day)) {
                on_hand += p.qty;
                on_order -= p.qty;
            }
            for b in backs.iter_mut().filter(|b| b.filled.is_none() && !b.cancelled) {
                if b.qty <= on_hand {
                    on_hand -= b.qty;
                    backlog -= b.qty;
                    b.filled = Some(day);
                } else {
                    break;
                }
            }
            while k < week_orders.len() && week_orders[k].0 == day {
                let qty = week_orders[k].1;
                sold = true;
                order_no += 1;
                lines.push(Line { day, qty, order: order_no });
                let shipped = qty.min(on_hand);
                on_hand -= shipped;
                if qty > shipped {
                    let cancelled = rng.gen_bool(0.1);
                    if !cancelled {
                        backlog += qty - shipped;
                    }
                    backs.push(Back { day, qty: qty - shipped, order: order_no, filled: None, cancelled });
                }
                k += 1;
            }
            // Weekly review on Mondays (an unstocked new item only once it has sold).
            if day % 7 == 0 && (stocked || sold) {
                let position = on_hand + on_order - backlog;
                if position <= reorder {
                    let qty = round_order(up_to - position, moq, multiple);
                    let late = !rng.gen_bool(sup.on_time_share);
                    let mut lt = sup.planned_days * lt_dist.sample(&mut rng);
                    if late {
                        lt *= rng.gen_range(1.2..1.6);
                    }
                    let arrive = day + lt.round().max(1.0) as u32;
                    on_order += qty;
                    pos.push(Po { day, qty, expected: day + sup.planned_days as u32, received: Some(arrive) });
                }
            }
        }
    }
    let (order_cost, holding_rate) = drawn.unwrap_or_else(|| costs(&mut rng));
    SkuData {
        supplier,
        pattern,
        base_weekly,
        orders_per_week,
        size_mean,
        size_cv,
        amplitude,
        phase,
        trend,
        unit_cost,
        price,
        moq,
        multiple,
        service,
        order_cost,
        holding_rate,
        lines,
        backs,
        pos,
        on_hand: if s.weeks < total_weeks { history_on_hand } else { on_hand },
        starts,
        promos,
        share,
    }
}

/// Sales rows written at a time, about.
const SALES_PART_ROWS: usize = 1 << 20;

/// Generates a dataset into `out`.
pub fn generate(s: &GenSettings, out: &Path) -> Result<GenSummary> {
    let sups = suppliers((s.skus / 25).clamp(3, 20), s.seed);
    let width = s.skus.to_string().len().max(5);
    let name = |i: usize| format!("SKU{:0width$}", i + 1);
    // Planning units: every SKU at every location (one unnamed location without --locations).
    let locs = s.locations.max(1);
    let located = locs > 1;
    let total: f64 = (1..=locs).map(|k| k as f64).sum();
    let units: Vec<(usize, usize)> = (0..s.skus).flat_map(|i| (0..locs).map(move |j| (i, j))).collect();
    let data: Vec<SkuData> = units
        .par_iter()
        .map(|&(i, j)| simulate(i, s, &sups, located.then(|| (j, (locs - j) as f64 / total))))
        .collect();
    let place = |u: usize| format!("WH{}", units[u].1 + 1);
    let name_of = |u: usize| name(units[u].0);
    // The SKU's own figures: its first location's (the master data is the same at every one).
    let first: Vec<&SkuData> = (0..s.skus).map(|i| &data[i * locs]).collect();
    let day0 = first_day();
    let date = |d: u32| add_days(day0, d as i64);
    let ext = match s.format {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
        Format::Excel => "xlsx",
    };
    let write_parts = |parts: &mut dyn Iterator<Item = Table>, file: &str| -> Result<()> {
        let p = out.join(format!("{file}.{ext}"));
        match s.format {
            Format::Csv => write_csv_parts(parts, &p),
            Format::Parquet => write_parquet_parts(parts, &p),
            Format::Excel => {
                // A workbook read as input is one sheet: a table longer than a sheet holds
                // cannot be one.
                let df = concat(parts)?.frame()?;
                if df.height() > XLSX_ROWS {
                    return Err(Error::Setting {
                        name: "--format".into(),
                        value: "xlsx".into(),
                        expected: format!(
                            "csv or parquet: {file} has {} rows and an Excel sheet holds {XLSX_ROWS}",
                            df.height()
                        ),
                    });
                }
                write_xlsx(vec![crate::output::sheet(file, Table::from_frame(df))], &p)
            }
        }
    };
    let write = |t: Table, file: &str| write_parts(&mut std::iter::once(t), file);
    // The per-SKU files are written a range of SKUs at a time.
    let ranges = |rows: &dyn Fn(&SkuData) -> usize| -> Vec<std::ops::Range<usize>> {
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        out.push(0..0);
        let mut held = 0;
        for (i, d) in data.iter().enumerate() {
            if held >= SALES_PART_ROWS {
                out.push(i..i);
                held = 0;
            }
            held += rows(d);
            out.last_mut().expect("one range at least").end = i + 1;
        }
        out
    };
    let mut summary = GenSummary::default();

    // Sales, in date order as an ERP export lists them, written a few weeks at a time, so the
    // text of the whole file is never held: each SKU's lines are in date order, and a cursor
    // per SKU walks them.
    let days = (s.weeks * 7) as u32;
    let lines: usize = data.iter().map(|d| d.lines.partition_point(|l| l.day < days)).sum();
    let weeks_per_part = (SALES_PART_ROWS * s.weeks / lines.max(1)).clamp(1, s.weeks.max(1)) as u32;
    let mut cursor = vec![0usize; data.len()];
    let mut start = 0u32;
    let mut parts = std::iter::from_fn(|| {
        // At least one part, so an empty history still has its header.
        if start >= days && start > 0 {
            return None;
        }
        let end = (start + 7 * weeks_per_part).min(days);
        let mut idx: Vec<(u32, u32, u32)> = Vec::new();
        for (i, d) in data.iter().enumerate() {
            let c = &mut cursor[i];
            while *c < d.lines.len() && d.lines[*c].day < end {
                idx.push((d.lines[*c].day, i as u32, *c as u32));
                *c += 1;
            }
        }
        idx.sort_unstable();
        start = end.max(start + 1);
        let line = |&(_, i, j): &(u32, u32, u32)| &data[i as usize].lines[j as usize];
        let mut t = Table::new()
            .date("date", idx.iter().map(|x| date(line(x).day)))
            .text("sku", idx.iter().map(|x| name_of(x.1 as usize)))
            .num("qty", idx.iter().map(|x| line(x).qty))
            .text("order_id", idx.iter().map(|x| format!("SO{}-{}", x.1 + 1, line(x).order)))
            .num("unit_price", idx.iter().map(|x| data[x.1 as usize].price));
        if located {
            t = t.text("location", idx.iter().map(|x| place(x.1 as usize)));
        }
        Some(t)
    });
    summary.files.push(("sales".into(), lines));
    write_parts(&mut parts, "sales")?;

    // History ends at `days`: later backorders, fills, orders and receipts are not known yet.
    let known = |d: Option<u32>| d.filter(|d| *d < days);
    let mut count = 0;
    let mut parts = ranges(&|d| d.backs.len()).into_iter().map(|r| {
        let backs: Vec<(usize, &Back)> = data[r.clone()]
            .iter()
            .zip(r)
            .flat_map(|(d, i)| d.backs.iter().filter(|b| b.day < days).map(move |b| (i, b)))
            .collect();
        count += backs.len();
        let mut t = Table::new()
            .date("date", backs.iter().map(|(_, b)| date(b.day)))
            .text("sku", backs.iter().map(|(i, _)| name_of(*i)))
            .num("qty", backs.iter().map(|(_, b)| b.qty))
            .opt_date("filled_date", backs.iter().map(|(_, b)| known(b.filled).map(date)))
            .text("order_id", backs.iter().map(|(i, b)| format!("SO{}-{}", i + 1, b.order)))
            .text("cancelled", backs.iter().map(|(_, b)| if b.cancelled { "true" } else { "false" }));
        if located {
            t = t.text("location", backs.iter().map(|(i, _)| place(*i)));
        }
        t
    });
    write_parts(&mut parts, "backorders")?;
    drop(parts);
    summary.files.push(("backorders".into(), count));

    let t = Table::new()
        .text("sku", (0..s.skus).map(name))
        .text("supplier", first.iter().map(|d| sups[d.supplier].name.as_str()))
        .num("unit_cost", first.iter().map(|d| d.unit_cost))
        .num("lead_time_days", first.iter().map(|d| sups[d.supplier].planned_days))
        .num("moq", first.iter().map(|d| d.moq))
        .num("order_multiple", first.iter().map(|d| d.multiple))
        .text("service_level", first.iter().map(|d| d.service.map(|v| v.to_string()).unwrap_or_default()))
        .num("order_cost", first.iter().map(|d| d.order_cost))
        .num("holding_rate", first.iter().map(|d| d.holding_rate))
        .text("description", (0..s.skus).map(|i| format!("Part {}", i + 1)))
        .text("category", first.iter().map(|d| PATTERNS[d.pattern]));
    summary.files.push(("items".into(), s.skus));
    write(t, "items")?;

    let mut t = Table::new().text("sku", (0..units.len()).map(name_of));
    if located {
        t = t.text("location", (0..units.len()).map(place));
    }
    let t = t.num("on_hand", data.iter().map(|d| d.on_hand));
    summary.files.push(("inventory".into(), units.len()));
    write(t, "inventory")?;

    let mut count = 0;
    let mut parts = ranges(&|d| d.pos.len()).into_iter().map(|r| {
        let pos: Vec<(usize, usize, &Po)> = data[r.clone()]
            .iter()
            .zip(r)
            .flat_map(|(d, i)| d.pos.iter().enumerate().filter(|(_, p)| p.day < days).map(move |(j, p)| (i, j, p)))
            .collect();
        count += pos.len();
        let mut t = Table::new()
            .text("po_id", pos.iter().map(|(i, j, _)| format!("PO{}-{}", i + 1, j + 1)))
            .text("sku", pos.iter().map(|(i, _, _)| name_of(*i)))
            .text("supplier", pos.iter().map(|(i, _, _)| sups[data[*i].supplier].name.as_str()))
            .date("order_date", pos.iter().map(|(_, _, p)| date(p.day)))
            .num("qty", pos.iter().map(|(_, _, p)| p.qty))
            .opt_date("received_date", pos.iter().map(|(_, _, p)| known(p.received).map(date)))
            .date("expected_date", pos.iter().map(|(_, _, p)| date(p.expected)));
        if located {
            t = t.text("location", pos.iter().map(|(i, _, _)| place(*i)));
        }
        t
    });
    write_parts(&mut parts, "purchase_orders")?;
    drop(parts);
    summary.files.push(("purchase_orders".into(), count));

    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let t = Table::new()
        .text("sku", (0..s.skus).map(name))
        .text("pattern", first.iter().map(|d| PATTERNS[d.pattern]))
        .num("base_weekly_mean", first.iter().map(|d| r4(d.base_weekly / d.share)))
        .num("orders_per_week", first.iter().map(|d| r4(d.orders_per_week / d.share)))
        .num("mean_order_size", first.iter().map(|d| r4(d.size_mean)))
        .num("order_size_cv", first.iter().map(|d| d.size_cv))
        .num("seasonal_amplitude", first.iter().map(|d| r4(d.amplitude)))
        .num("seasonal_phase_weeks", first.iter().map(|d| r4(d.phase)))
        .num("trend_per_year", first.iter().map(|d| r4(d.trend)))
        .text("supplier", first.iter().map(|d| sups[d.supplier].name.as_str()))
        .num("supplier_lead_time_bias", first.iter().map(|d| r4(sups[d.supplier].bias)))
        .num("supplier_lead_time_spread", first.iter().map(|d| r4(sups[d.supplier].spread)))
        .num("supplier_planned_days", first.iter().map(|d| sups[d.supplier].planned_days))
        .num("supplier_on_time_share", first.iter().map(|d| r4(sups[d.supplier].on_time_share)))
        .int("demand_starts_week", first.iter().map(|d| d.starts as u64))
        .text(
            "promotions",
            first.iter().map(|d| {
                let v: Vec<String> = d.promos.iter().map(|(a, l, k)| format!("weeks {a}-{} x{k}", a + l - 1)).collect();
                v.join("; ")
            }),
        );
    summary.files.push(("ground_truth".into(), s.skus));
    write(t, "ground_truth")?;

    if s.events > 0.0 {
        let rows: Vec<(usize, &(usize, usize, f64))> =
            first.iter().enumerate().flat_map(|(i, d)| d.promos.iter().map(move |p| (i, p))).collect();
        let day = |w: usize| date((w * 7) as u32);
        let t = Table::new()
            .text("sku", rows.iter().map(|(i, _)| name(*i)))
            .date("start", rows.iter().map(|(_, p)| day(p.0)))
            .date("end", rows.iter().map(|(_, p)| add_days(day(p.0 + p.1), -1)))
            .num("factor", rows.iter().map(|(_, p)| p.2))
            .text("name", rows.iter().map(|(_, p)| format!("promotion x{}", p.2)));
        summary.files.push(("events".into(), rows.len()));
        write(t, "events")?;
    }

    // What happened next: backorders created in the weeks after the history.
    if s.future_weeks > 0 {
        let end = days + (s.future_weeks * 7) as u32;
        let next = |d: &SkuData| -> (Option<u32>, f64) {
            let b: Vec<&Back> = d.backs.iter().filter(|b| b.day >= days && b.day < end).collect();
            (b.iter().map(|b| b.day).min(), b.iter().map(|b| b.qty).sum())
        };
        let o: Vec<(Option<u32>, f64)> = data.iter().map(next).collect();
        let mut t = Table::new().text("sku", (0..units.len()).map(name_of));
        if located {
            t = t.text("location", (0..units.len()).map(place));
        }
        let t = t
            .text("backordered", o.iter().map(|x| if x.0.is_some() { "true" } else { "false" }))
            .opt_date("first_backorder_date", o.iter().map(|x| x.0.map(date)))
            .num("backordered_units", o.iter().map(|x| x.1))
            .date("window_start", (0..units.len()).map(|_| date(days)))
            .date("window_end", (0..units.len()).map(|_| date(end - 1)));
        summary.files.push(("outcomes".into(), units.len()));
        write(t, "outcomes")?;
    }
    Ok(summary)
}
