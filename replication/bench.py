"""`python -m replication bench <task>`: speed of a task's pieces at the paper's settings.

Battle: env-only steps/s with random actions; acting steps/s with both teams' networks and no
training, against its floor (env step + one batched forward per team); seconds per training round
for each algorithm, against its gradient floor (the same number of gradient steps on one fixed
batch, nothing else); gradient samples/s; seconds per seed-round with 1 and 5 seeds trained side
by side in one process (`experiments/battle.py` `train_seeds`: the second round of a two-round run),
and with 5 with their environments in threads (`battle.env_threads`) and with their updates and
acting stacked (`battle.stacked_update`); seconds per tournament round played one at a time and 4
at once (`battle.tournament_batch`); for IL and MF-Q, one gradient step stacked and seed by seed
and, on a CUDA device, its CUDA-graph floor.

Paper B's tasks (pursuit, resource sharing, ...): env-only steps/s with random actions; for each
learner, training steps/s (act, store, reshape, one gradient step per env step: the author code's
loop), its gradient floor (training steps alone), greedy evaluation steps/s (act greedily, step
the task: what the periodic evaluation episodes do), and seed-steps/s with 1 and 5 seeds trained in
one process (`experiments/seed_group.py`).

The audit reads these files to cost the scale an inconclusive claim needs
(`replication.analysis.cost`). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from replication import io
from replication.config import STACKABLE, BattleConfig, SuiteConfig, resolve
from replication.experiments import battle as battle_experiments
from replication.provenance import _cpu_name
from replication.registry import SEMI_COOPERATIVE
from replication.tasks.battle import N_ACTIONS


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def env_only(cfg: BattleConfig, rounds: int, rng) -> float:
    env = battle_experiments.make_env(cfg, 0)
    steps = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        env.reset()
        done = False
        while not done:
            for team in (0, 1):
                env.observe(team)
            actions = tuple(rng.integers(0, N_ACTIONS, env.alive_count(t)) for t in (0, 1))
            _, _, done = env.step(actions)
            steps += 1
    return steps / (time.perf_counter() - t0)


def acting(algo: str, cfg: BattleConfig, rounds: int, rng, device: str) -> tuple[float, float]:
    """Steps/s of the acting loop (no training), and of its floor: env step + one forward per team."""
    env = battle_experiments.make_env(cfg, 0)
    sides = [battle_experiments.make_learner(algo, env, cfg, rng, device) for _ in (0, 1)]
    steps = 0
    loop = 0.0
    for _ in range(rounds):
        loop += _timed(lambda: battle_experiments.play_round(env, sides, (0.1, 0.1), cfg))
        steps += env.steps
    floor_steps, floor = 0, 0.0
    for _ in range(rounds):
        env.reset()
        done = False
        while not done:
            t0 = time.perf_counter()
            actions = []
            for team in (0, 1):
                obs = env.observe(team)
                mean = np.zeros((len(obs.ids), N_ACTIONS), np.float32)
                with torch.inference_mode():
                    sides[team].act(obs.view, obs.features, mean, None)
                actions.append(rng.integers(0, N_ACTIONS, len(obs.ids)))
            _, _, done = env.step(tuple(actions))
            floor += time.perf_counter() - t0
            floor_steps += 1
    return steps / loop, floor_steps / floor


def training_round(algo: str, cfg: BattleConfig, rng, device: str) -> dict:
    """Time one self-play round (acting + storing + training) after a warm-up round, and its gradient floor."""
    env = battle_experiments.make_env(cfg, 0)
    main = battle_experiments.make_learner(algo, env, cfg, rng, device)
    opponent = battle_experiments.make_learner(algo, env, cfg, rng, device)
    battle_experiments.play_round(env, (main, opponent), (0.5, 0.5), cfg, learn=True)
    main.train_round()  # warm-up: fills the replay, first allocations
    t0 = time.perf_counter()
    battle_experiments.play_round(env, (main, opponent), (0.5, 0.5), cfg, learn=True)
    act_seconds = time.perf_counter() - t0
    on_policy = algo in ("ac", "mfac")
    if on_policy:  # keep this round's rows: the floor repeats the same update on them
        round_rows, final_rows = list(main.round_rows), main.final_rows
    stats = main.train_round()
    round_seconds = time.perf_counter() - t0
    steps = stats["gradient_steps"]
    if on_policy:
        main.round_rows, main.final_rows = round_rows, final_rows
        floor = _timed(main.train_round)
        batch_samples = sum(len(r) for r in round_rows)
    else:
        batch = main.ring.batch(main.ring.usable_rows()[: cfg.batch_size])
        floor = _timed(lambda: [main.gradient_step(batch) for _ in range(steps)])
        batch_samples = steps * cfg.batch_size
    return {
        "round_seconds": round_seconds,
        "acting_seconds": act_seconds,
        "gradient_steps": steps,
        "gradient_floor_seconds": floor,
        "round_over_floor": round_seconds / floor,
        "gradient_samples_per_second": batch_samples / floor,
    }


GROUP_SIZES = (1, 5)  # seeds per process the benches time (seed_steps_per_second_k<K>, seed_round_seconds_k<K>)


def seed_rounds(algo: str, cfg: BattleConfig, seeds: int, device: str, **settings) -> float:
    """Seconds per seed-round of `seeds` seeds trained side by side in one process: the wall time of
    their second training round (the first fills the replay) divided by the seeds; `settings` are
    battle settings for the job (`stacked_update`, `env_threads`)."""
    import dataclasses
    import tempfile

    cfg = dataclasses.replace(cfg, rounds=2, checkpoint_every=2, **settings)
    with tempfile.TemporaryDirectory() as folder:
        outs = [Path(folder) / f"seed{seed}" for seed in range(seeds)]
        battle_experiments.train_seeds(algo, list(range(seeds)), cfg, outs, device, progress=False)
        return float(pd.read_csv(outs[0] / battle_experiments.TIMING)["seconds"].iloc[1]) / seeds


def _learners_and_batch(algo: str, cfg: BattleConfig, seeds: int, device: str) -> tuple[list, dict]:
    """`seeds` fresh learners of `algo` and one training batch of random observations (batch_size rows)."""
    env = battle_experiments.make_env(cfg, 0)
    rng = np.random.default_rng(0)
    learners = [battle_experiments.make_learner(algo, env, cfg, np.random.default_rng(k), device) for k in range(seeds)]
    n, batch = cfg.batch_size, {}
    for key, shape in (("view", env.view_shape), ("features", (env.feature_size,)), ("mean_action", (N_ACTIONS,))):
        batch[key] = batch[f"next_{key}"] = torch.as_tensor(rng.random((n, *shape), np.float32), device=device)
    batch.update(
        action=rng.integers(0, N_ACTIONS, n),
        reward=rng.normal(size=n).astype(np.float32),
        terminal=np.zeros(n, np.float32),
        reference_mask=np.ones(n, np.float32),
    )
    return learners, batch


def stacked_steps(algo: str, cfg: BattleConfig, seeds: int, device: str, repeats: int = 5) -> tuple[float, float]:
    """Seconds per gradient step of `seeds` seeds: their TD updates stacked as one
    (`battle.stacked_update`, algorithms/battle/stacked.py) and one after another; each seed on a
    batch of random observations (only the arithmetic is timed)."""
    from replication.algorithms.battle.stacked import StackedQUpdate

    learners, b = _learners_and_batch(algo, cfg, seeds, device)
    stacked = StackedQUpdate(learners)
    stacked.step([b] * seeds, [True] * seeds)  # warm-up
    one_by_one = _timed(lambda: [[learner.gradient_step(b) for learner in learners] for _ in range(repeats)]) / repeats
    together = _timed(lambda: [_synchronised(stacked.step([b] * seeds, [True] * seeds)) for _ in range(repeats)]) / repeats
    return together, one_by_one


def _synchronised(result):
    """`result`, once the device has finished computing it (a CUDA step returns before it is done)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return result


