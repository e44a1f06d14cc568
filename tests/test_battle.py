"""Battle: the GridWorld adapter against PettingZoo battle_v4, mean actions, replay ring, resume, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch

from replication.algorithms.mean_action import peer_mean_action, team_mean_action
from replication.config import BattleConfig, ConfigError
from replication.experiments import battle as battle_experiments
from replication.replay import AgentTransitionRing
from replication.tasks.battle import Battle, formation
from replication.tasks.neighbourhood import euclidean_neighbours

SMALL = BattleConfig(
    map_size=20,
    agents_per_side=8,
    max_steps=25,
    rounds=4,
    batch_size=16,
    replay_capacity=4000,
    epsilon_decay_rounds=4,
    checkpoint_every=2,
    tournament_rounds=4,
    seeds=[0],
)


def test_adapter_matches_pettingzoo_battle_v4():
    """Same seed, same actions → same rewards and deaths as PettingZoo's battle_v4 (minimap mode).

    PettingZoo's first step after reset sends red's actions to both teams (its team sizes are read
    before the map is filled), so step 0 gives both teams the same actions; later steps differ."""
    from magent2.environments import battle_v4

    pz = battle_v4.parallel_env(map_size=40, minimap_mode=True, max_cycles=400, seed=3)
    pz_obs, _ = pz.reset(seed=3)
    ours = Battle(40, 64, 400, minimap_mode=True, seed=3)
    ours.reset(seed=3)
    assert len(pz.agents) == 128 and ours.alive_count(0) == ours.alive_count(1) == 64
    red = [a for a in pz.agents if a.startswith("red")]
    np.testing.assert_array_equal(ours.observe(0).view, np.stack([pz_obs[a][..., :7] for a in red]))
    rng = np.random.default_rng(0)
    deaths = 0
    for step in range(40):
        red = [a for a in pz.agents if a.startswith("red")]
        blue = [a for a in pz.agents if a.startswith("blue")]
        acts = (rng.integers(0, 21, len(red)), rng.integers(0, 21, len(blue)))
        if step == 0:
            acts = (acts[0], acts[0].copy())
        _, pz_rewards, pz_dead, _, _ = pz.step({**dict(zip(red, acts[0])), **dict(zip(blue, acts[1]))})
        rewards, alive, _ = ours.step(acts)
        np.testing.assert_allclose(rewards[0], [pz_rewards[a] for a in red], rtol=1e-6)
        np.testing.assert_allclose(rewards[1], [pz_rewards[a] for a in blue], rtol=1e-6)
        assert (~alive[0]).tolist() == [pz_dead[a] for a in red]
        assert (~alive[1]).tolist() == [pz_dead[a] for a in blue]
        deaths += int((~alive[0]).sum() + (~alive[1]).sum())
    assert ours.alive_count(0) + ours.alive_count(1) == 128 - deaths


def test_observations_are_copies_and_finite_after_a_team_is_wiped_out(monkeypatch):
    env = Battle(20, 8, 10, seed=0)
    env.reset()
    view, features = env.env.get_observation(env.handles[0])
    view[..., 6] = np.nan  # what the engine gives once the other team has no agents left
    monkeypatch.setattr(env.env, "get_observation", lambda handle: (view, features))
    obs = env.observe(0)
    assert np.isfinite(obs.view).all() and (obs.view[..., 6] == 0).all()
    assert obs.view is not view and np.isnan(view[..., 6]).all()  # the engine buffer is left alone


def test_a_wiped_out_team_is_observed_without_the_engine(monkeypatch):
    """magent2 reads agents[0] of the observed group in minimap mode: out of bounds once the group
    is empty (it crashed a default run). An empty team gets empty arrays and no engine call."""
    env = Battle(20, 8, 10, seed=0)
    env.env.reset()
    env.env.add_agents(env.handles[1], method="custom", pos=formation(20, 8, False))  # team 0 has no agents

    def engine_observation(handle):
        raise AssertionError("engine observation read for an empty group")

    monkeypatch.setattr(env.env, "get_observation", engine_observation)
    obs = env.observe(0)
    assert obs.view.shape == (0, *env.view_shape) and obs.features.shape == (0, env.feature_size)
    assert obs.ids.shape == (0,) and obs.positions.shape == (0, 2)


def test_formation_is_the_reference_square():
    left, right = formation(40, 64, True), formation(40, 64, False)
    assert len(left) == len(right) == 64
    assert min(p[0] for p in left) == 1 and max(p[0] for p in left) == 15 and min(p[0] for p in right) == 23
    with pytest.raises(ValueError, match="needs a map of at least 24"):
        Battle(20, 16)


def test_neighbour_mean_action_by_hand():
    positions = np.array([[0, 0], [3, 4], [10, 10], [0, 6]])
    previous = np.array([1, 2, 3, -1])  # agent 3 has not acted yet
    mean = peer_mean_action(euclidean_neighbours(positions, radius=6), previous, n_actions=4)
    np.testing.assert_allclose(mean[0], [0, 0, 1, 0])  # (3,4) at distance 5; (0,6) has no action
    np.testing.assert_allclose(mean[1], [0, 1, 0, 0])  # (0,0) at 5; (0,6) at √13 but no action
    np.testing.assert_allclose(mean[2], [0, 0, 0, 0])  # nobody within 6
    np.testing.assert_allclose(mean[3], [0, 0.5, 0.5, 0])


def test_team_mean_action_by_hand():
    mean = team_mean_action(np.array([1, 2, 3, -1]), 4)
    np.testing.assert_allclose(mean, np.tile([0, 1 / 3, 1 / 3, 1 / 3], (4, 1)))
    np.testing.assert_allclose(team_mean_action(np.array([-1, -1]), 3), 0)


def test_transition_ring_links_terminal_and_wraps():
    ring = AgentTransitionRing(capacity=6, view_shape=(1, 1, 1), feature_size=1, n_actions=2, max_agent_id=4)
    ids = np.array([0, 1])

    def step(value, alive=(True, True), who=ids):
        n = len(who)
        return ring.add_step(
            who,
            np.full((n, 1, 1, 1), value),
            np.full((n, 1), value),
            np.zeros((n, 2)),
            np.array([1] * n),
            np.full(n, value, np.float32),
            np.array(alive[:n]),
        )

    r0 = step(0.0)
    assert not ring.usable[r0].any()  # no successor yet
    r1 = step(1.0, alive=(True, False))  # agent 1 dies at step 1
    assert ring.usable[r0].all() and ring.next_row[r0].tolist() == r1.tolist()
    assert ring.terminal[r1].tolist() == [False, True] and ring.usable[r1].tolist() == [False, True]
    r2 = step(2.0, who=np.array([0]))
    batch = ring.batch(np.array([r1[0]]))
    assert batch["next_view"].item() == 2.0 and batch["terminal"].item() == 0.0
    final = ring.end_round(np.array([0]), np.full((1, 1, 1, 1), 9.0), np.full((1, 1), 9.0), np.zeros((1, 2)))
    assert ring.batch(r2)["next_view"].item() == 9.0 and not ring.usable[final].any()
    # 6 rows stored: the next step overwrites the oldest rows (0 and 1)
    r3 = step(3.0)
    assert sorted(r3.tolist()) == [0, 1] and ring.size == 6
    assert set(ring.usable_rows().tolist()) == {int(r1[0]), int(r1[1]), int(r2[0])}  # new-round rows: no successor yet


@pytest.mark.parametrize("algo", ["il", "mfq", "ac", "mfac", "ped_dqn"])
def test_two_rounds_of_training_log_every_metric(tmp_path, algo):
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 2})
    metrics = battle_experiments.train(algo, 0, cfg, tmp_path, progress=False)
    assert sorted(metrics["step"].unique()) == [1, 2]
    for name in ("total_reward_main", "kills_main", "alive_opponent", "loss", "mean_q", "epsilon"):
        assert (metrics["metric"] == name).sum() == 2
    assert (tmp_path / "model.pt").exists() and (tmp_path / "checkpoint.pt").exists()
    timing = pd.read_csv(tmp_path / "timing.csv")
    assert timing["round"].tolist() == [1, 2] and (timing["seconds"] > 0).all()


def _killed_at_round(monkeypatch, round_to_die):
    real, calls = battle_experiments.play_rounds, {"n": 0}

    def dying(*args, **kwargs):
        if kwargs.get("learn"):
            calls["n"] += 1
            if calls["n"] == round_to_die:
                raise KeyboardInterrupt("simulated kill")
        return real(*args, **kwargs)

    monkeypatch.setattr(battle_experiments, "play_rounds", dying)


@pytest.mark.parametrize("algo", ["ac", "il"])
def test_killed_training_resumes_without_losing_or_repeating_rounds(tmp_path, monkeypatch, algo):
    reference = battle_experiments.train(algo, 0, SMALL, tmp_path / "ref", progress=False)
    _killed_at_round(monkeypatch, 4)  # dies in round 4, after the checkpoint of round 2
    with pytest.raises(KeyboardInterrupt):
        battle_experiments.train(algo, 0, SMALL, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "model.pt").exists()
    monkeypatch.undo()
    resumed = battle_experiments.train(algo, 0, SMALL, tmp_path / "run", progress=False)
    per_round = resumed.groupby("metric")["step"].apply(list)
    assert all(steps == [1, 2, 3, 4] for steps in per_round)
    assert pd.read_csv(tmp_path / "run" / "timing.csv")["round"].tolist() == [1, 2, 3, 4]
    if algo == "ac":  # on-policy: nothing lives outside the checkpoint, so the resumed run is identical
        assert resumed.equals(reference)


@pytest.mark.parametrize(
    "algo,env_threads", [("il", 1), ("mfq", 1), ("ac", 1), ("mfac", 1), ("ped_dqn", 1), ("mfq", 2), ("ac", 2)]
)
def test_seeds_trained_together_equal_their_runs_alone(tmp_path, monkeypatch, algo, env_threads):
    """Seeds 0 and 1 trained side by side in one process (`train_seeds`, `battle.seeds_per_job`) log
    every metric of their runs alone to the byte and end with the same weights: each seed keeps its
    own environment, models, random stream, replay and opponent, and its rounds are stepped beside
    the other's without anything passing between them. (Fails before `train_seeds` existed.) With
    `env_threads: 2` the two environments are observed and stepped in two threads (both phases of
    every step go through the pool), and still every byte is the run alone's."""
    mapped = []

    class CountingPool(battle_experiments.ThreadPoolExecutor):
        def map(self, fn, *iterables):
            mapped.append(fn.__name__)
            return super().map(fn, *iterables)

    monkeypatch.setattr(battle_experiments, "ThreadPoolExecutor", CountingPool)
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 3, "env_threads": env_threads})
    together = battle_experiments.train_seeds(algo, [0, 1], cfg, [tmp_path / "g0", tmp_path / "g1"], progress=False)
    if env_threads == 1:
        assert mapped == []
    else:  # 3 rounds of 25 steps in which both seeds play (the pool serves only when two rounds are on)
        assert mapped.count("observe") == mapped.count("advance") >= 3 * 25 and set(mapped) == {"observe", "advance"}
    for seed, grouped in zip((0, 1), together):
        alone = battle_experiments.train(algo, seed, cfg, tmp_path / f"alone{seed}", progress=False)
        assert grouped.equals(alone)
        model_alone = torch.load(tmp_path / f"alone{seed}" / "model.pt", weights_only=True)["main"]
        model_grouped = torch.load(tmp_path / f"g{seed}" / "model.pt", weights_only=True)["main"]
        assert all(
            torch.equal(model_alone[net][name], model_grouped[net][name]) for net in model_alone for name in model_alone[net]
        )
    assert not together[0].equals(together[1])  # the two seeds did play different rounds


