"""MAAC: actor-critic with a centralised critic (discrete MADDPG-style), a paper A §5.1 baseline.

The critic sees the whole joint action: Q(a^j | e_j, onehot(a^{−j})), an input of N·A numbers,
which is what stops it scaling to hundreds of agents. Actors π(a | e_j) share one network over
agent embeddings and maximise the critic's expected value Σ_a π(a) Q(a | a^{−j}) (the exact
discrete form of MADDPG's deterministic policy gradient, which Gumbel-softmax approximates).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import AgentMLP, SharedActor, soft_update


def others_one_hot(joint: torch.Tensor, agent: torch.Tensor, n_actions: int) -> torch.Tensor:
    """Flattened one-hot joint action with agent j's own row zeroed: (B, N·A). Written straight into
    a float matrix (F.one_hot builds an int64 copy first: a third of MAAC's time at N = 1000)."""
    batch, n_agents = joint.shape
    one_hot = torch.zeros(batch, n_agents * n_actions).scatter_(1, torch.arange(n_agents) * n_actions + joint, 1.0)
    one_hot[torch.arange(batch)[:, None], agent[:, None] * n_actions + torch.arange(n_actions)] = 0.0
    return one_hot


class CentralisedCriticAC:
    needs_joint = True

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        kwargs = dict(extra_dim=n_agents * cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.critic = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.critic_target = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_learning_rate)
        self.actor = SharedActor(n_agents, cfg, rng)
        self.act, self.greedy = self.actor.act, self.actor.greedy

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward = torch.from_numpy(batch["reward"])
        others = others_one_hot(torch.from_numpy(batch["joint"]), agent, self.cfg.n_actions)
        with torch.no_grad():  # stateless game: bootstrap on the same joint situation
            pi_next = torch.softmax(self.actor.target(agent), dim=-1)
            y = reward + self.cfg.gamma * (pi_next * self.critic_target(agent, others)).sum(dim=-1)
        critic_loss = F.mse_loss(self.critic(agent, others).gather(1, action[:, None]).squeeze(1), y)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()
        soft_update(self.critic_target, self.critic, self.cfg.target_tau)

        q = self.critic(agent, others).detach()
        self.actor.step(-(torch.softmax(self.actor.net(agent), dim=-1) * q).sum(dim=-1).mean(), self.cfg.target_tau)
        return critic_loss.item()
