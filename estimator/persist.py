"""Save a fit to one file and load it back: ``result.save(path)`` and ``estimator.load(path)``.

The file is a zip archive with two members:

``idata.nc``
    The posterior (posterior, sample_stats, constant_data) as netCDF groups (h5netcdf; see
    :mod:`.compat`).
``result.json``
    The format version, the package version that wrote it, the model's revision
    (:data:`~estimator.constants.MODEL_REVISION`), everything needed to rebuild the model
    (reports, sources, links, stance priors, settings with the aggregates, notes) and a SHA-256
    hash of each of these parts and of ``idata.nc`` (:mod:`estimator.integrity`). Dates are
    written as ``{"$date": "YYYY-MM-DD"}`` so they come back as dates.

:func:`load` rebuilds the spec (``validate`` + ``build_spec``) and the PyMC model
(``build_model``) from the JSON and attaches the saved posterior, so every table of the loaded
result is the saved one's. A file written by another package version loads with a
:class:`VersionWarning`. It raises :class:`~estimator.errors.ModelError`, in one line, for a
file of a newer format, of another model revision, whose parts or coordinates do not match
what was saved with its posterior (a figure or a source's name edited), and for every damaged
file; an archive member that would unpack to more than a saved fit holds is never unpacked.
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

from . import compat, integrity
from .constants import MODEL_REVISION
from .errors import ModelError
from .model.spec import Link
from .reports import Report, Source

#: Version of the file layout; bumped when a change makes old readers misread new files.
#: 2: the model's revision and the hashes of the inputs and the posterior.
FORMAT_VERSION = 2
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
        "model_revision": MODEL_REVISION,
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
    plain = _encode(meta)
    with tempfile.TemporaryDirectory() as tmp:
        nc = Path(tmp) / IDATA_MEMBER
        compat.write_netcdf(result.idata, nc)
        # What ties the posterior to the inputs it was drawn for: load() checks every hash.
        plain["hashes"] = {
            **integrity.content_hashes(plain),
            integrity.POSTERIOR_PART: integrity.file_hash(nc),
        }
        text = json.dumps(plain, indent=1, allow_nan=False)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr(META_MEMBER, text)
            z.write(nc, IDATA_MEMBER)
    return path


def load(path: str | os.PathLike[str], *, allow_other_revision: bool = False) -> Any:
    """Load a fit written by :func:`save` (or ``Result.save``).

    Rebuilds the model from the saved reports, sources, links and settings, and attaches the
    saved posterior: no sampling happens. Before that it checks that the file is the one
    :func:`save` wrote: the hashes of its parts and of its posterior, the model's revision, and
    that the rebuilt model's coordinates (sources, quantities...) are the posterior's.

    Parameters
    ----------
    path
        A file written by :func:`save`.
    allow_other_revision
        Load a file fitted with another revision of the model
        (:data:`~estimator.constants.MODEL_REVISION`: its density or parameters changed), reading
        its draws through this version's model, with a :class:`VersionWarning`. Refitting is
        better: without this, such a file raises.

    Returns
    -------
    estimator.Result

    Raises
    ------
    ModelError
        In one line, when the file is missing, not an estimator file or damaged (a truncated or
        garbled member, a member larger than a saved fit can hold), of a newer format, of
        another model revision, or changed after the fit (its reports, sources, links, settings
        or posterior do not match the hashes saved with them; its coordinates are not those of
        the model its reports build). The message says which, and to refit.

    Warns
    -----
    VersionWarning
        When the file was written by another estimator version, or (with
        ``allow_other_revision``) fitted with another model revision.

    Examples
    --------
    >>> result = est.load("nato.zip")  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"cannot load {path}: no such file.")
    with integrity.damaged(path, "read it"):
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
            integrity.check_members(path, z)  # before anything is unpacked
            text = z.read(META_MEMBER).decode("utf-8")
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise ValueError(f"{META_MEMBER} holds a {type(raw).__name__}, not an object")
            current = _check_version(path, raw, allow_other_revision)
            nc = Path(z.extract(IDATA_MEMBER, tmp))
            if current:  # a file of this revision carries hashes: all must match
                integrity.check_hashes(path, raw, integrity.file_hash(nc))
            idata = compat.read_netcdf(nc)  # all read before the file goes
        meta = json.loads(text, object_hook=_decode)
    with integrity.damaged(path, "rebuild the model of its reports"):
        return _rebuild(path, meta, idata)


def _check_version(path: Path, meta: dict[str, Any], allow_other_revision: bool) -> bool:
    """ModelError for a newer format or (unless allowed) another model revision; warns of
    another package version or an allowed other revision. True when the revision is this one's."""
    from . import __version__

    fmt = meta.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise ModelError(
            f"{path} has file format {fmt!r}, newer than this estimator ({__version__}) reads "
            f"(format {FORMAT_VERSION}); upgrade estimator."
        )
    current = integrity.check_revision(path, meta, allow_other_revision=allow_other_revision)
    if not current:
        warnings.warn(
            f"{path} was fitted with model revision {meta.get('model_revision', 'unknown')}, this "
            f"estimator's is {MODEL_REVISION}: its draws are read through this model, unchecked; "
            "refit the reports before publishing.",
            VersionWarning,
            stacklevel=3,
        )
    if meta.get("estimator_version") != __version__:
        warnings.warn(
            f"{path} was written by estimator {meta.get('estimator_version')}, this is {__version__}: "
            "the model is rebuilt by this version, so tables may differ from the saved fit's.",
            VersionWarning,
            stacklevel=3,
        )
    return current


def _rebuild(path: Path, meta: dict[str, Any], idata: Any) -> Any:
    """The Result of a loaded file: the spec and model rebuilt from ``meta``, the posterior
    ``idata`` checked against them."""
    from .model.build import build_model, set_fit_data
    from .model.spec import build_spec
    from .reports import validate
    from .result import Result

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
    integrity.check_coords(path, compat.posterior(idata), built.model)
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
