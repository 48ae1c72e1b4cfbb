//! The plan: assembly over the replenishment engine. For every item: the service target (a
//! scenario's, its own, the run's or its ABC class's; the last two met across the items that
//! share them, [`crate::allocate`]), the lead-time demand model (`ltd`), the
//! levels the engine sets for that target through the backtest calibration, today's order by
//! the engine's rule, the same levels for each future period, and the projected stock through
//! the engine's stock-flow loop; grouped by supplier into suggested purchase orders, with the
//! reason in words.

use std::collections::HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::allocate::Curve;
use crate::config::{Policy, ServiceMeasure, ServiceScope, Settings};
use crate::engine::{self, Constraints, Flow, Levels, Ltd, OrderRule, Rule, Shape, Target};
use crate::forecast::{DemandClass, Forecasts};
use crate::ingest::{Backorder, Dataset, Item};
use crate::leadtime::{on_order, scheduled_receipts, Incoming, LeadTime, LeadTimes};
use crate::ltd::{self, LevelMap, Spec};
use crate::period::add_days;
use crate::policy::eoq;
use crate::risk::{self, Prior, RiskInput};
use crate::series::SeriesSet;

/// One planned SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// Suggested purchase order number (empty when nothing is ordered).
    pub po_number: String,
    /// SKU code.
    pub sku: String,
    /// SKU index.
    pub sku_index: u32,
    /// Supplier code.
    pub supplier: String,
    /// ABC class by yearly consumption value.
    pub abc: char,
    /// XYZ class by demand variability.
    pub xyz: char,
    /// Demand class of the forecast.
    pub class: &'static str,
    /// Forecast model used.
    pub model: String,
    /// `normal` or `bootstrap`.
    pub method: &'static str,
    /// `cycle` or `fill_rate`.
    pub service_measure: &'static str,
    /// Target in that measure.
    pub service_target: f64,
    /// Units in stock.
    pub on_hand: f64,
    /// Units on open purchase orders.
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
    /// Its standard deviation, in days.
    pub lead_time_sd_days: f64,
    /// `history`, `shrunk` or `planned`.
    pub lead_time_source: &'static str,
    /// SKU receipts measured.
    pub receipts: usize,
    /// Expected demand over the lead time.
    pub lead_time_demand: f64,
    /// Lead time plus review period, in periods.
    pub protection_periods: f64,
    /// Expected demand over the protection interval.
    pub protection_demand: f64,
    /// Its standard deviation.
    pub protection_sd: f64,
    /// Safety factor (z for cycle service, k for fill rate; implied for bootstrap).
    pub safety_factor: f64,
    /// Safety stock in units.
    pub safety_stock: f64,
    /// Reorder point s.
    pub reorder_point: f64,
    /// Order-up-to level S = s + cycle quantity.
    pub order_up_to: f64,
    /// Cycle quantity Q.
    pub cycle_qty: f64,
    /// Minimum order quantity applied.
    pub moq: f64,
    /// Order multiple applied.
    pub order_multiple: f64,
    /// Review period in periods (0 for continuous review).
    pub review_periods: f64,
    /// Economic order quantity, when an order cost is known.
    pub eoq: Option<f64>,
    /// Expected units short per replenishment cycle.
    pub expected_shortage: f64,
    /// Fill rate the policy implies.
    pub expected_fill_rate: f64,
    /// Cycle service level the policy implies.
    pub expected_cycle_service: f64,
    /// Suggested order quantity (0 when none).
    pub order_qty: f64,
    /// Cost per unit.
    pub unit_cost: f64,
    /// order_qty x unit_cost.
    pub order_value: f64,
    /// safety_stock x unit_cost.
    pub safety_stock_value: f64,
    /// Day to order.
    pub order_date: NaiveDate,
    /// Day the order should arrive.
    pub expected_arrival: NaiveDate,
    /// When stock runs out on the mean forecast if nothing is ordered (within the horizon).
    pub projected_stockout: Option<NaiveDate>,
    /// Probability that a new customer order has to wait before an order placed now can
    /// arrive (see [`crate::risk`]), to four significant figures.
    pub stockout_risk: f64,
    /// log10 of the risk (0 certain, -2 one in a hundred), to rank items far from running out.
    pub risk_score: f64,
    /// `model`, `new_item_prior` or `dormant_prior`.
    pub risk_basis: &'static str,
    /// The decision in words.
    pub reason: String,
    /// Policy shape: (R,S), (R,s,S) or (s,nQ).
    pub shape: Shape,
    /// The model's service level the target was planned at after the backtest calibration.
    pub service_level_used: f64,
    /// Order constraints (MOQ, multiple, EOQ).
    pub constraints: Constraints,
    /// The item's share of its target under the portfolio allocation: the service the planning
    /// model gives it at its levels, before the backtest calibration (the target itself when
    /// every item is planned on its own).
    pub service_allocated: f64,
}

/// Reorder point and safety stock of one SKU in one future period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    /// SKU index (a planning key's name is `Dataset::skus`'s).
    pub sku: u32,
    /// Period start.
    pub period_start: NaiveDate,
    /// Mean forecast demand of the period.
    pub demand: f64,
    /// Expected demand over the protection interval starting then.
    pub protection_demand: f64,
    /// Safety stock then.
    pub safety_stock: f64,
    /// Reorder point then.
    pub reorder_point: f64,
    /// Order-up-to level then.
    pub order_up_to: f64,
}

/// One period of the projected inventory of a SKU on the mean forecast, following the
/// policy: the sawtooth a planner expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedPeriod {
    /// Period start.
    pub period_start: NaiveDate,
    /// Units received at the start of the period (open orders, today's proposal, later orders).
    pub receipts: f64,
    /// Units ordered at the start of the period by the policy (today's proposal in period 0).
    pub ordered: f64,
    /// Stock after receipts at the start of the period.
    pub on_hand_start: f64,
    /// Stock at the end of the period, after mean demand (negative: backorders).
    pub on_hand_end: f64,
    /// Safety stock in the period.
    pub safety_stock: f64,
    /// Reorder point in the period.
    pub reorder_point: f64,
}

/// Result of planning a dataset.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One row per item, in SKU code order.
    pub rows: Vec<PlanRow>,
    /// Time-phased rows, per SKU then period.
    pub by_period: Vec<PeriodRow>,
    /// Projected inventory per SKU (same order as `rows`; `plan` keeps only the charted items',
    /// the others are empty).
    pub projections: Vec<Vec<ProjectedPeriod>>,
    /// Lead-time figures.
    pub lead_times: LeadTimes,
    /// The backtest calibration of service levels.
    pub levels: LevelMap,
    /// Open purchase orders per SKU, in the order they are due.
    pub incoming: HashMap<u32, Vec<Incoming>>,
    /// Findings for stderr.
    pub warnings: Vec<String>,
}

/// Units of open backorders per SKU at `as_of`.
pub fn open_backorders(backorders: &[Backorder], as_of: NaiveDate) -> HashMap<u32, f64> {
    let mut out: HashMap<u32, f64> = HashMap::new();
    for b in backorders {
        if b.open_at(as_of) {
            *out.entry(b.sku).or_default() += b.qty;
        }
    }
    out
}

