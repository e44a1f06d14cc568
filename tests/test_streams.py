"""Random streams are tied to names, not to registry order: adding or reordering an algorithm or a
task never changes another one's results."""

import dataclasses

import numpy as np
import pytest

from replication import registry
from replication.experiments import gaussian_squeeze, semi_cooperative


@pytest.mark.parametrize("family", list(registry.FAMILIES.values()), ids=list(registry.FAMILIES))
def test_every_name_has_its_own_fixed_stream(family):
    """The ids are the positions the registries had when results were first committed (so those
    results stay byte-identical), one per name, none shared."""
    ids = [a.stream_id for a in family.algorithms]
    assert len(set(ids)) == len(ids)
    assert set(registry.TASK_STREAM_ID) == set(registry.SEMI_COOPERATIVE_TASKS)
    assert len(set(registry.TASK_STREAM_ID.values())) == len(registry.TASK_STREAM_ID)


def _reversed(family):
    return dataclasses.replace(family, algorithms=tuple(reversed(family.algorithms)))


def test_gaussian_squeeze_stream_survives_a_reordered_registry(monkeypatch):
    """MF-Q sits at index 4 of the registry's seven. Reversed, its index would be 2 (Rec-FMQ's) and a
    stream taken from the position would change its run; with the fixed id the run is identical."""
    from tests.test_gaussian_squeeze import TINY

    before = gaussian_squeeze.run_population("mfq", 4, 0, TINY, progress=False)
    monkeypatch.setattr(gaussian_squeeze, "GAUSSIAN_SQUEEZE", _reversed(registry.GAUSSIAN_SQUEEZE))
    assert gaussian_squeeze.GAUSSIAN_SQUEEZE.names().index("mfq") == 2
    after = gaussian_squeeze.run_population("mfq", 4, 0, TINY, progress=False)
    assert before.equals(after)


def test_semi_cooperative_stream_survives_reordered_registries(monkeypatch, smoke_cfg, tmp_path):
    """IDQN on the prisoner's dilemma (learner index 1, task index 0): reversing both registries moves
    neither stream."""
    before = semi_cooperative.train("prisoners_dilemma", "idqn", 0, smoke_cfg, tmp_path / "a", progress=False)
    monkeypatch.setattr(semi_cooperative, "SEMI_COOPERATIVE", _reversed(registry.SEMI_COOPERATIVE))
    monkeypatch.setattr(registry, "SEMI_COOPERATIVE_TASKS", tuple(reversed(registry.SEMI_COOPERATIVE_TASKS)))
    after = semi_cooperative.train("prisoners_dilemma", "idqn", 0, smoke_cfg, tmp_path / "b", progress=False)
    assert np.array_equal(before["value"].to_numpy(), after["value"].to_numpy(), equal_nan=True)
