"""MAgent tiger_deer through magent2's raw GridWorld API: a MAgent task with pursuit's dilemma.

The GridWorld config is magent2's own (`magent2.environments.tiger_deer.tiger_deer.get_config`):
a tiger is rewarded (+0.5) only when it and another tiger attack the same deer in the same step,
and loses `tiger_step_recover` hp per step (it starves unless deer are killed). The tigers learn;
the deer move at random. Tigers and deer start on random distinct cells. Each tiger observes its
9×9 view (flattened) and its features; its peers are the tigers within its view radius (4). A
dead tiger's row is inactive: zero observation, no action, no learning.
"""

from __future__ import annotations

import magent2
import numpy as np
from magent2.environments.tiger_deer.tiger_deer import get_config

from replication.tasks.gridworld import group_observation

TIGER_VIEW_RADIUS = 4


class TigerDeer:
    def __init__(
        self,
        map_size: int,
        n_tigers: int,
        n_deer: int,
        episode_length: int,
        tiger_step_recover: float,
        minimap_mode: bool,
        rng: np.random.Generator,
    ):
        self.map_size, self.n_agents, self.n_deer = map_size, n_tigers, n_deer
        self.max_steps, self.rng = episode_length, rng
        config = get_config(map_size, minimap_mode, None, tiger_step_recover=tiger_step_recover, deer_attacked=-0.1)
        self.env = magent2.GridWorld(config, map_size=map_size)
        self.deer_handle, self.tiger_handle = self.env.get_handles()
        view = tuple(int(d) for d in self.env.get_view_space(self.tiger_handle))
        self.view_size = int(np.prod(view))
        self.obs_dim = self.view_size + int(self.env.get_feature_space(self.tiger_handle)[0])
        self.n_actions = int(self.env.get_action_space(self.tiger_handle)[0])
        self.n_deer_actions = int(self.env.get_action_space(self.deer_handle)[0])
        self.state_dim = 0
        self.reset()

    def reset(self) -> None:
        self.env.set_seed(int(self.rng.integers(2**31)))
        self.env.reset()
        inner = self.map_size - 2  # magent2 keeps the outermost ring free
        cells = self.rng.choice(inner * inner, size=self.n_agents + self.n_deer, replace=False)
        pos = np.stack([cells // inner + 1, cells % inner + 1, np.zeros_like(cells)], axis=1).tolist()
        self.env.add_agents(self.deer_handle, method="custom", pos=pos[self.n_agents :])
        self.env.add_agents(self.tiger_handle, method="custom", pos=pos[: self.n_agents])
        self.ids = np.sort(self.env.get_agent_id(self.tiger_handle))
        self.steps = 0
        self.killed = 0

    def _rows(self) -> np.ndarray:
        """Rows (0 … n_tigers − 1) of the tigers alive now, in engine order."""
        return np.searchsorted(self.ids, self.env.get_agent_id(self.tiger_handle))

    def observe(self) -> np.ndarray:
        view, features = group_observation(self.env, self.tiger_handle)
        obs = np.zeros((self.n_agents, self.obs_dim), dtype=np.float32)
        obs[self._rows()] = np.concatenate([view.reshape(len(view), self.view_size), features], axis=1)
        return obs

    def active(self) -> np.ndarray:
        alive = np.zeros(self.n_agents, dtype=bool)
        alive[self._rows()] = True
        return alive

    def peers(self) -> np.ndarray:
        peers = np.zeros((self.n_agents, self.n_agents), dtype=bool)
        rows, pos = self._rows(), self.env.get_pos(self.tiger_handle).astype(np.float32)
        near = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1) <= TIGER_VIEW_RADIUS**2
        peers[np.ix_(rows, rows)] = near
        np.fill_diagonal(peers, False)
        return peers

    def state(self) -> np.ndarray:
        raise NotImplementedError("tiger_deer gives no global state")

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        rows = self._rows()
        self.env.set_action(self.tiger_handle, np.ascontiguousarray(actions[rows], dtype=np.int32))
        deer = int(self.env.get_num(self.deer_handle))
        self.env.set_action(self.deer_handle, self.rng.integers(0, self.n_deer_actions, deer).astype(np.int32))
        self.env.step()
        rewards = np.zeros(self.n_agents, dtype=np.float32)
        rewards[rows] = self.env.get_reward(self.tiger_handle)
        self.env.clear_dead()
        self.killed += deer - int(self.env.get_num(self.deer_handle))
        self.steps += 1
        done = self.steps >= self.max_steps or self.env.get_num(self.deer_handle) == 0 or self.env.get_num(self.tiger_handle) == 0
        return rewards, bool(done)

    def episode_metrics(self) -> dict:
        return {"deer_killed": float(self.killed), "tigers_alive": float(self.env.get_num(self.tiger_handle))}
