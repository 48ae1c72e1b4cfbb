//! The replenishment engine: the one place that owns the inventory rules. From a model of
//! lead-time demand, a policy rule and a service target it gives the levels (reorder point s,
//! order-up-to level S, safety stock) and the service they imply; from a position and those
//! levels it gives the order, rounded to the item's MOQ and multiple; and its stock-flow loop
//! is the one that the plan's projection, the what-if futures, the replay of history and the
//! truth check all run. `plan`, `calc`, `simulate` and `truth` call it; none of them has rules
//! of its own.

use crate::policy::{normal_loss, round_order, z_for_service};

/// A service target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Cycle service: probability that a replenishment cycle has no stockout.
    Cycle(f64),
    /// Fill rate: share of demanded units served from stock.
    FillRate(f64),
    /// A level covering this share of the demand the rule protects (lead time plus review,
    /// without conditioning on demand): how a calibrated fill-rate plan is held.
    Cover(f64),
}

impl Target {
    /// The target as a share.
    pub fn value(self) -> f64 {
        match self {
            Target::Cycle(v) | Target::FillRate(v) | Target::Cover(v) => v,
        }
    }

    /// `cycle` or `fill_rate`, as written to outputs.
    pub fn measure(self) -> &'static str {
        match self {
            Target::Cycle(_) => "cycle",
            Target::FillRate(_) | Target::Cover(_) => "fill_rate",
        }
    }
}

/// The review rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Review every `review` periods and order up to S when the position is at or below s.
    Periodic {
        /// Review period, in periods.
        review: f64,
    },
    /// Watch the position; when it falls to s or below, order the smallest multiple of Q
    /// that lifts it above s (an (s, nQ) rule).
    Continuous,
}

/// The shape of policy a rule and an item's order constraints give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Periodic order-up-to: s = S, every review orders what was used.
    RS,
    /// Periodic with a minimum order: order up to S = s + Q when the position is at or below s,
    /// because the EOQ or the MOQ makes an order larger than a review period's demand.
    RsS,
    /// Continuous (s, nQ).
    SnQ,
}

impl Shape {
    /// Name written to outputs.
    pub fn name(self) -> &'static str {
        match self {
            Shape::RS => "R,S",
            Shape::RsS => "R,s,S",
            Shape::SnQ => "s,nQ",
        }
    }
}

/// Demand over the intervals a policy protects, as mean and standard deviation (normal) or as
/// Monte Carlo draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Ltd {
    /// Normal approximation.
    Normal(NormalLtd),
    /// Draws.
    Draws(DrawLtd),
}

/// Normal lead-time demand: (mean, sd) over each interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalLtd {
    /// Over the lead time L.
    pub lead: (f64, f64),
    /// Over the protection interval L + R.
    pub protect: (f64, f64),
    /// Over a replenishment cycle as the cycle-service target counts it: L + R, given that the
    /// review period that triggered the order had demand (equal to `protect` when every period
    /// has demand).
    pub cycle: (f64, f64),
    /// Mean demand per review period (per period for continuous review).
    pub review_demand: f64,
}

impl NormalLtd {
    /// Normal lead-time demand from per-period figures: mean `d`, sd `sd_d` per period, lead
    /// time `l` periods with sd `sd_l`, review `r` periods, and the probability `pi` that a
    /// review period has any demand (1 for regular demand).
    pub fn from_rates(d: f64, sd_d: f64, l: f64, sd_l: f64, r: f64, pi: f64) -> NormalLtd {
        let lead = (d * l, crate::policy::protection_sd(l, d, sd_d, sd_l));
        let protect = (d * (l + r), crate::policy::protection_sd(l + r, d, sd_d, sd_l));
        NormalLtd { lead, protect, cycle: conditional(lead, (d * r, sd_d * r.sqrt()), pi), review_demand: d * r }
    }
}

