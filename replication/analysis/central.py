"""The central scale's ledger (workflow/config/central.yaml; issue 40): its jobs in the order they
run, which are done, what each cost against what was projected for it, and what runs next.

`python -m replication progress --results results/central --config ...` writes, from the runs there:
- `progress.md`: jobs done of the total, CPU-hours spent against projected, and the next jobs;
- `calibration.csv`: per finished job its measured wall time and peak memory beside its
  projection, scaled to one seed, and their ratio.

Projections, per seed: battle (8 v 8) from the battle pilot's largest budget (results/pilot/battle:
each learner's seconds for its pilot seeds, per seed and round, × the protocol's rounds; the
evaluations from the pilot's tournament and scripted seconds grown with their pairings and
models); paper B from the committed rehearsal (results/rehearsal/cost.csv: the job's projected
minutes for its paper seeds, per seed, and its projected peak memory, which holds a five-seed job's
replay, so an upper bound for one seed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from replication import io
from replication.config import SuiteConfig

ROOT = Path(__file__).resolve().parents[2]
FAMILY_ORDER = ("battle", "resource_sharing", "pursuit")  # the order the central jobs run in (issue 40)
EVALUATIONS = ("tournament", "scripted")


@dataclass(frozen=True)
class CentralJob:
    """One job of the central scale: its name, family, the output that marks it done (relative to
    the results folder), the provenance files that time it, and its projection per seed."""

    name: str
    family: str
    done_file: str
    provenance: tuple[str, ...]
    projected_minutes: float
    projected_mb: float
    basis: str


def _battle_pilot(root: Path) -> tuple[pd.Series, int, int]:
    """The battle pilot's largest budget: seconds per job, its seeds and rounds."""
    timing = pd.read_csv(root / "results" / "pilot" / "battle" / "timing.csv")
    budget = int(timing["budget"].max())
    rows = timing[timing["budget"] == budget].set_index("job")
    return rows["seconds"], int(rows["seeds"].iloc[0]), budget


def _pairings(algos: list[str], seeds: int) -> int:
    from replication.experiments.battle import seed_pairs

    return len(seed_pairs([(algo, seed) for algo in algos for seed in range(seeds)]))


def central_jobs(cfg: SuiteConfig, root: Path = ROOT) -> list[CentralJob]:
    """Every job of the central scale, in the order they run: battle's trainings, its evaluations
    (trained and untrained), then resource sharing's and pursuit's learners, one seed a job."""
    jobs = []
    seconds, pilot_seeds, budget = _battle_pilot(root)
    algos, seeds = list(cfg.battle.algorithms), list(cfg.battle.seeds)
    basis = f"battle pilot, {budget} rounds × {pilot_seeds} seeds (results/pilot/battle/timing.csv)"
    for algo in algos:
        for seed in seeds:
            run = f"runs/battle/{algo}/seed{seed}"
            jobs.append(
                CentralJob(
                    f"battle {algo} seed {seed}",
                    "battle",
                    f"{run}/provenance.json",  # metrics.csv grows while a run trains: provenance says it is done
                    (f"{run}/provenance.json",),
                    seconds[algo] / (pilot_seeds * budget) * cfg.battle.rounds / 60,
                    np.nan,
                    basis,
                )
            )
    grow = _pairings(algos, len(seeds)) / _pairings(algos, pilot_seeds)
    for untrained in (False, True):
        suffix = "_untrained" if untrained else ""
        for algo in algos:
            jobs.append(
                CentralJob(
                    f"battle tournament{suffix} rows {algo}",
                    "battle",
                    f"runs/battle/tournament{suffix}/rows_{algo}.csv",
                    (),
                    seconds["tournament"] * grow / len(algos) / 60,
                    np.nan,
                    basis,
                )
            )
        jobs.append(
            CentralJob(
                f"battle scripted{suffix}",
                "battle",
                f"runs/battle/scripted{suffix}.csv",
                (),
                seconds["scripted"] * len(seeds) / pilot_seeds / 60,
                np.nan,
                basis,
            )
        )
    if cfg.paired_evaluations:  # the null model's scripted rounds (as long as the scripted evaluation), the evidence files
        jobs.append(
            CentralJob(
                "battle scripted null model",
                "battle",
                "runs/battle/scripted_null.csv",
                (),
                seconds["scripted"] * len(seeds) / pilot_seeds / 60,
                np.nan,
                basis,
            )
        )
        jobs.append(
            CentralJob(
                "battle paired evaluations",
                "battle",
                f"runs/battle/{algos[-1]}/seed{seeds[-1]}/evidence.csv",
                (),
                np.nan,
                np.nan,
                "not projected: reads the three scripted evaluations",
            )
        )
    costs = pd.read_csv(root / "results" / "rehearsal" / "cost.csv")
    for task in FAMILY_ORDER[1:]:
        for algo in getattr(cfg, task).algorithms:
            row = costs[(costs["task"] == task) & (costs["algo"] == algo)].iloc[0]
            for seed in cfg.seeds:
                run = f"runs/{task}/{algo}/seed{seed}"
                jobs.append(
                    CentralJob(
                        f"{task} {algo} seed {seed}",
                        task,
                        f"{run}/provenance.json",
                        (f"{run}/provenance.json",),
                        row["projected_minutes_on_record"] / row["paper_seeds"],
                        row["projected_mb_on_record"],
                        "rehearsal (results/rehearsal/cost.csv, on record)",
                    )
                )
                if cfg.paired_evaluations and algo != "random":
                    jobs.append(
                        CentralJob(
                            f"{task} {algo} seed {seed} paired evaluation",
                            task,
                            f"{run}/evidence.csv",
                            (),
                            np.nan,
                            np.nan,
                            "not projected: three policies' evaluation episodes",
                        )
                    )
    return jobs


