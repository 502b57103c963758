"""The graph is vectorised: its size does not grow with the number of reports."""

import datetime as dt
import warnings

import numpy as np
import pymc as pm
import pytensor
import pytest

try:  # PyTensor moved graph walks to a module of their own
    from pytensor.graph.traversal import applys_between, graph_inputs
except ImportError:  # pragma: no cover - older PyTensor
    from pytensor.graph.basic import applys_between, graph_inputs

import estimator as est
from estimator.fit import DEFAULT_AGGREGATES
from estimator.model.build import build_model
from estimator.model.spec import build_spec
from estimator.reports import validate


def graph_size(n_reports, temporal):
    sim = est.simulate(n_reports=n_reports, temporal=temporal, random_seed=1)
    with warnings.catch_warnings():
        # 900 undated reports of 6 sources, rounded: some come out identical, and are counted once
        warnings.simplefilter("ignore", est.ReportWarning)
        clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    start = sim.start or None
    as_of = sim.as_of or None
    spec = build_spec(clean, sim.sources, temporal=temporal, start=start, as_of=as_of)
    model = build_model(spec).model
    logp = model.logp()
    return len(model.free_RVs), len(list(applys_between(graph_inputs([logp]), [logp])))


@pytest.mark.parametrize("centre_min", [0.0, 2.0])  # the walk in cosine modes, or as summed steps
def test_graph_does_not_grow_with_reports(monkeypatch, centre_min):
    import estimator.model.build as build

    monkeypatch.setattr(build, "WALK_CENTRE_MIN", centre_min)
    # Every kind appears in both data sets, so the same terms exist.
    for temporal in (False, True):
        small = graph_size(90, temporal)
        large = graph_size(900, temporal)
        assert small == large, (temporal, small, large)


def test_spec_indexes_each_report_once():
    sim = est.simulate(n_reports=30, temporal=True, random_seed=2)
    clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    spec = build_spec(clean, sim.sources, temporal=True, start=sim.start, as_of=sim.as_of)
    assert spec.membership.shape == (30, len(spec.leaves))
    assert (spec.membership.sum(axis=1) >= 1).all()
    assert spec.n_knots == 53 and spec.start == dt.date(2022, 1, 1)
    built = build_model(spec)
    assert sorted(built.order) == list(range(30))


