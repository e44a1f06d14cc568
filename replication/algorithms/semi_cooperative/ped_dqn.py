"""PED-DQN (paper B §3): peer evaluation-based dual DQN.

Each agent k sends, for its own transition, the peer evaluation (paper B §3.2)

    z_k = r_k + γ·Q_k(o'_k, π_k(o'_k)) − Q_k(o_k, u_k)

the TD error of its mission network Q_k, which learns from k's own reward. Agent a receives the
mean Z_a of the z_k of the peers it observes and its action network learns from the reshaped
reward r̂_a = r_a + β·Z_a; the action network alone picks actions. Z is computed when the step
is collected and stored with it (author code), and only from `peer_warmup_steps` on.

Options (config `semi_cooperative`; the mission network's learning rate is `semi_cooperative.ped_dqn`): the bootstrap π(o') is the action network's greedy policy
(paper) or max over the mission network's actions (`peer_bootstrap: max`, author code); z comes
from the live mission network (paper) or its frozen copy refreshed with the target networks
(`peer_network: frozen_copy`, author code; the copy is then the mission target network).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from replication.algorithms.peer_evaluation import PeerEvaluation
from replication.algorithms.semi_cooperative.dqn import DQN
from replication.algorithms.semi_cooperative.idqn import IndependentDQN
from replication.settings import positive


@dataclass(frozen=True)
class PeerEvaluationDualDQNSettings:
    """Config `semi_cooperative.ped_dqn`; the action network uses `action_learning_rate`."""

    mission_learning_rate: float = positive(5e-4)


class PeerEvaluationDualDQN(IndependentDQN):
    """The action network is `self.q` (inherited); the mission network `self.mission` evaluates."""

    def __init__(self, task, cfg, schedule, rng):
        super().__init__(task, cfg, schedule, rng)
        self.mission = DQN(self.n_agents, self.in_dim, self.n_actions, cfg, cfg.mission_learning_rate, **self.network)
        self.peer = PeerEvaluation(self.mission, self.q, self.inputs, cfg, schedule)

    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        return self.peer.learning_reward(step, global_step)

    def train_step(self) -> float:
        mission_batch = self.replay.sample(self.cfg.batch_size, self.rng)  # its own draw: two buffers in the author code
        self._td(self.mission, mission_batch, mission_batch["reward"])
        return super().train_step()

    def update_targets(self) -> None:
        super().update_targets()
        self.mission.update_target()

    def networks(self) -> dict:
        return {**super().networks(), "mission": self.mission.online, "mission_target": self.mission.target}

    def optimizers(self) -> dict:
        return {**super().optimizers(), "mission_optimizer": self.mission.optimizer}