@pytest.mark.parametrize("algo", ["mfq", "ac", "ped_dqn"])
def test_stacked_updates_follow_each_seeds_run_alone_to_float_tolerance(tmp_path, monkeypatch, algo):
    """With `battle.stacked_update` the updates of MF-Q's (TD steps), AC's (one on-policy update) or
    PED-DQN's (two networks' TD steps) seeds 0 and 1 are made as one vmapped step per round, and their
    acting as one pass per group (algorithms/battle/stacked.py). Round 1 is played on identical weights, so its outcome
    (rewards, kills, survivors, sides) is each seed's run alone's exactly, and its loss and mean Q agree
    to 0.1% (later rounds act on weights that differ by float noise). Every weight after the 2 rounds lies within 2 learning rates per gradient step of the run
    alone's: Adam moves an element by about the learning rate whatever its gradient's size, so where
    float noise flips the sign of a near-zero gradient the two part by up to two learning rates a step
    (measured for IL: 1.2e-4 after one round of 25 steps, 4.3e-4 after two; one step's exactness is
    test_battle_learners' stacked test). (Fails before `stacked_update` existed.)"""
    from replication.algorithms.battle import stacked

    calls, real = [], stacked.StackedRounds.__call__
    monkeypatch.setattr(
        stacked.StackedRounds, "__call__", lambda self, learners: calls.append((len(learners), self)) or real(self, learners)
    )
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 2, "stacked_update": True})
    together = battle_experiments.train_seeds(algo, [0, 1], cfg, [tmp_path / "g0", tmp_path / "g1"], progress=False)
    assert [n for n, _ in calls] == [2, 2] and calls[0][1] is calls[1][
        1
    ]  # each round's updates of both seeds as one, by the job's one StackedRounds
    plain = BattleConfig(**{**SMALL.__dict__, "rounds": 2})
    for seed, grouped in zip((0, 1), together):
        alone = battle_experiments.train(algo, seed, plain, tmp_path / f"alone{seed}", progress=False)
        ours, theirs = (frame.set_index(["step", "metric"])["value"] for frame in (grouped, alone))
        assert ours.index.equals(theirs.index)
        outcome = [m for m in ours.index.get_level_values("metric").unique() if m not in ("loss", "mean_q")]
        assert ours.loc[1].loc[outcome].equals(theirs.loc[1].loc[outcome])
        np.testing.assert_allclose(ours.loc[1].to_numpy(), theirs.loc[1].to_numpy(), rtol=1e-3)
        model_alone = torch.load(tmp_path / f"alone{seed}" / "model.pt", weights_only=True)["main"]
        model_grouped = torch.load(tmp_path / f"g{seed}" / "model.pt", weights_only=True)["main"]
        steps = theirs.xs("gradient_steps", level="metric").sum()
        gap = torch.cat(
            [
                (model_grouped[net][name] - model_alone[net][name]).abs().flatten()
                for net in model_alone
                for name in model_alone[net]
            ]
        )
        assert gap.max() <= 2 * cfg.learning_rate * steps


