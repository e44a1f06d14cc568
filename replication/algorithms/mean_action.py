"""Mean actions ā for grid games: the paper's neighbour mean (Eq. 6) or the reference code's team mean."""

from __future__ import annotations

import numpy as np


def one_hot(actions: np.ndarray, n_actions: int) -> np.ndarray:
    """One-hot rows; a negative action (no previous action) gives a zero row."""
    out = np.zeros((len(actions), n_actions), dtype=np.float32)
    valid = actions >= 0
    out[np.flatnonzero(valid), actions[valid]] = 1.0
    return out


def team_mean_action(previous: np.ndarray, n_actions: int) -> np.ndarray:
    """Reference code: the mean one-hot of the whole team's previous actions, the same for every agent."""
    acted = previous[previous >= 0]
    mean = one_hot(acted, n_actions).mean(axis=0) if len(acted) else np.zeros(n_actions, np.float32)
    return np.broadcast_to(mean, (len(previous), n_actions)).copy()


def neighbour_mean_action(positions: np.ndarray, previous: np.ndarray, radius: float, n_actions: int) -> np.ndarray:
    """Paper Eq. 6: ā^j = mean one-hot previous action of j's team-mates within `radius` (j excluded);
    zeros when j has no such neighbour. Pairwise distances for the whole team in one array."""
    delta = positions[:, None, :].astype(np.float32) - positions[None, :, :]
    near = (delta ** 2).sum(-1) <= radius * radius
    np.fill_diagonal(near, False)
    return peer_mean_action(near, previous, n_actions)


def chebyshev_peers(positions: np.ndarray, radius: int) -> np.ndarray:
    """peers[a, k]: agent k stands in a's square view of `radius` cells each way (k ≠ a)."""
    gap = np.abs(positions[:, None, :] - positions[None, :, :]).max(axis=-1)
    peers = gap <= radius
    np.fill_diagonal(peers, False)
    return peers


def peer_mean_action(peers: np.ndarray, previous: np.ndarray, n_actions: int) -> np.ndarray:
    """ā^j = mean one-hot previous action of the agents j observes (peers[j, k]); zeros with none."""
    near = peers & (previous[None, :] >= 0)
    counts = near.sum(axis=1, keepdims=True)
    return (near.astype(np.float32) @ one_hot(previous, n_actions)) / np.maximum(counts, 1)