def test_window_reports_observe_the_difference_of_cumulative_truth():
    reports = [
        est.Report(source="A", party="P", category="killed", date="2022-03-01", kind="exact", value=600),
        est.Report(
            source="A",
            party="P",
            category="killed",
            date="2022-03-01",
            since="2022-02-01",
            kind="exact",
            value=300,
        ),
        est.Report(source="A", party="P", category="casualties", date="2022-02-15", kind="exact", value=900),
    ]
    clean = validate(reports, aggregates=DEFAULT_AGGREGATES)
    spec = build_spec(clean, [], temporal=True, start=dt.date(2022, 1, 1), as_of=dt.date(2022, 3, 1))
    built = build_model(spec)
    model = built.model
    free = model.free_RVs
    fn = pytensor.function(free, [built.eta, model["log_rate"]], on_unused_input="ignore")
    rng = np.random.default_rng(0)
    start = model.initial_point()
    args = []
    for v in free:
        shape = start[model.rvs_to_values[v].name].shape
        fixed = {"tau": 0.05, "level": 1.5}
        args.append(
            rng.normal(size=shape)
            if v.name in ("z_walk", "steps")
            else np.full(shape, fixed.get(v.name, 0.0))
        )
    eta_sorted, log_rate = fn(*args)
    eta = np.empty(3)
    eta[built.order] = eta_sorted
    rate = np.exp(log_rate)  # (leaf, knot)
    kd = spec.knot_days

    def cumulative(leaf, day):
        k = min(int(day // kd), spec.n_knots - 1)
        return rate[leaf, :k].sum() * kd + rate[leaf, k] * (day - k * kd)

    killed = spec.leaves.index(("P", "killed"))
    # Offsets (biases) are 0 at the initial point, so eta is the log of the truth it observes.
    assert eta[0] == pytest.approx(np.log(cumulative(killed, 59)), rel=1e-9)
    assert eta[1] == pytest.approx(np.log(cumulative(killed, 59) - cumulative(killed, 31)), rel=1e-9)
    total = sum(cumulative(i, 45) for i in range(len(spec.leaves)))
    assert eta[2] == pytest.approx(np.log(total), rel=1e-9)


def test_numpy_cumulative_truth_matches_the_model_graph():
    from estimator.model.build import _truth_at
    from estimator.model.timeline import cumulative_at

    rng = np.random.default_rng(3)
    rate = np.exp(rng.normal(size=(3, 6)))  # (leaf, knot)
    kd = 7.0
    cum = np.concatenate([np.zeros((3, 1)), np.cumsum(rate * kd, axis=1)], axis=1)
    t = np.array([0.0, 3.5, 7.0, 20.0, 41.0, 55.0])  # the last is past the final knot
    graph = _truth_at(pytensor.shared(cum), pytensor.shared(rate), pytensor.shared(t), kd, 6).eval()
    np.testing.assert_allclose(cumulative_at(rate, t, kd).T, graph, rtol=1e-12)
    # Day 0 is zero; a rate of 1 per day throughout gives the day count.
    np.testing.assert_allclose(cumulative_at(np.ones(4), [0, 10, 27.5], 7), [0, 10, 27.5])


def test_walk_basis_is_the_centred_random_walk():
    from estimator.model.timeline import walk_basis

    for k in (2, 5, 53):
        basis = walk_basis(k)
        steps = np.tril(np.ones((k, k)))  # the walk is the cumulative sum of its steps
        centre = np.eye(k) - 1.0 / k
        np.testing.assert_allclose(basis.T @ basis, centre @ steps @ steps.T @ centre, atol=1e-9)


# Reports about three leaves (0 and 2 share a walk) as (report, leaf, day, sign) pairs: a
# cumulative figure, a window, an aggregate of two leaves of one walk, a late figure, and a
# report left out of the fit (sd infinite).
WALK_RATE = np.array([3.0, 0.5, 8.0])
WALK_GROUP = np.array([0, 1, 0])
WALK_PAIRS = np.array(
    [
        [0, 0, 30.0, 1],
        [1, 1, 60.0, 1],
        [1, 1, 20.0, -1],
        [2, 0, 45.5, 1],
        [2, 2, 45.5, 1],
        [3, 2, 80.0, 1],
        [4, 0, 9.0, 1],
    ]
)
WALK_SD = np.array([0.2, 0.5, 0.3, 0.4, np.inf])


def _walk_pairs():
    p = WALK_PAIRS
    return p[:, 0].astype(int), p[:, 1].astype(int), p[:, 2], p[:, 3]


def _walk_log_counts(log_rate, kd):
    """Each report's log count when each walk's log rate is moved by ``log_rate`` (walk, knot)."""
    from estimator.model.timeline import cumulative_at

    counts = np.zeros(len(WALK_SD))
    for r, lf, d, s in zip(*_walk_pairs(), strict=True):
        counts[r] += s * cumulative_at(WALK_RATE[lf] * np.exp(log_rate[WALK_GROUP[lf]]), [d], kd)[0]
    return np.log(counts)


def test_walk_information_matches_finite_differences():
    from estimator.model.timeline import walk_basis, walk_information

    n_knots, kd = 12, 7.0
    basis = walk_basis(n_knots)
    rep, leaf, day, sign = _walk_pairs()
    info = walk_information(basis, kd, WALK_RATE, rep, leaf, day, sign, WALK_SD, WALK_GROUP, 2, block=2)
    eps, expect = 1e-6, np.zeros((2, n_knots - 1))
    for g in range(2):
        for j in range(n_knots - 1):
            amp = np.zeros((2, n_knots - 1))
            amp[g, j] = eps
            grad = (_walk_log_counts(amp @ basis, kd) - _walk_log_counts(-amp @ basis, kd)) / (2 * eps)
            expect[g, j] = np.sum((grad / WALK_SD) ** 2)
    assert expect[0, 0] > 1.0  # the figures do say something about the slowest mode
    np.testing.assert_allclose(info, expect, rtol=1e-6)


def test_walk_weights_decouple_the_level_from_the_shape():
    from estimator.model.timeline import walk_basis, walk_information, walk_weights

    n_knots, kd = 10, 7.0
    rep, leaf, day, sign = _walk_pairs()
    sd = WALK_SD
    w = walk_weights(n_knots, kd, WALK_RATE, rep, leaf, day, sign, sd, WALK_GROUP, 3, block=2)

    # The Fisher information of the log figures about each knot's log rate, by finite differences.
    eps = 1e-6
    jac = np.zeros((2, n_knots, 5))
    for g in range(2):
        for k in range(n_knots):
            step = np.zeros((2, n_knots))
            step[g, k] = eps
            jac[g, k] = (_walk_log_counts(step, kd) - _walk_log_counts(-step, kd)) / (2 * eps)
    jac[..., 4] = 0.0  # the left-out report
    for g in range(2):
        info = (jac[g] / np.where(np.isinf(sd), 1.0, sd) ** 2) @ jac[g].T
        expect = info.sum(axis=1) / info.sum()  # the information of a shift with each knot
        np.testing.assert_allclose(w[g], expect, rtol=1e-6, atol=1e-12)
        # every change of shape that is zero at these weights is uncoupled from the level
        shape = np.random.default_rng(g).normal(size=n_knots)
        shape -= w[g] @ shape
        assert abs(np.ones(n_knots) @ info @ shape) < 1e-8 * np.abs(info).sum()
    np.testing.assert_allclose(w[2], 1.0 / n_knots)  # no report: equal weights
    assert w[0, -1] < w[0, 0]  # the last weeks, which only the latest figures cover, weigh less

    # The information about each mode of a walk that is zero at those weights.
    basis = walk_basis(n_knots)
    offset = w[:2] @ basis.T
    args = (WALK_RATE, rep, leaf, day, sign, sd, WALK_GROUP, 2)
    info_modes = walk_information(basis, kd, *args, block=3, offset=offset)
    expect = np.zeros((2, n_knots - 1))
    for g in range(2):
        shaped = basis - offset[g][:, None]  # (mode, knot): the walk of each mode
        grad = shaped @ jac[g]  # (mode, report)
        expect[g] = (grad[:, :4] ** 2 / sd[:4] ** 2).sum(axis=1)
    np.testing.assert_allclose(info_modes, expect, rtol=1e-6, atol=1e-12)


def test_level_as_the_sources_see_it_is_the_same_model(monkeypatch):
    """Large data draw the level plus the sources' mean bias, as the log of the walk's mean rate,
    and the biases turned within each stance (build._level_anchor, build._stance_turn): the
    same density at every point."""
    import estimator.model.build as build

    sim = est.simulate(n_reports=400, temporal=True, days=730, random_seed=4)
    clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    spec = build_spec(clean, sim.sources, temporal=True, start=sim.start, as_of=sim.as_of)
    new = build_model(spec).model
    assert {"level_seen", "z_bias_turned", "coverage_seen"} <= set(new.named_vars)
    # The anchor, report by report: v_qj = I_qj / I_qq (build._level_anchor); a documented
    # count's row is its list's coverage.
    order = np.concatenate(list(build._groups(spec).values()))
    sd = build._report_sd(spec, order)
    free_pos = np.full(spec.n_leaves, -1)
    free_pos[spec.free_leaves] = np.arange(spec.free_leaves.size)
    n_q = spec.free_leaves.size
    n_bias = len(spec.bias_rows)
    info_qq, info_qj = np.zeros(n_q), np.zeros((n_q, n_bias + len(spec.cover_rows)))
    for i, r in enumerate(order):
        days = np.where(spec.membership[r], spec.t_end[r] - spec.t_begin[r], 0.0)
        part = np.exp(spec.prior_mu) * days
        share = np.bincount(free_pos[spec.free], weights=part, minlength=n_q) / part.sum()
        info_qq += share**2 / sd[i] ** 2
        if spec.kind[r] == "documented":
            info_qj[:, n_bias + spec.cover_index[r]] += share / sd[i] ** 2
        elif spec.bias_index[r] >= 0:
            info_qj[:, spec.bias_index[r]] += share / sd[i] ** 2
    expect = info_qj / info_qq[:, None]
    expect /= np.maximum(expect.sum(axis=1, keepdims=True), 1.0)
    anchor = np.concatenate([new["level_anchor"].get_value(), new["level_anchor_cover"].get_value()], axis=1)
    np.testing.assert_allclose(anchor, expect, rtol=1e-10)
    assert 0.5 < anchor.sum(axis=1).min() and anchor.sum(axis=1).max() <= 1.0 + 1e-12
    assert new["level_anchor_cover"].get_value().sum() > 0.1  # the lists' share is not nil
    monkeypatch.setattr(build, "_level_anchor", lambda *a: None)
    old = build_model(spec).model
    assert {"level", "z_bias"} <= {v.name for v in old.free_RVs}

    # The turn is a rotation of each stance's pooled rows, and it carries the rows' mean.
    w, member = build._stance_turn(spec)
    assert (member.sum(axis=1) >= 2).sum() >= 2  # two stances with a pool to turn
    turn = np.eye(w.size) - 2.0 * np.outer(w, w) * (
        member.T @ (member / np.maximum(member @ w**2, 1e-300)[:, None])
    )
    np.testing.assert_allclose(turn @ turn.T, np.eye(w.size), atol=1e-12)
    for g in member.astype(bool):
        if g.sum() >= 2:
            first = np.flatnonzero(g)[0]
            np.testing.assert_allclose(turn[g, first], 1.0 / np.sqrt(g.sum()), rtol=1e-12)

    # The lists' coverage turned with the biases (build._coverage_seen), at shifts as a fit
    # sets them from its mode (fit._turn_coverage): a shift of the sampling coordinate.
    n_cover = len(spec.cover_rows)
    weights = new["coverage_shift_weights"].get_value()
    assert weights.sum() == pytest.approx(1.0) and weights.min() >= 0
    with new:
        pm.set_data({"coverage_shift": np.linspace(1.2, 15.0, n_cover), "coverage_shift_at": 0.3})

    new_logp, old_logp = new.compile_logp(), old.compile_logp()
    outs = new.replace_rvs_by_values(
        [new["level"], new["z_bias"], new["coverage"], new["bias"], new["log_rate"]]
    )
    fn = pytensor.function(new.value_vars, outs, on_unused_input="ignore")

    def mapped(point):
        return fn(*[point[v.name] for v in new.value_vars])

    # What is drawn is the log of the rate averaged with the walk's weights as the sources see
    # it, whatever the walk's scale and shape: the level moves with tau (Jensen), it does not.
    walk_weights = new["walk_weights"].get_value()
    np.testing.assert_allclose(walk_weights.sum(axis=1), 1.0, rtol=1e-12)
    assert walk_weights.min() >= 0
    anchor_bias, anchor_cover = new["level_anchor"].get_value(), new["level_anchor_cover"].get_value()

    def log_mean_rate(log_rate):
        return np.log((walk_weights * np.exp(log_rate[spec.free_leaves])).sum(axis=1))

    rng = np.random.default_rng(1)
    start = new.initial_point()
    for _ in range(5):
        point = {k: v + rng.normal(0, 0.3, size=v.shape) for k, v in start.items()}
        level, z_bias, coverage, bias, log_rate = mapped(point)
        seen = point["level_seen"] - anchor_bias @ bias - anchor_cover @ np.log(coverage)
        np.testing.assert_allclose(log_mean_rate(log_rate), seen, rtol=1e-10)
        # The walk is zero on average at those weights, so the mean log rate there is the level,
        # below the log mean rate (Jensen) by more where tau is larger.
        walk = log_rate[spec.free_leaves] - level[:, None]
        np.testing.assert_allclose((walk_weights * walk).sum(axis=1), 0.0, atol=1e-10)
        assert (seen - level).min() > 1e-5
        # A wider walk, the rest held: the level drops, the log mean rate holds.
        wider = dict(point, tau_log__=point["tau_log__"] + 0.5)
        level_wider, _, _, _, log_rate_wider = mapped(wider)
        assert (level - level_wider).min() > 1e-3
        np.testing.assert_allclose(log_mean_rate(log_rate_wider), seen, rtol=1e-10)

        assert z_bias @ z_bias == pytest.approx(point["z_bias_turned"] @ point["z_bias_turned"], rel=1e-12)
        logit = point["coverage_seen_logodds__"] + np.linspace(1.2, 15.0, n_cover) * (weights @ bias - 0.3)
        np.testing.assert_allclose(coverage, 1 / (1 + np.exp(-logit)), rtol=1e-12)
        old_point = {
            k: v
            for k, v in point.items()
            if k not in ("level_seen", "z_bias_turned", "coverage_seen_logodds__")
        }
        old_point["level"], old_point["z_bias"] = level, z_bias
        old_point["coverage_logodds__"] = np.log(coverage) - np.log1p(-coverage)
        assert new_logp(point) == pytest.approx(old_logp(old_point), rel=1e-10)


def test_walk_centring_leaves_the_prior_unchanged():
    import pymc as pm

    sim = est.simulate(n_reports=400, temporal=True, days=730, random_seed=4)
    clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    spec = build_spec(clean, sim.sources, temporal=True, start=sim.start, as_of=sim.as_of)
    model = build_model(spec).model
    centring = model["walk_centring"].get_value()
    assert centring[:, 0].min() > 0.5 and centring[:, -1].max() < 0.05  # slow modes pinned, fast not
    walks = {}
    for name, c in (
        ("as built", centring),
        ("none", np.zeros_like(centring)),
        ("all", np.ones_like(centring)),
    ):
        with model:
            pm.set_data({"walk_centring": c})
            rate = pm.draw(
                model["log_rate"] - model["log_rate"].mean(axis=1, keepdims=True), 4000, random_seed=9
            )
        walks[name] = rate[:, 0, :]
    ref = walks["as built"]
    for name in ("none", "all"):
        np.testing.assert_allclose(walks[name].std(axis=0), ref.std(axis=0), rtol=0.08)
        np.testing.assert_allclose(
            np.quantile(walks[name], [0.05, 0.95], axis=0),
            np.quantile(ref, [0.05, 0.95], axis=0),
            atol=0.15 * ref.std(axis=0).max(),
        )
