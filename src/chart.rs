//! Charts, drawn with plotters as SVG (for the HTML report) and PNG (to share), with an
//! embedded DejaVu Sans font so nothing depends on the fonts of the machine.

use std::path::{Path, PathBuf};
use std::sync::Once;

use chrono::NaiveDate;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

static FONT: Once = Once::new();

/// Registers the embedded font once; plotters' ab_glyph renderer needs it for any text.
fn register() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        // `InvalidFont` implements neither Debug nor Display: a failure shows up as the first
        // chart's text error instead.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).map_err(|_| ());
    });
}

fn chart_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws `$f(&root, $data)` into `$dir/$stem.svg` and `.png`; evaluates to the SVG path.
macro_rules! render {
    ($dir:expr, $stem:expr, $size:expr, $f:ident, $data:expr) => {{
        register();
        let svg = $dir.join(format!("{}.svg", $stem));
        let png = $dir.join(format!("{}.png", $stem));
        {
            let root = SVGBackend::new(&svg, $size).into_drawing_area();
            $f(&root, $data).map_err(|e| chart_err(&svg, e))?;
            root.present().map_err(|e| chart_err(&svg, e))?;
        }
        {
            let root = BitMapBackend::new(&png, $size).into_drawing_area();
            $f(&root, $data).map_err(|e| chart_err(&png, e))?;
            root.present().map_err(|e| chart_err(&png, e))?;
        }
        Ok::<PathBuf, Error>(svg)
    }};
}

/// A chart with number axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// White background, title, margins and label areas shared by every chart.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    y_area: u32,
) -> std::result::Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y)
}

/// The legend box, in one style everywhere.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>, at: SeriesLabelPosition) -> Drawn<DB> {
    chart.configure_series_labels().position(at).background_style(WHITE.mix(0.85)).border_style(BLACK).draw()
}

const SIZE: (u32, u32) = (900, 420);
const BAND80: RGBColor = RGBColor(120, 160, 220);
const BAND90: RGBColor = RGBColor(190, 210, 240);
const HIST: RGBColor = RGBColor(60, 60, 60);
const MEAN: RGBColor = RGBColor(20, 80, 180);
const ALERT: RGBColor = RGBColor(200, 40, 40);
const EVENT: RGBColor = RGBColor(240, 170, 40);
const GOOD: RGBColor = RGBColor(40, 140, 70);

fn nice_max(v: impl Iterator<Item = f64>) -> f64 {
    let m = v.filter(|x| x.is_finite()).fold(0.0f64, f64::max);
    if m <= 0.0 {
        1.0
    } else {
        m * 1.12
    }
}

fn date_label(dates: &[NaiveDate], x: f64) -> String {
    let i = x.round();
    if i < 0.0 || i as usize >= dates.len() || (x - i).abs() > 1e-6 {
        return String::new();
    }
    dates[i as usize].format("%Y-%m-%d").to_string()
}

/// Data of a SKU's forecast chart.
#[derive(Debug, Clone)]
pub struct ForecastChart {
    /// Title.
    pub title: String,
    /// Unit label for the y axis.
    pub y_label: String,
    /// Start dates: history then future periods.
    pub dates: Vec<NaiveDate>,
    /// Demand per history period.
    pub history: Vec<f64>,
    /// Forecast mean per future period.
    pub mean: Vec<f64>,
    /// Bands per future period: (p05, p10, p90, p95).
    pub bands: Vec<(f64, f64, f64, f64)>,
    /// History periods (indices) with backorders.
    pub backorders: Vec<usize>,
    /// Periods (indices into `dates`) with a known event in force.
    pub events: Vec<usize>,
}

