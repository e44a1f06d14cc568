"""Battle experiments (paper A §5.3): self-play training (Fig. 7) and the cross-play tournament (Fig. 8).

Per round, metrics.csv gets the rewards, kills and survivors of both sides, loss, mean Q and the
exploration rate; timing.csv gets the seconds per round (wall time differs run to run, the
metrics do not).

Self-play as the reference code (mlii/mfrl, `examples/battle_model/algo/tools.py`, `Runner`): the
main model (group 0, which magent2 moves first) learns; the opponent (group 1) is a copy of the same
algorithm. After every round in which main's total reward beats the opponent's, the opponent
becomes almost a copy of main: φ_opp ← (1 − k)·φ_main + k·φ_opp with k = `opponent_keeps` = 0.01
(the reference's `sp_op` with τ = 0.01). Which group starts in the left formation is drawn every
round from the run's seeded stream (`side: random`, the reference's `generate_map`), or main is
always on the left (`side: left`). Every round is logged; a checkpoint
(networks, optimisers, random states, the metrics so far) is written every `checkpoint_every`
rounds and at the end, so a killed run resumes from its last checkpoint with no round lost or
counted twice. The checkpoint also holds what a learner carries between rounds (`round_state`: the
replay ring of IL, MF-Q and PED-DQN with `checkpoint_replay`, PED-DQN's rounds seen), so a resumed
run is its unkilled run to the byte; without the ring (`checkpoint_replay: false`) a resumed
off-policy run refills it, and its provenance records the round it resumed at.

Several seeds of an algorithm train side by side in one process (`train_seeds`,
`battle.seeds_per_job`), each with everything above of its own; a seed's results are its run
alone's to the byte.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from replication import checkpoints
from replication.algorithms.battle import stacked
from replication.algorithms.mean_action import peer_mean_action, team_mean_action
from replication.config import BattleConfig, algorithm_config, job_settings
from replication.experiments import timing
from replication.nets import soft_update
from replication.registry import BATTLE
from replication.schedules import linear
from replication.tasks.battle import ATTACK_ACTIONS, N_ACTIONS, VIEW_RADIUS, Battle
from replication.tasks.neighbourhood import chebyshev_peers, euclidean_neighbours

CHECKPOINT = "checkpoint.pt"
FINAL_MODEL = "model.pt"
TIMING = timing.TIMING  # seconds per round (experiments/timing.py)


def training_settings(cfg: BattleConfig, algo: str) -> dict:
    """The battle settings a checkpoint of `algo` was trained with (a resumed run must have the same)."""
    return job_settings(cfg, algo)


def make_env(cfg: BattleConfig, seed: int) -> Battle:
    return Battle(cfg.map_size, cfg.agents_per_side, cfg.max_steps, cfg.minimap_mode, seed=seed)


def make_learner(algo: str, env: Battle, cfg: BattleConfig, rng: np.random.Generator, device: str):
    learner_cfg = algorithm_config(cfg, algo)  # battle's shared settings and the algorithm's own
    return BATTLE[algo].load()(env.view_shape, env.feature_size, N_ACTIONS, 2 * cfg.agents_per_side, learner_cfg, rng, device)


def initial_model(algo: str, seed: int, cfg: BattleConfig, env: Battle, rng: np.random.Generator, device: str):
    """The network a training run of `algo` and `seed` starts from (its main model), untrained:
    built first under `torch.manual_seed(seed)`. A run's untrained-network control plays it."""
    torch.manual_seed(seed)
    return make_learner(algo, env, cfg, rng, device)


def epsilon_at(round_index: int, cfg: BattleConfig) -> float:
    """Paper: linear from epsilon_start to epsilon_end over epsilon_decay_rounds; reference: greedy (0)."""
    if cfg.exploration == "greedy":
        return 0.0
    return linear(round_index, cfg.epsilon_start, cfg.epsilon_end, cfg.epsilon_decay_rounds)


