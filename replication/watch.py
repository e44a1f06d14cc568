"""Run trained models without training them: `python -m replication evaluate` and `render`.

Battle: a trained model (runs/battle/<algo>/seed<k>/model.pt) against a scripted team or another
trained model, over rounds that alternate the model's side and group order as the tournament does
(`balanced_rounds`), acting as in the tournament (`evaluation_policy`). Paper B's tasks: a trained
team (runs/<task>/<algo>/seed<k>/model.pt) over greedy episodes against the task's own opponents
(pursuit: the authors' running prey). A model carries the settings it was trained with, so its
networks, map and round length are rebuilt from it and no config file is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from replication import checkpoints
from replication.checkpoints import CheckpointError
from replication.config import (
    BattleConfig,
    ConfigError,
    PrisonersDilemmaConfig,
    PursuitConfig,
    ResourceSharingConfig,
    SemiCooperativeConfig,
    TigerDeerConfig,
    build_section,
)
from replication.registry import BATTLE

TASK_CONFIGS = {
    "prisoners_dilemma": PrisonersDilemmaConfig,
    "pursuit": PursuitConfig,
    "resource_sharing": ResourceSharingConfig,
    "tiger_deer": TigerDeerConfig,
}
RENDERED_TASKS = ("battle", "pursuit")
MAX_GIF_FRAMES = 120


@dataclass
class TrainedModel:
    path: Path
    task: str
    algo: str
    settings: object  # BattleConfig, or (SemiCooperativeConfig, task config) for paper B
    learner: object


# --- loading -------------------------------------------------------------------------------


def _read_model(path: str | Path) -> tuple[Path, dict]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--model: {path} does not exist")
    return path, checkpoints.read(path)


def _battle_settings(path: Path, state: dict) -> dict:
    """The settings saved in the model; a model from before they were saved: its run's config.yaml."""
    if "settings" in state:
        return state["settings"]
    beside = path.parent / "config.yaml"
    data = yaml.safe_load(beside.read_text()) if beside.is_file() else None
    if isinstance(data, dict) and isinstance(data.get("battle"), dict):
        return data["battle"]
    raise CheckpointError(f"model {path}: carries no settings and has no run config.yaml beside it")


def load_model(
    path: str | Path, task: str, rng: np.random.Generator, device: str = "cpu", like: TrainedModel | None = None
) -> TrainedModel:
    """A trained model of `task`, ready to act; `like`: the model it will play against (same map and team size)."""
    from replication.experiments import battle as battle_experiments
    from replication.experiments import semi_cooperative as semi_experiments

    path, state = _read_model(path)
    networks = state.get("main", state.get("modules"))  # model.pt, or a training checkpoint.pt
    if not isinstance(networks, dict) or "algo" not in state:
        raise CheckpointError(f"model {path}: not a trained model of this suite")
    made_for = state.get("task", "battle" if state["algo"] in BATTLE.names() else "?")
    if made_for != task:
        raise CheckpointError(f"model {path}: a {made_for} model ({state['algo']}), not a {task} one")
    algo = state["algo"]
    if task == "battle":
        try:
            cfg = build_section(BattleConfig, _battle_settings(path, state), "battle")
        except ConfigError as err:
            raise CheckpointError(f"model {path}: its saved settings do not load ({err})") from None
        if like is not None and (cfg.map_size, cfg.agents_per_side) != (like.settings.map_size, like.settings.agents_per_side):
            raise CheckpointError(
                f"opponent {path}: trained on a {cfg.map_size}×{cfg.map_size} map with {cfg.agents_per_side} "
                f"agents per side, the model on {like.settings.map_size}×{like.settings.map_size} "
                f"with {like.settings.agents_per_side}"
            )
        env = battle_experiments.make_env(cfg, 0)
        learner = battle_experiments.make_learner(algo, env, cfg, rng, device)
        settings = cfg
    else:
        try:
            learner_cfg = build_section(SemiCooperativeConfig, state["settings"]["semi_cooperative"], "semi_cooperative")
            schedule = build_section(TASK_CONFIGS[task], state["settings"][task], task)
        except (ConfigError, KeyError, TypeError) as err:
            raise CheckpointError(f"model {path}: its saved settings do not load ({err})") from None
        env = semi_experiments.make_task(task, schedule, np.random.default_rng(0))
        learner = semi_experiments.make_learner(algo, env, learner_cfg, schedule, rng)
        settings = (learner_cfg, schedule)
    checkpoints.restore(learner, networks)
    return TrainedModel(path, task, algo, settings, learner)


