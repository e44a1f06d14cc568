"""Schedules shared by the training loops."""

from __future__ import annotations


def linear(t: float, start: float, end: float, over: float) -> float:
    """From `start` at t = 0 to `end` at t = `over`, then `end` (every task's ε decay)."""
    frac = min(1.0, t / over)
    return start + frac * (end - start)
