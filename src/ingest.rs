//! Reading and validating the input folder. Files are read with polars (CSV, Parquet or Excel,
//! see [`crate::source`]) as text columns, then every cell is parsed here with its row number in
//! hand, so a planner is told the file, row, column and value of each problem. What comes out
//! are plain typed tables; polars stays at this edge.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::error::{Error, Problem, Result};
use crate::period::parse_date;
use crate::source::{header_base, invalid, readable, suggest_columns};
pub use crate::source::{locate, require, FileSpecs, Format, Source};

/// Names of the input tables (`[files.NAME]` in the settings).
pub const TABLES: [&str; 8] =
    ["sales", "backorders", "items", "inventory", "purchase_orders", "events", "item_locations", "outcomes"];

/// Dates outside these years are refused as typos (a year 1800 would add centuries of zeros).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Numbers above this are refused as typos (1e300 units would turn every KPI to nonsense).
pub const MAX_NUMBER: f64 = 1e12;

/// A row left out of a table read with `on_bad_rows = "skip"`: one line per problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// File name.
    pub file: String,
    /// 1-based data row (the header is not counted).
    pub row: usize,
    /// Column of the problem.
    pub column: String,
    /// The cell as read.
    pub value: String,
    /// What is wrong.
    pub problem: String,
}

/// A file read as text columns, keyed by contract (lower-case) column name, with the settings
/// that say how its cells are written.
struct RawTable {
    path: PathBuf,
    file: String,
    rows: usize,
    /// Data rows of the file before this part's first.
    first_row: usize,
    /// About how many rows the whole file has (to size what is built from it).
    file_rows: usize,
    /// Rows read, blank ones included.
    read_rows: usize,
    cols: HashMap<String, StringChunked>,
    /// The file's 1-based data row of each row kept, when blank rows were left out.
    row_no: Option<Vec<usize>>,
    null_values: Vec<String>,
    date_formats: Vec<String>,
    decimal_comma: bool,
    skip: bool,
}

impl RawTable {
    /// Reads the `required` and present `optional` columns of a table as text: the settings'
    /// column mapping first, then the contract names (any case). Blank rows are left out.
    fn read(src: &Source, required: &[&str], optional: &[&str]) -> Result<RawTable> {
        let (lf, wanted) = RawTable::columns(src, required, optional)?;
        let t = RawTable::collect(src, lf, &wanted, 0)?;
        if t.rows == 0 {
            return Err(Error::NoRows { path: src.path.clone() });
        }
        Ok(t)
    }

    /// [`RawTable::read`] a part at a time: a UTF-8 CSV file larger than `chunk` bytes is read
    /// in parts of about that size, cut between records, and a Parquet file in slices of about
    /// `chunk / 64` rows, so that only a part's text or two are held at once; rows keep the
    /// file's numbers. Other files are read whole, as one part.
    fn read_parts(
        src: &Source,
        required: &[&str],
        optional: &[&str],
        chunk: usize,
        mut each: impl FnMut(RawTable) -> Result<()>,
    ) -> Result<()> {
        let file_len = std::fs::metadata(&src.path).map_or(0, |m| m.len() as usize);
        let sep = crate::source::utf8_csv_separator(src)?;
        // Parquet is read in slices of rows whatever its size: it compresses several times over.
        let parquet = src.format == Format::Parquet;
        if !parquet && (file_len <= chunk || sep.is_none()) {
            return each(RawTable::read(src, required, optional)?);
        }
        let (lf, wanted) = RawTable::columns(src, required, optional)?;
        // One thread reads and parses the parts, one part ahead of the caller converting them.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<RawTable>>(1);
        let mut kept = 0usize;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let parts: Box<dyn Iterator<Item = Result<RawTable>>> = match sep {
                    Some(sep) => Box::new(RawTable::parse_parts(src, sep, chunk, &wanted)),
                    None => Box::new(RawTable::slice_parts(src, lf, chunk, &wanted)),
                };
                for t in parts {
                    let stop = t.is_err();
                    // The caller stopped (an error in an earlier part): so does the reading.
                    if tx.send(t).is_err() || stop {
                        return;
                    }
                }
            });
            for t in rx {
                let t = t?;
                kept += t.rows;
                if t.rows > 0 {
                    each(t)?;
                }
            }
            Ok::<(), Error>(())
        })?;
        if kept == 0 {
            return Err(Error::NoRows { path: src.path.clone() });
        }
        Ok(())
    }

    /// The parts of a UTF-8 CSV file with separator `sep`, each of about `chunk` bytes, as text
    /// tables of the `wanted` columns with the file's row numbers.
    fn parse_parts<'a>(
        src: &'a Source,
        sep: u8,
        chunk: usize,
        wanted: &'a [(String, String)],
    ) -> impl Iterator<Item = Result<RawTable>> + 'a {
        let io = |e: std::io::Error| Error::Read {
            path: src.path.clone(),
            source: PolarsError::IO { error: e.into(), msg: None },
        };
        let file_len = std::fs::metadata(&src.path).map_or(0.0, |m| m.len() as f64);
        let mut parts = Some(crate::source::CsvParts::open(&src.path, chunk).map_err(io));
        let mut first_row = 0usize;
        std::iter::from_fn(move || {
            let p = match parts.as_mut()? {
                Ok(p) => p,
                Err(_) => return parts.take().and_then(Result::err).map(Err),
            };
            let bytes = match p.next_part() {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return None,
                Err(e) => {
                    parts = None;
                    return Some(Err(io(e)));
                }
            };
            let part_len = bytes.len().max(1) as f64;
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .map_parse_options(|o| o.with_separator(sep).with_missing_is_null(true))
                .into_reader_with_file_handle(std::io::Cursor::new(bytes.as_slice()))
                .finish();
            p.recycle(bytes);
            let df = match df {
                Ok(df) => df,
                Err(e) => {
                    parts = None;
                    return Some(Err(csv_failure(src).unwrap_or(Error::Read { path: src.path.clone(), source: e })));
                }
            };
            let t = RawTable::collect(src, df.lazy(), wanted, first_row).map(|mut t| {
                t.file_rows = first_row.max((t.read_rows as f64 * file_len / part_len).ceil() as usize);
                t
            });
            first_row += t.as_ref().map_or(0, |t| t.read_rows);
            Some(t)
        })
    }

    /// The parts of a Parquet file (`lf`, its scan) as slices of about `chunk / 64` rows, as
    /// text tables of the `wanted` columns with the file's row numbers.
    fn slice_parts<'a>(
        src: &'a Source,
        lf: LazyFrame,
        chunk: usize,
        wanted: &'a [(String, String)],
    ) -> impl Iterator<Item = Result<RawTable>> + 'a {
        let read_err = |e| Error::Read { path: src.path.clone(), source: e };
        // The row count comes from the file's metadata.
        let total = lf
            .clone()
            .select([len()])
            .collect()
            .map_err(read_err)
            .and_then(|df| df.column("len").and_then(|c| c.get(0)).map_err(read_err).map(|v| v.extract::<usize>()));
        let (total, mut failed) = match total {
            Ok(n) => (n.unwrap_or(0), None),
            Err(e) => (0, Some(e)),
        };
        // Parquet compresses several times over: a slice holds as many rows as `chunk` bytes of
        // CSV would (about 64 bytes a row), not `chunk` bytes of the file.
        let rows = (chunk / 64).max(1);
        let mut first_row = 0usize;
        std::iter::from_fn(move || {
            if let Some(e) = failed.take() {
                first_row = total;
                return Some(Err(e));
            }
            if first_row >= total {
                return None;
            }
            let part = lf.clone().slice(first_row as i64, rows as IdxSize);
            let t = RawTable::collect(src, part, wanted, first_row).map(|mut t| {
                t.file_rows = total;
                t
            });
            first_row = match &t {
                Ok(t) if t.read_rows > 0 => first_row + t.read_rows,
                _ => total,
            };
            Some(t)
        })
    }

    /// The frame of a table and its columns to read, as (contract name, name in the file): the
    /// settings' column mapping first, then the contract names (any case). Checks the header.
    fn columns(src: &Source, required: &[&str], optional: &[&str]) -> Result<(LazyFrame, Vec<(String, String)>)> {
        let path = &src.path;
        let read_err = |source| Error::Read { path: path.clone(), source };
        let mut lf = crate::source::frame(src)?;
        let schema = match lf.collect_schema() {
            Ok(s) => s,
            Err(e) => return Err(csv_failure(src).unwrap_or(read_err(e))),
        };
        let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        let contract: Vec<&str> = required.iter().chain(optional).copied().collect();
        // Contract name -> name in the file.
        let mut present: HashMap<String, String> = HashMap::new();
        for (c, file_col) in &src.spec.columns {
            if !contract.contains(&c.as_str()) {
                return Err(Error::Setting {
                    name: format!("files.{}.columns.{c}", src.name),
                    value: file_col.clone(),
                    expected: format!("a column of `{}`: {}", src.name, contract.join(", ")),
                });
            }
            let found = header
                .iter()
                .find(|h| *h == file_col)
                .or_else(|| header.iter().find(|h| h.trim().eq_ignore_ascii_case(file_col.trim())));
            let same = |h: &String| header_base(h).trim().eq_ignore_ascii_case(file_col.trim());
            if header.iter().filter(|h| same(h)).count() > 1 {
                return Err(invalid(
                    path,
                    None,
                    Some(file_col),
                    format!("the settings map `{c}` to column `{file_col}`, which the header has more than once: rename one"),
                ));
            }
            if let Some((other, _)) =
                src.spec.columns.iter().find(|(o, f)| *o != c && f.trim().eq_ignore_ascii_case(file_col.trim()))
            {
                return Err(Error::Setting {
                    name: format!("files.{}.columns.{c}", src.name),
                    value: file_col.clone(),
                    expected: format!(
                        "a column not already mapped to `{other}`: each file column feeds one contract column"
                    ),
                });
            }
            match found {
                Some(h) => present.insert(c.clone(), h.clone()),
                None => {
                    return Err(invalid(
                        path,
                        None,
                        Some(file_col),
                        format!(
                            "the settings map `{c}` to column `{file_col}`, which the header does not have (it has {})",
                            quoted(&header)
                        ),
                    ))
                }
            };
        }
        let mut dups: Vec<String> = Vec::new();
        for name in &header {
            let canon = header_base(name).trim().to_ascii_lowercase();
            if !contract.contains(&canon.as_str()) || src.spec.columns.contains_key(&canon) {
                continue;
            }
            match present.get(&canon) {
                Some(first) if first != name => {
                    dups.push(format!("`{first}` and `{}`", header_base(name)));
                }
                Some(_) => {}
                None => {
                    present.insert(canon, name.clone());
                }
            }
        }
        if !dups.is_empty() {
            return Err(invalid(
                path,
                None,
                None,
                format!(
                    "the header names a column twice ({}): keep one, or name the one to read in [files.{}.columns]",
                    dups.join(", "),
                    src.name
                ),
            ));
        }
        let missing: Vec<&str> = required.iter().copied().filter(|c| !present.contains_key(*c)).collect();
        if !missing.is_empty() {
            // The header is listed once, with the first missing column.
            let problems = missing
                .iter()
                .enumerate()
                .map(|(k, c)| Problem {
                    row: None,
                    column: Some((*c).to_string()),
                    message: if k == 0 {
                        format!("required column `{c}` is missing (the header has {})", quoted(&header))
                    } else {
                        format!("required column `{c}` is missing")
                    },
                })
                .collect();
            let absent: Vec<&str> = optional.iter().copied().filter(|c| !present.contains_key(*c)).collect();
            let taken: Vec<&str> = present.values().map(String::as_str).collect();
            let suggestion = suggest_columns(&src.name, &missing, &absent, &header, &taken);
            return Err(Error::Columns { path: path.clone(), problems, suggestion });
        }
        let wanted: Vec<(&str, &String)> = contract.iter().filter_map(|c| present.get(*c).map(|o| (*c, o))).collect();
        for (canon, orig) in &wanted {
            let dtype = schema.get(orig.as_str()).cloned().unwrap_or(DataType::Null);
            if !readable(&dtype) {
                return Err(invalid(
                    path,
                    None,
                    Some(canon),
                    format!("column `{orig}` holds {dtype} values, which replen cannot read: store it as text, numbers or dates"),
                ));
            }
        }
        let wanted = wanted.into_iter().map(|(canon, orig)| (canon.to_string(), orig.clone())).collect();
        Ok((lf, wanted))
    }

    /// The `wanted` columns of a frame as text, blank rows left out; its first row is the
    /// file's data row `first_row + 1`.
    fn collect(src: &Source, lf: LazyFrame, wanted: &[(String, String)], first_row: usize) -> Result<RawTable> {
        let path = &src.path;
        let read_err = |source| Error::Read { path: path.clone(), source };
        let exprs: Vec<Expr> = wanted
            .iter()
            .map(|(canon, orig)| col(orig.as_str()).cast(DataType::String).alias(canon.as_str()))
            .collect();
        let df = match lf.select(exprs).collect() {
            Ok(df) => df,
            Err(e) => return Err(csv_failure(src).unwrap_or(read_err(e))),
        };
        let mut cols = HashMap::new();
        for (canon, _) in wanted {
            let s = df.column(canon).and_then(|c| c.str().cloned()).map_err(read_err)?;
            cols.insert(canon.to_string(), s);
        }
        let mut t = RawTable {
            path: path.clone(),
            file: src.file_name(),
            rows: df.height(),
            first_row,
            file_rows: df.height(),
            read_rows: df.height(),
            cols,
            row_no: None,
            null_values: src.spec.null_values.iter().map(|v| v.trim().to_string()).collect(),
            date_formats: src.spec.date_formats.clone(),
            // Workbook and Parquet numbers come as numbers (written with a point).
            decimal_comma: src.spec.decimal_comma && src.format == Format::Csv,
            skip: src.spec.skips_bad_rows(),
        };
        t.drop_blank_rows();
        Ok(t)
    }

    /// Leaves out rows whose every cell read is empty (blank lines), keeping the file's row
    /// numbers of the others for messages.
    fn drop_blank_rows(&mut self) {
        let mut keep = vec![false; self.rows];
        for ca in self.cols.values() {
            for (k, v) in keep.iter_mut().zip(ca.iter()) {
                *k = *k || v.is_some_and(|s| !self.is_null(s));
            }
        }
        if keep.iter().all(|k| *k) {
            return;
        }
        let mask: BooleanChunked = keep.iter().copied().collect();
        for ca in self.cols.values_mut() {
            if let Ok(kept) = ca.filter(&mask) {
                *ca = kept;
            }
        }
        self.row_no = Some(keep.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i + 1).collect());
        self.rows = keep.iter().filter(|k| **k).count();
    }

    /// True for a cell that counts as empty: blank, or one of the settings' null values.
    fn is_null(&self, s: &str) -> bool {
        is_null_in(&self.null_values, s)
    }

    /// The file's data row of row `i`.
    fn row(&self, i: usize) -> usize {
        self.first_row + self.row_no.as_ref().map_or(i + 1, |r| r[i])
    }

    /// The text of one cell, as read.
    fn raw(&self, column: &str, i: usize) -> String {
        self.cols.get(column).and_then(|ca| ca.get(i)).unwrap_or_default().to_string()
    }

    /// True when polars may cast whole columns: no null values or decimal commas to honour.
    fn plain(&self) -> bool {
        self.null_values.is_empty() && !self.decimal_comma
    }

    /// The `date` column as ISO dates and the `number` column as non-negative numbers, cast
    /// by polars; `None` when any cell is empty, not exactly `YYYY-MM-DD`, outside the years
    /// allowed, or not a plain non-negative number in range (the cell-by-cell check then names
    /// it).
    fn typed_dates_and_numbers(&self, date: &str, number: &str) -> Option<(Vec<NaiveDate>, Vec<f64>)> {
        let (d, q) = (self.cols.get(date)?, self.cols.get(number)?);
        if !self.plain()
            || d.null_count() > 0
            || q.null_count() > 0
            || !d.iter().all(|v| v.is_some_and(|s| s.len() == 10))
        {
            return None;
        }
        let df = DataFrame::new_infer_height(vec![
            d.clone().with_name("d".into()).into_column(),
            q.clone().with_name("q".into()).into_column(),
        ])
        .ok()?;
        let iso = StrptimeOptions { format: Some("%Y-%m-%d".into()), strict: false, exact: true, cache: true };
        let out = df.lazy().select([col("d").str().to_date(iso), col("q").cast(DataType::Float64)]).collect().ok()?;
        let (d, q) = (out.column("d").ok()?.date().ok()?, out.column("q").ok()?.f64().ok()?);
        if d.null_count() > 0 || q.null_count() > 0 {
            return None;
        }
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        let dates: Option<Vec<NaiveDate>> = d
            .physical()
            .into_no_null_iter()
            .map(|x| epoch.checked_add_signed(chrono::TimeDelta::days(x.into())))
            .collect();
        let dates = dates?;
        let qty: Vec<f64> = q.into_no_null_iter().collect();
        qty.iter().all(|x| x.is_finite() && *x >= 0.0 && *x <= MAX_NUMBER).then_some(())?;
        dates.iter().all(|d| YEARS.contains(&d.year())).then_some(())?;
        Some((dates, qty))
    }

    /// With a `location` column, each row's `sku` becomes the planning key `SKU @ LOCATION`
    /// (rows without a location keep the plain SKU).
    fn key_by_location(&mut self) {
        let Some(loc) = self.cols.get("location") else { return };
        if loc.null_count() == loc.len() {
            return;
        }
        let Some(sku) = self.cols.get("sku") else { return };
        let keyed: StringChunked = sku
            .iter()
            .zip(loc.iter())
            .map(|(k, l)| {
                let k = k.filter(|k| !self.is_null(k)).map(str::trim);
                match (k, l.filter(|l| !self.is_null(l)).map(str::trim)) {
                    (Some(k), Some(l)) => Some(location_key(k, l)),
                    (k, _) => k.map(String::from),
                }
            })
            .collect();
        self.cols.insert("sku".into(), keyed.with_name("sku".into()));
    }

    fn has(&self, c: &str) -> bool {
        self.cols.contains_key(c)
    }

    /// Text cells of a column (trimmed; empty cells and null values as `None`). Absent columns
    /// give all `None`.
    fn cells<'a>(&'a self, c: &str) -> Box<dyn Iterator<Item = Option<&'a str>> + 'a> {
        match self.cols.get(c) {
            Some(ca) => Box::new(column_cells(ca, &self.null_values)),
            None => Box::new(std::iter::repeat_n(None, self.rows)),
        }
    }
}

