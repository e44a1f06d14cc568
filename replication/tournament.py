"""The battle cross-play tournament (paper A, Fig. 8), and every model against scripted teams, over the trained models of a results folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from replication import io
from replication.config import ConfigError, SuiteConfig
from replication.experiments import battle as battle_experiments

TOURNAMENT_FILE = Path("runs", "battle", "tournament.csv")


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


def load_models(results: str | Path, cfg: SuiteConfig) -> dict:
    """Every trained model of the results folder, ready to play. They share one seeded acting stream
    (an actor-critic samples π from it), used in a fixed order, so evaluations are reproducible."""
    paths = find_models(results, cfg)
    env = battle_experiments.make_env(cfg.battle, 0)
    policy_rng = np.random.default_rng([0, 6])
    return {key: battle_experiments.load_model(path, key[0], cfg.battle, env, policy_rng) for key, path in paths.items()}


def _evaluate(results, cfg: SuiteConfig, play, file: Path, threads: int, progress: bool) -> Path:
    torch.set_num_threads(threads)
    out = Path(results) / file
    io.write_csv(out, play(load_models(results, cfg), cfg.battle, seed=0, progress=progress))
    return out


def run_tournament(results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True) -> Path:
    """Fig. 8's cross-play of every trained model pair → runs/battle/tournament.csv."""
    return _evaluate(results, cfg, battle_experiments.tournament, TOURNAMENT_FILE, threads, progress)


def run_scripted_evaluation(results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True) -> Path:
    """Every trained model against the scripted teams → runs/battle/scripted.csv."""
    return _evaluate(results, cfg, battle_experiments.scripted_evaluation, SCRIPTED_FILE, threads, progress)
