"""The decisive scale's power rule (replication/analysis/power.py) on hand-made pilots."""

import pytest

from replication.analysis.audit import Claim
from replication.analysis.learning import LearnedCount
from replication.analysis.power import (
    PilotClaim,
    PilotLearner,
    Spread,
    budget_reasons,
    choose_setting,
    clears_null,
    converged,
    expected_width,
    pilot_estimate,
    stated_effect,
)

# a learner that learned on all 3 pilot seeds and sits at 0.8 at every budget (untrained at 0): its
# own convergence never stands in the way, so these tests read the claim statistic's part of the rule
FLAT_LEARNED = (PilotLearner("x", (0.8, 0.8, 0.8), (0.0, 0.0, 0.0), LearnedCount("x", 3, 3)),)


def _claim(rule="above", **fields):
    defaults = {"above": {"paper_value": 0.9, "threshold": 0.5}, "improves": {"paper_value": float("nan")}}
    return Claim(
        id=f"test-{rule}",
        paper="test",
        figure="-",
        statement="-",
        measure="battle_win_rate",
        rule=rule,
        **{**defaults.get(rule, {}), **fields},
    )


def test_the_effect_the_paper_states_by_hand():
    """above 0.9 vs threshold 0.5: 0.4; below 0.1 vs 0.5: 0.4; within ± 0.15: the band, 0.3;
    improves: P(X > Y) = 1 against chance 0.5, so 0.5."""
    assert stated_effect(_claim()) == pytest.approx(0.4)
    assert stated_effect(_claim("below", paper_value=0.1, threshold=0.5)) == pytest.approx(0.4)
    assert stated_effect(_claim("within", paper_value=0.9, tolerance=0.15)) == pytest.approx(0.3)
    assert stated_effect(_claim("improves")) == 0.5


def test_expected_interval_widths_by_hand():
    """BCa of a mean, 5 seeds of sd 0.1: about 2 × 1.96 × 0.1 × √(4/5) / √5 ≈ 0.157 less the sample
    SD's shortfall (E[s] ≈ 0.94 σ at n = 5): ≈ 0.148 (0.13–0.16). P(X > Y) of two samples that
    never overlap (means 10 and 0, sd 0.1): every resample gives 1, width 0. Two samples from one
    distribution, 30 seeds each: the AUC's variance under no separation is (n + m + 1) / (12 n m)
    = 61 / 10 800, sd 0.075, so the interval is ≈ 3.92 × 0.075 ≈ 0.29 wide (0.25–0.33)."""
    assert 0.13 < expected_width(5, Spread(0.5, 0.1)) < 0.16
    assert expected_width(5, Spread(10.0, 0.1), Spread(0.0, 0.1)) == 0.0
    assert 0.25 < expected_width(30, Spread(0.0, 1.0), Spread(0.0, 1.0)) < 0.33


def test_the_null_margin_by_hand():
    """Mean 0.8 against a null model's 0: margin 0.8, half the expected BCa width at 5 seeds of sd
    0.02 is ≈ 0.015: clear. Against a null at 0.795 (margin 0.005): not clear. Where lower is better
    (`below`), a learner at 0.2 against a null at 0.8 is clear, one at 0.8 against 0.2 is not."""
    learner = Spread(0.8, 0.02)
    assert clears_null(5, learner, Spread(0.0, 0.0))
    assert not clears_null(5, learner, Spread(0.795, 0.0))
    assert clears_null(5, Spread(0.2, 0.02), Spread(0.8, 0.0), higher=False)
    assert not clears_null(5, Spread(0.8, 0.02), Spread(0.2, 0.0), higher=False)


def _pilot(null_mean=0.0):
    """Claim `above` (paper 0.9, threshold 0.5: effect 0.4, so the interval must be under 0.2 wide).
    Budget 100: X's seeds spread with sd 1 (at 30 seeds a BCa interval is still ≈ 2 × 1.96 / √30 ≈
    0.7 wide): never resolvable. Budget 300: mean 0.8, sd 0.02 (≈ 0.03 wide at 5 seeds): resolvable
    at 5 seeds, and clear of a null model at 0 (margin 0.8). Budget 900: the same as 300, so 300 has
    converged (change 0 < 0.2); 900, the largest, cannot be judged converged."""
    claim = _claim()
    null = Spread(null_mean, 0.0)
    return {
        100: [PilotClaim(claim, Spread(0.8, 1.0), null_x=null, learners=FLAT_LEARNED)],
        300: [PilotClaim(claim, Spread(0.8, 0.02), null_x=null, learners=FLAT_LEARNED)],
        900: [PilotClaim(claim, Spread(0.8, 0.02), null_x=null, learners=FLAT_LEARNED)],
    }


