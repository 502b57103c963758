"""The report as Markdown: ``report.md`` plus one PNG file per figure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..text import for_markdown, safe_url
from .content import Bullets, Cell, Document, Image, Link, Paragraph, Table, build_document

#: Name of the Markdown file in the report directory.
REPORT_NAME = "report.md"


def write_markdown(result: Any, directory: str | os.PathLike[str], *, prob: float | None = None) -> Path:
    """Write the report as ``report.md`` and PNG files (``posterior.png``, ...) into a directory.

    Same content as :func:`estimator.report.write_html`; the directory is created if needed and
    files of the same names are overwritten.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    directory
        Where to write.
    prob
        Probability of every interval (default: the fit's).

    Returns
    -------
    pathlib.Path
        The Markdown file.

    Examples
    --------
    >>> result.to_markdown("report/")  # doctest: +SKIP
    PosixPath('report/report.md')
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    doc = build_document(result, prob=prob)
    for s in doc.sections:
        for b in s.blocks:
            if isinstance(b, Image):
                (directory / f"{b.name}.png").write_bytes(b.png)
    path = directory / REPORT_NAME
    path.write_text(render_markdown(doc), encoding="utf-8")
    return path


_esc = for_markdown


def render_markdown(doc: Document) -> str:
    """The Markdown text of a :class:`~estimator.report.content.Document` (figures as ``NAME.png``).

    Examples
    --------
    >>> text = render_markdown(build_document(result))  # doctest: +SKIP
    """
    out = [f"# {_esc(doc.title)}", "", f"*{_esc(doc.subtitle)}*", ""]
    # The sentence is the label, ": " and the numbers: the label may hold ": " itself.
    out += [f"- **{_esc(h.label)}**: {_esc(h.sentence[len(h.label) + 2 :])}" for h in doc.headlines]
    out.append("")
    if doc.problems:
        out += ["> **The fit is poor; check before publishing:**", ">"]
        out += [f"> - {_esc(p)}" for p in doc.problems]
        out.append("")
    for s in doc.sections:
        out += [f"## {_esc(s.title)}", ""]
        for b in s.blocks:
            out += _block(b) + [""]
    return "\n".join(out).rstrip() + "\n"


def _block(b: Any) -> list[str]:
    if isinstance(b, Paragraph):
        return [_esc(b.text)]
    if isinstance(b, Bullets):
        prefix = "> " if b.tone else ""
        return [f"{prefix}- {_esc(x)}" for x in b.items]
    if isinstance(b, Image):
        return [f"![{_esc(b.name)} plot]({b.name}.png)", "", f"*{_esc(b.caption)}*"]
    if isinstance(b, Table):
        return _table(b)
    raise TypeError(f"unknown block {type(b).__name__}")


def _table(t: Table) -> list[str]:
    lines = []
    if t.caption:
        lines += [f"*{_esc(t.caption)}*", ""]
    lines.append("| " + " | ".join(_esc(c) or " " for c in t.columns) + " |")
    lines.append("|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.columns))) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def _cell(c: Cell) -> str:
    if isinstance(c, Link):
        url = safe_url(c.url)
        if url is not None:  # percent-encoded: nothing in it ends the link or the cell
            return f"[{_esc(c.text)}]({url})"
        # Not a web link (javascript:, a newline...): shown as text, never followed.
        return _esc(f"{c.text} ({c.url})" if c.text != c.url else c.text)
    return _esc(c)
