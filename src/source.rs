//! Where an input table comes from and how its bytes become a frame of text columns: the file
//! named in `[files.NAME]` or `NAME.csv` / `.parquet` / `.xlsx`; CSV in any common encoding and
//! delimiter; Excel workbooks (calamine); Parquet of any plain type. The cells are validated by
//! [`crate::ingest`], which knows what each column means.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Deserialize;

use crate::error::{Error, Problem, Result};

/// File format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row (`,` `;` tab or `|`).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// An Excel workbook (`.xlsx`, `.xlsm`, `.xls`); header in the first row of the sheet.
    Excel,
}

impl Format {
    /// The format of a file name's extension.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Excel),
            _ => None,
        }
    }
}

/// Extensions looked for when a table has no `path` setting, in this order.
const EXTENSIONS: [&str; 3] = ["csv", "parquet", "xlsx"];

/// How one input table is read (`[files.NAME]` in the settings file); every key is optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The file, relative to the data folder (or absolute).
    pub path: Option<PathBuf>,
    /// chrono formats tried in order on each date cell after ISO `YYYY-MM-DD`.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Cell texts read as empty, such as `N/A`.
    #[serde(default)]
    pub null_values: Vec<String>,
    /// `error` (default): any bad row stops the run; `skip`: bad rows are left out and listed
    /// in `rejected_rows.csv`.
    pub on_bad_rows: Option<String>,
    /// Contract column = the file's column.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Field delimiter: one character, or `tab`; detected from the header when absent.
    pub delimiter: Option<String>,
    /// Numbers are written with a decimal comma (`12,5`; `.` or a space groups thousands).
    #[serde(default)]
    pub decimal_comma: bool,
    /// Text encoding: `utf-8` (default), `utf-16`, `windows-1252`, or any WHATWG label.
    pub encoding: Option<String>,
    /// Worksheet of a workbook (default: the first).
    pub sheet: Option<String>,
}

impl FileSpec {
    /// True when bad rows are left out rather than stopping the run.
    pub fn skips_bad_rows(&self) -> bool {
        self.on_bad_rows.as_deref() == Some("skip")
    }

    /// The delimiter setting as a byte.
    fn delimiter_byte(&self) -> Option<u8> {
        match self.delimiter.as_deref()? {
            "tab" | "\\t" | "\t" => Some(b'\t'),
            d => d.bytes().next(),
        }
    }

    /// Checks the values that do not depend on the file (`name` is the table, for messages).
    pub fn check(&self, name: &str) -> Result<()> {
        let bad = |key: &str, value: &str, expected: &str| Error::Setting {
            name: format!("files.{name}.{key}"),
            value: value.into(),
            expected: expected.into(),
        };
        if let Some(v) = &self.on_bad_rows {
            if v != "error" && v != "skip" {
                return Err(bad("on_bad_rows", v, "`error` or `skip`"));
            }
        }
        if let Some(d) = &self.delimiter {
            let ok = matches!(d.as_str(), "tab" | "\\t" | "\t") || (d.len() == 1 && d != "\"" && d != "\n");
            if !ok {
                return Err(bad("delimiter", d, "one character such as `,` `;` `|`, or `tab`"));
            }
        }
        if let Some(e) = &self.encoding {
            if encoding_rs::Encoding::for_label(e.as_bytes()).is_none() {
                return Err(bad("encoding", e, "an encoding such as `utf-8`, `utf-16`, `windows-1252`"));
            }
        }
        for f in &self.date_formats {
            let broken = chrono::format::StrftimeItems::new(f).any(|i| matches!(i, chrono::format::Item::Error));
            // A layout is usable when a date written in it reads back as the same date.
            let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
            let round_trip =
                !broken && chrono::NaiveDate::parse_from_str(&day.format(f).to_string(), f).ok() == Some(day);
            if !round_trip {
                return Err(bad(
                    "date_formats",
                    f,
                    "chrono formats with a day, month and year, such as `%d-%b-%y` (2-Jun-06) or `%m/%d/%Y` (8/27/2014)",
                ));
            }
        }
        Ok(())
    }
}

/// The settings of every input table, by table name.
pub type FileSpecs = BTreeMap<String, FileSpec>;

/// One input table found on disk, with how to read it.
#[derive(Debug, Clone)]
pub struct Source {
    /// Table name (`sales`, `purchase_orders`, ...).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its settings (defaults when the settings file has none).
    pub spec: FileSpec,
    /// A finding about how it will be read, for the warnings (a guessed encoding).
    pub note: Option<String>,
}

