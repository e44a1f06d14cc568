"""Paper B: peer evaluations by hand, the tasks' rules on drawn examples, and a smoke run of every
algorithm on every task."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from replication.algorithms.peer_evaluation import peer_evaluation, peer_mean, reshaped_reward, shared_reward
from replication.algorithms.semi_cooperative.ped_dqn import PeerEvaluationDualDQN
from replication.checkpoints import CheckpointError
from replication.config import algorithm_config
from replication.experiments import semi_cooperative as experiments
from replication.registry import SEMI_COOPERATIVE
from replication.tasks.prisoners_dilemma import PrisonersDilemma
from replication.tasks.resource_sharing import ASK, GIVE, NONE, ResourceSharing


def test_peer_evaluation_is_the_td_error_by_hand():
    # z = r + γ(1 − terminal)·Q(o', π(o')) − Q(o, u): agent 0: 1 + 0.9·3 − 2 = 1.7; agent 1 (terminal): 0 − 1 = −1
    z = peer_evaluation(np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([3.0, 4.0]), np.array([0.0, 1.0]), 0.9)
    assert np.allclose(z, [1.7, -1.0])


def test_reshaped_reward_with_and_without_peers_in_view():
    reward, z = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, -1.0, 4.0], np.float32)
    peers = np.array(
        [
            [0, 1, 1],  # agent 0 sees 1 and 2: Z = (−1 + 4)/2 = 1.5
            [0, 0, 0],  # agent 1 sees nobody: Z = 0
            [1, 0, 0],
        ],
        bool,
    )  # agent 2 sees 0: Z = 0.5
    assert np.allclose(peer_mean(z, peers), [1.5, 0.0, 0.5])
    assert np.allclose(reshaped_reward(reward, z, peers, beta=2.0), [1 + 3.0, 2.0, 3 + 1.0])
    assert np.allclose(shared_reward(reward, peers, beta=1.0), [1 + 2.5, 2.0, 3 + 1.0])


def _constant_q(network, values):
    """Make a per-agent network output the given Q-values (agents × actions) whatever it reads."""
    with torch.no_grad():
        for layer in network.layers:
            layer.weight.zero_()
        network.layers[-1].bias.copy_(torch.tensor(values, dtype=torch.float32)[:, None, :])


@pytest.mark.parametrize(
    "bootstrap, expected_z",
    [("policy", [5 + 0.99 * 1 - 2, 0 + 0.99 * 0.5 - 0.5]), ("max", [5 + 0.99 * 2 - 2, 0 + 0.99 * 3 - 0.5])],
)
def test_ped_dqn_stores_the_reshaped_reward_of_a_hand_example(smoke_cfg, bootstrap, expected_z):
    cfg = dataclasses.replace(
        algorithm_config(smoke_cfg.semi_cooperative, "ped_dqn"), peer_bootstrap=bootstrap, beta=1.0, gamma=0.99
    )
    schedule = dataclasses.replace(smoke_cfg.prisoners_dilemma, peer_warmup_steps=10)
    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = PeerEvaluationDualDQN(env, cfg, schedule, np.random.default_rng(0))
    _constant_q(learner.mission.online, [[1.0, 2.0], [0.5, 3.0]])  # mission Q of agents 0 and 1
    _constant_q(learner.q.online, [[1.0, 0.0], [1.0, 0.0]])  # the action networks' policy: cooperate
    obs = env.observe()
    step = {
        "obs": obs,
        "next_obs": obs,
        "action": np.array([1, 0]),
        "reward": np.array([5.0, 0.0], np.float32),
        "terminal": np.zeros(2, np.float32),
        "active": np.ones(2, np.float32),
        "peers": env.peers(),
    }
    assert np.allclose(learner.peer.signals(step), expected_z)
    # each player's only peer is the other: r̂_0 = 5 + z_1, r̂_1 = 0 + z_0; before the warm-up, r̂ = r
    assert np.allclose(learner.learning_reward(step, 10), [5 + expected_z[1], expected_z[0]])
    assert np.allclose(learner.learning_reward(step, 9), [5.0, 0.0])


def test_prisoners_dilemma_payoffs():
    env = PrisonersDilemma(4, np.random.default_rng(0))
    payoffs = [env.step(np.array(actions))[0].tolist() for actions in ([0, 0], [0, 1], [1, 0], [1, 1])]
    assert payoffs == [[3.0, 3.0], [0.0, 5.0], [5.0, 0.0], [1.0, 1.0]]
    assert env.episode_metrics() == {"cooperation_rate": 0.5, "mutual_cooperation_rate": 0.25}


def test_resource_sharing_gives_to_asking_neighbours():
    env = ResourceSharing(4, 8, 8, episode_length=30, mean_reward=False, rng=np.random.default_rng(0))
    env.has, env.need = np.array([3, 0, 1, 4]), np.array([1, 2, 1, 4])
    # agent 0 gives; its left (3) does nothing, its right (1) asks: one unit 0 → 1
    rewards, _ = env.step(np.array([GIVE, ASK, NONE, NONE]))
    assert env.has.tolist() == [2, 1, 1, 4]
    assert rewards.tolist() == [-1 - 1, -1 - 1, 0, 0]  # −|has − need| − |Δhas|
    env.mean_reward = True
    rewards, _ = env.step(np.array([GIVE, ASK, NONE, NONE]))
    # has [1, 2, 1, 4] against need [1, 2, 1, 4]: rewards −1, −1, 0, 0 → every agent gets the mean, −0.5
    assert env.has.tolist() == [1, 2, 1, 4] and np.allclose(rewards, -0.5)


@pytest.mark.parametrize("task, algo", [(t, a) for t in SEMI_COOPERATIVE.tasks for a in SEMI_COOPERATIVE.names(t)])
def test_every_algorithm_runs_on_every_task(smoke_cfg, tmp_path, task, algo):
    metrics = experiments.train(task, algo, 0, smoke_cfg, tmp_path, progress=False)
    schedule = getattr(smoke_cfg, task)
    steps = sorted(metrics["step"].unique())
    # the evaluations, and at step 0 the untrained networks' (the uniform random null model has none)
    assert steps == [0] * (algo != "random") + list(range(schedule.eval_every, schedule.steps + 1, schedule.eval_every))
    welfare = metrics[metrics["metric"] == "social_welfare"]["value"]
    assert len(welfare) and np.isfinite(welfare).all()


def test_same_seed_same_metrics_and_a_killed_run_resumes(smoke_cfg, tmp_path):
    first = experiments.train("pursuit", "ped_dqn", 3, smoke_cfg, tmp_path / "a", progress=False)
    again = experiments.train("pursuit", "ped_dqn", 3, smoke_cfg, tmp_path / "b", progress=False)
    assert first.equals(again)
    # the checkpoint at the end resumes to the same, finished run
    resumed = experiments.train("pursuit", "ped_dqn", 3, smoke_cfg, tmp_path / "a", progress=False)
    assert resumed.equals(first)
    with pytest.raises(CheckpointError, match="made for algo 'ped_dqn', not 'idqn'"):
        experiments.train("pursuit", "idqn", 3, smoke_cfg, tmp_path / "a", progress=False)
    # a checkpoint trained with other settings is refused, not silently resumed
    longer = dataclasses.replace(smoke_cfg, pursuit=dataclasses.replace(smoke_cfg.pursuit, steps=400))
    with pytest.raises(CheckpointError, match="trained with pursuit.steps = 200, not 400"):
        experiments.train("pursuit", "ped_dqn", 3, longer, tmp_path / "a", progress=False)


@pytest.mark.parametrize("task, algo, seeds", [("pursuit", "ped_dqn", [3]), ("resource_sharing", "idqn", [0, 1])])
def test_a_run_killed_after_a_checkpoint_resumes_to_the_byte(smoke_cfg, tmp_path, monkeypatch, task, algo, seeds):
    """Killed right after its checkpoint, mid-way between evaluations (steps 400, a checkpoint every
    100, evaluations every 200), a run resumes to its unkilled run's metrics and networks, byte for
    byte: the checkpoint holds its replay, its random states from before the next episodes start, and
    the training welfare and losses of the interval in progress. Before 2026-12-03 a resumed run
    restarted with an empty replay and became another run (deviation 52)."""
    schedule = {"steps": 400, "eval_every": 200, "checkpoint_every": 100, "peer_warmup_steps": 50}
    cfg = dataclasses.replace(smoke_cfg, **{task: dataclasses.replace(getattr(smoke_cfg, task), **schedule)})
    outs = [tmp_path / "whole" / f"seed{seed}" for seed in seeds]
    whole = experiments.train_seeds(task, algo, seeds, cfg, outs, progress=False)

    class Killed(Exception):
        pass

    saved = experiments.save_checkpoint

    def save_then_die(*args, **kwargs):
        saved(*args, **kwargs)
        if args[4] > 100:  # next_step: the first checkpoint after step 100
            raise Killed

    monkeypatch.setattr(experiments, "save_checkpoint", save_then_die)
    outs = [tmp_path / "killed" / f"seed{seed}" for seed in seeds]
    with pytest.raises(Killed):
        experiments.train_seeds(task, algo, seeds, cfg, outs, progress=False)
    monkeypatch.setattr(experiments, "save_checkpoint", saved)
    resumed = experiments.train_seeds(task, algo, seeds, cfg, outs, progress=False)
    for a, b in zip(whole, resumed):
        pd.testing.assert_frame_equal(a, b)
    for seed in seeds:  # every evaluation episode kept, the untrained networks' (step 0) included
        episodes = [(tmp_path / run / f"seed{seed}" / "episodes.csv").read_bytes() for run in ("whole", "killed")]
        assert episodes[0] == episodes[1] and b"untrained" in episodes[0]
        left = torch.load(tmp_path / "whole" / f"seed{seed}" / "model.pt", weights_only=True)["main"]
        right = torch.load(tmp_path / "killed" / f"seed{seed}" / "model.pt", weights_only=True)["main"]
        assert all(torch.equal(left[net][key], right[net][key]) for net in left for key in left[net])


def test_stale_checkpoint_is_discarded_under_restart(smoke_cfg, tmp_path, capsys):
    """The pipeline reruns a job when its settings change (`--stale restart`): the old checkpoint is
    deleted with a note and the run equals a fresh one with the new settings."""
    experiments.train("pursuit", "idqn", 3, smoke_cfg, tmp_path / "a", progress=False)
    longer = dataclasses.replace(smoke_cfg, pursuit=dataclasses.replace(smoke_cfg.pursuit, steps=300))
    fresh = experiments.train("pursuit", "idqn", 3, longer, tmp_path / "fresh", progress=False)
    rerun = experiments.train("pursuit", "idqn", 3, longer, tmp_path / "a", progress=False, stale="restart")
    assert "trained with pursuit.steps = 200, not 300; discarded, training afresh" in capsys.readouterr().err
    assert rerun.equals(fresh)


def test_uniform_random_null_model_never_learns(smoke_cfg, tmp_path):
    """Paper B's null model on the prisoner's dilemma: its actions are uniform (2 000 calls of 2
    agents: each action 2 000 ± 4σ, σ = √(4000·¼) ≈ 32), greedy evaluation included, and a training
    run takes no gradient step (every logged loss undefined) and saves no network."""
    from replication.algorithms.semi_cooperative.uniform_random import UniformRandomAgents

    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = UniformRandomAgents(env, smoke_cfg.semi_cooperative, smoke_cfg.prisoners_dilemma, np.random.default_rng(0))
    draws = np.concatenate([learner.act(None, None, eps) for eps in [0.5] * 1000 + [None] * 1000])
    assert np.all(np.abs(np.bincount(draws, minlength=2) - 2000) < 4 * 32)
    metrics = experiments.train("prisoners_dilemma", "random", 0, smoke_cfg, tmp_path, progress=False)
    assert metrics.loc[metrics["metric"] == "loss", "value"].isna().all() and learner.networks() == {}


def test_the_authors_epsilon_decrement_by_hand():
    """Author code: ε starts at 1 and falls by 1/250 000 after every env step but a step ending the
    episode with `done`, to a floor of 0.1. Pursuit's episodes end with done at step 100, so after
    t steps ⌊t/100⌋ decrements were skipped: ε(100) = 1 − 99/250 000 = 0.999604; the floor is
    reached when t − ⌊t/100⌋ = 225 000, first at t = 227 272 (227 271 gives 1 − 224 999/250 000 =
    0.100004). Resource sharing (gems never sets done) reaches it at t = 225 000. The paper's linear
    schedule (ε 1 → 0.1 over 250 000 steps) is at 1 − 0.9·225 000/250 000 = 0.19 there."""
    from replication.config import PursuitConfig, ResourceSharingConfig, SemiCooperativeConfig

    learner = SemiCooperativeConfig()
    pursuit = PursuitConfig(epsilon_schedule="authors")
    gems = ResourceSharingConfig(epsilon_schedule="authors")
    assert experiments.epsilon_at(0, learner, pursuit) == 1.0
    assert experiments.epsilon_at(100, learner, pursuit) == pytest.approx(0.999604)
    assert experiments.epsilon_at(227_271, learner, pursuit) == pytest.approx(0.100004)
    assert experiments.epsilon_at(227_272, learner, pursuit) == pytest.approx(0.1)
    assert experiments.epsilon_at(224_999, learner, gems) == pytest.approx(0.100004)
    assert experiments.epsilon_at(225_000, learner, gems) == pytest.approx(0.1)
    assert experiments.epsilon_at(225_000, learner, PursuitConfig()) == pytest.approx(0.19)


class _MovingPeers:
    """A task of two agents that see each other only after the first step's move."""

    n_agents, n_actions = 2, 2

    def reset(self):
        self.moved = False

    def observe(self):
        return np.zeros((2, 1), dtype=np.float32)

    def peers(self):
        return np.array([[False, self.moved], [self.moved, False]])

    def active(self):
        return np.ones(2, dtype=bool)

    def step(self, actions):
        self.moved = True
        return np.zeros(2, dtype=np.float32), False


