"""A second fit of data with the same structure reuses the compiled model (no recompilation)."""

import contextlib
import dataclasses
import warnings
from unittest import mock

import numpy as np
import pymc as pm
import pytest

import estimator as est
from estimator import compat


def scaled(reports, factor):
    out = []
    for r in (r.resolved() for r in reports):
        if r.kind == "range":
            out.append(dataclasses.replace(r, low=round(r.low * factor), high=round(r.high * factor)))
        elif r.value >= 30:
            out.append(dataclasses.replace(r, value=round(r.value * factor)))
        else:
            out.append(r)
    return out


@contextlib.contextmanager
def counting_compiles():
    """Inside: every compile of PyMC's log density and gradient counted (``spy.call_count``),
    fit warnings silenced."""
    real = pm.Model.logp_dlogp_function
    with (
        warnings.catch_warnings(),
        mock.patch.object(pm.Model, "logp_dlogp_function", autospec=True, side_effect=real) as spy,
    ):
        warnings.simplefilter("ignore", est.FitWarning)
        yield spy


def test_second_fit_of_same_shape_does_not_recompile():
    sim = est.simulate(n_reports=14, temporal=False, random_seed=21, scale=3_000)
    kw = dict(sources=sim.sources, draws=150, tune=150, chains=2, random_seed=5)
    with counting_compiles() as spy:
        first = est.estimate(sim.reports, **kw)
        first_pred = first.reports()["pred_median"].to_numpy()
        compiled = spy.call_count
        second = est.estimate(scaled(sim.reports, 2.0), **kw)
        assert spy.call_count == compiled, "the second fit compiled its gradient again"
        assert compiled >= 1
    # The second fit used the new data: its estimates are about twice the first's.
    ratio = second.summary()["median"].to_numpy() / first.summary()["median"].to_numpy()
    assert np.all((ratio > 1.5) & (ratio < 2.6)), ratio
    # The first result still predicts from its own data, not the data now in the shared model.
    first.__dict__.pop("_predictive", None)
    first.__dict__.pop("_eta_fn", None)
    np.testing.assert_allclose(first.reports()["pred_median"], first_pred, rtol=1e-12)


