"""Posterior density of each quantity at ``as_of``, with the reports about it overlaid."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

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
    use_log,
)

#: Points on the x grid of each density.
GRID = 200
#: A bound's arrow spans this factor (log axis) or this share of the axis span (linear).
ARROW_FACTOR = 1.6


def posterior_data(
    result: Any,
    *,
    party: str | None = None,
    category: str | None = None,
    prob: float | None = None,
) -> pd.DataFrame:
    """The tidy data of :func:`plot_posterior`: densities, intervals and reports per quantity.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party, category
        Only this party / category (default: every quantity).
    prob
        Probability of the shaded interval (default: the fit's, 0.9).

    Returns
    -------
    pandas.DataFrame
        One row per drawn element, ``element`` telling which: ``"density"`` (``x``,
        ``density``; the density is of log10 of the count when ``log_x``), ``"interval"``
        (``lower``, ``median``, ``upper``, ``prob``) and ``"report"`` (``report``, ``source``,
        ``kind``, ``value``, ``low``, ``high``, ``date``). Every row carries ``party``,
        ``category`` and ``log_x`` (whether the panel uses a log axis). The reports of a
        quantity are exactly the reports with its party and category.

    Examples
    --------
    >>> d = posterior_data(result, party="Russia", category="killed")  # doctest: +SKIP
    >>> d[d.element == "report"][["source", "kind", "value", "low", "high"]]  # doctest: +SKIP
    """
    prob = result._prob(prob)
    reports = result.reports(prob=prob)
    summary = result.summary(prob=prob)
    frames = []
    for p, c in select_quantities(result, party, category):
        draws = np.asarray(result.draws(p, c), dtype=float).ravel()
        s = summary[(summary.party == p) & (summary.category == c)].iloc[0]
        mine = reports[(reports.party == p) & (reports.category == c)]
        said = [*mine["value"].dropna(), *mine["low"].dropna(), *mine["high"].dropna()]
        log_x = use_log([s["lower"], s["upper"], *said])
        frames.append(
            pd.DataFrame(
                {"element": "density", "party": p, "category": c, "log_x": log_x, **_density(draws, log_x)}
            )
        )
        frames.append(
            pd.DataFrame(
                [
                    {
                        "element": "interval",
                        "party": p,
                        "category": c,
                        "log_x": log_x,
                        "lower": s["lower"],
                        "median": s["median"],
                        "upper": s["upper"],
                        "prob": prob,
                    }
                ]
            )
        )
        if len(mine):
            rep = mine[["report", "source", "kind", "value", "low", "high", "date"]].copy()
            rep.insert(0, "element", "report")
            rep.insert(1, "party", p)
            rep.insert(2, "category", c)
            rep.insert(3, "log_x", log_x)
            frames.append(rep)
    out = pd.concat(frames, ignore_index=True)
    for col in ("value", "low", "high"):
        out[col] = pd.to_numeric(out[col], errors="coerce") if col in out else np.nan
    return out


def _density(draws: np.ndarray, log_x: bool) -> dict[str, np.ndarray]:
    """KDE of the draws on the axis scale (log10 when ``log_x``)."""
    d = draws[np.isfinite(draws) & ((draws > 0) if log_x else True)]
    z = np.log10(d) if log_x else d
    lo, hi = np.quantile(z, [0.002, 0.998])
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    grid = np.linspace(lo - pad, hi + pad, GRID)
    if not log_x:
        grid = grid[grid >= 0] if (d >= 0).all() else grid
    if np.ptp(z) > 0:
        dens = stats.gaussian_kde(z)(grid)
    else:
        dens = np.where(np.isclose(grid, z[0]), 1.0, 0.0)
    return {"x": 10**grid if log_x else grid, "density": dens}


def plot_posterior(
    result: Any,
    *,
    party: str | None = None,
    category: str | None = None,
    prob: float | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Posterior density of each quantity with its interval shaded and every report overlaid.

    Reports about exactly that quantity (same party and category) are drawn under the density,
    coloured by source: a point for point figures, a bar for ranges, an arrow for bounds
    (``at_least`` points right, ``at_most`` / ``upper_estimate`` left).

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    party, category
        Only this party / category; one panel per quantity otherwise.
    prob
        Probability of the shaded interval (default: the fit's, 0.9).
    ax
        Draw into this Axes (needs exactly one quantity).
    figsize
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_posterior(result, party="Russia", category="killed")  # doctest: +SKIP
    >>> fig.savefig("russia_killed.png")  # doctest: +SKIP
    """
    data = posterior_data(result, party=party, category=category, prob=prob)
    keys = list(dict.fromkeys(zip(data["party"], data["category"], strict=True)))
    rep = data[data.element == "report"]
    colors = source_colors(result.reports()["source"])
    with plt.style.context(STYLE):
        fig, axes = new_axes(len(keys), ax=ax, figsize=figsize, what="the posterior plot")
        for a, (p, c) in zip(axes, keys, strict=True):
            _panel(a, data[(data.party == p) & (data.category == c)], colors, result.spec.as_of)
        used = sorted(set(rep["source"]))
        if used:
            handles = [
                Line2D([], [], color=colors[s], marker="o", linestyle="-", label=label(s)) for s in used
            ]
            interval = data[data.element == "interval"]["prob"].iloc[0]
            handles.append(
                plt.Rectangle(
                    (0, 0), 1, 1, color=POSTERIOR_COLOR, alpha=0.25, label=f"{interval:.0%} interval"
                )
            )
            if ax is None:
                fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))
            else:
                ax.legend(handles=handles, loc="upper right")
    return fig


