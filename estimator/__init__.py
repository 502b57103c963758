"""estimator: honest estimates of war losses from conflicting reported figures."""

from __future__ import annotations

from . import compat  # noqa: F401  # first: imports ArviZ and PyTensor quietly
from .constants import KINDS
from .errors import CacheWarning, FigureError, FitWarning, ModelError, ReportError, ReportWarning
from .figures import Figure, parse_figure
from .fit import DEFAULT_AGGREGATES, estimate
from .io import read_reports
from .model.spec import Link
from .persist import load
from .presets import CASUALTY_LINKS
from .reports import Report, Source
from .result import Result
from .simulate import Simulation, simulate

__version__ = "0.1.0"

__all__ = [
    "CASUALTY_LINKS",
    "DEFAULT_AGGREGATES",
    "KINDS",
    "Figure",
    "FigureError",
    "FitWarning",
    "CacheWarning",
    "Link",
    "ModelError",
    "Report",
    "ReportError",
    "ReportWarning",
    "Result",
    "Source",
    "Simulation",
    "estimate",
    "load",
    "parse_figure",
    "read_reports",
    "simulate",
]