def battle_opponent(spec: str, model: TrainedModel, seed: int, device: str = "cpu"):
    """A scripted team by name (random, stationary_attacker) or a trained model's path → (name,
    description, team): the scripted team's or the model's algorithm name, and what to print."""
    from replication.algorithms.battle.scripted import SCRIPTED

    if spec in SCRIPTED:
        from replication.tasks.battle import ATTACK_ACTIONS, N_ACTIONS

        return spec, spec, SCRIPTED[spec](np.random.default_rng([seed, 8]), N_ACTIONS, ATTACK_ACTIONS)
    opponent = load_model(spec, "battle", np.random.default_rng([seed, 10]), device, like=model)
    return opponent.algo, f"{opponent.algo} ({opponent.path})", opponent.learner


def best_model(results: str | Path, algo: str) -> Path:
    """The seed of `algo` with the highest mean win rate over all its tournament rounds (ties: lowest seed)."""
    from replication.analysis.measures import tournament_matches

    matches = tournament_matches(results)
    rows = matches[matches["row_algo"] == algo]
    if rows.empty:
        raise ConfigError(f"--model best:{algo}: {algo!r} has no tournament rounds under {results}")
    rates = rows.groupby("row_seed")["win"].mean()
    seed = int(rates[rates == rates.max()].index.min())
    return Path(results, "runs", "battle", algo, f"seed{seed}", "model.pt")


def resolve_model_path(spec: str, results: str | None) -> str:
    """PATH, or best:ALGO (the best seed of ALGO in the tournament under --results)."""
    if not spec.startswith("best:"):
        return spec
    if results is None:
        raise ConfigError(f"--model {spec}: needs --results, the folder whose tournament picks the seed")
    return str(best_model(results, spec.split(":", 1)[1]))


# --- evaluate ------------------------------------------------------------------------------


def battle_rounds(model: TrainedModel, opponent, rounds: int, seed: int = 0) -> pd.DataFrame:
    """`rounds` rounds, the model's side and group order alternating as in the tournament."""
    from replication.experiments import battle as battle_experiments

    cfg = model.settings
    env = battle_experiments.make_env(cfg, seed)
    return pd.DataFrame(
        battle_experiments.balanced_rounds(
            model.learner,
            opponent,
            cfg,
            env,
            np.random.default_rng([seed, 9]),
            rounds,
            battle_experiments.evaluation_epsilon(cfg),
        )
    )


def battle_summary(rounds: pd.DataFrame) -> pd.DataFrame:
    """Wins, losses, ties, kills and total rewards of the model, by its side and over all rounds."""
    from replication.analysis.measures import with_outcomes

    played = with_outcomes(rounds)
    splits = [(f"model {side}", played[played["row_side"] == side]) for side in ("left", "right")] + [("all", played)]
    return pd.DataFrame(
        [
            {
                "split": name,
                "rounds": len(part),
                "wins": int(part["win"].sum()),
                "losses": int(part["loss"].sum()),
                "ties": int(part["tie"].sum()),
                "model_kills": part["row_kills"].mean(),
                "opponent_kills": part["col_kills"].mean(),
                "model_total_reward": part["row_total_reward"].mean(),
                "opponent_total_reward": part["col_total_reward"].mean(),
            }
            for name, part in splits
            if len(part)
        ]
    )


def team_episodes(model: TrainedModel, episodes: int, seed: int = 0) -> pd.DataFrame:
    """Greedy episodes of a paper-B team: social welfare, reward per agent and the task's measures, one row each."""
    from replication.experiments import semi_cooperative as semi_experiments

    env = semi_experiments.make_task(model.task, model.settings[1], np.random.default_rng([seed, 12]))
    return pd.DataFrame([{"episode": k, **semi_experiments.evaluate(model.learner, env, 1)} for k in range(episodes)])


# --- render --------------------------------------------------------------------------------