class MeanActionTracker:
    """Each agent's previous action (by engine id) and the mean action ā it acts on."""

    def __init__(self, cfg: BattleConfig):
        self.cfg = cfg
        self.previous = np.full(2 * cfg.agents_per_side, -1, dtype=np.int64)

    def mean_action(self, obs) -> np.ndarray:
        prev = self.previous[obs.ids]
        if self.cfg.mean_action == "team":
            return team_mean_action(prev, N_ACTIONS)
        return peer_mean_action(euclidean_neighbours(obs.positions, VIEW_RADIUS), prev, N_ACTIONS)

    def record(self, ids, actions) -> None:
        self.previous[ids] = actions


def play_round(env: Battle, sides, epsilons, cfg: BattleConfig, learn: bool = False, left_team: int = 0, watch=None) -> dict:
    """One round between two learners, `sides[g]` playing group g (group 0 moves first) and group
    `left_team` starting in the left formation. An epsilon of None means greedy (argmax) play; 0 means
    each learner's own policy without exploration (greedy for a Q-learner, sampling π for an
    actor-critic). Only group 0 stores transitions, and only when `learn`.

    Kills are counted exactly (initial minus final alive). `kills_reference` counts them as the
    reference code's evaluation does: alive counts read before the last step's dead are cleared, so
    a kill on the last step is missed. `watch(env)`, if given, sees the grid at the start and after every step."""
    return play_rounds([env], [sides], [epsilons], cfg, learn, [left_team], watch)[0]


class RoundInPlay:
    """One environment's round as `play_rounds` steps it: the sides, their mean-action tracker and
    the running totals. A step is four phases: `observe` and `advance` touch only this round's
    environment and tracker (so several rounds' may run in threads: the engine's C calls release
    the GIL), `choose` and `record` use the learners (their networks, streams and rings), in order."""

    def __init__(self, env: Battle, sides, epsilons, cfg: BattleConfig, left_team: int):
        self.env, self.sides, self.epsilons = env, sides, epsilons
        env.reset(left_team=left_team)
        self.tracker = MeanActionTracker(cfg)
        self.totals, self.done = [0.0, 0.0], False
        self.initial = [env.alive_count(0), env.alive_count(1)]
        self.before_step = self.initial

    def observe(self) -> None:
        """Both groups' observations and the mean actions they act on."""
        self.before_step = [self.env.alive_count(0), self.env.alive_count(1)]
        self.observed = [self.env.observe(team) for team in (0, 1)]
        self.means = [self.tracker.mean_action(obs) for obs in self.observed]

    def choose(self, outputs: list | None = None) -> None:
        """Both groups choose their actions (group 0 first, as the engine moves them), each from its
        own forward pass, or from its slice of a stacked one (`outputs`: per group, its policy outputs)."""
        self.actions = []
        for team, (learner, obs, mean) in enumerate(zip(self.sides, self.observed, self.means)):
            if outputs is None:
                self.actions.append(learner.act(obs.view, obs.features, mean, self.epsilons[team]))
            else:
                self.actions.append(learner.choose(outputs[team], self.epsilons[team]))

    def advance(self) -> None:
        """The engine's step."""
        self.rewards, self.alive, self.done = self.env.step(tuple(self.actions))

    def record(self, learn: bool) -> None:
        for team in (0, 1):
            self.totals[team] += float(self.rewards[team].sum())
            self.tracker.record(self.observed[team].ids, self.actions[team])
        if learn:
            obs = self.observed[0]
            self.sides[0].store(
                obs.ids,
                obs.view,
                obs.features,
                self.means[0],
                self.actions[0],
                self.rewards[0],
                self.alive[0],
                chebyshev_peers(obs.positions, VIEW_RADIUS),
            )

    def finish(self, learn: bool) -> dict:
        env, initial = self.env, self.initial
        if learn:
            final = env.observe(0)
            self.sides[0].end_round(final.ids, final.view, final.features, self.tracker.mean_action(final))
        alive_end = [env.alive_count(0), env.alive_count(1)]
        return {
            "total_reward": self.totals,
            "alive": alive_end,
            "initial": initial,
            "kills": [initial[1] - alive_end[1], initial[0] - alive_end[0]],
            "kills_reference": [initial[1] - self.before_step[1], initial[0] - self.before_step[0]],
            "steps": env.steps,
        }


