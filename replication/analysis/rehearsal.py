"""The rehearsal's cost table: every battle and paper-B job of the rehearsal scale measured, and
projected to the paper scale's job it rehearses (results/rehearsal/cost.csv, in the report).

The rehearsal (workflow/config/rehearsal.yaml) runs the paper's settings for the first minutes of
each run; its runs and evaluations record what they took (experiments/timing.py). For each job:

- `measured_seconds_per_unit`: the mean seconds of one unit of work after the warm-up. Battle
  training: a round, round 1 left out (its replay is filling and its first updates allocate).
  Paper B: an evaluation interval (its training steps and its evaluation), the first left out, and
  for a learner whose peer evaluations switch on at `peer_warmup_steps` (PED-DQN, PE-DQN, reward
  sharing) every interval before the switch, where some come after it. Evaluations (tournament parts,
  scripted): a round, their play time over their rounds.
- `fixed_seconds`: what the job took besides its units and checkpoints (start-up, building or
  loading models, the untrained networks' evaluation, writing outputs); paper B's untrained
  evaluation and a tournament's model loading are counted once, not scaled.
- `projected_minutes`: the paper's job: fixed seconds + its units × the seconds per unit + its
  checkpoints × the seconds of one checkpoint as large as the paper's (the last measured checkpoint
  scaled by the replay ring at capacity over the ring as filled then, for a battle learner that
  checkpoints its ring). Where the rehearsal trains fewer seeds in a job than the paper (paper B: 2 for 5), the per
  unit and checkpoint seconds scale with the seeds: an upper bound, since a larger group shares more
  of each step's work (results/bench `group_speedup_k5`). A tournament part's rounds are its
  pairings' (`seed_pairs`) × `tournament_rounds`; every rehearsal round lasts its `max_steps` (its
  networks barely trained), so a trained model's shorter rounds only make the paper's cheaper.
- `peak_mb`: the job's peak resident memory; `replay_mb`: the paper job's replay at capacity (its
  seeds'); `projected_mb`: the paper job's, the peak plus the
  replay the paper's seeds hold at capacity less what of it was resident (the rows of a replay are
  allocated untouched and become resident as they fill), plus, for a learner that checkpoints its
  replay (a battle Q-learner's ring, every paper-B learner's FIFOs), one replay more: a resumed job
  holds the checkpoint's copy while it refills its own.
- `paper_jobs`: how many such jobs the paper scale has (battle: one per seed; paper B: one per
  learner and task), `threads`: the cores each asks for.
- `projected_minutes_on_record`, `projected_mb_on_record`: the largest projection of the job over
  this rehearsal and the earlier ones kept beside it (`earlier/cost-<commit>.csv`). The same job,
  measured in two rehearsals on the same two cores beside different jobs, came out up to twice as
  long in one as in the other (docs/slurm.md), so a request covers every measurement on record.
- `requested_minutes`, `requested_mb`: what `paper.yaml` asks the scheduler for the job
  (analysis/cost.py `ask_minutes`, `ask_mb`: the projection on record × the rule's safety factor,
  the functions through which the Snakefile asks for every paper-scale job).

Not here: the Ising and Gaussian Squeeze jobs (their paper scale is the default scale's, measured in
its provenance.csv) and the analysis jobs (minutes).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from replication.analysis.cost import Job, ask_mb, ask_minutes
from replication.config import SuiteConfig
from replication.experiments.seed_group import seed_jobs
from replication.experiments.timing import TIMING

COST_FILE = "cost.csv"
EARLIER = "earlier"  # earlier rehearsals' cost tables, kept as cost-<commit>.csv: the requests cover them too
EVALUATION_RULES = ("battle_tournament", "battle_scripted")  # the jobs that need every trained model
COLUMNS = [
    "job",
    "rule",
    "task",
    "algo",
    "seeds",
    "unit",
    "units_timed",
    "measured_seconds_per_unit",
    "fixed_seconds",
    "paper_units",
    "paper_seeds",
    "paper_jobs",
    "threads",
    "projected_minutes",
    "projected_minutes_on_record",
    "requested_minutes",
    "peak_mb",
    "replay_mb",
    "projected_mb",
    "projected_mb_on_record",
    "requested_mb",
]


def _carries_ring(algo: str, cfg: SuiteConfig) -> bool:
    from replication.registry import BATTLE

    return cfg.battle.checkpoint_replay and bool(getattr(BATTLE[algo].load(), "carries_replay", False))


def _ring_scale(timing: pd.DataFrame) -> float:
    """Capacity over filled: how much larger a checkpoint of a full ring is than the rehearsal's."""
    filled = float(timing["replay_filled_mb"].iloc[-1])
    return float(timing["replay_mb"].iloc[-1]) / filled if filled > 0 else 1.0


