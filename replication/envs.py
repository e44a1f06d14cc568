"""The suite's own tasks as PettingZoo `ParallelEnv`s, for training any algorithm on them (BenchMARL,
TorchRL, EPyMARL, RLlib or a loop of your own; docs/envs.md).

`parallel_env(task, cfg=None)` wraps the *same* task code the suite trains on (`replication/tasks/`,
built by `experiments.semi_cooperative.make_task` from the config's section; no copy): pursuit,
resource sharing, the prisoner's dilemma, tiger_deer, and Gaussian Squeeze. The Ising model is left
out: its agents are spins updated by a Boltzmann rule at a temperature the learner, not the game,
owns, so it has no reward-and-action interface that PettingZoo's API could carry honestly.

- Agents are `agent_0` … `agent_{n−1}`; actions `Discrete(n_actions)`; observations float32 `Box`es
  whose bounds are each task's (a feature that can go negative or has no ceiling gets an infinite
  bound: tiger_deer's last reward and position features, pursuit's capture count).
- `reset(seed=…)` builds the task afresh from `np.random.default_rng(seed)` (the suite's tasks draw
  every random choice from that one stream), so two environments reset with the same seed and
  given the same actions play the same episode; `reset()` without a seed goes on with the stream.
- `state()` is the task's global state (pursuit, resource sharing, the prisoner's dilemma; what the
  suite's QMIX reads); tiger_deer and Gaussian Squeeze have none and raise NotImplementedError.
- `infos[agent]` holds `peers` (the agents it observes now: the ones whose peer evaluations
  PED-DQN exchanges) and `active`.
- An episode ends for everyone when the task says it is done: at its step limit as a *truncation*
  (the suite's own learners treat that last step as terminal: deviation 46), otherwise (tiger_deer:
  every deer or every tiger dead) as a *termination*. A tiger that dies is terminated at that step
  and leaves `agents`; the task keeps its row, inactive.
- Gaussian Squeeze is a stateless one-shot game: an episode is one joint action, every agent gets
  the shared reward G(x), and the observation is a constant zero (the game has no state to show).
"""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from replication.config import SuiteConfig, load_config
from replication.registry import SEMI_COOPERATIVE_TASKS

TASKS = (*SEMI_COOPERATIVE_TASKS, "gaussian_squeeze")
DEFAULT_CONFIG = "workflow/config/default.yaml"


def default_config() -> SuiteConfig:
    """The default scale's settings (the config file beside the package), else the built-in defaults."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / DEFAULT_CONFIG
    if path.is_file():
        return load_config([path])
    return SuiteConfig(scale="default")


def _bounds(task: str, env) -> tuple[np.ndarray, np.ndarray]:
    """Each observation feature's low and high bound, from what the task puts there."""
    low, high = np.zeros(env.obs_dim, np.float32), np.ones(env.obs_dim, np.float32)
    if task == "pursuit":
        high[-1] = np.inf  # captures / 10: no ceiling
    elif task == "tiger_deer":
        low[env.view_size :], high[env.view_size :] = -np.inf, np.inf  # last action, last reward, position
        high[: env.view_size] = np.inf  # minimap densities
    return low, high


class GaussianSqueezeGame:
    """Gaussian Squeeze (`tasks/gaussian_squeeze.py`) in the step interface of the other tasks: one
    joint action an episode, every agent rewarded G(x), no state (a constant zero observation)."""

    obs_dim = 1

    def __init__(self, section, n_agents: int):
        from replication.tasks.gaussian_squeeze import GaussianSqueeze

        self.game = GaussianSqueeze(n_agents, section.mu, section.sigma, section.n_actions)
        self.n_agents, self.n_actions = n_agents, section.n_actions
        self.max_steps, self.steps = 1, 0

    def reset(self) -> None:
        self.steps = 0

    def observe(self) -> np.ndarray:
        return np.zeros((self.n_agents, 1), np.float32)

    def peers(self) -> np.ndarray:
        return ~np.eye(self.n_agents, dtype=bool)

    def active(self) -> np.ndarray:
        return np.ones(self.n_agents, dtype=bool)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        self.steps += 1
        return np.full(self.n_agents, self.game.step(np.asarray(actions)), np.float32), True

    def state(self) -> np.ndarray:
        raise NotImplementedError("Gaussian Squeeze is stateless: it has no global state")


