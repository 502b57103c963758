"""Save a fit to one file and load it back: ``result.save(path)`` and ``estimator.load(path)``.

The file is a zip archive with two members:

``idata.nc``
    The posterior (posterior, sample_stats, constant_data) as netCDF groups (h5netcdf; see
    :mod:`.compat`).
``result.json``
    The format version, the package version that wrote it, and everything needed to rebuild
    the model: reports, sources, links, stance priors, settings (aggregates included) and
    notes. Dates are written as ``{"$date": "YYYY-MM-DD"}`` so they come back as dates.

:func:`load` rebuilds the spec (``validate`` + ``build_spec``) and the PyMC model
(``build_model``) from the JSON and attaches the saved posterior, so every table of the loaded
result is the saved one's. A file written by another package version loads with a
:class:`VersionWarning`; a file of a newer format than this version reads raises
:class:`~estimator.errors.ModelError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import compat
from .errors import ModelError
from .model.spec import Link
from .reports import Report, Source

#: Version of the file layout; bumped when a change makes old readers misread new files.
FORMAT_VERSION = 1
#: The names of the members of the archive.
IDATA_MEMBER = "idata.nc"
META_MEMBER = "result.json"


class VersionWarning(UserWarning):
    """The file was written by another version of estimator; the numbers may differ."""


# --- JSON helpers (also used by the CLI) -------------------------------------------------------
def to_json_value(x: Any) -> Any:
    """Plain JSON value: numpy scalars to Python, NaN/NA to None, dates to ISO strings."""
    if isinstance(x, Mapping):
        return {str(k): to_json_value(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [to_json_value(v) for v in x]
    if x is None or x is pd.NaT or x is pd.NA:
        return None
    if isinstance(x, pd.Timestamp | dt.datetime | dt.date):
        return (
            x.date().isoformat()
            if isinstance(x, pd.Timestamp | dt.datetime) and _midnight(x)
            else x.isoformat()
        )
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating | float):
        return None if not math.isfinite(float(x)) else float(x)
    return x


def _midnight(x: dt.datetime) -> bool:
    return x.hour == x.minute == x.second == x.microsecond == 0


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict(orient="records")`` with dates as ISO strings and NaN as None.

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1.0, float("nan")]}))
    [{'a': 1.0}, {'a': None}]
    """
    return [to_json_value(r) for r in frame.to_dict(orient="records")]


