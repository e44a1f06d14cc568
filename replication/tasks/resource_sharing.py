"""Resource sharing on a ring (paper B), as the authors' code defines it: github
ddhostallero/PED-DQN, `gems/envs/scenarios/circle_base.py` (the starting split),
`gems/envs/scenarios/circle_priv_indiv_pabs.py` (the default scenario: observation and reward),
`gems/envs/graph_core.py` (giving) and the step trainers' test loops (the success measures).

Eight agents sit on a ring; each agent's neighbours are the one before and the one after it.
Every episode a supply of 40 units and a demand of 40 are split: the agents are shuffled, each but
the last draws its holding uniformly from 0 to what is left minus one (and its need likewise from
the 32 units of demand beyond the one every agent needs), the last takes the remainder, and every
need gets +1. Actions: 0 none, 1 ask, 2 give. A giver hands one unit to each neighbour that asks in
the same step while it has units; with one unit and two askers it serves one of them at random.
Reward per step: −|has − need| − |Δhas| (every transfer is priced); with `mean_reward` every agent
gets the team's mean (the authors' `circle_priv_mean_pabs`). An agent observes its own holding
and need (/ supply), its own last action and its two neighbours' last actions (/ 2). Its peers
are its two neighbours. Global state (QMIX): every agent's holding, need and last action, scaled alike.

Success: an agent is satisfied when it has at least its need; the episode is a global success
when every agent is. The authors' logged global success (`np.asarray(info_n).all()` over each
agent's [satisfied, (has − need)²]) also needs every squared error to be non-zero, so with supply
equal to demand it is 0 whenever every agent is satisfied; `global_success: reference` logs that.
"""

from __future__ import annotations

import numpy as np

NONE, ASK, GIVE = 0, 1, 2
GLOBAL_SUCCESS = ("all_satisfied", "reference")


class ResourceSharing:
    n_actions = 3
    obs_dim = 5

    def __init__(
        self,
        n_agents: int,
        supply: int,
        demand: int,
        episode_length: int,
        mean_reward: bool,
        rng: np.random.Generator,
        global_success: str = "all_satisfied",
    ):
        if demand < n_agents:
            raise ValueError(f"demand: {demand} cannot give each of {n_agents} agents a need of at least 1")
        if global_success not in GLOBAL_SUCCESS:
            raise ValueError(f"global_success: {global_success!r} is not known; choose one of {', '.join(GLOBAL_SUCCESS)}")
        self.n_agents, self.supply, self.demand = n_agents, supply, demand
        self.max_steps, self.mean_reward, self.rng, self.global_success = episode_length, mean_reward, rng, global_success
        self.scale = np.array([max(supply, 1), max(supply, 1), 2, 2, 2], dtype=np.float32)  # the authors' normaliser
        self.state_dim = 3 * n_agents
        self.left = (np.arange(n_agents) - 1) % n_agents
        self.right = (np.arange(n_agents) + 1) % n_agents
        self.reset()

    def reset(self) -> None:
        order = self.rng.permutation(self.n_agents)
        self.has = np.zeros(self.n_agents, dtype=np.int64)
        self.need = np.zeros(self.n_agents, dtype=np.int64)
        left_has, left_need = self.supply, self.demand - self.n_agents
        for agent in order[:-1]:  # the authors draw holding and need in turn, agent by agent
            self.has[agent] = self.rng.integers(max(left_has, 1))
            self.need[agent] = self.rng.integers(max(left_need, 1))
            left_has, left_need = left_has - self.has[agent], left_need - self.need[agent]
        self.has[order[-1]], self.need[order[-1]] = left_has, left_need
        self.need += 1
        self.previous = np.zeros(self.n_agents, dtype=np.int64)
        self.steps = 0

    def observe(self) -> np.ndarray:
        raw = np.stack([self.has, self.need, self.previous, self.previous[self.left], self.previous[self.right]], axis=1)
        return (raw / self.scale).astype(np.float32)

    def state(self) -> np.ndarray:
        return (np.stack([self.has, self.need, self.previous], axis=1) / self.scale[:3]).ravel().astype(np.float32)

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
        asks_left, asks_right = actions[self.left] == ASK, actions[self.right] == ASK
        # Givers never receive (only askers do), so every giver's stock is its own: one pass serves all.
        # One unit and two askers: the authors shuffle the askers and serve the first.
        left_first = self.rng.random(self.n_agents) < 0.5
        enough = self.has >= asks_left.astype(np.int64) + asks_right
        to_left = giving & asks_left & (self.has >= 1) & (enough | left_first)
        to_right = giving & asks_right & (self.has >= 1) & (enough | ~left_first)
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
        satisfied = self.has >= self.need
        success = satisfied.all() & (self.has != self.need).all() if self.global_success == "reference" else satisfied.all()
        return {"agent_success": float(satisfied.mean()), "global_success": float(success)}
