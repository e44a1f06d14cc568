"""Mean actions ā: the paper's neighbour mean (Eq. 6) over the neighbourhood a task hands over, or
the reference code's team mean."""

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


def peer_mean_action(peers: np.ndarray, previous: np.ndarray, n_actions: int) -> np.ndarray:
    """Paper Eq. 6: ā^j = mean one-hot previous action of j's neighbours (peers[j, k], as the task
    defines them: battle's disc of the view radius, paper B's views); zeros with none."""
    near = peers & (previous[None, :] >= 0)
    counts = near.sum(axis=1, keepdims=True)
    return (near.astype(np.float32) @ one_hot(previous, n_actions)) / np.maximum(counts, 1)
