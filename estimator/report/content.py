"""What a report says, built once and rendered by :mod:`.html` and :mod:`.markdown`.

:func:`build_document` turns a fit into a :class:`Document`: a headline, then sections of
paragraphs, tables (cells already formatted for people) and figures (PNG bytes). The renderers
only lay it out; no number is computed or formatted twice.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import constants as C
from ..stats import z_of

# --- the document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A table cell or text that links somewhere."""

    text: str
    url: str


Cell = str | Link


@dataclass
class Table:
    """A table whose cells are formatted text; ``numeric`` columns are right-aligned."""

    columns: list[str]
    rows: list[list[Cell]]
    numeric: set[int] = field(default_factory=set)
    caption: str = ""
    css: str = ""  # a class name the HTML renderer puts on the table


@dataclass
class Image:
    """A drawn plot: its file stem, PNG bytes and caption."""

    name: str
    png: bytes
    caption: str


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]
    tone: str = ""  # "warning" for fit problems, "note" for notes


Block = Paragraph | Bullets | Table | Image


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Headline:
    """One quantity at ``as_of`` in words and numbers."""

    label: str
    median: str
    interval: str
    sentence: str


@dataclass
class Document:
    title: str
    subtitle: str
    headlines: list[Headline]
    problems: list[str]
    sections: list[Section]


# --- numbers for people ---------------------------------------------------------------------------


def fmt_count(x: Any) -> str:
    """A count with 2-3 significant figures and thousands separators: 7,600 / 13,300 / 3.1.

    Examples
    --------
    >>> fmt_count(7597.4), fmt_count(13313), fmt_count(3.0657), fmt_count(float("nan"))
    ('7,600', '13,300', '3.1', '–')
    """
    if x is None or not np.isfinite(x):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 100:
        return f"{x:.2g}"
    digits = 2 - int(math.floor(math.log10(abs(x))))
    return f"{round(x, digits):,.0f}"


def fmt_ratio(x: Any) -> str:
    """A factor with 2 significant figures: 0.33, 1.1, 12."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{float(x):.2g}" if abs(x) < 100 else f"{float(x):,.0f}"


def fmt_interval(lo: Any, hi: Any, fmt: Any = fmt_count) -> str:
    return f"{fmt(lo)} to {fmt(hi)}"


def words(category: str) -> str:
    """``generals_killed`` -> ``generals killed``."""
    return category.replace("_", " ").replace("+", " + ")


def describe_figure(kind: str, value: Any, low: Any, high: Any) -> str:
    """A report's figure as a phrase: "up to 15,000", "7,000 to 15,000", "almost 500".

    Examples
    --------
    >>> describe_figure("upper_estimate", 15000.0, None, None)
    'up to 15,000'
    """
    if kind == "range":
        return f"{_plain(low)} to {_plain(high)}"
    v = _plain(value)
    return {
        "exact": v,
        "approx": f"about {v}",
        "nearly": f"almost {v}",
        "over": f"just over {v}",
        "at_least": f"at least {v}",
        "at_most": f"at most {v}",
        "upper_estimate": f"up to {v}",
        "documented": f"{v} documented",
    }.get(kind, f"{kind} {v}")


def _plain(x: Any) -> str:
    """A figure as the source gave it (no rounding): 15,000 / 121 / 1.5."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"


