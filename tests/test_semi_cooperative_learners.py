"""Paper B's learners against values worked out by hand: QMIX's mixer and target, PE-DQN's single
network, MF-Q's Boltzmann target. Networks are made constant (zero weights, chosen last bias)."""

import dataclasses

import numpy as np
import pytest
import torch

from replication.algorithms.semi_cooperative.dqn import AgentQNetwork
from replication.algorithms.semi_cooperative.mfq import MeanFieldDQN
from replication.algorithms.semi_cooperative.pe_dqn import PeerEvaluationDQN
from replication.algorithms.semi_cooperative.qmix import QMIX, Mixer
from replication.config import algorithm_config
from replication.tasks.prisoners_dilemma import PrisonersDilemma
from tests.test_semi_cooperative import _constant_q


def _hand_mixer(mixer: Mixer) -> Mixer:
    """Two agents, embedding 1, hypernetworks that ignore the state: |W1| = (2, 3) from biases
    (−2, 3), b1 = 0.5, |w2| = 4 from bias −4, b2 = 1 (its last layer's bias)."""
    with torch.no_grad():
        for p in mixer.parameters():
            p.zero_()
        mixer.w1.bias.copy_(torch.tensor([-2.0, 3.0]))
        mixer.b1.bias.fill_(0.5)
        mixer.w2.bias.fill_(-4.0)
        mixer.b2[-1].bias.fill_(1.0)
    return mixer


def test_qmix_mixer_by_hand_and_monotone():
    """Q_tot = 4·ELU(2·q1 + 3·q2 + 0.5) + 1. q = (1, 0): 4·2.5 + 1 = 11. q = (1, −1): the ELU input
    is −0.5, ELU = e^−0.5 − 1 = −0.393469, Q_tot = −0.573877. With random hypernetworks and states,
    ∂Q_tot/∂q_a ≥ 0 for every agent (the absolute weights make the mix monotone). Two seeds' mixers
    side by side (n_seeds 2, both set so) mix each seed's two agents alone: q = (1, 0 | 1, −1) → (11, −0.573877)."""
    mixer = _hand_mixer(Mixer(2, 3, 1))
    state = torch.zeros(2, 3)
    out = mixer(torch.tensor([[1.0, 0.0], [1.0, -1.0]]), state)
    np.testing.assert_allclose(out.detach().numpy()[:, 0], [11.0, 4 * (np.exp(-0.5) - 1) + 1], rtol=1e-6)
    two_seeds = _hand_mixer(Mixer(4, 3, 1, n_seeds=2))
    out = two_seeds(torch.tensor([[1.0, 0.0, 1.0, -1.0]]), torch.zeros(1, 6))
    np.testing.assert_allclose(out.detach().numpy()[0], [11.0, 4 * (np.exp(-0.5) - 1) + 1], rtol=1e-6)
    torch.manual_seed(0)
    random_mixer = Mixer(4, 5, 8)
    q = torch.randn(256, 4, requires_grad=True)
    random_mixer(q, torch.randn(256, 5)).sum().backward()
    assert (q.grad >= 0).all() and (q.grad > 0).any()


def test_qmix_target_and_loss_by_hand(smoke_cfg):
    """Prisoner's dilemma, batch of one stored step, γ = 0.5, both mixers as in `_hand_mixer`.
    Target networks: agent 0 (1, 3), agent 1 (2, 0) → max (3, 2) → Q_tot⁻ = 4·(2·3 + 3·2 + 0.5) + 1 = 51.
    Rewards (1, 3), both active: r̄ = 2; y = 2 + 0.5·51 = 27.5. Online networks: agent 0 (0.5, 1),
    agent 1 (2, −1); actions (1, 0) → q = (1, 2) → Q_tot = 4·(2 + 6 + 0.5) + 1 = 35. Loss (35 − 27.5)² = 56.25."""
    cfg = dataclasses.replace(smoke_cfg.semi_cooperative, gamma=0.5, batch_size=1)
    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = QMIX(env, cfg, dataclasses.replace(smoke_cfg.prisoners_dilemma, qmix_embedding=1), np.random.default_rng(0))
    _hand_mixer(learner.mixer), _hand_mixer(learner.mixer_target)
    _constant_q(learner.q.online, [[0.5, 1.0], [2.0, -1.0]])
    _constant_q(learner.q.target, [[1.0, 3.0], [2.0, 0.0]])
    obs, state = env.observe(), env.state()
    learner.store(
        {
            "obs": obs,
            "next_obs": obs,
            "action": np.array([1, 0]),
            "reward": np.array([1.0, 3.0], np.float32),
            "terminal": np.zeros(2, np.float32),
            "active": np.ones(2, np.float32),
            "peers": env.peers(),
            "state": state,
            "next_state": state,
        },
        0,
    )
    assert learner.train_step() == pytest.approx(56.25)


