"""What it would take: the cost of the scale a claim needs, read from the benchmarks.

A claim that is inconclusive because its runs were made at a smaller scale than it needs
(`min_scale`) gets the jobs that scale means for it: the runs its measure reads (its algorithms ×
the scale's seeds), and for battle's Fig. 8 claims the tournament over every trained model. Each
job is costed from the benchmark files `results/bench/<task>[-<anything>].csv` that
`python -m replication bench <task>` writes; they time the pieces at the papers' settings, so only
the paper scale can be costed. Nothing here is typed in: a job without a benchmark row has no cost,
and the claim says which bench to run.

- battle training job (`battle.seeds_per_job` seeds side by side in one process,
  `experiments/battle.py` `train_seeds`): rounds × seeds × the bench's seconds per seed-round of a job
  of that size (`round_seconds` for one seed, `seed_round_seconds_k<K>` for K, and
  `seed_round_seconds_k<K>_stacked` with `battle.stacked_update` for the learners it stacks);
- battle tournament, one job per row algorithm (the pipeline plays it in parts): for every seed
  pairing that algorithm's models lead, tournament_rounds × max_steps steps, each at the mean of the
  two algorithms' seconds per acting step (`acting_steps_per_second`); every round is taken to last
  max_steps, so this is an upper bound;
- paper-B job (`seeds_per_job` seeds trained in one process, `experiments/seed_group.py`): per
  seed, steps / the seed-steps/s of a group of that size (`seed_steps_per_second_k<K>`;
  `training_steps_per_second` for one seed) plus its evaluation steps (steps // eval_every ×
  eval_episodes × episode_length, an upper bound) / `evaluation_steps_per_second`.

Reported per claim: CPU-hours (seconds × the bench's threads), the wall time on a CPU cluster with a
core for every job (the longest training run, then the longest part of the tournament, which needs
every model), and
the hours on one GPU node where a benchmark with device cuda exists (every job one after another:
an upper bound, since a node runs several at once).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from replication.config import STACKABLE, SuiteConfig

BENCHED_SCALE = "paper"  # the benches time the papers' settings (replication.bench.paper_settings)


def load_benches(folder: str | Path) -> pd.DataFrame:
    """Every benchmark row under `folder`: columns task (the file name up to its first '-'), file,
    device (cpu where the file has none), threads, cpu, algo, measure, value."""
    frames = []
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path)
        if not {"measure", "algo", "value"} <= set(frame.columns):
            continue
        frame = frame.assign(task=path.stem.split("-")[0], file=str(path))
        if "device" not in frame.columns:
            frame["device"] = "cpu"
        frames.append(frame)
    columns = ["task", "file", "device", "threads", "cpu", "algo", "measure", "value"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class Job:
    """One job of a scale: training runs of the seeds trained together in one process (task, algo,
    seeds), or the part of battle's tournament that one algorithm's models lead (algo "tournament", rows)."""

    task: str
    algo: str
    seeds: tuple[int, ...] = ()
    rows: str = ""
    untrained: bool = False  # battle's evaluations over the networks untrained (the audit's control)

    @property
    def kind(self) -> str:
        return self.algo if self.algo in ("tournament", "scripted") else "training"


def claim_jobs(task: str, algos: list[str], reads_tournament: bool, cfg: SuiteConfig) -> list[Job]:
    """The jobs a claim's value needs at the scale of `cfg`: each algorithm's runs over the scale's
    seeds, and where the measure reads the tournament, the tournament and every model it plays."""
    from replication.experiments.seed_group import seed_jobs

    family = "battle" if task == "battle" else "semi_cooperative"
    if reads_tournament:
        algos = [*algos, *cfg.battle.algorithms]
    jobs = [Job(task, algo, seeds=seeds) for algo in dict.fromkeys(algos) for seeds in seed_jobs(algo, cfg, family)]
    if task != "battle":
        return jobs
    return jobs + ([Job(task, "tournament", rows=algo) for algo in sorted(cfg.battle.algorithms)] if reads_tournament else [])


def _rate(bench: pd.DataFrame, task: str, algo: str, measure: str, device: str) -> tuple[float, int] | None:
    """A bench value and its threads (the first file that has it), or None."""
    rows = bench[(bench["task"] == task) & (bench["algo"] == algo) & (bench["measure"] == measure) & (bench["device"] == device)]
    return None if rows.empty else (float(rows["value"].iloc[0]), int(rows["threads"].iloc[0]))


def job_seconds(job: Job, cfg: SuiteConfig, bench: pd.DataFrame, device: str) -> tuple[float, int] | str:
    """(seconds, threads) of one job on the bench's machine, or the missing bench row as text."""
    if job.kind == "scripted":
        return "battle scripted evaluation (no bench times it)"
    if job.task == "battle":
        battle = cfg.battle
        if job.kind == "training":
            n_seeds = len(job.seeds)
            measure = "round_seconds" if n_seeds == 1 else f"seed_round_seconds_k{n_seeds}"
            if n_seeds > 1 and battle.stacked_update and job.algo in STACKABLE:
                measure += "_stacked"
            found = _rate(bench, "battle", job.algo, measure, device)
            return (battle.rounds * n_seeds * found[0], found[1]) if found else f"battle {job.algo} {measure}"
        from replication.experiments.battle import seed_pairs

        pairs = [
            pair
            for pair in seed_pairs([(algo, seed) for algo in battle.algorithms for seed in battle.seeds])
            if pair[0][0] == job.rows
        ]
        rates = {algo: _rate(bench, "battle", algo, "acting_steps_per_second", device) for algo in battle.algorithms}
        missing = [algo for algo, found in rates.items() if found is None]
        if missing:
            return f"battle {', '.join(missing)} acting_steps_per_second"
        per_step = {algo: 1 / found[0] for algo, found in rates.items()}
        steps = battle.tournament_rounds * battle.max_steps
        return (
            sum(steps * (per_step[a] + per_step[b]) / 2 for (a, _), (b, _) in pairs),
            max(found[1] for found in rates.values()),
        )
    schedule, n_seeds = getattr(cfg, job.task).for_algo(job.algo), len(job.seeds)
    rates = {
        "training": "training_steps_per_second" if n_seeds == 1 else f"seed_steps_per_second_k{n_seeds}",
        "evaluation": "evaluation_steps_per_second",
    }
    found = {which: _rate(bench, job.task, job.algo, measure, device) for which, measure in rates.items()}
    for which, measure in rates.items():
        if found[which] is None:
            return f"{job.task} {job.algo} {measure}"
    eval_steps = schedule.steps // schedule.eval_every * schedule.eval_episodes * schedule.episode_length
    per_seed = schedule.steps / found["training"][0] + eval_steps / found["evaluation"][0]
    return n_seeds * per_seed, found["training"][1]