/// Whether a cell is empty or one of the file's null values.
fn is_null_in(null_values: &[String], s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || null_values.iter().any(|n| n == s)
}

/// The cells of a text column as [`RawTable::cells`] gives them.
fn column_cells<'a>(ca: &'a StringChunked, null_values: &'a [String]) -> impl Iterator<Item = Option<&'a str>> + 'a {
    ca.iter().map(move |v| v.map(str::trim).filter(|s| !is_null_in(null_values, s)))
}

/// The first ragged row of a CSV that polars could not read, when that is what went wrong.
fn csv_failure(src: &Source) -> Option<Error> {
    (src.format == Format::Csv).then(|| crate::source::explain_csv_failure(src)).flatten()
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// A number written with a decimal comma: `1.234,5` or `1 234,5` is 1234.5; `1.234` (dots
/// grouping thousands) is 1234; anything else as written.
fn parse_decimal_comma(s: &str) -> Option<f64> {
    let grouped = |s: &str, sep: char| {
        let mut parts = s.trim_start_matches('-').split(sep);
        parts
            .next()
            .is_some_and(|p| (1..=3).contains(&p.len()) && !p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()))
            && parts.all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let s = s.replace([' ', '\u{a0}', '\u{202f}'], "");
    if s.contains(',') {
        let (int, frac) = s.rsplit_once(',')?;
        let int = if int.contains('.') { grouped(int, '.').then(|| int.replace('.', ""))? } else { int.to_string() };
        return format!("{int}.{frac}").parse().ok();
    }
    if s.contains('.') && grouped(&s, '.') {
        return s.replace('.', "").parse().ok();
    }
    s.parse().ok()
}

/// A date in one of `formats` (chrono), with or without a time of day.
fn parse_with(s: &str, formats: &[String]) -> Option<NaiveDate> {
    formats.iter().find_map(|f| {
        NaiveDate::parse_from_str(s, f)
            .ok()
            .or_else(|| chrono::NaiveDateTime::parse_from_str(s, f).ok().map(|t| t.date()))
    })
}

/// Collects cell problems of one file while parsing it. With `on_bad_rows = "skip"` a problem
/// rejects its row instead.
/// Problems kept per file: past a point the count is what matters, and memory stays bounded
/// on a badly broken file.
const PROBLEMS_KEPT: usize = 1000;

struct Check<'t> {
    t: &'t RawTable,
    problems: Vec<Problem>,
    /// Rows with a problem, when bad rows are skipped.
    bad: Vec<bool>,
    rejected: Vec<Rejected>,
}

impl<'t> Check<'t> {
    fn new(t: &'t RawTable) -> Self {
        let bad = if t.skip { vec![false; t.rows] } else { Vec::new() };
        Check { t, problems: Vec::new(), bad, rejected: Vec::new() }
    }

    fn add(&mut self, i: usize, column: &str, message: String) {
        let row = self.t.row(i);
        if self.t.skip {
            self.bad[i] = true;
            let value = self.t.raw(column, i);
            self.rejected.push(Rejected {
                file: self.t.file.clone(),
                row,
                column: column.into(),
                value,
                problem: message,
            });
        } else if self.problems.len() < PROBLEMS_KEPT {
            self.problems.push(Problem { row: Some(row), column: Some(column.into()), message });
        }
    }

    /// False when row `i` had a problem and bad rows are skipped (with `error`, a problem
    /// stops the whole file at [`Check::finish`], so every row may be kept until then).
    fn ok(&self, i: usize) -> bool {
        !self.bad.get(i).copied().unwrap_or(false)
    }

    fn text<'a>(&mut self, i: usize, column: &str, v: Option<&'a str>) -> Option<&'a str> {
        if v.is_none() {
            self.add(i, column, "empty cell: a value is required".into());
        }
        v
    }

    fn date(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<NaiveDate> {
        let s = self.text(i, column, v)?;
        self.opt_date(i, column, Some(s))
    }

    fn opt_date(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<NaiveDate> {
        let s = v?;
        match parse_date(s).or_else(|| parse_with(s, &self.t.date_formats)) {
            Some(d) if YEARS.contains(&d.year()) => Some(d),
            Some(d) => {
                self.add(
                    i,
                    column,
                    format!(
                        "`{s}` is in the year {}: dates must fall from {} to {} (a typo in the year?)",
                        d.year(),
                        YEARS.start(),
                        YEARS.end()
                    ),
                );
                None
            }
            None => {
                let expected = if self.t.date_formats.is_empty() {
                    "expected YYYY-MM-DD, e.g. 2024-03-31 (other layouts: set `date_formats` in the settings)"
                        .to_string()
                } else {
                    format!("expected YYYY-MM-DD or {}", self.t.date_formats.join(" or "))
                };
                self.add(i, column, format!("`{s}` is not a valid date: {expected}"));
                None
            }
        }
    }

    fn number(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<f64> {
        let s = self.text(i, column, v)?;
        self.opt_number(i, column, Some(s))
    }

    /// A number that must be zero or more (and at most [`MAX_NUMBER`]).
    fn opt_number(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<f64> {
        let s = v?;
        let parsed = if self.t.decimal_comma { parse_decimal_comma(s) } else { s.parse::<f64>().ok() };
        match parsed {
            Some(x) if x.is_finite() && (0.0..=MAX_NUMBER).contains(&x) => Some(x),
            // `1e400` reads as infinity: too large, not "not a number".
            Some(x) if x > MAX_NUMBER => {
                self.add(i, column, format!("`{s}` is too large: values above 1e12 are taken as typos"));
                None
            }
            Some(x) if x < 0.0 => {
                self.add(i, column, format!("negative quantity `{s}`: must be zero or more"));
                None
            }
            _ => {
                let hint = if s.contains(',') && !self.t.decimal_comma {
                    " (for a decimal comma such as 12,5 set `decimal_comma = true` in the settings)"
                } else {
                    ""
                };
                self.add(i, column, format!("`{s}` is not a number: expected a plain number such as 12 or 12.5{hint}"));
                None
            }
        }
    }

    fn bool(&mut self, i: usize, column: &str, v: Option<&str>) -> bool {
        match v.map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") | Some("0") | Some("no") | Some("n") => false,
            Some("true") | Some("1") | Some("yes") | Some("y") => true,
            Some(other) => {
                self.add(i, column, format!("`{other}` is not true or false"));
                false
            }
        }
    }

    /// The problems found and the rows rejected.
    fn into_parts(self) -> (Vec<Problem>, Vec<Rejected>) {
        (self.problems, self.rejected)
    }

    /// The file's problems as an error, in row order, or the rows rejected.
    fn finish(self, rejected: &mut Vec<Rejected>) -> Result<()> {
        let path = self.t.path.clone();
        let mut found = Found::default();
        found.add(self);
        found.finish(&path, rejected)
    }
}

/// The problems and rejected rows of a file read in parts.
#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    rejected: Vec<Rejected>,
}

impl Found {
    /// Takes a part's problems (up to [`PROBLEMS_KEPT`] in all) and rejected rows.
    fn add(&mut self, c: Check) {
        let (problems, rejected) = c.into_parts();
        let room = PROBLEMS_KEPT.saturating_sub(self.problems.len());
        self.problems.extend(problems.into_iter().take(room));
        self.rejected.extend(rejected);
    }

    /// The file's problems as an error, in row order, or the rows rejected.
    fn finish(mut self, path: &Path, rejected: &mut Vec<Rejected>) -> Result<()> {
        if self.problems.is_empty() {
            rejected.extend(self.rejected);
            Ok(())
        } else {
            self.problems.sort_by_key(|p| p.row);
            Err(Error::Invalid { path: path.to_path_buf(), problems: self.problems })
        }
    }
}

/// A short code read from a file (an order, purchase order or supplier number), held inline
/// when it has up to 24 bytes: tens of millions of rows then cost no allocation each.
pub type Code = compact_str::CompactString;

/// A supplier code, interned: four bytes in each purchase order line (a million items have 24
/// million lines) for a code a catalogue has a few thousand of at most. The codes are held once
/// for the whole process, in a table that only grows; equal codes are equal numbers, and codes
/// compare, print and read as their text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SupplierCode(u32);

/// The supplier codes of the process, in the order first seen, and each code's number.
#[derive(Default)]
struct SupplierCodes {
    names: Vec<&'static str>,
    index: rustc_hash::FxHashMap<&'static str, u32>,
}

static SUPPLIER_CODES: std::sync::RwLock<Option<SupplierCodes>> = std::sync::RwLock::new(None);

impl SupplierCode {
    /// The code of `name` (added when new).
    pub fn new(name: &str) -> SupplierCode {
        // The table is only ever added to, so a panic elsewhere while it was held left it whole.
        let known =
            SUPPLIER_CODES.read().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|t| t.index.get(name).copied());
        if let Some(k) = known {
            return SupplierCode(k);
        }
        let mut guard = SUPPLIER_CODES.write().unwrap_or_else(|e| e.into_inner());
        let t = guard.get_or_insert_with(SupplierCodes::default);
        if let Some(&k) = t.index.get(name) {
            return SupplierCode(k);
        }
        // Held until the process ends: a few bytes per distinct supplier.
        let held: &'static str = Box::leak(name.into());
        let k = u32::try_from(t.names.len()).expect("fewer than 2^32 distinct supplier codes");
        t.names.push(held);
        t.index.insert(held, k);
        SupplierCode(k)
    }

    /// The code's text.
    pub fn as_str(self) -> &'static str {
        let guard = SUPPLIER_CODES.read().unwrap_or_else(|e| e.into_inner());
        // A code exists only once its text is in the table.
        guard.as_ref().map_or("", |t| t.names[self.0 as usize])
    }
}

