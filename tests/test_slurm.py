"""The smoke pipeline through a real Slurm (started by .ci/slurm-up), and a job past its time limit resuming.

Skipped where no Slurm answers `sinfo`."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

pytestmark = pytest.mark.slurm


def _slurm_ready() -> bool:
    if not shutil.which("sbatch"):
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and bool({"idle", "mix"} & set(out.stdout.split()))


requires_slurm = pytest.mark.skipif(not _slurm_ready(), reason="no idle Slurm node (run .ci/slurm-up)")

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
FAST_POLL = ["--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2"]


@requires_slurm
def test_smoke_training_and_evaluations_on_slurm_equal_a_local_run(repo_copy, local_smoke_run):
    """The smoke scale's battle and paper-B training jobs and the scripted evaluation (the kinds of
    job a paper-scale run sends to a cluster) through the Slurm profile: every job goes through
    sbatch, and every run and the evaluation equal the local run's byte for byte. (The tournament's
    parts, the Ising and Gaussian Squeeze jobs go the same way, through the same rule code; the
    local smoke run covers them and the analysis.)"""
    local, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    evaluations = ["results/smoke/runs/battle/scripted.csv"]
    runs = sorted(
        p.relative_to(local)
        for task in ("battle", "prisoners_dilemma", "pursuit", "resource_sharing", "tiger_deer")
        for p in (local / "results/smoke/runs" / task).rglob("metrics.csv")
    )
    # battle (smoke.yaml: five algorithms × 2 seeds) and paper B's smoke learners (5 × 2 seeds)
    assert len(runs) == 10 + 10
    proc = subprocess.run(
        SNAKEMAKE
        + [
            "--profile",
            "workflow/profiles/slurm",
            "--configfile",
            "workflow/config/smoke.yaml",
            "--slurm-logdir",
            "slurm_logs",
            "--jobs",
            "4",
            *FAST_POLL,
            *evaluations,
            *map(str, runs),
        ],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # one Slurm log per job: battle's five training jobs (two seeds each, battle.seeds_per_job), paper B's five (two
    # seeds each: the prisoner's dilemma's PED-DQN and IDQN, pursuit's PED-DQN, resource sharing's QMIX,
    # tiger_deer's MF-Q) and the scripted evaluation
    slurm_logs = list((repo_copy / "slurm_logs").rglob("*.log"))
    assert len(slurm_logs) == 5 + 5 + 1
    for rel in [*runs, *evaluations]:
        assert (repo_copy / rel).read_bytes() == (local / rel).read_bytes(), rel


@requires_slurm
def test_a_job_past_its_time_limit_resumes_when_snakemake_is_run_again(repo_copy):
    """An IL battle seed asks Slurm for 1 minute (`resources.battle_train.runtime: 1`) but its 320
    smoke rounds take longer: Slurm ends it at its time limit (its log says so) and, with no retries,
    the first `snakemake` fails. The same command run again resumes the job from its checkpoint (its
    provenance lists the resume, with its replay ring restored) until it finishes, every round
    logged exactly once; no attempt starts from round 0 again."""
    over = repo_copy / "time_limit.yaml"
    over.write_text(
        "battle:\n  rounds: 320\n  checkpoint_every: 5\n  epsilon_decay_rounds: 320\n  seeds_per_job: 1\n"
        "resources:\n  battle_train: {threads: 1, mem_mb: 1500, runtime: 1}\n"
    )
    run_dir = repo_copy / "results/smoke/runs/battle/il/seed0"
    command = SNAKEMAKE + [
        "--profile",
        "workflow/profiles/slurm",
        "--configfile",
        "workflow/config/smoke.yaml",
        over.name,
        "--slurm-logdir",
        "slurm_logs",
        "--jobs",
        "1",
        "--retries",
        "0",
        *FAST_POLL,
        # a failed job's outputs never come: do not wait the profile's 60 s for them
        "--latency-wait",
        "5",
        str(run_dir.relative_to(repo_copy) / "metrics.csv"),
    ]
    first = subprocess.run(command, cwd=repo_copy, capture_output=True, text=True, timeout=900)
    assert first.returncode != 0, "the job finished inside its time limit: give it more rounds"
    logs = " ".join(path.read_text() for path in (repo_copy / "slurm_logs").rglob("*.log"))
    assert "DUE TO TIME LIMIT" in logs, logs[-2000:]
    assert (run_dir / "checkpoint.pt").exists()
    for attempt in range(4):  # each attempt gets another minute; the checkpoint carries the work over
        again = subprocess.run(command, cwd=repo_copy, capture_output=True, text=True, timeout=900)
        if again.returncode == 0:
            break
    assert again.returncode == 0, again.stderr[-3000:]
    metrics = pd.read_csv(run_dir / "metrics.csv")
    assert metrics[metrics["metric"] == "total_reward_main"]["step"].tolist() == list(range(1, 321))
    resumes = json.loads((run_dir / "provenance.json").read_text())["resumed"]
    assert resumes and all(r["replay"] == "restored" and r["round"] > 0 for r in resumes)
