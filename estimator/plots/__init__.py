"""Plots of a fit: one module per plot, each with a ``*_data`` function returning what it draws.

Every plot takes the result as its only positional argument, keyword-only options, ``ax=`` and
``figsize=``, and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from ..errors import ModelError
from ..reports import _did_you_mean
from .diagnostics import diagnostics_data, plot_diagnostics
from .forest import forest_data, plot_forest
from .posterior import plot_posterior, posterior_data
from .sources import plot_sources, sources_data
from .trajectory import plot_trajectory, trajectory_data

#: The kinds :func:`plot_result` (and ``Result.plot``) draws.
KINDS = ("posterior", "forest", "sources", "trajectory", "diagnostics")


def plot_result(
    result: Any,
    *,
    kind: str = "posterior",
    party: str | None = None,
    prob: float | None = None,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw one plot of a fit by name; what ``Result.plot(kind)`` calls.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    kind
        ``"posterior"``, ``"forest"``, ``"sources"``, ``"trajectory"`` or ``"diagnostics"``.
    party
        Only this party (ignored by ``diagnostics``).
    prob
        Interval probability; for ``trajectory`` the outer band (the inner one is 50%).
    ax, figsize
        Passed to the plot.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_result(result, kind="forest", party="Russia")  # doctest: +SKIP
    """
    if kind not in KINDS:
        raise ModelError(f"kind={kind!r}: use one of {', '.join(KINDS)}{_did_you_mean(str(kind), KINDS)}.")
    if kind == "posterior":
        return plot_posterior(result, party=party, prob=prob, ax=ax, figsize=figsize)
    if kind == "forest":
        return plot_forest(result, party=party, prob=prob, ax=ax, figsize=figsize)
    if kind == "sources":
        return plot_sources(result, party=party, prob=prob, ax=ax, figsize=figsize)
    if kind == "trajectory":
        outer = result._prob(prob)
        probs = (0.5, outer) if outer != 0.5 else (0.5,)
        return plot_trajectory(result, party=party, probs=probs, ax=ax, figsize=figsize)
    return plot_diagnostics(result, ax=ax, figsize=figsize)


__all__ = [
    "KINDS",
    "diagnostics_data",
    "forest_data",
    "plot_diagnostics",
    "plot_forest",
    "plot_posterior",
    "plot_result",
    "plot_sources",
    "plot_trajectory",
    "posterior_data",
    "sources_data",
    "trajectory_data",
]