def _measured(results: Path, job: CentralJob) -> tuple[float, float]:
    """A finished job's wall minutes and peak MB from its provenance (NaN where it keeps none)."""
    minutes, peak = [], []
    for name in job.provenance:
        path = results / name
        if path.is_file():
            record = json.loads(path.read_text())
            minutes.append(record["wall_seconds"] / 60)
            peak.append(record.get("max_rss_mb", np.nan))
    return (float(sum(minutes)), float(max(peak))) if minutes else (np.nan, np.nan)


def ledger(results: str | Path, cfg: SuiteConfig, root: Path = ROOT) -> pd.DataFrame:
    """One row per central job: done or not, measured and projected minutes and MB, their ratio."""
    results = Path(results)
    rows = []
    for order, job in enumerate(central_jobs(cfg, root)):
        done = (results / job.done_file).is_file()
        minutes, peak = _measured(results, job) if done else (np.nan, np.nan)
        # a training job with a checkpoint and no provenance yet has started (here, or in a kept work tree)
        started = not done and any((results / name).parent.joinpath("checkpoint.pt").is_file() for name in job.provenance)
        rows.append(
            {
                "order": order,
                "job": job.name,
                "family": job.family,
                "done": done,
                "started": started,
                "measured_minutes": minutes,
                "projected_minutes": job.projected_minutes,
                "minutes_ratio": minutes / job.projected_minutes,
                "measured_mb": peak,
                "projected_mb": job.projected_mb,
                "mb_ratio": peak / job.projected_mb,
                "basis": job.basis,
            }
        )
    return pd.DataFrame(rows)


def progress_page(table: pd.DataFrame, cfg: SuiteConfig, next_jobs: int = 4) -> str:
    """progress.md: done of total (per family), CPU-hours spent against projected, what runs next."""
    done = table[table["done"]]
    lines = [
        "# Central scale: progress",
        "",
        "Generated by `python -m replication progress` from the runs under `results/central/runs/`; "
        "a job counts once its output is committed here.",
        "",
        f"**{len(done)} of {len(table)} jobs done.**",
        "",
        "| family | jobs done | CPU-hours spent | projected for those jobs | projected for all its jobs |",
        "|---|---|---|---|---|",
    ]
    for family in FAMILY_ORDER:
        rows = table[table["family"] == family]
        finished = rows[rows["done"]]
        spent = finished["measured_minutes"].sum() / 60
        lines.append(
            f"| {family} | {len(finished)} of {len(rows)} | {spent:.2f} | "
            f"{finished['projected_minutes'].sum() / 60:.2f} | {rows['projected_minutes'].sum() / 60:.2f} |"
        )
    spent = done["measured_minutes"].sum() / 60
    lines += [
        "",
        f"In all: {spent:.2f} CPU-hours spent on the finished jobs, projected {done['projected_minutes'].sum() / 60:.2f} "
        f"for them; {table['projected_minutes'].sum() / 60:.1f} projected for every job (one core a job).",
        "",
    ]
    started = table[table["started"]]
    waiting = table[~table["done"] & ~table["started"]].head(next_jobs)
    if len(started):
        lines += ["Started (a checkpoint in the work tree): " + "; ".join(r.job for r in started.itertuples()) + ".", ""]
    if len(waiting):
        lines += [
            "Next, in order: " + "; ".join(f"{r.job} (≈ {r.projected_minutes:.0f} min)" for r in waiting.itertuples()) + ".",
            "",
        ]
    elif not len(started):
        lines += ["Every job is done.", ""]
    return "\n".join(lines)


def calibration_figure(table: pd.DataFrame, path: Path) -> None:
    """Each finished job's measured wall minutes against its projection, per family, with the line
    of equality and the 1.5× band either side (where the projection method must be fixed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["done"]]
    fig, axis = plt.subplots(figsize=(5.5, 5))
    for family, rows in done.groupby("family", sort=False):
        axis.scatter(rows["projected_minutes"], rows["measured_minutes"], label=family, s=25)
    top = max(1.0, float(done[["projected_minutes", "measured_minutes"]].max().max()) if len(done) else 1.0) * 1.2
    line = np.array([0.0, top])
    axis.plot(line, line, color="k", linewidth=1, label="measured = projected")
    for factor in (1.5, 1 / 1.5):
        axis.plot(line, line * factor, color="grey", linestyle="--", linewidth=1)
    axis.set(xlim=(0, top), ylim=(0, top), xlabel="projected minutes (one seed)", ylabel="measured wall minutes")
    axis.set_title(f"Central scale: {len(done)} finished jobs against their projection\n(dashed: 1.5× either way)", fontsize=9)
    axis.legend(fontsize=8)
    fig.tight_layout()
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def write_progress(results: str | Path, cfg: SuiteConfig, root: Path = ROOT) -> pd.DataFrame:
    """progress.md, calibration.csv and calibration.png under `results`; returns the ledger."""
    table = ledger(results, cfg, root)
    io.write_text(Path(results) / "progress.md", progress_page(table, cfg))
    calibration_figure(table, Path(results) / "calibration.png")
    io.write_csv(Path(results) / "calibration.csv", table[table["done"]].drop(columns=["done", "started", "order"]))
    return table
