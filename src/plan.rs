//! The plan: for every item, demand over the protection interval, safety stock, reorder point,
//! order-up-to level, inventory position and, when the position is at or below the reorder
//! point, an order quantity rounded to MOQ and order multiple, with the reason in words.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::config::Settings;
use crate::forecast::Forecasts;
use crate::ingest::{Backorder, Dataset};
use crate::leadtime::{lead_times, on_order, LeadTime};
use crate::period::add_days;
use crate::policy::{round_order, safety_stock, z_for_service};

/// One planned SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// SKU code.
    pub sku: String,
    /// Supplier code.
    pub supplier: String,
    /// Demand class of the forecast.
    pub class: &'static str,
    /// Forecast model used.
    pub model: String,
    /// Units in stock.
    pub on_hand: f64,
    /// Units ordered from suppliers and not yet received.
    pub on_order: f64,
    /// Customer units still waiting.
    pub open_backorders: f64,
    /// on_hand + on_order - open_backorders.
    pub inventory_position: f64,
    /// Mean forecast demand per period over the protection interval.
    pub demand_per_period: f64,
    /// Standard deviation of demand per period.
    pub demand_sd_per_period: f64,
    /// Lead time used, in days.
    pub lead_time_days: f64,
    /// Standard deviation of the lead time, in days.
    pub lead_time_sd_days: f64,
    /// `history` or `planned`.
    pub lead_time_source: &'static str,
    /// Receipts the lead time was measured on.
    pub receipts: usize,
    /// Expected demand over the lead time.
    pub lead_time_demand: f64,
    /// Cycle service level targeted.
    pub service_level: f64,
    /// Safety factor.
    pub z: f64,
    /// Safety stock in units.
    pub safety_stock: f64,
    /// Reorder point in units.
    pub reorder_point: f64,
    /// Order-up-to level in units.
    pub order_up_to: f64,
    /// Suggested order quantity (0 when no order is needed).
    pub order_qty: f64,
    /// Cost per unit.
    pub unit_cost: f64,
    /// order_qty x unit_cost.
    pub order_value: f64,
    /// Day the order should be placed.
    pub order_date: NaiveDate,
    /// Day the order should arrive.
    pub expected_arrival: NaiveDate,
    /// Why the line is (or is not) ordered.
    pub reason: String,
}

/// Units of open backorders per SKU at `as_of`.
pub fn open_backorders(backorders: &[Backorder], as_of: NaiveDate) -> HashMap<u32, f64> {
    let mut out: HashMap<u32, f64> = HashMap::new();
    for b in backorders {
        if b.date < as_of && !b.cancelled && b.filled_date.is_none_or(|f| f >= as_of) {
            *out.entry(b.sku).or_default() += b.qty;
        }
    }
    out
}

/// Result of planning a dataset.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One row per item, in SKU code order.
    pub rows: Vec<PlanRow>,
    /// Findings for stderr.
    pub warnings: Vec<String>,
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Plans every item of `ds` from its forecast (`forecasts` indexed by SKU index).
pub fn plan(ds: &Dataset, forecasts: &Forecasts, settings: &Settings, as_of: NaiveDate) -> Plan {
    let empty = HashMap::new();
    let items = ds.items.as_ref().unwrap_or(&empty);
    let pos = ds.purchase_orders.as_deref().unwrap_or(&[]);
    let (lts, mut warnings) = lead_times(items, pos, as_of);
    let onord = on_order(pos, as_of);
    let backs = open_backorders(ds.backorders.as_deref().unwrap_or(&[]), as_of);
    let inv = ds.inventory.clone().unwrap_or_default();
    let pdays = settings.period.days();
    let r = settings.review_periods;
    let mut rows = Vec::with_capacity(items.len());
    let mut no_history = 0usize;
    for (&sku, item) in items {
        let f = &forecasts.skus[sku as usize];
        if f.model == "none" {
            no_history += 1;
        }
        let lt: &LeadTime = &lts[&sku];
        let l = lt.mean / pdays;
        let sd_l = lt.sd / pdays;
        let p = l + r;
        let over = forecasts.over(sku as usize, 0, p);
        let d = if p > 0.0 { over.mean / p } else { f.mean[0] };
        let sd_d = if p > 0.0 { (over.var / p).sqrt() } else { f.var.sqrt() };
        let service = item.service_level.unwrap_or(settings.service_level);
        let z = z_for_service(service);
        let ss = safety_stock(z, p, d, sd_d, sd_l);
        let rop = d * p + ss;
        let cycle = d * r;
        let order_up_to = rop + cycle;
        let on_hand = inv.get(&sku).copied().unwrap_or(0.0);
        let on_order = onord.get(&sku).copied().unwrap_or(0.0);
        let backorders = backs.get(&sku).copied().unwrap_or(0.0);
        let position = on_hand + on_order - backorders;
        let raw = if position <= rop { order_up_to - position } else { 0.0 };
        let qty = round_order(raw, item.moq, item.order_multiple);
        let reason = if qty > 0.0 {
            let mut s = format!(
                "inventory position {} is at or below reorder point {} ({:.0}% service over {:.1} days lead time + {} review); order up to {}",
                fmt(position),
                fmt(rop),
                service * 100.0,
                lt.mean,
                fmt(r),
                fmt(order_up_to)
            );
            if backorders > 0.0 {
                s.push_str(&format!(", {} units of open backorders served first", fmt(backorders)));
            }
            if item.moq > raw {
                s.push_str(&format!(", raised to MOQ {}", fmt(item.moq)));
            }
            if item.order_multiple > 1.0 && qty > raw.max(item.moq) + 1e-9 {
                s.push_str(&format!(", rounded up to a multiple of {}", fmt(item.order_multiple)));
            }
            s
        } else if position <= rop {
            "no demand forecast: nothing to order".to_string()
        } else {
            format!("inventory position {} is above reorder point {}", fmt(position), fmt(rop))
        };
        rows.push(PlanRow {
            sku: ds.skus.name(sku).to_string(),
            supplier: item.supplier.clone(),
            class: f.class.name(),
            model: f.model.clone(),
            on_hand,
            on_order,
            open_backorders: backorders,
            inventory_position: r3(position),
            demand_per_period: r3(d),
            demand_sd_per_period: r3(sd_d),
            lead_time_days: r3(lt.mean),
            lead_time_sd_days: r3(lt.sd),
            lead_time_source: lt.source,
            receipts: lt.receipts,
            lead_time_demand: r3(d * l),
            service_level: service,
            z: r3(z),
            safety_stock: r3(ss),
            reorder_point: r3(rop),
            order_up_to: r3(order_up_to),
            order_qty: r3(qty),
            unit_cost: item.unit_cost,
            order_value: (qty * item.unit_cost * 100.0).round() / 100.0,
            order_date: as_of,
            expected_arrival: add_days(as_of, lt.mean.round() as i64),
            reason,
        });
    }
    rows.sort_by(|a, b| a.sku.cmp(&b.sku));
    if no_history > 0 {
        warnings.push(format!("{no_history} item(s) have no sales before the as-of date: demand taken as 0"));
    }
    Plan { rows, warnings }
}

/// A number for a sentence: whole numbers without decimals, others with up to two.
fn fmt(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}