MEASURED_COSTS = Path("results", "rehearsal", "cost.csv")  # analysis/rehearsal.py: the rehearsal's jobs, projected


def load_measured(path: str | Path = MEASURED_COSTS) -> pd.DataFrame:
    """The rehearsal's cost table (empty where it was never made)."""
    return pd.read_csv(path) if Path(path).exists() else pd.DataFrame(columns=["job", "rule", "task", "algo"])


def measured_projection(
    job: Job, rule: str, cfg: SuiteConfig, measured: pd.DataFrame | None, device: str = "cpu"
) -> tuple[float, float] | None:
    """(minutes, MB) of a paper-scale job as the rehearsals on record project them (the cost table's
    row for the same rule, task and algorithm, or tournament part: its largest projection over the
    rehearsal and the earlier ones kept beside it), scaled to the job's seeds for a training job;
    None for another scale or device (the rehearsal ran on CPU), or a job the rehearsal did not run."""
    if cfg.scale != BENCHED_SCALE or device != "cpu" or measured is None or measured.empty:
        return None
    name = job.rows or job.algo
    rows = measured[
        (measured["rule"] == rule)
        & (measured["task"] == job.task)
        & (measured["algo"] == name)
        & (measured["job"].str.endswith(" untrained") == job.untrained)
    ]
    if rows.empty:
        return None
    row = rows.iloc[0]
    seeds = len(job.seeds) / row["paper_seeds"] if job.kind == "training" and row["paper_seeds"] > 0 else 1.0
    # a table without the columns on record (one rehearsal) is its own record
    minutes, mb = (float(row.get(f"{column}_on_record", row[column])) for column in ("projected_minutes", "projected_mb"))
    return minutes * seeds, mb * seeds


def _ask(typed: int, safety: float, projected: float | None, multiple: int) -> int:
    """With `safety` > 0 and a projection, ⌈projection × safety⌉ (never below the projection); else
    the typed value × `multiple` (its seeds, where the typed value is per seed)."""
    if safety <= 0 or projected is None or np.isnan(projected):
        return typed * max(1, multiple)
    return math.ceil(projected * max(1.0, safety))


def ask_minutes(resources, projected_minutes: float | None, seeds: int = 1) -> int:
    """Minutes a job asks for: `runtime_safety` × its projection, or the typed `runtime` (per seed)."""
    return _ask(resources.runtime, resources.runtime_safety, projected_minutes, seeds)


