//! Ingestion keeps totals: the demand in the series adds up to the quantities in the file.

use replen::generate::{generate, GenSettings};
use replen::ingest::{Dataset, Format, Load};
use replen::period::Period;
use replen::series::{SalesAre, SeriesSet};

#[test]
fn series_totals_equal_file_totals_for_the_same_dates() {
    let t = tempfile::tempdir().unwrap();
    generate(
        &GenSettings { skus: 20, weeks: 40, seed: 5, format: Format::Csv, patterns: Vec::new(), ..Default::default() },
        t.path(),
    )
    .unwrap();
    let ds = Dataset::load(t.path(), Load::default(), &Default::default()).unwrap();
    for period in [Period::Day, Period::Week, Period::Month] {
        // A Monday that starts a month as well: no partial period is cut at the as-of date.
        let as_of = chrono::NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        let set = SeriesSet::build(&ds.sales, None, SalesAre::Orders, period, as_of, ds.skus.len());
        let in_series: f64 = set.series.iter().flat_map(|s| s.values.iter()).sum();
        let in_file: f64 =
            ds.sales.date.iter().zip(ds.sales.qty.iter()).filter(|(d, _)| **d < as_of).map(|(_, q)| q).sum();
        assert!(in_file > 0.0);
        assert!((in_series - in_file).abs() < 1e-6, "{period:?}: {in_series} vs {in_file}");
    }
}
