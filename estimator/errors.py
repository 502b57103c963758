"""Domain exceptions. Every message names the report(s) at fault and the next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .constants import MAX_LISTED_PROBLEMS


@dataclass(frozen=True)
class Problem:
    """One problem with one report: where it is, whose it is, what is wrong, what to do.

    ``where`` names what ``index`` counts: ``"report"`` (a position in a list of reports or a
    DataFrame row label) or ``"line"`` (a line of a CSV file, the header being line 1).
    """

    index: int | str | None
    source: str | None
    what: str
    todo: str
    where: str = "report"

    @property
    def head(self) -> str:
        """``"line 4 (NATO)"``: where the problem is and whose report it is ("" if neither)."""
        where = "" if self.index is None else f"{self.where} {self.index}"
        who = f" ({self.source})" if self.source else ""
        return f"{where}{who}".strip()

    def __str__(self) -> str:
        head = f"{self.head}: " if self.head else ""
        return f"{head}{self.what}. {self.todo}"


def format_problems(problems: Sequence[Problem], *, limit: int = MAX_LISTED_PROBLEMS) -> str:
    """The problems as one message: the first ``limit`` of them, each fix written once.

    Problems that share a fix are listed together, in the order they came, and the fix follows
    them once; beyond ``limit`` problems only their number is given (a file of junk would
    otherwise print a line for each of its million rows).
    """
    n = len(problems)
    lines = [f"{n:,} problem{'s' if n != 1 else ''} in the reports:"]
    shown = list(problems[:limit])
    groups: dict[str, list[Problem]] = {}
    for p in shown:
        groups.setdefault(p.todo.strip(), []).append(p)
    for todo, group in groups.items():
        for p in group:
            head = f"{p.head}: " if p.head else ""
            lines.append(f"  - {head}{p.what}")
        if todo:
            lines.append(f"    {todo if todo.endswith(('.', '?', '!')) else todo + '.'}")
    if n > len(shown):
        lines.append(f"  ... and {n - len(shown):,} more (the first {len(shown)} are listed above).")
    return "\n".join(lines)


class ReportError(ValueError):
    """One or more reports cannot be used; the message lists them (the first
    :data:`~estimator.constants.MAX_LISTED_PROBLEMS`), and ``problems`` holds every one."""

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = [Problem(None, None, problems, "")]
            super().__init__(problems)
            return
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


class FigureError(ReportError):
    """A phrase such as "as many as 40,000" could not be read as a figure."""


class ModelError(ValueError):
    """The model cannot be built from the given options (unknown stance, bad prior, ...)."""


class FitWarning(UserWarning):
    """The sampler's diagnostics are out of bounds: the numbers should not be published as is."""


class CacheWarning(UserWarning):
    """A compiled model cannot be kept between runs: fits stay correct, only slower to start."""


class ReportWarning(UserWarning):
    """The reports look wrong in a way that may be meant: the same report twice, a name one or
    two letters from another, a figure orders of magnitude from the others. The fit goes on;
    the result's notes repeat the warning."""
