"""Checkpoints shared by the training loops: written atomically, read with weights_only=True
(a results folder from someone else never runs code here), refused with one line when they do not
fit the run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Callable, Literal

import torch

from replication import io
from replication.config import ConfigError, first_difference


class CheckpointError(ConfigError):
    """A checkpoint that does not fit the requested run: the problem, and what the user can do."""

    def __init__(self, problem: str, remedy: str = ""):
        super().__init__(f"{problem}; {remedy}" if remedy else problem)
        self.problem = problem


def module_states(learner) -> dict:
    """State dicts of a learner's networks and optimisers."""
    return {k: m.state_dict() for k, m in {**learner.networks(), **learner.optimizers()}.items()}


def restore(learner, states: dict) -> None:
    """Load state dicts (from `module_states`) into a learner's networks and optimisers."""
    modules = {**learner.networks(), **learner.optimizers()}
    for key, sd in states.items():
        try:
            modules[key].load_state_dict(sd)
        except (KeyError, RuntimeError, ValueError) as err:
            raise CheckpointError(
                f"checkpoint does not fit the {type(learner).__name__} networks: {str(err).splitlines()[0]}"
            ) from None


def save(path: Path, state: dict) -> None:
    with io.atomic_path(path) as tmp:
        torch.save(state, tmp)


def read(path: Path) -> dict:
    """The checkpoint's contents, loaded without running code."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported the same way
        raise CheckpointError(f"checkpoint {path}: cannot be read safely ({type(err).__name__})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path}: not a checkpoint of this suite")
    return state


def save_progress(path: Path, identity: dict, settings: dict, progress: dict) -> None:
    """A training checkpoint: what it belongs to (`identity`: task, algorithm, map...), the settings it
    was trained with, and the loop's progress (networks, optimisers, random states, metrics so far)."""
    save(path, {**identity, "settings": settings, **progress})


def load_progress(path: Path, identity: dict, settings: dict | None, prefix: str = "") -> dict:
    """A checkpoint read without running code; it must belong to `identity` and, when `settings` are
    given (to resume), have been trained with exactly those. Else one line naming the difference."""
    state = read(path)
    for key, value in identity.items():
        if key not in state:
            raise CheckpointError(f"checkpoint {path}: not a checkpoint of this suite for this run (no {key})")
        if state[key] != value:
            raise CheckpointError(f"checkpoint {path}: made for {key} {state[key]!r}, not {value!r}")
    if settings is not None:
        check_settings(path, state.get("settings"), settings, prefix)
    return state


def check_settings(path: Path, saved, current: dict, prefix: str = "") -> None:
    """Refuse to resume a checkpoint trained with other settings than this run's."""
    changed = first_difference(saved, current, prefix)
    if changed:
        raise CheckpointError(
            f"checkpoint {path}: trained with {changed[0]} = {changed[1]!r}, not {changed[2]!r}", "delete it to train afresh"
        )


Stale = Literal["refuse", "restart"]


def discard_stale(path: Path, err: CheckpointError, stale: Stale) -> None:
    """What to do with saved progress (a checkpoint, partial results) that does not fit this run:
    `refuse` raises the one-line error; `restart` deletes it with a note and the run starts afresh.
    The pipeline restarts: Snakemake reruns a job exactly when its settings changed, so what an
    earlier, killed job left behind is stale by construction."""
    if stale == "refuse":
        raise err
    print(f"note: {err.problem}; discarded, training afresh", file=sys.stderr)
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def resume_state(path: Path, load: Callable[[Path], dict], stale: Stale) -> dict | None:
    """The checkpoint at `path` read and checked by `load`, or None: no checkpoint, or (restart) a stale one."""
    if not path.exists():
        return None
    try:
        return load(path)
    except CheckpointError as err:
        discard_stale(path, err, stale)
        return None