def environment_threads(cfg: BattleConfig, environments: int):
    """A context giving `play_rounds` its thread pool: `battle.env_threads` threads, at most one per
    environment, or None (no pool) where that is one."""
    threads = min(cfg.env_threads, environments)
    return ThreadPoolExecutor(threads) if threads > 1 else contextlib.nullcontext()


def play_rounds(
    envs: list[Battle],
    sides: list,
    epsilons: list,
    cfg: BattleConfig,
    learn: bool = False,
    left_teams: list[int] | None = None,
    watch=None,
    pool: Executor | None = None,
    actors: tuple | None = None,
) -> list[dict]:
    """One round in each environment, all stepped together (`play_round` for each of them): every
    environment's groups act, then every environment steps, until each round is over. Each
    environment has sides, epsilons and a left team of its own, and nothing passes between them:
    a round's result is the same played alone or beside others (tested), so K seeds' rounds can
    share one process. With a thread `pool` (`battle.env_threads`), the environments' observations
    and engine steps run in it, side by side; the learners act and store in the calling thread, in
    environment order, so the results are the same to the byte (tested). With `actors` (per group,
    an object whose `outputs` gives every environment's policy outputs from one forward pass: the
    seeds' networks stacked, `stacked.StackedActing`, or a pairing's models over its rounds,
    `BatchedActing`), each group's acting is one pass for all environments."""
    left_teams = left_teams or [0] * len(envs)
    rounds = [RoundInPlay(env, pair, eps, cfg, left) for env, pair, eps, left in zip(envs, sides, epsilons, left_teams)]

    def each(phase, games):
        if pool is None or len(games) == 1:
            for game in games:
                phase(game)
        else:
            list(pool.map(phase, games))

    if watch:
        watch(envs[0])
    playing = rounds
    while playing:
        each(RoundInPlay.observe, playing)
        if actors is None:
            for game in playing:
                game.choose()
        else:
            outputs = [
                group.outputs(
                    [
                        None if game.done else (game.observed[team].view, game.observed[team].features, game.means[team])
                        for game in rounds
                    ]
                )
                for team, group in enumerate(actors)
            ]
            for k, game in enumerate(rounds):
                if not game.done:
                    game.choose([outputs[0][k], outputs[1][k]])
        each(RoundInPlay.advance, playing)
        for game in playing:
            game.record(learn)
        if watch:
            watch(envs[0])
        playing = [game for game in playing if not game.done]
    return [game.finish(learn) for game in rounds]


def self_play_update(opponent, main, keeps: float) -> None:
    """The reference's `sp_op`: φ_opp ← (1 − keeps)·φ_main + keeps·φ_opp for every network."""
    for name, net in opponent.networks().items():
        soft_update(net, main.networks()[name], 1.0 - keeps)


def identity(algo: str, cfg: BattleConfig) -> dict:
    """What a battle checkpoint or model belongs to: the algorithm, the map and the team size."""
    return {"algo": algo, "map_size": cfg.map_size, "agents_per_side": cfg.agents_per_side}


def save_checkpoint(
    path: Path,
    algo: str,
    cfg: BattleConfig,
    main,
    opponent,
    next_round: int,
    rng: np.random.Generator,
    rows: list,
    seconds: list,
    torch_rng: torch.Tensor,
    resumes: list | None = None,
) -> None:
    checkpoints.save_progress(
        path,
        identity(algo, cfg),
        training_settings(cfg, algo),
        {
            "next_round": next_round,
            "main": checkpoints.module_states(main),
            "learner": main.round_state(cfg.checkpoint_replay),
            "opponent": {k: m.state_dict() for k, m in opponent.networks().items()},
            "numpy_rng": rng.bit_generator.state,
            "torch_rng": torch_rng,
            "metrics": [list(r) for r in rows],
            "seconds": list(seconds),
            "resumes": list(resumes or []),
        },
    )


def load_checkpoint(path: Path, algo: str, cfg: BattleConfig, resuming: bool = True) -> dict:
    """This algorithm's checkpoint for this map and team size; to resume, trained with the same settings."""
    return checkpoints.load_progress(path, identity(algo, cfg), training_settings(cfg, algo) if resuming else None, "battle")


