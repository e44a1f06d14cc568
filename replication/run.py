"""Run one experiment (task × algorithm × seed) and write its outputs atomically.

Output folder: metrics.csv (tidy long form), config.yaml (the resolved config of this run),
provenance.json, and task-specific artefacts (spins.npz for the Ising sweep; checkpoint.pt and
model.pt for battle; checkpoint.pt for paper B's tasks).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from replication import checkpoints, io
from replication.config import ConfigError, SuiteConfig, config_hash, run_config
from replication.experiments import battle as battle_experiments
from replication.experiments import gaussian_squeeze as gs_experiments
from replication.experiments import ising as ising_experiments
from replication.experiments import semi_cooperative as semi_cooperative_experiments
from replication.live import LiveLog, check_tensorboard, tensorboard_requested, tidy_metrics
from replication.provenance import Provenance, to_json
from replication.registry import SEMI_COOPERATIVE_TASKS, TASKS, algorithms_of

LIVE_TASKS = {"battle", *SEMI_COOPERATIVE_TASKS}  # the long trainings: their metrics.csv grows as they go
TORCH_TASKS = {"gaussian_squeeze", "battle", *SEMI_COOPERATIVE_TASKS}
SWEEP_TASKS = ("ising", "gaussian_squeeze")  # keep each finished τ or N under partial/ until the run ends


def resolve_device(device: str) -> str:
    """auto → cuda when a GPU is visible, else cpu; cuda without a GPU is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device: cuda was asked for but torch sees no GPU; use --device auto or cpu")
    return device


def check_request(task: str, algo: str, seed: int) -> None:
    """Reject an unknown task, an algorithm the task does not have, or a negative seed."""
    if task not in TASKS:
        raise ConfigError(f"--task: {task!r} is not a task; choose one of {', '.join(TASKS)}")
    if algo not in algorithms_of(task):
        raise ConfigError(f"--algo: {algo!r} is not an algorithm of task {task}; choose one of {', '.join(algorithms_of(task))}")
    if seed < 0:
        raise ConfigError(f"--seed: must be non-negative, got {seed}")


def partial_folder(out: Path, resolved: dict, stale: checkpoints.Stale) -> Path:
    """out/partial, where the sweeps keep each finished N or τ so that a killed run resumes. It is
    stamped with the run's config hash; results made with other settings are never reused."""
    partial, stamp = out / "partial", config_hash(resolved)
    marker = partial / "config_hash"
    if partial.exists() and (not marker.exists() or marker.read_text() != stamp):
        err = checkpoints.CheckpointError(
            f"{partial}: partial results made with other settings than this run's", "delete it to train afresh"
        )
        checkpoints.discard_stale(partial, err, stale)
    io.write_text(marker, stamp)
    return partial


