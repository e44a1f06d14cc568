"""MF-AC on battle (paper A, Algorithm 2): AC whose critic also reads the mean action ā.

Paper (`critic: q`): the critic is Q(s, a, ā), trained towards
y = r + γ·(1 − done)·Σ_a π(a|s') Q(s', a, ā') (Eq. 10 with the actor's policy), and the actor
follows ∇ log π(a|s)·Q(s, a, ā). Reference code (`critic: v`): the critic is V(s, ā) and the
update is AC's, with advantage = bootstrapped return − V(s, ā). The actor never sees ā.
Both are on-policy, one update per round, without target networks (as the reference code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from replication.algorithms.battle.ac import IndependentAC


@dataclass(frozen=True)
class MeanFieldACSettings:
    """Config `battle.mfac`."""

    critic: Literal["q", "v"] = "q"   # Q(s, a, ā) (paper) or V(s, ā) (reference code)


class MeanFieldAC(IndependentAC):
    critic_mean_action = True

    def critic_is_q(self, cfg) -> bool:
        return cfg.critic == "q"

    def loss(self, rows, all_rows, index, log_pi, critic):
        if not self.critic_is_q(self.cfg):
            return super().loss(rows, all_rows, index, log_pi, critic)
        ring, n = self.ring, len(rows)
        action = torch.as_tensor(ring.action[rows], device=self.device)
        q_taken = critic[:n].gather(1, action[:, None]).squeeze(1)
        with torch.no_grad():  # v^MF(s') with the current actor and critic
            nxt = torch.as_tensor(index[ring.next_row[rows].clip(min=0)], device=self.device)
            v_next = (log_pi.exp()[nxt] * critic[nxt]).sum(-1)
            done = torch.as_tensor(ring.terminal[rows], dtype=torch.float32, device=self.device)
            y = self._tensor(ring.reward[rows]) + self.cfg.gamma * (1 - done) * v_next
        critic_loss = (q_taken - y).pow(2).mean()
        log_pi = log_pi[:n]
        policy_loss = -(log_pi.gather(1, action[:, None]).squeeze(1) * q_taken.detach()).mean()
        entropy = -(log_pi.exp() * log_pi).sum(-1).mean()
        loss = policy_loss - self.cfg.entropy_coef * entropy + self.cfg.value_coef * critic_loss
        return loss, {"mean_q": q_taken.mean().item(), "entropy": entropy.item()}
