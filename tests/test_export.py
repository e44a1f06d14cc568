"""marl-eval export (replication/analysis/export.py) from a hand-made run and from a real one."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from replication.analysis import export
from replication.config import load_config
from replication.run import run

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, SMOKE = ROOT / "workflow/config/default.yaml", ROOT / "workflow/config/smoke.yaml"


def test_marl_eval_json_by_hand(tmp_path):
    """Pursuit IDQN seed 3 with two untrained episodes at step 0 (welfare 1, 2) and two at step
    4000 (5, 7; captures 1, 2): run_3 has step_0 (step_count 0, return [1, 2]) and step_1
    (step_count 4000, return [5, 7], captures [1, 2]); without evidence.csv the absolute metrics
    are the last evaluation's episodes; with one, its trained episodes."""
    run_dir = tmp_path / "runs" / "pursuit" / "idqn" / "seed3"
    run_dir.mkdir(parents=True)
    pd.DataFrame(
        {
            "step": [0, 0, 4000, 4000],
            "policy": ["untrained", "untrained", "learner", "learner"],
            "episode": [0, 1, 0, 1],
            "social_welfare": [1.0, 2.0, 5.0, 7.0],
            "captures": [0.0, 0.0, 1.0, 2.0],
        }
    ).to_csv(run_dir / "episodes.csv", index=False)
    data = export.marl_eval(tmp_path)
    entry = data["replication"]["pursuit"]["idqn"]["run_3"]
    assert entry["step_0"] == {"step_count": 0, "return": [1.0, 2.0], "captures": [0.0, 0.0]}
    assert entry["step_1"] == {"step_count": 4000, "return": [5.0, 7.0], "captures": [1.0, 2.0]}
    assert entry["absolute_metrics"] == {"return": [5.0, 7.0], "captures": [1.0, 2.0]}
    pd.DataFrame(
        {
            "policy": ["trained", "untrained", "null_model"] * 2,
            "episode": [0, 0, 0, 1, 1, 1],
            "value": [9.0, 1.0, 0.0, 8.0, 1.0, 0.0],
        }
    ).to_csv(run_dir / "evidence.csv", index=False)
    assert export.marl_eval(tmp_path)["replication"]["pursuit"]["idqn"]["run_3"]["absolute_metrics"] == {"return": [9.0, 8.0]}


def test_a_real_runs_episodes_export(tmp_path):
    """A resource-sharing run of 200 steps evaluated every 100 (2 episodes each): episodes.csv has
    the untrained evaluation and both evaluations, 2 episodes each, whose mean welfare is
    metrics.csv's; the CLI writes marl_eval.json with step_0, step_1, step_2."""
    overlay = tmp_path / "short.yaml"
    overlay.write_text("resource_sharing:\n  steps: 200\n  eval_every: 100\n  eval_episodes: 2\n  checkpoint_every: 100\n")
    cfg = load_config([DEFAULT, SMOKE, overlay])
    out = run("resource_sharing", "idqn", 0, cfg, tmp_path / "runs" / "resource_sharing" / "idqn" / "seed0", progress=False)
    episodes = pd.read_csv(out / "episodes.csv")
    assert episodes.groupby("step").size().to_dict() == {0: 2, 100: 2, 200: 2}
    metrics = pd.read_csv(out / "metrics.csv")
    welfare = metrics[metrics["metric"] == "social_welfare"].set_index("step")["value"]
    assert episodes[episodes["step"] > 0].groupby("step")["social_welfare"].mean().tolist() == welfare.tolist()
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "export", "--format", "marl-eval", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "marl_eval.json").read_text())
    assert sorted(data["replication"]["resource_sharing"]["idqn"]["run_0"]) == ["absolute_metrics", "step_0", "step_1", "step_2"]
