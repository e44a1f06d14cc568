"""Per-seed measurements read from the runs: shared by tables, figures and the audit.

Every measure returns a pandas Series indexed by seed, so that a claim's value and its
bootstrap confidence interval are computed over seeds in one place.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from replication.algorithms.battle.scripted import SCRIPTED

CURIE_LEVEL = 0.5  # the Curie temperature is where ξ(τ) crosses 0.5 (paper A §5.2)

# The registry of measures a claim can name (`python -m replication measures` lists them).
MEASURES: dict[str, Callable[..., pd.Series]] = {}


def measure(
    task: str | None, files: tuple[str, ...] = (), null: str | None = None, untrained: str | None = None, start: str | None = None
):
    """Register a function as a measure. `task`: the runs it reads (runs/<task>/<algo>/seed<k>/);
    None where the claim's params name the task. `files`: what else under runs/<task>/ it reads.
    `null`: the audit's null model for claims on this measure where it is not the family's (a
    learning claim's: the untrained learner). `untrained`: the measure that gives the same quantity
    for the same runs' networks untrained (their initial weights, acting as at the first
    evaluation): the audit's untrained-network control. `start`: for a time-to-`level` measure,
    the measure giving each seed's untrained value of the quantity it waits for (a seed already at
    the level untrained is a lucky start: `analysis/learning.py`)."""

    def register(fn):
        fn.task, fn.files, fn.null, fn.untrained, fn.start = task, files, null, untrained, start
        MEASURES[fn.__name__] = fn
        return fn

    return register


@lru_cache(maxsize=None)
def _load(results: str, task: str) -> pd.DataFrame:
    files = sorted(Path(results, "runs", task).glob("*/seed*/metrics.csv"))
    if not files:
        return pd.DataFrame(columns=["task", "algo", "seed", "step", "metric", "value"])
    return pd.concat((pd.read_csv(f) for f in files), ignore_index=True)


def load_runs(results: str | Path, task: str) -> pd.DataFrame:
    """Every run's metrics of one task under results/runs/<task>/ (cached; treat as read-only)."""
    return _load(str(results), task)


