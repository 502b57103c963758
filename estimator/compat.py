"""The one place that knows which ArviZ, PyMC and nutpie are installed.

The package runs on two stacks that pip resolves today (docs/compatibility.md):

- ArviZ 0.x, whose posterior is an ``arviz.InferenceData`` of xarray Datasets, with
  ``az.loo``, ``az.psislw`` and the netCDF reader ``az.from_netcdf``;
- ArviZ 1.x (arviz-base, arviz-stats), whose posterior is an ``xarray.DataTree``, with
  ``arviz_stats.loo`` and ``arviz_stats.base.array_stats.psislw``;

and nutpie before and after 0.16.9, which keys a compiled model's data by a key of its own
(``shared_var_keys``) instead of by the variable's name. Everything else in the package calls
the functions here, which ask what an object *is* or *has* (``isinstance``, ``hasattr``, a
dataclass's fields), never a version number.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

with warnings.catch_warnings():
    # ArviZ 0.x announces its 1.0 rewrite on import; nothing for a user of this package to act on.
    warnings.filterwarnings(
        "ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning
    )
    import arviz as az

#: True with ArviZ 1.x (its statistics in arviz-stats, its posterior an ``xarray.DataTree``);
#: False with ArviZ 0.x, which still has ``az.psislw`` and an ``InferenceData`` of Datasets.
DATATREE = not hasattr(az, "psislw")
#: The netCDF engine of saved results: h5netcdf (a dependency) reads and writes the groups of
#: both an InferenceData and a DataTree, with no C library beside the HDF5 in h5py's wheel.
NETCDF_ENGINE = "h5netcdf"

#: Either container of a posterior, for type hints.
Posterior = Any


# --- the posterior's groups ---------------------------------------------------------------------
def groups(idata: Posterior) -> set[str]:
    """Names of the groups of a posterior container (``{"posterior", "sample_stats", ...}``)."""
    if isinstance(idata, xr.DataTree):
        return set(idata.children)
    return set(idata.groups())


def group(idata: Posterior, name: str) -> xr.Dataset | None:
    """Group ``name`` as an xarray Dataset (None if absent)."""
    if name not in groups(idata):
        return None
    node = idata[name] if isinstance(idata, xr.DataTree) else getattr(idata, name)
    return node.to_dataset() if isinstance(node, xr.DataTree) else node


def posterior(idata: Posterior) -> xr.Dataset:
    """The ``posterior`` group as an xarray Dataset."""
    out = group(idata, "posterior")
    if out is None:
        raise KeyError("the fit has no posterior group")
    return out


def add_group(idata: Posterior, name: str, data: xr.Dataset) -> None:
    """Add (or replace) group ``name`` in place."""
    if isinstance(idata, xr.DataTree):
        idata[name] = xr.DataTree(data)
    elif name in idata.groups():
        setattr(idata, name, data)
    else:
        idata.add_groups({name: data})


def drop_group(idata: Posterior, name: str) -> None:
    """Remove group ``name`` in place, if present."""
    if name not in groups(idata):
        return
    if isinstance(idata, xr.DataTree):
        del idata[name]
    else:
        delattr(idata, name)


# --- saved posteriors -----------------------------------------------------------------------------
def write_netcdf(idata: Posterior, path: str | Path) -> None:
    """Write the posterior container to one netCDF file (groups as netCDF groups)."""
    idata.to_netcdf(str(path), engine=NETCDF_ENGINE)


def read_netcdf(path: str | Path) -> Posterior:
    """Read a file written by :func:`write_netcdf`, in this ArviZ's container, fully into memory
    (the file may be deleted afterwards). Either ArviZ reads what the other wrote: both are
    netCDF groups named after the posterior's groups."""
    if DATATREE:
        with xr.open_datatree(str(path), engine=NETCDF_ENGINE) as tree:
            return tree.load().copy()
    with az.rc_context({"data.load": "eager"}):
        return az.from_netcdf(str(path), engine=NETCDF_ENGINE)


