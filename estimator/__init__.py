"""estimator: honest estimates of war losses from conflicting reported figures."""

from __future__ import annotations

from .constants import KINDS
from .errors import FigureError, FitWarning, ModelError, ReportError
from .fit import DEFAULT_AGGREGATES, estimate
from .model.spec import Link
from .presets import CASUALTY_LINKS
from .reports import Report, Source
from .result import Result

__version__ = "0.1.0"

__all__ = [
    "CASUALTY_LINKS",
    "DEFAULT_AGGREGATES",
    "KINDS",
    "FigureError",
    "FitWarning",
    "Link",
    "ModelError",
    "Report",
    "ReportError",
    "Result",
    "Source",
    "estimate",
]
