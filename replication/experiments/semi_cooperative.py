"""Paper B's semi-cooperative tasks: train one learner on one task with greedy evaluations.

One gradient step per env step once `learning_starts` steps are stored (author code); ε decays
linearly over `epsilon_decay_steps` (or by the author code's per-step decrement: `epsilon_at`). Every `eval_every` steps, `eval_episodes` greedy episodes on
a separate copy of the task (the same episodes for every algorithm of a seed) give the learning
curve: social welfare (the sum of every agent's rewards over an episode), the reward per agent
and the task's own measures. Training episodes' welfare and the loss are logged too. Before any
update the untrained networks play `eval_episodes` greedy episodes the same way (their own task
copy; logged at step 0 as `untrained_<metric>`: the audit's untrained-network control); greedy
acting draws nothing, so training is what it was without them.

Several seeds of a learner train together in one process (`train_seeds`, `seed_group.py`: one
network over every seed's agents, everything else per seed); a run of one seed is a group of one.

A checkpoint (networks, optimisers, random states, metrics so far, each seed's replay, the
evaluation interval's training welfare and losses) is written at the first step after every
`checkpoint_every` steps at which every seed's episode ends, before the next episodes start; a
killed run resumes from it to the byte of its uninterrupted run (tested).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from replication import checkpoints, io
from replication.algorithms.mean_action import peer_mean_action
from replication.config import SuiteConfig, algorithm_config, task_sections
from replication.experiments import seed_group, timing
from replication.registry import SEMI_COOPERATIVE, TASK_STREAM_ID
from replication.schedules import linear

CHECKPOINT = "checkpoint.pt"
EPISODES = "episodes.csv"  # every evaluation episode's measures (step, episode, …): marl-eval's input
FINAL_MODEL = "model.pt"  # the trained networks and the settings that rebuild them (`python -m replication evaluate`)


def make_task(task: str, cfg, rng: np.random.Generator):
    if task == "prisoners_dilemma":
        from replication.tasks.prisoners_dilemma import PrisonersDilemma

        return PrisonersDilemma(cfg.episode_length, rng)
    if task == "pursuit":
        from replication.tasks.pursuit import Pursuit

        return Pursuit(
            cfg.grid_size,
            cfg.n_predators,
            cfg.n_prey,
            cfg.episode_length,
            cfg.battery,
            cfg.respawn_steps,
            cfg.reward_form,
            rng,
            cfg.observation_timing,
        )
    if task == "resource_sharing":
        from replication.tasks.resource_sharing import ResourceSharing

        return ResourceSharing(cfg.n_agents, cfg.supply, cfg.demand, cfg.episode_length, cfg.mean_reward, rng, cfg.global_success)
    from replication.tasks.tiger_deer import TigerDeer

    return TigerDeer(cfg.map_size, cfg.n_tigers, cfg.n_deer, cfg.episode_length, cfg.tiger_step_recover, cfg.minimap_mode, rng)


def make_learner(algo: str, env, learner_cfg, schedule, rng: np.random.Generator):
    """`algo`'s learner on `env`: paper B's shared learner settings and the algorithm's own."""
    return SEMI_COOPERATIVE[algo].load()(env, algorithm_config(learner_cfg, algo), schedule, rng)


def epsilon_at(step: int, learner_cfg, schedule) -> float:
    """ε for env step `step` (0-based). `linear`: from epsilon_start to epsilon_end over
    epsilon_decay_steps. `authors` (the step trainers of the author code): ε falls by
    1/epsilon_decay_steps after every step but one that ends an episode with `done` (pursuit's
    100th), so after t steps of fixed-length episodes of L steps it is
    max(end, start − (t − ⌊t/L⌋)/epsilon_decay_steps)."""
    if schedule.epsilon_schedule == "authors":
        skipped = step // schedule.episode_length if schedule.authors_end_is_done else 0
        return max(learner_cfg.epsilon_end, learner_cfg.epsilon_start - (step - skipped) / schedule.epsilon_decay_steps)
    return linear(step, learner_cfg.epsilon_start, learner_cfg.epsilon_end, schedule.epsilon_decay_steps)


