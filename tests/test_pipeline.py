"""Integration: the smoke pipeline through Snakemake in a temporary copy of the workflow."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from replication.analysis.audit import CLAIMS_DIR, load_claims
from replication.analysis.outputs import FIGURES, TABLES

pytestmark = pytest.mark.integration
EXAMPLE_CLAIMS = Path(__file__).resolve().parents[1] / "examples" / "claims.yaml"


def test_smoke_pipeline_produces_every_target(local_smoke_run):
    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = suite / "results" / "smoke"
    for names in TABLES.values():
        for name in names:
            assert (results / "tables" / f"{name}.csv").stat().st_size > 0
            assert (results / "tables" / f"{name}.md").stat().st_size > 0
            assert "<table" in (results / "tables" / f"{name}.html").read_text()
    for names in FIGURES.values():
        for name in names:
            assert (results / "figures" / f"{name}.png").stat().st_size > 10_000
    audit = pd.read_csv(results / "audit.csv")
    assert sorted(audit["id"]) == sorted(c.id for c in load_claims())
    assert set(audit["verdict"]) <= {"reproduced", "not reproduced", "inconclusive"}
    # the smoke scale is too small to judge any claim
    assert (audit["verdict"] == "inconclusive").all()
    assert (results / "audit.md").read_text().count("| **inconclusive** |") == len(audit)
    assert (results / "audit.html").read_text().count("<tr class='inconclusive'>") == len(audit)
    run_dirs = list((results / "runs").glob("*/*/seed*"))
    for run_dir in run_dirs:
        assert {"metrics.csv", "config.yaml", "provenance.json"} <= {p.name for p in run_dir.iterdir()}
    assert len(pd.read_csv(results / "provenance.csv")) == len(run_dirs)  # a row per run
    assert any((results / "logs").rglob("*.log"))


def test_paper_scale_plans(repo_copy):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", "workflow/config/paper.yaml"],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ising_run" in proc.stdout and "audit" in proc.stdout


def test_the_gpu_overlay_plans_stacked_battle_jobs_on_cuda(repo_copy):
    """paper.yaml with gpu.yaml over it: battle's five algorithms train five seeds per job (5 jobs, not
    25), each with --device cuda and asking for a GPU, the tournament's five parts too, and those of
    the untrained networks' tournament, and nothing else of the paper scale changes."""
    runs, rules, out = _planned(repo_copy, ("workflow/config/paper.yaml", "workflow/config/gpu.yaml"), ("-p",))
    counts = dict(re.findall(r"^(\S+)\s+(\d+)$", out, re.M))
    assert counts["battle_train_seeds_0_1_2_3_4"] == "5" and "battle_train_seeds_0" not in counts
    commands = [line for line in out.splitlines() if "replication run --task battle" in line]
    assert len(commands) == 5 and all("--device cuda" in line and "--seed 0 1 2 3 4" in line for line in commands)
    tournament = [line for line in out.splitlines() if "replication tournament --rows" in line]
    assert len(tournament) == 5 and all("--device cuda" in line for line in tournament)
    untrained = [line for line in out.splitlines() if "replication tournament --untrained --rows" in line]
    assert len(untrained) == 5 and all("--device cuda" in line for line in untrained)
    assert out.count("gpu=1") == 5 + 5 + 5
    assert counts["ising_run"] == "30" and "pursuit/ped_dqn/seed0" in runs


def test_decisive_scale_validates_and_plans(repo_copy):
    """The decisive scale plans into results/decisive: battle's four learners, five seeds each in one
    job (4 jobs), its tournament in four row parts, the audit."""
    runs, rules, out = _planned(repo_copy, ("workflow/config/decisive.yaml",))
    assert "results/decisive/audit.md" in out
    for algo in ("mfq", "il", "mfac", "ac"):
        assert all(f"results/decisive/runs/battle/{algo}/seed{seed}/metrics.csv" in out for seed in range(5))
    assert "runs/battle/ped_dqn" not in out and "pursuit/ped_dqn/seed0" in runs
    assert "pursuit/qmix" not in out and "resource_sharing/pe_dqn" not in out  # paper B: the learners the rule costed
    counts = dict(re.findall(r"^(\S+)\s+(\d+)$", out, re.M))
    assert counts["battle_train_seeds_0_1_2_3_4"] == "4" and counts["battle_tournament_rows"] == "4"