impl std::ops::Deref for SupplierCode {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SupplierCode {
    fn from(name: &str) -> SupplierCode {
        SupplierCode::new(name)
    }
}

impl std::fmt::Display for SupplierCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for SupplierCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// An optional number in 8 bytes where `Option<f64>` takes 16: NaN stands for none, which no
/// number read from a file is (they are finite).
#[derive(Clone, Copy)]
pub struct OptNum(f64);

impl OptNum {
    /// No number.
    pub const NONE: OptNum = OptNum(f64::NAN);

    /// The number, if any.
    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl From<Option<f64>> for OptNum {
    fn from(x: Option<f64>) -> OptNum {
        debug_assert!(x.is_none_or(|x| !x.is_nan()), "a number read is never NaN");
        x.map_or(OptNum::NONE, OptNum)
    }
}

impl PartialEq for OptNum {
    fn eq(&self, other: &OptNum) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for OptNum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.get(), f)
    }
}

/// A 1-based row number as held in a table's rows (4 bytes each): a file of 2^32 rows or more
/// is never held, so the last numbers stand for any row past them.
pub fn row_number(row: usize) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// Interned SKU codes: tables refer to SKUs by a dense index.
#[derive(Debug, Default, Clone)]
pub struct Skus {
    names: Vec<String>,
    index: rustc_hash::FxHashMap<Code, u32>,
}

impl Skus {
    /// Index of `sku`, adding it when new.
    pub fn intern(&mut self, sku: &str) -> u32 {
        if let Some(&i) = self.index.get(sku) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(sku.to_string());
        self.index.insert(Code::from(sku), i);
        i
    }

    /// Index of `sku` when known.
    pub fn get(&self, sku: &str) -> Option<u32> {
        self.index.get(sku).copied()
    }

    /// Code of SKU number `i`.
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// Number of distinct SKUs seen.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no SKU was seen.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Customer order lines (or shipments, see `sales_are`).
#[derive(Debug, Default, Clone)]
pub struct Sales {
    /// SKU index per line.
    pub sku: Vec<u32>,
    /// Order (or ship) date per line.
    pub date: Vec<NaiveDate>,
    /// Units per line.
    pub qty: Quantities,
    /// Order id per line, when the file has the column and it was asked for. (Unit prices are
    /// checked, never kept: no figure uses them.)
    pub order_id: Option<OrderIds>,
}

/// Units of sales lines, each the value read: four bytes a line while every one is exactly a
/// single-precision number (whole units up to 16 million, halves, quarters), eight from the
/// first that is not (a million items' history has over a hundred million lines).
#[derive(Debug, Clone, PartialEq)]
pub enum Quantities {
    /// Every value exactly an `f32`.
    Narrow(Vec<f32>),
    /// Any values.
    Wide(Vec<f64>),
}

impl Default for Quantities {
    fn default() -> Self {
        Quantities::Narrow(Vec::new())
    }
}

impl FromIterator<f64> for Quantities {
    fn from_iter<I: IntoIterator<Item = f64>>(xs: I) -> Self {
        let mut q = Quantities::default();
        q.extend(xs);
        q
    }
}

impl From<Vec<f64>> for Quantities {
    fn from(v: Vec<f64>) -> Self {
        v.into_iter().collect()
    }
}

impl Quantities {
    /// Number of lines.
    pub fn len(&self) -> usize {
        match self {
            Quantities::Narrow(v) => v.len(),
            Quantities::Wide(v) => v.len(),
        }
    }

    /// True without lines.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Line `i`'s units.
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Quantities::Narrow(v) => f64::from(v[i]),
            Quantities::Wide(v) => v[i],
        }
    }

    /// Every line's units, in order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The units as `f64`s.
    pub fn to_vec(&self) -> Vec<f64> {
        self.iter().collect()
    }

    /// Room for `n` more lines.
    pub fn reserve(&mut self, n: usize) {
        match self {
            Quantities::Narrow(v) => v.reserve(n),
            Quantities::Wide(v) => v.reserve(n),
        }
    }

    /// Adds a line's units, widening every value to `f64` at the first that is not exactly
    /// an `f32`.
    pub fn push(&mut self, x: f64) {
        match self {
            Quantities::Narrow(v) => {
                let narrow = x as f32;
                if f64::from(narrow) == x {
                    v.push(narrow);
                } else {
                    let mut wide: Vec<f64> = Vec::with_capacity(v.capacity().max(v.len() + 1));
                    wide.extend(v.iter().map(|q| f64::from(*q)));
                    wide.push(x);
                    *self = Quantities::Wide(wide);
                }
            }
            Quantities::Wide(v) => v.push(x),
        }
    }

    /// Adds lines' units.
    pub fn extend(&mut self, xs: impl IntoIterator<Item = f64>) {
        for x in xs {
            self.push(x);
        }
    }

    /// Keeps the lines whose `keep` is true.
    fn retain(&mut self, keep: &[bool]) {
        match self {
            Quantities::Narrow(v) => retain_lines(v, keep),
            Quantities::Wide(v) => retain_lines(v, keep),
        }
    }
}

/// Bits of an order id's end offset stored per id ([`OrderIds`]); the tests store 4, so that
/// every test with order ids goes past many multiples of 2^4 bytes, as a file past 4 GB of ids
/// goes past multiples of 2^32.
const OFFSET_BITS: u32 = if cfg!(test) { 4 } else { 32 };

/// The order ids of sales lines, each distinct id stored once (all of them in one text).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OrderIds {
    /// Per line: the index of its id, or [`OrderIds::NONE`] for a line without one.
    pub line: Vec<u32>,
    /// Distinct ids, in the order first seen, one after the other.
    text: String,
    /// Where each distinct id ends in `text`: the low [`OFFSET_BITS`] bits of the offset (a
    /// million-item history has over a hundred million ids, so four bytes each count).
    ends: Vec<u32>,
    /// The first id whose end is past each multiple of 2^[`OFFSET_BITS`] bytes of `text`, in
    /// order: the high part of an end is how many of them are at or before its id.
    wraps: Vec<u32>,
    /// Per distinct id, whether a backorder names it, once [`OrderIds::flag_backordered`]
    /// has freed the text (the ids have no names after it).
    backordered: Option<Vec<bool>>,
}

impl OrderIds {
    /// A line without an order id.
    pub const NONE: u32 = u32::MAX;

    /// Interns the ids of lines, in line order.
    pub fn from_cells<'a>(cells: impl Iterator<Item = Option<&'a str>>) -> OrderIds {
        let mut b = OrderIdsBuilder::with_lines(cells.size_hint().0);
        for c in cells {
            b.push(c);
        }
        b.finish()
    }

    /// Distinct ids.
    pub fn len(&self) -> usize {
        self.backordered.as_ref().map_or(self.ends.len(), Vec::len)
    }

    /// Keeps, per distinct id, only whether one of `backorders` names it, and frees the ids'
    /// text (at a million items, a hundred million ids and 2 GB): what counting the orders
    /// over the whole history needs. The ids have no names after it.
    pub fn flag_backordered(&mut self, backorders: &[Backorder]) {
        if self.backordered.is_some() {
            return;
        }
        let flags = self.named_by(backorders);
        self.keep_flags(flags);
    }

    /// [`OrderIds::flag_backordered`] with the ids the backorders name (`named` says whether
    /// they name one), read before the backorders themselves.
    pub fn flag_named(&mut self, named: impl Fn(&str) -> bool) {
        if self.backordered.is_some() {
            return;
        }
        let flags = self.names().map(named).collect();
        self.keep_flags(flags);
    }

    /// Keeps `flags` (per distinct id, whether a backorder names it) and frees the ids' text.
    fn keep_flags(&mut self, flags: Vec<bool>) {
        self.text = String::new();
        self.ends = Vec::new();
        self.wraps = Vec::new();
        self.backordered = Some(flags);
    }

    /// Per distinct id, whether one of `backorders` names it.
    pub fn named_by<B: std::borrow::Borrow<Backorder>>(&self, backorders: &[B]) -> Vec<bool> {
        use std::hash::BuildHasher;
        let hasher = rustc_hash::FxBuildHasher;
        // Indexes fit: a file of 2^32 backorders (300 GB held) is never read.
        let name = |i: u32| backorders[i as usize].borrow().order_id.as_deref().unwrap_or_default();
        // The backorders naming an order, by index, looked up by name: 5 bytes a backorder
        // where a set of the names took 17 (at a million items, 20 million backorders).
        let mut named: hashbrown::HashTable<u32> = hashbrown::HashTable::new();
        for (i, b) in backorders.iter().enumerate() {
            let Some(id) = b.borrow().order_id.as_deref() else { continue };
            let h = hasher.hash_one(id);
            if named.find(h, |&k| name(k) == id).is_none() {
                named.insert_unique(h, i as u32, |&k| hasher.hash_one(name(k)));
            }
        }
        if named.is_empty() {
            return vec![false; self.len()];
        }
        self.names().map(|n| named.find(hasher.hash_one(n), |&k| name(k) == n).is_some()).collect()
    }

    /// Per distinct id, whether a backorder names it, when [`OrderIds::flag_backordered`]
    /// has been called.
    pub fn backordered(&self) -> Option<&[bool]> {
        self.backordered.as_deref()
    }

    /// True without any id.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Distinct id `k` (none after [`OrderIds::flag_backordered`]).
    pub fn name(&self, k: u32) -> &str {
        debug_assert!(self.backordered.is_none(), "order ids flagged: their text is freed");
        let k = k as usize;
        let start = if k == 0 { 0 } else { self.end(k - 1) };
        &self.text[start..self.end(k)]
    }

    /// Where distinct id `k` ends in the text.
    fn end(&self, k: usize) -> usize {
        let high = self.wraps.partition_point(|&w| w as usize <= k);
        (high << OFFSET_BITS) | self.ends[k] as usize
    }

    /// Adds a distinct id; returns its index.
    fn add(&mut self, id: &str) -> u32 {
        let k = self.ends.len() as u32;
        self.text.push_str(id);
        let end = self.text.len();
        while self.wraps.len() < end >> OFFSET_BITS {
            self.wraps.push(k);
        }
        self.ends.push((end & ((1 << OFFSET_BITS) - 1)) as u32);
        k
    }

    /// The distinct ids, in the order first seen.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|k| self.name(k))
    }

    /// The id of line `i`, when it has one.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.line.get(i).filter(|k| **k != OrderIds::NONE).map(|k| self.name(*k))
    }
}

/// Order ids interned line by line, across the parts of a file: each distinct id is stored
/// once in the ids' text, and the index looks ids up there.
#[derive(Default)]
pub struct OrderIdsBuilder {
    ids: OrderIds,
    index: hashbrown::HashTable<u32>,
    hasher: rustc_hash::FxBuildHasher,
}

impl OrderIdsBuilder {
    /// Room for `lines` lines and a distinct id every two lines (both grow past that).
    pub fn with_lines(lines: usize) -> OrderIdsBuilder {
        OrderIdsBuilder {
            ids: OrderIds { line: Vec::with_capacity(lines), ..OrderIds::default() },
            index: hashbrown::HashTable::with_capacity(lines / 2),
            hasher: rustc_hash::FxBuildHasher,
        }
    }

    /// The next line's id.
    pub fn push(&mut self, cell: Option<&str>) {
        let k = cell.map_or(OrderIds::NONE, |id| self.intern(id));
        self.ids.line.push(k);
    }

    /// The index of `id`, added when new (no line is recorded).
    fn intern(&mut self, id: &str) -> u32 {
        use std::hash::BuildHasher;
        let OrderIdsBuilder { ids, index, hasher } = self;
        let h = hasher.hash_one(id);
        match index.find(h, |&k| ids.name(k) == id) {
            Some(&k) => k,
            None => {
                let k = ids.add(id);
                index.insert_unique(h, k, |&k| hasher.hash_one(ids.name(k)));
                k
            }
        }
    }

