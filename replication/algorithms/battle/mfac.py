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

    critic: Literal["q", "v"] = "q"  # Q(s, a, ā) (paper) or V(s, ā) (reference code)


class MeanFieldAC(IndependentAC):
    critic_mean_action = True

    def critic_is_q(self, cfg) -> bool:
        return cfg.critic == "q"

    def targets(self, rows, index, log_pi, critic) -> torch.Tensor:
        """Paper: y = r + γ·(1 − done)·v^MF(s'), v^MF(s') = Σ_a π(a|s') Q(s', a, ā') with the current
        actor and critic (Eq. 10); reference: AC's return."""
        if not self.critic_is_q(self.cfg):
            return super().targets(rows, index, log_pi, critic)
        ring = self.ring
        with torch.no_grad():
            nxt = torch.as_tensor(index[ring.next_row[rows].clip(min=0)], device=self.device)
            v_next = (log_pi.exp()[nxt] * critic[nxt]).sum(-1)
            done = torch.as_tensor(ring.terminal[rows], dtype=torch.float32, device=self.device)
            return self._tensor(ring.reward[rows]) + self.cfg.gamma * (1 - done) * v_next

    def critic_estimate(self, critic, action) -> torch.Tensor:
        """Paper: Q(s, a, ā) of the action taken; reference: V(s, ā)."""
        if not self.critic_is_q(self.cfg):
            return super().critic_estimate(critic, action)
        return critic.gather(1, action[:, None]).squeeze(1)

    def actor_score(self, estimate, target) -> torch.Tensor:
        """Paper: the actor follows ∇ log π(a|s)·Q(s, a, ā); reference: AC's advantage."""
        if not self.critic_is_q(self.cfg):
            return super().actor_score(estimate, target)
        return estimate.detach()