SECONDS = {100: 10.0, 300: 30.0, 900: 90.0, 2700: 270.0}  # one seed's runs at each budget


def _cost(budget, seeds):
    return seeds * SECONDS[budget]


def test_the_rule_picks_the_cheapest_setting_that_decides_every_claim():
    """With a share of 1 000 s: budget 100 never resolves, budget 300 does at 5 seeds (5 × 30 = 150 s),
    so the choice is (300, 5), decided."""
    choice = choose_setting(_pilot(), _cost, share_seconds=1000)
    assert choice == {"budget": 300, "seeds": 5, "seconds": 150.0, "decided": True, "needs": (300, 5)}


def test_a_family_that_cannot_afford_the_rule_runs_at_its_largest_affordable_budget_undecided():
    """A share of 100 s: (300, 5) costs 150 s, too much; the largest budget whose 5 seeds fit is 100
    (50 s), run undecided, with (300, 5) as what the rule needs. With the null model at 0.795 (X's
    margin 0.005, under half its interval) no budget qualifies: needs None, and the largest budget
    whose 5 seeds fit 1 000 s is 900 (450 s)."""
    choice = choose_setting(_pilot(), _cost, share_seconds=100)
    assert choice == {"budget": 100, "seeds": 5, "seconds": 50.0, "decided": False, "needs": (300, 5)}
    choice = choose_setting(_pilot(null_mean=0.795), _cost, share_seconds=1000)
    assert choice == {"budget": 900, "seeds": 5, "seconds": 450.0, "decided": False, "needs": None}


def _curve(means, null_mean=0.0, sd=0.02):
    """The `above` claim (effect 0.4: converged means a change under 0.2) with X's pilot mean at
    budgets 100, 300, 900, 2700 in turn, sd 0.02 (resolvable at 5 seeds), null model at `null_mean`."""
    return {
        b: [PilotClaim(_claim(), Spread(m, sd), null_x=Spread(null_mean, 0.0), learners=FLAT_LEARNED)]
        for b, m in zip((100, 300, 900, 2700), means)
    }


def test_a_flat_then_rising_pilot_does_not_pick_the_flat_budget():
    """X at 0.1, 0.1, then 0.8: budgets 100 and 300 are flat against each other (change 0) but 0.7
    below 900's estimate (≥ 0.2), so neither has converged; 900 is the largest. Nothing qualifies,
    although 100 and 300 are resolvable and clear of the null model at 0 (margin 0.1 against half a
    ≈ 0.03-wide interval). Adding budget 2700 at 0.8 makes 900 the choice (change 0 < 0.2)."""
    reasons = budget_reasons(_curve([0.1, 0.1, 0.8]))
    assert [seeds for seeds, _ in reasons.values()] == [None, None, None]
    assert "not converged: 0.1 here, 0.8 at 900" in reasons[100][1] and "no larger pilot budget" in reasons[900][1]
    choice = choose_setting(_curve([0.1, 0.1, 0.8]), _cost, share_seconds=10_000)
    assert (choice["decided"], choice["needs"]) == (False, None)
    choice = choose_setting(_curve([0.1, 0.1, 0.8, 0.8]), _cost, share_seconds=10_000)
    assert choice == {"budget": 900, "seeds": 5, "seconds": 450.0, "decided": True, "needs": (900, 5)}


def test_a_converged_pilot_picks_its_cheapest_converged_budget():
    """X at 0.3, 0.78, 0.8, 0.81: 100 is 0.5 below 300 (not converged); 300 is within 0.03 of both
    larger budgets (< 0.2), as is 900 of 2700 (0.01). All resolvable at 5 seeds, so the cheapest
    converged budget, 300 at 5 seeds (150 s), is chosen."""
    pilot = _curve([0.3, 0.78, 0.8, 0.81])
    assert [converged(b, pilot)[0] for b in (100, 300, 900, 2700)] == [False, True, True, False]
    assert choose_setting(pilot, _cost, share_seconds=10_000) == {
        "budget": 300,
        "seeds": 5,
        "seconds": 150.0,
        "decided": True,
        "needs": (300, 5),
    }


