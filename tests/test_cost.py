"""What it would take: the cost of the scale an inconclusive claim needs, read from benchmark rows."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from replication.analysis import audit, cost
from replication.analysis.audit import Claim
from replication.config import resolve


def _bench(rows, device="cpu", task="battle", file="battle.csv"):
    return pd.DataFrame(
        [
            {
                "task": task,
                "file": file,
                "device": device,
                "threads": 1,
                "cpu": "test CPU",
                "algo": algo,
                "measure": measure,
                "value": value,
            }
            for algo, measure, value in rows
        ]
    )


SMALL = resolve(
    {
        "scale": "paper",
        "seeds": [0, 1],
        "semi_cooperative": {"seeds_per_job": 1},
        "battle": {"algorithms": ["mfq", "il"], "seeds": [0, 1], "rounds": 10, "max_steps": 100, "tournament_rounds": 4},
        "pursuit": {"steps": 1000, "eval_every": 500, "eval_episodes": 2, "episode_length": 10},
    }
)
BATTLE_BENCH = _bench(
    [
        ("mfq", "round_seconds", 3.0),
        ("il", "round_seconds", 1.0),
        ("mfq", "acting_steps_per_second", 50.0),
        ("il", "acting_steps_per_second", 100.0),
    ]
)


def test_battle_training_and_tournament_cost_by_hand():
    """Two algorithms × two seeds, 10 rounds: MF-Q 3 s a round, IL 1 s → training 2 × 10 × (3 + 1)
    = 80 s, the longest run 30 s. The tournament pairs 4 models: MF-Q–MF-Q 2 pairings (seed 0 v 1 and
    1 v 0), MF-Q–IL 4, IL–MF-Q 4, IL–IL 2; each 4 rounds × 100 steps = 400 steps at the mean of the two
    sides' seconds per step (MF-Q 1/50 = 0.02, IL 1/100 = 0.01): 2·400·0.02 + 8·400·0.015 + 2·400·0.01
    = 16 + 48 + 8 = 72 s, in two jobs by row algorithm: MF-Q's rows 16 + 24 = 40 s, IL's 24 + 8 =
    32 s. CPU-hours (152 s at one thread) = 0.04222; CPU-cluster wall = the longest run 30 s + the
    longest part 40 s = 70 s; no cuda rows, so no GPU-node figure."""
    jobs = cost.claim_jobs("battle", ["mfq"], True, SMALL)
    assert [(j.algo, j.seeds, j.rows) for j in jobs] == [
        ("mfq", (0,), ""),
        ("mfq", (1,), ""),
        ("il", (0,), ""),
        ("il", (1,), ""),
        ("tournament", (), "il"),
        ("tournament", (), "mfq"),
    ]
    assert [cost.job_seconds(job, SMALL, BATTLE_BENCH, "cpu")[0] for job in jobs[4:]] == pytest.approx([32, 40])
    found = cost.jobs_cost(jobs, SMALL, BATTLE_BENCH)
    assert found["cost_cpu_hours"] == pytest.approx(152 / 3600)
    assert found["cost_cluster_hours"] == pytest.approx(70 / 3600)
    assert np.isnan(found["cost_gpu_node_hours"])
    assert found["cost_basis"] == (
        "4 battle runs (mfq, il; 2 seeds × 10 rounds) + the tournament (4 models, 4 rounds per pairing, 2 jobs); from battle.csv"
    )
    gpu = pd.concat(
        [
            BATTLE_BENCH,
            _bench(
                [
                    (a, m, v / 10 if m == "round_seconds" else v * 10)
                    for a, m, v in BATTLE_BENCH[["algo", "measure", "value"]].itertuples(index=False)
                ],
                device="cuda",
                file="battle-cuda.csv",
            ),
        ]
    )
    assert cost.jobs_cost(jobs, SMALL, gpu)["cost_gpu_node_hours"] == pytest.approx(15.2 / 3600)  # every time ÷ 10


def test_battle_jobs_of_seeds_trained_together_cost_by_hand():
    """Seeds 0, 1, 2 of MF-Q two per job (battle.seeds_per_job 2): jobs (0, 1) and (2). 10 rounds;
    one seed alone 3 s a round, two side by side 2.5 s a seed-round: 10 × 2 × 2.5 = 50 s and 10 × 3
    = 30 s; 80 s = 0.02222 CPU-hours, the longest job 50 s. Without the k2 row the grouped job's row
    is named as missing. With stacked updates the grouped job reads the k2_stacked row instead."""
    cfg = resolve({"scale": "paper", "battle": {"algorithms": ["mfq"], "seeds": [0, 1, 2], "seeds_per_job": 2, "rounds": 10}})
    bench = _bench([("mfq", "round_seconds", 3.0), ("mfq", "seed_round_seconds_k2", 2.5)])
    jobs = cost.claim_jobs("battle", ["mfq"], False, cfg)
    assert [job.seeds for job in jobs] == [(0, 1), (2,)]
    found = cost.jobs_cost(jobs, cfg, bench)
    assert found["cost_cpu_hours"] == pytest.approx(80 / 3600) and found["cost_cluster_hours"] == pytest.approx(50 / 3600)
    assert found["cost_basis"] == "3 battle runs (mfq; 3 seeds × 10 rounds, 2 jobs); from battle.csv"
    assert cost.jobs_cost(jobs, cfg, bench.iloc[[0]])["cost_basis"].endswith("no bench row battle mfq seed_round_seconds_k2")
    # with the updates stacked (battle.stacked_update), the grouped job reads its stacked row: 10 × 2 × 1.5
    # = 30 s, + 30 s for the seed alone (one seed is never stacked) = 60 s; the job of two is the longest, 30 s
    stacked = dataclasses.replace(cfg, battle=dataclasses.replace(cfg.battle, stacked_update=True))
    both = pd.concat([bench, _bench([("mfq", "seed_round_seconds_k2_stacked", 1.5)])])
    found = cost.jobs_cost(jobs, stacked, both)
    assert found["cost_cpu_hours"] == pytest.approx(60 / 3600) and found["cost_cluster_hours"] == pytest.approx(30 / 3600)
    assert cost.jobs_cost(jobs, stacked, bench)["cost_basis"].endswith("no bench row battle mfq seed_round_seconds_k2_stacked")


def test_the_battle_study_estimate_by_hand():
    """MF-Q and IL, 3 seeds one per job, 1 000 rounds at 3 s and 1 s a round: 3 × 1 000 × (3 + 1)
    = 12 000 s = 3.3 CPU-hours; on a 16-core node 3.33 / 16 = 0.21 h, below the longest job (an
    MF-Q run, 3 000 s), so about 50 min. With the bench's CUDA rows, the GPU node's hours too."""
    cfg = resolve({"scale": "paper", "battle": {"algorithms": ["mfq", "il"], "seeds": [0, 1, 2], "rounds": 1000}})
    bench = _bench([("mfq", "round_seconds", 3.0), ("il", "round_seconds", 1.0)])
    assert cost.study_estimate("battle", cfg, bench) == (
        "battle at this scale: 3.3 CPU-hours, about 50 min on one 16-core node (6 battle runs (mfq, il; 3 seeds × "
        "1000 rounds); from battle.csv)"
    )
    # a GPU bench (rows with device cuda) of 0.3 s and 0.1 s a round: 3 × 1 000 × 0.4 = 1 200 s = 20 min, summed
    gpu = _bench([("mfq", "round_seconds", 0.3), ("il", "round_seconds", 0.1)]).assign(device="cuda")
    assert cost.study_estimate("battle", cfg, gpu).startswith(
        "battle at this scale: about 20 min on one GPU node, its jobs one after another; "
    )
    assert cost.study_estimate("battle", cfg, pd.concat([bench, gpu])) == (
        "battle at this scale: 3.3 CPU-hours, about 50 min on one 16-core node, about 20 min on one GPU node, its "
        "jobs one after another (6 battle runs (mfq, il; 3 seeds × 1000 rounds); from battle.csv)"
    )


def test_paper_b_run_cost_counts_its_evaluation_episodes_and_names_a_missing_row():
    """Pursuit, 1000 steps at 100 training steps/s = 10 s, and every 500 steps 2 greedy episodes of 10
    steps: 1000 // 500 × 2 × 10 = 40 steps at 20 evaluation steps/s = 2 s; 12 s a run, 2 seeds ×
    2 algorithms = 48 s. Without IDQN's evaluation row the cost is empty and the row is named."""
    rows = [(algo, "training_steps_per_second", 100.0) for algo in ("ped_dqn", "idqn")]
    rows += [(algo, "evaluation_steps_per_second", 20.0) for algo in ("ped_dqn", "idqn")]
    bench = _bench(rows, task="pursuit", file="pursuit.csv")
    jobs = cost.claim_jobs("pursuit", ["ped_dqn", "idqn"], False, SMALL)
    found = cost.jobs_cost(jobs, SMALL, bench)
    assert found["cost_cpu_hours"] == pytest.approx(48 / 3600) and found["cost_cluster_hours"] == pytest.approx(12 / 3600)
    partial = cost.jobs_cost(jobs, SMALL, bench.iloc[:-1])
    assert np.isnan(partial["cost_cpu_hours"])
    assert partial["cost_basis"].endswith("; no bench row pursuit idqn evaluation_steps_per_second")