def _text(x: Any) -> str:
    """A text cell: None and NaN are empty."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def _date(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT:
        return ""
    if isinstance(x, pd.Timestamp | dt.datetime):
        return x.date().isoformat()
    if isinstance(x, dt.date):
        return x.isoformat()
    return str(x)


# --- figures ------------------------------------------------------------------------------------


def png_of(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure, which is then closed."""
    from ..plots._style import STYLE

    buf = io.BytesIO()
    with plt.style.context(STYLE):
        fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _figures(result: Any, prob: float) -> dict[str, Image]:
    from .. import plots

    out = {
        "posterior": Image(
            "posterior",
            png_of(plots.plot_posterior(result, prob=prob)),
            f"Posterior of each true count as of {_as_of(result)}: the shaded area is the {prob:.0%} "
            "interval, the dashed line the median. Below the axis, every report about exactly that "
            "quantity, coloured by source: a dot for a figure, a bar for a range, an arrow for a bound "
            "(pointing where the truth lies). Reports of an earlier date carry it.",
        ),
        "forest": Image(
            "forest",
            png_of(plots.plot_forest(result, prob=prob)),
            f"Every quantity: median and {prob:.0%} interval, log scale.",
        ),
    }
    if result.spec.temporal:
        out["trajectory"] = Image(
            "trajectory",
            png_of(plots.plot_trajectory(result, probs=(0.5, prob))),
            f"Cumulative count over time: median, 50% and {prob:.0%} bands; reports on their dates.",
        )
    if len(plots.sources_data(result, prob=prob)):
        out["sources"] = Image(
            "sources",
            png_of(plots.plot_sources(result, prob=prob)),
            f"Bias factor (reported / true) of each source and stance: posterior median and {prob:.0%} "
            "interval, the prior faintly beneath. Left of 1: the source undercounts; right: it overcounts.",
        )
    out["diagnostics"] = Image(
        "diagnostics",
        png_of(plots.plot_diagnostics(result)),
        "Rank plots of the main parameters: flat histograms in every chain mean the chains agree.",
    )
    return out


# --- the document ---------------------------------------------------------------------------------


def _as_of(result: Any) -> str:
    return _date(result.settings.get("as_of")) or ""


def headline_sentence(
    party: str, category: str, median: float, lower: float, upper: float, prob: float, as_of: str
) -> str:
    """One quantity in words.

    Examples
    --------
    >>> headline_sentence("Russia", "killed", 7_597, 4_291, 13_313, 0.9, "2022-03-23")
    'Russia killed: about 7,600 (90% interval 4,290 to 13,300) as of 2022-03-23'
    """
    tail = f" as of {as_of}" if as_of else ""
    return f"{party} {words(category)}: about {fmt_count(median)} ({prob:.0%} interval {fmt_interval(lower, upper)}){tail}"


def build_document(result: Any, *, prob: float | None = None) -> Document:
    """Everything a report of ``result`` shows, formatted; see the module docstring.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    prob
        Probability of every interval (default: the fit's).

    Returns
    -------
    Document

    Examples
    --------
    >>> doc = build_document(result)  # doctest: +SKIP
    >>> doc.headlines[0].sentence  # doctest: +SKIP
    'Russia captured: about 1,600 (90% interval 370 to 5,500) as of 2022-03-23'
    """
    prob = result._prob(prob)
    s = result.settings
    as_of = _as_of(result)
    summary = result.summary(prob=prob)
    pct = f"{prob:.0%}"

    headlines = [
        Headline(
            label=f"{r.party} {words(r.category)}",
            median=f"about {fmt_count(r.median)}",
            interval=f"{pct} interval {fmt_interval(r.lower, r.upper)}",
            sentence=headline_sentence(r.party, r.category, r.median, r.lower, r.upper, prob, as_of),
        )
        for r in summary.itertuples()
    ]
    n_src = len({c.report.source for c in result.spec.clean})
    mode = s.get("mode", "static")
    subtitle = (
        f"{len(result.spec.clean)} reports from {n_src} sources · {mode} fit"
        + (f" from {_date(s.get('start'))} to {as_of}" if mode == "temporal" else "")
        + f" · {pct} intervals"
    )
    figs = _figures(result, prob)
    sections = [
        _estimates(summary, figs, pct, as_of),
        _sources(result, figs, prob),
        _reports(result, prob),
        _diagnostics(result, figs),
        _method(result),
    ]
    return Document(
        title=f"Estimated losses{' as of ' + as_of if as_of else ''}",
        subtitle=subtitle,
        headlines=headlines,
        problems=list(result.problems),
        sections=sections,
    )


