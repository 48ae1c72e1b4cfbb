//! Output tables. Columns are gathered in plain vectors, turned into a polars frame and written
//! as CSV to a temporary file beside the target, then renamed over it: a crash never leaves a
//! half-written file under the real name.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::error::{Error, Result};

/// A table being built column by column.
#[derive(Default)]
pub struct Table {
    cols: Vec<Column>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// Adds a text column.
    pub fn text<S: AsRef<str>>(mut self, name: &str, v: impl IntoIterator<Item = S>) -> Self {
        let v: Vec<String> = v.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.cols.push(Column::new(name.into(), v));
        self
    }

    /// Adds the `sku` and `location` columns of planning keys (`SKU @ LOCATION`; the location
    /// is empty where there is none).
    pub fn sku_location<S: AsRef<str>>(self, keys: impl IntoIterator<Item = S>) -> Self {
        let keys: Vec<S> = keys.into_iter().collect();
        let split: Vec<(&str, &str)> = keys.iter().map(|k| crate::ingest::split_key(k.as_ref())).collect();
        self.text("sku", split.iter().map(|k| k.0)).text("location", split.iter().map(|k| k.1))
    }

    /// Adds a number column.
    pub fn num(mut self, name: &str, v: impl IntoIterator<Item = f64>) -> Self {
        let v: Vec<f64> = v.into_iter().collect();
        self.cols.push(Column::new(name.into(), v));
        self
    }

    /// Adds a number column with empty cells for `None` (and for NaN).
    pub fn opt_num(mut self, name: &str, v: impl IntoIterator<Item = Option<f64>>) -> Self {
        let v: Vec<Option<f64>> = v.into_iter().map(|x| x.filter(|f| f.is_finite())).collect();
        self.cols.push(Column::new(name.into(), v));
        self
    }

    /// Adds a whole-number column.
    pub fn int(mut self, name: &str, v: impl IntoIterator<Item = u64>) -> Self {
        let v: Vec<u64> = v.into_iter().collect();
        self.cols.push(Column::new(name.into(), v));
        self
    }

    /// Adds a date column (written as YYYY-MM-DD in CSV, as dates in workbooks).
    pub fn date(self, name: &str, v: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.opt_date(name, v.into_iter().map(Some))
    }

    /// Adds an optional date column (empty cells for `None`).
    pub fn opt_date(mut self, name: &str, v: impl IntoIterator<Item = Option<NaiveDate>>) -> Self {
        let days: Vec<Option<i32>> = v.into_iter().map(|d| d.map(|d| (d - EPOCH).num_days() as i32)).collect();
        let col = Column::new(name.into(), days);
        // An i32 column always casts to a date; the fallback keeps the day numbers.
        self.cols.push(col.cast(&DataType::Date).unwrap_or_else(|_| Column::new(name.into(), Vec::<i32>::new())));
        self
    }

    /// The polars frame.
    pub fn frame(self) -> Result<DataFrame> {
        Ok(DataFrame::new_infer_height(self.cols)?)
    }

    /// The table of a frame's columns.
    pub fn from_frame(df: DataFrame) -> Table {
        Table { cols: df.into_columns() }
    }
}

/// The dates of a date column (`None` for empty cells).
pub fn dates(c: &Column) -> Result<Vec<Option<NaiveDate>>> {
    Ok(c.date()?
        .physical()
        .iter()
        .map(|d| d.and_then(|d| EPOCH.checked_add_signed(chrono::TimeDelta::days(d.into()))))
        .collect())
}

/// Day 0 of polars dates.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

/// Prefix and infix of the temporary files written beside outputs.
const TEMP_INFIX: &str = ".tmp";

fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_INFIX}{}", std::process::id()))
}

/// Removes temporary files that a killed run left in `dir` (`.NAME.tmpPID` of a process that
/// is no longer running; where that cannot be known, files over an hour old). Returns how many.
pub fn clean_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let proc = Path::new("/proc/self").exists();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix('.').and_then(|n| n.rsplit_once(TEMP_INFIX)).map(|(_, pid)| pid) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let stale = if proc {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|a| a.as_secs() > 3600)
        };
        if stale && e.path().is_file() && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes `tmp` by `write`, then renames it to `path`.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let io = |e| Error::Write { path: path.to_path_buf(), source: e };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(io)?;
        write(&mut f)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A table as CSV text, as [`write_csv`] writes it.