class Episode:
    """The running episode of a task: what the learner sees now, and the previous actions for ā."""

    def __init__(self, env, needs_state: bool, peers_after_move: bool = False):
        self.env, self.needs_state, self.peers_after_move = env, needs_state, peers_after_move
        self.start()

    def start(self) -> None:
        self.env.reset()
        self.previous = np.full(self.env.n_agents, -1, dtype=np.int64)
        self.welfare = 0.0
        self.look()

    def look(self) -> None:
        self.obs, self.peers, self.active = self.env.observe(), self.env.peers(), self.env.active()
        self.mean_action = peer_mean_action(self.peers, self.previous, self.env.n_actions)
        self.state = self.env.state() if self.needs_state else None

    def advance(self, actions: np.ndarray) -> tuple[dict, bool]:
        """Step the task; return the transition of every agent and whether the episode ended."""
        before = {
            "obs": self.obs,
            "peers": self.peers,
            "active": self.active.astype(np.float32),
            "mean_action": self.mean_action,
            "state": self.state,
            "action": actions,
        }
        rewards, done = self.env.step(actions)
        self.welfare += float(rewards.sum())
        self.previous = np.where(self.active, actions, -1)
        self.look()
        terminal = np.full(self.env.n_agents, done) | (before["active"].astype(bool) & ~self.active)
        step = {
            **before,
            "reward": rewards.astype(np.float32),
            "next_obs": self.obs,
            "terminal": terminal.astype(np.float32),
            "next_mean_action": self.mean_action,
            "next_state": self.state,
        }
        if self.peers_after_move:  # the peer evaluations' receivers: those in view after the move (author code)
            step["peers"] = self.peers
        return step, done or not self.active.any()


def evaluate(learner, env, episodes: int) -> dict:
    """Greedy episodes; the mean of social welfare, reward per agent and the task's measures."""
    return evaluate_seeds(learner, [env], episodes)[0]


def evaluate_seeds(learner, envs: list, episodes: int) -> list[dict]:
    """`evaluate` for every seed of a group at once (`seed_group`): each seed plays `episodes`
    greedy episodes on its own task in turn, and one forward pass acts for every seed."""
    return [episode_means(records) for records in evaluate_episodes(learner, envs, episodes)]


def episode_means(records: list[dict]) -> dict:
    """An evaluation's value per measure: the mean over its episodes."""
    return pd.DataFrame(records).mean().to_dict()


def evaluate_episodes(learner, envs: list, episodes: int) -> list[list[dict]]:
    """`evaluate_seeds`'s episodes, each kept: per seed, one record per episode (social welfare,
    reward per agent and the task's measures)."""
    plays = [Episode(env, needs_state=False) for env in envs]
    records = [[] for _ in envs]
    for k in range(episodes):
        if k:
            for play in plays:
                play.start()
        done = np.zeros(len(envs), dtype=bool)
        while not done.all():
            actions = np.split(
                learner.act(np.concatenate([p.obs for p in plays]), np.concatenate([p.mean_action for p in plays]), None),
                len(envs),
            )
            for i in np.flatnonzero(~done):
                done[i] = plays[i].advance(actions[i])[1]
        for play, env, record in zip(plays, envs, records):
            record.append(
                {"social_welfare": play.welfare, "reward_per_agent": play.welfare / env.n_agents, **env.episode_metrics()}
            )
    return records


def evaluation_tasks(task: str, schedule, seeds: list[int], index: int) -> list:
    """Each seed's copy of the task for evaluation `index` (0: the untrained networks'), seeded
    (seed, 8, index), so every algorithm of a seed meets the same episodes."""
    return [make_task(task, schedule, np.random.default_rng([seed, 8, index])) for seed in seeds]


