"""Bias factor (reported / true) of each source and stance, against its prior."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullFormatter

from ._style import HUMAN, POSTERIOR_COLOR, PRIOR_COLOR, STYLE, check_choice, label, new_axes

#: Vertical offset of the faint prior bar under its posterior.
PRIOR_OFFSET = 0.25
#: Ticks of the factor axis.
FACTOR_TICKS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)


def sources_data(result: Any, *, party: str | None = None, prob: float | None = None) -> pd.DataFrame:
    """The rows of :func:`plot_sources`: one per source, party and stance with a bias.

    Sources whose bias is not estimated (a reference source, or one that only gives documented
    counts) are left out.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party
        Only reports about this party.
    prob
        Probability of the intervals (default: the fit's, 0.9).

    Returns
    -------
    pandas.DataFrame
        Columns source, party, stance, label, bias_median, bias_lower, bias_upper,
        prior_lower, prior_upper, prob, row (0 = top).

    Examples
    --------
    >>> sources_data(result)[["label", "bias_median", "prior_lower", "prior_upper"]]  # doctest: +SKIP
    """
    prob = result._prob(prob)
    s = result.sources(prob=prob)
    check_choice("party", party, sorted(set(s["party"])))
    if party is not None:
        s = s[s.party == party]
    s = s[np.isfinite(s["bias_median"].astype(float))]
    cols = [
        "source",
        "party",
        "stance",
        "bias_median",
        "bias_lower",
        "bias_upper",
        "prior_lower",
        "prior_upper",
    ]
    out = s[cols].reset_index(drop=True)
    out.insert(
        3, "label", [f"{a} on {b} ({g})" for a, b, g in zip(out.source, out.party, out.stance, strict=True)]
    )
    out["prob"] = prob
    out["row"] = np.arange(len(out))
    return out


def plot_sources(
    result: Any,
    *,
    party: str | None = None,
    prob: float | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Each source's bias factor (reported / true) with its interval, its prior faintly beside it.

    A factor below 1 means the source reports less than the truth, above 1 more.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party
        Only reports about this party.
    prob
        Probability of the intervals (default: the fit's, 0.9).
    ax
        Draw into this Axes.
    figsize
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_sources(result).savefig("sources.png")  # doctest: +SKIP
    """
    d = sources_data(result, party=party, prob=prob)
    with plt.style.context(STYLE):
        fig, (a,) = new_axes(
            1, ax=ax, figsize=figsize or (8.0, 1.2 + 0.5 * max(len(d), 1)), what="the sources plot"
        )
        y = d["row"].to_numpy(float)
        a.hlines(y + PRIOR_OFFSET, d["prior_lower"], d["prior_upper"], color=PRIOR_COLOR, lw=4, alpha=0.5)
        a.hlines(y, d["bias_lower"], d["bias_upper"], color=POSTERIOR_COLOR, lw=2.2)
        a.plot(d["bias_median"], y, "o", color=POSTERIOR_COLOR, ms=6)
        a.axvline(1.0, color="#444444", lw=1)
        a.set_yticks(y, [label(t) for t in d["label"]])
        a.set_ylim(len(d) - 0.3, -0.7)
        a.set_xscale("log")
        a.xaxis.set_major_locator(FixedLocator(FACTOR_TICKS))
        a.xaxis.set_major_formatter(HUMAN)
        a.xaxis.set_minor_formatter(NullFormatter())
        a.grid(axis="y", visible=False)
        p = d["prob"].iloc[0] if len(d) else result._prob(prob)
        a.set_xlabel("bias factor: reported / true (1 = unbiased)")
        a.set_title("How much each source over- or undercounts", loc="left")
        (fig if ax is None else a).legend(
            handles=[
                Line2D(
                    [], [], color=POSTERIOR_COLOR, marker="o", label=f"posterior, median and {p:.0%} interval"
                ),
                Line2D([], [], color=PRIOR_COLOR, lw=4, alpha=0.5, label=f"prior {p:.0%} interval"),
            ],
            loc="outside lower center" if ax is None else "best",
            ncols=2,
        )
    return fig
