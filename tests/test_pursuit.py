"""Pursuit as the authors' code plays it (github ddhostallero/PED-DQN, pursuit/envs/grid_core.py,
scenarios/battery_endless.py, agents/simple_agent.py), each rule on a hand-made state.

Positions are (row, column); actions 0 stay, 1 up, 2 down, 3 left, 4 right."""

import numpy as np
import pytest

from replication.tasks.pursuit import STAY, Pursuit, final_reward

UP, DOWN, LEFT, RIGHT = 1, 2, 3, 4


def _env(n_predators=4, n_prey=1, grid=10, timing="current", length=100, respawn=15, seed=0):
    return Pursuit(grid, n_predators, n_prey, length, 100, respawn, "picsq", np.random.default_rng(seed), timing)


def _script_prey(env, actions):
    env._prey_actions = lambda: np.asarray(actions)


def test_two_predators_into_one_cell_the_second_is_blocked():
    """Predators 0 at (2, 1) and 1 at (2, 3) both step into (2, 2): predator 0 moves first and takes
    it; predator 1 is blocked and stays at (2, 3). Both spend battery."""
    env = _env(n_predators=2)
    env.place([[2, 1], [2, 3]], [[8, 8]])
    _script_prey(env, [STAY])
    env.step(np.array([RIGHT, LEFT]))
    assert env.predators.tolist() == [[2, 2], [2, 3]] and env.battery.tolist() == [99, 99]


def test_a_chain_moving_one_way_all_moves():
    """Predators at (5, 1), (5, 2), (5, 3) all step right. Predator 0 finds 1 in its way and lets
    it move first, which lets 2 move first: all three move, to (5, 2), (5, 3), (5, 4)."""
    env = _env(n_predators=3)
    env.place([[5, 1], [5, 2], [5, 3]], [[0, 9]])
    _script_prey(env, [STAY])
    env.step(np.array([RIGHT, RIGHT, RIGHT]))
    assert env.predators.tolist() == [[5, 2], [5, 3], [5, 4]]


def test_two_agents_swapping_cells_are_both_blocked():
    """Predators at (0, 0) and (0, 1) step into each other's cell: the second waits on the first,
    which is already waiting: neither moves."""
    env = _env(n_predators=2)
    env.place([[0, 0], [0, 1]], [[9, 9]])
    _script_prey(env, [STAY])
    env.step(np.array([RIGHT, LEFT]))
    assert env.predators.tolist() == [[0, 0], [0, 1]]


def test_a_predator_follows_a_prey_that_moves_away():
    """The predator at (4, 4) steps right into the prey at (4, 5), which steps right too: the prey
    moves first (to (4, 6)) and the predator takes (4, 5). With the prey staying, the predator is blocked."""
    env = _env(n_predators=1)
    env.place([[4, 4]], [[4, 5]])
    _script_prey(env, [RIGHT])
    env.step(np.array([RIGHT]))
    assert env.predators.tolist() == [[4, 5]] and env.prey.tolist() == [[4, 6]]
    env.place([[4, 4]], [[4, 5]])
    _script_prey(env, [STAY])
    env.step(np.array([RIGHT]))
    assert env.predators.tolist() == [[4, 4]] and env.prey.tolist() == [[4, 5]]


def test_the_prey_runs_to_a_free_cell_and_a_boxed_in_prey_stays():
    """A prey in the corner (0, 0) with predators on (0, 1) and (1, 0) has no free cell: it stays.
    A prey at (5, 5) with predators above and to the left may only go right or down; over 400
    steps (the predators staying, batteries full) it never goes up or left, and goes right about
    half the time on its first step (RunningAgent draws uniformly)."""
    env = _env(n_predators=2)
    env.place([[0, 1], [1, 0]], [[0, 0]])
    env.step(np.array([STAY, STAY]))
    assert env.prey.tolist() == [[0, 0]]
    firsts = []
    for seed in range(400):
        env = _env(n_predators=2, seed=seed)
        env.place([[4, 5], [5, 4]], [[5, 5]])
        env.step(np.array([STAY, STAY]))
        firsts.append(tuple(env.prey[0]))
    assert set(firsts) == {(5, 6), (6, 5)}
    assert 0.4 < firsts.count((5, 6)) / 400 < 0.6


def test_capture_needs_three_predators_in_the_eight_neighbours():
    """Prey at (5, 5). Predators at (4, 4), (4, 6), (6, 5): three neighbours → captured, it leaves
    the grid, G = 1 for every predator. With the third predator at (7, 5) (not a neighbour): two →
    not captured. One agent per cell, so three neighbours are three distinct predators."""
    env = _env(n_predators=3)
    env.place([[4, 4], [4, 6], [6, 5]], [[5, 5]])
    _script_prey(env, [STAY])
    env.step(np.array([STAY, STAY, STAY]))
    assert env.captures == 1 and not env.present[0] and env.occupant[5, 5] == -1
    env = _env(n_predators=3)
    env.place([[4, 4], [4, 6], [7, 5]], [[5, 5]])
    _script_prey(env, [STAY])
    env.step(np.array([STAY, STAY, STAY]))
    assert env.captures == 0 and env.present[0]


