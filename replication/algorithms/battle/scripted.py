"""Scripted battle teams that never learn, to check what a trained model has learned (issue: sides).

- `RandomTeam`: every agent takes one of the 21 actions uniformly at random each step.
- `StationaryAttacker`: every agent stays where it stands and attacks one of its 8 neighbouring
  cells at random (magent2's attack actions are 13–20 for battle's agent type).

Both have the learners' `act` signature and draw from their own seeded generator; the task hands
them its action set (`n_actions`, and the attack actions among them).
"""

from __future__ import annotations

import numpy as np


class RandomTeam:
    def __init__(self, rng: np.random.Generator, n_actions: int, attack_actions: np.ndarray):
        self.rng, self.n_actions, self.attack_actions = rng, n_actions, attack_actions

    def act(self, view, features, mean_action, epsilon) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, len(view))


class StationaryAttacker(RandomTeam):
    def act(self, view, features, mean_action, epsilon) -> np.ndarray:
        return self.rng.choice(self.attack_actions, len(view))


SCRIPTED = {"random": RandomTeam, "stationary_attacker": StationaryAttacker}