def kept_episodes(path: Path, start: int) -> list[dict]:
    """A resumed run's evaluation episodes up to its checkpoint's step (those its killed run wrote);
    none for a fresh run or where the killed run kept no episodes.csv."""
    if start == 0 or not path.is_file():
        return []
    frame = pd.read_csv(path)
    return frame[frame["step"] <= start].to_dict("records")


def training_settings(cfg: SuiteConfig, task: str, algo: str) -> dict:
    """The settings a checkpoint of `algo` was trained with (a resumed run must have the same)."""
    return task_sections(cfg, task, algo)


def save_checkpoint(
    path: Path, identity: dict, settings: dict, learner, next_step: int, rngs: dict, rows: list, train_welfare: list, losses: list
) -> None:
    """Everything a run carries past `next_step` (written between episodes, before the next ones
    start): networks and optimisers, random states, metrics, the replay, and the training welfare and
    losses of the evaluation interval in progress, so that a resumed run is its unkilled run."""
    checkpoints.save_progress(
        path,
        identity,
        settings,
        {
            "next_step": next_step,
            "modules": checkpoints.module_states(learner),
            "rngs": {k: r.bit_generator.state for k, r in rngs.items()},
            "train_steps": learner.train_steps,
            "metrics": [[list(r) for r in seed_rows] for seed_rows in rows],
            "replay": learner.replay.state_dict() if hasattr(learner.replay, "state_dict") else {},
            "train_welfare": [list(map(float, w)) for w in train_welfare],
            "losses": [list(map(float, v)) for v in losses],
        },
    )


def build_group(algo: str, envs: list, learner_cfg, schedule, seeds: list[int], rngs: list[np.random.Generator]):
    """One learner for every seed of `seeds` (`seed_group`): each seed's learner is built as a run
    alone builds it (under torch.manual_seed(seed), on its task, from its stream), then their
    networks are stacked into one learner over all their agents and their replays set side by side.
    With one seed it is that seed's learner."""
    members = []
    for seed, env, rng in zip(seeds, envs, rngs):
        torch.manual_seed(seed)
        members.append(make_learner(algo, env, learner_cfg, schedule, rng))
    if len(members) == 1:
        members[0].replay = seed_group.GroupedReplay([members[0].replay], rngs)
        return members[0]
    env = envs[0]
    dims = SimpleNamespace(
        n_seeds=len(envs),
        n_agents=len(envs) * env.n_agents,
        n_actions=env.n_actions,
        obs_dim=env.obs_dim,
        state_dim=getattr(env, "state_dim", None),
        view_shape=getattr(env, "view_shape", None),
    )
    # the group's own FIFO is never used (the seeds' are): one row, not K·A agents' worth of memory
    own_cfg = dataclasses.replace(algorithm_config(learner_cfg, algo), buffer_size=1)
    group = SEMI_COOPERATIVE[algo].load()(dims, own_cfg, schedule, seed_group.SeedStreams(rngs))
    for name, network in group.networks().items():
        network.load_state_dict(seed_group.stack_states([member.networks()[name].state_dict() for member in members]))
    group.replay = seed_group.GroupedReplay([member.replay for member in members], rngs)
    return group