def _checkpoint_seconds(timing: pd.DataFrame) -> float:
    """The last checkpoint's seconds: the one written with the replay as full as `replay_filled_mb` says."""
    written = timing["checkpoint_seconds"][timing["checkpoint_seconds"] > 0]
    return float(written.iloc[-1]) if len(written) else 0.0


def _fixed_seconds(run_dir: Path, timing: pd.DataFrame) -> float:
    """The run's wall time (its provenance.json) less its timed units and checkpoints."""
    wall = float(json.loads((run_dir / "provenance.json").read_text())["wall_seconds"])
    return wall - float(timing["seconds"].sum() + timing["checkpoint_seconds"].sum())


def battle_training_rows(results: Path, cfg: SuiteConfig, paper: SuiteConfig) -> list[dict]:
    rows = []
    for algo in cfg.battle.algorithms:
        for seeds in seed_jobs(None, cfg, family="battle"):
            run_dir = results / "runs" / "battle" / algo / f"seed{seeds[0]}"
            timing = pd.read_csv(run_dir / TIMING)
            timed = timing[timing["round"] > 1]
            per_round = float(timed["seconds"].mean()) / len(seeds)
            fixed = _fixed_seconds(run_dir, timing)
            carries = _carries_ring(algo, paper)
            checkpoint = _checkpoint_seconds(timing) / len(seeds) * (_ring_scale(timing) if carries else 1.0)
            k = paper.battle.seeds_per_job
            n_checkpoints = math.ceil(paper.battle.rounds / paper.battle.checkpoint_every)
            projected = fixed + k * (paper.battle.rounds * per_round + n_checkpoints * checkpoint)
            ring = float(timing["replay_mb"].iloc[-1]) / len(seeds)
            resident = float(timing["replay_filled_mb"].iloc[-1])
            peak = float(timing["peak_rss_mb"].iloc[-1])
            projected_mb = peak - resident + k * ring * (2 if carries else 1)
            rows.append(
                _row(
                    Job("battle", algo, tuple(seeds)),
                    "battle_train",
                    "round",
                    len(timed),
                    per_round,
                    fixed,
                    paper.battle.rounds,
                    k,
                    len(seed_jobs(None, paper, family="battle")),
                    projected,
                    peak,
                    projected_mb,
                    paper,
                    replay_mb=k * ring,
                )
            )
    return rows


def evaluation_rows(results: Path, cfg: SuiteConfig, paper: SuiteConfig) -> list[dict]:
    from replication.algorithms.battle.scripted import SCRIPTED
    from replication.experiments.battle import seed_pairs
    from replication.tournament import SCRIPTED_FILE, evaluation_path, part_file

    rows = []
    models = [(algo, seed) for algo in cfg.battle.algorithms for seed in cfg.battle.seeds]
    paper_models = [(algo, seed) for algo in paper.battle.algorithms for seed in paper.battle.seeds]
    for untrained in (False, True):
        for algo in cfg.battle.algorithms:
            found = json.loads((results / part_file(algo, untrained)).with_suffix(".timing.json").read_text())
            pairs = [pair for pair in seed_pairs(paper_models) if pair[0][0] == algo]
            rows.append(
                _evaluation_row(
                    Job("battle", "tournament", rows=algo, untrained=untrained),
                    "battle_tournament",
                    found,
                    len(paper_models) / len(models),
                    len(pairs) * paper.battle.tournament_rounds,
                    paper,
                )
            )
        found = json.loads((results / evaluation_path(SCRIPTED_FILE, untrained)).with_suffix(".timing.json").read_text())
        rows.append(
            _evaluation_row(
                Job("battle", "scripted", untrained=untrained),
                "battle_scripted",
                found,
                len(paper_models) / len(models),
                len(paper_models) * len(SCRIPTED) * paper.battle.scripted_rounds,
                paper,
            )
        )
    return rows


