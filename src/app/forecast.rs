//! `replen forecast`: forecast every SKU with sales and write the quantiles.

use super::*;

/// Summary of a forecast run.
#[derive(Debug, Clone)]
pub struct ForecastSummary {
    /// Planning date used.
    pub as_of: NaiveDate,
    /// SKUs forecast.
    pub skus: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The calibration in words.
    pub calibration: String,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `replen forecast`: forecast every SKU with sales and write `forecast.csv`.
pub fn forecast(o: &RunOptions) -> Result<ForecastSummary> {
    // Items when present: new items may forecast from a like item, events name categories.
    let load = Load {
        backorders: o.settings.sales_are == crate::series::SalesAre::Shipments,
        items: true,
        ..Default::default()
    };
    o.progress.stage("reading data");
    let ds = Dataset::load(&o.data, load, &o.settings.files)?;
    let as_of = as_of(&ds, o.as_of)?;
    let f = run_forecasts(&ds, o, as_of);
    o.progress.stage("writing");
    let forecast = |s: u32| !f.set.series[s as usize].values.is_empty() || f.likes.contains_key(&s);
    let skus = sorted_skus(&ds, forecast);
    let mut warnings = ds.warnings.clone();
    warnings.extend(date_warnings(o, &ds, as_of));
    // A SKU sold at locations is forecast there: its plain code (from items) is not missing.
    let located: std::collections::HashSet<&str> = (0..ds.skus.len() as u32)
        .map(|k| crate::ingest::split_key(ds.skus.name(k)))
        .filter(|(_, at)| !at.is_empty())
        .map(|(code, _)| code)
        .collect();
    let without = (0..ds.skus.len() as u32).filter(|&k| !forecast(k) && !located.contains(ds.skus.name(k))).count();
    if without > 0 {
        warnings.push(format!("{without} SKU(s) have no sales before {as_of} and are not forecast"));
    }
    let file = o.out.join("forecast.csv");
    write_forecast(&ds, &f, &skus, &file)?;
    let models = o.out.join("forecast_models.csv");
    write_models(&ds, &f, &skus, &models)?;
    Ok(ForecastSummary {
        as_of,
        skus: skus.len(),
        files: [file, models].into_iter().chain(write_rejected(&ds.rejected, ds.skipping(), &o.out)?).collect(),
        calibration: calibration_note(&f),
        warnings,
    })
}