    /// Makes room for the ids of a file of `file_rows` lines, from those pushed so far (the
    /// first part): tables of a hundred million ids that grew by doubling would hold the old
    /// and the new copy at once near the end (at a million items, 2 GB more for a moment).
    /// Room that goes unused is never touched, so never resident: there is room for an id a
    /// line, and for twice the text the first part's ids would make (later ids are often
    /// longer: more digits). The index is sized for as many ids per line as the first part
    /// has (its slots are touched at random, so all of it is resident).
    pub fn expect(&mut self, file_rows: usize) {
        use std::hash::BuildHasher;
        let OrderIdsBuilder { ids, index, hasher } = self;
        let (lines, distinct) = (ids.line.len(), ids.ends.len());
        if distinct == 0 || file_rows <= lines {
            return;
        }
        let per_line = distinct as f64 / lines as f64;
        let expected = ((per_line * file_rows as f64 * 1.05).ceil() as usize).min(file_rows);
        let bytes = (ids.text.len() as f64 / distinct as f64 * expected as f64 * 2.0).ceil() as usize;
        ids.text.reserve(bytes.saturating_sub(ids.text.len()));
        ids.ends.reserve(file_rows - distinct);
        index.reserve(expected.saturating_sub(distinct), |&k| hasher.hash_one(ids.name(k)));
    }

    /// Whether `id` was pushed.
    pub fn contains(&self, id: &str) -> bool {
        use std::hash::BuildHasher;
        self.index.find(self.hasher.hash_one(id), |&k| self.ids.name(k) == id).is_some()
    }

    /// The ids.
    pub fn finish(self) -> OrderIds {
        self.ids
    }
}

impl Sales {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.qty.len()
    }

    /// True when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.qty.is_empty()
    }

    /// First and last date of the lines.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((*self.date.iter().min()?, *self.date.iter().max()?))
    }
}

/// One backorder: demand that could not be served from stock when ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Backorder {
    /// SKU index.
    pub sku: u32,
    /// Day the backorder was created.
    pub date: NaiveDate,
    /// Units backordered.
    pub qty: f64,
    /// Day it was filled; `None` while open.
    pub filled_date: Option<NaiveDate>,
    /// Customer order id, when given.
    pub order_id: Option<Code>,
    /// The customer cancelled instead of waiting.
    pub cancelled: bool,
    /// Serving priority: lines with one go first, lowest number first.
    pub priority: OptNum,
    /// Date promised to the customer.
    pub promised_date: Option<NaiveDate>,
    /// 1-based row in the file ([`row_number`]).
    pub row: u32,
}

impl Backorder {
    /// Still open at `as_of`: created before it, not cancelled, and not filled before it.
    pub fn open_at(&self, as_of: NaiveDate) -> bool {
        self.date < as_of && !self.cancelled && self.filled_date.is_none_or(|f| f >= as_of)
    }
}

/// Item master data.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// SKU index.
    pub sku: u32,
    /// Supplier code.
    pub supplier: String,
    /// Cost per unit.
    pub unit_cost: f64,
    /// Planned supplier lead time in days.
    pub lead_time_days: f64,
    /// Minimum order quantity (0 = none).
    pub moq: f64,
    /// Order quantities are multiples of this (1 = any whole unit... or any amount).
    pub order_multiple: f64,
    /// Per-item cycle service level target in (0, 1).
    pub service_level: Option<f64>,
    /// Fixed cost of placing one order line.
    pub order_cost: Option<f64>,
    /// Annual holding cost as a share of unit cost.
    pub holding_rate: Option<f64>,
    /// Free text.
    pub description: Option<String>,
    /// Free text grouping.
    pub category: Option<String>,
    /// An item whose demand pattern and level a new item borrows, and the scale of it.
    pub like: Option<(u32, f64)>,
}

#[cfg(test)]
impl Item {
    /// An item with a supplier, a unit cost and a planned lead time, nothing else set.
    pub(crate) fn plain(sku: u32, supplier: &str, unit_cost: f64, lead_time_days: f64) -> Item {
        Item {
            sku,
            supplier: supplier.into(),
            unit_cost,
            lead_time_days,
            moq: 0.0,
            order_multiple: 1.0,
            service_level: None,
            order_cost: None,
            holding_rate: None,
            description: None,
            category: None,
            like: None,
        }
    }
}

/// One purchase order line (or one receipt of it).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrder {
    /// Purchase order number.
    pub po_id: Code,
    /// SKU index.
    pub sku: u32,
    /// Supplier code.
    pub supplier: SupplierCode,
    /// Day ordered.
    pub order_date: NaiveDate,
    /// Units.
    pub qty: f64,
    /// Day received; `None` while open.
    pub received_date: Option<NaiveDate>,
    /// Day the supplier promised.
    pub expected_date: Option<NaiveDate>,
    /// 1-based row in the file, for messages ([`row_number`]).
    pub row: u32,
}

/// A known event that scales demand: a promotion, a launch, a shortage.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The SKU code it concerns (at every location, or at `location`); `None` for every SKU
    /// (of `category`, when given).
    pub sku: Option<String>,
    /// The location it concerns; `None` for every location.
    pub location: Option<String>,
    /// Item category it concerns (matches `items.category`), when given.
    pub category: Option<String>,
    /// First day, inclusive.
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
    /// Demand multiplier on the days it covers.
    pub factor: f64,
    /// Its name (`event on row N` when the file gives none).
    pub name: String,
}

impl PurchaseOrder {
    /// Still on order at `as_of`: ordered before it and not received before it.
    pub fn open_at(&self, as_of: NaiveDate) -> bool {
        self.order_date < as_of && self.received_date.is_none_or(|r| r >= as_of)
    }
}

/// Everything in an input folder.
#[derive(Debug, Default)]
pub struct Dataset {
    /// Folder read.
    pub dir: PathBuf,
    /// SKU codes of every table.
    pub skus: Skus,
    /// Sales lines.
    pub sales: Sales,
    /// Backorders, when the file exists.
    pub backorders: Option<Vec<Backorder>>,
    /// Items by SKU index, when the file exists.
    pub items: Option<HashMap<u32, Item>>,
    /// On hand by SKU index, when the file exists.
    pub inventory: Option<HashMap<u32, f64>>,
    /// Purchase orders, when the file exists.
    pub purchase_orders: Option<Vec<PurchaseOrder>>,
    /// Promotions, launches and other known events, when the file exists.
    pub events: Vec<Event>,
    /// Rows read per file, in reading order.
    pub rows: Vec<(String, usize)>,
    /// Non-fatal findings, for stderr.
    pub warnings: Vec<String>,
    /// Rows left out of tables read with `on_bad_rows = "skip"`.
    pub rejected: Vec<Rejected>,
    /// How each table was read.
    pub files: FileSpecs,
    /// First and last sales date, kept when the lines are released.
    pub(crate) released_span: Option<(NaiveDate, NaiveDate)>,
    /// What happened after the as-of date (`outcomes`), when the file exists and planning
    /// tables were asked for: read with the rest, so a bad row stops a run before it writes.
    pub outcomes: Option<Outcomes>,
    /// Every backorder's SKU and creation day, once the closed ones are released
    /// ([`Dataset::release_closed_backorders`]): the charts mark them.
    pub(crate) released_backorders: Option<Vec<(u32, NaiveDate)>>,
}

/// The `outcomes` file: per item, whether it was backordered after the as-of date and when first.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    /// The file read.
    pub path: PathBuf,
    /// (SKU key, backordered, first backorder date) per row.
    pub rows: Vec<(String, bool, Option<NaiveDate>)>,
}

/// Which tables to load.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// Load order ids and prices of sales lines (KPIs need them; forecasting does not).
    pub sales_details: bool,
    /// Load items, inventory and purchase orders when present.
    pub planning: bool,
    /// Items and inventory must be present.
    pub planning_required: bool,
    /// Load backorders when present.
    pub backorders: bool,
    /// Load items when present, even without planning (like items, events by category).
    pub items: bool,
    /// Validate the sales lines' order ids and prices without keeping them (`check`, which
    /// only counts).
    pub check_only: bool,
    /// The orders are counted over the whole history (`plan`): once the backorders are read,
    /// each distinct order id keeps only whether a backorder names it, and the ids' text is
    /// freed ([`OrderIds::flag_backordered`]).
    pub orders_whole: bool,
}

impl Dataset {
    /// Reads and validates the folder, each table as its settings in `files` say.
    pub fn load(dir: &Path, what: Load, files: &FileSpecs) -> Result<Dataset> {
        let mut ds = Dataset::load_history(dir, what, files)?;
        ds.load_rest(what)?;
        Ok(ds)
    }

    /// The first part of [`Dataset::load`]: the sales and the backorders (the order ids flagged,
    /// with [`Load::orders_whole`]). The orders can be counted and their ids dropped before
    /// [`Dataset::load_rest`] reads the other tables.
    pub fn load_history(dir: &Path, what: Load, files: &FileSpecs) -> Result<Dataset> {
        let mut ds = Dataset { dir: dir.to_path_buf(), ..Default::default() };
        ds.files = files.clone();
        let src = require(dir, "sales", files)?;
        ds.warnings.extend(src.note.clone());
        let details = match (what.sales_details, what.check_only) {
            (false, _) => Details::None,
            (true, false) => Details::Keep,
            (true, true) => Details::Check,
        };
        ds.sales = read_sales(&src, &mut ds.skus, details, &mut ds.rejected)?;
        far_dated_sales(&src, &mut ds.sales, &mut ds.rejected)?;
        ds.warnings.extend(grouped_thousands(&src, "qty")?);
        ds.rows.push((src.file_name(), ds.sales.len()));
        let backorders = if what.backorders { locate(dir, "backorders", files)? } else { None };
        if let (true, Some(ids), Some(src)) = (what.orders_whole, ds.sales.order_id.as_mut(), &backorders) {
            // The ids the backorders name, read alone first: the sales' ids (at a million items,
            // 3 GB with their text) are then flagged and their text freed before the
            // backorders (1.2 GB) are held beside them. A file read with bad rows skipped
            // names only the ids of the rows kept, so it is flagged once read.
            if !src.spec.skips_bad_rows() {
                let named = or_empty(backordered_ids(src))?;
                ids.flag_named(|id| named.contains(id));
            }
        }
        if let Some(src) = backorders {
            ds.warnings.extend(src.note.clone());
            let b = or_empty(read_backorders(&src, &mut ds.skus, &mut ds.rejected))?;
            ds.rows.push((src.file_name(), b.len()));
            ds.backorders = Some(b);
        }
        if what.orders_whole {
            if let Some(ids) = ds.sales.order_id.as_mut() {
                ids.flag_backordered(ds.backorders.as_deref().unwrap_or(&[]));
            }
        }
        Ok(ds)
    }

    /// The rest of [`Dataset::load`], after [`Dataset::load_history`]: events, items,
    /// inventory, purchase orders and outcomes, the locations, and the checks across tables.
    pub fn load_rest(&mut self, what: Load) -> Result<()> {
        let ds = self;
        let dir = &ds.dir.clone();
        let files = &ds.files.clone();
        if let Some(src) = locate(dir, "events", files)? {
            ds.warnings.extend(src.note.clone());
            let (events, warnings) = or_empty(read_events(&src, &ds.skus, &mut ds.rejected))?;
            ds.rows.push((src.file_name(), events.len()));
            ds.warnings.extend(warnings);
            ds.events = events;
        }
        if what.items && !what.planning {
            if let Some(src) = locate(dir, "items", files)? {
                ds.warnings.extend(src.note.clone());
                let items = read_items(&src, &mut ds.skus, &mut ds.rejected)?;
                ds.rows.push((src.file_name(), items.len()));
                ds.items = Some(items);
            }
        }
        if what.planning {
            let find = |name| {
                if what.planning_required {
                    require(dir, name, files).map(Some)
                } else {
                    locate(dir, name, files)
                }
            };
            if let Some(src) = find("items")? {
                ds.warnings.extend(src.note.clone());
                let items = read_items(&src, &mut ds.skus, &mut ds.rejected)?;
                ds.rows.push((src.file_name(), items.len()));
                ds.items = Some(items);
            }
            if let Some(src) = find("inventory")? {
                ds.warnings.extend(src.note.clone());
                let inv = read_inventory(&src, &mut ds.skus, &mut ds.rejected)?;
                ds.warnings.extend(grouped_thousands(&src, "on_hand")?);
                ds.rows.push((src.file_name(), inv.len()));
                ds.inventory = Some(inv);
            }
            if let Some(src) = locate(dir, "purchase_orders", files)? {
                ds.warnings.extend(src.note.clone());
                let pos = or_empty(read_purchase_orders(&src, &mut ds.skus, &mut ds.rejected))?;
                ds.rows.push((src.file_name(), pos.len()));
                ds.purchase_orders = Some(pos);
            }
            if let Some(src) = locate(dir, "outcomes", files)? {
                ds.warnings.extend(src.note.clone());
                let rows = or_empty(read_outcomes(&src))?;
                ds.rows.push((src.file_name(), rows.len()));
                ds.outcomes = Some(Outcomes { path: src.path.clone(), rows });
            }
            ds.expand_to_locations();
            if let Some(src) = locate(dir, "item_locations", files)? {
                ds.warnings.extend(src.note.clone());
                let n = ds.apply_item_locations(&src)?;
                ds.rows.push((src.file_name(), n));
            }
            ds.cross_check();
        }
        if !ds.rejected.is_empty() {
            let mut per_file: Vec<(String, usize)> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for r in &ds.rejected {
                if seen.insert((&r.file, r.row)) {
                    match per_file.iter_mut().find(|f| f.0 == r.file) {
                        Some(f) => f.1 += 1,
                        None => per_file.push((r.file.clone(), 1)),
                    }
                }
            }
            let list: Vec<String> = per_file.iter().map(|(f, n)| format!("{n} in {f}")).collect();
            ds.warnings.push(format!(
                "{} bad row(s) were left out ({}): each problem is listed in rejected_rows.csv",
                per_file.iter().map(|f| f.1).sum::<usize>(),
                list.join(", ")
            ));
        }
        Ok(())
    }

