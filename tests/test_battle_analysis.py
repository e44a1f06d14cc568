"""Analysis of hand-made runs: Gaussian Squeeze's time to 0.9, the battle rankings and the side split."""

import numpy as np
import pandas as pd
import pytest

from replication.analysis import aggregate, measures
from replication.config import load_config


@pytest.fixture(autouse=True)
def fresh_cache():
    measures._load.cache_clear(), measures._matches.cache_clear()
    yield
    measures._load.cache_clear(), measures._matches.cache_clear()


def _gs_run(folder, algo, seed, performance, loss, n_agents=500):
    rows = [(step + 1, "performance", v) for step, v in enumerate(performance)]
    rows += [(step + 1, "loss", v) for step, v in enumerate(loss)]
    frame = pd.DataFrame(rows, columns=["step", "metric", "value"]).assign(
        task="gaussian_squeeze", algo=algo, seed=seed, n_agents=n_agents
    )
    path = folder / "runs" / "gaussian_squeeze" / algo / f"seed{seed}" / "metrics.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def test_time_to_level_ignores_the_untrained_network(tmp_path):
    """Seed 0's greedy curve starts at 0.95 (logged at step 1, before any gradient step: loss NaN),
    falls to 0.2 and 0.5, then reaches 0.92 at step 4: the first trained evaluation at 0.9 is step 4,
    not step 1. Seed 1 takes its first gradient step during step 2 (loss NaN at step 1 only); the
    evaluation logged at s is taken before step s's updates, so its 0.91 at step 2 is still the
    untrained network's and its 0.93 at step 3 counts. Seed 2 never reaches 0.9 after training: NaN, or 5 (one interval past
    the last step) when censored."""
    nan = np.nan
    _gs_run(tmp_path, "mfq", 0, [0.95, 0.2, 0.5, 0.92], [nan, 0.1, 0.1, 0.1])
    _gs_run(tmp_path, "mfq", 1, [0.1, 0.91, 0.93, 0.5], [nan, 0.1, 0.1, 0.1])
    _gs_run(tmp_path, "mfq", 2, [0.99, 0.1, 0.1, 0.1], [nan, 0.1, 0.1, 0.1])
    times = measures.gs_time_to(tmp_path, "mfq", 500, 0.9)
    assert times.loc[0] == 4 and times.loc[1] == 3 and np.isnan(times.loc[2])
    assert measures.gs_time_to(tmp_path, "mfq", 500, 0.9, censor=True).tolist() == [4, 3, 5]


def _tournament(folder, cells):
    """cells: {(row, column): [(row_side, row_group, row_kills, col_kills), ...]} → tournament.csv."""
    records = [
        {
            "row_algo": r,
            "row_seed": 0,
            "col_algo": c,
            "col_seed": 0,
            "round": k,
            "row_group": g,
            "row_side": side,
            "row_kills": rk,
            "col_kills": ck,
            "row_kills_reference": rk,
            "col_kills_reference": ck,
            "row_total_reward": 0.0,
            "col_total_reward": 0.0,
            "win_rule": "exact",
        }
        for (r, c), rounds in cells.items()
        for k, (side, g, rk, ck) in enumerate(rounds)
    ]
    path = folder / "runs" / "battle" / "tournament.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(records).to_csv(path, index=False)


WIN, LOSS, TIE = ("left", 0, 2, 1), ("left", 0, 1, 2), ("left", 0, 1, 1)


