"""Sampler settings checked before anything is built, every bad one named at once; and, after a
fit, whether its sample is large enough for the diagnostics to mean anything.

A setting no sampler can run with (``draws=0``, ``chains=0``, ``tune=-1``, ``cores=0``, which
hung) is a :class:`ModelError`. Too few draws or chains for the diagnostics (one chain has no
R-hat, a few dozen draws no stable ESS) is not an error, since a quick look at a small sample
is a fair thing to ask for; but such a fit is never clean: :func:`thin_sample` puts it in
``result.problems``, so a :class:`~estimator.errors.FitWarning` says so and the command line
prints "do not publish".
"""

from __future__ import annotations

import numbers

from .constants import CHAINS, DRAWS, MIN_CHAINS, MIN_DRAWS
from .errors import ModelError

__all__ = ["check_sampler_settings", "thin_sample"]


def check_sampler_settings(
    *, draws: object, tune: object, chains: object, cores: object = None, target_accept: object = 0.95
) -> None:
    """Raise one :class:`ModelError` naming every setting no sampler can run with.

    Parameters
    ----------
    draws, chains
        Whole numbers, at least 1.
    tune
        None (the default of :func:`estimator.fit.default_tune`) or a whole number, at least 0.
    cores
        None (as many as there are chains, up to the machine's) or a whole number, at least 1.
    target_accept
        Strictly between 0 and 1.

    Examples
    --------
    >>> check_sampler_settings(draws=0, tune=-1, chains=4)
    Traceback (most recent call last):
    ...
    estimator.errors.ModelError: 2 sampler settings cannot be used:
      - draws=0: give at least 1 draw per chain (the default is 1000; diagnostics need 100 or more).
      - tune=-1: give 0 or more tuning steps per chain, or leave it out for the default.
    """
    bad = []
    if not _whole(draws, 1):
        bad.append(
            f"draws={draws!r}: give at least 1 draw per chain "
            f"(the default is {DRAWS}; diagnostics need {MIN_DRAWS} or more)"
        )
    if tune is not None and not _whole(tune, 0):
        bad.append(f"tune={tune!r}: give 0 or more tuning steps per chain, or leave it out for the default")
    if not _whole(chains, 1):
        bad.append(
            f"chains={chains!r}: give at least 1 chain (the default is {CHAINS}; R-hat needs {MIN_CHAINS} or more)"
        )
    if cores is not None and not _whole(cores, 1):
        bad.append(f"cores={cores!r}: give at least 1 core, or leave it out to use one per chain")
    if isinstance(target_accept, bool) or not (
        isinstance(target_accept, numbers.Real) and 0 < float(target_accept) < 1
    ):
        bad.append(f"target_accept={target_accept!r}: give a number between 0 and 1, e.g. 0.95")
    if bad:
        n = len(bad)
        head = f"{n} sampler setting{'s' if n > 1 else ''} cannot be used:"
        raise ModelError("\n".join([head, *(f"  - {b}." for b in bad)]))


def _whole(x: object, least: int) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool) and int(x) >= least


def thin_sample(chains: int, draws: int) -> list[str]:
    """The fit's problems, in words, when its sample is too small for the diagnostics to mean
    anything (fewer than ``MIN_CHAINS`` chains or ``MIN_DRAWS`` draws per chain).

    Examples
    --------
    >>> thin_sample(1, 1000)[0][:60]
    'one chain: R-hat, which compares chains, cannot be computed,'
    """
    problems = []
    if chains < MIN_CHAINS:
        problems.append(
            f"{'one chain' if chains == 1 else f'{chains} chains'}: R-hat, which compares chains, cannot be "
            f"computed, so nothing shows whether the sampler converged; run chains={CHAINS} "
            f"(at least {MIN_CHAINS})."
        )
    if draws < MIN_DRAWS:
        problems.append(
            f"{draws} draw{'s' if draws != 1 else ''} per chain: too few for the diagnostics (ESS, R-hat) "
            f"or the intervals to mean anything; a preview at most, run draws={DRAWS} (at least {MIN_DRAWS})."
        )
    return problems