def test_a_report_that_now_sums_two_quantities_reuses_the_compiled_model():
    """Same kinds, sources and quantities, but one report now sums two quantities: one more
    (report, quantity) pair. The pairs' number is data, so the compiled model is reused, and the
    report reads the sum (reusing it once failed on the pairs' fixed length)."""
    from estimator.fit import _COMPILED

    sim = est.simulate(n_reports=14, temporal=False, random_seed=21, scale=3_000)
    first = sim.reports[0]
    assert first.category == "killed"
    widened = [dataclasses.replace(first, category="killed+wounded"), *sim.reports[1:]]
    kw = dict(sources=sim.sources, method="advi", random_seed=1, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        a = est.estimate(sim.reports, **kw)
        pairs_a = a.built.model["pair_report"].get_value().size
        compiled = len(_COMPILED)
        b = est.estimate(widened, **kw)
    assert b.built.model is a.built.model and len(_COMPILED) == compiled
    assert b.built.model["pair_report"].get_value().size == pairs_a + 1
    # The widened report reads the sum of two quantities: its prediction exceeds the killed alone.
    pb = b.reports()["pred_median"].to_numpy()
    a.__dict__.pop("_predictive", None)  # a's predictions from its own data, not b's
    a.__dict__.pop("_eta_fn", None)
    pa = a.reports()["pred_median"].to_numpy()
    assert pb[0] > 1.15 * pa[0], (pa[0], pb[0])


def test_reports_added_reuse_the_compiled_model_and_give_the_fresh_fit():
    """More reports of kinds, sources and quantities already there: the numbers of reports,
    of each kind and of pairs are data, so nothing compiles again, and the draws are those of
    a model compiled for the new data."""
    from estimator import fit

    sim = est.simulate(n_reports=16, temporal=False, random_seed=21, scale=3_000)
    reports = sim.reports

    def covered(r, others):
        return (
            any(o.kind == r.kind for o in others)
            and any(o.source == r.source for o in others)
            and any((o.party, o.category) == (r.party, r.category) for o in others)
        )

    extra = [i for i, r in enumerate(reports) if covered(r, reports[:i] + reports[i + 1 :])][-2:]
    fewer = [r for i, r in enumerate(reports) if i not in extra]
    kw = dict(sources=sim.sources, draws=150, tune=150, chains=2, random_seed=5, progressbar=False)
    with counting_compiles() as spy:
        small = est.estimate(fewer, **kw)
        compiled = spy.call_count
        reused = est.estimate(reports, **kw)
        assert spy.call_count == compiled, "added reports compiled the model again"
        assert reused.built.model is small.built.model
        fit._COMPILED.clear()
        fresh = est.estimate(reports, **kw)
        assert spy.call_count > compiled
    assert len(reused.reports()) == len(reports) == len(fewer) + 2
    a, b = reused.summary(), fresh.summary()
    np.testing.assert_allclose(a["median"], b["median"], rtol=1e-9)
    np.testing.assert_allclose(reused.reports()["pred_median"], fresh.reports()["pred_median"], rtol=1e-9)
    # The per-report log-likelihood follows the reports, not the compiled model's first data.
    np.testing.assert_allclose(
        compat.group(reused.idata, "log_likelihood")["report"].values,
        compat.group(fresh.idata, "log_likelihood")["report"].values,
        rtol=1e-9,
    )


def _fit(sim, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        return est.estimate(sim.reports, sources=sim.sources, random_seed=3, **kw)


@pytest.mark.slow
def test_advi_preview_is_close_to_nuts_and_says_it_is_approximate():
    sim = est.simulate(n_reports=30, temporal=False, random_seed=8)
    nuts = _fit(sim, draws=500, tune=500, chains=2).summary()
    advi = _fit(sim, draws=500, chains=2, method="advi")
    assert any("ADVI" in n and "method='nuts'" in n for n in advi.notes)
    ratio = advi.summary()["median"].to_numpy() / nuts["median"].to_numpy()
    assert np.all(np.abs(np.log(ratio)) < 0.3), ratio


def test_nutpie_gives_the_same_posterior_as_pymc():
    import pytest

    pytest.importorskip("nutpie")
    sim = est.simulate(n_reports=20, temporal=False, random_seed=9)
    a = _fit(sim, draws=1000, tune=500, chains=2).summary()
    fit_b = _fit(sim, draws=1000, tune=500, chains=2, sampler="nutpie")
    b = fit_b.summary()
    # Medians agree within Monte Carlo error: a few posterior sds over sqrt(ESS).
    mc = 4 * a["sd"] / np.sqrt(np.minimum(a["ess_bulk"], b["ess_bulk"]))
    assert (np.abs(a["median"] - b["median"]) < mc + 0.02 * a["median"]).all(), (a, b)
    # nutpie's chains start near the posterior's mode: a point where the gradient vanishes and
    # every small step lowers the log density.
    from estimator.fit import _compiled_logp, _mode_start, compiled_model

    entry = compiled_model(fit_b.spec, robust=False, target_accept=fit_b.settings["target_accept"])
    model = entry.built.model
    ready = entry.nutpie.with_data(**{v.name: v.get_value() for v in model.data_vars})
    x0 = ready.initial_point_func(0)
    mode = _mode_start(ready, x0)
    logp_dlogp = _compiled_logp(ready)
    logp, grad = logp_dlogp(mode)
    # nutpie's C callback gives the log density PyMC's model gives (up to its constant).
    start = model.initial_point()  # nutpie's initial point is PyMC's, not jittered
    flat = np.concatenate([np.ravel(start[model.rvs_to_values[rv].name]) for rv in model.free_RVs])
    np.testing.assert_array_equal(x0, flat)
    pymc_logp = model.compile_logp()
    point = model.initial_point()
    assert logp_dlogp(x0)[0] - logp == pytest.approx(
        pymc_logp(point) - pymc_logp({**point, **_unflatten(model, mode)}), abs=1e-6
    )
    assert np.abs(grad).max() < 0.05, np.abs(grad).max()
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert logp_dlogp(mode + 0.01 * rng.standard_normal(mode.size))[0] < logp
    assert logp > logp_dlogp(x0)[0]
    # After nutpie the per-report log-likelihood is compiled with Numba: the C backend's numbers.
    import pytensor
    import pytensor.tensor as pt

    from estimator.checks import log_likelihood

    ll = log_likelihood(fit_b)
    built = fit_b.built
    givens = [(v, pytensor.shared(fit_b.data[v.name])) for v in built.model.data_vars]
    terms = pt.concatenate([t for _rows, t in built.loglik.values()])
    c_fn = pytensor.function(
        built.model.free_RVs, terms, givens=givens, on_unused_input="ignore", mode="FAST_RUN"
    )
    post = fit_b.posterior
    for c, d in ((0, 0), (1, 999)):
        by_c = np.empty(len(built.order))
        by_c[built.order] = c_fn(*[post[v.name].values[c, d] for v in built.model.free_RVs])
        np.testing.assert_allclose(ll[c, d], by_c, rtol=1e-9)
    # Same seed, same numbers, with the optimised start.
    again = _fit(sim, draws=1000, tune=500, chains=2, sampler="nutpie").summary()
    np.testing.assert_array_equal(again["median"].to_numpy(), b["median"].to_numpy())


@pytest.mark.slow
def test_lists_coverage_turns_with_the_biases_from_the_mode(tmp_path):
    """Where the level is drawn as the sources see it, each list's coverage is drawn to move
    with the biases (build._coverage_seen); nutpie's fit sets how much from the posterior's
    mode (fit._turn_coverage): the same point, the same density, and data the result and a
    saved copy read too."""
    import pytest

    pytest.importorskip("nutpie")
    from estimator.fit import _compiled_expand, _compiled_logp, _mode_start, _turn_coverage, compiled_model

    sim = est.simulate(n_reports=400, temporal=True, days=730, random_seed=4)
    res = _fit(sim, draws=100, tune=100, chains=2, sampler="nutpie", progressbar=False)
    model = res.built.model
    assert "coverage_seen" in model.named_vars and len(res.spec.cover_rows) >= 2
    shift, at = res.data["coverage_shift"], float(res.data["coverage_shift_at"])
    assert (shift > 1.0).all() and shift.max() <= 20.0 + 1e-9 and np.isfinite(at)
    # The coverage in nutpie's trace is the one the PyMC model's data give (which the result's
    # per-report functions read): logit(coverage) = logit(seen) + shift * (w . bias - at).
    post = res.posterior
    w = res.data["coverage_shift_weights"]
    seen, bias = post["coverage_seen"].values, post["bias"].values
    logit = np.log(seen) - np.log1p(-seen) + shift * ((bias @ w)[..., None] - at)
    np.testing.assert_allclose(post["coverage"].values, 1.0 / (1.0 + np.exp(-logit)), rtol=1e-9)

    # The turn keeps the point: the same density, a gradient still nil, the same coverage.
    entry = compiled_model(res.spec, robust=False, target_accept=res.settings["target_accept"])
    ready = entry.nutpie.with_data(
        **{n: v for n, v in res.data.items() if n in compat.nutpie_data_names(entry.nutpie)}
        | {"coverage_shift": np.zeros_like(shift)}
    )
    mode = _mode_start(ready, ready.initial_point_func(0))
    turned, x = _turn_coverage(ready, model, mode)
    before, after = _compiled_expand(ready, mode), _compiled_expand(turned, x)
    np.testing.assert_allclose(
        compat.nutpie_data(turned, "coverage_shift"), 1 / (1 - np.minimum(before["coverage"], 0.95))
    )
    for name in ("coverage", "bias", "level", "N"):
        np.testing.assert_allclose(after[name], before[name], rtol=1e-10)
    (lp0, grad0), (lp1, grad1) = _compiled_logp(ready)(mode), _compiled_logp(turned)(x)
    assert lp1 == pytest.approx(lp0, abs=1e-8)
    # Still a mode: the chain rule scales the gradient by at most the largest shift.
    assert np.abs(grad0).max() < 0.2 and np.abs(grad1).max() < 21 * np.abs(grad0).max()

    # A saved result keeps the shift, so what it computes again from its draws is the same
    # (documented counts' predictions read the coverage).
    loaded = est.load(res.save(tmp_path / "fit.zip"))
    np.testing.assert_array_equal(loaded.data["coverage_shift"], shift)
    documented = res.reports()["kind"] == "documented"
    assert documented.sum() >= 5
    np.testing.assert_allclose(loaded.reports()["pred_median"], res.reports()["pred_median"], rtol=1e-9)


def _unflatten(model, x):
    """A flat vector in the order of the model's free variables, as a point of value variables."""
    out, at = {}, 0
    for rv in model.free_RVs:
        value = model.rvs_to_values[rv]
        shape = model.initial_point()[value.name].shape
        size = int(np.prod(shape))
        out[value.name] = x[at : at + size].reshape(shape)
        at += size
    return out


def test_influence_refits_reuse_the_compiled_model_and_match_a_fit_without_the_source():
    reports = [
        est.Report(source="UN", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="OSCE", party="A", category="killed", kind="range", low=900, high=1_400),
        est.Report(source="Tabloid", party="A", category="killed", kind="exact", value=9_000),
        est.Report(source="Tabloid", party="A", category="wounded", kind="at_least", value=2_000),
        est.Report(source="UN", party="A", category="wounded", kind="approx", value=3_000),
    ]
    sources = [est.Source("UN"), est.Source("OSCE"), est.Source("Tabloid")]
    kw = dict(sources=sources, draws=1000, tune=500, chains=2, random_seed=4)
    with counting_compiles() as spy:
        full = est.estimate(reports, **kw)
        compiled = spy.call_count
        inf = full.influence(draws=1000).set_index(["source", "category"])
        assert spy.call_count == compiled, "influence() compiled the model again"
        # The same question asked the slow way: a new fit of the reports of the other sources.
        without = est.estimate([r for r in reports if r.source != "Tabloid"], **kw).summary()
    row = inf.loc[("Tabloid", "killed")]
    other = without.set_index("category").loc["killed"]
    # Weighting a source out is the fit without it: medians agree within Monte Carlo error.
    mc = 4 * other["sd"] / np.sqrt(other["ess_bulk"]) + 0.03 * other["median"]
    assert abs(row["median_without"] - other["median"]) < mc, (row, other)
    assert abs(np.log(row["upper_without"] / other["upper"])) < 0.15, (row, other)
    assert row["n_reports"] == 2 and row["shift"] < 0


@pytest.mark.slow
def test_small_models_get_a_dense_mass_matrix_and_large_ones_a_diagonal():
    from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt, QuadPotentialFullAdapt

    from estimator.constants import DENSE_MAX
    from estimator.fit import _nuts_step

    def model_of(sim):
        return est.estimate(
            sim.reports, sources=sim.sources, method="advi", random_seed=1, progressbar=False
        ).built.model

    small = model_of(est.simulate(n_reports=12, temporal=False, random_seed=4))
    large = model_of(est.simulate(n_reports=40, temporal=True, days=365, random_seed=4))
    size = {m: sum(int(np.size(v)) for v in m.initial_point().values()) for m in (small, large)}
    assert size[small] <= DENSE_MAX < size[large]
    assert isinstance(_nuts_step(small, 0.9).potential, QuadPotentialFullAdapt)
    assert isinstance(_nuts_step(large, 0.9).potential, QuadPotentialDiagAdapt)


def test_new_bias_priors_reuse_the_compiled_model_and_give_the_fresh_fit():
    from estimator import fit

    reports = [
        est.Report(source="UN", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="OSCE", party="A", category="killed", kind="range", low=900, high=1_400),
        est.Report(source="Ministry", party="A", category="killed", kind="exact", value=600),
    ]
    plain = [est.Source("UN"), est.Source("OSCE"), est.Source("Ministry", affiliation="A")]
    # The ministry's own prior says it reports a fifth to nine tenths of the truth; the UN is a
    # reference (bias fixed at 1). Same structure, other prior data.
    told = [
        est.Source("UN", reference=True),
        est.Source("OSCE"),
        est.Source("Ministry", affiliation="A", bias=(0.2, 0.9)),
    ]
    kw = dict(draws=600, tune=400, chains=2, random_seed=6)
    with counting_compiles() as spy:
        est.estimate(reports, sources=plain, **kw)
        compiled = spy.call_count
        reused = est.estimate(reports, sources=told, **kw)
        assert spy.call_count == compiled, "new bias priors compiled the model again"
        fit._COMPILED.clear()
        fresh = est.estimate(reports, sources=told, **kw)
        assert spy.call_count > compiled
    # The reused model sampled with the new priors: the same numbers as a model compiled for them.
    a, b = reused.sources().set_index("source"), fresh.sources().set_index("source")
    np.testing.assert_allclose(a["bias_median"], b["bias_median"], rtol=1e-6)
    assert a.loc["UN", "bias_median"] == 1.0
    assert a.loc["Ministry", "bias_median"] < 0.9
    # The reference source's bias is fixed: no R-hat for it (NaN), and no warning either.
    from estimator.plots import diagnostics_data

    d = diagnostics_data(reused, var_names=["bias"])
    fixed = d["element"].str.contains("UN")
    assert fixed.any() and d.loc[fixed, "r_hat"].isna().all(), d["element"].unique()
    assert d.loc[~fixed, "r_hat"].between(0.99, 1.05).all()


def test_digamma_for_numba_matches_scipy():
    import numba
    from scipy import special

    from estimator.model.nutpie_cache import digamma

    jitted = numba.njit(digamma)
    positive = np.geomspace(1e-8, 1e12, 3000)
    negative = np.linspace(-49.99, -0.01, 3000)
    negative = negative[np.abs(negative - np.round(negative)) > 0.01]  # off the poles
    for xs, tol in ((positive, 3e-15), (negative, 3e-12)):
        want = special.digamma(xs)
        for fn in (digamma, jitted):
            got = np.array([fn(x) for x in xs])
            assert np.all(np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))), np.abs(got - want).max()
    special_points = [0.0, -1.0, -7.0, np.inf, -np.inf, np.nan]
    np.testing.assert_array_equal([jitted(x) for x in special_points], special.digamma(special_points))


