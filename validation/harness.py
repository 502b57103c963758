"""Fit every case of the casebook with the current model and compare it with the settled truth.

One command reproduces ``docs/validation.md``::

    python -m validation.harness --out docs/validation.md

Each case is fitted in static mode with the package's defaults: the figures as published, one
:class:`estimator.Source` per source with the stance the casebook gives it, nothing learned from
the casebook. The table puts the model next to three naive rules on the same figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import platform
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CASEBOOK = Path(__file__).resolve().parent / "casebook"

#: The package's bounds on its diagnostics (estimator/constants.py).
MAX_RHAT = 1.01
MIN_ESS = 400

#: Sampler settings of the published table: modest, so that the 25 fits take minutes.
DRAWS = 500
TUNE = 500
CHAINS = 2
#: PyMC's sampler: on these small static models it compiles in a few seconds, where nutpie
#: compiles each new structure (every case has its own) for about 20 s on the 2-core machine.
SAMPLER = "pymc"

#: Stances of the casebook and what the model makes of them.
STANCES = ("own", "adversary", "neutral", "ally")
#: Stances the naive rule "drop the warring parties" drops.
PARTISAN = ("own", "adversary", "ally")

RULES = {
    "median_all": "median of all figures",
    "median_neutral": "median of the neutral figures",
    "mean_rest": "mean of the figures of neither side",
}


# --- the casebook ---------------------------------------------------------------------------------
def load_casebook(folder: str | Path = CASEBOOK) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The casebook's two tables: ``cases`` (one row per case) and ``figures`` (one per figure)."""
    folder = Path(folder)
    cases = pd.read_csv(folder / "cases.csv", dtype={"case_id": str})
    figures = pd.read_csv(folder / "figures.csv", dtype={"case_id": str})
    return cases, figures


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


def _text(x: Any) -> str | None:
    return None if _blank(x) else str(x)


def _num(x: Any) -> float | None:
    return None if _blank(x) else float(x)


def point_value(row: pd.Series | dict) -> float:
    """A figure as one number: its value, or the geometric middle sqrt(low * high) of a range."""
    if row["kind"] == "range" or _blank(row.get("value")):
        return math.sqrt(float(row["low"]) * float(row["high"]))
    return float(row["value"])


def affiliation(stance: str, party: str) -> str | None:
    """The ``Source.affiliation`` that gives a source the casebook's stance toward ``party``.

    ``own`` -> the party; ``adversary`` -> a label of the other side; ``ally`` -> the same label
    as an adversary (the model has no ally stance yet); ``neutral`` -> None.
    """
    if stance == "own":
        return party
    if stance in ("adversary", "ally"):
        return f"adversary of {party}"
    if stance == "neutral":
        return None
    raise ValueError(f"unknown stance {stance!r}; the casebook uses {', '.join(STANCES)}")


def _case(cases: pd.DataFrame, case_id: str) -> pd.Series:
    rows = cases[cases["case_id"] == case_id]
    if rows.empty:
        raise KeyError(f"no case {case_id!r} in the casebook")
    return rows.iloc[0]


def case_figures(case_id: str, figures: pd.DataFrame) -> pd.DataFrame:
    """The figures of one case, in the casebook's order."""
    return figures[figures["case_id"] == case_id].reset_index(drop=True)


def case_reports(
    case_id: str, cases: pd.DataFrame | None = None, figures: pd.DataFrame | None = None
) -> tuple[list, list]:
    """``(reports, sources)`` for :func:`estimator.estimate` in static mode.

    One report per figure: the casebook's kind and numbers, party and category; its wording as
    ``quote`` and its ``url`` and ``published`` date as provenance. Dates are left out (the fit is
    static, which ignores them): a figure counting part of the period (a ``since`` window, or an
    "as of" date before the truth's) is therefore read as an estimate of the whole. The
    casebook's date, window, stance, family and certainty ride along in ``extra``.
    One source per distinct source, its affiliation from the stance (:func:`affiliation`).
    """
    import estimator as est

    if cases is None or figures is None:
        cases, figures = load_casebook()
    case = _case(cases, case_id)
    rows = case_figures(case_id, figures)
    if rows.empty:
        raise ValueError(f"case {case_id!r} has no figures")
    reports, stances = [], {}
    for _, row in rows.iterrows():
        name = str(row["source"])
        stance = str(row["stance"])
        if stances.setdefault(name, stance) != stance:
            raise ValueError(f"{case_id}: source {name!r} has two stances ({stances[name]}, {stance})")
        is_range = row["kind"] == "range"
        reports.append(
            est.Report(
                source=name,
                party=str(row["party"]),
                category=str(row["category"]),
                kind=str(row["kind"]),
                value=None if is_range else _num(row["value"]),
                low=_num(row["low"]) if is_range else None,
                high=_num(row["high"]) if is_range else None,
                quote=_text(row.get("wording")),
                url=_text(row.get("url")),
                published=_text(row.get("published")),
                extra={
                    k: _text(row.get(k)) for k in ("date", "since", "stance", "family", "certainty", "notes")
                },
            )
        )
    party = str(case["party"])
    sources = [est.Source(name, affiliation=affiliation(stance, party)) for name, stance in stances.items()]
    return reports, sources


