"""The papers' figures, re-made from our runs (seaborn/matplotlib), one function per figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from replication import io  # noqa: E402
from replication.analysis import measures  # noqa: E402
from replication.analysis.aggregate import GS_LUCKY_START, gaussian_squeeze_composition, ising_xi_vs_tau, paper_values, params_key  # noqa: E402
from replication.config import SuiteConfig  # noqa: E402
from replication.registry import BATTLE, GAUSSIAN_SQUEEZE, ISING, SEMI_COOPERATIVE  # noqa: E402
from replication.tasks import ising  # noqa: E402

ALGO_LABEL = ISING.labels
ALGO_COLOR = ISING.colours
ONSAGER_TAU = 2.269185 / 2  # T_c = 2τ/λ, λ = 1 (see algorithms/mcmc.py)


def _save(fig, path: Path, rect=(0, 0, 1, 1)) -> None:
    """Lay out (leaving `rect` for the axes), write atomically, close."""
    fig.tight_layout(rect=rect)
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    plt.close(fig)


def _seed_note(n: int) -> str:
    return f"mean and 95% CI over {n} seed{'s' * (n != 1)}"


def fig2_toy_q_tables(results, cfg: SuiteConfig, path: Path) -> None:
    runs = measures.load_runs(results, "ising_toy")
    null = runs[(runs["algo"] == "untrained") & (runs["metric"] == "q_consensus")]
    runs = runs[runs["algo"] == "mfq"]
    seed = runs["seed"].min()
    q = runs[(runs["metric"] == "q") & (runs["seed"] == seed)]
    steps = cfg.ising_toy.snapshot_steps
    fig, axes = plt.subplots(
        1, len(steps) + 1, figsize=(3.1 * len(steps) + 4.5, 3.4), gridspec_kw={"width_ratios": [1] * len(steps) + [1.8]}
    )
    for ax, step in zip(axes, steps):
        table = q[q["step"] == step].pivot(index="abar", columns="action", values="value")[["up", "down"]]
        sns.heatmap(table, annot=True, fmt=".2f", cmap="RdBu_r", vmin=-2, vmax=2, cbar=False, ax=ax)
        ax.set_title(f"agent j's Q-table, step {step}")
        ax.set_ylabel("ā  (share of up neighbours)")
        ax.set_xlabel("action")
    conv = runs[runs["metric"] == "q_consensus"]
    sns.lineplot(conv, x="step", y="value", errorbar=("ci", 95), seed=0, ax=axes[-1], label="ours")
    if len(null):
        sns.lineplot(
            null,
            x="step",
            y="value",
            errorbar=("ci", 95),
            seed=0,
            ax=axes[-1],
            color=ALGO_COLOR["untrained"],
            label=f"{ALGO_LABEL['untrained']} (null model)",
        )
    converged = paper_values("toy_converged_q")[params_key(algo="mfq")]
    axes[-1].axhline(converged, ls="--", c="k", lw=1, label=f"paper: converges to {converged:.1f}")
    axes[-1].set(title="Q of keeping the agreed direction", ylabel="Q", xlabel="step")
    axes[-1].legend(loc="lower right")
    fig.suptitle(
        f"Fig. 2 — MF-Q on the 3×3 cyclic toy (τ = {cfg.ising_toy.temperature:g}, seed {seed}; "
        f"right: {_seed_note(conv['seed'].nunique())})",
        fontsize=10,
    )
    _save(fig, path)


def fig4_ising_xi_vs_tau(results, cfg: SuiteConfig, path: Path) -> None:
    table = ising_xi_vs_tau(results, cfg)
    runs = measures.load_runs(results, "ising")
    per_seed = runs[runs["metric"] == "xi_equilibrium"]
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    for algo, part in table.groupby("algo"):
        c = ALGO_COLOR[algo]
        seeds = per_seed[per_seed["algo"] == algo]
        ax.scatter(seeds["tau"], seeds["value"], s=9, color=c, alpha=0.35, lw=0, label=f"{ALGO_LABEL[algo]}, one seed")
        ax.plot(part["tau"], part["mean"], "-", c=c, label=f"{ALGO_LABEL[algo]} (ours)")
        ax.fill_between(part["tau"], part["ci_low"], part["ci_high"], color=c, alpha=0.25, lw=0)
        paper = {dict(k)["tau"]: v for k, v in paper_values("ising_equilibrium_xi", algo=algo).items()}
        if paper:  # (the null model has no paper values)
            ax.plot(
                list(paper),
                list(paper.values()),
                "x" if algo == "mfq" else "o",
                c=c,
                mfc="none",
                ms=8,
                label=f"{ALGO_LABEL[algo]} (paper)",
            )
    ax.axvline(ONSAGER_TAU, ls=":", c="grey", lw=1, label="Onsager τ_c = 1.13")
    ax.axhline(0.5, ls="--", c="grey", lw=0.8)
    ax.set(
        xlabel="temperature τ",
        ylabel="order parameter ξ",
        ylim=(-0.02, 1.05),
        title=f"Fig. 4 — Ising {cfg.ising.lattice_size}×{cfg.ising.lattice_size}: {_seed_note(int(table['n_seeds'].max()))}",
    )
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8)
    _save(fig, path)


def fig5_ising_timeseries(results, cfg: SuiteConfig, path: Path) -> None:
    runs = measures.load_runs(results, "ising")
    mfq = runs[(runs["algo"] == "mfq") & runs["metric"].isin(["xi", "q_mse"])]
    null = runs[(runs["algo"] == "untrained") & runs["metric"].isin(["xi", "q_mse"])]
    claim_metric = {"xi_equilibrium": "xi", "q_mse_final": "q_mse"}
    paper_end = {
        (dict(key)["tau"], claim_metric[dict(key)["metric"]]): value
        for key, value in paper_values("ising_final", algo="mfq").items()
    }
    taus = cfg.ising.timeseries_taus
    fig, axes = plt.subplots(2, len(taus), figsize=(4.6 * len(taus), 6.2), squeeze=False, sharex=True)
    for col, tau in enumerate(taus):
        for row, metric in enumerate(("xi", "q_mse")):
            ax = axes[row, col]
            part = mfq[np.isclose(mfq["tau"], tau) & (mfq["metric"] == metric)]
            sns.lineplot(part, x="step", y="value", errorbar=("ci", 95), seed=0, ax=ax, label="MF-Q (ours)")
            untrained = null[np.isclose(null["tau"], tau) & (null["metric"] == metric)]
            if len(untrained):
                sns.lineplot(
                    untrained,
                    x="step",
                    y="value",
                    errorbar=("ci", 95),
                    seed=0,
                    ax=ax,
                    color=ALGO_COLOR["untrained"],
                    label=f"{ALGO_LABEL['untrained']} (null model)",
                )
            if (tau, metric) in paper_end:
                ax.axhline(paper_end[(tau, metric)], ls="--", c="k", lw=1, label="paper, end of run")
            ax.set(title=f"τ = {tau:g}", xlabel="timestep", ylabel="order parameter ξ" if metric == "xi" else "Q-value MSE")
            ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 5 — MF-Q learning on the Ising lattice ({_seed_note(mfq['seed'].nunique())})", fontsize=10)
    _save(fig, path)


def fig6_ising_spin_maps(results, cfg: SuiteConfig, path: Path) -> None:
    taus = cfg.ising.spin_map_taus
    algos = ("mfq", "mcmc")
    seed = min(cfg.seeds)
    fig, axes = plt.subplots(len(algos), len(taus), figsize=(2.6 * len(taus), 2.8 * len(algos)), squeeze=False)
    for row, algo in enumerate(algos):
        with np.load(Path(results, "runs", "ising", algo, f"seed{seed}", "spins.npz")) as maps:
            for col, tau in enumerate(taus):
                spins = maps[f"tau{tau:g}"]
                ax = axes[row, col]
                ax.imshow(spins, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
                ax.set_title(f"{ALGO_LABEL[algo]}, τ = {tau:g}, ξ = {ising.order_parameter(spins):.2f}", fontsize=9)
    fig.suptitle(f"Fig. 6 — final spins (white = up), seed {seed}", fontsize=10)
    fig.subplots_adjust(hspace=0.3)
    _save(fig, path)


GS_LABEL = GAUSSIAN_SQUEEZE.labels


def fig3_gaussian_squeeze(results, cfg: SuiteConfig, path: Path) -> None:
    runs = measures.load_runs(results, "gaussian_squeeze")
    every = max(1, cfg.gaussian_squeeze.timesteps // 100)  # thin the curves to ~100 points for the bands
    curves = runs[runs["metric"].isin(["performance", "behaviour_performance"]) & (runs["step"] % every == 0)].copy()
    curves["algorithm"] = curves["algo"].map(GS_LABEL)
    counts = cfg.gaussian_squeeze.agent_counts
    fig, axes = plt.subplots(2, len(counts), figsize=(4.4 * len(counts), 7), squeeze=False, sharey=True)
    palette = dict(zip(GS_LABEL.values(), sns.color_palette("tab10", len(GS_LABEL))))
    paper = paper_values("gs_final_performance")
    for col, n in enumerate(counts):
        for row, metric in enumerate(("performance", "behaviour_performance")):
            ax = axes[row, col]
            part = curves[(curves["n_agents"] == n) & (curves["metric"] == metric)]
            sns.lineplot(
                part,
                x="step",
                y="value",
                hue="algorithm",
                hue_order=list(GS_LABEL.values()),
                palette=palette,
                errorbar=("ci", 95),
                n_boot=500,
                seed=0,
                ax=ax,
                legend=False,
            )
            ax.axhline(0.9, ls=":", c="grey", lw=1)
            if row == 0:
                for algo, label in GS_LABEL.items():
                    value = paper.get(params_key(algo=algo, n_agents=n))
                    if value is not None:
                        ax.plot(cfg.gaussian_squeeze.timesteps, value, marker="<", ms=7, c=palette[label], clip_on=False)
            ax.set(
                title=f"N = {n}" + ("" if row == 0 else " — exploring (behaviour) policy"),
                xlabel="timestep",
                ylabel="G(x) / G_max, greedy" if row == 0 else "G(x) / G_max, behaviour",
                ylim=(-0.03, 1.05),
            )
    handles = [plt.Line2D([], [], c=palette[label], lw=2) for label in GS_LABEL.values()]
    fig.legend(handles, list(GS_LABEL.values()), loc="lower center", ncol=len(GS_LABEL), fontsize=9, frameon=False)
    fig.suptitle(f"Fig. 3 — Gaussian Squeeze: {_seed_note(runs['seed'].nunique())}; ◀ = paper's value at the end", fontsize=10)
    _save(fig, path, rect=(0, 0.04, 1, 1))


def gs_joint_action_composition(results, cfg: SuiteConfig, path: Path) -> None:
    """Per N: for each learner, two stacked bars, its networks untrained (t = 0) and trained (end),
    each the mean share of agents on each action of the greedy joint action over seeds; above each
    bar the mean G(x)/G_max, and above the untrained one how many seeds already scored ≥ 0.85."""
    table = gaussian_squeeze_composition(results, cfg)
    counts, n_actions = cfg.gaussian_squeeze.agent_counts, cfg.gaussian_squeeze.n_actions
    fig, axes = plt.subplots(1, len(counts), figsize=(5.2 * len(counts), 4.6), squeeze=False, sharey=True)
    colours = sns.color_palette("viridis", n_actions)
    algos = [a for a in GAUSSIAN_SQUEEZE.names() if a in set(table["algo"])] if len(table) else []
    for ax, n in zip(axes[0], counts):
        for i, algo in enumerate(algos):
            for j, when in enumerate(("untrained", "final")):
                part = table[(table["n_agents"] == n) & (table["algo"] == algo) & (table["network"] == when)]
                if part.empty:
                    continue
                x, bottom = i + (j - 0.5) * 0.4, 0.0
                for k in range(n_actions):
                    share = float(part[f"share_a{k}"].mean())
                    ax.bar(
                        x,
                        share,
                        0.38,
                        bottom=bottom,
                        color=colours[k],
                        edgecolor="white",
                        linewidth=0.3,
                        hatch="//" if when == "untrained" else None,
                    )
                    bottom += share
                label = f"{part['performance'].mean():.2f}"
                if when == "untrained":
                    label += f"\n{int((part['performance'] >= GS_LUCKY_START).sum())}/{len(part)}"
                ax.text(x, 1.01, label, ha="center", va="bottom", fontsize=6.5)
        ax.set_xticks(range(len(algos)), [GS_LABEL[a] for a in algos], rotation=30, fontsize=8)
        ax.set(title=f"N = {n}", ylim=(0, 1.22), ylabel="share of agents on each action (mean over seeds)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k]) for k in range(n_actions)]
    handles += [plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="grey", hatch="//")]
    fig.legend(
        handles,
        [f"action {k}" for k in range(n_actions)] + ["untrained (left bar)"],
        loc="lower center",
        ncol=n_actions + 1,
        fontsize=7,
        frameon=False,
    )
    fig.suptitle(
        "Gaussian Squeeze: the greedy joint action untrained (hatched, left) and trained (right)\n"
        "above each bar its mean G(x)/G_max (trained: Fig. 3's final value); above the untrained one, the seeds "
        f"already at ≥ {GS_LUCKY_START} before any update",
        fontsize=9,
    )
    _save(fig, path, rect=(0, 0.06, 1, 0.93))


BATTLE_LABEL = BATTLE.labels


def won_rounds_only(runs: pd.DataFrame, metric: str = "total_reward_main") -> pd.DataFrame:
    """The reference code's training summary: `metric` on the rounds main won on total reward only
    (mlii/mfrl writes its summary inside the self-play-update branch of `Runner.run`)."""
    won = runs[(runs["metric"] == "main_won") & (runs["value"] == 1)][["algo", "seed", "step"]]
    return runs[runs["metric"] == metric].merge(won, on=["algo", "seed", "step"])


def fig7_battle_learning_curves(results, cfg: SuiteConfig, path: Path) -> None:
    """Left: the learning side's total reward over every round. Right: the same over the rounds main
    won only, which is what curves drawn from the reference code's logs show."""
    runs = measures.load_runs(results, "battle")
    # smooth over ~2% of training, as learning curves usually are, and over at least 5 rounds where there are that many
    window = min(cfg.battle.rounds, max(5, cfg.battle.rounds // 50))
    order = [BATTLE_LABEL[a] for a in cfg.battle.algorithms]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    for ax, (reward, title) in zip(
        axes,
        (
            (runs[runs["metric"] == "total_reward_main"], "every round (ours)"),
            (won_rounds_only(runs), "rounds main won only (the reference code's log)"),
        ),
    ):
        reward = reward.copy()
        reward["algorithm"] = reward["algo"].map(BATTLE_LABEL)
        reward["smoothed"] = (
            reward.sort_values("step")
            .groupby(["algo", "seed"])["value"]
            .transform(lambda v: v.rolling(window, min_periods=1).mean())
        )
        sns.lineplot(
            reward,
            x="step",
            y="smoothed",
            hue="algorithm",
            errorbar=("ci", 95),
            n_boot=500,
            seed=0,
            ax=ax,
            hue_order=order,
            legend=ax is axes[0],
        )
        ax.axhline(0, c="grey", lw=0.8)
        ax.set(
            xlabel="self-play round",
            ylabel=f"total reward of the learning side\n(rolling mean of {window} logged rounds)",
            title=title,
        )
        ax.title.set_fontsize(10)
    fig.suptitle(
        f"Fig. 7 — battle {cfg.battle.agents_per_side} v {cfg.battle.agents_per_side}, "
        f"{cfg.battle.map_size}×{cfg.battle.map_size}, {cfg.battle.rounds} rounds: "
        f"{_seed_note(runs['seed'].nunique())}",
        fontsize=10,
    )
    _save(fig, path)


def fig8_battle_cross_play(results, cfg: SuiteConfig, path: Path) -> None:
    from replication.analysis.aggregate import battle_cross_play

    cross = battle_cross_play(results, cfg)
    labels = [BATTLE_LABEL[a] for a in cfg.battle.algorithms]
    cross["row"], cross["column"] = cross["row"].map(BATTLE_LABEL), cross["column"].map(BATTLE_LABEL)
    panels = [
        ("win_rate", "win rate, ours", 0, 1),
        ("paper_win_rate", "win rate, paper", 0, 1),
        ("total_reward", "avg total reward, ours", None, None),
        ("paper_total_reward", "avg total reward, paper", None, None),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.4))
    intervals = {"win_rate": "win_rate_pairs_rounds", "total_reward": "total_reward_pairs_rounds"}
    for ax, (column, title, vmin, vmax) in zip(axes.flat, panels):

        def cells(values):
            return cross.pivot(index="row", columns="column", values=values).reindex(index=labels, columns=labels).astype(float)

        matrix, digits = cells(column), 2 if vmax == 1 else 0
        annot = matrix.map(lambda v: "" if np.isnan(v) else f"{v:.{digits}f}")
        if column in intervals:  # ours: the 95% interval over seed pairs and rounds under each value
            low, high = cells(f"{intervals[column]}_low"), cells(f"{intervals[column]}_high")
            annot = annot + "\n[" + low.map(lambda v: f"{v:.{digits}f}") + ", " + high.map(lambda v: f"{v:.{digits}f}") + "]"
            title += " [95% CI: seed pairs, rounds]"
        sns.heatmap(
            matrix,
            annot=annot.to_numpy(),
            fmt="",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
            cbar=False,
            ax=ax,
            square=True,
            annot_kws={"fontsize": 8},
        )
        ax.set(title=title, xlabel="column (opponent)", ylabel="row")
    policy = "actor-critics sample π" if cfg.battle.evaluation_policy == "sample" else "greedy play"
    rule = "more kills wins" if cfg.battle.evaluation_win_rule == "exact" else "reference rule: a tie wins for both"
    fig.suptitle(
        f"Fig. 8 — cross-play, row against column ({cfg.battle.tournament_rounds} rounds per seed pair, "
        f"balanced over side and group order; {policy}; {rule})",
        fontsize=10,
    )
    _save(fig, path)


PED_LABEL = SEMI_COOPERATIVE.labels
PED_TASK_TITLE = {
    "prisoners_dilemma": "iterated prisoner's dilemma",
    "pursuit": "partially-cooperative pursuit",
    "resource_sharing": "resource sharing",
    "tiger_deer": "MAgent tiger_deer",
}


def _ped_curves(results, task: str, metric: str) -> pd.DataFrame:
    runs = measures.load_runs(results, task)
    curves = runs[runs["metric"] == metric].copy()
    curves["algorithm"] = curves["algo"].map(PED_LABEL)
    return curves


def ped_dqn_welfare_curves(results, cfg: SuiteConfig, path: Path) -> None:
    """Paper B: social welfare of greedy evaluation episodes over training, one panel per task."""
    palette = dict(zip(PED_LABEL.values(), sns.color_palette("tab10", len(PED_LABEL))))
    tasks = list(PED_TASK_TITLE)
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.6 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        curves = _ped_curves(results, task, "social_welfare")
        order = [PED_LABEL[a] for a in getattr(cfg, task).algorithms]
        sns.lineplot(
            curves,
            x="step",
            y="value",
            hue="algorithm",
            hue_order=order,
            palette=palette,
            errorbar=("ci", 95),
            n_boot=500,
            seed=0,
            ax=ax,
            legend=False,
        )
        ax.set(
            title=f"{PED_TASK_TITLE[task]} ({_seed_note(curves['seed'].nunique())})",
            xlabel="training step",
            ylabel="social welfare per episode (greedy)",
        )
        ax.title.set_fontsize(9)
    handles = [plt.Line2D([], [], c=palette[label], lw=2) for label in PED_LABEL.values()]
    fig.legend(handles, list(PED_LABEL.values()), loc="lower center", ncol=len(PED_LABEL), fontsize=9, frameon=False)
    fig.suptitle(
        "PED-DQN (paper B) and baselines: social welfare over training; the paper's curves were not recovered", fontsize=10
    )
    _save(fig, path, rect=(0, 0.06, 1, 1))


def ped_dqn_pd_cooperation(results, cfg: SuiteConfig, path: Path) -> None:
    """Paper B's opening example: how often the greedy agents cooperate over training."""
    palette = dict(zip(PED_LABEL.values(), sns.color_palette("tab10", len(PED_LABEL))))
    order = [PED_LABEL[a] for a in cfg.prisoners_dilemma.algorithms]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, (metric, label) in zip(
        axes, (("cooperation_rate", "cooperation rate"), ("mutual_cooperation_rate", "mutual cooperation rate"))
    ):
        curves = _ped_curves(results, "prisoners_dilemma", metric)
        sns.lineplot(
            curves,
            x="step",
            y="value",
            hue="algorithm",
            hue_order=order,
            palette=palette,
            errorbar=("ci", 95),
            n_boot=500,
            seed=0,
            ax=ax,
            legend=ax is axes[0],
        )
        ax.axhline(0.5, ls=":", c="grey", lw=1)
        ax.set(xlabel="training step", ylabel=f"{label} (greedy)", ylim=(-0.03, 1.03))
    fig.suptitle(
        f"Iterated prisoner's dilemma (Axelrod payoffs, {cfg.prisoners_dilemma.episode_length} rounds): "
        f"{_seed_note(curves['seed'].nunique())}",
        fontsize=10,
    )
    _save(fig, path)


DRAWERS = {
    f.__name__: f
    for f in (
        ped_dqn_welfare_curves,
        ped_dqn_pd_cooperation,
        fig7_battle_learning_curves,
        fig8_battle_cross_play,
        fig2_toy_q_tables,
        fig3_gaussian_squeeze,
        gs_joint_action_composition,
        fig4_ising_xi_vs_tau,
        fig5_ising_timeseries,
        fig6_ising_spin_maps,
    )
}


def write_figures(results: str | Path, cfg: SuiteConfig) -> None:
    from replication.analysis.outputs import FIGURES

    sns.set_theme(style="whitegrid", context="notebook")
    for names in FIGURES.values():
        for name in names:
            DRAWERS[name](results, cfg, Path(results) / "figures" / f"{name}.png")