def test_a_killed_grouped_job_resumes_each_seed_from_its_own_checkpoint(tmp_path, monkeypatch):
    """A job of seeds 0 and 1 dies in round 4 (both checkpointed after round 2). Seed 1's checkpoint
    is then lost, so the resumed job plays seed 0 from round 3 and seed 1 from round 1, side by side
    for rounds 3 and 4: each logs every round once and equals its run alone (IL: its replay ring is
    not checkpointed, so the resumed run refills it, as a run alone resumed from round 2 does)."""
    outs = [tmp_path / "seed0", tmp_path / "seed1"]
    _killed_at_round(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        battle_experiments.train_seeds("il", [0, 1], SMALL, outs, progress=False)
    monkeypatch.undo()
    assert torch.load(outs[0] / "checkpoint.pt", weights_only=True)["next_round"] == 2
    (outs[1] / "checkpoint.pt").unlink()
    resumed = battle_experiments.train_seeds("il", [0, 1], SMALL, outs, progress=False)
    # seed 0 as a run alone killed after its round-2 checkpoint and resumed; seed 1 as a run alone
    _killed_at_round(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        battle_experiments.train("il", 0, SMALL, tmp_path / "alone0", progress=False)
    monkeypatch.undo()
    expected = [
        battle_experiments.train("il", 0, SMALL, tmp_path / "alone0", progress=False),
        battle_experiments.train("il", 1, SMALL, tmp_path / "alone1", progress=False),
    ]
    for metrics, alone, out in zip(resumed, expected, outs):
        assert all(steps == [1, 2, 3, 4] for steps in metrics.groupby("metric")["step"].apply(list))
        assert metrics.equals(alone)
        assert pd.read_csv(out / "timing.csv")["round"].tolist() == [1, 2, 3, 4]


def test_a_killed_stacked_job_resumes_each_seed_with_no_round_lost_or_doubled(tmp_path, monkeypatch):
    """AC's seeds 0 and 1 with stacked updates (`battle.stacked_update`) die in round 4, after both
    checkpointed round 2. AC is on-policy, so nothing lives outside a checkpoint: the resumed job logs
    rounds 1–4 once each and equals the job never killed to the byte (the stacked update is built again
    from the checkpointed weights and Adam moments). Then with seed 1's checkpoint lost, the resumed job
    plays seed 1 alone (a group of one is not stacked) for rounds 1–2 and both stacked for 3–4: every
    round of each seed is logged once."""
    from replication.algorithms.battle import stacked

    cfg = BattleConfig(**{**SMALL.__dict__, "stacked_update": True})
    whole = battle_experiments.train_seeds("ac", [0, 1], cfg, [tmp_path / "w0", tmp_path / "w1"], progress=False)
    outs = [tmp_path / "seed0", tmp_path / "seed1"]
    _killed_at_round(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        battle_experiments.train_seeds("ac", [0, 1], cfg, outs, progress=False)
    monkeypatch.undo()
    resumed = battle_experiments.train_seeds("ac", [0, 1], cfg, outs, progress=False)
    for metrics, never_killed in zip(resumed, whole):
        assert all(steps == [1, 2, 3, 4] for steps in metrics.groupby("metric")["step"].apply(list))
        assert metrics.equals(never_killed)
    outs = [tmp_path / "lost0", tmp_path / "lost1"]
    _killed_at_round(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        battle_experiments.train_seeds("ac", [0, 1], cfg, outs, progress=False)
    monkeypatch.undo()
    (outs[1] / "checkpoint.pt").unlink()
    sizes, real = [], stacked.StackedRounds.__call__
    monkeypatch.setattr(
        stacked.StackedRounds, "__call__", lambda self, learners: sizes.append(len(learners)) or real(self, learners)
    )
    resumed = battle_experiments.train_seeds("ac", [0, 1], cfg, outs, progress=False)
    assert sizes == [2, 2]  # rounds 3 and 4; in rounds 1 and 2 seed 1 played alone, not stacked
    for metrics, out in zip(resumed, outs):
        assert all(steps == [1, 2, 3, 4] for steps in metrics.groupby("metric")["step"].apply(list))
        assert pd.read_csv(out / "timing.csv")["round"].tolist() == [1, 2, 3, 4]


def test_checkpoint_of_another_algorithm_is_refused(tmp_path):
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 1})
    battle_experiments.train("ac", 0, cfg, tmp_path, progress=False)
    with pytest.raises(ConfigError, match="made for algo 'ac', not 'mfq'"):
        battle_experiments.train("mfq", 0, cfg, tmp_path, progress=False)
    other_map = BattleConfig(**{**cfg.__dict__, "map_size": 24})
    with pytest.raises(ConfigError, match="made for map_size 20, not 24"):
        battle_experiments.load_checkpoint(tmp_path / "checkpoint.pt", "ac", other_map)
    longer = BattleConfig(**{**cfg.__dict__, "rounds": 5})
    with pytest.raises(ConfigError, match="trained with battle.rounds = 1, not 5"):
        battle_experiments.train("ac", 0, longer, tmp_path, progress=False)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot be read safely"):
        battle_experiments.load_checkpoint(tmp_path / "junk.pt", "ac", cfg)


def test_checkpoint_loads_with_weights_only(tmp_path):
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 1})
    battle_experiments.train("mfq", 0, cfg, tmp_path, progress=False)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["algo"] == "mfq" and state["next_round"] == 1


