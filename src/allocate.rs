//! Portfolio service allocation: a target such as "95% fill rate" met across a group of items
//! (units served over units demanded, or cycles without a stockout over all cycles) with the
//! least stock, instead of item by item. Each item offers a curve of levels and the service
//! the planning model gives at each; the allocation takes on every item the point that
//! maximises `lambda * weight * service - level`, and searches the one `lambda` at which the
//! group's weighted service reaches the target (Lagrangian relaxation of "minimise the sum of
//! levels subject to the pooled service"). A floor keeps every item near the target: the first
//! point of each curve.

/// One item's trade-off on the planning model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    /// What one unit of the item's service is worth in the pooled figure: demand per period
    /// for a fill rate, replenishment cycles per period for cycle service.
    pub weight: f64,
    /// (level, service) pairs, both non-decreasing; the first is the floor. Single precision:
    /// a million items hold their curves at once.
    pub points: Vec<(f32, f32)>,
}

impl Curve {
    /// The point chosen at multiplier `lambda`: the first maximising `lambda w m - x`.
    pub fn choose(&self, lambda: f64) -> usize {
        let mut best = (0usize, f64::NEG_INFINITY);
        for (k, (x, m)) in self.points.iter().enumerate() {
            let v = lambda * self.weight * f64::from(*m) - f64::from(*x);
            if v > best.1 {
                best = (k, v);
            }
        }
        best.0
    }
}

/// Pooled service of the points `curves` choose at `lambda`.
fn pooled(curves: &[&Curve], lambda: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for c in curves {
        if let Some((_, m)) = c.points.get(c.choose(lambda)) {
            num += c.weight * f64::from(*m);
            den += c.weight;
        }
    }
    if den > 0.0 {
        num / den
    } else {
        1.0
    }
}

/// Largest multiplier searched: every curve at its last point well before it.
pub const MAX_MULTIPLIER: f64 = 1e13;

/// The least multiplier at which the points the curves choose meet `target` pooled: 0 (every
/// floor) when the floors already meet it, [`MAX_MULTIPLIER`] when even the last points
/// cannot.
pub fn multiplier(curves: &[&Curve], target: f64) -> f64 {
    if curves.is_empty() || pooled(curves, 0.0) >= target {
        return 0.0;
    }
    let (mut lo, mut hi) = (-30.0f64, MAX_MULTIPLIER.ln());
    if pooled(curves, hi.exp()) < target {
        return MAX_MULTIPLIER;
    }
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if pooled(curves, mid.exp()) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(curves: &[Curve], target: f64) -> Vec<usize> {
        let refs: Vec<&Curve> = curves.iter().collect();
        let l = multiplier(&refs, target);
        curves.iter().map(|c| c.choose(l)).collect()
    }

    #[test]
    fn the_cheaper_item_takes_the_service() {
        // Two items of equal weight: raising A from 0.9 to 0.99 costs 1 unit, raising B costs
        // 10. Pooled 0.94 needs one of them raised: A is.
        let a = Curve { weight: 1.0, points: vec![(10.0, 0.90), (11.0, 0.99)] };
        let b = Curve { weight: 1.0, points: vec![(10.0, 0.90), (20.0, 0.99)] };
        assert_eq!(chosen(&[a.clone(), b.clone()], 0.94), vec![1, 0]);
        // Both floors meet 0.89: nothing is raised.
        assert_eq!(chosen(&[a.clone(), b.clone()], 0.89), vec![0, 0]);
        // Nothing reaches 0.999: every item at its last point.
        assert_eq!(chosen(&[a, b], 0.999), vec![1, 1]);
    }

    #[test]
    fn weight_counts_as_much_as_cost() {
        // B costs twice as much to raise but weighs three times as much: raised alone it
        // gives (0.90 + 3 x 0.99) / 4 = 0.9675, A alone only 0.9225.
        let a = Curve { weight: 1.0, points: vec![(0.0, 0.90), (1.0, 0.99)] };
        let b = Curve { weight: 3.0, points: vec![(0.0, 0.90), (2.0, 0.99)] };
        assert_eq!(chosen(&[a, b], 0.96), vec![0, 1]);
    }

    #[test]
    fn no_choice_gives_as_much_service_for_less_stock() {
        // Everett's theorem: the Lagrangian choice is the least total level among all choices
        // giving at least the pooled service it gives. Three items, three points each: every
        // one of the 27 choices is tried against it.
        let curves = vec![
            Curve { weight: 1.0, points: vec![(10.0, 0.90), (12.0, 0.95), (16.0, 0.99)] },
            Curve { weight: 2.0, points: vec![(5.0, 0.90), (6.0, 0.95), (8.0, 0.99)] },
            Curve { weight: 0.5, points: vec![(40.0, 0.90), (42.0, 0.93), (70.0, 0.99)] },
        ];
        let w: f64 = curves.iter().map(|c| c.weight).sum();
        let service = |pick: &[usize]| {
            curves.iter().zip(pick).map(|(c, j)| c.weight * f64::from(c.points[*j].1)).sum::<f64>() / w
        };
        let level = |pick: &[usize]| curves.iter().zip(pick).map(|(c, j)| f64::from(c.points[*j].0)).sum::<f64>();
        for target in [0.91, 0.93, 0.95, 0.96, 0.97, 0.98] {
            let got = chosen(&curves, target);
            let (m, x) = (service(&got), level(&got));
            assert!(m >= target - 1e-6, "target {target}: pooled {m}");
            for k in 0..27usize {
                let pick = [k % 3, (k / 3) % 3, k / 9];
                if service(&pick) >= m - 1e-9 {
                    assert!(level(&pick) >= x - 1e-9, "target {target}: {pick:?} beats {got:?}");
                }
            }
        }
    }
}