def test_paper_b_jobs_of_seeds_trained_together_cost_by_hand():
    """Five seeds, two per job (seeds_per_job 2): jobs (0, 1), (2, 3), (4). Pursuit, 36 000 steps;
    36 000 // 18 000 × 2 episodes × 10 steps = 40 evaluation steps a run at 20 steps/s = 2 s. One
    seed alone trains 100 steps/s (360 s + 2 s = 362 s); two together 125 seed-steps/s (288 s + 2 s
    = 290 s a seed, 580 s a job). IDQN: 580 + 580 + 362 = 1522 s = 0.4228 CPU-hours; the longest job
    580 s. The study (the null model left out): on a 16-core node 1522 / 16 = 95 s, below the
    longest job, so 580 s ≈ 10 min. Without the k2 row the grouped jobs' row is named as missing."""
    cfg = resolve(
        {
            "scale": "paper",
            "seeds": [0, 1, 2, 3, 4],
            "semi_cooperative": {"seeds_per_job": 2},
            "pursuit": {
                "steps": 36_000,
                "eval_every": 18_000,
                "eval_episodes": 2,
                "episode_length": 10,
                "algorithms": ["idqn", "random"],
            },
        }
    )
    bench = _bench(
        [
            ("idqn", "training_steps_per_second", 100.0),
            ("idqn", "seed_steps_per_second_k2", 125.0),
            ("idqn", "evaluation_steps_per_second", 20.0),
        ],
        task="pursuit",
        file="pursuit.csv",
    )
    jobs = cost.claim_jobs("pursuit", ["idqn"], False, cfg)
    assert [job.seeds for job in jobs] == [(0, 1), (2, 3), (4,)]
    found = cost.jobs_cost(jobs, cfg, bench)
    assert found["cost_cpu_hours"] == pytest.approx(1522 / 3600) and found["cost_cluster_hours"] == pytest.approx(580 / 3600)
    assert found["cost_basis"] == "5 pursuit runs (idqn; 5 seeds × 36,000 steps, 3 jobs); from pursuit.csv"
    assert cost.study_estimate("pursuit", cfg, bench) == (
        "pursuit at this scale: 0.4 CPU-hours, about 10 min on one 16-core node (5 pursuit runs (idqn; 5 seeds × "
        "36,000 steps, 3 jobs); from pursuit.csv)"
    )
    assert cost.jobs_cost(jobs, cfg, bench.iloc[[0, 2]])["cost_basis"].endswith(
        "no bench row pursuit idqn seed_steps_per_second_k2"
    )