def captured_floor(algo: str, cfg: BattleConfig, seeds: int, device: str, repeats: int = 20) -> float:
    """The CUDA-graph floor of one stacked gradient step of `seeds` seeds: seconds per replay of the
    captured step (`stacked.capture`), batch copied in; NaN where capture falls back to eager steps."""
    from replication.algorithms.battle.stacked import CapturedStep, StackedQUpdate, capture

    learners, b = _learners_and_batch(algo, cfg, seeds, device)
    stepper = capture(StackedQUpdate(learners), [b] * seeds)
    if not isinstance(stepper, CapturedStep):
        return float("nan")
    _synchronised(stepper.step([b] * seeds, [True] * seeds))
    return _timed(lambda: [_synchronised(stepper.step([b] * seeds, [True] * seeds)) for _ in range(repeats)]) / repeats


TOURNAMENT_BATCHES = (1, 4)  # rounds of a pairing played at once (battle.tournament_batch) the bench times


def tournament_round_seconds(algo: str, cfg: BattleConfig, batch: int, device: str, rounds: int = 4) -> float:
    """Seconds per tournament round of an untrained model of `algo` against itself (`balanced_rounds`,
    evaluation policy as configured), `batch` rounds of the pairing at once."""
    import dataclasses

    env = battle_experiments.make_env(cfg, 0)
    model = battle_experiments.make_learner(algo, env, cfg, np.random.default_rng(0), device)
    batched = dataclasses.replace(cfg, tournament_batch=batch)
    envs = [battle_experiments.make_env(cfg, 0) for _ in range(batch)]
    return (
        _timed(
            lambda: battle_experiments.balanced_rounds(
                model, model, batched, envs, np.random.default_rng(0), rounds, battle_experiments.evaluation_epsilon(cfg)
            )
        )
        / rounds
    )


