"""QMIX (Rashid et al. 2018) on the team's mean reward, paper B's centralised baseline: per-agent
Q-networks mixed monotonically by hypernetworks of the global state,

    Q_tot(s, u) = w2(s)ᵀ·ELU(W1(s)ᵀ·Q(o, u) + b1(s)) + b2(s),  W1, w2 ≥ 0,

trained on y = r̄ + γ·Q_tot⁻(s', argmax Q⁻(o', ·)) with r̄ the mean reward of the active agents."""

from __future__ import annotations

import torch
from torch import nn

from replication.algorithms.semi_cooperative.dqn import as_tensor
from replication.algorithms.semi_cooperative.idqn import IndependentDQN


class Mixer(nn.Module):
    def __init__(self, n_agents: int, state_dim: int, embedding: int):
        super().__init__()
        self.n_agents, self.embedding = n_agents, embedding
        self.w1 = nn.Linear(state_dim, n_agents * embedding)
        self.b1 = nn.Linear(state_dim, embedding)
        self.w2 = nn.Linear(state_dim, embedding)
        self.b2 = nn.Sequential(nn.Linear(state_dim, embedding), nn.ReLU(), nn.Linear(embedding, 1))

    def forward(self, agent_q: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        w1 = self.w1(state).abs().view(-1, self.n_agents, self.embedding)
        hidden = torch.nn.functional.elu(torch.bmm(agent_q.unsqueeze(1), w1).squeeze(1) + self.b1(state))
        return (hidden * self.w2(state).abs()).sum(-1) + self.b2(state).squeeze(-1)


class QMIX(IndependentDQN):
    needs_state = True

    def __init__(self, task, cfg, schedule, rng):
        super().__init__(task, cfg, schedule, rng)
        self.mixer = Mixer(self.n_agents, task.state_dim, schedule.qmix_embedding)
        self.mixer_target = Mixer(self.n_agents, task.state_dim, schedule.qmix_embedding)
        self.mixer_target.load_state_dict(self.mixer.state_dict())
        params = list(self.q.online.parameters()) + list(self.mixer.parameters())
        self.q.optimizer = torch.optim.Adam(params, lr=cfg.action_learning_rate)

    def train_step(self) -> float:
        batch = self.replay.sample(self.cfg.batch_size, self.rng)
        active = as_tensor(batch["active"])
        team_reward = (as_tensor(batch["reward"]) * active).sum(-1) / active.sum(-1).clamp(min=1)
        done = as_tensor(batch["terminal"]).max(dim=-1).values  # the episode's end (every agent terminal)
        with torch.no_grad():
            next_q = self.q.target(as_tensor(batch["next_obs"])).max(dim=-1).values * (1 - as_tensor(batch["terminal"]))
            y = team_reward + self.cfg.gamma * (1 - done) * self.mixer_target(next_q, as_tensor(batch["next_state"]))
        q = self.q.online(as_tensor(batch["obs"])).gather(-1, torch.as_tensor(batch["action"])[..., None]).squeeze(-1)
        loss = ((self.mixer(q * active, as_tensor(batch["state"])) - y) ** 2).sum()
        self.q.optimizer.zero_grad()
        loss.backward()
        self.q.optimizer.step()
        self.train_steps += 1
        if self.train_steps % self.schedule.target_update_every == 0:
            self.update_targets()
        return loss.item()

    def update_targets(self) -> None:
        super().update_targets()
        self.mixer_target.load_state_dict(self.mixer.state_dict())

    def networks(self) -> dict:
        return {**super().networks(), "mixer": self.mixer, "mixer_target": self.mixer_target}
