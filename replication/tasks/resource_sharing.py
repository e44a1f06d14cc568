"""Resource sharing on a ring (paper B, author code's second task).

Eight agents sit on a ring. A total supply of 40 units and a total demand of 40 are split at
random each episode (every agent needs at least one; holdings may be zero). Actions: 0 none,
1 ask, 2 give: a giver hands one unit to each ring neighbour that asks in the same step, left
first, while it has units. Reward per step: −|has − need| − |Δhas| (the second term prices every
transfer); with `mean_reward` every agent gets the team's mean instead. An agent observes its
own holding and need, both neighbours' holdings and their previous actions, and the progress;
its peers are its two ring neighbours.
"""

from __future__ import annotations

import numpy as np

NONE, ASK, GIVE = 0, 1, 2


class ResourceSharing:
    n_actions = 3

    def __init__(self, n_agents: int, supply: int, demand: int, episode_length: int, mean_reward: bool,
                 rng: np.random.Generator):
        if demand < n_agents:
            raise ValueError(f"demand: {demand} cannot give each of {n_agents} agents a need of at least 1")
        self.n_agents, self.supply, self.demand = n_agents, supply, demand
        self.max_steps, self.mean_reward, self.rng = episode_length, mean_reward, rng
        self.scale = max(supply, demand) / n_agents    # typical holding, to normalise observations
        self.obs_dim = 4 + 2 * 3 + 1
        self.state_dim = 2 * n_agents + 1
        self.left = (np.arange(n_agents) - 1) % n_agents
        self.right = (np.arange(n_agents) + 1) % n_agents
        self.reset()

    def reset(self) -> None:
        uniform = np.full(self.n_agents, 1 / self.n_agents)
        self.has = self.rng.multinomial(self.supply, uniform).astype(np.int64)
        self.need = 1 + self.rng.multinomial(self.demand - self.n_agents, uniform).astype(np.int64)
        self.previous = np.zeros(self.n_agents, dtype=np.int64)
        self.steps = 0

    def observe(self) -> np.ndarray:
        onehot = np.eye(3, dtype=np.float32)
        own = np.stack([self.has, self.need, self.has[self.left], self.has[self.right]], axis=1) / self.scale
        progress = np.full((self.n_agents, 1), self.steps / self.max_steps, np.float32)
        return np.concatenate([own.astype(np.float32), onehot[self.previous[self.left]],
                               onehot[self.previous[self.right]], progress], axis=1)

    def state(self) -> np.ndarray:
        return np.concatenate([self.has / self.scale, self.need / self.scale, [self.steps / self.max_steps]]).astype(np.float32)

    def peers(self) -> np.ndarray:
        peers = np.zeros((self.n_agents, self.n_agents), dtype=bool)
        idx = np.arange(self.n_agents)
        peers[idx, self.left] = peers[idx, self.right] = True
        np.fill_diagonal(peers, False)
        return peers

    def active(self) -> np.ndarray:
        return np.ones(self.n_agents, dtype=bool)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        actions = np.asarray(actions, dtype=np.int64)
        before = self.has.copy()
        giving = actions == GIVE
        # a giver serves its left neighbour first (if asking), then its right one, while it has units
        to_left = giving & (actions[self.left] == ASK) & (self.has >= 1)
        to_right = giving & (actions[self.right] == ASK) & (self.has - to_left >= 1)
        self.has -= to_left.astype(np.int64) + to_right
        np.add.at(self.has, self.left[to_left], 1)
        np.add.at(self.has, self.right[to_right], 1)
        rewards = (-np.abs(self.has - self.need) - np.abs(self.has - before)).astype(np.float32)
        if self.mean_reward:
            rewards = np.full_like(rewards, rewards.mean())
        self.previous = actions
        self.steps += 1
        return rewards, self.steps >= self.max_steps

    def episode_metrics(self) -> dict:
        satisfied = self.has == self.need
        return {"agent_success": float(satisfied.mean()), "global_success": float(satisfied.all())}
