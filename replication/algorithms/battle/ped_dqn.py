"""PED-DQN (paper B) on battle, to meet paper A's learners in the Fig. 8 tournament.

As IL, one network per role is shared by the team (battle's convention; `parameter_sharing` in
paper B's terms) and learns after each round from the transition ring. The action network `q`
acts and learns from r̂_a = r_a + β·Z_a; the mission network learns from the raw reward with
`mission_learning_rate`. Z_a is the mean peer evaluation z_k = r_k + γ·Q_m(o'_k, π(o'_k)) −
Q_m(o_k, u_k) of a's team-mates within its 13×13 view, computed when the next observation
arrives (one step later) and stored with the transition, from round `peer_warmup_rounds` on.
`peer_bootstrap` and `peer_network` are paper B's options (see semi_cooperative/ped_dqn.py); the
settings are config `battle.ped_dqn`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from replication.algorithms.battle.il import BattleIndependentDQN
from replication.algorithms.peer_evaluation import peer_evaluation, reshaped_reward
from replication.nets import BattleQNet
from replication.settings import non_negative, positive, tagged


@dataclass(frozen=True)
class BattlePeerEvaluationDualDQNSettings:
    """Config `battle.ped_dqn`; the action network uses battle's `learning_rate`."""

    mission_learning_rate: float = positive(5e-4)
    mission_train_ratio: float = positive(2.0)  # the mission network's gradient batches per new sample × batch
    beta: float = non_negative(1.0)  # β of r̂ = r + β·Z, as paper B's semi_cooperative.beta
    peer_bootstrap: Literal["policy", "max"] = tagged("policy")
    peer_network: Literal["mission", "frozen_copy"] = tagged("mission")
    peer_warmup_rounds: int = non_negative(50)  # paper B: 50 000 of 1M steps; here 2.5% of the 2000 rounds


class BattlePeerEvaluationDualDQN(BattleIndependentDQN):
    def __init__(self, view_shape, feature_size: int, n_actions: int, max_agent_id: int, cfg, rng, device):
        super().__init__(view_shape, feature_size, n_actions, max_agent_id, cfg, rng, device)
        self.mission = BattleQNet(view_shape, feature_size, n_actions, False).to(device)
        self.mission_target = BattleQNet(view_shape, feature_size, n_actions, False).to(device)
        self.mission_target.load_state_dict(self.mission.state_dict())
        self.mission_optimizer = torch.optim.Adam(self.mission.parameters(), lr=cfg.mission_learning_rate)
        self.shaped_reward = np.zeros(cfg.replay_capacity, dtype=np.float32)  # r̂ per ring row
        self.max_agent_id = max_agent_id
        self.pending = None
        self.rounds_seen = 0

    def store(self, ids, view, features, mean_action, actions, rewards, alive, peers=None) -> None:
        rows = self.ring.add_step(ids, view, features, mean_action, actions, rewards, alive)
        self.shaped_reward[rows] = rewards
        self.new_samples += len(ids)
        self._evaluate_pending(ids, view, features)
        self.pending = {
            "rows": rows,
            "ids": ids,
            "view": view,
            "features": features,
            "action": actions,
            "reward": rewards.astype(np.float32),
            "alive": alive,
            "peers": peers,
        }

    def end_round(self, ids, view, features, mean_action) -> None:
        self.ring.end_round(ids, view, features, mean_action)
        self._evaluate_pending(ids, view, features)
        self.pending = None
        self.rounds_seen += 1

    @torch.no_grad()
    def _evaluate_pending(self, ids, view, features) -> None:
        """The previous step's peer evaluations, now that its successors' observations are here."""
        p = self.pending
        if p is None or self.rounds_seen < self.cfg.peer_warmup_rounds:
            return
        net = self.mission_target if self.cfg.peer_network == "frozen_copy" else self.mission
        q_taken = (
            net(self._tensor(p["view"]), self._tensor(p["features"]))
            .gather(1, torch.as_tensor(p["action"], device=self.device)[:, None])
            .squeeze(1)
            .cpu()
            .numpy()
        )
        next_value = np.zeros(len(p["ids"]), dtype=np.float32)  # a dead agent's transition is terminal
        survived = np.flatnonzero(p["alive"])
        if len(survived):
            lookup = np.full(self.max_agent_id, -1, dtype=np.int64)
            lookup[ids] = np.arange(len(ids))
            nxt = lookup[p["ids"][survived]]
            next_view, next_features = self._tensor(view[nxt]), self._tensor(features[nxt])
            q_next = net(next_view, next_features)
            if self.cfg.peer_bootstrap == "policy":
                policy = self.q(next_view, next_features).argmax(dim=-1)
                next_value[survived] = q_next.gather(1, policy[:, None]).squeeze(1).cpu().numpy()
            else:
                next_value[survived] = q_next.max(dim=-1).values.cpu().numpy()
        z = peer_evaluation(p["reward"], q_taken, next_value, (~p["alive"]).astype(np.float32), self.cfg.gamma)
        self.shaped_reward[p["rows"]] = reshaped_reward(p["reward"], z, p["peers"], self.cfg.beta)

    def training_batch(self, rows: np.ndarray) -> dict:
        """The action network learns from the reshaped reward r̂."""
        batch = self.ring.batch(rows)
        batch["reward"] = self.shaped_reward[rows]
        return batch

    def train_round(self) -> dict:
        """The action network on r̂ (IL's round, train_ratio), then the mission network on r
        (mission_train_ratio), each on batches of its own."""
        new_samples = self.new_samples
        stats = super().train_round()
        rows, mission_steps = self.mission_plan(new_samples)
        for _ in range(mission_steps):
            self.gradient_step(self.draw_mission_batch(rows), role=self.mission_role())
        return stats

    def mission_plan(self, new_samples: int) -> tuple[np.ndarray, int]:
        """The ring rows the mission network's batches are drawn from, and its number of gradient steps
        (⌈mission_train_ratio × the round's new samples / batch⌉)."""
        rows = self.ring.usable_rows()
        return rows, math.ceil(self.cfg.mission_train_ratio * new_samples / self.cfg.batch_size) if len(rows) else 0

    def draw_mission_batch(self, rows: np.ndarray) -> dict:
        """One uniform batch of `rows` with the environment's reward r, from the learner's own stream."""
        return self.ring.batch(self.rng.choice(rows, self.cfg.batch_size))

    def mission_role(self) -> tuple:
        """The mission network's (online, target, optimizer), for `gradient_step`."""
        return self.mission, self.mission_target, self.mission_optimizer

    def networks(self) -> dict:
        return {**super().networks(), "mission": self.mission, "mission_target": self.mission_target}

    def optimizers(self) -> dict:
        return {**super().optimizers(), "mission_optimizer": self.mission_optimizer}

    def round_state(self, replay: bool = True) -> dict:
        """IL's, and the rounds seen (peer evaluations start at `peer_warmup_rounds`); with the ring,
        its rows' reshaped rewards r̂."""
        state = {**super().round_state(replay), "rounds_seen": self.rounds_seen}
        if replay:
            state["shaped_reward"] = torch.from_numpy(self.shaped_reward[: self.ring.size].copy())
        return state

    def load_round_state(self, state: dict) -> None:
        super().load_round_state(state)
        self.rounds_seen = int(state["rounds_seen"])
        if "shaped_reward" in state:
            self.shaped_reward[: len(state["shaped_reward"])] = state["shaped_reward"].numpy()
