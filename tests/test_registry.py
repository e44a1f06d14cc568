"""Adding an algorithm is its module, its YAML section and one registry line: a dummy learner with
settings of its own, registered with that one line, runs through the CLI at smoke scale."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest
from conftest import SMOKE

from replication import cli, registry
from replication.algorithms.iql import IndependentQ
from replication.config import algorithm_config, load_config
from replication.registry import Algorithm
from replication.settings import non_negative

DEFAULT = SMOKE.parent / "default.yaml"


@dataclass(frozen=True)
class CountingQSettings:
    """Config `gaussian_squeeze.counting_q`."""

    learning_rate_scale: float = non_negative(1.0)  # × q_learning_rate


class CountingQ(IndependentQ):
    """IL whose learning rate is scaled by its own setting; counts its gradient steps to show it
    was the one that ran. At scale 0 it never changes its network: its greedy policy stays the
    untrained one."""

    steps_taken = 0

    def __init__(self, n_agents, cfg, rng):
        super().__init__(n_agents, cfg, rng)
        for group in self.optimizer.param_groups:
            group["lr"] *= cfg.learning_rate_scale

    def train(self, batch):
        CountingQ.steps_taken += 1
        return super().train(batch)


LINE = Algorithm("counting_q", "Counting Q", 99, f"{__name__}:CountingQ", settings=f"{__name__}:CountingQSettings")


def _run(monkeypatch, tmp_path, section: str):
    monkeypatch.setattr(registry.GAUSSIAN_SQUEEZE, "algorithms", registry.GAUSSIAN_SQUEEZE.algorithms + (LINE,))
    own = tmp_path / "counting_q.yaml"
    own.write_text(section)
    out = tmp_path / "run"
    code = cli.main(
        [
            "run",
            "--task",
            "gaussian_squeeze",
            "--algo",
            "counting_q",
            "--seed",
            "0",
            "--config",
            str(DEFAULT),
            "--config",
            str(SMOKE),
            "--config",
            str(own),
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    return code, out


def test_a_registered_dummy_learner_runs_through_the_cli(monkeypatch, tmp_path):
    """One line (the registry entry) makes `--algo counting_q` a Gaussian Squeeze algorithm and
    `gaussian_squeeze.counting_q` its YAML section: the run writes its metrics, its config.yaml
    holds its own settings, and with learning_rate_scale = 0 its greedy performance is the same at
    every logged timestep (the untrained network's)."""
    code, out = _run(monkeypatch, tmp_path, "gaussian_squeeze: {counting_q: {learning_rate_scale: 0.0}}\n")
    assert code == 0
    assert "counting_q" in registry.algorithms_of("gaussian_squeeze")
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["algo"]) == {"counting_q"}
    greedy = metrics[metrics["metric"] == "performance"]
    assert len(greedy) and greedy.groupby("n_agents")["value"].nunique().eq(1).all()
    assert CountingQ.steps_taken > 0
    saved = (out / "config.yaml").read_text()
    assert "algo: counting_q" in saved and "counting_q:\n    learning_rate_scale: 0.0" in saved
    assert "boltzmann_temperature" not in saved  # MF-Q's own section is not this run's


def test_a_bad_value_in_the_new_section_is_one_line(monkeypatch, tmp_path, capsys):
    code, out = _run(monkeypatch, tmp_path, "gaussian_squeeze: {counting_q: {learning_rate_scale: -1}}\n")
    assert code == 2 and not out.exists()
    assert (
        capsys.readouterr().err.strip()
        == "error: gaussian_squeeze.counting_q.learning_rate_scale: must be non-negative, got -1.0"
    )


def test_unregistered_algorithm_is_refused_in_one_line(capsys, tmp_path):
    code = cli.main(
        [
            "run",
            "--task",
            "gaussian_squeeze",
            "--algo",
            "counting_q",
            "--seed",
            "0",
            "--config",
            str(DEFAULT),
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "--algo: 'counting_q' is not an algorithm of task gaussian_squeeze" in capsys.readouterr().err


@dataclass(frozen=True)
class RepeatedGammaSettings:
    gamma: float = non_negative(0.5)  # also a Gaussian Squeeze setting every learner shares


def test_a_setting_in_two_places_is_refused(monkeypatch):
    """A setting lives in one place: own settings that repeat one of the family's shared settings
    (`gamma`) would leave it unclear which one the learner reads, so building its config fails and
    names the setting."""
    line = Algorithm("gamma_q", "Gamma Q", 98, f"{__name__}:CountingQ", settings=f"{__name__}:RepeatedGammaSettings")
    monkeypatch.setattr(registry.GAUSSIAN_SQUEEZE, "algorithms", registry.GAUSSIAN_SQUEEZE.algorithms + (line,))
    cfg = load_config([DEFAULT, SMOKE])
    with pytest.raises(TypeError, match=r"RepeatedGammaSettings repeats \['gamma'\] of GaussianSqueezeConfig"):
        algorithm_config(cfg.gaussian_squeeze, "gamma_q")


def test_the_pursuit_bench_times_the_learners_not_the_null_model(tmp_path):
    """The null model (uniform random) takes no gradient step, so a gradient floor for it would be
    noise: the bench has a training, a floor and a greedy evaluation row per learner of paper B and
    none for it; `algos` narrows it to the learners named."""
    from replication import bench

    frame = bench.bench_semi_cooperative("pursuit", tmp_path / "pursuit.csv", episodes=1)
    learners = set(registry.SEMI_COOPERATIVE.names()) - {"random"}
    for measure in ("training_steps_per_second", "gradient_floor_steps_per_second", "evaluation_steps_per_second"):
        assert set(frame.loc[frame["measure"] == measure, "algo"]) == learners
    only = bench.bench_semi_cooperative("resource_sharing", tmp_path / "rs.csv", episodes=1, algos=["idqn"])
    assert set(only["algo"]) == {"-", "idqn"} and (only["device"] == "cpu").all()
