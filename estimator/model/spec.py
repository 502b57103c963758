"""From validated reports and sources to the index arrays the PyMC graph is built on.

Nothing here touches PyMC: a ``ModelSpec`` is plain NumPy, so it can be inspected, tested and
turned into model data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import (
    KNOT_DAYS,
    NEARLY_GAP,
    NOISE_MEDIAN,
    STANCE_BIAS,
    STANCES,
)
from ..errors import ModelError
from ..reports import CleanReport, Source
from ..stats import lognormal_from_range, rounding_sd


@dataclass(frozen=True)
class Link:
    """A structural prior: ``category = ratio x base`` for a party (or every party).

    Parameters
    ----------
    category
        The linked leaf, e.g. ``"wounded"``.
    base
        The leaf it is a multiple of, e.g. ``"killed"``.
    ratio
        90% prior range of category / base, e.g. ``(1.5, 6.0)``.
    party
        Only this party; None applies it to every party that has both leaves.
    note
        Where the numbers come from (printed in reports).

    Examples
    --------
    >>> Link("wounded", base="killed", ratio=(1.5, 6.0)).ratio
    (1.5, 6.0)
    """

    category: str
    base: str
    ratio: tuple[float, float]
    party: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        lo, hi = self.ratio
        if not 0 < lo < hi:
            raise ModelError(
                f"Link {self.category}/{self.base}: ratio {self.ratio} must be (low, high) with 0 < low < high."
            )


@dataclass
class ModelSpec:
    """Everything the PyMC graph needs, as arrays. One entry per report unless said."""

    parties: list[str]
    leaves: list[tuple[str, str]]  # (party, category) of each leaf quantity
    free: np.ndarray  # index of the free leaf behind each leaf (itself if free)
    link_index: np.ndarray  # index into links for linked leaves, -1 for free ones
    links: list[Link]
    prior_mu: np.ndarray  # per leaf: prior centre of log N (static) or log daily rate (temporal)
    temporal: bool
    start: dt.date | None
    as_of: dt.date | None
    n_knots: int
    knot_days: int
    membership: np.ndarray  # (n_reports, n_leaves) 0/1
    t_end: np.ndarray  # day offset of each report's date
    t_begin: np.ndarray  # day offset of its window start (0 = since the start)
    kind: np.ndarray
    y: np.ndarray  # log of the figure (geometric middle for ranges), count for small counts
    x: np.ndarray  # the figure itself
    width: np.ndarray  # log(high / low) for ranges, 0 otherwise
    extra_sd: np.ndarray  # rounding sd for approx
    small: np.ndarray  # bool: goes through the count likelihood
    bias_index: np.ndarray  # into bias_rows (-1 for documented)
    cover_index: np.ndarray  # into cover_rows (-1 unless documented)
    noise_index: np.ndarray  # into source_names
    source_names: list[str]
    noise_median: np.ndarray  # per source
    bias_rows: list[tuple[str, str]]  # (source, stance)
    bias_mode: np.ndarray  # per row: 0 pooled by stance, 1 own prior, 2 reference
    bias_stance: np.ndarray  # per row: index into STANCES
    bias_mu: np.ndarray  # per row: own-prior centre (mode 1)
    bias_sd: np.ndarray  # per row: own-prior sd (mode 1)
    stance_prior: dict[str, dict[str, float]]
    cover_rows: list[str]
    report_stance: list[str]
    undeclared: list[str] = field(default_factory=list)
    clean: list[CleanReport] = field(default_factory=list)
    #: per report: 1 counts it, 0 leaves it out of the likelihood (a refit without a source
    #: keeps the model's shape, so it reuses the compiled model); None: all ones.
    weight: np.ndarray | None = None

    def weights(self) -> np.ndarray:
        """The weight of each report (ones unless set)."""
        return np.ones(len(self.kind)) if self.weight is None else np.asarray(self.weight, dtype=float)

    def without(self, drop: np.ndarray) -> ModelSpec:
        """This spec with the reports where ``drop`` is true left out of the likelihood.

        The shape of the model stays the same (so a compiled model is reused); the truth prior
        is centred on the reports that remain, as a spec built from them alone would be.
        """
        drop = np.asarray(drop, dtype=bool)
        keep = ~drop
        kept = [c for c, k in zip(self.clean, keep, strict=True) if k]
        prior_mu = (
            _prior_centres(
                kept,
                self.membership[keep],
                self.t_end[keep],
                self.temporal,
                self.link_index,
                self.free,
                self.links,
            )
            if kept
            else self.prior_mu
        )
        return replace(self, weight=self.weights() * keep, prior_mu=prior_mu)

    @property
    def n_leaves(self) -> int:
        return len(self.leaves)

    @property
    def free_leaves(self) -> np.ndarray:
        return np.flatnonzero(self.link_index < 0)


def stance_of(source: Source | None, party: str) -> str:
    """``own`` / ``adversary`` / ``neutral`` of a source reporting on a party."""
    if source is None or source.affiliation is None:
        return "neutral"
    return "own" if source.affiliation == party else "adversary"


def stance_priors(overrides: Mapping[str, object] | None) -> dict[str, dict[str, float]]:
    """Default stance priors with the user's overrides applied and checked."""
    from ..reports import _did_you_mean

    priors = {k: dict(v) for k, v in STANCE_BIAS.items()}
    for stance, value in (overrides or {}).items():
        if stance not in priors:
            raise ModelError(
                f"stance_bias: unknown stance {stance!r}; use one of {', '.join(STANCES)}{_did_you_mean(stance, STANCES)}."
            )
        if isinstance(value, tuple | list) and len(value) == 2:
            lo, hi = float(value[0]), float(value[1])
            if not 0 < lo < hi:
                raise ModelError(
                    f"stance_bias[{stance!r}] = {value!r}: give a 90% range (low, high) of the factor reported/true, 0 < low < high."
                )
            mu, sd = lognormal_from_range(lo, hi)
            # The range is what a typical source of the stance does; split its width between
            # the stance mean and the spread of sources around it, as the defaults do.
            fixed = stance == "neutral"
            priors[stance] = {
                "mu": mu,
                "mu_sd": 0.0 if fixed else sd * 0.6,
                "spread": sd * (1.0 if fixed else 0.8),
            }
        elif isinstance(value, Mapping):
            for key in value:
                if key not in ("mu", "mu_sd", "spread"):
                    raise ModelError(
                        f"stance_bias[{stance!r}]: unknown key {key!r}{_did_you_mean(str(key), ('mu', 'mu_sd', 'spread'))}; keys are mu, mu_sd, spread (log scale)."
                    )
            priors[stance].update({k: float(v) for k, v in value.items()})
        else:
            raise ModelError(
                f"stance_bias[{stance!r}] = {value!r}: give a (low, high) range of the factor reported/true."
            )
    return priors


