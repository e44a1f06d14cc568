"""IL on battle: independent DQN, one network shared by the team (paper A §5.3 baseline).

Off-policy: every step of the main side goes into a preallocated ring; after each round the team
takes ⌈train_ratio × new samples / batch⌉ gradient steps on uniform batches, with a soft target
update after each. Target: y = r + γ·(1 − done)·max_a Q⁻(s', a) (paper), or double-DQN
(`q_target: double_q`, the reference code). Loss: mean squared TD error over the batch, or, with
`q_loss_mask: reference`, over the rows the reference code keeps (no death, no agent's last
transition of a round).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import BattleQNet, soft_update
from replication.replay import AgentTransitionRing


def round_mean(values: list[torch.Tensor]) -> float:
    """The mean of a round's per-step statistics (0-d tensors), read from the device once; in float64
    over the float32 values, as numpy averages a list of floats (NaN for none)."""
    if not values:
        return np.nan
    return float(np.mean(torch.stack(values).cpu().numpy().astype(np.float64)))


class BattleIndependentDQN:
    uses_mean_action = False
    carries_replay = True  # off-policy: its ring outlives a round (`round_state`)

    def __init__(self, view_shape, feature_size: int, n_actions: int, max_agent_id: int, cfg, rng, device):
        self.cfg, self.rng, self.device, self.n_actions = cfg, rng, device, n_actions
        self.q = BattleQNet(view_shape, feature_size, n_actions, self.uses_mean_action).to(device)
        self.q_target = BattleQNet(view_shape, feature_size, n_actions, self.uses_mean_action).to(device)
        self.q_target.load_state_dict(self.q.state_dict())
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=cfg.learning_rate)
        self.ring = AgentTransitionRing(cfg.replay_capacity, view_shape, feature_size, n_actions, max_agent_id, device)
        self.new_samples = 0

    # --- acting: all alive agents of the team in one forward pass -------------------------------
    def _tensor(self, array) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def q_values(self, net, view, features, mean_action) -> torch.Tensor:
        return net(self._tensor(view), self._tensor(features))

    @torch.inference_mode()
    def act(self, view, features, mean_action, epsilon: float | None) -> np.ndarray:
        """ε-greedy over the team in one forward pass; greedy when epsilon is None."""
        return self.choose(self.policy_outputs(view, features, mean_action), epsilon)

    def policy_outputs(self, view, features, mean_action, net=None) -> torch.Tensor:
        """What acting reads of the acting network (`net`, by default `q`): Q(s, ·)."""
        return self.q_values(self.q if net is None else net, view, features, mean_action)

    def choose(self, q: torch.Tensor, epsilon: float | None) -> np.ndarray:
        """The team's actions from its Q-values: argmax, each replaced by a uniform action with
        probability ε (drawn from the learner's stream)."""
        greedy = q.argmax(dim=-1).cpu().numpy()
        if not epsilon:
            return greedy
        explore = self.rng.random(len(greedy)) < epsilon
        return np.where(explore, self.rng.integers(0, self.n_actions, len(greedy)), greedy)

    # --- storing --------------------------------------------------------------------------------
    def store(self, ids, view, features, mean_action, actions, rewards, alive, peers=None) -> None:
        self.ring.add_step(ids, view, features, mean_action, actions, rewards, alive)
        self.new_samples += len(ids)

    def end_round(self, ids, view, features, mean_action) -> None:
        self.ring.end_round(ids, view, features, mean_action)

    # --- learning -------------------------------------------------------------------------------
    def next_value(self, batch, online=None, target=None) -> torch.Tensor:
        """max_a Q⁻(s', a), or Q⁻(s', argmax_a Q(s', a)) with double_q."""
        online = self.q if online is None else online
        target = self.q_target if target is None else target
        q_next = self.q_values(target, batch["next_view"], batch["next_features"], batch["next_mean_action"])
        if self.cfg.q_target == "double_q":
            best = self.q_values(online, batch["next_view"], batch["next_features"], batch["next_mean_action"]).argmax(-1)
            return q_next.gather(1, best[:, None]).squeeze(1)
        return q_next.max(dim=-1).values

    def round_plan(self) -> tuple[np.ndarray, int]:
        """The ring rows this round's batches are drawn from, and its number of gradient steps
        (⌈train_ratio × new samples / batch⌉); the count of new samples starts again."""
        rows = self.ring.usable_rows()
        steps = math.ceil(self.cfg.train_ratio * self.new_samples / self.cfg.batch_size) if len(rows) else 0
        self.new_samples = 0
        return rows, steps

    def draw_batch(self, rows: np.ndarray) -> dict:
        """One uniform batch of `rows`, drawn from the learner's own stream."""
        return self.training_batch(self.rng.choice(rows, self.cfg.batch_size))

    def train_round(self) -> dict:
        rows, steps = self.round_plan()
        losses, q_means = [], []
        for _ in range(steps):
            losses.append(self.gradient_step(self.draw_batch(rows), q_means))
        return {"loss": round_mean(losses), "mean_q": round_mean(q_means), "gradient_steps": steps}

    def training_batch(self, rows: np.ndarray) -> dict:
        """The acting network's batch of ring rows."""
        return self.ring.batch(rows)

    def td_loss(self, batch, online, target) -> tuple[torch.Tensor, torch.Tensor]:
        """The TD loss of one batch and the Q-values of the actions taken. `online` and `target` are
        networks, or any callables of (view, features[, mean action]) (the stacked update's
        functional networks)."""
        action = torch.as_tensor(batch["action"], device=self.device)
        with torch.no_grad():
            y = self._tensor(batch["reward"]) + self.cfg.gamma * (1 - self._tensor(batch["terminal"])) * self.next_value(
                batch, online, target
            )
        q = self.q_values(online, batch["view"], batch["features"], batch["mean_action"])
        q_taken = q.gather(1, action[:, None]).squeeze(1)
        if self.cfg.q_loss_mask == "reference":  # Σ mask·(Q − y)² / Σ mask: deaths and last transitions left out
            mask = self._tensor(batch["reference_mask"])
            loss = (mask * (q_taken - y).pow(2)).sum() / mask.sum().clamp(min=1.0)
        else:
            loss = F.mse_loss(q_taken, y)
        return loss, q_taken

    def gradient_step(self, batch, q_means=None, role=None) -> torch.Tensor:
        """One TD step of `role` = (online, target, optimizer), by default the acting network's.
        Returns the loss, and appends the batch's mean Q to `q_means`, as tensors on the training
        device: nothing waits for the device until the round's statistics are read (`round_mean`)."""
        online, target, optimizer = role or (self.q, self.q_target, self.optimizer)
        loss, q_taken = self.td_loss(batch, online, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        soft_update(target, online, self.cfg.target_tau)
        if q_means is not None:
            q_means.append(q_taken.detach().mean())
        return loss.detach()

    # --- self-play and checkpoints --------------------------------------------------------------
    def networks(self) -> dict:
        return {"q": self.q, "q_target": self.q_target}

    def optimizers(self) -> dict:
        return {"optimizer": self.optimizer}

    def round_state(self, replay: bool = True) -> dict:
        """What the learner carries from one round to the next besides its networks and optimisers,
        for a checkpoint written between rounds: with `replay`, the ring (`battle.checkpoint_replay`)."""
        return {"ring": self.ring.state_dict()} if replay else {}

    def load_round_state(self, state: dict) -> None:
        """Restore `round_state()`; without a ring in it, the ring stays empty and refills."""
        if "ring" in state:
            self.ring.load_state_dict(state["ring"])