    /// With locations, every `SKU @ LOCATION` key of an item's SKU becomes an item of its own
    /// (the same master data), and the SKU alone is planned only where it has no location.
    fn expand_to_locations(&mut self) {
        let Some(items) = self.items.as_mut() else { return };
        let keys: Vec<(u32, u32)> = (0..self.skus.len() as u32)
            .filter_map(|k| {
                let (sku, loc) = split_key(self.skus.name(k));
                (!loc.is_empty()).then(|| self.skus.get(sku).map(|s| (k, s))).flatten()
            })
            .filter(|(_, s)| items.contains_key(s))
            .collect();
        if keys.is_empty() {
            return;
        }
        let mut located = std::collections::HashSet::new();
        for (k, s) in keys {
            let mut it = items[&s].clone();
            it.sku = k;
            // A new item at a location borrows from its like item at the same location, when
            // that has data there.
            if let Some((like, factor)) = it.like {
                let at = location_key(self.skus.name(like), split_key(self.skus.name(k)).1);
                if let Some(l) = self.skus.get(&at) {
                    it.like = Some((l, factor));
                }
            }
            items.insert(k, it);
            located.insert(s);
        }
        // A SKU with locations is planned at them; its plain row only where data has no location.
        let inv = self.inventory.as_ref();
        let sold = sold(&self.sales, self.skus.len());
        for s in located {
            let plain_used = inv.is_some_and(|m| m.contains_key(&s)) || sold[s as usize];
            if !plain_used {
                items.remove(&s);
            }
        }
    }

    /// Reads `item_locations` (`sku`, `location`, and any of `service_level`, `moq`,
    /// `lead_time_days`) and overrides those fields of the item at that location. A pair the
    /// data does not have is a warning. Returns the rows read.
    fn apply_item_locations(&mut self, src: &Source) -> Result<usize> {
        let t = RawTable::read(src, &["sku", "location"], &["service_level", "moq", "lead_time_days"])?;
        let mut c = Check::new(&t);
        let mut unknown: Vec<String> = Vec::new();
        let cells = t
            .cells("sku")
            .zip(t.cells("location"))
            .zip(t.cells("service_level").zip(t.cells("moq").zip(t.cells("lead_time_days"))));
        for (i, ((k, l), (sl, (moq, lt)))) in cells.enumerate() {
            let (sku, loc) = (c.text(i, "sku", k), c.text(i, "location", l));
            let sl = c.opt_number(i, "service_level", sl);
            if let Some(v) = sl.filter(|v| !(*v > 0.0 && *v < 1.0)) {
                c.add(i, "service_level", format!("`{v}` is not a share between 0 and 1 (write 95% as 0.95)"));
            }
            let moq = c.opt_number(i, "moq", moq);
            let lt = c.opt_number(i, "lead_time_days", lt);
            if let Some(v) = lt.filter(|v| *v > crate::leadtime::MAX_LEAD_TIME_DAYS as f64) {
                c.add(
                    i,
                    "lead_time_days",
                    format!(
                        "a lead time of {v} days is not plausible: over {} days",
                        crate::leadtime::MAX_LEAD_TIME_DAYS
                    ),
                );
            }
            let (Some(sku), Some(loc)) = (sku, loc) else { continue };
            if !c.ok(i) {
                continue;
            }
            let key = location_key(sku, loc);
            match self.skus.get(&key).and_then(|k| self.items.as_mut().and_then(|m| m.get_mut(&k))) {
                Some(it) => {
                    if let Some(v) = sl.filter(|v| *v > 0.0 && *v < 1.0) {
                        it.service_level = Some(v);
                    }
                    if let Some(v) = moq {
                        it.moq = v;
                    }
                    if let Some(v) = lt.filter(|v| *v <= crate::leadtime::MAX_LEAD_TIME_DAYS as f64) {
                        it.lead_time_days = v;
                    }
                }
                None => unknown.push(key),
            }
        }
        c.finish(&mut self.rejected)?;
        if !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(String::as_str).collect();
            self.warnings.push(format!(
                "{} item_locations row(s) name a SKU and location the other files do not have, and are ignored: {}",
                unknown.len(),
                list_some(&names)
            ));
        }
        Ok(t.rows)
    }

    /// Warnings about SKUs known to one table and not another.
    fn cross_check(&mut self) {
        let Some(items) = &self.items else { return };
        let in_sales = sold(&self.sales, self.skus.len());
        let unknown: Vec<&str> = (0..self.skus.len() as u32)
            .filter(|s| in_sales[*s as usize] && !items.contains_key(s))
            .map(|s| self.skus.name(s))
            .collect();
        if !unknown.is_empty() {
            self.warnings.push(format!(
                "{} SKU(s) in sales are missing from items and are not planned: {}",
                unknown.len(),
                list_some(&unknown)
            ));
        }
        if let Some(inv) = &self.inventory {
            let mut no_item: Vec<&str> =
                inv.keys().filter(|s| !items.contains_key(s)).map(|s| self.skus.name(*s)).collect();
            no_item.sort_unstable();
            if !no_item.is_empty() {
                self.warnings.push(format!(
                    "{} SKU(s) in inventory are missing from items and are ignored: {}",
                    no_item.len(),
                    list_some(&no_item)
                ));
            }
            let mut no_inv: Vec<&str> =
                items.keys().filter(|s| !inv.contains_key(s)).map(|s| self.skus.name(*s)).collect();
            no_inv.sort_unstable();
            if !no_inv.is_empty() {
                self.warnings.push(format!(
                    "{} item(s) have no inventory row; their on-hand is taken as 0: {}",
                    no_inv.len(),
                    list_some(&no_inv)
                ));
            }
        }
        if let Some(inv) = &self.inventory {
            // A location in inventory with nothing sold or ordered there: most often a typo.
            let mut ordered = vec![false; self.skus.len()];
            for p in self.purchase_orders.iter().flatten() {
                ordered[p.sku as usize] = true;
            }
            let mut idle: Vec<&str> = inv
                .keys()
                .filter(|k| {
                    !in_sales[**k as usize] && !ordered[**k as usize] && !split_key(self.skus.name(**k)).1.is_empty()
                })
                .map(|k| self.skus.name(*k))
                .collect();
            idle.sort_unstable();
            if !idle.is_empty() {
                self.warnings.push(format!(
                    "{} inventory row(s) name a location with no sales and no purchase orders for that SKU there (planned with no demand): {}",
                    idle.len(),
                    list_some(&idle)
                ));
            }
        }
        // Codes of the SKUs, once each and sorted, that items does not have.
        let missing = |skus: &mut dyn Iterator<Item = u32>| {
            let mut v: Vec<&str> = skus.filter(|s| !items.contains_key(s)).map(|s| self.skus.name(s)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        if let Some(backs) = &self.backorders {
            let unknown = missing(&mut backs.iter().map(|b| b.sku));
            if !unknown.is_empty() {
                let lines = backs.iter().filter(|b| !items.contains_key(&b.sku)).count();
                self.warnings.push(format!(
                    "{lines} backorder line(s) of {} SKU(s) missing from items are not planned and get no date: {}",
                    unknown.len(),
                    list_some(&unknown)
                ));
            }
        }
        if let Some(pos) = &self.purchase_orders {
            let unknown = missing(&mut pos.iter().map(|p| p.sku));
            if !unknown.is_empty() {
                self.warnings.push(format!(
                    "{} SKU(s) in purchase_orders are missing from items and are ignored: {}",
                    unknown.len(),
                    list_some(&unknown)
                ));
            }
        }
    }

    /// True when any table is read with `on_bad_rows = "skip"` (`rejected_rows.csv` is written).
    pub fn skipping(&self) -> bool {
        self.files.values().any(crate::source::FileSpec::skips_bad_rows)
    }

    /// First and last sales date.
    pub fn sales_span(&self) -> Option<(NaiveDate, NaiveDate)> {
        if self.released_span.is_some() {
            return self.released_span;
        }
        self.sales.span()
    }

    /// Keeps only the backorders still open at `as_of` or created on it or after (what the
    /// plan, the waiting customers, the alerts and the risk check read), once the KPIs and the
    /// demand series are counted; every backorder's SKU and day stay for the charts.
    pub fn release_closed_backorders(&mut self, as_of: NaiveDate) {
        let Some(backs) = self.backorders.as_mut() else { return };
        self.released_backorders = Some(backs.iter().map(|b| (b.sku, b.date)).collect());
        backs.retain(|b| b.open_at(as_of) || b.date >= as_of);
        backs.shrink_to_fit();
    }

    /// Keeps only the purchase orders open at `as_of`, once the lead times are measured:
    /// planning, the what-if scenarios and the alerts read no others (a million items'
    /// history has 24 million lines).
    pub fn release_received_purchase_orders(&mut self, as_of: NaiveDate) {
        if let Some(pos) = self.purchase_orders.as_mut() {
            pos.retain(|p| p.open_at(as_of));
            pos.shrink_to_fit();
        }
    }

    /// Every backorder's SKU and creation day (closed ones included after
    /// [`Dataset::release_closed_backorders`]).
    pub fn backorder_days(&self) -> Box<dyn Iterator<Item = (u32, NaiveDate)> + '_> {
        match &self.released_backorders {
            Some(days) => Box::new(days.iter().copied()),
            None => Box::new(self.backorders.iter().flatten().map(|b| (b.sku, b.date))),
        }
    }

    /// Frees the sales lines once the demand series and KPIs are built from them (the largest
    /// table by far); their first and last dates stay known. Later reads of the lines find
    /// none.
    pub fn release_sales_lines(&mut self) {
        drop(self.take_sales_lines());
    }

    /// Takes the sales lines out, as [`Dataset::release_sales_lines`] does, for a caller that
    /// frees them when it is done with them.
    pub fn take_sales_lines(&mut self) -> Sales {
        self.released_span = self.sales_span();
        std::mem::take(&mut self.sales)
    }
}

/// True for a number written with groups of three digits after a dot and nothing else:
/// `1.200`, `12.500.000`.
fn dot_grouped(cell: &str) -> bool {
    let mut parts = cell.trim().split('.');
    let head = parts.next().unwrap_or_default();
    let mut groups = 0;
    for g in parts {
        if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups > 0 && (1..=3).contains(&head.len()) && head.bytes().all(|b| b.is_ascii_digit())
}

/// A warning when a `;`-separated CSV file read without `decimal_comma` has values of
/// `column` such as `1.200`: in continental exports the dot groups thousands, and read as a
/// decimal point it makes 1,200 units 1.2 (the file is read again, one column, only then).
fn grouped_thousands(src: &Source, column: &str) -> Result<Option<String>> {
    if src.spec.decimal_comma || crate::source::utf8_csv_separator(src)? != Some(b';') {
        return Ok(None);
    }
    let mut found: Option<(usize, usize, String)> = None;
    RawTable::read_parts(src, &[column], &[], PART_BYTES, |t| {
        for (i, cell) in t.cells(column).enumerate() {
            if let Some(c) = cell.filter(|c| dot_grouped(c)) {
                let f = found.get_or_insert_with(|| (0, t.row(i), c.trim().to_string()));
                f.0 += 1;
            }
        }
        Ok(())
    })?;
    Ok(found.map(|(n, row, example)| {
        format!(
            "`{}`: {n} `{column}` value(s) such as `{example}` (row {row}) have groups of three digits after a dot in a file separated by `;`; they are read as decimals ({example} = {}). If the dot separates thousands, set `decimal_comma = true` for this file",
            src.path.display(),
            example.parse::<f64>().unwrap_or(f64::NAN)
        )
    }))
}

/// An optional table with a header and no rows (no backorders this week, no purchase orders
/// open or received) read as an empty one.
fn or_empty<T: Default>(read: Result<T>) -> Result<T> {
    match read {
        Err(Error::NoRows { .. }) => Ok(T::default()),
        other => other,
    }
}

/// Days without a sale, past the line at [`FAR_SHARE`] of all lines in date order, after
/// which the lines are typing errors (2099 for 2025).
const FAR_DAYS: i64 = 366;
/// See [`FAR_DAYS`].
const FAR_SHARE: f64 = 0.99;

/// Sales lines past 99% of the lines and more than a year after every sale before them:
/// typing errors such as 2099 for 2025. The planning date follows the last sale, so one of them would silently plan the whole
/// catalogue for that day. They are problems of the file (each named by row and column), or
/// rejected rows when the file is read with `on_bad_rows = "skip"`.
fn far_dated_sales(src: &Source, sales: &mut Sales, rejected: &mut Vec<Rejected>) -> Result<()> {
    let Some((first, last)) = sales.span() else { return Ok(()) };
    if (last - first).num_days() <= FAR_DAYS {
        return Ok(());
    }
    // The date at FAR_SHARE of the lines, from a count per day.
    let mut per_day = vec![0usize; (last - first).num_days() as usize + 1];
    for d in &sales.date {
        per_day[(*d - first).num_days() as usize] += 1;
    }
    let rank = (FAR_SHARE * (sales.len() - 1) as f64).floor() as usize;
    let mut seen = 0;
    let day = per_day
        .iter()
        .position(|n| {
            seen += n;
            seen > rank
        })
        .unwrap_or(0);
    // Past it, the first stretch of more than FAR_DAYS without any sale: what follows stands
    // apart (a business whose sales thin out over years has no such gap).
    let mut seen_day = day;
    let mut gap_after = None;
    for (k, n) in per_day.iter().enumerate().skip(day + 1) {
        if *n > 0 {
            if (k - seen_day) as i64 > FAR_DAYS {
                gap_after = Some(seen_day);
                break;
            }
            seen_day = k;
        }
    }
    let Some(gap_after) = gap_after else { return Ok(()) };
    let bulk = first + chrono::Duration::days(gap_after as i64);
    let far: Vec<usize> = (0..sales.len()).filter(|&i| sales.date[i] > bulk).collect();
    // File rows of the lines: each row already left out before a line moves it down one.
    let file = src.file_name();
    let mut skipped: Vec<usize> = rejected.iter().filter(|r| r.file == file).map(|r| r.row).collect();
    skipped.sort_unstable();
    let row_of = |i: usize| skipped.iter().fold(i + 1, |row, &r| if r <= row { row + 1 } else { row });
    let message = |d: NaiveDate| {
        format!("dated {d}, more than a year after every sale before it (up to {bulk}): a typing error? The planning date follows the last sale")
    };
    if !src.spec.skips_bad_rows() {
        let problems = far
            .iter()
            .take(PROBLEMS_KEPT)
            .map(|&i| Problem { row: Some(row_of(i)), column: Some("date".into()), message: message(sales.date[i]) })
            .collect();
        return Err(Error::Invalid { path: src.path.clone(), problems });
    }
    for &i in &far {
        let d = sales.date[i];
        rejected.push(Rejected {
            file: file.clone(),
            row: row_of(i),
            column: "date".into(),
            value: d.to_string(),
            problem: message(d),
        });
    }
    let keep: Vec<bool> = (0..sales.len()).map(|i| sales.date[i] <= bulk).collect();
    retain_lines(&mut sales.sku, &keep);
    retain_lines(&mut sales.date, &keep);
    sales.qty.retain(&keep);
    if let Some(ids) = sales.order_id.as_mut() {
        retain_lines(&mut ids.line, &keep);
    }
    Ok(())
}

/// Keeps the entries of `v` whose `keep` is true.
fn retain_lines<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(true));
}