def test_paper_ranking_leaves_ped_dqn_out(tmp_path):
    """Among the paper's four, MF-Q wins all its games (mean 1), IL wins against MF-AC and AC (2/3),
    MF-AC against AC (1/3), AC none (0). PED-DQN beats MF-Q and loses to everyone else: counted,
    it would lift IL, MF-AC and AC by a win each and drop MF-Q to 3/4 — ranked with PED-DQN, MF-Q
    (0.75) ties with IL (0.75). The paper's table ranks the four among themselves: MF-Q 1, IL 2,
    MF-AC 3, AC 4; the table with PED-DQN ranks MF-Q and IL together first."""
    algos = ["mfq", "il", "mfac", "ac", "ped_dqn"]
    strength = {"mfq": 3, "il": 2, "mfac": 1, "ac": 0}
    cells = {}
    for r in algos:
        for c in algos:
            if r == c:
                continue
            if "ped_dqn" in (r, c):
                row_wins = (r == "ped_dqn") == (c == "mfq") if r == "ped_dqn" else r != "mfq"
            else:
                row_wins = strength[r] > strength[c]
            cells[(r, c)] = [WIN if row_wins else LOSS]
    _tournament(tmp_path, cells)
    cfg = load_config(["workflow/config/default.yaml"])
    paper = aggregate.battle_ranking(tmp_path, cfg).set_index("algo")
    assert set(paper.index) == {"mfq", "il", "mfac", "ac"}
    assert paper["mean_win_rate"].to_dict() == pytest.approx({"mfq": 1.0, "il": 2 / 3, "mfac": 1 / 3, "ac": 0.0})
    assert paper["rank"].to_dict() == {"mfq": 1, "il": 2, "mfac": 3, "ac": 4}
    everyone = aggregate.battle_ranking_all(tmp_path, cfg).set_index("algo")
    assert everyone.loc["mfq", "mean_win_rate"] == 0.75 and everyone.loc["il", "mean_win_rate"] == 0.75
    assert everyone.loc["ped_dqn", "mean_win_rate"] == 0.25 and everyone.loc["mfq", "rank"] == everyone.loc["il", "rank"] == 1


def test_cross_play_split_by_side_and_group(tmp_path):
    """MF-Q against IL, four rounds: (left, group 0) win, (right, group 0) tie, (left, group 1) win,
    (right, group 1) loss. By side: left 2 wins of 2; right 1 tie and 1 loss. By group: group 0 one
    win and one tie; group 1 one win and one loss. The whole cell: 2 wins, 1 loss, 1 tie, tie rate 0.25."""
    _tournament(tmp_path, {("mfq", "il"): [("left", 0, 3, 1), ("right", 0, 2, 2), ("left", 1, 4, 0), ("right", 1, 0, 5)]})
    cfg = load_config(["workflow/config/default.yaml"])
    split = aggregate.battle_cross_play_by_side(tmp_path, cfg).set_index("split")
    assert split.loc["side left", ["wins", "losses", "ties"]].tolist() == [2, 0, 0]
    assert split.loc["side right", ["wins", "losses", "ties"]].tolist() == [0, 1, 1]
    assert split.loc["group 0", ["wins", "losses", "ties"]].tolist() == [1, 0, 1]
    assert split.loc["group 1", ["wins", "losses", "ties"]].tolist() == [1, 1, 0]
    cell = aggregate.battle_cross_play(tmp_path, cfg).set_index(["row", "column"]).loc[("mfq", "il")]
    assert (cell["wins"], cell["losses"], cell["ties"], cell["tie_rate"]) == (2, 1, 1, 0.25)


def _cell(pairs: dict) -> pd.DataFrame:
    """Tournament rounds of one Fig. 8 cell: {(row seed, column seed): [win per round, …]}."""
    return pd.DataFrame(
        [{"row_seed": r, "col_seed": c, "win": w, "row_total_reward": 10.0 * w} for (r, c), wins in pairs.items() for w in wins]
    )


def test_fig8_interval_over_seed_pairs_and_rounds_by_hand():
    """One pair, rounds won (1, 0): a resample of the rounds averages 0, ½ or 1 with chances ¼, ½, ¼,
    so the 95% interval is [0, 1] around 0.5. Two pairs that each win every round (1, 1) and lose
    every round (0, 0): resampling rounds within a pair changes nothing, resampling the pairs gives
    the same three means, so again [0, 1] — the spread comes from the seeds. Two pairs of (1, 0, 1, 0):
    the pairs agree and only the rounds vary; four identical pairs of all wins give [1, 1]."""
    assert measures.pair_round_interval(_cell({(0, 1): [1, 0]}), "win") == (0.5, 0.0, 1.0)
    assert measures.pair_round_interval(_cell({(0, 1): [1, 1], (1, 0): [0, 0]}), "win") == (0.5, 0.0, 1.0)
    mean, low, high = measures.pair_round_interval(_cell({(0, 1): [1, 0, 1, 0], (1, 0): [1, 0, 1, 0]}), "win")
    assert mean == 0.5 and 0 < low < 0.5 < high < 1
    wins = {(i, j): [1, 1, 1] for i in range(2) for j in range(2)}
    assert measures.pair_round_interval(_cell(wins), "row_total_reward") == (10.0, 10.0, 10.0)
    with pytest.raises(ValueError, match="different numbers of rounds"):
        measures.pair_round_interval(_cell({(0, 1): [1, 0], (1, 0): [1]}), "win")


