"""Battle learners' updates against values worked out by hand (paper A §5.3, paper B on battle).

Each test builds a learner on a tiny observation (a 5×5×1 view, one feature), stores a few
hand-made transitions, and checks the update's numbers, not just that something changed.
"""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch

from replication.algorithms.battle.ac import IndependentAC
from replication.algorithms.battle.il import BattleIndependentDQN
from replication.algorithms.battle.mfac import MeanFieldAC
from replication.algorithms.battle.mfq import BattleMeanFieldDQN
from replication.algorithms.battle.ped_dqn import BattlePeerEvaluationDualDQN
from replication.config import BattleConfig, algorithm_config
from replication.nets import BattleActorCritic, BattleQNet, run_layers
from replication.replay import AgentTransitionRing
from replication.tasks.battle import VIEW_RADIUS
from replication.tasks.neighbourhood import chebyshev_peers

VIEW = (5, 5, 1)
LOG_3_4, LOG_1_4 = math.log(0.75), math.log(0.25)
ENTROPY_3_1 = -(0.75 * LOG_3_4 + 0.25 * LOG_1_4)  # H[π] for π = (0.75, 0.25): 0.562335


def _cfg(algo: str = "il", **overrides):
    """What `algo`'s learner reads (battle's shared settings and its own), with `overrides`."""
    section = BattleConfig(map_size=20, agents_per_side=8, gamma=0.5, replay_capacity=64, tournament_rounds=4)
    return dataclasses.replace(algorithm_config(section, algo), **overrides)


def _obs(n: int):
    return np.zeros((n, *VIEW), np.float32), np.zeros((n, 1), np.float32), np.zeros((n, 2), np.float32)


def _store(learner, ids, actions, rewards, alive, positions=None):
    view, features, mean = _obs(len(ids))
    learner.store(
        np.array(ids),
        view,
        features,
        mean,
        np.array(actions),
        np.array(rewards, np.float32),
        np.array(alive),
        None if positions is None else chebyshev_peers(np.array(positions), VIEW_RADIUS),
    )


def _actor_critic(cls, algo, **overrides):
    learner = cls(VIEW, 1, 2, 4, _cfg(algo, **overrides), np.random.default_rng(0), "cpu", rows_per_round=16)
    return learner


def _three_steps_two_agents(learner):
    """Agent 0 lives through steps 0–2 and survives the round; agent 1 dies at step 1.
    Rewards: agent 0: 1, 2, 3; agent 1: 4, −1. Actions: agent 0: 0, 1, 0; agent 1: 1, 0."""
    _store(learner, [0, 1], [0, 1], [1, 4], [True, True])
    _store(learner, [0, 1], [1, 0], [2, -1], [True, False])
    _store(learner, [0], [0], [3], [True])
    return _end_round(learner, [0])


def _end_round(learner, survivors):
    """End the round with the survivors' final observations; return the round's rows, the rows with
    the final ones, and the index from a ring row to its place in that list (as `train_round` builds them)."""
    view, features, mean = _obs(len(survivors))
    learner.end_round(np.array(survivors), view, features, mean)
    rows = np.concatenate(learner.round_rows)
    all_rows = np.concatenate([rows, learner.final_rows])
    index = np.zeros(learner.ring.capacity, dtype=np.int64)
    index[all_rows] = np.arange(len(all_rows))
    return rows, all_rows, index


def _round_loss(learner, rows, index, log_pi, critic, pad: int = 0):
    """The round's loss as `train_round` makes it from the batch's outputs; with `pad` rows of
    padding after the round's transitions, weighted 0 (as the stacked update pads a seed's rows)."""
    n = len(rows)
    target = learner.targets(rows, index, log_pi, critic)
    action = torch.as_tensor(learner.ring.action[rows])
    if not pad:
        return learner.round_loss(log_pi[:n], critic[:n], action, target)
    padded = [torch.cat([x, x[:1].expand(pad, *x.shape[1:]) * 7]) for x in (log_pi[:n], critic[:n], target)]
    weight = torch.cat([torch.ones(n), torch.zeros(pad)])
    return learner.round_loss(*padded[:2], torch.cat([action, action[:1].expand(pad)]), padded[2], weight)


