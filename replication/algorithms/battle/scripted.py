"""Scripted battle teams that never learn, to check what a trained model has learned (issue: sides).

- `RandomTeam`: every agent takes one of the 21 actions uniformly at random each step.
- `StationaryAttacker`: every agent stays where it stands and attacks one of its 8 neighbouring
  cells at random (magent2's attack actions are 13–20 for battle's agent type).

Both have the learners' `act` signature and draw from their own seeded generator.
"""

from __future__ import annotations

import numpy as np

from replication.tasks.battle import ATTACK_ACTIONS, N_ACTIONS


class RandomTeam:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def act(self, view, features, mean_action, epsilon) -> np.ndarray:
        return self.rng.integers(0, N_ACTIONS, len(view))


class StationaryAttacker(RandomTeam):
    def act(self, view, features, mean_action, epsilon) -> np.ndarray:
        return self.rng.choice(ATTACK_ACTIONS, len(view))


SCRIPTED = {"random": RandomTeam, "stationary_attacker": StationaryAttacker}
