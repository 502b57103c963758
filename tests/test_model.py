"""The graph is vectorised: its size does not grow with the number of reports."""

import datetime as dt

try:  # PyTensor moved graph walks to a module of their own
    from pytensor.graph.traversal import applys_between, graph_inputs
except ImportError:  # pragma: no cover - older PyTensor
    from pytensor.graph.basic import applys_between, graph_inputs

import estimator as est
from estimator.fit import DEFAULT_AGGREGATES
from estimator.model.build import build_model
from estimator.model.spec import build_spec
from estimator.reports import validate


def graph_size(n_reports, temporal):
    sim = est.simulate(n_reports=n_reports, temporal=temporal, random_seed=1)
    clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    start = sim.start or None
    as_of = sim.as_of or None
    spec = build_spec(clean, sim.sources, temporal=temporal, start=start, as_of=as_of)
    model = build_model(spec).model
    logp = model.logp()
    return len(model.free_RVs), len(list(applys_between(graph_inputs([logp]), [logp])))


def test_graph_does_not_grow_with_reports():
    # Every kind appears in both data sets, so the same terms exist.
    for temporal in (False, True):
        small = graph_size(90, temporal)
        large = graph_size(900, temporal)
        assert small == large, (temporal, small, large)


def test_spec_indexes_each_report_once():
    sim = est.simulate(n_reports=30, temporal=True, random_seed=2)
    clean = validate(sim.reports, aggregates=DEFAULT_AGGREGATES)
    spec = build_spec(clean, sim.sources, temporal=True, start=sim.start, as_of=sim.as_of)
    assert spec.membership.shape == (30, len(spec.leaves))
    assert (spec.membership.sum(axis=1) >= 1).all()
    assert spec.n_knots == 53 and spec.start == dt.date(2022, 1, 1)
    built = build_model(spec)
    assert sorted(built.order) == list(range(30))