class SeedTraining:
    """One seed's self-play training as `train_seeds` keeps it: its environment, its main model and
    opponent (built after `torch.manual_seed(seed)`: `initial_model`), its random stream
    (map seeds, sides, exploration, replay draws), its metrics and its checkpoint."""

    def __init__(self, algo: str, seed: int, cfg: BattleConfig, out: Path, device: str, stale: checkpoints.Stale, live=None):
        self.live = live  # live.LiveLog: metrics.csv rewritten at every checkpoint (None: not)
        self.algo, self.seed, self.cfg, self.out = algo, seed, cfg, out
        self.rng = np.random.default_rng([seed, 4, BATTLE[algo].stream_id])
        self.env = make_env(cfg, seed)
        self.main = initial_model(algo, seed, cfg, self.env, self.rng, device)
        self.opponent = make_learner(algo, self.env, cfg, self.rng, device)
        for name, net in self.opponent.networks().items():
            net.load_state_dict(self.main.networks()[name].state_dict())
        # nothing draws from torch's generator once the networks are built: a checkpoint keeps the
        # seed's state from then, as a run alone's would
        self.torch_rng = torch.get_rng_state()
        self.rows, self.seconds, self.checkpoint_seconds, self.start = [], [], [], 0
        self.resumes = []  # each resume of this run: the round it resumed at and what became of its replay
        self.checkpoint = out / CHECKPOINT
        state = checkpoints.resume_state(self.checkpoint, lambda path: load_checkpoint(path, algo, cfg), stale)
        if state is not None:
            checkpoints.restore(self.main, state["main"])
            learner = state.get("learner", {})
            self.main.load_round_state(learner)
            checkpoints.restore(self.opponent, state["opponent"])
            self.rng.bit_generator.state = state["numpy_rng"]
            self.torch_rng = state["torch_rng"]
            self.rows, self.seconds = [tuple(r) for r in state["metrics"]], list(state["seconds"])
            self.checkpoint_seconds = [np.nan] * len(self.seconds)  # not kept: this process did not write them
            self.start = state["next_round"]
            replay = "restored" if "ring" in learner else ("refilled" if self.main.carries_replay else "none (on-policy)")
            self.resumes = [*state.get("resumes", []), {"round": self.start, "replay": replay}]

    def begin_round(self, r: int) -> None:
        """The round's map seed and main's side, drawn from the seed's stream as a run alone draws them."""
        self.env.env.set_seed(int(self.rng.integers(2**31)))
        self.main_left = self.cfg.side == "left" or bool(self.rng.integers(2) == 0)
        self.epsilon = epsilon_at(r, self.cfg)

    def learn(self, r: int, result: dict, stats: dict | None = None) -> None:
        """Train main on the round (unless `stats` says its updates were made with other seeds')
        and let the opponent follow a winning main."""
        cfg, main = self.cfg, self.main
        stats = main.train_round() if stats is None else stats
        main_won = result["total_reward"][0] > result["total_reward"][1]
        if main_won:  # the opponent follows main only after main wins (reference code)
            self_play_update(self.opponent, main, cfg.opponent_keeps)
        self.values = {
            "total_reward_main": result["total_reward"][0],
            "total_reward_opponent": result["total_reward"][1],
            "mean_reward_main": result["total_reward"][0] / result["initial"][0],
            "mean_reward_opponent": result["total_reward"][1] / result["initial"][1],
            "kills_main": result["kills"][0],
            "kills_opponent": result["kills"][1],
            "alive_main": result["alive"][0],
            "alive_opponent": result["alive"][1],
            "loss": stats["loss"],
            "mean_q": stats.get("mean_q", np.nan),
            "gradient_steps": stats["gradient_steps"],
            "epsilon": self.epsilon,
            "round_steps": result["steps"],
            "main_left": float(self.main_left),
            "main_won": float(main_won),
        }

    def log(self, r: int, seconds: float) -> None:
        """Log the round (and its wall time) and checkpoint on schedule."""
        self.seconds.append(seconds)
        self.rows += [(r + 1, metric, float(value)) for metric, value in self.values.items()]
        t0 = time.perf_counter()
        if (r + 1) % self.cfg.checkpoint_every == 0 or r + 1 == self.cfg.rounds:
            save_checkpoint(
                self.checkpoint,
                self.algo,
                self.cfg,
                self.main,
                self.opponent,
                r + 1,
                self.rng,
                self.rows,
                self.seconds,
                self.torch_rng,
                self.resumes,
            )
            if self.live is not None:
                self.live.update(self.rows)
        self.checkpoint_seconds.append(time.perf_counter() - t0)

    def finish(self) -> pd.DataFrame:
        timing.write_timing(
            self.out / TIMING, "round", list(range(1, len(self.seconds) + 1)), self.seconds, self.checkpoint_seconds, self.main
        )
        checkpoints.save_progress(
            self.out / FINAL_MODEL,
            identity(self.algo, self.cfg),
            training_settings(self.cfg, self.algo),
            {"main": {k: m.state_dict() for k, m in self.main.networks().items()}},
        )
        metrics = pd.DataFrame(self.rows, columns=["step", "metric", "value"])
        if self.resumes:  # for the run's provenance (run.write_run): a refilled replay makes it another run
            metrics.attrs["resumed"] = self.resumes
        return metrics


