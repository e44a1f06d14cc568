"""Learning evidence: whether a seed learned, whether a learner has stopped improving, and which
seeds start lucky (docs/audit.md, "Learning evidence"; issue 39).

The rule of 2026-12-07. Its thresholds are fixed here, before any result of the central scale's runs
(results/central/) was looked at; the commit that brought it lists the runs it was written after.

1. **A seed has learned** when, on the *same* evaluation episodes (the same task streams, episode k
   of each policy is the same episode), the trained policy's return minus its own network
   untrained's, and minus the claim's null model's, each have a 95% interval over episodes wholly
   above zero (below, where lower is better): `seed_evidence`. The interval is Student's t over the
   paired per-episode differences, mean ± t(0.975, m − 1) · s / √m for m episodes.
2. **A claim may be decided below the paper's own training length** only where every learner it
   reads learned on at least `LEARNED_SHARE` of its seeds (4 of 5: ⌈0.8 n⌉); at the paper's own
   length the verdict stands as measured with "learned k of n" beside it; a claim about a learner's
   failure to learn reports "learned k of n" and does not require it (`may_decide`).
3. **A learner has converged at a budget** when its own per-seed performance has stopped
   improving: the change of its seed mean to the next larger budget has a 95% bootstrap interval
   over seeds (each budget's seeds resampled apart) that holds 0 and lies within ±`TOLERANCE` of the
   learner's gain there over its untrained network, and it learned at the budget (item 2's share).
   A learner with no gain over its untrained network has converged to nothing: not converged
   (`learner_converged`). The claim statistic's stability (power.converged) is a further condition.
4. **A lucky start** is a seed whose untrained network already passes the claim's bar
   (`passes`: the threshold of `above`/`below`, the band of `within`, or a time-to-level measure's
   level); the audit judges the claim a second time without such seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

CONFIDENCE = 0.95
LEARNED_SHARE = 0.8  # below the paper's own length: every learner learned on ≥ ⌈0.8 n⌉ seeds (4 of 5)
TOLERANCE = 0.2  # a converged learner's change to the next budget: within ±20% of its gain over untrained
RESAMPLES = 9999  # bootstrap resamples of the change between budgets
# A run's paired evaluations (runs/<task>/<algo>/seed<k>/evidence.csv): one row per policy and
# episode, `value` the task's return on that episode (higher is better), episode k the same task
# stream for every policy.
EVIDENCE = "evidence.csv"
POLICIES = ("trained", "untrained", "null_model")


@dataclass(frozen=True)
class Interval:
    """A mean and its interval (NaN bounds where undefined)."""

    mean: float
    low: float
    high: float

    def above_zero(self) -> bool:
        return bool(self.low > 0)

    def holds(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def paired_interval(differences, confidence: float = CONFIDENCE) -> Interval:
    """The mean of per-episode paired differences and its Student-t interval over episodes:
    mean ± t((1 + c) / 2, m − 1) · s / √m, s the sample SD (ddof 1). Undefined (NaN bounds) for
    fewer than two episodes; s = 0 gives the point itself."""
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        return Interval(np.nan, np.nan, np.nan)
    mean = float(d.mean())
    if len(d) < 2:
        return Interval(mean, np.nan, np.nan)
    half = float(student_t.ppf((1 + confidence) / 2, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
    return Interval(mean, mean - half, mean + half)


@dataclass(frozen=True)
class SeedEvidence:
    """One seed's paired comparisons, each oriented so that better is positive."""

    seed: int
    versus_untrained: Interval
    versus_null: Interval

    @property
    def learned(self) -> bool:
        return self.versus_untrained.above_zero() and self.versus_null.above_zero()


def seed_evidence(seed: int, trained, untrained, null, higher: bool = True) -> SeedEvidence:
    """`trained`, `untrained`, `null`: per-episode returns of the three policies on the same
    evaluation episodes (index k is episode k of each). Raises ValueError if their lengths differ:
    unpaired episodes are no evidence."""
    trained, untrained, null = (np.asarray(v, dtype=float) for v in (trained, untrained, null))
    if not len(trained) == len(untrained) == len(null):
        raise ValueError(
            f"seed {seed}: paired evaluations need the same episodes, got {len(trained)} trained, "
            f"{len(untrained)} untrained and {len(null)} null-model episodes"
        )
    sign = 1.0 if higher else -1.0
    return SeedEvidence(seed, paired_interval(sign * (trained - untrained)), paired_interval(sign * (trained - null)))


