"""The battle cross-play tournament (paper A, Fig. 8) over every trained model of a results folder."""

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


def run_tournament(results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True) -> Path:
    torch.set_num_threads(threads)
    paths = find_models(results, cfg)
    env = battle_experiments.make_env(cfg.battle, 0)
    policy_rng = np.random.default_rng([0, 6])  # the evaluation's acting stream, shared in a fixed order: reproducible
    models = {key: battle_experiments.load_model(path, key[0], cfg.battle, env, policy_rng) for key, path in paths.items()}
    matches = battle_experiments.tournament(models, cfg.battle, seed=0, progress=progress)
    out = Path(results) / TOURNAMENT_FILE
    io.write_csv(out, matches)
    return out