/// ABC class per item by yearly consumption value (demand of the last year of history x unit
/// cost; shorter histories scaled to a year): A until `cuts[0]` of the cumulative value, B
/// until `cuts[1]`, C after.
pub fn abc_classes(values: &[(u32, f64)], cuts: [f64; 2]) -> HashMap<u32, char> {
    let mut v: Vec<(u32, f64)> = values.to_vec();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: f64 = v.iter().map(|x| x.1.max(0.0)).sum();
    let mut cum = 0.0;
    v.into_iter()
        .map(|(s, x)| {
            let share = if total > 0.0 { cum / total } else { 1.0 };
            cum += x.max(0.0);
            let c = if x <= 0.0 {
                'C'
            } else if share < cuts[0] {
                'A'
            } else if share < cuts[1] {
                'B'
            } else {
                'C'
            };
            (s, c)
        })
        .collect()
}

/// XYZ class by the coefficient of variation of demand per period over the last year:
/// X below 0.5, Y below 1, Z otherwise (and without history).
pub fn xyz_class(recent: &[f64]) -> char {
    if recent.is_empty() {
        return 'Z';
    }
    let n = recent.len() as f64;
    let m = recent.iter().sum::<f64>() / n;
    if m <= 0.0 {
        return 'Z';
    }
    let cv = (recent.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt() / m;
    if cv < 0.5 {
        'X'
    } else if cv < 1.0 {
        'Y'
    } else {
        'Z'
    }
}

/// A stable hash of a SKU code, so each SKU's random draws do not depend on the others.
pub(crate) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Rounds to three decimals for output tables.
pub(crate) fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
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

/// What one item is planned with; a what-if scenario may change any of it before planning.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInputs {
    /// ABC class.
    pub abc: char,
    /// Item master data (MOQ, multiple, costs, supplier).
    pub item: Item,
    /// Lead time planned with.
    pub lead_time: LeadTime,
    /// Review period, in periods.
    pub review: f64,
    /// A target forced for this item (else its own, the run's, or its class's).
    pub target: Option<Target>,
}

/// A change to an item's inputs before it is planned (what-if scenarios).
pub type Tweak<'a> = &'a (dyn Fn(&mut ItemInputs) + Sync);

/// Everything an item's plan needs besides its own row of data.
struct Context<'a> {
    ds: &'a Dataset,
    fc: &'a Forecasts,
    set: &'a SeriesSet,
    settings: &'a Settings,
    as_of: NaiveDate,
    onord: &'a HashMap<u32, f64>,
    backs: &'a HashMap<u32, f64>,
    sched: &'a HashMap<u32, Vec<Incoming>>,
    prior: &'a Prior,
    abc: &'a HashMap<u32, char>,
    lead_times: &'a LeadTimes,
    levels: &'a LevelMap,
    tweak: Tweak<'a>,
    /// Targets set by the portfolio allocation, per item, with the service the model gives
    /// there (empty: every item planned for its target on its own).
    assigned: HashMap<u32, (Target, f64)>,
}

fn recent(set: &SeriesSet, sku: u32) -> &[f64] {
    let v = &set.series[sku as usize].values;
    &v[v.len().saturating_sub(set.period.per_year())..]
}

/// The item's inputs after the scenario's changes, and the review period its rule uses.
fn inputs(c: &Context, sku: u32, item: &Item, lt: &LeadTime) -> ItemInputs {
    let mut inp = ItemInputs {
        abc: c.abc.get(&sku).copied().unwrap_or('C'),
        item: item.clone(),
        lead_time: lt.clone(),
        review: c.settings.review_periods,
        target: None,
    };
    (c.tweak)(&mut inp);
    inp
}

/// The rule of a run for an item with review period `review`.
fn rule(policy: Policy, review: f64) -> Rule {
    match policy {
        Policy::Periodic => Rule::Periodic { review },
        Policy::Continuous => Rule::Continuous,
    }
}

/// The target an item is planned for: forced by a scenario, its own, the run's, or its class's.
fn target_of(s: &Settings, inp: &ItemInputs) -> Target {
    if let Some(t) = inp.target {
        return t;
    }
    let v = inp.item.service_level.or(s.service_level).unwrap_or(match inp.abc {
        'A' => s.targets[0],
        'B' => s.targets[1],
        _ => s.targets[2],
    });
    match s.service_measure {
        ServiceMeasure::Cycle => Target::Cycle(v),
        ServiceMeasure::FillRate => Target::FillRate(v),
    }
}

/// Levels for a target through the backtest calibration: a fill-rate target is solved on the
/// model, then the share of lead-time demand its level covers is replaced by the level that
/// covered that share of held-out windows; a cycle target is set on the replenishment-cycle
/// distribution directly. Returns the levels and the model target they were set at.
pub fn calibrated_levels(
    ltd: &Ltd,
    rule: Rule,
    c: &Constraints,
    target: Target,
    map: &LevelMap,
    class: DemandClass,
    group: &str,
) -> (Levels, Target) {
    match target {
        // The cycle distribution already starts each cycle with demand; measured under the
        // generator's true process it keeps a cycle target as it is, and the held-out
        // correction only raised levels beyond it (README, "Plans checked against the truth").
        Target::Cycle(_) => (engine::levels(ltd, rule, c, target), target),
        Target::FillRate(_) | Target::Cover(_) => {
            let raw = engine::levels(ltd, rule, c, target);
            let covered = ltd.cover_cdf(raw.shape, raw.reorder_point);
            let u = map.level(class, group, covered);
            let t = Target::Cover(u);
            let cal = engine::levels(ltd, rule, c, t);
            if u >= covered && cal.reorder_point < raw.reorder_point {
                (raw, Target::Cover(covered))
            } else {
                (cal, t)
            }
        }
    }
}

/// A plan row's policy as the engine's simulations apply it: its time-phased levels and its
/// order rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RowPolicy {
    /// (reorder point, order-up-to level) per period; the last repeats.
    pub levels: Vec<(f64, f64)>,
    /// How it orders.
    pub rule: OrderRule,
}

impl RowPolicy {
    /// The levels in force in period `t`.
    pub fn at(&self, t: usize) -> (f64, f64) {
        self.levels[t.min(self.levels.len().saturating_sub(1))]
    }
}

/// What an item is planned on, before any target: its inputs after the scenario, rule,
/// review, protection interval, demand per period over it, order constraints and the seed of
/// its draws.
struct Setup {
    inp: ItemInputs,
    rule: Rule,
    review: f64,
    p: f64,
    d: f64,
    var_d: f64,
    q_eoq: Option<f64>,
    cons: Constraints,
    spec: Spec,
    /// Mean demand over the protection interval.
    over_mean: f64,
}