def read_evidence(path: str | Path) -> SeedEvidence:
    """A run's evidence.csv (columns policy, episode, value) as its seed's `seed_evidence`; the seed
    is read off the run folder's name (seed<k>)."""
    frame = pd.read_csv(path)
    missing = set(POLICIES) - set(frame["policy"])
    if missing:
        raise ValueError(f"{path}: no episodes of policy {sorted(missing)[0]!r}")
    table = frame.pivot(index="episode", columns="policy", values="value")
    if table[list(POLICIES)].isna().any().any():
        raise ValueError(f"{path}: the policies did not play the same episodes")
    return seed_evidence(int(Path(path).parent.name[4:]), *(table[p].to_numpy() for p in POLICIES))


@dataclass(frozen=True)
class LearnedCount:
    """A learner's seeds that learned (`learned`) of those with evidence (`seeds`)."""

    algo: str
    learned: int
    seeds: int

    def __str__(self) -> str:
        return f"{self.algo} learned {self.learned} of {self.seeds}"


def learned_count(algo: str, evidence: list[SeedEvidence]) -> LearnedCount:
    return LearnedCount(algo, sum(e.learned for e in evidence), len(evidence))


def required_learned(seeds: int) -> int:
    """Seeds that must have learned, of `seeds`, below the paper's own length: ⌈LEARNED_SHARE · n⌉
    (4 of 5, 8 of 10, 3 of 3)."""
    return math.ceil(LEARNED_SHARE * seeds - 1e-9)


def may_decide(counts: list[LearnedCount], at_protocol: bool, about_failure: bool = False) -> tuple[bool, str]:
    """Whether a claim reading these learners may be decided, and the note that goes beside it."""
    said = "; ".join(map(str, counts)) if counts else "no learning evidence"
    if about_failure:
        return True, f"{said} (reported, not required: the claim is about a failure to learn)"
    if at_protocol:
        return True, f"{said} (at the paper's own training length the verdict stands as measured)"
    short = [c for c in counts if c.seeds == 0 or c.learned < required_learned(c.seeds)]
    if not counts or short:
        return False, (
            f"{said}: below the paper's training length every learner must have learned on at least "
            f"{LEARNED_SHARE:.0%} of its seeds"
        )
    return True, said


def change_interval(here, there, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """mean(there) − mean(here), per-seed values at two budgets, with its percentile bootstrap
    interval (each budget's seeds resampled with replacement, apart)."""
    here, there = np.asarray(here, dtype=float), np.asarray(there, dtype=float)
    rng = np.random.default_rng(seed)
    boot = there[rng.integers(0, len(there), (resamples, len(there)))].mean(axis=1) - here[
        rng.integers(0, len(here), (resamples, len(here)))
    ].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return Interval(float(there.mean() - here.mean()), float(low), float(high))


def learner_converged(
    here, there, untrained_there, higher: bool = True, learned: LearnedCount | None = None, tolerance: float = TOLERANCE
) -> tuple[bool, str]:
    """Whether a learner's per-seed performance `here` has stopped improving by the next larger
    budget (`there`, with its untrained networks' values `untrained_there`), and why not. `learned`:
    its learned count at this budget (None: no evidence, which fails)."""
    if learned is None or learned.seeds == 0 or learned.learned < required_learned(learned.seeds):
        return False, f"{learned or 'no learning evidence'}: not learned on {LEARNED_SHARE:.0%} of its seeds"
    sign = 1.0 if higher else -1.0
    gain = sign * (float(np.mean(there)) - float(np.mean(untrained_there)))
    if not gain > 0:
        return False, f"no gain over its untrained network ({gain:.3g})"
    change = change_interval(sign * np.asarray(here, dtype=float), sign * np.asarray(there, dtype=float))
    band = tolerance * gain
    span = f"change to the next budget {change.mean:.3g} [{change.low:.3g}, {change.high:.3g}]"
    if not change.holds(0.0):
        return False, f"still changing: {span}"
    if not (-band <= change.low and change.high <= band):
        return False, f"too noisy to call flat: {span} reaches past ±{band:.3g} ({tolerance:.0%} of its gain {gain:.3g})"
    return True, ""


def passes(
    value: float, rule: str, threshold: float | None = None, paper_value: float | None = None, tolerance: float | None = None
) -> bool:
    """Whether one value passes a claim's bar on its own: above/below the threshold, inside the
    band paper ± tolerance (`within`), or, for a time-to-level claim, at or above its level (pass
    the level as `threshold` with rule "above_or_at")."""
    if value is None or np.isnan(value):
        return False
    if rule == "above":
        return bool(value > threshold)
    if rule == "above_or_at":
        return bool(value >= threshold)
    if rule == "below":
        return bool(value < threshold)
    if rule == "within":
        return bool(paper_value - tolerance <= value <= paper_value + tolerance)
    raise ValueError(f"no single-value bar for rule {rule!r}")


def lucky_seeds(untrained_by_seed: dict, rule: str, **bar) -> list[int]:
    """The seeds whose untrained value already passes the bar (`passes`), sorted."""
    return sorted(int(seed) for seed, value in untrained_by_seed.items() if passes(float(value), rule, **bar))