/// Which SKU indices (of `n`) have any sales line.
fn sold(sales: &Sales, n: usize) -> Vec<bool> {
    let mut out = vec![false; n];
    for &s in &sales.sku {
        out[s as usize] = true;
    }
    out
}

/// The first few entries of a list, with a count of the rest.
pub fn list_some(v: &[&str]) -> String {
    let shown: Vec<String> = v.iter().take(8).map(|s| format!("`{s}`")).collect();
    if v.len() > 8 {
        format!("{} and {} more", shown.join(", "), v.len() - 8)
    } else {
        shown.join(", ")
    }
}

/// Separator of a SKU and its location in a planning key.
pub const LOCATION_SEP: &str = " @ ";

/// The planning key of a SKU at a location.
pub fn location_key(sku: &str, location: &str) -> String {
    format!("{sku}{LOCATION_SEP}{location}")
}

/// A planning key split into its SKU and location (empty for the one unnamed location).
pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once(LOCATION_SEP).unwrap_or((key, ""))
}

/// Parts a large file is read in: about 64 MB of text at a time.
pub const PART_BYTES: usize = 64 << 20;

/// What is read of the sales lines' order ids and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
    /// Neither is read.
    None,
    /// Both are read and checked, not kept.
    Check,
    /// Both are read and checked; the order ids are kept (prices are not: nothing uses them).
    Keep,
}

/// Reads the sales file, with order ids and prices as `details` says.
pub fn read_sales(src: &Source, skus: &mut Skus, details: Details, rejected: &mut Vec<Rejected>) -> Result<Sales> {
    read_sales_in_parts(src, skus, details, rejected, PART_BYTES)
}

/// Reads the sales file in parts of about `part_bytes` bytes (a CSV file; other files whole):
/// only one part's text is held at once, and the lines, SKUs and order ids are the same, in the
/// same order, as from the whole file, as are the problems and their row numbers.
pub fn read_sales_in_parts(
    src: &Source,
    skus: &mut Skus,
    details: Details,
    rejected: &mut Vec<Rejected>,
    part_bytes: usize,
) -> Result<Sales> {
    let keep = details == Details::Keep;
    let mut s = Sales::default();
    let mut found = Found::default();
    // The order ids are interned on a thread of their own, a part behind: each part's id
    // column (and which of its rows were kept) goes to it as the part is converted.
    let (id_tx, id_rx) = std::sync::mpsc::sync_channel::<IdPart>(2);
    let id_tx = keep.then_some(id_tx);
    let ids = std::thread::scope(|scope| {
        let interning = scope.spawn(move || {
            let mut ids: Option<OrderIdsBuilder> = None;
            for part in id_rx {
                let first = ids.is_none();
                let b = ids.get_or_insert_with(|| OrderIdsBuilder::with_lines(part.file_rows));
                let cells = column_cells(&part.ids, &part.null_values);
                match &part.kept {
                    None => cells.for_each(|id| b.push(id)),
                    Some(kept) => {
                        let cells: Vec<Option<&str>> = cells.collect();
                        kept.iter().for_each(|&i| b.push(cells[i]));
                    }
                }
                if first {
                    b.expect(part.file_rows);
                }
            }
            ids.map(OrderIdsBuilder::finish)
        });
        let read = read_sales_parts(src, skus, details, &mut s, &mut found, id_tx.as_ref(), part_bytes);
        // The thread ends when its channel closes.
        drop(id_tx);
        let ids = interning.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        read.map(|()| ids)
    })?;
    found.finish(&src.path, rejected)?;
    s.order_id = ids;
    Ok(s)
}

/// A part's order ids on their way to be interned.
struct IdPart {
    /// The part's `order_id` column, as read.
    ids: StringChunked,
    /// The rows kept, when some were left out.
    kept: Option<Vec<usize>>,
    /// The file's null values.
    null_values: Vec<String>,
    /// About how many rows the file has.
    file_rows: usize,
}

/// The parts of [`read_sales_in_parts`]: the lines into `s`, the problems into `found`, each
/// part's order ids to `ids` (when they are kept and the file has them).
fn read_sales_parts(
    src: &Source,
    skus: &mut Skus,
    details: Details,
    s: &mut Sales,
    found: &mut Found,
    ids: Option<&std::sync::mpsc::SyncSender<IdPart>>,
    part_bytes: usize,
) -> Result<()> {
    let optional: &[&str] =
        if details == Details::None { &["location"] } else { &["order_id", "unit_price", "location"] };
    RawTable::read_parts(src, &["date", "sku", "qty"], optional, part_bytes, |mut t| {
        t.key_by_location();
        let mut c = Check::new(&t);
        if s.qty.is_empty() {
            s.sku.reserve(t.file_rows);
            s.date.reserve(t.file_rows);
            s.qty.reserve(t.file_rows);
        }
        if details != Details::None && t.has("unit_price") {
            for (i, v) in t.cells("unit_price").enumerate() {
                let _ = c.opt_number(i, "unit_price", v);
            }
        }
        // The part's order ids, sent once it is known which rows are kept.
        let send_ids = |kept: Option<Vec<usize>>| {
            let (Some(tx), Some(col)) = (ids, t.cols.get("order_id")) else { return };
            let part = IdPart { ids: col.clone(), kept, null_values: t.null_values.clone(), file_rows: t.file_rows };
            // The interning thread only stops by panicking, which the join passes on.
            let _ = tx.send(part);
        };
        // Clean parts (ISO dates, plain non-negative numbers, every cell filled) are parsed by
        // polars in parallel; any other part cell by cell, so each problem is named.
        let typed = t.typed_dates_and_numbers("date", "qty").filter(|_| t.cells("sku").all(|k| k.is_some()));
        match typed {
            Some((dates, qty)) if c.rejected.is_empty() => {
                s.sku.extend(t.cells("sku").map(|k| skus.intern(k.unwrap_or_default())));
                s.date.extend(dates);
                s.qty.extend(qty);
                send_ids(None);
            }
            _ => {
                let mut kept = Vec::with_capacity(t.rows);
                for (i, ((d, k), q)) in t.cells("date").zip(t.cells("sku")).zip(t.cells("qty")).enumerate() {
                    let d = c.date(i, "date", d);
                    let k = c.text(i, "sku", k);
                    let q = c.number(i, "qty", q);
                    if let (Some(d), Some(k), Some(q), true) = (d, k, q, c.ok(i)) {
                        s.sku.push(skus.intern(k));
                        s.date.push(d);
                        s.qty.push(q);
                        kept.push(i);
                    }
                }
                send_ids(Some(kept));
            }
        }
        found.add(c);
        Ok(())
    })
}

/// The order ids a backorders file names, each once (its `order_id` column alone, unchecked:
/// the file is read and checked in full after).
fn backordered_ids(src: &Source) -> Result<OrderIdsBuilder> {
    let mut named = OrderIdsBuilder::default();
    RawTable::read_parts(src, &[], &["order_id"], PART_BYTES, |t| {
        t.cells("order_id").flatten().for_each(|id| {
            named.intern(id);
        });
        Ok(())
    })?;
    Ok(named)
}

/// Reads the backorders file.
pub fn read_backorders(src: &Source, skus: &mut Skus, rejected: &mut Vec<Rejected>) -> Result<Vec<Backorder>> {
    read_backorders_in_parts(src, skus, rejected, PART_BYTES)
}

/// [`read_backorders`] in parts of about `part_bytes` bytes (see [`read_sales_in_parts`]).
pub fn read_backorders_in_parts(
    src: &Source,
    skus: &mut Skus,
    rejected: &mut Vec<Rejected>,
    part_bytes: usize,
) -> Result<Vec<Backorder>> {
    let mut out = Vec::new();
    let mut found = Found::default();
    let required = ["date", "sku", "qty", "filled_date"];
    let optional = ["order_id", "cancelled", "priority", "promised_date", "location"];
    RawTable::read_parts(src, &required, &optional, part_bytes, |mut t| {
        t.key_by_location();
        let mut c = Check::new(&t);
        if out.is_empty() {
            out.reserve(t.file_rows);
        }
        let cells = t
            .cells("date")
            .zip(t.cells("sku"))
            .zip(t.cells("qty"))
            .zip(t.cells("filled_date"))
            .zip(t.cells("order_id"))
            .zip(t.cells("cancelled"))
            .zip(t.cells("priority").zip(t.cells("promised_date")));
        for (i, ((((((d, k), q), f), o), x), (p, pd))) in cells.enumerate() {
            let date = c.date(i, "date", d);
            let sku = c.text(i, "sku", k);
            let qty = c.number(i, "qty", q);
            let filled = c.opt_date(i, "filled_date", f);
            let cancelled = c.bool(i, "cancelled", x);
            let priority = c.opt_number(i, "priority", p);
            let promised_date = c.opt_date(i, "promised_date", pd);
            if let (Some(date), Some(fd)) = (date, filled) {
                if fd < date {
                    c.add(i, "filled_date", format!("filled on {fd}, before the backorder was created on {date}"));
                }
            }
            if let (Some(date), Some(sku), Some(qty), true) = (date, sku, qty, c.ok(i)) {
                out.push(Backorder {
                    sku: skus.intern(sku),
                    date,
                    qty,
                    filled_date: filled,
                    order_id: o.map(Code::from),
                    cancelled,
                    priority: priority.into(),
                    promised_date,
                    row: row_number(t.row(i)),
                });
            }
        }
        found.add(c);
        Ok(())
    })?;
    found.finish(&src.path, rejected)?;
    Ok(out)
}

/// Reads the events file: `start`, `end` (inclusive) and `factor`, with optional `sku`
/// (empty: every SKU), `category`, `location` and `name`. An end before the start or a factor
/// that is not a positive number is an error naming the row; an unknown SKU is a warning.
pub fn read_events(src: &Source, skus: &Skus, rejected: &mut Vec<Rejected>) -> Result<(Vec<Event>, Vec<String>)> {
    let t = RawTable::read(src, &["start", "end", "factor"], &["sku", "category", "location", "name"])?;
    let mut c = Check::new(&t);
    let mut out = Vec::with_capacity(t.rows);
    let mut unknown: Vec<&str> = Vec::new();
    // SKU codes with any planning key (`SKU` or `SKU @ LOCATION`).
    let codes: std::collections::HashSet<&str> = (0..skus.len() as u32).map(|k| split_key(skus.name(k)).0).collect();
    let cells = t
        .cells("start")
        .zip(t.cells("end"))
        .zip(t.cells("factor"))
        .zip(t.cells("sku"))
        .zip(t.cells("category").zip(t.cells("location").zip(t.cells("name"))));
    for (i, ((((a, b), f), k), (cat, (loc, name)))) in cells.enumerate() {
        let start = c.date(i, "start", a);
        let end = c.date(i, "end", b);
        let factor = c.number(i, "factor", f);
        if factor == Some(0.0) {
            c.add(i, "factor", "factor 0: must be a positive number (0.5 halves demand, 2 doubles it)".into());
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                c.add(i, "end", format!("the event ends on {e}, before it starts on {s}"));
            }
        }
        if let Some(k) = k.filter(|k| !codes.contains(k)) {
            unknown.push(k);
            continue;
        }
        if let (Some(start), Some(end), Some(factor)) = (start, end, factor.filter(|f| *f > 0.0)) {
            if end >= start {
                out.push(Event {
                    sku: k.map(String::from),
                    location: loc.map(String::from),
                    category: cat.map(String::from),
                    start,
                    end,
                    factor,
                    name: name.map_or_else(|| format!("event on row {}", t.row(i)), String::from),
                });
            }
        }
    }
    c.finish(rejected)?;
    let mut warnings = Vec::new();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        warnings.push(format!(
            "{} event SKU(s) have no sales and are left out: {}",
            unknown.len(),
            list_some(&unknown)
        ));
    }
    Ok((out, warnings))
}

