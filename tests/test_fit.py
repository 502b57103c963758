"""Fits of simulated data with known truth: the posterior must recover it."""

import warnings

import numpy as np
import pytest

import estimator as est

BIASES = {"own": 0.4, "adversary": 2.0}


def coverage(result, sim, prob=0.9):
    s = result.summary(prob=prob).merge(sim.truth, on=["party", "category"])
    assert len(s) == len(sim.truth)
    return s, ((s.lower <= s.value) & (s.value <= s.upper)).to_numpy()


@pytest.fixture(scope="module")
def static_fit():
    sim = est.simulate(n_reports=40, temporal=False, stance_bias=BIASES, random_seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # two short chains: diagnostics checked below
        res = est.estimate(sim.reports, sources=sim.sources, random_seed=3, draws=1000, tune=700, chains=2)
    return sim, res


@pytest.fixture(scope="module")
def temporal_fit():
    sim = est.simulate(n_reports=50, temporal=True, days=200, stance_bias=BIASES, random_seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # short chains: ESS is checked below
        res = est.estimate(
            sim.reports, sources=sim.sources, start=sim.start, random_seed=4, draws=500, tune=700, chains=2
        )
    return sim, res


def test_static_fit_recovers_truth(static_fit):
    sim, res = static_fit
    s, inside = coverage(res, sim)
    assert inside.all(), s
    # The 50% intervals are not so wide that everything is trivially inside.
    _, inside50 = coverage(res, sim, prob=0.5)
    assert 0.25 <= inside50.mean() <= 1.0
    assert (s.upper / s.lower < 4).all(), "intervals wider than a factor 4 on 40 reports"
    d = res.diagnostics
    assert d["divergences"] == 0 and d["max_r_hat"] <= 1.01


def test_biases_recovered_in_direction(static_fit):
    sim, res = static_fit
    src = res.sources().merge(sim.biases, on=["source", "stance"]).drop_duplicates(["source", "stance"])
    own = src[src.stance == "own"]
    adv = src[src.stance == "adversary"]
    assert (own.bias_upper < 1).all(), own
    assert (adv.bias_median > 1).all(), adv
    # The true factor of each source lies in its 90% interval (at most one miss in ~8 rows).
    inside = (src.bias_lower <= src.factor) & (src.factor <= src.bias_upper)
    assert inside.sum() >= len(src) - 1, src


def test_summary_has_every_quantity_and_the_columns(static_fit):
    sim, res = static_fit
    s = res.summary()
    assert {"party", "category", "mean", "median", "sd", "lower", "upper", "r_hat", "ess_bulk"} <= set(
        s.columns
    )
    assert set(zip(s.party, s.category, strict=True)) == set(
        zip(sim.truth.party, sim.truth.category, strict=True)
    )
    assert (s.lower <= s["median"]).all() and (s["median"] <= s.upper).all()
    narrow = res.summary(prob=0.5)
    assert (narrow.upper - narrow.lower < s.upper - s.lower).all()
    # An aggregate is the sum of its leaves draw by draw.
    agg = s[s.category == "killed+wounded"].iloc[0]
    leaves = res.draws(agg.party, "killed") + res.draws(agg.party, "wounded")
    assert agg["mean"] == pytest.approx(leaves.mean())


def test_reports_table_predicts_each_report(static_fit):
    sim, res = static_fit
    r = res.reports()
    assert len(r) == len(sim.reports)
    assert (r.pred_lower <= r.pred_median).all() and (r.pred_median <= r.pred_upper).all()
    assert r.pit.between(0, 1).all()
    # Most reports sit inside their own 90% predictive interval (the model generated them).
    point = r[r.kind.isin(["exact", "approx", "documented"])]
    inside = (point.pred_lower <= point.value) & (point.value <= point.pred_upper)
    assert inside.mean() >= 0.7


def test_temporal_fit_recovers_truth_and_is_non_decreasing(temporal_fit):
    sim, res = temporal_fit
    s, inside = coverage(res, sim)
    assert inside.mean() >= 0.8, s
    _, inside99 = coverage(res, sim, prob=0.99)
    assert inside99.all()
    traj = res.trajectory()
    for _, g in traj.groupby(["party", "category"]):
        assert np.all(np.diff(g["median"].to_numpy()) >= -1e-9)
        assert (g.lower <= g["median"]).all() and (g["median"] <= g.upper).all()
    assert traj.date.min().date() == sim.start and traj.date.max().date() == sim.as_of
    # The last day of the trajectory is the summary.
    last = traj[traj.date == traj.date.max()].merge(s, on=["party", "category"])
    np.testing.assert_allclose(last.median_x, last.median_y, rtol=0.05)


def test_undeclared_source_is_neutral_and_the_result_says_so():
    reports = [
        est.Report(source="Mystery", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="Known", party="A", category="killed", kind="approx", value=1_200),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        res = est.estimate(
            reports, sources=[est.Source("Known")], draws=100, tune=100, chains=1, random_seed=1
        )
    assert any("Mystery" in n and "neutral" in n for n in res.notes)
    assert res.sources().set_index("source").loc["Mystery", "stance"] == "neutral"


def test_same_seed_same_numbers():
    sim = est.simulate(n_reports=12, temporal=False, random_seed=5)
    kw = dict(sources=sim.sources, draws=100, tune=100, chains=2, random_seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        a = est.estimate(sim.reports, **kw).summary()
        b = est.estimate(sim.reports, **kw).summary()
    np.testing.assert_array_equal(a["median"].to_numpy(), b["median"].to_numpy())


def test_poor_fit_warns_in_words():
    sim = est.simulate(n_reports=8, temporal=False, random_seed=6)
    with pytest.warns(est.FitWarning, match=r"ESS .* < 400 for .*raise draws="):
        est.estimate(sim.reports, sources=sim.sources, draws=30, tune=30, chains=2, random_seed=1)


@pytest.mark.parametrize(
    ("option", "value", "suggestion"),
    [("mode", "temporel", "temporal"), ("sampler", "nutpy", "nutpie"), ("method", "avdi", "advi")],
)
def test_unknown_option_names_the_choices_and_the_closest(option, value, suggestion):
    reports = [est.Report(source="UN", party="A", category="killed", kind="exact", value=100)]
    with pytest.raises(
        est.ModelError, match=rf"{option}='{value}': use one of .*did you mean '{suggestion}'"
    ):
        est.estimate(reports, **{option: value})


def test_the_default_sampler_comes_from_estimator_sampler(monkeypatch):
    from estimator import fit
    from estimator.fit import default_sampler

    monkeypatch.delenv("ESTIMATOR_SAMPLER", raising=False)
    # nutpie where it is installed, else PyMC's: by what is installed, nothing else.
    monkeypatch.setattr(fit, "_installed", lambda package: package == "nutpie")
    assert default_sampler() == "nutpie"
    monkeypatch.setattr(fit, "_installed", lambda package: False)
    assert default_sampler() == "pymc"
    monkeypatch.setenv("ESTIMATOR_SAMPLER", "pymc")
    monkeypatch.setattr(fit, "_installed", lambda package: True)
    assert default_sampler() == "pymc"
    monkeypatch.setenv("ESTIMATOR_SAMPLER", " nutpie ")
    assert default_sampler() == "nutpie"
    monkeypatch.setenv("ESTIMATOR_SAMPLER", "nutpy")
    reports = [est.Report(source="UN", party="A", category="killed", kind="exact", value=100)]
    with pytest.raises(
        est.ModelError,
        match=r"environment variable ESTIMATOR_SAMPLER='nutpy': use one of .*did you mean 'nutpie'",
    ):
        est.estimate(reports)


def test_tuning_steps_default_to_500_with_nutpie_from_the_mode_and_1000_otherwise(monkeypatch):
    """500 where nutpie's chains start from the posterior's mode (the reports pin a random
    walk), 1000 from nutpie's own start and with the other samplers; the number used is what
    is sampled with. The sampling is stubbed: only the settings matter here."""
    from estimator import fit

    recorded = []

    class Sampled(Exception):
        pass

    def sample(compiled, *, tune, sampler, **kw):
        recorded.append((sampler, "z_walk" in compiled.built.model.named_vars, tune))
        raise Sampled

    monkeypatch.setattr(fit, "sample", sample)
    small = [est.Report(source="UN", party="A", category="killed", kind="exact", value=100)]
    sim = est.simulate(n_reports=400, temporal=True, days=730, random_seed=4)
    pinned = {"sources": sim.sources, "start": sim.start, "as_of": sim.as_of}
    fits = [
        (small, {"sampler": "nutpie"}),
        (small, {"sampler": "pymc"}),
        (sim.reports, {"sampler": "nutpie", **pinned}),
        (sim.reports, {"sampler": "pymc", **pinned}),
        (sim.reports, {"sampler": "numpyro", **pinned}),
        (sim.reports, {"sampler": "nutpie", "tune": 200, **pinned}),
    ]
    for reports, options in fits:
        with pytest.raises(Sampled):
            est.estimate(reports, **options)
    assert recorded == [
        ("nutpie", False, 1000),
        ("pymc", False, 1000),
        ("nutpie", True, 500),
        ("pymc", True, 1000),
        ("numpyro", True, 1000),
        ("nutpie", True, 200),
    ]
    assert fit.default_tune("nutpie", from_mode=True) == 500
    assert fit.default_tune("blackjax", from_mode=True) == fit.default_tune("nutpie", from_mode=False) == 1000


def test_a_sampler_that_is_not_installed_says_how_to_install_it(monkeypatch):
    from estimator import fit

    monkeypatch.setattr(fit, "_installed", lambda package: package != "nutpie")
    reports = [est.Report(source="UN", party="A", category="killed", kind="exact", value=100)]
    with pytest.raises(
        est.ModelError,
        match=r"sampler='nutpie' needs the package 'nutpie', which is not installed: "
        r"pip install 'estimator\[nutpie\]', or use sampler='pymc'",
    ):
        est.estimate(reports, sampler="nutpie")
    monkeypatch.delenv("ESTIMATOR_SAMPLER", raising=False)
    assert fit.default_sampler() == "pymc"  # and without it the default does not need it