/// Mean and sd of lead-time demand plus one review period's demand given that it is not zero
/// (probability `pi`): E[Y] = m / pi, Var[Y] = (v + m^2) / pi - m^2 / pi^2.
fn conditional(lead: (f64, f64), review: (f64, f64), pi: f64) -> (f64, f64) {
    let pi = pi.clamp(1e-3, 1.0);
    let (m, v) = (review.0, review.1 * review.1);
    let mean = m / pi;
    let var = ((v + m * m) / pi - mean * mean).max(0.0);
    (lead.0 + mean, (lead.1 * lead.1 + var).sqrt())
}

/// Lead-time demand as draws, each set sorted (only their distributions matter: expected
/// shortages are taken over each set on its own). The cycle draws condition the review period
/// on having demand.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawLtd {
    /// Demand over the lead time, sorted.
    pub lead: Vec<f64>,
    /// Demand over lead time plus review, sorted.
    pub protect: Vec<f64>,
    /// Cycle demand, sorted.
    pub cycle: Vec<f64>,
    /// Mean demand per review period.
    pub review_demand: f64,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    if v.len() < 2 {
        0.0
    } else {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    }
}

/// Mean of `(x - s)+` over draws.
fn draws_loss(v: &[f64], s: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().map(|x| (x - s).max(0.0)).sum::<f64>() / v.len() as f64
}

impl Ltd {
    /// Mean demand over the protection interval.
    pub fn protect_mean(&self) -> f64 {
        match self {
            Ltd::Normal(n) => n.protect.0,
            Ltd::Draws(d) => mean(&d.protect),
        }
    }

    /// Standard deviation of demand over the protection interval.
    pub fn protect_sd(&self) -> f64 {
        match self {
            Ltd::Normal(n) => n.protect.1,
            Ltd::Draws(d) => sd(&d.protect),
        }
    }

    /// Mean demand over the lead time.
    pub fn lead_mean(&self) -> f64 {
        match self {
            Ltd::Normal(n) => n.lead.0,
            Ltd::Draws(d) => mean(&d.lead),
        }
    }

    fn review_demand(&self) -> f64 {
        match self {
            Ltd::Normal(n) => n.review_demand,
            Ltd::Draws(d) => d.review_demand,
        }
    }

    /// Probability that demand over the lead time exceeds `x`.
    pub fn lead_exceeds(&self, x: f64) -> f64 {
        match self {
            Ltd::Normal(n) => {
                if n.lead.1 > 0.0 {
                    1.0 - crate::policy::big_phi((x - n.lead.0) / n.lead.1)
                } else {
                    f64::from(u8::from(n.lead.0 > x))
                }
            }
            Ltd::Draws(d) => {
                if d.lead.is_empty() {
                    0.0
                } else {
                    1.0 - d.lead.partition_point(|v| *v <= x) as f64 / d.lead.len() as f64
                }
            }
        }
    }

    /// The same model with every demand multiplied by `k` (a what-if, or a later period whose
    /// forecast is `k` times this one's).
    pub fn scaled(&self, k: f64) -> Ltd {
        match self {
            Ltd::Normal(n) => {
                let s = |x: (f64, f64)| (x.0 * k, x.1 * k);
                Ltd::Normal(NormalLtd {
                    lead: s(n.lead),
                    protect: s(n.protect),
                    cycle: s(n.cycle),
                    review_demand: n.review_demand * k,
                })
            }
            Ltd::Draws(d) => {
                let s = |v: &[f64]| v.iter().map(|x| x * k).collect::<Vec<f64>>();
                Ltd::Draws(DrawLtd {
                    lead: s(&d.lead),
                    protect: s(&d.protect),
                    cycle: s(&d.cycle),
                    review_demand: d.review_demand * k,
                })
            }
        }
    }

