"""The audit: every claim of the claims registry gets a verdict from our runs.

Rule (fixed before any result was seen, the same for every claim):
- `within` claims: our value should lie within paper value ± tolerance.
  reproduced      the whole 95% interval lies inside the band;
  not reproduced  the whole interval lies outside the band;
  inconclusive    the interval straddles an edge of the band.
- `above` / `below` claims: our value should be above / below a threshold; reproduced when the
  whole interval is on the claimed side, not reproduced when it is wholly on the other.
- `improves` claims ("X beats Y"): the probability of improvement P(X > Y) over the two samples of
  seeds (or P(X < Y) where lower is better); reproduced when its whole interval lies above 0.5,
  not reproduced when it lies below 0.5.
- The interval of a mean is the BCa bootstrap over seeds; that of P(X > Y) the stratified
  bootstrap (`measures`).
- Always inconclusive: the results were made at a smaller scale than the claim needs, no runs
  exist, or fewer than MIN_SEEDS seeds (of each sample) have a defined value.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from replication import io
from replication.analysis import cost, learning
from replication.analysis.html import escape, page
from replication.analysis.measures import MEASURES, bootstrap_ci, probability_of_improvement
from replication.config import SCALES, ConfigError, SuiteConfig
from replication.registry import family_of

CLAIMS_DIR = Path(__file__).resolve().parent.parent / "claims"
RULES = ("within", "above", "below", "improves")
MIN_SEEDS = 5  # a decisive verdict needs this many seeds with a defined value (of each sample for `improves`)
VERDICTS = ("reproduced", "not reproduced", "inconclusive")


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    figure: str
    statement: str
    paper_value: float
    measure: str
    params: dict = field(default_factory=dict)
    rule: str = "within"
    tolerance: float = 0.0
    threshold: float | None = None
    versus: dict = field(default_factory=dict)  # `improves`: the params that make the measure Y's (e.g. {algo: idqn})
    better: str = "higher"  # `improves`: whether X should score higher or lower than Y
    min_scale: str = "default"
    note: str = ""


REQUIRED_KEYS = ("id", "figure", "statement", "paper_value", "measure")


def load_claims(paths=None) -> list[Claim]:
    """The papers' claims (replication/claims/*.yaml), or those of the YAML files `paths`. Any
    problem in a file is one line naming the file, the claim and the key."""
    claims = []
    for path in paths or sorted(CLAIMS_DIR.glob("*.yaml")):
        claims += _read_claims(Path(path))
    _check_unique(claims)
    return claims


def _read_claims(path: Path) -> list[Claim]:
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paper"), str) or not isinstance(doc.get("claims"), list):
        raise ConfigError(f"{path}: a claims file needs `paper: <name>` and a list `claims:`")
    keys = [f.name for f in dataclasses.fields(Claim) if f.name != "paper"]
    claims = []
    for index, raw in enumerate(doc["claims"]):
        where = f"{path}: claim {raw.get('id', index + 1) if isinstance(raw, dict) else index + 1}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping of {', '.join(REQUIRED_KEYS)}, …")
        unknown = sorted(set(raw) - set(keys))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed keys are {', '.join(keys)}")
        missing = [key for key in REQUIRED_KEYS if key not in raw]
        if missing:
            raise ConfigError(f"{where}: required key {missing[0]!r} is missing")
        claim = Claim(paper=doc["paper"], **raw)
        _check_claim(claim, where)
        claims.append(claim)
    return claims


def _check_claim(claim: Claim, where: str) -> None:
    if claim.measure not in MEASURES:
        raise ConfigError(f"{where}: unknown measure {claim.measure!r}; `python -m replication measures` lists them")
    for name in ("paper_value", "tolerance") + (("threshold",) if claim.threshold is not None else ()):
        value = getattr(claim, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {name} must be a number (.nan where the paper gives none), got {value!r}")
    for params in (claim.params, {**claim.params, **claim.versus}):
        try:
            inspect.signature(MEASURES[claim.measure]).bind("results", **params)
        except TypeError as err:
            raise ConfigError(f"{where}: params do not fit measure {claim.measure}: {err}") from None
    if claim.rule not in RULES:
        raise ConfigError(f"{where}: rule must be one of {', '.join(RULES)}, got {claim.rule!r}")
    if claim.min_scale not in SCALES:
        raise ConfigError(f"{where}: min_scale must be one of {', '.join(SCALES)}, got {claim.min_scale!r}")
    if claim.rule == "within" and (not np.isfinite(claim.paper_value) or not claim.tolerance > 0):
        raise ConfigError(f"{where}: rule within needs a paper value and a positive tolerance")
    if claim.rule in ("above", "below") and claim.threshold is None:
        raise ConfigError(f"{where}: rule {claim.rule} needs a threshold")
    if claim.rule == "improves" and (not claim.versus or claim.better not in ("higher", "lower")):
        raise ConfigError(
            f"{where}: rule improves needs `versus` (the params that make the measure the other "
            "algorithm's) and `better` (higher or lower)"
        )


def _check_unique(claims: list[Claim]) -> None:
    seen = set()
    for claim in claims:
        if claim.id in seen:
            raise ConfigError(f"claims: id {claim.id!r} is used twice")
        seen.add(claim.id)


def describe_measures() -> str:
    """The registry of measures, one line each: name(parameters): what it gives per seed."""
    lines = []
    for name, measure in MEASURES.items():
        params = list(inspect.signature(measure).parameters.values())[1:]  # after `results`
        shown = [f"{p.name}: {p.annotation}" + ("" if p.default is p.empty else f" = {p.default!r}") for p in params]
        doc = (inspect.getdoc(measure) or "").split("\n\n")[0].replace("\n", " ")
        lines.append(f"{name}({', '.join(shown)}): {doc}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Judgement:
    verdict: str
    reason: str
    estimate: float  # mean over seeds; P(X > Y) (or P(X < Y)) for `improves`
    ci_low: float
    ci_high: float
    n_seeds: int  # seeds with a defined value (X's for `improves`)
    n_versus: int = 0  # Y's seeds with a defined value, for `improves`
    cause: str = ""  # why inconclusive: scale, no runs, seeds or interval

    def _replace(self, verdict: str, reason: str, cause: str = "") -> "Judgement":
        return dataclasses.replace(self, verdict=verdict, reason=reason, cause=cause)


def _defined(values) -> pd.Series:
    return pd.Series(values, dtype=float).dropna()


def verdict(claim: Claim, values: pd.Series, scale: str, versus: pd.Series | None = None) -> Judgement:
    """The verdict on one claim from per-seed values (and, for `improves`, Y's per-seed values)."""
    x = _defined(values)
    if claim.rule == "improves":
        y = _defined(versus if versus is not None else [])
        first, second = (x, y) if claim.better == "higher" else (y, x)
        judged = Judgement("", "", *probability_of_improvement(first, second), len(x), len(y))
        runs = len(values) > 0 and versus is not None and len(versus) > 0
    else:
        judged = Judgement("", "", *bootstrap_ci(x.to_numpy()), len(x))
        runs = len(values) > 0
    if SCALES.index(scale) < SCALES.index(claim.min_scale):
        return judged._replace(
            "inconclusive", f"run at {scale} scale; this claim needs at least {claim.min_scale} scale", "scale"
        )
    if not runs:
        return judged._replace("inconclusive", "no runs for this claim", "no runs")
    counts = [len(values)] + ([len(versus)] if claim.rule == "improves" else [])
    defined = [judged.n_seeds] + ([judged.n_versus] if claim.rule == "improves" else [])
    undefined = "".join(f"; undefined for {c - d} of {c} seeds" for c, d in zip(counts, defined) if d < c)
    if min(defined) < MIN_SEEDS:
        have = " and ".join(map(str, defined))
        return judged._replace(
            "inconclusive",
            f"too few seeds: {have} with a defined value, a decisive verdict needs {MIN_SEEDS}" + undefined,
            "seeds",
        )
    low, high = judged.ci_low, judged.ci_high
    if np.isnan(low) or np.isnan(high):
        return judged._replace("inconclusive", "the interval is undefined for these values" + undefined, "interval")
    if claim.rule == "within":
        band_low, band_high = claim.paper_value - claim.tolerance, claim.paper_value + claim.tolerance
        if band_low <= low and high <= band_high:
            return judged._replace("reproduced", f"95% CI inside paper ± {claim.tolerance:g}" + undefined)
        if high < band_low or low > band_high:
            return judged._replace("not reproduced", f"95% CI outside paper ± {claim.tolerance:g}" + undefined)
        return judged._replace(
            "inconclusive", f"95% CI straddles the edge of paper ± {claim.tolerance:g}" + undefined, "interval"
        )
    if claim.rule == "improves":
        chance = "P(X > Y)" if claim.better == "higher" else "P(X < Y)"
        if low > 0.5:
            return judged._replace("reproduced", f"{chance}: 95% CI wholly above 0.5" + undefined)
        if high < 0.5:
            return judged._replace("not reproduced", f"{chance}: 95% CI wholly below 0.5" + undefined)
        return judged._replace("inconclusive", f"{chance}: 95% CI straddles 0.5" + undefined, "interval")
    above = claim.rule == "above"
    side, other = ("above", "at or below") if above else ("below", "at or above")
    holds = low > claim.threshold if above else high < claim.threshold
    fails = high <= claim.threshold if above else low >= claim.threshold
    if holds:
        return judged._replace("reproduced", f"95% CI wholly {side} {claim.threshold:g}" + undefined)
    if fails:
        return judged._replace("not reproduced", f"95% CI wholly {other} {claim.threshold:g}" + undefined)
    return judged._replace("inconclusive", f"95% CI straddles {claim.threshold:g}" + undefined, "interval")


ALGORITHM_PARAMS = ("algo", "baseline", "other", "opponent")  # params of a measure that name an algorithm's runs


def _defaults(measure) -> dict:
    """A measure's params that have a default, with it."""
    return {name: p.default for name, p in inspect.signature(measure).parameters.items() if p.default is not p.empty}


def claim_reads(claim: Claim) -> list[tuple[str, list[str]]]:
    """What a claim's measure reads, per sample (X, and Y for `improves`): its task and the
    algorithms whose runs it reads (the measure's params that name one, and a ranking's `order`)."""
    measure = MEASURES[claim.measure]
    defaults = _defaults(measure)
    reads = []
    for params in ({**defaults, **sample} for sample in _samples(claim).values()):
        algos = [params[key] for key in ALGORITHM_PARAMS if key in params] + list(params.get("order", []))
        reads.append((measure.task or params["task"], algos))
    return reads


def claim_runs(results: str | Path, claim: Claim) -> str:
    """Where a claim's value came from: every run its measure reads, as
    `runs/<task>/<algo>/seed<k>@<config hash>` (the hash its provenance.json records), and the
    other files it reads (the tournament), '; '-separated."""
    found = []
    for task, algos in claim_reads(claim):
        for algo in algos:
            seeds = sorted(Path(results, "runs", task, algo).glob("seed*"), key=lambda run: int(run.name[4:]))
            found += [f"runs/{task}/{algo}/{run.name}@{_recorded_hash(run)}" for run in seeds]
        found += [f"runs/{task}/{name}" for name in MEASURES[claim.measure].files if Path(results, "runs", task, name).is_file()]
    return "; ".join(dict.fromkeys(found))


def scale_jobs(claim: Claim) -> list[cost.Job] | None:
    """The jobs the scale the claim needs means for it (replication.analysis.cost), or None where the
    benchmarks cannot cost that scale."""
    if claim.min_scale != cost.BENCHED_SCALE:
        return None
    from replication.bench import paper_settings

    reads = claim_reads(claim)
    algos = [algo for _, sample in reads for algo in sample]
    return cost.claim_jobs(reads[0][0], algos, "tournament.csv" in MEASURES[claim.measure].files, paper_settings())


def scale_cost(claim: Claim, bench: pd.DataFrame, measured: pd.DataFrame | None = None) -> dict:
    """What the scale the claim needs would take, costed from the rehearsal's projection (`measured`,
    the one the cluster requests use) where it has a job, else the benchmarks, or why it cannot be."""
    jobs = scale_jobs(claim)
    if jobs is None:
        basis = {
            "decisive": "the decisive scale: `--configfile workflow/config/decisive.yaml`, its measured wall time in "
            "the README's scales table",
            "workstation": "the workstation scale: `--configfile workflow/config/decisive.yaml "
            "workflow/config/workstation.yaml`, its cost measured by the battle pilot "
            "(results/pilot/battle/choice.json, `protocol_cost`)",
        }.get(claim.min_scale, f"the benchmarks time the {cost.BENCHED_SCALE} scale's settings only")
        return {**dict.fromkeys(cost.COST_COLUMNS[:3], np.nan), "cost_basis": basis}
    from replication.bench import paper_settings

    return cost.jobs_cost(jobs, paper_settings(), bench, measured)


def scale_summary(
    table: pd.DataFrame, claims: list[Claim], bench: pd.DataFrame, measured: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The cost of deciding the claims inconclusive for scale, per task and all together: the union
    of their jobs, so that runs several claims share are counted once (costed as `scale_cost`)."""
    from replication.bench import paper_settings

    scale_ids = set(table.loc[table["inconclusive_because"] == "scale", "id"])
    by_task = {}
    for claim in (c for c in claims if c.id in scale_ids):
        jobs = scale_jobs(claim)
        if jobs:
            entry = by_task.setdefault(jobs[0].task, {"claims": 0, "jobs": {}})
            entry["claims"] += 1
            entry["jobs"].update(dict.fromkeys(jobs))
    groups = [(task, entry["claims"], list(entry["jobs"])) for task, entry in by_task.items()]
    if len(groups) > 1:
        groups.append(("all together", sum(n for _, n, _ in groups), [job for _, _, jobs in groups for job in jobs]))
    return pd.DataFrame(
        [{"task": task, "claims": n, **cost.jobs_cost(jobs, paper_settings(), bench, measured)} for task, n, jobs in groups]
    )


def _recorded_hash(run: Path) -> str:
    provenance = run / "provenance.json"
    return json.loads(provenance.read_text()).get("config_hash", "?") if provenance.is_file() else "?"


def null_params(claim: Claim) -> dict | None:
    """The claim's params with its algorithm (`algo`) replaced by its null model, what learns
    nothing: the measure's own (`null`: the untrained learner for a learning claim) or else its
    family's (registry `null`: random spins, uniformly random actions, battle's scripted random
    team); None where there is none, the null algorithm does not run on the claim's task, or the
    claim names no `algo`."""
    measure = MEASURES[claim.measure]
    task = measure.task or claim.params.get("task")
    family = family_of(task)
    null = measure.null or (family.null if family else None)
    declared = inspect.signature(measure).parameters.get("algo")
    algo = claim.params.get("algo", declared.default if declared else None)  # the claim's, or the measure's default
    if (
        null is None
        or (null in family.names() and null not in family.names(task))
        or algo in (null, None, inspect.Parameter.empty)
    ):
        return None
    return {**claim.params, "algo": null}


def null_judgement(results, claim: Claim, params: dict | None, versus: pd.Series | None) -> Judgement | None:
    """The claim judged on its null model's values (at the claim's own scale, so that scale never
    decides): None without a null model or its runs."""
    if params is None:
        return None
    values = MEASURES[claim.measure](results, **params)
    if len(values) == 0:
        return None
    return verdict(claim, values, claim.min_scale, versus)


def untrained_judgement(results, claim: Claim) -> Judgement | None:
    """The claim judged a second time on the same runs' networks untrained (the measure's
    `untrained` counterpart: initial weights, acting as at the first evaluation), at the claim's
    own scale; None where the measure has no such counterpart, for a comparison (`improves`), or
    without values."""
    name = MEASURES[claim.measure].untrained
    if name is None or claim.rule == "improves":
        return None
    values = MEASURES[name](results, **claim.params)
    return verdict(claim, values, claim.min_scale) if len(values) else None


def _samples(claim: Claim) -> dict[str, dict]:
    """The params of each sample a claim reads: "x", and "y" for `improves`."""
    return {"x": claim.params, **({"y": {**claim.params, **claim.versus}} if claim.rule == "improves" else {})}


def lucky_starts(results, claim: Claim) -> dict[str, list[int]]:
    """Per sample ("x", "y"), the seeds whose untrained network already passes the claim's bar on
    its own (`learning.lucky_seeds`): a time-to-level measure's (`start`) untrained value at or past
    its level, or an `above`/`below`/`within` measure's untrained counterpart past the threshold or
    inside the band. Empty where neither applies (a comparison of two learned quantities)."""
    measure = MEASURES[claim.measure]
    if measure.start:
        start = MEASURES[measure.start]
        accepted = inspect.signature(start).parameters
        found = {}
        for role, params in _samples(claim).items():
            level = {**_defaults(measure), **params}["level"]
            values = start(results, **{k: v for k, v in params.items() if k in accepted})
            found[role] = learning.lucky_seeds(values.dropna().to_dict(), "above_or_at", threshold=level)
        return found
    if measure.untrained and claim.rule in ("above", "below", "within"):
        values = MEASURES[measure.untrained](results, **claim.params)
        return {
            "x": learning.lucky_seeds(
                values.dropna().to_dict(),
                claim.rule,
                threshold=claim.threshold,
                paper_value=claim.paper_value,
                tolerance=claim.tolerance,
            )
        }
    return {}


def without_lucky_starts(
    claim: Claim, values: pd.Series, versus: pd.Series | None, scale: str, lucky: dict[str, list[int]]
) -> Judgement | None:
    """The claim judged a second time without its lucky-start seeds; None where it has none."""
    if not any(lucky.values()):
        return None
    kept = values.drop(lucky.get("x", []), errors="ignore")
    kept_versus = versus.drop(lucky.get("y", []), errors="ignore") if versus is not None else None
    return verdict(claim, kept, scale, kept_versus)


def _lucky_text(
    claim: Claim, values: pd.Series, versus: pd.Series | None, lucky: dict[str, list[int]], without: Judgement
) -> str:
    """Which seeds the value rests on, which of them started lucky, and the verdict without them."""
    parts = []
    for role, series in (("x", values), ("y", versus)):
        if series is None or role not in lucky:
            continue
        algo = _samples(claim)[role].get("algo", role.upper())
        seeds = [int(s) for s in series.dropna().index]
        learned = [s for s in seeds if s not in lucky[role]]
        parts.append(
            f"{algo} seeds {_seed_list(learned)}" + (f" and lucky start {_seed_list(lucky[role])}" if lucky[role] else "")
        )
    statistic = (("P(X > Y)" if claim.better == "higher" else "P(X < Y)") + " = ") if claim.rule == "improves" else ""
    return (
        f"; rests on {' v '.join(parts)} (a lucky start: its untrained network already passes the bar); "
        f"without lucky starts: {statistic}{_fmt(without.estimate)} [{_fmt(without.ci_low)}, {_fmt(without.ci_high)}], "
        f"{without.verdict}"
    )


def _seed_list(seeds) -> str:
    return ", ".join(map(str, seeds)) if seeds else "none"


def learned_counts(results, claim: Claim) -> list[learning.LearnedCount]:
    """ "learned k of n" for each learner the claim reads that has paired evaluations
    (runs/<task>/<algo>/seed<k>/evidence.csv, `learning.read_evidence`)."""
    counts = []
    for task, algos in claim_reads(claim):
        for algo in dict.fromkeys(algos):
            files = sorted(
                Path(results, "runs", task, algo).glob(f"seed*/{learning.EVIDENCE}"), key=lambda path: int(path.parent.name[4:])
            )
            if files and algo not in {c.algo for c in counts}:
                counts.append(learning.learned_count(algo, [learning.read_evidence(path) for path in files]))
    return counts


# The first scale that runs the papers' own training protocol for a task's claims (scale_study's
# `protocol_scale`): battle's at 8 v 8 on the workstation scale, paper B's long tasks at the paper scale.
PROTOCOL_SCALE = {"battle": "workstation", "pursuit": "paper", "resource_sharing": "paper"}


def below_protocol_gate(claim: Claim, judged: Judgement, scale: str, learned: list) -> Judgement:
    """ "learned k of n" beside the verdict; and a verdict reached below the papers' own training
    length (a claim its pilot let the decisive scale decide) stands only where every learner the
    claim reads learned on at least 4 of 5 seeds (`learning.may_decide`), else it is inconclusive
    (cause "learning")."""
    protocol = PROTOCOL_SCALE.get(claim_reads(claim)[0][0])
    below = protocol is not None and SCALES.index(scale) < SCALES.index(protocol)
    if below and judged.verdict in ("reproduced", "not reproduced"):
        ok, note = learning.may_decide(learned, at_protocol=False)
        if not ok:
            return judged._replace("inconclusive", f"{judged.reason}; {judged.verdict} as measured, but {note}", "learning")
    if learned:
        return judged._replace(judged.verdict, judged.reason + "; " + "; ".join(map(str, learned)), judged.cause)
    return judged


def _tellable(control: Judgement | None) -> bool:
    return not (control is None or control.cause == "no runs" or (control.cause == "seeds" and control.n_seeds > 0))


def _informative(
    judged: Judgement, null: Judgement | None, untrained: Judgement | None = None, without_lucky: Judgement | None = None
) -> str:
    """ "no" when the null model or the untrained network satisfies the claim too (reproduced on its
    values), or a reproduction is lost without its lucky-start seeds; "yes" when none of that holds
    (a control without a value counts as not passing: random spins have no Curie point); "" when it
    cannot be told: the claim itself has no value, or no control can be read (none, no runs of it,
    or too few seeds)."""
    if np.isnan(judged.estimate):
        return ""
    if judged.verdict == "reproduced" and without_lucky is not None and without_lucky.verdict != "reproduced":
        return "no"
    controls = [c for c in (null, untrained) if _tellable(c)]
    if not controls:
        return ""
    return "no" if any(c.verdict == "reproduced" for c in controls) else "yes"


def _from_learning(untrained: Judgement | None) -> str:
    """For a claim with an untrained-network control: whether a reproduction's value came from
    learning or was there from the start."""
    if not _tellable(untrained):
        return ""
    if untrained.verdict == "reproduced":
        return f"; from the start: the untrained network passes too ({_fmt(untrained.estimate)})"
    return f"; from learning: the untrained network does not pass ({_fmt(untrained.estimate)})"


def audit_table(
    results: str | Path,
    scale: str,
    claims: list[Claim] | None = None,
    bench: pd.DataFrame | None = None,
    protocol_of: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per claim: our value, its interval and n, the verdict and why, the null model's value,
    the runs it came from, and for a claim inconclusive because of scale what that scale would take,
    costed from the benchmark rows `bench` (default: those of results/bench beside the results folder).
    `protocol_of`: per task, the scale whose settings this scale's runs of it equal (the config's
    `protocol_of`); a claim on such a task is judged as at that scale (column `settings_of`)."""
    benches = bench if bench is not None else cost.load_benches(Path(results).parent / "bench")
    # the rehearsal's projections on record beside the results folder (results/rehearsal/cost.csv)
    measured = cost.load_measured(Path(results).parent / "rehearsal" / "cost.csv")
    rows = []
    for claim in claims or load_claims():
        values = MEASURES[claim.measure](results, **claim.params)
        versus = MEASURES[claim.measure](results, **{**claim.params, **claim.versus}) if claim.rule == "improves" else None
        settings_of = (protocol_of or {}).get(claim_reads(claim)[0][0], scale)
        judged = verdict(claim, values, settings_of, versus)
        needs = scale_cost(claim, benches, measured) if judged.cause == "scale" else dict.fromkeys(cost.COST_COLUMNS, np.nan)
        if not pd.isna(needs["cost_cpu_hours"]):
            judged = judged._replace(
                judged.verdict,
                f"{judged.reason} (≈ {needs['cost_cpu_hours']:,.0f} CPU-hours, "
                f"{cost.format_hours(needs['cost_cluster_hours'])} on a CPU cluster)",
                judged.cause,
            )
        null = null_judgement(results, claim, null_params(claim), versus)
        untrained = untrained_judgement(results, claim)
        if judged.verdict == "reproduced":
            judged = judged._replace(judged.verdict, judged.reason + _from_learning(untrained), judged.cause)
        lucky = lucky_starts(results, claim)
        without = without_lucky_starts(claim, values, versus, scale, lucky)
        if without is not None:
            judged = judged._replace(
                judged.verdict, judged.reason + _lucky_text(claim, values, versus, lucky, without), judged.cause
            )
        learned = learned_counts(results, claim)
        judged = below_protocol_gate(claim, judged, settings_of, learned)
        rows.append(
            {
                "id": claim.id,
                "paper": claim.paper,
                "figure": claim.figure,
                "statement": claim.statement,
                "paper_value": claim.paper_value,
                "rule": claim.rule,
                "tolerance": claim.tolerance if claim.rule == "within" else np.nan,
                "threshold": claim.threshold if claim.threshold is not None else (0.5 if claim.rule == "improves" else np.nan),
                "measure": claim.measure,
                "statistic": ("P(X>Y)" if claim.better == "higher" else "P(X<Y)") if claim.rule == "improves" else "mean",
                "ours": judged.estimate,
                "ci_low": judged.ci_low,
                "ci_high": judged.ci_high,
                "n_seeds": judged.n_seeds,
                "n_seeds_versus": judged.n_versus if claim.rule == "improves" else np.nan,
                "verdict": judged.verdict,
                "judged_at": scale,
                "settings_of": settings_of,
                "inconclusive_because": judged.cause,
                "reason": judged.reason,
                "null_value": null.estimate if null else np.nan,
                "null_verdict": null.verdict if null else "",
                "untrained_value": untrained.estimate if untrained else np.nan,
                "untrained_verdict": untrained.verdict if untrained else "",
                "informative": _informative(judged, null, untrained, without),
                "lucky_starts": "; ".join(f"{role}: {_seed_list(seeds)}" for role, seeds in lucky.items() if seeds),
                "without_lucky_value": without.estimate if without else np.nan,
                "without_lucky_low": without.ci_low if without else np.nan,
                "without_lucky_high": without.ci_high if without else np.nan,
                "without_lucky_verdict": without.verdict if without else "",
                "learned": "; ".join(map(str, learned)),
                "note": claim.note,
                "runs": claim_runs(results, claim),
                "needs_scale": claim.min_scale if judged.cause == "scale" else "",
                **needs,
            }
        )
    return pd.DataFrame(rows)


