"""Kill a training job with SIGKILL after its checkpoints and run it again: is the resumed run its
unkilled run to the byte? (`python -m replication resume-check`; the rehearsal runs it at the paper's
settings on a battle job mid-round and a paper-B job past step 50 000, results/rehearsal/resume/.)

The job is started as the pipeline starts it (`python -m replication run ... --stale restart`) into a
scratch folder; once its checkpoint has been written `after` times and `delay` seconds more have
passed it is killed (SIGKILL: no clean stop, no final write), then run again with the same command
to its end. Each seed's metrics.csv is compared byte for byte, and its model.pt tensor for tensor,
with the unkilled run's (the rehearsal's own run of the same job).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from replication import io
from replication.config import ConfigError

COLUMNS = [
    "task",
    "algo",
    "seeds",
    "killed_after_seconds",
    "checkpoints_before_kill",
    "resumed_seconds",
    "metrics_identical",
    "models_identical",
]


def _checkpoint_writes(path: Path, seen: list) -> int:
    """How many times `path` has been (re)written so far: an atomic write gives it a new inode."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return len(seen)
    stamp = (stat.st_ino, stat.st_mtime_ns)
    if not seen or seen[-1] != stamp:
        seen.append(stamp)
    return len(seen)


def _same_model(a: Path, b: Path) -> bool:
    left, right = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    return _same_tree(left, right)


def _same_tree(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if torch.is_tensor(a) and torch.is_tensor(b):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    return a == b


def same_outputs(mine: str, reference: str, seeds: list[int]) -> tuple[bool, bool]:
    """Whether every seed's metrics.csv is byte-identical and its model.pt tensor-identical in two
    run folders (patterns holding {seed})."""
    metrics = models = True
    for seed in seeds:
        a, b = Path(mine.format(seed=seed)), Path(reference.format(seed=seed))
        metrics &= (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
        models &= _same_model(a / "model.pt", b / "model.pt")
    return metrics, models


def resume_check(
    task: str,
    algo: str,
    seeds: list[int],
    configs: list[str],
    reference: str,
    scratch: str | Path,
    after: int = 1,
    delay: float = 2.0,
    timeout: float = 3600.0,
) -> dict:
    """Kill the job after its `after`-th checkpoint write and `delay` s more, rerun it, and compare
    each seed's outputs with `reference` (a folder pattern holding {seed}, the unkilled runs)."""
    scratch = Path(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    out = str(scratch / "seed{seed}")
    command = [
        sys.executable,
        "-m",
        "replication",
        "run",
        "--task",
        task,
        "--algo",
        algo,
        "--seed",
        *map(str, seeds),
        *[arg for path in configs for arg in ("--config", path)],
        "--out",
        out if len(seeds) > 1 else out.format(seed=seeds[0]),
        "--no-progress",
        "--stale",
        "restart",
    ]
    checkpoint = Path(out.format(seed=seeds[0])) / "checkpoint.pt"
    scratch.mkdir(parents=True)
    log = scratch / "killed.log"  # a file, not a pipe: a pipe nobody reads would stall a talkative job
    start, seen = time.monotonic(), []
    with open(log, "w") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    while _checkpoint_writes(checkpoint, seen) < after:
        if proc.poll() is not None:
            raise RuntimeError(
                f"resume-check: {task} {algo} ended (exit {proc.returncode}) before checkpoint {after}: {log.read_text()[-500:]}"
            )
        if time.monotonic() - start > timeout:
            proc.kill()
            raise RuntimeError(f"resume-check: {task} {algo} wrote no checkpoint {after} in {timeout:.0f} s")
        time.sleep(0.2)
    time.sleep(delay)
    if proc.poll() is not None:
        raise RuntimeError(f"resume-check: {task} {algo} finished before it could be killed; lower --delay")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_after = time.monotonic() - start
    # a run is finished when it has written its provenance (its metrics.csv grows while it trains)
    if any((Path(out.format(seed=seed)) / "provenance.json").exists() for seed in seeds):
        raise RuntimeError(f"resume-check: {task} {algo} finished before the kill; lower --delay")
    t0 = time.monotonic()
    rerun = subprocess.run(command, capture_output=True, text=True)
    if rerun.returncode != 0:
        raise RuntimeError(f"resume-check: the resumed {task} {algo} failed: {rerun.stderr[-500:]}")
    resumed = time.monotonic() - t0
    metrics, models = same_outputs(out, reference, seeds)
    return {
        "task": task,
        "algo": algo,
        "seeds": " ".join(map(str, seeds)),
        "killed_after_seconds": round(killed_after, 1),
        "checkpoints_before_kill": after,
        "resumed_seconds": round(resumed, 1),
        "metrics_identical": metrics,
        "models_identical": models,
    }


def write_resume_check(out: str | Path, rows: list[dict]) -> None:
    if not rows:
        raise ConfigError("resume-check: nothing to check")
    io.write_csv(out, pd.DataFrame(rows, columns=COLUMNS))
