"""The rehearsal's cost table (analysis/rehearsal.py) from hand-made timing files, what a job asks the
scheduler for (analysis/cost.py), and the timing files the runs write."""

import json

import pandas as pd
import pytest

from replication.analysis import cost, rehearsal
from replication.config import RuleResources, resolve

PAPER_RESOURCES = {
    "battle_train": {"runtime_safety": 1.5, "mem_safety": 1.25},
    "battle_tournament": {"runtime_safety": 1.5, "mem_safety": 1.25},
    "semi_cooperative_run": {"runtime_safety": 1.5, "mem_safety": 1.25},
}


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_battle_training_job_projected_by_hand(tmp_path):
    """IL, one seed, 3 rehearsal rounds of 10, 4 and 6 s (round 1 is warm-up: 5 s a round), checkpoints
    of 0.5, 1 and 1 s, the last with the ring 150 of its 1200 MB filled: a full ring's checkpoint is 8 ×
    longer, 8 s. The process ran 30 s: 30 − 20 − 2.5 = 7.5 s fixed. The paper's job, 2000 rounds with a
    checkpoint every 10: 7.5 + 2000 × 5 + 200 × 8 = 11 607.5 s = 193.46 min; it asks for ⌈193.46 × 1.5⌉
    = 291 min. Memory: peak 1000 MB, of which 150 MB ring; the paper's ring at
    capacity 1200 MB, and one more for the checkpoint a resumed job loads: 1000 − 150 + 2400 = 3250 MB,
    asking ⌈3250 × 1.25⌉ = 4063 MB. AC carries no ring: neither scaling applies."""
    cfg = resolve({"scale": "rehearsal", "battle": {"algorithms": ["il"], "seeds": [0], "seeds_per_job": 1}})
    paper = resolve(
        {"scale": "paper", "battle": {"algorithms": ["il"], "rounds": 2000, "checkpoint_every": 10}, "resources": PAPER_RESOURCES}
    )
    run = tmp_path / "runs/battle/il/seed0"
    _write(
        run / "timing.csv",
        "round,seconds,checkpoint_seconds,peak_rss_mb,replay_mb,replay_filled_mb\n"
        "1,10,0.5,1000,1200,150\n2,4,1,1000,1200,150\n3,6,1,1000,1200,150\n",
    )
    _write(run / "provenance.json", json.dumps({"wall_seconds": 30.0}))
    (row,) = rehearsal.battle_training_rows(tmp_path, cfg, paper)
    assert row["measured_seconds_per_unit"] == pytest.approx(5.0)
    assert row["units_timed"] == 2 and row["fixed_seconds"] == pytest.approx(7.5)
    assert row["projected_minutes"] == pytest.approx((7.5 + 10000 + 200 * 8) / 60)
    assert row["requested_minutes"] == 291
    assert (row["peak_mb"], row["projected_mb"], row["requested_mb"]) == (1000, pytest.approx(3250), 4063)
    assert (row["paper_jobs"], row["threads"]) == (5, 1)  # the paper's five seeds, one job each

    cfg_ac = resolve({"scale": "rehearsal", "battle": {"algorithms": ["ac"], "seeds": [0], "seeds_per_job": 1}})
    paper_ac = resolve({"scale": "paper", "battle": {"algorithms": ["ac"], "rounds": 2000, "checkpoint_every": 10}})
    (tmp_path / "runs/battle/il").rename(tmp_path / "runs/battle/ac")
    (row,) = rehearsal.battle_training_rows(tmp_path, cfg_ac, paper_ac)
    assert row["projected_minutes"] == pytest.approx((7.5 + 10000 + 200 * 1) / 60)
    assert row["projected_mb"] == pytest.approx(1000 - 150 + 1200)