class GroupRun:
    """Training in progress of one learner on one task for one or several seeds in lockstep: the
    learner (one network over every seed's agents), each seed's task, streams and running episode."""

    def __init__(self, task: str, algo: str, seeds: list[int], cfg: SuiteConfig):
        self.seeds = list(seeds)
        self.schedule, self.learner_cfg = getattr(cfg, task).for_algo(algo), cfg.semi_cooperative
        task_index, algo_index = TASK_STREAM_ID[task], SEMI_COOPERATIVE[algo].stream_id
        self.rngs = {
            **{f"env{k}": np.random.default_rng([seed, 6, task_index]) for k, seed in enumerate(seeds)},
            **{f"learner{k}": np.random.default_rng([seed, 7, algo_index]) for k, seed in enumerate(seeds)},
        }
        self.envs = [make_task(task, self.schedule, self.rngs[f"env{k}"]) for k in range(len(seeds))]
        self.learner = build_group(
            algo, self.envs, self.learner_cfg, self.schedule, self.seeds, [self.rngs[f"learner{k}"] for k in range(len(seeds))]
        )
        self.plays = [Episode(env, self.learner.needs_state, self.learner_cfg.peers_seen == "after_move") for env in self.envs]

    def step(self, t: int, epsilon: float) -> tuple[list[bool], list[float] | None]:
        """One env step of every seed (one forward pass acts for all), stored in each seed's replay,
        and one gradient step of every seed once the replays hold a batch (after `learning_starts`).
        Returns which seeds' episodes ended (the caller restarts them) and each seed's loss (None
        without a gradient step)."""
        n = len(self.seeds)
        actions = np.split(
            self.learner.act(
                np.concatenate([p.obs for p in self.plays]), np.concatenate([p.mean_action for p in self.plays]), epsilon
            ),
            n,
        )
        steps, dones = zip(*(play.advance(a) for play, a in zip(self.plays, actions)))
        self.learner.store(seed_group.join_steps(list(steps)), t)
        if t + 1 > self.learner_cfg.learning_starts and self.learner.replay.size >= self.learner_cfg.batch_size:
            loss = self.learner.train_step()
            return list(dones), [loss] if n == 1 else self.learner.seed_losses()
        return list(dones), None

    def seed_networks(self) -> list[dict]:
        """Each seed's networks' state dicts, as its run alone saves them."""
        per_network = {
            name: seed_group.split_states(module.state_dict(), len(self.seeds))
            for name, module in self.learner.networks().items()
        }
        return [{name: states[k] for name, states in per_network.items()} for k in range(len(self.seeds))]


def train(
    task: str,
    algo: str,
    seed: int,
    cfg: SuiteConfig,
    out: Path,
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    live=None,
) -> pd.DataFrame:
    """One seed's run (a group of one)."""
    return train_seeds(task, algo, [seed], cfg, [out], progress, stale, lives=[live])[0]


