"""Stance priors learned from the casebook, measured leave one case out.

How far each stance's figures run from the settled truth, across the cases of the casebook,
as the priors ``estimate(stance_bias=...)`` takes: for each stance, the typical log factor
reported / true (``mu``), how much that factor varies from case to case (``mu_sd``) and how
much the sources of one case scatter around it (``spread``). The direction of a stance's bias
is not forced: it is whatever the cases show.

One command fits every case twice, side by side: with the package's default stance priors and
with priors learned from the *other* cases only (:func:`validation.harness.loo_cases`), and
writes the comparison::

    python -m validation.stances --out docs/validation-stances.md

The estimate is a two-level normal model fitted by moments (each case's mean log factor per
stance, then their mean and spread across cases), written out here rather than as a PyMC
model: it is a few lines, its numbers can be checked by hand, and it runs 25 times per table.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import harness

#: Kinds whose figure is an estimate of the toll itself: bounds (at_least, at_most), the top of a
#: source's interval (upper_estimate) and subsets (documented) say something else.
ESTIMATE_KINDS = ("exact", "approx", "nearly", "over", "range")
#: The model's stances; the casebook's ``ally`` is read as ``adversary`` (harness.affiliation).
MODEL_STANCE = {"own": "own", "adversary": "adversary", "ally": "adversary", "neutral": "neutral"}
#: Fewest cases with figures of a stance to learn its prior from; below it the default stays.
MIN_CASES = 3
#: Smallest spread of sources around their stance's mean (log scale): the cases hold only a
#: few sources per stance, and a spread near zero would make one source's figure decisive.
MIN_SPREAD = 0.1


def log_factors(cases: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """One row per figure that estimates the toll itself: its case, model stance and
    ``log(figure / truth)``.

    Figures about a window of the period (``since`` given: one day of a battle) count something
    else and are left out. Early counts ("as of" a date before the toll settled) stay: they are
    the figures an analyst has at the time, and how low they run is part of a stance's record.
    """
    truth = cases.set_index("case_id")["truth"].astype(float)
    whole = figures["since"].isna() if "since" in figures else True
    rows = figures[figures["kind"].isin(ESTIMATE_KINDS) & whole].copy()
    rows["stance"] = rows["stance"].map(MODEL_STANCE)
    rows["log_factor"] = [math.log(harness.point_value(r) / truth[r["case_id"]]) for _, r in rows.iterrows()]
    return rows[["case_id", "stance", "source", "log_factor"]]


def learn_stance_priors(cases: pd.DataFrame, figures: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Stance priors (``{"own": {"mu", "mu_sd", "spread"}, ...}``, log scale) from the cases given.

    - ``mu``: the mean over cases of each case's mean log factor (every case counts once, however
      many figures it has);
    - ``mu_sd``: the sd of those case means across cases, widened by the uncertainty of their
      mean (``sd * sqrt(1 + 1/cases)``): what a stance's mean bias may be in a new case;
    - ``spread``: the pooled sd of figures around their case's mean (at least ``MIN_SPREAD``).

    Stances with figures in fewer than ``MIN_CASES`` cases are left out (the default applies).
    """
    factors = log_factors(cases, figures)
    out: dict[str, dict[str, float]] = {}
    for stance, rows in factors.groupby("stance"):
        by_case = rows.groupby("case_id")["log_factor"]
        means = by_case.mean()
        if len(means) < MIN_CASES:
            continue
        within = rows["log_factor"] - rows["case_id"].map(means)
        dof = len(rows) - len(means)
        spread = float(np.sqrt((within**2).sum() / dof)) if dof > 0 else MIN_SPREAD
        between = float(means.std(ddof=1))
        out[str(stance)] = {
            "mu": float(means.mean()),
            "mu_sd": between * math.sqrt(1.0 + 1.0 / len(means)),
            "spread": max(spread, MIN_SPREAD),
        }
    return out


