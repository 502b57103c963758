"""Shipped structural priors, each with where its numbers come from."""

from __future__ import annotations

from .model.spec import Link

#: Wounded per killed: the conventional planning ratio for modern land war is about 3 wounded per
#: soldier killed (historical analyses of 20th-century wars, e.g. Dupuy's "Attrition", put it
#: between 2 and 4; better battlefield medicine pushes it higher, artillery-heavy war lower).
#: A 90% range of 1.5 to 6 keeps all of that. Captured and missing are usually a fraction of
#: the killed in a war of positions: 5% to 100% (90% range) says little beyond that.
CASUALTY_LINKS: tuple[Link, ...] = (
    Link(
        "wounded",
        base="killed",
        ratio=(1.5, 6.0),
        note="about 3 wounded per killed, 90% range 1.5 to 6 (historical ratio)",
    ),
    Link(
        "captured",
        base="killed",
        ratio=(0.05, 1.0),
        note="captured are a fraction of the killed, 90% range 0.05 to 1",
    ),
    Link(
        "missing",
        base="killed",
        ratio=(0.05, 1.0),
        note="missing are a fraction of the killed, 90% range 0.05 to 1",
    ),
)
