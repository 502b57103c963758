"""nutpie's compiled model, with its two C callbacks kept in PyTensor's Numba disk cache.

nutpie compiles a model with PyTensor's Numba backend, then wraps the log density and the
trace's expansion in two ``numba.cfunc`` callbacks that read the model's data from a record.
Numba cannot cache those callbacks on disk, so every process typed and compiled them again:
29-45 s of the NATO example's 40 s, on every run (docs/performance.md).

:func:`compile_nutpie` builds the same ``CompiledPyMCModel`` (nutpie's functions, its data
record, its ``with_data``) with callbacks generated here: they read the same record as a flat
array of integers and call PyTensor's compiled function. They are registered with PyTensor's
Numba cache under a key of what that function computes (:func:`graph_key`) and of their own
source, so a new process with a model of the same structure loads them from disk (NATO: 5-7 s
instead of 30-40 s).

That only works where every operation in the function can be cached. The NegativeBinomial
likelihood's gradient needs ``digamma``, which PyTensor calls through a SciPy function pointer
and so never caches: :func:`register_numba_ops` gives it a Numba implementation with a key.

Same seed, same draws, in every process:

- The key is exact: graphs that add the same terms in another order get other keys.
- The model fixes the length of its data arrays (``build.py``) so that PyTensor builds the same
  graph in every process; it used to build one of two at random.
- Compiled without Numba's fast-math, which let LLVM reorder and fuse floating-point
  operations: the code compiled in the process that filled the cache then differed in the last
  bits from the code a new process loads, and so did the draws. It costs 2-5% per gradient
  and 14% over a fit of 10,000 reports (docs/performance.md).

Any failure here (another nutpie or PyTensor version whose internals differ) falls back to
``nutpie.compile_pymc_model``, which samples the same model, only compiling it every time.
"""

from __future__ import annotations

import functools
import math
import warnings
from hashlib import sha256
from typing import Any

import numpy as np

from .. import compat
from ..errors import CacheWarning
from . import disk_cache, numba_cache

#: Bump when the generated callbacks or the digamma below change: part of their cache keys.
CACHE_VERSION = "3"

_REGISTERED = False

#: Cephes' coefficients of digamma's asymptotic series in 1/x^2, highest power first.
_PSI_SERIES = (
    8.33333333333333333333e-2,
    -2.10927960927960927961e-2,
    7.57575757575757575758e-3,
    -4.16666666666666666667e-3,
    3.96825396825396825397e-3,
    -8.33333333333333333333e-3,
    8.33333333333333333333e-2,
)


def digamma(x: float) -> float:
    """The digamma function, as in Cephes ``psi``: reflection below zero, the recurrence up to
    10, then the asymptotic series. Agrees with ``scipy.special.digamma`` to about 1e-15
    (tested)."""
    if math.isnan(x) or x == -math.inf:
        return math.nan
    if x == math.inf:
        return math.inf
    out = 0.0
    if x <= 0.0:
        if x == math.floor(x):
            return math.nan if x < 0.0 else -math.inf
        out = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        out -= 1.0 / x
        x += 1.0
    z = 1.0 / (x * x)
    poly = 0.0
    for c in _PSI_SERIES:
        poly = poly * z + c
    return out + math.log(x) - 0.5 / x - z * poly


def register_numba_ops() -> None:
    """Give PyTensor's ``Psi`` (digamma) a Numba implementation with a cache key. Idempotent."""
    global _REGISTERED
    if _REGISTERED:
        return
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.scalar.math import Psi

    compiled = numba_basic.numba_njit(digamma)
    key = sha256(f"estimator digamma {CACHE_VERSION}".encode()).hexdigest()

    @numba_basic.register_funcify_and_cache_key(Psi)
    def _numba_psi(op, node, **kwargs):
        return compiled, key

    _REGISTERED = True


@functools.cache
def _voidptr():
    """A Numba intrinsic: an integer address as a ``void *`` (made once, when first needed)."""
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def voidptr(typingctx, address):
        """The integer ``address`` as a ``void *``."""

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return types.voidptr(address), codegen

    return voidptr


