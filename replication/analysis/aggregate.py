"""Tidy runs → tables (CSV and Markdown) with 95% BCa bootstrap confidence intervals over seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from replication import io, provenance
from replication.analysis import measures
from replication.analysis.audit import load_claims
from replication.config import SuiteConfig
from replication.registry import BATTLE, GAUSSIAN_SQUEEZE, ISING


def params_key(**params) -> tuple:
    """The key under which `paper_values` files a claim's paper value: its params, sorted."""
    return tuple(sorted(params.items()))


def paper_values(measure: str, **match) -> dict:
    """Paper values from the claims registry for one measure, keyed by the claim's params."""
    found = {}
    for claim in load_claims():
        if claim.measure == measure and all(claim.params.get(k) == v for k, v in match.items()):
            found[params_key(**claim.params)] = claim.paper_value
    return found


def _ci_row(values: pd.Series, **keys) -> dict:
    mean, low, high = measures.bootstrap_ci(values.to_numpy())
    return {**keys, "n_seeds": int(values.notna().sum()), "mean": mean, "ci_low": low, "ci_high": high}


def ising_xi_vs_tau(results, cfg: SuiteConfig) -> pd.DataFrame:
    rows = []
    for algo in ISING.names("ising"):
        paper = {dict(k)["tau"]: v for k, v in paper_values("ising_equilibrium_xi", algo=algo).items()}
        for tau in cfg.ising.taus:
            row = _ci_row(measures.ising_equilibrium_xi(results, algo, tau), algo=algo, tau=tau)
            rows.append({**row, "paper": paper.get(tau)})
    return pd.DataFrame(rows)


def ising_curie(results, cfg: SuiteConfig) -> pd.DataFrame:
    paper = paper_values("ising_curie_temperature")
    rows = [
        {**_ci_row(measures.ising_curie_temperature(results, algo), algo=algo), "paper": paper.get(params_key(algo=algo))}
        for algo in ISING.names("ising")
    ]
    return pd.DataFrame(rows)


