"""The battle cross-play tournament (paper A, Fig. 8), and every model against scripted teams, over the trained models of a results folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from replication import io
from replication.config import ConfigError, SuiteConfig
from replication.experiments import battle as battle_experiments

TOURNAMENT_FILE = Path("runs", "battle", "tournament.csv")
TOURNAMENT_PARTS = Path("runs", "battle", "tournament")   # rows_<algo>.csv: the pairings an algorithm's models lead


def part_file(algo: str) -> Path:
    return TOURNAMENT_PARTS / f"rows_{algo}.csv"


def find_models(results: str | Path, cfg: SuiteConfig) -> dict:
    """{(algo, seed): path of model.pt} for every configured algorithm and seed; an algorithm with no
    trained model is a one-line error."""
    models = {}
    for algo in cfg.battle.algorithms:
        found = {seed: Path(results, "runs", "battle", algo, f"seed{seed}", battle_experiments.FINAL_MODEL)
                 for seed in cfg.battle.seeds}
        found = {seed: path for seed, path in found.items() if path.exists()}
        if not found:
            raise ConfigError(f"tournament: algorithm {algo!r} has no trained model under {Path(results, 'runs', 'battle', algo)}; "
                              f"train it first (python -m replication run --task battle --algo {algo} ...)")
        models.update({(algo, seed): path for seed, path in found.items()})
    return models


SCRIPTED_FILE = Path("runs", "battle", "scripted.csv")


def load_models(results: str | Path, cfg: SuiteConfig, device: str = "cpu") -> dict:
    """Every trained model of the results folder, ready to play on `device`. They share one seeded
    acting stream (an actor-critic samples π from it), used in a fixed order, so evaluations are reproducible."""
    paths = find_models(results, cfg)
    env = battle_experiments.make_env(cfg.battle, 0)
    policy_rng = np.random.default_rng([0, 6])
    return {key: battle_experiments.load_model(path, key[0], cfg.battle, env, policy_rng, device) for key, path in paths.items()}


def _evaluate(results, cfg: SuiteConfig, play, file: Path, threads: int, progress: bool, device: str = "cpu") -> Path:
    torch.set_num_threads(threads)
    out = Path(results) / file
    io.write_csv(out, play(load_models(results, cfg, device), cfg.battle, seed=0, progress=progress))
    return out


def run_tournament(results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True,
                   rows: str | None = None, device: str = "cpu") -> Path:
    """Fig. 8's cross-play of every trained model pair → runs/battle/tournament.csv; with `rows`, only
    the pairings that algorithm's models lead → runs/battle/tournament/rows_<algo>.csv (a part)."""
    if rows is None:
        return _evaluate(results, cfg, battle_experiments.tournament, TOURNAMENT_FILE, threads, progress, device)
    if rows not in cfg.battle.algorithms:
        raise ConfigError(f"--rows: {rows!r} is not one of battle's algorithms ({', '.join(cfg.battle.algorithms)})")

    def part(models, battle, seed, progress):
        return battle_experiments.tournament(models, battle, seed, progress, row_algos=[rows])
    return _evaluate(results, cfg, part, part_file(rows), threads, progress, device)


def merge_tournament(results: str | Path, cfg: SuiteConfig) -> Path:
    """The parts (`run_tournament(rows=…)`), one per algorithm, concatenated in the whole tournament's
    order → runs/battle/tournament.csv; a missing part is a one-line error."""
    paths = [Path(results) / part_file(algo) for algo in sorted(cfg.battle.algorithms)]
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise ConfigError(f"tournament --merge: {missing[0]} is missing; play it first (tournament --rows ALGO)")
    out = Path(results) / TOURNAMENT_FILE
    io.write_csv(out, pd.concat([pd.read_csv(path) for path in paths], ignore_index=True))
    return out


def run_scripted_evaluation(results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True) -> Path:
    """Every trained model against the scripted teams → runs/battle/scripted.csv."""
    return _evaluate(results, cfg, battle_experiments.scripted_evaluation, SCRIPTED_FILE, threads, progress)