def test_paper_b_job_projected_by_hand(tmp_path):
    """PED-DQN on pursuit, 2 seeds in one job, 16 steps evaluated every 4, peer evaluations from step
    8: the intervals ending at 4, 8, 12, 16 took 3, 2, 5, 7 s; the first and those up to the switch
    are left out: (5 + 7) / 2 = 6 s an interval, 3 s a seed-interval. One checkpoint of 0.4 s (0.2 a
    seed). 25 s in all: 25 − 17 − 0.4 = 7.6 s fixed. The paper's job, 5 seeds × 1 000 000 steps:
    250 intervals, 20 checkpoints: 7.6 + 5 × (250 × 3 + 20 × 0.2) = 3777.6 s = 62.96 min, asking
    ⌈94.44⌉ = 95 min. Memory: peak 500 MB with 8 of the 2 seeds' 20 MB of replay resident; 5 seeds'
    at capacity 50 MB, and as much again for the checkpoint's copy a resumed job reads: 500 − 8 + 100
    = 592 MB, asking ⌈740⌉ = 740. IDQN has no switch: every
    interval but the first counts, (2 + 5 + 7) / 3 / 2 = 2.333 s a seed-interval."""
    schedule = {"steps": 16, "eval_every": 4, "peer_warmup_steps": 8, "checkpoint_every": 50000}
    cfg = resolve(
        {
            "scale": "rehearsal",
            "seeds": [0, 1],
            "semi_cooperative": {"seeds_per_job": 2},
            **{task: {"algorithms": ["random"]} for task in ("prisoners_dilemma", "resource_sharing", "tiger_deer")},
            "pursuit": {"algorithms": ["ped_dqn", "idqn"], **schedule},
        }
    )
    paper = resolve(
        {
            "scale": "paper",
            "resources": PAPER_RESOURCES,
            "pursuit": {"steps": 1_000_000, "eval_every": 4000, "checkpoint_every": 50000},
        }
    )
    for algo in ("ped_dqn", "idqn"):
        run = tmp_path / f"runs/pursuit/{algo}/seed0"
        _write(
            run / "timing.csv",
            "step,seconds,checkpoint_seconds,peak_rss_mb,replay_mb,replay_filled_mb\n"
            "4,3,0,500,20,8\n8,2,0,500,20,8\n12,5,0.4,500,20,8\n16,7,0,500,20,8\n",
        )
        _write(run / "provenance.json", json.dumps({"wall_seconds": 25.0}))
    for task in ("prisoners_dilemma", "resource_sharing", "tiger_deer"):
        run = tmp_path / f"runs/{task}/random/seed0"
        _write(
            run / "timing.csv",
            "step,seconds,checkpoint_seconds,peak_rss_mb,replay_mb,replay_filled_mb\n1000,1,0,100,0,0\n2000,1,0,100,0,0\n",
        )
        _write(run / "provenance.json", json.dumps({"wall_seconds": 3.0}))
    rows = {(row["task"], row["algo"]): row for row in rehearsal.semi_cooperative_rows(tmp_path, cfg, paper)}
    ped = rows["pursuit", "ped_dqn"]
    assert (ped["measured_seconds_per_unit"], ped["units_timed"], ped["paper_units"], ped["paper_seeds"]) == (3.0, 2, 250, 5)
    assert ped["fixed_seconds"] == pytest.approx(7.6)
    assert ped["projected_minutes"] == pytest.approx(3777.6 / 60)
    assert (ped["requested_minutes"], ped["projected_mb"], ped["requested_mb"]) == (95, pytest.approx(592), 740)
    assert rows["pursuit", "idqn"]["measured_seconds_per_unit"] == pytest.approx(14 / 3 / 2)


