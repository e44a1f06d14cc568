"""Seeds of a paper-B learner trained together in one process (replication/experiments/seed_group.py)."""

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SMOKE

from replication.algorithms.semi_cooperative.dqn import DQN
from replication.config import load_config
from replication.experiments import seed_group
from replication.experiments import semi_cooperative as sc
from replication.replay import JointStepReplay

DEFAULT = SMOKE.parent / "default.yaml"


class _Settings:
    gamma, parameter_sharing = 0.9, False


def _batch(seed: int, agents: int = 3, batch: int = 4, features: int = 5) -> tuple:
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.normal(size=(batch, agents, features)), dtype=torch.float32)
    next_x = torch.as_tensor(rng.normal(size=(batch, agents, features)), dtype=torch.float32)
    action = torch.as_tensor(rng.integers(0, 2, (batch, agents)))
    reward = torch.as_tensor(rng.normal(size=(batch, agents)), dtype=torch.float32)
    terminal = torch.as_tensor(rng.integers(0, 2, (batch, agents)), dtype=torch.float32)
    active = torch.ones(batch, agents)
    return x, action, reward, next_x, terminal, active


@pytest.mark.parametrize("view_shape", [None, (3, 3, 1)])
def test_a_seed_in_a_group_takes_the_gradient_step_it_takes_alone(view_shape):
    """Two seeds' DQN units (3 agents each; the MLP, and the convolutional network of pursuit with a
    3×3×1 view), stacked into one unit of 6 agents. One TD step of the group on the two seeds'
    batches side by side moves each seed's weights exactly as its own step alone does (the summed
    loss gives each slice its own gradient; Adam is elementwise), and the group's per-agent losses
    add up to each seed's loss alone."""
    features = 5 if view_shape is None else 9 + 2
    alone, states = [], []
    for seed in (0, 1):
        torch.manual_seed(seed)
        unit = DQN(3, features, 2, _Settings(), 1e-2, hidden=4, view_shape=view_shape)
        states.append({k: v.clone() for k, v in unit.online.state_dict().items()})
        alone.append(unit)
    group = DQN(6, features, 2, _Settings(), 1e-2, hidden=4, view_shape=view_shape)
    group.online.load_state_dict(seed_group.stack_states(states))
    group.target.load_state_dict(seed_group.stack_states([u.target.state_dict() for u in alone]))
    batches = [_batch(seed, features=features) for seed in (0, 1)]
    losses = [unit.td_step(*batch) for unit, batch in zip(alone, batches)]
    group.td_step(*(torch.cat(parts, dim=1) for parts in zip(*batches)))
    for k, part in enumerate(seed_group.split_states(group.online.state_dict(), 2)):
        for name, tensor in part.items():
            assert torch.allclose(tensor, alone[k].online.state_dict()[name], atol=1e-6), name
            assert not torch.equal(tensor, states[k][name]), name  # it did move
    assert group.agent_loss.reshape(2, 3).sum(dim=1).tolist() == pytest.approx(losses, rel=1e-6)


def test_seed_streams_split_each_request_by_seed():
    """A request of 6 values from two seeds' streams: 3 from seed 0's stream, then 3 from seed 1's,
    the draws each stream gives alone."""
    streams = seed_group.SeedStreams([np.random.default_rng(0), np.random.default_rng(1)])
    assert np.array_equal(
        streams.random(6), np.concatenate([np.random.default_rng(0).random(3), np.random.default_rng(1).random(3)])
    )
    with pytest.raises(ValueError, match="does not split over 2 seeds"):
        streams.integers(0, 4, 5)


