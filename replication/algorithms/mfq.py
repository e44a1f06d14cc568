"""MF-Q: mean-field Q-learning (paper A, Algorithm 1) for stateless many-agent games.

IL plus the mean action: Q(a^j, ā^j | e_j) with ā^j the mean one-hot action of j's neighbours
(Eq. 6; in Gaussian Squeeze every other agent is a neighbour). Acting uses the mean action of the
previous step (Eq. 11); the target uses the mean-field value (Eq. 10), a Boltzmann average
(Eq. 12) under the target network:

    y = r + γ · v^MF,   v^MF = Σ_a π(a | ā) Q⁻(a, ā),   π(a | ā) ∝ exp(Q⁻(a, ā)/T).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from replication.algorithms.iql import IndependentQ
from replication.algorithms.mean_field import mean_field_value
from replication.settings import positive


@dataclass(frozen=True)
class MeanFieldQSettings:
    """Config `gaussian_squeeze.mfq`."""

    boltzmann_temperature: float = positive(0.1)  # T of π in v^MF (Eqs. 10, 12)


class MeanFieldQ(IndependentQ):
    uses_mean_action = True

    def next_value(self, q_next: torch.Tensor) -> torch.Tensor:
        return mean_field_value(q_next, self.cfg.boltzmann_temperature)  # Eq. 10
