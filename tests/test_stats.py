"""The vectorised convergence diagnostics give ArviZ's numbers, element by element."""

import warnings

import numpy as np
import pytest
import xarray as xr

from estimator import compat
from estimator.stats import convergence, diagnose


def _draws(chains: int, draws: int, n: int, seed: int) -> np.ndarray:
    """Draws with the features that matter: autocorrelation, chains that disagree, heavy tails,
    ties, a constant element."""
    rng = np.random.default_rng(seed)
    x = np.empty((chains, draws, n))
    phi = np.linspace(-0.8, 0.97, n)  # AR(1): from antithetic through white noise to sticky
    e = rng.standard_normal((chains, draws, n))
    x[:, 0] = e[:, 0]
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    x[:, :, 1::4] += rng.normal(0, 1.5, size=(chains, 1, len(range(1, n, 4))))  # shifted chains
    x[:, :, 2::5] = rng.standard_t(2, size=(chains, draws, len(range(2, n, 5))))
    x[:, :, 3] = np.round(x[:, :, 3])  # ties
    x[:, :, 4] = 1.0  # constant
    x[:, :, 6] = np.where(rng.uniform(size=(chains, draws)) < 0.02, 5.0, 0.0)  # mostly one value
    return x


def _arviz(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_element = [compat.reference_diagnostics(x[:, :, i]) for i in range(x.shape[2])]
    return tuple(np.array(column) for column in zip(*per_element, strict=True))


@pytest.mark.parametrize(("chains", "draws"), [(4, 1000), (2, 301), (3, 40), (4, 7)])
def test_diagnostics_match_arviz(chains, draws):
    x = _draws(chains, draws, 40, seed=chains * 1000 + draws)
    want_rhat, want_bulk, want_tail = _arviz(x)
    rhat, bulk, tail = diagnose(x)
    np.testing.assert_allclose(rhat, want_rhat, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(bulk, want_bulk, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(tail, want_tail, rtol=1e-10, equal_nan=True)
    assert np.isnan(rhat[4])  # the constant element has no R-hat
    # The test data reach both ends: sticky or shifted chains, and well-mixed ones.
    assert np.nanmax(want_rhat) > 1.05 and np.nanmin(want_rhat) < 1.01


def test_one_chain_has_no_rhat_but_an_ess():
    x = _draws(1, 200, 8, seed=3)
    rhat, bulk, tail = diagnose(x)
    assert np.isnan(rhat).all()
    _, want_bulk, want_tail = _arviz(x)
    np.testing.assert_allclose(bulk, want_bulk, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(tail, want_tail, rtol=1e-10, equal_nan=True)


def test_convergence_keeps_names_dims_and_handles_nan():
    x = _draws(4, 300, 1200, seed=7)  # more elements than one block
    x[2, 10, 5] = np.nan
    post = xr.Dataset(
        {
            "a": (("chain", "draw", "i", "j"), x.reshape(4, 300, 40, 30)),
            "b": (("chain", "draw"), x[:, :, 0]),
        },
        coords={"i": np.arange(40), "j": [f"j{k}" for k in range(30)]},
    )
    rhat, bulk, tail = convergence(post)
    assert rhat["a"].dims == ("i", "j") and list(rhat["a"].coords["j"].values[:2]) == ["j0", "j1"]
    assert rhat["b"].shape == ()
    flat = rhat["a"].values.ravel()
    assert np.isnan(flat[5]) and np.isnan(bulk["a"].values.ravel()[5])
    want_rhat, want_bulk, want_tail = _arviz(np.delete(x, 5, axis=2))
    np.testing.assert_allclose(np.delete(flat, 5), want_rhat, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(np.delete(bulk["a"].values.ravel(), 5), want_bulk, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(np.delete(tail["a"].values.ravel(), 5), want_tail, rtol=1e-10, equal_nan=True)
    assert float(rhat["b"]) == pytest.approx(want_rhat[0], rel=1e-10)


def test_average_ranks_match_scipy_with_ties():
    from scipy import stats

    from estimator.stats import _average_ranks

    x = np.random.default_rng(1).integers(0, 6, size=(5, 50)).astype(float)  # many ties
    x[2] = 3.0  # one value only
    np.testing.assert_array_equal(_average_ranks(x), stats.rankdata(x, axis=1, method="average"))


def test_bfmi_matches_arviz():

    from estimator.stats import bfmi

    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.standard_normal((3, 400)), axis=1)  # a chain that explores energy poorly
    energy = np.concatenate([rng.standard_normal((1, 400)) * 2.0, walk[:2]])
    got = bfmi(energy)
    np.testing.assert_allclose(got, compat.reference_bfmi(energy), rtol=1e-12)
    assert got[0] > 1.5 and (got[1:] < 0.3).all()  # independent draws ~2, a random walk near 0
