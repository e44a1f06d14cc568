"""Integration: the smoke pipeline through Snakemake in a temporary copy of the workflow."""

import subprocess
import sys

import pandas as pd
import pytest

from replication.analysis.audit import load_claims
from replication.analysis.outputs import FIGURES, TABLES

pytestmark = pytest.mark.integration


def test_smoke_pipeline_produces_every_target(local_smoke_run):
    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = suite / "results" / "smoke"
    for names in TABLES.values():
        for name in names:
            assert (results / "tables" / f"{name}.csv").stat().st_size > 0
            assert (results / "tables" / f"{name}.md").stat().st_size > 0
    for names in FIGURES.values():
        for name in names:
            assert (results / "figures" / f"{name}.png").stat().st_size > 10_000
    audit = pd.read_csv(results / "audit.csv")
    assert sorted(audit["id"]) == sorted(c.id for c in load_claims())
    assert set(audit["verdict"]) <= {"reproduced", "not reproduced", "inconclusive"}
    # the smoke scale is too small to judge any claim
    assert (audit["verdict"] == "inconclusive").all()
    assert (results / "audit.md").read_text().count("| **inconclusive** |") == len(audit)
    for run_dir in (results / "runs").glob("*/*/seed*"):
        assert {"metrics.csv", "config.yaml", "provenance.json"} <= {p.name for p in run_dir.iterdir()}
    assert any((results / "logs").rglob("*.log"))


def test_paper_scale_plans(repo_copy):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", "workflow/config/paper.yaml"],
        cwd=repo_copy, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ising_run" in proc.stdout and "audit" in proc.stdout


def test_unknown_override_is_rejected_before_any_job(repo_copy):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config", "scale=huge"],
        cwd=repo_copy, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "config error: scale: 'huge' is not allowed" in proc.stdout + proc.stderr
