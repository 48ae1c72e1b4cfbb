//! `replen calc`: the single-item arithmetic a planner checks by hand (safety factor, safety
//! stock, reorder point, order-up-to level, expected shortage, implied service, EOQ), on the
//! normal approximation of lead-time demand, through the same replenishment engine as `plan`.

use serde::Serialize;

use crate::engine::{self, Constraints, Ltd, NormalLtd, Rule};
use crate::error::{Error, Result};
use crate::policy::eoq;

pub use crate::engine::Target;

/// Inputs, per period (any period, as long as all agree).
#[derive(Debug, Clone, PartialEq)]
pub struct CalcInput {
    /// Mean demand per period.
    pub demand_mean: f64,
    /// Standard deviation of demand per period.
    pub demand_sd: f64,
    /// Lead time in periods.
    pub lead_time: f64,
    /// Standard deviation of the lead time in periods.
    pub lead_time_sd: f64,
    /// Review period in periods.
    pub review: Option<f64>,
    /// Target.
    pub target: Target,
    /// Order quantity per cycle.
    pub order_qty: Option<f64>,
    /// Cost per order.
    pub order_cost: Option<f64>,
    /// Yearly holding cost per unit.
    pub holding_cost: Option<f64>,
    /// Yearly demand.
    pub annual_demand: Option<f64>,
}

/// Results; `None` where not computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalcResult {
    /// Safety factor (z for cycle service, k for fill rate).
    pub z: f64,
    /// Safety stock.
    pub safety_stock: f64,
    /// Reorder point over the lead time.
    pub reorder_point: f64,
    /// Order-up-to level over lead time plus review period.
    pub order_up_to: Option<f64>,
    /// Expected units short per cycle (over the protection interval).
    pub expected_shortage: f64,
    /// Fill rate implied (needs an order quantity).
    pub fill_rate: Option<f64>,
    /// Cycle service level implied.
    pub cycle_service_level: f64,
    /// Economic order quantity.
    pub eoq: Option<f64>,
}

impl CalcResult {
    /// The results as lines of text.
    pub fn describe(&self) -> String {
        let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
        let lines = [
            format!("safety factor        {:.4}", self.z),
            format!("safety stock         {:.4}", self.safety_stock),
            format!("reorder point        {:.4}", self.reorder_point),
            format!("order-up-to level    {}", opt(self.order_up_to)),
            format!("expected shortage    {:.4} per cycle", self.expected_shortage),
            format!("fill rate            {}", opt(self.fill_rate)),
            format!("cycle service level  {:.4}", self.cycle_service_level),
            format!("EOQ                  {}", opt(self.eoq)),
        ];
        lines.join("\n") + "\n"
    }
}

fn check(name: &str, v: f64, ok: bool, expected: &str) -> Result<()> {
    if ok && v.is_finite() {
        Ok(())
    } else {
        Err(Error::Setting { name: name.into(), value: v.to_string(), expected: expected.into() })
    }
}