def _encode(x: Any) -> Any:
    """Like :func:`to_json_value` but dates tagged so :func:`_decode` restores them."""
    if isinstance(x, Mapping):
        return {str(k): _encode(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_encode(v) for v in x]
    if isinstance(x, dt.datetime):
        return {"$datetime": x.isoformat()}
    if isinstance(x, dt.date):
        return {"$date": x.isoformat()}
    if isinstance(x, float) and not math.isfinite(x):
        return {"$float": repr(x)}
    return to_json_value(x)


def _decode(obj: dict[str, Any]) -> Any:
    if obj.keys() == {"$date"}:
        return dt.date.fromisoformat(obj["$date"])
    if obj.keys() == {"$datetime"}:
        return dt.datetime.fromisoformat(obj["$datetime"])
    if obj.keys() == {"$float"}:
        return float(obj["$float"])
    return obj


def _report_dict(r: Report) -> dict[str, Any]:
    d = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
    d["extra"] = dict(r.extra)
    return d


def _source_dict(s: Source) -> dict[str, Any]:
    return {f.name: getattr(s, f.name) for f in dataclasses.fields(s)}


def _link_dict(link: Link) -> dict[str, Any]:
    return {f.name: getattr(link, f.name) for f in dataclasses.fields(link)}


# --- save / load --------------------------------------------------------------------------------
def save(result: Any, path: str | os.PathLike[str]) -> Path:
    """Save a fit to one zip file that :func:`load` reads back.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    path
        The file to write (overwritten); ``.zip`` is a good suffix.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> result.save("nato.zip")  # doctest: +SKIP
    >>> est.load("nato.zip").summary()  # doctest: +SKIP
    """
    from . import __version__
    from .model.build import FIT_DATA

    path = Path(path)
    if not path.resolve().parent.is_dir():
        raise ModelError(f"cannot save to {path}: the folder {path.parent} does not exist.")
    meta = {
        "format": FORMAT_VERSION,
        "estimator_version": __version__,
        "written": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "reports": [_report_dict(r) for r in result.reports_given],
        "sources": [_source_dict(s) for s in result.sources_given],
        "links": [_link_dict(link) for link in result.spec.links],
        "stance_prior": result.spec.stance_prior,
        "settings": result.settings,
        "notes": result.notes,
        # Data the fit set from its posterior's mode, not from the reports (build.FIT_DATA).
        "fit_data": {k: np.asarray(result.data[k]).tolist() for k in FIT_DATA if k in result.data},
    }
    text = json.dumps(_encode(meta), indent=1, allow_nan=False)
    with tempfile.TemporaryDirectory() as tmp:
        nc = Path(tmp) / IDATA_MEMBER
        compat.write_netcdf(result.idata, nc)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr(META_MEMBER, text)
            z.write(nc, IDATA_MEMBER)
    return path


def load(path: str | os.PathLike[str]) -> Any:
    """Load a fit written by :func:`save` (or ``Result.save``).

    Rebuilds the model from the saved reports, sources, links and settings, and attaches the
    saved posterior: no sampling happens.

    Parameters
    ----------
    path
        A file written by :func:`save`.

    Returns
    -------
    estimator.Result

    Raises
    ------
    ModelError
        When the file is missing, not an estimator file, or of a newer format.

    Warns
    -----
    VersionWarning
        When the file was written by another estimator version.

    Examples
    --------
    >>> result = est.load("nato.zip")  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    from . import __version__
    from .model.build import build_model, set_fit_data
    from .model.spec import build_spec
    from .reports import validate
    from .result import Result

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"cannot load {path}: no such file.")
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read(META_MEMBER).decode("utf-8"), object_hook=_decode)
            with tempfile.TemporaryDirectory() as tmp:
                z.extract(IDATA_MEMBER, tmp)
                idata = compat.read_netcdf(Path(tmp) / IDATA_MEMBER)  # all read before the file goes
    except (zipfile.BadZipFile, KeyError) as e:
        raise ModelError(
            f"cannot load {path}: it is not a file written by estimator's save() ({e})."
        ) from None
    fmt = meta.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise ModelError(
            f"{path} has file format {fmt!r}, newer than this estimator ({__version__}) reads "
            f"(format {FORMAT_VERSION}); upgrade estimator."
        )
    if meta.get("estimator_version") != __version__:
        warnings.warn(
            f"{path} was written by estimator {meta.get('estimator_version')}, this is {__version__}: "
            "the model is rebuilt by this version, so tables may differ from the saved fit's.",
            VersionWarning,
            stacklevel=2,
        )
    settings = dict(meta["settings"])
    aggregates = {k: tuple(v) for k, v in settings.get("aggregates", {}).items()}
    settings["aggregates"] = aggregates
    reports = [_report(d) for d in meta["reports"]]
    sources = [_source(d) for d in meta["sources"]]
    links = [_link(d) for d in meta["links"]]
    temporal = settings.get("mode") == "temporal"
    clean = validate(reports, aggregates=aggregates, start=settings.get("start"))
    spec = build_spec(
        clean,
        sources,
        links=links,
        temporal=temporal,
        start=settings.get("start"),
        as_of=settings.get("as_of"),
        knot_days=settings.get("knot_days", 7),
        stance_bias=meta.get("stance_prior"),
    )
    built = build_model(spec, robust=bool(settings.get("robust", False)))
    set_fit_data(built.model, meta.get("fit_data", {}))
    missing = [v.name for v in built.model.free_RVs if v.name not in compat.posterior(idata)]
    if missing:
        # e.g. a robust fit saved before robust=True became the outlier mixture (2026-11-26),
        # when it was Student-t noise: that posterior has no outlier_prob.
        raise ModelError(
            f"cannot load {path}: the saved posterior lacks {', '.join(missing)}, which this version's model "
            f"has (it was written by estimator {meta.get('estimator_version', '?')}, whose model "
            "differs); refit the saved reports with estimate() to use it with this version."
        )
    result = Result(
        spec=spec,
        built=built,
        idata=idata,
        sources=sources,
        reports=reports,
        settings=settings,
        notes=list(meta.get("notes", [])),
    )
    result.check(warn=False)
    return result


def _report(d: dict[str, Any]) -> Report:
    d = dict(d)
    extra = d.pop("extra", {}) or {}
    return Report(**d, extra=extra)


def _source(d: dict[str, Any]) -> Source:
    d = dict(d)
    if d.get("bias") is not None:
        d["bias"] = tuple(d["bias"])
    return Source(**d)


def _link(d: dict[str, Any]) -> Link:
    d = dict(d)
    d["ratio"] = tuple(d["ratio"])
    return Link(**d)
