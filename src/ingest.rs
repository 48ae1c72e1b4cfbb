//! Reading and validating the input folder. Files are read with polars (CSV or Parquet, chosen by
//! extension) as text columns, then every cell is parsed here with its row number in hand, so a
//! planner is told the file, row, column and value of each problem. What comes out are plain
//! typed tables; polars stays at this edge.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::{Error, Problem, Result};
use crate::period::parse_date;

/// File format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Finds `name.csv` or `name.parquet` in `dir`. `Ok(None)` when neither exists.
pub fn locate(dir: &Path, name: &str) -> Result<Option<(PathBuf, Format)>> {
    if !dir.is_dir() {
        return Err(Error::MissingDir(dir.to_path_buf()));
    }
    let csv = dir.join(format!("{name}.csv"));
    let pq = dir.join(format!("{name}.parquet"));
    match (csv.is_file(), pq.is_file()) {
        (true, true) => Err(Error::AmbiguousFile { name: name.into(), dir: dir.into() }),
        (true, false) => Ok(Some((csv, Format::Csv))),
        (false, true) => Ok(Some((pq, Format::Parquet))),
        (false, false) => Ok(None),
    }
}

/// Like [`locate`] but the file must exist.
pub fn require(dir: &Path, name: &str) -> Result<(PathBuf, Format)> {
    locate(dir, name)?.ok_or_else(|| Error::MissingFile { name: name.into(), dir: dir.into() })
}

/// A file read as text columns, keyed by canonical (lower-case, trimmed) column name.
struct RawTable {
    rows: usize,
    cols: HashMap<String, StringChunked>,
}

impl RawTable {
    /// Reads the `required` and present `optional` columns of a file as text.
    fn read(path: &Path, format: Format, required: &[&str], optional: &[&str]) -> Result<RawTable> {
        let read_err = |source| Error::Read { path: path.to_path_buf(), source };
        let meta = std::fs::metadata(path).map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: PolarsError::IO { error: e.into(), msg: None },
        })?;
        if meta.len() == 0 {
            return Err(invalid(path, None, None, "the file is empty: expected a header row and data rows".into()));
        }
        let pl_path = PlRefPath::new(path.to_string_lossy().as_ref());
        let mut lf = match format {
            Format::Csv => LazyCsvReader::new(pl_path)
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .with_missing_is_null(true)
                .finish()
                .map_err(read_err)?,
            Format::Parquet => LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()).map_err(read_err)?,
        };
        let schema = lf.collect_schema().map_err(read_err)?;
        // Canonical name -> name in the file.
        let mut present: HashMap<String, String> = HashMap::new();
        for name in schema.iter_names() {
            present.entry(name.trim().to_ascii_lowercase()).or_insert_with(|| name.to_string());
        }
        let missing: Vec<&str> = required.iter().copied().filter(|c| !present.contains_key(*c)).collect();
        if !missing.is_empty() {
            let found: Vec<String> = schema.iter_names().map(|n| format!("`{n}`")).collect();
            let problems = missing
                .iter()
                .map(|c| Problem {
                    row: None,
                    column: Some((*c).to_string()),
                    message: format!("required column `{c}` is missing (the header has {})", found.join(", ")),
                })
                .collect();
            return Err(Error::Invalid { path: path.to_path_buf(), problems });
        }
        let wanted: Vec<(&str, &String)> =
            required.iter().chain(optional.iter()).filter_map(|c| present.get(*c).map(|orig| (*c, orig))).collect();
        let exprs: Vec<Expr> =
            wanted.iter().map(|(canon, orig)| col(orig.as_str()).cast(DataType::String).alias(*canon)).collect();
        let df = lf.select(exprs).collect().map_err(read_err)?;
        let rows = df.height();
        if rows == 0 {
            return Err(invalid(path, None, None, "the file has a header but no data rows".into()));
        }
        let mut cols = HashMap::new();
        for (canon, _) in wanted {
            let s = df.column(canon).and_then(|c| c.str().cloned()).map_err(read_err)?;
            cols.insert(canon.to_string(), s);
        }
        Ok(RawTable { rows, cols })
    }

    /// The `date` column as ISO dates and the `number` column as non-negative numbers, cast
    /// by polars; `None` when any cell is empty, not exactly `YYYY-MM-DD`, or not a plain
    /// non-negative number (the cell-by-cell check then names it).
    fn typed_dates_and_numbers(&self, date: &str, number: &str) -> Option<(Vec<NaiveDate>, Vec<f64>)> {
        let (d, q) = (self.cols.get(date)?, self.cols.get(number)?);
        if d.null_count() > 0 || q.null_count() > 0 || !d.iter().all(|v| v.is_some_and(|s| s.len() == 10)) {
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
        let qty: Vec<f64> = q.into_no_null_iter().collect();
        qty.iter().all(|x| x.is_finite() && *x >= 0.0).then_some(())?;
        Some((dates?, qty))
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
                match (k.map(str::trim).filter(|k| !k.is_empty()), l.map(str::trim).filter(|l| !l.is_empty())) {
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

    /// Text cells of a column (trimmed; empty cells as `None`). Absent columns give all `None`.
    fn cells<'a>(&'a self, c: &str) -> Box<dyn Iterator<Item = Option<&'a str>> + 'a> {
        match self.cols.get(c) {
            Some(ca) => Box::new(ca.iter().map(|v| v.map(str::trim).filter(|s| !s.is_empty()))),
            None => Box::new(std::iter::repeat_n(None, self.rows)),
        }
    }
}

fn invalid(path: &Path, row: Option<usize>, column: Option<&str>, message: String) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        problems: vec![Problem { row, column: column.map(Into::into), message }],
    }
}

