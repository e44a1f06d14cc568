"""`python -m replication scale-study`: the decisive scale's pilot (replication/scale_study.py)."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from replication.config import load_config
from replication.scale_study import FAMILIES, budget_config

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, SMOKE = ROOT / "workflow/config/default.yaml", ROOT / "workflow/config/smoke.yaml"
DECISIVE = ROOT / "workflow/config/decisive.yaml"
EXPECTED_CHOICES = {"battle": (320, 5, False), "pursuit": (30000, 5, False), "resource_sharing": (100000, 5, False)}


def test_a_budget_scales_paper_b_schedules_in_the_base_proportions():
    """Pursuit's default: 3 000 steps, ε over 750, peer evaluations from 150, target refresh every 150,
    an evaluation every 300, checkpoints every 1 500. At a budget of 10 000 (× 10/3): 2 500, 500,
    500, 1 000 and 5 000; the learners are the claim's (PED-DQN, IDQN) and the null model, 3 seeds
    side by side. Battle at 40 rounds: ε decayed over the 40, checkpoints every 10, the ranking's
    four algorithms."""
    cfg = load_config([str(DEFAULT)])
    pursuit = budget_config(cfg, FAMILIES["pursuit"], 10_000, 3)
    p = pursuit.pursuit
    assert (p.steps, p.epsilon_decay_steps, p.peer_warmup_steps, p.target_update_every, p.eval_every, p.checkpoint_every) == (
        10_000,
        2_500,
        500,
        500,
        1_000,
        5_000,
    )
    assert list(p.algorithms) == ["ped_dqn", "idqn", "random"]
    assert pursuit.seeds == [0, 1, 2] and pursuit.semi_cooperative.seeds_per_job == 3
    battle = budget_config(cfg, FAMILIES["battle"], 40, 3).battle
    assert (battle.rounds, battle.epsilon_decay_rounds, battle.checkpoint_every) == (40, 40, 10)
    assert list(battle.algorithms) == ["mfq", "il", "mfac", "ac"] and battle.seeds_per_job == 3


def test_the_decisive_config_is_the_pilots_choice_for_every_family():
    """workflow/config/decisive.yaml over the default: each pilot family's task section equals the
    pilot's setting at the budget and seeds its committed choice.json names, built on the config
    files the pilot ran on (its `configs`: battle's pilot ran on paper.yaml with
    pilot-battle.yaml, 8 v 8 at the paper's settings), learners included: the scale runs the
    learners the rule costed (paper B: the claim's two and its null model). 5 seeds everywhere.
    Under the convergence rule (2026-12-03) no family's pilot decides its claims: each runs at its
    largest pilot budget whose 5 seeds fit its share."""
    decisive = load_config([str(DEFAULT), str(DECISIVE)])
    assert decisive.scale == "decisive" and decisive.seeds == [0, 1, 2, 3, 4]
    chosen = {}
    for name, family in FAMILIES.items():
        choice = json.loads((ROOT / "results" / "pilot" / name / "choice.json").read_text())
        chosen[name] = (choice["budget"], choice["seeds"], choice["decided"])
        base = load_config([str(ROOT / path) for path in choice["configs"]])
        pilot = getattr(budget_config(base, family, choice["budget"], choice["seeds"]), family.task)
        assert pilot == getattr(decisive, family.task), name
    assert chosen == EXPECTED_CHOICES
    assert list(decisive.battle.seeds) == [0, 1, 2, 3, 4]


def test_a_central_claim_needs_the_decisive_scale_only_where_its_pilot_decided_it():
    """A family's central claims are judged from the decisive scale on (`min_scale: decisive`) only
    when its committed pilot decided them; otherwise from the first scale that runs the paper's own
    training protocol for them (battle: workstation; paper B: paper), so that no verdict comes from
    a budget the pilot did not show converged."""
    from replication.analysis.audit import load_claims

    claims = {claim.id: claim for claim in load_claims()}
    for name, family in FAMILIES.items():
        decided = json.loads((ROOT / "results" / "pilot" / name / "choice.json").read_text())["decided"]
        for claim_id in family.claims:
            assert claims[claim_id].min_scale == ("decisive" if decided else family.protocol_scale), claim_id


def _study(out, *extra):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "replication",
            "scale-study",
            "resource_sharing",
            "--config",
            str(DEFAULT),
            "--config",
            str(SMOKE),
            "--budgets",
            "100",
            "200",
            "--seeds",
            "2",
            "--out",
            str(out),
            "--no-progress",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=out.parent,
    )


def test_the_scale_study_writes_its_pilot_and_resumes_without_retraining(tmp_path):
    """Resource sharing at budgets 100 and 200 (smoke's task), 2 seeds: each budget's runs at that
    many steps, pilot.csv with X (PED-DQN), Y (IDQN) and their null model per budget, widths.csv,
    choice.json (5 seeds at least; this pilot cannot decide the claim within 30 seeds: P(X > Y) of
    two barely trained learners has an interval wider than 0.25) and the figure. Run again, it
    trains nothing (the runs' files are untouched). --seeds 1 is a one-line error."""
    out = tmp_path / "pilot"
    proc = _study(out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for budget in (100, 200):
        config = yaml.safe_load((out / f"budget{budget}/runs/resource_sharing/ped_dqn/seed1/config.yaml").read_text())
        assert config["resource_sharing"]["steps"] == budget
    pilot = pd.read_csv(out / "pilot.csv")
    assert set(pilot["sample"]) == {"x", "y", "null_x", "null_y", "learner:ped_dqn", "learner:idqn"}
    assert set(pilot["budget"]) == {100, 200}
    # each learner's row says how many seeds learned: these runs have no paired evaluations
    assert set(pilot.loc[pilot["sample"].str.startswith("learner:"), "learned"]) == {"no learning evidence"}
    assert set(pilot.loc[pilot["sample"] == "x", "learner"]) == {"ped_dqn"} and (pilot["seeds"] == 2).all()
    choice = json.loads((out / "choice.json").read_text())
    assert choice["seeds"] >= 5 and choice["decided"] is False and choice["needs"] is None
    assert (out / "scale_study.png").stat().st_size > 10_000
    metrics = out / "budget200/runs/resource_sharing/idqn/seed0/metrics.csv"
    before = metrics.stat().st_mtime_ns
    assert _study(out).returncode == 0
    assert metrics.stat().st_mtime_ns == before
    proc = _study(tmp_path / "other", "--seeds", "1")
    assert proc.returncode == 2 and "--seeds: a pilot needs at least 2 seeds" in proc.stderr and proc.stderr.count("\n") == 1


def test_the_pilot_cost_of_battle_grows_with_its_tournament_pairings():
    """Battle at one budget, measured on 3 seeds: training MF-Q 30 s, IL 30 s, MF-AC 6 s, AC 6 s (72 s
    for the four algorithms' 3 seeds), the tournament 132 s, the scripted evaluation 12 s. The
    tournament of 4 algorithms × n seeds pairs every ordered pair of distinct models: (4n)² − 4n,
    132 at 3 seeds and 380 at 5. So 5 seeds cost 72 × 5/3 + 132 × 380/132 + 12 × 5/3 = 120 + 380
    + 20 = 520 s. Paper B's cost is its training alone: 3 seeds of PED-DQN 60 s, IDQN 30 s, the null
    model 3 s → 6 seeds 186 s."""
    from replication.scale_study import cost_function

    battle = pd.DataFrame(
        {"job": ["mfq", "il", "mfac", "ac", "tournament", "scripted"], "seconds": [30.0, 30.0, 6.0, 6.0, 132.0, 12.0], "seeds": 3}
    )
    assert cost_function(FAMILIES["battle"], {40: battle}, 3)(40, 5) == pytest.approx(520.0)
    pursuit = pd.DataFrame({"job": ["ped_dqn", "idqn", "random"], "seconds": [60.0, 30.0, 3.0], "seeds": 3})
    assert cost_function(FAMILIES["pursuit"], {3000: pursuit}, 3)(3000, 6) == pytest.approx(186.0)


def test_the_battle_scale_study_times_training_by_its_rounds_and_plays_the_tournament(tmp_path):
    """Battle at smoke size (20×20, 8 v 8, 30 steps) at budgets 2 and 3 rounds, 2 seeds: the four
    ranking algorithms train side by side, the tournament and the scripted evaluation play, and
    pilot.csv has MF-Q against IL (X) with the scripted random team (its null model) and the
    ranking's margin; a training job's seconds are its rounds' own (timing.csv of its runs, which
    a resumed job keeps), so they add up to the first seed's per-round times."""
    out = tmp_path / "pilot"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "replication",
            "scale-study",
            "battle",
            "--config",
            str(DEFAULT),
            "--config",
            str(SMOKE),
            "--budgets",
            "2",
            "3",
            "--seeds",
            "2",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    timing = pd.read_csv(out / "budget3" / "timing.csv").set_index("job")["seconds"]
    assert set(timing.index) == {"mfq", "il", "mfac", "ac", "tournament", "scripted"}
    rounds = pd.read_csv(out / "budget3/runs/battle/mfq/seed0/timing.csv")
    assert rounds["round"].tolist() == [1, 2, 3] and timing["mfq"] == pytest.approx(rounds["seconds"].sum())
    pilot = pd.read_csv(out / "pilot.csv")
    mfq = pilot[(pilot["claim"] == "A-battle-mfq-beats-il") & (pilot["budget"] == 3)].set_index("sample")["learner"]
    assert mfq.to_dict() == {
        "x": "mfq",
        "null_x": "random",
        "trained:mfq": "mfq",
        "trained:il": "il",
        "learner:mfq": "mfq",
        "learner:il": "il",
    }
    ranking = set(pilot.loc[pilot["claim"] == "A-battle-ranking", "sample"])
    algos = ("mfq", "il", "mfac", "ac")
    assert ranking <= {"x", *(f"trained:{a}" for a in algos), *(f"learner:{a}" for a in algos)}
    assert ranking >= {f"trained:{a}" for a in algos} | {f"learner:{a}" for a in algos}
    assert (out / "budget2/runs/battle/tournament.csv").exists() and (out / "scale_study.png").exists()
    sides = pd.read_csv(out / "scripted_sides.csv")
    assert set(sides["side"]) == {"left", "right"} and set(sides["budget"]) == {2, 3}
    assert set(sides["scripted_team"]) == {"random", "stationary_attacker"} and len(sides) == 2 * 4 * 2 * 2 * 2
    choice = json.loads((out / "choice.json").read_text())
    assert choice["needs"] is None and choice["needs_protocol"] == 2000
    assert "no larger pilot budget" in choice["budgets"]["3"]["why_not"]


def test_a_resumed_battle_study_replays_its_evaluations_when_a_model_is_retrained(tmp_path, monkeypatch):
    """Training and the evaluations replaced by stand-ins that write their files and log their calls.
    First call: the four learners train, then the tournament and the scripted evaluation play. Second
    call, nothing changed: nothing runs. Third call, IL's seed 0 gone: IL trains again, and both
    evaluations play again, since the games already played read IL's old models."""
    from replication import run, tournament
    from replication.config import run_config
    from replication.scale_study import run_budget

    calls = []

    def train(task, algo, seeds, cfg, pattern, progress, stale):
        calls.append(algo)
        for seed in seeds:
            folder = Path(pattern.format(seed=seed))
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(run_config(cfg, task, algo, seed)))))
            pd.DataFrame({"round": [1, 2], "seconds": [1.5, 2.5]}).to_csv(folder / "timing.csv", index=False)

    def evaluation(job):
        def play(folder, cfg, progress):
            calls.append(job)
            target = folder / getattr(tournament, f"{job.upper()}_FILE")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("played\n")

        return play

    monkeypatch.setattr(run, "run_seeds", train)
    monkeypatch.setattr(tournament, "run_tournament", evaluation("tournament"))
    monkeypatch.setattr(tournament, "run_scripted_evaluation", evaluation("scripted"))
    cfg = budget_config(load_config([str(DEFAULT)]), FAMILIES["battle"], 2, 2)
    timing = run_budget(FAMILIES["battle"], cfg, tmp_path, progress=False)
    assert calls == ["mfq", "il", "mfac", "ac", "tournament", "scripted"]
    assert timing.set_index("job").loc["il", "seconds"] == pytest.approx(4.0)
    calls.clear()
    run_budget(FAMILIES["battle"], cfg, tmp_path, progress=False)
    assert calls == []
    (tmp_path / "runs/battle/il/seed0/config.yaml").unlink()
    run_budget(FAMILIES["battle"], cfg, tmp_path, progress=False)
    assert calls == ["il", "tournament", "scripted"]


def test_the_cost_of_the_papers_protocol_by_hand():
    """Battle pilot at 100 rounds, 3 seeds: MF-Q 300 s, IL 300 s, MF-AC 60 s, AC 60 s, tournament
    132 s, scripted 12 s. Per seed and round: 1, 1, 0.2, 0.2 s, so 2000 rounds take 2000, 2000, 400
    and 400 s per seed: 5 seeds → 24 000 s of training. Evaluation at 5 seeds: 132 × 380/132 + 12 ×
    5/3 = 400 s. Core-hours (24 000 + 400) / 3600 = 6.78. On 2 cores, longest first, the ten 2000-s
    jobs go five to a core (10 000 s) and the ten 400-s ones five to a core: 12 000 s each; the
    evaluation split in 2 parts adds 200 s: 12 200 s = 3.39 h. On 16 cores ten cores take a 2000-s
    job and the ten 400-s jobs go to the six others, four of which take a second (800 s): the
    makespan is 2000 s; the evaluation in 4 parts adds 100 s: 2100 s = 0.583 h."""
    from replication.scale_study import makespan, protocol_cost

    timing = pd.DataFrame(
        {
            "job": ["mfq", "il", "mfac", "ac", "tournament", "scripted"],
            "seconds": [300.0, 300.0, 60.0, 60.0, 132.0, 12.0],
            "seeds": 3,
        }
    )
    cost = protocol_cost(FAMILIES["battle"], timing, 100, 3)
    assert cost["core_hours"] == pytest.approx(24_400 / 3600)
    assert cost["wall_hours_2_cores"] == pytest.approx(12_200 / 3600)
    assert cost["wall_hours_16_cores"] == pytest.approx(2_100 / 3600)
    assert makespan([3.0, 3.0, 2.0, 2.0, 2.0], 2) == 7.0


def test_the_workstation_scale_is_the_battle_pilots_setting_at_the_papers_protocol():
    """workflow/config/workstation.yaml over decisive.yaml: battle as the pilot ran it (its
    choice.json's config files: paper.yaml with pilot-battle.yaml) at the paper's 2000 rounds with ε
    over all of them and 5 seeds, one per job (checkpoints every 20 rounds, bookkeeping); every
    other section the decisive scale's."""
    workstation = load_config([str(DEFAULT), str(DECISIVE), str(ROOT / "workflow/config/workstation.yaml")])
    decisive = load_config([str(DEFAULT), str(DECISIVE)])
    choice = json.loads((ROOT / "results/pilot/battle/choice.json").read_text())
    protocol = budget_config(load_config([str(ROOT / path) for path in choice["configs"]]), FAMILIES["battle"], 2000, 5).battle
    assert workstation.scale == "workstation"
    assert workstation.battle == dataclasses.replace(protocol, checkpoint_every=20, seeds_per_job=1)
    assert (workstation.battle.rounds, workstation.battle.epsilon_decay_rounds, workstation.battle.agents_per_side) == (
        2000,
        2000,
        8,
    )
    assert workstation.pursuit == decisive.pursuit and workstation.resource_sharing == decisive.resource_sharing
