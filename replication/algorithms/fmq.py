"""FMQ: frequency maximum Q (Kapetanakis & Kudenko 2002), a paper A §5.1 baseline.

Independent Q-learning (the shared IL network) whose action choice is biased towards actions
that have often earned their best reward so far:

    EV(a) = Q(a) + c · F(a) · maxR(a),   F(a) = (times maxR(a) was received) / (times a was taken),

with Boltzmann exploration over EV at temperature T(t) = max_temp · exp(−s·t) + 1.
maxR and the counts are kept per agent as (N, A) arrays.
"""

from __future__ import annotations

import numpy as np
import torch

from replication.algorithms.iql import IndependentQ
from replication.nets import boltzmann, sample_categorical


class FrequencyMaximumQ(IndependentQ):
    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        super().__init__(n_agents, cfg, rng)
        shape = (n_agents, cfg.n_actions)
        self.max_reward = np.full(shape, -np.inf)
        self.taken = np.zeros(shape)
        self.max_count = np.zeros(shape)
        self._rows = np.arange(n_agents)

    def temperature(self, timestep: int) -> float:
        return self.cfg.fmq_max_temperature * np.exp(-self.cfg.fmq_s * timestep) + 1.0

    def frequency(self) -> np.ndarray:
        return np.divide(self.max_count, self.taken, out=np.zeros_like(self.taken), where=self.taken > 0)

    def expected_value(self) -> torch.Tensor:
        """EV(a) = Q(a) + c·F(a)·maxR(a); actions never taken get no bonus."""
        seen_max = np.where(np.isfinite(self.max_reward), self.max_reward, 0.0)
        bonus = self.cfg.fmq_c * self.frequency() * seen_max
        return self.q_values(None) + torch.from_numpy(bonus.astype(np.float32))

    def act(self, mean_action, timestep: int, epsilon: float) -> np.ndarray:
        probs = boltzmann(self.expected_value(), self.temperature(timestep))
        return sample_categorical(probs, torch.from_numpy(self.rng.random(len(probs)))).numpy()

    def greedy(self, mean_action) -> np.ndarray:
        return self.expected_value().argmax(dim=-1).numpy()

    def observe(self, actions: np.ndarray, reward: float) -> None:
        """Update maxR, its count and the action count for the action every agent just took."""
        idx = (self._rows, actions)
        self.taken[idx] += 1
        best = self.max_reward[idx]
        self.max_count[idx] = np.where(reward > best, 1, np.where(reward == best, self.max_count[idx] + 1, self.max_count[idx]))
        self.max_reward[idx] = np.maximum(best, reward)