/// Collects cell problems of one file while parsing it.
struct Check {
    path: PathBuf,
    problems: Vec<Problem>,
}

impl Check {
    fn new(path: &Path) -> Self {
        Check { path: path.to_path_buf(), problems: Vec::new() }
    }

    fn add(&mut self, i: usize, column: &str, message: String) {
        // Keep memory bounded on a badly broken file; the count is what matters past a point.
        if self.problems.len() < 1000 {
            self.problems.push(Problem { row: Some(i + 1), column: Some(column.into()), message });
        }
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
        let d = parse_date(s);
        if d.is_none() {
            self.add(i, column, format!("`{s}` is not a valid date: expected YYYY-MM-DD, e.g. 2024-03-31"));
        }
        d
    }

    fn number(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<f64> {
        let s = self.text(i, column, v)?;
        self.opt_number(i, column, Some(s))
    }

    /// A number that must be zero or more.
    fn opt_number(&mut self, i: usize, column: &str, v: Option<&str>) -> Option<f64> {
        let s = v?;
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
            Ok(x) if x.is_finite() => {
                self.add(i, column, format!("negative quantity `{s}`: must be zero or more"));
                None
            }
            _ => {
                self.add(i, column, format!("`{s}` is not a number: expected a plain number such as 12 or 12.5"));
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

    fn finish(self) -> Result<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid { path: self.path, problems: self.problems })
        }
    }
}

/// Interned SKU codes: tables refer to SKUs by a dense index.
#[derive(Debug, Default, Clone)]
pub struct Skus {
    names: Vec<String>,
    index: rustc_hash::FxHashMap<String, u32>,
}

impl Skus {
    /// Index of `sku`, adding it when new.
    pub fn intern(&mut self, sku: &str) -> u32 {
        if let Some(&i) = self.index.get(sku) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(sku.to_string());
        self.index.insert(sku.to_string(), i);
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
    pub qty: Vec<f64>,
    /// Order id per line, when the file has the column and it was asked for.
    pub order_id: Option<Vec<Option<String>>>,
    /// Unit price per line, when present and asked for.
    pub unit_price: Option<Vec<Option<f64>>>,
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
    pub order_id: Option<String>,
    /// The customer cancelled instead of waiting.
    pub cancelled: bool,
    /// Serving priority: lines with one go first, lowest number first.
    pub priority: Option<f64>,
    /// Date promised to the customer.
    pub promised_date: Option<NaiveDate>,
    /// 1-based row in the file.
    pub row: usize,
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

/// One purchase order line (or one receipt of it).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrder {
    /// Purchase order number.
    pub po_id: String,
    /// SKU index.
    pub sku: u32,
    /// Supplier code.
    pub supplier: String,
    /// Day ordered.
    pub order_date: NaiveDate,
    /// Units.
    pub qty: f64,
    /// Day received; `None` while open.
    pub received_date: Option<NaiveDate>,
    /// Day the supplier promised.
    pub expected_date: Option<NaiveDate>,
    /// 1-based row in the file, for messages.
    pub row: usize,
}

/// A known event that scales demand: a promotion, a launch, a shortage.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The SKU it concerns; `None` for every SKU (of `category`, when given).
    pub sku: Option<u32>,
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
}

