"""The smoke pipeline through a real Slurm (started by .ci/slurm-up), and a scancel'd job resuming.

Skipped where no Slurm answers `sinfo`."""

import shutil
import subprocess
import sys
import time

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
def test_smoke_pipeline_on_slurm_equals_local_run(repo_copy, local_smoke_run):
    local, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]

    proc = subprocess.run(SNAKEMAKE + ["--profile", "workflow/profiles/slurm", "--configfile", "workflow/config/smoke.yaml",
                                       "--slurm-logdir", "slurm_logs", "--jobs", "4", *FAST_POLL],
                          cwd=repo_copy, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]

    runs = sorted(p.relative_to(local) for p in (local / "results/smoke/runs").rglob("metrics.csv"))
    # Ising (+ its null models: random spins, untrained MF-Q), toy (+ untrained MF-Q), Gaussian Squeeze
    # (+ its null model), battle, paper B (smoke.yaml)
    assert len(runs) == 4 + 2 + 2 + 2 + 2 + 12 + 2 + 10 + 10
    # every training job went through sbatch: one Slurm log per job (the scripted evaluation and the tournament's
    # five parts, one per battle algorithm, too; their join runs on the submitting machine);
    # paper B's learners train their two seeds in one job (seeds_per_job): the prisoner's dilemma's
    # PED-DQN and IDQN, pursuit's PED-DQN, resource sharing's QMIX and tiger_deer's MF-Q are 5 jobs of 2 runs;
    # battle's five algorithms too (battle.seeds_per_job); the untrained-network control's scripted
    # evaluation and tournament parts are 1 + 5 jobs more
    slurm_logs = list((repo_copy / "slurm_logs").rglob("*.log"))
    assert len(slurm_logs) == len(runs) - 5 - 5 + (1 + 5) + (1 + 5)
    # same seeds → same metrics, wherever the job ran
    for rel in runs:
        assert (repo_copy / rel).read_bytes() == (local / rel).read_bytes(), rel
    for evaluation in ("tournament.csv", "scripted.csv"):
        assert (repo_copy / "results/smoke/runs/battle" / evaluation).read_bytes() == \
            (local / "results/smoke/runs/battle" / evaluation).read_bytes()
    assert (repo_copy / "results/smoke/audit.md").exists()


@requires_slurm
def test_cancelled_training_job_is_resubmitted_and_resumes(repo_copy):
    over = repo_copy / "long_battle.yaml"
    over.write_text("battle:\n  rounds: 150\n  checkpoint_every: 10\n  epsilon_decay_rounds: 150\n")
    run_dir = repo_copy / "results/smoke/runs/battle/il/seed0"
    target = str(run_dir.relative_to(repo_copy) / "metrics.csv")
    proc = subprocess.Popen(SNAKEMAKE + ["--profile", "workflow/profiles/slurm", "--configfile", "workflow/config/smoke.yaml",
                                         str(over.name), "--slurm-logdir", "slurm_logs", "--jobs", "1", *FAST_POLL, target],
                            cwd=repo_copy, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    while not (run_dir / "checkpoint.pt").exists():   # wait for the first checkpoint …
        assert proc.poll() is None and time.time() < deadline, "training job never checkpointed"
        time.sleep(0.5)
    jobs = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout.split()
    assert len(jobs) == 1
    subprocess.run(["scancel", jobs[0]], check=True)   # … then kill the job mid-training
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output[-3000:]
    assert "Trying to restart job" in output or "retry" in output.lower()
    for seed_dir in (run_dir, run_dir.parent / "seed1"):   # the job trains IL's seeds 0 and 1 side by side
        metrics = pd.read_csv(seed_dir / "metrics.csv")
        per_round = metrics[metrics["metric"] == "total_reward_main"]["step"].tolist()
        assert per_round == list(range(1, 151))      # every round exactly once
    assert len(list((repo_copy / "slurm_logs").rglob("*.log"))) >= 2  # two submissions