    /// Level covering a share `p` of cycle demand (the cycle-service quantile).
    fn cycle_quantile(&self, p: f64) -> f64 {
        match self {
            Ltd::Normal(n) => n.cycle.0 + z_for_service(p) * n.cycle.1,
            Ltd::Draws(d) => {
                if d.cycle.is_empty() {
                    return 0.0;
                }
                let k = ((p * d.cycle.len() as f64).ceil() as usize).clamp(1, d.cycle.len()) - 1;
                d.cycle[k]
            }
        }
    }

    /// Share of the protected demand (over L for continuous review, L + R otherwise) at or
    /// below `x`.
    pub fn cover_cdf(&self, shape: Shape, x: f64) -> f64 {
        let lead = shape == Shape::SnQ;
        match self {
            Ltd::Normal(n) => {
                let (m, s) = if lead { n.lead } else { n.protect };
                if s > 0.0 {
                    crate::policy::big_phi((x - m) / s)
                } else {
                    f64::from(u8::from(x >= m))
                }
            }
            Ltd::Draws(d) => {
                let v = if lead { &d.lead } else { &d.protect };
                if v.is_empty() {
                    1.0
                } else {
                    v.partition_point(|y| *y <= x) as f64 / v.len() as f64
                }
            }
        }
    }

    /// Level covering a share `p` of the protected demand.
    fn cover_quantile(&self, shape: Shape, p: f64) -> f64 {
        let lead = shape == Shape::SnQ;
        match self {
            Ltd::Normal(n) => {
                let (m, s) = if lead { n.lead } else { n.protect };
                m + z_for_service(p) * s
            }
            Ltd::Draws(d) => {
                let v = if lead { &d.lead } else { &d.protect };
                if v.is_empty() {
                    return 0.0;
                }
                let k = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
                v[k]
            }
        }
    }

    /// Share of cycles without a stockout at level `x`.
    fn cycle_cdf(&self, x: f64) -> f64 {
        match self {
            Ltd::Normal(n) => {
                if n.cycle.1 > 0.0 {
                    crate::policy::big_phi((x - n.cycle.0) / n.cycle.1)
                } else {
                    f64::from(u8::from(x >= n.cycle.0))
                }
            }
            Ltd::Draws(d) => {
                if d.cycle.is_empty() {
                    1.0
                } else {
                    d.cycle.partition_point(|v| *v <= x) as f64 / d.cycle.len() as f64
                }
            }
        }
    }

    /// Expected units short per cycle at level `x` for the shape, and the demand of that cycle.
    fn shortage(&self, shape: Shape, x: f64, q: f64) -> (f64, f64) {
        let loss = |which: u8, at: f64| -> f64 {
            match self {
                Ltd::Normal(n) => {
                    let (m, s) = if which == 0 { n.lead } else { n.protect };
                    normal_loss(at, m, s)
                }
                Ltd::Draws(d) => draws_loss(if which == 0 { &d.lead } else { &d.protect }, at),
            }
        };
        match shape {
            // Units short in a review period: backorders at its end minus those at its start.
            Shape::RS => ((loss(1, x) - loss(0, x)).max(0.0), self.review_demand()),
            Shape::RsS => ((loss(1, x) - loss(1, x + q)).max(0.0), q),
            Shape::SnQ => ((loss(0, x) - loss(0, x + q)).max(0.0), q),
        }
    }
}

/// An item's order constraints.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Constraints {
    /// Minimum order quantity.
    pub moq: f64,
    /// Order multiple (pack size); 0 or 1 for none.
    pub multiple: f64,
    /// Economic order quantity, when an order cost is known.
    pub eoq: Option<f64>,
}

/// What the engine decided for one item and one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    /// Policy shape.
    pub shape: Shape,
    /// Reorder point s: order when the position is at or below it.
    pub reorder_point: f64,
    /// Order-up-to level S (s + Q for the (s, nQ) rule, shown for reference).
    pub order_up_to: f64,
    /// Cycle quantity: Q of (R,s,S) and (s,nQ), one review period's demand for (R,S).
    pub cycle_qty: f64,
    /// Stock held against uncertainty: the protected level minus its mean demand.
    pub safety_stock: f64,
    /// Safety stock in standard deviations of the protected demand.
    pub factor: f64,
    /// Expected units short per cycle.
    pub shortage: f64,
    /// Fill rate implied.
    pub fill_rate: f64,
    /// Cycle service implied.
    pub cycle_service: f64,
}

