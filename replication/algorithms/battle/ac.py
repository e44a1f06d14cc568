"""AC on battle: independent actor-critic, one network shared by the team (paper A §5.3 baseline).

On-policy, as the reference code: the round's transitions are kept in a ring, and after the
round one update is made from all of them. Policy π = softmax(logits / T) (T = 0.1); the critic
V(s) is fitted to the bootstrapped discounted return R_t = r_t + γ·R_{t+1} (0 after a death,
V(s_final) for survivors at the end), and the loss is
    −mean(log π(a|s)·(R − V(s))) − entropy_coef·mean(H[π]) + value_coef·mean((R − V(s))²).
"""

from __future__ import annotations

import numpy as np
import torch

from replication.nets import BattleActorCritic
from replication.replay import AgentTransitionRing


class IndependentAC:
    critic_mean_action = False
    carries_replay = False  # on-policy: a round learns from its own transitions only

    def __init__(
        self,
        view_shape,
        feature_size: int,
        n_actions: int,
        max_agent_id: int,
        cfg,
        rng,
        device,
        rows_per_round: int | None = None,
    ):
        """`rows_per_round`: ring rows one round can fill, by default a team's agents × (steps + 1)."""
        self.cfg, self.rng, self.device, self.n_actions = cfg, rng, device, n_actions
        rows_per_round = rows_per_round or cfg.agents_per_side * (cfg.max_steps + 1)
        outputs = n_actions if self.critic_is_q(cfg) else 1
        self.net = BattleActorCritic(view_shape, feature_size, n_actions, outputs, self.critic_mean_action).to(device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate)
        self.ring = AgentTransitionRing(2 * rows_per_round, view_shape, feature_size, n_actions, max_agent_id, device)
        self.round_rows: list[np.ndarray] = []
        self.final_rows = np.zeros(0, dtype=np.int64)

    def critic_is_q(self, cfg) -> bool:
        """AC's critic is V(s)."""
        return False

    def _tensor(self, array) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def forward(self, view, features, mean_action, net=None):
        """log π (softmax of logits / T) and the critic's outputs; `net` is the team's network by
        default, or any callable of (view, features, mean action) (the stacked update's functional one)."""
        net = self.net if net is None else net
        logits, critic = net(
            self._tensor(view), self._tensor(features), self._tensor(mean_action) if self.critic_mean_action else None
        )
        return torch.log_softmax(logits / self.cfg.ac_temperature, dim=-1), critic

    @torch.inference_mode()
    def act(self, view, features, mean_action, epsilon: float | None) -> np.ndarray:
        """Sample π (ε is not used: the policy explores by itself); argmax π when epsilon is None."""
        return self.choose(self.policy_outputs(view, features, mean_action), epsilon)

    def policy_outputs(self, view, features, mean_action, net=None) -> torch.Tensor:
        """What acting reads of the network (`net`, by default the team's): log π(·|s)."""
        return self.forward(view, features, mean_action, net)[0]

    def choose(self, log_pi: torch.Tensor, epsilon: float | None) -> np.ndarray:
        """The team's actions from log π: sampled by inverse CDF with uniforms from the learner's
        stream, or argmax π when epsilon is None."""
        if epsilon is None:
            return log_pi.argmax(dim=-1).cpu().numpy()
        cdf = log_pi.exp().cumsum(dim=-1).cpu().numpy()
        draws = self.rng.random((len(cdf), 1)) * cdf[:, -1:]
        return np.minimum((cdf < draws).sum(axis=1), self.n_actions - 1)

    def store(self, ids, view, features, mean_action, actions, rewards, alive, peers=None) -> None:
        self.round_rows.append(self.ring.add_step(ids, view, features, mean_action, actions, rewards, alive))

    def end_round(self, ids, view, features, mean_action) -> None:
        self.final_rows = self.ring.end_round(ids, view, features, mean_action)

    def returns(self, values: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Bootstrapped discounted returns, step by step backwards, vectorised over agents.
        `values[index[row]]` is V of a stored row; survivors bootstrap from V(s_final)."""
        ring = self.ring
        ret = np.zeros(ring.capacity, dtype=np.float32)
        ret[self.final_rows] = values[index[self.final_rows]]
        for rows in reversed(self.round_rows):
            follow = np.where(ring.terminal[rows], 0.0, ret[np.maximum(ring.next_row[rows], 0)])
            ret[rows] = ring.reward[rows] + self.cfg.gamma * follow
        return ret

    def round_batch(self) -> tuple[np.ndarray, np.ndarray, dict]:
        """The round's n transitions' rows, each row's place in the batch (by ring row), and the batch:
        the n transitions first, then the survivors' final rows (which only bootstrap)."""
        rows = np.concatenate(self.round_rows)
        all_rows = np.concatenate([rows, self.final_rows])
        index = np.zeros(self.ring.capacity, dtype=np.int64)
        index[all_rows] = np.arange(len(all_rows))
        return rows, index, self.ring.batch(all_rows)

    def train_round(self) -> dict:
        rows, index, batch = self.round_batch()
        log_pi, critic = self.forward(batch["view"], batch["features"], batch["mean_action"])
        n = len(rows)
        target = self.targets(rows, index, log_pi, critic)
        action = torch.as_tensor(self.ring.action[rows], device=self.device)
        loss, stats = self.round_loss(log_pi[:n], critic[:n], action, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.round_rows = []
        return {"loss": loss.item(), "gradient_steps": 1, **{key: value.item() for key, value in stats.items()}}

    def targets(self, rows, index, log_pi, critic) -> torch.Tensor:
        """What the critic is fitted to on each of the round's rows, from this batch's outputs (no
        gradient): AC's bootstrapped return R."""
        value = critic.squeeze(-1)
        return self._tensor(self.returns(value.detach().cpu().numpy(), index)[rows])

    def critic_estimate(self, critic, action) -> torch.Tensor:
        """The critic's estimate fitted to the target: AC's V(s)."""
        return critic.squeeze(-1)

    def actor_score(self, estimate, target) -> torch.Tensor:
        """What scales ∇ log π(a|s): AC's advantage R − V(s)."""
        return (target - estimate).detach()

    def round_loss(self, log_pi, critic, action, target, weight=None) -> tuple[torch.Tensor, dict]:
        """The round's loss over its transitions (rows of log π, the critic's outputs, actions taken
        and targets) and its statistics (0-d tensors). A mean over the rows, or with `weight` (the
        stacked update's 1 for a seed's transitions, 0 for the padding after them) Σ w·x / Σ w."""

        def mean(x):
            return x.mean() if weight is None else (weight * x).sum() / weight.sum()

        estimate = self.critic_estimate(critic, action)
        policy_loss = -mean(log_pi.gather(1, action[:, None]).squeeze(1) * self.actor_score(estimate, target))
        entropy = mean(-(log_pi.exp() * log_pi).sum(-1))
        critic_loss = mean((target - estimate).pow(2))
        loss = policy_loss - self.cfg.entropy_coef * entropy + self.cfg.value_coef * critic_loss
        return loss, {"mean_q": mean(estimate.detach()), "entropy": entropy.detach()}

    def networks(self) -> dict:
        return {"net": self.net}

    def optimizers(self) -> dict:
        return {"optimizer": self.optimizer}

    def round_state(self, replay: bool = True) -> dict:
        """On-policy: a round learns from its own transitions only, so nothing is carried to the next."""
        return {}

    def load_round_state(self, state: dict) -> None:
        """Nothing to restore (`round_state`)."""