def _small_count_reports():
    """Reports with a small count (a NegativeBinomial term, whose gradient needs digamma)."""
    return [
        est.Report(source="UN", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="OSCE", party="A", category="killed", kind="range", low=900, high=1_400),
        est.Report(source="UN", party="A", category="generals_killed", kind="exact", value=3),
        est.Report(source="Ministry", party="A", category="generals_killed", kind="at_most", value=5),
    ]


_SMALL_COUNT_FIT = dict(draws=200, tune=200, chains=2, random_seed=2, sampler="nutpie", progressbar=False)


def test_nutpie_callbacks_give_pymc_numbers():
    import pytest

    pytest.importorskip("nutpie")
    import ctypes

    import pytensor

    from estimator.fit import _compiled_logp, compiled_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        fit = est.estimate(_small_count_reports(), **_SMALL_COUNT_FIT)
    entry = compiled_model(fit.spec, robust=False, target_accept=fit.settings["target_accept"])
    model = entry.built.model
    assert "psi" in str(pytensor.dprint(entry.nutpie.logp_func, file="str")).lower()
    ready = entry.nutpie.with_data(**{v.name: v.get_value() for v in model.data_vars})
    logp_dlogp = _compiled_logp(ready)
    names = ready.shape_info[0]
    expand_c = ready.compiled_expand_func.ctypes
    pointer = ctypes.POINTER(ctypes.c_double)
    user_data = ctypes.c_void_p(ready.user_data.ctypes.data)
    pymc_logp, pymc_dlogp = model.compile_logp(), model.compile_dlogp()
    values = {v.name: v for v in model.value_vars}
    outputs = [values[n] if n in values else model[n] for n in names]
    expand_pymc = pytensor.function(model.value_vars, [model.replace_rvs_by_values([o])[0] for o in outputs])
    x0 = np.asarray(ready.initial_point_func(0), dtype=float)
    rng = np.random.default_rng(1)
    base = None
    for _ in range(4):
        x = x0 + 0.3 * rng.standard_normal(x0.size)
        point = _unflatten(model, x)
        logp, grad = logp_dlogp(x)
        # Same density up to a constant (nutpie drops none, PyMC's compile_logp none: equal).
        if base is None:
            base = logp - pymc_logp(point)
        assert logp - pymc_logp(point) == pytest.approx(base, abs=1e-9)
        np.testing.assert_allclose(grad, pymc_dlogp(point), rtol=1e-9, atol=1e-9)
        out = np.empty(ready.n_expanded)
        code = expand_c(x0.size, out.size, x.ctypes.data_as(pointer), out.ctypes.data_as(pointer), user_data)
        assert code == 0
        want = np.concatenate([np.ravel(v) for v in expand_pymc(*[point[v.name] for v in model.value_vars])])
        np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    assert base == pytest.approx(0.0, abs=1e-9)