def _panel(ax: Axes, d: pd.DataFrame, colors: dict[str, str], as_of: Any) -> None:
    p, c = d["party"].iloc[0], d["category"].iloc[0]
    log_x = bool(d["log_x"].iloc[0])
    dens = d[d.element == "density"]
    iv = d[d.element == "interval"].iloc[0]
    rep = d[d.element == "report"]
    x, y = dens["x"].to_numpy(float), dens["density"].to_numpy(float)
    top = float(y.max()) if y.size and y.max() > 0 else 1.0
    ax.plot(x, y, color=POSTERIOR_COLOR, lw=1.5)
    inside = (x >= iv["lower"]) & (x <= iv["upper"])
    ax.fill_between(x, 0, y, where=inside, color=POSTERIOR_COLOR, alpha=0.25, lw=0)
    ax.axvline(iv["median"], color=POSTERIOR_COLOR, lw=1, ls="--")
    if log_x:
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(HUMAN)
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    step = 0.16 * top
    lo_x, hi_x = float(x.min()), float(x.max())
    for k, (_, r) in enumerate(rep.iterrows()):
        yk = -(k + 1) * step
        end = float("nan")
        col = colors.get(r["source"], "#333333")
        kind = r["kind"]
        if kind == "range":
            ax.plot([r["low"], r["high"]], [yk, yk], color=col, lw=2.5, solid_capstyle="butt")
            ax.plot([r["low"], r["high"]], [yk, yk], color=col, marker="|", ms=9, lw=0)
            lo_x, hi_x = min(lo_x, r["low"]), max(hi_x, r["high"])
        elif kind in POINT_KINDS_DRAWN:
            ax.plot([r["value"]], [yk], color=col, marker=KIND_MARKERS[kind], ms=6, lw=0)
            lo_x, hi_x = min(lo_x, r["value"]), max(hi_x, r["value"])
        else:
            v = float(r["value"])
            right = kind == "at_least"
            if log_x:
                end = v * ARROW_FACTOR if right else v / ARROW_FACTOR
            else:
                span = 0.12 * (hi_x - lo_x if hi_x > lo_x else v)
                end = v + span if right else max(v - span, 0.0)
            ax.annotate(
                "", xy=(end, yk), xytext=(v, yk), arrowprops={"arrowstyle": "-|>", "color": col, "lw": 1.8}
            )
            ax.plot([v], [yk], color=col, marker="|", ms=9, lw=0)
            lo_x, hi_x = min(lo_x, v, end), max(hi_x, v, end)
        if as_of is not None and r["date"] is not None and r["date"] != as_of:
            # A figure of an earlier date is a floor of the cumulative count now: say so.
            at = r["high"] if kind == "range" else (end if kind == "at_least" else r["value"])
            ax.annotate(
                f"{r['date']:%-d %b}",
                (at, yk),
                xytext=(6, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=7,
                color=col,
            )
    ax.set_ylim(-(len(rep) + 0.8) * step if len(rep) else 0, top * 1.08)
    if log_x:
        ax.set_xlim(lo_x / 1.15, hi_x * 1.15)
    else:
        pad = 0.04 * (hi_x - lo_x)
        ax.set_xlim(max(lo_x - pad, 0) if lo_x >= 0 else lo_x - pad, hi_x + pad)
    ax.axhline(0, color="#444444", lw=0.6)
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.set_title(label(f"{p} · {c.replace('_', ' ')}"), loc="left")
