"""What a report and a source are, and the validation that lists every bad report at once."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .constants import KINDS, MAX_FIGURE, SMALL_COUNT
from .errors import Problem, ReportError

DateLike = str | dt.date | None


@dataclass(frozen=True)
class Source:
    """Who makes reports, and what we believe about them before seeing the data.

    Parameters
    ----------
    name
        The name used in the reports' ``source`` field.
    affiliation
        The party the source belongs to (``"Russia"``), or None for a neutral source.
        A source reporting its own party's losses has stance ``own``, the enemy's ``adversary``.
    bias
        Optional 90% range of the factor reported / true, e.g. ``(0.2, 0.9)`` for "undercounts,
        reports between a fifth and nine tenths of the truth". Replaces the stance default.
    noise
        Optional prior median of the source's scatter (sd of the log figure), e.g. 0.1.
    reference
        True fixes the source's bias at 1: its figures are unbiased by assumption.

    Examples
    --------
    >>> Source("Russian MoD", affiliation="Russia")
    Source(name='Russian MoD', affiliation='Russia', bias=None, noise=None, reference=False)
    """

    name: str
    affiliation: str | None = None
    bias: tuple[float, float] | None = None
    noise: float | None = None
    reference: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append("name is empty")
        if self.bias is not None:
            lo, hi = self.bias
            if not (0 < lo < hi):
                problems.append(f"bias={self.bias!r} must be a range (low, high) with 0 < low < high")
            if self.reference:
                problems.append("a reference source has its bias fixed at 1; do not give bias=")
        if self.noise is not None and not self.noise > 0:
            problems.append(f"noise={self.noise!r} must be positive")
        if problems:
            raise ReportError([Problem(None, self.name, "source " + "; ".join(problems), "Fix the Source.")])


@dataclass(frozen=True)
class Report:
    """One figure as a source published it.

    Parameters
    ----------
    source, party, category
        Who said it, whose losses, and which category: a leaf (``"killed"``), an aggregate the
        user declared (``"casualties"``) or leaves joined by ``+`` (``"killed+wounded"``).
    date
        The date the figure refers to (cumulative since the start), ISO string or ``date``.
        Leave out for a static fit.
    kind, value, low, high
        The figure: see ``estimator.KINDS``; ``range`` uses ``low`` and ``high``, every other kind
        ``value``.
    figure
        The figure as written ("as many as 40,000"); parsed by :func:`estimator.parse_figure`.
        Explicit ``kind`` and numbers win over it.
    base
        The base of a share ("more than 10 percent of its combat force" of 150,000 troops).
    since
        Optional start of the window the figure counts; default: the start of the fit.
    quote, url, published
        Provenance, carried through untouched.

    Examples
    --------
    >>> Report(source="NATO", party="Russia", category="killed", date="2022-03-23",
    ...        kind="range", low=7_000, high=15_000).kind
    'range'
    """

    source: str
    party: str
    category: str
    date: DateLike = None
    kind: str | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    figure: str | None = None
    base: float | None = None
    since: DateLike = None
    quote: str | None = None
    url: str | None = None
    published: DateLike = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def resolved(self) -> Report:
        """The report with ``figure`` parsed into kind and numbers (explicit fields win)."""
        if self.figure is None or (self.kind is not None and _has_numbers(self)):
            return self
        from .figures import parse_figure

        fig = parse_figure(self.figure, base=self.base)
        return replace(
            self,
            kind=self.kind or fig.kind,
            value=self.value if self.value is not None else fig.value,
            low=self.low if self.low is not None else fig.low,
            high=self.high if self.high is not None else fig.high,
        )


def _has_numbers(r: Report) -> bool:
    return r.value is not None or (r.low is not None and r.high is not None)


def parse_date(value: DateLike) -> dt.date | None:
    """ISO string, ``date``/``datetime``/``Timestamp`` or None -> ``date``; ValueError otherwise.

    A string must be an ISO date (``2022-03-30``) or date and time (``2022-03-30T12:00``,
    ``2022-03-30 00:00:00``, as pandas writes dates), all of it: ``2022-03-30junk`` and
    ``2022-03-31T99:99`` are refused.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()  # type: ignore[no-any-return]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            raise ValueError(f"cannot read {value!r} as a date") from None
    raise ValueError(f"cannot read {value!r} as a date")


@dataclass(frozen=True)
class CleanReport:
    """A validated report: numbers are floats, the date a day offset, the category leaves."""

    index: int
    report: Report
    kind: str
    value: float  # the figure used by the likelihood (geometric middle for ranges)
    low: float
    high: float
    leaves: tuple[str, ...]
    date: dt.date | None
    since: dt.date | None

    @property
    def small(self) -> bool:
        return self.kind in ("exact", "approx", "documented") and self.value < SMALL_COUNT