_NEW_PROCESS = """
import hashlib, json, sys, warnings
import numpy as np
import estimator as est
from estimator import compat
from estimator.fit import compiled_model
from estimator.model import disk_cache, nutpie_cache
from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS
from benchmarks.cases import load_case
warnings.simplefilter("ignore")
nutpie_cache.CACHE_VERSION += sys.argv[1]  # callbacks of their own, compiled by the first process
disk_cache.VERSION += sys.argv[1]  # and graphs of their own, built by the first process
nato = load_case("nato")
fit = est.estimate(
    nato.reports, sources=nato.sources, draws=300, tune=300, chains=2, random_seed=2,
    sampler="nutpie", progressbar=False, **nato.options,
)
nutpie = compiled_model(fit.spec, robust=False, target_accept=fit.settings["target_accept"]).nutpie
callbacks = [nutpie.compiled_logp_func, nutpie.compiled_expand_func]
draws = hashlib.sha256()
for name in sorted(fit.posterior.data_vars):
    draws.update(np.ascontiguousarray(fit.posterior[name].values).tobytes())
print(json.dumps({
    "hits": [c._cache_hits for c in callbacks],
    "keys": [CACHED_SRC_FUNCTIONS.get(f) for c in callbacks for f in (c._pyfunc, c._pyfunc.__globals__["body"].py_func)],
    "draws": draws.hexdigest(),
    "graphs": disk_cache.LAST["nutpie"]["how"],
    "graphs_path": str(disk_cache.LAST["nutpie"]["path"]),
    "loglik": hashlib.sha256(np.ascontiguousarray(compat.group(fit.idata, "log_likelihood")["report"].values).tobytes()).hexdigest(),
    "loglik_graph": disk_cache.LAST["loglik NUMBA"]["how"],
    "loglik_path": str(disk_cache.LAST["loglik NUMBA"]["path"]),
}))
"""


