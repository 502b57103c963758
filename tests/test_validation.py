"""The validation harness (validation/harness.py): reports from the casebook, naive rules,
coverage flags, the table, and the leave-one-case-out hook."""

import math
import pathlib
import sys

import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from validation import harness  # noqa: E402

CASE_COLUMNS = [
    "case_id",
    "kind",
    "party",
    "category",
    "start",
    "end",
    "truth",
    "truth_low",
    "truth_high",
    "certainty",
]
FIGURE_COLUMNS = [
    "case_id",
    "source",
    "stance",
    "family",
    "party",
    "category",
    "date",
    "since",
    "published",
    "wording",
    "kind",
    "value",
    "low",
    "high",
    "url",
    "certainty",
]


def tiny_casebook():
    """Two made-up cases: one with every stance, one with own and adversary figures only."""
    nan = float("nan")
    cases = pd.DataFrame(
        [
            ["a", "battle", "P", "killed", "2000-01-01", "2000-01-31", 250, 200, 300, "high"],
            ["b", "battle", "Q", "killed", "2000-01-01", "2000-01-31", 100, nan, nan, "high"],
        ],
        columns=CASE_COLUMNS,
    )

    def fig(case, source, stance, kind, value=nan, low=nan, high=nan, date="2000-01-31", since=nan):
        party = "P" if case == "a" else "Q"
        return [case, source, stance, nan, party, "killed", date, since, date, "w", kind, value, low, high,
                "https://example.org", "high"]  # fmt: skip

    figures = pd.DataFrame(
        [
            fig("a", "Own ministry", "own", "exact", 100, date="2000-01-10"),
            fig("a", "Enemy", "adversary", "exact", 400),
            fig("a", "Press", "neutral", "range", low=100, high=400),  # point value 200
            fig("a", "Ally", "ally", "approx", 50),
            fig("a", "NGO", "neutral", "exact", 300, since="2000-01-15"),
            fig("a", "Academic", "neutral", "at_least", 1000),
            fig("b", "Q army", "own", "exact", 40),
            fig("b", "Q enemy", "adversary", "exact", 160),
            fig("b", "Q enemy", "adversary", "approx", 250),
        ],
        columns=FIGURE_COLUMNS,
    )
    return cases, figures


def test_naive_rules_exact_numbers():
    cases, figures = tiny_casebook()
    a = harness.naive_rules(harness.case_figures("a", figures))
    # points: 100, 400, 200, 50, 300, 1000 -> median (200 + 300) / 2
    assert a["median_all"] == 250
    # neutral: 200, 300, 1000
    assert a["median_neutral"] == 300
    assert a["mean_rest"] == 500
    assert not a["median_neutral_fallback"] and not a["mean_rest_fallback"]
    b = harness.naive_rules(harness.case_figures("b", figures))
    # no neutral figure: both rules fall back to all figures (40, 160, 250)
    assert b["median_all"] == 160 and b["median_neutral"] == 160
    assert b["mean_rest"] == pytest.approx(150)
    assert b["median_neutral_fallback"] and b["mean_rest_fallback"]
    info = harness.case_info("a", cases, figures)
    assert info["median_all_log_err"] == pytest.approx(0.0)
    assert info["median_neutral_log_err"] == pytest.approx(math.log(300 / 250))
    assert info["mean_rest_log_err"] == pytest.approx(math.log(2))
    assert (info["n_own"], info["n_adversary"], info["n_neutral"], info["n_ally"]) == (1, 1, 3, 1)
    assert (info["n_window"], info["n_early"]) == (1, 1)


def test_case_reports_stances_and_kinds():
    cases, figures = tiny_casebook()
    reports, sources = harness.case_reports("a", cases, figures)
    assert len(reports) == 6
    by_name = {s.name: s.affiliation for s in sources}
    assert by_name == {
        "Own ministry": "P",
        "Enemy": "adversary of P",
        "Press": None,
        "Ally": "adversary of P",  # no ally stance in the model: read as adversary
        "NGO": None,
        "Academic": None,
    }
    press = next(r for r in reports if r.source == "Press")
    assert (press.kind, press.value, press.low, press.high) == ("range", None, 100, 400)
    assert press.quote == "w" and press.url == "https://example.org" and press.published == "2000-01-31"
    assert press.date is None and press.since is None  # static: dates ride along in extra only
    ngo = next(r for r in reports if r.source == "NGO")
    assert ngo.extra["since"] == "2000-01-15" and ngo.extra["stance"] == "neutral"


