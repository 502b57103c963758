"""Damaged entries of PyTensor's Numba disk cache, found and deleted so that they are made anew.

Numba keeps each cached function as an index file (``NAME-KEY.pyXY.nbi``: Numba's version,
then a pickled map of signatures to data files) and one data file per signature
(``NAME-KEY.pyXY.N.nbc``: the pickled compiled code), in PyTensor's ``numba`` folder
(``pytensor.link.numba.cache.NUMBA_CACHE_PATH``, under PyTensor's base compile directory). The
callbacks of :mod:`.nutpie_cache` are ``string.estimator_nutpie_*`` files there, beside
PyTensor's own functions.

Numba treats a missing file as a miss, but a truncated or garbled one raises its unpickling
error from the compile; nutpie's compile then falls back to compiling everything again in every
process, and the damaged file stays. :func:`repair` deletes every entry Numba could not read,
so the next compile makes and keeps it again.
"""

from __future__ import annotations

import glob
import pickle
from pathlib import Path

#: Suffix of Numba's index files.
INDEX_SUFFIX = ".nbi"


def directory() -> Path:
    """PyTensor's Numba cache folder."""
    from pytensor.link.numba.cache import NUMBA_CACHE_PATH

    return Path(NUMBA_CACHE_PATH)


def data_files(index: Path) -> list[Path]:
    """The data files (``.N.nbc``) of the entry whose index file is ``index``."""
    base = index.name[: -len(INDEX_SUFFIX)]
    return sorted(index.parent.glob(glob.escape(base) + ".*.nbc"))


def damaged(index: Path) -> bool:
    """True when Numba would fail to read the entry of ``index``: the index, or a data file it
    names, does not unpickle. An index of another Numba version is not damaged (Numba ignores
    it and writes over it), nor is a missing file (a miss)."""
    import numba

    try:
        with open(index, "rb") as f:
            version = pickle.load(f)
            rest = f.read()
        if version != numba.__version__:
            return False
        _stamp, overloads = pickle.loads(rest)
        for name in overloads.values():
            path = index.parent / name
            if path.exists():
                pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return False
    except Exception:  # noqa: BLE001  # whatever Numba's own read would raise
        return True
    return False


def repair(folder: Path | None = None, *, pattern: str = "*" + INDEX_SUFFIX) -> list[Path]:
    """Delete every entry in ``folder`` (default: :func:`directory`) whose index matches
    ``pattern`` and that Numba cannot read (:func:`damaged`): its index and data files.

    Returns the files deleted (empty: nothing was damaged). Reads every entry, so it is called
    only after a compile has failed.

    Examples
    --------
    >>> repair()  # doctest: +SKIP
    [PosixPath('/home/me/.pytensor/numba/string.estimator_nutpie_logp-1f0e....py311.1.nbc'), ...]
    """
    folder = directory() if folder is None else Path(folder)
    removed = []
    for index in sorted(folder.glob(pattern)):
        if not damaged(index):
            continue
        for path in [index, *data_files(index)]:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed
