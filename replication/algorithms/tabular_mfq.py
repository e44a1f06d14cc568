"""Tabular, stateless mean-field Q-learning for the Ising model (paper A §5.2, Fig. 2).

Each agent j keeps Q^j(a^j, ā^j) with ā^j the share of up neighbours at the previous step,
stored as n_up ∈ 0…4 (as the reference code). All agents are held in one (N, 5, 2) array.
"""

from __future__ import annotations

import numpy as np

DOWN, UP = 0, 1


def boltzmann_up_probability(q: np.ndarray, n_up: np.ndarray, temperature) -> np.ndarray:
    """π(up | ā) = exp(Q(up, ā)/T) / Σ_a exp(Q(a, ā)/T)  (Eq. 12 with β = 1/T), for every agent.
    `temperature` is one number or one per agent."""
    agents = np.arange(q.shape[0])
    gap = (q[agents, n_up, UP] - q[agents, n_up, DOWN]) / temperature
    return 1.0 / (1.0 + np.exp(-gap))


def mfq_update(q_value, reward, learning_rate):
    """Eq. 9 with γ = 0 (the game is stateless): Q ← Q + α (r − Q).

    Fig. 2's caption works it through: 0.82 + 0.1 × (2.0 − 0.82) = 0.938, printed as 0.93.
    """
    return q_value + learning_rate * (reward - q_value)


class TabularMFQ:
    """All agents' Q-tables, acting and learning in one vectorised call each."""

    def __init__(self, n_agents: int, n_levels: int = 5):
        self.q = np.zeros((n_agents, n_levels, 2))
        self._agents = np.arange(n_agents)

    def act(self, n_up: np.ndarray, temperature, uniform: np.ndarray) -> np.ndarray:
        """Sample every agent's action (0 = down, 1 = up) from its Boltzmann policy, given one uniform draw per agent."""
        return (uniform < boltzmann_up_probability(self.q, n_up, temperature)).astype(np.int64)

    def update(self, n_up: np.ndarray, actions: np.ndarray, reward: np.ndarray, learning_rate: float) -> np.ndarray:
        """Apply Eq. 9 to the entry (ā, a) each agent used; return the updated entries."""
        new = mfq_update(self.q[self._agents, n_up, actions], reward, learning_rate)
        self.q[self._agents, n_up, actions] = new
        return new


def annealed_temperature(step: int, initial: float, decay: float, decay_every: int, floor: float) -> float:
    """Boltzmann temperature decaying towards τ, as the reference code: max(T0·d^(⌊t/gap⌋+1), τ)."""
    return max(initial * decay ** (step // decay_every + 1), floor)