def paper_settings() -> SuiteConfig:
    """The papers' settings the bench measures: the config's defaults, which equal
    workflow/config/paper.yaml but for the scheduler's resources (tests/test_config.py checks it)."""
    return resolve({"scale": "paper"})


def bench_battle(
    out: str | Path, threads: int = 1, device: str = "cpu", rounds: int = 2, algos: list[str] | None = None
) -> pd.DataFrame:
    torch.set_num_threads(threads)
    cfg = paper_settings().battle  # 40×40, 64 v 64, 400 steps, batch 128
    rng = np.random.default_rng(0)
    rows = [{"measure": "env_only_steps_per_second", "algo": "-", "value": env_only(cfg, rounds, rng)}]
    for algo in algos or cfg.algorithms:
        loop, floor = acting(algo, cfg, rounds, rng, device)
        rows += [
            {"measure": "acting_steps_per_second", "algo": algo, "value": loop},
            {"measure": "acting_floor_steps_per_second", "algo": algo, "value": floor},
            {"measure": "acting_over_floor", "algo": algo, "value": floor / loop},
        ]
        rows += [{"measure": k, "algo": algo, "value": v} for k, v in training_round(algo, cfg, rng, device).items()]
        largest = GROUP_SIZES[-1]
        grouped = {f"k{k}": seed_rounds(algo, cfg, k, device) for k in GROUP_SIZES}
        # the largest group with its environments in threads, and with its updates stacked
        grouped[f"k{largest}_env_threads"] = seed_rounds(algo, cfg, largest, device, env_threads=largest)
        if algo in STACKABLE:
            grouped[f"k{largest}_stacked"] = seed_rounds(algo, cfg, largest, device, stacked_update=True)
        rows += [{"measure": f"seed_round_seconds_{k}", "algo": algo, "value": v} for k, v in grouped.items()]
        rows += [{"measure": f"seed_rounds_per_second_{k}", "algo": algo, "value": 1 / v} for k, v in grouped.items()]
        rows += [
            {"measure": f"group_speedup_{k}", "algo": algo, "value": grouped["k1"] / v} for k, v in grouped.items() if k != "k1"
        ]
        rows += [
            {
                "measure": f"tournament_round_seconds_batch{b}",
                "algo": algo,
                "value": tournament_round_seconds(algo, cfg, b, device),
            }
            for b in TOURNAMENT_BATCHES
        ]
        if algo in ("il", "mfq"):  # the Q-learners' step, stacked or seed by seed, and its CUDA-graph floor
            for k in GROUP_SIZES:
                together, one_by_one = stacked_steps(algo, cfg, k, device)
                rows += [
                    {"measure": f"stacked_step_seconds_k{k}", "algo": algo, "value": together},
                    {"measure": f"seed_by_seed_step_seconds_k{k}", "algo": algo, "value": one_by_one},
                ]
                if torch.device(device).type == "cuda":
                    floor = captured_floor(algo, cfg, k, device)
                    rows += [
                        {"measure": f"captured_step_seconds_k{k}", "algo": algo, "value": floor},
                        {"measure": f"stacked_step_over_captured_floor_k{k}", "algo": algo, "value": together / floor},
                    ]
    frame = pd.DataFrame(rows)
    frame["threads"], frame["device"], frame["cpu"] = threads, device, _cpu_name()
    frame["platform"], frame["torch"] = platform.platform(), torch.__version__
    io.write_csv(out, frame)
    return frame


