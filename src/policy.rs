//! Inventory maths: safety factors, loss functions, safety stock, reorder points, EOQ and
//! order rounding. Plain functions of numbers, each checked against textbook values
//! (`../shared/oracle/inventory_cases.json`: Snyder & Shen, stockpyl, closed forms).

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal")
}

/// Standard normal density.
pub fn phi(z: f64) -> f64 {
    std_normal().pdf(z)
}

/// Standard normal distribution function.
pub fn big_phi(z: f64) -> f64 {
    std_normal().cdf(z)
}

/// Safety factor z with P(Z <= z) = `service` for a standard normal Z.
pub fn z_for_service(service: f64) -> f64 {
    std_normal().inverse_cdf(service)
}

/// Standard normal loss L(z) = phi(z) - z (1 - Phi(z)): expected shortfall per unit sd.
pub fn std_normal_loss(z: f64) -> f64 {
    phi(z) - z * (1.0 - big_phi(z))
}

/// Normal loss E[(X - x)+] for X ~ N(mu, sd).
pub fn normal_loss(x: f64, mu: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return (mu - x).max(0.0);
    }
    sd * std_normal_loss((x - mu) / sd)
}

/// Poisson loss E[(X - x)+] for X ~ Poisson(mean) and whole `x >= 0`:
/// `mean - x + sum_{k<=x} (x - k) P(X = k)`.
pub fn poisson_loss(x: f64, mean: f64) -> f64 {
    let x = x.floor().max(0.0);
    let mut pmf = (-mean).exp();
    let mut acc = 0.0;
    let mut k = 0.0;
    // Start the walk in log space for large means, where exp(-mean) underflows.
    if pmf == 0.0 {
        let mut log_pmf = -mean;
        while k < x {
            k += 1.0;
            log_pmf += mean.ln() - k.ln();
            let p = log_pmf.exp();
            acc += (x - k) * p;
        }
        return mean - x + acc;
    }
    while k <= x {
        acc += (x - k) * pmf;
        k += 1.0;
        pmf *= mean / k;
    }
    mean - x + acc
}

