"""The power rule that picks the decisive scale (docs/scales.md, "The decisive scale: the power rule").

From a pilot (each learner of a family's central claims, and its null model, at a few budgets with
a few seeds each) the rule picks, per family, the cheapest setting (budget, seeds) at which

1. every central claim is *resolvable*: the audit's own 95% interval for it (BCa for a mean, the
   stratified bootstrap for P(X > Y)), expected at that many seeds, is narrower than half the
   effect the paper states (`stated_effect`);
2. every learner the claim reads *clears its null model*: its mean lies above the null model's by
   more than half its expected interval (below, for a measure where lower is better), and, where
   the pilot gives one (battle), its *trained* check clears its bar the same way: a battle model
   wins more than half its rounds against the scripted stationary attacker from its worse side
   (`TRAINED_BAR`), so a model that wins from one side only is not a trained model; and
3. every claim has *converged* at that budget (`converged`):
   - (rule of 2026-12-07, `analysis/learning.py`) every learner the claim reads has learned on at
     least 4 of 5 of its seeds (paired evaluations against its untrained network and the null model)
     and its own per-seed performance has stopped improving: the change of its seed mean to the next
     larger budget has a 95% bootstrap interval over seeds that holds 0 and lies within ±20% of its
     gain over its untrained network (`learning.learner_converged`); a pilot without that evidence
     has not converged;
   - and (rule of 2026-12-03) the claim's pilot estimate differs from the estimate at every larger
     pilot budget by less than half the stated effect.
   The largest pilot budget has no larger one beside it, so it never qualifies: a budget is chosen
   only where the pilot shows that training longer would move neither a learner nor the claim's
   measure.

The expected width is an average over simulated studies of n seeds per learner, drawn from normal
distributions with the pilot's per-seed mean and spread at that budget (`expected_width`). Nothing
here asks which learner wins: the rule reads the spread, the separation that sets a P(X > Y)
interval's width (the same whichever way it points) and the null margin, alike for every
algorithm. A family whose cheapest qualifying setting costs more than its share of the time, or
that has none among the pilot's budgets, gets the largest budget whose minimum seeds fit its share,
and its claims stay inconclusive with the setting they would need (`needs`; None where no pilot
budget qualifies, and then the scale study names the paper's own protocol). `budget_reasons` says
for every pilot budget why it does or does not qualify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats import norm

from replication.analysis import learning
from replication.analysis.audit import MIN_SEEDS, Claim
from replication.analysis.measures import bootstrap_ci, probability_of_improvement

MAX_SEEDS = 30  # the search for seeds stops here; it starts at the audit's MIN_SEEDS (5)
STUDIES, RESAMPLES = 200, 2000  # simulated studies per projection, bootstrap resamples in each
TRAINED_BAR = 0.5  # a trained battle model wins more than half its rounds against the stationary attacker from its worse side


def stated_effect(claim: Claim) -> float:
    """The effect the paper states, in the units of the claim's interval: for `improves`, 0.5 (the
    paper shows X above Y, P(X > Y) = 1, against chance 0.5); for `above`/`below`, the distance
    from the paper's value to the threshold; for `within`, the band's width, 2 × tolerance."""
    if claim.rule == "improves":
        return 0.5
    if claim.rule == "within":
        return 2 * claim.tolerance
    return abs(claim.paper_value - claim.threshold)


@dataclass(frozen=True)
class Spread:
    """A learner's per-seed values of a measure at one pilot budget: their mean and sample SD."""

    mean: float
    sd: float

    @classmethod
    def of(cls, values) -> "Spread":
        values = np.asarray(values, dtype=float)
        return cls(float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0)


@lru_cache(maxsize=None)
def expected_width(
    n: int, x: Spread, y: Spread | None = None, studies: int = STUDIES, resamples: int = RESAMPLES, seed: int = 0
) -> float:
    """The mean width of the audit's 95% interval over `studies` simulated studies of n seeds per
    learner, each seed's value drawn from N(mean, sd): BCa of X's mean, or with `y` the stratified
    bootstrap interval of P(X > Y)."""
    rng = np.random.default_rng([seed, n])
    widths = []
    for _ in range(studies):
        xs = rng.normal(x.mean, x.sd, n)
        if y is None:
            _, low, high = bootstrap_ci(xs)
        else:
            _, low, high = probability_of_improvement(xs, rng.normal(y.mean, y.sd, n), n_resamples=resamples)
        widths.append(high - low)
    return float(np.mean(widths))


