"""PE-DQN, paper B's single-network ablation of PED-DQN: the peer evaluation z is the TD error of
the same network that acts and learns from the reshaped reward (from its frozen copy with
`peer_network: frozen_copy`)."""

from __future__ import annotations

import numpy as np

from replication.algorithms.peer_evaluation import PeerEvaluation
from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class PeerEvaluationDQN(IndependentDQN):
    def __init__(self, task, cfg, schedule, rng):
        super().__init__(task, cfg, schedule, rng)
        self.peer = PeerEvaluation(self.q, self.q, self.inputs, cfg, schedule)  # one network evaluates and acts

    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        return self.peer.learning_reward(step, global_step)
