"""Iterated two-player prisoner's dilemma (paper B's opening example).

The paper's payoffs were not recovered; we use Axelrod's: mutual cooperation R = 3 each, mutual
defection P = 1 each, a defector against a cooperator T = 5 and the cooperator S = 0. Defection
dominates in every stage game, mutual cooperation maximises the social welfare (6 against 2).
Each agent sees the previous joint action (its own first) and the episode's progress; the two
players always observe each other, so each is the other's only peer.
"""

from __future__ import annotations

import numpy as np

COOPERATE, DEFECT = 0, 1
# PAYOFF[own action, other's action] = own reward
PAYOFF = np.array([[3.0, 0.0], [5.0, 1.0]], dtype=np.float32)


class PrisonersDilemma:
    n_agents = 2
    n_actions = 2

    def __init__(self, episode_length: int, rng: np.random.Generator):
        self.max_steps = episode_length
        self.obs_dim = 2 * 3 + 1  # previous own / other action one-hot (cooperate, defect, none) + progress
        self.state_dim = self.obs_dim
        self.rng = rng
        self.reset()

    def reset(self) -> None:
        self.previous = np.full(2, 2)  # 2 = no previous action
        self.steps = 0
        self.cooperations = 0
        self.mutual = 0

    def observe(self) -> np.ndarray:
        onehot = np.eye(3, dtype=np.float32)[self.previous]  # (2, 3)
        progress = np.full((2, 1), self.steps / self.max_steps, np.float32)
        return np.concatenate([onehot, onehot[::-1], progress], axis=1)  # own first, then the other's

    def state(self) -> np.ndarray:
        return self.observe()[0]

    def peers(self) -> np.ndarray:
        return ~np.eye(2, dtype=bool)

    def active(self) -> np.ndarray:
        return np.ones(2, dtype=bool)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        rewards = PAYOFF[actions, actions[::-1]]
        self.previous = np.asarray(actions, dtype=np.int64)
        self.steps += 1
        self.cooperations += int((actions == COOPERATE).sum())
        self.mutual += int((actions == COOPERATE).all())
        return rewards, self.steps >= self.max_steps

    def episode_metrics(self) -> dict:
        return {"cooperation_rate": self.cooperations / (2 * self.steps), "mutual_cooperation_rate": self.mutual / self.steps}
