"""Preallocated replay for stateless many-agent games.

One row per timestep holds the whole joint action (N small integers) and the shared reward;
a sample is a (timestep, agent) pair drawn with numpy, so storing and sampling never loop
over agents. Capacity is given in agent-samples, as the papers count it.
"""

from __future__ import annotations

import numpy as np
import torch


class JointActionReplay:
    def __init__(self, capacity_samples: int, n_agents: int, n_actions: int):
        self.n_agents, self.n_actions = n_agents, n_actions
        self.capacity = max(1, capacity_samples // n_agents)  # in timesteps
        self.actions = np.zeros((self.capacity, n_agents), dtype=np.int16)
        self.counts = np.zeros((self.capacity, n_actions), dtype=np.int32)  # how many agents took each action
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.size = 0
        self.cursor = 0

    def add(self, actions: np.ndarray, reward: float) -> None:
        """Store one joint action, overwriting the oldest timestep when full (ring buffer)."""
        self.actions[self.cursor] = actions
        self.counts[self.cursor] = np.bincount(actions, minlength=self.n_actions)
        self.rewards[self.cursor] = reward
        self.cursor = (self.cursor + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator, with_joint: bool = False) -> dict:
        """Uniform (timestep, agent) pairs; `mean_action` is the mean one-hot action of the other agents."""
        t = rng.integers(0, self.size, batch_size)
        agent = rng.integers(0, self.n_agents, batch_size)
        action = self.actions[t, agent].astype(np.int64)
        batch = {
            "agent": agent,
            "action": action,
            "reward": self.rewards[t],
            "mean_action": mean_action_excluding(self.counts[t], action, self.n_agents),
        }
        if with_joint:
            batch["joint"] = self.actions[t].astype(np.int64)
        return batch


def mean_action_excluding(counts: np.ndarray, own_action: np.ndarray, n_agents: int) -> np.ndarray:
    """ā^j = (Σ_k onehot(a^k) − onehot(a^j)) / (N − 1): the mean action of j's neighbours (Eq. 6),
    where every other agent is a neighbour. Rows of `counts` pair with entries of `own_action`."""
    mean = counts.astype(np.float32)
    mean[np.arange(len(own_action)), own_action] -= 1.0
    return mean / max(n_agents - 1, 1)


class AgentTransitionRing:
    """Preallocated ring of per-agent transitions for one team of a grid game (battle).

    Every step stores one row per alive agent at once. A row's successor (the same agent's next
    row) is linked when that agent's next step is stored, so observations are kept once, not
    twice. A row is usable once it is linked or terminal (the agent died). At the end of a round
    the survivors' final observations are stored as state-only rows (never sampled themselves),
    so their last transitions bootstrap from the true next state: a time limit is not a death.

    The observations (view, features, mean action: nearly all of a row's bytes) live on `device`,
    the training device, as float16 tensors, so a batch is gathered there with no copy of
    observations from the host; the bookkeeping (links, flags, actions, rewards) stays in numpy.
    """

    def __init__(
        self, capacity: int, view_shape, feature_size: int, n_actions: int, max_agent_id: int, device: str | torch.device = "cpu"
    ):
        self.capacity, self.device = capacity, torch.device(device)
        # left uninitialised (no memory is touched until used): a row is read only after it is written
        self.view = torch.empty((capacity, *view_shape), dtype=torch.float16, device=self.device)
        self.features = torch.empty((capacity, feature_size), dtype=torch.float16, device=self.device)
        self.mean_action = torch.empty((capacity, n_actions), dtype=torch.float16, device=self.device)
        self.action = np.zeros(capacity, dtype=np.int64)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.terminal = np.zeros(capacity, dtype=bool)
        self.usable = np.zeros(capacity, dtype=bool)
        self.final_state = np.zeros(capacity, dtype=bool)  # a survivor's observation at the round's end (never sampled)
        self.next_row = np.full(capacity, -1, dtype=np.int64)
        self.last_row = np.full(max_agent_id, -1, dtype=np.int64)  # per engine id, this round
        self.cursor = 0
        self.size = 0
        self.added = 0  # rows stored in total

    def add_step(self, ids, view, features, mean_action, action, reward, alive) -> np.ndarray:
        """Store one step of every alive agent (arrays in the same row order); return the rows."""
        n = len(ids)
        rows = (self.cursor + np.arange(n)) % self.capacity
        self.usable[rows] = False
        self.final_state[rows] = False
        self.next_row[rows] = -1
        index = torch.as_tensor(rows, device=self.device)
        for store, values in ((self.view, view), (self.features, features), (self.mean_action, mean_action)):
            store[index] = torch.as_tensor(values, device=self.device).to(torch.float16)
        self.action[rows], self.reward[rows] = action, reward
        self.terminal[rows] = ~alive
        self.usable[rows[~alive]] = True
        previous = self.last_row[ids]
        linked = previous >= 0
        self.next_row[previous[linked]] = rows[linked]
        self.usable[previous[linked]] = True
        self.last_row[ids] = np.where(alive, rows, -1)
        self.cursor = (self.cursor + n) % self.capacity
        self.size = min(self.size + n, self.capacity)
        self.added += n
        return rows

    def end_round(self, ids, view, features, mean_action) -> np.ndarray:
        """Store the survivors' final observations as successors of their last rows."""
        n = len(ids)
        rows = self.add_step(ids, view, features, mean_action, np.full(n, -1), np.zeros(n, np.float32), np.ones(n, bool))
        self.usable[rows] = False
        self.final_state[rows] = True
        self.last_row[:] = -1
        return rows

    ROW_ARRAYS = ("action", "reward", "terminal", "usable", "final_state", "next_row")  # bookkeeping per row

    def memory_bytes(self) -> tuple[int, int]:
        """(bytes of the ring at capacity, bytes of its filled rows). The observations are allocated
        untouched, so a process's resident memory grows by the difference as the ring fills."""
        arrays = [getattr(self, name) for name in ("view", "features", "mean_action", *self.ROW_ARRAYS)]
        full = sum(a.element_size() * a.numel() if torch.is_tensor(a) else a.nbytes for a in arrays)
        return full, full * self.size // self.capacity

    def state_dict(self) -> dict:
        """Every filled row (observations and bookkeeping) and the counters, as CPU tensors (a
        checkpoint loads with `weights_only=True`). Rows past `size` were never written and are left
        out, so a checkpoint holds what the ring holds; a slice is copied, lest its whole storage be saved."""
        n = self.size

        def rows(values):
            values = values if torch.is_tensor(values) else torch.from_numpy(values)
            return values.cpu() if n == self.capacity else values[:n].clone().cpu()

        return {
            **{name: rows(getattr(self, name)) for name in ("view", "features", "mean_action", *self.ROW_ARRAYS)},
            "last_row": torch.from_numpy(self.last_row.copy()),
            "counters": torch.tensor([self.capacity, self.cursor, self.size, self.added], dtype=torch.int64),
        }

    def load_state_dict(self, state: dict) -> None:
        """Refill the ring from `state_dict()`'s output; a ring of another capacity or row shape is refused."""
        capacity, cursor, size, added = (int(v) for v in state["counters"])
        if capacity != self.capacity or state["view"].shape[1:] != self.view.shape[1:]:
            raise ValueError(
                f"a replay ring of capacity {capacity} and rows {tuple(state['view'].shape[1:])} does not fit "
                f"this one (capacity {self.capacity}, rows {tuple(self.view.shape[1:])})"
            )
        for name in ("view", "features", "mean_action"):
            getattr(self, name)[:size] = state[name].to(self.device)
        for name in self.ROW_ARRAYS:
            getattr(self, name)[:size] = state[name].numpy()
        self.last_row[:] = state["last_row"].numpy()
        self.cursor, self.size, self.added = cursor, size, added

    def usable_rows(self) -> np.ndarray:
        """Rows with a successor or a terminal flag. A successor is always newer than its row and the
        ring overwrites in insertion order, so a row still present always has its successor intact."""
        return np.flatnonzero(self.usable[: self.size])

    def batch(self, rows: np.ndarray) -> dict:
        """Rows and their successors: observations as float32 tensors on the ring's device, the rest numpy."""
        nxt = np.where(self.terminal[rows], rows, self.next_row[rows])  # terminal rows point at themselves
        both, n = torch.as_tensor(np.concatenate([rows, nxt]), device=self.device), len(rows)
        view, features, mean_action = (store[both].float() for store in (self.view, self.features, self.mean_action))
        return {
            "view": view[:n],
            "features": features[:n],
            "mean_action": mean_action[:n],
            "action": self.action[rows],
            "reward": self.reward[rows],
            "terminal": self.terminal[rows].astype(np.float32),
            "next_view": view[n:],
            "next_features": features[n:],
            "next_mean_action": mean_action[n:],
            # the reference code's loss mask (`_flush` in mlii/mfrl algo/tools.py): neither a death nor an
            # agent's last transition of the round counts
            "reference_mask": (~self.terminal[rows] & ~self.final_state[nxt]).astype(np.float32),
        }


class JointStepReplay:
    """Preallocated FIFO of joint steps for a fixed set of agents (paper B's tasks): one row per env
    step holds every agent's fields, given as {name: (per-step shape, dtype)}. Storing writes one
    row; sampling draws whole rows, so neither loops over agents."""

    def __init__(self, capacity: int, fields: dict):
        self.capacity = capacity
        self.data = {name: np.zeros((capacity, *shape), dtype=dtype) for name, (shape, dtype) in fields.items()}
        self.cursor = 0
        self.size = 0

    def memory_bytes(self) -> tuple[int, int]:
        """(bytes at capacity, bytes of the filled rows): np.zeros leaves the rows untouched until written."""
        full = sum(array.nbytes for array in self.data.values())
        return full, full * self.size // self.capacity

    def state_dict(self) -> dict:
        """The filled rows of every field and the counters, as CPU tensors (a checkpoint loads with
        `weights_only=True`), so that a resumed run samples from the replay its unkilled run had."""
        return {
            "fields": {name: torch.from_numpy(array[: self.size].copy()) for name, array in self.data.items()},
            "counters": torch.tensor([self.capacity, self.cursor, self.size], dtype=torch.int64),
        }

    def load_state_dict(self, state: dict) -> None:
        """Refill from `state_dict()`'s output; a replay of another capacity or fields is refused."""
        capacity, cursor, size = (int(v) for v in state["counters"])
        if capacity != self.capacity or set(state["fields"]) != set(self.data):
            raise ValueError(
                f"a replay of capacity {capacity} and fields {sorted(state['fields'])} does not fit this one "
                f"(capacity {self.capacity}, fields {sorted(self.data)})"
            )
        for name, array in self.data.items():
            array[:size] = state["fields"][name].numpy()
        self.cursor, self.size = cursor, size

    def add(self, step: dict) -> None:
        for name, array in self.data.items():
            array[self.cursor] = step[name]
        self.cursor = (self.cursor + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict:
        rows = rng.integers(0, self.size, batch_size)
        return {name: array[rows] for name, array in self.data.items()}


def replay_memory_mb(learner) -> tuple[float, float]:
    """(MB of a learner's replay at capacity, MB of it filled): its battle ring (`ring`) or its
    paper-B FIFO (`replay`); (0, 0) for a learner with neither. The cost table projects a paper-length
    job's peak memory from a short one's with it (analysis/rehearsal.py)."""
    full = filled = 0
    for store in (getattr(learner, "ring", None), getattr(learner, "replay", None)):
        if hasattr(store, "memory_bytes"):
            a, b = store.memory_bytes()
            full, filled = full + a, filled + b
    return full / 2**20, filled / 2**20
