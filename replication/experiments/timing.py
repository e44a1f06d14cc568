"""What a run's job took: seconds per unit of work and its memory, for the rehearsal's cost table
(analysis/rehearsal.py), in files kept beside the run's outputs and out of metrics.csv, which must
be identical run to run: a training run's timing.csv, an evaluation's <name>.timing.json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from replication import io
from replication.provenance import peak_rss_mb
from replication.replay import replay_memory_mb

TIMING = "timing.csv"


def write_timing(path: Path, unit: str, units: list, seconds: list, checkpoint_seconds: list, learner) -> None:
    """A run's timing.csv: per `unit` (battle's round; paper B's step at the end of an evaluation
    interval, the interval's training and its evaluation) the seconds this process took for it and
    for the checkpoint written after it (0 where none; NaN before a resume); and, the same on every row, the process's peak resident memory and its learner's replay at
    capacity and as filled (`replay_memory_mb`). analysis/rehearsal.py projects a paper-length job
    from these. Kept out of metrics.csv, which must be identical run to run."""
    replay_mb, replay_filled_mb = replay_memory_mb(learner)
    io.write_csv(
        path,
        pd.DataFrame(
            {
                unit: units,
                "seconds": seconds,
                "checkpoint_seconds": checkpoint_seconds,
                "peak_rss_mb": peak_rss_mb(),
                "replay_mb": replay_mb,
                "replay_filled_mb": replay_filled_mb,
            }
        ),
    )


def write_evaluation_timing(out: Path, rounds: int, setup_seconds: float, play_seconds: float) -> Path:
    """An evaluation's timing beside its output (`rows_mfq.csv` → `rows_mfq.timing.json`): the rounds
    it played, the seconds it took to load its models and to play them, and its peak memory."""
    path = Path(out).with_suffix(".timing.json")
    io.write_text(
        path,
        json.dumps(
            {
                "rounds": rounds,
                "setup_seconds": round(setup_seconds, 3),
                "seconds": round(play_seconds, 3),
                "peak_rss_mb": peak_rss_mb(),
            },
            indent=1,
        )
        + "\n",
    )
    return path