def _body_source(name: str, names: list[str], record: dict[str, Any]) -> str:
    """A function ``name(x, user_data_)`` that calls PyTensor's ``inner`` on the point ``x`` and
    the arrays of ``names``, read from the data record nutpie passes its callbacks.

    The record (``nutpie.compile_pymc.make_user_data``) is 8-byte integers: each variable's
    address, then each one's size, then each one's shape. It is read here as one int64 array.
    This is a plain Numba function, not part of the callback: inside the callback's
    ``try`` block every call splits the code into more blocks, and Numba's SSA pass is quadratic
    in them (131 s for the NATO model's 40 arrays).
    """
    order = list(record)
    shape_at, at = {}, 2 * len(order)
    for key in order:
        shape_at[key] = at
        at += record[key].ndim
    lines = [f"def {name}(x, user_data_):", f"    u = numba.carray(voidptr(user_data_), ({at},), np.int64)"]
    for i, key in enumerate(names):
        dims = ", ".join(f"u[{shape_at[key] + d}]" for d in range(record[key].ndim))
        shape = f"({dims},)" if record[key].ndim == 1 else f"({dims})"
        lines.append(f"    s{i} = numba.carray(voidptr(u[{order.index(key)}]), {shape}, dtype_{i})")
    args = ", ".join(["x", *(f"s{i}" for i in range(len(names)))])
    lines += [f"    return inner({args})", ""]
    return "\n".join(lines)


_LOGP_SOURCE = """
def estimator_nutpie_logp(dim, x_, out_, logp_, user_data_):
    if dim != N_DIM:
        return -1
    try:
        x = numba.carray(x_, (N_DIM,))
        out = numba.carray(out_, (N_DIM,))
        logp = numba.carray(logp_, ())
        logp_val, grad = body(x, user_data_)
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""

_EXPAND_SOURCE = """
def estimator_nutpie_expand(dim, expanded, x_, out_, user_data_):
    if dim != N_DIM:
        return -1
    if expanded != N_EXPANDED:
        return -1
    try:
        x = numba.carray(x_, (N_DIM,))
        out = numba.carray(out_, (N_EXPANDED,))
        (values,) = body(x, user_data_)
        out[...] = values
    except Exception:
        return -2
    return 0
"""


def _cached_cfunc(source: str, name: str, signature, inner, inner_key: str | None, names, record, sizes):
    """``numba.cfunc`` of ``source`` (nutpie's callback, same return codes), calling ``inner``
    through :func:`_body_source`; both in PyTensor's Numba disk cache when ``inner`` is."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    # __name__: Numba rebuilds a cached function's environment by importing its module.
    env = {"__name__": __name__, "numba": numba, "np": np, "voidptr": _voidptr(), **sizes}
    body_env = {**env, "inner": inner}
    body_env.update({f"dtype_{i}": np.dtype(record[n].dtype).type for i, n in enumerate(names)})
    body_src = _body_source(f"{name}_body", names, record)
    sized = "\n".join(f"{k} = {v}" for k, v in sorted(sizes.items()))
    key = body_key = None
    if inner_key is not None:
        dtypes = [(n, record[n].dtype.str, record[n].ndim) for n in names]
        body_key = sha256(
            f"{inner_key}\n{body_src}\n{dtypes}\nestimator {CACHE_VERSION}".encode()
        ).hexdigest()
        key = sha256(f"{body_key}\n{sized}\n{source}".encode()).hexdigest()
    body = compile_numba_function_src(body_src, f"{name}_body", body_env, cache_key=body_key)
    py_func = compile_numba_function_src(
        source, name, {**env, "body": numba.njit(body, cache=body_key is not None)}, cache_key=key
    )
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Cannot cache compiled function", category=numba.NumbaWarning
        )
        return numba.cfunc(signature, cache=key is not None)(py_func)


def _jit_key(function) -> tuple[Any, str | None]:
    """PyTensor's Numba function behind ``function`` and a key for what it computes (None: it
    cannot be cached).

    PyTensor's own key for the function is not used: it depends on the order in which the
    nodes are listed, which can change between processes without changing what is computed.
    :func:`graph_key` names each variable by what computes it instead.
    """
    fgraph = function.maker.fgraph
    return function.vm.jit_fn, graph_key(fgraph)