def test_bench_files_are_read_by_task_with_their_device(tmp_path):
    """results/bench/<task>[-<anything>].csv: the task is the name up to its first '-'; a file without
    a device column (the CPU-only paper-B bench of old) is cpu."""
    pd.DataFrame(
        {"measure": ["round_seconds"], "algo": ["mfq"], "value": [2.0], "threads": [1], "cpu": ["x"], "device": ["cuda"]}
    ).to_csv(tmp_path / "battle-cuda.csv", index=False)
    pd.DataFrame(
        {"measure": ["training_steps_per_second"], "algo": ["idqn"], "value": [9.0], "threads": [1], "cpu": ["x"]}
    ).to_csv(tmp_path / "pursuit.csv", index=False)
    bench = cost.load_benches(tmp_path)
    assert list(zip(bench["task"], bench["device"], bench["algo"])) == [("battle", "cuda", "mfq"), ("pursuit", "cpu", "idqn")]
    assert cost.load_benches(tmp_path / "none").empty


def test_an_audit_claim_inconclusive_for_scale_says_what_its_scale_would_take(tmp_path):
    """A battle Fig. 7 claim (min_scale paper) audited on an empty default-scale results folder: the
    verdict is inconclusive for scale, needs_scale is paper, and the cost at the paper's settings (5
    seeds × 2000 rounds of MF-Q at 3 s a round = 30 000 s = 8.33 CPU-hours; the longest run 6 000 s =
    1.67 h) is in the cost columns and the reason. A claim that needs the default scale only is
    left without cost; one that needs the decisive scale names its config instead of a benchmark cost."""
    plateau = Claim(
        id="plateau",
        paper="A",
        figure="7",
        statement="s",
        paper_value=250.0,
        tolerance=50.0,
        measure="battle_final_training_reward",
        params={"algo": "mfq"},
        min_scale="paper",
    )
    toy = Claim(id="toy", paper="A", figure="2", statement="s", paper_value=2.0, measure="toy_converged_q", tolerance=0.05)
    table = audit.audit_table(tmp_path, "default", [plateau, toy], BATTLE_BENCH).set_index("id")
    row = table.loc["plateau"]
    assert row["inconclusive_because"] == "scale" and row["needs_scale"] == "paper"
    assert row["cost_cpu_hours"] == pytest.approx(30000 / 3600) and row["cost_cluster_hours"] == pytest.approx(6000 / 3600)
    assert row["reason"].endswith("(≈ 8 CPU-hours, 1.7 h on a CPU cluster)")
    assert table.loc["toy", "needs_scale"] == "" and np.isnan(table.loc["toy", "cost_cpu_hours"])
    central = Claim(**{**plateau.__dict__, "id": "central", "min_scale": "decisive"})
    row = audit.audit_table(tmp_path, "default", [central], BATTLE_BENCH).iloc[0]
    assert row["needs_scale"] == "decisive" and np.isnan(row["cost_cpu_hours"])
    assert row["cost_basis"].startswith("the decisive scale: `--configfile workflow/config/decisive.yaml`")
    summary = audit.scale_summary(table.reset_index(), [plateau, toy], BATTLE_BENCH)
    assert list(summary["task"]) == ["battle"] and summary["claims"].iloc[0] == 1


