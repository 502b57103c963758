"""Calibration of the fit on data drawn from the model's own generative story.

Each simulated dataset (``estimator.simulate``: two parties, two categories and their sum,
sources of every stance, every kind of figure) is fitted; for every quantity and every source
bias we record whether the truth lies in the central 50% and 90% intervals, and its rank among
posterior draws (simulation-based calibration). The table gives the share of truths inside
each interval, with its Monte Carlo error (datasets are the independent unit: rows of one
dataset share a fit), and a chi-square test of the ranks' uniformity.

``--misspec`` draws data the model does not assume (fabricated figures, heavy-tailed noise,
drifting biases, bounds hedged next to the source's value); ``--robust`` fits those with
the outlier mixture. ``--kinds exact,range`` draws only those kinds of figure (to find which kind
a miscalibration comes from; give it its own ``--out`` file). Run::

    python -m benchmarks.calibration --n 200 --mode static --jobs 2 --out out/cal_static.csv
    python -m benchmarks.calibration --table out/cal_static.csv    # tabulate finished runs

Results are appended to ``--out`` as they come, one row per truth, so an interrupted run resumes
where it stopped (datasets already in the file are skipped).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

#: Misspecifications: the arguments of ``simulate`` that switch each on.
MISSPEC: dict[str, dict[str, Any]] = {
    "none": {},
    "wild": {"wild_share": 0.15},  # one figure in seven fabricated, off by a factor 5 to 20
    "heavy": {"noise_df": 2.0},  # Student-t noise with 2 degrees of freedom (infinite variance)
    "drift": {"bias_drift": 1.5},  # biases drift by up to a factor e^1.5 ~ 4.5 over the period
    "hedged": {"bounds": "hedged"},  # bounds drawn near the source's value, not censored
}
MODES = ("static", "temporal")
#: Posterior draws a truth is ranked among (SBC): 99 draws give ranks 0..99.
RANK_DRAWS = 99
RANK_BINS = 10


@dataclass(frozen=True)
class Setup:
    """One calibration configuration (all datasets of a run share it)."""

    mode: str = "static"
    misspec: str = "none"
    robust: bool = False
    n_reports: int = 16
    draws: int = 300
    tune: int = 400
    chains: int = 2
    sampler: str = "pymc"
    #: kinds of figure drawn (None: every kind); give each choice its own ``--out`` file
    kinds: tuple[str, ...] | None = None


def simulate_dataset(setup: Setup, seed: int):
    """The simulated dataset number ``seed`` of a configuration.

    Examples
    --------
    >>> sim = simulate_dataset(Setup(), 1)
    >>> len(sim.reports)
    16
    """
    import estimator as est

    return est.simulate(
        parties=("Arcadia", "Borduria"),
        categories=("killed", "wounded"),
        n_sources=4,
        n_reports=setup.n_reports,
        temporal=setup.mode == "temporal",
        days=120,
        random_seed=seed,
        **({"kinds": setup.kinds} if setup.kinds else {}),
        **MISSPEC[setup.misspec],
    )


def fit_dataset(setup: Setup, seed: int) -> list[dict[str, Any]]:
    """Simulate dataset ``seed``, fit it, and return one row per truth (quantity or bias).

    Examples
    --------
    >>> rows = fit_dataset(Setup(draws=100, tune=100), 1)  # doctest: +SKIP
    """
    import estimator as est

    sim = simulate_dataset(setup, seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains: diagnostics are recorded per row instead
        res = est.estimate(
            sim.reports,
            sources=sim.sources,
            start=sim.start,
            mode=setup.mode,
            draws=setup.draws,
            tune=setup.tune,
            chains=setup.chains,
            cores=1,
            sampler=setup.sampler,
            robust=setup.robust,
            random_seed=seed,
            progressbar=False,
        )
    seconds = time.perf_counter() - t0
    d = res.diagnostics
    base = {
        "seed": seed,
        "mode": setup.mode,
        "misspec": setup.misspec,
        "robust": setup.robust,
        "seconds": seconds,
        "divergences": d["divergences"],
        "max_r_hat": d["max_r_hat"],
    }
    rows: list[dict[str, Any]] = []
    fitted = {(q.party, q.category) for q in res.quantities}
    for t in sim.truth.itertuples():
        if (t.party, t.category) not in fitted:
            continue  # no report about it: the model has no such quantity
        draws = res.draws(t.party, t.category)
        rows.append({**base, "what": "quantity", "name": f"{t.party} {t.category}", **_score(draws, t.value)})
    post = res.posterior
    if "bias" in post:
        names = list(post["bias_row"].values)
        for b in sim.biases.itertuples():
            row = f"{b.source} ({b.stance})"
            if row in names:
                draws = np.exp(post["bias"].sel(bias_row=row).values)
                rows.append({**base, "what": "bias", "name": row, **_score(draws, b.factor)})
    return rows


def _score(draws: np.ndarray, truth: float) -> dict[str, Any]:
    flat = np.asarray(draws).ravel()
    lo50, hi50, lo90, hi90 = np.quantile(flat, [0.25, 0.75, 0.05, 0.95])
    pick = flat[np.linspace(0, flat.size - 1, RANK_DRAWS).round().astype(int)]
    return {
        "truth": float(truth),
        "median": float(np.median(flat)),
        "in50": bool(lo50 <= truth <= hi50),
        "in90": bool(lo90 <= truth <= hi90),
        "rank": int(np.sum(pick < truth)),
    }


def coverage_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the 50% and 90% intervals with Monte Carlo errors, and SBC rank uniformity.

    One row per (mode, misspec, robust, what). ``cover50`` / ``cover90`` are shares of truths
    inside; ``se50`` / ``se90`` their Monte Carlo standard errors with datasets as the unit
    (a ratio estimator: rows of one dataset are not independent); ``ok90`` is True when
    ``cover90`` is within 2 standard errors of 0.9. ``sbc_p`` is the p-value of a chi-square test
    that the ranks are uniform over ``RANK_BINS`` bins.

    Examples
    --------
    >>> rows = pd.DataFrame({"mode": "static", "misspec": "none", "robust": False,
    ...     "what": "quantity", "seed": [1, 1, 2, 2], "in50": [1, 0, 1, 0],
    ...     "in90": [1, 1, 1, 0], "rank": [10, 50, 70, 99], "divergences": 0})
    >>> coverage_table(rows)[["datasets", "cover90"]].values.tolist()
    [[2, 0.75]]
    """
    out = []
    keys = ["mode", "misspec", "robust", "what"]
    for key, g in rows.groupby(keys, sort=False):
        per = g.groupby("seed").agg(n=("in90", "size"), c50=("in50", "sum"), c90=("in90", "sum"))
        n_d = len(per)
        total = per.n.sum()
        rec = dict(zip(keys, key, strict=True))
        rec.update({"datasets": n_d, "truths": int(total)})
        for p, col in ((50, "c50"), (90, "c90")):
            rate = per[col].sum() / total
            resid = per[col] - rate * per.n
            se = math.sqrt((resid**2).sum() * n_d / max(n_d - 1, 1)) / total if n_d > 1 else float("nan")
            rec[f"cover{p}"] = float(rate)
            rec[f"se{p}"] = float(se)
        rec["ok50"] = bool(abs(rec["cover50"] - 0.5) <= 2 * rec["se50"])
        rec["ok90"] = bool(abs(rec["cover90"] - 0.9) <= 2 * rec["se90"])
        counts = np.histogram(g["rank"], bins=RANK_BINS, range=(0, RANK_DRAWS + 1))[0]
        rec["sbc_p"] = float(stats.chisquare(counts).pvalue) if len(g) >= 2 * RANK_BINS else float("nan")
        seeds = g.drop_duplicates("seed")
        rec["divergent_fits"] = int((seeds["divergences"] > 0).sum()) if "divergences" in g else 0
        out.append(rec)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    """The coverage table as Markdown, as docs/calibration.md prints it.

    Examples
    --------
    >>> print(markdown(pd.DataFrame([{"mode": "static", "misspec": "none", "robust": False,
    ...     "what": "quantity", "datasets": 2, "truths": 4, "cover50": 0.5, "se50": 0.1,
    ...     "cover90": 0.9, "se90": 0.05, "sbc_p": 0.5, "divergent_fits": 0}])).splitlines()[2])
    | static | none | no | quantity | 2 | 4 | 0.50 ± 0.10 | 0.90 ± 0.05 | 0.50 | 0 |
    """
    head = (
        "| mode | data | robust | truth of | datasets | truths | 50% coverage | 90% coverage "
        "| SBC p | fits with divergences |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in table.itertuples():
        lines.append(
            f"| {r.mode} | {r.misspec} | {'yes' if r.robust else 'no'} | {r.what} | {r.datasets} | {r.truths} "
            f"| {r.cover50:.2f} ± {r.se50:.2f} | {r.cover90:.2f} ± {r.se90:.2f} | {r.sbc_p:.2f} "
            f"| {r.divergent_fits} |"
        )
    return "\n".join(lines)


def run(
    setup: Setup,
    n: int,
    *,
    jobs: int = 1,
    out: str | None = None,
    first_seed: int = 1,
    verbose: bool = True,
) -> pd.DataFrame:
    """Fit ``n`` simulated datasets (seeds ``first_seed`` ...) and return their rows.

    With ``out``, rows are appended to that CSV as each dataset finishes, and datasets already
    there (same seed and configuration) are not fitted again.

    Examples
    --------
    >>> rows = run(Setup(draws=300), 10)  # doctest: +SKIP
    >>> coverage_table(rows)  # doctest: +SKIP
    """
    seeds = list(range(first_seed, first_seed + n))
    done = pd.DataFrame()
    if out and os.path.exists(out) and os.path.getsize(out) > 0:
        done = pd.read_csv(out)
        mine = done[
            (done["mode"] == setup.mode)
            & (done["misspec"] == setup.misspec)
            & (done["robust"] == setup.robust)
        ]
        seeds = [s for s in seeds if s not in set(mine["seed"])]
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    frames: list[pd.DataFrame] = []

    def keep(rows: list[dict[str, Any]]) -> None:
        frame = pd.DataFrame(rows)
        frames.append(frame)
        if out:
            frame.to_csv(
                out, mode="a", header=not os.path.exists(out) or os.path.getsize(out) == 0, index=False
            )
        if verbose:
            print(
                f"seed {rows[0]['seed']}: {rows[0]['seconds']:.1f} s, "
                f"90% in {np.mean([r['in90'] for r in rows]):.2f}",
                file=sys.stderr,
                flush=True,
            )

    if jobs <= 1:
        for s in seeds:
            keep(fit_dataset(setup, s))
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(fit_dataset, setup, s) for s in seeds]
            for f in as_completed(futures):
                keep(f.result())
    if out:
        all_rows = pd.read_csv(out)
        return all_rows[
            (all_rows["mode"] == setup.mode)
            & (all_rows["misspec"] == setup.misspec)
            & (all_rows["robust"] == setup.robust)
        ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="simulated datasets (default 200)")
    ap.add_argument("--mode", choices=MODES, default="static")
    ap.add_argument("--misspec", choices=tuple(MISSPEC), default="none")
    ap.add_argument("--robust", action="store_true", help="fit with robust=True (outlier mixture)")
    ap.add_argument("--jobs", type=int, default=1, help="datasets fitted in parallel")
    ap.add_argument("--out", default=None, help="CSV the rows are appended to (resumable)")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--tune", type=int, default=400)
    ap.add_argument("--reports", type=int, default=16, help="reports per dataset")
    ap.add_argument("--sampler", default="pymc")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument(
        "--kinds", default=None, help="comma-separated kinds of figure to draw (default: all); own --out file"
    )
    ap.add_argument("--table", nargs="+", default=None, help="only tabulate these CSVs")
    a = ap.parse_args(argv)
    if a.table:
        rows = pd.concat([pd.read_csv(p) for p in a.table], ignore_index=True)
    else:
        setup = Setup(
            mode=a.mode,
            misspec=a.misspec,
            robust=a.robust,
            n_reports=a.reports,
            draws=a.draws,
            tune=a.tune,
            sampler=a.sampler,
            kinds=tuple(a.kinds.split(",")) if a.kinds else None,
        )
        rows = run(setup, a.n, jobs=a.jobs, out=a.out, first_seed=a.first_seed)
    print(markdown(coverage_table(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