/// Computes every figure with the engine: with a review period R, the periodic rule protects
/// L + R (`S = d (L + R) + z sd(L + R)`, and s = S unless the order quantity exceeds a review
/// period's demand); without one, the continuous (s, nQ) rule protects L (`s = d L + z sd(L)`).
pub fn compute(i: &CalcInput) -> Result<CalcResult> {
    check("--demand-mean", i.demand_mean, i.demand_mean >= 0.0, "0 or more")?;
    check("--demand-sd", i.demand_sd, i.demand_sd >= 0.0, "0 or more")?;
    check("--lead-time", i.lead_time, i.lead_time >= 0.0, "0 or more periods")?;
    check("--lead-time-sd", i.lead_time_sd, i.lead_time_sd >= 0.0, "0 or more periods")?;
    if let Some(r) = i.review {
        check("--review", r, r >= 0.0, "0 or more periods")?;
    }
    if let Some(q) = i.order_qty {
        check("--order-qty", q, q > 0.0, "more than 0")?;
    }
    match i.target {
        Target::Cycle(c) | Target::Cover(c) => {
            check("--service", c, c > 0.0 && c < 1.0, "a share between 0 and 1, such as 0.95")?
        }
        Target::FillRate(b) => {
            check("--fill-rate", b, b > 0.0 && b < 1.0, "a share between 0 and 1, such as 0.98")?;
            if i.review.is_none() && i.order_qty.is_none() {
                return Err(Error::Setting {
                    name: "--order-qty".into(),
                    value: String::new(),
                    expected: "an order quantity, needed for a fill-rate target without a review period".into(),
                });
            }
        }
    }
    let eoq = match (i.order_cost, i.holding_cost, i.annual_demand) {
        (Some(k), Some(h), Some(a)) if k > 0.0 && h > 0.0 && a > 0.0 => Some(eoq(a, k, h)),
        _ => None,
    };
    let (rule, r) = match i.review {
        Some(r) => (Rule::Periodic { review: r }, r),
        None => (Rule::Continuous, 0.0),
    };
    let ltd = Ltd::Normal(NormalLtd::from_rates(i.demand_mean, i.demand_sd, i.lead_time, i.lead_time_sd, r, 1.0));
    let c = Constraints { moq: 0.0, multiple: 0.0, eoq: i.order_qty };
    let lv = engine::levels(&ltd, rule, &c, i.target);
    Ok(CalcResult {
        z: lv.factor,
        safety_stock: lv.safety_stock,
        reorder_point: lv.reorder_point,
        order_up_to: i.review.map(|_| lv.order_up_to),
        expected_shortage: lv.shortage,
        fill_rate: (i.order_qty.is_some() || i.review.is_some()).then_some(lv.fill_rate),
        cycle_service_level: lv.cycle_service,
        eoq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(target: Target) -> CalcInput {
        CalcInput {
            demand_mean: 50.0,
            demand_sd: 5.0,
            lead_time: 6.0,
            lead_time_sd: 2.0,
            review: None,
            target,
            order_qty: None,
            order_cost: None,
            holding_cost: None,
            annual_demand: None,
        }
    }

    #[test]
    fn combined_variability_case() {
        // Oracle combined_variability_rop: SS 129.112742647, ROP 429.112742647.
        let r = compute(&input(Target::Cycle(0.9))).unwrap();
        assert!((r.safety_stock - 129.112_742_647).abs() < 1e-6);
        assert!((r.reorder_point - 429.112_742_647).abs() < 1e-6);
        assert!((r.cycle_service_level - 0.9).abs() < 1e-9);
        assert_eq!(r.eoq, None);
    }

    #[test]
    fn periodic_review_case() {
        // Oracle periodic_review_rs: d 20, sd 5, R 7, L 3, 95% -> S 226.0074, SS 26.0074.
        let mut i = input(Target::Cycle(0.95));
        i.demand_mean = 20.0;
        i.lead_time = 3.0;
        i.lead_time_sd = 0.0;
        i.review = Some(7.0);
        let r = compute(&i).unwrap();
        assert!((r.order_up_to.unwrap() - 226.0074).abs() < 1e-4);
        assert!((r.safety_stock - 26.0074).abs() < 1e-4);
    }

    #[test]
    fn fill_rate_target_round_trips() {
        let mut i = input(Target::FillRate(0.98));
        i.order_qty = Some(300.0);
        i.order_cost = Some(8.0);
        i.holding_cost = Some(0.225);
        i.annual_demand = Some(1300.0);
        let r = compute(&i).unwrap();
        assert!((r.fill_rate.unwrap() - 0.98).abs() < 1e-6);
        assert!((r.eoq.unwrap() - 304.046_780_026_436_8).abs() < 1e-6);
    }

    #[test]
    fn bad_inputs_are_named() {
        let e = compute(&input(Target::Cycle(1.5))).unwrap_err().to_string();
        assert!(e.contains("--service"), "{e}");
        let e = compute(&input(Target::FillRate(0.9))).unwrap_err().to_string();
        assert!(e.contains("--order-qty"), "{e}");
    }
}
