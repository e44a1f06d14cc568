"""Metrics you can watch while a run trains (docs/reproducibility.md, "Watching a run").

A training run of battle or of paper B's tasks rewrites its `metrics.csv` as it goes: paper B after
every evaluation, battle at every checkpoint (`battle.checkpoint_every` rounds). Each write is
atomic (a temporary file renamed over the old one), so a killed run leaves the last complete file,
in the tidy form and column order of the finished run's (`tidy_metrics`); the finished run writes
it once more, whole. A run that has not finished has no provenance.json: that, not metrics.csv,
says a run is done.

With `--tensorboard` (or REPLICATION_TENSORBOARD=1 in the environment, which the pipeline's jobs
inherit) every metric row is also written as a TensorBoard scalar, tag `<metric>` at its step, into
`<run folder>/tensorboard/` (the `tensorboard` extra: `pip install -e ".[tensorboard]"`). Neither
changes what a run computes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from replication import io
from replication.config import ConfigError

BASE_COLUMNS = ["task", "algo", "seed", "step", "metric", "value"]
TENSORBOARD_ENV = "REPLICATION_TENSORBOARD"


def tidy_metrics(metrics: pd.DataFrame, task: str, algo: str, seed: int) -> pd.DataFrame:
    """A run's metrics (step, metric, value and any columns of its own) with the run's keys first."""
    metrics["task"], metrics["algo"], metrics["seed"] = task, algo, seed
    extras = [c for c in metrics.columns if c not in BASE_COLUMNS]
    return metrics[BASE_COLUMNS + extras]


def tensorboard_requested(flag: bool = False) -> bool:
    """The --tensorboard flag, or REPLICATION_TENSORBOARD set to 1 / true / yes."""
    return flag or os.environ.get(TENSORBOARD_ENV, "").lower() in ("1", "true", "yes")


def check_tensorboard() -> None:
    """A one-line error before any work when TensorBoard logging is asked for and not installed."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"--tensorboard ({TENSORBOARD_ENV}): the tensorboard package is not installed; "
            'pip install -e ".[tensorboard]", or leave TensorBoard logging off'
        ) from None


class LiveLog:
    """One run's metrics as they come: `update(rows)` with every (step, metric, value) row so far."""

    def __init__(self, out: str | Path, task: str, algo: str, seed: int, tensorboard: bool = False):
        self.out, self.task, self.algo, self.seed = Path(out), task, algo, seed
        self.written = 0  # rows already sent to TensorBoard
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(self.out / "tensorboard"))

    def update(self, rows: list[tuple]) -> None:
        metrics = pd.DataFrame(rows, columns=["step", "metric", "value"])
        io.write_csv(self.out / "metrics.csv", tidy_metrics(metrics, self.task, self.algo, self.seed))
        if self.writer is not None:
            for step, metric, value in rows[self.written :]:
                self.writer.add_scalar(metric, float(value), int(step))
            self.writer.flush()
            self.written = len(rows)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