impl Source {
    /// A file read with default settings.
    pub fn plain(name: &str, path: &Path, format: Format) -> Source {
        Source { name: name.into(), path: path.to_path_buf(), format, spec: FileSpec::default(), note: None }
    }

    /// A CSV that is not UTF-8, has no byte-order mark and no `encoding` setting is read as
    /// Windows-1252 (what Excel on Windows writes), with a note saying so.
    fn with_encoding_guess(mut self) -> Source {
        if self.format != Format::Csv || self.spec.encoding.is_some() {
            return self;
        }
        let mut head = Vec::with_capacity(64 * 1024);
        let read = std::fs::File::open(&self.path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
        if read.is_ok() && encoding_rs::Encoding::for_bom(&head).is_none() && first_non_utf8(&head).is_some() {
            self.spec.encoding = Some("windows-1252".into());
            self.note = Some(format!(
                "{} is not UTF-8 text: read as Windows-1252; set `encoding` in [files.{}] of replen.toml if it is another",
                self.file_name(),
                self.name
            ));
        }
        self
    }

    /// The file name, for summaries.
    pub fn file_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// Finds table `name` in `dir`: the `path` of its settings, else `NAME.csv`, `NAME.parquet` or
/// `NAME.xlsx`. `Ok(None)` when there is none; more than one is ambiguous.
pub fn locate(dir: &Path, name: &str, specs: &FileSpecs) -> Result<Option<Source>> {
    if !dir.is_dir() {
        return Err(Error::MissingDir(dir.to_path_buf()));
    }
    let spec = specs.get(name).cloned().unwrap_or_default();
    if let Some(p) = &spec.path {
        let path = dir.join(p);
        let setting = |expected: String| Error::Setting {
            name: format!("files.{name}.path"),
            value: p.display().to_string(),
            expected,
        };
        if !path.is_file() {
            return Err(setting(format!("a file in the data folder `{}`: there is none", dir.display())));
        }
        let format =
            Format::of(&path).ok_or_else(|| setting("a file ending in .csv, .txt, .tsv, .parquet or .xlsx".into()))?;
        return Ok(Some(Source { name: name.into(), path, format, spec, note: None }.with_encoding_guess()));
    }
    let found: Vec<PathBuf> =
        EXTENSIONS.iter().map(|e| dir.join(format!("{name}.{e}"))).filter(|p| p.is_file()).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => {
            let format = Format::of(one).unwrap_or(Format::Csv);
            Ok(Some(Source { name: name.into(), path: one.clone(), format, spec, note: None }.with_encoding_guess()))
        }
        _ => Err(Error::AmbiguousFile { name: name.into(), dir: dir.into() }),
    }
}

/// Like [`locate`] but the table must exist.
pub fn require(dir: &Path, name: &str, specs: &FileSpecs) -> Result<Source> {
    locate(dir, name, specs)?.ok_or_else(|| Error::MissingFile { name: name.into(), dir: dir.into() })
}

pub(crate) fn invalid(path: &Path, row: Option<usize>, column: Option<&str>, message: String) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        problems: vec![Problem { row, column: column.map(Into::into), message }],
    }
}

fn read_err(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |source| Error::Read { path: path.to_path_buf(), source }
}

/// The table as a lazy frame of its columns, as they are in the file (names and types).
pub fn frame(src: &Source) -> Result<LazyFrame> {
    let meta = std::fs::metadata(&src.path)
        .map_err(|e| Error::Read { path: src.path.clone(), source: PolarsError::IO { error: e.into(), msg: None } })?;
    if meta.len() == 0 {
        return Err(invalid(&src.path, None, None, "the file is empty: expected a header row and data rows".into()));
    }
    match src.format {
        Format::Csv => csv_frame(src),
        Format::Parquet => {
            let pl_path = PlRefPath::new(src.path.to_string_lossy().as_ref());
            LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()).map_err(read_err(&src.path))
        }
        Format::Excel => excel_frame(src).map(IntoLazy::lazy),
    }
}