def test_tournament_needs_every_algorithm(tmp_path, smoke_cfg):
    from replication.tournament import find_models

    with pytest.raises(ConfigError, match="algorithm 'mfq' has no trained model"):
        find_models(tmp_path, smoke_cfg)


def test_seed_pairs_cover_every_ordered_pair():
    pairs = battle_experiments.seed_pairs([("a", 0), ("a", 1), ("b", 0)])
    assert (("a", 0), ("a", 0)) not in pairs and (("a", 0), ("a", 1)) in pairs
    assert (("b", 0), ("b", 0)) in pairs  # one seed only: plays itself
    assert len(pairs) == 2 + 2 + 2 + 1


# --- the reference protocol: self-play, sides, evaluation, win rule ---------------------------------


def _scripted_result(main_reward, opponent_reward, kills=(0, 0), kills_reference=None):
    return {
        "total_reward": [main_reward, opponent_reward],
        "initial": [8, 8],
        "alive": [8 - kills[1], 8 - kills[0]],
        "kills": list(kills),
        "kills_reference": list(kills_reference or kills),
        "steps": 25,
    }


def test_self_play_update_moves_the_opponent_almost_onto_main():
    """The reference's sp_op with τ = 0.01: opponent ← 0.99·main + 0.01·opponent. Main weight 1,
    opponent weight 0 → 0.99 after one update (the inverted rule gave 0.01)."""
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 1})
    env = battle_experiments.make_env(cfg, 0)
    main = battle_experiments.make_learner("ac", env, cfg, np.random.default_rng(0), "cpu")
    opponent = battle_experiments.make_learner("ac", env, cfg, np.random.default_rng(0), "cpu")
    with torch.no_grad():
        for p in main.net.parameters():
            p.fill_(1.0)
        for p in opponent.net.parameters():
            p.zero_()
    battle_experiments.self_play_update(opponent, main, cfg.opponent_keeps)
    for p in opponent.net.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 0.99))


def test_training_updates_the_opponent_after_won_rounds_only(tmp_path, monkeypatch):
    """Round 1 main wins on total reward (10 > 5): every opponent weight w becomes 0.99·1 + 0.01·w
    (main's weights are set to 1 by the stubbed update). Round 2 main loses (1 < 2): the opponent
    stays as it was; round 3 is a tie on reward (3 = 3): no update either."""
    from replication.algorithms.battle.ac import IndependentAC

    outcomes = iter([(10.0, 5.0), (1.0, 2.0), (3.0, 3.0)])
    seen = []

    def scripted(envs, sides, epsilons, cfg, learn=False, left_teams=None, **_):
        seen.append([{k: v.detach().clone() for k, v in sides[0][1].net.state_dict().items()}])
        return [_scripted_result(*next(outcomes))]

    def train_to_ones(self):
        with torch.no_grad():
            for p in self.net.parameters():
                p.fill_(1.0)
        return {"loss": 0.0, "gradient_steps": 1}

    monkeypatch.setattr(battle_experiments, "play_rounds", scripted)
    monkeypatch.setattr(IndependentAC, "train_round", train_to_ones)
    cfg = BattleConfig(**{**SMALL.__dict__, "rounds": 3, "checkpoint_every": 10})
    battle_experiments.train("ac", 0, cfg, tmp_path, progress=False)
    before_first, before_second, before_third = (s[0] for s in seen)
    for name, w in before_first.items():
        torch.testing.assert_close(before_second[name], 0.99 + 0.01 * w)
        torch.testing.assert_close(before_third[name], before_second[name])


