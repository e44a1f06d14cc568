"""Paper B's semi-cooperative tasks: train one learner on one task with greedy evaluations.

One gradient step per env step once `learning_starts` steps are stored (author code); ε decays
linearly over `epsilon_decay_steps`. Every `eval_every` steps, `eval_episodes` greedy episodes on
a separate copy of the task (the same episodes for every algorithm of a seed) give the learning
curve: social welfare (the sum of every agent's rewards over an episode), the reward per agent
and the task's own measures. Training episodes' welfare and the loss are logged too.

A checkpoint (networks, optimisers, random states, metrics so far) is written at the first
episode end after every `checkpoint_every` steps; a killed run resumes from it with a fresh
episode and an empty replay FIFO that refills (not bit-identical to an uninterrupted run).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from replication import checkpoints
from replication.algorithms.mean_action import peer_mean_action
from replication.config import SuiteConfig, algorithm_config, task_sections
from replication.registry import SEMI_COOPERATIVE, TASK_STREAM_ID
from replication.schedules import linear

CHECKPOINT = "checkpoint.pt"
FINAL_MODEL = "model.pt"  # the trained networks and the settings that rebuild them (`python -m replication evaluate`)


def make_task(task: str, cfg, rng: np.random.Generator):
    if task == "prisoners_dilemma":
        from replication.tasks.prisoners_dilemma import PrisonersDilemma
        return PrisonersDilemma(cfg.episode_length, rng)
    if task == "pursuit":
        from replication.tasks.pursuit import Pursuit
        return Pursuit(cfg.grid_size, cfg.n_predators, cfg.n_prey, cfg.episode_length, cfg.battery,
                       cfg.respawn_steps, cfg.reward_form, rng, cfg.observation_timing)
    if task == "resource_sharing":
        from replication.tasks.resource_sharing import ResourceSharing
        return ResourceSharing(cfg.n_agents, cfg.supply, cfg.demand, cfg.episode_length, cfg.mean_reward, rng, cfg.global_success)
    from replication.tasks.tiger_deer import TigerDeer
    return TigerDeer(cfg.map_size, cfg.n_tigers, cfg.n_deer, cfg.episode_length, cfg.tiger_step_recover,
                     cfg.minimap_mode, rng)


def make_learner(algo: str, env, learner_cfg, schedule, rng: np.random.Generator):
    """`algo`'s learner on `env`: paper B's shared learner settings and the algorithm's own."""
    return SEMI_COOPERATIVE[algo].load()(env, algorithm_config(learner_cfg, algo), schedule, rng)


def epsilon_at(step: int, learner_cfg, schedule) -> float:
    return linear(step, learner_cfg.epsilon_start, learner_cfg.epsilon_end, schedule.epsilon_decay_steps)


class Episode:
    """The running episode of a task: what the learner sees now, and the previous actions for ā."""

    def __init__(self, env, needs_state: bool):
        self.env, self.needs_state = env, needs_state
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
        before = {"obs": self.obs, "peers": self.peers, "active": self.active.astype(np.float32),
                  "mean_action": self.mean_action, "state": self.state, "action": actions}
        rewards, done = self.env.step(actions)
        self.welfare += float(rewards.sum())
        self.previous = np.where(self.active, actions, -1)
        self.look()
        terminal = np.full(self.env.n_agents, done) | (before["active"].astype(bool) & ~self.active)
        step = {**before, "reward": rewards.astype(np.float32), "next_obs": self.obs, "terminal": terminal.astype(np.float32),
                "next_mean_action": self.mean_action, "next_state": self.state}
        return step, done or not self.active.any()


def evaluate(learner, env, episodes: int) -> dict:
    """Greedy episodes; the mean of social welfare, reward per agent and the task's measures."""
    records = []
    episode = Episode(env, needs_state=False)
    for k in range(episodes):
        if k:
            episode.start()
        done = False
        while not done:
            _, done = episode.advance(learner.act(episode.obs, episode.mean_action, None))
        records.append({"social_welfare": episode.welfare, "reward_per_agent": episode.welfare / env.n_agents,
                        **env.episode_metrics()})
    return pd.DataFrame(records).mean().to_dict()