def test_workstation_scale_plans_one_battle_seed_per_job(repo_copy):
    """The workstation overlay on the decisive scale plans into results/workstation: battle's four
    learners × five seeds, one seed per job (four jobs per seed), the tournament in four parts."""
    runs, rules, out = _planned(repo_copy, ("workflow/config/decisive.yaml", "workflow/config/workstation.yaml"))
    assert "results/workstation/audit.md" in out
    counts = dict(re.findall(r"^(\S+)\s+(\d+)$", out, re.M))
    assert all(counts[f"battle_train_seeds_{seed}"] == "4" for seed in range(5)) and counts["battle_tournament_rows"] == "4"


def test_unknown_override_is_rejected_before_any_job(repo_copy):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config", "scale=huge"],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "config error: scale: 'huge' is not allowed" in proc.stdout + proc.stderr


def _planned(suite, configfiles=("workflow/config/smoke.yaml",), options=()):
    """The jobs `snakemake -n` would run: run folders (task/algo/seedK) and other rules' names."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *options, "--cores", "1", "--configfile", *configfiles],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs, rules = set(), set()
    for line in proc.stdout.splitlines():
        if line.startswith("rule ") or line.startswith("localrule "):
            rules.add(line.split()[1].rstrip(":"))
        elif line.strip().startswith("output:") and "/runs/" in line:
            path = line.split("/runs/")[1].split(",")[0]
            runs.add("/".join(path.split("/")[:3]) if path.count("/") >= 3 else path)
    return runs, rules - {"all"}, proc.stdout


BATTLE_PARTS = {f"battle/tournament/rows_{algo}.csv" for algo in ("mfq", "il", "mfac", "ac", "ped_dqn")}
UNTRAINED_TOURNAMENT = {"battle/tournament_untrained.csv"} | {
    f"battle/tournament_untrained/rows_{algo}.csv" for algo in ("mfq", "il", "mfac", "ac", "ped_dqn")
}


def test_config_edit_reruns_exactly_what_it_affects(local_smoke_run):
    """After a finished smoke run: an edit of ising_toy.temperature in smoke.yaml plans the toy's
    four runs (MF-Q and its untrained null model, two seeds) and the analysis; an MF-Q-only Gaussian Squeeze setting (added from another YAML)
    plans MF-Q's two runs only; an analysis-only setting plans the analysis only; a battle evaluation
    setting plans the tournament, the GIF of its best models and the analysis; a claims file of your
    own plans the audit alone; paper B's seeds one job each plans every paper-B run; battle's seeds one
    job each plans nothing, unless the seeds are stacked (`battle.stacked_update`: every battle run); `compare_tasks` plans the other variant's runs of that task and the
    audit; a claims file of the papers' edited plans the audit alone; reverting plans nothing."""
    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    analysis = {"tables", "figures", "audit"}
    assert _planned(suite)[:2] == (set(), set())
    smoke = suite / "workflow" / "config" / "smoke.yaml"
    original = smoke.read_text()
    assert original.count("  temperature: 0.1\n") == 1
    try:
        smoke.write_text(original.replace("  temperature: 0.1\n", "  temperature: 0.2\n"))
        runs, rules, _ = _planned(suite)
        assert runs == {f"ising_toy/{algo}/seed{seed}" for algo in ("mfq", "untrained") for seed in (0, 1)}
        assert rules == {"ising_run"} | analysis
    finally:
        smoke.write_text(original)
    for overrides, expected_runs, expected_rules in (
        (
            "gaussian_squeeze: {mfq: {boltzmann_temperature: 0.2}}",
            {"gaussian_squeeze/mfq/seed0", "gaussian_squeeze/mfq/seed1"},
            {"gaussian_squeeze_run"} | analysis,
        ),
        ("ising: {timeseries_taus: [0.8]}", set(), analysis),
        # a claims file of your own: the audit alone
        (f"claims: [{EXAMPLE_CLAIMS}]", set(), {"audit"}),
        # paper B's seeds one job each instead of together: every paper-B run (QMIX's too)
        (
            "semi_cooperative: {seeds_per_job: 1}",
            {
                f"{run}/seed{seed}"
                for run in (
                    "prisoners_dilemma/ped_dqn",
                    "prisoners_dilemma/idqn",
                    "pursuit/ped_dqn",
                    "resource_sharing/qmix",
                    "tiger_deer/mfq",
                )
                for seed in (0, 1)
            },
            {"semi_cooperative_run_seeds_0", "semi_cooperative_run_seeds_1"} | analysis,
        ),
        # battle's seeds one job each instead of two together: nothing (a seed's results are the same either way)
        ("battle: {seeds_per_job: 1}", set(), set()),
        # ... but with the seeds stacked (every battle learner), their seeds' results depend on the job's
        # seeds: those runs (one job per seed now), then the evaluations and the analysis; the
        # untrained networks' evaluations too, on the safe side: their settings are every battle
        # setting (no tag sets apart those a network is built from)
        (
            "battle: {seeds_per_job: 1, stacked_update: true}",
            {f"battle/{algo}/seed{seed}" for algo in ("il", "mfq", "ac", "mfac", "ped_dqn") for seed in (0, 1)}
            | {"battle/tournament.csv", "battle/scripted.csv"}
            | BATTLE_PARTS
            | UNTRAINED_TOURNAMENT
            | {"battle/scripted_untrained.csv"},
            {
                "battle_train_seeds_0",
                "battle_train_seeds_1",
                "battle_tournament_rows",
                "battle_tournament",
                "battle_scripted",
                "battle_render",
                "battle_untrained_tournament_rows",
                "battle_untrained_tournament",
                "battle_untrained_scripted",
            }
            | analysis,
        ),
        # the other variant of a task: its runs (in results/smoke-reference_code) and the audit
        (
            "compare_tasks: [ising_toy]",
            {f"ising_toy/{algo}/seed{seed}" for algo in ("mfq", "untrained") for seed in (0, 1)},
            {"other_variant_run", "audit"},
        ),
        # the GIF shows the tournament's best models, so it follows the tournament; the untrained
        # networks' tournament is played again, their scripted evaluation is not
        (
            "battle: {tournament_rounds: 8}",
            {"battle/tournament.csv"} | BATTLE_PARTS | UNTRAINED_TOURNAMENT,
            {
                "battle_tournament_rows",
                "battle_tournament",
                "battle_render",
                "battle_untrained_tournament_rows",
                "battle_untrained_tournament",
            }
            | analysis,
        ),
    ):
        (suite / "edit.yaml").write_text(overrides + "\n")
        runs, rules, out = _planned(suite, ("workflow/config/smoke.yaml", "edit.yaml"))
        assert (runs, rules) == (expected_runs, expected_rules), (overrides, out[-2000:])
    # a claims file of the papers' edited (a comment added, then taken out again): the audit alone
    claims_file = sorted(CLAIMS_DIR.glob("*.yaml"))[0]
    text = claims_file.read_text()
    try:
        claims_file.write_text(text + "# an edit\n")
        assert _planned(suite)[:2] == (set(), {"audit"})
    finally:
        claims_file.write_text(text)
    runs, rules, out = _planned(suite)
    assert (runs, rules) == (set(), set())
    assert "Nothing to be done" in out


