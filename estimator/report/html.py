"""One self-contained HTML file: inline CSS, figures as base64 PNG data URIs, no network."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from ..text import for_html, safe_url
from .content import Bullets, Cell, Document, Image, Link, Paragraph, Table, build_document

CSS = """
:root { --ink: #1d232b; --muted: #5b6570; --line: #dde2e7; --accent: #1f4e79; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 64px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
.subtitle { color: var(--muted); margin: 0 0 20px; }
.headlines { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; margin: 0; padding: 0; list-style: none; }
.headline { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 6px; padding: 10px 14px; }
.headline .label { font-weight: 600; font-size: 15px; }
.headline .value { font-size: 26px; font-weight: 700; color: var(--accent); line-height: 1.2; }
.headline .interval { color: var(--muted); font-size: 14px; }
.sentence { position: absolute; left: -10000px; }
.callout { border-radius: 6px; padding: 10px 16px; margin: 16px 0; }
.callout.warning { background: #fff4e5; border: 1px solid #f0c27b; color: var(--warn); }
.callout.note { background: #eef4fa; border: 1px solid #c5d8ea; }
.callout ul { margin: 4px 0; padding-left: 20px; }
nav { margin: 18px 0 0; font-size: 14px; }
nav a { margin-right: 14px; color: var(--accent); }
.scroll { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 13.5px; width: 100%; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.reports th, table.reports td.num { white-space: normal; }
table.reports td:nth-child(4) { white-space: nowrap; }
table.reports td:last-child { min-width: 240px; font-style: italic; }
td.flag { color: #b00020; font-weight: 600; }
figure { margin: 20px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; }
a { color: var(--accent); }
"""


def write_html(result: Any, path: str | os.PathLike[str], *, prob: float | None = None) -> Path:
    """Write one self-contained HTML report of a fit.

    The headline estimates in words and a summary table come first, then the plots, the
    sources, every report with its quote, link and the model's prediction, the diagnostics and
    the method with its priors. Figures are embedded as base64 PNG; nothing is fetched.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    path
        The ``.html`` file to write (overwritten).
    prob
        Probability of every interval (default: the fit's).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> result.to_html("report.html")  # doctest: +SKIP
    PosixPath('report.html')
    """
    path = Path(path)
    text = render_html(build_document(result, prob=prob))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def render_html(doc: Document) -> str:
    """The HTML text of a :class:`~estimator.report.content.Document`.

    Examples
    --------
    >>> text = render_html(build_document(result))  # doctest: +SKIP
    """
    e = for_html
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{e(doc.title)}</h1>",
        f'<p class="subtitle">{e(doc.subtitle)}</p>',
        '<ul class="headlines">',
    ]
    for h in doc.headlines:
        out.append(
            f'<li class="headline"><div class="label">{e(h.label)}</div>'
            f'<div class="value">{e(h.median)}</div><div class="interval">{e(h.interval)}</div>'
            f'<span class="sentence">{e(h.sentence)}</span></li>'
        )
    out.append("</ul>")
    if doc.problems:
        out.append(
            '<div class="callout warning"><strong>The fit is poor; check before publishing:</strong><ul>'
        )
        out += [f"<li>{e(p)}</li>" for p in doc.problems]
        out.append('</ul>See <a href="#diagnostics">Diagnostics</a>.</div>')
    out.append("<nav>" + "".join(f'<a href="#{s.anchor}">{e(s.title)}</a>' for s in doc.sections) + "</nav>")
    for s in doc.sections:
        out.append(f'<section id="{e(s.anchor)}"><h2>{e(s.title)}</h2>')
        for b in s.blocks:
            out.append(_block(b))
        out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _block(b: Any) -> str:
    e = for_html
    if isinstance(b, Paragraph):
        return f"<p>{e(b.text)}</p>"
    if isinstance(b, Bullets):
        items = "".join(f"<li>{e(x)}</li>" for x in b.items)
        return f'<div class="callout {e(b.tone)}"><ul>{items}</ul></div>' if b.tone else f"<ul>{items}</ul>"
    if isinstance(b, Image):
        data = base64.b64encode(b.png).decode("ascii")
        return (
            f'<figure id="figure-{e(b.name)}"><img alt="{e(b.name)} plot" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(b.caption)}</figcaption></figure>"
        )
    if isinstance(b, Table):
        return _table(b)
    raise TypeError(f"unknown block {type(b).__name__}")


def _table(t: Table) -> str:
    e = for_html
    cls = f' class="{e(t.css)}"' if t.css else ""
    head = "".join(f"<th>{e(c)}</th>" for c in t.columns)
    rows = []
    for row in t.rows:
        cells = []
        for i, c in enumerate(row):
            classes = []
            if i in t.numeric:
                classes.append("num")
            if c == "outlier":
                classes.append("flag")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{_cell(c)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{e(t.caption)}</caption>" if t.caption else ""
    return f'<div class="scroll"><table{cls}>{caption}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _cell(c: Cell) -> str:
    e = for_html
    if isinstance(c, Link):
        url = safe_url(c.url)
        if url is not None:
            return f'<a href="{e(url)}" rel="noopener noreferrer">{e(c.text)}</a>'
        # Only well-formed web links become links: a "javascript:" url stays text.
        return f"{e(c.text)} ({e(c.url)})" if c.text != c.url else e(c.text)
    return e(c)