def test_main_side_is_drawn_every_round_from_the_seeded_stream(tmp_path, monkeypatch):
    """`side: random` (the reference's generate_map): with seed 0 and this small AC run main starts
    right, left, left, right in rounds 1–4 (drawn from the run's seeded stream, so a rerun repeats
    them), and main (group 0) starts rounds in both formations: on a 20-wide map the left
    formation stands at x < 10, the right one at x > 10. `side: left` keeps main on the left."""
    positions = []
    real_observe = Battle.observe

    def recording_observe(self, team):  # main is group 0 in training
        obs = real_observe(self, team)
        if team == 0 and self.steps == 0:
            positions.append(obs.positions[:, 0].mean())
        return obs

    monkeypatch.setattr(Battle, "observe", recording_observe)
    metrics = battle_experiments.train("ac", 0, SMALL, tmp_path / "random", progress=False)
    sides = metrics[metrics["metric"] == "main_left"].sort_values("step")["value"].tolist()
    assert sides == [0.0, 1.0, 1.0, 0.0]
    assert min(positions) < 10 < max(positions)
    again = battle_experiments.train("ac", 0, SMALL, tmp_path / "again", progress=False)
    assert again.equals(metrics)
    left = battle_experiments.train(
        "ac", 0, BattleConfig(**{**SMALL.__dict__, "side": "left"}), tmp_path / "left", progress=False
    )
    assert set(left[left["metric"] == "main_left"]["value"]) == {1.0}


def test_reset_puts_the_chosen_team_on_the_left():
    env = Battle(20, 8, 10, seed=0)
    env.reset(left_team=1)
    assert env.observe(0).positions[:, 0].min() > 10 and env.observe(1).positions[:, 0].max() < 10
    env.reset(left_team=0)
    assert env.observe(0).positions[:, 0].max() < 10


class _ScriptedEnv:
    """Team 1 loses one agent on step 1 and one on step 3, the last step; team 0 loses none."""

    steps = 0

    def reset(self, left_team=0):
        self.alive, self.steps = [4, 4], 0

    def alive_count(self, team):
        return self.alive[team]

    def observe(self, team):
        from replication.tasks.battle import TeamObservation

        n = self.alive[team]
        return TeamObservation(np.zeros((n, 1)), np.zeros((n, 1)), np.arange(n) + 4 * team, np.zeros((n, 2), int))

    def step(self, actions):
        self.steps += 1
        dies = self.steps in (1, 3)
        alive = (np.ones(self.alive[0], bool), np.array([not dies] + [True] * (self.alive[1] - 1)))
        rewards = (np.full(self.alive[0], 0.5, np.float32), np.zeros(self.alive[1], np.float32))
        self.alive[1] -= int(dies)
        return rewards, alive, self.steps == 3


class _StayModel:
    def act(self, view, features, mean, epsilon):
        return np.zeros(len(view), int)


def test_play_round_counts_kills_exactly_and_as_the_reference_reads_them():
    """Exact: team 0 killed 2 (initial 4, final 2). The reference reads alive counts before the last
    step's dead are cleared, so its kill on step 3 is missed: 1. Team 0's total reward 3 steps × 4 × 0.5 = 6."""
    result = battle_experiments.play_round(_ScriptedEnv(), (_StayModel(), _StayModel()), (None, None), SMALL)
    assert result["kills"] == [2, 0] and result["kills_reference"] == [1, 0]
    assert result["total_reward"] == [6.0, 0.0] and result["steps"] == 3


def test_round_outcomes_exact_and_reference_rule():
    """Rounds (row kills, column kills): (3, 1), (2, 2), (0, 4). Exact: win, tie, loss. Reference:
    a tie counts as a win for both, so the row wins the first two and loses the third."""
    from replication.analysis.measures import round_outcomes

    exact = round_outcomes([3, 2, 0], [1, 2, 4], "exact")
    assert exact["win"].tolist() == [1, 0, 0] and exact["tie"].tolist() == [0, 1, 0] and exact["loss"].tolist() == [0, 0, 1]
    reference = round_outcomes([3, 2, 0], [1, 2, 4], "reference")
    assert reference["win"].tolist() == [1, 1, 0] and reference["loss"].tolist() == [0, 0, 1]