def test_the_peers_that_receive_z_before_or_after_the_move():
    """Before the step the two agents do not see each other; after it they do. The transition's
    receivers of peer evaluations are the peers seen when acting (default, none) or those in view
    after the move (author code's pursuit: each sees the other)."""
    before, _ = experiments.Episode(_MovingPeers(), needs_state=False).advance(np.array([0, 0]))
    after, _ = experiments.Episode(_MovingPeers(), needs_state=False, peers_after_move=True).advance(np.array([0, 0]))
    assert not before["peers"].any()
    assert after["peers"].tolist() == [[False, True], [True, False]]


def test_a_run_logs_its_untrained_networks_greedy_evaluation_first(smoke_cfg, tmp_path):
    """Step 0 of an IDQN run on the prisoner's dilemma: `untrained_<metric>` rows equal the greedy
    evaluation of the learner as the run builds it (GroupRun), before any update, on the task copy
    seeded (seed, 8, 0); the uniform random null model has no network and logs none."""
    from replication import run
    from replication.experiments.semi_cooperative import GroupRun, evaluate_seeds, make_task

    run.run("prisoners_dilemma", "idqn", 0, smoke_cfg, tmp_path / "idqn")
    metrics = pd.read_csv(tmp_path / "idqn" / "metrics.csv")
    logged = metrics[metrics["metric"].str.startswith("untrained_")].set_index("metric")
    assert set(logged["step"]) == {0}
    group = GroupRun("prisoners_dilemma", "idqn", [0], smoke_cfg)
    schedule = smoke_cfg.prisoners_dilemma
    expected = evaluate_seeds(
        group.learner, [make_task("prisoners_dilemma", schedule, np.random.default_rng([0, 8, 0]))], schedule.eval_episodes
    )[0]
    assert {m[len("untrained_") :]: v for m, v in logged["value"].items()} == pytest.approx(expected)
    run.run("prisoners_dilemma", "random", 0, smoke_cfg, tmp_path / "random")
    assert not pd.read_csv(tmp_path / "random" / "metrics.csv")["metric"].str.startswith("untrained_").any()