/// Shape of a rule for an item with mean `review_demand` per review period.
pub fn shape(rule: Rule, c: &Constraints, review_demand: f64) -> Shape {
    match rule {
        Rule::Continuous => Shape::SnQ,
        Rule::Periodic { .. } => {
            let q = c.eoq.unwrap_or(0.0).max(c.moq);
            if q > review_demand + 1e-9 {
                Shape::RsS
            } else {
                Shape::RS
            }
        }
    }
}

/// The levels meeting `target` (the service level already calibrated) for a lead-time demand
/// model and rule.
pub fn levels(ltd: &Ltd, rule: Rule, c: &Constraints, target: Target) -> Levels {
    let rd = ltd.review_demand();
    let shape = shape(rule, c, rd);
    let q = match shape {
        Shape::RS => rd,
        Shape::RsS => c.eoq.unwrap_or(0.0).max(c.moq),
        Shape::SnQ => c.eoq.unwrap_or(rd).max(c.moq),
    };
    // Continuous review protects the lead time; periodic review the lead time plus a review.
    let (mu, sdv) = match (shape, ltd) {
        (Shape::SnQ, Ltd::Normal(n)) => n.lead,
        (Shape::SnQ, Ltd::Draws(d)) => (mean(&d.lead), sd(&d.lead)),
        _ => (ltd.protect_mean(), ltd.protect_sd()),
    };
    let level = match target {
        Target::Cycle(p) => match (shape, ltd) {
            (Shape::SnQ, Ltd::Normal(n)) => n.lead.0 + z_for_service(p) * n.lead.1,
            (Shape::SnQ, Ltd::Draws(_)) => ltd.cover_quantile(Shape::SnQ, p),
            _ => ltd.cycle_quantile(p),
        },
        Target::Cover(p) => ltd.cover_quantile(shape, p),
        Target::FillRate(b) => {
            // The expected shortage falls as the level rises: bisect for the allowed one.
            let allowed = |x: f64| {
                let (short, demand) = ltd.shortage(shape, x, q);
                demand <= 0.0 || short <= (1.0 - b) * demand
            };
            let (mut lo, mut hi) = (mu - 8.0 * sdv - 1.0, mu + 12.0 * sdv + 1.0);
            if let Ltd::Draws(d) = ltd {
                hi = hi.max(d.protect.last().copied().unwrap_or(0.0));
            }
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if allowed(mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        }
    };
    // Never plan below expected demand: a skewed quantile can sit under it.
    let s = level.max(mu).max(0.0);
    let ss = s - mu;
    let (short, demand) = ltd.shortage(shape, s, q);
    let fill = if demand > 0.0 { (1.0 - short / demand).clamp(0.0, 1.0) } else { 1.0 };
    let csl = match (shape, ltd) {
        (Shape::SnQ, Ltd::Normal(n)) if n.lead.1 > 0.0 => crate::policy::big_phi((s - n.lead.0) / n.lead.1),
        (Shape::SnQ, _) => 1.0 - ltd.lead_exceeds(s),
        _ => ltd.cycle_cdf(s),
    };
    let big_s = match shape {
        Shape::RS => s,
        Shape::RsS | Shape::SnQ => s + q,
    };
    Levels {
        shape,
        reorder_point: s,
        order_up_to: big_s,
        cycle_qty: q,
        safety_stock: ss,
        factor: if sdv > 0.0 { ss / sdv } else { 0.0 },
        shortage: short,
        fill_rate: fill,
        cycle_service: csl,
    }
}

/// The order at a review: nothing above the reorder point; else up to S ((R,S), (R,s,S)) or
/// the smallest multiple of Q that lifts the position above s ((s, nQ)), raised to the MOQ
/// and rounded up to the order multiple. A position below zero (customers waiting) with no
/// forecast still orders the shortfall, since s and S are then 0.
pub fn order(position: f64, reorder_point: f64, order_up_to: f64, shape: Shape, q: f64, c: &Constraints) -> f64 {
    if position > reorder_point + 1e-9 {
        return 0.0;
    }
    let raw = match shape {
        Shape::RS | Shape::RsS => order_up_to - position,
        Shape::SnQ if q > 0.0 => (((reorder_point - position) / q).floor() + 1.0) * q,
        Shape::SnQ => reorder_point - position,
    };
    if raw <= 1e-9 {
        return 0.0;
    }
    round_order(raw, c.moq, c.multiple)
}

/// Stock of one item as it flows: net stock (on hand minus waiting customers) and the orders
/// on their way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flow {
    /// On hand minus backorders.
    pub net: f64,
    /// Units on order.
    pub on_order: f64,
    /// Orders on the way: (tick due, units).
    pipeline: Vec<(usize, f64)>,
}