def _seeded_tournament(folder, cells):
    """cells: {(row, column, row_seed): [(row_kills, col_kills), ...]} → tournament.csv (exact rule),
    every round on the left in group 0, against column seed 0."""
    _tournament_records(
        folder,
        "tournament.csv",
        [
            {
                "row_algo": r,
                "row_seed": seed,
                "col_algo": c,
                "col_seed": 0,
                "round": k,
                "row_group": 0,
                "row_side": "left",
                "row_kills": rk,
                "col_kills": ck,
                "row_kills_reference": rk,
                "col_kills_reference": ck,
                "row_total_reward": 0.0,
                "col_total_reward": 0.0,
                "win_rule": "exact",
            }
            for (r, c, seed), rounds in cells.items()
            for k, (rk, ck) in enumerate(rounds)
        ],
    )


def _tournament_records(folder, name, records):
    path = folder / "runs" / "battle" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(records).to_csv(path, index=False)


def test_the_ranking_margin_leaves_ties_out(tmp_path):
    """Order a > b > c. Seed 0: a beats b in 3 rounds, loses 1, ties 4 (share of decided rounds 3/4,
    margin 0.25; the old measure, win rate − 0.5, gave 3/8 − 0.5 = −0.125); b vs c: 1 win, 1 tie
    (1/1, margin 0.5). Smallest: 0.25. Seed 1: a vs b 2 wins, 2 losses (0); b vs c ties only, so
    no round of that step was decided: no value (NaN), not −0.5 as two teams that never kill gave
    before."""
    _seeded_tournament(
        tmp_path,
        {
            ("a", "b", 0): [(2, 1)] * 3 + [(1, 2)] + [(0, 0)] * 4,
            ("b", "c", 0): [(1, 0), (0, 0)],
            ("a", "b", 1): [(2, 1)] * 2 + [(1, 2)] * 2,
            ("b", "c", 1): [(0, 0)] * 4,
        },
    )
    margin = measures.battle_ranking_margin(tmp_path, ["a", "b", "c"])
    assert margin.iloc[0] == pytest.approx(0.25) and np.isnan(margin.iloc[1])


def test_the_decided_share_under_the_reference_rule_counts_a_tie_as_no_win():
    """Reference rule: a tie is a win for both (win 1, tie 1). Rounds (win, tie, loss): (1, 0, 0),
    (1, 1, 0), (0, 0, 1), (0, 0, 1): one round won outright, two lost: 1/3. All ties: NaN."""
    rounds = pd.DataFrame({"win": [1.0, 1, 0, 0], "tie": [0.0, 1, 0, 0], "loss": [0.0, 0, 1, 1]})
    assert measures.decided_win_share(rounds) == pytest.approx(1 / 3)
    assert np.isnan(measures.decided_win_share(pd.DataFrame({"win": [1.0], "tie": [1.0], "loss": [0.0]})))


def test_the_worse_side_win_rate_against_the_stationary_attacker(tmp_path):
    """IL seed 0 wins 2 of 2 rounds from the left and 1 of 2 from the right (a tie, 3–3, is not
    won): worse side 0.5. Seed 1 wins both from the right and neither from the left: 0, although
    its overall rate is 0.5. The random team's rounds are not read."""

    def record(seed, side, rk, ck, col="stationary_attacker"):
        return {
            "row_algo": "il",
            "row_seed": seed,
            "col_algo": col,
            "col_seed": -1,
            "round": 0,
            "row_group": 0,
            "row_side": side,
            "row_kills": rk,
            "col_kills": ck,
            "row_kills_reference": rk,
            "col_kills_reference": ck,
            "row_total_reward": 0.0,
            "col_total_reward": 0.0,
            "win_rule": "exact",
        }

    _tournament_records(
        tmp_path,
        "scripted.csv",
        [
            record(0, "left", 4, 0),
            record(0, "left", 4, 1),
            record(0, "right", 4, 2),
            record(0, "right", 3, 3),
            record(1, "left", 0, 4),
            record(1, "left", 1, 4),
            record(1, "right", 4, 0),
            record(1, "right", 4, 0),
            record(1, "left", 4, 0, col="random"),
        ],
    )
    assert measures.battle_worse_side_win_rate(tmp_path, "il").tolist() == [0.5, 0.0]