def train_seeds(
    task: str,
    algo: str,
    seeds: list[int],
    cfg: SuiteConfig,
    outs: list[Path],
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    lives: list | None = None,
) -> list[pd.DataFrame]:
    """Train `algo` on `task` for every seed of `seeds` in one process; each seed's metrics and
    final networks (`outs[k]/model.pt`) are what its run alone gives. The group's checkpoint lives
    in the first seed's folder. `lives`: each seed's live.LiveLog, its metrics.csv rewritten after
    every evaluation."""
    lives = lives or [None] * len(seeds)
    run = GroupRun(task, algo, seeds, cfg)
    schedule, learner_cfg, learner = run.schedule, run.learner_cfg, run.learner
    rows, start, settings = [[] for _ in seeds], 0, training_settings(cfg, task, algo)
    identity = {"task": task, "algo": algo, "seeds": list(seeds)}
    checkpoint = Path(outs[0]) / CHECKPOINT
    state = checkpoints.resume_state(checkpoint, lambda path: checkpoints.load_progress(path, identity, settings), stale)
    if state is not None:
        checkpoints.restore(learner, state["modules"])
        for key, rng in run.rngs.items():
            rng.bit_generator.state = state["rngs"][key]
        rows, start = [[tuple(r) for r in seed_rows] for seed_rows in state["metrics"]], state["next_step"]
        learner.train_steps = state["train_steps"]
        if state.get("replay"):
            learner.replay.load_state_dict(state["replay"])
        for play in run.plays:  # the episodes the unkilled run started after its checkpoint
            play.start()
    # every evaluation episode, kept in episodes.csv (rewritten at each evaluation; a resumed run
    # keeps the rows its killed run wrote up to its checkpoint)
    episodes = [kept_episodes(Path(out) / EPISODES, start) for out in outs]
    if start == 0 and learner.networks():  # the untrained-network control: the initial networks, evaluated greedily
        records = evaluate_episodes(learner, evaluation_tasks(task, schedule, seeds, 0), schedule.eval_episodes)
        for k, seed_records in enumerate(records):
            rows[k] += [(0, f"untrained_{metric}", float(value)) for metric, value in episode_means(seed_records).items()]
            episodes[k] += [{"step": 0, "policy": "untrained", "episode": i, **r} for i, r in enumerate(seed_records)]
            io.write_csv(Path(outs[k]) / EPISODES, pd.DataFrame(episodes[k]))
    train_welfare, losses, due_checkpoint = [[] for _ in seeds], [[] for _ in seeds], False
    if state is not None and "train_welfare" in state:
        train_welfare, losses = [list(w) for w in state["train_welfare"]], [list(v) for v in state["losses"]]
    # timing.csv: each evaluation interval's seconds (its training steps and its evaluation) and the
    # checkpoints' written in it, as this process measured them
    interval_ends, interval_seconds, checkpoint_seconds, interval_start, saving = [], [], [], time.perf_counter(), 0.0
    label = f"seed{seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))}"
    bar = tqdm(
        range(start, schedule.steps),
        desc=f"{task} {algo} {label}",
        unit="step",
        disable=not progress,
        initial=start,
        total=schedule.steps,
        mininterval=2.0,
    )
    for t in bar:
        epsilon = epsilon_at(t, learner_cfg, schedule)
        dones, step_losses = run.step(t, epsilon)
        for k, play in enumerate(run.plays):
            if step_losses is not None:
                losses[k].append(step_losses[k])
            if dones[k]:
                train_welfare[k].append(play.welfare)
        if (t + 1) % schedule.eval_every == 0:
            records = evaluate_episodes(
                learner, evaluation_tasks(task, schedule, seeds, (t + 1) // schedule.eval_every), schedule.eval_episodes
            )
            evaluations = [episode_means(seed_records) for seed_records in records]
            for k, seed_records in enumerate(records):
                episodes[k] += [{"step": t + 1, "policy": "learner", "episode": i, **r} for i, r in enumerate(seed_records)]
                io.write_csv(Path(outs[k]) / EPISODES, pd.DataFrame(episodes[k]))
            for k, values in enumerate(evaluations):
                values = {
                    **values,
                    "train_social_welfare": float(np.mean(train_welfare[k])) if train_welfare[k] else np.nan,
                    "loss": float(np.mean(losses[k])) if losses[k] else np.nan,
                    "epsilon": epsilon,
                }
                rows[k] += [(t + 1, metric, float(value)) for metric, value in values.items()]
                if lives[k] is not None:
                    lives[k].update(rows[k])
            train_welfare, losses = [[] for _ in seeds], [[] for _ in seeds]
            now = time.perf_counter()
            interval_ends.append(t + 1)
            interval_seconds.append(now - interval_start - saving)
            checkpoint_seconds.append(saving)
            interval_start, saving = now, 0.0
            bar.set_postfix(welfare=f"{np.mean([values['social_welfare'] for values in evaluations]):.1f}")
        # at the first step after each `checkpoint_every` steps at which every seed's episode ended
        due_checkpoint |= (t + 1) % schedule.checkpoint_every == 0
        if due_checkpoint and all(dones):
            t0 = time.perf_counter()
            save_checkpoint(checkpoint, identity, settings, learner, t + 1, run.rngs, rows, train_welfare, losses)
            saving += time.perf_counter() - t0
            due_checkpoint = False
        for play, done in zip(run.plays, dones):  # the next episodes start after a checkpoint (from its random state)
            if done:
                play.start()
    for out, networks in zip(outs, run.seed_networks()):
        checkpoints.save_progress(Path(out) / FINAL_MODEL, {"task": task, "algo": algo}, settings, {"main": networks})
        timing.write_timing(Path(out) / timing.TIMING, "step", interval_ends, interval_seconds, checkpoint_seconds, learner)
    return [pd.DataFrame(r, columns=["step", "metric", "value"]) for r in rows]