def graph_key(fgraph) -> str | None:
    """A hash of what ``fgraph`` computes that does not depend on the order of its nodes.

    Each variable is named by the hash of its node's operation (PyTensor's cache key for it,
    or, for a fused elementwise operation, this key of its inner graph), of its inputs' names
    in order and of its type; constants by their value; inputs by position. None if some
    operation has no cache key.

    Inputs keep their order even for a commutative operation: a sum of three terms in another
    order can differ in the last bit, and code loaded from disk must give the numbers the
    process's own graph gives (same seed, same draws).
    """
    from pytensor import config
    from pytensor.graph.basic import Constant
    from pytensor.link.numba.dispatch.basic import cache_key_for_constant, numba_funcify_and_cache_key
    from pytensor.scalar.basic import Composite

    def digest(*parts: Any) -> str:
        return sha256(repr(parts).encode()).hexdigest()

    names: dict[Any, str] = {inp: digest("input", i, str(inp.type)) for i, inp in enumerate(fgraph.inputs)}

    def name(var) -> str:
        if var not in names:
            if not isinstance(var, Constant):
                raise KeyError(var)
            names[var] = digest("constant", str(var.type), cache_key_for_constant(var.data))
        return names[var]

    for node in fgraph.toposort():
        op = node.op
        if isinstance(op, Composite):
            op_key = graph_key(op.fgraph)
        elif isinstance(getattr(op, "scalar_op", None), Composite):  # a fused Elemwise
            op_key = graph_key(op.scalar_op.fgraph)
            if op_key is not None:
                op_key = digest(type(op).__qualname__, sorted(op.inplace_pattern.items()), op_key)
        else:
            _, op_key = numba_funcify_and_cache_key(op, node=node)
        if op_key is None:
            return None
        ins = tuple(name(i) for i in node.inputs)
        for j, out in enumerate(node.outputs):
            names[out] = digest(op_key, ins, j, str(out.type))
    # PyTensor's keys for its operations leave out fast-math, which changes their code.
    fastmath = bool(config.numba__fastmath)
    return digest("fgraph", tuple(name(o) for o in fgraph.outputs), fastmath, CACHE_VERSION)


def compile_nutpie(model, *, structure: Any = None, **kwargs):
    """``nutpie.compile_pymc_model(model, **kwargs)`` with callbacks cached across processes.

    ``structure``: anything whose ``repr`` names the model's structure (what the graph bakes
    in; the fit's key of compiled models). With it, the rewritten PyTensor functions are kept
    on disk too (:func:`_functions`), and a new process skips building and rewriting them.

    Falls back to nutpie's own compile if its internals are not the ones this was written
    against (see the module's docstring).
    """
    import nutpie
    from pytensor import config

    register_numba_ops()
    # Without fast-math: with it, LLVM may reorder and fuse floating-point operations
    # differently when it compiles the callbacks in this process than it did in the code kept
    # on disk, and the same seed gave other draws in the process that compiled the model.
    with config.change_flags(numba__fastmath=False), warnings.catch_warnings():
        # Numba's hints on the code PyTensor generates (np.dot on a non-contiguous slice): the
        # same code either way, nothing a user can change; as errors they stopped the compile.
        warnings.filterwarnings("ignore", category=_numba_performance_warning())
        try:
            return _compile(model, structure=structure, **kwargs)
        except Exception as err:  # noqa: BLE001
            failure = err
        # A damaged file in Numba's cache (a truncated one) fails every process's compile until
        # it is gone: delete what Numba cannot read, and compile (and keep) it again once.
        if numba_cache.repair():
            try:
                return _compile(model, structure=structure, **kwargs)
            except Exception as err:  # noqa: BLE001
                failure = err
        _say_not_cached(failure)
        return nutpie.compile_pymc_model(model, **kwargs)


def _numba_performance_warning() -> type[Warning]:
    from numba.core.errors import NumbaPerformanceWarning

    return NumbaPerformanceWarning


#: Whether this process has said that nutpie's compile could not be cached (said once).
_SAID_NOT_CACHED = False


def _say_not_cached(err: Exception) -> None:
    """Warn once per process that nutpie's own compile is used instead of the cached one."""
    global _SAID_NOT_CACHED
    if _SAID_NOT_CACHED:
        return
    _SAID_NOT_CACHED = True
    warnings.warn(
        "nutpie's compiled model cannot be kept on disk with this nutpie "
        f"({type(err).__name__}: {err}); estimator uses nutpie's own compile instead. The "
        "numbers are the same, but each new process compiles the model again (about 45 s). "
        "Installing the nutpie version in docs/compatibility.md restores the cache.",
        CacheWarning,
        stacklevel=3,
    )