@pytest.mark.parametrize("policy, epsilon", [("sample", 0.0), ("greedy", None)])
def test_tournament_schedule_outcomes_and_evaluation_policy(monkeypatch, policy, epsilon):
    """Two models, A and B, one seed each, 4 rounds per ordered pair. Scripted kills: A kills 3 from
    the left and 1 from the right; B kills 2 wherever it stands; the reference reading misses one of
    A's kills. Round k puts the row model in group (0, 0, 1, 1)[k] and on the (left, right, left,
    right)[k] side. A against B: left rounds 3–2 (wins), right rounds 1–2 (losses): 2 wins, 2
    losses, no tie, the same in group 0 and group 1. Under the reference rule A's left rounds read
    2–2: ties, which count as A's wins; its right rounds 0–2 are losses. Actor-critics sample when
    evaluation_policy is sample (ε = 0 to play_round), argmax when greedy (ε = None)."""
    from replication.analysis.measures import round_outcomes

    calls = []

    def scripted(env, sides, epsilons, cfg, learn=False, left_team=0):
        calls.append((sides, epsilons, left_team))
        kills, kills_reference = [0, 0], [0, 0]
        for group, model in enumerate(sides):
            left = group == left_team
            kills[group] = (3 if left else 1) if model == "A" else 2
            kills_reference[group] = kills[group] - 1 if model == "A" else kills[group]
        return {"total_reward": [0.0, 0.0], "kills": kills, "kills_reference": kills_reference}

    monkeypatch.setattr(battle_experiments, "play_round", scripted)
    cfg = BattleConfig(**{**SMALL.__dict__, "tournament_rounds": 4, "evaluation_policy": policy})
    matches = battle_experiments.tournament({("a", 0): "A", ("b", 0): "B"}, cfg, progress=False)
    assert all(eps == (epsilon, epsilon) for _, eps, _ in calls)
    a_vs_b = matches[(matches["row_algo"] == "a") & (matches["col_algo"] == "b")]
    assert a_vs_b["row_group"].tolist() == [0, 0, 1, 1] and a_vs_b["row_side"].tolist() == ["left", "right", "left", "right"]
    assert [calls[i][0][g] for i, g in zip(range(4, 8), (0, 0, 1, 1))] == ["A"] * 4  # the row model sits in its group
    exact = round_outcomes(a_vs_b["row_kills"], a_vs_b["col_kills"], "exact")
    assert exact["win"].tolist() == [1, 0, 1, 0] and exact["loss"].tolist() == [0, 1, 0, 1] and exact["tie"].sum() == 0
    reference = round_outcomes(a_vs_b["row_kills_reference"], a_vs_b["col_kills_reference"], "reference")
    assert reference["win"].tolist() == [1, 0, 1, 0] and reference["tie"].tolist() == [1, 0, 1, 0]


def test_tournament_in_parts_is_the_whole_tournament_to_the_byte(tmp_path):
    """Untrained MF-Q and AC models, two seeds each (AC samples π from its stream: evaluation_policy
    sample), 4 rounds of 10 steps per pairing on SMALL's map: (2 + 2)² − 4 = 12 pairings, 48 rounds. Played
    whole, and in two parts (the pairings MF-Q's models lead, then AC's) joined by `merge_tournament`:
    the same file, byte for byte, whatever other pairings a part's process played before."""
    from replication import io
    from replication.config import resolve
    from replication.tournament import TOURNAMENT_FILE, merge_tournament, part_file

    cfg = resolve(
        {
            "scale": "default",
            "battle": {
                "map_size": SMALL.map_size,
                "agents_per_side": SMALL.agents_per_side,
                "max_steps": 10,
                "algorithms": ["mfq", "ac"],
                "seeds": [0, 1],
                "tournament_rounds": 4,
                "evaluation_policy": "sample",
            },
        }
    )
    env = battle_experiments.make_env(cfg.battle, 0)

    def models():
        rng = np.random.default_rng(0)
        torch.manual_seed(0)
        return {
            (algo, seed): battle_experiments.make_learner(algo, env, cfg.battle, rng, "cpu")
            for algo in ("ac", "mfq")
            for seed in (0, 1)
        }

    whole = battle_experiments.tournament(models(), cfg.battle, progress=False)
    assert len(whole) == 48 and set(whole["row_algo"]) == {"ac", "mfq"}
    shared = models()  # one process plays both parts, MF-Q's first: the streams must not carry over
    for algo in ("mfq", "ac"):
        io.write_csv(
            tmp_path / part_file(algo), battle_experiments.tournament(shared, cfg.battle, progress=False, row_algos=[algo])
        )
    merge_tournament(tmp_path, cfg)
    io.write_csv(tmp_path / "whole.csv", whole)
    assert (tmp_path / TOURNAMENT_FILE).read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_a_batched_tournament_plays_the_same_schedule_in_fewer_forward_passes(monkeypatch):
    """Untrained IL and AC models, one seed each, 8 rounds of 10 steps per pairing on SMALL's map: 4
    pairings, 32 rounds. With `tournament_batch: 4` each pairing's 8 rounds are played 4 at a time,
    each model acting for all of its environments in one forward pass per step: the same rounds,
    groups and sides in the same order, and the maps' seeds drawn in the same order, so the greedy
    IL-against-IL pairing's kills and rewards are those of the rounds played one by one (a flip would
    need two Q-values within float noise of each other). Per step a model's forward passes fall from one
    per round to one per batch (a model playing both groups of a round, its pairing against itself,
    one per group). Played again, the batched tournament is the same to the byte (AC's π draws come
    from its pairing's stream in a fixed order)."""
    from replication.algorithms.battle.ac import IndependentAC
    from replication.algorithms.battle.il import BattleIndependentDQN

    cfg = BattleConfig(**{**SMALL.__dict__, "max_steps": 10, "tournament_rounds": 8, "evaluation_policy": "sample"})
    env = battle_experiments.make_env(cfg, 0)

    def models():
        rng = np.random.default_rng(0)
        torch.manual_seed(0)
        return {(algo, 0): battle_experiments.make_learner(algo, env, cfg, rng, "cpu") for algo in ("ac", "il")}

    passes = []
    for cls in (BattleIndependentDQN, IndependentAC):
        real = cls.policy_outputs
        monkeypatch.setattr(cls, "policy_outputs", lambda self, *args, real=real: passes.append(1) or real(self, *args))
    one_by_one = battle_experiments.tournament(models(), cfg, progress=False)
    single = len(passes)
    batched_cfg = BattleConfig(**{**cfg.__dict__, "tournament_batch": 4})
    batched = battle_experiments.tournament(models(), batched_cfg, progress=False)
    assert len(passes) - single < single / 2
    assert len(batched) == len(one_by_one) == 32
    schedule = ["row_algo", "col_algo", "round", "row_group", "row_side"]
    assert batched[schedule].equals(one_by_one[schedule])
    il_vs_il = (batched["row_algo"] == "il") & (batched["col_algo"] == "il")
    assert batched[il_vs_il].equals(one_by_one[il_vs_il])
    assert batched.equals(battle_experiments.tournament(models(), batched_cfg, progress=False))


