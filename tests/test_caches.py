"""The package's files on disk: damaged cache entries are deleted and made again, and a kept
graph that is not ours is never unpickled."""

import os
import pickle
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest

import estimator as est
from estimator.model import disk_cache, numba_cache


@pytest.fixture
def model():
    import pymc as pm

    with pm.Model() as m:
        pm.Data("y", np.zeros(3))
        pm.Normal("x")
    return m


@pytest.fixture
def graphs(tmp_path, monkeypatch):
    folder = tmp_path / "estimator_graphs"
    monkeypatch.setattr(disk_cache, "directory", lambda: folder)
    return folder


def _counting_build():
    builds = []

    def build():
        builds.append(1)
        return {"value": len(builds)}

    return build, builds


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_graph_entry_is_deleted_built_again_and_then_loaded(graphs, model, damage):
    build, builds = _counting_build()
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 1}
    path = disk_cache.LAST["test"]["path"]
    data = path.read_bytes()
    assert data.startswith(disk_cache.MAGIC)
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": os.urandom(200), "empty": b""}[damage])
    assert disk_cache.load("structure", "test", disk_cache.fingerprint(model)) is None
    assert disk_cache.LAST["test"].get("damaged") and not path.exists()  # deleted, not left for the next
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 2}
    assert disk_cache.LAST["test"]["how"] == "stored"
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 2}
    assert disk_cache.LAST["test"]["how"] == "loaded" and len(builds) == 2


class _Marker:
    """Unpickling this creates a file: proof that it was unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path(self.path).touch, ())


def test_a_graph_file_that_is_not_ours_is_never_unpickled(graphs, model, tmp_path):
    build, builds = _counting_build()
    disk_cache.load_or_build("structure", "test", model, build)
    path = disk_cache.LAST["test"]["path"]
    marker = tmp_path / "unpickled"
    # A bare pickle (not written by store(): no header and checksum) put where an entry goes.
    path.write_bytes(pickle.dumps({"value": _Marker(marker), "fingerprint": disk_cache.fingerprint(model)}))
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 2}
    assert not marker.exists()
    # A well-formed entry that other users could have written is not read either.
    payload = pickle.dumps({"value": _Marker(marker), "fingerprint": disk_cache.fingerprint(model)})
    path.write_bytes(disk_cache._wrap(payload))
    path.chmod(0o666)
    assert disk_cache.load_or_build("structure", "test", model, build) == {"value": 3}
    assert not marker.exists() and len(builds) == 3
    assert not path.stat().st_mode & 0o077  # the rebuilt entry is this user's alone


# --- Numba's cache ----------------------------------------------------------------------------

_SOURCE = """
def estimator_test_cfunc(x):
    return x * 2.0 + OFFSET
"""


def _cfunc(offset: float):
    """A tiny C callback kept in PyTensor's Numba cache under a key of its own."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    key = f"estimator-test-{offset}"
    py_func = compile_numba_function_src(
        _SOURCE, "estimator_test_cfunc", {"OFFSET": offset, "__name__": __name__}, cache_key=key
    )
    return numba.cfunc(numba.types.float64(numba.types.float64), cache=True)(py_func)


@pytest.fixture
def numba_folder(tmp_path, monkeypatch):
    import pytensor.link.numba.cache as cache

    folder = tmp_path / "numba"
    folder.mkdir()
    monkeypatch.setattr(cache, "NUMBA_CACHE_PATH", folder)
    return folder


@pytest.mark.parametrize("which", ["data", "index"])
def test_a_truncated_numba_entry_is_found_deleted_and_cached_again(numba_folder, which):
    offset = float(uuid.uuid4().int % 1000)
    first = _cfunc(offset)
    assert first._cache_hits == 0 and first.ctypes(1.0) == 2.0 + offset
    assert _cfunc(offset)._cache_hits == 1
    index = next(numba_folder.glob("*estimator_test_cfunc*.nbi"))
    (data,) = numba_cache.data_files(index)
    assert not numba_cache.damaged(index) and numba_cache.repair(numba_folder) == []
    victim = data if which == "data" else index
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(pickle.UnpicklingError):  # what Numba does with it: every compile fails
        _cfunc(offset)
    assert numba_cache.damaged(index)
    assert sorted(numba_cache.repair(numba_folder)) == sorted([index, data])
    again = _cfunc(offset)
    assert again._cache_hits == 0 and again.ctypes(1.0) == 2.0 + offset
    assert _cfunc(offset)._cache_hits == 1  # kept again: the next process loads it


def test_numba_entries_of_another_numba_version_or_missing_data_are_not_damaged(numba_folder):
    index = numba_folder / "x.nbi"
    with open(index, "wb") as f:
        pickle.dump("0.1.0", f)
        f.write(b"whatever a later version writes")
    assert not numba_cache.damaged(index)
    import numba

    with open(index, "wb") as f:
        pickle.dump(numba.__version__, f)
        f.write(pickle.dumps((0, {"key": "x.1.nbc"})))
    assert not numba_cache.damaged(index)  # a miss, which Numba compiles and keeps
    assert numba_cache.repair(numba_folder) == []


@pytest.mark.slow
def test_compile_nutpie_repairs_a_truncated_callback_in_numbas_cache(monkeypatch):
    """The model's log-density callback cut short in Numba's cache: the next compile deletes it
    and keeps it again, with no fallback warning, and the compile after loads both callbacks."""
    pytest.importorskip("nutpie")
    from estimator.fit import DEFAULT_AGGREGATES, compiled_model
    from estimator.model import nutpie_cache
    from estimator.model.spec import build_spec
    from estimator.reports import validate

    monkeypatch.setattr(
        nutpie_cache, "CACHE_VERSION", f"{nutpie_cache.CACHE_VERSION}-test-{uuid.uuid4().hex}"
    )
    reports = [
        est.Report(source="UN", party="A", category="killed", kind="exact", value=1_000),
        est.Report(source="OSCE", party="A", category="killed", kind="range", low=900, high=1_400),
    ]
    spec = build_spec(
        validate(reports, aggregates=DEFAULT_AGGREGATES), [], temporal=False, start=None, as_of=None
    )
    model = compiled_model(spec, robust=False, target_accept=0.9).built.model
    monkeypatch.setattr(nutpie_cache, "_SAID_NOT_CACHED", False)  # a fallback would warn here
    made = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", est.CacheWarning)  # no fallback to nutpie's own compile
            for step in range(3):
                made.append(nutpie_cache.compile_nutpie(model, jitter_rvs=set()))
                if step == 0:  # the callback's own code, not its body's (which it holds)
                    logp = made[0].compiled_logp_func
                    (data,) = [p for p in _cache_files(logp, body=False) if p.suffix == ".nbc"]
                    data.write_bytes(data.read_bytes()[:1000])
    finally:
        for c in made[:1]:
            for f in (c.compiled_logp_func, c.compiled_expand_func):
                for p in _cache_files(f):
                    p.unlink(missing_ok=True)
    hits = [[c.compiled_logp_func._cache_hits, c.compiled_expand_func._cache_hits] for c in made]
    assert hits == [[0, 0], [0, 1], [1, 1]], hits


def _cache_files(cfunc, *, body: bool = True) -> list[Path]:
    """The files of a cached callback and (with ``body``) of the body it calls."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    funcs = (cfunc._pyfunc, cfunc._pyfunc.__globals__["body"].py_func)[: 2 if body else 1]
    keys = [CACHED_SRC_FUNCTIONS[f] for f in funcs]
    return [p for p in numba_cache.directory().iterdir() if any(k in p.name for k in keys)]