/// One tick of a flow.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tick {
    /// Units received at its start.
    pub received: f64,
    /// Units ordered at its review.
    pub ordered: f64,
    /// Net stock after receipts and the order.
    pub start: f64,
    /// Units demanded.
    pub demand: f64,
    /// Units served from stock.
    pub served: f64,
    /// Net stock at its end.
    pub end: f64,
    /// Reorder point in force.
    pub reorder_point: f64,
}

impl Flow {
    /// A flow with net stock `net` and open orders `(tick due, units)`.
    pub fn new(net: f64, open: &[(usize, f64)]) -> Flow {
        Flow { net, on_order: open.iter().map(|x| x.1).sum(), pipeline: open.to_vec() }
    }

    /// Net stock plus what is on order.
    pub fn position(&self) -> f64 {
        self.net + self.on_order
    }

    /// Receives every order due at or before `tick`; returns the units.
    pub fn receive(&mut self, tick: usize) -> f64 {
        let mut got = 0.0;
        self.pipeline.retain(|&(due, q)| {
            if due <= tick {
                got += q;
                false
            } else {
                true
            }
        });
        self.net += got;
        self.on_order -= got;
        got
    }

    /// Places an order due at `due`.
    pub fn place(&mut self, qty: f64, due: usize) {
        self.on_order += qty;
        self.pipeline.push((due, qty));
    }

    /// Demand of `qty` units: serves what stock allows, the rest waits. Returns units served.
    pub fn demand(&mut self, qty: f64) -> f64 {
        let served = qty.min(self.net.max(0.0));
        self.net -= qty;
        served
    }
}

/// How a policy orders once its levels are known: its shape, its Q and the item's constraints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderRule {
    /// Policy shape.
    pub shape: Shape,
    /// Cycle quantity Q.
    pub q: f64,
    /// Order constraints.
    pub constraints: Constraints,
}

impl OrderRule {
    /// The order at a review ([`order`]).
    pub fn order(&self, position: f64, reorder_point: f64, order_up_to: f64) -> f64 {
        order(position, reorder_point, order_up_to, self.shape, self.q, &self.constraints)
    }
}