def test_a_pilot_whose_learners_never_leave_their_null_model_picks_nothing():
    """X at 0.005 at every budget (sd 0.05), its null model at 0: converged everywhere below the
    largest (change 0), and resolvable (the interval at 30 seeds, ≈ 3.92 × 0.05 / √30 ≈ 0.036, is
    under 0.2), but the margin 0.005 never exceeds half of X's expected interval (≥ 0.018 at any
    number of seeds up to 30). No budget qualifies: undecided, needs None."""
    choice = choose_setting(_curve([0.005] * 4, sd=0.05), _cost, share_seconds=10_000)
    assert (choice["decided"], choice["needs"]) == (False, None)
    assert all(
        "not resolvable with every learner clear of its null model" in why
        for _, why in budget_reasons(_curve([0.005] * 4, sd=0.05)).values()
    )


def test_a_battle_model_that_wins_from_one_side_only_is_not_trained():
    """The `above` claim, converged at 300 (X 0.8 at 300 and 900, sd 0.02, null at 0). Each learner's
    trained check is its worse side's win rate against the stationary attacker; the bar is 0.5.
    A learner that wins every round from one side and none from the other has worse side 0 (sd 0):
    not trained, so nothing qualifies. Worse side 1.0 for every seed (sd 0): trained, and 300 is
    chosen at 5 seeds. Worse side 0.6 with sd 0.3: half its expected interval at 30 seeds
    (≈ 3.92 × 0.3 / √30 / 2 ≈ 0.107) exceeds the margin 0.1 at every n: not trained."""

    def pilot(trained):
        return {
            b: [PilotClaim(_claim(), Spread(0.8, 0.02), null_x=Spread(0.0, 0.0), trained=trained, learners=FLAT_LEARNED)]
            for b in (300, 900)
        }

    assert choose_setting(pilot((Spread(0.0, 0.0),)), _cost, 10_000)["needs"] is None
    assert choose_setting(pilot((Spread(1.0, 0.0), Spread(1.0, 0.0))), _cost, 10_000)["needs"] == (300, 5)
    assert choose_setting(pilot((Spread(0.6, 0.3),)), _cost, 10_000)["needs"] is None


def test_a_claim_without_a_pilot_value_is_not_resolvable():
    """A ranking whose step decided no round (ties only) has no value for that seed; the scale study
    gives such a claim X = NaN. With X NaN at 300 and 900 nothing qualifies (not resolvable, and NaN
    against 900's NaN is no convergence)."""
    pilot = {b: [PilotClaim(_claim(), Spread(float("nan"), float("nan")), learners=FLAT_LEARNED)] for b in (300, 900)}
    assert choose_setting(pilot, _cost, 10_000)["needs"] is None
    assert "not converged" in budget_reasons(pilot)[300][1]


def test_the_pilot_estimate_by_hand():
    """`above`: X's mean. `improves`, higher is better: X ~ N(1, 0.6), Y ~ N(0, 0.8): Δ = 1 over
    √(0.36 + 0.64) = 1, Φ(1) = 0.8413; lower is better: Φ(−1) = 0.1587. Without spread: 1, 0 or ½."""
    assert pilot_estimate(PilotClaim(_claim(), Spread(0.7, 0.1))) == 0.7
    improves = _claim("improves")
    assert pilot_estimate(PilotClaim(improves, Spread(1.0, 0.6), Spread(0.0, 0.8))) == pytest.approx(0.8413, abs=1e-4)
    lower = _claim("improves", better="lower")
    assert pilot_estimate(PilotClaim(lower, Spread(1.0, 0.6), Spread(0.0, 0.8))) == pytest.approx(0.1587, abs=1e-4)
    assert [pilot_estimate(PilotClaim(improves, Spread(a, 0.0), Spread(b, 0.0))) for a, b in ((2, 1), (1, 2), (1, 1))] == [
        1.0,
        0.0,
        0.5,
    ]
