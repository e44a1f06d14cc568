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
    uses_mean_action = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        self.agents = torch.arange(n_agents)
        kwargs = dict(extra_dim=cfg.n_actions if self.uses_mean_action else 0, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.q = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.q_target = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.q_target.load_state_dict(self.q.state_dict())
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=cfg.q_learning_rate)

    def _q(self, net, agent: torch.Tensor, mean_action) -> torch.Tensor:
        return net(agent, torch.as_tensor(mean_action)) if self.uses_mean_action else net(agent)

    @torch.inference_mode()
    def q_values(self, mean_action) -> torch.Tensor:
        """Every agent's Q-values in one forward pass."""
        return self._q(self.q, self.agents, mean_action)

    def act(self, mean_action, timestep: int, epsilon: float) -> np.ndarray:
        return epsilon_greedy(self.q_values(mean_action), epsilon, self.rng).numpy()

    def greedy(self, mean_action) -> np.ndarray:
        return self.q_values(mean_action).argmax(dim=-1).numpy()

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def next_value(self, q_next: torch.Tensor) -> torch.Tensor:
        """max_a' Q⁻(a')."""
        return q_next.max(dim=-1).values

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward, mean_action = torch.from_numpy(batch["reward"]), batch["mean_action"]
        with torch.no_grad():  # stateless: s' = s, and the stored ā stands for the next one
            y = reward + self.cfg.gamma * self.next_value(self._q(self.q_target, agent, mean_action))
        q_taken = self._q(self.q, agent, mean_action).gather(1, action[:, None]).squeeze(1)
        loss = F.mse_loss(q_taken, y)  # Eq. 14
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        soft_update(self.q_target, self.q, self.cfg.target_tau)
        return loss.item()