pub fn csv_text(table: Table) -> Result<String> {
    let mut df = table.frame()?;
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf).include_header(true).finish(&mut df)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Writes a table as CSV.
pub fn write_csv(table: Table, path: &Path) -> Result<()> {
    write_csv_parts([table], path)
}

/// Rows of a large table turned into columns at a time by [`write_csv_by`].
pub const PART_ROWS: usize = 100_000;

/// Writes the table `table` makes of `rows` as CSV, `per` rows at a time, so that a large
/// table is never held whole as columns: the file is the one `table(rows)` would give.
pub fn write_csv_by<T>(rows: &[T], per: usize, path: &Path, table: impl Fn(&[T]) -> Table) -> Result<()> {
    if rows.is_empty() {
        return write_csv(table(rows), path);
    }
    write_csv_parts(rows.chunks(per.max(1)).map(table), path)
}

/// Writes tables of the same columns one after another as one CSV file, the header once, so
/// the text of a large file is never held whole. Without tables the file is empty.
pub fn write_csv_parts(tables: impl IntoIterator<Item = Table>, path: &Path) -> Result<()> {
    let fail = |e: PolarsError| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) };
    write_atomic(path, |f| {
        for (k, t) in tables.into_iter().enumerate() {
            let mut df = t.frame()?;
            CsvWriter::new(&mut *f).include_header(k == 0).finish(&mut df).map_err(fail)?;
        }
        Ok(())
    })
}

/// Writes tables of the same columns one after another as one Parquet file (a row group or
/// more each), so a large file is never held whole.
pub fn write_parquet_parts(tables: impl IntoIterator<Item = Table>, path: &Path) -> Result<()> {
    let fail = |e: PolarsError| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) };
    write_atomic(path, |f| {
        let mut tables = tables.into_iter();
        let Some(first) = tables.next() else { return Ok(()) };
        let df = first.frame()?;
        let mut w = ParquetWriter::new(f).batched(df.schema()).map_err(fail)?;
        w.write_batch(&df).map_err(fail)?;
        for t in tables {
            w.write_batch(&t.frame()?).map_err(fail)?;
        }
        w.finish().map_err(fail)?;
        Ok(())
    })
}

/// Tables of the same columns as one.
pub fn concat(tables: impl IntoIterator<Item = Table>) -> Result<Table> {
    let mut all: Option<DataFrame> = None;
    for t in tables {
        let df = t.frame()?;
        match &mut all {
            Some(a) => {
                a.vstack_mut(&df)?;
            }
            None => all = Some(df),
        }
    }
    Ok(all.map(Table::from_frame).unwrap_or_default())
}

/// Data rows an Excel sheet holds (1,048,576 rows, one of them the header).
pub const XLSX_ROWS: usize = 1_048_575;

/// Sheets with more rows than this are written row by row through a temporary file
/// (rust_xlsxwriter's constant-memory mode) instead of being held whole: a million-row sheet
/// held as cells takes gigabytes.
const XLSX_STREAMED_ROWS: usize = 200_000;

/// A sheet of a workbook: its name, and its table, made when the sheet is written: one sheet's
/// table is held at a time (a million items' proposals and alerts take 0.4 GB each as tables).
pub type Sheet<'a> = (&'a str, Box<dyn FnOnce() -> Table + Send + 'a>);

/// A sheet whose table is made already.
pub fn sheet(name: &str, table: Table) -> Sheet<'_> {
    (name, Box::new(move || table))
}

/// Writes tables as the sheets of one workbook: numbers as numbers, dates as dates, a bold,
/// frozen and filtered header row, and column widths fitted to the contents. A table longer
/// than a sheet holds goes on as sheets `NAME (2)`, `NAME (3)`, ..., each with the header.
pub fn write_xlsx(sheets: Vec<Sheet>, path: &Path) -> Result<()> {
    unpanicked(path, || write_xlsx_in(sheets, path, XLSX_ROWS, XLSX_STREAMED_ROWS))
}