def train_seeds(
    algo: str,
    seeds: list[int],
    cfg: BattleConfig,
    outs: list[Path],
    device: str = "cpu",
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    lives: list | None = None,
) -> list[pd.DataFrame]:
    """Self-play training of several seeds of `algo` in one process (`battle.seeds_per_job`); returns
    each seed's per-round metrics. Each seed keeps its own environment, models, random stream,
    replay, opponent, outputs and checkpoint (`SeedTraining`), and its rounds are played beside the
    other seeds' (`play_rounds`), so its results are its run alone's to the byte (tested). Each seed
    resumes from its own checkpoint in its out folder, if present (one made with other settings: see
    `checkpoints.discard_stale`). A seed's timing.csv gets the seconds of the rounds its job played
    with it (every seed's round of that number), so with K seeds they are K seeds' rounds. With
    `battle.stacked_update` (for a GPU) the seeds' updates of a round are made as one,
    and each step's acting is one forward pass per group (algorithms/battle/stacked.py), and a seed
    follows its run alone to float tolerance only."""
    lives = lives or [None] * len(seeds)  # each seed's live.LiveLog: metrics.csv at every checkpoint
    runs = [SeedTraining(algo, seed, cfg, Path(out), device, stale, live) for seed, out, live in zip(seeds, outs, lives)]
    stacked_rounds = stacked.StackedRounds()  # kept for the job: one capture, reloaded each round
    stacked_actors = stacked.StackedActors(cfg.agents_per_side)
    # the seeds' environments observed and stepped in threads (`battle.env_threads`; results unchanged)
    with environment_threads(cfg, len(runs)) as pool:
        first = min(run.start for run in runs)
        name = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds " + " ".join(map(str, seeds))
        bar = tqdm(
            range(first, cfg.rounds),
            desc=f"battle {algo} {name}",
            unit="round",
            disable=not progress,
            initial=first,
            total=cfg.rounds,
        )
        for r in bar:
            t0 = time.perf_counter()
            playing = [run for run in runs if run.start <= r]
            for run in playing:
                run.begin_round(r)
            mains = [run.main for run in playing]
            stacking = cfg.stacked_update and stacked.stackable(mains)
            actors = stacked_actors(mains, [run.opponent for run in playing]) if stacking else None
            results = play_rounds(
                [run.env for run in playing],
                [(run.main, run.opponent) for run in playing],
                [(run.epsilon, run.epsilon) for run in playing],
                cfg,
                learn=True,
                left_teams=[0 if run.main_left else 1 for run in playing],
                pool=pool,
                actors=actors,
            )
            stats = stacked_rounds(mains) if stacking else [None] * len(playing)
            for run, result, seed_stats in zip(playing, results, stats):
                run.learn(r, result, seed_stats)
            seconds = time.perf_counter() - t0
            for run in playing:
                run.log(r, seconds)
            bar.set_postfix(
                reward=f"{np.mean([result['total_reward'][0] for result in results]):.1f}",
                kills=f"{np.mean([result['kills'][0] for result in results]):.1f}",
            )
    return [run.finish() for run in runs]