def test_ac_returns_advantages_and_loss_by_hand():
    """γ = 0.5. Rows in order: (agent 0, t0), (agent 1, t0), (0, t1), (1, t1), (0, t2), then agent 0's
    final observation. Critic V on those rows: 1, 2, 0, 0, 2, 10.

    Returns: agent 0 bootstraps from V(s_final) = 10: R2 = 3 + 0.5·10 = 8, R1 = 2 + 0.5·8 = 6,
    R0 = 1 + 0.5·6 = 4. Agent 1 dies at t1: R1 = −1 (no bootstrap), R0 = 4 + 0.5·(−1) = 3.5.
    Advantages R − V: 3, 1.5, 6, −1, 6. Value term mean(A²) = (9 + 2.25 + 36 + 1 + 36)/5 = 16.85.
    π = (0.75, 0.25) on every row; the taken actions' log π: ln .75, ln .25, ln .25, ln .75, ln .75.
    Policy term −mean(log π(a)·A) = −(3 ln .75 + 1.5 ln .25 + 6 ln .25 − ln .75 + 6 ln .75)/5
    = −(8 ln .75 + 7.5 ln .25)/5 = 2.539733. Entropy H = 0.562335.
    Loss = 2.539733 − 0.08·0.562335 + 0.1·16.85 = 4.179746."""
    learner = _actor_critic(IndependentAC, "ac")
    rows, all_rows, index = _three_steps_two_agents(learner)
    assert len(rows) == 5 and len(all_rows) == 6
    returns = learner.returns(np.array([1, 2, 0, 0, 2, 10], np.float32), index)
    np.testing.assert_allclose(returns[rows], [4, 3.5, 6, -1, 8])
    log_pi = torch.log(torch.tensor([[0.75, 0.25]] * 6))
    critic = torch.tensor([[1.0], [2.0], [0.0], [0.0], [2.0], [10.0]])
    for pad in (0, 3):  # 3 rows of padding weighted 0 change nothing (the stacked update's padded seeds)
        loss, stats = _round_loss(learner, rows, index, log_pi, critic, pad)
        assert loss.item() == pytest.approx(4.179746, abs=1e-5)
        assert stats["entropy"].item() == pytest.approx(ENTROPY_3_1, abs=1e-6)
        assert stats["mean_q"].item() == pytest.approx((1 + 2 + 0 + 0 + 2) / 5)


def test_mfac_q_critic_target_and_actor_gradient_by_hand():
    """MF-AC with the paper's Q(s, a, ā) critic, γ = 0.5, one agent over two steps then its final
    observation. Rewards 1, 2; actions 0, 1; π = (0.75, 0.25) everywhere; Q rows: t0 (1, 3),
    t1 (2, 4), final (6, 2).

    Targets y = r + γ Σ_a π(a|s') Q(s', a, ā'): y0 = 1 + 0.5·(0.75·2 + 0.25·4) = 2.25,
    y1 = 2 + 0.5·(0.75·6 + 0.25·2) = 4.5. Taken Q: 1 (t0, action 0), 4 (t1, action 1).
    Critic term mean((Q − y)²) = (1.5625 + 0.25)/2 = 0.90625. Policy term −mean(log π(a)·Q(s, a))
    = −(ln .75·1 + ln .25·4)/2 = 2.916430. Loss = 2.916430 − 0.08·0.562335 + 0.1·0.90625 = 2.962068.

    Actor gradient with π = softmax(z): d/dz_a of the policy term is −Q(s,a)(1 − π_a)/n, of the
    entropy term −0.08·(−π_a(ln π_a + H))/n. t0, a = 0: −1·0.25/2 + 0.08·0.75·(ln .75 + H)/2
    = −0.125 + 0.0082396 = −0.116760 (negative: a positive Q pushes the taken action up);
    t1, a = 1: −4·0.75/2 + 0.08·0.25·(ln .25 + H)/2 = −1.5 − 0.0082396 = −1.508240."""
    learner = _actor_critic(MeanFieldAC, "mfac", critic="q")
    _store(learner, [0], [0], [1], [True])
    _store(learner, [0], [1], [2], [True])
    rows, all_rows, index = _end_round(learner, [0])
    logits = torch.log(torch.tensor([[0.75, 0.25]] * 3)).requires_grad_(True)
    critic = torch.tensor([[1.0, 3.0], [2.0, 4.0], [6.0, 2.0]])
    loss, _ = _round_loss(learner, rows, index, torch.log_softmax(logits, dim=-1), critic)
    assert loss.item() == pytest.approx(2.962068, abs=1e-5)
    padded, _ = _round_loss(learner, rows, index, torch.log_softmax(logits.detach(), dim=-1), critic, pad=2)
    assert padded.item() == pytest.approx(2.962068, abs=1e-5)
    loss.backward()
    assert logits.grad[0, 0].item() == pytest.approx(-0.116760, abs=1e-5)
    assert logits.grad[1, 1].item() == pytest.approx(-1.508240, abs=1e-5)


