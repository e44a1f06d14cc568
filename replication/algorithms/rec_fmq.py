"""Rec-FMQ: recursive FMQ (Matignon, Laurent & Le Fort-Piat 2012), a paper A §5.1 baseline.

As FMQ, but the frequency of the best reward is a recursive average with rate α_f and the
heuristic interpolates between Q and the best reward:

    r > Qmax(a):  Qmax(a) ← r, F(a) ← 1
    r = Qmax(a):  F(a) ← (1 − α_f)·F(a) + α_f
    r < Qmax(a):  F(a) ← (1 − α_f)·F(a)
    E(a) = (1 − F(a))·Q(a) + F(a)·Qmax(a)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from replication.algorithms.fmq import FrequencyMaximumQ
from replication.settings import fraction


@dataclass(frozen=True)
class RecursiveFMQSettings:
    """Config `gaussian_squeeze.rec_fmq`."""

    alpha: float = fraction(0.01)  # α_f, the rate of the recursive frequency


class RecursiveFMQ(FrequencyMaximumQ):
    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        super().__init__(n_agents, cfg, rng)
        self.recursive_frequency = np.zeros((n_agents, cfg.n_actions))

    def expected_value(self) -> torch.Tensor:
        freq = torch.from_numpy(self.recursive_frequency.astype(np.float32))
        best = torch.from_numpy(np.where(np.isfinite(self.max_reward), self.max_reward, 0.0).astype(np.float32))
        return (1 - freq) * self.q_values(None) + freq * best

    def observe(self, actions: np.ndarray, reward: float) -> None:
        idx = (self._rows, actions)
        best, freq = self.max_reward[idx], self.recursive_frequency[idx]
        alpha = self.cfg.alpha
        self.recursive_frequency[idx] = np.where(
            reward > best, 1.0, np.where(reward == best, (1 - alpha) * freq + alpha, (1 - alpha) * freq)
        )
        self.max_reward[idx] = np.maximum(best, reward)
