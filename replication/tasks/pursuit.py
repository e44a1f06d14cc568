"""Partially-cooperative pursuit (paper B, the author code's main task).

A 10×10 grid (outside is wall) with 4 learning predators and 3 randomly moving prey. Actions:
0 stay, 1 up, 2 down, 3 left, 4 right; a move into the wall leaves the agent in place, and cells
may hold several agents. Every move (not staying) costs one unit of a private battery of 100.
After all moves, a prey with at least 3 predators in its 8 neighbouring cells is captured; it
reappears on a random cell 15 steps later. Captures count for the whole team (G).

Reward only at the last step of the 100-step episode, by `reward_form`:
  picsq            100·[battery > 50] + 5·G²            (author code's default)
  sigmoid_linear   100·σ((battery − 30)/10) + 12·G
  sigmoid_sigmoid  100·σ((battery − 70)/10) + 150·σ(G − 5)
The dilemma: the battery bonus is private, while a capture needs three predators to move.

Observation per predator: a 7×7×3 one-hot view centred on it (wall, predator, prey; other
predators only) plus [battery/100, step/100, captures/10]. Its peers are the predators in that view.
The global state (for QMIX): predator and prey count maps, batteries/100, step/100 and captures/10.
"""

from __future__ import annotations

import numpy as np

from replication.algorithms.mean_action import chebyshev_peers

REWARD_FORMS = ("picsq", "sigmoid_linear", "sigmoid_sigmoid")
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
NEIGHBOURS = np.array([[dx, dy] for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy], dtype=np.int64)
VIEW_RADIUS = 3
CAPTURE_PREDATORS = 3


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def final_reward(battery: np.ndarray, captures: int, form: str) -> np.ndarray:
    """Each predator's reward at the last step of an episode."""
    if form == "picsq":
        return 100.0 * (battery > 50) + 5.0 * captures ** 2
    if form == "sigmoid_linear":
        return 100.0 * sigmoid((battery - 30) / 10) + 12.0 * captures
    if form == "sigmoid_sigmoid":
        return 100.0 * sigmoid((battery - 70) / 10) + 150.0 * sigmoid(captures - 5)
    raise ValueError(f"reward_form: {form!r} is not known; choose one of {', '.join(REWARD_FORMS)}")


def captured_prey(predators: np.ndarray, prey: np.ndarray, present: np.ndarray, grid: int) -> np.ndarray:
    """Which present prey have at least CAPTURE_PREDATORS predators in their 8 neighbour cells."""
    counts = np.zeros((grid + 2, grid + 2), dtype=np.int64)  # padded so neighbours of edge cells exist
    np.add.at(counts, (predators[:, 0] + 1, predators[:, 1] + 1), 1)
    around = prey[:, None, :] + NEIGHBOURS[None] + 1                        # (n_prey, 8, 2)
    return present & (counts[around[..., 0], around[..., 1]].sum(axis=1) >= CAPTURE_PREDATORS)


