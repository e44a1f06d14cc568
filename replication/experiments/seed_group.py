"""K seeds of one paper-B learner trained in one process, in lockstep (issue: paper B at scale).

The per-agent networks already run every agent in one pass, each agent's weights a slice along a
leading agent axis (`semi_cooperative/dqn.py`). K seeds are then K·A agents of one network, seed
k's agents at rows k·A … (k+1)·A − 1: one forward pass acts for every seed, one backward pass
trains every seed. The seeds' losses add, so each seed's weights receive exactly its own gradient,
and Adam is elementwise, so each follows its own optimiser: a seed in a group learns as it would
alone, to float tolerance (tested). The peer structure is block-diagonal (no agent observes another
seed's agents), so peer evaluation, reward sharing and mean actions stay within a seed.

Everything else stays the seed's own, as in a run alone: its task and episodes, its replay FIFO,
its random streams (`SeedStreams`: acting and replay draws come from the seed's stream in the same
order as alone), its evaluation episodes and its outputs. Each seed's first weights are those its
run alone starts from (built under `torch.manual_seed(seed)`).

Networks that are not per agent keep one copy per seed the same way, stacked along a leading seed
axis: a shared network (`parameter_sharing`) and QMIX's mixer, which mixes each seed's agents with
that seed's state. The training loop that uses these pieces is `semi_cooperative.train_seeds` (a
run alone is a group of one).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import block_diag

from replication.config import SuiteConfig


class SeedStreams:
    """K seeds' numpy generators behind one generator's face: a request for K·n values draws n from
    each seed's stream, in seed order, so each stream is used as the seed's run alone uses it."""

    def __init__(self, rngs: list[np.random.Generator]):
        self.rngs = rngs

    def _share(self, size: int) -> int:
        if size % len(self.rngs):
            raise ValueError(f"a request of {size} values does not split over {len(self.rngs)} seeds")
        return size // len(self.rngs)

    def random(self, size: int) -> np.ndarray:
        n = self._share(size)
        return np.concatenate([rng.random(n) for rng in self.rngs])

    def integers(self, low: int, high: int, size: int) -> np.ndarray:
        n = self._share(size)
        return np.concatenate([rng.integers(low, high, n) for rng in self.rngs])


class GroupedReplay:
    """One replay FIFO per seed behind one face: a joint step of K·A agents is stored as K steps of
    A agents, and a batch is each seed's own batch (drawn from its own stream), side by side along
    the agent axis. Seeds never share rows or draws."""

    def __init__(self, replays: list, rngs: list[np.random.Generator]):
        self.replays, self.rngs = replays, rngs

    @property
    def size(self) -> int:
        return self.replays[0].size  # the seeds store in lockstep

    def memory_bytes(self) -> tuple[int, int]:
        """The seeds' FIFOs' (bytes at capacity, bytes filled), summed."""
        found = [replay.memory_bytes() for replay in self.replays if hasattr(replay, "memory_bytes")]
        return sum(a for a, _ in found), sum(b for _, b in found)

    def state_dict(self) -> dict:
        """Each seed's FIFO (`JointStepReplay.state_dict`); the null model's stores nothing."""
        return {"seeds": [replay.state_dict() if hasattr(replay, "state_dict") else {} for replay in self.replays]}

    def load_state_dict(self, state: dict) -> None:
        for replay, saved in zip(self.replays, state["seeds"]):
            if saved:
                replay.load_state_dict(saved)

    def add(self, step: dict) -> None:
        for k, replay in enumerate(self.replays):
            replay.add({name: _seed_part(step[name], k, len(self.replays)) for name in replay.data})

    def sample(self, batch_size: int, rng=None) -> dict:
        parts = [replay.sample(batch_size, own) for replay, own in zip(self.replays, self.rngs)]
        return {name: np.concatenate([part[name] for part in parts], axis=1) for name in parts[0]}


def _seed_part(values: np.ndarray, k: int, n_seeds: int) -> np.ndarray:
    """Seed k's agents of a per-agent array (agents first)."""
    share = len(values) // n_seeds
    return values[k * share : (k + 1) * share]


def stack_states(states: list[dict]) -> dict:
    """The seeds' state dicts of a network as one network's over all their agents: every tensor of
    these networks is per agent, or per seed, along its first axis, so they concatenate."""
    return {name: torch.cat([state[name] for state in states]) for name in states[0]}


def split_states(state: dict, n_seeds: int) -> list[dict]:
    """`stack_states` undone: each seed's state dict."""
    return [{name: tensor.chunk(n_seeds)[k].clone() for name, tensor in state.items()} for k in range(n_seeds)]


def seed_jobs(algo: str, cfg: SuiteConfig, family: str = "semi_cooperative") -> list[tuple[int, ...]]:
    """The seeds of `algo`'s runs of a family (paper B's, or battle) as they are grouped into jobs,
    the family's `seeds_per_job` at a time."""
    seeds = cfg.battle.seeds if family == "battle" else cfg.seeds
    size = getattr(cfg, family).seeds_per_job
    return [tuple(seeds[i : i + size]) for i in range(0, len(seeds), size)]


def join_steps(steps: list[dict]) -> dict:
    """The seeds' transitions as one of K·A agents: per-agent arrays side by side, the peer matrices
    block-diagonal (an agent observes no other seed's agents)."""
    joined = {}
    for name, value in steps[0].items():
        if value is None:
            joined[name] = None
        elif name == "peers":
            joined[name] = block_diag(*(step["peers"] for step in steps))
        else:
            joined[name] = np.concatenate([step[name] for step in steps])
    return joined
