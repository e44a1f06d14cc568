"""PE-DQN, paper B's single-network ablation of PED-DQN: the peer evaluation z is the TD error of
the same network that acts and learns from the reshaped reward (from its frozen copy with
`peer_network: frozen_copy`)."""

from __future__ import annotations

from replication.algorithms.semi_cooperative.dqn import DQN
from replication.algorithms.semi_cooperative.idqn import IndependentDQN
from replication.algorithms.semi_cooperative.ped_dqn import PeerEvaluationDualDQN


class PeerEvaluationDQN(PeerEvaluationDualDQN):
    def __init__(self, task, cfg, schedule, rng):
        IndependentDQN.__init__(self, task, cfg, schedule, rng)  # one network: no mission network

    @property
    def evaluator(self) -> DQN:
        return self.q

    def train_step(self) -> float:
        return IndependentDQN.train_step(self)

    def update_targets(self) -> None:
        self.q.update_target()

    def networks(self) -> dict:
        return IndependentDQN.networks(self)

    def optimizers(self) -> dict:
        return IndependentDQN.optimizers(self)
