//! replen: demand forecasting and reorder-point planning from a company's own sales, backorder,
//! item, inventory and purchase-order history.
//!
//! The modules follow the data's path: [`ingest`] reads and validates the input folder,
//! [`series`] buckets demand per SKU and period, [`forecast`] predicts it, [`leadtime`]
//! measures supplier lead times, [`ltd`] turns both into lead-time demand, [`policy`] holds the
//! inventory formulas, [`engine`] the replenishment rules (levels, orders, the stock-flow loop)
//! that [`plan`], [`calc`], [`simulate`] and [`truth`] all use, and [`output`] writes tables.
//! [`app`] strings the stages into the commands; [`generate`] makes synthetic data in the same
//! contract, and [`truth`] checks plans against its true process.
#![warn(missing_docs)]

pub mod alerts;
pub mod allocate;
pub mod app;
pub mod backorder;
pub mod calc;
pub mod chart;
pub mod config;
pub mod engine;
pub mod error;
pub mod events;
pub mod forecast;
pub mod generate;
pub mod ingest;
pub mod kpi;
pub mod leadtime;
pub mod ltd;
pub mod output;
pub mod period;
pub mod plan;
pub mod policy;
pub mod portfolio;
pub mod report;
pub mod risk;
pub mod series;
pub mod simulate;
pub mod source;
pub mod truth;
pub mod whatif;

pub use error::{Error, Result};
