"""MF-Q (paper A, Eqs. 9–12) on paper B's tasks: each agent's Q(o, u, ā) reads the mean one-hot
previous action ā of the agents it observes, and bootstraps with the Boltzmann mean value v^MF."""

from __future__ import annotations

from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class MeanFieldDQN(IndependentDQN):
    uses_mean_action = True
