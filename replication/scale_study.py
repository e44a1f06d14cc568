"""`python -m replication scale-study <family>`: the decisive scale's pilot and the power rule's
choice for one family (docs/scales.md, "The decisive scale: the power rule").

For each pilot budget, the learners the family's central claims read and their null model are
trained, `seeds` seeds each and side by side in one process, into
`<out>/budget<b>/runs/<task>/<algo>/seed<k>/` (a run already there with the same settings is kept,
so a killed study resumes); battle then plays its tournament and the scripted evaluation there.
Each claim's measure is read off each budget's runs as the audit reads it, and the rule
(`analysis/power.py`) picks the setting. Written to `<out>/`:

- `pilot.csv`: per budget, claim and sample (X, Y and their null models) the per-seed mean, SD and seeds;
- `timing.csv`: per budget and job, the measured seconds and how many seeds they served;
- `widths.csv`: per budget and claim, the stated effect, the expected interval width at 5–30 seeds
  and the null margins;
- `choice.json`: the rule's setting for the family, whether it decides its claims in its share, and
  for every pilot budget why it does or does not qualify (`budgets`); where no budget qualifies,
  `needs_protocol`: the paper's own training length, what deciding the claims then takes;
- battle: `scripted_sides.csv`, every model's share of rounds won against each scripted team from
  each side, per budget (the trained check reads its worse side against the stationary attacker);
- `scale_study.png`: each claim's pilot estimate and the expected width against the budget, the
  chosen budget marked.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from replication import io
from replication.analysis import audit, learning, measures, power
from replication.config import SuiteConfig, run_config
from replication.registry import SEMI_COOPERATIVE

CORE_HOURS = 5.0  # the decisive scale: 2.5 h on two cores


@dataclass(frozen=True)
class Family:
    """A family's pilot: its task, central claims, budgets and share of the decisive scale's time."""

    task: str
    claims: tuple[str, ...]
    budgets: tuple[int, ...]
    share_core_hours: float
    paper_budget: int  # the paper's own training length (rounds or steps)
    # where the central claims are judged when the pilot decides nothing: the first scale that runs
    # the paper's own training protocol for them (battle: the workstation scale, 8 v 8; paper B: paper)
    protocol_scale: str


FAMILIES = {
    "battle": Family("battle", ("A-battle-mfq-beats-il", "A-battle-ranking"), (40, 80, 160, 320), 3.0, 2000, "workstation"),
    "pursuit": Family("pursuit", ("B-pursuit-welfare-ped-vs-idqn",), (3000, 10000, 30000), 1.0, 1_000_000, "paper"),
    "resource_sharing": Family(
        "resource_sharing", ("B-resource-welfare-ped-vs-idqn",), (3000, 10000, 30000, 100000), 0.5, 2_000_000, "paper"
    ),
}
PILOT_SEEDS = 3
BATTLE_ALGOS = ["mfq", "il", "mfac", "ac"]  # the ranking's four; PED-DQN is no central claim's


def family_claims(family: Family) -> list[audit.Claim]:
    claims = {claim.id: claim for claim in audit.load_claims()}
    return [claims[claim_id] for claim_id in family.claims]


def learners(family: Family) -> list[str]:
    """The algorithms the pilot trains: the claims' learners, and paper B's null model (battle's,
    the scripted random team, plays in the scripted evaluation and is not trained)."""
    if family.task == "battle":
        return list(BATTLE_ALGOS)
    algos = []
    for claim in family_claims(family):
        algos += [claim.params["algo"]] + ([claim.versus["algo"]] if claim.versus else [])
    return list(dict.fromkeys(algos + [SEMI_COOPERATIVE.null]))


def _scaled(value: int, factor: float) -> int:
    return max(1, int(round(value * factor)))


def budget_config(cfg: SuiteConfig, family: Family, budget: int, seeds: int) -> SuiteConfig:
    """The base config (the default scale's) at one pilot budget. Battle: `budget` self-play rounds,
    exploration decayed over all of them, the family's learners, `seeds` seeds side by side. Paper B:
    `budget` steps, every schedule (ε decay, peer warm-up, target refresh, evaluation, checkpoints)
    scaled by budget / the base's steps, so its proportions stay the base's."""
    seed_list = list(range(seeds))
    if family.task == "battle":
        battle = dataclasses.replace(
            cfg.battle,
            algorithms=learners(family),
            seeds=seed_list,
            rounds=budget,
            epsilon_decay_rounds=budget,
            checkpoint_every=max(1, budget // 4),
            seeds_per_job=seeds,
        )
        return dataclasses.replace(cfg, battle=battle)
    task = getattr(cfg, family.task)
    factor = budget / task.steps
    scaled = {
        name: _scaled(getattr(task, name), factor)
        for name in ("epsilon_decay_steps", "peer_warmup_steps", "target_update_every", "eval_every", "checkpoint_every")
    }
    task = dataclasses.replace(task, steps=budget, algorithms=learners(family), **scaled)
    return dataclasses.replace(
        cfg,
        seeds=seed_list,
        semi_cooperative=dataclasses.replace(cfg.semi_cooperative, seeds_per_job=seeds),
        **{family.task: task},
    )


def _done(folder: Path, cfg: SuiteConfig, task: str, algo: str, seeds: list[int]) -> bool:
    """Every seed's run is there, made with these settings."""
    for seed in seeds:
        config = folder / "runs" / task / algo / f"seed{seed}" / "config.yaml"
        if not config.exists() or yaml.safe_load(config.read_text()) != json.loads(json.dumps(run_config(cfg, task, algo, seed))):
            return False
    return True


def run_budget(family: Family, cfg: SuiteConfig, folder: Path, progress: bool = True) -> pd.DataFrame:
    """Train (and for battle evaluate) one budget's pilot into `folder`; returns its timing rows
    (job, seconds, seeds), kept in folder/timing.csv for jobs a resumed study does not repeat."""
    from replication import run, tournament

    timing_file = folder / "timing.csv"
    timing = pd.read_csv(timing_file) if timing_file.exists() else pd.DataFrame(columns=["job", "seconds", "seeds"])
    seeds = cfg.battle.seeds if family.task == "battle" else cfg.seeds

    def timed(job: str, fn, n: int) -> None:
        nonlocal timing
        start = time.perf_counter()
        fn()
        timing = pd.concat(
            [timing[timing["job"] != job], pd.DataFrame([{"job": job, "seconds": time.perf_counter() - start, "seeds": n}])],
            ignore_index=True,
        )
        io.write_csv(timing_file, timing)

    retrained = False
    for algo in learners(family):
        if not _done(folder, cfg, family.task, algo, seeds) or algo not in set(timing["job"]):
            retrained = True
            pattern = str(folder / "runs" / family.task / algo / "seed{seed}")
            timed(
                algo,
                lambda: run.run_seeds(family.task, algo, seeds, cfg, pattern, progress=progress, stale="restart"),
                len(seeds),
            )
            if family.task == "battle":  # a job resumed from its checkpoints: its rounds' own times, not this call's
                rounds = folder / "runs" / "battle" / algo / f"seed{seeds[0]}" / "timing.csv"
                timing.loc[timing["job"] == algo, "seconds"] = float(pd.read_csv(rounds)["seconds"].sum())
                io.write_csv(timing_file, timing)
    if family.task == "battle":
        for job, evaluate in (("tournament", tournament.run_tournament), ("scripted", tournament.run_scripted_evaluation)):
            # played again whenever a model was retrained: the games already played read the old ones
            if retrained or job not in set(timing["job"]) or not (folder / getattr(tournament, f"{job.upper()}_FILE")).exists():
                timed(job, lambda: evaluate(folder, cfg, progress=progress), len(seeds))
    return timing


def pilot_claims(family: Family, folder: Path) -> tuple[list[power.PilotClaim], list[dict]]:
    """Each central claim's samples at one budget, as the audit's measures read them, and their rows for pilot.csv."""
    cells, rows = [], []
    for claim in family_claims(family):
        measure = audit.MEASURES[claim.measure]
        samples = {"x": measure(folder, **claim.params)}
        if claim.versus:
            samples["y"] = measure(folder, **{**claim.params, **claim.versus})
        null = audit.null_params(claim)
        if null is not None:
            samples["null_x"] = measure(folder, **null)
            if claim.versus:
                samples["null_y"] = samples["null_x"]
        if family.task == "battle":  # each learner the claim reads: its worse side against the stationary attacker
            for _, algos in audit.claim_reads(claim):
                samples.update({f"trained:{algo}": measures.battle_worse_side_win_rate(folder, algo) for algo in algos})
        learners = pilot_learners(family, folder, claim)
        spreads = {role: power.Spread.of(values.dropna()) for role, values in samples.items() if len(values.dropna())}
        # a learner with no scripted rounds has not shown that it is trained: it fails the check
        spreads.update({role: power.Spread(0.0, 0.0) for role in samples if role.startswith("trained:") and role not in spreads})
        trained = tuple(spread for role, spread in spreads.items() if role.startswith("trained:"))
        # a claim whose measure is undefined for some pilot seed (a ranking step that decided no round:
        # ties only) is not resolvable at this budget: X without a value
        x = spreads["x"] if samples["x"].notna().all() and len(samples["x"]) else power.Spread(np.nan, np.nan)
        cells.append(
            power.PilotClaim(
                claim, **{**{r: v for r, v in spreads.items() if ":" not in r}, "x": x}, trained=trained, learners=learners
            )
        )
        names = {
            "x": claim.params.get("algo", " > ".join(claim.params.get("order", ["X"]))),
            "y": claim.versus.get("algo", "Y"),
            "null_x": (null or {}).get("algo", "null model"),
            "null_y": (null or {}).get("algo", "null model"),
        }
        names.update({role: role.split(":")[1] for role in samples if role.startswith("trained:")})
        rows += [
            {
                "claim": claim.id,
                "sample": role,
                "learner": names[role],
                "mean": spread.mean,
                "sd": spread.sd,
                "seeds": int(len(samples[role].dropna())),
            }
            for role, spread in spreads.items()
        ]
        rows += [
            {
                "claim": claim.id,
                "sample": f"learner:{learner.algo}",
                "learner": learner.algo,
                "mean": float(np.mean(learner.values)) if learner.values else np.nan,
                "sd": power.Spread.of(learner.values).sd if learner.values else np.nan,
                "seeds": len(learner.values),
                "learned": str(learner.learned) if learner.learned else "no learning evidence",
            }
            for learner in learners
        ]
    return cells, rows


def pilot_learners(family: Family, folder: Path, claim: audit.Claim) -> tuple[power.PilotLearner, ...]:
    """Each learner the claim reads, at one budget: its own per-seed performance and its untrained
    networks' on the same measure (battle: the worse-side win rate against the stationary attacker;
    paper B: the final greedy social welfare), and "learned k of n" from the runs' paired
    evaluations (evidence.csv; None where the runs have none, which the rule reads as not learned)."""
    found = []
    for task, algos in audit.claim_reads(claim):
        for algo in dict.fromkeys(algos):
            if family.task == "battle":
                values = measures.battle_worse_side_win_rate(folder, algo)
                untrained = (
                    measures.battle_worse_side_win_rate_untrained(folder, algo)
                    if (folder / "runs" / "battle" / "scripted_untrained.csv").is_file()
                    else pd.Series(dtype=float)
                )
            else:
                values = measures.semi_cooperative_final(folder, task, algo)
                untrained = measures.semi_cooperative_untrained(folder, task, algo)
            files = sorted((folder / "runs" / task / algo).glob(f"seed*/{learning.EVIDENCE}"))
            learned = learning.learned_count(algo, [learning.read_evidence(f) for f in files]) if files else None
            found.append(power.PilotLearner(algo, tuple(values.dropna()), tuple(untrained.dropna()), learned))
    return tuple(found)


def cost_function(family: Family, timings: dict[int, pd.DataFrame], pilot_seeds: int):
    """cost(budget, seeds): the family's seconds at that setting from the pilot's measured times.
    Training is linear in the seeds; battle's tournament grows with its pairings (`seed_pairs`, about
    (A·n)² for A algorithms' n models each) and its scripted evaluation with the models."""
    from replication.experiments.battle import seed_pairs

    trained = learners(family)  # read once: for paper B it parses the claims files

    def pairings(n: int) -> int:
        return len(seed_pairs([(algo, seed) for algo in BATTLE_ALGOS for seed in range(n)]))

    def cost(budget: int, seeds: int) -> float:
        seconds = dict(zip(timings[budget]["job"], timings[budget]["seconds"]))
        training = seeds / pilot_seeds * sum(seconds[algo] for algo in trained)
        if family.task != "battle":
            return training
        return (
            training + seconds["tournament"] * pairings(seeds) / pairings(pilot_seeds) + seconds["scripted"] * seeds / pilot_seeds
        )

    return cost


def makespan(durations: list[float], cores: int) -> float:
    """Longest-processing-time-first schedule of independent jobs on `cores` cores: its wall time."""
    loads = [0.0] * cores
    for duration in sorted(durations, reverse=True):
        loads[loads.index(min(loads))] += duration
    return max(loads)


def protocol_cost(
    family: Family, timing: pd.DataFrame, budget: int, pilot_seeds: int, seeds: int = audit.MIN_SEEDS, cores=(2, 16)
) -> dict:
    """What the paper's own training length costs at `seeds` seeds, extrapolated from the pilot's
    largest budget: each learner's seconds per seed and round (or step) there × the paper's length,
    one job per learner and seed; battle adds its tournament (grown with its pairings, `cost_function`)
    and scripted evaluation, each split into one part per algorithm. Returns core-hours and the wall
    hours on each of `cores` (jobs packed longest first; the evaluations after the training)."""
    seconds = dict(zip(timing["job"], timing["seconds"]))
    jobs = [seconds[algo] / (pilot_seeds * budget) * family.paper_budget for algo in learners(family) for _ in range(seeds)]
    evaluation = 0.0
    if family.task == "battle":
        evaluation = (
            cost_function(family, {budget: timing}, pilot_seeds)(budget, seeds)
            - sum(seconds[algo] for algo in learners(family)) * seeds / pilot_seeds
        )
    cost = {"protocol_budget": family.paper_budget, "seeds": seeds, "core_hours": (sum(jobs) + evaluation) / 3600}
    for n in cores:
        parts = min(n, len(BATTLE_ALGOS)) if family.task == "battle" else 1
        cost[f"wall_hours_{n}_cores"] = (makespan(jobs, n) + evaluation / parts) / 3600
    return cost


def scale_study(
    family_name: str,
    cfg: SuiteConfig,
    out: str | Path,
    budgets=None,
    seeds: int = PILOT_SEEDS,
    progress: bool = True,
    configs: list[str] = (),
) -> dict:
    """The pilot of `family_name` over `cfg` (made from the config files `configs`, recorded in
    choice.json so that the decisive config can be rebuilt from the same base)."""
    family = FAMILIES[family_name]
    budgets = tuple(budgets or family.budgets)
    out = Path(out)
    timings, pilot, rows = {}, {}, []
    for budget in budgets:
        folder = out / f"budget{budget}"
        budget_cfg = budget_config(cfg, family, budget, seeds)
        timings[budget] = run_budget(family, budget_cfg, folder, progress)
        pilot[budget], budget_rows = pilot_claims(family, folder)
        rows += [{"budget": budget, **row} for row in budget_rows]
    timing = pd.concat([t.assign(budget=b) for b, t in timings.items()], ignore_index=True)
    reasons = power.budget_reasons(pilot)
    choice = power.choose_setting(pilot, cost_function(family, timings, seeds), family.share_core_hours * 3600, reasons)
    choice = {
        "family": family_name,
        "claims": list(family.claims),
        "configs": list(configs),
        "share_core_hours": family.share_core_hours,
        "pilot_seeds": seeds,
        **choice,
        "needs": list(choice["needs"]) if choice["needs"] else None,
        "needs_protocol": None if choice["needs"] else family.paper_budget,
        "protocol_cost": protocol_cost(family, timings[max(budgets)], max(budgets), seeds),
        "budgets": {str(b): {"qualifies_at_seeds": s, "why_not": why} for b, (s, why) in reasons.items()},
    }
    if family.task == "battle":
        io.write_csv(out / "scripted_sides.csv", scripted_sides({b: out / f"budget{b}" for b in budgets}))
    io.write_csv(out / "pilot.csv", pd.DataFrame(rows))
    io.write_csv(out / "timing.csv", timing[["budget", "job", "seconds", "seeds"]])
    widths = power.pilot_table(pilot)
    io.write_csv(out / "widths.csv", widths)
    io.write_text(out / "choice.json", json.dumps(choice, indent=2, default=float) + "\n")
    plot(widths, pd.DataFrame(rows), choice, out / "scale_study.png")
    return choice


def scripted_sides(folders: dict[int, Path]) -> pd.DataFrame:
    """Per budget, model (algorithm, seed), scripted team and side: rounds played and the share won
    (more kills; a tie is not won)."""
    frames = []
    for budget, folder in folders.items():
        m = measures.scripted_matches(folder)
        m = m.assign(won=measures.won_outright(m))
        sides = m.groupby(["row_algo", "row_seed", "col_algo", "row_side"])["won"].agg(["size", "mean"]).reset_index()
        frames.append(
            sides.rename(
                columns={
                    "row_algo": "algo",
                    "row_seed": "seed",
                    "col_algo": "scripted_team",
                    "row_side": "side",
                    "size": "rounds",
                    "mean": "won",
                }
            ).assign(budget=budget)
        )
    return pd.concat(frames, ignore_index=True)[["budget", "algo", "seed", "scripted_team", "side", "rounds", "won"]]


def plot(widths: pd.DataFrame, pilot: pd.DataFrame, choice: dict, path: Path) -> None:
    """Per claim: top, X's pilot mean ± SD and its null model's against the budget; bottom, the
    expected interval width at 5, 10, 20 and 30 seeds against the budget, with half the stated
    effect (the rule's bar); the chosen budget marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    claims = list(dict.fromkeys(widths["claim"]))
    fig, axes = plt.subplots(2, len(claims), figsize=(6.5 * len(claims), 7.5), squeeze=False)
    for column, claim in enumerate(claims):
        top, bottom = axes[0, column], axes[1, column]
        for sample, colour in (("x", "C0"), ("y", "C1"), ("null_x", "grey")):
            rows = pilot[(pilot["claim"] == claim) & (pilot["sample"] == sample)]
            if len(rows):
                top.errorbar(
                    rows["budget"],
                    rows["mean"],
                    yerr=rows["sd"],
                    marker="o",
                    capsize=3,
                    color=colour,
                    label=f"{rows['learner'].iloc[0]}" + (" (null model)" if sample == "null_x" else ""),
                )
        top.set_title(claim, fontsize=9)
        top.set_ylabel("pilot mean ± SD (per seed)")
        top.legend(fontsize=8)
        rows = widths[widths["claim"] == claim]
        for name in [c for c in rows.columns if c.startswith("width_n")]:
            bottom.plot(rows["budget"], rows[name], marker="o", label=f"{name[7:]} seeds")
        bottom.axhline(rows["effect"].iloc[0] / 2, color="k", linestyle="--", label="half the stated effect")
        bottom.set_ylabel("expected 95% interval width")
        bottom.set_xlabel("budget")
        bottom.legend(fontsize=8)
        budgets = sorted(rows["budget"])
        for axis in (top, bottom):
            axis.set_xscale("log")
            axis.set_xticks(budgets, [f"{b:,}" for b in budgets])
            axis.minorticks_off()
            axis.axvline(choice["budget"], color="C3", alpha=0.3, linewidth=8, label=None)
    if choice["decided"]:
        decided, needs = "expected to decide its claims", ""
    elif choice["needs"]:
        decided, needs = (
            "undecided within its share",
            f"; the rule needs budget {choice['needs'][0]:,}, {choice['needs'][1]} seeds",
        )
    else:
        decided, needs = "undecided", f": no pilot budget decides its claims with up to {power.MAX_SEEDS} seeds"
    fig.suptitle(
        f"{choice['family']} pilot, {choice['pilot_seeds']} seeds per learner and budget\n"
        f"chosen (red band): budget {choice['budget']:,}, {choice['seeds']} seeds, {decided}{needs}",
        fontsize=10,
    )
    fig.tight_layout()
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