class TaskParallelEnv(ParallelEnv):
    """One of the suite's tasks as a PettingZoo ParallelEnv (module docstring)."""

    metadata = {"render_modes": [], "is_parallelizable": True}

    def __init__(self, task: str, cfg: SuiteConfig | None = None, n_agents: int | None = None):
        if task not in TASKS:
            raise ValueError(f"task {task!r}: choose one of {', '.join(TASKS)}")
        self.task_name, self.cfg = task, cfg or default_config()
        self.gs_agents = n_agents or self.cfg.gaussian_squeeze.agent_counts[0]
        self.metadata = {**self.metadata, "name": f"replication_{task}_v0"}
        self._rng = np.random.default_rng()
        self.task = self._build()
        self.possible_agents = [f"agent_{i}" for i in range(self.task.n_agents)]
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        self._low, self._high = (
            _bounds(task, self.task) if task != "gaussian_squeeze" else (np.zeros(1, np.float32), np.zeros(1, np.float32))
        )
        self.agents = []

    def _build(self):
        if self.task_name == "gaussian_squeeze":
            return GaussianSqueezeGame(self.cfg.gaussian_squeeze, self.gs_agents)
        from replication.experiments.semi_cooperative import make_task

        return make_task(self.task_name, getattr(self.cfg, self.task_name), self._rng)

    @functools.lru_cache(maxsize=None)  # noqa: B019 (one space object per agent, as PettingZoo asks)
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(self._low, self._high, dtype=np.float32)

    @functools.lru_cache(maxsize=None)  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(self.task.n_actions)

    def _observations(self) -> dict:
        obs = self.task.observe()
        return {agent: obs[self._index[agent]] for agent in self.agents}

    def _infos(self) -> dict:
        peers, active = self.task.peers(), self.task.active()
        return {
            agent: {
                "peers": [self.possible_agents[j] for j in np.flatnonzero(peers[self._index[agent]])],
                "active": bool(active[self._index[agent]]),
            }
            for agent in self.agents
        }

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self.task = self._build()  # built from the seeded stream, so the same seed gives the same episodes
        self.task.reset()
        self.agents = self.possible_agents[:]
        return self._observations(), self._infos()

    def step(self, actions: dict):
        joint = np.zeros(self.task.n_agents, dtype=np.int64)
        for agent, action in actions.items():
            joint[self._index[agent]] = int(action)
        rewards, done = self.task.step(joint)
        truncated = done and self.task.steps >= self.task.max_steps
        alive = self.task.active()
        acting = self.agents
        observations = {agent: self.task.observe()[self._index[agent]] for agent in acting}
        rewards = {agent: float(rewards[self._index[agent]]) for agent in acting}
        terminations = {agent: bool((done and not truncated) or not alive[self._index[agent]]) for agent in acting}
        truncations = {agent: bool(truncated and alive[self._index[agent]]) for agent in acting}
        infos = self._infos()
        self.agents = [a for a in acting if not (terminations[a] or truncations[a])]
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        return self.task.state()

    def close(self) -> None:
        pass


def parallel_env(task: str, cfg: SuiteConfig | None = None, n_agents: int | None = None) -> TaskParallelEnv:
    """A PettingZoo ParallelEnv of one of the suite's tasks (`TASKS`), with the settings of `cfg`
    (default: the default scale's); `n_agents` sets Gaussian Squeeze's N (default: its first)."""
    return TaskParallelEnv(task, cfg, n_agents)


def aec_env(task: str, cfg: SuiteConfig | None = None, n_agents: int | None = None):
    """The same environment through PettingZoo's `parallel_to_aec` (agents act in turn)."""
    from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(parallel_env(task, cfg, n_agents))