def _estimates(summary: pd.DataFrame, figs: dict[str, Image], pct: str, as_of: str) -> Section:
    cols = ["party", "category", "median", f"{pct} interval", "mean", "sd", "R-hat", "ESS (bulk)"]
    rows: list[list[Cell]] = [
        [
            r.party,
            words(r.category),
            fmt_count(r.median),
            fmt_interval(r.lower, r.upper),
            fmt_count(r.mean),
            fmt_count(r.sd),
            f"{r.r_hat:.3f}",
            f"{r.ess_bulk:,.0f}",
        ]
        for r in summary.itertuples()
    ]
    blocks: list[Block] = [
        Table(
            cols,
            rows,
            numeric={2, 3, 4, 5, 6, 7},
            caption=f"True counts{' as of ' + as_of if as_of else ''} (posterior).",
        ),
    ]
    blocks += [figs[k] for k in ("posterior", "forest", "trajectory") if k in figs]
    return Section("Estimates", "estimates", blocks)


def _sources(result: Any, figs: dict[str, Image], prob: float) -> Section:
    src = result.sources(prob=prob)
    cols = [
        "source",
        "on",
        "stance",
        "reports",
        "declared",
        "bias factor",
        f"{prob:.0%} interval",
        f"prior {prob:.0%}",
        "noise",
    ]
    has_cover = "coverage_median" in src
    if has_cover:
        cols.append("coverage")
    rows: list[list[Cell]] = []
    for r in src.to_dict(orient="records"):
        row: list[Cell] = [
            r["source"],
            r["party"],
            r["stance"],
            str(r["n_reports"]),
            "yes" if r["declared"] else "no (neutral)",
            fmt_ratio(r["bias_median"]),
            fmt_interval(r["bias_lower"], r["bias_upper"], fmt_ratio)
            if np.isfinite(r["bias_median"])
            else "–",
            fmt_interval(r["prior_lower"], r["prior_upper"], fmt_ratio)
            if np.isfinite(r["prior_lower"])
            else "–",
            f"{r['noise_median']:.2f}",
        ]
        if has_cover:
            row.append(
                f"{r['coverage_median']:.0%}" if np.isfinite(r.get("coverage_median", np.nan)) else "–"
            )
        rows.append(row)
    blocks: list[Block] = [
        Paragraph(
            "The bias factor is what a source reports divided by the truth: 0.5 means it reports half "
            "the true count, 2 twice. Its stance is own (a party counting its own losses), adversary "
            "(the enemy's) or neutral. Noise is the scatter of a source's figures on the log scale. "
            "Coverage is the share of the truth a documented count reaches."
        ),
        Table(
            cols,
            rows,
            numeric={3, 5, 6, 7, 8, 9},
            caption="Sources (posterior median, interval and prior interval).",
        ),
    ]
    if "sources" in figs:
        blocks.append(figs["sources"])
    return Section("Sources", "sources", blocks)