class _TableQ:
    """Stands in for `q_values`: the online and target networks return fixed Q tables."""

    def __init__(self, learner, online, target):
        self.tables = {id(learner.q): torch.tensor(online), id(learner.q_target): torch.tensor(target)}

    def __call__(self, net, view, features, mean_action):
        return self.tables[id(net)]


def _batch(n):
    view, features, mean = _obs(n)
    return {"next_view": view, "next_features": features, "next_mean_action": mean}


@pytest.mark.parametrize("cls, algo", [(BattleIndependentDQN, "il"), (BattleMeanFieldDQN, "mfq")])
def test_double_q_target_by_hand(cls, algo):
    """Online Q(s') rows (1, 5, 2) and (3, 0, 4) pick actions 1 and 2; the target network's rows
    (10, 20, 30) and (40, 50, 60) value them: double-Q gives 20 and 60. IL's paper target is the
    target network's max: 30 and 60."""
    double = cls(VIEW, 1, 3, 4, _cfg(algo, q_target="double_q"), np.random.default_rng(0), "cpu")
    online, target = [[1.0, 5.0, 2.0], [3.0, 0.0, 4.0]], [[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]
    double.q_values = _TableQ(double, online, target)
    assert double.next_value(_batch(2)).tolist() == [20.0, 60.0]
    if cls is BattleIndependentDQN:
        paper = cls(VIEW, 1, 3, 4, _cfg(q_target="paper"), np.random.default_rng(0), "cpu")
        paper.q_values = _TableQ(paper, online, target)
        assert paper.next_value(_batch(2)).tolist() == [30.0, 60.0]


def test_battle_mfq_mean_field_value_by_hand():
    """Eq. 10 with the Boltzmann policy of Eq. 12 at temperature 0.1: the target network's row
    (1.0, 1.1) gives π ∝ (e^10, e^11) = (0.268941, 0.731059) and v^MF = 0.268941·1.0 + 0.731059·1.1
    = 1.073106 (the max would be 1.1)."""
    learner = BattleMeanFieldDQN(
        VIEW, 1, 2, 4, _cfg("mfq", q_target="paper", boltzmann_temperature=0.1), np.random.default_rng(0), "cpu"
    )
    learner.q_values = _TableQ(learner, [[0.0, 0.0]], [[1.0, 1.1]])
    assert learner.next_value(_batch(1)).item() == pytest.approx(1.073106, abs=1e-6)


def _constant_output(net, values):
    """Make a BattleQNet return `values` whatever it reads (last layer: zero weights, bias = values)."""
    with torch.no_grad():
        last = net.head[-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor(values))


def test_battle_ped_dqn_stores_each_peer_evaluation_with_its_own_transition():
    """Three agents stand next to each other (each sees the other two). γ = 0.5, β = 1, peer
    evaluations from the first round on. The mission network gives Q_m = (1, 2) everywhere; the
    action network (0, 5), so π(o') = action 1 and Q_m(o', π(o')) = 2.

    Step 0 (rows 0, 1, 2): rewards 1, 2, 3; actions 0, 1, 1; agent 1 dies.
      z0 = 1 + 0.5·2 − 1 = 1, z1 = 2 − 2 = 0 (terminal: no bootstrap), z2 = 3 + 0.5·2 − 2 = 2.
      Z = mean over the other two: Z0 = (0 + 2)/2 = 1, Z1 = (1 + 2)/2 = 1.5, Z2 = (1 + 0)/2 = 0.5.
      r̂ = r + Z = 2, 3.5, 3.5, stored at rows 0, 1, 2 when step 1 arrives.
    Step 1 (rows 3, 4, agents 0 and 2 only): rewards 10, 20; actions 1, 0.
      z0 = 10 + 1 − 2 = 9, z2 = 20 + 1 − 1 = 20; each sees only the other: r̂ = 10 + 20, 20 + 9 = 30, 29,
      stored at rows 3 and 4 when the round ends. The raw rewards stay in the ring for the mission network."""
    learner = BattlePeerEvaluationDualDQN(
        VIEW, 1, 2, 4, _cfg("ped_dqn", peer_warmup_rounds=0, beta=1.0), np.random.default_rng(0), "cpu"
    )
    _constant_output(learner.mission, [1.0, 2.0])
    _constant_output(learner.q, [0.0, 5.0])
    near = [[5, 5], [5, 6], [6, 5]]
    _store(learner, [0, 1, 2], [0, 1, 1], [1, 2, 3], [True, False, True], near)
    assert learner.shaped_reward[:3].tolist() == [1, 2, 3]  # pending: z needs the next observations
    _store(learner, [0, 2], [1, 0], [10, 20], [True, True], [near[0], near[2]])
    np.testing.assert_allclose(learner.shaped_reward[:3], [2, 3.5, 3.5])
    view, features, mean = _obs(2)
    learner.end_round(np.array([0, 2]), view, features, mean)
    np.testing.assert_allclose(learner.shaped_reward[3:5], [30, 29])
    np.testing.assert_allclose(learner.ring.reward[:5], [1, 2, 3, 10, 20])
    batch = learner.training_batch(np.array([1, 4]))
    np.testing.assert_allclose(batch["reward"], [3.5, 29])


@pytest.mark.parametrize("mask, expected_loss", [("none", 19 / 3), ("reference", 1.0)])
def test_reference_loss_mask_leaves_out_deaths_and_last_transitions(mask, expected_loss):
    """Agents 0, 1, 2; agent 1 dies at step 0; agents 0 and 2 survive step 1 and the round ends.
    Ring rows: step 0 → 0, 1, 2; step 1 → 3, 4; final observations → 5, 6. The reference mask keeps
    a row unless it is a death (row 1) or its agent's last transition of the round (rows 3, 4):
    rows 0–4 → 1, 0, 1, 0, 0.

    A batch of rows 0, 1, 3 (rewards 1, 5, 1; row 1 terminal), target network 0 everywhere, so
    y = r = 1, 5, 1; online Q of the taken action 2, 2, 4. Unmasked: ((2−1)² + (2−5)² + (4−1)²)/3 = 19/3.
    Reference: only row 0 counts: (2 − 1)² / 1 = 1."""
    learner = BattleIndependentDQN(VIEW, 1, 2, 4, _cfg(q_loss_mask=mask), np.random.default_rng(0), "cpu")
    _store(learner, [0, 1, 2], [0, 0, 0], [1, 5, 7], [True, False, True])
    _store(learner, [0, 2], [0, 0], [1, 9], [True, True])
    view, features, mean = _obs(2)
    learner.end_round(np.array([0, 2]), view, features, mean)
    np.testing.assert_array_equal(learner.ring.batch(np.arange(5))["reference_mask"], [1, 0, 1, 0, 0])
    online = torch.tensor([[2.0, 0.0], [2.0, 0.0], [4.0, 0.0]], requires_grad=True)
    learner.q_values = lambda net, *inputs: online if net is learner.q else torch.zeros(3, 2)
    assert learner.gradient_step(learner.ring.batch(np.array([0, 1, 3]))) == pytest.approx(expected_loss)


def test_soft_update_by_hand():
    """φ⁻ ← τ·φ + (1 − τ)·φ⁻ for every parameter at once: τ = 0.25, φ = 4, φ⁻ = 0 → 1 (weights and biases)."""
    from replication.nets import soft_update

    online, target = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with torch.no_grad():
        for p in online.parameters():
            p.fill_(4.0)
        for p in target.parameters():
            p.zero_()
    soft_update(target, online, 0.25)
    assert all(torch.equal(p, torch.ones_like(p)) for p in target.parameters())


def test_round_statistics_are_read_from_the_device_once_as_float64_means():
    """A round's losses 1, 2 and 4 (0-d float32 tensors, as `gradient_step` leaves them on the
    device) average to 7/3 in float64, as numpy averages the same values as Python floats; a round
    without gradient steps has NaN. The IL learner's step returns its loss as a 0-d tensor and
    appends its batch's mean Q likewise."""
    from replication.algorithms.battle.il import round_mean

    values = [torch.tensor(1.0), torch.tensor(2.0), torch.tensor(4.0)]
    assert round_mean(values) == np.mean([1.0, 2.0, 4.0]) == 7 / 3
    assert math.isnan(round_mean([]))
    learner = BattleIndependentDQN(VIEW, 1, 2, 4, _cfg(), np.random.default_rng(0), "cpu")
    _store(learner, [0], [1], [1.0], [False])  # one terminal transition: y = r = 1
    q_means = []
    loss = learner.gradient_step(learner.ring.batch(np.array([0])), q_means)
    assert loss.dim() == 0 and q_means[0].dim() == 0 and not loss.requires_grad


def _ring_round_trip(device):
    """Two agents' observations stored as float16 on `device` and gathered back as float32 there:
    0.1 is kept as float16's nearest value, 0.0999755859375; agent 0's successor is its next row."""
    ring = AgentTransitionRing(8, (1, 1, 1), 1, 2, 4, device)
    ids, alive = np.array([0, 1]), np.array([True, True])

    def step(value):
        return ring.add_step(
            ids,
            np.full((2, 1, 1, 1), value, np.float32),
            np.full((2, 1), value, np.float32),
            np.full((2, 2), value, np.float32),
            np.array([0, 1]),
            np.zeros(2, np.float32),
            alive,
        )

    first = step(0.1)
    step(0.5)
    batch = ring.batch(first)
    assert ring.view.dtype == torch.float16 and ring.view.device.type == torch.device(device).type
    assert batch["view"].device.type == torch.device(device).type and batch["view"].dtype == torch.float32
    assert batch["view"].flatten().tolist() == [0.0999755859375] * 2
    assert batch["next_view"].flatten().tolist() == [0.5, 0.5] and batch["next_mean_action"].flatten().tolist() == [0.5] * 4


def test_the_transition_ring_keeps_observations_on_the_training_device():
    _ring_round_trip("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_the_transition_ring_keeps_observations_on_the_gpu_and_battle_trains_there(tmp_path):
    """As on CPU, the ring's observations on the GPU; and two seeds of IL train side by side on it,
    logging every round (the CUDA path; its numbers differ from the CPU's in the last bits)."""
    from replication.experiments import battle as battle_experiments

    _ring_round_trip("cuda")
    cfg = BattleConfig(map_size=20, agents_per_side=8, max_steps=25, rounds=2, batch_size=16, replay_capacity=4000)
    metrics = battle_experiments.train_seeds("il", [0, 1], cfg, [tmp_path / "s0", tmp_path / "s1"], "cuda", progress=False)
    assert all(sorted(m["step"].unique()) == [1, 2] for m in metrics)


def _random_round(learner, data: np.random.Generator, agents: int, steps: int):
    """`steps` steps of `agents` agents with random observations, actions and rewards; agent 0 dies
    at the last step, the others survive the round."""
    ids = np.arange(agents)
    for t in range(steps):
        alive = np.ones(agents, bool)
        alive[0] = t < steps - 1
        learner.store(
            ids,
            data.random((agents, *VIEW), np.float32),
            data.random((agents, 1), np.float32),
            data.random((agents, 2), np.float32),
            data.integers(0, 2, agents),
            data.normal(size=agents).astype(np.float32),
            alive,
        )
    learner.end_round(ids[1:], *(_obs(agents - 1)))


def _two_seeds_two_rounds(make, stacked_rounds, data_seed: int):
    """Seeds 0 and 1 (`make(seed)` under torch.manual_seed(seed)) and copies of them that train alone,
    over two rounds: each seed stores a random round (3 agents, seed 0 for 4 steps, seed 1 for 8), then
    the group trains through `stacked_rounds` and each copy alone. Yields (round, group, alone,
    stacked stats, stats alone) after each round."""
    group = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        group.append(make(seed))
    alone = [copy.deepcopy(learner) for learner in group]
    for round_ in range(2):
        for learners in (group, alone):
            data = np.random.default_rng(data_seed + round_)
            for learner, steps in zip(learners, (4, 8)):
                _random_round(learner, data, 3, steps)
        stats = stacked_rounds(group)
        yield round_, group, alone, stats, [learner.train_round() for learner in alone]


@pytest.mark.parametrize(
    "cls,algo,q_target",
    [
        (BattleIndependentDQN, "il", "paper"),
        (BattleMeanFieldDQN, "mfq", "paper"),
        (BattleMeanFieldDQN, "mfq", "double_q"),
        (BattlePeerEvaluationDualDQN, "ped_dqn", "paper"),
    ],
)
def test_a_stacked_round_equals_each_seed_alone(cls, algo, q_target):
    """Two seeds of a learner (batch 8, train_ratio 2) with their own rings and streams: seed 0 stores
    3 agents × 4 steps = 12 rows (+2 final) and so takes ⌈2·12/8⌉ = 3 gradient steps, seed 1 stores
    3 × 8 = 24 and takes 6. Their rounds stacked (one vmapped step for both while both have steps,
    seed 1 alone for its last 3) give each seed the weights, target weights, Adam moments and step
    count, loss, mean Q and stream position of its round alone, to float tolerance; a second round
    continues from the first's Adam moments. PED-DQN's round stacks its action network's steps, then
    its mission network's (mission_train_ratio 2: the same 3 and 6 steps), each seed drawing both
    networks' batches from its one stream in the order alone draws them. A single seed is not stacked.
    The job's `StackedRounds` builds its stacked update once and reloads it for round 2 (fails before
    it existed; PED-DQN's fails before it was stacked)."""
    from replication.algorithms.battle.stacked import StackedRounds, stackable

    cfg = _cfg(algo, batch_size=8, train_ratio=2.0, q_target=q_target)
    stacked_rounds, updates = StackedRounds(), []
    make = lambda seed: cls(VIEW, 1, 2, 4, cfg, np.random.default_rng(seed), "cpu")  # noqa: E731
    for round_, group, alone, stats, expected in _two_seeds_two_rounds(make, stacked_rounds, data_seed=10):
        updates.append(stacked_rounds.update)
        for ours, theirs, got, want, steps in zip(group, alone, stats, expected, (3, 6)):
            assert got["gradient_steps"] == want["gradient_steps"] == steps
            assert got["loss"] == pytest.approx(want["loss"], rel=1e-5) and got["mean_q"] == pytest.approx(
                want["mean_q"], rel=1e-5, abs=1e-7
            )
            for net in ours.networks():  # q, q_target (and PED-DQN's mission, mission_target)
                for a, b in zip(ours.networks()[net].parameters(), theirs.networks()[net].parameters()):
                    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
            for mine_opt, ref_opt in zip(ours.optimizers().values(), theirs.optimizers().values()):
                for a, b in zip(mine_opt.param_groups[0]["params"], ref_opt.param_groups[0]["params"]):
                    mine, ref = mine_opt.state[a], ref_opt.state[b]
                    assert float(mine["step"]) == float(ref["step"]) == (round_ + 1) * steps
                    torch.testing.assert_close(mine["exp_avg"], ref["exp_avg"], rtol=1e-5, atol=1e-7)
                    torch.testing.assert_close(mine["exp_avg_sq"], ref["exp_avg_sq"], rtol=1e-5, atol=1e-9)
            assert ours.rng.bit_generator.state == theirs.rng.bit_generator.state
    assert updates[0] is updates[1]  # kept for the job: round 2 reloaded the seeds into round 1's tensors
    stacked_rounds(group[::-1])
    assert stacked_rounds.update is not updates[0]  # other learners: built anew
    assert stackable(group) and not stackable(group[:1])


@pytest.mark.parametrize("cls,algo,critic", [(IndependentAC, "ac", None), (MeanFieldAC, "mfac", "q"), (MeanFieldAC, "mfac", "v")])
def test_a_stacked_actor_critic_round_equals_each_seed_alone(cls, algo, critic):
    """Two seeds of an actor-critic with their own rings: seed 0's round is 3 agents × 4 steps = 12
    transitions + 2 survivors' final rows, seed 1's 3 × 8 = 24 + 2. Stacked, seed 0's 14 rows are padded
    to 26 for the targets' forward pass and its 12 transitions to 24 for the loss, the padding weighted
    0; one vmapped backward pass and one stacked Adam step. Each seed's loss, mean critic estimate,
    entropy, weights and Adam moments equal its round alone's to float tolerance, over two rounds of
    the job's one `StackedRounds` (the second starting from the first's Adam moments). (Fails before
    the actor-critics were stacked.)"""
    from replication.algorithms.battle.stacked import StackedACUpdate, StackedRounds, stackable

    overrides = {} if critic is None else {"critic": critic}
    stacked_rounds = StackedRounds()
    make = lambda seed: cls(VIEW, 1, 2, 4, _cfg(algo, **overrides), np.random.default_rng(seed), "cpu", rows_per_round=26)  # noqa: E731
    for round_, group, alone, stats, expected in _two_seeds_two_rounds(make, stacked_rounds, data_seed=20):
        assert stackable(group) and isinstance(stacked_rounds.update, StackedACUpdate)
        for ours, theirs, got, want in zip(group, alone, stats, expected):
            assert got["gradient_steps"] == want["gradient_steps"] == 1
            for key in ("loss", "mean_q", "entropy"):
                # mean_q averages critic outputs near 0 (~1e-2) that partly cancel: float32 noise of the
                # vmapped convolution is ~1e-7 absolute there, so the absolute tolerance is 1e-6
                assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6), key
            for a, b in zip(ours.net.parameters(), theirs.net.parameters()):
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
                mine, ref = ours.optimizer.state[a], theirs.optimizer.state[b]
                assert float(mine["step"]) == float(ref["step"]) == round_ + 1
                torch.testing.assert_close(mine["exp_avg"], ref["exp_avg"], rtol=1e-5, atol=1e-7)
                torch.testing.assert_close(mine["exp_avg_sq"], ref["exp_avg_sq"], rtol=1e-5, atol=1e-9)
            assert ours.round_rows == [] and theirs.round_rows == []


@pytest.mark.parametrize(
    "cls,algo", [(BattleIndependentDQN, "il"), (BattleMeanFieldDQN, "mfq"), (IndependentAC, "ac"), (MeanFieldAC, "mfac")]
)
def test_a_stacked_acting_pass_equals_each_seed_alone(cls, algo):
    """Three seeds' acting networks stacked (`StackedActing`, team of 4): seed 0 has 3 alive agents,
    seed 1 none, seed 2 all 4, and a fourth seed's round is over (None). One forward pass, padded to 4
    agents a seed, gives each playing seed its own policy outputs (Q-values, or log π) to float
    tolerance, with its alive agents' rows only; the finished seed gets None. Choosing from that slice
    with the seed's stream gives the actions its `act` gives alone (ε = 0.5: the same draws). After a
    seed's weights change, `load` brings the stack up to date."""
    from replication.algorithms.battle.stacked import StackedActing

    learners, alone = [], []
    for seed in range(4):
        torch.manual_seed(seed)
        learner = cls(VIEW, 1, 2, 4, _cfg(algo), np.random.default_rng(seed), "cpu")
        learners.append(learner), alone.append(copy.deepcopy(learner))
    acting = StackedActing(learners, agents=4)
    data = np.random.default_rng(3)
    observations = [tuple(data.random((n, *shape), np.float32) for shape in (VIEW, (1,), (2,))) for n in (3, 0, 4)] + [None]
    for round_ in range(2):
        outputs = acting.outputs(observations)
        assert outputs[3] is None
        for k, obs in enumerate(observations[:3]):
            with torch.no_grad():
                want = alone[k].policy_outputs(*obs)
            assert outputs[k].shape == want.shape == (len(obs[0]), 2)
            torch.testing.assert_close(outputs[k], want, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(learners[k].choose(outputs[k], 0.5), alone[k].act(*obs, 0.5))
        for net in (learners[2], alone[2]):  # seed 2's weights change between rounds
            with torch.no_grad():
                for p in net.networks()[next(iter(net.networks()))].parameters():
                    p.add_(0.1)
        acting.load()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_captured_stacked_step_equals_the_eager_one_on_cuda():
    """On a GPU the stacked step is recorded once as a CUDA graph and replayed. Two MF-Q seeds with
    random rounds in their rings, three steps (seed 1 sitting out the second): replaying the graph
    leaves every state tensor (weights, targets, Adam moments, step counts) as the eager steps do, to
    float tolerance, and the warm-up before capture leaves no step behind."""
    from replication.algorithms.battle.stacked import CapturedStep, StackedQUpdate, capture

    cfg = _cfg("mfq", batch_size=8)
    learners = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        learner = BattleMeanFieldDQN(VIEW, 1, 2, 4, cfg, np.random.default_rng(seed), "cuda")
        _random_round(learner, np.random.default_rng(5), 3, 6)
        learners.append(learner)
    batches = [[learner.draw_batch(learner.ring.usable_rows()) for learner in learners] for _ in range(3)]
    eager, graphed = StackedQUpdate(learners), StackedQUpdate(learners)
    stepper = capture(graphed, batches[0])
    assert isinstance(stepper, CapturedStep) and float(graphed.steps.sum()) == 0.0
    for batch, active in zip(batches, ([True, True], [True, False], [True, True])):
        want, got = eager.step(batch, active), stepper.step(batch, active)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    for a, b in zip(graphed.state(), eager.state()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert graphed.steps.tolist() == [3.0, 2.0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_captured_acting_pass_equals_each_seed_alone_on_cuda():
    """On a GPU the stacked acting pass is recorded once as a CUDA graph over its static input buffers
    and replayed: two MF-Q seeds with 3 and 1 alive agents (team of 4), two steps with new observations,
    each seed's Q-values as its network's alone to float tolerance."""
    from replication.algorithms.battle.stacked import CapturedCall, StackedActing

    learners = [BattleMeanFieldDQN(VIEW, 1, 2, 4, _cfg("mfq"), np.random.default_rng(s), "cuda") for s in (0, 1)]
    acting = StackedActing(learners, agents=4)
    data = np.random.default_rng(4)
    for _ in range(2):
        observations = [tuple(data.random((n, *shape), np.float32) for shape in (VIEW, (1,), (2,))) for n in (3, 1)]
        outputs = acting.outputs(observations)
        assert isinstance(acting.run, CapturedCall)
        for learner, obs, got in zip(learners, observations, outputs):
            with torch.no_grad():
                torch.testing.assert_close(got, learner.policy_outputs(*obs), rtol=1e-5, atol=1e-6)


def test_the_stacked_step_is_captured_only_on_cuda():
    """On CPU `capture` hands back the eager update: CUDA graphs are a GPU-only layer over it."""
    from replication.algorithms.battle.stacked import StackedQUpdate, capture

    learners = [BattleIndependentDQN(VIEW, 1, 2, 4, _cfg("il", batch_size=8), np.random.default_rng(s), "cpu") for s in (0, 1)]
    update = StackedQUpdate(learners)
    assert capture(update, []) is update


def test_run_layers_computes_what_the_module_calls_compute_to_the_byte():
    """`nets.run_layers` calls each layer's function directly (acting at a few agents pays for
    nn.Module's call machinery as much as for its arithmetic). By hand, on a 1×1×3×3 input
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]: a 2×2 convolution of ones with bias −20, stride 1, no padding,
    gives the window sums 12, 16, 24, 28 minus 20 = −8, −4, 4, 8; ReLU → 0, 0, 4, 8; flatten; a
    dense layer with weights (1, 1, 1, 1) and bias 1 → 13. Then the battle networks' whole forward
    passes, at 3 agents as a small team acts, equal their layers called as modules, to the byte, and
    a layer run_layers does not know (Tanh) goes through its module call."""
    conv = torch.nn.Conv2d(1, 1, 2)
    dense = torch.nn.Linear(4, 1)
    with torch.no_grad():
        conv.weight.fill_(1.0), conv.bias.fill_(-20.0), dense.weight.fill_(1.0), dense.bias.fill_(1.0)
    x = torch.arange(1.0, 10.0).view(1, 1, 3, 3)
    layers = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.Flatten())
    assert run_layers(layers, x).tolist() == [[0.0, 0.0, 4.0, 8.0]]
    assert run_layers(torch.nn.Sequential(*layers, dense), x).item() == 13.0
    assert run_layers(torch.nn.Sequential(torch.nn.Tanh()), torch.zeros(2)).tolist() == [0.0, 0.0]
    strided = torch.nn.Conv2d(7, 4, 3, stride=2, padding=1)
    image = torch.randn(3, 7, 13, 13)
    assert torch.equal(run_layers(torch.nn.Sequential(strided), image), strided(image))

    torch.manual_seed(0)
    view, features, mean = torch.randn(3, *VIEW), torch.randn(3, 4), torch.softmax(torch.randn(3, 21), -1)
    for mean_action in (False, True):
        net = BattleQNet(VIEW, 4, 21, mean_action)
        parts = [net.view(view.permute(0, 3, 1, 2)), net.features(features)] + ([net.mean(mean)] if mean_action else [])
        assert torch.equal(net(view, features, mean), net.head(torch.cat(parts, dim=-1)))
    for critic_mean_action in (False, True):
        net = BattleActorCritic(VIEW, 4, 21, 21, critic_mean_action)
        body = torch.cat([net.view(view), net.features(features)], dim=-1)
        critic_in = torch.cat([body, net.mean(mean)], dim=-1) if critic_mean_action else body
        logits, critic = net(view, features, mean)
        assert torch.equal(logits, net.policy(body)) and torch.equal(critic, net.critic(critic_in))