@pytest.mark.parametrize("peer_network, expected_z", [("mission", [4.98, 2.47]), ("frozen_copy", [5.0, 3.96])])
def test_pe_dqn_evaluates_with_its_own_single_network(smoke_cfg, peer_network, expected_z):
    """PE-DQN has one network, no mission network: z is that network's own TD error. Online Q:
    agent 0 (1, 2), agent 1 (0.5, 3), so π(o') = action 1 for both; its frozen copy (target):
    (4, 0) and (0, 4). Actions (1, 0), rewards (5, 0), γ = 0.99.
    Live network: z0 = 5 + 0.99·2 − 2 = 4.98, z1 = 0 + 0.99·3 − 0.5 = 2.47.
    Frozen copy: z0 = 5 + 0.99·0 − 0 = 5, z1 = 0 + 0.99·4 − 0 = 3.96 (π still the acting network's)."""
    cfg = dataclasses.replace(smoke_cfg.semi_cooperative, peer_network=peer_network, peer_bootstrap="policy", gamma=0.99)
    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = PeerEvaluationDQN(env, cfg, smoke_cfg.prisoners_dilemma, np.random.default_rng(0))
    assert not hasattr(learner, "mission") and set(learner.networks()) == {"q", "q_target"}
    _constant_q(learner.q.online, [[1.0, 2.0], [0.5, 3.0]])
    _constant_q(learner.q.target, [[4.0, 0.0], [0.0, 4.0]])
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
    np.testing.assert_allclose(learner.peer.signals(step), expected_z, rtol=1e-6)


def test_paper_b_mfq_boltzmann_target_by_hand(smoke_cfg):
    """MF-Q's target bootstraps with v^MF = Σ_u softmax(Q⁻/T)·Q⁻ (paper A, Eqs. 10, 12). Target rows
    (1.0, 1.1) for both agents at T = 0.1: π = (0.268941, 0.731059), v^MF = 1.073106. Rewards 1,
    γ = 0.5: y = 1.536553. Online Q(o, action 0) = 2 for both: loss Σ (2 − 1.536553)² = 2·0.214783 = 0.429567."""
    cfg = dataclasses.replace(
        algorithm_config(smoke_cfg.semi_cooperative, "mfq"), gamma=0.5, batch_size=1, boltzmann_temperature=0.1
    )
    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = MeanFieldDQN(env, cfg, smoke_cfg.prisoners_dilemma, np.random.default_rng(0))
    _constant_q(learner.q.online, [[2.0, 0.0], [2.0, 0.0]])
    _constant_q(learner.q.target, [[1.0, 1.1], [1.0, 1.1]])
    obs, mean = env.observe(), np.zeros((2, 2), np.float32)
    learner.store(
        {
            "obs": obs,
            "next_obs": obs,
            "action": np.array([0, 0]),
            "reward": np.ones(2, np.float32),
            "terminal": np.zeros(2, np.float32),
            "active": np.ones(2, np.float32),
            "peers": env.peers(),
            "mean_action": mean,
            "next_mean_action": mean,
        },
        0,
    )
    assert learner.train_step() == pytest.approx(0.429567, abs=1e-5)


