"""Domain exceptions. Every message names the report(s) at fault and the next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with one report: where it is, whose it is, what is wrong, what to do."""

    index: int | str | None
    source: str | None
    what: str
    todo: str

    def __str__(self) -> str:
        where = "" if self.index is None else f"report {self.index}"
        who = f" ({self.source})" if self.source else ""
        head = f"{where}{who}: " if where or who else ""
        return f"{head}{self.what}. {self.todo}"


class ReportError(ValueError):
    """One or more reports cannot be used; the message lists every one of them."""

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = [Problem(None, None, problems, "")]
            super().__init__(problems)
            return
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the reports:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class FigureError(ReportError):
    """A phrase such as "as many as 40,000" could not be read as a figure."""


class ModelError(ValueError):
    """The model cannot be built from the given options (unknown stance, bad prior, ...)."""


class FitWarning(UserWarning):
    """The sampler's diagnostics are out of bounds: the numbers should not be published as is."""


class CacheWarning(UserWarning):
    """A compiled model cannot be kept between runs: fits stay correct, only slower to start."""
