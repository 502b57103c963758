"""Compiled PyTensor functions kept on disk by the structure of the model they were made for.

Building a model's log density, its gradient and PyTensor's rewrites of them costs seconds in
every new process (NATO: 4-5 s for nutpie's functions, 0.5 s for the per-report
log-likelihood), although the compiled code itself is already in PyTensor's caches. A compiled
function pickles with its rewritten graph; a new process that loads it only links it to that
code again (NATO, nutpie's functions: about 0.5 s).

An entry is a dict (any picklable values; PyTensor functions among them are slimmed first, see
:func:`slim`) filed under a key of:

- the *structure*: anything whose ``repr`` names what the graph bakes in (``fit.compiled_model``
  gives its key of compiled models),
- a *name* for what the entry holds ("nutpie", "loglik NUMBA", ...),
- the versions of Python, PyMC, PyTensor, nutpie, Numba and NumPy, PyTensor's float type and
  fast-math setting, and a hash of this package's source: any change to the code that builds
  the graph, or to a library, makes new keys.

Each entry also holds the model's *fingerprint* (its free variables and its data's names,
shapes and types, :func:`fingerprint`); one that does not match the model at hand (a structure
key that failed to name the structure) is not used. Anything that fails to load is built anew;
a damaged file (truncated, garbled: its checksum fails) is deleted first, and a file that another
user owns or could write is never unpickled. A cache that cannot be written only makes the next
process slower. The newest ``MAX_FILES``
files are kept, in PyTensor's compile directory (``estimator_graphs``).
"""

from __future__ import annotations

import functools
import os
import pickle
import stat
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np

#: Files kept, at most (the least recently used go first).
MAX_FILES = 64

#: Bump when what an entry holds changes.
VERSION = "4"

#: The first bytes of an entry's file; its payload's SHA-256 follows, then the payload.
MAGIC = b"estimator graphs\n"

#: Dimensions whose lengths are data: the reports and the (report, quantity) pairs.
DATA_DIMS = ("report", "pair")

#: For each name, how its last :func:`load` or :func:`store` went ("built": not kept,
#: "stored": built and kept, "loaded") and the file. Read by tests.
LAST: dict[str, dict[str, Any]] = {}


def directory() -> Path:
    """Where entries are kept: ``estimator_graphs`` in PyTensor's compile directory."""
    from pytensor import config

    return Path(config.compiledir) / "estimator_graphs"


