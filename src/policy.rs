//! Inventory maths: safety factors, safety stock, reorder points and order quantities. Plain
//! functions of numbers, checked against textbook values.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal")
}

/// Safety factor z with P(Z <= z) = `service` for a standard normal Z.
pub fn z_for_service(service: f64) -> f64 {
    std_normal().inverse_cdf(service)
}

/// Standard normal loss L(z) = phi(z) - z (1 - Phi(z)): expected shortfall per unit sd.
pub fn std_normal_loss(z: f64) -> f64 {
    let n = std_normal();
    n.pdf(z) - z * (1.0 - n.cdf(z))
}

/// Safety stock over a protection interval of `p` periods when both demand per period
/// (mean `d`, sd `sd_d`) and the interval (sd `sd_p` periods) vary:
/// `z * sqrt(p * sd_d^2 + d^2 * sd_p^2)`.
pub fn safety_stock(z: f64, p: f64, d: f64, sd_d: f64, sd_p: f64) -> f64 {
    (z * (p * sd_d * sd_d + d * d * sd_p * sd_p).sqrt()).max(0.0)
}

/// Economic order quantity sqrt(2 D K / h) for annual demand `d`, order cost `k` and annual
/// holding cost per unit `h`.
pub fn eoq(d: f64, k: f64, h: f64) -> f64 {
    if d <= 0.0 || k <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    (2.0 * d * k / h).sqrt()
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

    #[test]
    fn z_matches_normal_tables() {
        assert!(close(z_for_service(0.95), 1.644_853_626_951_472, 1e-9));
        assert!(close(z_for_service(0.99), 2.326_347_874_040_841, 1e-9));
        assert!(z_for_service(0.5).abs() < 1e-12);
    }

    #[test]
    fn loss_matches_reference() {
        // Values from scipy: norm.pdf(z) - z * norm.sf(z).
        assert!(close(std_normal_loss(0.3), 0.266_761_242_117_210, 1e-9));
        assert!(close(std_normal_loss(1.3), 0.045_527_962_086_513_97, 1e-9));
    }

    #[test]
    fn safety_stock_combines_demand_and_lead_time_variability() {
        // z = 2, 4 periods, d = 10, sd_d = 3, sd_p = 0.5: 2 * sqrt(4*9 + 100*0.25) = 2*sqrt(61).
        assert!(close(safety_stock(2.0, 4.0, 10.0, 3.0, 0.5), 2.0 * 61f64.sqrt(), 1e-12));
    }

    #[test]
    fn eoq_textbook_example() {
        // Snyder & Shen example 3.1: K = 8, h = 0.225, D = 1300 -> Q* = 304.0467800264368.
        assert!(close(eoq(1300.0, 8.0, 0.225), 304.046_780_026_436_8, 1e-9));
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
