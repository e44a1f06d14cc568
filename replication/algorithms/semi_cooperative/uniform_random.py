"""The null model of paper B's tasks: every agent picks one of its actions uniformly at random,
in training and in the greedy evaluations alike, and never learns (it stores nothing, so the
training loop never takes a gradient step). The audit judges each claim on its values too."""

from __future__ import annotations

import numpy as np


class _NoReplay:
    size = 0  # the loop trains once the replay holds a batch: never


class UniformRandomAgents:
    uses_mean_action = False
    needs_state = False

    def __init__(self, task, cfg, schedule, rng: np.random.Generator):
        self.n_agents, self.n_actions, self.rng = task.n_agents, task.n_actions, rng
        self.replay, self.train_steps = _NoReplay(), 0

    def act(self, obs, mean_action, epsilon: float | None) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, self.n_agents)

    def store(self, step: dict, global_step: int) -> None:
        pass

    def train_step(self) -> float:
        return float("nan")

    def networks(self) -> dict:
        return {}

    def optimizers(self) -> dict:
        return {}
