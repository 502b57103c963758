"""Fixtures shared by the test modules."""

import importlib.util
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The tests' fits use PyMC's sampler unless they name another, whatever the machine's default
# (nutpie where it is installed, as it is with the test extra): each new model structure costs
# nutpie a Numba compile of about 40 s, and the tests fit many. The NATO example's test runs with
# the default, as a user would (tests/test_examples.py), and tests/test_speed.py checks nutpie
# against PyMC.
os.environ["ESTIMATOR_SAMPLER"] = "pymc"


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (the examples are scripts, not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def nato_example():
    """The NATO seed example's module: REPORTS, SOURCES, START, main()."""
    return load_example("nato_march_2022")