def test_a_claims_file_of_your_own_is_audited_against_the_smoke_results(local_smoke_run, tmp_path):
    """examples/claims.yaml (the README's worked example) through the CLI against a copy of the
    smoke runs: both claims are in audit.csv under their own paper, with the value their measure
    gives (MCMC's ξ at τ = 2.0, mean over the two smoke seeds; P(X > Y) of MF-Q's over MCMC's), n
    beside it, and inconclusive because the smoke scale is below their `min_scale` (default)."""
    import shutil

    from replication.analysis import measures

    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = tmp_path / "results"
    shutil.copytree(suite / "results" / "smoke" / "runs" / "ising", results / "runs" / "ising")
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "replication",
            "audit",
            "--results",
            str(results),
            "--config",
            str(suite / "workflow/config/smoke.yaml"),
            "--claims",
            str(EXAMPLE_CLAIMS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    audit = pd.read_csv(results / "audit.csv").set_index("id")
    mine = audit.loc[["example-mcmc-disordered-at-tau2", "example-mfq-more-ordered-than-mcmc-at-tau2"]]
    assert (mine["paper"] == "Example: two claims of our own about paper A's Ising model").all()
    xi = measures.ising_equilibrium_xi(results, "mcmc", 2.0)
    assert mine.loc["example-mcmc-disordered-at-tau2", "ours"] == pytest.approx(xi.mean()) and len(xi) == 2
    assert list(mine["n_seeds"]) == [2, 2] and mine["n_seeds_versus"].iloc[1] == 2
    assert (mine["verdict"] == "inconclusive").all() and (mine["inconclusive_because"] == "scale").all()
    assert "example-mcmc-disordered-at-tau2" in (results / "audit.md").read_text()
    # traceability: the runs each value came from, with the config hash each run recorded
    hashes = {
        run: json.loads((results / "runs/ising" / run / "provenance.json").read_text())["config_hash"]
        for run in ("mcmc/seed0", "mcmc/seed1", "mfq/seed0", "mfq/seed1")
    }
    assert (
        mine.loc["example-mcmc-disordered-at-tau2", "runs"]
        == f"runs/ising/mcmc/seed0@{hashes['mcmc/seed0']}; runs/ising/mcmc/seed1@{hashes['mcmc/seed1']}"
    )
    assert mine.loc["example-mfq-more-ordered-than-mcmc-at-tau2", "runs"] == "; ".join(
        f"runs/ising/{run}@{hashes[run]}" for run in ("mfq/seed0", "mfq/seed1", "mcmc/seed0", "mcmc/seed1")
    )


def test_the_other_variant_of_a_task_is_run_and_audited_beside_ours(local_smoke_run):
    """`compare_tasks: [ising_toy]` after the smoke run: the pipeline runs the toy (MF-Q and its
    untrained null) under the reference_code preset into results/smoke-reference_code (each run's
    config.yaml says so), and the
    audit writes audit_variants.csv: the toy's claims have a verdict under both variants (both
    inconclusive at smoke scale, so reproduced by none), every other claim is "not compared"."""
    import yaml

    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    (suite / "variants.yaml").write_text("compare_tasks: [ising_toy]\n")
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "workflow/config/smoke.yaml", "variants.yaml"],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    other = suite / "results" / "smoke-reference_code" / "runs" / "ising_toy" / "mfq"
    assert sorted(p.name for p in other.iterdir()) == ["seed0", "seed1"]
    assert yaml.safe_load((other / "seed0" / "config.yaml").read_text())["preset"] == "reference_code"
    both = pd.read_csv(suite / "results" / "smoke" / "audit_variants.csv").set_index("id")
    toy = [c.id for c in load_claims() if c.measure.startswith("toy_")]
    assert toy and (both.loc[toy, "verdict_reference_code"] == "inconclusive").all()
    assert (both.loc[toy, "reproduced_by"] == "none").all()
    rest = both.drop(index=toy)
    assert (rest["verdict_reference_code"] == "not run").all() and (rest["reproduced_by"] == "not compared").all()
    assert (
        f"Reproduced by paper: 0, reference_code: 0, both: 0, none: {len(toy)}"
        in (suite / "results" / "smoke" / "audit_variants.md").read_text()
    )