def build_spec(
    clean: Sequence[CleanReport],
    sources: Sequence[Source],
    *,
    links: Sequence[Link] = (),
    temporal: bool,
    start: dt.date | None,
    as_of: dt.date | None,
    knot_days: int = KNOT_DAYS,
    stance_bias: Mapping[str, object] | None = None,
) -> ModelSpec:
    """Index arrays for the model; see :class:`ModelSpec`."""
    by_name = {s.name: s for s in sources}
    if len(by_name) != len(sources):
        dup = sorted({s.name for s in sources if sum(t.name == s.name for t in sources) > 1})
        raise ModelError(f"sources listed twice: {dup}. Give each source once.")
    parties = sorted({c.report.party for c in clean})
    leaves = sorted({(c.report.party, leaf) for c in clean for leaf in c.leaves})
    leaf_pos = {q: i for i, q in enumerate(leaves)}
    n, nl = len(clean), len(leaves)

    # Structural links: the linked leaf is ratio x its base, base must be free.
    link_index = np.full(nl, -1)
    free = np.arange(nl)
    used_links: list[Link] = []
    for li, link in enumerate(links):
        for p in parties:
            if link.party not in (None, p):
                continue
            a, b = (p, link.category), (p, link.base)
            if a in leaf_pos and b in leaf_pos:
                if link_index[leaf_pos[a]] >= 0:
                    raise ModelError(f"two links define {p} {link.category}; keep one.")
                link_index[leaf_pos[a]] = li
                free[leaf_pos[a]] = leaf_pos[b]
        used_links.append(link)
    for i in np.flatnonzero(link_index >= 0):
        if link_index[free[i]] >= 0:
            raise ModelError(
                f"link base {leaves[free[i]]} is itself linked; link both to the same free category."
            )

    membership = np.zeros((n, nl))
    for r, c in enumerate(clean):
        for leaf in c.leaves:
            membership[r, leaf_pos[(c.report.party, leaf)]] = 1.0

    # Dates and knots.
    t_end = np.zeros(n)
    t_begin = np.zeros(n)
    n_knots = 1
    if temporal:
        assert start is not None and as_of is not None
        for r, c in enumerate(clean):
            assert c.date is not None
            t_end[r] = max((c.date - start).days, 0.5)  # a figure on day 0 counts half a day
            t_begin[r] = (c.since - start).days if c.since is not None else 0.0
        horizon = max(float(t_end.max()), (as_of - start).days, 1.0)
        n_knots = max(1, math.ceil(horizon / knot_days))

    kind = np.array([c.kind for c in clean], dtype=object)
    x = np.array([c.value for c in clean], dtype=float)
    small = np.array([c.small for c in clean], dtype=bool)
    y = np.where(small, x, np.log(np.maximum(x, 1e-300)))
    width = np.array([math.log(c.high / c.low) if c.kind == "range" else 0.0 for c in clean])
    extra_sd = np.array([rounding_sd(c.value) if c.kind == "approx" else 0.0 for c in clean])

    # Sources, stances, bias rows.
    source_names = sorted({c.report.source for c in clean})
    undeclared = [s for s in source_names if s not in by_name]
    noise_median = np.array(
        [by_name[s].noise if s in by_name and by_name[s].noise else NOISE_MEDIAN for s in source_names]
    )
    src_pos = {s: i for i, s in enumerate(source_names)}
    stance = [stance_of(by_name.get(c.report.source), c.report.party) for c in clean]
    bias_rows: list[tuple[str, str]] = []
    cover_rows: list[str] = []
    bias_index = np.full(n, -1)
    cover_index = np.full(n, -1)
    for r, c in enumerate(clean):
        if c.kind == "documented":
            if c.report.source not in cover_rows:
                cover_rows.append(c.report.source)
            cover_index[r] = cover_rows.index(c.report.source)
        else:
            row = (c.report.source, stance[r])
            if row not in bias_rows:
                bias_rows.append(row)
            bias_index[r] = bias_rows.index(row)
    priors = stance_priors(stance_bias)
    mode = np.zeros(len(bias_rows), dtype=int)
    b_mu = np.zeros(len(bias_rows))
    b_sd = np.ones(len(bias_rows))
    for j, (s, _g) in enumerate(bias_rows):
        src = by_name.get(s)
        if src is not None and src.reference:
            mode[j] = 2
        elif src is not None and src.bias is not None:
            mode[j] = 1
            b_mu[j], b_sd[j] = lognormal_from_range(*src.bias)
    b_stance = np.array([STANCES.index(g) for _, g in bias_rows], dtype=int)

    prior_mu = _prior_centres(clean, membership, t_end, temporal, link_index, free, used_links)
    return ModelSpec(
        parties=parties,
        leaves=leaves,
        free=free,
        link_index=link_index,
        links=used_links,
        prior_mu=prior_mu,
        temporal=temporal,
        start=start,
        as_of=as_of,
        n_knots=n_knots,
        knot_days=knot_days,
        membership=membership,
        t_end=t_end,
        t_begin=t_begin,
        kind=kind,
        y=y,
        x=x,
        width=width,
        extra_sd=extra_sd,
        small=small,
        bias_index=bias_index,
        cover_index=cover_index,
        noise_index=np.array([src_pos[c.report.source] for c in clean]),
        source_names=source_names,
        noise_median=noise_median,
        bias_rows=bias_rows,
        bias_mode=mode,
        bias_stance=b_stance,
        bias_mu=b_mu,
        bias_sd=b_sd,
        stance_prior=priors,
        cover_rows=cover_rows,
        report_stance=stance,
        undeclared=undeclared,
        clean=list(clean),
    )