def _judged_at(r) -> str:
    """ "default scale", or where the scale runs a task at another scale's settings, "central scale
    (paper settings)"."""
    settings_of = getattr(r, "settings_of", r.judged_at)
    return f"{r.judged_at} scale" + (f" ({settings_of} settings)" if settings_of != r.judged_at else "")


def _fmt(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.3g}"


def _rule_text(bold, code) -> str:
    """How to read a verdict, for both pages; `bold` and `code` mark up a word."""
    return (
        f"Each claim of the papers, our value with its 95% interval over seeds and its number of seeds n, and a verdict. "
        f"Rule, fixed before looking at results and the same for every claim: {bold('reproduced')} when the whole "
        f"interval lies inside paper ± tolerance (or wholly on the claimed side of a threshold), {bold('not reproduced')} "
        f"when it lies wholly outside, {bold('inconclusive')} when it straddles the edge, the scale is smaller than the "
        f"claim needs, or fewer than {MIN_SEEDS} seeds have a defined value. The interval of a mean is the BCa "
        f"bootstrap; a claim that one algorithm beats another is judged on the probability of improvement P(X > Y) "
        f"over their seeds (stratified bootstrap interval), reproduced when the interval lies above 0.5. Tolerances "
        f"live in {code('replication/claims/*.yaml')} with their reasons. Beside each claim, the same measure on a "
        f"null model that learns nothing (random spins, uniformly random actions), judged by the same rule: a "
        f"reproduction the null model also gets is marked (passes too) and says nothing about learning. Where a claim reads "
        f"a learned network (Gaussian Squeeze's final performance), it is also judged on the same runs' networks "
        f"untrained (their initial weights, acting as at the first evaluation): a reproduction the untrained network "
        f"also gets came from the start, not from learning, and counts as uninformative too. A paper value of – means the paper's number was "
        f"not recovered: the claim is judged on its direction only. Each verdict names the scale it was judged at "
        f"({' < '.join(SCALES)}): a verdict below the paper scale is that scale's, not a reproduction at the papers' own."
    )


