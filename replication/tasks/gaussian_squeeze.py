"""Gaussian Squeeze (paper A §5.1, App. C.1).

N homogeneous, stateless agents each pick an integer a^j ∈ {0, …, 9}; with x = Σ_j a^j every
agent receives the same reward G(x) = x·exp(−(x − μ)²/σ²). G peaks at
x* = (μ + √(μ² + 2σ²))/2, so performance is reported as G(x)/G(x*).
"""

from __future__ import annotations

import math

import numpy as np


class GaussianSqueeze:
    def __init__(self, n_agents: int, mu: float = 400.0, sigma: float = 200.0, n_actions: int = 10):
        self.n_agents, self.mu, self.sigma, self.n_actions = n_agents, mu, sigma, n_actions
        self.best_x = (mu + math.sqrt(mu * mu + 2 * sigma * sigma)) / 2
        self.g_max = self.squeeze(self.best_x)

    def squeeze(self, x):
        """G(x) = x·exp(−(x − μ)²/σ²)."""
        return x * np.exp(-((x - self.mu) ** 2) / self.sigma**2)

    def step(self, actions: np.ndarray) -> float:
        """Shared reward of one joint action (all N agents' integers at once)."""
        return float(self.squeeze(actions.sum()))

    def performance(self, actions: np.ndarray) -> float:
        """Normalised performance G(x)/G_max ∈ [0, 1] (the y-axis of Fig. 3)."""
        return self.step(actions) / self.g_max

    def composition(self, actions: np.ndarray) -> dict[str, float]:
        """What a joint action is made of: x = Σ a^j, the share of agents on the modal action, and
        each action's share (`share_a<k>`). Says why a joint action scores what it does: every agent
        on action 1 at N = 500 gives x = 500 and G/G_max ≈ 0.92 without any learning."""
        shares = np.bincount(actions, minlength=self.n_actions) / len(actions)
        return {
            "x": float(actions.sum()),
            "modal_share": float(shares.max()),
            **{f"share_a{k}": float(share) for k, share in enumerate(shares)},
        }