def ising_toy(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Per seed, MF-Q's final ξ and converged Q on the toy, with the untrained null model's Q beside."""
    runs = measures.load_runs(results, "ising_toy")
    null = measures.toy_converged_q(results, "untrained")
    runs = runs[runs["algo"] == "mfq"]
    last = runs[runs["step"] == runs["step"].max()]
    per_seed = last[last["metric"].isin(["xi", "q_consensus"])].pivot(index="seed", columns="metric", values="value")
    per_seed = per_seed.reset_index().rename(columns={"xi": "final_xi", "q_consensus": "converged_q"})
    per_seed["paper_converged_q"] = paper_values("toy_converged_q")[params_key(algo="mfq")]
    per_seed["untrained_converged_q"] = per_seed["seed"].map(null)
    return per_seed


GS_LUCKY_START = 0.85  # the Fig. 3 claims' threshold: an untrained start at or above it already "reaches ≈ 0.9"


def _mean_or_none(values: pd.Series):
    return float(values.mean()) if len(values) else None


def gaussian_squeeze(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Final greedy performance and the first timestep reaching 0.9, per algorithm and N; what the
    final greedy joint action is made of (x and the modal action's share, means over seeds, and the
    action most seeds end on); the untrained network's greedy score and composition, and on how many
    seeds that untrained start already scores ≥ 0.85 (a lucky start, not learning)."""
    paper = paper_values("gs_final_performance")
    rows = []
    for n in cfg.gaussian_squeeze.agent_counts:
        for algo in GAUSSIAN_SQUEEZE.names():
            row = _ci_row(measures.gs_final_performance(results, algo, n), n_agents=n, algo=algo)
            reach = measures.gs_time_to(results, algo, n, 0.9)
            untrained = measures.gs_untrained_performance(results, algo, n)
            composition = {
                f"{when}_{part}": _mean_or_none(measures.gs_composition(results, algo, n, part, when))
                for when in ("final", "untrained")
                for part in ("x", "modal_share")
            }
            rows.append(
                {
                    **row,
                    "paper": paper.get(params_key(algo=algo, n_agents=n)),
                    "seeds_reaching_0.9": int(reach.notna().sum()),
                    "mean_time_to_0.9": reach.mean() if reach.notna().any() else None,
                    "final_modal_action": _modal_action(results, algo, n, "final", cfg.gaussian_squeeze.n_actions),
                    **composition,
                    "untrained_performance": _mean_or_none(untrained),
                    f"seeds_untrained_at_{GS_LUCKY_START}": int((untrained >= GS_LUCKY_START).sum()) if len(untrained) else None,
                }
            )
    return pd.DataFrame(rows)


def _modal_action(results, algo: str, n_agents: int, when: str, n_actions: int):
    """The action with the largest share in most seeds' greedy joint action (ties: the smaller), or None."""
    shares = gs_composition_long(results, algo, n_agents, when, n_actions)
    if shares.empty:
        return None
    return int(shares.groupby("seed")["share"].idxmax().map(shares["action"]).mode().min())


def gs_composition_long(results, algo: str, n_agents: int, when: str, n_actions: int) -> pd.DataFrame:
    """Each action's share of the greedy joint action per seed (columns seed, action, share)."""
    frames = [
        measures.gs_composition(results, algo, n_agents, f"share_a{k}", when).rename("share").reset_index().assign(action=k)
        for k in range(n_actions)
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["seed", "share", "action"])


def gaussian_squeeze_composition(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Per N, algorithm, seed and network (untrained at t = 0, final at the end): the greedy joint
    action's x, its G(x)/G_max, the modal action's share and each action's share."""
    rows = []
    for n in cfg.gaussian_squeeze.agent_counts:
        for algo in GAUSSIAN_SQUEEZE.names():
            for when, score in (
                ("untrained", measures.gs_untrained_performance(results, algo, n)),
                ("final", measures.gs_final_performance(results, algo, n)),
            ):
                parts = {
                    part: measures.gs_composition(results, algo, n, part, when)
                    for part in ["x", "modal_share"] + [f"share_a{k}" for k in range(cfg.gaussian_squeeze.n_actions)]
                }
                for seed in parts["x"].index:
                    rows.append(
                        {
                            "n_agents": n,
                            "algo": algo,
                            "seed": int(seed),
                            "network": when,
                            "performance": score.get(seed),
                            **{part: v.get(seed) for part, v in parts.items()},
                        }
                    )
    return pd.DataFrame(rows)


def battle_cross_play(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Fig. 8 in long form: every (row, column) pair with wins, losses and ties under the tournament's
    win rule, the tie rate and the average total reward, each with the paper's value."""
    matches = measures.tournament_matches(results)
    paper_win = paper_values("battle_win_rate")
    paper_reward = paper_values("battle_total_reward")
    rows = []
    for row in cfg.battle.algorithms:
        for col in cfg.battle.algorithms:
            m = matches[(matches["row_algo"] == row) & (matches["col_algo"] == col)]
            key = params_key(algo=row, opponent=col)
            win = _ci_row(measures.battle_win_rate(results, row, col), row=row, column=col)
            reward = measures.bootstrap_ci(measures.battle_total_reward(results, row, col).to_numpy())
            _, win_low, win_high = measures.pair_round_interval(m, "win")
            _, reward_low, reward_high = measures.pair_round_interval(m, "row_total_reward")
            rows.append(
                {
                    **win,
                    "rounds": len(m),
                    "wins": int(m["win"].sum()),
                    "losses": int(m["loss"].sum()),
                    "ties": int(m["tie"].sum()),
                    "tie_rate": m["tie"].mean() if len(m) else None,
                    # over seed pairs and their rounds (ci_low/ci_high: over the row algorithm's seeds, as the audit)
                    "win_rate_pairs_rounds_low": win_low,
                    "win_rate_pairs_rounds_high": win_high,
                    "paper_win_rate": paper_win.get(key),
                    "total_reward": reward[0],
                    "total_reward_ci_low": reward[1],
                    "total_reward_ci_high": reward[2],
                    "total_reward_pairs_rounds_low": reward_low,
                    "total_reward_pairs_rounds_high": reward_high,
                    "paper_total_reward": paper_reward.get(key),
                }
            )
    return pd.DataFrame(rows).rename(columns={"mean": "win_rate"})


PAPER_A_BATTLE = tuple(a.name for a in BATTLE.algorithms if a.paper == "A")  # Fig. 8 ranks these among themselves


def ranking(cross: pd.DataFrame, algorithms) -> pd.DataFrame:
    """Algorithms ranked by their mean win rate against the other `algorithms` (the diagonal excluded)."""
    off = cross[(cross["row"] != cross["column"]) & cross["row"].isin(algorithms) & cross["column"].isin(algorithms)]
    table = off.groupby("row", sort=False).agg(
        mean_win_rate=("win_rate", "mean"), mean_tie_rate=("tie_rate", "mean"), paper_mean_win_rate=("paper_win_rate", "mean")
    )
    table["rank"] = table["mean_win_rate"].rank(ascending=False, method="min")
    table["paper_rank"] = table["paper_mean_win_rate"].rank(ascending=False, method="min")
    return table.reset_index().rename(columns={"row": "algo"}).sort_values("rank")


def battle_ranking(results, cfg: SuiteConfig) -> pd.DataFrame:
    """The paper's four battle algorithms ranked among themselves, as Fig. 8 ranks them."""
    return ranking(battle_cross_play(results, cfg), [a for a in cfg.battle.algorithms if a in PAPER_A_BATTLE])


def battle_ranking_all(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Every configured battle algorithm (PED-DQN included) ranked against all the others."""
    return ranking(battle_cross_play(results, cfg), cfg.battle.algorithms)


def split_by_side_and_group(matches: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rounds grouped by `keys`, each group split by the row model's side (left / right formation)
    and by its group (0 moves first in magent2): rounds, wins, losses, ties, win rate, mean kills."""
    rows = []
    for key, m in matches.groupby(keys, sort=False):
        for split, part in [
            *((f"side {side}", m[m["row_side"] == side]) for side in ("left", "right")),
            *((f"group {g}", m[m["row_group"] == g]) for g in (0, 1)),
        ]:
            rows.append(
                {
                    **dict(zip(keys, key)),
                    "split": split,
                    "rounds": len(part),
                    "wins": int(part["win"].sum()),
                    "losses": int(part["loss"].sum()),
                    "ties": int(part["tie"].sum()),
                    "win_rate": part["win"].mean() if len(part) else None,
                    "row_kills": part["row_kills"].mean() if len(part) else None,
                    "col_kills": part["col_kills"].mean() if len(part) else None,
                }
            )
    return pd.DataFrame(rows, columns=[*keys, "split", "rounds", "wins", "losses", "ties", "win_rate", "row_kills", "col_kills"])


def battle_cross_play_by_side(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Each cell of Fig. 8 split by side and by group: a model that fights from one side only, or a
    cell carried by the group order, shows here."""
    split = split_by_side_and_group(measures.tournament_matches(results), ["row_algo", "col_algo"])
    return split.rename(columns={"row_algo": "row", "col_algo": "column"})


def battle_vs_scripted(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Every trained model (algorithm, seed) against each scripted team, split by side and group;
    below them the same networks untrained (`network`: trained, untrained), where they were played."""
    keys = ["row_algo", "row_seed", "col_algo"]
    split = pd.concat(
        [
            split_by_side_and_group(measures.scripted_matches(results, untrained), keys).assign(network=network)
            for network, untrained in (("trained", False), ("untrained", True))
        ],
        ignore_index=True,
    )
    split = split[["network", *split.columns.drop("network")]]
    return split.rename(columns={"row_algo": "algo", "row_seed": "seed", "col_algo": "opponent"})


def battle_training(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Fig. 7's end: the main side's total reward per round over the last 10% of training rounds."""
    return pd.DataFrame(
        [
            {**_ci_row(measures.battle_final_training_reward(results, algo), algo=algo), "rounds": cfg.battle.rounds}
            for algo in cfg.battle.algorithms
        ]
    )


SEMI_COOPERATIVE_METRICS = {
    "prisoners_dilemma": ["social_welfare", "cooperation_rate", "mutual_cooperation_rate"],
    "pursuit": ["social_welfare", "captures", "success", "battery", "reward_per_agent"],
    "resource_sharing": ["social_welfare", "agent_success", "global_success", "reward_per_agent"],
    "tiger_deer": ["social_welfare", "deer_killed", "tigers_alive", "reward_per_agent"],
}


def ped_dqn_final(results, cfg: SuiteConfig) -> pd.DataFrame:
    """Paper B's final-performance table: each task × algorithm × measure, the mean of the greedy
    evaluations in the last 20% of training, over seeds with a 95% CI; the paper's numbers were not recovered."""
    rows = []
    for task, metrics in SEMI_COOPERATIVE_METRICS.items():
        for algo in getattr(cfg, task).algorithms:
            for metric in metrics:
                rows.append(
                    {
                        **_ci_row(
                            measures.semi_cooperative_final(results, task, algo, metric), task=task, algo=algo, metric=metric
                        ),
                        "steps": getattr(cfg, task).for_algo(algo).steps,
                    }
                )
    return pd.DataFrame(rows)


BUILDERS = {
    "ped_dqn_final": ped_dqn_final,
    "battle_cross_play": battle_cross_play,
    "battle_ranking": battle_ranking,
    "battle_ranking_all": battle_ranking_all,
    "battle_cross_play_by_side": battle_cross_play_by_side,
    "battle_vs_scripted": battle_vs_scripted,
    "battle_training": battle_training,
    "gaussian_squeeze": gaussian_squeeze,
    "gaussian_squeeze_composition": gaussian_squeeze_composition,
    "ising_xi_vs_tau": ising_xi_vs_tau,
    "ising_curie": ising_curie,
    "ising_toy": ising_toy,
}


PROVENANCE_FILE = "provenance.csv"  # every run's provenance, one row each (provenance.run_table)


def write_tables(results: str | Path, cfg: SuiteConfig) -> None:
    from replication.analysis.html import table_page
    from replication.analysis.outputs import TABLES

    folder = Path(results) / "tables"
    for names in TABLES.values():
        for name in names:
            table = BUILDERS[name](results, cfg)
            io.write_csv(folder / f"{name}.csv", table)
            io.write_text(folder / f"{name}.md", table.to_markdown(index=False, floatfmt=".3g") + "\n")
            io.write_text(folder / f"{name}.html", table_page(name, table))
    io.write_csv(Path(results) / PROVENANCE_FILE, provenance.run_table(results))
