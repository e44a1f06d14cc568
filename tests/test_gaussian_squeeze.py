"""Gaussian Squeeze: reward, mean action, replay, and each learner's update on a tiny N."""

import math

import numpy as np
import pytest
import torch

from replication.algorithms.fmq import FrequencyMaximumQ
from replication.algorithms.iql import IndependentQ
from replication.algorithms.maac import others_one_hot
from replication.algorithms.mean_field import mean_field_value
from replication.algorithms.mfq import MeanFieldQ
from replication.algorithms.rec_fmq import RecursiveFMQ
from replication.config import GaussianSqueezeConfig, algorithm_config
from replication.experiments.gaussian_squeeze import run_population
from replication.registry import GAUSSIAN_SQUEEZE
from replication.replay import JointActionReplay, mean_action_excluding
from replication.tasks.gaussian_squeeze import GaussianSqueeze

TINY = GaussianSqueezeConfig(
    agent_counts=[4], mu=8.0, sigma=4.0, timesteps=30, batch_size=8, replay_samples=400, update_every_samples=4, log_every=5
)


def test_squeeze_reward_by_hand():
    env = GaussianSqueeze(1000)
    assert env.squeeze(400) == pytest.approx(400.0)
    assert env.squeeze(600) == pytest.approx(600 * math.exp(-1))
    assert env.best_x == pytest.approx((400 + math.sqrt(400**2 + 2 * 200**2)) / 2)  # 444.95
    assert env.g_max == pytest.approx(env.best_x * math.exp(-(((env.best_x - 400) / 200) ** 2)))
    assert env.step(np.full(1000, 0)) == 0.0
    assert env.performance(np.array([9] * 44 + [8] + [0] * 955)) == pytest.approx(env.squeeze(404) / env.g_max)
    # G_max really is the maximum over integer totals
    assert max(env.squeeze(np.arange(9001))) <= env.g_max