/// Runs a flow over `ticks` ticks: each tick receives what is due, reviews every
/// `review_every` ticks (ordering by `rule` at the `levels(tick)` in force, due after
/// `lead(tick)` ticks), then meets `demand(tick)`. `each` sees every tick. This is the
/// stock-flow loop of every simulation.
#[allow(clippy::too_many_arguments)]
pub fn run(
    flow: &mut Flow,
    ticks: std::ops::Range<usize>,
    review_every: usize,
    rule: &OrderRule,
    mut levels: impl FnMut(usize) -> (f64, f64),
    mut lead: impl FnMut(usize) -> usize,
    mut demand: impl FnMut(usize) -> f64,
    mut each: impl FnMut(usize, &Tick),
) {
    let review_every = review_every.max(1);
    for t in ticks {
        let received = flow.receive(t);
        let (s, big_s) = levels(t);
        let mut ordered = 0.0;
        if t % review_every == 0 {
            let q = rule.order(flow.position(), s, big_s);
            if q > 0.0 {
                let due = t + lead(t);
                flow.place(q, due);
                ordered = q;
                if due <= t {
                    flow.receive(t);
                }
            }
        }
        let start = flow.net;
        let d = demand(t);
        let served = flow.demand(d);
        each(t, &Tick { received, ordered, start, demand: d, served, end: flow.net, reorder_point: s });
    }
}

/// What a run showed: units, cycles and stock, counted from the tick counting starts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Units demanded.
    pub demand: f64,
    /// Units served from stock.
    pub served: f64,
    /// Replenishment cycles completed (receipt to receipt).
    pub cycles: f64,
    /// Of which with a stockout.
    pub bad_cycles: f64,
    /// Sum over ticks of the stock on hand at the tick's end.
    pub stock: f64,
    /// Ticks counted.
    pub ticks: f64,
    /// Ticks with unmet demand.
    pub stockout_ticks: f64,
    /// Orders placed.
    pub orders: f64,
    /// A stockout since the last receipt (carried between ticks).
    open_stockout: bool,
    /// A receipt has been seen since counting started (a cycle is open).
    open_cycle: bool,
}

impl Tally {
    /// Adds one tick; `counted` is false during a warm-up.
    pub fn add(&mut self, tick: &Tick, counted: bool) {
        if tick.received > 0.0 {
            if counted && self.open_cycle {
                self.cycles += 1.0;
                self.bad_cycles += f64::from(u8::from(self.open_stockout));
            }
            self.open_cycle = counted;
            self.open_stockout = false;
        }
        let short = tick.demand > tick.served + 1e-9;
        if short {
            self.open_stockout = true;
        }
        if counted {
            self.demand += tick.demand;
            self.served += tick.served;
            self.stock += tick.end.max(0.0);
            self.ticks += 1.0;
            self.stockout_ticks += f64::from(u8::from(short));
            self.orders += f64::from(u8::from(tick.ordered > 0.0));
        }
    }

    /// Adds another run's totals.
    pub fn merge(&mut self, o: &Tally) {
        self.demand += o.demand;
        self.served += o.served;
        self.cycles += o.cycles;
        self.bad_cycles += o.bad_cycles;
        self.stock += o.stock;
        self.ticks += o.ticks;
        self.stockout_ticks += o.stockout_ticks;
        self.orders += o.orders;
    }

    /// Units served from stock / demanded (1 without demand).
    pub fn fill_rate(&self) -> f64 {
        if self.demand > 0.0 {
            self.served / self.demand
        } else {
            1.0
        }
    }