/// How a CSV file's bytes are to be decoded.
enum Decode {
    /// UTF-8 (with or without a byte-order mark): polars reads the file itself.
    Utf8,
    /// Another encoding: the file is decoded to UTF-8 in memory first.
    Other(&'static encoding_rs::Encoding),
}

/// The first 64 KiB of a file, its encoding and its separator (the setting, or sniffed from
/// the first 64 KiB; a tab for `.tsv`).
fn csv_head(src: &Source) -> Result<(Vec<u8>, Decode, u8)> {
    let path = &src.path;
    let io =
        |e: std::io::Error| Error::Read { path: path.clone(), source: PolarsError::IO { error: e.into(), msg: None } };
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head)).map_err(io)?;
    let decode = match src.spec.encoding.as_deref().and_then(|e| encoding_rs::Encoding::for_label(e.as_bytes())) {
        Some(e) if e == encoding_rs::UTF_8 => Decode::Utf8,
        Some(e) => Decode::Other(e),
        None => match encoding_rs::Encoding::for_bom(&head) {
            Some((e, _)) if e != encoding_rs::UTF_8 => Decode::Other(e),
            _ => Decode::Utf8,
        },
    };
    let tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let sep = match (src.spec.delimiter_byte(), &decode) {
        (Some(sep), _) => sep,
        (None, _) if tsv => b'\t',
        (None, Decode::Utf8) => sniff_delimiter(&String::from_utf8_lossy(&head)),
        // Sniffed on the decoded text by the caller.
        (None, Decode::Other(_)) => 0,
    };
    Ok((head, decode, sep))
}

/// The separator of a CSV file that polars reads as it is (UTF-8); `None` for other formats
/// and encodings.
pub fn utf8_csv_separator(src: &Source) -> Result<Option<u8>> {
    if src.format != Format::Csv {
        return Ok(None);
    }
    let (head, decode, sep) = csv_head(src)?;
    match decode {
        Decode::Utf8 => match first_non_utf8(&head) {
            Some(p) => Err(not_utf8(src, &head, p)),
            None => Ok(Some(sep)),
        },
        Decode::Other(_) => Ok(None),
    }
}

fn csv_frame(src: &Source) -> Result<LazyFrame> {
    let path = &src.path;
    let io =
        |e: std::io::Error| Error::Read { path: path.clone(), source: PolarsError::IO { error: e.into(), msg: None } };
    let (head, decode, sep) = csv_head(src)?;
    let tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let sniff = |text: &str| if tsv { b'\t' } else { sniff_delimiter(text) };
    match decode {
        Decode::Utf8 => {
            if let Some(p) = first_non_utf8(&head) {
                return Err(not_utf8(src, &head, p));
            }
            let pl_path = PlRefPath::new(path.to_string_lossy().as_ref());
            LazyCsvReader::new(pl_path)
                .with_has_header(true)
                .with_separator(sep)
                .with_infer_schema_length(Some(0))
                .with_missing_is_null(true)
                .finish()
                .map_err(read_err(path))
        }
        Decode::Other(enc) => {
            let bytes = std::fs::read(path).map_err(io)?;
            let (text, _, malformed) = enc.decode(&bytes);
            if malformed {
                return Err(invalid(
                    path,
                    None,
                    None,
                    format!(
                        "the file is not valid {} text: save it as UTF-8, or set `encoding` in [files.{}]",
                        enc.name(),
                        src.name
                    ),
                ));
            }
            let sep = src.spec.delimiter_byte().unwrap_or_else(|| sniff(&text));
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .map_parse_options(|o| o.with_separator(sep).with_missing_is_null(true))
                .into_reader_with_file_handle(std::io::Cursor::new(text.into_owned().into_bytes()))
                .finish()
                .map_err(read_err(path))?;
            Ok(df.lazy())
        }
    }
}

/// Byte offset of the first byte that is not UTF-8 in `head` (a sequence cut at the end of
/// the sample does not count).
fn first_non_utf8(head: &[u8]) -> Option<usize> {
    match std::str::from_utf8(head) {
        Ok(_) => None,
        Err(e) if e.error_len().is_none() => None,
        Err(e) => Some(e.valid_up_to()),
    }
}

fn not_utf8(src: &Source, head: &[u8], at: usize) -> Error {
    let line = head[..at].iter().filter(|b| **b == b'\n').count();
    let row = (line > 0).then_some(line);
    invalid(
        &src.path,
        row,
        None,
        format!(
            "the file is not UTF-8 text (byte {at}): an export from Excel on Windows is usually Windows-1252; set `encoding = \"windows-1252\"` in [files.{}] of replen.toml, or save the file as UTF-8",
            src.name
        ),
    )
}

