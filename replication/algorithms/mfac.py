"""MF-AC: mean-field actor-critic (paper A, Algorithm 2) for stateless many-agent games.

A shared critic Q(a^j, ā^j | e_j) trained like MF-Q, but with the actor's policy inside v^MF;
independent actors π(a | e_j) (one network over agent embeddings) trained by the sampled policy
gradient of Algorithm 2: ∇θ log π_θ(a⁻) · Q⁻(a⁻, ā) with a⁻ drawn from the target actor.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import AgentMLP, SharedActor, sample_categorical, soft_update


class MeanFieldActorCritic:
    needs_joint = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        kwargs = dict(extra_dim=cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.critic = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.critic_target = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_learning_rate)
        self.actor = SharedActor(n_agents, cfg, rng)
        self.act, self.greedy = self.actor.act, self.actor.greedy  # the actors never see ā

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward, mean_action = torch.from_numpy(batch["reward"]), torch.from_numpy(batch["mean_action"])
        with torch.no_grad():
            q_next = self.critic_target(agent, mean_action)
            pi_next = torch.softmax(self.actor.target(agent), dim=-1)
            y = reward + self.cfg.gamma * (pi_next * q_next).sum(dim=-1)  # v^MF with the actor's policy (Eq. 10)
            target_action = sample_categorical(pi_next, torch.from_numpy(self.rng.random(len(agent))))
            q_target_action = q_next.gather(1, target_action[:, None]).squeeze(1)
        critic_loss = F.mse_loss(self.critic(agent, mean_action).gather(1, action[:, None]).squeeze(1), y)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()
        soft_update(self.critic_target, self.critic, self.cfg.target_tau)

        log_pi = torch.log_softmax(self.actor.net(agent), dim=-1).gather(1, target_action[:, None]).squeeze(1)
        self.actor.step(-(log_pi * q_target_action).mean(), self.cfg.target_tau)  # Algorithm 2's sampled policy gradient
        return critic_loss.item()
