"""The learning-evidence rule (replication/analysis/learning.py) and its place in the power rule's
convergence (analysis/power.py), on hand-made pilots and paired evaluations."""

import numpy as np
import pytest
from test_power import _claim  # the power rule's hand-made claims (above 0.5, paper 0.9; improves)

from replication.analysis import learning
from replication.analysis.learning import (
    LearnedCount,
    learned_count,
    learner_converged,
    lucky_seeds,
    may_decide,
    paired_interval,
    required_learned,
    seed_evidence,
)
from replication.analysis.power import PilotClaim, PilotLearner, Spread, budget_reasons, choose_setting, converged


def test_the_paired_interval_by_hand():
    """Differences 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.3027, half-width 4.3027 / √3 = 2.4841:
    [−0.4841, 4.4841], not above zero. Differences 2…6: mean 4, s = √2.5 = 1.5811, t(0.975, 4) =
    2.7764, half-width 2.7764 · 1.5811 / √5 = 1.9632: [2.0368, 5.9632], above zero. One episode: no
    interval. Equal differences (s = 0): the point itself."""
    i = paired_interval([1, 2, 3])
    assert (i.mean, i.low, i.high) == pytest.approx((2.0, -0.4841, 4.4841), abs=1e-4)
    assert not i.above_zero()
    i = paired_interval([2, 3, 4, 5, 6])
    assert (i.mean, i.low, i.high) == pytest.approx((4.0, 2.0368, 5.9632), abs=1e-4)
    assert i.above_zero()
    assert np.isnan(paired_interval([3.0]).low)
    assert paired_interval([0.5, 0.5, 0.5]) == learning.Interval(0.5, 0.5, 0.5)


def test_a_seed_has_learned_only_above_both_its_untrained_network_and_the_null_model():
    """Trained 10…14 on five shared episodes, untrained 8 on each, null 9 on each: differences 2…6
    ([2.04, 5.96]) and 1…5 ([1.04, 4.96]): learned. Against a null model at 12 on each the
    differences are −2…2, mean 0: not learned. A trained policy equal to its untrained network on
    every episode (differences 0, interval [0, 0]) has not learned. Where lower is better the signs
    turn: trained 8 against untrained 10…14 and null 9…13 has learned. Unequal episode counts are refused."""
    trained = [10, 11, 12, 13, 14]
    e = seed_evidence(0, trained, [8] * 5, [9] * 5)
    assert e.learned
    assert (e.versus_null.low, e.versus_null.high) == pytest.approx((1.0368, 4.9632), abs=1e-4)
    assert not seed_evidence(0, trained, [8] * 5, [12] * 5).learned
    assert not seed_evidence(0, [8] * 5, [8] * 5, [0] * 5).learned
    assert seed_evidence(0, [8] * 5, [10, 11, 12, 13, 14], [9, 10, 11, 12, 13], higher=False).learned
    with pytest.raises(ValueError, match="same episodes"):
        seed_evidence(3, trained, [8] * 4, [9] * 5)


def test_a_claim_below_the_papers_length_needs_four_of_five_seeds_learned_per_learner():
    """⌈0.8 n⌉: 4 of 5, 8 of 10, 3 of 3. Below the paper's length, 4 and 5 of 5 may decide, 3 of 5 may
    not, nor a learner without evidence; at the paper's length 0 of 5 stands with the count beside
    it; a claim about failing to learn reports the count and does not require it."""
    assert [required_learned(n) for n in (5, 10, 3)] == [4, 8, 3]
    ok, note = may_decide([LearnedCount("mfq", 4, 5), LearnedCount("il", 5, 5)], at_protocol=False)
    assert ok and note == "mfq learned 4 of 5; il learned 5 of 5"
    ok, note = may_decide([LearnedCount("mfq", 3, 5), LearnedCount("il", 5, 5)], at_protocol=False)
    assert not ok and "mfq learned 3 of 5" in note
    assert not may_decide([], at_protocol=False)[0]
    ok, note = may_decide([LearnedCount("idqn", 0, 5)], at_protocol=True)
    assert ok and note.startswith("idqn learned 0 of 5 (at the paper's own training length")
    assert may_decide([LearnedCount("il", 0, 5)], at_protocol=False, about_failure=True)[0]


def test_learners_flat_at_their_untrained_level_have_neither_learned_nor_converged():
    """Three seeds whose trained policy returns what their untrained network returns on every shared
    episode: learned 0 of 3, so not converged. Even with a count that says learned, a learner whose
    mean equals its untrained networks' (gain 0) has converged to nothing: not converged."""
    episodes = [-900.0, -1100.0, -1000.0, -950.0]
    evidence = [seed_evidence(s, episodes, episodes, [-1200.0] * 4) for s in range(3)]
    count = learned_count("idqn", evidence)
    assert count == LearnedCount("idqn", 0, 3)
    flat = (-1000.0, -1000.0, -1000.0)
    ok, why = learner_converged(flat, flat, flat, learned=count)
    assert not ok and "idqn learned 0 of 3" in why
    ok, why = learner_converged(flat, flat, flat, learned=LearnedCount("idqn", 3, 3))
    assert not ok and why.startswith("no gain over its untrained network")