impl Dataset {
    /// Reads and validates the folder.
    pub fn load(dir: &Path, what: Load) -> Result<Dataset> {
        let mut ds = Dataset { dir: dir.to_path_buf(), ..Default::default() };
        let (path, fmt) = require(dir, "sales")?;
        ds.sales = read_sales(&path, fmt, &mut ds.skus, what.sales_details)?;
        ds.rows.push((file_name(&path), ds.sales.len()));
        if what.backorders {
            if let Some((path, fmt)) = locate(dir, "backorders")? {
                let b = read_backorders(&path, fmt, &mut ds.skus)?;
                ds.rows.push((file_name(&path), b.len()));
                ds.backorders = Some(b);
            }
        }
        if let Some((path, fmt)) = locate(dir, "events")? {
            let (events, warnings) = read_events(&path, fmt, &ds.skus)?;
            ds.rows.push((file_name(&path), events.len()));
            ds.warnings.extend(warnings);
            ds.events = events;
        }
        if what.items && !what.planning {
            if let Some((path, fmt)) = locate(dir, "items")? {
                let items = read_items(&path, fmt, &mut ds.skus)?;
                ds.rows.push((file_name(&path), items.len()));
                ds.items = Some(items);
            }
        }
        if what.planning {
            let find = |name| if what.planning_required { require(dir, name).map(Some) } else { locate(dir, name) };
            if let Some((path, fmt)) = find("items")? {
                let items = read_items(&path, fmt, &mut ds.skus)?;
                ds.rows.push((file_name(&path), items.len()));
                ds.items = Some(items);
            }
            if let Some((path, fmt)) = find("inventory")? {
                let inv = read_inventory(&path, fmt, &mut ds.skus)?;
                ds.rows.push((file_name(&path), inv.len()));
                ds.inventory = Some(inv);
            }
            if let Some((path, fmt)) = locate(dir, "purchase_orders")? {
                let pos = read_purchase_orders(&path, fmt, &mut ds.skus)?;
                ds.rows.push((file_name(&path), pos.len()));
                ds.purchase_orders = Some(pos);
            }
            ds.expand_to_locations();
            if let Some((path, fmt)) = locate(dir, "item_locations")? {
                let n = ds.apply_item_locations(&path, fmt)?;
                ds.rows.push((file_name(&path), n));
            }
            ds.cross_check();
        }
        Ok(ds)
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
    fn apply_item_locations(&mut self, path: &Path, fmt: Format) -> Result<usize> {
        let t = RawTable::read(path, fmt, &["sku", "location"], &["service_level", "moq", "lead_time_days"])?;
        let mut c = Check::new(path);
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
        c.finish()?;
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

    /// First and last sales date.
    pub fn sales_span(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.sales.date.iter().min()?;
        let last = self.sales.date.iter().max()?;
        Some((*first, *last))
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
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

/// Reads the sales file.
pub fn read_sales(path: &Path, fmt: Format, skus: &mut Skus, details: bool) -> Result<Sales> {
    let optional: &[&str] = if details { &["order_id", "unit_price", "location"] } else { &["location"] };
    let mut t = RawTable::read(path, fmt, &["date", "sku", "qty"], optional)?;
    t.key_by_location();
    let mut c = Check::new(path);
    let mut s = Sales {
        sku: Vec::with_capacity(t.rows),
        date: Vec::with_capacity(t.rows),
        qty: Vec::with_capacity(t.rows),
        ..Default::default()
    };
    // Clean files (ISO dates, plain non-negative numbers, every cell filled) are parsed by
    // polars in parallel; any other file cell by cell, so each problem is named.
    let typed = t.typed_dates_and_numbers("date", "qty").filter(|_| t.cells("sku").all(|k| k.is_some()));
    match typed {
        Some((dates, qty)) => {
            s.sku = t.cells("sku").map(|k| skus.intern(k.unwrap_or_default())).collect();
            s.date = dates;
            s.qty = qty;
        }
        None => {
            for (i, ((d, k), q)) in t.cells("date").zip(t.cells("sku")).zip(t.cells("qty")).enumerate() {
                let d = c.date(i, "date", d);
                let k = c.text(i, "sku", k);
                let q = c.number(i, "qty", q);
                if let (Some(d), Some(k), Some(q)) = (d, k, q) {
                    s.sku.push(skus.intern(k));
                    s.date.push(d);
                    s.qty.push(q);
                }
            }
        }
    }
    if details && t.has("order_id") {
        s.order_id = Some(t.cells("order_id").map(|v| v.map(String::from)).collect());
    }
    if details && t.has("unit_price") {
        let v: Vec<Option<f64>> =
            t.cells("unit_price").enumerate().map(|(i, v)| c.opt_number(i, "unit_price", v)).collect();
        s.unit_price = Some(v);
    }
    c.finish()?;
    Ok(s)
}

/// Reads the backorders file.
pub fn read_backorders(path: &Path, fmt: Format, skus: &mut Skus) -> Result<Vec<Backorder>> {
    let mut t = RawTable::read(
        path,
        fmt,
        &["date", "sku", "qty", "filled_date"],
        &["order_id", "cancelled", "priority", "promised_date", "location"],
    )?;
    t.key_by_location();
    let mut c = Check::new(path);
    let mut out = Vec::with_capacity(t.rows);
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
        if let (Some(date), Some(sku), Some(qty)) = (date, sku, qty) {
            out.push(Backorder {
                sku: skus.intern(sku),
                date,
                qty,
                filled_date: filled,
                order_id: o.map(String::from),
                cancelled,
                priority,
                promised_date,
                row: i + 1,
            });
        }
    }
    c.finish()?;
    Ok(out)
}

/// Reads the events file: `start`, `end` (inclusive) and `factor`, with optional `sku`
/// (empty: every SKU), `category`, `location` and `name`. An end before the start or a factor
/// that is not a positive number is an error naming the row; an unknown SKU is a warning.
pub fn read_events(path: &Path, fmt: Format, skus: &Skus) -> Result<(Vec<Event>, Vec<String>)> {
    let t = RawTable::read(path, fmt, &["start", "end", "factor"], &["sku", "category", "location", "name"])?;
    let mut c = Check::new(path);
    let mut out = Vec::with_capacity(t.rows);
    let mut unknown: Vec<&str> = Vec::new();
    let mut located = 0;
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
        located += usize::from(loc.is_some());
        let sku = match k {
            Some(k) => match skus.get(k) {
                Some(s) => Some(s),
                None => {
                    unknown.push(k);
                    continue;
                }
            },
            None => None,
        };
        if let (Some(start), Some(end), Some(factor)) = (start, end, factor.filter(|f| *f > 0.0)) {
            if end >= start {
                out.push(Event {
                    sku,
                    category: cat.map(String::from),
                    start,
                    end,
                    factor,
                    name: name.map_or_else(|| format!("event on row {}", i + 1), String::from),
                });
            }
        }
    }
    c.finish()?;
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
    if located > 0 {
        warnings.push(format!(
            "{located} event row(s) name a location: locations are not planned yet, so they apply to every location"
        ));
    }
    Ok((out, warnings))
}

/// Reads an outcomes file (`sku`, `backordered`, optional `first_backorder_date`): which
/// items went on backorder after the as-of date, to score the stockout risk against.
pub fn read_outcomes(path: &Path, fmt: Format) -> Result<Vec<(String, bool, Option<NaiveDate>)>> {
    let mut t = RawTable::read(path, fmt, &["sku", "backordered"], &["first_backorder_date", "location"])?;
    t.key_by_location();
    let mut c = Check::new(path);
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
    c.finish()?;
    Ok(out)
}

/// Reads the items file.
pub fn read_items(path: &Path, fmt: Format, skus: &mut Skus) -> Result<HashMap<u32, Item>> {
    let t = RawTable::read(
        path,
        fmt,
        &["sku", "supplier", "unit_cost", "lead_time_days", "moq", "order_multiple"],
        &["service_level", "order_cost", "holding_rate", "description", "category", "like_sku", "like_factor"],
    )?;
    let mut c = Check::new(path);
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
        let (Some(sku), Some(supplier), Some(unit_cost), Some(lead)) = (sku, supplier, unit_cost, lead) else {
            continue;
        };
        let idx = skus.intern(sku);
        if let Some(first) = first_row.insert(idx, i + 1) {
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
    }
    c.finish()?;
    Ok(out)
}

/// Reads `ground_truth.csv` (or `.parquet`) of a folder written by `replen generate`: the true
/// demand and lead-time process of each SKU, for checking plans against it.
pub fn read_ground_truth(dir: &Path) -> Result<HashMap<String, crate::truth::TrueSku>> {
    let (path, fmt) = require(dir, "ground_truth")?;
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
    let t = RawTable::read(&path, fmt, &required, &[])?;
    let mut c = Check::new(&path);
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
    c.finish()?;
    Ok(out)
}

/// Reads the inventory file.
pub fn read_inventory(path: &Path, fmt: Format, skus: &mut Skus) -> Result<HashMap<u32, f64>> {
    let mut t = RawTable::read(path, fmt, &["sku", "on_hand"], &["location"])?;
    t.key_by_location();
    let mut c = Check::new(path);
    let mut out = HashMap::with_capacity(t.rows);
    let mut first_row: HashMap<u32, usize> = HashMap::new();
    for (i, (k, q)) in t.cells("sku").zip(t.cells("on_hand")).enumerate() {
        let sku = c.text(i, "sku", k);
        let q = c.number(i, "on_hand", q);
        let (Some(sku), Some(q)) = (sku, q) else { continue };
        let idx = skus.intern(sku);
        if let Some(first) = first_row.insert(idx, i + 1) {
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
    c.finish()?;
    Ok(out)
}

/// Reads the purchase orders file.
pub fn read_purchase_orders(path: &Path, fmt: Format, skus: &mut Skus) -> Result<Vec<PurchaseOrder>> {
    let mut t = RawTable::read(
        path,
        fmt,
        &["po_id", "sku", "supplier", "order_date", "qty", "received_date"],
        &["expected_date", "location"],
    )?;
    t.key_by_location();
    let mut c = Check::new(path);
    let cols: Vec<Vec<Option<&str>>> =
        ["po_id", "sku", "supplier", "order_date", "qty", "received_date", "expected_date"]
            .iter()
            .map(|n| t.cells(n).collect())
            .collect();
    let cell = |c: usize, i: usize| cols[c][i];
    let mut out = Vec::with_capacity(t.rows);
    for i in 0..t.rows {
        let po = c.text(i, "po_id", cell(0, i));
        let sku = c.text(i, "sku", cell(1, i));
        let supplier = c.text(i, "supplier", cell(2, i));
        let od = c.date(i, "order_date", cell(3, i));
        let qty = c.number(i, "qty", cell(4, i));
        let rd = c.opt_date(i, "received_date", cell(5, i));
        let ed = c.opt_date(i, "expected_date", cell(6, i));
        if let (Some(po), Some(sku), Some(supplier), Some(od), Some(qty)) = (po, sku, supplier, od, qty) {
            out.push(PurchaseOrder {
                po_id: po.to_string(),
                sku: skus.intern(sku),
                supplier: supplier.to_string(),
                order_date: od,
                qty,
                received_date: rd,
                expected_date: ed,
                row: i + 1,
            });
        }
    }
    c.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_columns_are_cast_by_polars_and_anything_else_is_left_to_the_cell_check() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            let p = dir.path().join("t.csv");
            std::fs::write(&p, text).unwrap();
            let t = RawTable::read(&p, Format::Csv, &["date", "qty"], &[]).unwrap();
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
