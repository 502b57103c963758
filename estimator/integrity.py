"""Checks that a saved fit is what :func:`estimator.persist.save` wrote, and is still the fit of
the reports, sources and settings saved with it.

A saved file holds the posterior (``idata.nc``) and, apart from it, the inputs the model is
rebuilt from (``result.json``). Nothing ties the two but these checks: edit a figure, rename a
source (whose sort order places every source's draws) or drop an affiliation in the JSON, and
the rebuilt model would read the saved draws as its own. So :func:`estimator.persist.save`
writes a SHA-256 hash of each part of the inputs and of the posterior, and the model's revision
(:data:`estimator.constants.MODEL_REVISION`); :func:`estimator.persist.load` refuses a file
whose hashes, revision or coordinates do not match, naming what changed.

The hashes find changes made by accident or by tools that do not know them; they are no
signature (whoever edits the JSON can write new hashes): load only files you trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .constants import MODEL_REVISION
from .errors import ModelError

#: The parts of ``result.json`` that the model is rebuilt from, each hashed on its own so that a
#: mismatch can say which changed: part -> its keys.
HASHED_PARTS: dict[str, tuple[str, ...]] = {
    "reports": ("reports",),
    "sources": ("sources",),
    "links and aggregates": ("links", "stance_prior"),
    "settings": ("settings", "fit_data"),
}
#: The hash of the posterior's netCDF file, beside those of :data:`HASHED_PARTS`.
POSTERIOR_PART = "posterior"

#: Largest uncompressed size of each member a saved fit may hold. The posterior with its
#: per-report log-likelihood is at most about 200 MB (``result.EAGER_LOGLIK_MAX`` values) plus
#: the draws; the JSON of 10,000 reports is about 5 MB.
MAX_MEMBER_BYTES = {"result.json": 256 * 2**20, "idata.nc": 4 * 2**30}
#: Largest ratio of a member's uncompressed to its compressed size: ``save`` stores members
#: uncompressed (1), a netCDF of draws deflates by a factor of 1 to 3, a "zip bomb" of zeros by
#: a thousand.
MAX_COMPRESSION_RATIO = 100
#: Bytes read at a time when hashing a file.
CHUNK = 2**20


def canonical_hash(value: Any) -> str:
    """SHA-256 of ``value``'s JSON with sorted keys and no spaces: the same for the value
    :func:`estimator.persist.save` writes and for what ``json.loads`` reads back."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def content_hashes(meta: Mapping[str, Any]) -> dict[str, str]:
    """The hash of each part of :data:`HASHED_PARTS` of ``meta`` (plain JSON values, as written
    to ``result.json``).

    Examples
    --------
    >>> sorted(content_hashes({"reports": [], "sources": []}))
    ['links and aggregates', 'reports', 'settings', 'sources']
    """
    return {part: canonical_hash({k: meta.get(k) for k in keys}) for part, keys in HASHED_PARTS.items()}


def file_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def one_line(error: BaseException | str) -> str:
    """An error's message on one line (a ReportError lists its problems on several)."""
    return " ".join(str(error).split())


@contextlib.contextmanager
def damaged(path: Path, what: str) -> Iterator[None]:
    """Turn any error but a ModelError or a warning into a one-line ModelError about ``path``;
    ``what`` says what could not be done ("read", "rebuild its model")."""
    try:
        yield
    except Warning:
        raise
    except ModelError as e:
        raise ModelError(one_line(e)) from None
    except Exception as e:  # noqa: BLE001  # whatever a damaged file makes a reader raise
        raise ModelError(
            f"cannot load {path}: cannot {what}: it is damaged or not a file written by "
            f"estimator's save() ({type(e).__name__}: {one_line(e)})."
        ) from None


def check_members(path: Path, archive: zipfile.ZipFile) -> None:
    """ModelError unless ``archive`` has both members, each of a size a saved fit can have,
    before anything is unpacked (the sizes the archive declares: zipfile unpacks no more)."""
    for name, limit in MAX_MEMBER_BYTES.items():
        try:
            info = archive.getinfo(name)
        except KeyError:
            raise ModelError(
                f"cannot load {path}: it is not a file written by estimator's save() (it has no {name})."
            ) from None
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limit or ratio > MAX_COMPRESSION_RATIO:
            raise ModelError(
                f"cannot load {path}: its {name} would unpack to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (at most {limit:,}, and {MAX_COMPRESSION_RATIO} times "
                "its packed size, in a file written by estimator's save()); it was not unpacked."
            )


def check_revision(path: Path, meta: Mapping[str, Any], *, allow_other_revision: bool) -> bool:
    """ModelError when the file's model revision is not this version's, unless
    ``allow_other_revision``; returns whether it is this version's."""
    saved = meta.get("model_revision")
    if saved == MODEL_REVISION:
        return True
    if allow_other_revision:
        return False
    said = f"revision {saved}" if saved is not None else "a revision from before revisions were saved"
    raise ModelError(
        f"cannot load {path}: it was fitted with {said} of the model, and this estimator's model is "
        f"revision {MODEL_REVISION}: the saved draws are of another model's parameters. Refit the "
        "saved reports with estimate(), or pass allow_other_revision=True to read the old draws "
        "through this model anyway."
    )


def check_hashes(path: Path, meta: Mapping[str, Any], posterior_hash: str) -> None:
    """ModelError naming every part of ``meta`` (and the posterior) whose hash is not the one
    saved with it."""
    saved = meta.get("hashes")
    if not isinstance(saved, Mapping):
        raise ModelError(
            f"cannot load {path}: it lacks the hashes save() writes; it was changed after the fit."
        )
    now = {**content_hashes(meta), POSTERIOR_PART: posterior_hash}
    changed = [part for part, h in now.items() if saved.get(part) != h]
    if changed:
        raise ModelError(
            f"cannot load {path}: its {', '.join(changed)} changed after the fit (they do not match "
            "the hashes saved with it), so the saved posterior is not theirs; refit the reports with "
            "estimate() instead of editing a saved fit."
        )


def check_coords(path: Path, posterior: Any, model: Any) -> None:
    """ModelError when a coordinate of the saved posterior (sources, quantities, bias rows...)
    is not the rebuilt model's: its draws would be read as another element's."""
    for dim, values in model.coords.items():
        if values is None or dim not in posterior.coords:
            continue
        saved = [str(v) for v in posterior.coords[dim].values]
        built = [str(v) for v in values]
        if saved != built:
            raise ModelError(
                f"cannot load {path}: the saved posterior's {dim} coordinates ({', '.join(saved)}) are "
                f"not those of the model its reports and sources build ({', '.join(built)}): the file "
                "was changed after the fit; refit the reports with estimate()."
            )