def _prior_centres(
    clean: Sequence[CleanReport],
    membership: np.ndarray,
    t_end: np.ndarray,
    temporal: bool,
    link_index: np.ndarray,
    free: np.ndarray,
    links: Sequence[Link],
) -> np.ndarray:
    """Centre of each leaf's prior on the data's scale: the median of what reports imply.

    A report about k leaves suggests figure / k for each (linked leaves are converted to their
    base through the link's median ratio); in temporal mode, divided by the days it covers.
    Leaves no report touches take the median of all the others.
    """
    nl = membership.shape[1]
    ratio = np.ones(nl)
    for i in np.flatnonzero(link_index >= 0):
        lo, hi = links[link_index[i]].ratio
        ratio[i] = math.sqrt(lo * hi)
    guesses: list[list[float]] = [[] for _ in range(nl)]
    for r, c in enumerate(clean):
        v = max(c.value, 1.0)
        if c.kind in ("nearly", "over"):
            v *= 1 - NEARLY_GAP / 2 if c.kind == "nearly" else 1 + NEARLY_GAP / 2
        members = np.flatnonzero(membership[r])
        # Split v over the free leaves behind the report's leaves, weighted by link ratios.
        total = ratio[members].sum()
        for q in members:
            g = math.log(v / total)
            if temporal:
                g -= math.log(max(t_end[r], 1.0))
            guesses[free[q]].append(g)
    flat = [g for gs in guesses for g in gs]
    fallback = float(np.median(flat)) if flat else 0.0
    return np.array([float(np.median(g)) if g else fallback for g in guesses])