def _evaluation_row(job: Job, rule: str, found: dict, model_scale: float, paper_rounds: int, paper: SuiteConfig) -> dict:
    per_round = found["seconds"] / found["rounds"]
    fixed = found["setup_seconds"] * model_scale  # loading or building every model
    projected = fixed + paper_rounds * per_round
    return _row(
        job,
        rule,
        "round",
        found["rounds"],
        per_round,
        found["setup_seconds"],
        paper_rounds,
        0,
        1,
        projected,
        found["peak_rss_mb"],
        found["peak_rss_mb"],
        paper,
    )


def semi_cooperative_rows(results: Path, cfg: SuiteConfig, paper: SuiteConfig) -> list[dict]:
    from replication.registry import SEMI_COOPERATIVE

    rows = []
    for task in SEMI_COOPERATIVE.tasks:
        for algo in getattr(cfg, task).algorithms:
            schedule, paper_schedule = getattr(cfg, task).for_algo(algo), getattr(paper, task).for_algo(algo)
            for seeds in seed_jobs(algo, cfg):
                run_dir = results / "runs" / task / algo / f"seed{seeds[0]}"
                timing = pd.read_csv(run_dir / TIMING)
                timed = timing[timing["step"] > timing["step"].iloc[0]]
                switch = "peer_warmup_steps" in _owned_settings(algo)
                if switch and (timed["step"] > schedule.peer_warmup_steps).any():
                    timed = timed[timed["step"] > schedule.peer_warmup_steps]
                per_seed_unit = float(timed["seconds"].mean()) / len(seeds)
                fixed = _fixed_seconds(run_dir, timing)
                k = len(seed_jobs(algo, paper)[0])
                units = paper_schedule.steps // paper_schedule.eval_every
                n_checkpoints = paper_schedule.steps // paper_schedule.checkpoint_every
                projected = fixed + k * (units * per_seed_unit + n_checkpoints * _checkpoint_seconds(timing) / len(seeds))
                peak = float(timing["peak_rss_mb"].iloc[-1])
                replay_per_seed = float(timing["replay_mb"].iloc[-1]) / len(seeds)
                # the replay at capacity, and its checkpoint's copy, which a resumed job reads while it refills
                projected_mb = peak - float(timing["replay_filled_mb"].iloc[-1]) + 2 * k * replay_per_seed
                rows.append(
                    _row(
                        Job(task, algo, tuple(seeds)),
                        "semi_cooperative_run",
                        f"{paper_schedule.eval_every} steps",
                        len(timed),
                        per_seed_unit,
                        fixed,
                        units,
                        k,
                        len(seed_jobs(algo, paper)),
                        projected,
                        peak,
                        projected_mb,
                        paper,
                        replay_mb=k * replay_per_seed,
                    )
                )
    return rows


def _owned_settings(algo: str) -> set[str]:
    """The schedule settings only some learners read that `algo` reads (peer_warmup_steps: the peer learners)."""
    import dataclasses

    from replication.config import SemiCooperativeTask

    return {f.name for f in dataclasses.fields(SemiCooperativeTask) if algo in (f.metadata.get("only") or ())}


def _row(
    job: Job,
    rule: str,
    unit: str,
    units_timed: int,
    per_unit: float,
    fixed: float,
    paper_units: int,
    paper_seeds: int,
    paper_jobs: int,
    projected_seconds: float,
    peak_mb: float,
    projected_mb: float,
    paper: SuiteConfig,
    replay_mb: float = 0.0,
) -> dict:
    resources = getattr(paper.resources, rule)
    projected_minutes = projected_seconds / 60
    name = job.rows or job.algo
    kind = f"{job.task}/{name}" + (" untrained" if job.untrained else "")
    return {
        "job": f"{rule} {kind}",
        "rule": rule,
        "task": job.task,
        "algo": name,
        "seeds": " ".join(map(str, job.seeds)),
        "unit": unit,
        "units_timed": units_timed,
        "measured_seconds_per_unit": per_unit,
        "fixed_seconds": fixed,
        "paper_units": paper_units,
        "paper_seeds": paper_seeds,
        "paper_jobs": paper_jobs,
        "threads": resources.threads,
        "projected_minutes": projected_minutes,
        "requested_minutes": ask_minutes(resources, projected_minutes, paper_seeds),
        "peak_mb": peak_mb,
        "replay_mb": replay_mb,
        "projected_mb": projected_mb,
        "requested_mb": ask_mb(resources, projected_mb, rule, paper_seeds),
    }