fn setup(c: &Context, sku: u32, item: &Item) -> Setup {
    let s = c.settings;
    let i = sku as usize;
    let f = &c.fc.skus[i];
    let inp = inputs(c, sku, item, &c.lead_times.sku[&sku].1);
    let rule = rule(s.policy, inp.review);
    let review = match rule {
        Rule::Periodic { review } => review,
        Rule::Continuous => 0.0,
    };
    let pdays = s.period.days();
    let p = inp.lead_time.mean / pdays + review;
    let over = c.fc.over(i, 0, p);
    let d = if p > 0.0 { over.mean / p } else { f.mean[0] };
    let var_d = if p > 0.0 { over.var / p } else { f.var };
    let per_year = s.period.per_year() as f64;
    let item = &inp.item;
    let order_cost = item.order_cost.filter(|k| *k > 0.0).unwrap_or(s.order_cost);
    let holding = item.holding_rate.unwrap_or(s.holding_rate) * item.unit_cost;
    let q_eoq = (order_cost > 0.0 && holding > 0.0 && d > 0.0).then(|| eoq(d * per_year, order_cost, holding));
    let cons = Constraints { moq: item.moq, multiple: item.order_multiple, eoq: q_eoq };
    let spec = Spec { pdays, review, sims: s.simulations, seed: s.seed ^ fnv(c.ds.skus.name(sku)) };
    Setup { inp, rule, review, p, d, var_d, q_eoq, cons, spec, over_mean: over.mean }
}

/// Points on each item's curve.
const CURVE_POINTS: usize = 14;
/// Draws per item for the curves (the plan itself uses every draw).
const CURVE_DRAWS: usize = 250;
/// The highest service a curve offers.
const CURVE_TOP: f64 = 0.9995;

/// How far below its group's target the portfolio allocation may plan an item, as a share of
/// the target's shortfall: 0.6 puts the floor of a 95% target at 92%. The models of lumpy
/// demand are the ones the truth check found to promise more than they deliver (README,
/// "Plans checked against the truth"), so their items keep more of a cycle-service target
/// (94.25% of 95%); and a fill rate, where one late order of a large size costs many units,
/// is lowered only on smooth items.
fn floor_gap(class: DemandClass, fill: bool) -> f64 {
    match (class, fill) {
        (DemandClass::Smooth, _) => 0.6,
        (_, true) => 0.0,
        (DemandClass::Lumpy, false) => 0.15,
        (_, false) => 0.6,
    }
}

/// A group of items sharing a target: its measure (true for a fill rate) and the target's bits.
type Group = (bool, u64);

/// The multiplier of one group of items in the portfolio allocation ([`crate::allocate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Multiplier {
    /// The group's target is a fill rate (else cycle service).
    pub fill_rate: bool,
    /// The group's target.
    pub target: f64,
    /// The multiplier.
    pub lambda: f64,
}

impl Multiplier {
    /// The group of items it belongs to.
    fn group(&self) -> Group {
        (self.fill_rate, self.target.to_bits())
    }
}

/// An item's curve for the allocation: its group, its floor, the service its grid starts at,
/// and the curve.
struct ItemCurve {
    group: Group,
    floor: f64,
    from: f64,
    curve: Curve,
}

/// Service shares from `from` to the top, evenly spaced in log(1 - service).
fn grid(from: f64) -> impl Iterator<Item = f64> {
    let b = (1.0 - CURVE_TOP).ln();
    let a = (1.0 - from).max(1e-12).ln().max(b);
    (0..CURVE_POINTS).map(move |k| 1.0 - (a + (b - a) * k as f64 / (CURVE_POINTS - 1) as f64).exp())
}

/// The model target of point `k` of a curve whose floor is `floor` and whose grid starts at
/// `from`: the floor itself first (a fill rate as the item alone would be planned for it),
/// then shares of protected demand covered (fill rate) or cycle-service levels.
fn point_target(fill: bool, floor: f64, from: f64, k: usize) -> Target {
    match (fill, k) {
        (true, 0) => Target::FillRate(floor),
        (true, _) => Target::Cover(grid(from).nth(k).unwrap_or(CURVE_TOP)),
        (false, _) => Target::Cycle(grid(from).nth(k).unwrap_or(CURVE_TOP)),
    }
}

/// An item's curve: `None` for items planned for their own target from the item master, and
/// for targets already set on the model.
fn curve(c: &Context, sku: u32, item: &Item) -> Option<ItemCurve> {
    let st = setup(c, sku, item);
    if st.inp.target.is_none() && st.inp.item.service_level.is_some() {
        return None;
    }
    let target = target_of(c.settings, &st.inp);
    let fill = match target {
        Target::Cycle(_) => false,
        Target::FillRate(_) => true,
        Target::Cover(_) => return None,
    };
    let i = sku as usize;
    let t = target.value();
    let floor = t - floor_gap(c.fc.skus[i].class, fill) * (1.0 - t);
    let spec = Spec { sims: st.spec.sims.min(CURVE_DRAWS), ..st.spec };
    let ltd = ltd::model(c.fc, i, 0, &st.inp.lead_time, &spec);
    let lv = |t: Target| engine::levels(&ltd, st.rule, &st.cons, t);
    let (from, weight) = if fill {
        // A fill rate is held as a share of protected demand covered: from the floor's up.
        let f = lv(Target::FillRate(floor));
        (ltd.cover_cdf(f.shape, f.reorder_point), st.d)
    } else {
        let weight = match engine::shape(st.rule, &st.cons, st.d * st.review) {
            // A review orders, and a cycle starts, when its period had demand.
            Shape::RS => {
                let pi = c.fc.skus[i].nonzero_share;
                let pi = if pi > 0.0 { pi } else { 1.0 };
                let r = st.review.max(1.0);
                (1.0 - (1.0 - pi).powf(r)) / r
            }
            _ => st.d / st.cons.eoq.unwrap_or(0.0).max(st.cons.moq).max(st.d.max(1e-9)),
        };
        (floor, weight)
    };
    let mut points: Vec<(f32, f32)> = Vec::with_capacity(CURVE_POINTS);
    for k in 0..CURVE_POINTS {
        let l = lv(point_target(fill, floor, from, k));
        let m = if fill { l.fill_rate } else { l.cycle_service };
        // Both non-decreasing (draws tie).
        let (x0, m0) = points.last().copied().unwrap_or((f32::NEG_INFINITY, f32::NEG_INFINITY));
        points.push(((l.reorder_point as f32).max(x0), (m as f32).max(m0)));
    }
    let weight = if weight.is_finite() { weight.max(0.0) } else { 0.0 };
    Some(ItemCurve { group: (fill, t.to_bits()), floor, from, curve: Curve { weight, points } })
}

/// The curves of `skus`, in their order.
fn curves(c: &Context, skus: &[(&u32, &Item)]) -> Vec<(u32, ItemCurve)> {
    skus.par_iter().filter_map(|(s, it)| curve(c, **s, it).map(|x| (**s, x))).collect()
}

/// Each group's multiplier over `curves`, groups in order: the one `known` has for it (a
/// shard plans with the whole portfolio's), else searched over `curves`.
fn multipliers_of(curves: &[(u32, ItemCurve)], known: &[Multiplier]) -> Vec<Multiplier> {
    let mut groups: Vec<Group> = curves.iter().map(|x| x.1.group).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
        .into_iter()
        .map(|g| {
            if let Some(m) = known.iter().find(|m| m.group() == g) {
                return *m;
            }
            let members: Vec<&Curve> = curves.iter().filter(|x| x.1.group == g).map(|x| &x.1.curve).collect();
            let target = f64::from_bits(g.1);
            Multiplier { fill_rate: g.0, target, lambda: crate::allocate::multiplier(&members, target) }
        })
        .collect()
}

