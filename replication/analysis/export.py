"""`python -m replication export --format marl-eval RESULTS`: paper B's evaluation episodes in
marl-eval's JSON (github instadeepai/marl-eval, "Data Structure for Raw Experiment data"), for its
aggregation and plots.

From every run's `episodes.csv` (runs/<task>/<algo>/seed<k>/: each greedy evaluation episode's
measures at its training step): environment `replication`, task the task's name, algorithm the
learner's, run `run_<seed>`, and per evaluation, in step order, `step_<i>` with its `step_count`
(training steps; 0 for the untrained networks' evaluation) and, per measure, the list of its
episodes' values: `return` is the episode's social welfare (the sum of every agent's rewards),
beside `reward_per_agent` and the task's own measures. `absolute_metrics` are the final networks'
paired evaluation episodes (`evidence.csv`, `python -m replication evidence`) where the run has
them, else its last evaluation's episodes. Battle has no periodic greedy evaluation (its metrics are
training rounds) and is not exported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from replication import io
from replication.analysis.learning import EVIDENCE
from replication.config import ConfigError
from replication.registry import SEMI_COOPERATIVE_TASKS

ENVIRONMENT = "replication"
EPISODES = "episodes.csv"


def _measures(frame: pd.DataFrame) -> dict:
    values = {"return": frame["social_welfare"].astype(float).tolist()}
    for column in frame.columns:
        if column not in ("step", "policy", "episode", "social_welfare"):
            values[column] = frame[column].astype(float).tolist()
    return values


def marl_eval(results: str | Path) -> dict:
    """marl-eval's nested mapping for every paper-B run under `results` that kept its episodes."""
    data = {}
    files = sorted(Path(results, "runs").glob(f"*/*/seed*/{EPISODES}"))
    for path in files:
        run, algo, task = path.parent, path.parent.parent.name, path.parent.parent.parent.name
        if task not in SEMI_COOPERATIVE_TASKS:
            continue
        episodes = pd.read_csv(path).sort_values(["step", "episode"], kind="stable")
        entry = {}
        for i, (step, frame) in enumerate(episodes.groupby("step", sort=True)):
            entry[f"step_{i}"] = {"step_count": int(step), **_measures(frame)}
        evidence = run / EVIDENCE
        if evidence.is_file():
            trained = pd.read_csv(evidence, keep_default_na=False)
            trained = trained[trained["policy"] == "trained"].sort_values("episode")
            entry["absolute_metrics"] = {"return": trained["value"].astype(float).tolist()}
        else:
            entry["absolute_metrics"] = _measures(episodes[episodes["step"] == episodes["step"].max()])
        data.setdefault(ENVIRONMENT, {}).setdefault(task, {}).setdefault(algo, {})[f"run_{run.name[4:]}"] = entry
    if not data:
        raise ConfigError(f"export: no paper-B run under {results}/runs keeps its evaluation episodes ({EPISODES})")
    return data


def write_marl_eval(results: str | Path, out: str | Path | None = None) -> Path:
    out = Path(out) if out else Path(results) / "marl_eval.json"
    io.write_text(out, json.dumps(marl_eval(results), indent=1) + "\n")
    return out