def _seeded_rounds(cells, side="left"):
    """cells: {(row, column, row_seed): [(row_kills, col_kills), ...]} → rounds (exact rule), every
    one in group 0 on `side`, against column seed 0."""
    return [
        {
            "row_algo": r,
            "row_seed": seed,
            "col_algo": c,
            "col_seed": 0 if c not in SCRIPTED_TEAMS else -1,
            "round": k,
            "row_group": 0,
            "row_side": side,
            "row_kills": rk,
            "col_kills": ck,
            "row_kills_reference": rk,
            "col_kills_reference": ck,
            "row_total_reward": float(rk),
            "col_total_reward": float(ck),
            "win_rule": "exact",
        }
        for (r, c, seed), rounds in cells.items()
        for k, (rk, ck) in enumerate(rounds)
    ]


SCRIPTED_TEAMS = ("random", "stationary_attacker")


def test_battle_measures_read_the_untrained_networks_rounds_from_their_own_files(tmp_path):
    """The trained tournament: MF-Q seed 0 beats IL 2–0 twice (win rate 1), seed 1 once of two (0.5).
    The untrained networks' tournament (tournament_untrained.csv), the same pairings: seed 0 ties
    0–0 twice (win rate 0, no decided round: ranking margin NaN), seed 1 wins 1–0 and ties (0.5;
    decided share 1/1, margin 0.5). Against the stationary attacker from the left and the right,
    untrained seed 0 wins 1 of 1 and 0 of 1: worse side 0. Each measure's registered untrained
    counterpart is the one that reads these files; the trained measures never read them."""
    _tournament_records(
        tmp_path, "tournament.csv", _seeded_rounds({("mfq", "il", 0): [(2, 0), (2, 0)], ("mfq", "il", 1): [(2, 0), (0, 2)]})
    )
    _tournament_records(
        tmp_path,
        "tournament_untrained.csv",
        _seeded_rounds({("mfq", "il", 0): [(0, 0), (0, 0)], ("mfq", "il", 1): [(1, 0), (0, 0)]}),
    )
    _tournament_records(
        tmp_path,
        "scripted_untrained.csv",
        _seeded_rounds({("mfq", "stationary_attacker", 0): [(3, 1)]}, "left")
        + _seeded_rounds({("mfq", "stationary_attacker", 0): [(0, 2)]}, "right"),
    )
    assert measures.battle_win_rate(tmp_path, "mfq", "il").tolist() == [1.0, 0.5]
    for name in ("battle_win_rate", "battle_total_reward", "battle_ranking_margin", "battle_worse_side_win_rate"):
        assert measures.MEASURES[name].untrained == f"{name}_untrained"
    assert measures.battle_win_rate_untrained(tmp_path, "mfq", "il").tolist() == [0.0, 0.5]
    assert measures.battle_total_reward_untrained(tmp_path, "mfq", "il").tolist() == [0.0, 0.5]
    margin = measures.battle_ranking_margin_untrained(tmp_path, ["mfq", "il"])
    assert np.isnan(margin.iloc[0]) and margin.iloc[1] == 0.5
    assert measures.battle_worse_side_win_rate_untrained(tmp_path, "mfq").tolist() == [0.0]
    assert measures.battle_worse_side_win_rate(tmp_path, "mfq").empty  # no trained scripted rounds here


def test_the_scripted_table_shows_the_untrained_networks_below_the_trained(tmp_path):
    """IL seed 0 against the random team: trained, one round won 4–0 from the left; untrained, one
    round tied 0–0 from the left. The table has both, marked by `network`, trained first."""
    _tournament_records(tmp_path, "scripted.csv", _seeded_rounds({("il", "random", 0): [(4, 0)]}))
    _tournament_records(tmp_path, "scripted_untrained.csv", _seeded_rounds({("il", "random", 0): [(0, 0)]}))
    table = aggregate.battle_vs_scripted(tmp_path, load_config(["workflow/config/default.yaml"]))
    left = table[table["split"] == "side left"].set_index("network")
    assert list(table.columns[:4]) == ["network", "algo", "seed", "opponent"] and list(left.index) == ["trained", "untrained"]
    assert left.loc["trained", ["wins", "ties"]].tolist() == [1, 0] and left.loc["untrained", ["wins", "ties"]].tolist() == [0, 1]