def training_settings(cfg: SuiteConfig, task: str, algo: str) -> dict:
    """The settings a checkpoint of `algo` was trained with (a resumed run must have the same)."""
    return task_sections(cfg, task, algo)


def save_checkpoint(path: Path, task: str, algo: str, settings: dict, learner, next_step: int, rngs: dict, rows: list) -> None:
    checkpoints.save_progress(path, {"task": task, "algo": algo}, settings, {
        "next_step": next_step, "modules": checkpoints.module_states(learner),
        "rngs": {k: r.bit_generator.state for k, r in rngs.items()}, "train_steps": learner.train_steps,
        "metrics": [list(r) for r in rows]})


def load_checkpoint(path: Path, task: str, algo: str, settings: dict) -> dict:
    """This task's and algorithm's checkpoint, trained with the same settings."""
    return checkpoints.load_progress(path, {"task": task, "algo": algo}, settings)


def train(task: str, algo: str, seed: int, cfg: SuiteConfig, out: Path, progress: bool = True,
          stale: checkpoints.Stale = "refuse") -> pd.DataFrame:
    schedule, learner_cfg = getattr(cfg, task), cfg.semi_cooperative
    torch.manual_seed(seed)
    task_index, algo_index = TASK_STREAM_ID[task], SEMI_COOPERATIVE[algo].stream_id
    rngs = {"env": np.random.default_rng([seed, 6, task_index]), "learner": np.random.default_rng([seed, 7, algo_index])}
    env = make_task(task, schedule, rngs["env"])
    learner = make_learner(algo, env, learner_cfg, schedule, rngs["learner"])
    rows, start, settings = [], 0, training_settings(cfg, task, algo)
    checkpoint = Path(out) / CHECKPOINT
    state = checkpoints.resume_state(checkpoint, lambda path: load_checkpoint(path, task, algo, settings), stale)
    if state is not None:
        checkpoints.restore(learner, state["modules"])
        for key, rng in rngs.items():
            rng.bit_generator.state = state["rngs"][key]
        rows, start, learner.train_steps = [tuple(r) for r in state["metrics"]], state["next_step"], state["train_steps"]
    episode = Episode(env, learner.needs_state)
    train_welfare, losses, due_checkpoint = [], [], False
    bar = tqdm(range(start, schedule.steps), desc=f"{task} {algo} seed{seed}", unit="step", disable=not progress,
               initial=start, total=schedule.steps, mininterval=2.0)
    for t in bar:
        epsilon = epsilon_at(t, learner_cfg, schedule)
        step, done = episode.advance(learner.act(episode.obs, episode.mean_action, epsilon))
        learner.store(step, t)
        if t + 1 > learner_cfg.learning_starts and learner.replay.size >= learner_cfg.batch_size:
            losses.append(learner.train_step())
        if done:
            train_welfare.append(episode.welfare)
            episode.start()
        if (t + 1) % schedule.eval_every == 0:
            eval_env = make_task(task, schedule, np.random.default_rng([seed, 8, (t + 1) // schedule.eval_every]))
            values = {**evaluate(learner, eval_env, schedule.eval_episodes),
                      "train_social_welfare": float(np.mean(train_welfare)) if train_welfare else np.nan,
                      "loss": float(np.mean(losses)) if losses else np.nan, "epsilon": epsilon}
            rows += [(t + 1, metric, float(value)) for metric, value in values.items()]
            train_welfare, losses = [], []
            bar.set_postfix(welfare=f"{values['social_welfare']:.1f}")
        due_checkpoint |= (t + 1) % schedule.checkpoint_every == 0
        if due_checkpoint and done:
            save_checkpoint(checkpoint, task, algo, settings, learner, t + 1, rngs, rows)
            due_checkpoint = False
    checkpoints.save_progress(Path(out) / FINAL_MODEL, {"task": task, "algo": algo}, settings,
                              {"main": {k: m.state_dict() for k, m in learner.networks().items()}})
    return pd.DataFrame(rows, columns=["step", "metric", "value"])