/// Runs `write`, turning a panic into an error writing `path`: the workbook library panics,
/// instead of returning an error, when the temporary files of its row-by-row sheets cannot be
/// written (a full disk).
fn unpanicked(path: &Path, write: impl FnOnce() -> Result<()>) -> Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(write)).unwrap_or_else(|e| {
        let why = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        let why = why.unwrap_or_else(|| "the workbook could not be written".into());
        Err(Error::Write { path: path.to_path_buf(), source: std::io::Error::other(why) })
    })
}

/// Writes one page of a workbook (a sheet, or part of one): `df` under its header, with
/// filters, the header frozen, and columns as wide as their cells; row by row when `by_rows`.
fn write_page(
    ws: &mut rust_xlsxwriter::Worksheet,
    name: &str,
    df: &DataFrame,
    by_rows: bool,
    f: &Formats,
    fail: &dyn Fn(rust_xlsxwriter::XlsxError) -> Error,
) -> Result<()> {
    ws.set_name(name).map_err(fail)?;
    let cols: Vec<Column> = df.columns().iter().map(sheet_column).collect::<Result<_>>()?;
    let mut cells = Vec::with_capacity(cols.len());
    for (c, original) in cols.iter().zip(df.columns()) {
        cells.push(sheet_cells(c, original.name().as_str(), original.dtype(), f)?);
    }
    for (j, c) in df.columns().iter().enumerate() {
        ws.write_string_with_format(0, j as u16, c.name().as_str(), &f.bold).map_err(fail)?;
    }
    let last_col = df.width().saturating_sub(1) as u16;
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    ws.autofilter(0, 0, df.height() as u32, last_col).map_err(fail)?;
    if by_rows {
        // Row by row (a row once left cannot be written again); columns as wide as the
        // longest cell, the header with its filter button included.
        let mut widths: Vec<usize> = df.columns().iter().map(|c| c.name().len() + 3).collect();
        for i in 0..df.height() {
            for (j, column) in cells.iter_mut().enumerate() {
                let cell = column.next().unwrap_or(Cell::Empty);
                let shown = write_cell(ws, i as u32 + 1, j as u16, cell, f).map_err(fail)?;
                widths[j] = widths[j].max(shown);
            }
        }
        for (j, w) in widths.iter().enumerate() {
            ws.set_column_width(j as u16, (*w as f64 * 1.1 + 2.0).min(80.0)).map_err(fail)?;
        }
    } else {
        // Column by column, as the cells are stored (and the shared strings numbered).
        for (j, column) in cells.into_iter().enumerate() {
            for (i, cell) in column.enumerate() {
                write_cell(ws, i as u32 + 1, j as u16, cell, f).map_err(fail)?;
            }
        }
        ws.autofit();
    }
    Ok(())
}

/// One cell of a workbook, as read from a column.
enum Cell<'a> {
    Empty,
    Date(NaiveDate),
    Text(&'a str),
    Number(f64, Option<&'a rust_xlsxwriter::Format>),
}

/// The number formats of a workbook.
struct Formats {
    bold: rust_xlsxwriter::Format,
    date: rust_xlsxwriter::Format,
    money: rust_xlsxwriter::Format,
    whole: rust_xlsxwriter::Format,
}

/// Column `c` as it is written: dates, text (other types as their text) and numbers (money
/// columns and counts with their formats).
fn sheet_column(c: &Column) -> Result<Column> {
    Ok(match c.dtype() {
        DataType::Date | DataType::String => c.clone(),
        dt if dt.is_primitive_numeric() => c.cast(&DataType::Float64)?,
        _ => c.cast(&DataType::String)?,
    })
}

/// The cells of `c` (a column of `df` as [`sheet_column`] gives it; `kind` is the original's
/// type), top to bottom.
fn sheet_cells<'a>(
    c: &'a Column,
    name: &str,
    kind: &DataType,
    f: &'a Formats,
) -> Result<Box<dyn Iterator<Item = Cell<'a>> + 'a>> {
    Ok(match c.dtype() {
        DataType::Date => Box::new(c.date()?.physical().iter().map(|d| {
            match d.and_then(|d| EPOCH.checked_add_signed(chrono::TimeDelta::days(d.into()))) {
                Some(d) => Cell::Date(d),
                None => Cell::Empty,
            }
        })),
        DataType::String => Box::new(c.str()?.iter().map(|v| match v.filter(|v| !v.is_empty()) {
            Some(v) => Cell::Text(v),
            None => Cell::Empty,
        })),
        _ => {
            let fmt = if name.ends_with("_value") || name.contains("cost") || name.contains("price") {
                Some(&f.money)
            } else if kind.is_integer() {
                Some(&f.whole)
            } else {
                None
            };
            Box::new(c.f64()?.iter().map(move |x| match x.filter(|x| x.is_finite()) {
                Some(x) => Cell::Number(x, fmt),
                None => Cell::Empty,
            }))
        }
    })
}