def test_pursuit_network_is_the_authors_convolution_per_agent():
    """pursuit/agents/ind_dqn/dq_network.py per agent: conv 3×3×3→32 (896 weights and biases) over
    the 7×7×3 view → 5×5×32 = 800, concatenated with the 3 features → dense 64 (803·64 + 64 = 51 456)
    → dense 64 (4 160) → 5 Q-values (325): 56 837 parameters per agent, 227 348 for 4 agents.
    The convolution is nn.Conv2d's (agent 2's weights in a Conv2d give its features). Agents are
    independent: changing agent 1's input leaves agent 0's Q-values as they were; agent 2's output
    equals a single-agent network given agent 2's weights."""
    torch.manual_seed(0)
    net = AgentQNetwork(4, 150, 5, 64, shared=False, view_shape=(7, 7, 3))
    assert sum(p.numel() for p in net.parameters()) == 4 * 56_837
    x = torch.rand(2, 4, 150)
    q = net(x)
    assert q.shape == (2, 4, 5)
    changed = x.clone()
    changed[:, 1] = torch.rand(2, 150)
    moved = net(changed)
    torch.testing.assert_close(moved[:, 0], q[:, 0])
    assert not torch.allclose(moved[:, 1], q[:, 1])
    conv = torch.nn.Conv2d(3, 32, 3)
    with torch.no_grad():  # patch features in (channel, row, column) order, as Conv2d's weights
        conv.weight.copy_(net.conv.weight[2].T.reshape(32, 3, 3, 3)), conv.bias.copy_(net.conv.bias[2, 0])
    view = x[:, 2, :147].reshape(2, 7, 7, 3).permute(0, 3, 1, 2)
    expected = torch.relu(conv(view)).permute(0, 2, 3, 1).reshape(2, 800)  # (row, column, filter) order
    torch.testing.assert_close(net._view_features(x[..., :147].transpose(0, 1))[2], expected)
    single = AgentQNetwork(1, 150, 5, 64, shared=False, view_shape=(7, 7, 3))
    with torch.no_grad():
        for mine, theirs in zip(single.parameters(), net.parameters()):
            mine.copy_(theirs[2:3])
    torch.testing.assert_close(single(x[:, 2:3])[:, 0], q[:, 2])


def test_shared_network_is_one_network_per_seed_reading_the_agent_index():
    """`parameter_sharing`: 3 agents, one network reading [input, one-hot of the agent]; with its
    weights zero but the first layer's (input weights 0, index weights (1, 2, 3) to one hidden unit),
    the hidden bias 0 and the head's weight 1 from that unit through a second layer of identity,
    agent a's Q-value is relu(relu(a + 1)) = a + 1 for every action. Two seeds stacked (n_seeds 2)
    keep one such network each: seed 1's second network, scaled by 10, gives 10·(a + 1) for its agents."""
    net = AgentQNetwork(6, 4, 2, 3, shared=True, n_seeds=2)
    assert [tuple(layer.weight.shape) for layer in net.layers] == [(2, 7, 3), (2, 3, 3), (2, 3, 2)]
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        for seed, scale in ((0, 1.0), (1, 10.0)):
            net.layers[0].weight[seed, 4:, 0] = torch.tensor([1.0, 2.0, 3.0]) * scale
            net.layers[1].weight[seed, 0, 0] = 1.0
            net.layers[2].weight[seed, 0, :] = 1.0
    q = net(torch.randn(5, 6, 4))
    expected = torch.tensor([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])[None, :, None].expand(5, 6, 2)
    torch.testing.assert_close(q, expected)


def test_reward_sharing_starts_after_the_warm_up(smoke_cfg):
    """pro_dqn / loc_dqn add the peers' mean reward only from step 50 000 (here peer_warmup_steps = 10).
    Rewards (5, 1), each the other's peer, β = 1: before the warm-up r̂ = r = (5, 1); from step 10 on
    r̂ = (5 + 1, 1 + 5) = (6, 6)."""
    from replication.algorithms.semi_cooperative.reward_sharing import RewardSharingDQN

    cfg = dataclasses.replace(smoke_cfg.semi_cooperative, beta=1.0)
    schedule = dataclasses.replace(smoke_cfg.prisoners_dilemma, peer_warmup_steps=10)
    env = PrisonersDilemma(10, np.random.default_rng(0))
    learner = RewardSharingDQN(env, cfg, schedule, np.random.default_rng(0))
    step = {"reward": np.array([5.0, 1.0], np.float32), "active": np.ones(2, np.float32), "peers": env.peers()}
    assert learner.learning_reward(step, 9).tolist() == [5.0, 1.0]
    assert learner.learning_reward(step, 10).tolist() == [6.0, 6.0]
