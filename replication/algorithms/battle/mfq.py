"""MF-Q on battle (paper A, Algorithm 1): IL plus the neighbours' mean action ā as input.

Q(s, a, ā) through the reference architecture's ā → 64 → 32 branch. Target (paper, Eq. 10):
y = r + γ·(1 − done)·v^MF(s'),  v^MF(s') = Σ_a π(a | s', ā') Q⁻(s', a, ā'),  π ∝ exp(Q⁻/T) (Eq. 12),
with ā' the mean action the agent acted on at the next step. `q_target: double_q` uses the
reference code's double-DQN target instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from replication.algorithms.battle.il import BattleIndependentDQN
from replication.algorithms.mean_field import mean_field_value
from replication.settings import positive


@dataclass(frozen=True)
class BattleMeanFieldDQNSettings:
    """Config `battle.mfq`."""

    boltzmann_temperature: float = positive(0.1)  # T of π in v^MF (Eqs. 10, 12)


class BattleMeanFieldDQN(BattleIndependentDQN):
    uses_mean_action = True

    def q_values(self, net, view, features, mean_action) -> torch.Tensor:
        return net(self._tensor(view), self._tensor(features), self._tensor(mean_action))

    def next_value(self, batch, online=None, target=None) -> torch.Tensor:
        if self.cfg.q_target == "double_q":
            return super().next_value(batch, online, target)
        q_next = self.q_values(
            self.q_target if target is None else target, batch["next_view"], batch["next_features"], batch["next_mean_action"]
        )
        return mean_field_value(q_next, self.cfg.boltzmann_temperature)  # Eq. 10
