//! `replen kpi`: the KPIs planners track, over a span of history.

use super::*;

/// Writes `kpis.csv` and `kpis.json`.
pub(super) fn write_kpis(k: &Kpis, out: &Path, as_of: NaiveDate) -> Result<Vec<PathBuf>> {
    let (csv, json) = (out.join("kpis.csv"), out.join("kpis.json"));
    let (t, text) = kpi_tables(k, as_of).map_err(|e| Error::Write { path: json.clone(), source: e.into() })?;
    write_csv(t, &csv)?;
    crate::output::write_text(&json, &text)?;
    Ok(vec![csv, json])
}

/// The table of `kpis.csv` and the text of `kpis.json`.
pub(super) fn kpi_tables(k: &Kpis, as_of: NaiveDate) -> serde_json::Result<(Table, String)> {
    let t = Table::new()
        .text("kpi", k.rows.iter().map(|r| r.kpi.as_str()))
        .text("scope", k.rows.iter().map(|r| r.scope.as_str()))
        .opt_date("period_start", k.rows.iter().map(|r| r.period_start))
        .num("value", k.rows.iter().map(|r| r.value))
        .text("unit", k.rows.iter().map(|r| r.unit));
    let overall: serde_json::Map<String, serde_json::Value> =
        k.rows.iter().filter(|r| r.scope == "all").map(|r| (r.kpi.clone(), serde_json::json!(r.value))).collect();
    let mut suppliers: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    let mut locations: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for r in k.rows.iter().filter(|r| r.scope != "all" && r.scope != "period") {
        let (map, name) = match r.scope.strip_prefix("location:") {
            Some(loc) => (&mut locations, loc.to_string()),
            None => (&mut suppliers, r.scope.clone()),
        };
        let e = map.entry(name).or_insert_with(|| serde_json::json!({}));
        e[r.kpi.as_str()] = serde_json::json!(r.value);
    }
    let by_period: Vec<serde_json::Value> = k
        .by_period
        .iter()
        .map(|(d, c)| {
            serde_json::json!({
                "period_start": d.to_string(),
                "orders": c.orders,
                "backordered_orders": c.backordered_orders,
                "backorder_rate": (c.backorder_rate() * 1e4).round() / 1e4,
                "unit_fill_rate": (c.fill_rate() * 1e4).round() / 1e4,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "as_of": as_of.to_string(),
        "from": k.from.map(|d| d.to_string()),
        "to": k.to.map(|d| d.to_string()),
        "overall": overall,
        "suppliers": suppliers,
        "locations": locations,
        "by_period": by_period,
    });
    Ok((t, serde_json::to_string_pretty(&doc)?))
}

/// Summary of a KPI run.
#[derive(Debug, Clone)]
pub struct KpiSummary {
    /// Orders counted.
    pub orders: usize,
    /// Backorder rate, %.
    pub backorder_rate: f64,
    /// Unit fill rate, %.
    pub fill_rate: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `replen kpi`: KPIs of the history between `from` and `to`.
pub fn kpi(o: &RunOptions, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<KpiSummary> {
    o.progress.stage("reading data");
    let load = Load {
        sales_details: true,
        planning: true,
        planning_required: false,
        backorders: true,
        items: true,
        check_only: false,
        orders_whole: false,
    };
    let ds = Dataset::load(&o.data, load, &o.settings.files)?;
    let as_of = as_of(&ds, o.as_of)?;
    o.progress.stage("backtesting forecasts");
    let f = run_forecasts(&ds, o, as_of);
    let lts = ds.items.as_ref().map(|items| lead_times(items, ds.purchase_orders.as_deref().unwrap_or(&[]), as_of));
    let k =
        kpis::compute(&ds, o.settings.sales_are, o.settings.period, from, to, Some(&f.fc.calibration), lts.as_ref());
    let files = write_kpis(&k, &o.out, as_of)?;
    Ok(KpiSummary {
        orders: k.overall.orders,
        backorder_rate: k.overall.backorder_rate(),
        fill_rate: k.overall.fill_rate(),
        files,
        warnings: ds.warnings.clone(),
    })
}
