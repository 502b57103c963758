"""Read reports from a CSV or Excel file, or a DataFrame, and say at once what is wrong in it.

Every bad row is collected and raised once, as one :class:`ReportError` whose problems name the
file line (the header is line 1) or the DataFrame row label, and the source.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import numbers
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from .constants import MAX_BAD_ROWS
from .csv_rows import read_table, width_problem
from .errors import FigureError, Problem, ReportError
from .figures import parse_number
from .reports import Report, check_report, check_reports, parse_date, validate

__all__ = ["COLUMNS", "read_reports"]

#: The columns a file may have. ``source``, ``party`` and ``category`` are required, and either
#: ``figure`` or ``kind`` with ``value`` / ``low`` / ``high``.
COLUMNS: tuple[str, ...] = (
    "source",
    "party",
    "category",
    "date",
    "figure",
    "kind",
    "value",
    "low",
    "high",
    "base",
    "since",
    "quote",
    "url",
    "published",
)
_REQUIRED = ("source", "party", "category")
_NUMBERS = ("value", "low", "high", "base")
_DATES = ("date", "since", "published")
_TEXT = ("source", "party", "category", "figure", "kind", "quote", "url")
#: Day-first formats tried with ``dayfirst=True`` (ISO dates are read too).
_DAYFIRST_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
_EXCEL = (".xlsx", ".xlsm", ".xls")


def read_reports(
    data: str | os.PathLike[str] | pd.DataFrame,
    *,
    aggregates: Mapping[str, Sequence[str]] | None = None,
    columns: Mapping[str, str | None] | None = None,
    dayfirst: bool = False,
    encoding: str | None = None,
) -> list[Report]:
    """Read reports from a CSV / Excel file or a DataFrame, checking every row.

    Parameters
    ----------
    data
        A path to a ``.csv`` (``.tsv``: tab separated) or ``.xlsx`` / ``.xls`` file, or a
        DataFrame with one report per row.
    aggregates
        Aggregate categories (``{"casualties": ["killed", "wounded", ...]}``), passed to
        :func:`estimator.reports.validate` so that rows about aggregates are checked.
    columns
        Renames: ``{"their name": "our name"}``, or ``{"their name": None}`` to ignore a column.
        Names are matched ignoring case and surrounding spaces. Our names are :data:`COLUMNS`.
    dayfirst
        Read dates written day first (``16/01/2024``, ``1/12/2025``) into ``datetime.date``.
        Without it, dates must be ISO (``2024-01-16``) and are kept as written.
    encoding
        The encoding of a CSV file. Default: what its byte order mark says (UTF-8, UTF-16 or
        UTF-32), else UTF-8; bytes that cannot be read so are an error naming their line, and
        a file saved by Excel as plain "CSV" usually needs ``encoding="cp1252"``.

    Returns
    -------
    list of Report
        In file order, with each ``figure`` parsed into ``kind`` and numbers (explicit columns
        win) and the ``figure`` text kept.

    Raises
    ------
    ReportError
        Once, listing every problem: unknown columns (with a "did you mean"), then every bad
        row by its file line (header = line 1) or DataFrame row label. A CSV row with more
        or fewer fields than the header (an unquoted ``7,000``) is one of them, never read
        with its columns shifted. Reading stops after ``constants.MAX_BAD_ROWS`` bad rows, and
        files over ``constants.MAX_FILE_BYTES`` are refused unread.

    Warns
    -----
    ReportWarning
        For what may be a slip but may be meant (:func:`estimator.reports.validate`): the
        same report twice, a name one or two letters from another, a figure orders of
        magnitude from the others.

    Notes
    -----
    Numbers may be written with thousands separators (``"750,000"``) or as in a figure
    (``"1.3k"``). A row with numbers and no ``kind`` and no ``figure`` is read like the same
    numbers written as a figure: ``value`` alone is ``exact``, ``low`` and ``high`` a ``range``;
    ``low`` or ``high`` alone is refused (at least? up to? at most?): give its ``kind``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Source": ["NATO"], "Party": ["Russia"], "Category": ["killed"],
    ...                    "Date": ["2022-03-23"], "Figure": ["roughly 7,000 to 15,000"]})
    >>> [(r.kind, r.low, r.high) for r in read_reports(df)]
    [('range', 7000.0, 15000.0)]
    """
    header, rows, where = _load(data, encoding=encoding)
    names = _column_names(header, columns or {})
    keep = [(k, n) for k, n in enumerate(names) if n is not None]
    source = names.index("source") if "source" in names else None

    reports: list[Report] = []
    checked: list[Report] = []  # what validate sees: a stand-in where the figure is unreadable
    kept: list[int | str] = []
    problems: list[Problem] = []
    bad_rows = longer = read = 0
    for label, values in rows:
        if isinstance(values, Problem):  # the file cannot be split from here on
            problems.append(values)
            break
        if all(_missing(v) for v in values):
            continue  # a blank line
        read += 1
        errs: list[Problem] = []
        if where == "line":
            width = width_problem(int(label), values, len(names), source)  # type: ignore[arg-type]
            errs += [width] if width is not None else []
            longer += len(values) == len(names) + 1
        if not errs:
            cells = {n: (None if _missing(values[k]) else values[k]) for k, n in keep}
            report, check, errs = _report(cells, label, dayfirst=dayfirst, where=where)
            reports.append(report)
            checked.append(check)
            kept.append(label)
        problems += errs
        if errs or check_report(checked[-1], 0, label, aggregates=aggregates or {}, known=None)[1]:
            bad_rows += 1
            if bad_rows >= MAX_BAD_ROWS:
                problems.insert(0, _stopped(label, where))
                break
    if where == "line" and read >= 2 and longer == read:
        problems.insert(0, _one_more_everywhere(len(names)))
    return _finish(reports, checked, kept, problems, aggregates=aggregates, where=where)


def _finish(
    reports: list[Report],
    checked: list[Report],
    kept: list[int | str],
    problems: list[Problem],
    *,
    aggregates: Mapping[str, Sequence[str]] | None,
    where: str,
) -> list[Report]:
    """The reports, or one ReportError with the rows' problems and those of validate, in row
    order (problems with the whole table first)."""
    try:
        if problems:  # no warnings about a table that is refused anyway
            check_reports(checked, aggregates=aggregates, labels=kept, where=where)
        else:
            validate(checked, aggregates=aggregates, labels=kept, where=where)
    except ReportError as e:
        problems += e.problems
    if problems:
        order = {label: k for k, label in enumerate(kept)}
        problems.sort(key=lambda p: order.get(p.index, -1) if p.index is not None else -1)
        raise ReportError(problems)
    return reports


def _stopped(label: int | str, where: str) -> Problem:
    return Problem(
        None,
        None,
        f"reading stopped at {where} {label} after {MAX_BAD_ROWS:,} bad rows; the rest was not checked",
        "Check that this is the table of reports, with a comma between fields (a .tsv file for tabs)",
    )


def _one_more_everywhere(width: int) -> Problem:
    return Problem(
        None,
        None,
        f"every row has {width + 1} fields where the header has {width}",
        "Add the name of the column the header lacks (an index column?), or drop that column",
    )


Rows = Iterator[tuple[int | str, list[Any] | Problem]]


def _load(
    data: str | os.PathLike[str] | pd.DataFrame, *, encoding: str | None
) -> tuple[list[Any], Rows, str]:
    """The table's column names, its rows as (label, cells), and what the labels count: file
    lines of a CSV (``"line"``), else sheet rows or DataFrame row labels (``"report"``)."""
    if isinstance(data, pd.DataFrame):
        labels = [_label(x) for x in data.index]
        return (
            list(data.columns),
            zip(labels, map(list, data.itertuples(index=False, name=None)), strict=True),
            "report",
        )
    if not isinstance(data, str | os.PathLike):
        raise ReportError(
            [
                Problem(
                    None,
                    None,
                    f"cannot read reports from a {type(data).__name__}",
                    "Give a path to a CSV or Excel file, or a pandas DataFrame",
                )
            ]
        )
    path = Path(data)
    suffix = path.suffix.lower()
    if suffix in _EXCEL:
        try:
            frame = pd.read_excel(path, dtype=object)
        except ImportError as e:
            raise ReportError(
                [
                    Problem(
                        None,
                        None,
                        f"cannot read {path.name}: {e}",
                        "Install the Excel reader pandas names, or save the sheet as CSV",
                    )
                ]
            ) from None
        labels = [k + 2 for k in range(len(frame))]  # sheet rows: header on row 1
        return (
            list(frame.columns),
            zip(labels, map(list, frame.itertuples(index=False, name=None)), strict=True),
            "report",
        )
    sep = "\t" if suffix in (".tsv", ".tab") else ","
    header, rows = read_table(path, sep=sep, encoding=encoding)
    return header, rows, "line"


def _label(x: Any) -> int | str:
    if isinstance(x, int | str):
        return x
    if hasattr(x, "item"):
        x = x.item()  # numpy scalar
        if isinstance(x, int | str):
            return x
    return str(x)


def _key(name: Any) -> str:
    return str(name).strip().lower()


def _column_names(found: list[Any], columns: Mapping[str, str | None]) -> list[str | None]:
    """Our name for each column of the table (None: ignored), or one error listing all bad."""
    problems: list[Problem] = []
    renames: dict[str, str | None] = {}
    for theirs, ours in columns.items():
        if ours is not None and _key(ours) not in COLUMNS:
            problems.append(
                Problem(
                    None,
                    None,
                    f"columns= maps {theirs!r} to {ours!r}, which is not a column we know"
                    + _did_you_mean(_key(ours), COLUMNS),
                    f"Map it to one of {', '.join(COLUMNS)}, or to None to ignore it",
                )
            )
        renames[_key(theirs)] = None if ours is None else _key(ours)
    keys = [_key(c) for c in found]
    for theirs in renames:
        if theirs not in keys:
            problems.append(
                Problem(
                    None,
                    None,
                    f"columns= names {theirs!r}, which is not a column of the table"
                    + _did_you_mean(theirs, keys),
                    f"The table's columns are: {', '.join(map(repr, keys))}",
                )
            )
    names: list[str | None] = []
    for raw, key in zip(found, keys, strict=True):
        name = renames[key] if key in renames else key
        if name is not None and name not in COLUMNS and key not in renames:
            problems.append(
                Problem(
                    None,
                    None,
                    f"unknown column {str(raw)!r}" + _did_you_mean(name, COLUMNS),
                    f"Rename it, map it with columns={{{str(raw)!r}: 'our name'}}, or ignore it "
                    f"with columns={{{str(raw)!r}: None}}; our columns are {', '.join(COLUMNS)}",
                )
            )
        names.append(name)
    chosen = [n for n in names if n is not None and n in COLUMNS]
    for name in dict.fromkeys(n for n in chosen if chosen.count(n) > 1):
        problems.append(
            Problem(
                None,
                None,
                f"two columns are read as {name!r}",
                "Keep one, or map the other to another name or to None with columns=",
            )
        )
    for name in _REQUIRED:
        if name not in chosen:
            problems.append(
                Problem(None, None, f"no {name!r} column", f"Add a {name!r} column, or map one to it")
            )
    if not {"figure", "kind", "value", "low", "high"} & set(chosen):
        problems.append(
            Problem(
                None,
                None,
                "no figure: neither a 'figure' column nor 'kind' / 'value' / 'low' / 'high'",
                "Add a 'figure' column ('about 1,300') or 'kind' with 'value' or 'low' and 'high'",
            )
        )
    if problems:
        raise ReportError(problems)
    return names


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, str) else not v.strip()
    except (TypeError, ValueError):
        return False


def _report(
    cells: Mapping[str, Any], label: int | str, *, dayfirst: bool, where: str = "report"
) -> tuple[Report, Report, list[Problem]]:
    """One row as a Report (its figure parsed where it can be), the Report validate should
    check (a stand-in where the figure's problem is already listed), and the row's problems."""
    source = cells.get("source")
    src = str(source).strip() if source is not None else ""
    problems: list[Problem] = []

    def bad(what: str, todo: str) -> None:
        problems.append(Problem(label, src, what, todo, where))

    fields: dict[str, Any] = {}
    for name in _TEXT:
        v = cells.get(name)
        fields[name] = str(v).strip() if v is not None else None
    for name in _REQUIRED:
        fields[name] = fields[name] or ""
    if fields["kind"] is not None:
        fields["kind"] = re.sub(r"[\s-]+", "_", fields["kind"].lower())
    for name in _NUMBERS:
        fields[name] = _cell_number(cells.get(name))
    for name in _DATES:
        fields[name] = _cell_date(cells.get(name), name, bad, dayfirst=dayfirst)

    figure_problem = False  # the row's figure is unreadable and already has its problem
    if fields["kind"] is None and fields["figure"] is None:
        has_value = fields["value"] is not None
        has_low, has_high = fields["low"] is not None, fields["high"] is not None
        if has_value and not (has_low or has_high):
            fields["kind"] = "exact"
        elif has_low and has_high and not has_value:
            fields["kind"] = "range"
        elif has_low != has_high and not has_value:
            which = "low" if has_low else "high"
            bad(
                f"only {which} is given, with no kind",
                "Say what it is: give kind ('at_least', 'upper_estimate', 'at_most', ...) "
                "or a figure ('at least 15,000')",
            )
            figure_problem = True
        elif has_value:
            bad("value and low/high are both given, with no kind", "Give kind, or drop one")
            figure_problem = True

    report = Report(**fields)
    if report.figure is not None:
        try:
            report = report.resolved()
        except FigureError as e:
            problems += [Problem(label, src, p.what, p.todo, where) for p in e.problems]
            figure_problem = True
    return report, (_stand_in(report) if figure_problem else report), problems


def _cell_number(v: Any) -> Any:
    """A number cell as a float: ``750000``, ``"750,000"``, ``"1.3k"``. Anything else is kept
    as written, for :func:`estimator.reports.validate` to report with its row."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, numbers.Real):
        return float(v)
    text = str(v).strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:  # "1e400" is kept as written, for validate to say it is not a finite number
        return number if math.isfinite(number) else text
    try:
        return parse_number(text)
    except FigureError:
        return text


def _cell_date(v: Any, name: str, bad: Callable[[str, str], None], *, dayfirst: bool) -> Any:
    if v is None:
        return None
    if isinstance(v, dt.datetime) or hasattr(v, "to_pydatetime"):
        return parse_date(v)  # a spreadsheet date: a date, whatever it looked like
    if isinstance(v, dt.date):
        return v
    text = str(v).strip()
    if dayfirst:
        for fmt in _DAYFIRST_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        try:
            return parse_date(text)
        except ValueError:
            bad(
                f"{name} {text!r} is not a date",
                "Write it day first (16/01/2024) or as YYYY-MM-DD",
            )
            return None
    try:
        parse_date(text)
    except ValueError:
        hint = (
            ", or pass dayfirst=True if the file writes dates day first"
            if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text)
            else ""
        )
        bad(f"{name} {text!r} is not a date", f"Write dates as YYYY-MM-DD{hint}")
        return None
    return text


def _stand_in(report: Report) -> Report:
    """The report as validate should see it when its figure cannot be read (a problem already
    listed): without the figure, with a placeholder kind and value, so that the rest of the row
    is still checked but no second "has no kind" problem appears."""
    return replace(
        report,
        figure=None,
        base=None,
        kind=report.kind or "exact",
        value=report.value if report.value is not None else 1.0,
    )