def test_a_new_process_loads_nutpie_callbacks_from_disk_and_draws_the_same_numbers():
    """A model's callbacks compiled in one process are loaded from PyTensor's Numba cache by the
    next ones, which draw the same numbers with the same seed as the process that compiled.
    So are its rewritten PyTensor functions (``nutpie_cache._functions``): the first process
    builds and keeps them, the next ones load them.

    Fails if PyTensor builds another graph for the model in another process (it did: which of
    two data arrays of the same length gave that length) or if code kept on disk computes other
    last bits than code compiled in the process (it did, with Numba's fast-math).
    """
    import json
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    import pytest

    pytest.importorskip("nutpie")
    from pytensor.link.numba.cache import NUMBA_CACHE_PATH

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    salt = f"-test-{uuid.uuid4().hex}"
    runs = []
    try:
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-c", _NEW_PROCESS, salt],
                capture_output=True,
                text=True,
                cwd=root,
                env=env,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        keys = {k for r in runs for k in r["keys"] if k}
        for path in NUMBA_CACHE_PATH.glob("string.estimator_nutpie_*"):
            if any(k in path.name for k in keys):
                path.unlink(missing_ok=True)
        for graphs in {r[k] for r in runs for k in ("graphs_path", "loglik_path")}:
            if graphs.endswith(".pkl"):
                Path(graphs).unlink(missing_ok=True)
    assert [r["hits"] for r in runs] == [[0, 0], [1, 1], [1, 1]], runs
    assert [r["graphs"] for r in runs] == ["stored", "loaded", "loaded"], runs
    assert len({r["graphs_path"] for r in runs}) == 1, runs
    # The per-report log-likelihood function, loaded from disk by the later processes, gives
    # the numbers the process that built it gave.
    assert [r["loglik_graph"] for r in runs] == ["stored", "loaded", "loaded"], runs
    assert runs[1]["loglik"] == runs[0]["loglik"] and runs[2]["loglik"] == runs[0]["loglik"], runs
    assert len(keys) == 4
    assert runs[1]["draws"] == runs[0]["draws"] and runs[2]["draws"] == runs[0]["draws"], runs


