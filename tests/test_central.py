"""The central scale (workflow/config/central.yaml) and its ledger (replication/analysis/central.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

from replication.analysis import central
from replication.config import first_difference, load_config, run_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "workflow" / "config"
DEFAULT, CENTRAL = CONFIG / "default.yaml", CONFIG / "central.yaml"


def _central():
    return load_config([DEFAULT, CENTRAL])


def test_every_setting_a_central_claim_reads_is_its_protocol_scales():
    """Battle's runs (MF-Q, IL, MF-AC, AC, seeds 0-4) resolve to the workstation overlay's (decisive
    with workstation) and pursuit's and resource sharing's (PED-DQN, IDQN, random) to paper.yaml's,
    setting for setting but the scale's name and, for paper B, seeds per job (1 here, 5 there: a
    learner's seeds follow their runs alone to float precision only, so this is the one declared
    departure). The battle evaluations' settings are the workstation's too."""
    from replication.config import evaluation_config

    cfg = _central()
    workstation = load_config([DEFAULT, CONFIG / "decisive.yaml", CONFIG / "workstation.yaml"])
    paper = load_config([DEFAULT, CONFIG / "paper.yaml"])
    assert cfg.battle.algorithms == ["mfq", "il", "mfac", "ac"] and cfg.battle.seeds == [0, 1, 2, 3, 4]
    for algo in cfg.battle.algorithms:
        for seed in cfg.battle.seeds:
            ours, theirs = run_config(cfg, "battle", algo, seed), run_config(workstation, "battle", algo, seed)
            assert (ours.pop("scale"), theirs.pop("scale")) == ("central", "workstation")
            assert first_difference(theirs, ours) is None, (algo, seed)
    for job in ("tournament", "scripted"):
        ours, theirs = evaluation_config(cfg, job), evaluation_config(workstation, job)
        ours.pop("scale"), theirs.pop("scale")
        assert first_difference(theirs, ours) is None, job
    for task in ("pursuit", "resource_sharing"):
        assert getattr(cfg, task).algorithms == ["ped_dqn", "idqn", "random"]
        for algo in getattr(cfg, task).algorithms:
            ours, theirs = run_config(cfg, task, algo, 0), run_config(paper, task, algo, 0)
            ours.pop("scale"), theirs.pop("scale")
            assert first_difference(theirs, ours) == ("semi_cooperative.seeds_per_job", 5, 1), (task, algo)
            ours["semi_cooperative"]["seeds_per_job"] = 5
            assert ours == theirs
    assert cfg.seeds == [0, 1, 2, 3, 4] and cfg.battle.seeds_per_job == 1


def test_the_central_projections_by_hand():
    """Battle per seed from the pilot's largest budget (320 rounds, 3 seeds: MF-Q 1203.5825 s, IL
    817.5431 s): 1203.5825 / (3 · 320) · 2000 / 60 = 41.791 min, IL 28.387 min. Paper B per seed from
    the rehearsal on record: resource sharing's PED-DQN 333.0335 min for 5 seeds, 66.607 min a seed,
    its peak 478.625 MB; pursuit's IDQN 489.8790 / 5 = 97.976 min. 20 battle trainings, 10 battle
    evaluation parts, the null model's scripted rounds and battle's paired evaluations: 32; for each
    paper-B task 15 runs and 10 paired evaluations (PED-DQN and IDQN; none for the random null): 25.
    82 in all; the paired evaluations are not projected (NaN)."""
    jobs = {job.name: job for job in central.central_jobs(_central())}
    assert len(jobs) == 82
    assert np.isnan(jobs["pursuit idqn seed 2 paired evaluation"].projected_minutes)
    assert "random seed 0 paired evaluation" not in " ".join(jobs)
    assert jobs["battle mfq seed 3"].projected_minutes == pytest.approx(41.791, abs=1e-3)
    assert jobs["battle il seed 0"].projected_minutes == pytest.approx(28.387, abs=1e-3)
    assert jobs["resource_sharing ped_dqn seed 1"].projected_minutes == pytest.approx(66.607, abs=1e-3)
    assert jobs["resource_sharing ped_dqn seed 1"].projected_mb == pytest.approx(478.625)
    assert jobs["pursuit idqn seed 4"].projected_minutes == pytest.approx(97.976, abs=1e-3)
    assert [j.family for j in jobs.values()] == ["battle"] * 32 + ["resource_sharing"] * 25 + ["pursuit"] * 25


def test_the_ledger_counts_a_finished_job_and_calibrates_it(tmp_path):
    """One finished MF-Q seed (wall 3000 s = 50 min, peak 900 MB) and one started IL seed (a
    checkpoint only): 1 of 82 done; calibration.csv holds the MF-Q seed alone, its ratio
    50 / 41.791 = 1.1964; progress.md says 0.83 CPU-hours spent against 0.70 projected for it, names
    the started job and lists what runs next, in order."""
    cfg = _central()
    run = tmp_path / "runs" / "battle" / "mfq" / "seed0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("x\n")
    (run / "provenance.json").write_text(json.dumps({"wall_seconds": 3000.0, "max_rss_mb": 900.0}))
    started = tmp_path / "runs" / "battle" / "il" / "seed0"
    started.mkdir(parents=True)
    (started / "checkpoint.pt").write_bytes(b"")
    table = central.write_progress(tmp_path, cfg)
    assert int(table["done"].sum()) == 1
    calibration = (tmp_path / "calibration.csv").read_text().splitlines()
    assert len(calibration) == 2 and calibration[1].startswith("battle mfq seed 0,battle,50.0,")
    row = table.set_index("job").loc["battle mfq seed 0"]
    assert row["minutes_ratio"] == pytest.approx(50 / 41.791, abs=1e-4)
    assert (tmp_path / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "progress.md").read_text()
    assert "**1 of 82 jobs done.**" in page and "| battle | 1 of 32 | 0.83 | 0.70 |" in page
    assert "Started (a checkpoint in the work tree): battle il seed 0." in page
    assert "Next, in order: battle mfq seed 1 (≈ 42 min); battle mfq seed 2" in page


def _pursuit_runs(root, algo, welfare):
    import pandas as pd

    for seed, value in enumerate(welfare):
        folder = root / "runs" / "pursuit" / algo / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame(
            [{"task": "pursuit", "algo": algo, "seed": seed, "step": 1000, "metric": "social_welfare", "value": value}]
        ).to_csv(folder / "metrics.csv", index=False)


def test_a_central_claim_is_judged_as_at_the_scale_whose_settings_it_runs(tmp_path):
    """B-pursuit-welfare-ped-vs-idqn needs the paper scale. Hand-made runs: PED-DQN's five seeds at
    10…14, IDQN's at 0…4, so P(X > Y) = 1 on every resample. At the central scale with
    `protocol_of: {pursuit: paper}` it is reproduced, judged at "central scale (paper settings)";
    without it, central ranks below paper and the claim is inconclusive by scale."""
    from replication.analysis import audit

    _pursuit_runs(tmp_path, "ped_dqn", [10, 11, 12, 13, 14])
    _pursuit_runs(tmp_path, "idqn", [0, 1, 2, 3, 4])
    claim = next(c for c in audit.load_claims() if c.id == "B-pursuit-welfare-ped-vs-idqn")
    row = audit.audit_table(tmp_path, "central", [claim], protocol_of={"pursuit": "paper"}).iloc[0]
    assert (row["verdict"], row["settings_of"], row["ours"]) == ("reproduced", "paper", 1.0)
    assert audit._judged_at(row) == "central scale (paper settings)"
    row = audit.audit_table(tmp_path, "central", [claim]).iloc[0]
    assert (row["verdict"], row["inconclusive_because"]) == ("inconclusive", "scale")


def test_the_central_audit_reads_its_four_claims_only(tmp_path):
    """central.yaml's audit_claims: the four central claims; an id no claims file holds is a
    one-line config error."""
    import dataclasses

    from replication.analysis import audit
    from replication.config import ConfigError

    cfg = _central()
    assert cfg.audit_claims == [
        "A-battle-mfq-beats-il",
        "A-battle-ranking",
        "B-pursuit-welfare-ped-vs-idqn",
        "B-resource-welfare-ped-vs-idqn",
    ]
    audit.write_audit(tmp_path, cfg)
    import pandas as pd

    assert sorted(pd.read_csv(tmp_path / "audit.csv")["id"]) == sorted(cfg.audit_claims)
    with pytest.raises(ConfigError, match="audit_claims: no claim 'B-nonexistent'"):
        audit.write_audit(tmp_path, dataclasses.replace(cfg, audit_claims=["B-nonexistent"]))


def test_the_central_workflow_plans_its_tasks_their_paired_evaluations_and_no_other(tmp_path):
    """`snakemake -n --configfile workflow/config/central.yaml` in a copy of the workflow with no
    runs: 20 battle trainings (4 rules of seeds, one a job), the evaluations, 30 paper-B runs, 20
    paired evaluations (PED-DQN and IDQN, 5 seeds, two tasks; none for the random null), the audit
    and the ledger; no Ising or Gaussian Squeeze run, table or figure."""
    import shutil
    import subprocess

    for name in ("Snakefile", "workflow", "replication", "results/bench", "results/rehearsal", "results/pilot/battle"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    proc = subprocess.run(
        ["snakemake", "-n", "--cores", "2", "--configfile", "workflow/config/central.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = dict(line.split() for line in proc.stdout.splitlines() if len(line.split()) == 2 and line.split()[1].isdigit())
    assert sum(int(counts.get(f"battle_train_seeds_{s}", 0)) for s in range(5)) == 20
    assert sum(int(counts.get(f"semi_cooperative_run_seeds_{s}", 0)) for s in range(5)) == 30
    assert counts["semi_cooperative_evidence"] == "20" and counts["audit"] == "1" and counts["central_progress"] == "1"
    assert not any(rule.startswith(("ising", "gaussian_squeeze", "tables", "figures")) for rule in counts)


def test_the_readme_central_table_by_hand(tmp_path):
    """Before any audit: each claim 'not yet judged' with its family's CPU-hours so far (battle: 30 +
    60 minutes of finished jobs = 1.5); with an audit: pursuit's verdict, value and interval and
    "learned k of n" as audit.csv has them, and the jobs done from progress.md."""
    import pandas as pd

    from replication import docs

    folder = tmp_path / "results" / "central"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {"job": ["battle mfq seed 0", "battle il seed 0"], "family": ["battle", "battle"], "measured_minutes": [30.0, 60.0]}
    ).to_csv(folder / "calibration.csv", index=False)
    (folder / "progress.md").write_text("# x\n\n**2 of 60 jobs done.**\n")
    table = docs.central_claims_table(tmp_path)
    assert "| `A-battle-ranking` | not yet judged | – | 2000 self-play rounds, 8 v 8 (workstation settings) | – | 1.5 |" in table
    assert "| `B-pursuit-welfare-ped-vs-idqn` | not yet judged | – | 1M steps (paper settings) | – | 0.0 |" in table
    assert table.endswith("2 of 60 central jobs done (`results/central/progress.md`).\n")
    pd.DataFrame(
        {
            "id": ["B-pursuit-welfare-ped-vs-idqn"],
            "verdict": ["reproduced"],
            "ours": [0.84],
            "ci_low": [0.6],
            "ci_high": [1.0],
            "learned": ["ped_dqn learned 5 of 5; idqn learned 4 of 5"],
        }
    ).to_csv(folder / "audit.csv", index=False)
    table = docs.central_claims_table(tmp_path)
    assert (
        "| `B-pursuit-welfare-ped-vs-idqn` | reproduced | 0.84 [0.60, 1.00] | 1M steps (paper settings) | "
        "ped_dqn learned 5 of 5; idqn learned 4 of 5 | 0.0 |"
    ) in table


def _evidence(root, algo, learned_seeds):
    """Paired evaluations for seeds 0-4: learned (trained 10-13 against 0 and 1) on `learned_seeds`,
    the trained policy equal to its untrained network on the others."""
    import pandas as pd

    for seed in range(5):
        trained = [10, 11, 12, 13] if seed in learned_seeds else [0, 1, 0, 1]
        untrained = [0] * 4 if seed in learned_seeds else [0, 1, 0, 1]
        rows = [
            {"policy": p, "episode": k, "value": v}
            for p, values in (("trained", trained), ("untrained", untrained), ("null_model", [1] * 4))
            for k, v in enumerate(values)
        ]
        pd.DataFrame(rows).to_csv(root / "runs" / "pursuit" / algo / f"seed{seed}" / "evidence.csv", index=False)


def test_a_verdict_below_the_papers_length_needs_four_of_five_seeds_learned(tmp_path):
    """A pursuit claim the decisive scale may judge (min_scale decisive; the papers' length is the
    paper scale's). PED-DQN at 10-14 against IDQN at 0-4: P(X > Y) = 1, reproduced as measured.
    PED-DQN learned on 5 of 5 seeds; IDQN on 3 of 5: below the papers' length the verdict becomes
    inconclusive (cause learning); with IDQN on 4 of 5 it stands. At the central scale, judged as
    at the paper scale, it stands with 3 of 5, the counts beside it."""
    import dataclasses

    from replication.analysis import audit

    _pursuit_runs(tmp_path, "ped_dqn", [10, 11, 12, 13, 14])
    _pursuit_runs(tmp_path, "idqn", [0, 1, 2, 3, 4])
    base = next(c for c in audit.load_claims() if c.id == "B-pursuit-welfare-ped-vs-idqn")
    claim = dataclasses.replace(base, min_scale="decisive")
    _evidence(tmp_path, "ped_dqn", range(5))
    _evidence(tmp_path, "idqn", [0, 1, 2])
    row = audit.audit_table(tmp_path, "decisive", [claim]).iloc[0]
    assert (row["verdict"], row["inconclusive_because"]) == ("inconclusive", "learning")
    assert "reproduced as measured, but ped_dqn learned 5 of 5; idqn learned 3 of 5" in row["reason"]
    row = audit.audit_table(tmp_path, "central", [base], protocol_of={"pursuit": "paper"}).iloc[0]
    assert row["verdict"] == "reproduced" and row["reason"].endswith("; ped_dqn learned 5 of 5; idqn learned 3 of 5")
    _evidence(tmp_path, "idqn", [0, 1, 2, 3])
    assert audit.audit_table(tmp_path, "decisive", [claim]).iloc[0]["verdict"] == "reproduced"