def _reports(result: Any, prob: float) -> Section:
    rep = result.reports(prob=prob)
    cols = [
        "#",
        "source",
        "about",
        "date",
        "said",
        "model expects",
        f"{prob:.0%} predictive",
        "expects / said",
        "PIT",
        "",
        "flagged by",
        "quote",
    ]
    rows: list[list[Cell]] = []
    for r in rep.to_dict(orient="records"):
        said = math.sqrt(r["low"] * r["high"]) if r["kind"] == "range" else r["value"]
        ratio = r["pred_median"] / said if said and said > 0 else float("nan")
        quote, url = _text(r["quote"]), _text(r["url"])
        quote_cell: Cell = Link(quote or url, url) if url else quote
        rows.append(
            [
                str(r["report"]),
                r["source"],
                f"{r['party']} {words(r['category'])}",
                _date(r["date"]),
                describe_figure(r["kind"], r["value"], r["low"], r["high"]),
                fmt_count(r["pred_median"]),
                fmt_interval(r["pred_lower"], r["pred_upper"]),
                fmt_ratio(ratio),
                f"{r['pit']:.2f}",
                "outlier" if r["outlier"] else "",
                _flagged_by(r),
                quote_cell,
            ]
        )
    n_out = int(rep["outlier"].sum())
    n_pit = int(rep["flagged_by"].isin(["pit", "both"]).sum())
    fabricated = ""
    if "p_fabricated" in rep:
        n_fab = int((rep["p_fabricated"] > C.FABRICATED_PROB).sum())
        fabricated = " The fit is robust: each figure may be a fabrication, and the model reads " + (
            f"{n_fab} of them as more likely fabricated than not, flagged as outliers with that "
            "probability whatever their PIT (the fabrication's wide scatter predicts even a wild "
            "figure)."
            if n_fab
            else "none as more likely fabricated than not."
        )
    return Section(
        "Reports",
        "reports",
        [
            Paragraph(
                "Every report, what the model predicts the source would say (given the estimated truth "
                "and the source's bias and noise), and how far that is from what it said. For a range "
                "the figure compared is its geometric middle, for a bound the bound. PIT is the "
                "predictive probability of a figure at or below the one reported: near 0 or 1 means the "
                "report surprises the model. "
                + (
                    f"{n_out} report{'s are' if n_out != 1 else ' is'} flagged as outlier{'s' if n_out != 1 else ''}, "
                    f"{n_pit} of them outside the 99% leave-one-out predictive interval (flagged by PIT)."
                    if n_out
                    else "No report is outside the 99% leave-one-out predictive interval."
                )
                + fabricated
            ),
            Table(
                cols,
                rows,
                numeric={0, 5, 6, 7, 8},
                caption="Reports, their figures and the model's predictions; what flagged an outlier: "
                + ("its PIT, a likely fabrication, or both." if "p_fabricated" in rep else "its PIT."),
                css="reports",
            ),
        ],
    )


def _flagged_by(r: dict[str, Any]) -> str:
    """What flagged a report, in words: "PIT", "fabricated? 97%", or both; empty if nothing."""
    by = r.get("flagged_by") or ""
    parts = ["PIT"] if by in ("pit", "both") else []
    if by in ("fabrication", "both"):
        parts.append(f"fabricated? {r['p_fabricated']:.0%}")
    return ", ".join(parts)


def _diagnostics(result: Any, figs: dict[str, Image]) -> Section:
    d = result.diagnostics
    items = [
        f"{d['chains']} chains of {d['draws']:,} draws; {d['divergences']} divergent transitions.",
        f"Largest R-hat {d['max_r_hat']:.3f} ({d['max_r_hat_of']}); should be at most {C.MAX_RHAT}.",
        f"Smallest bulk ESS {d['min_ess_bulk']:,.0f} ({d['min_ess_bulk_of']}), tail ESS {d['min_ess_tail']:,.0f} ({d['min_ess_tail_of']}); should be at least {C.MIN_ESS}.",
        f"Smallest BFMI {d['min_bfmi']:.2f}; should be above 0.3.",
    ]
    blocks: list[Block] = [Bullets(items)]
    if result.problems:
        blocks += [
            Paragraph("Problems with the fit (the numbers should not be published as they are):"),
            Bullets(list(result.problems), tone="warning"),
        ]
    else:
        blocks.append(Paragraph("The sampler's diagnostics are within bounds."))
    if result.notes:
        blocks += [Paragraph("Notes:"), Bullets(list(result.notes), tone="note")]
    blocks.append(figs["diagnostics"])
    return Section("Diagnostics", "diagnostics", blocks)