def battle_frames(model: TrainedModel, opponent, seed: int = 0) -> list[dict]:
    """One round, the model in group 0 on the left: both teams' positions after every step."""
    from replication.experiments import battle as battle_experiments

    cfg = model.settings
    env = battle_experiments.make_env(cfg, seed)
    env.env.set_seed(seed)
    frames = []

    def record(env):
        frames.append({"step": env.steps, "teams": [env.env.get_pos(h).copy() for h in env.handles]})

    epsilon = battle_experiments.evaluation_epsilon(cfg)
    battle_experiments.play_round(env, (model.learner, opponent), (epsilon, epsilon), cfg, left_team=0, watch=record)
    return frames


def pursuit_frames(model: TrainedModel, seed: int = 0) -> list[dict]:
    """One greedy episode: predators (with battery), prey present, and where prey were caught this step."""
    from replication.experiments import semi_cooperative as semi_experiments

    env = semi_experiments.make_task("pursuit", model.settings[1], np.random.default_rng([seed, 12]))
    episode = semi_experiments.Episode(env, needs_state=False)

    def snapshot(caught=()):
        return {
            "step": env.steps,
            "predators": env.predators.copy(),
            "battery": env.battery.copy(),
            "prey": env.prey[env.present].copy(),
            "caught": np.array(caught, dtype=np.int64).reshape(-1, 2),
            "captures": env.captures,
        }

    frames, done = [snapshot()], False
    while not done:
        before, present = env.prey.copy(), env.present.copy()
        _, done = episode.advance(model.learner.act(episode.obs, episode.mean_action, None))
        frames.append(snapshot(before[present & ~env.present]))
    return frames


def write_gif(frames: list[dict], size: int, draw, out: str | Path, fps: int = 8) -> Path:
    """An animated GIF of `frames` on a size × size grid, at most MAX_GIF_FRAMES frames (evenly thinned)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from replication import io

    stride = max(1, math.ceil(len(frames) / MAX_GIF_FRAMES))
    shown = frames[::stride] + ([frames[-1]] if (len(frames) - 1) % stride else [])
    fig, ax = plt.subplots(figsize=(4.4, 4.8), dpi=100)

    def update(k):
        ax.clear()
        ax.set_xlim(-0.5, size - 0.5), ax.set_ylim(size - 0.5, -0.5)
        ax.set_aspect("equal"), ax.set_xticks([]), ax.set_yticks([])
        ax.add_patch(plt.Rectangle((-0.5, -0.5), size, size, fill=False, lw=1.5, color="0.3"))
        draw(ax, shown[k])

    animation = FuncAnimation(fig, update, frames=len(shown))
    out = Path(out)
    with io.atomic_path(out) as tmp:
        animation.save(tmp.with_suffix(".gif"), writer=PillowWriter(fps=fps))
        tmp.with_suffix(".gif").replace(tmp)
    plt.close(fig)
    return out


def draw_battle(labels: tuple[str, str], size: int):
    """Each agent a square of its team's colour; the title counts who is left."""
    marker = max(4.0, (260 / size) ** 2)  # about one cell wide on the 4.4-inch axes

    def draw(ax, frame):
        alive = []
        for team, (colour, label) in enumerate(zip(("tab:red", "tab:blue"), labels)):
            pos = frame["teams"][team]
            ax.scatter(
                pos[:, 0],
                pos[:, 1],
                s=marker,
                marker="s",
                color=colour,
                label=f"{label} ({'group 0, starts left' if team == 0 else 'group 1, starts right'})",
            )
            alive.append(f"{label} {len(pos)}")
        ax.set_title(f"step {frame['step']}   alive: {', '.join(alive)}", fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=1, fontsize=8, frameon=False)

    return draw


def draw_pursuit(label: str):
    def draw(ax, frame):
        pred, prey = frame["predators"], frame["prey"]
        ax.scatter(
            pred[:, 1],
            pred[:, 0],
            s=140,
            c=frame["battery"],
            cmap="Reds",
            vmin=-20,
            vmax=100,
            edgecolors="k",
            label=f"{label} predators (shade: battery)",
        )
        ax.scatter(prey[:, 1], prey[:, 0], s=90, marker="o", color="tab:green", label="prey")
        if len(frame["caught"]):
            ax.scatter(
                frame["caught"][:, 1], frame["caught"][:, 0], s=260, marker="*", color="gold", edgecolors="k", label="captured"
            )
        ax.set_title(f"step {frame['step']}, captures {frame['captures']}", fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=7, frameon=False)

    return draw