def test_the_whole_casebook_converts():
    cases, figures = harness.load_casebook()
    assert len(cases) == 25 and len(figures) == 136
    n = 0
    for case_id in cases["case_id"]:
        reports, sources = harness.case_reports(case_id, cases, figures)
        n += len(reports)
        assert {r.source for r in reports} == {s.name for s in sources}
    assert n == len(figures)


def test_interval_flags():
    assert harness.contains(10, 20, 10) and harness.contains(10, 20, 20)
    assert not harness.contains(10, 20, 21)
    assert harness.overlaps(10, 20, 18, 30) and harness.overlaps(10, 20, 5, 10)
    assert not harness.overlaps(10, 20, 21, 30)
    assert harness.log_error(200, 100) == pytest.approx(math.log(2))


def test_loo_never_gives_the_held_out_case_to_the_learner():
    cases, figures = harness.load_casebook()
    seen = []

    def learn(other_cases, other_figures):
        seen.append((set(other_cases["case_id"]), set(other_figures["case_id"])))
        return {"learned_from": frozenset(other_cases["case_id"])}

    def fit(case_id, learned):
        assert case_id not in learned["learned_from"]
        return {"case_id": case_id, "n_learned": len(learned["learned_from"])}

    out = harness.loo_cases(fit, learn, cases=cases, figures=figures)
    ids = list(cases["case_id"])
    assert [r["case_id"] for r in out] == ids
    for case_id, (c, f) in zip(ids, seen, strict=True):
        assert case_id not in c and case_id not in f
        assert c == set(ids) - {case_id}  # every other case, nothing else held out
        assert f == set(ids) - {case_id}
    assert all(r["n_learned"] == len(ids) - 1 for r in out)


def test_summarise_counts():
    df = pd.DataFrame(
        {
            "case_id": ["x", "y", "z"],
            "error": [None, None, "ModelError: boom"],
            "in50": [True, False, None],
            "in90": [True, True, None],
            "overlap50": [True, None, None],
            "overlap90": [True, None, None],
            "log_err": [0.1, -1.0, float("nan")],
            "divergences": [0, 3, None],
            "median_all_log_err": [0.5, 0.5, 0.0],
            "median_neutral_log_err": [0.05, 2.0, 0.0],
            "mean_rest_log_err": [-0.2, -0.9, 0.0],
        }
    )
    s = harness.summarise(df)
    assert (s["n_cases"], s["n_fitted"], s["n_failed"]) == (3, 2, 1)
    assert s["coverage50"] == 0.5 and s["coverage90"] == 1.0
    assert s["model_median_abs_log_err"] == pytest.approx(0.55)
    assert s["model_beats_median_all"] == 1
    assert s["model_beats_median_neutral"] == 1
    assert s["model_beats_mean_rest"] == 1
    assert s["n_divergent_fits"] == 1 and s["n_overlap90"] == 1


@pytest.fixture(scope="module")
def small_run():
    return harness.run(["kosovo_1999_tanks", "grenfell_2017"], draws=200, tune=200, chains=2)


@pytest.mark.slow
def test_run_two_cases(small_run, tmp_path):
    df = small_run
    for col in (
        "case_id", "truth", "median", "lower50", "upper50", "lower90", "upper90", "in50", "in90",
        "overlap90", "log_err", "divergences", "max_r_hat", "fit_seconds", "error",
        "median_all_log_err", "median_neutral_log_err", "mean_rest_log_err", "n_window", "n_early",
    ):  # fmt: skip
        assert col in df.columns, col
    assert df["error"].isna().all(), df["error"].tolist()
    for _, r in df.iterrows():
        assert r["lower90"] <= r["lower50"] <= r["median"] <= r["upper50"] <= r["upper90"]
        # the flags, by hand from the numbers
        assert r["in90"] == (r["lower90"] <= r["truth"] <= r["upper90"])
        assert r["in50"] == (r["lower50"] <= r["truth"] <= r["upper50"])
        assert r["log_err"] == pytest.approx(math.log(r["median"] / r["truth"]))
    grenfell = df.set_index("case_id").loc["grenfell_2017"]
    assert grenfell["truth"] == 71 and grenfell["overlap90"] is None  # no settled range
    # the same seed gives the same numbers
    again = harness.fit_case("kosovo_1999_tanks", draws=200, tune=200, chains=2)
    assert again["median"] == df.set_index("case_id").loc["kosovo_1999_tanks", "median"]
    text = harness.write_table(df, tmp_path / "validation.md")
    for heading in ("## Per case", "## Overall", "## Misses and why", "## Leave one case out"):
        assert heading in text
    assert "| kosovo_1999_tanks |" in text and "| grenfell_2017 |" in text


