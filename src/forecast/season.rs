//! Seasonal indices by classical multiplicative decomposition, for SKUs whose yearly pattern
//! is real. Demand over a centred moving average of one year gives ratios; three yearly
//! harmonics fitted to them by least squares, and the F test of that fit, say whether the year
//! has a shape beyond noise (F above [`F_MIN`]). When it does, the fitted shape, shrunk toward
//! 1 by the noise share `1/F`, gives the indices: the models are fitted on demand divided by
//! them, and their forecasts multiplied back.

/// F ratio of the harmonic fit above which a season counts as real (about the 99.5% point of
/// F with 6 and 100 degrees of freedom).
pub const F_MIN: f64 = 3.5;

/// Lowest index kept (a period with almost no demand in season would otherwise blow up the
/// adjusted series).
const FLOOR: f64 = 0.2;

/// Multiplicative seasonal indices of `y` for a season of `m` periods: `index[j]` belongs to
/// the periods `t` of `y` with `t % m == j` (and to future period `t` the same way). `None`
/// when the history is too short (every period of the season needs two ratios) or the season
/// is not clearly there.
pub fn indices(y: &[f64], m: usize) -> Option<Vec<f64>> {
    if m < 4 || y.len() < 2 * m + m / 2 {
        return None;
    }
    let n = y.len();
    // Centred moving average of m periods (2 x m for even m), from prefix sums.
    let half = m / 2;
    let mut prefix = vec![0.0; n + 1];
    for (t, v) in y.iter().enumerate() {
        prefix[t + 1] = prefix[t] + v;
    }
    // Per period of the season: count, sum and sum of squares of the ratios.
    let (mut cnt, mut sum, mut sq) = (vec![0.0f64; m], vec![0.0f64; m], vec![0.0f64; m]);
    for t in half..n - half {
        let cma = if m % 2 == 0 {
            (prefix[t + half] - prefix[t - half + 1] + 0.5 * (y[t - half] + y[t + half])) / m as f64
        } else {
            (prefix[t + half + 1] - prefix[t - half]) / m as f64
        };
        if cma > 0.0 {
            let r = y[t] / cma;
            cnt[t % m] += 1.0;
            sum[t % m] += r;
            sq[t % m] += r * r;
        }
    }
    if cnt.iter().any(|c| *c < 2.0) {
        return None;
    }
    // Ratios as a few yearly harmonics: r_t = c + sum_k a_k cos(2 pi k t / m) + b_k sin(...).
    // A smooth yearly shape rests on few numbers, so the test has power even on noisy weeks.
    // The basis depends on the period of the season only: least squares from the group sums.
    let k_max = HARMONICS.min((m - 1) / 2);
    let p = 1 + 2 * k_max;
    let rows: Vec<Vec<f64>> = (0..m)
        .map(|j| {
            let mut r = vec![1.0];
            for k in 1..=k_max {
                let a = 2.0 * std::f64::consts::PI * (k * j) as f64 / m as f64;
                r.push(a.cos());
                r.push(a.sin());
            }
            r
        })
        .collect();
    let count: f64 = cnt.iter().sum();
    if count <= (p + 1) as f64 {
        return None;
    }
    let mut xtx = vec![vec![0.0; p]; p];
    let mut xty = vec![0.0; p];
    for (j, r) in rows.iter().enumerate() {
        for a in 0..p {
            xty[a] += r[a] * sum[j];
            for b in 0..p {
                xtx[a][b] += cnt[j] * r[a] * r[b];
            }
        }
    }
    let beta = solve(xtx, xty)?;
    let fit: Vec<f64> = rows.iter().map(|r| r.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>()).collect();
    let grand = sum.iter().sum::<f64>() / count;
    let explained: f64 = (0..m).map(|j| cnt[j] * (fit[j] - grand).powi(2)).sum();
    let residual: f64 = (0..m).map(|j| sq[j] - 2.0 * fit[j] * sum[j] + cnt[j] * fit[j] * fit[j]).sum::<f64>().max(0.0);
    let f = if residual > 0.0 { (explained / (p - 1) as f64) / (residual / (count - p as f64)) } else { f64::INFINITY };
    if f.is_nan() || f <= F_MIN || grand <= 0.0 {
        return None;
    }
    let keep = 1.0 - 1.0 / f;
    let raw: Vec<f64> = fit.iter().map(|v| (1.0 + keep * (v / grand - 1.0)).max(FLOOR)).collect();
    let mean = raw.iter().sum::<f64>() / m as f64;
    Some(raw.iter().map(|v| v / mean).collect())
}

/// Yearly harmonics fitted to the seasonal ratios.
const HARMONICS: usize = 3;

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let piv = (c..n).max_by(|x, y| a[*x][c].abs().total_cmp(&a[*y][c].abs()))?;
        if a[piv][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, piv);
        b.swap(c, piv);
        let pivot_row = a[c].clone();
        for r in c + 1..n {
            let k = a[r][c] / pivot_row[c];
            for (x, p) in a[r].iter_mut().zip(&pivot_row).skip(c) {
                *x -= k * p;
            }
            b[r] -= k * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        x[r] = (b[r] - (r + 1..n).map(|j| a[r][j] * x[j]).sum::<f64>()) / a[r][r];
    }
    Some(x)
}

/// `y` divided by its indices.
pub fn adjust(y: &[f64], index: &[f64]) -> Vec<f64> {
    y.iter().enumerate().map(|(t, v)| v / index[t % index.len()]).collect()
}

/// Forecasts of the periods from `start` on, multiplied by their indices.
pub fn restore(f: &mut [f64], start: usize, index: &[f64]) {
    for (h, v) in f.iter_mut().enumerate() {
        *v *= index[(start + h) % index.len()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_season_is_found_and_noise_is_not() {
        // Three years of a yearly sine of amplitude 0.5 around 100, no noise.
        let y: Vec<f64> =
            (0..156).map(|t| 100.0 * (1.0 + 0.5 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin())).collect();
        let idx = indices(&y, 52).expect("seasonal");
        assert!((idx.iter().sum::<f64>() / 52.0 - 1.0).abs() < 1e-12);
        // The peak (t = 13) and the trough (t = 39): a sine is one harmonic, fitted exactly.
        assert!((idx[13] - 1.5).abs() < 0.01, "{}", idx[13]);
        assert!((idx[39] - 0.5).abs() < 0.01, "{}", idx[39]);
        // Adjusted, the series is flat; restored, it is the series again.
        let adj = adjust(&y, &idx);
        let spread = adj.iter().cloned().fold(0.0, f64::max) / adj.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(spread < 1.1, "{spread}");
        let mut back = adj[100..110].to_vec();
        restore(&mut back, 100, &idx);
        for (a, b) in back.iter().zip(&y[100..110]) {
            assert!((a - b).abs() < 1e-9);
        }
        // White noise around a level: no season.
        let mut x = 7u64;
        let noise: Vec<f64> = (0..156)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                50.0 + ((x >> 33) % 21) as f64 - 10.0
            })
            .collect();
        assert_eq!(indices(&noise, 52), None);
        // Too short to tell.
        assert_eq!(indices(&y[..110], 52), None);
    }
}