def train(
    algo: str,
    seed: int,
    cfg: BattleConfig,
    out: Path,
    device: str = "cpu",
    progress: bool = True,
    stale: checkpoints.Stale = "refuse",
    live=None,
) -> pd.DataFrame:
    """Self-play training of one seed (`train_seeds` with one); returns the per-round metrics.
    Resumes from out/checkpoint.pt if present."""
    return train_seeds(algo, [seed], cfg, [Path(out)], device, progress, stale, lives=[live])[0]


def load_model(path: Path, algo: str, cfg: BattleConfig, env: Battle, rng, device: str = "cpu"):
    """A trained main model for evaluation (the tournament); `rng` is its acting stream (an actor-critic samples π from it)."""
    state = load_checkpoint(path, algo, cfg, resuming=False)
    learner = make_learner(algo, env, cfg, rng, device)
    checkpoints.restore(learner, state["main"])
    return learner


def seed_pairs(keys: list[tuple[str, int]]) -> list[tuple]:
    """Every ordered pair of algorithms, each against itself included, across seed pairs; a model
    meets a different seed of its own algorithm, or itself when that algorithm has one seed only."""
    seeds = {}
    for algo, seed in keys:
        seeds.setdefault(algo, []).append(seed)
    pairs = []
    for a in seeds:
        for b in seeds:
            for i in seeds[a]:
                for j in seeds[b]:
                    if a != b or i != j or len(seeds[a]) == 1:
                        pairs.append(((a, i), (b, j)))
    return pairs


# The tournament's schedule: round k of a seed pair puts the row model in group ROW_GROUP[k % 4] (group
# 0 moves first) and on the left when ROW_LEFT[k % 4], so every pairing plays each of the four side ×
# group-order combinations equally often (magent2 favours group 0, and a model may favour one side).
ROW_GROUP = (0, 0, 1, 1)
ROW_LEFT = (True, False, True, False)


def balanced_rounds(
    row_model,
    col_model,
    cfg: BattleConfig,
    env: Battle | list[Battle],
    rng: np.random.Generator,
    rounds: int,
    epsilon,
    pool: Executor | None = None,
) -> list[dict]:
    """`rounds` rounds of the row model against the column model, round k with the row model in group
    ROW_GROUP[k % 4] and on the left when ROW_LEFT[k % 4]: each side × group order equally often.
    Given several environments, as many rounds are played at once (`battle.tournament_batch`), each
    model acting for all of them in one forward pass per step (`BatchedActing`); the maps' seeds are
    drawn from `rng` in round order either way."""
    envs = env if isinstance(env, list) else [env]
    records = []
    for start in range(0, rounds, len(envs)):
        batch = list(range(start, min(start + len(envs), rounds)))
        sides, left_teams, groups = [], [], []
        for game_env, k in zip(envs, batch):
            game_env.env.set_seed(int(rng.integers(2**31)))
            row, col = ROW_GROUP[k % 4], 1 - ROW_GROUP[k % 4]
            pair = [None, None]
            pair[row], pair[col] = row_model, col_model
            sides.append(pair)
            left_teams.append(row if ROW_LEFT[k % 4] else col)
            groups.append((row, col))
        if len(envs) == 1:
            results = [play_round(envs[0], sides[0], (epsilon, epsilon), cfg, left_team=left_teams[0])]
        else:
            actors = tuple(BatchedActing([pair[group] for pair in sides]) for group in (0, 1))
            results = play_rounds(
                envs[: len(batch)], sides, [(epsilon, epsilon)] * len(batch), cfg, left_teams=left_teams, pool=pool, actors=actors
            )
        for k, (row, col), result in zip(batch, groups, results):
            records.append(
                {
                    "round": k,
                    "row_group": row,
                    "row_side": "left" if ROW_LEFT[k % 4] else "right",
                    "row_kills": result["kills"][row],
                    "col_kills": result["kills"][col],
                    "row_kills_reference": result["kills_reference"][row],
                    "col_kills_reference": result["kills_reference"][col],
                    "row_total_reward": result["total_reward"][row],
                    "col_total_reward": result["total_reward"][col],
                    "win_rule": cfg.evaluation_win_rule,
                }
            )
    return records