def test_failed_fit_is_a_row(monkeypatch):
    import estimator as est

    def boom(*args, **kwargs):
        raise est.ModelError("sampler exploded")

    monkeypatch.setattr(est, "estimate", boom)
    row = harness.fit_case("kosovo_1999_tanks")
    assert row["error"] == "ModelError: sampler exploded"
    assert math.isnan(row["median"]) and row["in90"] is None
    assert row["median_all_log_err"] == pytest.approx(math.log(53 / 14))  # median of 120, 13, 13, 93
    s = harness.summarise(pd.DataFrame([row]))
    assert s["n_failed"] == 1 and s["n_fitted"] == 0


def test_miss_causes_read_from_the_figures():
    cases, figures = tiny_casebook()
    rows = harness.case_figures("b", figures)
    # an interval above the truth (100): the adversary's 160 and 250 ran high, no neutral figure
    causes = harness.miss_causes({"truth": 100, "lower90": 120, "end": "2000-01-31"}, rows)
    assert "adversary figures ran high (2 of 2 above the truth, up to 250)" in causes
    assert "no neutral figure: nothing anchors the truth but the stance priors" in causes
    assert not any(c.startswith("own side") for c in causes)
    # below the truth: the own figure (40) ran low
    causes = harness.miss_causes({"truth": 100, "lower90": 10, "end": "2000-01-31"}, rows)
    assert causes[0] == "own side figures ran low (1 of 1 below the truth, down to 40)"


def test_stance_priors_learned_by_hand():
    """The learned priors on the tiny casebook, worked out by hand: log factors per stance and
    case, their mean and spread across cases, the scatter within a case."""
    from validation import stances

    cases, figures = tiny_casebook()
    # A third case, so that adversary figures come from three cases (MIN_CASES).
    cases = pd.concat([cases, cases.iloc[[1]].assign(case_id="c", truth=1000.0)], ignore_index=True)
    figures = pd.concat([figures, figures.iloc[[7]].assign(case_id="c", value=2000.0)], ignore_index=True)
    got = stances.learn_stance_priors(cases, figures)
    # adversary (ally read as adversary): case a: 400/250 and 50/250; b: 160/100, 250/100; c: 2
    a = [math.log(400 / 250), math.log(50 / 250)]
    b = [math.log(1.6), math.log(2.5)]
    c = [math.log(2.0)]
    means = [sum(a) / 2, sum(b) / 2, c[0]]
    mu = sum(means) / 3
    between = math.sqrt(sum((m - mu) ** 2 for m in means) / 2)
    within = [x - means[0] for x in a] + [x - means[1] for x in b] + [0.0]
    spread = math.sqrt(sum(w * w for w in within) / (5 - 3))
    assert got["adversary"]["mu"] == pytest.approx(mu, rel=1e-12)
    assert got["adversary"]["mu_sd"] == pytest.approx(between * math.sqrt(1 + 1 / 3), rel=1e-12)
    assert got["adversary"]["spread"] == pytest.approx(spread, rel=1e-12)
    # own figures in a and b only, neutral in a only: too few cases, the defaults stay. The
    # NGO's window (since) and the academic's bound are not estimates of the toll: left out.
    assert set(got) == {"adversary"}
    factors = stances.log_factors(cases, figures)
    assert "NGO" not in set(factors["source"]) and "Academic" not in set(factors["source"])