/// The safety factor k with `sd * L(k) = esc`: the expected shortage per cycle a fill-rate
/// target allows. Solved by bisection on [-4, 8] (L is decreasing).
pub fn k_for_shortage(esc: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return 0.0;
    }
    let target = esc / sd;
    let (mut lo, mut hi) = (-4.0f64, 8.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if std_normal_loss(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Safety factor for a fill rate `beta` with order quantity `q` and lead-time demand sd `sd`:
/// `L(k) = (1 - beta) q / sd`.
pub fn k_for_fill_rate(beta: f64, q: f64, sd: f64) -> f64 {
    k_for_shortage((1.0 - beta) * q, sd)
}

/// Fill rate implied by reorder point `r` and order quantity `q` for normal lead-time demand:
/// `1 - sd L((r - mu)/sd) / q`.
pub fn fill_rate_normal(r: f64, q: f64, mu: f64, sd: f64) -> f64 {
    if q <= 0.0 {
        return f64::NAN;
    }
    (1.0 - normal_loss(r, mu, sd) / q).clamp(0.0, 1.0)
}

/// Standard deviation of demand over a protection interval of `p` periods when demand per
/// period has sd `sd_d` and mean `d`, and the interval has sd `sd_p` periods:
/// `sqrt(p sd_d^2 + d^2 sd_p^2)`.
pub fn protection_sd(p: f64, d: f64, sd_d: f64, sd_p: f64) -> f64 {
    (p * sd_d * sd_d + d * d * sd_p * sd_p).sqrt()
}

/// Safety stock `z * sqrt(p sd_d^2 + d^2 sd_p^2)`, never negative.
pub fn safety_stock(z: f64, p: f64, d: f64, sd_d: f64, sd_p: f64) -> f64 {
    (z * protection_sd(p, d, sd_d, sd_p)).max(0.0)
}

/// Economic order quantity sqrt(2 D K / h) for annual demand `d`, order cost `k` and annual
/// holding cost per unit `h`.
pub fn eoq(d: f64, k: f64, h: f64) -> f64 {
    if d <= 0.0 || k <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    (2.0 * d * k / h).sqrt()
}

/// Annual ordering plus holding cost `K D / Q + h Q / 2` at order quantity `q`.
pub fn eoq_cost(d: f64, k: f64, h: f64, q: f64) -> f64 {
    k * d / q + h * q / 2.0
}

/// EOQ with planned backorders (backorder cost `p` per unit per year): the order quantity,
/// the fraction of the cycle out of stock, and the optimal annual cost.
pub fn eoq_backorders(d: f64, k: f64, h: f64, p: f64) -> (f64, f64, f64) {
    let q = (2.0 * k * d * (h + p) / (h * p)).sqrt();
    let x = h / (h + p);
    let cost = (2.0 * k * d * h * p / (h + p)).sqrt();
    (q, x, cost)
}

/// Newsvendor with normal demand, holding cost `h` and shortage cost `p`: the optimal level
/// `mu + sd z*` with `z* = Phi^-1(p / (p + h))`, and its expected cost `(h + p) sd phi(z*)`.
pub fn newsvendor(mu: f64, sd: f64, h: f64, p: f64) -> (f64, f64) {
    let z = z_for_service(p / (p + h));
    (mu + sd * z, (h + p) * sd * phi(z))
}

/// Raises `qty` to the minimum order quantity, then up to a multiple of `multiple`.
pub fn round_order(qty: f64, moq: f64, multiple: f64) -> f64 {
    if qty <= 0.0 {
        return 0.0;
    }
    let q = qty.max(moq);
    if multiple > 0.0 {
        // The tolerance keeps 30.000000001 from becoming two packs of 30.
        (q / multiple - 1e-9).ceil() * multiple
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    /// Every case of the shared oracle, to 1e-6 relative (or the case's own tolerance).
    #[test]
    fn oracle_cases() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle/inventory_cases.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} not found", path.display());
            return;
        };
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for c in doc["cases"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            let i = &c["in"];
            let o = &c["out"];
            let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{id}: {k}"));
            let check = |got: f64, want: f64, what: &str| {
                let ok = match c.get("tolerance_abs").and_then(|t| t.as_f64()) {
                    Some(t) => (got - want).abs() <= t,
                    None => close(got, want, 1e-6),
                };
                assert!(ok, "{id} {what}: got {got}, want {want}");
            };
            match id {
                "eoq_ex3_1" => {
                    let q = eoq(f(i, "D"), f(i, "K"), f(i, "h"));
                    check(q, f(o, "Q"), "Q");
                    check(eoq_cost(f(i, "D"), f(i, "K"), f(i, "h"), q), f(o, "annual_cost"), "cost");
                }
                "eoq_cost_at_q" => {
                    check(eoq_cost(f(i, "D"), f(i, "K"), f(i, "h"), f(i, "Q")), f(o, "annual_cost"), "cost")
                }
                "eoqb_ex3_8" => {
                    let (q, x, cost) = eoq_backorders(f(i, "D"), f(i, "K"), f(i, "h"), f(i, "p"));
                    check(q, f(o, "Q"), "Q");
                    check(x, f(o, "stockout_fraction"), "x");
                    check(cost, f(o, "annual_cost"), "cost");
                }
                "std_normal_loss" => {
                    for (z, l) in i["z"].as_array().unwrap().iter().zip(o["L"].as_array().unwrap()) {
                        check(std_normal_loss(z.as_f64().unwrap()), l.as_f64().unwrap(), "L");
                    }
                }
                "normal_loss" => check(normal_loss(f(i, "x"), f(i, "mu"), f(i, "sd")), f(o, "loss"), "loss"),
                "poisson_loss" => {
                    let xs = i["x"].as_array().unwrap();
                    let ms = i["mean"].as_array().unwrap();
                    for ((x, m), l) in xs.iter().zip(ms).zip(o["loss"].as_array().unwrap()) {
                        check(poisson_loss(x.as_f64().unwrap(), m.as_f64().unwrap()), l.as_f64().unwrap(), "loss");
                    }
                }
                "newsvendor_ex4_3" => {
                    let (s, cost) = newsvendor(f(i, "mu"), f(i, "sd"), f(i, "h"), f(i, "p"));
                    check(s, f(o, "S"), "S");
                    check(cost, f(o, "expected_cost"), "cost");
                }
                "base_stock_ex4_4" => {
                    let periods = f(i, "L") + 1.0;
                    let (s, _) = newsvendor(f(i, "mu") * periods, f(i, "sd") * periods.sqrt(), f(i, "h"), f(i, "p"));
                    check(s, f(o, "S"), "S");
                }
                "rq_eoq_ss_ex5_5" => {
                    let l = f(i, "L_years");
                    let z = z_for_service(f(i, "p") / (f(i, "p") + f(i, "h")));
                    let r = f(i, "D") * l + z * f(i, "sd") * l.sqrt();
                    check(r, f(o, "r"), "r");
                    check(eoq(f(i, "D"), f(i, "K"), f(i, "h")), f(o, "Q"), "Q");
                }
                "csl_to_fill_rate" => {
                    let (mu, sd, r, q) = (f(i, "mu_L"), f(i, "sd_L"), f(i, "r"), f(i, "Q"));
                    let z = (r - mu) / sd;
                    check(z, f(o, "z"), "z");
                    check(big_phi(z), f(o, "csl"), "csl");
                    check(normal_loss(r, mu, sd), f(o, "esc"), "esc");
                    check(fill_rate_normal(r, q, mu, sd), f(o, "fill_rate"), "fill rate");
                }
                "combined_variability_rop" => {
                    let (d, sd_d, l, sd_l) = (f(i, "d"), f(i, "sd_d"), f(i, "L"), f(i, "sd_L"));
                    let z = z_for_service(f(i, "csl"));
                    check(protection_sd(l, d, sd_d, sd_l), f(o, "sd_ltd"), "sd");
                    let ss = safety_stock(z, l, d, sd_d, sd_l);
                    check(ss, f(o, "ss"), "ss");
                    check(d * l + ss, f(o, "rop"), "rop");
                }
                "periodic_review_rs" => {
                    let (d, sd_d, p) = (f(i, "d"), f(i, "sd_d"), f(i, "R") + f(i, "L"));
                    let ss = safety_stock(z_for_service(f(i, "csl")), p, d, sd_d, 0.0);
                    check(ss, f(o, "ss"), "ss");
                    check(d * p + ss, f(o, "S"), "S");
                }
                other => panic!("oracle case `{other}` has no check: add one"),
            }
            checked += 1;
        }
        assert!(checked >= 12, "only {checked} oracle cases checked");
    }

    #[test]
    fn z_matches_normal_tables() {
        assert!(close(z_for_service(0.95), 1.644_853_626_951_472, 1e-9));
        assert!(close(z_for_service(0.99), 2.326_347_874_040_841, 1e-9));
    }

    #[test]
    fn fill_rate_factor_inverts_the_loss() {
        // Q = 328.5, sd 43.30: beta = 0.970809986802 <-> k = 0.426469398841 (oracle csl_to_fill_rate).
        let k = k_for_fill_rate(0.970_809_986_802, 328.5, 43.301_270_189_221_93);
        assert!((k - 0.426_469_398_841).abs() < 1e-6, "{k}");
    }

    #[test]
    fn safety_stock_combines_demand_and_lead_time_variability() {
        assert!(close(safety_stock(2.0, 4.0, 10.0, 3.0, 0.5), 2.0 * 61f64.sqrt(), 1e-12));
    }

    #[test]
    fn order_rounding() {
        assert_eq!(round_order(7.0, 20.0, 6.0), 24.0);
        assert_eq!(round_order(30.0, 0.0, 10.0), 30.0);
        assert_eq!(round_order(30.2, 0.0, 10.0), 40.0);
        assert_eq!(round_order(0.0, 20.0, 6.0), 0.0);
        assert_eq!(round_order(3.5, 0.0, 1.0), 4.0);
    }
}
