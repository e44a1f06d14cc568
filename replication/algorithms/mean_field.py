"""The mean-field value v^MF (paper A, Eq. 10), the one place every MF-Q (Gaussian Squeeze, battle,
paper B's baseline) computes it."""

from __future__ import annotations

import torch

from replication.nets import boltzmann


def mean_field_value(q_next: torch.Tensor, temperature: float) -> torch.Tensor:
    """v^MF(s') = Σ_a π(a | s', ā) Q(s', a, ā) with π the Boltzmann policy (Eqs. 10, 12)."""
    return (boltzmann(q_next, temperature) * q_next).sum(dim=-1)
