"""Adding an algorithm is its module, its YAML section and one registry line: a dummy learner,
registered with that one line, runs through the CLI at smoke scale."""

from __future__ import annotations

import pandas as pd

from replication import cli, registry
from replication.algorithms.iql import IndependentQ
from replication.registry import Algorithm

from conftest import SMOKE

DEFAULT = SMOKE.parent / "default.yaml"


class CountingQ(IndependentQ):
    """IL with a learning rate of 0: a learner that never changes its network, so its greedy policy
    stays the untrained one; counts its gradient steps to show it was the one that ran."""

    steps_taken = 0

    def __init__(self, n_agents, cfg, rng):
        super().__init__(n_agents, cfg, rng)
        for group in self.optimizer.param_groups:
            group["lr"] = 0.0

    def train(self, batch):
        CountingQ.steps_taken += 1
        return super().train(batch)


def test_a_registered_dummy_learner_runs_through_the_cli(monkeypatch, tmp_path):
    """One line (the registry entry) makes `--algo counting_q` a Gaussian Squeeze algorithm: the run
    writes its metrics, its config.yaml names it, and with lr = 0 its greedy performance is the same
    at every logged timestep (the untrained network's)."""
    line = Algorithm("counting_q", "Counting Q", 99, f"{__name__}:CountingQ")
    family = registry.GAUSSIAN_SQUEEZE
    monkeypatch.setattr(family, "algorithms", family.algorithms + (line,))
    assert "counting_q" in registry.algorithms_of("gaussian_squeeze")
    out = tmp_path / "run"
    code = cli.main(["run", "--task", "gaussian_squeeze", "--algo", "counting_q", "--seed", "0", "--config", str(DEFAULT),
                     "--config", str(SMOKE), "--out", str(out), "--no-progress"])
    assert code == 0
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["algo"]) == {"counting_q"}
    greedy = metrics[metrics["metric"] == "performance"]
    assert len(greedy) and greedy.groupby("n_agents")["value"].nunique().eq(1).all()
    assert CountingQ.steps_taken > 0
    assert "algo: counting_q" in (out / "config.yaml").read_text()


def test_unregistered_algorithm_is_refused_in_one_line(capsys, tmp_path):
    code = cli.main(["run", "--task", "gaussian_squeeze", "--algo", "counting_q", "--seed", "0", "--config", str(DEFAULT),
                     "--out", str(tmp_path)])
    assert code == 2
    assert "--algo: 'counting_q' is not an algorithm of task gaussian_squeeze" in capsys.readouterr().err
