"""Synthetic reports with known truth, drawn from the model's own generative story.

Used by the tests (does the fit recover the truth?), the calibration benchmark and the docs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import (
    BOUND_SD,
    COVERAGE_PRIOR,
    DOCUMENTED_SD,
    KINDS,
    KNOT_DAYS,
    NEARLY_GAP,
    NOISE_FLOOR,
    NOISE_MEDIAN,
    NOISE_SD,
    RANGE_PROB,
    SMALL_COUNT,
    STANCE_BIAS,
    TAU_MEDIAN,
    TAU_SD,
    UPPER_WIDTH,
)
from .errors import ModelError
from .model.timeline import cumulative_at
from .reports import Report, Source
from .stats import z_of


@dataclass
class Simulation:
    """Reports and sources to fit, with the truth that produced them."""

    reports: list[Report]
    sources: list[Source]
    truth: pd.DataFrame  # party, category, value (at as_of; leaves and aggregates used)
    biases: pd.DataFrame  # source, stance, factor (reported / true), noise
    start: dt.date | None
    as_of: dt.date | None
    daily: pd.DataFrame | None  # temporal: party, category, date, value for every day

    def truth_of(self, party: str, category: str) -> float:
        row = self.truth[(self.truth.party == party) & (self.truth.category == category)]
        return float(row.value.iloc[0])


def simulate(
    *,
    parties: Sequence[str] = ("Arcadia", "Borduria"),
    categories: Sequence[str] = ("killed", "wounded"),
    n_sources: int = 6,
    n_reports: int = 60,
    kinds: Sequence[str] = KINDS,
    temporal: bool = True,
    days: int = 365,
    start: str | dt.date = "2022-01-01",
    scale: float = 5_000.0,
    aggregate_share: float = 0.15,
    stance_bias: dict[str, tuple[float, float]] | None = None,
    truth_sd: float = 0.7,
    wild_share: float = 0.0,
    wild_factor: tuple[float, float] = (5.0, 20.0),
    noise_df: float | None = None,
    bias_drift: float = 0.0,
    bounds: str = "censored",
    random_seed: int | None = None,
) -> Simulation:
    """Draw a truth, sources with stances and biases, and reports of mixed kinds.

    Parameters
    ----------
    parties, categories
        Whose losses and which leaf categories.
    n_sources
        Number of sources: one affiliated with each party first, the rest neutral.
    n_reports
        Number of reports, spread over sources, quantities, kinds and dates.
    kinds
        Kinds of figure to draw from (uniformly).
    temporal, days, start
        Temporal mode: reports dated over ``days`` days after ``start``; static: undated.
    scale
        Typical size of a true count at the end.
    aggregate_share
        Share of reports about the sum of all categories instead of one leaf.
    stance_bias
        Fixed stance mean biases as factors, e.g. ``{"own": 0.4, "adversary": 2.0}``; default:
        drawn from the model's stance priors.
    truth_sd
        Static mode: sd of log truth around ``scale`` (the model's own truth prior is centred on
        the data with sd 2, which cannot be drawn from before the data exist; see
        docs/calibration.md).
    wild_share
        Misspecification: share of each source's figures (documented counts excepted) that are
        fabricated, off the source's perceived value by a factor drawn log-uniformly from
        ``wild_factor``, up or down with equal chance. 0 (default) is the model's assumption.
    wild_factor
        (low, high) factor of a fabricated figure.
    noise_df
        Misspecification: the source noise is Student-t with this many degrees of freedom
        (scale = the source's noise) instead of normal; None (default) is the model's normal.
    bias_drift
        Misspecification: each source's log bias drifts linearly over the period by a slope
        drawn from Normal(0, ``bias_drift``) (from -slope/2 at the start to +slope/2 at the
        end; in static mode each figure is made at a random, unrecorded time). 0 (default):
        constant bias, as the model assumes.
    bounds
        How ``at_least`` and ``at_most`` figures are made. ``"censored"`` (default), as the model
        assumes: a threshold is drawn independently of the source's value (log-normal around
        ``scale``, scaled by the elapsed share of the period in temporal mode) and the report
        says "at least" the threshold if the source's value is above it, "at most" if below.
        ``"hedged"`` (a misspecification): the bound is drawn near the source's own value, the
        way words hedge a figure: "at least" a figure between half and all of it, "at most" one
        between it and twice it. The model's censored likelihood ignores that the value is then
        also at most twice (at least half) the bound, which pulls the truth up (down).
    random_seed
        Same seed, same data.

    Examples
    --------
    >>> sim = simulate(n_reports=20, random_seed=1)
    >>> len(sim.reports)
    20
    """
    if bounds not in ("censored", "hedged"):
        raise ModelError(f"simulate: bounds={bounds!r}; use 'censored' or 'hedged'.")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ModelError(f"simulate: unknown kinds {bad}; use {', '.join(KINDS)}.")
    if n_sources < len(parties):
        raise ModelError("simulate: need at least one source per party.")
    rng = np.random.default_rng(random_seed)
    start_d = dt.date.fromisoformat(start) if isinstance(start, str) else start
    leaves = [(p, c) for p in parties for c in categories]

    # Truth.
    if temporal:
        n_knots = math.ceil(days / KNOT_DAYS)
        level = np.log(scale / days) + rng.normal(0, 0.5, len(leaves))
        tau = TAU_MEDIAN * np.exp(TAU_SD * rng.normal(size=len(leaves)))
        walk = np.cumsum(rng.normal(size=(len(leaves), n_knots)), axis=1)
        walk -= walk.mean(axis=1, keepdims=True)
        rate = np.exp(level[:, None] + tau[:, None] * walk)

        def truth_at(t: float) -> np.ndarray:
            return cumulative_at(rate, t, KNOT_DAYS)[:, 0]
    else:
        static = scale * np.exp(rng.normal(0, truth_sd, len(leaves)))

        def truth_at(t: float) -> np.ndarray:
            return static

    # Sources: one affiliated with each party, the rest neutral.
    sources = [
        Source(f"S{i + 1}", affiliation=parties[i] if i < len(parties) else None) for i in range(n_sources)
    ]
    stance_mu = {}
    for g, prior in STANCE_BIAS.items():
        if stance_bias and g in stance_bias:
            stance_mu[g] = math.log(stance_bias[g])
        else:
            stance_mu[g] = prior["mu"] + prior["mu_sd"] * rng.normal()
    bias: dict[tuple[str, str], float] = {}
    noise = {s.name: NOISE_MEDIAN * math.exp(NOISE_SD * rng.normal()) for s in sources}
    cover = {s.name: rng.beta(*COVERAGE_PRIOR) for s in sources}
    # Misspecifications draw from their own stream, so that switching one on leaves every other
    # draw (truth, biases, reports) as it was: the datasets differ only by what was switched on.
    rng_mis = np.random.default_rng(None if random_seed is None else [random_seed, 7919])
    # Thresholds of censored bounds: their own stream too, so the other reports stay the same.
    rng_bound = np.random.default_rng(None if random_seed is None else [random_seed, 104729])
    drift = {s.name: rng_mis.normal(0.0, bias_drift) if bias_drift > 0 else 0.0 for s in sources}

    def stance(src: Source, party: str) -> str:
        if src.affiliation is None:
            return "neutral"
        return "own" if src.affiliation == party else "adversary"

    def bias_of(src: Source, party: str) -> float:
        g = stance(src, party)
        key = (src.name, g)
        if key not in bias:
            bias[key] = stance_mu[g] + STANCE_BIAS[g]["spread"] * rng.normal()
        return bias[key]

    def eps_of(heavy: bool) -> float:
        """A standard normal draw; Student-t (same stream position) when ``heavy``."""
        e = rng.normal()
        if heavy:
            assert noise_df is not None
            e /= math.sqrt(rng_mis.chisquare(noise_df) / noise_df)
        return e

    z = z_of(RANGE_PROB)
    reports = []
    used_aggregates = set()
    end = days
    for i in range(n_reports):
        src = sources[i % n_sources] if i < n_sources else sources[rng.integers(n_sources)]
        p_i = int(rng.integers(len(parties)))
        party = parties[p_i]
        if len(categories) > 1 and rng.random() < aggregate_share:
            cats = list(categories)
            category = "+".join(cats)
            used_aggregates.add((party, category))
        else:
            cats = [categories[int(rng.integers(len(categories)))]]
            category = cats[0]
        t = float(rng.integers(max(1, days // 10), days + 1)) if temporal else float(end)
        if i < len(leaves) and temporal:
            t = float(days)  # make sure the end of the period is reported on
        values = truth_at(t)
        n_true = float(sum(values[leaves.index((party, c))] for c in cats))
        kind = kinds[int(rng.integers(len(kinds)))]
        sd = math.hypot(noise[src.name], NOISE_FLOOR)
        if kind == "documented":
            eta = math.log(n_true * cover[src.name])
            sd = DOCUMENTED_SD
        else:
            eta = math.log(n_true) + bias_of(src, party)
            if bias_drift > 0:
                when = t / days if temporal else rng_mis.random()
                eta += drift[src.name] * (when - 0.5)
            if wild_share > 0 and rng_mis.random() < wild_share:
                lo_f, hi_f = wild_factor
                eta += rng_mis.choice([-1.0, 1.0]) * rng_mis.uniform(math.log(lo_f), math.log(hi_f))
        heavy = noise_df is not None and kind != "documented"
        v = math.exp(eta + sd * eps_of(heavy))
        fields: dict[str, float] = {}
        if kind in ("exact", "documented") or (kind == "approx" and v < SMALL_COUNT):
            if math.exp(eta) < SMALL_COUNT:
                alpha = 1 / sd**2
                v = float(rng.negative_binomial(alpha, alpha / (alpha + math.exp(eta))))
            fields["value"] = float(round(v))
        elif kind == "approx":
            fields["value"] = _round_sig(v, 2)
        elif kind == "nearly":
            fields["value"] = float(round(v / (1 - NEARLY_GAP * rng.random())))
        elif kind == "over":
            fields["value"] = float(round(v / (1 + NEARLY_GAP * rng.random())))
        elif kind == "range":
            w = rng.uniform(0.1, 0.5)
            mid = math.exp(eta + math.hypot(sd, w) * eps_of(heavy))
            fields["low"], fields["high"] = (
                float(round(mid * math.exp(-z * w))),
                float(round(mid * math.exp(z * w))),
            )
            if fields["low"] < 1:
                fields["low"] = 1.0
        elif kind in ("at_least", "at_most"):
            # Drawn in both modes, so that the main stream, and so every other report, is the
            # same whichever way bounds are made.
            hedge = rng.uniform(0.5, 1.0) if kind == "at_least" else rng.uniform(1.0, 2.0)
            if bounds == "hedged":
                fields["value"] = float(max(1, round(v * hedge)))
            else:
                # Censoring at a threshold that does not depend on the truth: the report says
                # on which side of it the source's value lies (the likelihood the model uses).
                ref = scale * (t / days if temporal else 1.0)
                c = float(max(1, round(ref * math.exp(BOUND_SD * rng_bound.normal()))))
                kind = "at_least" if v >= c else "at_most"
                fields["value"] = c
        elif kind == "upper_estimate":
            fields["value"] = float(
                round(math.exp(eta + z * UPPER_WIDTH + math.hypot(sd, UPPER_WIDTH) * eps_of(heavy)))
            )
        date = start_d + dt.timedelta(days=int(t)) if temporal else None
        if kind in ("exact", "approx", "documented") and fields["value"] >= SMALL_COUNT and kind != "approx":
            fields["value"] = float(max(1.0, fields["value"]))
        if kind not in ("exact", "documented", "approx", "range") and fields.get("value", 1) < 1:
            fields["value"] = 1.0
        reports.append(
            Report(source=src.name, party=party, category=category, date=date, kind=kind, **fields)
        )

    as_of = start_d + dt.timedelta(days=days) if temporal else None
    final = truth_at(float(days))
    rows = [{"party": p, "category": c, "value": float(final[i])} for i, (p, c) in enumerate(leaves)]
    for party, category in sorted(used_aggregates):
        rows.append(
            {
                "party": party,
                "category": category,
                "value": float(sum(final[leaves.index((party, c))] for c in category.split("+"))),
            }
        )
    biases = pd.DataFrame(
        [
            {"source": s, "stance": g, "factor": math.exp(b), "noise": noise[s]}
            for (s, g), b in sorted(bias.items())
        ]
    )
    daily = None
    if temporal:
        frames = []
        for d in range(days + 1):
            vals = truth_at(float(d))
            for i, (p, c) in enumerate(leaves):
                frames.append((p, c, start_d + dt.timedelta(days=d), float(vals[i])))
        daily = pd.DataFrame(frames, columns=["party", "category", "date", "value"])
    return Simulation(
        reports, sources, pd.DataFrame(rows), biases, start_d if temporal else None, as_of, daily
    )


def _round_sig(x: float, digits: int) -> float:
    if x <= 0:
        return 0.0
    return float(round(x, -int(math.floor(math.log10(x))) + digits - 1))