class CleanReports(list[CleanReport]):
    """The validated reports, and ``notes``: what :func:`validate` warned about (the same report
    twice, near-identical names, far-off figures), in words, for the result to carry."""

    def __init__(self, clean: Iterable[CleanReport] = (), notes: Iterable[str] = ()):
        super().__init__(clean)
        self.notes: list[str] = list(notes)


def _number(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool):
        raise ValueError("is a boolean")
    try:
        v = float(x)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{x!r} is not a number") from None
    if math.isnan(v):
        return None
    if math.isinf(v):
        raise ValueError(f"{x!r} is not a finite number")
    return v


def expand_category(category: str, aggregates: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Leaves of a category: an aggregate name, ``a+b+c``, or a leaf."""
    cat = category.strip()
    if cat in aggregates:
        return tuple(aggregates[cat])
    parts = [p.strip() for p in cat.split("+")]
    return tuple(parts)


def validate(
    reports: Iterable[Report],
    *,
    aggregates: Mapping[str, Sequence[str]] | None = None,
    start: dt.date | None = None,
    labels: Sequence[int | str] | None = None,
    where: str = "report",
) -> CleanReports:
    """Check every report, collect every problem, raise one :class:`ReportError` listing them;
    then warn (:class:`~estimator.errors.ReportWarning`) about what may be a slip but may be
    meant: see :func:`estimator.screen.screen`.

    ``labels`` name the reports in messages (row numbers of a file); default: their index.
    ``where`` says what the labels count (``"report"``, or ``"line"`` for a file's lines).
    The result keeps one of each set of identical reports (the first) and carries the
    warnings, in words, as ``notes``.
    """
    from .screen import screen

    reports = list(reports)
    labels = list(labels) if labels is not None else list(range(len(reports)))
    clean = check_reports(reports, aggregates=aggregates, start=start, labels=labels, where=where)
    return screen(clean, labels=labels, aggregates=aggregates or {}, where=where)


def check_reports(
    reports: Sequence[Report],
    *,
    aggregates: Mapping[str, Sequence[str]] | None = None,
    start: dt.date | None = None,
    labels: Sequence[int | str],
    where: str = "report",
) -> list[CleanReport]:
    """The checks of :func:`validate` that make a report unusable, without its warnings: one
    :class:`ReportError` with every problem, or the clean reports."""
    aggregates = dict(aggregates or {})
    known = known_leaves(reports, aggregates)
    problems: list[Problem] = []
    clean: list[CleanReport] = []
    for i, (label, raw) in enumerate(zip(labels, reports, strict=True)):
        report, errs = check_report(raw, i, label, aggregates=aggregates, known=known, start=start)
        problems += [replace(p, where=where) for p in errs]
        if report is not None:
            clean.append(report)
    if problems:
        raise ReportError(problems)
    return clean


def known_leaves(reports: Sequence[Report], aggregates: Mapping[str, Sequence[str]]) -> set[str]:
    """Leaves a sum such as "killed+wounded" may use: those of declared aggregates and every
    category some report uses on its own. Anything else in a sum is most likely a typo."""
    known = {leaf for leaves in aggregates.values() for leaf in leaves}
    known |= {
        r.category.strip()
        for r in reports
        if isinstance(r, Report) and isinstance(r.category, str) and "+" not in r.category
    }
    return known - set(aggregates)


def check_report(
    raw: Any,
    index: int,
    label: int | str,
    *,
    aggregates: Mapping[str, Sequence[str]],
    known: set[str] | None,
    start: dt.date | None = None,
) -> tuple[CleanReport | None, list[Problem]]:
    """One report checked on its own: the clean report, or None and its problems.

    ``known``: the leaves a sum may use (:func:`known_leaves`); None skips that check, for a
    report checked before the rest of its batch is read.
    """
    if not isinstance(raw, Report):
        return None, [
            Problem(label, None, f"is a {type(raw).__name__}, not a Report", "Use est.Report(...).")
        ]
    src = raw.source if isinstance(raw.source, str) else None
    errs: list[tuple[str, str]] = []
    for name in ("source", "party", "category"):
        v = getattr(raw, name)
        if not isinstance(v, str) or not v.strip():
            errs.append((f"{name} is empty", f"Give the report a {name}."))
    try:
        r = raw.resolved()
    except ReportError as e:
        errs += [(p.what, p.todo) for p in e.problems]
        r = raw
    kind, numbers, figure_errs = _figure(r)
    errs += figure_errs
    leaves: tuple[str, ...] = ()
    if isinstance(r.category, str) and r.category.strip():
        leaves = expand_category(r.category, aggregates)
        errs += _category_errors(r.category, leaves, aggregates, known)
    date, since, date_errs = _dates(r, start)
    errs += date_errs
    if errs:
        return None, [Problem(label, src, what, todo) for what, todo in errs]
    assert kind is not None and numbers is not None
    value, low, high = numbers
    if kind == "range":
        assert low is not None and high is not None
        v = math.sqrt(low * high)
    else:
        assert value is not None
        v = value
        low = high = value
    return CleanReport(index, raw, kind, float(v), float(low), float(high), leaves, date, since), []


Numbers = tuple[float | None, float | None, float | None]


def _figure(r: Report) -> tuple[str | None, Numbers | None, list[tuple[str, str]]]:
    """The report's kind and numbers (value, low, high), or the problems with them."""
    kind = r.kind
    if kind is None:
        return (
            None,
            None,
            [("has no kind and no figure", f'Give kind= (one of {", ".join(KINDS)}) or figure="...".')],
        )
    if kind not in KINDS:
        return (
            None,
            None,
            [(f"unknown kind {kind!r}", f"Use one of {', '.join(KINDS)}{_did_you_mean(kind, KINDS)}.")],
        )
    try:
        value, low, high = _number(r.value), _number(r.low), _number(r.high)
    except ValueError as e:
        return None, None, [(f"figure {e}", "Give numbers, e.g. value=1300.")]
    errs = _figure_errors(kind, value, low, high)
    big = [x for x in (value, low, high) if x is not None and x > MAX_FIGURE]
    if big and not errs:
        errs.append(
            (
                f"figure {max(big):g} is more than {MAX_FIGURE:g}, more people than live on Earth",
                "Check the figure for a slip of digits or units; losses are counts of people.",
            )
        )
    return kind, (value, low, high), errs


def _figure_errors(
    kind: str, value: float | None, low: float | None, high: float | None
) -> list[tuple[str, str]]:
    if kind == "range":
        if low is None or high is None:
            return [
                (
                    "range needs both low and high",
                    "Give low= and high=, or use at_least / upper_estimate for a one-sided figure.",
                )
            ]
        if low < 0 or high < 0:
            return [
                (f"negative figure (low={low:g}, high={high:g})", "Losses are counts: give figures >= 0.")
            ]
        if low > high:
            return [(f"low {low:g} > high {high:g}", "Swap them, or check the figure.")]
        if low == 0:
            return [("range starting at 0", "Use kind='at_most' with value=high for '0 to X'.")]
        return []
    if value is None:
        return [(f"{kind} needs a value", "Give value=.")]
    if value < 0:
        return [(f"negative figure {value:g}", "Losses are counts: give figures >= 0.")]
    if value == 0 and kind not in ("exact", "approx", "documented", "at_most"):
        return [(f"{kind} of 0 says nothing", "Use kind='exact' with value=0 for 'no losses'.")]
    if value == 0 and kind == "at_most":
        return [("at_most 0 means exactly zero", "Use kind='exact' with value=0.")]
    if not float(value).is_integer() and value < SMALL_COUNT and kind in ("exact", "approx", "documented"):
        return [(f"small count {value:g} is not a whole number", "Counts below 30 must be whole numbers.")]
    return []


def _category_errors(
    category: str, leaves: tuple[str, ...], aggregates: Mapping[str, Sequence[str]], known: set[str] | None
) -> list[tuple[str, str]]:
    errs = []
    if any(not x for x in leaves):
        errs.append(
            (f"category {category!r} has an empty part", "Join leaf names with '+', e.g. 'killed+wounded'.")
        )
    if "+" not in category:
        return errs
    nested = [x for x in leaves if x in aggregates]
    if nested:
        errs.append(
            (
                f"category {category!r} sums aggregates {nested}",
                "Write a sum of leaf categories only, or declare a new aggregate.",
            )
        )
    unknown = [x for x in leaves if x and x not in aggregates and known is not None and x not in known]
    if unknown:
        hints = "".join(_did_you_mean(x, sorted(known or ())) for x in unknown)
        errs.append(
            (
                f"category {category!r} sums unknown leaves {unknown}{hints}",
                "Use leaves that reports or aggregates= name, or declare the aggregate in aggregates=.",
            )
        )
    return errs


def _dates(r: Report, start: dt.date | None) -> tuple[dt.date | None, dt.date | None, list[tuple[str, str]]]:
    errs = []
    date = since = None
    try:
        date = parse_date(r.date)
    except (ValueError, TypeError):
        errs.append((f"date {r.date!r} is not a date", "Write dates as YYYY-MM-DD."))
    try:
        since = parse_date(r.since)
    except (ValueError, TypeError):
        errs.append((f"since {r.since!r} is not a date", "Write dates as YYYY-MM-DD."))
    if start is not None and date is not None and date < start:
        errs.append((f"date {date} is before the start {start}", "Move start= earlier, or check the date."))
    if since is not None and date is not None and since >= date:
        errs.append((f"window start {since} is not before its date {date}", "Check since=."))
    return date, since, errs


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
