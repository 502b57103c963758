"""Temporal mode: the cumulative count of each quantity over time, with the reports on their dates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..errors import ModelError
from ._style import (
    HUMAN,
    KIND_MARKERS,
    POINT_KINDS_DRAWN,
    POSTERIOR_COLOR,
    STYLE,
    label,
    new_axes,
    select_quantities,
    source_colors,
)

#: Default bands: the inner 50% and the outer 90%.
PROBS = (0.5, 0.9)


def trajectory_data(
    result: Any,
    *,
    party: str | None = None,
    category: str | None = None,
    probs: Sequence[float] = PROBS,
    freq: str = "D",
) -> pd.DataFrame:
    """The tidy data of :func:`plot_trajectory`: bands per day, and the reports on their dates.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result` of a temporal fit.
    party, category
        Only this party / category (default: every quantity).
    probs
        Probabilities of the bands, e.g. ``(0.5, 0.9)``.
    freq
        pandas frequency of the dates (``"D"``, ``"W"``...).

    Returns
    -------
    pandas.DataFrame
        ``element`` ``"band"`` rows (``date``, ``median``, ``lower``, ``upper``, ``prob``) and
        ``"report"`` rows (``date``, ``report``, ``source``, ``kind``, ``value``, ``low``,
        ``high``), each with ``party`` and ``category``.

    Examples
    --------
    >>> trajectory_data(result, party="Russia", category="killed", probs=(0.5, 0.9))  # doctest: +SKIP
    """
    if not result.spec.temporal:
        raise ModelError("the trajectory plot needs a temporal fit: give the reports dates.")
    if not probs or any(not 0 < p < 1 for p in probs):
        raise ModelError(f"probs={tuple(probs)!r}: give probabilities between 0 and 1, e.g. (0.5, 0.9).")
    keys = select_quantities(result, party, category)
    frames = []
    for p in sorted(set(probs), reverse=True):
        t = result.trajectory(prob=p, freq=freq)
        t = t[[(a, b) in keys for a, b in zip(t.party, t.category, strict=True)]].copy()
        t.insert(0, "element", "band")
        t["prob"] = p
        frames.append(t)
    reports = result.reports()
    mine = reports[[(a, b) in keys for a, b in zip(reports.party, reports.category, strict=True)]]
    if len(mine):
        rep = mine[["party", "category", "date", "report", "source", "kind", "value", "low", "high"]].copy()
        rep["date"] = pd.to_datetime(rep["date"])
        rep.insert(0, "element", "report")
        frames.append(rep)
    out = pd.concat(frames, ignore_index=True)
    for col in ("value", "low", "high"):
        out[col] = pd.to_numeric(out[col], errors="coerce") if col in out else np.nan
    return out


def plot_trajectory(
    result: Any,
    *,
    party: str | None = None,
    category: str | None = None,
    probs: Sequence[float] = PROBS,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Median line and bands of each quantity over time, the reports marked on their dates.

    A point figure is a mark at its value, a range a vertical bar, a bound a triangle pointing
    the way the truth lies (up for ``at_least``, down for ``at_most`` / ``upper_estimate``).

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result` of a temporal fit.
    party, category
        Only this party / category; one panel per quantity otherwise.
    probs
        Probabilities of the bands (default 50% and 90%).
    ax
        Draw into this Axes (needs exactly one quantity).
    figsize
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_trajectory(result, party="Russia", category="killed").savefig("t.png")  # doctest: +SKIP
    """
    data = trajectory_data(result, party=party, category=category, probs=probs)
    keys = list(dict.fromkeys(zip(data["party"], data["category"], strict=True)))
    colors = source_colors(result.reports()["source"])
    band = data[data.element == "band"]
    rep = data[data.element == "report"]
    ps = sorted(set(band["prob"]), reverse=True)
    alphas = np.linspace(0.18, 0.4, len(ps))
    with plt.style.context(STYLE):
        fig, axes = new_axes(len(keys), ax=ax, figsize=figsize, what="the trajectory plot")
        for a, (p, c) in zip(axes, keys, strict=True):
            b = band[(band.party == p) & (band.category == c)]
            for prob, alpha in zip(ps, alphas, strict=True):
                bp = b[b.prob == prob]
                a.fill_between(bp["date"], bp["lower"], bp["upper"], color=POSTERIOR_COLOR, alpha=alpha, lw=0)
            inner = b[b.prob == ps[-1]]
            a.plot(inner["date"], inner["median"], color=POSTERIOR_COLOR, lw=1.6)
            for _, r in rep[(rep.party == p) & (rep.category == c)].iterrows():
                col = colors.get(r["source"], "#333333")
                if r["kind"] == "range":
                    a.plot(
                        [r["date"], r["date"]], [r["low"], r["high"]], color=col, lw=2.5, marker="_", ms=10
                    )
                elif r["kind"] in POINT_KINDS_DRAWN:
                    a.plot(
                        [r["date"]],
                        [r["value"]],
                        color=col,
                        marker=KIND_MARKERS[r["kind"]],
                        ms=7,
                        lw=0,
                        mec="white",
                        mew=0.6,
                    )
                else:
                    marker = "^" if r["kind"] == "at_least" else "v"
                    a.plot(
                        [r["date"]], [r["value"]], color=col, marker=marker, ms=8, lw=0, mec="white", mew=0.6
                    )
            a.set_ylim(bottom=0)
            a.yaxis.set_major_formatter(HUMAN)
            a.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5))
            a.xaxis.set_major_formatter(mdates.ConciseDateFormatter(a.xaxis.get_major_locator()))
            a.set_title(label(f"{p} · {c.replace('_', ' ')}"), loc="left")
        handles = [
            Line2D([], [], color=colors[s], marker="o", lw=0, label=label(s))
            for s in sorted(set(rep["source"]))
        ]
        handles += [
            plt.Rectangle((0, 0), 1, 1, color=POSTERIOR_COLOR, alpha=al, label=f"{pr:.0%} band")
            for pr, al in zip(ps, alphas, strict=True)
        ]
        handles.append(Line2D([], [], marker="^", color="#555555", lw=0, label="at least (truth above)"))
        handles.append(
            Line2D([], [], marker="v", color="#555555", lw=0, label="up to / at most (truth below)")
        )
        if ax is None:
            fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
        else:
            ax.legend(handles=handles, loc="upper left", fontsize=7)
    return fig
