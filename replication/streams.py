"""Independent random streams drawn together: one generator per lattice, population or seed."""

from __future__ import annotations

import numpy as np


def stacked_uniforms(rngs: list[np.random.Generator], shape: tuple[int, ...]) -> np.ndarray:
    """One draw of `shape` uniforms from each generator, stacked: item k's numbers come from its own stream."""
    return np.stack([rng.random(shape) for rng in rngs])