/// Reads an outcomes file (`sku`, `backordered`, optional `first_backorder_date`): which
/// items went on backorder after the as-of date, to score the stockout risk against.
pub fn read_outcomes(src: &Source) -> Result<Vec<(String, bool, Option<NaiveDate>)>> {
    // Outcomes score the plan; a bad row there always stops the run rather than being skipped.
    let mut strict = src.clone();
    strict.spec.on_bad_rows = None;
    let mut t = RawTable::read(&strict, &["sku", "backordered"], &["first_backorder_date", "location"])?;
    t.key_by_location();
    let mut c = Check::new(&t);
    let mut out = Vec::with_capacity(t.rows);
    let cells = t.cells("sku").zip(t.cells("backordered")).zip(t.cells("first_backorder_date"));
    for (i, ((k, b), f)) in cells.enumerate() {
        let sku = c.text(i, "sku", k);
        let hit = c.bool(i, "backordered", b);
        let first = c.opt_date(i, "first_backorder_date", f);
        if let Some(sku) = sku {
            out.push((sku.to_string(), hit, first));
        }
    }
    c.finish(&mut Vec::new())?;
    Ok(out)
}

/// Reads the items file.
pub fn read_items(src: &Source, skus: &mut Skus, rejected: &mut Vec<Rejected>) -> Result<HashMap<u32, Item>> {
    let t = RawTable::read(
        src,
        &["sku", "supplier", "unit_cost", "lead_time_days", "moq", "order_multiple"],
        &["service_level", "order_cost", "holding_rate", "description", "category", "like_sku", "like_factor"],
    )?;
    let mut c = Check::new(&t);
    let mut out: HashMap<u32, Item> = HashMap::with_capacity(t.rows);
    let mut first_row: HashMap<u32, usize> = HashMap::new();
    let cols: Vec<Vec<Option<&str>>> = [
        "sku",
        "supplier",
        "unit_cost",
        "lead_time_days",
        "moq",
        "order_multiple",
        "service_level",
        "order_cost",
        "holding_rate",
        "description",
        "category",
        "like_sku",
        "like_factor",
    ]
    .iter()
    .map(|n| t.cells(n).collect())
    .collect();
    // Like items are resolved once every item is known: (row, item, like code, factor).
    let mut likes: Vec<(usize, u32, &str, f64)> = Vec::new();
    let cell = |c: usize, i: usize| cols[c][i];
    for i in 0..t.rows {
        let sku = c.text(i, "sku", cell(0, i));
        let supplier = c.text(i, "supplier", cell(1, i));
        let unit_cost = c.number(i, "unit_cost", cell(2, i));
        let lead = c.number(i, "lead_time_days", cell(3, i));
        if let Some(l) = lead.filter(|l| *l > crate::leadtime::MAX_LEAD_TIME_DAYS as f64) {
            c.add(
                i,
                "lead_time_days",
                format!(
                    "a lead time of {l} days is not plausible: over {} days (write days, not hours or minutes)",
                    crate::leadtime::MAX_LEAD_TIME_DAYS
                ),
            );
        }
        let moq = c.opt_number(i, "moq", cell(4, i)).unwrap_or(0.0);
        let mult = c.opt_number(i, "order_multiple", cell(5, i));
        if mult == Some(0.0) {
            c.add(i, "order_multiple", "order multiple 0: must be more than zero (leave it empty for none)".into());
        }
        let sl = c.opt_number(i, "service_level", cell(6, i));
        let like_factor = c.opt_number(i, "like_factor", cell(12, i));
        if like_factor == Some(0.0) {
            c.add(i, "like_factor", "like factor 0: must be a positive number (leave it empty for 1)".into());
        }
        if let Some(v) = sl {
            if !(v > 0.0 && v < 1.0) {
                c.add(i, "service_level", format!("`{v}` is not a share between 0 and 1 (write 95% as 0.95)"));
            }
        }
        let order_cost = c.opt_number(i, "order_cost", cell(7, i));
        let holding_rate = c.opt_number(i, "holding_rate", cell(8, i));
        if let Some(v) = holding_rate {
            // As the settings' `holding_rate`: 25 is 25% written as a whole number.
            if !(0.0..10.0).contains(&v) {
                c.add(i, "holding_rate", format!("`{v}` is not a yearly share of unit cost (write 25% as 0.25)"));
            }
        }
        let (Some(sku), Some(supplier), Some(unit_cost), Some(lead), true) = (sku, supplier, unit_cost, lead, c.ok(i))
        else {
            continue;
        };
        let idx = skus.intern(sku);
        if let Some(first) = first_row.insert(idx, t.row(i)) {
            c.add(i, "sku", format!("duplicate SKU `{sku}`: already on row {first}; each item must appear once"));
            continue;
        }
        if let Some(like) = cell(11, i) {
            likes.push((i, idx, like, like_factor.filter(|k| *k > 0.0).unwrap_or(1.0)));
        }
        out.insert(
            idx,
            Item {
                sku: idx,
                supplier: supplier.to_string(),
                unit_cost,
                lead_time_days: lead,
                moq,
                order_multiple: mult.filter(|m| *m > 0.0).unwrap_or(1.0),
                service_level: sl.filter(|v| *v > 0.0 && *v < 1.0),
                order_cost,
                holding_rate,
                description: cell(9, i).map(String::from),
                category: cell(10, i).map(String::from),
                like: None,
            },
        );
    }
    for (i, idx, like, k) in likes {
        match skus.get(like).filter(|l| out.contains_key(l)) {
            Some(l) if l != idx => {
                if let Some(it) = out.get_mut(&idx) {
                    it.like = Some((l, k));
                }
            }
            Some(_) => c.add(i, "like_sku", format!("`{like}` is the item itself: name another item")),
            None => c.add(i, "like_sku", format!("`{like}` is not an item in this file")),
        }
        if !c.ok(i) {
            out.remove(&idx);
        }
    }
    // An item may not borrow the history of an item whose row was left out.
    let kept: std::collections::HashSet<u32> = out.keys().copied().collect();
    for it in out.values_mut() {
        if it.like.is_some_and(|(l, _)| !kept.contains(&l)) {
            it.like = None;
        }
    }
    c.finish(rejected)?;
    Ok(out)
}

/// Reads `ground_truth.csv` (or `.parquet`) of a folder written by `replen generate`: the true
/// demand and lead-time process of each SKU, for checking plans against it.
pub fn read_ground_truth(dir: &Path) -> Result<HashMap<String, crate::truth::TrueSku>> {
    let src = require(dir, "ground_truth", &FileSpecs::new())?;
    let num_cols = [
        "orders_per_week",
        "mean_order_size",
        "order_size_cv",
        "seasonal_amplitude",
        "seasonal_phase_weeks",
        "trend_per_year",
        "supplier_planned_days",
        "supplier_lead_time_bias",
        "supplier_lead_time_spread",
        "supplier_on_time_share",
    ];
    let mut required = vec!["sku", "pattern"];
    required.extend(num_cols);
    let t = RawTable::read(&src, &required, &[])?;
    let mut c = Check::new(&t);
    let cols: Vec<Vec<Option<&str>>> = required.iter().map(|n| t.cells(n).collect()).collect();
    let cell = |c: usize, i: usize| cols[c][i];
    let mut out = HashMap::with_capacity(t.rows);
    for i in 0..t.rows {
        let sku = c.text(i, "sku", cell(0, i));
        let pattern = c.text(i, "pattern", cell(1, i));
        let x: Vec<Option<f64>> = num_cols
            .iter()
            .enumerate()
            .map(|(k, n)| match (*n, cell(k + 2, i)) {
                // A trend may fall.
                ("trend_per_year", Some(v)) if v.starts_with('-') => c.number(i, n, Some(&v[1..])).map(|x| -x),
                (_, v) => c.number(i, n, v),
            })
            .collect();
        let (Some(sku), Some(pattern)) = (sku, pattern) else { continue };
        let Some(x) = x.into_iter().collect::<Option<Vec<f64>>>() else { continue };
        out.insert(
            sku.to_string(),
            crate::truth::TrueSku {
                pattern: pattern.to_string(),
                orders_per_week: x[0],
                size_mean: x[1],
                size_cv: x[2],
                amplitude: x[3],
                phase: x[4],
                trend: x[5],
                planned_days: x[6],
                bias: x[7],
                spread: x[8],
                on_time_share: x[9],
            },
        );
    }
    c.finish(&mut Vec::new())?;
    Ok(out)
}

/// Reads the inventory file.
pub fn read_inventory(src: &Source, skus: &mut Skus, rejected: &mut Vec<Rejected>) -> Result<HashMap<u32, f64>> {
    let mut t = RawTable::read(src, &["sku", "on_hand"], &["location"])?;
    t.key_by_location();
    let mut c = Check::new(&t);
    let mut out = HashMap::with_capacity(t.rows);
    let mut first_row: HashMap<u32, usize> = HashMap::new();
    for (i, (k, q)) in t.cells("sku").zip(t.cells("on_hand")).enumerate() {
        let sku = c.text(i, "sku", k);
        let q = c.number(i, "on_hand", q);
        let (Some(sku), Some(q)) = (sku, q) else { continue };
        let idx = skus.intern(sku);
        if let Some(first) = first_row.insert(idx, t.row(i)) {
            c.add(
                i,
                "sku",
                format!(
                    "duplicate SKU `{sku}`: already on row {first}; give one on-hand figure per SKU (and location)"
                ),
            );
            continue;
        }
        out.insert(idx, q);
    }
    c.finish(rejected)?;
    Ok(out)
}

/// Reads the purchase orders file.
pub fn read_purchase_orders(src: &Source, skus: &mut Skus, rejected: &mut Vec<Rejected>) -> Result<Vec<PurchaseOrder>> {
    read_purchase_orders_in_parts(src, skus, rejected, PART_BYTES)
}

