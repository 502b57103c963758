"""Validation: every bad report is named, by index and source, in one error."""

import datetime as dt

import pytest

import estimator as est
from estimator.reports import validate


def good(**kw):
    base = dict(source="NATO", party="Russia", category="killed", date="2022-03-23", kind="exact", value=100)
    base.update(kw)
    return est.Report(**base)


def test_every_problem_is_listed_once_with_index_and_source():
    reports = [
        good(),
        good(source="Alpha", value=-5),
        good(source="Beta", kind="range", low=10, high=5, value=None),
        good(source="Gamma", kind="roughly"),
        good(source="Delta", date="23/03/2022"),
        good(source="Epsilon", date="2022-01-01"),
        good(source="Zeta", party=""),
        good(source="Eta", value="many"),
        good(source="Theta", category="killed+"),
    ]
    with pytest.raises(est.ReportError) as info:
        validate(reports, start=dt.date(2022, 2, 24))
    msg = str(info.value)
    assert "8 problems" in msg
    for i, src, what in [
        (1, "Alpha", "negative figure -5"),
        (2, "Beta", "low 10 > high 5"),
        (3, "Gamma", "unknown kind 'roughly'"),
        (4, "Delta", "is not a date"),
        (5, "Epsilon", "before the start 2022-02-24"),
        (6, "Zeta", "party is empty"),
        (7, "Eta", "'many' is not a number"),
        (8, "Theta", "has an empty part"),
    ]:
        assert f"report {i} ({src}): " in msg and what in msg, (i, src, what)
    assert "report 0 " not in msg
    assert [p.index for p in info.value.problems] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_report_error_is_a_value_error_and_says_what_to_do():
    with pytest.raises(ValueError, match="Use one of exact, approx"):
        validate([good(kind="aprox")])
    with pytest.raises(est.ReportError, match="did you mean 'approx'"):
        validate([good(kind="aprox")])


def test_aggregates_expand_to_leaves():
    aggs = {"casualties": ("killed", "wounded", "captured", "missing")}
    clean = validate([good(category="casualties"), good(category="killed+wounded")], aggregates=aggs)
    assert clean[0].leaves == ("killed", "wounded", "captured", "missing")
    assert clean[1].leaves == ("killed", "wounded")
    with pytest.raises(est.ReportError, match="sums aggregates"):
        validate([good(category="casualties+generals")], aggregates=aggs)


def test_range_uses_geometric_middle_and_zero_is_legal_for_counts():
    clean = validate([good(kind="range", low=7_000, high=15_000, value=None), good(value=0)])
    assert clean[0].value == pytest.approx((7_000 * 15_000) ** 0.5)
    assert clean[1].value == 0 and clean[1].small


def test_estimate_rejects_mixed_dated_and_undated_reports_naming_them():
    with pytest.raises(est.ReportError, match=r"report 1 \(NATO\): has no date"):
        est.estimate([good(), good(date=None)])


def test_source_validation():
    with pytest.raises(est.ReportError, match="bias"):
        est.Source("X", bias=(0.9, 0.2))
    with pytest.raises(est.ReportError, match="reference"):
        est.Source("X", bias=(0.2, 0.9), reference=True)


def test_unknown_options_fail_loudly():
    with pytest.raises(est.ModelError, match="did you mean 'static'"):
        est.estimate([good()], mode="statc")
    with pytest.raises(est.ModelError, match="did you mean 'own'"):
        est.estimate([good()], stance_bias={"onw": (0.1, 0.9)})


def test_sum_of_unknown_leaves_is_refused_with_a_hint():
    aggs = {"casualties": ("killed", "wounded", "captured", "missing")}
    reports = [good(), good(source="Omega", category="killed+wonded")]
    with pytest.raises(
        est.ReportError, match=r"report 1 \(Omega\).*unknown leaves \['wonded'\] \(did you mean 'wounded'\?\)"
    ):
        validate(reports, aggregates=aggs)
    # A leaf that another report uses on its own is known.
    validate([good(category="generals"), good(category="killed+generals")], aggregates=aggs)


def test_dates_must_be_iso_to_the_end():
    with pytest.raises(est.ReportError) as info:
        validate([good(date="2022-03-30junk"), good(source="B", since="2022-03-31T99:99"), good()])
    assert [(p.index, p.source) for p in info.value.problems] == [(0, "NATO"), (1, "B")]
    assert "date '2022-03-30junk' is not a date" in info.value.problems[0].what
    assert "since '2022-03-31T99:99' is not a date" in info.value.problems[1].what
    clean = validate([good(date="2022-03-30T10:00"), good(date=dt.date(2022, 3, 30), value=200)])
    assert [c.date for c in clean] == [dt.date(2022, 3, 30)] * 2