def bootstrap_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and 95% BCa bootstrap interval over seeds (scipy.stats.bootstrap, method BCa, 9 999
    resamples, fixed rng). BCa corrects the percentile interval for the bootstrap distribution's
    bias and skew, which matter with the few seeds an RL study has (Agarwal et al. 2021).

    With one value the interval is undefined (NaN); identical values give a zero-width interval;
    where BCa is undefined (scipy warns of degenerate data) the interval is NaN, never a guess.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if len(values) == 1:
        return (mean, np.nan, np.nan)
    if np.all(values == values[0]):
        return (mean, mean, mean)
    # BCa commutes with scaling the data. Scaling by a power of two is exact in floating point (ties
    # among bootstrap means stay ties), and brought near 1 the jackknife's cubed differences cannot
    # underflow, as they do for values like 1e-180 (a collapsed G(x)/G_max).
    exponent = int(np.frexp(np.abs(values).max())[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(
            (np.ldexp(values, -exponent),),
            np.mean,
            confidence_level=confidence,
            n_resamples=9999,
            method="BCa",
            rng=np.random.default_rng(0),
        )
    interval = res.confidence_interval
    return (mean, float(np.ldexp(interval.low, exponent)), float(np.ldexp(interval.high, exponent)))


def probability_of_improvement(x, y, confidence: float = 0.95, n_resamples: int = 9999) -> tuple[float, float, float]:
    """P(X > Y): the chance that a run of X scores above a run of Y, ties counting half,

        P(X > Y) = 1/(n·m) Σ_i Σ_j ( [x_i > y_j] + ½·[x_i = y_j] ),

    with a stratified bootstrap interval (each sample resampled with replacement within itself,
    percentile interval, fixed rng), as rliable computes it (Agarwal et al. 2021). NaNs are
    dropped; an empty sample gives NaN."""
    x, y = (np.asarray(v, dtype=float) for v in (x, y))
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) == 0 or len(y) == 0:
        return (np.nan, np.nan, np.nan)

    def improvement(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:  # rows of resampled x and y
        above = (xs[:, :, None] > ys[:, None, :]).mean(axis=(1, 2))
        tied = (xs[:, :, None] == ys[:, None, :]).mean(axis=(1, 2))
        return above + 0.5 * tied

    rng = np.random.default_rng(0)
    xs = x[rng.integers(0, len(x), (n_resamples, len(x)))]
    ys = y[rng.integers(0, len(y), (n_resamples, len(y)))]
    return (float(improvement(x[None], y[None])[0]), *_percentile_interval(improvement(xs, ys), confidence))


def _percentile_interval(resampled: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central `confidence` share of a statistic's bootstrap draws."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return float(low), float(high)


def _select(runs: pd.DataFrame, algo: str, metric: str, tau: float | None = None) -> pd.DataFrame:
    rows = runs[(runs["algo"] == algo) & (runs["metric"] == metric)]
    if tau is not None and len(rows):  # (no runs: a frame without the task's columns)
        rows = rows[np.isclose(rows["tau"], tau)]
    return rows


@measure("ising")
def ising_equilibrium_xi(results, algo: str, tau: float) -> pd.Series:
    """Equilibrium order parameter ξ at temperature τ (Fig. 4), per seed."""
    rows = _select(load_runs(results, "ising"), algo, "xi_equilibrium", tau)
    return rows.set_index("seed")["value"].sort_index()


@measure("ising", null="untrained")
def ising_final(results, algo: str, tau: float, metric: str) -> pd.Series:
    """End-of-run value at one τ: metric `xi_equilibrium` or `q_mse_final`."""
    rows = _select(load_runs(results, "ising"), algo, metric, tau)
    return rows.set_index("seed")["value"].sort_index()


def curie_point(taus: np.ndarray, xi: np.ndarray, level: float = CURIE_LEVEL) -> float:
    """First τ at which ξ(τ) falls through `level`, linearly interpolated; NaN if it never does."""
    order = np.argsort(taus)
    taus, xi = np.asarray(taus, float)[order], np.asarray(xi, float)[order]
    for i in range(len(taus) - 1):
        if xi[i] >= level > xi[i + 1]:
            return float(taus[i] + (xi[i] - level) * (taus[i + 1] - taus[i]) / (xi[i] - xi[i + 1]))
    return float("nan")


@measure("ising")
def ising_curie_temperature(results, algo: str) -> pd.Series:
    """First τ at which ξ(τ) falls through 0.5, linearly interpolated (the Curie temperature), per seed."""
    rows = _select(load_runs(results, "ising"), algo, "xi_equilibrium")
    if rows.empty:
        return pd.Series(dtype=float)
    return rows.groupby("seed").apply(lambda g: curie_point(g["tau"].to_numpy(), g["value"].to_numpy()))


@measure("ising")
def ising_curie_difference(results, algo: str, baseline: str) -> pd.Series:
    """T_c(algo) − T_c(baseline), paired by seed."""
    return (ising_curie_temperature(results, algo) - ising_curie_temperature(results, baseline)).dropna()


@measure("ising")
def ising_xi_gap(results, algo: str, baseline: str, taus: list[float]) -> pd.Series:
    """Mean over `taus` of |ξ_algo(τ) − ξ_baseline(τ)|, paired by seed."""
    gaps = [(ising_equilibrium_xi(results, algo, t) - ising_equilibrium_xi(results, baseline, t)).abs() for t in taus]
    return pd.concat(gaps, axis=1).mean(axis=1, skipna=False)


@measure("ising_toy", null="untrained")
def toy_converged_q(results, algo: str = "mfq") -> pd.Series:
    """Fig. 2: Q of keeping the agreed direction when all neighbours agree, at the last step."""
    rows = _select(load_runs(results, "ising_toy"), algo, "q_consensus")
    return rows.sort_values("step").groupby("seed")["value"].last()


GS_TASK = "gaussian_squeeze"


def _gs_metric(results, algo: str, n_agents: int, metric: str) -> pd.Series:
    """One per-run metric of the Gaussian Squeeze runs at N = n_agents, per seed."""
    rows = _select(load_runs(results, GS_TASK), algo, metric)
    if rows.empty:
        return pd.Series(dtype=float)
    return rows[rows["n_agents"] == n_agents].set_index("seed")["value"].sort_index()


@measure("gaussian_squeeze")
def gs_untrained_performance(results, algo: str, n_agents: int) -> pd.Series:
    """The untrained network's greedy G(x)/G_max: the same run's network at t = 0, before any update."""
    return _gs_metric(results, algo, n_agents, "untrained_performance")


@measure("gaussian_squeeze")
def gs_composition(results, algo: str, n_agents: int, part: str = "modal_share", when: str = "final") -> pd.Series:
    """What the greedy joint action is made of, per seed: `part` is x (Σ a^j), modal_share (the share
    of agents on the most chosen action) or share_a<k>; `when` final (the trained network at the
    end) or untrained (at t = 0)."""
    return _gs_metric(results, algo, n_agents, f"{when}_{part}")


@measure("gaussian_squeeze", untrained="gs_untrained_performance")
def gs_final_performance(results, algo: str, n_agents: int) -> pd.Series:
    """Greedy G(x)/G_max averaged over the final `measure_fraction` of timesteps (Fig. 3's end)."""
    return _gs_metric(results, algo, n_agents, "final_performance")


def first_trained_step(loss: pd.DataFrame) -> float:
    """The first logged step whose loss is defined, i.e. the log interval of the first gradient step
    (a run logs NaN loss until it trains); +inf if the learner never trained."""
    trained = loss.loc[loss["value"].notna(), "step"]
    return float(trained.min()) if len(trained) else np.inf


def first_step_reaching(performance: pd.DataFrame, loss: pd.DataFrame, level: float) -> float:
    """First logged step at which the greedy performance reaches `level`, counting only evaluations
    made after the learner's first gradient step: the evaluation logged at step s is taken before
    the updates of step s, so it counts once some step before s logged a loss. NaN if never."""
    after = performance[performance["step"] > first_trained_step(loss)]
    hit = after.loc[after["value"] >= level, "step"]
    return float(hit.min()) if len(hit) else np.nan


@measure("gaussian_squeeze", start="gs_untrained_performance")
def gs_time_to(results, algo: str, n_agents: int, level: float = 0.9, censor: bool = False) -> pd.Series:
    """First timestep at which the trained greedy performance reaches `level` (evaluations of the
    untrained network do not count; see `first_step_reaching`); NaN if never (or, with censor=True,
    one log interval past the last timestep)."""
    runs = load_runs(results, GS_TASK)
    runs = runs[runs["n_agents"] == n_agents] if len(runs) else runs
    rows, loss = _select(runs, algo, "performance"), _select(runs, algo, "loss")
    if rows.empty:
        return pd.Series(dtype=float)
    horizon = float(rows["step"].max() + rows["step"].min())
    times = {seed: first_step_reaching(group, loss[loss["seed"] == seed], level) for seed, group in rows.groupby("seed")}
    times = pd.Series(times, dtype=float)
    return times.fillna(horizon) if censor else times


# --- battle ---------------------------------------------------------------------------------------

MATCH_COLUMNS = [
    "row_algo",
    "row_seed",
    "col_algo",
    "col_seed",
    "round",
    "row_group",
    "row_side",
    "row_kills",
    "col_kills",
    "row_kills_reference",
    "col_kills_reference",
    "row_total_reward",
    "col_total_reward",
    "win_rule",
]


@lru_cache(maxsize=None)
def _matches(results: str, name: str) -> pd.DataFrame:
    path = Path(results, "runs", "battle", name)
    return pd.read_csv(path) if path.exists() else pd.DataFrame(columns=MATCH_COLUMNS)


def round_outcomes(row_kills, col_kills, rule: str = "exact") -> dict:
    """Win, tie and loss (0/1 arrays) of the row model. `exact`: more kills wins, equal kills is a tie.
    `reference` (mlii/mfrl `Runner.run`, evaluation branch): kills as read before the last step's
    clearing, and a tie counts as a win for both sides, so win and tie can both be 1."""
    row_kills, col_kills = np.asarray(row_kills), np.asarray(col_kills)
    tie = row_kills == col_kills
    win = row_kills > col_kills if rule == "exact" else row_kills >= col_kills
    return {"win": win.astype(float), "tie": tie.astype(float), "loss": (row_kills < col_kills).astype(float)}


def with_outcomes(matches: pd.DataFrame) -> pd.DataFrame:
    """Battle rounds with the row model's win, tie and loss under the win rule they were played with."""
    if matches.empty:
        return matches.assign(win=[], tie=[], loss=[])
    rule = matches["win_rule"].iloc[0] if "win_rule" in matches else "exact"
    suffix = "_reference" if rule == "reference" else ""
    return matches.assign(**round_outcomes(matches["row_kills" + suffix], matches["col_kills" + suffix], rule))


def evaluation_name(stem: str, untrained: bool) -> str:
    """A battle evaluation's file or folder name (tournament, scripted, …), or its untrained
    networks' counterpart (<stem>_untrained): the one naming rule the writers (`tournament`) and
    the measures share."""
    return f"{stem}_untrained" if untrained else stem


def _evaluation_file(name: str, untrained: bool) -> str:
    """runs/battle/<name>.csv, or its untrained networks' <name>_untrained.csv."""
    return evaluation_name(name, untrained) + ".csv"


def tournament_matches(results, untrained: bool = False) -> pd.DataFrame:
    """Every tournament round (runs/battle/tournament.csv; `untrained`: the same pairings played by
    the networks untrained, tournament_untrained.csv) with the row model's outcome (cached)."""
    return with_outcomes(_matches(str(results), _evaluation_file("tournament", untrained)))


def scripted_matches(results, untrained: bool = False) -> pd.DataFrame:
    """Every round of the trained models (`untrained`: their networks untrained) against scripted
    teams (runs/battle/scripted.csv, scripted_untrained.csv)."""
    return with_outcomes(_matches(str(results), _evaluation_file("scripted", untrained)))


def pair_round_interval(
    cell: pd.DataFrame, column: str, confidence: float = 0.95, n_resamples: int = 9999
) -> tuple[float, float, float]:
    """The mean of `column` over one Fig. 8 cell's tournament rounds, with a two-level bootstrap
    interval: the cell's seed pairs resampled with replacement, then the rounds within each drawn
    pair (percentile, fixed rng), so that both the models' seeds and the rounds' chance vary in it.
    Every pair plays the same number of rounds (the tournament balances them)."""
    if cell.empty:
        return (np.nan, np.nan, np.nan)
    pairs = [group[column].to_numpy(dtype=float) for _, group in cell.groupby(["row_seed", "col_seed"])]
    if len({len(p) for p in pairs}) != 1:
        raise ValueError(f"seed pairs of one cell played different numbers of rounds: {sorted({len(p) for p in pairs})}")
    values = np.stack(pairs)  # (pairs, rounds)
    n_pairs, n_rounds = values.shape
    rng = np.random.default_rng(0)
    drawn = rng.integers(0, n_pairs, (n_resamples, n_pairs), dtype=np.int32)
    within = rng.integers(0, n_rounds, (n_resamples, n_pairs, n_rounds), dtype=np.int32)
    means = values[drawn[:, :, None], within].mean(axis=(1, 2))
    return (float(values.mean()), *_percentile_interval(means, confidence))


def scripted_team_matches(results, untrained: bool = False) -> pd.DataFrame:
    """The scripted evaluation's rounds seen from the scripted team's side (it is the row): kills and
    rewards swapped and the outcome recomputed under the same win rule, `row_seed` the trained
    model's seed. The battle measures read this for a scripted team (the null model `random`)."""
    m = _matches(str(results), _evaluation_file("scripted", untrained))
    swapped = {
        f"{a}{name}": f"{b}{name}"
        for a, b in (("row_", "col_"), ("col_", "row_"))
        for name in ("algo", "kills", "kills_reference", "total_reward")
    }
    mirrored = m.drop(columns=["row_group", "row_side"]).rename(columns=swapped)
    return with_outcomes(mirrored.assign(row_seed=m["row_seed"], col_seed=m["row_seed"]))


def _per_row_seed(results, algo: str, opponent: str, column: str, untrained: bool = False) -> pd.Series:
    """Mean of `column` over the rounds `algo` played against `opponent`, per seed of the row model
    (of the opponent where `algo` is a scripted team: it has no seeds of its own)."""
    m = scripted_team_matches(results, untrained) if algo in SCRIPTED else tournament_matches(results, untrained)
    m = m[(m["row_algo"] == algo) & (m["col_algo"] == opponent)]
    return m.groupby("row_seed")[column].mean()


# The battle measures' untrained-network controls read the same rounds played by the same runs'
# networks untrained (runs/battle/tournament_untrained.csv, scripted_untrained.csv).


@measure("battle", files=("tournament_untrained.csv",))
def battle_win_rate_untrained(results, algo: str, opponent: str) -> pd.Series:
    """`battle_win_rate` of the networks untrained."""
    return _per_row_seed(results, algo, opponent, "win", untrained=True)


@measure("battle", files=("tournament.csv",), untrained="battle_win_rate_untrained")
def battle_win_rate(results, algo: str, opponent: str) -> pd.Series:
    """Share of rounds the algorithm wins (under the tournament's win rule), per seed of the row
    algorithm; for a scripted team (`random`), its share against `opponent` in the scripted evaluation."""
    return _per_row_seed(results, algo, opponent, "win")


@measure("battle", files=("tournament_untrained.csv",))
def battle_total_reward_untrained(results, algo: str, opponent: str) -> pd.Series:
    """`battle_total_reward` of the networks untrained."""
    return _per_row_seed(results, algo, opponent, "row_total_reward", untrained=True)


@measure("battle", files=("tournament.csv",), untrained="battle_total_reward_untrained")
def battle_total_reward(results, algo: str, opponent: str) -> pd.Series:
    """Mean total reward of the algorithm's team per tournament round against `opponent`, per seed of the row
    algorithm; for a scripted team (`random`), its reward against `opponent` in the scripted evaluation."""
    return _per_row_seed(results, algo, opponent, "row_total_reward")


def won_outright(matches: pd.DataFrame) -> pd.Series:
    """1 where the row model won the round with more kills, under either win rule (the reference
    rule counts a tie as a win for both: `win` and `tie` both 1)."""
    return matches["win"] * (1 - matches["tie"])


def decided_win_share(matches: pd.DataFrame) -> float:
    """Of the rounds some side won (more kills), the share the row model won; NaN when every round
    was a tie."""
    won = won_outright(matches).sum()
    decided = won + matches["loss"].sum()
    return float(won / decided) if decided else np.nan


def _ranking_margin(matches: pd.DataFrame, order: list[str]) -> pd.Series:
    margins = []
    for a, b in zip(order, order[1:]):
        pair = matches[(matches["row_algo"] == a) & (matches["col_algo"] == b)]
        margins.append(pair.groupby("row_seed")[["win", "tie", "loss"]].apply(decided_win_share) - 0.5)
    if any(m.empty for m in margins):
        return pd.Series(dtype=float)
    return pd.concat([m.reset_index(drop=True) for m in margins], axis=1).min(axis=1, skipna=False)


@measure("battle", files=("tournament_untrained.csv",))
def battle_ranking_margin_untrained(results, order: list[str]) -> pd.Series:
    """`battle_ranking_margin` of the networks untrained."""
    return _ranking_margin(tournament_matches(results, untrained=True), order)


@measure("battle", files=("tournament.csv",), untrained="battle_ranking_margin_untrained")
def battle_ranking_margin(results, order: list[str]) -> pd.Series:
    """Per seed index k (seed k of each algorithm against every seed of the next): the smallest
    (share of the decided rounds won − 0.5) along the claimed order. A tie is no evidence either way
    (two teams that kill nobody tie), so it is left out; a seed whose pairing in some step of the
    order decided no round at all has no value (NaN). Before 2026-12-03 the margin was the win rate
    − 0.5 with ties counted as not won, which read two teams that never kill as evidence against."""
    return _ranking_margin(tournament_matches(results), order)


def _worse_side_win_rate(matches: pd.DataFrame, algo: str, opponent: str) -> pd.Series:
    m = matches[(matches["row_algo"] == algo) & (matches["col_algo"] == opponent)]
    if m.empty:
        return pd.Series(dtype=float)
    by_side = m.assign(won=won_outright(m)).groupby(["row_seed", "row_side"])["won"].mean().unstack()
    return by_side.reindex(columns=["left", "right"]).min(axis=1, skipna=False)


@measure("battle", files=("scripted_untrained.csv",))
def battle_worse_side_win_rate_untrained(results, algo: str, opponent: str = "stationary_attacker") -> pd.Series:
    """`battle_worse_side_win_rate` of the networks untrained."""
    return _worse_side_win_rate(scripted_matches(results, untrained=True), algo, opponent)


@measure("battle", files=("scripted.csv",), untrained="battle_worse_side_win_rate_untrained")
def battle_worse_side_win_rate(results, algo: str, opponent: str = "stationary_attacker") -> pd.Series:
    """Per seed of the trained model: its share of rounds won (more kills; a tie is not won, under
    either win rule) against the scripted team `opponent` from its worse side (the smaller of its
    left and right shares; a side it never played gives NaN). A model that wins from one side only
    has learned a side, not the game (the power rule's trained check)."""
    return _worse_side_win_rate(scripted_matches(results), algo, opponent)


@measure("battle")
def battle_final_training_reward(results, algo: str, fraction: float = 0.1) -> pd.Series:
    """Main side's total reward per round, averaged over the last `fraction` of training rounds."""
    rows = _select(load_runs(results, "battle"), algo, "total_reward_main")

    def tail_mean(group):
        last = group.sort_values("step")["value"]
        return last.iloc[-max(1, int(round(fraction * len(last)))) :].mean()

    return rows.groupby("seed").apply(tail_mean, include_groups=False) if len(rows) else pd.Series(dtype=float)


# --- paper B: semi-cooperative tasks --------------------------------------------------------------

FINAL_FRACTION = 0.2  # final performance = mean of the greedy evaluations in the last 20% of training


@measure(None)
def semi_cooperative_untrained(results, task: str, algo: str, metric: str = "social_welfare") -> pd.Series:
    """Per seed: the evaluation metric of the same run's networks untrained (greedy episodes before
    any update, logged at step 0 as `untrained_<metric>`)."""
    rows = _select(load_runs(results, task), algo, f"untrained_{metric}")
    return rows.set_index("seed")["value"].sort_index() if len(rows) else pd.Series(dtype=float)


@measure(None, untrained="semi_cooperative_untrained")
def semi_cooperative_final(results, task: str, algo: str, metric: str = "social_welfare") -> pd.Series:
    """Per seed: mean of an evaluation metric over the evaluations in the last FINAL_FRACTION of training."""
    rows = _select(load_runs(results, task), algo, metric)
    if rows.empty:
        return pd.Series(dtype=float)
    last = rows["step"].max()
    tail = rows[rows["step"] > last * (1 - FINAL_FRACTION)]
    return tail.groupby("seed")["value"].mean().sort_index()
