"""What may be a slip in valid reports: warned about in words, and kept in the notes."""

import datetime as dt
import warnings

import pytest

import estimator as est
import estimator.fit
from estimator.errors import ReportWarning
from estimator.reports import validate


def good(**kw):
    base = dict(source="NATO", party="Russia", category="killed", date="2022-03-23", kind="exact", value=100)
    base.update(kw)
    return est.Report(**base)


def quiet(reports, **kw):
    """validate() that must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReportWarning)
        return validate(reports, **kw)


def test_identical_reports_warn_naming_them_and_count_once():
    reports = [good(), good(source="UN", value=120), good(figure="100 killed"), good(value=101)]
    with pytest.warns(
        ReportWarning, match=r"report 0 and report 2 are the same report \(NATO: Russia killed"
    ):
        clean = validate(reports)
    assert [c.index for c in clean] == [0, 1, 3]  # the copy is dropped, the first kept
    [note] = clean.notes
    assert "report 0 and report 2" in note and "counted once" in note
    # the same figure on another date, or of another kind, is another report
    quiet([good(), good(date="2022-03-24"), good(kind="approx")])


@pytest.mark.parametrize(
    ("field", "typo", "meant"),
    [
        ("category", "kiled", "killed"),
        ("party", "Russsia", "Russia"),
        ("party", "russia", "Russia"),
        ("source", "Ukrainian governmnet", "Ukrainian government"),
        ("source", "Ukrainiangovernment", "Ukrainian government"),
    ],
)
def test_a_name_one_or_two_letters_from_another_is_named(field, typo, meant):
    reports = [good(**{field: meant}, value=100 + k) for k in range(3)] + [good(**{field: typo})]
    with pytest.warns(
        ReportWarning, match=rf"report 3: {field} '{typo}' .* did you mean '{meant}'\?"
    ) as info:
        clean = validate(reports)
    assert len(info) == 1
    assert any(f"did you mean '{meant}'" in n for n in clean.notes)


def test_a_category_near_a_declared_aggregate_or_its_leaves_is_named():
    aggs = est.DEFAULT_AGGREGATES
    with pytest.warns(ReportWarning, match=r"report 0: category 'casualtes' .* did you mean 'casualties'"):
        validate([good(category="casualtes")], aggregates=aggs)
    with pytest.warns(ReportWarning, match=r"report 0: category 'wonded' .* did you mean 'wounded'"):
        validate([good(category="wonded"), good(category="casualties")], aggregates=aggs)


def test_names_meant_to_differ_are_left_alone():
    quiet(
        [
            good(source="UK MoD", party="UN"),
            good(source="US MoD", party="US"),
            good(source="S1", category="killed"),
            good(source="S2", category="wounded"),
            good(source="Oryx 2022"),
            good(source="Oryx 2023"),
            good(source="NATO", party="Ukraine"),
        ]
    )


def test_a_figure_a_thousand_times_from_the_others_is_named():
    reports = [good(source=s, value=v) for s, v in (("A", 10_000), ("B", 12_000), ("C", 9_000))]
    reports.append(good(source="Tabloid", value=40_000_000))
    with pytest.warns(
        ReportWarning,
        match=r"report 3: Tabloid: .* 40,000,000 is 4,000 times above the median 10,000 of the 3 other",
    ):
        clean = validate(reports)
    assert any("Tabloid" in n for n in clean.notes)
    # small or one-sided figures, and dated figures far apart in time, are not compared
    quiet(reports[:3] + [good(source="D", kind="at_least", value=10)])
    quiet(reports[:3] + [good(source="E", date=dt.date(2024, 1, 1), value=40_000_000)])


def test_estimate_carries_the_warnings_into_the_notes(monkeypatch):
    seen = {}
    monkeypatch.setattr(estimator.fit, "fit_spec", lambda spec, **kw: seen.update(kw, spec=spec))
    with pytest.warns(ReportWarning):
        est.estimate([good(), good(value=200), good()], sources=[est.Source("NATO")])
    assert any("report 0 and report 2 are the same report" in n for n in seen["notes"])
    assert len(seen["spec"].clean) == 2
