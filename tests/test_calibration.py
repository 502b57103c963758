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
    assert [r.kind for r in a.reports] == [r.kind for r in b.reports]
    assert a.truth.equals(b.truth)
