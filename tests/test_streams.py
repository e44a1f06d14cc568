"""Random streams are tied to names, not to registry order: adding or reordering an algorithm or a
task never changes another one's results."""

import numpy as np
import pytest

from replication.config import SEMI_COOPERATIVE_TASKS
from replication.experiments import battle, gaussian_squeeze, semi_cooperative


@pytest.mark.parametrize("table, names", [
    (battle.STREAM_ID, battle.LEARNERS), (gaussian_squeeze.STREAM_ID, gaussian_squeeze.LEARNERS),
    (semi_cooperative.LEARNER_STREAM_ID, semi_cooperative.LEARNERS),
    (semi_cooperative.TASK_STREAM_ID, SEMI_COOPERATIVE_TASKS)])
def test_every_name_has_its_own_fixed_stream(table, names):
    """The ids are the positions the registries had when results were first committed (so those
    results stay byte-identical), one per name, none shared."""
    assert set(table) == set(names) and len(set(table.values())) == len(table)


def test_gaussian_squeeze_stream_survives_a_reordered_registry(monkeypatch):
    """MF-Q sits at index 4 of the registry. Reversed, index() would give it stream 1 (FMQ's) and
    change its run; with the fixed table the run is identical."""
    from tests.test_gaussian_squeeze import TINY
    before = gaussian_squeeze.run_population("mfq", 4, 0, TINY, progress=False)
    monkeypatch.setattr(gaussian_squeeze, "LEARNERS", dict(reversed(list(gaussian_squeeze.LEARNERS.items()))))
    after = gaussian_squeeze.run_population("mfq", 4, 0, TINY, progress=False)
    assert before.equals(after)


def test_semi_cooperative_stream_survives_reordered_registries(monkeypatch, smoke_cfg, tmp_path):
    """IDQN on the prisoner's dilemma (learner index 1, task index 0): reversing both registries moves
    neither stream."""
    before = semi_cooperative.train("prisoners_dilemma", "idqn", 0, smoke_cfg, tmp_path / "a", progress=False)
    monkeypatch.setattr(semi_cooperative, "LEARNERS", dict(reversed(list(semi_cooperative.LEARNERS.items()))))
    monkeypatch.setattr(semi_cooperative, "SEMI_COOPERATIVE_TASKS", tuple(reversed(SEMI_COOPERATIVE_TASKS)), raising=False)
    after = semi_cooperative.train("prisoners_dilemma", "idqn", 0, smoke_cfg, tmp_path / "b", progress=False)
    assert np.array_equal(before["value"].to_numpy(), after["value"].to_numpy(), equal_nan=True)