fn draw_forecast<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &ForecastChart) -> Drawn<DB> {
    let n = c.history.len();
    let total = n + c.mean.len();
    let ymax = nice_max(c.history.iter().copied().chain(c.bands.iter().map(|b| b.3)));
    let mut chart = frame(root, &c.title, 0f64..(total.max(2) - 1) as f64, 0f64..ymax, 60)?;
    let fmt = |x: &f64| date_label(&c.dates, *x);
    chart
        .configure_mesh()
        .x_labels(7)
        .x_label_formatter(&fmt)
        .x_desc("period start")
        .y_desc(c.y_label.as_str())
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Periods of known events, shaded behind everything else.
    if !c.events.is_empty() {
        let shade = EVENT.mix(0.3).filled();
        chart
            .draw_series(
                c.events.iter().map(|&i| Rectangle::new([(i as f64 - 0.5, 0.0), (i as f64 + 0.5, ymax)], shade)),
            )?
            .label("event (events.csv)")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], shade));
    }
    // A band is a polygon: upper edge forward, lower edge back.
    let band = |lo: usize, hi: usize| {
        let pick = |b: &(f64, f64, f64, f64), k: usize| [b.0, b.1, b.2, b.3][k];
        let mut pts: Vec<(f64, f64)> = c.bands.iter().enumerate().map(|(k, b)| ((n + k) as f64, pick(b, hi))).collect();
        pts.extend(c.bands.iter().enumerate().rev().map(|(k, b)| ((n + k) as f64, pick(b, lo))));
        pts
    };
    if !c.bands.is_empty() {
        chart
            .draw_series(std::iter::once(Polygon::new(band(0, 3), BAND90.filled())))?
            .label("90% band (p05-p95)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND90.filled()));
        chart
            .draw_series(std::iter::once(Polygon::new(band(1, 2), BAND80.filled())))?
            .label("80% band (p10-p90)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND80.filled()));
    }
    chart
        .draw_series(LineSeries::new(c.history.iter().enumerate().map(|(i, v)| (i as f64, *v)), HIST.stroke_width(1)))?
        .label("demand (history)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], HIST));
    if !c.mean.is_empty() {
        let mut pts = Vec::with_capacity(c.mean.len() + 1);
        if n > 0 {
            pts.push(((n - 1) as f64, c.history[n - 1]));
        }
        pts.extend(c.mean.iter().enumerate().map(|(k, v)| ((n + k) as f64, *v)));
        chart
            .draw_series(LineSeries::new(pts, MEAN.stroke_width(2)))?
            .label("forecast mean")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], MEAN.stroke_width(2)));
    }
    if !c.backorders.is_empty() {
        chart
            .draw_series(
                c.backorders.iter().map(|&i| TriangleMarker::new((i as f64, c.history[i]), 5, ALERT.filled())),
            )?
            .label("period with backorders")
            .legend(|(x, y)| TriangleMarker::new((x + 9, y), 5, ALERT.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// Writes a SKU's forecast chart.
pub fn forecast(dir: &Path, stem: &str, c: &ForecastChart) -> Result<PathBuf> {
    render!(dir, stem, SIZE, draw_forecast, c)
}

/// Data of a SKU's projected-inventory chart.
#[derive(Debug, Clone)]
pub struct ProjectionChart {
    /// Title.
    pub title: String,
    /// Future period starts.
    pub dates: Vec<NaiveDate>,
    /// (stock after receipts at the start, stock at the end) per period.
    pub stock: Vec<(f64, f64)>,
    /// Safety stock per period.
    pub safety_stock: Vec<f64>,
    /// Reorder point per period.
    pub reorder_point: Vec<f64>,
    /// Receipts per period.
    pub receipts: Vec<f64>,
    /// Legend of the stock line.
    pub stock_label: String,
}

fn draw_projection<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &ProjectionChart) -> Drawn<DB> {
    let n = c.dates.len();
    let ymax = nice_max(c.stock.iter().map(|s| s.0).chain(c.reorder_point.iter().copied()));
    let ymin = c.stock.iter().map(|s| s.1).fold(0.0f64, f64::min) * 1.1;
    let mut dates = c.dates.clone();
    if let (Some(a), Some(b)) = (c.dates.first(), c.dates.get(1)) {
        dates.push(*c.dates.last().unwrap_or(a) + (*b - *a));
    }
    let mut chart = frame(root, &c.title, 0f64..n.max(1) as f64, ymin..ymax, 60)?;
    let fmt = |x: &f64| date_label(&dates, *x);
    chart
        .configure_mesh()
        .x_labels(7)
        .x_label_formatter(&fmt)
        .x_desc("period start")
        .y_desc("units")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let step = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().flat_map(|(i, y)| [(i as f64, *y), ((i + 1) as f64, *y)]).collect()
    };
    chart
        .draw_series(LineSeries::new(step(&c.reorder_point), ALERT.stroke_width(2)))?
        .label("reorder point")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], ALERT.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(step(&c.safety_stock), GOOD.stroke_width(2)))?
        .label("safety stock")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GOOD.stroke_width(2)));
    let saw: Vec<(f64, f64)> =
        c.stock.iter().enumerate().flat_map(|(i, s)| [(i as f64, s.0), ((i + 1) as f64, s.1)]).collect();
    chart
        .draw_series(LineSeries::new(saw, MEAN.stroke_width(2)))?
        .label(c.stock_label.as_str())
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], MEAN.stroke_width(2)));
    chart
        .draw_series(
            c.receipts
                .iter()
                .enumerate()
                .filter(|(_, r)| **r > 0.0)
                .map(|(i, _)| Circle::new((i as f64, c.stock[i].0), 5, BLACK.filled())),
        )?
        .label("receipt")
        .legend(|(x, y)| Circle::new((x + 9, y), 5, BLACK.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// Writes a SKU's projected-inventory chart.
pub fn projection(dir: &Path, stem: &str, c: &ProjectionChart) -> Result<PathBuf> {
    render!(dir, stem, SIZE, draw_projection, c)
}

/// Data of a bar chart over labelled categories, with an optional line on a 0-100% axis.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Category labels.
    pub labels: Vec<String>,
    /// Bar heights.
    pub values: Vec<f64>,
    /// Legend text of the bars.
    pub bar_name: String,
    /// Cumulative share line in percent (Pareto), same length as `values`.
    pub cumulative: Option<Vec<f64>>,
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &BarChart) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let n = c.values.len().max(1);
    let ymax = nice_max(c.values.iter().copied());
    // Ticks fall on whole numbers: a tick at i labels the bar that starts there.
    let labels = c.labels.clone();
    let fmt = move |x: &f64| -> String {
        let i = x.round();
        if i < 0.0 || i as usize >= labels.len() || (x - i).abs() > 1e-6 {
            return String::new();
        }
        labels[i as usize].clone()
    };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .right_y_label_area_size(if c.cumulative.is_some() { 50 } else { 0 })
        .build_cartesian_2d(0f64..n as f64, 0f64..ymax)?
        .set_secondary_coord(0f64..n as f64, 0f64..100.0);
    let xs: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&fmt)
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart
        .draw_series(
            c.values
                .iter()
                .enumerate()
                .map(|(i, v)| Rectangle::new([(i as f64 + 0.1, 0.0), (i as f64 + 0.9, *v)], BAND80.filled())),
        )?
        .label(c.bar_name.as_str())
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND80.filled()));
    if let Some(cum) = &c.cumulative {
        chart.configure_secondary_axes().y_desc("cumulative share, %").draw()?;
        chart
            .draw_secondary_series(LineSeries::new(xs.iter().copied().zip(cum.iter().copied()), ALERT.stroke_width(2)))?
            .label("cumulative share")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], ALERT.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Writes a bar chart.