def test_a_job_asks_for_its_measured_runtime_times_the_safety_factor():
    """SMALL's MF-Q seed: 10 rounds at 3 s = 30 s = 0.5 min; with runtime_safety 1.5 it asks for
    ⌈0.75⌉ = 1 minute; IL's tournament part (32 s, by hand above) ⌈0.8⌉ = 1, and with safety 90
    ⌈48⌉ = 48 minutes. Without a safety factor, the typed runtime (per seed: 7 × 2 seeds = 14);
    without a benchmark row for the job (AC), the typed runtime too. A factor below 1 still asks
    for the projection at least."""
    from replication.config import RuleResources

    measured, typed = RuleResources(runtime=7, runtime_safety=1.5), RuleResources(runtime=7)
    mfq, tournament = cost.Job("battle", "mfq", (0,)), cost.Job("battle", "tournament", rows="il")
    assert cost.requested_minutes(measured, mfq, SMALL, BATTLE_BENCH) == 1
    assert cost.requested_minutes(measured, tournament, SMALL, BATTLE_BENCH) == 1
    assert cost.requested_minutes(RuleResources(runtime_safety=90), tournament, SMALL, BATTLE_BENCH) == 48
    assert cost.requested_minutes(typed, cost.Job("battle", "mfq", (0, 1)), SMALL, BATTLE_BENCH) == 14
    assert cost.requested_minutes(measured, cost.Job("battle", "ac", (0,)), SMALL, BATTLE_BENCH) == 7
    assert cost.requested_minutes(RuleResources(runtime_safety=0.5), tournament, SMALL, BATTLE_BENCH) == 1


