"""Paired evaluations (replication/evidence.py): a paper-B run, its networks untrained and the null
model on the same episodes, read by the learning-evidence rule (analysis/learning.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replication import evidence
from replication.analysis import learning
from replication.config import load_config
from replication.run import run

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, SMOKE = ROOT / "workflow/config/default.yaml", ROOT / "workflow/config/smoke.yaml"


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """Resource sharing at 100 steps, below learning_starts (set to 200): no gradient step is taken,
    so each trained network is its untrained network. IDQN and PED-DQN, seed 0, 3 evaluation episodes."""
    folder = tmp_path_factory.mktemp("evidence")
    overlay = folder / "short.yaml"
    overlay.write_text(
        "resource_sharing:\n  steps: 100\n  eval_every: 50\n  eval_episodes: 3\n  checkpoint_every: 100\n"
        "  epsilon_decay_steps: 50\n  peer_warmup_steps: 10\n  target_update_every: 50\n"
        "semi_cooperative:\n  learning_starts: 200\n"
    )
    cfg = load_config([DEFAULT, SMOKE, overlay])
    for algo in ("idqn", "ped_dqn"):
        run("resource_sharing", algo, 0, cfg, folder / algo / "seed0", progress=False)
    return folder, cfg, overlay


def test_an_untrained_run_has_not_learned_and_every_policy_meets_the_same_episodes(short):
    """No gradient step: trained and untrained return the same welfare on each of the 3 episodes
    (differences 0, interval [0, 0]): not learned. The null model's episodes are the same task copies
    for every run of seed 0 (seeded (0, 9, k)), so its rows are identical for the IDQN and the
    PED-DQN run. Episode k of the untrained policy is a fresh untrained learner's greedy episode on
    the task seeded (0, 9, k), played by hand here."""
    folder, cfg, _ = short
    tables = {
        algo: evidence.write_evidence("resource_sharing", algo, 0, cfg, folder / algo / "seed0") for algo in ("idqn", "ped_dqn")
    }
    wide = tables["idqn"].pivot(index="episode", columns="policy", values="value")
    assert list(wide.index) == [0, 1, 2]
    assert (wide["trained"] == wide["untrained"]).all()
    seed = learning.read_evidence(folder / "idqn" / "seed0" / "evidence.csv")
    assert seed.versus_untrained == learning.Interval(0.0, 0.0, 0.0) and not seed.learned
    nulls = [t[t["policy"] == "null_model"].reset_index(drop=True) for t in tables.values()]
    pd.testing.assert_frame_equal(nulls[0], nulls[1])
    from replication.experiments.semi_cooperative import GroupRun, make_task

    schedule = cfg.resource_sharing.for_algo("idqn")
    for k in range(3):
        env = make_task("resource_sharing", schedule, np.random.default_rng([0, evidence.EVIDENCE_STREAM, k]))
        welfare, _ = evidence.play_greedy(GroupRun("resource_sharing", "idqn", [0], cfg).learner, env)
        assert welfare == wide.loc[k, "untrained"]


def test_the_greedy_action_distribution_sums_to_one_per_policy(short):
    """actions.csv: every policy's shares over the task's 3 actions sum to 1."""
    folder, cfg, _ = short
    evidence.write_evidence("resource_sharing", "idqn", 0, cfg, folder / "idqn" / "seed0")
    actions = pd.read_csv(folder / "idqn" / "seed0" / "actions.csv", keep_default_na=False)
    assert set(actions["policy"]) == {"trained", "untrained", "null_model"}
    assert actions.groupby("policy")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    assert sorted(set(actions["action"])) == [0, 1, 2]


def test_the_evidence_command_refuses_the_null_model_and_a_missing_model(short, tmp_path):
    """One-line errors, exit 2: the null model named as the learner; a run folder without model.pt."""
    _, _, overlay = short
    base = [
        sys.executable,
        "-m",
        "replication",
        "evidence",
        "--task",
        "resource_sharing",
        "--seed",
        "0",
        "--config",
        str(DEFAULT),
        "--config",
        str(SMOKE),
        "--config",
        str(overlay),
    ]
    proc = subprocess.run(base + ["--algo", "random", "--run", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "null model itself" in proc.stderr
    proc = subprocess.run(base + ["--algo", "idqn", "--run", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "no trained model" in proc.stderr


def test_the_trained_policy_is_the_runs_saved_networks(tmp_path):
    """A run that takes gradient steps (smoke's learning_starts 32 of 100 steps): the trained policy's
    networks equal model.pt's tensors and differ from the untrained policy's."""
    import torch

    from replication import checkpoints

    overlay = tmp_path / "short.yaml"
    overlay.write_text("resource_sharing:\n  steps: 100\n  eval_every: 50\n  eval_episodes: 2\n  checkpoint_every: 100\n")
    cfg = load_config([DEFAULT, SMOKE, overlay])
    run("resource_sharing", "idqn", 0, cfg, tmp_path / "seed0", progress=False)
    policies = evidence.run_policies("resource_sharing", "idqn", 0, cfg, tmp_path / "seed0")
    saved = checkpoints.read(tmp_path / "seed0" / "model.pt")["main"]
    for name, network in policies["trained"].networks().items():
        for key, tensor in network.state_dict().items():
            assert torch.equal(tensor, saved[name][key]), (name, key)
    trained = policies["trained"].networks()
    untrained = policies["untrained"].networks()
    assert any(
        not torch.equal(t, untrained[name].state_dict()[key])
        for name, network in trained.items()
        for key, t in network.state_dict().items()
    )


def _scripted(folder, name, rows):
    """A hand-made scripted evaluation file: (algo, seed, team, round, team total reward) rows."""
    (folder / "runs" / "battle").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [
            {"row_algo": a, "row_seed": s, "col_algo": t, "col_seed": -1, "round": k, "row_total_reward": r}
            for a, s, t, k, r in rows
        ]
    ).to_csv(folder / "runs" / "battle" / name, index=False)


def test_battle_evidence_pairs_each_models_rounds_by_hand(tmp_path):
    """One IL model (seed 0), two rounds against each scripted team. Trained team rewards 10, 12
    (random) and 8, 9 (stationary attacker); untrained 1, 2, 0, 1; null 0, 0, 1, 1. Episodes in
    (team, round) order: random 0, random 1, stationary_attacker 0, 1; evidence.csv holds each
    policy's four values in that order. A round missing from one evaluation is a one-line error."""
    import dataclasses

    from replication.config import ConfigError

    cfg = load_config([DEFAULT, SMOKE])
    cfg = dataclasses.replace(cfg, battle=dataclasses.replace(cfg.battle, algorithms=["il"], seeds=[0]))
    values = {"scripted.csv": [10, 12, 8, 9], "scripted_untrained.csv": [1, 2, 0, 1], "scripted_null.csv": [0, 0, 1, 1]}
    keys = [("random", 0), ("random", 1), ("stationary_attacker", 0), ("stationary_attacker", 1)]
    for name, rewards in values.items():  # written shuffled: the pairing is by (team, round), not by row order
        _scripted(tmp_path, name, [("il", 0, t, k, r) for (t, k), r in reversed(list(zip(keys, rewards)))])
    evidence.battle_evidence(tmp_path, cfg)
    table = pd.read_csv(tmp_path / "runs/battle/il/seed0/evidence.csv", keep_default_na=False)
    wide = table.pivot(index="episode", columns="policy", values="value")
    assert wide["trained"].tolist() == [10, 12, 8, 9] and wide["untrained"].tolist() == [1, 2, 0, 1]
    assert wide["null_model"].tolist() == [0, 0, 1, 1]
    assert learning.read_evidence(tmp_path / "runs/battle/il/seed0/evidence.csv").learned
    _scripted(tmp_path, "scripted_null.csv", [("il", 0, t, k, r) for (t, k), r in zip(keys[:3], [0, 0, 1])])
    with pytest.raises(ConfigError, match="did not play the same rounds"):
        evidence.battle_evidence(tmp_path, cfg)


def test_the_null_model_plays_the_scripted_evaluations_maps(tmp_path, monkeypatch):
    """`scripted --null` and `scripted --untrained` over the same configured keys draw the same map
    seeds in the same order (recorded from the engine's set_seed), and play the same rounds: same
    keys, teams, round numbers, groups and sides."""
    import dataclasses

    from replication import tournament
    from replication.tasks import battle as battle_task

    cfg = load_config([DEFAULT, SMOKE])
    cfg = dataclasses.replace(cfg, battle=dataclasses.replace(cfg.battle, algorithms=["il"], seeds=[0, 1]))
    seeds = []
    original = battle_task.Battle.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        set_seed = self.env.set_seed
        self.env.set_seed = lambda value: (seeds.append(value), set_seed(value))[1]

    monkeypatch.setattr(battle_task.Battle, "__init__", recording_init)
    frames = {}
    for flag in ("untrained", "null"):
        seeds.append(flag)
        path = tournament.run_scripted_evaluation(tmp_path, cfg, progress=False, **{flag: True})
        frames[flag] = pd.read_csv(path)
    split = seeds.index("null")
    assert seeds[1:split] == seeds[split + 1 :] and len(seeds[1:split]) == 2 * 2 * cfg.battle.scripted_rounds
    columns = ["row_algo", "row_seed", "col_algo", "round", "row_group", "row_side"]
    pd.testing.assert_frame_equal(frames["untrained"][columns], frames["null"][columns])