def test_grouped_replay_keeps_each_seed_rows_and_draws():
    """Two seeds of 2 agents: joint steps t = 0…9 carry reward 10·k + t for seed k's agents. Each
    seed's FIFO holds only its own rows, and a batch is seed 0's draw (rows from its own stream)
    beside seed 1's (from its own): the rewards of the first two agents are t ∈ 0…9, of the last two
    10 + t, at the rows each stream draws alone."""
    fields = {"reward": ((2,), np.float32)}
    rngs = [np.random.default_rng(5), np.random.default_rng(6)]
    replay = seed_group.GroupedReplay([JointStepReplay(20, fields), JointStepReplay(20, fields)], rngs)
    for t in range(10):
        replay.add({"reward": np.array([t, t, 10 + t, 10 + t], dtype=np.float32)})
    assert replay.size == 10
    batch = replay.sample(4)["reward"]
    rows = [np.random.default_rng(5).integers(0, 10, 4), np.random.default_rng(6).integers(0, 10, 4)]
    assert np.array_equal(batch[:, 0], rows[0]) and np.array_equal(batch[:, 1], rows[0])
    assert np.array_equal(batch[:, 2], 10 + rows[1]) and np.array_equal(batch[:, 3], 10 + rows[1])


def test_joined_steps_see_no_other_seed():
    """Seed 0 (2 agents observing each other) and seed 1 (2 agents, agent 0 sees agent 1): the
    joined peer matrix is block-diagonal, [[0,1,0,0],[1,0,0,0],[0,0,0,1],[0,0,0,0]]; per-agent arrays
    sit side by side; a missing state stays missing."""
    steps = [
        {"peers": np.array([[0, 1], [1, 0]], bool), "reward": np.array([1.0, 2.0]), "state": None},
        {"peers": np.array([[0, 1], [0, 0]], bool), "reward": np.array([3.0, 4.0]), "state": None},
    ]
    joined = seed_group.join_steps(steps)
    assert joined["peers"].astype(int).tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert joined["reward"].tolist() == [1.0, 2.0, 3.0, 4.0] and joined["state"] is None


@pytest.mark.parametrize(
    "task, algo, shared",
    [
        ("pursuit", "idqn", False),
        ("prisoners_dilemma", "ped_dqn", False),
        ("resource_sharing", "reward_sharing", False),
        ("pursuit", "random", False),
        ("resource_sharing", "qmix", False),
        ("pursuit", "idqn", True),
    ],
)
def test_grouped_training_gives_each_seed_its_run_alone(task, algo, shared):
    """Seeds 0 and 1 trained together at smoke scale (pursuit 200 steps with the convolutional
    network; the prisoner's dilemma with PED-DQN's peer evaluation; resource sharing with shared
    rewards; the null model; QMIX, each seed's agents mixed by its own mixer over its own state;
    one shared network per seed) log what each logs alone, evaluation by evaluation: every metric
    equal to the last bit but the loss, whose per-seed sum is added up in another order (relative 1e-5)."""
    cfg = load_config([DEFAULT, SMOKE])
    cfg = dataclasses.replace(
        cfg,
        **{task: dataclasses.replace(getattr(cfg, task), steps=200, eval_every=100)},
        semi_cooperative=dataclasses.replace(cfg.semi_cooperative, parameter_sharing=shared),
    )
    with tempfile.TemporaryDirectory() as out:
        grouped = sc.train_seeds(task, algo, [0, 1], cfg, [Path(out, "0"), Path(out, "1")], progress=False)
    for seed, group_metrics in zip((0, 1), grouped):
        with tempfile.TemporaryDirectory() as out:
            alone = sc.train(task, algo, seed, cfg, Path(out), progress=False)
        both = alone.merge(group_metrics, on=["step", "metric"], suffixes=("_alone", "_group"), validate="1:1")
        assert len(both) == len(alone) == len(group_metrics) > 0
        exact = both[both["metric"] != "loss"]
        assert exact["value_alone"].equals(exact["value_group"]), exact[exact["value_alone"] != exact["value_group"]]
        loss = both[both["metric"] == "loss"]
        np.testing.assert_allclose(loss["value_group"], loss["value_alone"], rtol=1e-5)


def test_seed_models_are_each_seeds_networks():
    """A group of two built from seeds 0 and 1 splits back into each seed's first networks, those its
    run alone starts from."""
    cfg = load_config([DEFAULT, SMOKE])
    run = sc.GroupRun("resource_sharing", "ped_dqn", [0, 1], cfg)
    models = run.seed_networks()
    for seed, model in zip((0, 1), models):
        torch.manual_seed(seed)
        env = sc.make_task("resource_sharing", cfg.resource_sharing, np.random.default_rng(0))
        learner = sc.make_learner("ped_dqn", env, cfg.semi_cooperative, cfg.resource_sharing, np.random.default_rng(0))
        for name, network in learner.networks().items():
            for key, tensor in network.state_dict().items():
                assert torch.equal(model[name][key], tensor), (seed, name, key)


