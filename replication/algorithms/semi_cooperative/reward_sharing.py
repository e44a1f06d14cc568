"""Reward sharing (paper B baseline): each agent learns from r_a + β·(mean raw reward of the
agents it observes), with no peer evaluation."""

from __future__ import annotations

import numpy as np

from replication.algorithms.semi_cooperative.idqn import IndependentDQN


def shared_reward(reward: np.ndarray, peers: np.ndarray, beta: float) -> np.ndarray:
    counts = peers.sum(axis=1)
    mean = np.where(counts > 0, (peers.astype(np.float32) @ reward) / np.maximum(counts, 1), 0.0)
    return (reward + beta * mean).astype(np.float32)


class RewardSharingDQN(IndependentDQN):
    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        active = step["active"].astype(bool)
        return shared_reward(step["reward"], step["peers"] & active[None, :], self.cfg.beta)