def _static_spec(reports):
    from estimator.fit import DEFAULT_AGGREGATES
    from estimator.model.spec import build_spec
    from estimator.reports import validate

    return build_spec(
        validate(reports, aggregates=DEFAULT_AGGREGATES), [], temporal=False, start=None, as_of=None
    )


def test_rewritten_graphs_are_kept_on_disk_and_loaded_only_for_their_own_model(tmp_path, monkeypatch):
    """nutpie's PyTensor functions, kept under a structure's key, load with the same numbers as
    freshly built ones; a model of another shape under that key, or a damaged file, is built
    anew; only the MAX_FILES most recently used files stay."""
    import pytest

    pytest.importorskip("nutpie")
    from nutpie.compile_pymc import _wrap_with_lock
    from pymc.initial_point import make_initial_point_fn

    from estimator.fit import compiled_model
    from estimator.model import disk_cache, nutpie_cache

    monkeypatch.setattr(disk_cache, "directory", lambda: tmp_path)

    models = {}

    def functions(reports, structure):
        if len(reports) not in models:
            spec = _static_spec(reports)
            models[len(reports)] = compiled_model(spec, robust=False, target_accept=0.9).built.model
        model = models[len(reports)]
        point_fn = _wrap_with_lock(
            make_initial_point_fn(model=model, jitter_rvs=set(), return_transformed=True)
        )
        made = nutpie_cache._functions(model, point_fn, structure=structure)
        return made, disk_cache.LAST["nutpie"]["how"], disk_cache.LAST["nutpie"]["path"]

    reports = _small_count_reports()
    built, how, path = functions(reports, "test structure")
    assert how == "stored" and path.parent == tmp_path and path.exists()
    loaded, how, path_again = functions(reports, "test structure")
    assert how == "loaded" and path_again == path
    assert loaded[:2] == built[:2] and loaded[5] == built[5]  # sizes and the trace's layout
    x0 = np.asarray(built[4](0))
    np.testing.assert_array_equal(loaded[4](0), x0)  # the same initial point, in the same order
    # ... as nutpie's own wrapper of the model's initial point gives it.
    from nutpie.compile_pymc import _make_functions

    model = models[len(reports)]
    own = _make_functions(
        model,
        mode="NUMBA",
        compute_grad=True,
        join_expanded=True,
        pymc_initial_point_fn=_wrap_with_lock(
            make_initial_point_fn(model=model, jitter_rvs=set(), return_transformed=True)
        ),
    )[4]
    np.testing.assert_array_equal(own(0), x0)
    for x in (x0, x0 + 0.3):
        logp_built, grad_built = built[2](x)
        logp_loaded, grad_loaded = loaded[2](x)
        assert logp_loaded == logp_built and np.isfinite(logp_built)
        np.testing.assert_array_equal(grad_loaded, grad_built)
        np.testing.assert_array_equal(loaded[3](x)[0], built[3](x)[0])

    # Another model under the same key (a key that fails to name the structure): built anew.
    other, how, _ = functions(reports[:3], "test structure")
    assert how == "stored" and other[5] != built[5]
    path.write_bytes(b"not a pickle")
    _, how, _ = functions(reports, "test structure")
    assert how == "stored"

    import os

    for age, name in enumerate(["c", "b", "a"]):  # "a" the oldest
        (tmp_path / f"{name}.pkl").write_bytes(b"")
        os.utime(tmp_path / f"{name}.pkl", (1e9 - age, 1e9 - age))
    monkeypatch.setattr(disk_cache, "MAX_FILES", 2)
    disk_cache._prune(tmp_path)  # the file just stored and "c" stay
    assert sorted(p.name for p in tmp_path.glob("*.pkl")) == sorted([path.name, "c.pkl"])


