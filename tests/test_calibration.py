"""A 10-dataset calibration run (benchmarks/calibration.py runs 200; see docs/calibration.md)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import calibration as cal  # noqa: E402


@pytest.mark.slow
def test_ten_datasets_cover_the_truth_about_as_often_as_they_say(tmp_path):
    setup = cal.Setup(mode="static", n_reports=10, draws=300, tune=300, chains=2)
    out = tmp_path / "cal.csv"
    rows = cal.run(setup, 10, out=str(out), verbose=False)
    assert rows.seed.nunique() == 10
    table = cal.coverage_table(rows).set_index("what")
    assert {"quantity", "bias"} <= set(table.index)
    q = table.loc["quantity"]
    # 10 datasets: a loose check (the benchmark's 200 give the real number).
    assert 0.7 <= q.cover90 <= 1.0, table
    assert 0.2 <= q.cover50 <= 0.85, table
    assert table.loc["bias", "cover90"] >= 0.7, table
    md = cal.markdown(table.reset_index())
    assert md.count("\n") == len(table) + 1
    # Rerunning resumes: nothing left to fit.
    again = cal.run(setup, 10, out=str(out), verbose=False)
    assert len(again) == len(rows)


def test_misspecified_simulations_differ_only_by_what_is_switched_on():
    a = cal.simulate_dataset(cal.Setup(), 3)
    b = cal.simulate_dataset(cal.Setup(misspec="wild"), 3)
    # A fabricated figure can move the source's value across a censoring threshold, so "at
    # least" and "at most" may swap; everything else is the same draw.
    assert [_bound(r.kind) for r in a.reports] == [_bound(r.kind) for r in b.reports]
    assert a.truth.equals(b.truth)
    assert [r.party for r in a.reports] == [r.party for r in b.reports]


def _bound(kind):
    return "bound" if kind in ("at_least", "at_most") else kind


def test_misspecified_bounds_change_only_the_bound_figures():
    a = cal.simulate_dataset(cal.Setup(), 5)
    b = cal.simulate_dataset(cal.Setup(misspec="hedged"), 5)
    assert a.truth.equals(b.truth)
    assert [_bound(r.kind) for r in a.reports] == [_bound(r.kind) for r in b.reports]
    same = [ra == rb for ra, rb in zip(a.reports, b.reports, strict=True) if _bound(ra.kind) != "bound"]
    assert all(same) and len(same) >= 8


def test_censored_bounds_are_thresholds_drawn_independently_of_the_truth():
    import numpy as np
    from scipy import stats

    import estimator as est
    from estimator.constants import BOUND_SD

    sim = est.simulate(
        n_reports=600, temporal=False, kinds=("at_least", "at_most"), scale=5_000, random_seed=11
    )
    kinds = np.array([r.kind for r in sim.reports])
    log_c = np.log(np.array([r.value for r in sim.reports]) / 5_000)
    # The thresholds are log-normal around the scale whatever the truth and the source ...
    assert stats.kstest(log_c, stats.norm(0, BOUND_SD).cdf).pvalue > 0.01
    # ... and the side of the threshold the source's value falls on decides the kind: the
    # "at least" thresholds are the low ones.
    assert 0.25 < np.mean(kinds == "at_least") < 0.75
    assert log_c[kinds == "at_least"].mean() < log_c[kinds == "at_most"].mean() - 0.5
    hedged = est.simulate(
        n_reports=600,
        temporal=False,
        kinds=("at_least", "at_most"),
        scale=5_000,
        random_seed=11,
        bounds="hedged",
    )

    def corr_with_truth(sim):
        c = np.log([r.value for r in sim.reports])
        truth = np.log([sim.truth_of(r.party, r.category) for r in sim.reports])
        return np.corrcoef(c, truth)[0, 1]

    # Censored thresholds know nothing of the truth; hedged bounds follow it.
    assert abs(corr_with_truth(sim)) < 0.15
    assert corr_with_truth(hedged) > 0.3
    with pytest.raises(est.ModelError, match="bounds"):
        est.simulate(n_reports=5, bounds="rounded")


def test_kinds_option_draws_only_those_kinds():
    sim = cal.simulate_dataset(cal.Setup(kinds=("exact", "range")), 2)
    assert {r.kind for r in sim.reports} == {"exact", "range"}
    assert len(sim.reports) == cal.Setup().n_reports