/// The target each item is planned for under the portfolio allocation, with the service the
/// model gives it there; multipliers as in [`multipliers_of`].
fn assign(c: &Context, skus: &[(&u32, &Item)], learned: &[Multiplier]) -> HashMap<u32, (Target, f64)> {
    if c.settings.service_scope == ServiceScope::Item {
        return HashMap::new();
    }
    let curves = curves(c, skus);
    let found = multipliers_of(&curves, learned);
    curves
        .into_iter()
        .map(|(s, x)| {
            let lambda = found.iter().find(|m| m.group() == x.group).map_or(0.0, |m| m.lambda);
            let k = x.curve.choose(lambda);
            (s, (point_target(x.group.0, x.floor, x.from, k), f64::from(x.curve.points[k].1)))
        })
        .collect()
}

/// The portfolio allocation's multipliers over every item of `basis`, for shards to plan with.
pub fn multipliers(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    basis: &Basis,
) -> Vec<Multiplier> {
    if settings.service_scope == ServiceScope::Item {
        return Vec::new();
    }
    let (ctx, skus) = context(ds, fc, set, settings, as_of, basis, &|_| {});
    multipliers_of(&curves(&ctx, &skus), &[])
}

fn plan_item(c: &Context, sku: u32, item: &Item, projected: bool) -> (PlanRow, Vec<PeriodRow>, Vec<ProjectedPeriod>) {
    let s = c.settings;
    let i = sku as usize;
    let f = &c.fc.skus[i];
    let st = setup(c, sku, item);
    let Setup { inp, rule, review, p, d, var_d, q_eoq, cons, spec, over_mean } = st;
    let (abc, item, lt) = (inp.abc, &inp.item, &inp.lead_time);
    let asked = target_of(s, &inp);
    let (target, allocated) = c.assigned.get(&sku).copied().unwrap_or((asked, asked.value()));
    let pdays = s.period.days();
    let l = lt.mean / pdays;
    let on_hand = c.ds.inventory.as_ref().and_then(|m| m.get(&sku)).copied().unwrap_or(0.0);
    let on_order = c.onord.get(&sku).copied().unwrap_or(0.0);
    let backorders = c.backs.get(&sku).copied().unwrap_or(0.0);
    let position = on_hand + on_order - backorders;

    let ltd = ltd::model(c.fc, i, 0, lt, &spec);
    let method = if matches!(ltd, Ltd::Draws(_)) { "bootstrap" } else { "normal" };
    let xyz = xyz_class(recent(c.set, sku));
    let (lv, level) = calibrated_levels(&ltd, rule, &cons, target, c.levels, f.class, &xyz.to_string());

    // Today's order: the engine's rule at today's position.
    let qty = engine::order(position, lv.reorder_point, lv.order_up_to, lv.shape, lv.cycle_qty, &cons);
    let raw = match lv.shape {
        Shape::RS | Shape::RsS => (lv.order_up_to - position).max(0.0),
        Shape::SnQ => qty,
    };

    // Projected stockout on the mean forecast with scheduled receipts only.
    let incoming = c.sched.get(&sku).map(Vec::as_slice).unwrap_or(&[]);
    let projected_stockout = project_stockout(c, i, on_hand - backorders, incoming);
    let due: Vec<(Vec<f64>, f64)> = incoming
        .iter()
        .map(|x| {
            let t = (x.due - c.as_of).num_days() as f64;
            (x.spread.iter().map(|s| (t + s).max(0.0) / pdays).collect(), x.qty)
        })
        .collect();
    let (ln_risk, risk_basis) = risk::ln_risk(
        &RiskInput {
            fc: c.fc,
            i,
            ltd: &ltd,
            net: on_hand - backorders,
            receipts: &due,
            lead: l,
            position,
            no_history: f.model == "none",
        },
        c.prior,
    );
    let (stockout_risk, risk_score) = risk::written(ln_risk);

    let reason = reason(&Reasons {
        position,
        rop: lv.reorder_point,
        up_to: lv.order_up_to,
        target: asked.value(),
        allocated: (target != asked).then_some(allocated),
        measure: asked.measure(),
        abc,
        lead: lt.mean,
        review,
        backorders,
        raw,
        qty,
        item,
        stockout: projected_stockout,
        d,
    });
    let arrival = add_days(c.as_of, lt.mean.round() as i64);
    let row = PlanRow {
        po_number: if qty > 0.0 {
            // One suggested order per supplier and location.
            match crate::ingest::split_key(c.ds.skus.name(sku)).1 {
                "" => format!("PO-{}-{}", c.as_of.format("%Y%m%d"), item.supplier),
                loc => format!("PO-{}-{}-{}", c.as_of.format("%Y%m%d"), item.supplier, loc),
            }
        } else {
            String::new()
        },
        sku: c.ds.skus.name(sku).to_string(),
        sku_index: sku,
        supplier: item.supplier.clone(),
        abc,
        xyz,
        class: f.class.name(),
        model: f.model.clone(),
        method,
        service_measure: asked.measure(),
        service_target: asked.value(),
        on_hand,
        on_order,
        open_backorders: backorders,
        inventory_position: r3(position),
        demand_per_period: r3(d),
        demand_sd_per_period: r3(var_d.sqrt()),
        lead_time_days: r3(lt.mean),
        lead_time_sd_days: r3(lt.sd),
        lead_time_source: lt.source,
        receipts: lt.receipts,
        lead_time_demand: r3(ltd.lead_mean()),
        protection_periods: r3(p),
        protection_demand: r3(ltd.protect_mean()),
        protection_sd: r3(ltd.protect_sd()),
        safety_factor: r3(lv.factor),
        safety_stock: r3(lv.safety_stock),
        reorder_point: r3(lv.reorder_point),
        order_up_to: r3(lv.order_up_to),
        cycle_qty: r3(lv.cycle_qty),
        moq: item.moq,
        order_multiple: item.order_multiple,
        review_periods: review,
        eoq: q_eoq.map(r3),
        expected_shortage: r3(lv.shortage),
        expected_fill_rate: (lv.fill_rate * 10_000.0).round() / 10_000.0,
        expected_cycle_service: (lv.cycle_service * 10_000.0).round() / 10_000.0,
        order_qty: r3(qty),
        unit_cost: item.unit_cost,
        order_value: (qty * item.unit_cost * 100.0).round() / 100.0,
        safety_stock_value: (lv.safety_stock * item.unit_cost * 100.0).round() / 100.0,
        order_date: c.as_of,
        expected_arrival: arrival,
        projected_stockout,
        stockout_risk,
        risk_score,
        risk_basis,
        reason,
        shape: lv.shape,
        service_level_used: (level.value() * 10_000.0).round() / 10_000.0,
        constraints: cons,
        service_allocated: (allocated * 10_000.0).round() / 10_000.0,
    };

    // Time-phased: the same rule and model level on each future period's forecast. Draws are
    // scaled by the period's demand against today's; a flat forecast scales them by 1 in every
    // period, so the levels of the last scale are kept and reused while it repeats.
    let base = over_mean;
    let mut last: Option<(f64, f64, engine::Levels)> = None;
    let mut periods: Vec<PeriodRow> = Vec::with_capacity(s.horizon);
    for t in 0..s.horizon {
        let o = c.fc.over(i, t, p);
        let (protect, lv_t) = match &ltd {
            Ltd::Draws(_) => {
                let k = if base > 0.0 { o.mean / base } else { 1.0 };
                match last {
                    Some((k0, protect, lv)) if k0 == k => (protect, lv),
                    _ => {
                        let lt_t = ltd.scaled(k);
                        let got = (lt_t.protect_mean(), engine::levels(&lt_t, rule, &cons, level));
                        last = Some((k, got.0, got.1));
                        got
                    }
                }
            }
            Ltd::Normal(_) => {
                let lt_t = ltd::model(c.fc, i, t, lt, &spec);
                (lt_t.protect_mean(), engine::levels(&lt_t, rule, &cons, level))
            }
        };
        periods.push(PeriodRow {
            sku,
            period_start: c.set.future_start(t),
            demand: r3(f.mean[t]),
            protection_demand: r3(protect),
            safety_stock: r3(lv_t.safety_stock),
            reorder_point: r3(lv_t.reorder_point),
            order_up_to: r3(lv_t.order_up_to),
        });
    }
    let projection = if projected { project(c, i, &row, &periods, incoming, l) } else { Vec::new() };
    (row, periods, projection)
}

