"""The NATO example reproduces the seed article: every figure, clean diagnostics."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nato(nato_example):
    """The example as a user runs it: with the default sampler (nutpie where installed)."""
    ex = nato_example
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ESTIMATOR_SAMPLER", raising=False)  # conftest pins the other tests to PyMC's
        return ex, ex.main(write=False)


def test_every_figure_of_the_article_is_a_report_with_its_quote(nato):
    ex, _ = nato
    article = ROOT.parent / "shared" / "seed" / "nato-march-2022-article.txt"
    text = article.read_text() if article.exists() else None
    phrases = [
        "up to 15,000",
        "as many as 40,000",
        "roughly 7,000 to 15,000",
        "six",
        "almost 500",
        "nearly 1,600",
        "thousands",
        "at least 121",
        "about 1,300",
        "more than 10 percent",
    ]
    figures = [r.figure for r in ex.REPORTS]
    for p in phrases:
        assert any(f.startswith(p) for f in figures), p
        if text is not None:
            assert p in text
    for r in ex.REPORTS:
        assert r.quote and (text is None or r.quote.split("[...]")[0].strip() in text)


def test_nato_fit_is_clean_and_ordered(nato):
    _, res = nato
    d = res.diagnostics
    assert d["divergences"] == 0, d
    assert d["max_r_hat"] <= 1.01, d
    assert res.settings["tune"] == 1000  # 11 reports do not pin the walk: nutpie's own start
    s = res.summary().set_index(["party", "category"])
    killed = s.loc[("Russia", "killed")]
    casualties = s.loc[("Russia", "casualties")]
    assert casualties["lower"] > killed["lower"] and casualties["median"] > killed["median"]
    # NATO's 7,000 to 15,000 dominates; Russia's "almost 500" (three weeks earlier) is an undercount.
    assert 5_000 < killed["median"] < 13_000
    src = res.sources().set_index(["source", "party"])
    assert src.loc[("Russian MoD", "Russia"), "bias_upper"] < 1
    assert src.loc[("Ukrainian government", "Russia"), "stance"] == "adversary"


def test_example_reports_carry_provenance_through(nato):
    ex, res = nato
    table = res.reports()
    assert list(table.quote) == [r.quote for r in ex.REPORTS]
    assert set(table.kind) >= {
        "upper_estimate",
        "range",
        "exact",
        "documented",
        "nearly",
        "at_least",
        "approx",
    }


def test_sensitivity_verdict_agrees_with_the_prior_dominated_flag(nato):
    _, res = nato
    s = res.summary().merge(res.sensitivity(), on=["party", "category"])
    dominated = s[s.prior_dominated]
    assert len(dominated) >= 1  # "at least 121 children" alone barely narrows its prior
    assert (dominated.verdict == "driven by the truth prior").all()
    assert (s[~s.prior_dominated].verdict != "driven by the truth prior").all()
