"""Preallocated replay for stateless many-agent games.

One row per timestep holds the whole joint action (N small integers) and the shared reward;
a sample is a (timestep, agent) pair drawn with numpy, so storing and sampling never loop
over agents. Capacity is given in agent-samples, as the papers count it.
"""

from __future__ import annotations

import numpy as np


class JointActionReplay:
    def __init__(self, capacity_samples: int, n_agents: int, n_actions: int):
        self.n_agents, self.n_actions = n_agents, n_actions
        self.capacity = max(1, capacity_samples // n_agents)  # in timesteps
        self.actions = np.zeros((self.capacity, n_agents), dtype=np.int16)
        self.counts = np.zeros((self.capacity, n_actions), dtype=np.int32)  # how many agents took each action
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.size = 0
        self.cursor = 0

    def add(self, actions: np.ndarray, reward: float) -> None:
        """Store one joint action, overwriting the oldest timestep when full (ring buffer)."""
        self.actions[self.cursor] = actions
        self.counts[self.cursor] = np.bincount(actions, minlength=self.n_actions)
        self.rewards[self.cursor] = reward
        self.cursor = (self.cursor + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator, with_joint: bool = False) -> dict:
        """Uniform (timestep, agent) pairs; `mean_action` is the mean one-hot action of the other agents."""
        t = rng.integers(0, self.size, batch_size)
        agent = rng.integers(0, self.n_agents, batch_size)
        action = self.actions[t, agent].astype(np.int64)
        batch = {
            "agent": agent,
            "action": action,
            "reward": self.rewards[t],
            "mean_action": mean_action_excluding(self.counts[t], action, self.n_agents),
        }
        if with_joint:
            batch["joint"] = self.actions[t].astype(np.int64)
        return batch


def mean_action_excluding(counts: np.ndarray, own_action: np.ndarray, n_agents: int) -> np.ndarray:
    """ā^j = (Σ_k onehot(a^k) − onehot(a^j)) / (N − 1): the mean action of j's neighbours (Eq. 6),
    where every other agent is a neighbour. Rows of `counts` pair with entries of `own_action`."""
    mean = counts.astype(np.float32)
    mean[np.arange(len(own_action)), own_action] -= 1.0
    return mean / max(n_agents - 1, 1)
