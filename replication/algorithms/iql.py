"""IL: independent Q-learning with one shared network over agent embeddings (paper A, §5.1 baseline).

Gaussian Squeeze is stateless: the target bootstraps on the same (empty) state,
y = r + γ·max_a' Q⁻(a' | e_j).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import AgentMLP, epsilon_greedy, soft_update


class IndependentQ:
    needs_joint = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        self.agents = torch.arange(n_agents)
        self.q = AgentMLP(n_agents, cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.q_target = AgentMLP(n_agents, cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.q_target.load_state_dict(self.q.state_dict())
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=cfg.q_learning_rate)

    @torch.inference_mode()
    def q_values(self, mean_action: np.ndarray) -> torch.Tensor:
        return self.q(self.agents)

    def act(self, mean_action: np.ndarray, timestep: int, epsilon: float) -> np.ndarray:
        return epsilon_greedy(self.q_values(mean_action), epsilon, self.rng).numpy()

    def greedy(self, mean_action: np.ndarray) -> np.ndarray:
        return self.q_values(mean_action).argmax(dim=-1).numpy()

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward = torch.from_numpy(batch["reward"])
        with torch.no_grad():
            y = reward + self.cfg.gamma * self.q_target(agent).max(dim=-1).values
        q_taken = self.q(agent).gather(1, action[:, None]).squeeze(1)
        loss = F.mse_loss(q_taken, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        soft_update(self.q_target, self.q, self.cfg.target_tau)
        return loss.item()