def compare(draws: int, tune: int, chains: int, case_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Every case fitted with the default stance priors and with priors learned from the other
    cases, in one run."""
    cases, figures = harness.load_casebook()
    kw = dict(cases=cases, figures=figures, draws=draws, tune=tune, chains=chains)
    t0 = time.perf_counter()
    default = harness.run(case_ids, **kw)
    t1 = time.perf_counter()
    learned = harness.run(case_ids, learn_fn=learn_stance_priors, **kw)
    t2 = time.perf_counter()
    return {
        "default": default,
        "learned": learned,
        "priors": learn_stance_priors(cases, figures),
        "seconds": (t1 - t0, t2 - t1),
    }


def _summary_rows(name: str, s: dict[str, Any]) -> str:
    return (
        f"| {name} | {s['n_in50']} of {s['n_fitted']} | {s['n_in90']} of {s['n_fitted']} "
        f"| {s['model_median_abs_log_err']:.2f} | {s['model_mean_abs_log_err']:.2f} "
        + " ".join(f"| {s[f'model_beats_{rule}']}" for rule in harness.RULES)
        + " |"
    )


def write(result: dict[str, Any], path: str, command: str) -> None:
    """The side-by-side table as Markdown."""
    default, learned = result["default"], result["learned"]
    sd, sl = harness.summarise(default), harness.summarise(learned)
    lines = [
        "# Stance priors learned from history, measured leave one case out",
        "",
        "Each case of the [casebook](../validation/casebook/README.md) fitted twice, as in",
        "[validation.md](validation.md): with the package's default stance priors, and with stance",
        "priors learned from the **other 24 cases only** (`validation/stances.py`: each stance's",
        "mean log factor reported / true across cases, how much it varies from case to case, and",
        "the scatter of a case's sources around it; `ally` read as adversary). The shipped defaults",
        "are not changed by this table.",
        "",
        f"Reproduce: `{command}` ({result['seconds'][0]:.0f} s and {result['seconds'][1]:.0f} s of fits; "
        f"{harness.CHAINS} chains of {harness.DRAWS} draws).",
        "",
        "## Overall",
        "",
        "| stance priors | in 50% | in 90% | median abs log error | mean | beats median of all "
        "| beats median of neutral | beats mean of the rest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        _summary_rows("defaults (docs/model.md)", sd),
        _summary_rows("learned from the other cases", sl),
        "",
        "## Learned from all 25 cases (log scale; factor = exp)",
        "",
        "| stance | mu | factor | mu_sd (case to case) | spread (source to source) | default mu, mu_sd, spread |",
        "|---|---:|---:|---:|---:|---|",
    ]
    from estimator.constants import STANCE_BIAS

    for stance, p in sorted(result["priors"].items()):
        d = STANCE_BIAS[stance]
        lines.append(
            f"| {stance} | {p['mu']:.2f} | {math.exp(p['mu']):.2f} | {p['mu_sd']:.2f} | {p['spread']:.2f} "
            f"| {d['mu']:.2f}, {d['mu_sd']:.2f}, {d['spread']:.2f} |"
        )
    lines += [
        "",
        "## Per case",
        "",
        "| case | truth | default: median (90%) | in 90%? | abs log err | learned: median (90%) | in 90%? | abs log err |",
        "|---|---:|---|:-:|---:|---|:-:|---:|",
    ]
    for (_, a), (_, b) in zip(default.iterrows(), learned.iterrows(), strict=True):
        lines.append(
            f"| {a['case_id']} | {harness._fmt(a['truth'])} "
            f"| {harness._fmt(a['median'])} ({harness._fmt(a['lower90'])}-{harness._fmt(a['upper90'])}) "
            f"| {harness._flag(a['in90'])} | {abs(a['log_err']):.2f} "
            f"| {harness._fmt(b['median'])} ({harness._fmt(b['lower90'])}-{harness._fmt(b['upper90'])}) "
            f"| {harness._flag(b['in90'])} | {abs(b['log_err']):.2f} |"
        )
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m validation.stances", description=__doc__.split("\n")[0])
    p.add_argument("--cases", help="comma-separated case ids (default: all)")
    p.add_argument("--draws", type=int, default=harness.DRAWS)
    p.add_argument("--tune", type=int, default=harness.TUNE)
    p.add_argument("--chains", type=int, default=harness.CHAINS)
    p.add_argument("--out", help="write the Markdown comparison here")
    args = p.parse_args(argv)
    logging.getLogger("pymc").setLevel(logging.ERROR)
    ids = [c.strip() for c in args.cases.split(",") if c.strip()] if args.cases else None
    result = compare(args.draws, args.tune, args.chains, ids)
    for name in ("default", "learned"):
        s = harness.summarise(result[name])
        print(
            name,
            {k: s[k] for k in ("n_in50", "n_in90", "model_median_abs_log_err", "model_mean_abs_log_err")},
        )
    print("priors", result["priors"])
    if args.out:
        cmd = "python -m validation.stances " + " ".join(sys.argv[1:] if argv is None else argv)
        write(result, args.out, cmd.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