def test_load_or_build_keeps_what_it_builds_and_builds_again_what_cannot_be_used(tmp_path, monkeypatch):
    import pymc as pm

    from estimator.model import disk_cache

    monkeypatch.setattr(disk_cache, "directory", lambda: tmp_path)
    with pm.Model() as model:
        pm.Data("y", np.zeros(3))
        pm.Normal("x")
    builds = []

    def build():
        builds.append(1)
        return {"value": len(builds)}

    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 1}
    assert disk_cache.LAST["test"]["how"] == "stored"
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 1}
    assert disk_cache.LAST["test"]["how"] == "loaded" and len(builds) == 1
    # An entry the caller cannot use is built again and replaces it.
    assert disk_cache.load_or_build("structure", "test", model, build, usable=lambda e: e["value"] > 1) == {
        "value": 2
    }
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 2}
    # No structure: built every time, nothing read or kept.
    files = sorted(tmp_path.glob("*.pkl"))
    assert disk_cache.load_or_build((), "test", model, build) == {"value": 3}
    assert disk_cache.LAST["test"]["how"] == "built" and sorted(tmp_path.glob("*.pkl")) == files


def test_nutpie_fits_data_whose_model_holds_arrays_no_term_reads():
    """Without a range, no term reads the ranges' widths: PyTensor drops them from the compiled
    functions, and nutpie refuses data it does not know (this failed with a KeyError)."""
    import pytest

    pytest.importorskip("nutpie")
    from estimator.fit import compiled_model

    reports = [
        est.Report(source="UN", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="OSCE", party="A", category="killed", kind="at_least", value=800),
        est.Report(source="Ministry", party="A", category="killed", kind="approx", value=1_100),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        fit = est.estimate(reports, mode="static", **{**_SMALL_COUNT_FIT, "random_seed": 3})
    entry = compiled_model(fit.spec, robust=False, target_accept=fit.settings["target_accept"])
    assert "width" in {v.name for v in entry.built.model.data_vars}
    assert "width" not in compat.nutpie_data_names(entry.nutpie)
    row = fit.summary().set_index("category").loc["killed"]
    assert 500 < row["median"] < 2_000


def _nato_killed_median(nato, reports, sampler):
    fit = est.estimate(
        reports,
        sources=nato.SOURCES,
        links=est.CASUALTY_LINKS,
        start=nato.START,
        sampler=sampler,
        draws=300,
        tune=500,
        chains=2,
        random_seed=4,
        progressbar=False,
    )
    return fit.summary().set_index(["party", "category"]).loc[("Russia", "killed"), "median"]


@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_a_refit_of_a_compiled_model_samples_its_own_data(nato_example, sampler):
    """The same structure fitted twice, the second time with every figure but one ten times
    higher: the second posterior follows its own figures, on every supported nutpie (nutpie
    0.16.9 keys a compiled model's data by keys of its own, not by name; a refit that looked
    them up by name sampled the first fit's data)."""
    if sampler == "nutpie":
        pytest.importorskip("nutpie")
    reports = list(nato_example.REPORTS)
    tenfold = scaled(reports[:-1], 10.0) + reports[-1:]
    assert tenfold[:-1] != reports[:-1]
    with counting_compiles():
        first = _nato_killed_median(nato_example, reports, sampler)
        second = _nato_killed_median(nato_example, tenfold, sampler)
    assert 6.0 < second / first < 14.0, (first, second)


@pytest.mark.slow
def test_a_refit_follows_its_data_with_nutpies_own_compile_too(nato_example, monkeypatch):
    """Where the cached compile cannot follow nutpie's internals, nutpie's own compile is used:
    it says so once, in words, and refits still sample their own data."""
    pytest.importorskip("nutpie")
    from collections import OrderedDict

    from estimator import fit
    from estimator.model import nutpie_cache

    def fail(*args, **kwargs):
        raise TypeError("internals this version does not know")

    monkeypatch.setattr(nutpie_cache, "_compile", fail)
    monkeypatch.setattr(nutpie_cache, "_SAID_NOT_CACHED", False)
    monkeypatch.setattr(fit, "_COMPILED", OrderedDict())  # compile again, here
    reports = list(nato_example.REPORTS)
    warnings.simplefilter("ignore", est.FitWarning)  # short chains: only the medians matter here
    with pytest.warns(est.CacheWarning, match="uses nutpie's own compile") as said:
        first = _nato_killed_median(nato_example, reports, "nutpie")
        second = _nato_killed_median(nato_example, scaled(reports[:-1], 10.0) + reports[-1:], "nutpie")
    assert sum(issubclass(w.category, est.CacheWarning) for w in said) == 1
    assert 6.0 < second / first < 14.0, (first, second)