/// Writes `cell` at (`row`, `col`); returns the characters it shows, about.
fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    cell: Cell,
    f: &Formats,
) -> std::result::Result<usize, rust_xlsxwriter::XlsxError> {
    Ok(match cell {
        Cell::Empty => 0,
        Cell::Date(d) => {
            let x = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(row, col, &x, &f.date)?;
            10
        }
        Cell::Text(v) => {
            ws.write_string(row, col, v)?;
            v.chars().count()
        }
        Cell::Number(x, fmt) => {
            match fmt {
                Some(fmt) => ws.write_number_with_format(row, col, x, fmt)?,
                None => ws.write_number(row, col, x)?,
            };
            // Digits, and the separators and decimals a format adds.
            let digits = format!("{x}").len();
            digits + fmt.map_or(0, |_| digits / 3 + 3)
        }
    })
}

/// [`write_xlsx`] with at most `per_sheet` data rows per sheet, and sheets of more than
/// `streamed` rows written row by row.
fn write_xlsx_in(sheets: Vec<Sheet>, path: &Path, per_sheet: usize, streamed: usize) -> Result<()> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
    let fail = |e: XlsxError| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) };
    let mut wb = Workbook::new();
    // A fixed creation date: the same inputs give the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let f = Formats {
        bold: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        money: Format::new().set_num_format("#,##0.00"),
        whole: Format::new().set_num_format("#,##0"),
    };
    // One sheet's table at a time, made when its turn comes, in as many pages as it needs.
    for (name, table) in sheets {
        let all = table().frame()?;
        let per_sheet = per_sheet.max(1);
        let n = all.height().div_ceil(per_sheet).max(1);
        for k in 0..n {
            let title = if k == 0 { name.to_string() } else { format!("{name} ({})", k + 1) };
            let df = all.slice((k * per_sheet) as i64, per_sheet);
            let by_rows = df.height() > streamed;
            let ws = if by_rows { wb.add_worksheet_with_constant_memory() } else { wb.add_worksheet() };
            write_page(ws, &title, &df, by_rows, &f, &fail)?;
        }
    }
    // A panic while saving must not skip the removal of the half-written file.
    write_atomic(path, |file| {
        unpanicked(path, || {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(file);
            wb.save_to_writer(&mut out).map_err(fail)?;
            out.flush().map_err(|e| Error::Write { path: path.to_path_buf(), source: e })
        })
    })
}