def key(structure: Any, name: str) -> str:
    """The file name (without suffix) of ``name``'s entry for ``structure``."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from pytensor import config

    def installed(package: str) -> str | None:
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    libraries = [(p, installed(p)) for p in ("pymc", "pytensor", "nutpie", "numba", "numpy")]
    parts = (
        repr(structure),
        name,
        libraries,
        platform.python_version(),
        source_hash(),
        config.floatX,
        bool(config.numba__fastmath),
        VERSION,
    )
    return sha256(repr(parts).encode()).hexdigest()


@functools.cache
def source_hash() -> str:
    """A hash of this package's Python source: the model's graph is made by it."""
    root = Path(__file__).resolve().parents[1]
    digest = sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(model) -> tuple:
    """The model's free variables, the length of each of its dimensions, its data's names, shapes
    and types, and its deterministic variables: what a kept entry must have been made for.

    Not the number of reports or of (report, quantity) pairs: a model built for other numbers
    computes the same (``build.py``). Arrays along them count by rank only."""
    free = tuple((v.name, str(model.rvs_to_values[v].type)) for v in model.free_RVs)
    dims = tuple(sorted((d, len(c)) for d, c in model.coords.items() if d not in DATA_DIMS and c is not None))

    def shape(v) -> tuple | int:
        along = set(model.named_vars_to_dims.get(v.name, ())) & set(DATA_DIMS)
        value = v.get_value(borrow=True)
        return np.ndim(value) if along else np.shape(value)

    data = tuple(sorted((v.name, shape(v), str(v.type)) for v in model.data_vars))
    kept = tuple(v.name for v in model.deterministics)
    return free, dims, data, kept


def load(structure: Any, name: str, model_fingerprint: tuple) -> dict | None:
    """``name``'s entry for ``structure`` if one is kept and was made for a model with this
    fingerprint; else None.

    Only a file this user owns, in a folder this user owns, neither writable by others, is
    unpickled, and only after its checksum matches (:func:`_unwrap`). A damaged file (a
    truncated or garbled one, one that does not unpickle) is deleted: the caller builds the
    entry again and keeps it in its place."""
    path = directory() / f"{key(structure, name)}.pkl"
    LAST[name] = {"how": "built", "path": None}
    try:
        if not (_trusted(path.parent) and _trusted(path)):
            return None  # not ours: never unpickled (store() replaces it)
    except OSError:
        return None  # absent
    try:
        payload = _unwrap(path.read_bytes())
        entry = pickle.loads(payload) if payload is not None else None
    except Exception:  # noqa: BLE001  # unreadable or does not unpickle: damaged
        entry = None
    if not isinstance(entry, dict) or "fingerprint" not in entry:
        path.unlink(missing_ok=True)
        LAST[name]["damaged"] = True
        return None
    if entry.pop("fingerprint") != model_fingerprint:
        return None  # kept for another model under the same key: the caller builds it anew
    path.touch()  # recently used: pruned last
    LAST[name] = {"how": "loaded", "path": path}
    return entry


def store(structure: Any, name: str, model_fingerprint: tuple, entry: dict) -> None:
    """Keep ``entry`` (whose PyTensor functions are slimmed in place) as ``name``'s for
    ``structure``."""
    from pytensor.compile import Function

    LAST[name] = {"how": "built", "path": None}
    path = directory() / f"{key(structure, name)}.pkl"
    try:
        for value in entry.values():
            if isinstance(value, Function):
                slim(value)
        data = pickle.dumps({**entry, "fingerprint": model_fingerprint}, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(path.parent):
            return  # a folder others can write: load() would never read it
        _write_atomically(path, _wrap(data))
        _prune(path.parent)
    except Exception:  # noqa: BLE001  # a cache that cannot be written: only slower next time
        return
    LAST[name] = {"how": "stored", "path": path}


def load_or_build(
    structure: Any,
    name: str,
    model,
    build: Callable[[], dict],
    *,
    usable: Callable[[dict], bool] | None = None,
) -> dict:
    """``name``'s entry for ``structure``: the kept one if there is one for ``model`` (and
    ``usable(entry)`` says it is), else ``build()``'s, which is then kept. With no structure
    (empty or None) nothing is read or kept: ``build()`` every time."""
    if not structure:
        LAST[name] = {"how": "built", "path": None}
        return build()
    model_fingerprint = fingerprint(model)
    entry = load(structure, name, model_fingerprint)
    if entry is not None and (usable is None or usable(entry)):
        return entry
    entry = build()
    store(structure, name, model_fingerprint, entry)
    return entry


def slim(function) -> None:
    """Drop what only PyTensor's rewrites use from a compiled function's graph, so that it
    pickles without the graph it was rewritten from (NATO's log density: 0.45 MB instead of
    4.4 MB).

    Its shape and merge features, and the entries its client maps keep for variables the
    rewrites removed, which reach back through the whole unrewritten graph. The function itself
    does not use them once linked.
    """
    from pytensor.graph.rewriting.basic import MergeFeature
    from pytensor.tensor.rewriting.shape import ShapeFeature

    fgraph = function.maker.fgraph
    for feature in list(fgraph._features):
        if isinstance(feature, ShapeFeature | MergeFeature):
            fgraph.remove_feature(feature)
    handler = getattr(fgraph, "destroy_handler", None)
    for clients in (fgraph.clients, getattr(handler, "clients", {})):
        for var in [v for v in clients if v not in fgraph.variables]:
            del clients[var]


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _wrap(payload: bytes) -> bytes:
    """A file's bytes: :data:`MAGIC`, the payload's SHA-256, the payload."""
    return MAGIC + sha256(payload).digest() + payload


def _unwrap(data: bytes) -> bytes | None:
    """The payload of a file :func:`_wrap` wrote; None for anything else (another format, a
    truncated or garbled file)."""
    head = len(MAGIC) + 32
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = data[head:]
    return payload if sha256(payload).digest() == data[len(MAGIC) : head] else None


def _trusted(path: Path) -> bool:
    """True when ``path`` belongs to this user and others cannot write it (always, where files
    have no owner: Windows). An entry is a pickle: whoever can write it runs code here. Raises
    FileNotFoundError when ``path`` is absent."""
    info = path.stat()
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & stat.S_IWOTH


def _prune(folder: Path) -> None:
    """Delete all but the MAX_FILES most recently used entries."""
    entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime)
    for old in entries[: max(0, len(entries) - MAX_FILES)]:
        old.unlink(missing_ok=True)
