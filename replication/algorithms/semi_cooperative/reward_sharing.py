"""Reward sharing (paper B baseline): each agent learns from r_a + β·(mean raw reward of the
agents it observes), with no peer evaluation."""

from __future__ import annotations

import numpy as np

from replication.algorithms.semi_cooperative.idqn import IndependentDQN
from replication.algorithms.semi_cooperative.ped_dqn import peer_mean


def shared_reward(reward: np.ndarray, peers: np.ndarray, beta: float) -> np.ndarray:
    return (reward + beta * peer_mean(reward, peers)).astype(np.float32)


class RewardSharingDQN(IndependentDQN):
    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        active = step["active"].astype(bool)
        return shared_reward(step["reward"], step["peers"] & active[None, :], self.cfg.beta)