def higher_is_better(claim: Claim) -> bool:
    return claim.rule != "below" and claim.better == "higher"


def clears_null(n: int, learner: Spread, null: Spread, higher: bool = True) -> bool:
    """The learner's mean beyond the null model's by more than half its expected BCa interval at n seeds."""
    margin = (learner.mean - null.mean) if higher else (null.mean - learner.mean)
    return margin > expected_width(n, learner) / 2


@dataclass(frozen=True)
class PilotLearner:
    """One learner a claim reads, at one pilot budget: its own per-seed performance (higher or lower
    better as the claim), its networks untrained on the same measure, and how many seeds learned
    (`learning.seed_evidence` on paired evaluation episodes; None: no evidence)."""

    algo: str
    values: tuple[float, ...]
    untrained: tuple[float, ...]
    learned: learning.LearnedCount | None = None


@dataclass(frozen=True)
class PilotClaim:
    """One central claim at one pilot budget: X's values (and Y's for a comparison) and their null
    models' (None where the claim has no null model)."""

    claim: Claim
    x: Spread
    y: Spread | None = None
    null_x: Spread | None = None
    null_y: Spread | None = None
    trained: tuple[Spread, ...] = ()  # per learner the claim reads, its trained check (battle: worse-side win rate)
    learners: tuple[PilotLearner, ...] = ()  # per learner the claim reads, its own performance and learning evidence


def decided_at(n: int, pilot: list[PilotClaim]) -> bool:
    """Every claim resolvable at n seeds and every learner it reads clear of its null model (and
    trained); a claim without a pilot value (X's mean NaN: undefined for some seed) is not resolvable."""
    for cell in pilot:
        if np.isnan(cell.x.mean):
            return False
        if expected_width(n, cell.x, cell.y if cell.claim.rule == "improves" else None) >= stated_effect(cell.claim) / 2:
            return False
        higher = higher_is_better(cell.claim)
        for learner, null in ((cell.x, cell.null_x), (cell.y, cell.null_y)):
            if learner is not None and null is not None and not clears_null(n, learner, null, higher):
                return False
        if not all(clears_null(n, check, Spread(TRAINED_BAR, 0.0)) for check in cell.trained):
            return False
    return True


def pilot_estimate(cell: PilotClaim) -> float:
    """The claim's measure as the pilot estimates it: X's mean, or for `improves` P(X > Y) (P(X < Y)
    where lower is better) of two normal samples with the pilot's means and SDs,
    Φ((μx − μy) / √(σx² + σy²)); two samples without spread give 1, 0 or ½."""
    if cell.claim.rule != "improves":
        return cell.x.mean
    difference = (cell.x.mean - cell.y.mean) * (1 if cell.claim.better == "higher" else -1)
    scale = np.hypot(cell.x.sd, cell.y.sd)
    if scale == 0:
        return float(np.sign(difference) + 1) / 2
    return float(norm.cdf(difference / scale))


def learners_converged(budget: float, pilot: dict[float, list[PilotClaim]]) -> tuple[bool, str]:
    """Every learner of every claim at `budget` learned and stopped improving by the next larger
    pilot budget (`learning.learner_converged`); a claim without learners' evidence has not."""
    larger = [b for b in sorted(pilot) if b > budget]
    if not larger:
        return False, "no larger pilot budget to judge convergence by"
    for cell in pilot[budget]:
        if not cell.learners:
            return False, f"{cell.claim.id}: no learning evidence for its learners"
        following = {learner.algo: learner for c in pilot[larger[0]] if c.claim.id == cell.claim.id for learner in c.learners}
        for learner in cell.learners:
            there = following.get(learner.algo)
            if there is None:
                return False, f"{cell.claim.id}: {learner.algo} has no evidence at {larger[0]:g}"
            ok, why = learning.learner_converged(
                learner.values, there.values, there.untrained, higher_is_better(cell.claim), learner.learned
            )
            if not ok:
                return False, f"{cell.claim.id}: {learner.algo} not converged: {why}"
    return True, ""