pub fn bars(dir: &Path, stem: &str, c: &BarChart) -> Result<PathBuf> {
    render!(dir, stem, SIZE, draw_bars, c)
}

/// Data of a range chart: one row per label with p10, median and p90 and a planned mark.
#[derive(Debug, Clone)]
pub struct RangeChart {
    /// Title.
    pub title: String,
    /// Value axis label.
    pub x_label: String,
    /// Rows: (label, p10, p50, p90, planned).
    pub rows: Vec<(String, f64, f64, f64, Option<f64>)>,
}

fn draw_ranges<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &RangeChart) -> Drawn<DB> {
    let n = c.rows.len().max(1);
    let xmax = nice_max(c.rows.iter().flat_map(|r| [r.3, r.4.unwrap_or(0.0)]));
    let labels: Vec<String> = c.rows.iter().map(|r| r.0.clone()).collect();
    let fmt = move |y: &f64| -> String {
        let i = y.floor();
        if i < 0.0 || i as usize >= labels.len() || (y - i - 0.5).abs() > 1e-6 {
            return String::new();
        }
        labels[i as usize].clone()
    };
    let mut chart = frame(root, &c.title, 0f64..xmax, 0f64..n as f64, 80)?;
    chart
        .configure_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&fmt)
        .x_desc(c.x_label.as_str())
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart
        .draw_series(
            c.rows
                .iter()
                .enumerate()
                .map(|(i, r)| Rectangle::new([(r.1, i as f64 + 0.3), (r.3, i as f64 + 0.7)], BAND80.filled())),
        )?
        .label("p10 to p90 of receipts")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND80.filled()));
    chart
        .draw_series(c.rows.iter().enumerate().map(|(i, r)| Circle::new((r.2, i as f64 + 0.5), 4, MEAN.filled())))?
        .label("median")
        .legend(|(x, y)| Circle::new((x + 9, y), 4, MEAN.filled()));
    chart
        .draw_series(c.rows.iter().enumerate().filter_map(|(i, r)| {
            r.4.map(|p| PathElement::new(vec![(p, i as f64 + 0.15), (p, i as f64 + 0.85)], ALERT.stroke_width(3)))
        }))?
        .label("planned lead time")
        .legend(|(x, y)| PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], ALERT.stroke_width(3)));
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// Writes a range chart.
pub fn ranges(dir: &Path, stem: &str, c: &RangeChart) -> Result<PathBuf> {
    let h = (120 + 36 * c.rows.len() as u32).clamp(300, 900);
    render!(dir, stem, (900, h), draw_ranges, c)
}