def earlier_tables(results: str | Path) -> list[Path]:
    """The earlier rehearsals' cost tables kept in a rehearsal results folder."""
    return sorted((Path(results) / EARLIER).glob("cost-*.csv"))


def on_record(table: pd.DataFrame, earlier: list[pd.DataFrame], paper: SuiteConfig) -> pd.DataFrame:
    """`table` (one rehearsal's rows, each asking from its own projection) with each job's largest
    projected minutes and MB over it and the `earlier` tables (a job missing from them keeps its
    own), and the requests `paper.yaml` makes from those."""
    table = table.copy()
    for column in ("projected_minutes", "projected_mb"):
        largest = pd.concat([table, *earlier])[["job", column]].groupby("job")[column].max()
        table[f"{column}_on_record"] = table["job"].map(largest)
    for i, row in table.iterrows():
        resources = getattr(paper.resources, row["rule"])
        seeds = int(row["paper_seeds"])
        table.loc[i, "requested_minutes"] = ask_minutes(resources, row["projected_minutes_on_record"], seeds)
        table.loc[i, "requested_mb"] = ask_mb(resources, row["projected_mb_on_record"], row["rule"], seeds)
    return table.astype({"requested_minutes": int, "requested_mb": int})


def cost_table(results: str | Path, cfg: SuiteConfig, paper: SuiteConfig) -> pd.DataFrame:
    """Every battle and paper-B job of a rehearsal results folder, measured and projected, with its
    projection on record and its requests (module doc)."""
    results = Path(results)
    rows = battle_training_rows(results, cfg, paper) + evaluation_rows(results, cfg, paper)
    rows += semi_cooperative_rows(results, cfg, paper)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if "on_record" not in c])
    return on_record(table, [pd.read_csv(path) for path in earlier_tables(results)], paper)[COLUMNS]


def write_cost_table(results: str | Path, cfg: SuiteConfig, paper: SuiteConfig) -> pd.DataFrame:
    """results/<rehearsal>/cost.csv, .md and .html (the report shows the page)."""
    from replication import io
    from replication.analysis.html import table_page

    table = cost_table(results, cfg, paper)
    folder = Path(results)
    io.write_csv(folder / COST_FILE, table)
    io.write_text(folder / "cost.md", table.to_markdown(index=False, floatfmt=".4g") + "\n")
    io.write_text(folder / "cost.html", table_page("cost", table))
    return table


def paper_cost_summary(table: pd.DataFrame, node_cores: int = 16) -> pd.DataFrame:
    """The paper scale as the rehearsal projects it, per part and in all: jobs, CPU-hours (minutes ×
    threads × jobs), the longest job, and the wall time on one node of `node_cores` cores (CPU-hours ÷
    cores, never below the longest job) and on a cluster with a core for every job (the longest
    training job, then the longest evaluation, which needs every model)."""
    parts = {
        "battle training": table["rule"] == "battle_train",
        "battle evaluations": table["rule"].isin(EVALUATION_RULES),
        "paper B training": table["rule"] == "semi_cooperative_run",
    }
    rows = []
    for name, mask in [*parts.items(), ("all", table["rule"].notna())]:
        part = table[mask]
        cpu_hours = float((part["projected_minutes"] * part["threads"] * part["paper_jobs"]).sum() / 60)
        longest = float(part["projected_minutes"].max() / 60) if len(part) else 0.0
        evaluating = part["rule"].isin(EVALUATION_RULES)
        training, evaluation = part.loc[~evaluating, "projected_minutes"], part.loc[evaluating, "projected_minutes"]
        cluster = (training.max() if len(training) else 0.0) / 60 + (evaluation.max() if len(evaluation) else 0.0) / 60
        rows.append(
            {
                "part": name,
                "jobs": int(part["paper_jobs"].sum()),
                "cpu_hours": cpu_hours,
                "longest_job_hours": longest,
                f"node_{node_cores}_cores_hours": max(cpu_hours / node_cores, cluster),
                "cluster_hours": cluster,
                "requested_cpu_hours": float((part["requested_minutes"] * part["threads"] * part["paper_jobs"]).sum() / 60),
                "largest_request_mb": int(part["requested_mb"].max()) if len(part) else 0,
            }
        )
    return pd.DataFrame(rows)
