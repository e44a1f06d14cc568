"""The decisive scale's power rule (replication/analysis/power.py) on hand-made pilots."""

import pytest

from replication.analysis.audit import Claim
from replication.analysis.power import (PilotClaim, Spread, choose_setting, clears_null, expected_width,
                                        stated_effect)


def _claim(rule="above", **fields):
    defaults = {"above": {"paper_value": 0.9, "threshold": 0.5}, "improves": {"paper_value": float("nan")}}
    return Claim(id=f"test-{rule}", paper="test", figure="-", statement="-", measure="battle_win_rate", rule=rule,
                 **{**defaults.get(rule, {}), **fields})


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
    at 5 seeds, and clear of a null model at 0 (margin 0.8)."""
    claim = _claim()
    null = Spread(null_mean, 0.0)
    return {100: [PilotClaim(claim, Spread(0.8, 1.0), null_x=null)],
            300: [PilotClaim(claim, Spread(0.8, 0.02), null_x=null)]}


SECONDS = {100: 10.0, 300: 30.0}   # one seed's runs at each budget


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
    margin 0.005, under half its interval) no budget qualifies: needs None."""
    choice = choose_setting(_pilot(), _cost, share_seconds=100)
    assert choice == {"budget": 100, "seeds": 5, "seconds": 50.0, "decided": False, "needs": (300, 5)}
    choice = choose_setting(_pilot(null_mean=0.795), _cost, share_seconds=1000)
    assert choice == {"budget": 300, "seeds": 5, "seconds": 150.0, "decided": False, "needs": None}