/// Projects stock period by period on the mean forecast through the engine's stock-flow loop:
/// open orders arrive when due, and at each review the policy orders by its rule (today's
/// review gives today's proposal), arriving after the lead time.
fn project(
    c: &Context,
    i: usize,
    row: &PlanRow,
    periods: &[PeriodRow],
    scheduled: &[Incoming],
    lead_periods: f64,
) -> Vec<ProjectedPeriod> {
    let f = &c.fc.skus[i];
    let open: Vec<(usize, f64)> = scheduled
        .iter()
        .map(|x| ((c.settings.period.index(x.due) - c.set.horizon_start()).max(0) as usize, x.qty))
        .collect();
    let policy = row.policy(periods);
    let mut flow = Flow::new(row.on_hand - row.open_backorders, &open);
    let lag = lead_periods.round() as usize;
    let mut out = Vec::with_capacity(periods.len());
    engine::run(
        &mut flow,
        0..periods.len(),
        row.review_ticks(),
        &policy.rule,
        |t| policy.at(t),
        |_| lag,
        |t| f.mean[t],
        |t, k| {
            out.push(ProjectedPeriod {
                period_start: periods[t].period_start,
                receipts: k.received,
                ordered: k.ordered,
                on_hand_start: r3(k.start),
                on_hand_end: r3(k.end),
                safety_stock: periods[t].safety_stock,
                reorder_point: periods[t].reorder_point,
            })
        },
    );
    out
}

impl PlanRow {
    /// The row's policy with time-phased levels `periods` (today's levels when empty).
    pub fn policy(&self, periods: &[PeriodRow]) -> RowPolicy {
        let mut levels: Vec<(f64, f64)> = periods.iter().map(|p| (p.reorder_point, p.order_up_to)).collect();
        if levels.is_empty() {
            levels.push((self.reorder_point, self.order_up_to));
        }
        // Period 0 is today: the row's own levels, so simulations start with today's decision.
        levels[0] = (self.reorder_point, self.order_up_to);
        RowPolicy { levels, rule: OrderRule { shape: self.shape, q: self.cycle_qty, constraints: self.constraints } }
    }

    /// Review every this many periods (1 for continuous review).
    pub fn review_ticks(&self) -> usize {
        self.review_periods.max(1.0).round() as usize
    }
}
/// First day the mean forecast takes the projected available stock below zero, with open
/// purchase orders received when due; `None` when it lasts the horizon.
fn project_stockout(c: &Context, i: usize, start: f64, receipts: &[Incoming]) -> Option<NaiveDate> {
    if start < 0.0 {
        return Some(c.as_of);
    }
    let f = &c.fc.skus[i];
    let mut avail = start;
    for t in 0..f.mean.len() {
        let from = c.set.future_start(t).max(c.as_of);
        let to = c.set.future_start(t + 1);
        avail += receipts.iter().filter(|x| x.due >= from && x.due < to).map(|x| x.qty).sum::<f64>();
        let demand = f.mean[t];
        if demand > avail && demand > 0.0 {
            let days = (to - from).num_days() as f64;
            return Some(add_days(from, (days * avail.max(0.0) / demand).floor() as i64));
        }
        avail -= demand;
    }
    None
}

struct Reasons<'a> {
    position: f64,
    rop: f64,
    up_to: f64,
    target: f64,
    /// The item's share of the target, when the portfolio allocation gives it another.
    allocated: Option<f64>,
    measure: &'static str,
    abc: char,
    lead: f64,
    review: f64,
    backorders: f64,
    raw: f64,
    qty: f64,
    item: &'a Item,
    stockout: Option<NaiveDate>,
    d: f64,
}

fn reason(r: &Reasons) -> String {
    let target = format!(
        "{:.1}% {} target{}, class {}",
        r.target * 100.0,
        if r.measure == "cycle" { "cycle-service" } else { "fill-rate" },
        r.allocated.map_or(String::new(), |a| format!(" across its items, {:.1}% for this one", a * 100.0)),
        r.abc
    );
    if r.d <= 0.0 && r.qty <= 0.0 {
        return "no demand forecast: nothing to order".into();
    }
    if r.d <= 0.0 {
        let mut s = format!(
            "no demand forecast, but position {} leaves {} units of open backorders uncovered: order the shortfall",
            fmt(r.position),
            fmt(-r.position)
        );
        if r.item.moq > r.raw {
            s.push_str(&format!("; raised to MOQ {}", fmt(r.item.moq)));
        }
        if r.item.order_multiple > 1.0 && r.qty > r.raw.max(r.item.moq) + 1e-9 {
            s.push_str(&format!("; rounded up to a multiple of {}", fmt(r.item.order_multiple)));
        }
        return s;
    }
    if r.qty <= 0.0 {
        let mut s = format!("position {} is above reorder point {} ({target})", fmt(r.position), fmt(r.rop));
        if let Some(d) = r.stockout {
            s.push_str(&format!("; on the forecast stock runs out around {d}"));
        }
        return s;
    }
    let mut s = format!(
        "position {} is at or below reorder point {} ({target}, {:.1} days lead time{})",
        fmt(r.position),
        fmt(r.rop),
        r.lead,
        if r.review > 0.0 { format!(" + {} review", fmt(r.review)) } else { String::new() }
    );
    s.push_str(&format!("; order up to {}", fmt(r.up_to)));
    if r.backorders > 0.0 {
        s.push_str(&format!("; {} units of open backorders served first", fmt(r.backorders)));
    }
    if r.item.moq > r.raw {
        s.push_str(&format!("; raised to MOQ {}", fmt(r.item.moq)));
    }
    if r.item.order_multiple > 1.0 && r.qty > r.raw.max(r.item.moq) + 1e-9 {
        s.push_str(&format!("; rounded up to a multiple of {}", fmt(r.item.order_multiple)));
    }
    if let Some(d) = r.stockout {
        s.push_str(&format!("; without it stock runs out around {d}"));
    }
    s
}