def _learner(algo, values, untrained=(0.0, 0.0, 0.0)):
    return PilotLearner(algo, tuple(values), tuple(untrained), LearnedCount(algo, 3, 3))


def test_two_learners_rising_together_have_not_converged_though_p_stays_at_one_half():
    """X and Y both at 1.0±0.1, then 2.0±0.1, then 3.0±0.1 (3 seeds, untrained 0): P(X > Y) is ½ at
    every budget (the claim statistic is flat), but each learner's change to the next budget lies in
    [0.8, 1.2] by construction (every resampled mean of 3 seeds lies within 0.1 of 1, 2 or 3): its
    interval excludes 0, so no budget has converged and nothing is chosen."""
    claim = _claim("improves")
    pilot = {}
    for budget, level in ((100, 1.0), (300, 2.0), (900, 3.0)):
        values = (level, level + 0.1, level - 0.1)
        pilot[budget] = [
            PilotClaim(
                claim,
                Spread.of(values),
                Spread.of(values),
                Spread(0.0, 0.0),
                Spread(0.0, 0.0),
                learners=(_learner("x", values), _learner("y", values)),
            )
        ]
    assert [converged(b, pilot)[0] for b in (100, 300)] == [False, False]
    why = converged(100, pilot)[1]
    assert "x not converged: still changing: change to the next budget 1 [" in why
    assert choose_setting(pilot, lambda b, n: n * b, 10**9)["needs"] is None


def test_a_three_seed_pilot_whose_means_agree_but_whose_interval_is_wide_has_not_converged():
    """Seeds 0.6, 0.8, 1.0 at 300 and 1.0, 0.8, 0.6 at 900 (untrained 0): the means agree (0.8, change
    0), but a resampled mean of three of {0.6, 0.8, 1.0} has SD √(0.0267 / 3) ≈ 0.094, the change
    ≈ 0.133, so its 95% interval reaches about ±0.26, past ±0.16 (20% of the gain 0.8): not converged."""
    ok, why = learner_converged((0.6, 0.8, 1.0), (1.0, 0.8, 0.6), (0.0, 0.0, 0.0), learned=LearnedCount("x", 3, 3))
    assert not ok and why.startswith("too noisy to call flat: change to the next budget 0 [")
    change = learning.change_interval((0.6, 0.8, 1.0), (1.0, 0.8, 0.6))
    assert change.low < -0.16 and change.high > 0.16 and change.holds(0.0)


def test_a_pilot_that_learned_and_then_flattened_picks_its_cheapest_flat_budget():
    """The `above` claim (threshold 0.5, effect 0.4). One learner (untrained 0) at 0.1, 0.5, 0.8, 0.8
    over budgets 10, 20, 40, 80 (seeds ±0.01; at 80 ±0.005). 10 → 20 and 20 → 40 change by 0.4 and
    0.3 (still changing); 40 → 80 by 0 within ±0.015, inside ±0.16 (20% of the gain 0.8): 40 has
    converged, the claim statistic too (0.8 and 0.8), it is resolvable and clear of a null at 0 at 5
    seeds (sd 0.01), so (40, 5) is chosen. 80, the largest, is never judged converged."""
    claim = _claim()
    levels = {10: (0.1, 0.11, 0.09), 20: (0.5, 0.51, 0.49), 40: (0.8, 0.81, 0.79), 80: (0.8, 0.805, 0.795)}
    pilot = {
        b: [PilotClaim(claim, Spread.of(v), null_x=Spread(0.0, 0.0), learners=(_learner("x", v),))] for b, v in levels.items()
    }
    assert [converged(b, pilot)[0] for b in (10, 20, 40, 80)] == [False, False, True, False]
    choice = choose_setting(pilot, lambda b, n: float(n * b), 10**6)
    assert (choice["budget"], choice["seeds"], choice["decided"]) == (40, 5, True)
    assert "x not converged: still changing" in budget_reasons(pilot)[20][1]


def test_a_pilot_without_learning_evidence_has_not_converged():
    """The claim statistic flat (0.8 at 300 and 900) but no learner evidence: 300 does not qualify."""
    pilot = {b: [PilotClaim(_claim(), Spread(0.8, 0.02), null_x=Spread(0.0, 0.0))] for b in (300, 900, 2700)}
    assert converged(300, pilot) == (False, "test-above: no learning evidence for its learners")


def test_lucky_starts_by_hand():
    """Untrained G/G_max per seed 0.986, 0.5, 0.999, 0.2, 0.99 against `above` 0.85: seeds 0, 2 and 4
    start past the bar. A time-to-0.9 claim's bar is its level, reached or passed (0.9 counts);
    `below` 0.5 flags 0.2; `within` 0.9 ± 0.05 flags 0.9 and 0.95 but not 0.96."""
    untrained = {0: 0.986, 1: 0.5, 2: 0.999, 3: 0.2, 4: 0.99}
    assert lucky_seeds(untrained, "above", threshold=0.85) == [0, 2, 4]
    assert lucky_seeds({0: 0.9, 1: 0.89}, "above_or_at", threshold=0.9) == [0]
    assert lucky_seeds(untrained, "below", threshold=0.5) == [3]
    assert lucky_seeds({0: 0.9, 1: 0.95, 2: 0.96}, "within", paper_value=0.9, tolerance=0.05) == [0, 1]