SMALL_TEAMS = ((4, 16), (8, 20), (64, 40))  # agents per side, map size: paper A's smallest populations, and its own


def module_calls(layers, x):
    """A block of layers applied through nn.Module's call, as the battle networks applied them before
    `nets.run_layers`."""
    return layers(x)


def pass_ms(net, inputs: tuple, calls, blocks: int = 30, repeats: int = 100) -> dict:
    """Milliseconds of one forward pass of `net` over `inputs` for each way of applying its layers in
    `calls` ({name: run}): blocks of `repeats` passes, the ways taking turns block by block (so a
    slow spell of the machine falls on both), the median block."""
    times = {name: [] for name in calls}
    with torch.inference_mode():
        for _ in range(blocks):
            for name, run in calls.items():
                times[name].append(1e3 * _timed(lambda: [net(*inputs, run=run) for _ in range(repeats)]) / repeats)
    return {name: float(np.median(found)) for name, found in times.items()}


def bench_small_teams(out: str | Path, threads: int = 1, rounds: int = 2, algos: list[str] | None = None) -> pd.DataFrame:
    """Acting at a few agents per side (`bench battle --small-teams`), every other setting the paper's,
    each map the smallest the reference formation fits: a team's forward pass with its layers applied
    as the networks apply them (`nets.run_layers`) and through nn.Module calls (as before), the same
    rows' arithmetic at the rate of a 512-row pass (where the per-call costs vanish), and a self-play
    round's acting and learning seconds with ε = 1 (no agent trained to kill, so every round runs
    its 400 steps) after one warm-up round."""
    import dataclasses

    from replication.nets import run_layers

    torch.set_num_threads(threads)
    paper = paper_settings().battle
    rows = []
    for algo in algos or ("mfq", "il", "mfac", "ac"):
        for agents, map_size in SMALL_TEAMS:
            cfg = dataclasses.replace(paper, agents_per_side=agents, map_size=map_size)
            rng = np.random.default_rng(0)
            env = battle_experiments.make_env(cfg, 0)
            main, opponent = (battle_experiments.make_learner(algo, env, cfg, rng, "cpu") for _ in (0, 1))
            net = main.networks()["q" if "q" in main.networks() else "net"]
            env.reset()
            obs = env.observe(0)
            inputs = tuple(torch.as_tensor(x) for x in (obs.view, obs.features))
            inputs += (torch.full((len(obs.ids), N_ACTIONS), 1 / N_ACTIONS),)
            wide = tuple(x.repeat(512 // len(x), *[1] * (x.dim() - 1)) for x in inputs)
            timed = pass_ms(net, inputs, {"run_layers": run_layers, "module_calls": module_calls})
            arithmetic = pass_ms(net, wide, {"run_layers": run_layers}, blocks=3, repeats=5)["run_layers"] * len(obs.ids) / 512
            found = {
                "acting_pass_ms": timed["run_layers"],
                "acting_pass_module_calls_ms": timed["module_calls"],
                "acting_pass_arithmetic_ms": arithmetic,
                "acting_pass_over_arithmetic": timed["run_layers"] / arithmetic,
            }
            if agents < 64:  # the paper's population: `bench battle`
                spent = {"acting": 0.0, "learning": 0.0}
                for r in range(rounds + 1):
                    t0 = time.perf_counter()
                    battle_experiments.play_round(env, (main, opponent), (1.0, 1.0), cfg, learn=True)
                    t1 = time.perf_counter()
                    main.train_round()
                    if r:  # the first round is the warm-up
                        spent["acting"] += (t1 - t0) / rounds
                        spent["learning"] += (time.perf_counter() - t1) / rounds
                found.update({f"round_{part}_seconds": value for part, value in spent.items()})
            rows += [
                {"measure": measure, "algo": algo, "agents_per_side": agents, "map_size": map_size, "value": value}
                for measure, value in found.items()
            ]
    frame = pd.DataFrame(rows)
    frame["threads"], frame["device"], frame["cpu"] = threads, "cpu", _cpu_name()
    frame["platform"], frame["torch"] = platform.platform(), torch.__version__
    io.write_csv(out, frame)
    return frame


def grouped_training(task: str, algo: str, cfg: SuiteConfig, n_seeds: int, steps: int) -> float:
    """Seed-steps/s of `n_seeds` seeds trained in one process (semi_cooperative.GroupRun):
    after a batch of warm-up steps past the peer warm-up, `steps` steps of act, store, reshape and
    one gradient step of every seed."""
    from replication.experiments import semi_cooperative as sc

    run = sc.GroupRun(task, algo, list(range(n_seeds)), cfg)
    start = getattr(cfg, task).peer_warmup_steps

    def advance(n: int, first: int) -> None:
        for t in range(first, first + n):
            dones, _ = run.step(t, 0.5)
            for play, done in zip(run.plays, dones):
                if done:
                    play.start()

    advance(cfg.semi_cooperative.batch_size, start)
    return n_seeds * steps / _timed(lambda: advance(steps, start + cfg.semi_cooperative.batch_size))


def bench_semi_cooperative(
    task: str,
    out: str | Path,
    threads: int = 1,
    episodes: int = 2,
    algos: list[str] | None = None,
    group_sizes: tuple[int, ...] = GROUP_SIZES,
) -> pd.DataFrame:
    """One of paper B's tasks at the author code's settings (pursuit: 10×10, 4 predators, 3 prey,
    100 steps; resource sharing: 8 agents, 30 steps), `episodes` episodes per measurement; for each
    learner, seed-steps/s with `group_sizes` seeds in one process."""
    from replication.experiments import semi_cooperative as sc

    torch.set_num_threads(threads)
    cfg = paper_settings()
    schedule = getattr(cfg, task)
    steps = episodes * schedule.episode_length
    env = sc.make_task(task, schedule, np.random.default_rng(0))
    t0 = time.perf_counter()
    for _ in range(steps):
        env.observe(), env.peers()
        if env.step(env.rng.integers(0, env.n_actions, env.n_agents))[1]:
            env.reset()
    rows = [{"measure": "env_only_steps_per_second", "algo": "-", "value": steps / (time.perf_counter() - t0)}]
    for algo in algos or (a for a in schedule.algorithms if a != SEMI_COOPERATIVE.null):  # it takes no gradient step to time
        learner = sc.make_learner(algo, env, cfg.semi_cooperative, schedule, np.random.default_rng(0))
        episode = sc.Episode(env, learner.needs_state)

        def train_steps(n: int, start: int) -> None:
            for t in range(start, start + n):
                step, done = episode.advance(learner.act(episode.obs, episode.mean_action, 0.5))
                learner.store(step, t)
                if t >= cfg.semi_cooperative.batch_size:
                    learner.train_step()
                if done:
                    episode.start()

        def greedy_steps(n: int) -> None:  # as sc.evaluate plays its episodes
            episode.start()
            for _ in range(n):
                if episode.advance(learner.act(episode.obs, episode.mean_action, None))[1]:
                    episode.start()

        warm = schedule.peer_warmup_steps  # from here on, PED-DQN and PE-DQN compute peer evaluations
        train_steps(cfg.semi_cooperative.batch_size, warm)
        loop = _timed(lambda: train_steps(steps, warm + cfg.semi_cooperative.batch_size))
        floor = _timed(lambda: [learner.train_step() for _ in range(steps)])
        greedy = _timed(lambda: greedy_steps(steps))
        rows += [
            {"measure": "training_steps_per_second", "algo": algo, "value": steps / loop},
            {"measure": "gradient_floor_steps_per_second", "algo": algo, "value": steps / floor},
            {"measure": "training_over_floor", "algo": algo, "value": loop / floor},
            {"measure": "evaluation_steps_per_second", "algo": algo, "value": steps / greedy},
        ]
        rates = {k: grouped_training(task, algo, cfg, k, steps) for k in group_sizes}
        rows += [{"measure": f"seed_steps_per_second_k{k}", "algo": algo, "value": rate} for k, rate in rates.items()]
        rows += [
            {"measure": f"group_speedup_k{k}", "algo": algo, "value": rate / rates[group_sizes[0]]}
            for k, rate in rates.items()
            if k != group_sizes[0]
        ]
    frame = pd.DataFrame(rows)
    frame["threads"], frame["device"], frame["cpu"] = threads, "cpu", _cpu_name()
    frame["platform"], frame["torch"] = platform.platform(), torch.__version__
    io.write_csv(out, frame)
    return frame