/// Yearly consumption value per item: demand of the last year of history in `set` (a shorter
/// history scaled to a year) x unit cost.
pub fn consumption_values(ds: &Dataset, set: &SeriesSet) -> HashMap<u32, f64> {
    let per_year = set.period.per_year() as f64;
    ds.items
        .iter()
        .flatten()
        .map(|(&s, it)| {
            let r = recent(set, s);
            let yearly = if r.is_empty() { 0.0 } else { r.iter().sum::<f64>() * per_year / r.len() as f64 };
            (s, yearly * it.unit_cost)
        })
        .collect()
}

/// ABC classes of the items of `ds` by yearly consumption value from the history in `set`.
pub fn abc_of(ds: &Dataset, set: &SeriesSet, settings: &Settings) -> HashMap<u32, char> {
    let values: Vec<(u32, f64)> = consumption_values(ds, set).into_iter().collect();
    abc_classes(&values, settings.abc_cuts)
}

/// Plans every item of `ds` from its forecast.
pub fn plan(ds: &Dataset, fc: &Forecasts, set: &SeriesSet, settings: &Settings, as_of: NaiveDate) -> Plan {
    plan_with(ds, fc, set, settings, as_of, &|_| {})
}

/// Plans every item, with `tweak` changing each item's inputs first (what-if scenarios).
pub fn plan_with(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    tweak: Tweak,
) -> Plan {
    plan_some(ds, fc, set, settings, as_of, Part { tweak, ..Part::ALL })
}

/// What the whole portfolio teaches each item's plan: ABC classes (by every item's value),
/// the backtest calibration of service levels and the priors of items without recent sales.
/// Learned once on every item, it plans any subset (a shard) as a run over all would.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Learned {
    /// ABC class per item (C when absent).
    pub abc: HashMap<u32, char>,
    /// The backtest calibration of service levels.
    pub levels: LevelMap,
    /// The priors of new and dormant items.
    pub prior: Prior,
    /// The portfolio allocation's multipliers over every item (a shard's plan uses them; a
    /// single run finds its own, the same).
    pub multipliers: Vec<Multiplier>,
}

/// Learns from every item, with every item's lead times `lts` (as [`crate::leadtime::lead_times`] measures
/// them), what [`plan_some`] plans a shard with.
pub fn learn(ds: &Dataset, fc: &Forecasts, set: &SeriesSet, settings: &Settings, lts: &LeadTimes) -> Learned {
    let empty = HashMap::new();
    learn_from(ds, fc, set, settings, ds.items.as_ref().unwrap_or(&empty), lts, &|_| true)
}

/// ABC classes from every item; the service-level calibration and priors from the kept
/// `items` with their lead times `lts`.
fn learn_from(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    items: &HashMap<u32, Item>,
    lts: &LeadTimes,
    keep: &(dyn Fn(u32) -> bool + Sync),
) -> Learned {
    // The backtest calibration, each SKU's held-out window taken over its own L + R.
    let review = match settings.policy {
        Policy::Periodic => settings.review_periods,
        Policy::Continuous => 0.0,
    };
    let mut cal_items = vec![None; fc.skus.len()];
    for (s, (_, lt)) in lts.sku.iter().filter(|x| keep(*x.0)) {
        if let Some(x) = cal_items.get_mut(*s as usize) {
            *x = Some((lt, xyz_class(recent(set, *s)).to_string()));
        }
    }
    let pdays = settings.period.days();
    Learned {
        abc: abc_of(ds, set, settings),
        levels: ltd::calibrate(fc, &cal_items, review, pdays, settings.seed),
        prior: risk::prior(set, |s| items.get(&s).map(|_| lts.sku.get(&s).map_or(0.0, |x| x.1.mean) / pdays)),
        multipliers: Vec::new(),
    }
}

/// Items planned between two progress reports.
const PROGRESS_EVERY: usize = 250;

/// Which items a plan covers, and how.
#[derive(Clone, Copy)]
pub struct Part<'a> {
    /// A change to each item's inputs before it is planned (what-if scenarios).
    pub tweak: Tweak<'a>,
    /// The items planned: a sample, for the service trade-off curve, or a shard.
    pub keep: &'a (dyn Fn(u32) -> bool + Sync),
    /// What the whole portfolio taught, for a shard; without it, ABC classes come from every
    /// item and the service-level calibration and priors from the kept ones.
    pub learned: Option<&'a Learned>,
    /// Told (items planned, items to plan) as the planning goes.
    pub done: &'a (dyn Fn(usize, usize) + Sync),
    /// The items that keep their stock projection, chosen from every item's row (`None`:
    /// every item): a million items' projections take most of a gigabyte.
    pub projected: Option<Projected<'a>>,
}

/// Chooses, from every planned item's row, the items whose stock projection is kept.
pub type Projected<'a> = &'a (dyn Fn(&[PlanRow]) -> std::collections::HashSet<u32> + Sync);

impl Part<'static> {
    /// Every item, as it is.
    pub const ALL: Part<'static> =
        Part { tweak: &|_| {}, keep: &|_| true, learned: None, done: &|_, _| {}, projected: None };
}

/// What planning a part of the portfolio starts from, whatever its targets: the kept items,
/// their lead times (suppliers' from every receipt), what is on order, open backorders,
/// scheduled receipts and what the portfolio taught.
pub struct Basis {
    /// The kept items, when not every item is kept (`None`: every item of the dataset).
    sample: Option<HashMap<u32, Item>>,
    lead_times: LeadTimes,
    onord: HashMap<u32, f64>,
    backs: HashMap<u32, f64>,
    sched: HashMap<u32, Vec<Incoming>>,
    learned: Learned,
    /// No items, for a dataset without an item file.
    no_items: HashMap<u32, Item>,
}

impl Basis {
    /// The basis of the items `keep` holds; `learned` as in [`Part`]. What it learns depends
    /// on the settings' period, review, policy, seed and ABC cuts, not on service targets.
    /// `lead_times`, when given, are the kept items' as [`crate::leadtime::lead_times`] measures them at `as_of`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ds: &Dataset,
        fc: &Forecasts,
        set: &SeriesSet,
        settings: &Settings,
        as_of: NaiveDate,
        keep: &(dyn Fn(u32) -> bool + Sync),
        learned: Option<&Learned>,
        lead_times: Option<LeadTimes>,
    ) -> Basis {
        let empty = HashMap::new();
        let all = ds.items.as_ref().unwrap_or(&empty);
        let sample: Option<HashMap<u32, Item>> = all
            .keys()
            .any(|k| !keep(*k))
            .then(|| all.iter().filter(|x| keep(*x.0)).map(|(k, v)| (*k, v.clone())).collect());
        let items = sample.as_ref().unwrap_or(all);
        let pos = ds.purchase_orders.as_deref().unwrap_or(&[]);
        let lts = lead_times.unwrap_or_else(|| crate::leadtime::lead_times(items, pos, as_of));
        let learned = match learned {
            Some(l) => l.clone(),
            None => learn_from(ds, fc, set, settings, items, &lts, keep),
        };
        let sched = scheduled_receipts(
            pos,
            as_of,
            |s| lts.sku.get(&s).map_or((0.0, 0.0), |x| (x.1.mean, x.1.sd)),
            |sup| lts.supplier.get(sup),
        );
        Basis {
            sample,
            onord: on_order(pos, as_of),
            backs: open_backorders(ds.backorders.as_deref().unwrap_or(&[]), as_of),
            sched,
            lead_times: lts,
            learned,
            no_items: HashMap::new(),
        }
    }
}