def test_a_captured_prey_returns_after_respawn_steps_on_an_empty_cell():
    """respawn_steps = 2 on a 3×3 grid filled by 8 predators around the prey at (1, 1): captured
    at step 1; absent after step 2; back at step 3 (after 2 steps away) on the only empty cell (1, 1)."""
    env = _env(n_predators=8, grid=3, respawn=2)
    ring = [[r, c] for r in range(3) for c in range(3) if (r, c) != (1, 1)]
    for seed in range(5):
        env = _env(n_predators=8, grid=3, respawn=2, seed=seed)
        env.place(ring, [[1, 1]])
        env.step(np.zeros(8, int))
        assert not env.present[0]
        env.step(np.zeros(8, int))
        assert not env.present[0]
        env.step(np.zeros(8, int))
        assert env.present[0] and env.prey.tolist() == [[1, 1]]


def test_a_predator_with_an_empty_battery_does_not_move_but_still_pays():
    """A predator with battery 0 that chooses to move stays where it is; its battery goes to −1 (the
    authors allow negative power). One with battery 1 moves and reaches 0."""
    env = _env(n_predators=2)
    env.place([[2, 2], [7, 7]], [[0, 9]])
    env.battery[:] = [0, 1]
    _script_prey(env, [STAY])
    env.step(np.array([RIGHT, RIGHT]))
    assert env.predators.tolist() == [[2, 2], [7, 8]] and env.battery.tolist() == [-1, 0]


def test_final_reward_and_its_battery_guard():
    """picsq: 100·[b > 50] + 5·G². The sigmoid forms pay the battery bonus only while b > 0:
    b = 30 → 100·σ(0) = 50 (+12·G); b = 0 → 0; b = 70, G = 5 → 50 + 150·σ(0) = 125."""
    assert final_reward(np.array([51, 50]), 2, "picsq").tolist() == [120.0, 20.0]
    assert np.allclose(final_reward(np.array([30, 0, -5]), 1, "sigmoid_linear"), [62.0, 12.0, 12.0])
    assert np.allclose(final_reward(np.array([70, 0]), 5, "sigmoid_sigmoid"), [125.0, 75.0])


def test_rewards_only_at_the_last_step():
    env = _env(n_predators=4, n_prey=3, length=3)
    rewards = [env.step(np.zeros(4, int)) for _ in range(3)]
    assert [r.sum() for r, _ in rewards[:2]] == [0.0, 0.0] and [d for _, d in rewards] == [False, False, True]
    assert rewards[2][0].tolist() == [100.0] * 4  # nobody moved: battery 100 > 50; no capture


def _view(obs, agent, channel):
    return obs[agent, :147].reshape(7, 7, 3)[..., channel]


@pytest.mark.parametrize("timing", ["current", "reference"])
def test_observation_of_a_hand_built_state(timing):
    """Grid 10×10: predators 0, 1, 2 at (0, 1), (2, 0), (1, 1); the prey at (1, 0) has all three among
    its neighbours, so it is captured in step 1 (everyone stays).

    Predator 0's view maps view row i to grid row i − 3 and view column j to grid column j − 2.
    Wall: view rows 0–2 (grid rows −3..−1) and view columns 0–1 (grid columns −2, −1), nothing else.
    Predators: itself at the centre (3, 3), predator 2 at (4, 3), predator 1 at (5, 2). Prey: (4, 2).
    Features at the start: battery 1.0, G/10 = 0, step 0 (`current`) or 0.01 (`reference`).

    After step 1, `current`: the prey has left (prey channel empty), battery 1.0, step 0.01, G/10 = 0.1.
    `reference`: the view is taken before the captured prey leaves (still at (4, 2)), battery and G
    are read before the step (1.0 and 0), step feature (1 + 1)/100 = 0.02."""
    env = _env(n_predators=3, timing=timing)
    env.place([[0, 1], [2, 0], [1, 1]], [[1, 0]])
    start = env.observe()
    assert start.shape == (3, 150)
    wall = _view(start, 0, 0)
    assert wall[:3].all() and wall[:, :2].all() and wall[3:, 2:].sum() == 0
    predators = _view(start, 0, 1)
    assert sorted(zip(*np.nonzero(predators))) == [(3, 3), (4, 3), (5, 2)]
    assert list(zip(*np.nonzero(_view(start, 0, 2)))) == [(4, 2)]
    assert start[0, 147:].tolist() == pytest.approx([1.0, 0.01 if timing == "reference" else 0.0, 0.0])
    _script_prey(env, [STAY])
    env.step(np.array([STAY, STAY, STAY]))
    assert env.captures == 1
    after = env.observe()
    if timing == "current":
        assert _view(after, 0, 2).sum() == 0
        assert after[0, 147:].tolist() == pytest.approx([1.0, 0.01, 0.1])
    else:
        assert list(zip(*np.nonzero(_view(after, 0, 2)))) == [(4, 2)]
        assert after[0, 147:].tolist() == pytest.approx([1.0, 0.02, 0.0])


def test_global_state_is_coordinates_and_features():
    """x (column) then y (row) of every agent / 9; a captured prey at −1/9; then each predator's features."""
    env = _env(n_predators=3)
    env.place([[0, 1], [2, 0], [1, 1]], [[1, 0]])
    _script_prey(env, [STAY])
    env.step(np.array([STAY, STAY, STAY]))
    state = env.state()
    np.testing.assert_allclose(state[:8] * 9, [1, 0, 1, -1, 0, 2, 1, -1])
    np.testing.assert_allclose(state[8:], env.observe()[:, 147:].ravel())
