"""MF-Q (paper A, Eqs. 9–12) on paper B's tasks: each agent's Q(o, u, ā) reads the mean one-hot
previous action ā of the agents it observes, and bootstraps with the Boltzmann mean value v^MF."""

from __future__ import annotations

from dataclasses import dataclass

from replication.algorithms.semi_cooperative.idqn import IndependentDQN
from replication.settings import positive


@dataclass(frozen=True)
class MeanFieldDQNSettings:
    """Config `semi_cooperative.mfq`."""

    boltzmann_temperature: float = positive(0.1)  # T of π in v^MF (paper A, Eqs. 10, 12)


class MeanFieldDQN(IndependentDQN):
    uses_mean_action = True