# rules whose typed `mem_mb` is per seed (each battle seed its own replay ring); elsewhere per job
MEMORY_PER_SEED = ("battle_train",)


def ask_mb(resources, projected_mb: float | None, rule: str, seeds: int = 1) -> int:
    """Memory a job asks for: `mem_safety` × its projection, or the typed `mem_mb` (per seed for the
    rules of MEMORY_PER_SEED, per job elsewhere)."""
    return _ask(resources.mem_mb, resources.mem_safety, projected_mb, seeds if rule in MEMORY_PER_SEED else 1)


def projected_minutes(
    job: Job, rule: str, cfg: SuiteConfig, bench: pd.DataFrame, measured: pd.DataFrame | None, device: str = "cpu"
) -> float | None:
    """A job's projected minutes: the rehearsal's measurement where it has the job (it includes the
    evaluations and checkpoints a run makes), else the benchmarks' (`job_seconds`), else None."""
    found = measured_projection(job, rule, cfg, measured, device)
    if found is not None:
        return found[0]
    benched = job_seconds(job, cfg, bench, device)
    return None if isinstance(benched, str) else benched[0] / 60


_UNPROJECTED: set = set()  # (rule, task, algorithm) already noted


def note_unprojected(resources, job: Job, rule: str, found) -> None:
    """Say once, on stderr, that a job its rule sizes from the rehearsal (`runtime_safety` set) has
    no projection on record, so it asks for the typed `runtime` and `mem_mb`: a newly registered
    algorithm until the rehearsal is run again (docs/extending.md)."""
    key = (rule, job.task, job.rows or job.algo, job.untrained)
    if found is not None or resources.runtime_safety <= 0 or key in _UNPROJECTED:
        return
    _UNPROJECTED.add(key)
    print(
        f"note: {rule} {job.task}/{job.rows or job.algo}{' (untrained)' if job.untrained else ''} has no rehearsal "
        f"projection ({MEASURED_COSTS}); it asks for the typed runtime {resources.runtime} min and {resources.mem_mb} MB "
        "(per seed where the rule's are); run the rehearsal again to measure it",
        file=sys.stderr,
    )


def requested_minutes(
    resources,
    job: Job,
    cfg: SuiteConfig,
    bench: pd.DataFrame,
    device: str = "cpu",
    rule: str = "",
    measured: pd.DataFrame | None = None,
) -> int:
    """The runtime a job asks the scheduler for, in minutes (`ask_minutes` of `projected_minutes`);
    a job its rule sizes from the rehearsal that has no projection there is noted (`note_unprojected`)."""
    note_unprojected(resources, job, rule, measured_projection(job, rule, cfg, measured, device))
    return ask_minutes(resources, projected_minutes(job, rule, cfg, bench, measured, device), len(job.seeds))


def requested_mb(resources, job: Job, cfg: SuiteConfig, rule: str, measured: pd.DataFrame | None, device: str = "cpu") -> int:
    """The memory a job asks the scheduler for, in MB: `ask_mb` of the rehearsal's projection."""
    found = measured_projection(job, rule, cfg, measured, device)
    return ask_mb(resources, None if found is None else found[1], rule, len(job.seeds))


COST_COLUMNS = ("cost_cpu_hours", "cost_cluster_hours", "cost_gpu_node_hours", "cost_basis")


def job_rule(job: Job) -> str:
    """The workflow rule that runs a job (the rehearsal's cost table names its rows by it)."""
    if job.task == "battle":
        return {"training": "battle_train", "tournament": "battle_tournament"}.get(job.kind, "battle_scripted")
    return "semi_cooperative_run"


def projected_job_seconds(
    job: Job, cfg: SuiteConfig, bench: pd.DataFrame, device: str, measured: pd.DataFrame | None
) -> tuple[float, int] | str:
    """(seconds, threads) of one job: the rehearsal's projection on record where it has the job
    (the one projection the cluster requests come from too), else the benchmarks' (`job_seconds`)."""
    rule = job_rule(job)
    found = measured_projection(job, rule, cfg, measured, device)
    if found is not None:
        return found[0] * 60, getattr(cfg.resources, rule).threads
    return job_seconds(job, cfg, bench, device)