def test_tournament_part_and_scripted_evaluation_projected_by_hand(tmp_path):
    """One IL model in the rehearsal; the paper's five IL seeds make 5 × 4 = 20 pairings led by IL,
    × 52 rounds = 1040 rounds. The rehearsal part played 4 rounds in 8 s (2 s a round) after 2 s of
    loading its one model (10 s for five): 10 + 1040 × 2 = 2090 s = 34.83 min. The scripted evaluation:
    5 models × 2 scripted teams × 8 rounds = 80 rounds at 3 s = 240 s + 1 s × 5 = 245 s. Their memory
    is their peak, unscaled; the scripted rule asks typed values (no safety factor)."""
    cfg = resolve({"scale": "rehearsal", "battle": {"algorithms": ["il"], "seeds": [0]}})
    paper = resolve(
        {
            "scale": "paper",
            "resources": {**PAPER_RESOURCES, "battle_scripted": {"mem_mb": 4000, "runtime": 240}},
            "battle": {"algorithms": ["il"], "seeds": [0, 1, 2, 3, 4], "tournament_rounds": 52, "scripted_rounds": 8},
        }
    )
    for untrained, name in ((False, ""), (True, "_untrained")):
        _write(
            tmp_path / f"runs/battle/tournament{name}/rows_il.timing.json",
            json.dumps({"rounds": 4, "setup_seconds": 2.0, "seconds": 8.0, "peak_rss_mb": 700.0}),
        )
        _write(
            tmp_path / f"runs/battle/scripted{name}.timing.json",
            json.dumps({"rounds": 8, "setup_seconds": 1.0, "seconds": 24.0, "peak_rss_mb": 600.0}),
        )
    rows = rehearsal.evaluation_rows(tmp_path, cfg, paper)
    assert [row["job"] for row in rows] == [
        "battle_tournament battle/il",
        "battle_scripted battle/scripted",
        "battle_tournament battle/il untrained",
        "battle_scripted battle/scripted untrained",
    ]
    part, scripted = rows[0], rows[1]
    assert (part["paper_units"], part["projected_minutes"]) == (1040, pytest.approx(2090 / 60))
    assert (part["projected_mb"], part["requested_mb"]) == (700, 875)
    assert (scripted["paper_units"], scripted["projected_minutes"]) == (80, pytest.approx(245 / 60))
    assert (scripted["requested_minutes"], scripted["requested_mb"]) == (240, 4000)


def test_a_job_asks_for_the_rehearsals_projection_times_the_safety_factor():
    """A paper-scale IL seed the rehearsal projects at 100.2 min and 3000 MB asks for ⌈150.3⌉ = 151
    min and ⌈3750⌉ = 3750 MB; a job of two such seeds twice that; an untrained tournament part reads
    its own row, not the trained one's. Another scale (decisive) never reads the rehearsal; the rule
    without safety factors asks typed values, memory per seed for battle training only."""
    measured = pd.DataFrame(
        [
            {
                "job": "battle_train battle/il",
                "rule": "battle_train",
                "task": "battle",
                "algo": "il",
                "paper_seeds": 1,
                "projected_minutes": 100.2,
                "projected_mb": 3000.0,
            },
            {
                "job": "battle_tournament battle/il",
                "rule": "battle_tournament",
                "task": "battle",
                "algo": "il",
                "paper_seeds": 0,
                "projected_minutes": 10.0,
                "projected_mb": 500.0,
            },
            {
                "job": "battle_tournament battle/il untrained",
                "rule": "battle_tournament",
                "task": "battle",
                "algo": "il",
                "paper_seeds": 0,
                "projected_minutes": 20.0,
                "projected_mb": 400.0,
            },
        ]
    )
    paper, decisive = resolve({"scale": "paper"}), resolve({"scale": "decisive"})
    safe, typed = RuleResources(runtime=7, mem_mb=900, runtime_safety=1.5, mem_safety=1.25), RuleResources(runtime=7, mem_mb=900)
    no_bench = cost.load_benches("/nonexistent")
    one, two = cost.Job("battle", "il", (0,)), cost.Job("battle", "il", (0, 1))
    assert cost.requested_minutes(safe, one, paper, no_bench, rule="battle_train", measured=measured) == 151
    assert cost.requested_mb(safe, one, paper, "battle_train", measured) == 3750
    assert cost.requested_minutes(safe, two, paper, no_bench, rule="battle_train", measured=measured) == 301
    assert cost.requested_mb(safe, two, paper, "battle_train", measured) == 7500
    part = cost.Job("battle", "tournament", rows="il", untrained=True)
    assert cost.requested_minutes(safe, part, paper, no_bench, rule="battle_tournament", measured=measured) == 30
    assert cost.requested_mb(safe, part, paper, "battle_tournament", measured) == 500
    assert cost.requested_minutes(safe, one, decisive, no_bench, rule="battle_train", measured=measured) == 7
    assert cost.requested_mb(typed, two, paper, "battle_train", measured) == 1800
    assert cost.requested_mb(typed, cost.Job("pursuit", "idqn", (0, 1)), paper, "semi_cooperative_run", measured) == 900