def _summary(table: pd.DataFrame) -> list[str]:
    """The counts per verdict, how many reproductions a null model would also get, and why the
    inconclusive verdicts are."""
    counts = table["verdict"].value_counts()
    reproduced = table.loc[table["verdict"] == "reproduced", "informative"].value_counts()
    null = (
        f" ({reproduced.get('yes', 0)} informative, {reproduced.get('no', 0)} that a null model or the untrained network also passes, "
        f"{reproduced.get('', 0)} without a null model)"
    )
    causes = table.loc[table["verdict"] == "inconclusive", "inconclusive_because"].value_counts()
    why = ", ".join(f"{n} {CAUSE_WORDS[c]}" for c, n in causes.items())
    return [
        f"{counts.get(v, 0)} {v}" + (null if v == "reproduced" else "") + (f" ({why})" if v == "inconclusive" and why else "")
        for v in VERDICTS
    ]


CAUSE_WORDS = {
    "learning": "have learners that did not learn on 4 of 5 seeds below the papers' length",
    "scale": "need a larger scale",
    "seeds": "have too few seeds",
    "interval": "straddle the band",
    "no runs": "have no runs",
}


def _cells(r) -> tuple[str, str, str, str]:
    """Our value with its interval, named by its measure (P(X > Y) of it for `improves`), the bound
    it is judged against, n, and the null model's value."""
    measure = getattr(r, "measure", "")
    if r.rule == "improves":
        prefix = f"{r.statistic} of {measure} = " if measure else f"{r.statistic} = "
    else:
        prefix = f"{measure} = " if measure else ""
    ours = f"{prefix}{_fmt(r.ours)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
    bound = f"± {r.tolerance:g}" if r.rule == "within" else ("above 0.5" if r.rule == "improves" else f"{r.rule} {r.threshold:g}")
    n = f"{r.n_seeds} v {int(r.n_seeds_versus)}" if r.rule == "improves" else f"{r.n_seeds}"
    if pd.isna(r.null_value):
        null = "undefined" if r.informative == "yes" and pd.isna(r.untrained_value) else "–"
    else:
        null = _fmt(r.null_value) + (" (passes too)" if r.null_verdict == "reproduced" else "")
    if not pd.isna(r.untrained_value):
        null += f"; untrained {_fmt(r.untrained_value)}" + (" (passes too)" if r.untrained_verdict == "reproduced" else "")
    return ours, bound, n, null


