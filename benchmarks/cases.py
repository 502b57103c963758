"""The benchmark cases: the seed example, the real data, and synthetic data sets of growing size."""

from __future__ import annotations

import importlib.util
import pathlib
from dataclasses import dataclass, field
from typing import Any

import estimator as est

ROOT = pathlib.Path(__file__).resolve().parents[1]


@dataclass
class Case:
    """Reports and fit options of one benchmark case."""

    name: str
    reports: list[est.Report]
    sources: list[est.Source]
    options: dict[str, Any] = field(default_factory=dict)


def _example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Synthetic sizes: (reports, sources, days). 2 parties x 4 categories in every case.
SYNTHETIC = {
    "synthetic-100": (100, 20, 365),
    "synthetic-1000": (1_000, 50, 730),
    "synthetic-10000": (10_000, 200, 1_460),
    "synthetic-100000": (100_000, 200, 1_460),
}
CASES = ("nato", "russia-ukraine", *SYNTHETIC)


def load_case(name: str) -> Case:
    """Build the reports of a case (deterministic)."""
    if name == "nato":
        ex = _example("nato_march_2022")
        return Case(name, ex.REPORTS, ex.SOURCES, {"links": est.CASUALTY_LINKS, "start": ex.START})
    if name == "russia-ukraine":
        ex = _example("russia_ukraine_losses")
        reports, sources, _rejected = ex.load_reports(ex.DATA)
        return Case(
            name,
            reports,
            sources,
            {"links": est.CASUALTY_LINKS, "start": ex.START, **getattr(ex, "FIT_OPTIONS", {})},
        )
    if name in SYNTHETIC:
        n, n_sources, days = SYNTHETIC[name]
        sim = est.simulate(
            n_reports=n,
            n_sources=n_sources,
            days=days,
            categories=("killed", "wounded", "captured", "missing"),
            temporal=True,
            random_seed=2024,
        )
        return Case(name, sim.reports, sim.sources, {"start": sim.start})
    raise SystemExit(f"unknown case {name!r}; cases: {', '.join(CASES)}")


def case_spec(case: Case):
    """The case's reports as the model sees them: validated, temporal, day 0 at the case's start
    (or the earliest report), as of the latest report, weekly knots unless the case says."""
    from estimator.fit import DEFAULT_AGGREGATES
    from estimator.model.spec import build_spec
    from estimator.reports import parse_date, validate

    opts = case.options
    start = parse_date(opts.get("start"))
    clean = validate(case.reports, aggregates=DEFAULT_AGGREGATES, start=start)
    dates = [c.date for c in clean]
    return build_spec(
        clean,
        case.sources,
        links=opts.get("links", ()),
        temporal=True,
        start=start or min(dates),
        as_of=max(dates),
        knot_days=opts.get("knot_days", 7),
    )