def test_replay_memory_by_hand():
    """A paper-B FIFO of 10 rows of 3 float32 (12 bytes) and one int64 (8 bytes): 200 bytes at
    capacity, 80 with 4 rows stored. A battle ring of 4 rows: a 2×2×1 view, 3 features and 2 mean-
    action entries in float16 (9 × 2 = 18 bytes) and its bookkeeping (action int64 8, reward float32
    4, terminal, usable, final_state 1 each, next_row int64 8: 23 bytes): 41 × 4 = 164 bytes, none filled."""
    import numpy as np

    from replication.replay import AgentTransitionRing, JointStepReplay

    fifo = JointStepReplay(10, {"obs": ((3,), np.float32), "action": ((), np.int64)})
    for _ in range(4):
        fifo.add({"obs": np.ones(3, np.float32), "action": 1})
    assert fifo.memory_bytes() == (200, 80)
    ring = AgentTransitionRing(4, (2, 2, 1), 3, 2, max_agent_id=5)
    assert ring.memory_bytes() == (164, 0)


def test_resume_check_kills_and_resumes_to_the_byte(tmp_path):
    """`resume-check` at smoke size: an IL battle seed (10 rounds of 30 steps, a checkpoint every
    round) killed 0.1 s after its second checkpoint, and run again, matches its unkilled run byte for
    byte (metrics) and tensor for tensor (model); another seed's run is told apart on both counts."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    over = tmp_path / "long.yaml"
    over.write_text("battle: {rounds: 10, checkpoint_every: 1, epsilon_decay_rounds: 10}\n")
    configs = [str(root / "workflow/config/default.yaml"), str(root / "workflow/config/smoke.yaml"), str(over)]
    for seed in (0, 1):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "replication",
                "run",
                "--task",
                "battle",
                "--algo",
                "il",
                "--seed",
                str(seed),
                *[a for c in configs for a in ("--config", c)],
                "--out",
                str(tmp_path / f"ref/seed{seed}"),
                "--no-progress",
            ],
            check=True,
            capture_output=True,
        )
    from replication import resume_check

    row = resume_check.resume_check(
        "battle", "il", [0], configs, str(tmp_path / "ref/seed{seed}"), tmp_path / "scratch", after=2, delay=0.1
    )
    assert row["metrics_identical"] and row["models_identical"], row
    assert resume_check.same_outputs(str(tmp_path / "ref/seed1"), str(tmp_path / "ref/seed{seed}"), [0]) == (False, False)


def test_paper_cost_summary_by_hand():
    """Five battle seeds of 600 min (one thread), a tournament part of 120 min on two threads, a
    paper-B job of 300 min: CPU-hours 50, 4 and 5, 59 in all. On a cluster the longest training job
    (10 h) then the longest evaluation (2 h): 12 h; on one 16-core node max(59 / 16, 12) = 12 h."""
    table = pd.DataFrame(
        [
            {
                "rule": "battle_train",
                "projected_minutes": 600.0,
                "threads": 1,
                "paper_jobs": 5,
                "requested_minutes": 900,
                "requested_mb": 4000,
            },
            {
                "rule": "battle_tournament",
                "projected_minutes": 120.0,
                "threads": 2,
                "paper_jobs": 1,
                "requested_minutes": 180,
                "requested_mb": 900,
            },
            {
                "rule": "semi_cooperative_run",
                "projected_minutes": 300.0,
                "threads": 1,
                "paper_jobs": 1,
                "requested_minutes": 450,
                "requested_mb": 700,
            },
        ]
    )
    summary = rehearsal.paper_cost_summary(table).set_index("part")
    assert list(summary["cpu_hours"]) == pytest.approx([50, 4, 5, 59])
    assert list(summary["jobs"]) == [5, 1, 1, 7]
    assert summary.loc["all", "cluster_hours"] == pytest.approx(12)
    assert summary.loc["all", "node_16_cores_hours"] == pytest.approx(12)
    assert summary.loc["battle training", "node_16_cores_hours"] == pytest.approx(10)
    assert summary.loc["all", "requested_cpu_hours"] == pytest.approx(75 + 6 + 7.5)
    assert summary.loc["all", "largest_request_mb"] == 4000


def test_requests_cover_every_rehearsal_on_record(tmp_path):
    """Two rehearsals measured an IL seed at 200 and 300 min (projected to the paper's job) and
    3000 and 2000 MB: the job's projection on record is 300 min and 3000 MB, so it asks for
    ⌈300 × 1.5⌉ = 450 min and ⌈3000 × 1.25⌉ = 3750 MB, though this rehearsal alone would ask 300 and
    2500. A job no earlier table has (AC) keeps its own: 10 min → 15, 100 MB → 125. The request
    read through analysis/cost.py, as the Snakefile asks, is the same; a table without the columns on
    record (one rehearsal) is read as its own record."""
    paper = resolve({"scale": "paper", "resources": PAPER_RESOURCES})
    this = pd.DataFrame(
        [
            {
                "job": "battle_train battle/il",
                "rule": "battle_train",
                "task": "battle",
                "algo": "il",
                "paper_seeds": 1,
                "projected_minutes": 200.0,
                "projected_mb": 2000.0,
                "requested_minutes": 300,
                "requested_mb": 2500,
            },
            {
                "job": "battle_train battle/ac",
                "rule": "battle_train",
                "task": "battle",
                "algo": "ac",
                "paper_seeds": 1,
                "projected_minutes": 10.0,
                "projected_mb": 100.0,
                "requested_minutes": 15,
                "requested_mb": 125,
            },
        ]
    )
    earlier = pd.DataFrame([{"job": "battle_train battle/il", "projected_minutes": 300.0, "projected_mb": 3000.0}])
    table = rehearsal.on_record(this, [earlier], paper)
    il, ac = table.iloc[0], table.iloc[1]
    assert (il["projected_minutes_on_record"], il["projected_mb_on_record"]) == (300.0, 3000.0)
    assert (il["requested_minutes"], il["requested_mb"]) == (450, 3750)
    assert (il["projected_minutes"], ac["requested_minutes"], ac["requested_mb"]) == (200.0, 15, 125)
    resources = paper.resources.battle_train
    job = cost.Job("battle", "il", (0,))
    no_bench = cost.load_benches("/nonexistent")
    assert cost.requested_minutes(resources, job, paper, no_bench, rule="battle_train", measured=table) == 450
    assert cost.requested_mb(resources, job, paper, "battle_train", measured=table) == 3750
    assert cost.requested_minutes(resources, job, paper, no_bench, rule="battle_train", measured=this) == 300
    (tmp_path / rehearsal.EARLIER).mkdir()
    earlier.to_csv(tmp_path / rehearsal.EARLIER / "cost-abc1234.csv", index=False)
    assert rehearsal.earlier_tables(tmp_path) == [tmp_path / rehearsal.EARLIER / "cost-abc1234.csv"]