/// Writes text (JSON, HTML) atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    write_atomic(path, |f| {
        f.write_all(text.as_bytes()).map_err(|e| Error::Write { path: path.to_path_buf(), source: e })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_writing_is_an_error_naming_the_file() {
        let path = Path::new("out/proposals.xlsx");
        let e = unpanicked(path, || panic!("Couldn't write to xml file: No space left on device")).unwrap_err();
        let why = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default();
        let text = format!("{e}: {why}");
        assert!(text.contains("proposals.xlsx") && text.contains("No space left on device"), "{text}");
        assert!(unpanicked(path, || Ok(())).is_ok());
    }

    #[test]
    fn a_table_longer_than_a_sheet_goes_on_in_sheets_with_the_header() {
        use calamine::{open_workbook_auto, Data, Reader};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.xlsx");
        let t = Table::new().text("sku", ["A", "B", "C", "D", "E"]).num("qty", [1.0, 2.0, 3.0, 4.0, 5.0]);
        let short = Table::new().text("note", ["x"]);
        write_xlsx_in(vec![sheet("lines", t), sheet("notes", short)], &p, 2, XLSX_STREAMED_ROWS).unwrap();
        let mut wb = open_workbook_auto(&p).unwrap();
        assert_eq!(wb.sheet_names(), ["lines", "lines (2)", "lines (3)", "notes"]);
        let mut skus = Vec::new();
        for name in ["lines", "lines (2)", "lines (3)"] {
            let r = wb.worksheet_range(name).unwrap();
            let rows: Vec<&[Data]> = r.rows().collect();
            assert_eq!(rows[0], [Data::String("sku".into()), Data::String("qty".into())], "{name}");
            assert!(rows.len() <= 3, "{name}: {} rows", rows.len());
            skus.extend(rows[1..].iter().map(|r| (r[0].to_string(), r[1].to_string())));
        }
        let want: Vec<(String, String)> =
            [("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5")].map(|(a, b)| (a.into(), b.into())).to_vec();
        assert_eq!(skus, want);
    }

    #[test]
    fn a_sheet_written_row_by_row_holds_the_cells_of_one_written_whole() {
        use calamine::{open_workbook_auto, Reader};
        let dir = tempfile::tempdir().unwrap();
        let table = || {
            let d = |s: &str| s.parse::<NaiveDate>().unwrap();
            Table::new()
                .text("sku", ["A", "", "C"])
                .num("order_value", [1234.5, 2.0, f64::NAN])
                .int("qty", [3, 0, 7])
                .opt_date("arrival", [Some(d("2026-01-05")), None, Some(d("2026-02-28"))])
        };
        let cells = |streamed: usize| {
            let p = dir.path().join(format!("t{streamed}.xlsx"));
            write_xlsx_in(vec![sheet("proposals", table()), sheet("more", table())], &p, XLSX_ROWS, streamed).unwrap();
            let mut wb = open_workbook_auto(&p).unwrap();
            let names = wb.sheet_names();
            let sheets: Vec<Vec<Vec<String>>> = names
                .iter()
                .map(|n| {
                    let r = wb.worksheet_range(n).unwrap();
                    r.rows().map(|row| row.iter().map(|c| c.to_string()).collect()).collect()
                })
                .collect();
            (names, sheets)
        };
        let whole = cells(usize::MAX);
        assert_eq!(whole.1[0][0], ["sku", "order_value", "qty", "arrival"]);
        assert_eq!(whole.1[0].len(), 4, "the header and three rows");
        assert_eq!(cells(1), whole, "every sheet streamed");
        assert_eq!(cells(3), whole, "sheets of more than three rows streamed (none)");
    }

    #[test]
    fn csv_is_written_whole_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let t = Table::new().text("sku", ["A", "B"]).num("qty", [1.5, 2.0]);
        write_csv(t, &p).unwrap();
        let s = std::fs::read_to_string(&p).unwrap();
        assert_eq!(s, "sku,qty\nA,1.5\nB,2.0\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_table_written_in_parts_is_the_table_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let d = |k: i64| crate::period::add_days(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), k);
        let table = |r: std::ops::Range<i64>| {
            Table::new()
                .date("date", r.clone().map(d))
                .text("sku", r.clone().map(|k| format!("S,{k}")))
                .num("qty", r.clone().map(|k| k as f64 / 3.0))
                .opt_date("filled", r.map(|k| (k % 2 == 0).then(|| d(k))))
        };
        let (whole, parts) = (dir.path().join("whole.csv"), dir.path().join("parts.csv"));
        write_csv(table(0..10), &whole).unwrap();
        write_csv_parts([table(0..3), table(3..3), table(3..10)], &parts).unwrap();
        assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&parts).unwrap());
        let pq = dir.path().join("parts.parquet");
        write_parquet_parts([table(0..4), table(4..10)], &pq).unwrap();
        let back = LazyFrame::scan_parquet(PlRefPath::new(pq.to_str().unwrap()), ScanArgsParquet::default())
            .unwrap()
            .collect()
            .unwrap();
        assert!(back.equals_missing(&table(0..10).frame().unwrap()), "{back}");
        let all = concat([table(0..2), table(2..10)]).unwrap().frame().unwrap();
        assert!(all.equals_missing(&table(0..10).frame().unwrap()));
    }

    #[test]
    fn dates_are_written_as_iso_text_in_csv() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        write_csv(Table::new().date("a", [d]).opt_date("b", [None]), &p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a,b\n2024-02-29,\n");
    }

    #[test]
    fn temp_files_of_dead_runs_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".proposals.csv.tmp4294967290");
        let mine = dir.path().join(format!(".proposals.csv.tmp{}", std::process::id()));
        let other = dir.path().join("notes.tmp1");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(clean_leftovers(dir.path()), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
    }
}