def _method(result: Any) -> Section:
    spec, s = result.spec, result.settings
    z = z_of(0.9)
    stance_rows: list[list[Cell]] = []
    for g, p in spec.stance_prior.items():
        sd = math.hypot(p["mu_sd"], p["spread"])
        stance_rows.append(
            [
                g,
                fmt_ratio(math.exp(p["mu"])),
                fmt_interval(math.exp(p["mu"] - z * sd), math.exp(p["mu"] + z * sd), fmt_ratio),
                f"{p['mu_sd']:.2f}",
                f"{p['spread']:.2f}",
            ]
        )
    link_rows: list[list[Cell]] = [
        [
            link.category,
            link.base,
            link.party or "every party",
            fmt_interval(*link.ratio, fmt_ratio),
            link.note,
        ]
        for link in spec.links
    ]
    constants: list[list[Cell]] = [
        ["interval probability", f"{s.get('prob', C.INTERVAL_PROB):.0%}", "of every interval shown"],
        [
            "a source's range",
            f"{C.RANGE_PROB:.0%}",
            "'7,000 to 15,000' is read as the source's central interval of this probability",
        ],
        [
            "'almost' / 'just over'",
            f"{C.NEARLY_GAP:.0%}",
            "the figure lies within this gap below / above the number",
        ],
        ["'up to' width", f"{C.UPPER_WIDTH}", "log-scale sd of the interval whose top an 'up to' figure is"],
        [
            "small counts",
            f"below {C.SMALL_COUNT}",
            "go through a negative-binomial likelihood on the count scale",
        ],
        [
            "source noise",
            f"median {C.NOISE_MEDIAN}, floor {C.NOISE_FLOOR}",
            "sd of a source's log figures around its biased value",
        ],
        ["documented coverage", f"Beta{C.COVERAGE_PRIOR}", "share of the truth a documented count reaches"],
        ["truth prior", f"log-scale sd {C.LOG_TRUTH_SD}", "centred on the scale of the data"],
    ]
    if s.get("robust"):
        constants.append(
            [
                "outlier mixture (robust)",
                f"Beta{C.OUTLIER_PRIOR}, extra log-scale sd {C.OUTLIER_SD}",
                "each source's share of fabricated figures, and their scatter around its value",
            ]
        )
    if spec.temporal:
        constants.append(
            [
                "knots",
                f"every {spec.knot_days} days",
                f"the log daily rate is a random walk (weekly step median {C.TAU_MEDIAN})",
            ]
        )
    sampler = f"{s.get('sampler', 'pymc')} NUTS, {s.get('chains')} chains x {s.get('draws')} draws after {s.get('tune')} tuning, target_accept {s.get('target_accept')}, seed {s.get('random_seed')}"
    aggs = "; ".join(f"{k} = {' + '.join(v)}" for k, v in (s.get("aggregates") or {}).items())
    blocks: list[Block] = [
        Paragraph(
            "Each report is read as a noisy, biased view of the true count: the log of what a source "
            "says is the log of the truth plus the source's bias (by stance: own, adversary, neutral) "
            "plus noise. Hedged figures ('up to', 'at least', ranges) enter through the likelihood of "
            "their kind. Neutral sources anchor the scale: their bias is centred on 1. "
            + (
                "The true counts grow over time, with a daily rate that changes smoothly from week to week. "
                if spec.temporal
                else ""
            )
            + f"Sampler: {sampler}."
            + (f" Aggregates: {aggs}." if aggs else "")
        ),
        Table(
            ["stance", "median factor", "90% range of a source", "sd of stance mean", "spread of sources"],
            stance_rows,
            numeric={1, 2, 3, 4},
            caption="Bias priors by stance (factor reported / true).",
        ),
    ]
    if link_rows:
        blocks.append(
            Table(
                ["category", "= ratio x", "party", "ratio 90% range", "why"],
                link_rows,
                numeric={3},
                caption="Structural links between categories.",
            )
        )
    blocks.append(
        Table(
            ["setting", "value", "meaning"],
            constants,
            caption="Constants of the model (estimator/constants.py).",
        )
    )
    return Section("Method", "method", blocks)
