"""MF-AC: mean-field actor-critic (paper A, Algorithm 2) for stateless many-agent games.

A shared critic Q(a^j, ā^j | e_j) trained like MF-Q, but with the actor's policy inside v^MF;
independent actors π(a | e_j) (one network over agent embeddings) trained by the sampled policy
gradient of Algorithm 2: ∇θ log π_θ(a⁻) · Q⁻(a⁻, ā) with a⁻ drawn from the target actor.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import AgentMLP, sample_categorical, soft_update


class MeanFieldActorCritic:
    needs_joint = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        self.agents = torch.arange(n_agents)
        critic_kwargs = dict(extra_dim=cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        actor_kwargs = dict(embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.critic = AgentMLP(n_agents, cfg.n_actions, **critic_kwargs)
        self.critic_target = AgentMLP(n_agents, cfg.n_actions, **critic_kwargs)
        self.actor = AgentMLP(n_agents, cfg.n_actions, **actor_kwargs)
        self.actor_target = AgentMLP(n_agents, cfg.n_actions, **actor_kwargs)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.actor_target.load_state_dict(self.actor.state_dict())
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_learning_rate)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_learning_rate)

    @torch.inference_mode()
    def policy(self) -> torch.Tensor:
        return torch.softmax(self.actor(self.agents), dim=-1)

    def act(self, mean_action: np.ndarray, timestep: int, epsilon: float) -> np.ndarray:
        probs = self.policy()
        return sample_categorical(probs, torch.from_numpy(self.rng.random(len(probs)))).numpy()

    def greedy(self, mean_action: np.ndarray) -> np.ndarray:
        return self.policy().argmax(dim=-1).numpy()

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward, mean_action = torch.from_numpy(batch["reward"]), torch.from_numpy(batch["mean_action"])
        with torch.no_grad():
            q_next = self.critic_target(agent, mean_action)
            pi_next = torch.softmax(self.actor_target(agent), dim=-1)
            y = reward + self.cfg.gamma * (pi_next * q_next).sum(dim=-1)  # v^MF with the actor's policy (Eq. 10)
            target_action = sample_categorical(pi_next, torch.from_numpy(self.rng.random(len(agent))))
            q_target_action = q_next.gather(1, target_action[:, None]).squeeze(1)
        critic_loss = F.mse_loss(self.critic(agent, mean_action).gather(1, action[:, None]).squeeze(1), y)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()

        log_pi = torch.log_softmax(self.actor(agent), dim=-1).gather(1, target_action[:, None]).squeeze(1)
        actor_loss = -(log_pi * q_target_action).mean()  # Algorithm 2's sampled policy gradient
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()
        soft_update(self.critic_target, self.critic, self.cfg.target_tau)
        soft_update(self.actor_target, self.actor, self.cfg.target_tau)
        return critic_loss.item()