    /// Share of cycles without a stockout (NaN without cycles).
    pub fn cycle_service(&self) -> f64 {
        if self.cycles > 0.0 {
            1.0 - self.bad_cycles / self.cycles
        } else {
            f64::NAN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(d: f64, sd_d: f64, l: f64, sd_l: f64, r: f64) -> Ltd {
        Ltd::Normal(NormalLtd::from_rates(d, sd_d, l, sd_l, r, 1.0))
    }

    #[test]
    fn periodic_review_is_the_textbook_order_up_to_level() {
        // Oracle periodic_review_rs: d 20, sd 5, R 7, L 3, 95% -> S 226.0074, SS 26.0074.
        let lv = levels(
            &normal(20.0, 5.0, 3.0, 0.0, 7.0),
            Rule::Periodic { review: 7.0 },
            &Constraints::default(),
            Target::Cycle(0.95),
        );
        assert_eq!(lv.shape, Shape::RS);
        assert!((lv.order_up_to - 226.0074).abs() < 1e-4, "{lv:?}");
        assert!((lv.safety_stock - 26.0074).abs() < 1e-4);
        assert_eq!(lv.reorder_point, lv.order_up_to);
        assert!((lv.cycle_service - 0.95).abs() < 1e-9);
    }

    #[test]
    fn a_binding_moq_gives_r_s_s() {
        let c = Constraints { moq: 300.0, multiple: 1.0, eoq: None };
        let lv = levels(&normal(20.0, 5.0, 3.0, 0.0, 7.0), Rule::Periodic { review: 7.0 }, &c, Target::Cycle(0.95));
        assert_eq!(lv.shape, Shape::RsS);
        assert!((lv.order_up_to - lv.reorder_point - 300.0).abs() < 1e-9);
    }

    #[test]
    fn conditional_cycle_demand_matches_its_moments() {
        // Review demand 0 w.p. 0.5, else 4 (mean 2, var 4): given demand it is exactly 4.
        let (m, s) = conditional((10.0, 3.0), (2.0, 2.0), 0.5);
        assert!((m - 14.0).abs() < 1e-12);
        assert!((s - 3.0).abs() < 1e-12);
    }

    #[test]
    fn fill_rate_levels_round_trip() {
        for shape_rule in [Rule::Periodic { review: 1.0 }, Rule::Continuous] {
            let c = Constraints { moq: 0.0, multiple: 1.0, eoq: Some(40.0) };
            let lv = levels(&normal(10.0, 6.0, 4.0, 1.0, 1.0), shape_rule, &c, Target::FillRate(0.97));
            assert!((lv.fill_rate - 0.97).abs() < 1e-6, "{lv:?}");
        }
    }

    #[test]
    fn order_rules() {
        let c = Constraints { moq: 20.0, multiple: 6.0, eoq: None };
        assert_eq!(order(10.0, 15.0, 15.0, Shape::RS, 0.0, &c), 24.0);
        assert_eq!(order(16.0, 15.0, 15.0, Shape::RS, 0.0, &c), 0.0);
        // (s, nQ): from -7 with s 15 and Q 10, three lots lift it to 23 > 15.
        let none = Constraints::default();
        assert_eq!(order(-7.0, 15.0, 25.0, Shape::SnQ, 10.0, &none), 30.0);
        // No forecast, customers waiting: the shortfall is ordered.
        assert_eq!(order(-5.0, 0.0, 0.0, Shape::RS, 0.0, &none), 5.0);
        assert_eq!(order(0.0, 0.0, 0.0, Shape::RS, 0.0, &none), 0.0);
    }

    #[test]
    fn flow_counts_cycles_and_serves_backorders_first() {
        // S = 10, lead 1 tick, demand 6 then 12 then 6: the second tick runs short.
        let rule = OrderRule { shape: Shape::RS, q: 0.0, constraints: Constraints::default() };
        let mut f = Flow::new(10.0, &[]);
        let demand = [6.0, 12.0, 6.0, 6.0];
        let mut tally = Tally::default();
        run(&mut f, 0..4, 1, &rule, |_| (10.0, 10.0), |_| 1, |t| demand[t], |_, k| tally.add(k, true));
        // Tick 0: position 10, no order; serve 6 -> 4. Tick 1: order 6 (due 2); serve 4 of 12 -> -8.
        // Tick 2: receive 6 -> -2 (the waiting customers first); order 12; serve 0 of 6 -> -8.
        // Tick 3: receive 12 -> 4; order 6; serve 4 of 6 -> -2.
        assert!((tally.demand - 30.0).abs() < 1e-12);
        assert!((tally.served - 14.0).abs() < 1e-12, "{tally:?}");
        // One whole cycle (receipt at tick 2 to receipt at tick 3), with a stockout.
        assert_eq!((tally.cycles, tally.bad_cycles), (1.0, 1.0));
        assert_eq!(tally.orders, 3.0);
    }
}
