"""provenance.json: where, when and with what a run was made."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from replication import DISTRIBUTION
from replication.config import config_hash

if TYPE_CHECKING:
    import pandas as pd

# the suite itself under its distribution name (before 2026-12-07: "replication"), then its dependencies
PACKAGES = (DISTRIBUTION, "numpy", "torch", "pandas", "scipy", "magent2", "snakemake")
REPO_ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def source_state() -> tuple[str | None, bool | None]:
    """The commit and whether the *source* differs from it: tracked files changed outside results/
    (the pipeline rewrites committed results while it runs, which says nothing about the code that
    made a run). None where there is no git."""
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    return _git("rev-parse", "HEAD"), None if status is None else bool(status)


class Provenance:
    """Start a clock, and read the source's commit and state, at construction (the start of the
    run: later commits and edits made while it trains are not what made it); `finish` returns the
    provenance record."""

    def __init__(self, seed: int, resolved: dict, threads: int, device: str):
        self.seed, self.resolved, self.threads, self.device = seed, resolved, threads, device
        self.start = datetime.now(timezone.utc)
        self._t0 = time.perf_counter()
        self.commit, self.dirty = source_state()

    def finish(self, **extra) -> dict:
        return {
            "git_commit": self.commit,
            "git_dirty": self.dirty,
            "packages": _versions(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(),
            "threads": self.threads,
            "device": self.device,
            "seed": self.seed,
            "start": self.start.isoformat(timespec="seconds"),
            "end": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - self._t0, 3),
            "max_rss_mb": peak_rss_mb(),
            "config_hash": config_hash(self.resolved),
            "command": " ".join(sys.argv),
            **extra,
        }


def to_json(record: dict) -> str:
    return json.dumps(record, indent=2) + "\n"


RUN_COLUMNS = (
    "task",
    "algo",
    "seed",
    "config_hash",
    "git_commit",
    "git_dirty",
    "start",
    "end",
    "wall_seconds",
    "max_rss_mb",
    "cpu",
    "threads",
    "device",
    "torch",
)


def run_table(results: str | Path) -> "pd.DataFrame":
    """One row per run under `results`/runs (runs/<task>/<algo>/seed<k>/provenance.json): the settings
    hash of its config.yaml, the commit, when, how long, how much memory, on what; sorted by task,
    algorithm and seed. Committed beside a scale's tables, it says how each number was made after the
    runs themselves are gone."""
    import pandas as pd

    rows = []
    for path in Path(results, "runs").glob("*/*/seed*/provenance.json"):
        record = json.loads(path.read_text())
        run = path.parent
        rows.append(
            {
                "task": run.parent.parent.name,
                "algo": run.parent.name,
                "seed": int(run.name[4:]),
                **{key: record.get(key) for key in RUN_COLUMNS[3:-1]},
                "torch": record.get("packages", {}).get("torch"),
            }
        )
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS)).sort_values(["task", "algo", "seed"], ignore_index=True)
