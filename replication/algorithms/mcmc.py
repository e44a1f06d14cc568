"""Metropolis MCMC for the Ising model (paper A, Algorithm 3), the baseline of Figs. 4–6.

Energy convention. MF-Q's Boltzmann policy gives one spin the odds
π(up)/π(down) = exp((r^j(up) − r^j(down))/τ) = exp(λ·Σ_k a^k / τ). For the Metropolis chain to
have the same single-spin conditionals, a flip of spin j must change the energy by
ΔE_j = r^j(current) − r^j(flipped) = 2·r^j, i.e. E = −(λ/2)·Σ_⟨jk⟩ a^j a^k − h·Σ_j a^j.
That is the standard J = 1 Ising model at temperature T = 2τ/λ, whose infinite-lattice Curie
point T_c = 2.269 sits at τ_c ≈ 1.13 (the paper reports ≈ 1.2 on its 20×20 lattice).

Update order: checkerboard sweeps. The two sub-lattices are conditionally independent given
each other, so updating one whole sub-lattice at once is an exact Metropolis step, vectorised.
A sweep runs a stack of independent lattices at once, one per temperature, each drawing from its
own random stream.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from replication.streams import stacked_uniforms


def flip_energy_change(rewards: np.ndarray) -> np.ndarray:
    """ΔE_j of flipping each spin, given every agent's reward r^j: 2·r^j (the flipped agent's own reward, lost)."""
    return 2.0 * rewards


def accept(delta_energy: np.ndarray, tau, uniform: np.ndarray) -> np.ndarray:
    """Metropolis rule: accept with probability min(1, exp(−ΔE/τ)); τ broadcasts against ΔE."""
    return uniform < np.exp(-np.maximum(delta_energy, 0.0) / tau)


def checkerboard(size: int) -> np.ndarray:
    rows, cols = np.indices((size, size))
    return (rows + cols) % 2


def sweep(
    spins: np.ndarray,
    taus: np.ndarray,
    agent_rewards: Callable[[np.ndarray], np.ndarray],
    rngs: list[np.random.Generator],
    parity: np.ndarray,
) -> None:
    """One sweep in place of K lattices (K, L, L) at temperatures taus (K,), lattice k drawing from
    rngs[k]: update the even sub-lattice, then the odd one. `agent_rewards(spins)` is the game's r^j
    of every agent (the task's reward)."""
    for colour in (0, 1):
        uniform = stacked_uniforms(rngs, spins.shape[1:])
        flip = accept(flip_energy_change(agent_rewards(spins)), taus[:, None, None], uniform)
        spins[flip & (parity == colour)] *= -1
