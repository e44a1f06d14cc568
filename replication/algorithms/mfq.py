"""MF-Q: mean-field Q-learning (paper A, Algorithm 1) for stateless many-agent games.

Q(a^j, ā^j | e_j) with ā^j the mean one-hot action of j's neighbours (Eq. 6; in Gaussian Squeeze
every other agent is a neighbour). Acting uses the mean action of the previous step (Eq. 11);
the target uses the mean-field value (Eq. 10), a Boltzmann average (Eq. 12) under the target network:

    y = r + γ · v^MF,   v^MF = Σ_a π(a | ā) Q⁻(a, ā),   π(a | ā) ∝ exp(Q⁻(a, ā)/T).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from replication.nets import AgentMLP, boltzmann, epsilon_greedy, soft_update


def mean_field_value(q_next: torch.Tensor, temperature: float) -> torch.Tensor:
    """v^MF(s') = Σ_a π(a | s', ā) Q(s', a, ā) with π the Boltzmann policy (Eqs. 10, 12)."""
    return (boltzmann(q_next, temperature) * q_next).sum(dim=-1)


class MeanFieldQ:
    needs_joint = False

    def __init__(self, n_agents: int, cfg, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        self.agents = torch.arange(n_agents)
        kwargs = dict(extra_dim=cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.q = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.q_target = AgentMLP(n_agents, cfg.n_actions, **kwargs)
        self.q_target.load_state_dict(self.q.state_dict())
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=cfg.q_learning_rate)

    @torch.inference_mode()
    def q_values(self, mean_action: np.ndarray) -> torch.Tensor:
        return self.q(self.agents, torch.from_numpy(mean_action))

    def act(self, mean_action: np.ndarray, timestep: int, epsilon: float) -> np.ndarray:
        return epsilon_greedy(self.q_values(mean_action), epsilon, self.rng).numpy()

    def greedy(self, mean_action: np.ndarray) -> np.ndarray:
        return self.q_values(mean_action).argmax(dim=-1).numpy()

    def observe(self, actions: np.ndarray, reward: float) -> None:
        pass

    def train(self, batch: dict) -> float:
        agent, action = torch.from_numpy(batch["agent"]), torch.from_numpy(batch["action"])
        reward, mean_action = torch.from_numpy(batch["reward"]), torch.from_numpy(batch["mean_action"])
        with torch.no_grad():  # Eq. 10: the game is stateless, so s' = s and ā⁻ ← ā (Algorithm 1)
            y = reward + self.cfg.gamma * mean_field_value(self.q_target(agent, mean_action), self.cfg.boltzmann_temperature)
        q_taken = self.q(agent, mean_action).gather(1, action[:, None]).squeeze(1)
        loss = F.mse_loss(q_taken, y)  # Eq. 14
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        soft_update(self.q_target, self.q, self.cfg.target_tau)
        return loss.item()
