"""Reward sharing (paper B baseline; the authors' `pursuit/agents/pro_dqn` and `gems/agents/loc_dqn`):
each agent learns from r_a + β·(mean raw reward of the agents it observes), with no peer evaluation,
from `peer_warmup_steps` on (the authors' `train(global_step > 50000)`), from r_a before."""

from __future__ import annotations

import numpy as np

from replication.algorithms.peer_evaluation import shared_reward
from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class RewardSharingDQN(IndependentDQN):
    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        if global_step < self.schedule.peer_warmup_steps:
            return step["reward"]
        active = step["active"].astype(bool)
        return shared_reward(step["reward"], step["peers"] & active[None, :], self.cfg.beta)
