"""The look of every plot, and the helpers the plot modules share.

Styling happens only inside ``with plt.style.context(STYLE)``: nothing here touches the global
``rcParams``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..errors import ModelError
from ..reports import _did_you_mean
from ..text import for_plot_label

#: One style for every plot: light grid, no top/right spines, readable at report size.
STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#444444",
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "font.size": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
    # Names from the reports are drawn as they are (``for_plot_label`` escapes their "$"): never
    # through LaTeX, whatever the user's rcParams say.
    "text.usetex": False,
}

#: Colour of the model's posterior (density, median line, bands).
POSTERIOR_COLOR = "#1f4e79"
#: Colour of priors drawn beside posteriors.
PRIOR_COLOR = "#aaaaaa"
#: Colours of sources, assigned in sorted name order so a source keeps its colour in every plot.
SOURCE_COLORS = (
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
#: Marker of each kind of figure in report overlays.
KIND_MARKERS = {
    "exact": "o",
    "approx": "o",
    "documented": "s",
    "nearly": "D",
    "over": "D",
    "range": "|",
    "at_least": "|",
    "at_most": "|",
    "upper_estimate": "|",
}
#: Kinds drawn as a single point at their value.
POINT_KINDS_DRAWN = ("exact", "approx", "documented", "nearly", "over")
#: A panel gets a log axis when its values span more than this factor.
LOG_SPAN = 8.0


def source_colors(names: Iterable[str]) -> dict[str, str]:
    """Stable colour per source name."""
    return {s: SOURCE_COLORS[i % len(SOURCE_COLORS)] for i, s in enumerate(sorted(set(names)))}


def use_log(values: Iterable[float]) -> bool:
    """True when the positive finite ``values`` span more than :data:`LOG_SPAN`."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0], dtype=float)
    return bool(v.size and v.max() / v.min() > LOG_SPAN)


def human(x: float, _pos: Any = None) -> str:
    """Tick label: 1,200 / 15k / 1.5M, short enough for a log axis."""
    if not np.isfinite(x):
        return ""
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:g}M"
    if a >= 1e4:
        return f"{x / 1e3:g}k"
    if a >= 1:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    return f"{x:g}"


HUMAN = FuncFormatter(human)


def new_axes(
    n: int,
    *,
    ax: Axes | None,
    figsize: tuple[float, float] | None,
    ncols: int = 3,
    panel: tuple[float, float] = (4.2, 2.9),
    what: str = "this plot",
) -> tuple[Figure, list[Axes]]:
    """``n`` panels in a grid (the caller draws in them), or the user's ``ax`` when ``n == 1``."""
    if ax is not None:
        if n != 1:
            raise ModelError(
                f"ax= takes one panel but {what} has {n}; give party= and category= to draw one "
                "quantity, or leave ax out to get a figure with every panel."
            )
        return ax.figure, [ax]  # type: ignore[return-value]
    if n == 0:
        raise ModelError(f"{what}: nothing to draw.")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    size = figsize or (panel[0] * ncols, panel[1] * nrows + 0.4)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout="constrained")
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def check_choice(name: str, value: str | None, options: Sequence[str]) -> None:
    """ModelError with a did-you-mean when ``value`` is not one of ``options``."""
    if value is not None and value not in options:
        raise ModelError(
            f"{name}={value!r}: use one of {', '.join(map(str, options))}{_did_you_mean(str(value), options)}."
        )


def select_quantities(result: Any, party: str | None, category: str | None) -> list[tuple[str, str]]:
    """(party, category) of the result's quantities, filtered; did-you-mean on a typo."""
    qs = [(q.party, q.category) for q in result.quantities]
    check_choice("party", party, sorted({p for p, _ in qs}))
    if party is not None:
        qs = [q for q in qs if q[0] == party]
    check_choice("category", category, sorted({c for _, c in qs}))
    if category is not None:
        qs = [q for q in qs if q[1] == category]
    return qs


def label(text: object) -> str:
    """A name from the reports (a source, party, category) as plot text: ``$`` starts no math."""
    return for_plot_label(text)


def figure_of_report(row: pd.Series) -> float:
    """The one number of a report row: its value, or the geometric middle of a range."""
    if row["kind"] == "range":
        return float(math.sqrt(row["low"] * row["high"]))
    return float(row["value"])
