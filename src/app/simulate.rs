//! `replen simulate`: the last periods replayed through policies rebuilt each period.

use super::*;

/// Summary of a replay simulation.
#[derive(Debug, Clone)]
pub struct SimSummary {
    /// Periods replayed.
    pub periods: usize,
    /// First period replayed.
    pub from: NaiveDate,
    /// SKUs replayed.
    pub skus: usize,
    /// Share of replenishment cycles without a stockout.
    pub cycle_service: f64,
    /// Units served from stock / demand.
    pub fill_rate: f64,
    /// Share of SKU-periods with unmet demand.
    pub stockout_period_rate: f64,
    /// Average stock value.
    pub avg_inventory_value: f64,
    /// Orders placed.
    pub orders: usize,
    /// What history shows for the same periods: units backordered / demand.
    pub history_fill_rate: Option<f64>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `replen simulate`: for each of the last `periods` periods, the forecast and the policy are
/// rebuilt from the data before it; the actual demand is replayed through them, orders arrive
/// after lead times drawn from the receipts' spread, backorders are served first.
pub fn run_simulate(o: &RunOptions, periods: usize) -> Result<SimSummary> {
    o.progress.stage("reading data");
    let load = planning_load(false);
    let ds = Dataset::load(&o.data, load, &o.settings.files)?;
    let end = as_of(&ds, o.as_of)?;
    let s = &o.settings;
    let full = SeriesSet::build(&ds.sales, ds.backorders.as_deref(), s.sales_are, s.period, end, ds.skus.len());
    let first = full.horizon_start() - periods as i64;
    let from = s.period.start(first);
    // Policies rebuilt at every period start.
    let mut levels: Vec<HashMap<u32, (f64, f64, f64)>> = Vec::with_capacity(periods);
    let mut rows0: Option<Plan> = None;
    for k in 0..periods {
        o.progress.stage(&format!("rebuilding the policy, period {} of {periods}", k + 1));
        let at = s.period.start(first + k as i64);
        let f = run_forecasts(&ds, o, at);
        let p = plan(&ds, &f.fc, &f.set, s, at);
        levels.push(p.rows.iter().map(|r| (r.sku_index, (r.reorder_point, r.order_up_to, r.safety_stock))).collect());
        if k == 0 {
            rows0 = Some(p);
        }
    }
    let Some(p0) = rows0 else {
        return Err(Error::Setting {
            name: "--periods".into(),
            value: periods.to_string(),
            expected: "at least 1".into(),
        });
    };
    o.progress.stage("replaying demand");
    // Historical backorders in the same periods, for comparison.
    let mut hist_back: HashMap<u32, f64> = HashMap::new();
    for b in ds.backorders.iter().flatten() {
        let p = s.period.index(b.date);
        if p >= first && p < full.horizon_start() {
            *hist_back.entry(b.sku).or_default() += b.qty;
        }
    }
    let pdays = s.period.days();
    let results: Vec<(usize, sim::ReplayResult)> = p0
        .rows
        .par_iter()
        .enumerate()
        .map(|(n, row)| {
            let ser = &full.series[row.sku_index as usize];
            let demand: Vec<f64> = (first..full.horizon_start())
                .map(|p| if p >= ser.start { ser.values[(p - ser.start) as usize] } else { 0.0 })
                .collect();
            let (lt_mean, lt_sd) = (row.lead_time_days, row.lead_time_sd_days);
            let mut rng =
                rand_chacha::ChaCha8Rng::seed_from_u64(s.seed ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let start = row.order_up_to;
            let mut policy = row.policy(&[]);
            policy.levels = (0..periods)
                .map(|t| levels[t].get(&row.sku_index).map_or((row.reorder_point, row.order_up_to), |x| (x.0, x.1)))
                .collect();
            let r = sim::replay(&demand, start, row, &policy, sim::lead_draw(lt_mean, lt_sd, pdays), &mut rng);
            (n, r)
        })
        .collect();
    let mut all = crate::engine::Tally::default();
    for (_, r) in &results {
        all.merge(&r.tally);
    }
    let value: f64 = results.iter().map(|(n, r)| r.tally.stock / r.tally.ticks.max(1.0) * p0.rows[*n].unit_cost).sum();
    // In SKU order: the map's own order changes from run to run, and so would a sum's last digits.
    let mut by_sku: Vec<(&u32, &f64)> = hist_back.iter().collect();
    by_sku.sort_unstable_by_key(|x| *x.0);
    let hist_units: f64 = by_sku.iter().map(|x| *x.1).sum();
    // Tables.
    let rows: Vec<(&PlanRow, &sim::ReplayResult)> = results.iter().map(|(n, r)| (&p0.rows[*n], r)).collect();
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let per_sku = Table::new()
        .text("sku", rows.iter().map(|(p, _)| p.sku.as_str()))
        .text("supplier", rows.iter().map(|(p, _)| p.supplier.as_str()))
        .text("class", rows.iter().map(|(p, _)| p.class))
        .int("periods", rows.iter().map(|(_, r)| r.tally.ticks as u64))
        .num("demand", rows.iter().map(|(_, r)| r.tally.demand))
        .num("fill_rate", rows.iter().map(|(_, r)| r4(r.tally.fill_rate())))
        .opt_num("cycle_service", rows.iter().map(|(_, r)| (r.tally.cycles > 0.0).then(|| r4(r.tally.cycle_service()))))
        .int("stockout_periods", rows.iter().map(|(_, r)| r.tally.stockout_ticks as u64))
        .int("orders", rows.iter().map(|(_, r)| r.tally.orders as u64))
        .num("avg_on_hand", rows.iter().map(|(_, r)| r4(r.tally.stock / r.tally.ticks.max(1.0))))
        .num("avg_on_hand_value", rows.iter().map(|(p, r)| r4(r.tally.stock / r.tally.ticks.max(1.0) * p.unit_cost)))
        .num("history_backordered_units", rows.iter().map(|(p, _)| hist_back.get(&p.sku_index).copied().unwrap_or(0.0)))
        .opt_num(
            "history_fill_rate",
            rows.iter().map(|(p, r)| {
                (r.tally.demand > 0.0)
                    .then(|| r4(1.0 - hist_back.get(&p.sku_index).copied().unwrap_or(0.0) / r.tally.demand))
            }),
        );
    let mut files = vec![o.out.join("simulation.csv"), o.out.join("simulation_trajectory.csv")];
    write_csv(per_sku, &files[0])?;
    let traj: Vec<(&str, NaiveDate, f64, f64, f64, f64, f64)> = rows
        .iter()
        .flat_map(|(p, r)| {
            let ser = &full.series[p.sku_index as usize];
            r.trajectory.iter().enumerate().map(move |(t, x)| {
                let per = first + t as i64;
                let d = if per >= ser.start { ser.values[(per - ser.start) as usize] } else { 0.0 };
                (p.sku.as_str(), s.period.start(per), d, x.end, x.ordered, x.received, x.reorder_point)
            })
        })
        .collect();
    let t = Table::new()
        .text("sku", traj.iter().map(|x| x.0))
        .date("period_start", traj.iter().map(|x| x.1))
        .num("demand", traj.iter().map(|x| x.2))
        .num("stock_end", traj.iter().map(|x| r4(x.3)))
        .num("ordered", traj.iter().map(|x| x.4))
        .num("received", traj.iter().map(|x| x.5))
        .num("reorder_point", traj.iter().map(|x| r4(x.6)));
    write_csv(t, &files[1])?;
    // Charts of the SKUs with the most demand value.
    let charts = o.out.join("charts");
    std::fs::create_dir_all(&charts).map_err(|e| Error::Write { path: charts.clone(), source: e })?;
    let mut top: Vec<&(&PlanRow, &sim::ReplayResult)> = rows.iter().collect();
    top.sort_by(|a, b| {
        (b.1.tally.demand * b.0.unit_cost).total_cmp(&(a.1.tally.demand * a.0.unit_cost)).then(a.0.sku.cmp(&b.0.sku))
    });
    for (p, r) in top.into_iter().take(6) {
        let lv =
            |t: usize| levels[t].get(&p.sku_index).copied().unwrap_or((p.reorder_point, p.order_up_to, p.safety_stock));
        let c = crate::chart::ProjectionChart {
            title: format!("{}: replayed stock, last {periods} periods", p.sku),
            dates: (0..r.trajectory.len()).map(|t| s.period.start(first + t as i64)).collect(),
            stock: r.trajectory.iter().map(|x| (x.start, x.end)).collect(),
            safety_stock: (0..r.trajectory.len()).map(|t| lv(t).2).collect(),
            reorder_point: (0..r.trajectory.len()).map(|t| lv(t).0).collect(),
            receipts: r.trajectory.iter().map(|x| x.received).collect(),
            stock_label: "replayed stock".into(),
        };
        files.push(crate::chart::projection(
            &charts,
            &format!("sim_{}", p.sku.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
            &c,
        )?);
    }
    Ok(SimSummary {
        periods,
        from,
        skus: rows.len(),
        cycle_service: all.cycle_service(),
        fill_rate: all.fill_rate(),
        stockout_period_rate: all.stockout_ticks / all.ticks.max(1.0),
        avg_inventory_value: value,
        orders: all.orders as usize,
        history_fill_rate: ds.backorders.as_ref().map(|_| {
            if all.demand > 0.0 {
                1.0 - hist_units / all.demand
            } else {
                1.0
            }
        }),
        files,
        warnings: ds.warnings.clone(),
    })
}
