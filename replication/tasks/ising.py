"""The Ising model as a many-agent game (paper A §5.2).

An L×L periodic lattice of agents, each choosing a spin a ∈ {−1, +1}; agent j's neighbours are
its four nearest lattice neighbours. Agent j's reward (paper A, §5.2) is

    r^j = h·a^j + (λ/2)·a^j·Σ_{k∈N(j)} a^k,

so with h = 0 and λ = 1 an agent earns −2, −1, 0, 1, 2 when 0…4 neighbours share its spin.
Everything is vectorised over the lattice: arrays are (…, L, L), no loop over agents; leading axes
hold independent lattices (one per temperature of a sweep).
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 4


def neighbour_sum(spins: np.ndarray) -> np.ndarray:
    """Σ_{k∈N(j)} a^k for every site of periodic lattices of ±1 spins (the last two axes)."""
    return np.roll(spins, 1, -2) + np.roll(spins, -1, -2) + np.roll(spins, 1, -1) + np.roll(spins, -1, -1)


def up_neighbours(spins: np.ndarray) -> np.ndarray:
    """Number of up neighbours (0…4): the discretised mean action ā^j = n_up / 4 used as the Q-table index."""
    return (neighbour_sum(spins) + NEIGHBOURS) // 2


def rewards(spins: np.ndarray, coupling: float, field: float) -> np.ndarray:
    """r^j = h·a^j + (λ/2)·a^j·Σ_k a^k for every agent."""
    return field * spins + 0.5 * coupling * spins * neighbour_sum(spins)


def reward_table(coupling: float, field: float) -> np.ndarray:
    """True reward for action (0 = down, 1 = up) when n_up ∈ 0…4 neighbours are up: shape (5, 2)."""
    n_up = np.arange(NEIGHBOURS + 1)[:, None]
    spin = np.array([-1, 1])[None, :]
    return field * spin + 0.5 * coupling * spin * (2 * n_up - NEIGHBOURS)


def order_parameter(spins: np.ndarray):
    """ξ = |N↑ − N↓| / N of each lattice (the last two axes)."""
    return np.abs(spins.sum(axis=(-2, -1), dtype=np.int64)) / (spins.shape[-2] * spins.shape[-1])


def random_spins(size: int, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random((size, size)) < 0.5, 1, -1).astype(np.int8)
