"""Gaussian Squeeze experiments (Fig. 3): one algorithm, one seed, every population size N.

Per timestep: every agent acts in one batched forward pass, the joint action is scored, stored
once in the replay, and one gradient step is taken per `update_every_samples` new agent-samples.
The greedy joint policy is scored every timestep (Fig. 3's curve); the untrained network's greedy
joint action (at t = 0, before any update) and the trained one's at the end are logged with their
composition (x, the modal action's share, each action's share). Each N is saved to `partial/`
when done, so a killed run resumes at the next N with identical results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from replication import io
from replication.config import GaussianSqueezeConfig, algorithm_config
from replication.registry import GAUSSIAN_SQUEEZE
from replication.replay import JointActionReplay, mean_action_excluding
from replication.schedules import linear
from replication.tasks.gaussian_squeeze import GaussianSqueeze


def epsilon_at(timestep: int, cfg: GaussianSqueezeConfig) -> float:
    """Linear decay from epsilon_start to epsilon_end over epsilon_decay_timesteps."""
    return linear(timestep, cfg.epsilon_start, cfg.epsilon_end, cfg.epsilon_decay_timesteps)


def run_population(algo: str, n_agents: int, seed: int, cfg: GaussianSqueezeConfig, progress: bool = True) -> pd.DataFrame:
    """Train one learner on N agents; return tidy metrics logged every `log_every` timesteps."""
    torch.manual_seed(seed * 100_003 + n_agents)
    rng = np.random.default_rng([seed, n_agents, GAUSSIAN_SQUEEZE[algo].stream_id])
    env = GaussianSqueeze(n_agents, cfg.mu, cfg.sigma, cfg.n_actions)
    learner = GAUSSIAN_SQUEEZE[algo].load()(n_agents, algorithm_config(cfg, algo), rng)
    replay = JointActionReplay(cfg.replay_samples, n_agents, cfg.n_actions)
    mean_action = np.zeros((n_agents, cfg.n_actions), dtype=np.float32)  # ā starts at zeros
    pending, losses, rows = 0, [], []
    greedy_scores = np.empty(cfg.timesteps)
    bar = tqdm(range(cfg.timesteps), desc=f"{algo} N={n_agents} seed{seed}", unit="t", disable=not progress, mininterval=2)
    for t in bar:
        epsilon = epsilon_at(t, cfg)
        greedy_actions = learner.greedy(mean_action)
        greedy_score = greedy_scores[t] = env.performance(greedy_actions)
        if t == 0:  # the untrained network's greedy joint action (the untrained-network control)
            rows += [(0, "untrained_performance", greedy_score)]
            rows += [(0, f"untrained_{name}", value) for name, value in env.composition(greedy_actions).items()]
        actions = learner.act(mean_action, t, epsilon)
        reward = env.step(actions)
        behaviour_score = reward / env.g_max
        if cfg.normalise_reward:
            reward = behaviour_score
        learner.observe(actions, reward)
        replay.add(actions, reward)
        counts = np.broadcast_to(np.bincount(actions, minlength=cfg.n_actions), (n_agents, cfg.n_actions))
        mean_action = mean_action_excluding(counts, actions, n_agents)  # Eq. 11, used at the next step
        pending += n_agents
        while pending >= cfg.update_every_samples:
            pending -= cfg.update_every_samples
            losses.append(learner.train(replay.sample(cfg.batch_size, rng, with_joint=learner.needs_joint)))
        if (t + 1) % cfg.log_every == 0:
            loss = float(np.mean(losses)) if losses else np.nan
            rows += [
                (t + 1, "performance", greedy_score),
                (t + 1, "behaviour_performance", behaviour_score),
                (t + 1, "loss", loss),
                (t + 1, "epsilon", epsilon),
                (t + 1, "mean_action_value", actions.mean()),
            ]
            losses = []
    window = max(1, int(round(cfg.measure_fraction * cfg.timesteps)))
    rows.append((cfg.timesteps, "final_performance", greedy_scores[-window:].mean()))
    # the trained network's greedy joint action at the end: what the final performance is made of
    rows += [(cfg.timesteps, f"final_{name}", value) for name, value in env.composition(learner.greedy(mean_action)).items()]
    frame = pd.DataFrame(rows, columns=["step", "metric", "value"])
    frame["n_agents"] = n_agents
    return frame


def run_sweep(algo: str, seed: int, cfg: GaussianSqueezeConfig, partial: Path, progress: bool = True) -> pd.DataFrame:
    frames = []
    for n in cfg.agent_counts:
        path = partial / f"n{n}.csv"
        if path.exists():
            frames.append(pd.read_csv(path))
            continue
        frame = run_population(algo, n, seed, cfg, progress)
        io.write_csv(path, frame)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
