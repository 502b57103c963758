"""The ``estimator`` command: fit reports from a CSV file, or read one figure phrase.

::

    estimator fit reports.csv --sources sources.csv --start 2022-02-24 --html report.html
    estimator parse "as many as 40,000"

Bad input (a bad row, a missing file, an unknown option value) prints the library's message
to stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import FitWarning, ModelError, Problem, ReportError, ReportWarning
from .fit import DEFAULT_AGGREGATES
from .presets import CASUALTY_LINKS
from .reports import Source

#: Exit status of bad input.
EXIT_BAD_INPUT = 2
#: Structural priors ``--links`` names.
LINK_PRESETS = {"casualty": CASUALTY_LINKS}
#: Columns of a sources file; only ``name`` is required.
SOURCE_COLUMNS = ("name", "affiliation", "bias_low", "bias_high", "noise", "reference")
_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0", "")


def read_sources(path: str | os.PathLike[str]) -> list[Source]:
    """Read sources from a CSV file, checking every row.

    Columns: ``name`` (required), ``affiliation`` (the party the source belongs to; empty for a
    neutral source), ``bias_low`` and ``bias_high`` (a 90% range of the factor reported / true;
    both or neither), ``noise`` and ``reference`` (true/false). Problems of every row are
    raised at once, each naming its file line (the header is line 1).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    list of Source

    Raises
    ------
    ReportError
        Unknown or missing columns, or bad values, with the line of each.

    Examples
    --------
    >>> read_sources("sources.csv")  # doctest: +SKIP
    [Source(name='Russian MoD', affiliation='Russia', bias=None, noise=None, reference=False)]
    """
    from .reports import _did_you_mean

    name = Path(path).name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    problems: list[Problem] = []
    for c in frame.columns:
        if c not in SOURCE_COLUMNS:
            problems.append(
                Problem(
                    None,
                    None,
                    f"{name}: unknown column {c!r}{_did_you_mean(c, SOURCE_COLUMNS)}",
                    f"Columns are {', '.join(SOURCE_COLUMNS)}.",
                )
            )
    if "name" not in frame.columns:
        problems.append(
            Problem(None, None, f"{name}: no 'name' column", "Give each source's name in a column 'name'.")
        )
    if problems:
        raise ReportError(problems)
    out: list[Source] = []
    for k, row in enumerate(frame.to_dict(orient="records")):
        line = k + 2
        src = (row.get("name") or "").strip()
        where = f"{name} line {line}"
        errs: list[str] = []
        if not src:
            errs.append("the name is empty")
        bias: tuple[float, float] | None = None
        lo, hi = (row.get("bias_low") or "").strip(), (row.get("bias_high") or "").strip()
        if lo or hi:
            try:
                bias = (float(lo), float(hi))
            except ValueError:
                errs.append(f"bias_low={lo!r}, bias_high={hi!r}: give both as numbers, e.g. 0.2 and 0.9")
        noise: float | None = None
        if (row.get("noise") or "").strip():
            try:
                noise = float(row["noise"])
            except ValueError:
                errs.append(f"noise={row['noise']!r} is not a number")
        ref_text = (row.get("reference") or "").strip().lower()
        if ref_text not in _TRUE + _FALSE:
            errs.append(f"reference={row['reference']!r}: write true or false")
        if errs:
            problems += [Problem(None, src or None, f"{where}: {e}", "Fix the sources file.") for e in errs]
            continue
        try:
            out.append(
                Source(
                    src,
                    affiliation=(row.get("affiliation") or "").strip() or None,
                    bias=bias,
                    noise=noise,
                    reference=ref_text in _TRUE,
                )
            )
        except ReportError as e:
            problems += [Problem(None, p.source, f"{where}: {p.what}", p.todo) for p in e.problems]
    if problems:
        raise ReportError(problems)
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="estimator", description="Honest estimates of war losses from conflicting reported figures."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{fit,parse}")
    f = sub.add_parser(
        "fit",
        help="fit the reports of a CSV/Excel file and print the estimates",
        description="Fit the reports of a CSV/Excel file and print the estimates.",
    )
    f.add_argument("reports", help="CSV (or .xlsx) file of reports, one per row (see docs/outputs.md)")
    f.add_argument(
        "--sources",
        metavar="SOURCES.csv",
        help="CSV of sources: name, affiliation, bias_low, bias_high, noise, reference",
    )
    f.add_argument(
        "--start",
        metavar="DATE",
        help="day 0 of the cumulative counts (YYYY-MM-DD); default: the earliest report",
    )
    f.add_argument(
        "--as-of", metavar="DATE", help="date of the headline estimates; default: the latest report"
    )
    f.add_argument("--prob", type=float, default=None, metavar="P", help="interval probability (default 0.9)")
    f.add_argument("--html", metavar="OUT.html", help="write the HTML report here")
    f.add_argument("--markdown", metavar="DIR", help="write report.md and PNG figures into this folder")
    f.add_argument(
        "--json", metavar="OUT.json", help="write quantities, sources, reports and diagnostics as JSON"
    )
    f.add_argument("--save", metavar="OUT.zip", help="save the fit (estimator.load reads it back)")
    f.add_argument(
        "--seed", type=int, default=None, metavar="N", help="random seed (same seed, same numbers)"
    )
    f.add_argument(
        "--draws", type=int, default=None, metavar="N", help="posterior draws per chain (default 1000)"
    )
    f.add_argument(
        "--tune",
        type=int,
        default=None,
        metavar="N",
        help="tuning steps per chain (default 500 with nutpie where the reports pin the truth's course, 1000 otherwise)",
    )
    f.add_argument("--chains", type=int, default=None, metavar="N", help="chains (default 4)")
    f.add_argument(
        "--cores",
        type=int,
        default=None,
        metavar="N",
        help="processes sampling in parallel (default: one per chain)",
    )
    f.add_argument("--dayfirst", action="store_true", help="read dates written day first (24/02/2022)")
    f.add_argument(
        "--encoding",
        metavar="NAME",
        help="the CSV file's encoding (default: its byte order mark's, else UTF-8), e.g. cp1252",
    )
    f.add_argument(
        "--aggregate",
        action="append",
        default=[],
        metavar="NAME=a+b+c",
        help="declare an aggregate category, e.g. losses=killed+wounded+captured (repeatable); "
        "casualties=killed+wounded+captured+missing is known without it",
    )
    f.add_argument(
        "--links",
        choices=sorted(LINK_PRESETS),
        help="structural priors between categories: 'casualty' is estimator.CASUALTY_LINKS "
        "(wounded, captured and missing as ratios of the killed)",
    )
    f.add_argument(
        "--robust",
        action="store_true",
        help="allow each source's figures to be fabrications (per-source outlier mixture)",
    )
    q = sub.add_parser(
        "parse", help="show how a figure phrase is read", description="Show how a figure phrase is read."
    )
    q.add_argument("text", help='the phrase, e.g. "as many as 40,000"')
    q.add_argument(
        "--base", type=float, default=None, metavar="N", help="base of a share ('10 percent of its force')"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``estimator`` command; returns the exit status.

    Parameters
    ----------
    argv
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input (the message goes to stderr).

    Examples
    --------
    >>> main(["parse", "up to 15,000"])  # doctest: +SKIP
    kind   upper_estimate
    value  15,000
    0
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse has already printed
        return int(e.code or 0)
    try:
        if args.command == "parse":
            return _parse(args)
        return _fit(args)
    except (ReportError, ModelError) as e:
        return _fail(str(e))
    except FileNotFoundError as e:
        return _fail(f"no such file: {e.filename or e}")
    except (IsADirectoryError, PermissionError) as e:
        return _fail(f"cannot read or write {e.filename}: {e.strerror}")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        return _fail(f"cannot read the file: {e}")


def _fail(message: str) -> int:
    print(f"estimator: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _parse(args: argparse.Namespace) -> int:
    from .figures import parse_figure
    from .report.content import _plain

    fig = parse_figure(args.text, base=args.base)
    print(f"kind   {fig.kind}")
    if fig.kind == "range":
        print(f"low    {_plain(fig.low)}")
        print(f"high   {_plain(fig.high)}")
    else:
        print(f"value  {_plain(fig.value)}")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from .fit import estimate
    from .io import read_reports

    for out in (args.html, args.json, args.save):
        if out and not Path(out).resolve().parent.is_dir():
            raise ModelError(f"cannot write {out}: the folder {Path(out).parent} does not exist.")
    if not Path(args.reports).is_file():
        raise FileNotFoundError(2, "No such file", args.reports)
    aggregates = parse_aggregates(args.aggregate)
    with warnings.catch_warnings(record=True) as seen:  # said now, before the fit's minutes
        warnings.simplefilter("always", ReportWarning)
        reports = read_reports(
            args.reports,
            dayfirst=args.dayfirst,
            encoding=args.encoding,
            aggregates={**DEFAULT_AGGREGATES, **aggregates},
        )
    for w in seen:
        print(f"estimator: warning: {w.message}", file=sys.stderr)
    sources = read_sources(args.sources) if args.sources else []
    options: dict[str, Any] = {
        k: getattr(args, k) for k in ("draws", "tune", "chains", "cores") if getattr(args, k) is not None
    }
    if args.prob is not None:
        options["prob"] = args.prob
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # printed below, in words
        warnings.simplefilter("ignore", ReportWarning)  # printed above, and in the notes below
        result = estimate(
            reports,
            sources=sources,
            aggregates=aggregates,
            links=LINK_PRESETS[args.links] if args.links else (),
            start=args.start,
            as_of=args.as_of,
            random_seed=args.seed,
            robust=args.robust,
            progressbar=sys.stderr.isatty(),
            **options,
        )
    _print_summary(result)
    if args.json:
        Path(args.json).write_text(
            json.dumps(result_json(result), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        print(f"wrote {args.json}")
    if args.html:
        print(f"wrote {result.to_html(args.html)}")
    if args.markdown:
        print(f"wrote {result.to_markdown(args.markdown)}")
    if args.save:
        print(f"wrote {result.save(args.save)}")
    return 0


def parse_aggregates(specs: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``["losses=killed+wounded"]`` -> ``{"losses": ("killed", "wounded")}``; a ModelError
    naming every one not written ``NAME=leaf+leaf``.

    Examples
    --------
    >>> parse_aggregates(["losses=killed+wounded+captured"])
    {'losses': ('killed', 'wounded', 'captured')}
    """
    out: dict[str, tuple[str, ...]] = {}
    bad = []
    for spec in specs:
        name, sep, leaves = spec.partition("=")
        parts = tuple(x.strip() for x in leaves.split("+"))
        if not sep or not name.strip() or not all(parts):
            bad.append(repr(spec))
            continue
        out[name.strip()] = parts
    if bad:
        raise ModelError(
            f"--aggregate {', '.join(bad)}: write NAME=leaf+leaf+..., e.g. --aggregate losses=killed+wounded+captured."
        )
    return out