def converged(budget: float, pilot: dict[float, list[PilotClaim]]) -> tuple[bool, str]:
    """Every learner converged (`learners_converged`, judged first), and every claim's pilot estimate at `budget`
    within half its stated effect of its estimate at every larger pilot budget (so a pilot that is
    flat for two budgets and rises at a third is not converged at the flat ones); False for the
    largest budget, which has none beside it. Returns the answer and, where it is no, why."""
    learners_ok, why = learners_converged(budget, pilot)
    if not learners_ok:
        return False, why
    larger = [b for b in sorted(pilot) if b > budget]
    for cell in pilot[budget]:
        now, half = pilot_estimate(cell), stated_effect(cell.claim) / 2
        for later in larger:
            then = pilot_estimate(next(c for c in pilot[later] if c.claim.id == cell.claim.id))
            if not abs(then - now) < half:
                return False, (
                    f"{cell.claim.id} not converged: {now:.3g} here, {then:.3g} at {later:g} "
                    f"(change {abs(then - now):.3g}, half the stated effect {half:.3g})"
                )
    return True, ""


def budget_reasons(pilot: dict[float, list[PilotClaim]]) -> dict[float, tuple[int | None, str]]:
    """Per pilot budget: the fewest seeds at which it qualifies (None where it does not) and why not."""
    reasons = {}
    for budget in sorted(pilot):
        is_converged, why = converged(budget, pilot)
        seeds = fewest_seeds(pilot[budget])
        why_not = (
            []
            if seeds
            else [f"not resolvable with every learner clear of its null model (and trained) at up to {MAX_SEEDS} seeds"]
        ) + ([why] if why else [])
        reasons[budget] = (seeds if is_converged else None, "; ".join(why_not))
    return reasons


def fewest_seeds(pilot: list[PilotClaim]) -> int | None:
    """The fewest seeds from MIN_SEEDS to MAX_SEEDS at which `decided_at` holds, or None. An expected
    interval narrows as seeds are added, so this bisects."""
    if not decided_at(MAX_SEEDS, pilot):
        return None
    low, high = MIN_SEEDS, MAX_SEEDS  # decided_at(high) holds
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if decided_at(middle, pilot) else (middle + 1, high)
    return high


def choose_setting(
    pilot: dict[float, list[PilotClaim]], cost: Callable[[float, int], float], share_seconds: float, reasons: dict | None = None
) -> dict:
    """The rule's choice for one family. `pilot[budget]`: its central claims at that budget;
    `cost(budget, seeds)`: the seconds of the family's runs (and evaluation) at that setting.
    Returns {budget, seeds, seconds, decided, needs}: the cheapest (budget, seeds) at which
    `decided_at` holds and the claims have `converged`, if it fits `share_seconds`; else the largest
    budget whose MIN_SEEDS fit, `decided` False, and `needs` the rule's setting ignoring the share
    ((budget, seeds), or None when no pilot budget qualifies up to MAX_SEEDS). `reasons`: the
    pilot's `budget_reasons`, where the caller has them already."""
    reasons = reasons if reasons is not None else budget_reasons(pilot)
    qualifying = [(cost(budget, seeds), budget, seeds) for budget, (seeds, _) in reasons.items() if seeds is not None]
    if qualifying:
        seconds, budget, seeds = min(qualifying)
        if seconds <= share_seconds:
            return {"budget": budget, "seeds": seeds, "seconds": seconds, "decided": True, "needs": (budget, seeds)}
    needs = min(qualifying)[1:] if qualifying else None
    affordable = [b for b in sorted(pilot) if cost(b, MIN_SEEDS) <= share_seconds]
    budget = affordable[-1] if affordable else min(pilot)
    return {"budget": budget, "seeds": MIN_SEEDS, "seconds": cost(budget, MIN_SEEDS), "decided": False, "needs": needs}


def pilot_table(pilot: dict[float, list[PilotClaim]], seeds=(MIN_SEEDS, 10, 20, MAX_SEEDS)) -> pd.DataFrame:
    """Per budget and claim: the stated effect, the expected interval width at a few seed counts,
    and each learner's margin over its null model (for the scale-study figure)."""
    rows = []
    for budget, cells in sorted(pilot.items()):
        for cell in cells:
            y = cell.y if cell.claim.rule == "improves" else None
            row = {
                "budget": budget,
                "claim": cell.claim.id,
                "effect": stated_effect(cell.claim),
                "estimate": pilot_estimate(cell),
            }
            row.update({f"width_n{n}": expected_width(n, cell.x, y) if not np.isnan(cell.x.mean) else np.nan for n in seeds})
            sign = 1 if higher_is_better(cell.claim) else -1
            row["null_margin_x"] = sign * (cell.x.mean - cell.null_x.mean) if cell.null_x else np.nan
            row["null_margin_y"] = sign * (cell.y.mean - cell.null_y.mean) if cell.y and cell.null_y else np.nan
            rows.append(row)
    return pd.DataFrame(rows)