/// Plans the items of `part`. Suppliers' lead times always come from every receipt.
pub fn plan_some(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    part: Part,
) -> Plan {
    plan_some_with(ds, fc, set, settings, as_of, part, None)
}

/// [`plan_some`] with the kept items' lead times when they are already measured.
pub fn plan_some_with(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    part: Part,
    lead_times: Option<LeadTimes>,
) -> Plan {
    let basis = Basis::new(ds, fc, set, settings, as_of, part.keep, part.learned, lead_times);
    let (rows, by_period, projections) =
        plan_on(ds, fc, set, settings, as_of, &basis, part.tweak, part.done, part.projected);
    let mut warnings = basis.lead_times.warnings.clone();
    let no_history: Vec<&str> = rows.iter().filter(|r| r.model == "none").map(|r| r.sku.as_str()).collect();
    if !no_history.is_empty() {
        warnings.push(format!(
            "{} item(s) have no sales before the as-of date (demand taken as 0): {}",
            no_history.len(),
            crate::ingest::list_some(&no_history)
        ));
    }
    let Basis { lead_times, sched: incoming, learned, .. } = basis;
    Plan { rows, by_period, projections, lead_times, levels: learned.levels, incoming, warnings }
}

/// What every item of `basis` is planned with, and those items in SKU order.
fn context<'a>(
    ds: &'a Dataset,
    fc: &'a Forecasts,
    set: &'a SeriesSet,
    settings: &'a Settings,
    as_of: NaiveDate,
    basis: &'a Basis,
    tweak: Tweak<'a>,
) -> (Context<'a>, Vec<(&'a u32, &'a Item)>) {
    let items = match (&basis.sample, &ds.items) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => &basis.no_items,
    };
    let ctx = Context {
        ds,
        fc,
        set,
        settings,
        as_of,
        onord: &basis.onord,
        backs: &basis.backs,
        sched: &basis.sched,
        prior: &basis.learned.prior,
        abc: &basis.learned.abc,
        lead_times: &basis.lead_times,
        levels: &basis.learned.levels,
        tweak,
        assigned: HashMap::new(),
    };
    let mut skus: Vec<(&u32, &Item)> = items.iter().collect();
    skus.sort_by(|a, b| ds.skus.name(*a.0).cmp(ds.skus.name(*b.0)));
    (ctx, skus)
}

