"""QMIX (Rashid et al. 2018) on the team's mean reward, paper B's centralised baseline: per-agent
Q-networks mixed monotonically by hypernetworks of the global state,

    Q_tot(s, u) = w2(s)ᵀ·ELU(W1(s)ᵀ·Q(o, u) + b1(s)) + b2(s),  W1, w2 ≥ 0,

trained on y = r̄ + γ·Q_tot⁻(s', argmax Q⁻(o', ·)) with r̄ the mean reward of the active agents."""

from __future__ import annotations

import torch
from torch import nn

from replication.algorithms.semi_cooperative.dqn import StackedLinear, adam, as_tensor
from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class Mixer(nn.Module):
    """The hypernetworks of Q_tot, one set per seed of a group (`experiments/seed_group.py`; one alone):
    agent Q-values (batch, seeds · agents) and states (batch, seeds · state_dim) → Q_tot (batch, seeds)."""

    def __init__(self, n_agents: int, state_dim: int, embedding: int, n_seeds: int = 1):
        super().__init__()
        self.n_seeds, self.agents_per_seed, self.state_dim, self.embedding = n_seeds, n_agents // n_seeds, state_dim, embedding
        self.w1 = StackedLinear(n_seeds, state_dim, self.agents_per_seed * embedding)
        self.b1 = StackedLinear(n_seeds, state_dim, embedding)
        self.w2 = StackedLinear(n_seeds, state_dim, embedding)
        self.b2 = nn.Sequential(StackedLinear(n_seeds, state_dim, embedding), nn.ReLU(), StackedLinear(n_seeds, embedding, 1))

    def forward(self, agent_q: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        batch = agent_q.shape[0]
        q = agent_q.reshape(batch, self.n_seeds, 1, self.agents_per_seed).transpose(0, 1)  # (seeds, batch, 1, agents)
        state = state.reshape(batch, self.n_seeds, self.state_dim).transpose(0, 1)  # (seeds, batch, state_dim)
        w1 = self.w1(state).abs().reshape(self.n_seeds, batch, self.agents_per_seed, self.embedding)
        hidden = torch.nn.functional.elu((q @ w1).squeeze(-2) + self.b1(state))
        return ((hidden * self.w2(state).abs()).sum(-1) + self.b2(state).squeeze(-1)).transpose(0, 1)


class QMIX(IndependentDQN):
    needs_state = True

    def __init__(self, task, cfg, schedule, rng):
        super().__init__(task, cfg, schedule, rng)
        self.mixer, self.mixer_target = (
            Mixer(self.n_agents, task.state_dim, schedule.qmix_embedding, self.n_seeds) for _ in range(2)
        )
        self.mixer_target.load_state_dict(self.mixer.state_dict())
        self.q.optimizer = adam(list(self.q.online.parameters()) + list(self.mixer.parameters()), cfg.action_learning_rate)

    def train_step(self) -> float:
        batch = self.replay.sample(self.cfg.batch_size, self.rng)
        active = as_tensor(batch["active"])
        per_seed = (self.cfg.batch_size, self.n_seeds, -1)  # (batch, seeds, agents)
        team_reward = (as_tensor(batch["reward"]) * active).reshape(per_seed).sum(-1) / active.reshape(per_seed).sum(-1).clamp(
            min=1
        )
        done = as_tensor(batch["terminal"]).reshape(per_seed).max(dim=-1).values  # the episode's end (every agent terminal)
        with torch.no_grad():
            next_q = self.q.target(as_tensor(batch["next_obs"])).max(dim=-1).values * (1 - as_tensor(batch["terminal"]))
            y = team_reward + self.cfg.gamma * (1 - done) * self.mixer_target(next_q, as_tensor(batch["next_state"]))
        q = self.q.online(as_tensor(batch["obs"])).gather(-1, torch.as_tensor(batch["action"])[..., None]).squeeze(-1)
        squared = (self.mixer(q * active, as_tensor(batch["state"])) - y) ** 2
        loss = squared.sum()
        self.q.optimizer.zero_grad()
        loss.backward()
        self.q.optimizer.step()
        self.seed_loss = squared.detach().sum(dim=0)
        self.train_steps += 1
        if self.train_steps % self.schedule.target_update_every == 0:
            self.update_targets()
        return loss.item()

    def seed_losses(self) -> list[float]:
        return self.seed_loss.tolist()

    def update_targets(self) -> None:
        super().update_targets()
        self.mixer_target.load_state_dict(self.mixer.state_dict())

    def networks(self) -> dict:
        return {**super().networks(), "mixer": self.mixer, "mixer_target": self.mixer_target}