def run(
    task: str,
    algo: str,
    seed: int,
    cfg: SuiteConfig,
    out: str | Path,
    threads: int = 1,
    device: str = "cpu",
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    tensorboard: bool = False,
) -> Path:
    """One run into `out`; battle's and paper B's rewrite metrics.csv as they train (`live.LiveLog`,
    with TensorBoard scalars when `tensorboard` or REPLICATION_TENSORBOARD asks for them)."""
    check_request(task, algo, seed)
    out = Path(out)
    tensorboard = tensorboard_requested(tensorboard)
    if tensorboard:
        check_tensorboard()
    if task in TORCH_TASKS:
        import torch

        torch.set_num_threads(threads)
    device = resolve_device(device) if task == "battle" else "cpu"  # the other tasks' networks are tiny
    resolved = run_config(cfg, task, algo, seed)
    provenance = Provenance(seed, resolved, threads, device)
    partial = partial_folder(out, resolved, stale) if task in SWEEP_TASKS else None
    live = LiveLog(out, task, algo, seed, tensorboard) if task in LIVE_TASKS else None
    if task == "battle":
        metrics = battle_experiments.train(algo, seed, cfg.battle, out, device, progress, stale, live=live)
    elif task in SEMI_COOPERATIVE_TASKS:
        metrics = semi_cooperative_experiments.train(task, algo, seed, cfg, out, progress, stale, live=live)
    elif task == "gaussian_squeeze":
        metrics = gs_experiments.run_sweep(algo, seed, cfg.gaussian_squeeze, partial, progress)
    elif task == "ising":
        metrics, spin_maps = ising_experiments.run_sweep(algo, seed, cfg.ising, partial, progress)
        with io.atomic_path(out / "spins.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **spin_maps)
    else:  # ising_toy
        metrics = ising_experiments.run_toy(seed, cfg.ising_toy, progress, algo)
    write_run(out, task, algo, seed, metrics, resolved, provenance)
    if live is not None:
        live.close()
    if partial is not None:
        shutil.rmtree(partial, ignore_errors=True)
    return out


def write_run(out: Path, task: str, algo: str, seed: int, metrics, resolved: dict, provenance: Provenance) -> None:
    """A run's outputs: metrics.csv (tidy, the run's keys first), config.yaml, provenance.json (with
    the run's resumes, where its trainer recorded them in `metrics.attrs["resumed"]`)."""
    resumed = metrics.attrs.get("resumed")
    metrics = tidy_metrics(metrics, task, algo, seed)
    io.write_yaml(out / "config.yaml", resolved)
    io.write_csv(out / "metrics.csv", metrics)
    io.write_text(
        out / "provenance.json", to_json(provenance.finish(rows=len(metrics), **({"resumed": resumed} if resumed else {})))
    )


def run_seeds(
    task: str,
    algo: str,
    seeds: list[int],
    cfg: SuiteConfig,
    out: str,
    threads: int = 1,
    device: str = "cpu",
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    tensorboard: bool = False,
) -> list[Path]:
    """Several seeds of one learner trained in one process: a paper-B learner's
    (`semi_cooperative.train_seeds`) or a battle algorithm's (`battle.train_seeds`). Each seed's
    outputs go to `out` with `{seed}` filled in; each seed's metrics.csv grows as it trains."""
    for seed in seeds:
        check_request(task, algo, seed)
    if task not in (*SEMI_COOPERATIVE_TASKS, "battle"):
        raise ConfigError(
            f"--seed: several seeds in one job are for battle and paper B's tasks "
            f"({', '.join(SEMI_COOPERATIVE_TASKS)}); run {task} one seed at a time"
        )
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seed: duplicate seeds in {seeds}")
    if "{seed}" not in out:
        raise ConfigError(
            f"--out: with several seeds it must hold {{seed}}, e.g. results/default/runs/{task}/{algo}/seed{{seed}}; got {out}"
        )
    tensorboard = tensorboard_requested(tensorboard)
    if tensorboard:
        check_tensorboard()
    import torch

    torch.set_num_threads(threads)
    device = resolve_device(device) if task == "battle" else "cpu"
    outs = [Path(out.format(seed=seed)) for seed in seeds]
    lives = [LiveLog(out_k, task, algo, seed, tensorboard) for out_k, seed in zip(outs, seeds)]
    resolved = [run_config(cfg, task, algo, seed) for seed in seeds]
    provenances = [Provenance(seed, config, threads, device) for seed, config in zip(seeds, resolved)]
    if task == "battle":
        all_metrics = battle_experiments.train_seeds(algo, seeds, cfg.battle, outs, device, progress, stale, lives=lives)
    else:
        all_metrics = semi_cooperative_experiments.train_seeds(task, algo, seeds, cfg, outs, progress, stale, lives=lives)
    for out_k, seed, metrics, config, provenance in zip(outs, seeds, all_metrics, resolved, provenances):
        write_run(out_k, task, algo, seed, metrics, config, provenance)
    for live in lives:
        live.close()
    return outs