SCALE_COLUMNS = ("task", "claims", "CPU-hours", "CPU cluster, wall", "one GPU node", "jobs, and the benchmark files timing them")


def _scale_intro(summary: pd.DataFrame) -> str:
    gpu = (
        ""
        if summary["cost_gpu_node_hours"].notna().any()
        else " No GPU benchmark exists yet: `python -m replication bench battle --device cuda --out results/bench/battle-cuda.csv` on a GPU node adds that column."
    )
    return (
        "The claims inconclusive because of scale, costed at the scale they need from the benchmarks in "
        "`results/bench/` (`python -m replication bench <task>`; every file names its machine and threads), counting "
        "runs that several claims share once: CPU-hours at the benchmark's threads; the wall time on a CPU cluster "
        "with a core for every job (the longest training run, then the longest part of the tournament, which needs "
        "every model and is played in one job per row algorithm); one GPU "
        "node: every job one after another on a benchmark with device cuda. Each claim's own figures are in "
        "`audit.csv` (columns `cost_*`); a missing bench row leaves the cost empty and is named." + gpu
    )


def _scale_cells(r) -> list[str]:
    return [
        r["task"],
        str(r["claims"]),
        "–" if pd.isna(r["cost_cpu_hours"]) else f"{r['cost_cpu_hours']:,.0f}",
        cost.format_hours(r["cost_cluster_hours"]),
        cost.format_hours(r["cost_gpu_node_hours"]),
        r["cost_basis"],
    ]