def partial_counts(case: pd.Series, rows: pd.DataFrame) -> tuple[int, int]:
    """Figures that count part of the period: ``(window, early)``: those with a ``since`` window,
    and those without one dated before the end the truth refers to."""
    window = int(rows["since"].notna().sum())
    end = str(case["end"])
    early = int(((rows["since"].isna()) & (rows["date"].astype(str) < end)).sum())
    return window, early


# --- naive rules ----------------------------------------------------------------------------------
def naive_rules(rows: pd.DataFrame) -> dict[str, Any]:
    """The three naive estimates from a case's figures (point values, :func:`point_value`).

    ``median_all``: median of all figures. ``median_neutral``: median of the neutral figures,
    all figures when there is none (``median_neutral_fallback`` True). ``mean_rest``: arithmetic
    mean of the figures that are neither own, adversary nor ally (the same fallback,
    ``mean_rest_fallback``).
    """
    x = np.array([point_value(r) for _, r in rows.iterrows()], dtype=float)
    stance = rows["stance"].to_numpy()
    neutral = stance == "neutral"
    rest = ~np.isin(stance, PARTISAN)
    return {
        "median_all": float(np.median(x)),
        "median_neutral": float(np.median(x[neutral])) if neutral.any() else float(np.median(x)),
        "median_neutral_fallback": not bool(neutral.any()),
        "mean_rest": float(np.mean(x[rest])) if rest.any() else float(np.mean(x)),
        "mean_rest_fallback": not bool(rest.any()),
    }


def log_error(estimate: float, truth: float) -> float:
    """``log(estimate / truth)``: 0 on target, log 2 = 0.69 a factor 2 too high."""
    if not (estimate > 0 and truth > 0):
        return float("nan")
    return math.log(estimate / truth)


# --- the model ------------------------------------------------------------------------------------
def case_seed(case_id: str) -> int:
    """A fixed seed per case, the same on every machine and run."""
    return zlib.crc32(case_id.encode("utf-8"))


def contains(lower: float, upper: float, x: float) -> bool:
    """Whether [lower, upper] contains x."""
    return bool(lower <= x <= upper)


def overlaps(lower: float, upper: float, lo: float, hi: float) -> bool:
    """Whether [lower, upper] and [lo, hi] share a point."""
    return bool(lower <= hi and lo <= upper)


def case_info(case_id: str, cases: pd.DataFrame, figures: pd.DataFrame) -> dict[str, Any]:
    """What the table says of a case besides the fit: its truth, figures and the naive rules."""
    case = _case(cases, case_id)
    rows = case_figures(case_id, figures)
    truth = float(case["truth"])
    window, early = partial_counts(case, rows)
    stances = rows["stance"].value_counts()
    info: dict[str, Any] = {
        "case_id": case_id,
        "kind": case["kind"],
        "party": case["party"],
        "category": case["category"],
        "truth": truth,
        "truth_low": _num(case.get("truth_low")),
        "truth_high": _num(case.get("truth_high")),
        "truth_certainty": case.get("certainty"),
        "n_figures": len(rows),
        "n_sources": int(rows["source"].nunique()),
        **{f"n_{s}": int(stances.get(s, 0)) for s in STANCES},
        "n_families": int(rows["family"].dropna().nunique()),
        "n_window": window,
        "n_early": early,
    }
    rules = naive_rules(rows)
    info.update(rules)
    for rule in RULES:
        info[f"{rule}_log_err"] = log_error(rules[rule], truth)
    return info


