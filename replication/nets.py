"""Networks shared by the algorithms, and target-network helpers."""

from __future__ import annotations

import torch
from torch import nn


class AgentMLP(nn.Module):
    """Shared 3-layer MLP over [agent embedding, extra inputs] (paper A, App. C.1).

    Every agent of a team goes through one forward pass: `agent` is a batch of agent indices,
    `extra` (optional) a batch of extra features such as the mean action ā.
    """

    def __init__(self, n_agents: int, n_out: int, extra_dim: int = 0, embedding_dim: int = 16, hidden: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(n_agents, embedding_dim)
        self.body = nn.Sequential(
            nn.Linear(embedding_dim + extra_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, agent: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embedding(agent)
        if extra is not None:
            x = torch.cat([x, extra], dim=-1)
        return self.body(x)


@torch.no_grad()
def soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """φ⁻ ← τ·φ + (1 − τ)·φ⁻ (paper A, Algorithms 1 and 2)."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)


def sample_categorical(probs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
    """One draw per row of `probs` by inverse CDF, with caller-supplied uniforms (seeded by numpy)."""
    cdf = probs.cumsum(dim=-1)
    return torch.searchsorted(cdf, uniform.unsqueeze(-1).to(cdf.dtype)).squeeze(-1).clamp_(max=probs.shape[-1] - 1)


def epsilon_greedy(q: torch.Tensor, epsilon: float, rng) -> torch.Tensor:
    """Greedy actions of every agent, each replaced by a uniform one with probability ε (numpy rng)."""
    n, n_actions = q.shape
    explore = torch.from_numpy(rng.random(n) < epsilon)
    random_actions = torch.from_numpy(rng.integers(0, n_actions, n))
    return torch.where(explore, random_actions, q.argmax(dim=-1))


def boltzmann(logits_or_q: torch.Tensor, temperature: float) -> torch.Tensor:
    """π(a) ∝ exp(Q(a)/T) (paper A, Eq. 12 with β = 1/T)."""
    return torch.softmax(logits_or_q / temperature, dim=-1)