def to_markdown(table: pd.DataFrame, cfg: SuiteConfig, summary: pd.DataFrame | None = None) -> str:
    lines = [
        f"# Audit: {cfg.results_name} scale",
        "",
        _rule_text(lambda w: f"**{w}**", lambda w: f"`{w}`"),
        "",
        "Summary: " + ", ".join(_summary(table)),
        "",
    ]
    for paper, part in table.groupby("paper", sort=False):
        lines += [
            f"## {paper}",
            "",
            "| claim | figure | statement | paper | ours [95% CI] | n | tol./threshold | verdict | judged at | null model; untrained network | reason |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in part.itertuples():
            ours, bound, n, null = _cells(r)
            lines.append(
                f"| {r.id} | {r.figure} | {r.statement} | {_fmt(r.paper_value)} | {ours} | {n} | {bound} | "
                f"**{r.verdict}** | {_judged_at(r)} | {null} | {r.reason} |"
            )
        lines.append("")
    if summary is not None and len(summary):
        lines += [
            "## What it would take",
            "",
            _scale_intro(summary),
            "",
            "| " + " | ".join(SCALE_COLUMNS) + " |",
            "|" + "---|" * len(SCALE_COLUMNS),
        ]
        lines += ["| " + " | ".join(_scale_cells(r)) + " |" for _, r in summary.iterrows()] + [""]
    return "\n".join(lines)


def to_html(table: pd.DataFrame, cfg: SuiteConfig, summary: pd.DataFrame | None = None) -> str:
    """The audit as one self-contained page (the report's audit page): the rule, the counts, and a
    table per paper with each verdict coloured."""
    marks = {"\x01": "<b>", "\x02": "</b>", "\x03": "<code>", "\x04": "</code>"}
    rule = escape(_rule_text(lambda w: f"\x01{w}\x02", lambda w: f"\x03{w}\x04"))
    for mark, tag in marks.items():
        rule = rule.replace(mark, tag)
    parts = [
        f"<p>{rule}</p>",
        "<p class='summary'>"
        + "".join(f"<span class='{v.replace(' ', '-')}'>{text}</span>" for v, text in zip(VERDICTS, _summary(table)))
        + "</p>",
    ]
    for paper, part in table.groupby("paper", sort=False):
        parts += [
            f"<h2>{escape(paper)}</h2><table><tr><th>claim</th><th>figure</th><th>statement</th><th>paper</th>"
            "<th>ours [95% CI]</th><th>n</th><th>tol./threshold</th><th>verdict</th><th>judged at</th><th>null model; untrained network</th>"
            "<th>reason</th></tr>"
        ]
        for r in part.itertuples():
            ours, bound, n, null = _cells(r)
            parts.append(
                f"<tr class='{r.verdict.replace(' ', '-')}'><td>{escape(r.id)}</td><td>{escape(r.figure)}</td>"
                f"<td>{escape(r.statement)}</td><td class='num'>{_fmt(r.paper_value)}</td>"
                f"<td class='num'>{escape(ours)}</td><td class='num'>{n}</td><td class='num'>{escape(bound)}</td>"
                f"<td><b>{escape(r.verdict)}</b></td><td>{escape(_judged_at(r))}</td><td class='num'>{escape(null)}</td><td>{escape(r.reason)}</td></tr>"
            )
        parts.append("</table>")
    if summary is not None and len(summary):
        intro = escape(_scale_intro(summary))
        parts += [
            f"<h2>What it would take</h2><p>{intro}</p><table><tr>"
            + "".join(f"<th>{escape(c)}</th>" for c in SCALE_COLUMNS)
            + "</tr>"
        ]
        parts += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _scale_cells(r)) + "</tr>" for _, r in summary.iterrows()]
        parts.append("</table>")
    wide = "td:first-child { white-space: nowrap; } td:nth-child(3) { min-width: 18em; } td:last-child { min-width: 16em; }"
    return page(f"Audit: {cfg.results_name} scale", "\n".join(parts), wide)


