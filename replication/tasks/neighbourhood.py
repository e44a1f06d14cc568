"""Who is near whom on a grid: the neighbourhoods the tasks define and the learners are handed."""

from __future__ import annotations

import numpy as np


def chebyshev_peers(positions: np.ndarray, radius: int) -> np.ndarray:
    """peers[a, k]: agent k stands in a's square view of `radius` cells each way (k ≠ a)."""
    gap = np.abs(positions[:, None, :] - positions[None, :, :]).max(axis=-1)
    peers = gap <= radius
    np.fill_diagonal(peers, False)
    return peers


def euclidean_neighbours(positions: np.ndarray, radius: float) -> np.ndarray:
    """near[a, k]: agent k within Euclidean distance `radius` of a (k ≠ a); paper A's neighbourhood
    N(j) of Eq. 6, for the whole team in one array."""
    delta = positions[:, None, :].astype(np.float32) - positions[None, :, :]
    near = (delta**2).sum(-1) <= radius * radius
    np.fill_diagonal(near, False)
    return near