def fit_case(
    case_id: str,
    *,
    cases: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
    draws: int = DRAWS,
    tune: int = TUNE,
    chains: int = CHAINS,
    sampler: str = SAMPLER,
    random_seed: int | None = None,
    seed_offset: int = 0,
    stance_bias: dict | None = None,
) -> dict[str, Any]:
    """Fit one case and compare its posterior with the truth.

    Returns the case's :func:`case_info` and the model's median, 50% and 90% intervals of the
    case's quantity, whether each contains the central truth (``in50``, ``in90``) and overlaps
    the settled range (``overlap50``, ``overlap90``; None without a range), ``log_err`` =
    log(median / truth), divergences, max R-hat, the warnings of the fit and its time. A fit that
    fails gives ``error`` (the exception in words) and NaN for the model's numbers.
    ``stance_bias`` is passed to :func:`estimator.estimate` (None: the package's defaults).
    The seed is ``random_seed``, else :func:`case_seed` plus ``seed_offset`` (to check how much
    the numbers move from seed to seed).
    """
    import estimator as est

    if cases is None or figures is None:
        cases, figures = load_casebook()
    out = case_info(case_id, cases, figures)
    seed = case_seed(case_id) + seed_offset if random_seed is None else random_seed
    out.update(
        {
            "seed": seed,
            "median": float("nan"),
            "lower50": float("nan"),
            "upper50": float("nan"),
            "lower90": float("nan"),
            "upper90": float("nan"),
            "in50": None,
            "in90": None,
            "overlap50": None,
            "overlap90": None,
            "log_err": float("nan"),
            "divergences": None,
            "max_r_hat": float("nan"),
            "min_ess_bulk": float("nan"),
            "min_ess_tail": float("nan"),
            "fit_problems": "",
            "n_warnings": 0,
            "warnings": "",
            "error": None,
            "fit_seconds": float("nan"),
        }
    )
    t0 = time.perf_counter()
    try:
        reports, sources = case_reports(case_id, cases, figures)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = est.estimate(
                reports,
                sources=sources,
                mode="static",
                stance_bias=stance_bias,
                prob=0.9,
                draws=draws,
                tune=tune,
                chains=chains,
                sampler=sampler,
                random_seed=seed,
                progressbar=False,
            )
            s90 = result.summary(prob=0.9)
            s50 = result.summary(prob=0.5)
            diag = result.diagnostics
        key = (s90["party"] == out["party"]) & (s90["category"] == out["category"])
        if not key.any():
            raise ValueError(f"the fit has no quantity ({out['party']}, {out['category']})")
        r90, r50 = s90[key].iloc[0], s50[key].iloc[0]
        truth, lo, hi = out["truth"], out["truth_low"], out["truth_high"]
        ranged = lo is not None and hi is not None
        out.update(
            {
                "median": float(r90["median"]),
                "lower50": float(r50["lower"]),
                "upper50": float(r50["upper"]),
                "lower90": float(r90["lower"]),
                "upper90": float(r90["upper"]),
                "in50": contains(r50["lower"], r50["upper"], truth),
                "in90": contains(r90["lower"], r90["upper"], truth),
                "overlap50": overlaps(r50["lower"], r50["upper"], lo, hi) if ranged else None,
                "overlap90": overlaps(r90["lower"], r90["upper"], lo, hi) if ranged else None,
                "log_err": log_error(float(r90["median"]), truth),
                "divergences": int(diag["divergences"]),
                "max_r_hat": float(diag["max_r_hat"]),
                "min_ess_bulk": float(diag["min_ess_bulk"]),
                "min_ess_tail": float(diag["min_ess_tail"]),
                "fit_problems": " | ".join(result.check(warn=False)),
                "n_warnings": len(caught),
                "warnings": " | ".join(sorted({" ".join(str(w.message).split())[:300] for w in caught})),
            }
        )
    except Exception as e:  # a failed fit is a result: it goes in the table
        out["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    out["fit_seconds"] = time.perf_counter() - t0
    return out


# --- leave one case out ---------------------------------------------------------------------------
def learn_nothing(cases: pd.DataFrame, figures: pd.DataFrame) -> None:
    """The current model learns nothing from the casebook: the package's default priors."""
    return None


def loo_cases(
    fit_fn: Callable[[str, Any], dict[str, Any]],
    learn_fn: Callable[[pd.DataFrame, pd.DataFrame], Any] = learn_nothing,
    *,
    case_ids: Iterable[str] | None = None,
    cases: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Fit each case with what ``learn_fn`` learns from the *other* cases only.

    For every held-out case, ``learn_fn(other_cases, other_figures)`` gets the casebook without
    that case (its row and its figures removed) and returns what was learned (stance priors,
    say); ``fit_fn(case_id, learned)`` fits the held-out case with it. ``case_ids``: the cases to
    hold out in turn (default: all); the learner always sees every other case of the casebook.
    """
    if cases is None or figures is None:
        cases, figures = load_casebook()
    ids = list(cases["case_id"]) if case_ids is None else list(case_ids)
    out = []
    for case_id in ids:
        other_cases = cases[cases["case_id"] != case_id].reset_index(drop=True)
        other_figures = figures[figures["case_id"] != case_id].reset_index(drop=True)
        learned = learn_fn(other_cases, other_figures)
        out.append(fit_fn(case_id, learned))
    return out


def run(
    case_ids: Sequence[str] | None = None,
    *,
    cases: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
    draws: int = DRAWS,
    tune: int = TUNE,
    chains: int = CHAINS,
    sampler: str = SAMPLER,
    seed_offset: int = 0,
    learn_fn: Callable[[pd.DataFrame, pd.DataFrame], Any] = learn_nothing,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Fit the cases (default: all) and return one tidy row per case (:func:`fit_case`).

    Each case is fitted with the stance priors ``learn_fn`` learns from the other cases
    (:func:`loo_cases`); by default nothing is learned and the package's defaults apply.
    """
    if cases is None or figures is None:
        cases, figures = load_casebook()

    def fit(case_id: str, learned: Any) -> dict[str, Any]:
        row = fit_case(
            case_id,
            cases=cases,
            figures=figures,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            seed_offset=seed_offset,
            stance_bias=learned,
        )
        if progress is not None:
            progress(row)
        return row

    rows = loo_cases(fit, learn_fn, case_ids=case_ids, cases=cases, figures=figures)
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> dict[str, Any]:
    """Overall numbers: coverage of the 50% and 90% intervals, median and mean |log error| of the
    model and of each naive rule, and in how many cases the model's error is smaller than each
    rule's. Cases whose fit failed count in ``n_failed`` and nowhere else."""
    ok = df[df["error"].isna()] if "error" in df else df
    n = len(ok)
    model = ok["log_err"].abs()
    out: dict[str, Any] = {
        "n_cases": len(df),
        "n_fitted": n,
        "n_failed": len(df) - n,
        "coverage50": float(ok["in50"].astype(bool).mean()) if n else float("nan"),
        "coverage90": float(ok["in90"].astype(bool).mean()) if n else float("nan"),
        "n_in50": int(ok["in50"].astype(bool).sum()),
        "n_in90": int(ok["in90"].astype(bool).sum()),
        "model_median_abs_log_err": float(model.median()) if n else float("nan"),
        "model_mean_abs_log_err": float(model.mean()) if n else float("nan"),
        "n_divergent_fits": int((ok["divergences"].fillna(0) > 0).sum()),
    }
    if "max_r_hat" in ok:
        out["n_rhat_over"] = int((ok["max_r_hat"] > MAX_RHAT).sum())
        out["n_ess_under"] = int((ok[["min_ess_bulk", "min_ess_tail"]].min(axis=1) < MIN_ESS).sum())
    ranged = ok[ok["overlap90"].notna()]
    out["n_ranged"] = len(ranged)
    out["n_overlap90"] = int(ranged["overlap90"].astype(bool).sum())
    out["n_overlap50"] = int(ranged["overlap50"].astype(bool).sum())
    for rule in RULES:
        err = ok[f"{rule}_log_err"].abs()
        out[f"{rule}_median_abs_log_err"] = float(err.median()) if n else float("nan")
        out[f"{rule}_mean_abs_log_err"] = float(err.mean()) if n else float("nan")
        out[f"model_beats_{rule}"] = int((model < err).sum())
    return out


# --- why a case missed ----------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
    return f"{x:.3g}"


def miss_causes(row: pd.Series | dict, rows: pd.DataFrame) -> list[str]:
    """Likely causes of a 90% interval that misses the truth, read from the case's figures.

    Each cause is a fact of the data (which stances published what, partial counts, families),
    stated for the side on which the model erred, or a fact of the data set against a default
    prior of the model (docs/model.md). ``row`` needs ``truth``, ``lower90`` and ``end``.
    """
    truth = float(row["truth"])
    high = float(row["lower90"]) > truth  # the interval lies above the truth
    x = np.array([point_value(r) for _, r in rows.iterrows()], dtype=float)
    stance = rows["stance"].to_numpy()
    kind = rows["kind"].to_numpy()
    documented = kind == "documented"
    n = len(rows)
    causes = []
    side = x > truth if high else x < truth
    for s, label in (
        ("own", "own side"),
        ("adversary", "adversary"),
        ("ally", "ally"),
        ("neutral", "neutral"),
    ):
        m = stance == s
        k = int((side & m).sum())
        if k and k * 2 >= m.sum():
            ext = x[m & side].max() if high else x[m & side].min()
            causes.append(
                f"{label} figures ran {'high' if high else 'low'} ({k} of {int(m.sum())}"
                f" {'above' if high else 'below'} the truth, {'up to' if high else 'down to'} {_fmt(ext)})"
            )
    # Figures near the truth that a stance prior moves the wrong way.
    if high:
        m = (stance == "own") & ~documented
        if m.any() and abs(math.log(float(np.median(x[m])) / truth)) < math.log(1.5):
            causes.append(
                f"the own side's figures were close to the truth (median {_fmt(float(np.median(x[m])))}),"
                " but the own-stance prior (typical factor 0.5) reads them as undercounts and scales them up"
            )
    else:
        m = np.isin(stance, ("adversary", "ally")) & ~documented
        if m.any() and abs(math.log(float(np.median(x[m])) / truth)) < math.log(1.5):
            causes.append(
                f"the adversary figures were close to the truth (median {_fmt(float(np.median(x[m])))}),"
                " but the adversary prior (typical factor 1.5) reads them as overcounts and scales them down"
            )
    case_end = str(row.get("end", "") or "")
    partial = rows["since"].notna().to_numpy().copy()
    if case_end:
        partial |= rows["date"].astype(str).to_numpy() < case_end
    if not high:
        k = int((partial & side & ~documented).sum())
        if k:
            causes.append(f"{k} partial or early counts below the truth read as estimates of the total")
        if documented.any() and x[documented].max() < 0.25 * truth:
            causes.append(
                f"the documented counts cover at most {x[documented].max() / truth:.0%} of the truth,"
                " where the coverage prior Beta(2, 2) expects about half"
            )
    else:
        k = int((partial & side).sum())
        if k:
            causes.append(
                f"{k} of the figures dated before the end of the event were already above the truth"
            )
    top = max(("own", "adversary", "ally", "neutral"), key=lambda s: (stance == s).sum())
    if (stance == top).sum() * 3 >= 2 * n and n > 2:
        causes.append(f"one stance dominates ({int((stance == top).sum())} of {n} figures {top})")
    if not (stance == "neutral").any():
        causes.append("no neutral figure: nothing anchors the truth but the stance priors")
    fam = rows["family"]
    if fam.notna().all() and fam.nunique() == 1:
        causes.append(f"all figures from one family ({fam.iloc[0]})")
    if x.min() <= truth <= x.max() and not causes:
        causes.append("the figures straddle the truth; the interval is narrower than their spread")
    return causes


def seed_check(df: pd.DataFrame, again: pd.DataFrame) -> dict[str, Any]:
    """How much the table moves when every case is refitted with another seed (``again``).

    Largest and median |log| change of the medians and of the 90% interval ends, the cases whose
    50% or 90% flag flipped, and the overall numbers of both runs."""
    a = df[df["error"].isna()].set_index("case_id")
    b = again[again["error"].isna()].set_index("case_id")
    ids = a.index.intersection(b.index)
    a, b = a.loc[ids], b.loc[ids]
    med = np.abs(np.log(b["median"] / a["median"]))
    ends = pd.concat(
        [np.abs(np.log(b["lower90"] / a["lower90"])), np.abs(np.log(b["upper90"] / a["upper90"]))]
    )
    return {
        "n": len(ids),
        "median_max": float(med.max()),
        "median_median": float(med.median()),
        "ends_max": float(ends.max()),
        "ends_median": float(ends.median()),
        "flip50": [c for c in ids if bool(a.loc[c, "in50"]) != bool(b.loc[c, "in50"])],
        "flip90": [c for c in ids if bool(a.loc[c, "in90"]) != bool(b.loc[c, "in90"])],
        "summary": summarise(df),
        "summary_again": summarise(again),
    }


# --- the table ------------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    """Versions of Python and of the packages the fit depends on."""
    out = {"python": platform.python_version()}
    for pkg in ("estimator", "pymc", "pytensor", "arviz", "numpy", "pandas", "nutpie"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def _flag(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return "yes" if bool(x) else "**no**"


def _err(x: float) -> str:
    return "" if x is None or math.isnan(x) else f"{abs(x):.2f}"


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    *,
    figures: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    command: str = "python -m validation.harness --out docs/validation.md",
    settings: dict[str, Any] | None = None,
    seconds: float | None = None,
    again: pd.DataFrame | None = None,
) -> str:
    """Write ``docs/validation.md``: what was fitted, the table per case, the overall numbers,
    the misses and their likely causes; with ``again`` (the same cases refitted with other
    seeds) also how much the numbers move from seed to seed. Returns the text."""
    if cases is None or figures is None:
        cases, figures = load_casebook()
    settings = settings or {"draws": DRAWS, "tune": TUNE, "chains": CHAINS, "sampler": SAMPLER}
    s = summarise(df)
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    ally = figures[figures["stance"] == "ally"]
    ally_text = (
        f"{len(ally)} figure{'s' if len(ally) != 1 else ''}: " + ", ".join(dict.fromkeys(ally["case_id"]))
        if len(ally)
        else "no figure of the casebook has it"
    )
    pct = lambda k: f"{s[f'n_in{k}']} of {s['n_fitted']} ({100 * s[f'coverage{k}']:.0f}%)"  # noqa: E731
    lines = [
        "# Validation on settled historical tolls",
        "",
        "How well does the current model do on reality? The [casebook](../validation/casebook/README.md)",
        "holds 25 historical cases (wars, massacres, bombings, disasters, heat waves, epidemics) whose",
        "toll was later settled by a careful count, with the figures published while it was still",
        "uncertain (136 in all, each with its source, its stance toward the party whose losses it",
        "counts, and a citation). Each case is fitted with the figures as published and the settled",
        "truth is compared with the posterior. Nothing in the model was changed for this table and",
        "no figure of the casebook was adjusted.",
        "",
        f"Reproduce: `{command}` (run from the repository root). Run on {today}"
        + (f", in {seconds / 60:.1f} minutes on a 2-core machine (both runs)" if seconds is not None else "")
        + ".",
        f"Versions: {vers}.",
        "",
        "## How each case is fitted",
        "",
        '- **Static mode** (`mode="static"`): one true number for the case\'s quantity (its party',
        "  and category in `cases.csv`). Every figure of the case is one `Report` with the",
        "  casebook's kind and numbers (`exact`, `approx`, `range`, `at_least`, `upper_estimate`,",
        "  `documented`, ...); its wording, link and publication date are kept as provenance.",
        "- **Dates are not used.** Static mode reads every figure as an estimate of the whole toll.",
        "  A figure that counts only part of the period (a `since` window, such as one day of the",
        '  Battle of Britain, or an early "as of" count, such as the medical examiner\'s running',
        "  counts in Chicago) is therefore read as an estimate of the total. This is kept as it is:",
        "  it is one of the failures the table is meant to show. The columns *window* and *early*",
        "  count such figures per case.",
        "- **Stances as published.** One `Source` per distinct source: `own` -> affiliation = the",
        '  party; `adversary` -> affiliation "adversary of <party>"; `neutral` -> no affiliation.',
        "  `ally` (a government aligned with one side) is not a stance of the model yet and is",
        f"  **treated as adversary** ({ally_text}).",
        "  Families (sources sharing information) are not used: the model has no family term yet.",
        "- **The package's defaults**: its stance bias priors (docs/model.md), noise, truth prior;",
        f"  NUTS with PyMC's sampler, {settings['chains']} chains of {settings['draws']} draws after"
        f" {settings['tune']} tuning steps, a fixed seed per case (CRC-32 of its id).",
        "- **Truth**: the casebook's central `truth`. *in 50%* / *in 90%*: the central interval",
        "  contains it. Where the casebook gives a settled range [truth_low, truth_high], the",
        "  summary also counts intervals that overlap it.",
        "- **Error**: |log(median / truth)| (0.69 is a factor 2 either way).",
        "- **Naive rules** on the same figures, a figure's point value being its value (the",
        "  geometric middle of a range): *all*: the median of all figures; *neutral*: the median",
        '  of the neutral figures; *rest*: "drop the warring parties and average the rest", the',
        "  arithmetic mean of the figures that are neither own, adversary nor ally. Where a case",
        "  has no such figure both fall back to all figures (marked †).",
        "",
        "## Per case",
        "",
        "| case | kind | truth | median | 90% interval | in 50%? | in 90%? | model | all | neutral | rest |"
        " div. | R-hat | ESS | figures (own/adv/neu/ally) | window | early |",
        "|---|---|---:|---:|---|:-:|:-:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for _, r in df.iterrows():
        truth = _fmt(r["truth"])
        if r.get("truth_low") is not None and not pd.isna(r.get("truth_low")):
            truth += f" ({_fmt(r['truth_low'])}-{_fmt(r['truth_high'])})"
        dag_n = " †" if r["median_neutral_fallback"] else ""
        dag_r = " †" if r["mean_rest_fallback"] else ""
        stances = f"{r['n_own']}/{r['n_adversary']}/{r['n_neutral']}/{r['n_ally']}"
        if r["error"] is not None and not pd.isna(r["error"]):
            model = f"fit failed: {r['error']}"
            lines.append(
                f"| {r['case_id']} | {r['kind']} | {truth} | {model} | | | | | {_err(r['median_all_log_err'])}"
                f" | {_err(r['median_neutral_log_err'])}{dag_n} | {_err(r['mean_rest_log_err'])}{dag_r}"
                f" | | | | {stances} | {r['n_window']} | {r['n_early']} |"
            )
            continue
        lines.append(
            f"| {r['case_id']} | {r['kind']} | {truth} | {_fmt(r['median'])} |"
            f" {_fmt(r['lower90'])}-{_fmt(r['upper90'])} | {_flag(r['in50'])} | {_flag(r['in90'])} |"
            f" {_err(r['log_err'])} | {_err(r['median_all_log_err'])} |"
            f" {_err(r['median_neutral_log_err'])}{dag_n} | {_err(r['mean_rest_log_err'])}{dag_r} |"
            f" {r['divergences']} | {r['max_r_hat']:.3f} | {min(r['min_ess_bulk'], r['min_ess_tail']):.0f} |"
            f" {stances} | {r['n_window']} | {r['n_early']} |"
        )
    lines += [
        "",
        "*model*, *all*, *neutral*, *rest*: |log error| of the model's median and of each naive rule.",
        "*div.*: divergent transitions of the fit; *R-hat*: the largest over the parameters; *ESS*: the",
        "smallest bulk or tail effective sample size. *window*: figures counting a window of the period;",
        "*early*: figures dated before the end the truth refers to. † the case has no neutral figure:",
        "the rule falls back to all figures. With the casebook's four stances the figures of neither",
        "side are exactly the neutral ones, so *neutral* and *rest* differ only as a median and a mean.",
        "",
        "## Overall",
        "",
        f"- Cases: {s['n_cases']}; fitted: {s['n_fitted']}; fits that failed: {s['n_failed']}.",
        f"- The 50% interval contains the truth in {pct(50)}; the 90% interval in {pct(90)}.",
        f"- Of the {s['n_ranged']} cases with a settled range, the 90% interval overlaps the range in"
        f" {s['n_overlap90']} and the 50% interval in {s['n_overlap50']}.",
        f"- Fits with divergent transitions: {s['n_divergent_fits']}; with an R-hat above {MAX_RHAT}:"
        f" {s.get('n_rhat_over', 0)}; with an effective sample size below {MIN_ESS}: {s.get('n_ess_under', 0)}"
        " (the package warns on both; short chains are the price of a table that takes minutes:"
        " see *Seed to seed* for how much that moves the numbers).",
        "",
        "| estimate | median \\|log error\\| | mean \\|log error\\| | cases where the model's error is smaller |",
        "|---|---:|---:|---:|",
        f"| model (posterior median) | {s['model_median_abs_log_err']:.2f} | {s['model_mean_abs_log_err']:.2f} | |",
    ]
    for rule, words in RULES.items():
        lines.append(
            f"| {words} | {s[f'{rule}_median_abs_log_err']:.2f} | {s[f'{rule}_mean_abs_log_err']:.2f} |"
            f" {s[f'model_beats_{rule}']} of {s['n_fitted']} |"
        )
    lines += ["", "## Misses and why", ""]
    misses = df[(df["error"].isna()) & (df["in90"] == False)]  # noqa: E712
    if misses.empty:
        lines.append("Every 90% interval contains the truth.")
    else:
        lines += [
            "Every case whose 90% interval misses the truth, on which side, and the likely causes as",
            "the figures show them (stances of the figures on the side of the miss, partial counts,",
            "a dominant stance, a single family). They are read from the casebook, not tested.",
            "",
        ]
    ends = cases.set_index("case_id")["end"]
    tally = {"above": 0, "below": 0, "partial": 0, "own_prior": 0, "no_neutral": 0}
    for _, r in misses.iterrows():
        rows = case_figures(r["case_id"], figures)
        rr = r.to_dict()
        rr["end"] = ends.get(r["case_id"], "")
        side = "above" if r["lower90"] > r["truth"] else "below"
        found = miss_causes(rr, rows)
        tally[side] += 1
        tally["partial"] += any("partial or early counts below" in c for c in found)
        tally["own_prior"] += any("own-stance prior" in c for c in found)
        tally["no_neutral"] += any(c.startswith("no neutral") for c in found)
        causes = "; ".join(found) or "no cause visible in the figures"
        lines.append(
            f"- **{r['case_id']}** ({side}: {_fmt(r['lower90'])}-{_fmt(r['upper90'])} against"
            f" {_fmt(r['truth'])}): {causes}."
        )
    if not misses.empty:
        lines += [
            "",
            f"In all: {tally['above']} misses above the truth and {tally['below']} below. Of those below,"
            f" {tally['partial']} had partial or early counts read as totals. Of those above,"
            f" {tally['own_prior']} had own-side figures close to the truth that the own-stance prior"
            f" scaled up. Misses with no neutral figure at all: {tally['no_neutral']}.",
        ]
    failed = df[df["error"].notna()]
    if not failed.empty:
        lines += ["", "Fits that failed:", ""]
        lines += [f"- **{r['case_id']}**: {r['error']}" for _, r in failed.iterrows()]
    if again is not None:
        c = seed_check(df, again)
        s2 = c["summary_again"]
        flips = lambda xs: ", ".join(xs) if xs else "none"  # noqa: E731
        lines += [
            "",
            "## Seed to seed",
            "",
            f"Every case refitted with its seed plus 1 (same settings). The medians moved by at most"
            f" {100 * math.expm1(c['median_max']):.1f}% (median {100 * math.expm1(c['median_median']):.1f}%),"
            f" the ends of the 90% intervals by at most {100 * math.expm1(c['ends_max']):.0f}%"
            f" (median {100 * math.expm1(c['ends_median']):.1f}%): the tails are where short chains"
            " show. Cases whose 90% flag flipped: "
            + flips(c["flip90"])
            + "; whose 50% flag flipped: "
            + flips(c["flip50"])
            + ".",
            f"With the other seeds: 50% coverage {s2['n_in50']} of {s2['n_fitted']}, 90% coverage"
            f" {s2['n_in90']} of {s2['n_fitted']}; median |log error| {s2['model_median_abs_log_err']:.2f};"
            f" the model beats the three rules in {s2['model_beats_median_all']},"
            f" {s2['model_beats_median_neutral']} and {s2['model_beats_mean_rest']} cases.",
        ]
    lines += [
        "",
        "## Leave one case out",
        "",
        "Nothing in the current model is learned from the casebook: its stance priors are the",
        "package's defaults, set before the casebook existed. So every number above is out of",
        "sample as it stands. When stance priors are learned from the casebook, the table must stay",
        "honest: `validation.harness.loo_cases(fit_fn, learn_fn)` fits each case with what",
        "`learn_fn` learned from the other cases only (the held-out case's row and figures removed),",
        "and `run(learn_fn=...)` builds the table that way. `tests/test_validation.py` checks that",
        "the learner never sees the held-out case. `python -m validation.stances` does this for the",
        "stance priors (learned from the other cases, the direction of each stance's bias not",
        "forced) and sets the result beside the defaults: [validation-stances.md](validation-stances.md).",
        "",
    ]
    text = "\n".join(lines)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return text


# --- command line ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m validation.harness", description=__doc__.split("\n")[0])
    p.add_argument("--cases", help="comma-separated case ids (default: all)")
    p.add_argument("--draws", type=int, default=DRAWS)
    p.add_argument("--tune", type=int, default=TUNE)
    p.add_argument("--chains", type=int, default=CHAINS)
    p.add_argument("--sampler", default=SAMPLER)
    p.add_argument("--seed-offset", type=int, default=0, help="added to every case's seed")
    p.add_argument("--out", help="write the Markdown table here (e.g. docs/validation.md)")
    p.add_argument("--csv", help="also write the tidy table as CSV here")
    p.add_argument(
        "--no-seed-check", action="store_true", help="skip the refit of every case with another seed"
    )
    args = p.parse_args(argv)
    logging.getLogger("pymc").setLevel(logging.ERROR)
    cases, figures = load_casebook()
    ids = [c.strip() for c in args.cases.split(",") if c.strip()] if args.cases else None

    def progress(row: dict[str, Any]) -> None:
        if row["error"]:
            print(f"{row['case_id']}: FAILED {row['error']}", flush=True)
        else:
            print(
                f"{row['case_id']}: median {row['median']:.4g} 90% [{row['lower90']:.4g}, {row['upper90']:.4g}]"
                f" truth {row['truth']:.4g} in90={row['in90']} div={row['divergences']}"
                f" ({row['fit_seconds']:.0f} s)",
                flush=True,
            )

    t0 = time.perf_counter()
    kw = dict(
        cases=cases,
        figures=figures,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        sampler=args.sampler,
        progress=progress,
    )
    df = run(ids, seed_offset=args.seed_offset, **kw)
    again = None
    if not args.no_seed_check:
        print("seed check: every case again with its seed + 1", flush=True)
        again = run(ids, seed_offset=args.seed_offset + 1, **kw)
    seconds = time.perf_counter() - t0
    for k, v in summarise(df).items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
    print(f"total: {seconds:.0f} s")
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.out:
        cmd = "python -m validation.harness " + " ".join(sys.argv[1:] if argv is None else argv)
        write_table(
            df,
            args.out,
            cases=cases,
            figures=figures,
            command=cmd.strip(),
            settings={"draws": args.draws, "tune": args.tune, "chains": args.chains, "sampler": args.sampler},
            seconds=seconds,
            again=again,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