def variants_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Two audits of the same claims side by side, e.g. {"paper": …, "reference_code": …}: each
    claim's verdict under each variant (`verdict_<variant>`: "not run" where that variant has no
    runs for it, "not audited" where its audit lacks the claim) and which variants reproduce it
    (`reproduced_by`: one of them, both, none, or "not compared" unless both variants ran it)."""
    (first, ours), (second, theirs) = tables.items()
    shown = {
        name: table.assign(verdict=table["verdict"].where(table["runs"].fillna("") != "", "not run"))
        for name, table in tables.items()
    }
    both = shown[first][["id", "paper", "figure", "statement", "verdict"]].merge(
        shown[second][["id", "verdict"]], on="id", how="left", suffixes=(f"_{first}", f"_{second}")
    )
    both[f"verdict_{second}"] = both[f"verdict_{second}"].fillna("not audited")
    by = [(both[f"verdict_{name}"] == "reproduced") for name in (first, second)]
    compared = ~both[[f"verdict_{name}" for name in (first, second)]].isin(["not run", "not audited"]).any(axis=1)
    both["reproduced_by"] = np.select([~compared, by[0] & by[1], by[0], by[1]], ["not compared", "both", first, second], "none")
    return both


def variant_name(results: str | Path) -> str:
    """The preset a results folder's runs were made with (read from a run's config.yaml)."""
    for path in sorted(Path(results, "runs").glob("*/*/seed*/config.yaml")):
        return str(yaml.safe_load(path.read_text()).get("preset", "paper"))
    raise ConfigError(f"--compare: {results} holds no runs (results/<scale>[-<preset>] of a finished pipeline)")


def write_audit(results: str | Path, cfg: SuiteConfig, extra_claims: list[str] = (), compare: str | None = None) -> None:
    """audit.csv, audit.md and audit.html under `results`: the papers' claims and those of the
    config's `claims` files and `extra_claims`. With `compare` (the results folder of the other
    variant, e.g. results/default-reference_code) also audit_variants.csv and .md: both verdicts
    per claim and which variant reproduces it."""
    own = [*cfg.claims, *extra_claims]
    claims = load_claims() + (load_claims(own) if own else [])
    _check_unique(claims)
    if cfg.audit_claims:
        unknown = sorted(set(cfg.audit_claims) - {claim.id for claim in claims})
        if unknown:
            raise ConfigError(f"audit_claims: no claim {unknown[0]!r} in the claims files")
        claims = [claim for claim in claims if claim.id in cfg.audit_claims]
    other = variant_name(compare) if compare else None
    if other == cfg.preset:
        raise ConfigError(f"--compare: {compare} was made with preset {other}, the same as --results; compare the other variant")
    bench = cost.load_benches(Path(results).parent / "bench")
    table = audit_table(results, cfg.scale, claims, bench, cfg.protocol_of)
    summary = scale_summary(table, claims, bench, cost.load_measured(Path(results).parent / "rehearsal" / "cost.csv"))
    io.write_csv(Path(results) / "audit.csv", table)
    io.write_text(Path(results) / "audit.md", to_markdown(table, cfg, summary))
    io.write_text(Path(results) / "audit.html", to_html(table, cfg, summary))
    if compare:
        both = variants_table({cfg.preset: table, other: audit_table(compare, cfg.scale, claims, bench)})
        io.write_csv(Path(results) / "audit_variants.csv", both)
        counts = both["reproduced_by"].value_counts()
        lines = [
            f"# Audit of two variants: {cfg.preset} ({results}) and {other} ({compare})",
            "",
            "Reproduced by "
            + ", ".join(f"{name}: {counts.get(name, 0)}" for name in (cfg.preset, other, "both", "none"))
            + f"; not compared (a variant not run): {counts.get('not compared', 0)}",
            "",
            f"| claim | figure | statement | {cfg.preset} | {other} | reproduced by |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['id']} | {r['figure']} | {r['statement']} | {r[f'verdict_{cfg.preset}']} | {r[f'verdict_{other}']} | "
            f"{r['reproduced_by']} |"
            for _, r in both.iterrows()
        ]
        io.write_text(Path(results) / "audit_variants.md", "\n".join(lines) + "\n")
