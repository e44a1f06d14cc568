"""The null model of Gaussian Squeeze: every agent picks one of the actions uniformly at random,
acting and "greedy" alike, and never learns. The audit judges each claim on its values too: a claim
this learner also satisfies says nothing about learning (at N = 100 random play already scores
about 0.98, since x ≈ 4.5·N lands near μ = 400)."""

from __future__ import annotations

import numpy as np


class UniformRandomPolicy:
    needs_joint = False
    uses_mean_action = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.n_agents, self.n_actions, self.rng = n_agents, cfg.n_actions, rng

    def act(self, mean_action, timestep: int, epsilon: float) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, self.n_agents)

    def greedy(self, mean_action) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, self.n_agents)

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        return float("nan")  # nothing to learn: its loss is never defined, so it never counts as trained
