"""Resource sharing as the authors' code plays it (github ddhostallero/PED-DQN, gems/envs/
scenarios/circle_base.py, circle_priv_indiv_pabs.py, graph_core.py), each rule by hand."""

import numpy as np
import pytest

from replication.tasks.resource_sharing import ASK, GIVE, NONE, ResourceSharing


def _env(seed=0, **kwargs):
    return ResourceSharing(8, 40, 40, 30, False, np.random.default_rng(seed), **kwargs)


def _exact_holding_variance(total: int, n_agents: int) -> float:
    """The sequential rule's variance of one agent's holding, exactly, by carrying the distribution of
    what is left. With L the units left, the next agent's draw X is uniform on 0..L−1, so
    E[X | L] = (L − 1)/2: the first agent holds 19.5 on average, the second (40 − 19.5 − 1)/2 = 9.75,
    then 4.875, …, and the last the remainder. A shuffled agent is at each position with chance 1/8,
    so its mean is 40/8 = 5 and its variance the mean of E[X²] over positions minus 25: 72.74."""
    left = np.zeros(total + 1)
    left[total] = 1.0
    second = []
    for _ in range(n_agents - 1):
        nxt, ex2 = np.zeros(total + 1), 0.0
        for units in np.flatnonzero(left):
            span = max(units, 1)
            for x in range(span):
                ex2 += left[units] / span * x * x
                nxt[units - x] += left[units] / span
        second.append(ex2)
        left = nxt
    second.append((left * np.arange(total + 1) ** 2).sum())
    return float(np.mean(second) - (total / n_agents) ** 2)


def test_starting_split_follows_the_sequential_rule():
    """Every episode: holdings sum to the supply 40, needs to the demand 40, every need ≥ 1. Over
    8 000 episodes a holding's variance is the sequential rule's 72.74 (within 6%), far from the
    4.4 of an even multinomial split, and over a third of the agents start with nothing."""
    assert _exact_holding_variance(40, 8) == pytest.approx(72.7435, abs=1e-3)
    env = _env()
    holdings, needs = [], []
    for _ in range(8000):
        env.reset()
        holdings.append(env.has.copy()), needs.append(env.need.copy())
    holdings, needs = np.array(holdings), np.array(needs)
    assert (holdings.sum(axis=1) == 40).all() and (needs.sum(axis=1) == 40).all() and needs.min() == 1
    assert holdings.var() == pytest.approx(_exact_holding_variance(40, 8), rel=0.06)
    assert (holdings == 0).mean() > 1 / 3


def test_observation_of_a_hand_built_state():
    """Agent 2 has 3 and needs 5; its last action was ask, its left neighbour (1) gave, its right
    one (3) did nothing: (3/40, 5/40, 1/2, 2/2, 0/2) = (0.075, 0.125, 0.5, 1, 0). The global state
    holds every agent's (has/40, need/40, action/2)."""
    env = _env()
    env.has = np.array([1, 2, 3, 4, 5, 6, 7, 12])
    env.need = np.array([5, 5, 5, 5, 5, 5, 5, 5])
    env.previous = np.array([NONE, GIVE, ASK, NONE, NONE, NONE, NONE, ASK])
    obs = env.observe()
    assert obs.shape == (8, 5)
    np.testing.assert_allclose(obs[2], [0.075, 0.125, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(obs[0], [1 / 40, 5 / 40, 0.0, 0.5, 1.0])  # agent 0's left is agent 7 (asked)
    np.testing.assert_allclose(env.state()[6:9], [0.075, 0.125, 0.5])


def test_a_giver_with_one_unit_serves_one_of_two_askers_at_random():
    """Agent 1 has one unit and gives; both its neighbours (0 and 2) ask: over 2 000 steps each gets
    the unit about half the time (the authors shuffle the askers), never both. With two units both get one."""
    env = _env()
    to_left = 0
    for _ in range(2000):
        env.has = np.array([0, 1, 0, 9, 9, 9, 9, 4])
        env.step(np.array([ASK, GIVE, ASK, NONE, NONE, NONE, NONE, NONE]))
        assert env.has[1] == 0 and env.has[0] + env.has[2] == 1
        to_left += env.has[0]
    assert 0.45 < to_left / 2000 < 0.55
    env.has = np.array([0, 2, 0, 9, 9, 9, 9, 3])
    env.step(np.array([ASK, GIVE, ASK, NONE, NONE, NONE, NONE, NONE]))
    assert env.has[:3].tolist() == [1, 0, 1]


def test_rewards_and_success_measures():
    """Reward −|has − need| − |Δhas|: agent 1 gives its unit to agent 2 (need 1 each, holdings 1 → 0
    and 0 → 1): agent 1 gets −1 − 1 = −2, agent 2 gets 0 − 1 = −1. Success: everyone has ≥ need.
    When every agent has exactly its need, the intended global success is 1 and the authors' logged
    one 0 (it also needs every squared error to be non-zero)."""
    env = _env()
    env.has = np.array([5, 1, 0, 5, 5, 5, 5, 14])
    env.need = np.array([5, 1, 1, 5, 5, 5, 5, 13])
    rewards, _ = env.step(np.array([NONE, GIVE, ASK, NONE, NONE, NONE, NONE, NONE]))
    assert rewards[:3].tolist() == [0.0, -2.0, -1.0] and rewards[7] == -1.0
    env.has = env.need.copy()
    assert env.episode_metrics() == {"agent_success": 1.0, "global_success": 1.0}
    reference = _env(global_success="reference")
    reference.has, reference.need = env.has.copy(), env.need.copy()
    assert reference.episode_metrics() == {"agent_success": 1.0, "global_success": 0.0}
    env.has = env.need + np.array([1, -1, 0, 0, 0, 0, 0, 0])
    assert env.episode_metrics() == {"agent_success": 7 / 8, "global_success": 0.0}