def test_mean_action_excludes_the_agent_itself():
    actions = np.array([0, 1, 1, 2])
    counts = np.broadcast_to(np.bincount(actions, minlength=3), (4, 3))
    mean = mean_action_excluding(counts, actions, 4)
    np.testing.assert_allclose(mean[1], [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(mean[0], [0, 2 / 3, 1 / 3])
    np.testing.assert_allclose(mean.sum(axis=1), 1.0)


def test_replay_ring_wraps_around():
    replay = JointActionReplay(capacity_samples=6, n_agents=2, n_actions=3)  # 3 timesteps
    for t in range(5):
        replay.add(np.array([t % 3, 2]), reward=float(t))
    assert replay.size == 3 and replay.cursor == 2
    assert replay.rewards.tolist() == [3.0, 4.0, 2.0]  # timesteps 0 and 1 overwritten
    assert replay.actions[0].tolist() == [0, 2] and replay.counts[1].tolist() == [0, 1, 1]
    batch = replay.sample(50, np.random.default_rng(0), with_joint=True)
    assert set(batch["reward"].tolist()) <= {2.0, 3.0, 4.0}
    assert batch["joint"].shape == (50, 2)
    np.testing.assert_allclose(batch["mean_action"].sum(axis=1), 1.0)


def test_mean_field_value_by_hand():
    q = torch.tensor([[1.0, 2.0]])
    p = math.exp(2) / (math.exp(1) + math.exp(2))
    assert mean_field_value(q, 1.0).item() == pytest.approx((1 - p) * 1 + p * 2)
    # low temperature → the max; high temperature → the mean
    assert mean_field_value(q, 1e-3).item() == pytest.approx(2.0)
    assert mean_field_value(q, 1e3).item() == pytest.approx(1.5, abs=1e-3)


def _batch(n_actions=10):
    rng = np.random.default_rng(1)
    replay = JointActionReplay(400, 4, n_actions)
    for _ in range(5):
        replay.add(rng.integers(0, n_actions, 4), float(rng.random()))
    return replay.sample(8, rng, with_joint=True)


def test_il_td_error_by_hand():
    torch.manual_seed(0)
    learner = IndependentQ(4, TINY, np.random.default_rng(0))
    batch = _batch()
    agent = torch.from_numpy(batch["agent"])
    with torch.no_grad():
        q = learner.q(agent).numpy()
        q_next_max = learner.q_target(agent).max(dim=-1).values.numpy()
    y = batch["reward"] + 0.95 * q_next_max
    expected = np.mean((q[np.arange(8), batch["action"]] - y) ** 2)
    assert learner.train(batch) == pytest.approx(expected, rel=1e-5)


def test_mfq_td_error_uses_the_mean_field_value():
    torch.manual_seed(0)
    learner = MeanFieldQ(4, algorithm_config(TINY, "mfq"), np.random.default_rng(0))
    batch = _batch()
    agent, mean = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["mean_action"])
    with torch.no_grad():
        q = learner.q(agent, mean).numpy()
        qt = learner.q_target(agent, mean).numpy()
    pi = np.exp(qt / 0.1) / np.exp(qt / 0.1).sum(axis=1, keepdims=True)
    y = batch["reward"] + 0.95 * (pi * qt).sum(axis=1)
    expected = np.mean((q[np.arange(8), batch["action"]] - y) ** 2)
    assert learner.train(batch) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("algo", sorted(set(GAUSSIAN_SQUEEZE.names()) - {GAUSSIAN_SQUEEZE.null}))
def test_every_learner_updates_on_a_tiny_population(algo):
    torch.manual_seed(0)
    learner = GAUSSIAN_SQUEEZE[algo].load()(4, algorithm_config(TINY, algo), np.random.default_rng(0))
    before = [p.detach().clone() for p in learner.__dict__.values() if isinstance(p, torch.nn.Module) for p in p.parameters()]
    loss = learner.train(_batch())
    after = [p for m in learner.__dict__.values() if isinstance(m, torch.nn.Module) for p in m.parameters()]
    assert np.isfinite(loss)
    assert any(not torch.equal(b, a) for b, a in zip(before, after))
    mean = np.zeros((4, 10), dtype=np.float32)
    actions = learner.act(mean, 0, 0.5)
    assert actions.shape == (4,) and actions.min() >= 0 and actions.max() < 10
    assert learner.greedy(mean).shape == (4,)


def test_fmq_frequency_of_the_best_reward_by_hand():
    learner = FrequencyMaximumQ(2, TINY, np.random.default_rng(0))
    for reward, freq in ((1.0, 1.0), (0.5, 0.5), (1.0, 2 / 3), (2.0, 1 / 4)):
        learner.observe(np.array([3, 0]), reward)
        assert learner.frequency()[0, 3] == pytest.approx(freq)
    assert learner.max_reward[0, 3] == 2.0
    bonus = (learner.expected_value() - learner.q_values(None))[0, 3].item()
    assert bonus == pytest.approx(5.0 * 0.25 * 2.0)  # c · F · maxR
    assert learner.temperature(0) == pytest.approx(1001.0)  # max_temp · e^0 + 1


def test_rec_fmq_recursive_frequency_by_hand():
    learner = RecursiveFMQ(1, algorithm_config(TINY, "rec_fmq"), np.random.default_rng(0))
    for reward, freq in ((1.0, 1.0), (0.5, 0.99), (1.0, 0.99 * 0.99 + 0.01), (3.0, 1.0)):
        learner.observe(np.array([2]), reward)
        assert learner.recursive_frequency[0, 2] == pytest.approx(freq)


def test_centralised_critic_input_hides_own_action():
    joint = torch.tensor([[0, 1, 2], [2, 2, 0]])
    x = others_one_hot(joint, torch.tensor([1, 0]), 3).view(2, 3, 3)
    assert x[0, 1].sum() == 0 and x[0, 0, 0] == 1 and x[0, 2, 2] == 1
    assert x[1, 0].sum() == 0 and x[1, 1, 2] == 1


@pytest.mark.parametrize("algo", sorted(GAUSSIAN_SQUEEZE.names()))
def test_population_run_is_deterministic(algo):
    a = run_population(algo, 4, 0, TINY, progress=False)
    b = run_population(algo, 4, 0, TINY, progress=False)
    assert a.equals(b)
    final = a[a["metric"] == "final_performance"]["value"].item()
    assert 0.0 <= final <= 1.0


def test_uniform_random_null_model_never_learns():
    """The null model acts (and "greedily" acts) uniformly at random: over 2 000 draws of 4 agents
    each of the 10 actions gets 800 ± 4σ (σ = √(8000·0.1·0.9) ≈ 27); its loss is never defined,
    so no timestep counts as trained and its performance is random play's."""
    from replication.algorithms.uniform_random import UniformRandomPolicy

    learner = UniformRandomPolicy(4, TINY, np.random.default_rng(0))
    draws = np.concatenate([learner.act(None, t, 0.0) for t in range(1000)] + [learner.greedy(None) for _ in range(1000)])
    counts = np.bincount(draws, minlength=TINY.n_actions)
    assert len(counts) == TINY.n_actions and np.all(np.abs(counts - 800) < 4 * 27)
    assert np.isnan(learner.train({}))
    frame = run_population("random", 4, 0, TINY, progress=False)
    assert frame.loc[frame["metric"] == "loss", "value"].isna().all()


def test_composition_of_a_joint_action_by_hand():
    """N = 500, μ = 400, σ = 200: G_max is at x* = (400 + √(160 000 + 80 000)) / 2 ≈ 444.9, G(x*) = 444.9·e^(−(44.9/200)²) ≈
    423.0 (e^(−45²/200²) ≈ 0.9508). Every agent on action 1: x = 500, G(500) = 500·e^(−0.25) ≈ 389.4, G/G_max ≈ 0.9205, the
    modal share 1, share_a1 = 1 and the others 0. Four agents on (0, 3, 3, 9): x = 15, modal share
    ½ (action 3), shares ¼, ½, ¼ on actions 0, 3, 9."""
    env = GaussianSqueeze(500)
    every_one = env.composition(np.ones(500, dtype=np.int64))
    assert every_one["x"] == 500 and every_one["modal_share"] == 1 and every_one["share_a1"] == 1
    assert sum(every_one[f"share_a{k}"] for k in range(10)) == 1
    assert env.performance(np.ones(500, dtype=np.int64)) == pytest.approx(0.9205, abs=1e-3)
    mixed = GaussianSqueeze(4).composition(np.array([0, 3, 3, 9]))
    assert (mixed["x"], mixed["modal_share"], mixed["share_a0"], mixed["share_a3"], mixed["share_a9"]) == (
        15,
        0.5,
        0.25,
        0.5,
        0.25,
    )


def test_a_run_logs_its_untrained_and_final_greedy_joint_action():
    """The untrained network's greedy score at t = 0 is the first logged evaluation (log_every 1:
    the `performance` of step 1, taken before any update), and its composition sits beside it at
    step 0; the final composition's shares sum to 1 and its x is Σ share_k · k · N."""
    cfg = GaussianSqueezeConfig(**{**TINY.__dict__, "log_every": 1})
    frame = run_population("mfq", 4, 0, cfg, progress=False).set_index(["step", "metric"])["value"]
    assert frame[(0, "untrained_performance")] == frame[(1, "performance")]
    final = {
        metric: frame[(cfg.timesteps, f"final_{metric}")] for metric in ["x", "modal_share"] + [f"share_a{k}" for k in range(10)]
    }
    assert sum(final[f"share_a{k}"] for k in range(10)) == pytest.approx(1.0)
    assert final["x"] == pytest.approx(sum(final[f"share_a{k}"] * k * 4 for k in range(10)))
    assert final["modal_share"] == max(final[f"share_a{k}"] for k in range(10))