def test_tournament_rounds_must_balance_side_and_group():
    with pytest.raises(ConfigError, match="tournament_rounds: must be a multiple of 4"):
        BattleConfig(tournament_rounds=6).check("battle")


def test_actor_critic_samples_its_policy_unless_greedy():
    """π = softmax(logits/0.1) with logits (0, 0.1·ln 3) → π = (0.25, 0.75). ε = None: argmax → action 1.
    ε = 0 (the tournament's `sample`): inverse-CDF draws with the learner's uniforms u: u < 0.25 →
    action 0, else 1."""
    from replication.algorithms.battle.ac import IndependentAC

    learner = IndependentAC((5, 5, 1), 1, 2, 8, BattleConfig(), np.random.default_rng(0), "cpu", rows_per_round=8)
    with torch.no_grad():
        for p in learner.net.policy.parameters():
            p.zero_()
        learner.net.policy[-1].bias.copy_(torch.tensor([0.0, 0.1 * np.log(3.0)]))
    view, features = np.zeros((1000, 5, 5, 1), np.float32), np.zeros((1000, 1), np.float32)
    assert set(learner.act(view, features, None, None)) == {1}
    uniforms = np.random.default_rng(7).random((1000, 1))
    learner.rng = np.random.default_rng(7)
    sampled = learner.act(view, features, None, 0.0)
    np.testing.assert_array_equal(sampled, (uniforms[:, 0] >= 0.25).astype(int))


def test_scripted_teams():
    """The stationary attacker only ever picks magent2's attack actions (13–20): after 5 steps of
    it against a random team on the real engine its agents stand where they started. The random
    team uses all 21 actions."""
    from replication.algorithms.battle.scripted import RandomTeam, StationaryAttacker
    from replication.tasks.battle import ATTACK_ACTIONS, N_ACTIONS

    attacker = StationaryAttacker(np.random.default_rng(0), N_ACTIONS, ATTACK_ACTIONS)
    random_team = RandomTeam(np.random.default_rng(1), N_ACTIONS, ATTACK_ACTIONS)
    assert set(attacker.act(np.zeros(4000), None, None, None)) == set(range(13, 21))
    assert set(random_team.act(np.zeros(4000), None, None, None)) == set(range(21))
    env = Battle(20, 8, 5, seed=0)
    env.reset(left_team=1)
    start = env.observe(0).positions.copy()
    for _ in range(5):
        env.step((attacker.act(env.observe(0).view, None, None, None), random_team.act(env.observe(1).view, None, None, None)))
    assert env.observe(0).positions.tolist() == start.tolist()


def test_scripted_evaluation_plays_every_model_against_each_team_balanced(monkeypatch):
    """One model, 4 rounds per scripted team: each team meets it once in each side × group order."""
    calls = []

    def scripted(env, sides, epsilons, cfg, learn=False, left_team=0):
        calls.append((type(sides[0]).__name__, type(sides[1]).__name__, left_team))
        return {"total_reward": [0.0, 0.0], "kills": [1, 0], "kills_reference": [1, 0]}

    monkeypatch.setattr(battle_experiments, "play_round", scripted)
    cfg = BattleConfig(**{**SMALL.__dict__, "scripted_rounds": 4})
    matches = battle_experiments.scripted_evaluation({("il", 0): _StayModel()}, cfg, progress=False)
    assert matches["col_algo"].tolist() == ["random"] * 4 + ["stationary_attacker"] * 4
    assert matches["row_side"].tolist() == ["left", "right"] * 4 and matches["row_group"].tolist() == [0, 0, 1, 1] * 2
    assert [c[2] for c in calls[:4]] == [0, 1, 1, 0]  # left_team: the row model's group when it is on the left


@pytest.mark.parametrize("algo", ["il", "mfq", "ac", "mfac", "ped_dqn"])
def test_the_untrained_control_plays_the_network_each_run_starts_from(tmp_path, algo):
    """The untrained networks (`tournament.untrained_models`) are, weight for weight, the main model
    a training run of that seed builds before its first round (SeedTraining), and two seeds differ."""
    from replication.config import resolve
    from replication.tournament import untrained_models

    cfg = resolve(
        {
            "scale": "default",
            "battle": {
                "map_size": SMALL.map_size,
                "agents_per_side": SMALL.agents_per_side,
                "algorithms": [algo],
                "seeds": [0, 1],
                "replay_capacity": 4000,
            },
        }
    )
    untrained = untrained_models(cfg)
    assert sorted(untrained) == [(algo, 0), (algo, 1)]
    for seed in (0, 1):
        run = battle_experiments.SeedTraining(algo, seed, cfg.battle, tmp_path / f"seed{seed}", "cpu", "refuse")
        for name, net in run.main.networks().items():
            mine = untrained[(algo, seed)].networks()[name].state_dict()
            assert all(torch.equal(mine[key], value) for key, value in net.state_dict().items())
    first = next(iter(untrained[(algo, 0)].networks()))
    zero, one = (untrained[(algo, s)].networks()[first].state_dict() for s in (0, 1))
    assert not all(torch.equal(zero[key], one[key]) for key in zero)