/// The delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes
/// (`,` when none occurs).
pub fn sniff_delimiter(text: &str) -> u8 {
    let line = first_record(text.trim_start_matches('\u{feff}'));
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(c) = counts.iter_mut().find(|c| c.0 == b) {
                c.1 += 1;
            }
        }
    }
    counts.iter().fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best }).0
}

/// The first record of CSV text (up to the first line break outside quotes).
fn first_record(text: &str) -> &str {
    let mut quoted = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => return &text[..i],
            _ => {}
        }
    }
    text
}

/// The first record of `text` (after the header) with more fields than the header:
/// `(row, fields, header fields)`. Blank lines count as rows, as they do in the frame.
pub fn first_ragged_row(text: &str, sep: u8) -> Option<(usize, usize, usize)> {
    let bytes = text.trim_start_matches('\u{feff}').as_bytes();
    let (mut quoted, mut fields, mut record, mut header) = (false, 1usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && b == sep {
            fields += 1;
        } else if !quoted && (b == b'\n' || b == b'\r') {
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            if record == 0 {
                header = fields;
            } else if fields > header {
                return Some((record, fields, header));
            }
            record += 1;
            fields = 1;
        }
        i += 1;
    }
    (record > 0 && fields > header && header > 0).then_some((record, fields, header))
}

/// Explains a CSV that polars could not split into rows: the first row with too many fields.
pub fn explain_csv_failure(src: &Source) -> Option<Error> {
    let bytes = std::fs::read(&src.path).ok()?;
    if src.spec.encoding.is_none() && encoding_rs::Encoding::for_bom(&bytes).is_none() {
        if let Some(p) = first_non_utf8(&bytes) {
            return Some(not_utf8(src, &bytes, p));
        }
    }
    let text = match src.spec.encoding.as_deref().and_then(|e| encoding_rs::Encoding::for_label(e.as_bytes())) {
        Some(e) => e.decode(&bytes).0.into_owned(),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let sep = src.spec.delimiter_byte().unwrap_or_else(|| sniff_delimiter(&text));
    let (row, fields, header) = first_ragged_row(&text, sep)?;
    let shown = if sep == b'\t' { "tab".to_string() } else { format!("`{}`", sep as char) };
    Some(invalid(
        &src.path,
        Some(row),
        None,
        format!(
            "the row has {fields} fields but the header has {header}: a value holding the delimiter {shown} must be in double quotes"
        ),
    ))
}

/// A worksheet as a frame of text columns: the header is the first row; numbers are written
/// in full, Excel dates as `YYYY-MM-DD` (with the time when it is not midnight), error cells
/// as their text (`#N/A`), so validation names them.
fn excel_frame(src: &Source) -> Result<DataFrame> {
    use calamine::{open_workbook_auto, Data, Reader};
    let path = &src.path;
    let fail = |msg: String| invalid(path, None, None, msg);
    let mut wb = open_workbook_auto(path).map_err(|e| fail(format!("cannot open the workbook: {e}")))?;
    let names = wb.sheet_names();
    let sheet = match &src.spec.sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| fail(format!("the workbook has no sheet `{s}`; its sheets are {}", names.join(", "))))?,
        None => names.first().cloned().ok_or_else(|| fail("the workbook has no sheets".into()))?,
    };
    let range = wb.worksheet_range(&sheet).map_err(|e| fail(format!("cannot read sheet `{sheet}`: {e}")))?;
    let mut rows = range.rows();
    let header: Vec<String> = match rows.next() {
        Some(h) => h.iter().map(|c| cell_text(c).unwrap_or_default()).collect(),
        None => return Err(fail(format!("sheet `{sheet}` is empty: expected a header row and data rows"))),
    };
    let mut cols: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(range.height()); header.len()];
    for r in rows {
        for (j, col) in cols.iter_mut().enumerate() {
            col.push(r.get(j).and_then(cell_text));
        }
    }
    // Columns without a header name are left out when empty; otherwise they are named by
    // their letter so a duplicate or missing name can be reported.
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut out: Vec<Column> = Vec::new();
    for (j, (name, values)) in header.into_iter().zip(cols).enumerate() {
        let j = j + first_col;
        if name.trim().is_empty() {
            if values.iter().all(Option::is_none) {
                continue;
            }
            return Err(fail(format!(
                "column {} of sheet `{sheet}` has values but no name in the header row",
                column_letter(j)
            )));
        }
        // A repeated name is renamed as polars names it in a CSV, so the reader can report it.
        let repeats = out.iter().filter(|c| header_base(c.name()) == name).count();
        let name = if repeats == 0 { name } else { format!("{name}{REPEAT}{}", repeats - 1) };
        out.push(Column::new(name.into(), values));
    }
    return DataFrame::new_infer_height(out).map_err(read_err(path));

    fn cell_text(c: &Data) -> Option<String> {
        match c {
            Data::Empty => None,
            Data::String(s) => Some(s.clone()),
            Data::Int(i) => Some(i.to_string()),
            Data::Float(f) => Some(number_text(*f)),
            Data::Bool(b) => Some(b.to_string()),
            Data::DateTime(d) => match d.as_datetime() {
                Some(t) if t.time() == chrono::NaiveTime::MIN => Some(t.format("%Y-%m-%d").to_string()),
                Some(t) => Some(t.format("%Y-%m-%d %H:%M:%S").to_string()),
                None => Some(d.as_f64().to_string()),
            },
            Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
            Data::Error(e) => Some(e.to_string()),
        }
    }
}

