"""Paired evaluations, the learning-evidence rule's input (analysis/learning.py; docs/audit.md,
"Learning evidence"): a paper-B run's trained policy, its networks untrained (the initial weights
its run built under torch.manual_seed(seed)) and the task's null model (uniformly random actions)
each play the *same* evaluation episodes greedily: episode k of seed s is, for every policy, a
fresh copy of the task seeded (s, EVIDENCE_STREAM, k), a stream no training or evaluation draws
from. `python -m replication evidence` writes into the run's folder:

- `evidence.csv`: policy (trained, untrained, null_model), episode, value (the episode's social
  welfare, the sum of every agent's rewards);
- `actions.csv`: per policy and action, the share of the active agents' greedy choices over those
  episodes, so that a policy that collapsed onto one action shows.

The number of episodes is the task's `eval_episodes` (the author code's evaluation size).

Battle (`battle_evidence`): the scripted evaluation already plays every trained model and every
network untrained against the scripted teams on the same maps with the same streams
(`runs/battle/scripted.csv`, `scripted_untrained.csv`); `scripted --null` plays the null model, the
scripted random team, in each model's place on those rounds (`scripted_null.csv`). A model's
episodes are its rounds (against each scripted team, in round order), its value the team's total
reward in the round; each run's `evidence.csv` is written beside its model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from replication import checkpoints, io
from replication.analysis.learning import EVIDENCE, POLICIES
from replication.config import SuiteConfig
from replication.experiments.semi_cooperative import FINAL_MODEL, Episode, GroupRun, make_task, training_settings
from replication.registry import SEMI_COOPERATIVE

EVIDENCE_STREAM = 9
ACTIONS = "actions.csv"


def run_policies(task: str, algo: str, seed: int, cfg: SuiteConfig, run: Path) -> dict:
    """The three policies of one run: its trained networks (run/model.pt, checked against this
    config's settings), the same learner untrained, and the null model."""
    model = Path(run) / FINAL_MODEL
    if not model.is_file():
        raise checkpoints.CheckpointError(f"model {model}: no trained model (run the training first)")
    state = checkpoints.load_progress(model, {"task": task, "algo": algo}, training_settings(cfg, task, algo))
    trained = GroupRun(task, algo, [seed], cfg).learner
    checkpoints.restore(trained, state["main"])
    return {
        "trained": trained,
        "untrained": GroupRun(task, algo, [seed], cfg).learner,
        "null_model": GroupRun(task, SEMI_COOPERATIVE.null, [seed], cfg).learner,
    }


def play_greedy(learner, env) -> tuple[float, np.ndarray]:
    """One greedy episode on `env` (reset here): its social welfare and the active agents' actions."""
    play = Episode(env, needs_state=False)
    chosen, done = [], False
    while not done:
        actions = learner.act(play.obs, play.mean_action, None)
        chosen.append(actions[play.active.astype(bool)])
        done = play.advance(actions)[1]
    return play.welfare, np.concatenate(chosen)


def paired_evaluation(
    task: str, algo: str, seed: int, cfg: SuiteConfig, run: Path, episodes: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """evidence.csv's and actions.csv's tables for one run."""
    schedule = getattr(cfg, task).for_algo(algo)
    episodes = episodes or schedule.eval_episodes
    rows, counts = [], {}
    for policy, learner in run_policies(task, algo, seed, cfg, run).items():
        histogram = np.zeros(0, dtype=np.int64)
        for k in range(episodes):
            env = make_task(task, schedule, np.random.default_rng([seed, EVIDENCE_STREAM, k]))
            welfare, actions = play_greedy(learner, env)
            rows.append({"policy": policy, "episode": k, "value": welfare})
            found = np.bincount(actions, minlength=env.n_actions)
            histogram = found if not len(histogram) else histogram + found
        counts[policy] = histogram
    actions = pd.DataFrame(
        [
            {"policy": policy, "action": a, "share": n / histogram.sum()}
            for policy, histogram in counts.items()
            for a, n in enumerate(histogram)
        ]
    )
    return pd.DataFrame(rows)[["policy", "episode", "value"]], actions


def write_evidence(task: str, algo: str, seed: int, cfg: SuiteConfig, run: str | Path) -> pd.DataFrame:
    """Play and write one run's evidence.csv and actions.csv; returns the evidence."""
    evidence, actions = paired_evaluation(task, algo, seed, cfg, Path(run))
    assert tuple(evidence["policy"].unique()) == POLICIES
    io.write_csv(Path(run) / ACTIONS, actions)
    io.write_csv(Path(run) / EVIDENCE, evidence)
    return evidence


BATTLE_EVALUATIONS = {"trained": "scripted.csv", "untrained": "scripted_untrained.csv", "null_model": "scripted_null.csv"}


def battle_evidence(results: str | Path, cfg: SuiteConfig) -> dict:
    """Every configured battle run's evidence.csv from the three scripted evaluations; returns
    {(algo, seed): evidence}. A round one evaluation lacks, or a missing evaluation, is a one-line error."""
    from replication.config import ConfigError

    folder = Path(results) / "runs" / "battle"
    frames = {}
    for policy, name in BATTLE_EVALUATIONS.items():
        if not (folder / name).is_file():
            raise ConfigError(
                f"evidence: {folder / name} is missing; play it first (python -m replication scripted"
                f"{' --untrained' if policy == 'untrained' else ' --null' if policy == 'null_model' else ''})"
            )
        frames[policy] = pd.read_csv(folder / name).set_index(["row_algo", "row_seed", "col_algo", "round"])["row_total_reward"]
    written = {}
    for algo in cfg.battle.algorithms:
        for seed in cfg.battle.seeds:
            rounds = {policy: frame.loc[(algo, seed)].sort_index() for policy, frame in frames.items()}
            keys = rounds["trained"].index
            if any(not r.index.equals(keys) for r in rounds.values()):
                raise ConfigError(
                    f"evidence: battle {algo} seed {seed}: the three scripted evaluations did not play the same rounds"
                )
            evidence = pd.DataFrame(
                [
                    {"policy": policy, "episode": k, "value": float(value)}
                    for policy, values in rounds.items()
                    for k, value in enumerate(values.to_numpy())
                ]
            )
            io.write_csv(folder / algo / f"seed{seed}" / EVIDENCE, evidence)
            written[(algo, seed)] = evidence
    return written