/// Data of an x-y curve with marked, labelled points.
#[derive(Debug, Clone)]
pub struct CurveChart {
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The curve.
    pub points: Vec<(f64, f64)>,
    /// Legend text of the curve.
    pub curve_name: String,
    /// Marked points with labels.
    pub marks: Vec<(String, f64, f64)>,
}

fn draw_curve<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &CurveChart) -> Drawn<DB> {
    let all = c.points.iter().map(|p| (p.0, p.1)).chain(c.marks.iter().map(|m| (m.1, m.2)));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let (dx, dy) = ((x1 - x0).max(1e-9) * 0.08, (y1 - y0).max(1e-9) * 0.12);
    let mut chart = frame(root, &c.title, (x0 - dx)..(x1 + dx), (y0 - dy).max(0.0)..(y1 + dy), 80)?;
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart
        .draw_series(LineSeries::new(c.points.iter().copied(), MEAN.stroke_width(2)))?
        .label(c.curve_name.as_str())
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], MEAN.stroke_width(2)));
    chart.draw_series(c.points.iter().map(|p| Circle::new(*p, 3, MEAN.filled())))?;
    if !c.marks.is_empty() {
        chart
            .draw_series(c.marks.iter().map(|m| {
                EmptyElement::at((m.1, m.2))
                    + Circle::new((0, 0), 6, ALERT.filled())
                    + Text::new(m.0.clone(), (8, -14), ("sans-serif", 14))
            }))?
            .label("scenario")
            .legend(|(x, y)| Circle::new((x + 9, y), 6, ALERT.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// Writes a curve chart.
pub fn curve(dir: &Path, stem: &str, c: &CurveChart) -> Result<PathBuf> {
    render!(dir, stem, SIZE, draw_curve, c)
}