def jobs_cost(jobs: list[Job], cfg: SuiteConfig, bench: pd.DataFrame, measured: pd.DataFrame | None = None) -> dict:
    """CPU-hours, CPU-cluster wall hours and GPU-node hours of a set of jobs, and a line saying
    what they are and where their times come from: the rehearsal's projection on record
    (`measured`, as the cluster requests) where it has a job, else the benchmarks (or which bench
    row is missing). The GPU node's are the benchmarks' (the rehearsal ran on CPU)."""
    cost = dict.fromkeys(COST_COLUMNS[:3], np.nan)
    cpu = [projected_job_seconds(job, cfg, bench, "cpu", measured) for job in jobs]
    gaps = sorted({found for found in cpu if isinstance(found, str)})
    if not gaps:
        training = [seconds for job, (seconds, _) in zip(jobs, cpu) if job.kind == "training"]
        tournament = [seconds for job, (seconds, _) in zip(jobs, cpu) if job.kind == "tournament"]
        cost["cost_cpu_hours"] = sum(seconds * threads for seconds, threads in cpu) / 3600
        cost["cost_cluster_hours"] = (max(training, default=0) + max(tournament, default=0)) / 3600
    gpu = [job_seconds(job, cfg, bench, "cuda") for job in jobs]
    if not any(isinstance(found, str) for found in gpu):
        cost["cost_gpu_node_hours"] = sum(seconds for seconds, _ in gpu) / 3600
    rehearsed = [job for job in jobs if measured_projection(job, job_rule(job), cfg, measured) is not None]
    benched = bench[bench["task"].isin({job.task for job in jobs if job not in rehearsed})] if len(bench) else bench
    cost["cost_basis"] = _basis(jobs, cfg, benched, gaps) + (
        f"; {len(rehearsed)} of {len(jobs)} jobs from the rehearsal's projection ({MEASURED_COSTS})" if rehearsed else ""
    )
    return cost


def _basis(jobs: list[Job], cfg: SuiteConfig, bench: pd.DataFrame, gaps: list[str]) -> str:
    """What the jobs are and which benchmark files time them (or which rows are missing)."""
    parts = []
    for task in dict.fromkeys(job.task for job in jobs):
        runs = [job for job in jobs if job.task == task and job.kind == "training"]
        length = f"{cfg.battle.rounds} rounds" if task == "battle" else f"{getattr(cfg, task).steps:,} steps"
        seeds = {seed for job in runs for seed in job.seeds}
        n_runs = sum(len(job.seeds) for job in runs)
        grouped = f", {len(runs)} jobs" if n_runs != len(runs) else ""
        parts.append(
            f"{n_runs} {task} runs ({', '.join(dict.fromkeys(job.algo for job in runs))}; {len(seeds)} seeds × {length}{grouped})"
        )
        if any(job.task == task and job.kind == "tournament" for job in jobs):
            battle = cfg.battle
            parts.append(
                f"the tournament ({len(battle.algorithms) * len(battle.seeds)} models, "
                f"{battle.tournament_rounds} rounds per pairing, {len(battle.algorithms)} jobs)"
            )
    files = sorted(set(bench.loc[bench["task"].isin({job.task for job in jobs}), "file"]))
    text = " + ".join(parts) + (f"; from {', '.join(Path(f).name for f in files)}" if files else "")
    return text + ("; no bench row " + ", ".join(gaps) if gaps else "")


def study_estimate(task: str, cfg: SuiteConfig, bench: pd.DataFrame, node_cores: int = 16) -> str:
    """One line: every learner of `task` but the null model (it takes no gradient step for the
    bench to time) over the config's seeds, grouped as its `seeds_per_job` says, costed from `bench`:
    CPU-hours and the wall time on a node of `node_cores` cores (CPU-hours ÷ cores, but never below
    the longest job), and from the bench's CUDA rows, the hours on one GPU node (the jobs' times summed)."""
    from replication.registry import SEMI_COOPERATIVE

    algos = [algo for algo in getattr(cfg, task).algorithms if algo != SEMI_COOPERATIVE.null]
    jobs = claim_jobs(task, algos, False, cfg)
    found = jobs_cost(jobs, cfg, bench)
    gpu = (
        ""
        if np.isnan(found["cost_gpu_node_hours"])
        else f"about {format_hours(found['cost_gpu_node_hours'])} on one GPU node, its jobs one after another"
    )
    if np.isnan(found["cost_cpu_hours"]):
        return f"{task} at this scale: {gpu + '; ' if gpu else ''}{found['cost_basis']}"
    node = max(found["cost_cpu_hours"] / node_cores, found["cost_cluster_hours"])
    return (
        f"{task} at this scale: {found['cost_cpu_hours']:.1f} CPU-hours, about {format_hours(node)} on one "
        f"{node_cores}-core node{', ' + gpu if gpu else ''} ({found['cost_basis']})"
    )


def format_hours(hours: float) -> str:
    return "–" if pd.isna(hours) else (f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min")
