//! Output tables. Columns are gathered in plain vectors, turned into a polars frame and written
//! as CSV to a temporary file beside the target, then renamed over it: a crash never leaves a
//! half-written file under the real name.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
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

    /// Adds a date column, written as YYYY-MM-DD.
    pub fn date(self, name: &str, v: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.text(name, v.into_iter().map(|d| d.format("%Y-%m-%d").to_string()))
    }

    /// Adds an optional date column (empty cells for `None`).
    pub fn opt_date(mut self, name: &str, v: impl IntoIterator<Item = Option<NaiveDate>>) -> Self {
        let v: Vec<Option<String>> = v.into_iter().map(|d| d.map(|d| d.format("%Y-%m-%d").to_string())).collect();
        self.cols.push(Column::new(name.into(), v));
        self
    }

    /// The polars frame.
    pub fn frame(self) -> Result<DataFrame> {
        Ok(DataFrame::new_infer_height(self.cols)?)
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp{}", std::process::id()))
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

/// Writes a table as CSV.
pub fn write_csv(table: Table, path: &Path) -> Result<()> {
    let mut df = table.frame()?;
    write_atomic(path, |f| {
        CsvWriter::new(f)
            .include_header(true)
            .finish(&mut df)
            .map_err(|e| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })
    })
}

/// Writes a table as Parquet.
pub fn write_parquet(table: Table, path: &Path) -> Result<()> {
    let mut df = table.frame()?;
    write_atomic(path, |f| {
        ParquetWriter::new(f)
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })
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
    fn csv_is_written_whole_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let t = Table::new().text("sku", ["A", "B"]).num("qty", [1.5, 2.0]);
        write_csv(t, &p).unwrap();
        let s = std::fs::read_to_string(&p).unwrap();
        assert_eq!(s, "sku,qty\nA,1.5\nB,2.0\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