def test_report_holds_the_audit_every_figure_and_every_table(local_smoke_run):
    """`snakemake --report report.zip` after the smoke run: the audit page, every figure and every
    table are inside, each under its paper and experiment."""
    import zipfile

    suite, proc = local_smoke_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = subprocess.run(
        [sys.executable, "-m", "snakemake", "--report", "report.zip", "--configfile", "workflow/config/smoke.yaml"],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    assert "ERROR" not in report.stderr, report.stderr[-3000:]  # a caption docutils cannot read
    names = {Path(n).name for n in zipfile.ZipFile(suite / "report.zip").namelist()}
    expected = (
        {"audit.html"} | {f"{n}.png" for ns in FIGURES.values() for n in ns} | {f"{n}.html" for ns in TABLES.values() for n in ns}
    )
    assert expected <= names, expected - names
    page = zipfile.ZipFile(suite / "report.zip").read("report/report.html").decode()
    for category in ("Paper A: Mean Field MARL", "Paper B: PED-DQN", "Audit", "Gaussian Squeeze", "Battle"):
        assert category in page
    # one label per item: the report turns a second label with two values into a toggle, and a group
    # of one figure and one table (Gaussian Squeeze) then selects no result and shows a blank page
    labels = re.findall(r'"labels": (\{[^}]*\})', page)
    assert len(labels) >= len(expected) and all(len(json.loads(text)) == 1 for text in labels), labels


def test_workflow_is_lint_and_snakefmt_clean(repo_copy):
    """`snakemake --lint` finds nothing and exits 0 (every rule that runs a command names the one
    environment file, workflow/envs/replication.yaml), and snakefmt would change nothing."""
    lint = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=repo_copy, capture_output=True, text=True, timeout=300
    )
    advice = [line.strip() for line in (lint.stdout + lint.stderr).splitlines() if line.strip().startswith("* ")]
    assert lint.returncode == 0 and not advice, lint.stdout[-2000:] + lint.stderr[-2000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow/rules"],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


# conda's answers to what Snakemake asks it while planning (`--sdm conda -n`); conda's channels are
# out of reach on the machines that run these tests, so no environment is built
CONDA_STUB = """#!/bin/sh
case "$*" in
  "--version") echo "conda 24.11.3" ;;
  "info --json") echo '{"conda_prefix": "/tmp/conda", "root_prefix": "/tmp/conda", "envs_dirs": ["/tmp/conda/envs"], "pkgs_dirs": ["/tmp/conda/pkgs"], "platform": "linux-64", "conda_version": "24.11.3"}' ;;
  "config --get channel_priority --json") echo '{"get": {"channel_priority": "strict"}}' ;;
  *) echo "conda stub: $*" >&2; exit 1 ;;
esac
"""


def test_a_conda_run_plans_one_environment_for_every_job(repo_copy, tmp_path):
    """`snakemake --sdm conda -n` plans the smoke scale with one environment (the file every rule
    names, found from each rule file), to be built once. A rule naming a missing file fails the plan."""
    import os

    stub = tmp_path / "bin" / "conda"
    stub.parent.mkdir()
    stub.write_text(CONDA_STUB)
    stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stub.parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "-n", "--sdm", "conda", "--configfile", "workflow/config/smoke.yaml"]
    proc = subprocess.run(command, cwd=repo_copy, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert set(re.findall(r"Conda environment (\S+) will be created", out)) == {"workflow/envs/replication.yaml"}
    (repo_copy / "workflow" / "envs" / "replication.yaml").rename(repo_copy / "elsewhere.yaml")
    proc = subprocess.run(command, cwd=repo_copy, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0


def test_the_environment_files_hold_the_packages_pyproject_names():
    """workflow/envs/replication.yaml (every job's) holds each of pyproject.toml's dependencies,
    pinned (torch is conda's `pytorch`); environment.yml (a user's) holds them and the test extra."""
    import tomllib
    import yaml

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]

    def names(requirements):
        return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower().replace("torch", "pytorch") for r in requirements}

    def listed(path):
        found = {}
        for dep in yaml.safe_load(path.read_text())["dependencies"]:
            for item in dep["pip"] if isinstance(dep, dict) else [dep]:
                if not item.startswith("-"):
                    match = re.match(r"([A-Za-z0-9_.-]+)\s*(?:(?:==|=|>=)\s*(\S+))?", item)
                    found[match.group(1).lower()] = match.group(2)
        return found

    jobs = listed(root / "workflow" / "envs" / "replication.yaml")
    assert names(project["dependencies"]) <= set(jobs)
    assert all(jobs[name] for name in names(project["dependencies"])), jobs  # pinned
    user = listed(root / "environment.yml")
    assert names(project["dependencies"]) | names(project["optional-dependencies"]["test"]) <= set(user)
