//! The readers never panic: raw bytes as a CSV sales file, and Parquet files whose columns
//! have any type, are either read into clean tables or refused with an error. A short run
//! here; a long one with `REPLEN_FUZZ_CASES=20000 cargo test --release --test fuzz_readers`.

use polars::prelude::*;
use proptest::prelude::*;
use replen::ingest::{Dataset, Load, MAX_NUMBER, YEARS};
use replen::source::{FileSpec, FileSpecs};

fn cases() -> u32 {
    std::env::var("REPLEN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

/// What any successful read must hold: aligned columns, numbers and dates in range.
fn assert_clean(ds: &Dataset) {
    use chrono::Datelike;
    let s = &ds.sales;
    assert_eq!(s.sku.len(), s.date.len());
    assert_eq!(s.sku.len(), s.qty.len());
    assert!(s.qty.iter().all(|q| q.is_finite() && (0.0..=MAX_NUMBER).contains(&q)));
    assert!(s.date.iter().all(|d| YEARS.contains(&d.year())));
    assert!(s.sku.iter().all(|k| (*k as usize) < ds.skus.len()));
}

fn load(dir: &std::path::Path, specs: &FileSpecs) {
    let load = Load { sales_details: true, ..Default::default() };
    if let Ok(ds) = Dataset::load(dir, load, specs) {
        assert_clean(&ds);
    }
}

/// Settings that change how cells are read: none, or every option at once.
fn specs(messy: bool) -> FileSpecs {
    let mut m = FileSpecs::new();
    if messy {
        m.insert(
            "sales".into(),
            FileSpec {
                date_formats: vec!["%d-%b-%y".into(), "%m/%d/%Y".into()],
                null_values: vec!["N/A".into()],
                on_bad_rows: Some("skip".into()),
                decimal_comma: true,
                ..Default::default()
            },
        );
    }
    m
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"2024-01-0".to_vec()),
        Just(b"1800-01-01".to_vec()),
        Just(b"N/A".to_vec()),
        Just(b"1e300".to_vec()),
        Just(b"-".to_vec()),
        Just("\u{feff}".as_bytes().to_vec()),
        "[0-9]{1,4}".prop_map(String::into_bytes),
        "[a-zA-Z ]{1,3}".prop_map(String::into_bytes),
        any::<u8>().prop_map(|b| vec![b]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_bytes_as_a_sales_csv_read_or_refuse(
        header in prop_oneof![Just("date,sku,qty\n"), Just("date;sku;qty\n"), Just("DATE,Sku,qty,qty\n"), Just("")],
        body in prop::collection::vec(token(), 0..60),
        messy in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend(body.concat());
        std::fs::write(dir.path().join("sales.csv"), &bytes).unwrap();
        load(dir.path(), &specs(messy));
    }

    #[test]
    fn parquet_columns_of_any_type_read_or_refuse(kinds in prop::collection::vec(0u8..10, 4), n in 0usize..6, seed in any::<u64>()) {
        let dir = tempfile::tempdir().unwrap();
        let names = ["date", "sku", "qty", "extra"];
        let cols: Vec<Column> = names.iter().zip(&kinds).map(|(name, k)| column(name, *k, n, seed)).collect();
        let mut df = DataFrame::new_infer_height(cols).unwrap();
        let f = std::fs::File::create(dir.path().join("sales.parquet")).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
        load(dir.path(), &specs(false));
    }
}

/// A column of `n` values of type number `k`: text, integers, floats (with NaN, infinities
/// and negatives), booleans, dates, zoned timestamps, decimals, lists, nulls, durations.
fn column(name: &str, k: u8, n: usize, seed: u64) -> Column {
    let x =
        |i: usize| ((seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64 * 1442695040888963407)) >> 33) as i64;
    let name: PlSmallStr = name.into();
    match k {
        0 => Column::new(name, (0..n).map(|i| format!("2024-01-{:02}", x(i) % 40)).collect::<Vec<_>>()),
        1 => Column::new(name, (0..n).map(|i| x(i) % 1000 - 10).collect::<Vec<i64>>()),
        2 => Column::new(
            name,
            (0..n).map(|i| [f64::NAN, f64::INFINITY, -1.5, 2.5, 1e300][x(i) as usize % 5]).collect::<Vec<f64>>(),
        ),
        3 => Column::new(name, (0..n).map(|i| x(i) % 2 == 0).collect::<Vec<bool>>()),
        4 => Column::new(name, (0..n).map(|i| (x(i) % 80_000) as i32 - 20_000).collect::<Vec<i32>>())
            .cast(&DataType::Date)
            .unwrap(),
        5 => Column::new(name, (0..n).map(|i| x(i) * 1_000_000).collect::<Vec<i64>>())
            .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))
            .unwrap(),
        6 => Column::new(name, (0..n).map(|i| (x(i) % 100_000) as f64 / 8.0).collect::<Vec<f64>>())
            .cast(&DataType::Decimal(12, 3))
            .unwrap(),
        7 => {
            let lists: Vec<Series> = (0..n).map(|i| Series::new("".into(), vec![x(i), 1])).collect();
            Column::new(name, lists)
        }
        8 => Column::full_null(name, n, &DataType::String),
        _ => Column::new(name, (0..n).map(x).collect::<Vec<i64>>())
            .cast(&DataType::Duration(TimeUnit::Milliseconds))
            .unwrap(),
    }
}

#[test]
fn typed_parquet_columns_read_as_their_values() {
    // Decimal quantities, zoned timestamps and integer SKUs are read, not refused.
    let dir = tempfile::tempdir().unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("date".into(), vec![1_704_103_200_000_000i64, 1_704_189_600_000_000])
            .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))
            .unwrap(),
        Column::new("sku".into(), vec![7i64, 8]),
        Column::new("qty".into(), vec![1.25f64, 3.0]).cast(&DataType::Decimal(12, 3)).unwrap(),
    ])
    .unwrap();
    let f = std::fs::File::create(dir.path().join("sales.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    let ds = Dataset::load(dir.path(), Load::default(), &FileSpecs::new()).unwrap();
    assert_eq!(ds.sales.qty.to_vec(), vec![1.25, 3.0]);
    assert_eq!(ds.sales.date[0].to_string(), "2024-01-01");
    assert_eq!(ds.skus.name(ds.sales.sku[1]), "8");
}