/// Rows, time-phased rows and projections of the items of `basis` (the ones it kept), each
/// changed by `tweak`; `done` as in [`Part`].
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn plan_on(
    ds: &Dataset,
    fc: &Forecasts,
    set: &SeriesSet,
    settings: &Settings,
    as_of: NaiveDate,
    basis: &Basis,
    tweak: Tweak,
    done: &(dyn Fn(usize, usize) + Sync),
    projected: Option<Projected>,
) -> (Vec<PlanRow>, Vec<PeriodRow>, Vec<Vec<ProjectedPeriod>>) {
    let (ctx, skus) = context(ds, fc, set, settings, as_of, basis, tweak);
    let ctx = Context { assigned: assign(&ctx, &skus, &basis.learned.multipliers), ..ctx };
    let (count, total) = (std::sync::atomic::AtomicUsize::new(0), skus.len());
    // The rows go straight to their own table, in order (a million of them are 1 GB, held
    // once), the time-phased rows and projections of each item beside them.
    let (rows, per_item): (Vec<PlanRow>, Vec<(Vec<PeriodRow>, Vec<ProjectedPeriod>)>) = skus
        .par_iter()
        .map(|(s, it)| {
            let (row, periods, projection) = plan_item(&ctx, **s, it, projected.is_none());
            let n = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n % PROGRESS_EVERY == 0 || n == total {
                done(n, total);
            }
            (row, (periods, projection))
        })
        .unzip();
    // Sized at once: a million items have tens of millions of time-phased rows.
    let mut by_period = Vec::with_capacity(per_item.iter().map(|x| x.0.len()).sum());
    let mut projections = Vec::with_capacity(per_item.len());
    for (p, j) in per_item {
        by_period.extend(p);
        projections.push(j);
    }
    // The chosen items are planned again, for their projections (the same plan: every draw
    // is seeded by the item).
    if let Some(choose) = projected {
        let chosen = choose(&rows);
        for (k, (s, it)) in skus.iter().enumerate() {
            if chosen.contains(*s) {
                projections[k] = plan_item(&ctx, **s, it, true).2;
            }
        }
    }
    (rows, by_period, projections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_by_cumulative_value() {
        let v = vec![(0, 700.0), (1, 150.0), (2, 100.0), (3, 50.0), (4, 0.0)];
        let c = abc_classes(&v, [0.8, 0.95]);
        // Cumulative shares before each: 0, 0.70, 0.85, 0.95.
        assert_eq!((c[&0], c[&1], c[&2], c[&3], c[&4]), ('A', 'A', 'B', 'C', 'C'));
    }

    #[test]
    fn xyz_by_variability() {
        assert_eq!(xyz_class(&[10.0, 11.0, 9.0, 10.0]), 'X');
        assert_eq!(xyz_class(&[0.0, 0.0, 30.0, 0.0]), 'Z');
        assert_eq!(xyz_class(&[]), 'Z');
    }

    fn forecast(class: DemandClass, mean: f64, var: f64, sizes: Option<(f64, f64, f64)>) -> Forecasts {
        let f = crate::forecast::SkuForecast {
            model: "x".into(),
            class,
            mean: vec![mean; 6],
            var,
            lift: Vec::new(),
            discrete: true,
            backtest_rmsse: None,
            history: 52,
            outliers: 0,
            sizes,
            nonzero_share: sizes.map_or(1.0, |s| s.0),
            holdout: None,
        };
        Forecasts { skus: vec![f], calibration: Default::default() }
    }

    fn fixed(cases: u32) -> proptest::prelude::ProptestConfig {
        proptest::prelude::ProptestConfig {
            cases,
            rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_127),
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        }
    }

    proptest::proptest! {
        #![proptest_config(fixed(64))]

        /// Normal method: safety stock and both levels never fall when the target, the lead
        /// time or either variability rises.
        #[test]
        fn normal_policy_is_monotone(
            d in 0.1f64..200.0, sd_d in 0.0f64..100.0, l in 0.0f64..20.0, sd_l in 0.0f64..5.0,
            t in 0.5f64..0.99, dt in 0.0f64..0.009, dl in 0.0f64..5.0, dsd in 0.0f64..3.0,
            fill in proptest::bool::ANY, moq in 0.0f64..300.0,
        ) {
            let target = |t: f64| if fill { Target::FillRate(t) } else { Target::Cycle(t) };
            let c = Constraints { moq, multiple: 1.0, eoq: None };
            let run = |t: f64, l: f64, sd_d: f64, sd_l: f64| {
                let ltd = Ltd::Normal(crate::engine::NormalLtd::from_rates(d, sd_d, l, sd_l, 1.0, 1.0));
                engine::levels(&ltd, Rule::Periodic { review: 1.0 }, &c, target(t))
            };
            let base = run(t, l, sd_d, sd_l);
            for more in [run(t + dt, l, sd_d, sd_l), run(t, l + dl, sd_d, sd_l), run(t, l, sd_d + dsd, sd_l), run(t, l, sd_d, sd_l + dsd)] {
                proptest::prop_assert!(more.reorder_point >= base.reorder_point - 1e-6);
                proptest::prop_assert!(more.order_up_to >= base.order_up_to - 1e-6);
            }
            proptest::prop_assert!(run(t + dt, l, sd_d, sd_l).safety_stock >= base.safety_stock - 1e-6);
        }

        /// Draws (intermittent demand): the same for the target and the lead time, on common
        /// random numbers.
        #[test]
        fn draw_policy_is_monotone(
            t in 0.5f64..0.98, dt in 0.0f64..0.019, l in 0.0f64..30.0, dl in 0.0f64..10.0, sd in 0.0f64..5.0,
        ) {
            let fc = forecast(DemandClass::Lumpy, 1.5, 9.0, Some((0.3, 5.0, 20.0)));
            let run = |t: f64, l: f64| {
                let lt = LeadTime { mean: l, sd, receipts: 0, source: "planned", samples: Default::default() };
                let spec = Spec { pdays: 7.0, review: 1.0, sims: 400, seed: 11 };
                let ltd = ltd::model(&fc, 0, 0, &lt, &spec);
                engine::levels(&ltd, Rule::Periodic { review: 1.0 }, &Constraints::default(), Target::Cycle(t))
            };
            let base = run(t, l);
            for more in [run(t + dt, l), run(t, l + dl)] {
                proptest::prop_assert!(more.reorder_point >= base.reorder_point - 1e-9);
            }
            proptest::prop_assert!(run(t + dt, l).safety_stock >= base.safety_stock - 1e-9);
        }

        /// Every order is at least the MOQ and a whole number of order multiples.
        #[test]
        fn orders_respect_moq_and_multiple(raw in 0.001f64..10_000.0, moq in 0.0f64..500.0, mult in 1u32..48) {
            let m = f64::from(mult);
            let q = crate::policy::round_order(raw, moq, m);
            proptest::prop_assert!(q >= moq && q >= raw - 1e-9);
            proptest::prop_assert!(((q / m) - (q / m).round()).abs() < 1e-9);
        }
    }

    /// `calc` and `plan` run the same engine: for the same inputs they give the same s, S and
    /// safety stock.
    #[test]
    fn calc_and_plan_agree() {
        let (d, var, lt_days, lt_sd_days) = (12.0, 30.0, 17.5, 3.0);
        let mut fc = forecast(DemandClass::Smooth, d, var, None);
        fc.skus[0].discrete = false;
        let lt =
            LeadTime { mean: lt_days, sd: lt_sd_days, receipts: 8, source: "history", samples: Default::default() };
        for (target, review, rule) in [
            (Target::Cycle(0.95), Some(1.0), Rule::Periodic { review: 1.0 }),
            (Target::Cycle(0.9), None, Rule::Continuous),
            (Target::FillRate(0.98), Some(2.0), Rule::Periodic { review: 2.0 }),
        ] {
            let r = review.unwrap_or(0.0);
            let spec = Spec { pdays: 7.0, review: r, sims: 100, seed: 1 };
            let ltd = ltd::model(&fc, 0, 0, &lt, &spec);
            let c = Constraints { moq: 0.0, multiple: 0.0, eoq: None };
            let (planned, _) =
                calibrated_levels(&ltd, rule, &c, target, &LevelMap::default(), DemandClass::Smooth, "X");
            let calc = crate::calc::compute(&crate::calc::CalcInput {
                demand_mean: d,
                demand_sd: var.sqrt(),
                lead_time: lt_days / 7.0,
                lead_time_sd: lt_sd_days / 7.0,
                review,
                target,
                order_qty: None,
                order_cost: None,
                holding_cost: None,
                annual_demand: None,
            })
            .unwrap();
            let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
            assert!(close(calc.reorder_point, planned.reorder_point), "{target:?}: {calc:?} vs {planned:?}");
            assert!(close(calc.safety_stock, planned.safety_stock), "{target:?}: {calc:?} vs {planned:?}");
            if let Some(s) = calc.order_up_to {
                assert!(close(s, planned.order_up_to), "{target:?}: {calc:?} vs {planned:?}");
            }
        }
    }

    #[test]
    fn cycle_draws_of_poisson_demand_match_the_exact_quantile() {
        // Zero lead time, one review period of Poisson(4) demand. A cycle starts with demand:
        // P(X <= k | X > 0) = (P(X <= k) - e^-4) / (1 - e^-4); its 95% quantile is 8
        // (P(X <= 7 | X > 0) = 0.9480, P(X <= 8 | X > 0) = 0.9782).
        let fc = forecast(DemandClass::Intermittent, 4.0, 4.0, None);
        let lt = LeadTime { mean: 0.0, sd: 0.0, receipts: 0, source: "planned", samples: Default::default() };
        let spec = Spec { pdays: 7.0, review: 1.0, sims: 20_000, seed: 3 };
        let Ltd::Draws(d) = ltd::model(&fc, 0, 0, &lt, &spec) else { panic!("intermittent items use draws") };
        let ltd = Ltd::Draws(d);
        let lv = engine::levels(&ltd, Rule::Periodic { review: 1.0 }, &Constraints::default(), Target::Cycle(0.95));
        assert_eq!(lv.reorder_point, 8.0);
        assert!((ltd.protect_mean() - 4.0).abs() < 0.05);
        // Unconditional shortage per period at S = 8: E[(X - 8)+] (poisson_loss), with no lead time.
        assert!((lv.shortage - crate::policy::poisson_loss(8.0, 4.0)).abs() < 0.01, "{lv:?}");
    }

    #[test]
    fn a_part_of_a_period_has_variance_linear_in_its_length() {
        // Lead time of half a week of Poisson(4) weekly demand: mean 2, and variance
        // E[X^2]/2 - 4 = 10 - 4 = 6 (the whole week's demand with probability 1/2), not 4/4.
        let fc = forecast(DemandClass::Intermittent, 4.0, 4.0, None);
        let lt = LeadTime { mean: 3.5, sd: 0.0, receipts: 0, source: "planned", samples: Default::default() };
        let spec = Spec { pdays: 7.0, review: 1.0, sims: 40_000, seed: 5 };
        let Ltd::Draws(d) = ltd::model(&fc, 0, 0, &lt, &spec) else { panic!("draws") };
        let n = d.lead.len() as f64;
        let m = d.lead.iter().sum::<f64>() / n;
        let v = d.lead.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        assert!((m - 2.0).abs() < 0.05, "{m}");
        assert!((v - 6.0).abs() < 0.25, "{v}");
    }
}