def _compile(model, *, structure=None, jitter_rvs=None, var_names=None):
    import numba
    from nutpie import compile_pymc as cp
    from pymc.initial_point import make_initial_point_fn

    if jitter_rvs is None:
        jitter_rvs = set(model.free_RVs)
    point_fn = cp._wrap_with_lock(
        make_initial_point_fn(
            model=model, default_strategy="support_point", jitter_rvs=jitter_rvs, return_transformed=True
        )
    )
    n_dim, n_expanded, logp_pt, expand_pt, initial_point_fn, shape_info, reparameterized = _functions(
        model, point_fn, structure=structure, var_names=var_names
    )
    shared_data, shared_vars = {}, {}
    for var in [*logp_pt.get_shared(), *expand_pt.get_shared()]:
        if var.name in shared_vars and shared_vars[var.name] is not var:
            raise ValueError(f"Shared variables must have unique names: {var.name}")
        shared_data[var.name] = np.array(var.get_value(), order="C", copy=True)
        shared_vars[var.name] = var
    for value in shared_data.values():
        value.flags.writeable = False
    user_data = compat.nutpie_user_data(shared_vars, shared_data)
    words = 2 * len(shared_data) + sum(v.ndim for v in shared_data.values())
    if user_data.dtype.itemsize != 8 * words:  # not the record the callbacks read
        raise TypeError(f"nutpie's data record has {user_data.dtype.itemsize} bytes, expected {8 * words}")

    logp_names = [v.name for v in logp_pt.get_shared()]
    expand_names = [v.name for v in expand_pt.get_shared()]
    logp_fn, logp_key = _jit_key(logp_pt)
    expand_fn, expand_key = _jit_key(expand_pt)
    f64 = numba.types.CPointer(numba.types.double)
    sizes = {"N_DIM": int(n_dim), "N_EXPANDED": int(n_expanded)}
    logp_c = _cached_cfunc(
        _LOGP_SOURCE,
        "estimator_nutpie_logp",
        numba.types.int64(numba.types.uint64, f64, f64, f64, numba.types.voidptr),
        logp_fn,
        logp_key,
        logp_names,
        shared_data,
        sizes,
    )
    expand_c = _cached_cfunc(
        _EXPAND_SOURCE,
        "estimator_nutpie_expand",
        numba.types.int64(numba.types.uint64, numba.types.uint64, f64, f64, numba.types.voidptr),
        expand_fn,
        expand_key,
        expand_names,
        shared_data,
        sizes,
    )
    dims, coords = compat.nutpie_dims_and_coords(model, shape_info, reparameterized)
    return cp.CompiledPyMCModel(
        **compat.nutpie_model_fields(
            _n_dim=n_dim,
            dims=dims,
            _coords=coords,
            _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
            compiled_logp_func=logp_c,
            compiled_expand_func=expand_c,
            initial_point_func=initial_point_fn,
            shared_data=shared_data,
            shared_vars=shared_vars,
            reparameterized_names=reparameterized,
            user_data=user_data,
            n_expanded=n_expanded,
            shape_info=shape_info,
            logp_func=logp_pt,
            expand_func=expand_pt,
        )
    )


def _functions(model, point_fn, *, structure=None, var_names=None):
    """nutpie's ``_make_functions`` for ``model`` (log density with gradient, the trace's
    expansion, the initial point, the trace's layout), with the two PyTensor functions kept on
    disk (:mod:`.disk_cache`, under the name "nutpie") when ``structure`` is given.

    Building the log density's graph, its gradient and PyTensor's rewrites of them takes most
    of a compile once the callbacks are cached (NATO: 4-5 s of 5-6 s); loading them takes
    about 0.5 s, most of it linking them to the compiled code in Numba's disk cache.
    """
    from nutpie import compile_pymc as cp

    def build() -> dict:
        # nutpie 0.16.9 and later also return the names of the transformed values.
        n_dim, n_expanded, logp_pt, expand_pt, _, shape_info, *rest = cp._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=point_fn,
            var_names=var_names,
        )
        return {
            "n_dim": n_dim,
            "n_expanded": n_expanded,
            "logp": logp_pt,
            "expand": expand_pt,
            "shape_info": shape_info,
            "reparameterized": rest[0] if rest else [],
        }

    if structure is not None:
        structure = (structure, None if var_names is None else sorted(var_names), CACHE_VERSION)
    entry = disk_cache.load_or_build(structure, "nutpie", model, build)
    # The initial point as nutpie's _make_functions wraps it (the wrapper does not pickle): the
    # free variables' values, flat, in the model's order.
    names = [model.rvs_to_values[v].name for v in model.free_RVs]
    shape_of = dict(zip(entry["shape_info"][0], entry["shape_info"][2], strict=True))
    initial = cp._rv_dict_to_flat_array_wrapper(point_fn, names=names, shapes=[shape_of[n] for n in names])
    return (
        entry["n_dim"],
        entry["n_expanded"],
        entry["logp"],
        entry["expand"],
        initial,
        entry["shape_info"],
        entry.get("reparameterized", []),
    )