/// [`read_purchase_orders`] in parts of about `part_bytes` bytes (see [`read_sales_in_parts`]).
pub fn read_purchase_orders_in_parts(
    src: &Source,
    skus: &mut Skus,
    rejected: &mut Vec<Rejected>,
    part_bytes: usize,
) -> Result<Vec<PurchaseOrder>> {
    let mut out = Vec::new();
    let mut found = Found::default();
    let required = ["po_id", "sku", "supplier", "order_date", "qty", "received_date"];
    RawTable::read_parts(src, &required, &["expected_date", "location"], part_bytes, |mut t| {
        t.key_by_location();
        let mut c = Check::new(&t);
        if out.is_empty() {
            out.reserve(t.file_rows);
        }
        let cols: Vec<Vec<Option<&str>>> =
            ["po_id", "sku", "supplier", "order_date", "qty", "received_date", "expected_date"]
                .iter()
                .map(|n| t.cells(n).collect())
                .collect();
        let cell = |c: usize, i: usize| cols[c][i];
        for i in 0..t.rows {
            let po = c.text(i, "po_id", cell(0, i));
            let sku = c.text(i, "sku", cell(1, i));
            let supplier = c.text(i, "supplier", cell(2, i));
            let od = c.date(i, "order_date", cell(3, i));
            let qty = c.number(i, "qty", cell(4, i));
            let rd = c.opt_date(i, "received_date", cell(5, i));
            let ed = c.opt_date(i, "expected_date", cell(6, i));
            if let (Some(od), Some(ed)) = (od, ed) {
                if ed < od {
                    // Alerted as years overdue otherwise.
                    c.add(i, "expected_date", format!("expected {ed}, before the order date {od}"));
                }
            }
            if let (Some(po), Some(sku), Some(supplier), Some(od), Some(qty), true) =
                (po, sku, supplier, od, qty, c.ok(i))
            {
                out.push(PurchaseOrder {
                    po_id: Code::from(po),
                    sku: skus.intern(sku),
                    supplier: supplier.into(),
                    order_date: od,
                    qty,
                    received_date: rd,
                    expected_date: ed,
                    row: row_number(t.row(i)),
                });
            }
        }
        found.add(c);
        Ok(())
    })?;
    found.finish(&src.path, rejected)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_keep_every_value_read_in_four_bytes_while_they_can() {
        let mut q: Quantities = vec![12.0, 0.5, 16_777_216.0, 0.0].into();
        assert!(matches!(q, Quantities::Narrow(_)));
        // 0.1 and 16,777,217 are not single-precision numbers: the first widens the rest.
        q.push(0.1);
        q.push(16_777_217.0);
        assert!(matches!(q, Quantities::Wide(_)));
        assert_eq!(q.to_vec(), [12.0, 0.5, 16_777_216.0, 0.0, 0.1, 16_777_217.0]);
        q.retain(&[true, false, true, false, true, true]);
        assert_eq!((q.len(), q.get(1), q.get(2)), (4, 16_777_216.0, 0.1));
    }

    #[test]
    fn releasing_closed_backorders_keeps_the_open_ones_and_every_day() {
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let back = |sku: u32, date: &str, filled: Option<&str>, cancelled: bool| Backorder {
            sku,
            date: day(date),
            qty: 1.0,
            filled_date: filled.map(day),
            order_id: None,
            cancelled,
            priority: OptNum::NONE,
            promised_date: None,
            row: 1,
        };
        let backs = vec![
            back(0, "2024-01-02", Some("2024-01-09"), false), // filled before the as-of date
            back(1, "2024-02-01", None, false),               // open
            back(1, "2024-02-02", Some("2024-03-05"), false), // filled after it: open then
            back(2, "2024-02-03", None, true),                // cancelled
            back(2, "2024-03-04", None, false),               // created after it
        ];
        let mut ds = Dataset { backorders: Some(backs.clone()), ..Dataset::default() };
        let before: Vec<(u32, NaiveDate)> = ds.backorder_days().collect();
        ds.release_closed_backorders(day("2024-03-01"));
        let kept: Vec<&str> =
            ds.backorders.iter().flatten().map(|b| if b.sku == 1 { "open" } else { "after" }).collect();
        assert_eq!(kept, ["open", "open", "after"]);
        assert_eq!(ds.backorder_days().collect::<Vec<_>>(), before);
        assert_eq!(before.len(), backs.len());
    }

    #[test]
    fn order_ids_flagged_from_the_backorders_order_ids_alone_are_flagged_as_from_the_backorders() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
        let load = Load { sales_details: true, backorders: true, orders_whole: true, ..Load::default() };
        // Flagged from the `order_id` column read alone, before the backorders are.
        let ds = Dataset::load_history(&dir, load, &FileSpecs::default()).unwrap();
        let alone = ds.sales.order_id.as_ref().and_then(OrderIds::backordered).unwrap().to_vec();
        // Flagged from the backorders read.
        let mut ds = Dataset::load_history(&dir, Load { orders_whole: false, ..load }, &FileSpecs::default()).unwrap();
        let backs = ds.backorders.take().unwrap();
        let ids = ds.sales.order_id.as_mut().unwrap();
        ids.flag_backordered(&backs);
        assert_eq!(alone, ids.backordered().unwrap());
        assert!(alone.iter().any(|f| *f) && alone.iter().any(|f| !*f));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn backorders_and_purchase_order_lines_stay_small() {
        // A million items have 20 million backorders and 24 million purchase order lines:
        // 80 bytes each before the supplier codes were interned and the rows held in 4 bytes.
        assert_eq!(std::mem::size_of::<Backorder>(), 64);
        assert_eq!(std::mem::size_of::<PurchaseOrder>(), 56);
    }

    #[test]
    fn supplier_codes_are_their_text() {
        let a = SupplierCode::new("SUP-A");
        let b = SupplierCode::from("SUP-B");
        assert_eq!(a, SupplierCode::new("SUP-A"));
        assert_ne!(a, b);
        assert_eq!((a.as_str(), &*b, b.to_string()), ("SUP-A", "SUP-B", "SUP-B".to_string()));
        assert_eq!(format!("{a:?}"), "\"SUP-A\"");
        // Codes made on other threads are the same codes.
        let c = std::thread::spawn(|| SupplierCode::new("SUP-A")).join().unwrap();
        assert_eq!(c, a);
    }

    #[test]
    fn optional_numbers_keep_none_apart_from_every_number() {
        for x in [None, Some(0.0), Some(-0.0), Some(1.5), Some(f64::MAX), Some(f64::INFINITY)] {
            assert_eq!(OptNum::from(x).get(), x);
        }
        assert_eq!(OptNum::NONE, OptNum::from(None));
        assert_ne!(OptNum::NONE, OptNum::from(Some(0.0)));
    }

    #[test]
    fn order_ids_read_back_past_every_wrap_of_their_offsets() {
        // The tests store 4 bits of each end offset: these ids cross many multiples of 16
        // bytes, some of them several at once.
        let ids: Vec<String> = (0..200)
            .map(|i| match i % 7 {
                0 => format!("ORDER-{i}-{}", "x".repeat(40)),
                3 => String::new(),
                _ => format!("SO{i}"),
            })
            .collect();
        let cells: Vec<Option<&str>> =
            ids.iter().chain(ids.iter().rev()).map(|s| Some(s.as_str())).chain([None]).collect();
        let o = OrderIds::from_cells(cells.iter().copied());
        assert_eq!(o.len(), ids.iter().collect::<std::collections::BTreeSet<_>>().len());
        assert!(o.wraps.len() > 100, "{} wraps", o.wraps.len());
        for (i, c) in cells.iter().enumerate() {
            assert_eq!(o.get(i), *c, "line {i}");
        }
    }

    #[test]
    fn dots_grouping_thousands_are_told_from_decimals() {
        for (cell, want) in [
            ("1.200", true),
            ("12.500.000", true),
            (" 999.000 ", true),
            ("1.25", false),
            ("1.2000", false),
            ("1200", false),
            ("1234.500", false),
            ("-1.200", false),
            ("1.2a0", false),
        ] {
            assert_eq!(dot_grouped(cell), want, "{cell}");
        }
    }

    #[test]
    fn decimal_commas_and_grouped_thousands_read_as_written() {
        for (text, want) in [
            ("12,5", Some(12.5)),
            ("1.234,5", Some(1234.5)),
            ("1 234,5", Some(1234.5)),
            ("1.234", Some(1234.0)),
            ("1.234.567", Some(1_234_567.0)),
            ("1.5", Some(1.5)),
            ("0.125", Some(0.125)),
            ("-1,5", Some(-1.5)),
            ("12", Some(12.0)),
            ("1.23,4", None),
            ("abc", None),
        ] {
            assert_eq!(parse_decimal_comma(text), want, "{text}");
        }
    }

    /// Sales, backorders and purchase orders read in parts of a few bytes give what the whole
    /// file gives: the same lines, SKU indices and order ids in the same order, the same
    /// problems with the same row numbers, the same rejected rows, whether parts are cut
    /// inside a quoted field with a line break, at blank lines or at a bad row.
    #[test]
    fn a_file_read_in_parts_reads_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut sales = String::from("date,sku,qty,order_id,unit_price\n");
        for i in 0..120 {
            let sku = format!("S{}", (i * 7) % 13);
            let id = if i % 5 == 0 { String::new() } else { format!("\"SO-{}\"", i / 3) };
            sales.push_str(&format!("2024-{:02}-{:02},{sku},{}.5,{id},{}\n", 1 + i % 12, 1 + i % 28, i % 9, i % 4));
            if i % 17 == 0 {
                sales.push_str(",,,,\n");
            }
        }
        // An order id with a comma and a line break inside its quotes.
        sales.push_str("2024-06-01,S1,2,\"SO,\nX\",3\n2024-06-02,S2,1,SO-9,\n");
        let bad_sales = sales.replace("2024-03-03,S", "2024-03-3x,S").replace("S5,5.5", "S5,-5.5");
        let mut pos = String::from("po_id,sku,supplier,order_date,qty,received_date,expected_date\n");
        let mut backs = String::from("date,sku,qty,filled_date,order_id,cancelled\n");
        for i in 0..60 {
            pos.push_str(&format!(
                "PO{i},S{},SUP{},2024-02-{:02},{},2024-03-{:02},\n",
                i % 11,
                i % 3,
                1 + i % 27,
                10 + i,
                1 + i % 28
            ));
            backs.push_str(&format!(
                "2024-02-{:02},S{},{},2024-02-{:02},SO-{i},false\n",
                1 + i % 20,
                i % 11,
                1 + i,
                2 + i % 20
            ));
        }
        let bad_pos = pos.replace("PO7,S7,SUP1,2024-02-08,17", "PO7,S7,SUP1,2024-02-08,x");
        let source = |name: &str, text: &str| {
            let p = dir.path().join(format!("{name}.csv"));
            std::fs::write(&p, text).unwrap();
            Source::plain(name, &p, Format::Csv)
        };
        let whole = usize::MAX / 2;
        for (text, skip) in [(&sales, false), (&bad_sales, false), (&bad_sales, true)] {
            let mut src = source("sales", text);
            if skip {
                src.spec.on_bad_rows = Some("skip".into());
            }
            let read = |part: usize| {
                let (mut skus, mut rejected) = (Skus::default(), Vec::new());
                let got = read_sales_in_parts(&src, &mut skus, Details::Keep, &mut rejected, part);
                (got.map(|s| (s.sku, s.date, s.qty, s.order_id)).map_err(|e| e.to_string()), skus.names, rejected)
            };
            let want = read(whole);
            for part in [1, 7, 40, 100, 1000] {
                assert_eq!(read(part), want, "sales in parts of {part} bytes, skip {skip}");
            }
            // `check` finds the same problems without keeping ids and prices.
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            let checked = read_sales_in_parts(&src, &mut skus, Details::Check, &mut rejected, 40)
                .map(|s| (s.sku, s.date, s.qty, s.order_id.is_none()))
                .map_err(|e| e.to_string());
            let kept = want.0.clone().map(|w| (w.0, w.1, w.2, true));
            assert_eq!((checked, skus.names, rejected), (kept, want.1.clone(), want.2.clone()));
            if text == &bad_sales && !skip {
                // Row numbers count data rows (the header is line 1), blank ones included.
                let line = 1 + text[..text.find("2024-03-3x").unwrap()].matches('\n').count();
                let e = want.0.unwrap_err();
                let at = format!("row {} (line {line}), column `date`: `2024-03-3x` is not a valid date", line - 1);
                assert!(e.contains(&at), "{e}");
            }
        }
        for text in [&pos, &bad_pos] {
            let src = source("purchase_orders", text);
            let read = |part: usize| {
                let (mut skus, mut rejected) = (Skus::default(), Vec::new());
                let got = read_purchase_orders_in_parts(&src, &mut skus, &mut rejected, part);
                (got.map_err(|e| e.to_string()), skus.names)
            };
            let want = read(whole);
            for part in [1, 33, 500] {
                assert_eq!(read(part), want, "purchase orders in parts of {part} bytes");
            }
        }
        // A row with a field too many stops the read with the same message, whatever the part.
        let ragged = sales.replace("2024-05-05,S", "2024-05-05,extra,S");
        let src = source("sales", &ragged);
        let read = |part: usize| {
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            read_sales_in_parts(&src, &mut skus, Details::Keep, &mut rejected, part)
                .map(|s| s.len())
                .map_err(|e| e.to_string())
        };
        let want = read(whole).unwrap_err();
        assert!(want.contains("fields"), "{want}");
        for part in [1, 40, 300] {
            assert_eq!(read(part).unwrap_err(), want, "parts of {part} bytes");
        }
        let src = source("backorders", &backs);
        let read = |part: usize| {
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            read_backorders_in_parts(&src, &mut skus, &mut rejected, part).map_err(|e| e.to_string())
        };
        let want = read(whole).unwrap();
        assert_eq!(want.len(), 60);
        assert_eq!(read(45).unwrap(), want);
    }

    /// A Parquet file read in slices of rows reads as the whole file.
    #[test]
    fn a_parquet_file_read_in_slices_reads_as_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let g = crate::generate::GenSettings {
            skus: 12,
            weeks: 30,
            seed: 3,
            format: Format::Parquet,
            locations: 2,
            ..Default::default()
        };
        crate::generate::generate(&g, dir.path()).unwrap();
        let src = |name: &str| Source::plain(name, &dir.path().join(format!("{name}.parquet")), Format::Parquet);
        let whole = usize::MAX / 2;
        let sales = |part: usize| {
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            let s = read_sales_in_parts(&src("sales"), &mut skus, Details::Keep, &mut rejected, part).unwrap();
            (s.sku, s.date, s.qty, s.order_id, skus.names)
        };
        let want = sales(whole);
        assert!(want.0.len() > 100, "{} lines", want.0.len());
        for part in [1, 500, 3000] {
            assert_eq!(sales(part), want, "sales in slices of {} rows", part / 64);
        }
        let pos = |part: usize| {
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            read_purchase_orders_in_parts(&src("purchase_orders"), &mut skus, &mut rejected, part).unwrap()
        };
        assert_eq!(pos(700), pos(whole));
        let backs = |part: usize| {
            let (mut skus, mut rejected) = (Skus::default(), Vec::new());
            read_backorders_in_parts(&src("backorders"), &mut skus, &mut rejected, part).unwrap()
        };
        assert_eq!(backs(300), backs(whole));
    }

    #[test]
    fn clean_columns_are_cast_by_polars_and_anything_else_is_left_to_the_cell_check() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            let p = dir.path().join("t.csv");
            std::fs::write(&p, text).unwrap();
            let t = RawTable::read(&Source::plain("t", &p, Format::Csv), &["date", "qty"], &[]).unwrap();
            t.typed_dates_and_numbers("date", "qty")
        };
        let (d, q) = read("date,qty\n2024-01-02,5\n2024-02-29,0.5\n").unwrap();
        assert_eq!(d, vec![parse_date("2024-01-02").unwrap(), parse_date("2024-02-29").unwrap()]);
        assert_eq!(q, vec![5.0, 0.5]);
        for bad in [
            "2024-1-2,5",
            "2024-02-30,5",
            "2024-01-02T10:00,5",
            "2024-01-02,-1",
            "2024-01-02,x",
            "2024-01-02,",
            "2024-01-02,inf",
        ] {
            assert!(read(&format!("date,qty\n2024-01-03,1\n{bad}\n")).is_none(), "{bad}");
        }
    }
}