def test_the_untrained_tournament_and_scripted_evaluation_need_no_trained_model(tmp_path):
    """With no model trained under the results folder, `--untrained` plays MF-Q and AC (one seed
    each, 4 rounds of 10 steps per pairing: 4 pairings) in two parts joined by merge, and the
    scripted evaluation (2 models × 2 teams × 4 rounds), into the untrained files; the trained
    tournament still refuses to start."""
    from replication.config import ConfigError, resolve
    from replication.tournament import merge_tournament, run_scripted_evaluation, run_tournament

    cfg = resolve(
        {
            "scale": "default",
            "battle": {
                "map_size": SMALL.map_size,
                "agents_per_side": SMALL.agents_per_side,
                "max_steps": 10,
                "algorithms": ["mfq", "ac"],
                "seeds": [0],
                "tournament_rounds": 4,
                "scripted_rounds": 4,
            },
        }
    )
    for algo in ("mfq", "ac"):
        assert (
            run_tournament(tmp_path, cfg, progress=False, rows=algo, untrained=True)
            == tmp_path / "runs" / "battle" / "tournament_untrained" / f"rows_{algo}.csv"
        )
    whole = pd.read_csv(merge_tournament(tmp_path, cfg, untrained=True))
    assert len(whole) == 16 and sorted(set(zip(whole["row_algo"], whole["col_algo"]))) == [
        ("ac", "ac"),
        ("ac", "mfq"),
        ("mfq", "ac"),
        ("mfq", "mfq"),
    ]
    scripted = pd.read_csv(run_scripted_evaluation(tmp_path, cfg, progress=False, untrained=True))
    assert len(scripted) == 16 and (tmp_path / "runs" / "battle" / "scripted_untrained.csv").exists()
    with pytest.raises(ConfigError, match="no trained model"):
        run_tournament(tmp_path, cfg, progress=False)


def test_the_replay_ring_round_trips_through_its_state(tmp_path):
    """A ring of capacity 5 (2×2 views, 1 feature, 2 actions, 4 agent ids) after three steps of two
    agents (6 rows: it wrapped once, cursor 1, size 5, added 6) and a ring that holds 2 rows (size 2,
    not wrapped). Each is saved with `state_dict`, written and read back with weights_only=True, and
    loaded into a fresh ring: every row, flag, link and counter is the same, so the same batch comes
    out. The unwrapped ring's saved view holds its 2 rows, not the capacity's 5. A ring of another
    capacity is refused."""

    def ring_after(steps):
        ring = AgentTransitionRing(5, (2, 2, 1), 1, 2, 4)
        for t in range(steps):
            ids = np.array([0, 1])
            ring.add_step(
                ids,
                np.full((2, 2, 2, 1), t, np.float32),
                np.full((2, 1), t, np.float32),
                np.full((2, 2), 0.5, np.float32),
                np.array([t % 2, 1]),
                np.array([1.0, -1.0]) * t,
                np.array([True, t < 2]),
            )
        return ring

    for steps, size in ((3, 5), (1, 2)):
        ring = ring_after(steps)
        torch.save(ring.state_dict(), tmp_path / "ring.pt")
        state = torch.load(tmp_path / "ring.pt", weights_only=True)
        assert state["view"].shape[0] == size and state["counters"].tolist() == [5, ring.cursor, size, 2 * steps]
        fresh = AgentTransitionRing(5, (2, 2, 1), 1, 2, 4)
        fresh.load_state_dict(state)
        assert (fresh.cursor, fresh.size, fresh.added) == (ring.cursor, ring.size, ring.added)
        assert torch.equal(fresh.view[:size], ring.view[:size]) and np.array_equal(fresh.next_row, ring.next_row)
        assert np.array_equal(fresh.usable, ring.usable) and np.array_equal(fresh.last_row, ring.last_row)
        rows = ring.usable_rows()
        assert np.array_equal(fresh.usable_rows(), rows)
        for key, value in ring.batch(rows).items():
            assert np.array_equal(np.asarray(fresh.batch(rows)[key]), np.asarray(value)), key
    with pytest.raises(ValueError, match="capacity 5"):
        AgentTransitionRing(6, (2, 2, 1), 1, 2, 4).load_state_dict(state)


@pytest.mark.parametrize("algo", ["il", "mfq", "ped_dqn"])
def test_a_killed_off_policy_run_resumes_to_the_byte_with_its_replay_ring(tmp_path, monkeypatch, algo):
    """SMALL (4 rounds, checkpoint every 2), PED-DQN with peer evaluations from round 1: killed in
    round 4, after the checkpoint of round 2, and resumed, the run's metrics and final weights equal
    an unkilled run's, because the checkpoint holds the replay ring (and PED-DQN's rounds seen and
    reshaped rewards). With `checkpoint_replay: false` the ring is not saved: the resumed run refills
    it, its losses from round 3 on differ, and its provenance would not be that of the unkilled run."""
    from replication.config import resolve

    def config(replay):
        own = {"ped_dqn": {"peer_warmup_rounds": 1}} if algo == "ped_dqn" else {}
        return resolve({"scale": "default", "battle": {**SMALL.__dict__, "checkpoint_replay": replay, **own}}).battle

    reference = battle_experiments.train(algo, 0, config(True), tmp_path / "ref", progress=False)
    for replay, out in ((True, "run"), (False, "refilled")):
        run_cfg = config(replay)
        _killed_at_round(monkeypatch, 4)
        with pytest.raises(KeyboardInterrupt):
            battle_experiments.train(algo, 0, run_cfg, tmp_path / out, progress=False)
        monkeypatch.undo()
        resumed = battle_experiments.train(algo, 0, run_cfg, tmp_path / out, progress=False)
        assert resumed.equals(reference) == replay, (algo, replay)
        assert resumed.attrs["resumed"] == [{"round": 2, "replay": "restored" if replay else "refilled"}]
    final = {name: torch.load(tmp_path / name / "model.pt", weights_only=True)["main"] for name in ("ref", "run")}
    for net, weights in final["ref"].items():
        assert all(torch.equal(weights[k], final["run"][net][k]) for k in weights)
