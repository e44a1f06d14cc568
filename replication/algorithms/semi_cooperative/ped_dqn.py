"""PED-DQN (paper B §3): peer evaluation-based dual DQN.

Each agent k sends, for its own transition, the peer evaluation (paper B §3.2)

    z_k = r_k + γ·Q_k(o'_k, π_k(o'_k)) − Q_k(o_k, u_k)

the TD error of its mission network Q_k, which learns from k's own reward. Agent a receives the
mean Z_a of the z_k of the peers it observes and its action network learns from the reshaped
reward r̂_a = r_a + β·Z_a; the action network alone picks actions. Z is computed when the step
is collected and stored with it (author code), and only from `peer_warmup_steps` on.

Options (config `semi_cooperative`): the bootstrap π(o') is the action network's greedy policy
(paper) or max over the mission network's actions (`peer_bootstrap: max`, author code); z comes
from the live mission network (paper) or its frozen copy refreshed with the target networks
(`peer_network: frozen_copy`, author code; the copy is then the mission target network).
"""

from __future__ import annotations

import numpy as np
import torch

from replication.algorithms.peer_evaluation import peer_evaluation, reshaped_reward
from replication.algorithms.semi_cooperative.dqn import DQN
from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class PeerEvaluationDualDQN(IndependentDQN):
    """The action network is `self.q` (inherited); the mission network is `self.mission`."""

    def __init__(self, task, cfg, schedule, rng):
        super().__init__(task, cfg, schedule, rng)
        self.mission = DQN(self.n_agents, self.in_dim, self.n_actions, cfg, cfg.mission_learning_rate, **self.network)

    @property
    def evaluator(self) -> DQN:
        """The network whose TD error is the peer evaluation."""
        return self.mission

    def peer_signals(self, step: dict) -> np.ndarray:
        net = self.evaluator.target if self.cfg.peer_network == "frozen_copy" else self.evaluator.online
        with torch.no_grad():
            q = net(self.inputs(step["obs"][None]))[0]
            q_next = net(self.inputs(step["next_obs"][None]))[0]
            if self.cfg.peer_bootstrap == "policy":   # π(o'): the action network's greedy action
                policy = self.q.values(self.inputs(step["next_obs"][None]))[0].argmax(dim=-1)
                next_value = q_next.gather(-1, policy[:, None]).squeeze(-1)
            else:
                next_value = q_next.max(dim=-1).values
            q_taken = q.gather(-1, torch.as_tensor(step["action"])[:, None]).squeeze(-1)
        return peer_evaluation(step["reward"], q_taken.numpy(), next_value.numpy(), step["terminal"], self.cfg.gamma)

    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        if global_step < self.schedule.peer_warmup_steps:
            return step["reward"]
        active = step["active"].astype(bool)
        z = np.where(active, self.peer_signals(step), 0.0)
        return reshaped_reward(step["reward"], z, step["peers"] & active[None, :], self.cfg.beta)

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
