"""Plots on a real small fit of the NATO example: the data each draws, and that each renders."""

import datetime as dt
import io
import types
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import estimator as est  # noqa: E402
from estimator import plots  # noqa: E402


@pytest.fixture(scope="module")
def result(nato_example):
    ex = nato_example
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # 2 short chains: diagnostics are not the point
        return est.estimate(
            ex.REPORTS,
            sources=ex.SOURCES,
            links=est.CASUALTY_LINKS,
            start=ex.START,
            random_seed=1,
            draws=200,
            tune=200,
            chains=2,
            progressbar=False,
        )


def _ordered(d, lower="lower", mid="median", upper="upper"):
    return bool(((d[lower] <= d[mid]) & (d[mid] <= d[upper])).all())


def test_posterior_overlays_exactly_the_reports_of_each_quantity(result):
    d = plots.posterior_data(result)
    reports = result.reports()
    keys = {(q.party, q.category) for q in result.quantities}
    assert set(zip(d.party, d.category, strict=True)) == keys
    for p, c in keys:
        mine = d[(d.party == p) & (d.category == c)]
        drawn = sorted(mine[mine.element == "report"]["report"].astype(int))
        expected = sorted(reports[(reports.party == p) & (reports.category == c)]["report"])
        assert drawn == expected, (p, c)
        iv = mine[mine.element == "interval"]
        assert len(iv) == 1 and _ordered(iv)
        dens = mine[mine.element == "density"]
        assert len(dens) > 50 and (dens.density >= 0).all() and dens.density.max() > 0
    killed = d[(d.party == "Russia") & (d.category == "killed") & (d.element == "report")]
    assert set(killed.kind) == {"upper_estimate", "range", "nearly"}
    assert killed[killed.kind == "range"][["low", "high"]].values.tolist() == [[7000.0, 15000.0]]


def test_posterior_of_one_quantity_and_log_axis(result):
    d = plots.posterior_data(result, party="Russia", category="casualties", prob=0.5)
    assert set(d.category) == {"casualties"}
    iv = d[d.element == "interval"].iloc[0]
    assert iv.prob == 0.5
    s = result.summary(prob=0.5).set_index(["party", "category"]).loc[("Russia", "casualties")]
    assert iv["median"] == pytest.approx(s["median"]) and iv["lower"] == pytest.approx(s["lower"])
    wide = plots.posterior_data(result, party="Ukraine", category="civilians_killed")
    assert wide.log_x.all()  # a posterior spanning more than a factor 8


def test_forest_and_sources_data(result):
    f = plots.forest_data(result, party="Russia")
    assert set(f.party) == {"Russia"} and len(f) == 6 and _ordered(f)
    assert list(f.row) == list(range(len(f)))
    s = plots.sources_data(result)
    assert len(s) == 5 and _ordered(s, "bias_lower", "bias_median", "bias_upper")
    assert (s.prior_lower < s.prior_upper).all() and np.isfinite(
        s[["prior_lower", "prior_upper"]]
    ).all().all()
    mod = s[s.source == "Russian MoD"].iloc[0]
    assert mod.stance == "own" and mod.bias_median < 1


def test_trajectory_data(result):
    d = plots.trajectory_data(result, probs=(0.5, 0.9))
    band = d[d.element == "band"]
    start, as_of = dt.date(2022, 2, 24), dt.date(2022, 3, 23)
    assert band.date.min().date() == start and band.date.max().date() == as_of
    assert _ordered(band)
    wide = band[band.prob == 0.9].set_index(["party", "category", "date"])
    narrow = band[band.prob == 0.5].set_index(["party", "category", "date"])
    assert (wide.lower <= narrow.lower + 1e-9).all() and (wide.upper >= narrow.upper - 1e-9).all()
    rep = d[d.element == "report"]
    assert len(rep) == len(result.reports())
    assert rep.date.between(str(start), str(as_of)).all()
    with pytest.raises(est.ModelError, match="temporal"):
        plots.trajectory_data(types.SimpleNamespace(spec=types.SimpleNamespace(temporal=False)))


def test_diagnostics_data(result):
    d = plots.diagnostics_data(result)
    assert {"level", "tau", "bias", "noise"} <= set(d.parameter)
    per_chain = d.groupby(["parameter", "element", "chain"])["count"].sum()
    assert (per_chain == 200).all()
    with pytest.raises(est.ModelError, match="did you mean 'bias'"):
        plots.diagnostics_data(result, var_names=["biass"])


@pytest.mark.parametrize("kind", plots.KINDS)
def test_every_plot_renders(result, kind):
    fig = result.plot(kind)
    try:
        assert isinstance(fig, Figure)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.getvalue()[:4] == b"\x89PNG"
    finally:
        plt.close(fig)
    assert not plt.fignum_exists(fig.number)


def test_plot_into_a_given_axes(result):
    fig, ax = plt.subplots()
    try:
        assert plots.plot_posterior(result, party="Russia", category="killed", ax=ax) is fig
        assert ax.get_xscale() == "log"
        assert plots.plot_forest(result, ax=ax) is fig
        with pytest.raises(est.ModelError, match="ax= takes one panel"):
            plots.plot_posterior(result, ax=ax)
    finally:
        plt.close(fig)


def test_style_does_not_leak(result):
    before = dict(matplotlib.rcParams)
    plt.close(plots.plot_sources(result))
    assert dict(matplotlib.rcParams) == before


def test_unknown_kind_and_party_say_did_you_mean(result):
    with pytest.raises(est.ModelError, match="did you mean 'forest'"):
        plots.plot_result(result, kind="forrest")
    with pytest.raises(est.ModelError, match="did you mean 'Russia'"):
        plots.posterior_data(result, party="Rusia")
    with pytest.raises(est.ModelError, match="did you mean 'killed'"):
        plots.posterior_data(result, party="Russia", category="kiled")