class Pursuit:
    n_actions = 5

    def __init__(self, grid_size: int, n_predators: int, n_prey: int, episode_length: int, battery: int,
                 respawn_steps: int, reward_form: str, rng: np.random.Generator):
        if n_predators + n_prey > grid_size * grid_size:
            raise ValueError(f"{n_predators} predators and {n_prey} prey do not fit a {grid_size}×{grid_size} grid")
        if reward_form not in REWARD_FORMS:
            raise ValueError(f"reward_form: {reward_form!r} is not known; choose one of {', '.join(REWARD_FORMS)}")
        self.grid, self.n_agents, self.n_prey = grid_size, n_predators, n_prey
        self.max_steps, self.full_battery, self.respawn_steps = episode_length, battery, respawn_steps
        self.reward_form, self.rng = reward_form, rng
        side = 2 * VIEW_RADIUS + 1
        self.obs_dim = side * side * 3 + 3
        self.state_dim = 2 * grid_size * grid_size + n_predators + 2
        self.reset()

    def _free_cells(self, k: int) -> np.ndarray:
        """k distinct random cells."""
        cells = self.rng.choice(self.grid * self.grid, size=k, replace=False)
        return np.stack([cells // self.grid, cells % self.grid], axis=1)

    def reset(self) -> None:
        cells = self._free_cells(self.n_agents + self.n_prey)
        self.predators, self.prey = cells[:self.n_agents].copy(), cells[self.n_agents:].copy()
        self.present = np.ones(self.n_prey, dtype=bool)
        self.respawn_in = np.zeros(self.n_prey, dtype=np.int64)
        self.battery = np.full(self.n_agents, self.full_battery, dtype=np.int64)
        self.captures = 0
        self.steps = 0

    def observe(self) -> np.ndarray:
        side = 2 * VIEW_RADIUS + 1
        pad = VIEW_RADIUS
        layers = np.zeros((3, self.grid + 2 * pad, self.grid + 2 * pad), dtype=np.float32)
        layers[0] = 1.0
        layers[0, pad:-pad, pad:-pad] = 0.0
        np.add.at(layers[1], (self.predators[:, 0] + pad, self.predators[:, 1] + pad), 1.0)
        prey = self.prey[self.present]
        layers[2, prey[:, 0] + pad, prey[:, 1] + pad] = 1.0
        offsets = np.arange(side)
        rows = self.predators[:, 0, None] + offsets                              # (n, side)
        cols = self.predators[:, 1, None] + offsets
        views = layers[:, rows[:, :, None], cols[:, None, :]]                    # (3, n, side, side)
        views[1, :, pad, pad] -= 1.0                                             # not itself
        views = np.minimum(views, 1.0).transpose(1, 2, 3, 0).reshape(self.n_agents, -1)
        extra = np.stack([self.battery / 100, np.full(self.n_agents, self.steps / 100),
                          np.full(self.n_agents, self.captures / 10)], axis=1).astype(np.float32)
        return np.concatenate([views, extra], axis=1)

    def state(self) -> np.ndarray:
        maps = np.zeros((2, self.grid, self.grid), dtype=np.float32)
        np.add.at(maps[0], (self.predators[:, 0], self.predators[:, 1]), 1.0)
        maps[1, self.prey[self.present, 0], self.prey[self.present, 1]] = 1.0
        return np.concatenate([maps.ravel(), self.battery / 100, [self.steps / 100, self.captures / 10]]).astype(np.float32)

    def peers(self) -> np.ndarray:
        return chebyshev_peers(self.predators, VIEW_RADIUS)

    def active(self) -> np.ndarray:
        return np.ones(self.n_agents, dtype=bool)

    def _move(self, positions: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return np.clip(positions + MOVES[actions], 0, self.grid - 1)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        actions = np.asarray(actions, dtype=np.int64)
        moving = (actions != 0) & (self.battery > 0)
        self.predators = np.where(moving[:, None], self._move(self.predators, actions), self.predators)
        self.battery -= moving
        self.prey = self._move(self.prey, self.rng.integers(0, 5, self.n_prey))
        caught = captured_prey(self.predators, self.prey, self.present, self.grid)
        self.captures += int(caught.sum())
        self.present &= ~caught
        self.respawn_in[caught] = self.respawn_steps
        waiting = ~self.present & ~caught
        self.respawn_in[waiting] -= 1
        back = waiting & (self.respawn_in <= 0)
        if back.any():
            self.prey[back] = self.rng.integers(0, self.grid, (int(back.sum()), 2))
            self.present |= back
        self.steps += 1
        done = self.steps >= self.max_steps
        rewards = (final_reward(self.battery, self.captures, self.reward_form) if done
                   else np.zeros(self.n_agents)).astype(np.float32)
        return rewards, done

    def episode_metrics(self) -> dict:
        return {"captures": float(self.captures), "success": float(self.captures >= 4),
                "battery": float(self.battery.mean())}