def test_every_paper_scale_job_asks_for_at_least_its_projection():
    """paper.yaml over default.yaml with the committed rehearsal (results/rehearsal/cost.csv) and
    benchmarks (results/bench): every battle training job, tournament part and scripted evaluation
    (trained and untrained) and every paper-B training job asks for at least its projected minutes
    and MB, and the rehearsal projects every one of them (the benchmarks only where it does not).
    Before 2026-12-03 a PED-DQN battle seed, projected at ≈ 13.6 h, asked for 10 h and would have
    been killed by Slurm near its end, and every memory request was typed."""
    from pathlib import Path

    from replication.config import load_config
    from replication.experiments.seed_group import seed_jobs

    root = Path(__file__).resolve().parent.parent
    cfg = load_config([str(root / "workflow/config/default.yaml"), str(root / "workflow/config/paper.yaml")])
    bench = cost.load_benches(root / "results" / "bench")
    measured = cost.load_measured(root / cost.MEASURED_COSTS)
    jobs = [
        ("battle_train", cost.Job("battle", algo, tuple(seeds)))
        for algo in cfg.battle.algorithms
        for seeds in seed_jobs(algo, cfg, "battle")
    ]
    for untrained in (False, True):
        jobs += [
            ("battle_tournament", cost.Job("battle", "tournament", rows=algo, untrained=untrained))
            for algo in cfg.battle.algorithms
        ]
        jobs += [("battle_scripted", cost.Job("battle", "scripted", untrained=untrained))]
    jobs += [
        ("semi_cooperative_run", cost.Job(task, algo, tuple(seeds)))
        for task in ("prisoners_dilemma", "pursuit", "resource_sharing", "tiger_deer")
        for algo in getattr(cfg, task).algorithms
        for seeds in seed_jobs(algo, cfg, "semi_cooperative")
    ]
    on_record = set(zip(measured["rule"], measured["task"], measured["algo"]))
    projected = 0
    for rule, job in jobs:
        found = cost.measured_projection(job, rule, cfg, measured)
        resources = getattr(cfg.resources, rule)
        if (rule, job.task, job.rows or job.algo) not in on_record:  # an algorithm registered after the rehearsal
            assert found is None, (rule, job)
            assert cost.requested_minutes(resources, job, cfg, bench, rule=rule, measured=measured) == resources.runtime * len(
                job.seeds
            )
            continue
        assert found is not None, (rule, job)
        projected += 1
        assert cost.requested_minutes(resources, job, cfg, bench, rule=rule, measured=measured) >= found[0], (rule, job)
        assert cost.requested_mb(resources, job, cfg, rule, measured) >= found[1], (rule, job)
    # the rehearsal's jobs: 25 battle seeds, 2 × (5 tournament parts + 1 scripted evaluation), 27 paper-B learner jobs
    assert projected == 25 + 12 + 27


def test_a_paper_scale_job_without_a_projection_asks_for_the_typed_request_with_a_note(capsys):
    """A paper-B algorithm registered after the rehearsal (here a name the cost table does not hold,
    `vdn`): it asks for paper.yaml's typed semi_cooperative_run runtime per seed (300 min × 5 seeds)
    and mem_mb per job (3000 MB), and a one-line note says so, once."""
    from pathlib import Path

    from replication.config import load_config

    root = Path(__file__).resolve().parent.parent
    cfg = load_config([str(root / "workflow/config/default.yaml"), str(root / "workflow/config/paper.yaml")])
    measured = cost.load_measured(root / cost.MEASURED_COSTS)
    resources = cfg.resources.semi_cooperative_run
    job = cost.Job("pursuit", "vdn", (0, 1, 2, 3, 4))
    bench = cost.load_benches(root / "results" / "bench")
    assert cost.requested_minutes(resources, job, cfg, bench, rule="semi_cooperative_run", measured=measured) == 300 * 5
    assert cost.requested_mb(resources, job, cfg, "semi_cooperative_run", measured) == 3000
    cost.requested_minutes(resources, job, cfg, bench, rule="semi_cooperative_run", measured=measured)
    err = capsys.readouterr().err
    assert err.count("note: semi_cooperative_run pursuit/vdn has no rehearsal projection") == 1
    assert "typed runtime 300 min and 3000 MB" in err


def test_the_audits_claim_cost_and_the_requests_come_from_one_projection():
    """B-pursuit-welfare-ped-vs-idqn needs pursuit's PED-DQN and IDQN at the paper scale, 5 seeds in
    one job each. With the committed rehearsal beside the benchmarks, the audit costs them from the
    rehearsal's projections on record, as the cluster requests do: (852.705 + 489.879) min / 60 =
    22.376 CPU-hours (the benchmarks alone said 13.1); without the rehearsal, the benchmarks' figure."""
    from pathlib import Path

    from replication.analysis import audit

    root = Path(__file__).resolve().parent.parent
    claim = next(c for c in audit.load_claims() if c.id == "B-pursuit-welfare-ped-vs-idqn")
    bench = cost.load_benches(root / "results" / "bench")
    measured = cost.load_measured(root / cost.MEASURED_COSTS)
    both = audit.scale_cost(claim, bench, measured)
    assert both["cost_cpu_hours"] == pytest.approx((852.7051829290452 + 489.87904637491755) / 60, abs=1e-6)
    assert both["cost_basis"].endswith("2 of 2 jobs from the rehearsal's projection (results/rehearsal/cost.csv)")
    assert audit.scale_cost(claim, bench)["cost_cpu_hours"] == pytest.approx(13.107, abs=1e-3)
