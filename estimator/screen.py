"""What may be a slip in reports that are each valid: the same report twice, a name one or two
letters from another, a figure orders of magnitude from the others for the same quantity.

None of these is an error (each may be meant), so each is a
:class:`~estimator.errors.ReportWarning` naming the rows, and a note the result carries.
Identical reports are counted once: a figure copied twice (two articles quoting one statement)
is one piece of evidence, and counting it twice would make the fit twice as sure of it.
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .constants import FAR_FACTOR, FAR_WINDOW_DAYS
from .errors import ReportWarning

if TYPE_CHECKING:
    from .reports import CleanReport, CleanReports

__all__ = ["duplicates", "far_figures", "near_names", "screen"]

#: Most findings of one kind written out; the rest are counted.
_MAX_LISTED = 20
#: Most distinct names of one field compared pairwise (the cost grows with their square).
_MAX_NAMES = 2000
#: Kinds compared with the median of the others: a one-sided bound may sit anywhere.
_POINTS = ("exact", "approx", "nearly", "over", "range", "upper_estimate", "documented")


def screen(
    clean: Sequence[CleanReport],
    *,
    labels: Sequence[int | str],
    aggregates: Mapping[str, Sequence[str]],
    where: str = "report",
) -> CleanReports:
    """The reports with each set of identical ones reduced to its first, and the notes of
    every warning given (duplicates, near names, far figures)."""
    from .reports import CleanReports

    def name(c: CleanReport) -> str:
        return f"{where} {labels[c.index]}"

    kept, dropped = duplicates(clean, name)
    notes: list[str] = []
    for title, found in (
        ("The same report more than once; each is counted once", dropped),
        ("Names one or two letters from another (a typo?)", near_names(kept, name, aggregates)),
        (f"Figures more than {FAR_FACTOR:,.0f} times from the others", far_figures(kept, name)),
    ):
        if not found:
            continue
        shown = found[:_MAX_LISTED] + (
            [f"and {len(found) - _MAX_LISTED} more"] if len(found) > _MAX_LISTED else []
        )
        warnings.warn(f"{title}:\n  - " + "\n  - ".join(shown), ReportWarning, stacklevel=4)
        notes += found
    return CleanReports(kept, notes)


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:g}"


def _what(c: CleanReport) -> str:
    r = c.report
    figure = f"{_num(c.low)} to {_num(c.high)}" if c.kind == "range" else _num(c.value)
    when = f" on {c.date}" if c.date is not None else ""
    return f"{r.source.strip()}: {r.party.strip()} {r.category.strip()}{when}, {c.kind} {figure}"


def duplicates(
    clean: Sequence[CleanReport], name: Callable[[CleanReport], str]
) -> tuple[list[CleanReport], list[str]]:
    """The reports without repeats of an earlier identical one (same source, party, leaves,
    date, window, kind and numbers), and one line per repeated report in words."""
    first: dict[tuple[object, ...], CleanReport] = {}
    copies: dict[tuple[object, ...], list[CleanReport]] = {}
    kept = []
    for c in clean:
        r = c.report
        key = (r.source.strip(), r.party.strip(), c.leaves, c.date, c.since, c.kind, c.value, c.low, c.high)
        if key in first:
            copies.setdefault(key, []).append(c)
        else:
            first[key] = c
            kept.append(c)
    lines = [
        f"{name(first[key])} and {', '.join(name(c) for c in same)} are the same report ({_what(first[key])}): "
        f"counted once; drop the copies, or check the {'date' if first[key].date else 'figure'} of one"
        for key, same in copies.items()
    ]
    return kept, lines


def near_names(
    clean: Sequence[CleanReport], name: Callable[[CleanReport], str], aggregates: Mapping[str, Sequence[str]]
) -> list[str]:
    """One line per source, party or category name one or two letters (or only case or spaces)
    from another name of the batch or a declared aggregate: did you mean the more used one?"""
    declared = set(aggregates) | {leaf for leaves in aggregates.values() for leaf in leaves}
    lines = []
    for field in ("source", "party", "category"):
        rows: dict[str, list[CleanReport]] = {}
        for c in clean:
            written = getattr(c.report, field).strip()
            names = [written] if field != "category" or written in aggregates else list(c.leaves)
            for n in names:
                rows.setdefault(n, []).append(c)
        fixed = declared if field == "category" else set()
        names = sorted(set(rows) | fixed, key=lambda n: (len(n), n))
        if len(names) > _MAX_NAMES:
            continue
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if len(b) - len(a) > 2:
                    break
                how = _near(a, b)
                if how is None:
                    continue
                weight = {n: (n in fixed, len(rows.get(n, ())), -_first(rows.get(n))) for n in (a, b)}
                typo, meant = sorted((a, b), key=weight.__getitem__)
                if typo not in rows:  # both declared, or the typo is a declared name no report uses
                    continue
                where = ", ".join(name(c) for c in rows[typo][:5]) + (" ..." if len(rows[typo]) > 5 else "")
                lines.append(f"{where}: {field} {typo!r} {how} {meant!r}: did you mean {meant!r}?")
    return lines


def _first(rows: Iterable[CleanReport] | None) -> int:
    return min((c.index for c in rows or ()), default=-1)


def _near(a: str, b: str) -> str | None:
    """How ``a`` is near ``b`` ("differs only in case from"), or None when they are different
    names: names that differ in their digits (``S1``, ``S2``) or in a short word (``UK MoD``,
    ``US MoD``) are different on purpose."""
    if a.lower() == b.lower():
        return "differs only in case from"
    if re.sub(r"\D", "", a) != re.sub(r"\D", "", b):
        return None
    wa, wb = (re.split(r"[\s_+/-]+", x.lower().strip()) for x in (a, b))
    if "".join(wa) == "".join(wb):
        return "differs only in spaces or separators from"
    if len(wa) != len(wb):
        return None
    differ = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
    if len(differ) != 1:
        return None
    x, y = differ[0]
    shortest = min(len(x), len(y))
    if shortest < 4:
        return None
    d = _distance(x, y, 1 if shortest < 8 else 2)
    if d is None:
        return None
    return f"is {'one letter' if d == 1 else 'two letters'} from"


def _distance(a: str, b: str, most: int) -> int | None:
    """Levenshtein distance of ``a`` and ``b`` if at most ``most``, else None."""
    if abs(len(a) - len(b)) > most:
        return None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return None
        previous = current
    return previous[-1] if previous[-1] <= most else None


def far_figures(clean: Sequence[CleanReport], name: Callable[[CleanReport], str]) -> list[str]:
    """One line per figure more than ``FAR_FACTOR`` times above or below the median of at least
    two other figures for the same party and leaves (and window). Dated figures are compared
    with those of their ``FAR_WINDOW_DAYS`` period and the periods either side (cumulative
    counts grow), undated ones with all undated ones. One-sided bounds and zeros are left out."""
    groups: dict[tuple[object, ...], dict[int | None, list[CleanReport]]] = {}
    for c in clean:
        if c.kind in _POINTS and c.value > 0:
            period = None if c.date is None else c.date.toordinal() // FAR_WINDOW_DAYS
            key = (c.report.party.strip(), c.leaves, c.since)
            groups.setdefault(key, {}).setdefault(period, []).append(c)
    lines = []
    for periods in groups.values():
        for period, members in periods.items():
            near = [period] if period is None else [period - 1, period, period + 1]
            pool = sorted(c.value for p in near for c in periods.get(p, ()))
            if len(pool) < 3 or pool[-1] <= FAR_FACTOR * pool[0]:
                continue  # no figure can be that far from a median of these
            for c in members:
                median = _median_without(pool, c.value)
                ratio = max(c.value / median, median / c.value)
                if ratio > FAR_FACTOR:
                    side = "above" if c.value > median else "below"
                    lines.append(
                        f"{name(c)}: {_what(c)} is {ratio:,.0f} times {side} the median {_num(median)} of the "
                        f"{len(pool) - 1} other figures for it: a slip of digits, or a figure about something else?"
                    )
    return lines


def _median_without(pool: list[float], value: float) -> float:
    """The median of the sorted ``pool`` without one occurrence of ``value``."""
    skip = bisect.bisect_left(pool, value)
    n = len(pool) - 1

    def at(k: int) -> float:
        return pool[k] if k < skip else pool[k + 1]

    return at(n // 2) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2