/// A number as text: whole numbers without a decimal point, others in the shortest form that
/// reads back to the same value.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Spreadsheet letter of a 0-based column.
fn column_letter(mut j: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Infix polars gives a repeated CSV header (`qty`, `qty_duplicated_0`); workbooks' repeats
/// are named the same way.
const REPEAT: &str = "_duplicated_";

/// A header name without the suffix of a repeat: the name as the file writes it.
pub fn header_base(name: &str) -> &str {
    name.split(REPEAT).next().unwrap_or(name)
}

/// True for types that read as text; others (lists, structs, binary) are refused by name.
pub fn readable(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
        || dtype.is_decimal()
        || dtype.is_categorical()
        || dtype.is_enum()
        || matches!(dtype, DataType::String | DataType::Boolean | DataType::Date | DataType::Null)
        || matches!(dtype, DataType::Datetime(_, _))
}

/// Words a column of each contract column is often called in ERP exports.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "sku",
        &[
            "item",
            "item code",
            "item no",
            "item number",
            "item id",
            "product",
            "product code",
            "product id",
            "part",
            "part number",
            "part no",
            "material",
            "article",
            "stock code",
            "item description",
            "sku code",
        ],
    ),
    (
        "date",
        &[
            "order date",
            "sales date",
            "invoice date",
            "posting date",
            "document date",
            "doc date",
            "transaction date",
            "day",
        ],
    ),
    (
        "qty",
        &[
            "quantity",
            "units",
            "order quantity",
            "ordered qty",
            "qty ordered",
            "quantity ordered",
            "line item quantity",
            "sales qty",
            "amount",
        ],
    ),
    ("order_id", &["order", "order no", "order number", "sales order", "so", "document no", "invoice"]),
    ("unit_price", &["price", "unit price", "sales price", "net price", "line item value"]),
    ("location", &["warehouse", "site", "store", "plant", "branch", "location code", "wh", "depot"]),
    ("supplier", &["vendor", "supplier code", "vendor code", "vendor name", "supplier name", "manufacturer"]),
    ("unit_cost", &["cost", "unit cost", "standard cost", "purchase price", "pack price"]),
    ("lead_time_days", &["lead time", "lead time days", "lt", "delivery days", "lead days"]),
    ("moq", &["minimum order quantity", "min order qty", "minimum qty", "min qty"]),
    ("order_multiple", &["pack size", "case pack", "multiple", "pack qty", "lot size", "order multiple"]),
    (
        "on_hand",
        &["on hand", "stock", "qty on hand", "quantity on hand", "available", "inventory", "stock qty", "free stock"],
    ),
    ("po_id", &["po", "po number", "po no", "purchase order", "po so", "po id", "order no"]),
    ("order_date", &["po date", "order date", "po sent to vendor date", "date ordered", "created date", "po created"]),
    (
        "received_date",
        &[
            "received",
            "receipt date",
            "received date",
            "delivered date",
            "delivery date",
            "delivered to client date",
            "gr date",
            "goods receipt date",
            "actual delivery date",
        ],
    ),
    (
        "expected_date",
        &[
            "due date",
            "promised date",
            "scheduled delivery date",
            "expected delivery",
            "eta",
            "delivery due",
            "confirmed date",
        ],
    ),
    ("filled_date", &["filled", "shipped date", "fulfilled date", "fill date"]),
    ("promised_date", &["promise date", "promised", "customer promise date"]),
];

