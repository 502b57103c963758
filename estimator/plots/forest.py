"""Forest plot: median and interval of every quantity of a party, on a log axis."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._style import HUMAN, POSTERIOR_COLOR, STYLE, label, new_axes, select_quantities


def forest_data(result: Any, *, party: str | None = None, prob: float | None = None) -> pd.DataFrame:
    """The rows of :func:`plot_forest`: one per quantity, top to bottom.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party
        Only this party (default: every party).
    prob
        Probability of the intervals (default: the fit's, 0.9).

    Returns
    -------
    pandas.DataFrame
        Columns party, category, label, median, lower, upper, prob, row (0 = top).

    Examples
    --------
    >>> forest_data(result, party="Russia")[["category", "median", "lower", "upper"]]  # doctest: +SKIP
    """
    prob = result._prob(prob)
    keep = set(select_quantities(result, party, None))
    s = result.summary(prob=prob)
    s = s[[(p, c) in keep for p, c in zip(s.party, s.category, strict=True)]]
    out = s[["party", "category", "median", "lower", "upper"]].copy().reset_index(drop=True)
    out.insert(
        2,
        "label",
        [
            f"{p} · {c.replace('_', ' ')}" if party is None else c.replace("_", " ")
            for p, c in zip(out.party, out.category, strict=True)
        ],
    )
    out["prob"] = prob
    out["row"] = np.arange(len(out))
    return out


def plot_forest(
    result: Any,
    *,
    party: str | None = None,
    prob: float | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Median and interval of every quantity (of one party, or all), log axis.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party
        Only this party.
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
    >>> plot_forest(result, party="Russia").savefig("forest.png")  # doctest: +SKIP
    """
    d = forest_data(result, party=party, prob=prob)
    with plt.style.context(STYLE):
        fig, (a,) = new_axes(1, ax=ax, figsize=figsize or (8.0, 0.9 + 0.42 * len(d)), what="the forest plot")
        y = d["row"].to_numpy()
        a.hlines(y, d["lower"], d["upper"], color=POSTERIOR_COLOR, lw=2.2)
        a.plot(d["median"], y, "o", color=POSTERIOR_COLOR, ms=6)
        for yi, m in zip(y, d["median"], strict=True):
            a.annotate(
                HUMAN(float(f"{m:.3g}")),
                (m, yi),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        a.set_yticks(y, [label(t) for t in d["label"]])
        a.set_ylim(len(d) - 0.4, -0.7)
        a.set_xscale("log")
        a.xaxis.set_major_formatter(HUMAN)
        a.grid(axis="y", visible=False)
        a.set_xlabel(f"true count (median and {d['prob'].iloc[0]:.0%} interval)")
        a.set_title(label(f"{party}: every quantity") if party else "Every quantity", loc="left")
    return fig