def _print_summary(result: Any) -> None:
    from .report.content import fmt_count, fmt_interval, words

    s = result.summary()
    prob = result._prob(None)
    as_of = result.settings.get("as_of")
    print(f"\nEstimated true losses{f' as of {as_of}' if as_of else ''} (median and {prob:.0%} interval)\n")
    table = pd.DataFrame(
        {
            "party": s["party"],
            "category": [words(c) for c in s["category"]],
            "median": [fmt_count(x) for x in s["median"]],
            f"{prob:.0%} interval": [fmt_interval(a, b) for a, b in zip(s["lower"], s["upper"], strict=True)],
            "R-hat": [f"{x:.3f}" for x in s["r_hat"]],
        }
    )
    print(table.to_string(index=False))
    for note in result.notes:
        print(f"note: {note}")
    if result.problems:
        print("\nThe fit is poor; do not publish these numbers as they are:")
        for p in result.problems:
            print(f"  - {p}")
    print()


def result_json(result: Any) -> dict[str, Any]:
    """Quantities, sources, reports, diagnostics, settings, notes and problems as plain JSON.

    Tables are lists of records (``DataFrame.to_dict(orient="records")``), dates ISO strings,
    NaN ``null``.

    Examples
    --------
    >>> json.dumps(result_json(result))  # doctest: +SKIP
    """
    from . import __version__
    from .persist import records, to_json_value

    return {
        "estimator_version": __version__,
        "settings": to_json_value(result.settings),
        "quantities": records(result.summary()),
        "sources": records(result.sources()),
        "reports": records(result.reports()),
        "diagnostics": to_json_value(result.diagnostics),
        "notes": list(result.notes),
        "problems": list(result.problems),
    }


if __name__ == "__main__":
    raise SystemExit(main())
