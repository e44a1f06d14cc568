"""The battle cross-play tournament (paper A, Fig. 8), and every model against scripted teams, over
the trained models of a results folder; and both again over the same runs' networks untrained (their
initial weights, `experiments.battle.initial_model`), the audit's untrained-network control, in
files of their own (`…_untrained.csv`), played on the same maps with the same streams."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from replication import io
from replication.analysis.measures import evaluation_name
from replication.config import ConfigError, SuiteConfig
from replication.experiments import battle as battle_experiments
from replication.experiments import timing

TOURNAMENT_FILE = Path("runs", "battle", "tournament.csv")
TOURNAMENT_PARTS = Path("runs", "battle", "tournament")  # rows_<algo>.csv: the pairings an algorithm's models lead
SCRIPTED_FILE = Path("runs", "battle", "scripted.csv")


def evaluation_path(path: Path, untrained: bool = False) -> Path:
    """`path` (a file or folder under runs/battle), or its untrained networks' counterpart
    (`measures.evaluation_name`: tournament_untrained.csv, scripted_untrained.csv, …)."""
    return path.with_name(evaluation_name(path.stem, untrained) + path.suffix)


def part_file(algo: str, untrained: bool = False) -> Path:
    return evaluation_path(TOURNAMENT_PARTS, untrained) / f"rows_{algo}.csv"


def find_models(results: str | Path, cfg: SuiteConfig) -> dict:
    """{(algo, seed): path of model.pt} for every configured algorithm and seed; an algorithm with no
    trained model is a one-line error."""
    models = {}
    for algo in cfg.battle.algorithms:
        found = {
            seed: Path(results, "runs", "battle", algo, f"seed{seed}", battle_experiments.FINAL_MODEL)
            for seed in cfg.battle.seeds
        }
        found = {seed: path for seed, path in found.items() if path.exists()}
        if not found:
            raise ConfigError(
                f"tournament: algorithm {algo!r} has no trained model under {Path(results, 'runs', 'battle', algo)}; "
                f"train it first (python -m replication run --task battle --algo {algo} ...)"
            )
        models.update({(algo, seed): path for seed, path in found.items()})
    return models


def _acting_stream() -> np.random.Generator:
    """The one seeded acting stream the evaluated models share (an actor-critic samples π from it),
    used in a fixed order, so evaluations are reproducible."""
    return np.random.default_rng([0, 6])


def load_models(results: str | Path, cfg: SuiteConfig, device: str = "cpu") -> dict:
    """Every trained model of the results folder, ready to play on `device`."""
    paths = find_models(results, cfg)
    env = battle_experiments.make_env(cfg.battle, 0)
    policy_rng = _acting_stream()
    return {key: battle_experiments.load_model(path, key[0], cfg.battle, env, policy_rng, device) for key, path in paths.items()}


def untrained_models(cfg: SuiteConfig, device: str = "cpu") -> dict:
    """Every configured (algo, seed) network as its training run starts it (`initial_model`: the
    weights it has before its first update), ready to play on `device`; nothing trained is read."""
    env = battle_experiments.make_env(cfg.battle, 0)
    policy_rng = _acting_stream()
    return {
        (algo, seed): battle_experiments.initial_model(algo, seed, cfg.battle, env, policy_rng, device)
        for algo in cfg.battle.algorithms
        for seed in cfg.battle.seeds
    }


NULL_STREAM = 11  # the null model's own actions: (0, NULL_STREAM, seed) for the seed whose place it takes


def null_models(cfg: SuiteConfig) -> dict:
    """The family's null model, battle's scripted random team, in the place of every configured
    (algo, seed) model, each with a stream of its own: played over the same keys in the same order,
    it meets the same maps and scripted opponents as the models (the maps' seeds are drawn in
    round order whoever plays; `balanced_rounds`)."""
    from replication.algorithms.battle.scripted import RandomTeam
    from replication.tasks.battle import ATTACK_ACTIONS, N_ACTIONS

    return {
        (algo, seed): RandomTeam(np.random.default_rng([0, NULL_STREAM, seed]), N_ACTIONS, ATTACK_ACTIONS)
        for algo in cfg.battle.algorithms
        for seed in cfg.battle.seeds
    }


def _evaluate(
    results,
    cfg: SuiteConfig,
    play,
    file: Path,
    threads: int,
    progress: bool,
    device: str = "cpu",
    untrained: bool = False,
    null: bool = False,
) -> Path:
    torch.set_num_threads(threads)
    out = Path(results) / file
    t0 = time.perf_counter()
    if null:
        models = null_models(cfg)
    else:
        models = untrained_models(cfg, device) if untrained else load_models(results, cfg, device)
    t1 = time.perf_counter()
    rounds = play(models, cfg.battle, seed=0, progress=progress)
    timing.write_evaluation_timing(out, len(rounds), t1 - t0, time.perf_counter() - t1)
    io.write_csv(out, rounds)
    return out


def run_tournament(
    results: str | Path,
    cfg: SuiteConfig,
    threads: int = 1,
    progress: bool = True,
    rows: str | None = None,
    device: str = "cpu",
    untrained: bool = False,
) -> Path:
    """Fig. 8's cross-play of every trained model pair → runs/battle/tournament.csv; with `rows`, only
    the pairings that algorithm's models lead → runs/battle/tournament/rows_<algo>.csv (a part).
    `untrained`: the same pairings and maps over the networks untrained → tournament_untrained.csv
    (parts under tournament_untrained/)."""
    whole = evaluation_path(TOURNAMENT_FILE, untrained)
    if rows is None:
        return _evaluate(results, cfg, battle_experiments.tournament, whole, threads, progress, device, untrained)
    if rows not in cfg.battle.algorithms:
        raise ConfigError(f"--rows: {rows!r} is not one of battle's algorithms ({', '.join(cfg.battle.algorithms)})")

    def part(models, battle, seed, progress):
        return battle_experiments.tournament(models, battle, seed, progress, row_algos=[rows])

    return _evaluate(results, cfg, part, part_file(rows, untrained), threads, progress, device, untrained)


def merge_tournament(results: str | Path, cfg: SuiteConfig, untrained: bool = False) -> Path:
    """The parts (`run_tournament(rows=…)`), one per algorithm, concatenated in the whole tournament's
    order → runs/battle/tournament.csv (or tournament_untrained.csv); a missing part is a one-line error."""
    paths = [Path(results) / part_file(algo, untrained) for algo in sorted(cfg.battle.algorithms)]
    missing = [path for path in paths if not path.exists()]
    if missing:
        flag = " --untrained" if untrained else ""
        raise ConfigError(f"tournament --merge: {missing[0]} is missing; play it first (tournament --rows ALGO{flag})")
    out = Path(results) / evaluation_path(TOURNAMENT_FILE, untrained)
    io.write_csv(out, pd.concat([pd.read_csv(path) for path in paths], ignore_index=True))
    return out


SCRIPTED_NULL_FILE = Path("runs", "battle", "scripted_null.csv")


def run_scripted_evaluation(
    results: str | Path, cfg: SuiteConfig, threads: int = 1, progress: bool = True, untrained: bool = False, null: bool = False
) -> Path:
    """Every trained model against the scripted teams → runs/battle/scripted.csv; `untrained`: every
    network untrained → scripted_untrained.csv; `null`: the null model (the scripted random team) in
    every model's place, on the same rounds → scripted_null.csv (the paired evaluations' third policy)."""
    if untrained and null:
        raise ConfigError("scripted: --untrained and --null are two evaluations; ask for one")
    file = SCRIPTED_NULL_FILE if null else evaluation_path(SCRIPTED_FILE, untrained)
    return _evaluate(
        results, cfg, battle_experiments.scripted_evaluation, file, threads, progress, untrained=untrained, null=null
    )