/// Lower-case words of a column name.
fn words(s: &str) -> String {
    let mut out = String::new();
    for w in s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.to_lowercase());
    }
    out
}

/// How well a header name fits a contract column: 3 an exact synonym, 2 a synonym within it,
/// 1 the contract name's words within it, 0 nothing.
fn fit(contract: &str, header: &str) -> u8 {
    let h = format!(" {} ", words(header));
    let syn = SYNONYMS.iter().find(|s| s.0 == contract).map_or(&[][..], |s| s.1);
    let own = words(contract);
    if syn.iter().any(|s| h.trim() == *s) || h.trim() == own {
        3
    } else if syn.iter().any(|s| s.len() > 2 && h.contains(&format!(" {s} "))) {
        2
    } else if h.contains(&format!(" {own} ")) {
        1
    } else {
        0
    }
}

/// A ready `[files.NAME.columns]` block: for each missing required column the best unused
/// header name, and optional columns the header plainly has.
pub fn suggest_columns(table: &str, missing: &[&str], optional: &[&str], header: &[String], taken: &[&str]) -> String {
    let mut used: Vec<&str> = taken.to_vec();
    let mut lines = vec![format!("[files.{table}.columns]")];
    let mut best = |c: &str, min: u8| {
        let pick = header
            .iter()
            .filter(|h| !used.contains(&h.as_str()))
            .map(|h| (fit(c, h), h))
            .filter(|(s, _)| *s >= min)
            .fold(None, |b: Option<(u8, &String)>, x| if b.is_some_and(|b| b.0 >= x.0) { b } else { Some(x) })
            .map(|(_, h)| h.as_str());
        if let Some(h) = pick {
            used.push(h);
        }
        pick
    };
    for c in missing {
        match best(c, 1) {
            Some(h) => lines.push(format!("{c} = {}", toml_string(h))),
            None => lines.push(format!("# {c} = \"\"   (no guess: write the name of the file's column)")),
        }
    }
    // Optional columns only on an exact name (a wrong `location` would split every SKU).
    for c in optional {
        if let Some(h) = best(c, 3) {
            lines.push(format!("{c} = {}   # optional", toml_string(h)));
        }
    }
    lines.join("\n")
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A CSV file read in parts of about `size` bytes, each cut after a line break outside quotes
/// and given the header line, so each part reads as a CSV file of its own.
pub struct CsvParts {
    file: std::fs::File,
    header: Vec<u8>,
    /// Bytes read past the last part's cut.
    carry: Vec<u8>,
    /// A part's buffer handed back, to carry the next one: its memory is reused, not asked of
    /// the system again (fresh pages cost a fault and zeroing each).
    spare: Option<Vec<u8>>,
    size: usize,
    done: bool,
}

impl CsvParts {
    /// Opens `path` and reads its header line.
    pub fn open(path: &Path, size: usize) -> std::io::Result<CsvParts> {
        let mut parts = CsvParts {
            file: std::fs::File::open(path)?,
            header: Vec::new(),
            carry: Vec::new(),
            spare: None,
            size: size.max(1),
            done: false,
        };
        // The header is the first record, kept to lead every part.
        match parts.cut(0)? {
            Some(h) => {
                parts.carry.splice(0..0, h.iter().copied());
                parts.header = h;
            }
            None => parts.done = true,
        }
        Ok(parts)
    }

    /// The next part (header line first), or `None` at the end of the file.
    pub fn next_part(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let lead = self.header.len();
        match self.cut(lead)? {
            Some(part) if part.len() > lead => Ok(Some(part)),
            _ => {
                self.done = true;
                Ok(None)
            }
        }
    }

    /// Hands back a part's buffer once its bytes are parsed, for the next part to reuse.
    pub fn recycle(&mut self, part: Vec<u8>) {
        self.spare = Some(part);
    }

    /// Reads until the carried bytes hold `size` bytes after their first `lead` (or the end of
    /// the file), then cuts them after the last line break outside quotes (the header, when
    /// `lead` is 0 and none is read yet, after its first one). The bytes past the cut are
    /// carried on behind a copy of the header. `None` when nothing is left.
    fn cut(&mut self, lead: usize) -> std::io::Result<Option<Vec<u8>>> {
        let first_line = self.header.is_empty();
        let mut want = lead + self.size;
        loop {
            let eof = self.fill(want)?;
            let body = &self.carry[lead..];
            let at = if first_line { first_break(body) } else { last_break(body) };
            match at {
                Some(k) => {
                    let mut next = self.spare.take().unwrap_or_default();
                    next.clear();
                    next.reserve(lead + self.size + 64 * 1024);
                    next.extend_from_slice(&self.header);
                    next.extend_from_slice(&self.carry[lead + k + 1..]);
                    let mut part = std::mem::replace(&mut self.carry, next);
                    part.truncate(lead + k + 1);
                    return Ok(Some(part));
                }
                None if eof => {
                    let done = std::mem::take(&mut self.carry);
                    return Ok((done.len() > lead).then_some(done));
                }
                // One record longer than a part: read on.
                None => want = self.carry.len() * 2,
            }
        }
    }

    /// Reads until `carry` holds `want` bytes; true at the end of the file.
    fn fill(&mut self, want: usize) -> std::io::Result<bool> {
        while self.carry.len() < want {
            let n = (&mut self.file).take((want - self.carry.len()) as u64).read_to_end(&mut self.carry)?;
            if n == 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Offset of the first line break outside quotes in `b` (which starts at a record).
fn first_break(b: &[u8]) -> Option<usize> {
    let mut quoted = false;
    for (k, c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return Some(k),
            _ => {}
        }
    }
    None
}

/// Offset of the last line break outside quotes in `b` (which starts at a record).
fn last_break(b: &[u8]) -> Option<usize> {
    if !b.contains(&b'"') {
        return b.iter().rposition(|c| *c == b'\n');
    }
    let mut quoted = false;
    let mut last = None;
    for (k, c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => last = Some(k),
            _ => {}
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("date;sku;qty\n2024-01-01;A;1"), b';');
        assert_eq!(sniff_delimiter("date\tsku\tqty\n"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter("\u{feff}date|sku|qty"), b'|');
        assert_eq!(sniff_delimiter("qty\n1\n"), b',');
    }

    #[test]
    fn the_first_ragged_row_is_found() {
        let t = "a,b,c\n1,2,3\n\n1,\"2,5\",3\n1,2,3,4\n";
        assert_eq!(first_ragged_row(t, b','), Some((4, 4, 3)));
        assert_eq!(first_ragged_row("a,b\r\n1,2\r\n1,2,3", b','), Some((2, 3, 2)));
        assert_eq!(first_ragged_row("a,b\n1,2\n", b','), None);
    }

    #[test]
    fn numbers_and_letters_read_as_a_planner_wrote_them() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(0.1 + 0.2), format!("{}", 0.1 + 0.2));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn column_guesses_follow_erp_names() {
        let header: Vec<String> = [
            "ID",
            "PO / SO #",
            "Vendor",
            "Item Description",
            "Line Item Quantity",
            "PO Sent to Vendor Date",
            "Delivered to Client Date",
            "Scheduled Delivery Date",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let block = suggest_columns(
            "purchase_orders",
            &["po_id", "sku", "supplier", "order_date", "qty", "received_date"],
            &["expected_date", "location"],
            &header,
            &[],
        );
        for line in [
            "po_id = \"PO / SO #\"",
            "sku = \"Item Description\"",
            "supplier = \"Vendor\"",
            "order_date = \"PO Sent to Vendor Date\"",
            "qty = \"Line Item Quantity\"",
            "received_date = \"Delivered to Client Date\"",
            "expected_date = \"Scheduled Delivery Date\"   # optional",
        ] {
            assert!(block.contains(line), "{line} not in\n{block}");
        }
    }

    #[test]
    fn settings_of_a_file_are_checked() {
        let ok =
            FileSpec { date_formats: vec!["%d-%b-%y".into()], encoding: Some("latin1".into()), ..Default::default() };
        assert!(ok.check("sales").is_ok());
        for bad in [
            FileSpec { on_bad_rows: Some("ignore".into()), ..Default::default() },
            FileSpec { delimiter: Some(";;".into()), ..Default::default() },
            FileSpec { encoding: Some("klingon".into()), ..Default::default() },
            FileSpec { date_formats: vec!["%Q".into()], ..Default::default() },
            FileSpec { date_formats: vec!["%Y".into()], ..Default::default() },
            FileSpec { date_formats: vec!["%d/%m".into()], ..Default::default() },
        ] {
            assert!(bad.check("sales").is_err(), "{bad:?}");
        }
    }
}