# --- ArviZ's statistics ---------------------------------------------------------------------------
def psislw(log_ratios: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto-smoothed, normalised log weights (..., S) and Pareto k (...) of log ratios
    (..., S), as ArviZ computes them (Vehtari et al. 2024), with ArviZ's high-k warnings off.

    ArviZ 0.x takes the log ratios; arviz-stats takes their negative (the log-likelihood of a
    left-out point) and returns the same numbers (tested)."""
    r = np.array(log_ratios, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the callers report k instead
        if DATATREE:
            from arviz_stats.base import array_stats

            lw, k = array_stats.psislw(-r, r_eff=1.0, axis=-1)
        else:
            lw, k = az.psislw(r)
    return np.asarray(lw, dtype=float), np.asarray(k, dtype=float)


def loo_pointwise(idata: Posterior, var_name: str) -> tuple[np.ndarray, np.ndarray]:
    """PSIS-LOO of the log-likelihood ``var_name``: the pointwise expected log predictive density
    left out and the Pareto k of each observation, as flat arrays."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high-k warnings: the callers report k
        if DATATREE:
            import arviz_stats

            loo = arviz_stats.loo(idata, pointwise=True, var_name=var_name)
            return np.asarray(loo.elpd_i).ravel(), np.asarray(loo.pareto_k).ravel()
        loo = az.loo(idata, pointwise=True, var_name=var_name)
        return np.asarray(loo.loo_i.values).ravel(), np.asarray(loo.pareto_k.values).ravel()


def reference_diagnostics(x: np.ndarray) -> tuple[float, float, float]:
    """ArviZ's own R-hat, bulk ESS and tail ESS of one (chain, draw) array: what
    :func:`estimator.stats.convergence` is tested against."""
    x = np.asarray(x, dtype=float)
    if DATATREE:
        from arviz_stats.base import array_stats

        return (
            float(array_stats.rhat(x, chain_axis=0, draw_axis=1)),
            float(array_stats.ess(x, method="bulk", chain_axis=0, draw_axis=1)),
            float(array_stats.ess(x, method="tail", prob=(0.05, 0.95), chain_axis=0, draw_axis=1)),
        )
    return float(az.rhat(x)), float(az.ess(x, method="bulk")), float(az.ess(x, method="tail"))


def reference_bfmi(energy: np.ndarray) -> np.ndarray:
    """ArviZ's E-BFMI of each chain of an energy array (chain, draw)."""
    energy = np.asarray(energy, dtype=float)
    if DATATREE:
        from arviz_stats.base import array_stats

        return np.asarray(array_stats.bfmi(energy, chain_axis=0, draw_axis=1))
    return np.asarray(az.bfmi(energy))


# --- nutpie's compiled model -----------------------------------------------------------------------
def nutpie_data_names(compiled: Any) -> set[str]:
    """Names of the model data a nutpie compiled model reads (what ``with_data`` takes)."""
    keys = getattr(compiled, "shared_var_keys", None)
    if keys is not None:  # nutpie >= 0.16.9: data kept under keys of its own
        return {var.name for var in keys}
    return set(compiled.shared_data)


def nutpie_data(compiled: Any, name: str) -> np.ndarray:
    """The value of model data ``name`` in a nutpie compiled model."""
    keys = getattr(compiled, "shared_var_keys", None)
    if keys is not None:
        (key,) = [k for var, k in keys.items() if var.name == name]
        return compiled.shared_data[key]
    return compiled.shared_data[name]


def _nutpie_model_field_names() -> set[str]:
    from nutpie.compile_pymc import CompiledPyMCModel

    return {f.name for f in dataclasses.fields(CompiledPyMCModel)}


def nutpie_model_fields(**fields: Any) -> dict[str, Any]:
    """The fields of nutpie's ``CompiledPyMCModel`` among ``fields``, plus those this nutpie
    needs and older ones lack: ``shared_var_keys`` (the variable of each data array, by its
    name, which is the key here) and ``reparameterized_names``."""
    names = _nutpie_model_field_names()
    shared_vars: Mapping[str, Any] = fields.pop("shared_vars")
    reparameterized = fields.pop("reparameterized_names")
    if "shared_var_keys" in names:
        fields["shared_var_keys"] = {var: name for name, var in shared_vars.items()}
    if "reparameterized_names" in names:
        fields["reparameterized_names"] = reparameterized
    return fields


def nutpie_user_data(shared_vars: Mapping[str, Any], shared_data: Mapping[str, np.ndarray]) -> np.ndarray:
    """nutpie's data record for data arrays kept under their variables' names."""
    from nutpie import compile_pymc as cp

    if "shared_var_keys" in _nutpie_model_field_names():
        return cp.make_user_data({var: name for name, var in shared_vars.items()}, shared_data)
    return cp.make_user_data(shared_vars, shared_data)


def nutpie_dims_and_coords(model: Any, shape_info: Any, reparameterized: list[str]) -> tuple[Any, Any]:
    """nutpie's dims and coords of the trace (newer nutpie also names the transformed values)."""
    from nutpie import compile_pymc as cp

    if len(inspect.signature(cp._prepare_dims_and_coords).parameters) > 2:
        return cp._prepare_dims_and_coords(model, shape_info, reparameterized)
    return cp._prepare_dims_and_coords(model, shape_info)


def nutpie_sample_options() -> dict[str, Any]:
    """nutpie's diagonal-plus-low-rank mass matrix, by the argument this nutpie takes."""
    import nutpie

    if "adaptation" in inspect.signature(nutpie.sample).parameters:
        return {"adaptation": "low_rank"}
    return {"low_rank_modified_mass_matrix": True}