class BatchedActing:
    """One group's acting in several environments at once, when the same few models play in all of
    them (a tournament pairing's rounds): each distinct model runs one forward pass over its
    environments' observations, joined along the agent axis, and each environment gets its rows."""

    def __init__(self, models: list):
        self.models = models  # per environment, the model playing this group there

    @torch.no_grad()
    def outputs(self, observations: list) -> list:
        """Each environment's policy outputs for its (view, features, mean action), or None where its
        round is over (the `StackedActing` interface)."""
        outputs = [None] * len(observations)
        for model in {id(model): model for model in self.models}.values():
            mine = [k for k, (other, obs) in enumerate(zip(self.models, observations)) if other is model and obs is not None]
            if not mine:
                continue
            joined = model.policy_outputs(*(np.concatenate([observations[k][i] for k in mine]) for i in range(3)))
            sizes = [len(observations[k][0]) for k in mine]
            for k, part in zip(mine, joined.split(sizes)):
                outputs[k] = part
        return outputs


def evaluation_epsilon(cfg: BattleConfig):
    """What `play_round` is given for evaluation: 0 (each learner's own policy without exploration:
    actor-critics sample π, the reference) or None (argmax for everyone)."""
    return None if cfg.evaluation_policy == "greedy" else 0.0


def tournament(
    models: dict, cfg: BattleConfig, seed: int = 0, progress: bool = True, row_algos: list[str] | None = None
) -> pd.DataFrame:
    """Every ordered pair of (algo, seed) models plays `tournament_rounds` rounds, balanced over side
    and group order (`balanced_rounds`). Actor-critics sample π (`evaluation_policy: sample`, the
    reference) or take argmax (`greedy`); Q-learners act greedily either way. Returns one row per
    round: row/column algorithm and seed, the row model's group and side, exact and reference-rule
    kills, total rewards, and the win rule the outcome columns of the analysis use.

    Each pairing draws from streams of its own, keyed by its place in the whole tournament's list
    of pairings (the maps' seeds, and π's draws for both models), so the tournament can be played
    in parts: `row_algos` plays only the pairings whose row model is one of them, and the parts,
    concatenated in row-algorithm order, are the whole tournament to the byte."""
    envs = [make_env(cfg, seed) for _ in range(min(cfg.tournament_batch, cfg.tournament_rounds))]
    records = []
    pairs = list(enumerate(seed_pairs(sorted(models))))
    if row_algos is not None:
        pairs = [(index, (row_key, col_key)) for index, (row_key, col_key) in pairs if row_key[0] in row_algos]
    with environment_threads(cfg, len(envs)) as pool:
        for index, (row_key, col_key) in tqdm(pairs, desc="tournament", disable=not progress):
            policy_rng = np.random.default_rng([seed, 6, index])  # π's draws of both models in this pairing
            for model in (models[row_key], models[col_key]):
                if hasattr(model, "rng"):
                    model.rng = policy_rng
            for record in balanced_rounds(
                models[row_key],
                models[col_key],
                cfg,
                envs,
                np.random.default_rng([seed, 5, index]),
                cfg.tournament_rounds,
                evaluation_epsilon(cfg),
                pool,
            ):
                records.append(
                    {"row_algo": row_key[0], "row_seed": row_key[1], "col_algo": col_key[0], "col_seed": col_key[1], **record}
                )
    return pd.DataFrame(records)


def scripted_evaluation(models: dict, cfg: BattleConfig, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Every trained (algo, seed) model against each scripted team (`algorithms/battle/scripted.py`)
    for `scripted_rounds` rounds, balanced over side and group order as the tournament. A model that
    learned to fight from one side only, or learned nothing, shows here."""
    from replication.algorithms.battle.scripted import SCRIPTED

    rng = np.random.default_rng([seed, 7])
    env = make_env(cfg, seed)
    records = []
    for key in tqdm(sorted(models), desc="scripted opponents", disable=not progress):
        for name, team in SCRIPTED.items():
            opponent = team(np.random.default_rng([seed, 8, *key[1:]]), N_ACTIONS, ATTACK_ACTIONS)
            for record in balanced_rounds(models[key], opponent, cfg, env, rng, cfg.scripted_rounds, evaluation_epsilon(cfg)):
                records.append({"row_algo": key[0], "row_seed": key[1], "col_algo": name, "col_seed": -1, **record})
    return pd.DataFrame(records)