def test_a_grouped_job_resumes_and_refuses_another_groups_checkpoint(tmp_path):
    """Seeds 0 and 1 of PED-DQN on the prisoner's dilemma in one job: run again on the same folders it
    resumes from the group's checkpoint (in seed 0's folder) to the same finished metrics; the same
    folder for a group of other seeds is refused, naming the difference."""
    from replication.checkpoints import CheckpointError

    cfg = load_config([DEFAULT, SMOKE])
    outs = [tmp_path / "seed0", tmp_path / "seed1"]
    first = sc.train_seeds("prisoners_dilemma", "ped_dqn", [0, 1], cfg, outs, progress=False)
    assert (outs[0] / sc.CHECKPOINT).exists() and all((out / sc.FINAL_MODEL).exists() for out in outs)
    again = sc.train_seeds("prisoners_dilemma", "ped_dqn", [0, 1], cfg, outs, progress=False)
    assert all(a.equals(b) for a, b in zip(first, again))
    with pytest.raises(CheckpointError, match=r"made for seeds \[0, 1\], not \[0, 2\]"):
        sc.train_seeds("prisoners_dilemma", "ped_dqn", [0, 2], cfg, [outs[0], tmp_path / "seed2"], progress=False)


def _cli(*args, cwd):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "replication", "run", *args, "--config", str(DEFAULT), "--config", str(SMOKE), "--no-progress"],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_the_cli_runs_several_seeds_in_one_job_and_rejects_bad_requests(tmp_path):
    """`run --seed 0 1 --out …/seed{seed}` writes each seed's metrics.csv, config.yaml (its own seed)
    and provenance.json; several seeds outside battle and paper B, an --out without {seed} and a repeated seed
    are each one line before any work."""
    import yaml

    proc = _cli(
        "--task", "prisoners_dilemma", "--algo", "idqn", "--seed", "0", "1", "--out", str(tmp_path / "seed{seed}"), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    for seed in (0, 1):
        folder = tmp_path / f"seed{seed}"
        assert {"metrics.csv", "config.yaml", "provenance.json"} <= {p.name for p in folder.iterdir()}
        assert yaml.safe_load((folder / "config.yaml").read_text())["seed"] == seed
    for args, message in (
        (
            ("--task", "ising", "--algo", "mfq", "--seed", "0", "1", "--out", "x{seed}"),
            "--seed: several seeds in one job are for battle and paper B's tasks",
        ),
        (
            ("--task", "pursuit", "--algo", "idqn", "--seed", "0", "1", "--out", "x"),
            "--out: with several seeds it must hold {seed}",
        ),
        (("--task", "pursuit", "--algo", "idqn", "--seed", "0", "0", "--out", "x{seed}"), "--seed: duplicate seeds in [0, 0]"),
    ):
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_the_progress_bar_shows_the_seeds_mean_evaluation_welfare(monkeypatch, tmp_path):
    """The bar's `welfare` is the mean over the group's seeds of the evaluation's social welfare (it
    showed the last logged metric, ε, before): with two seeds, the mean of their two logged values."""
    shown = []

    class Bar:
        def __init__(self, iterable, **kwargs):
            self.iterable = iterable

        def __iter__(self):
            return iter(self.iterable)

        def set_postfix(self, **values):
            shown.append(values["welfare"])

    monkeypatch.setattr(sc, "tqdm", Bar)
    cfg = load_config([DEFAULT, SMOKE])
    metrics = sc.train_seeds("prisoners_dilemma", "idqn", [0, 1], cfg, [tmp_path / "0", tmp_path / "1"])
    welfare = [m.loc[m["metric"] == "social_welfare", "value"].to_numpy() for m in metrics]
    assert shown == [f"{(a + b) / 2:.1f}" for a, b in zip(*welfare)]
