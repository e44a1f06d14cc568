"""Generated documentation: the numbers in README.md and docs/ come from committed files, and the
CLI and configuration references from the parser and the settings dataclasses.

A page holds generated text between `<!-- generated: NAME -->` and `<!-- /generated -->`; `write`
fills every such block from BLOCKS[NAME] (and writes the reference pages whole), `stale` lists the
blocks and pages whose committed text differs from what the files give now (a test fails on any).
`python -m replication docs` writes them, `--check` only reports.

Sources: a scale's wall time is the span of its runs (earliest start to latest end in
`results/<scale>/provenance.csv`, the tables, figures, audit and battle evaluations left out), its
CPU-hours its jobs' wall seconds × threads (the seeds of a job, which share its start, counted
once); verdict counts come from `results/<scale>/audit.csv`.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import typing
from pathlib import Path

import pandas as pd

from replication import io
from replication.config import SCALES

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)
PAGES_WITH_BLOCKS = ("README.md", "docs/index.md", "docs/scales.md", "docs/audit.md", "docs/slurm.md", "docs/benchmarks.md")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def scale_run(root: Path, scale: str) -> dict | None:
    """What a scale's committed provenance.csv says of its last make: the runs' span, CPU-hours,
    the largest run's peak memory, its commit and date; None where none is committed (a local
    run's uncommitted provenance.csv, as a smoke run leaves, is not read)."""
    path = root / "results" / scale / "provenance.csv"
    if not path.is_file() or not _committed(root, path):
        return None
    runs = pd.read_csv(path)
    start, end = pd.to_datetime(runs["start"]), pd.to_datetime(runs["end"])
    # seeds trained together in one job share its start and each record its wall time: one job each
    jobs = runs.assign(start=start).groupby(["task", "algo", "start"])[["wall_seconds", "threads"]].max()
    return {
        "runs": len(runs),
        "span": _duration((end.max() - start.min()).total_seconds()),
        "cpu_hours": float((jobs["wall_seconds"] * jobs["threads"]).sum() / 3600),
        "max_rss_mb": float(runs["max_rss_mb"].max()),
        "commit": ", ".join(sorted({c[:7] for c in runs["git_commit"]})),
        "date": start.min().strftime("%Y-%m-%d"),
        "cpu": ", ".join(sorted(set(runs["cpu"]))),
    }


def _committed(root: Path, path: Path) -> bool:
    """Whether git tracks `path` (a local smoke or paper run is not what the pages describe);
    outside a git checkout, every file counts."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "--error-unmatch", str(path.relative_to(root))], cwd=root, capture_output=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return True
    return proc.returncode == 0 or b"not a git repository" in proc.stderr


SCALE_PURPOSE = {
    "smoke": "the whole pipeline in minutes, for tests and CI; every verdict inconclusive by design",
    "rehearsal": "the paper scale's settings for each run's first minutes: every paper-scale code path, each job's "
    "cost measured and projected (`cost.csv`), kill-and-resume checked; every verdict inconclusive",
    "default": "what `snakemake` runs: Ising and Gaussian Squeeze at the paper's scale, battle and paper B reduced",
    "decisive": "the power rule's choice from its pilots; decides no central claim today",
    "workstation": "battle's central claims at the paper's 2000 rounds on 8 v 8, for a 16-core machine",
    "central": "the four central claims at the papers' own training protocol (battle: workstation's settings; "
    "pursuit and resource sharing: paper's), one seed per job, run here over many sittings",
    "paper": "the papers' own settings, for a cluster or a GPU node (its projected cost: the rehearsal's)",
}


def scales_table(root: Path = ROOT) -> str:
    rows = ["| scale | what it is for | last made (runs' span, from `results/<scale>/provenance.csv`) |", "|---|---|---|"]
    for scale in SCALES:
        made = scale_run(root, scale)
        when = (
            "not committed"
            if made is None
            else f"{made['span']} for {made['runs']} runs, {made['cpu_hours']:.1f} CPU-hours, peak {made['max_rss_mb']:.0f} MB "
            f"({made['date']}, {made['commit']}, {made['cpu']})"
        )
        rows.append(f"| {scale} | {SCALE_PURPOSE[scale]} | {when} |")
    return "\n".join(rows) + "\n"


def _audit(root: Path, scale: str) -> pd.DataFrame | None:
    """A scale's audit.csv (empty cells as ""), or None where there is none."""
    path = root / "results" / scale / "audit.csv"
    return pd.read_csv(path, keep_default_na=False) if path.is_file() else None


def _costs(root: Path) -> pd.DataFrame | None:
    """The committed rehearsal's cost table (analysis/rehearsal.py), or None."""
    path = root / "results" / "rehearsal" / "cost.csv"
    return pd.read_csv(path) if path.is_file() and _committed(root, path) else None


def verdict_summary(root: Path = ROOT, scale: str = "default") -> str:
    audit = _audit(root, scale)
    if audit is None:
        return f"No audit is committed for the {scale} scale.\n"
    counts = audit["verdict"].value_counts()
    informative = int(((audit["verdict"] == "reproduced") & (audit["informative"] == "yes")).sum())
    return (
        f"{len(audit)} claims at the {scale} scale: **{counts.get('reproduced', 0)} reproduced** "
        f"({informative} informative: neither a null model nor the untrained network passes too), "
        f"**{counts.get('not reproduced', 0)} not reproduced**, **{counts.get('inconclusive', 0)} inconclusive** "
        f"(from `results/{scale}/audit.csv`).\n"
    )


def paper_cost(root: Path = ROOT) -> str:
    """The paper scale as the committed rehearsal projects it (`results/rehearsal/cost.csv`,
    analysis/rehearsal.py `paper_cost_summary`)."""
    from replication.analysis.rehearsal import paper_cost_summary

    costs = _costs(root)
    if costs is None:
        return "No rehearsal is committed: run it (above) to project the paper scale's cost.\n"
    summary = paper_cost_summary(costs)
    made = scale_run(root, "rehearsal")
    rows = [
        "| part | jobs | CPU-hours | longest job | one 16-core node | a cluster | asked for (CPU-hours) | largest memory request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples(index=False):
        rows.append(
            f"| {row.part} | {row.jobs} | {row.cpu_hours:.0f} | {row.longest_job_hours:.1f} h | "
            f"{row.node_16_cores_hours:.1f} h | {row.cluster_hours:.1f} h | {row.requested_cpu_hours:.0f} | "
            f"{row.largest_request_mb / 1000:.1f} GB |"
        )
    source = f" ({made['date']}, {made['commit']}, {made['cpu']})" if made else ""
    from replication.analysis.rehearsal import earlier_tables

    earlier = []
    for path in earlier_tables(root / "results" / "rehearsal"):
        table = pd.read_csv(path)
        total = paper_cost_summary(table).set_index("part").loc["all", "cpu_hours"]
        ratios = (costs.set_index("job")["projected_minutes"] / table.set_index("job")["projected_minutes"]).dropna()
        earlier.append(
            f"`{path.relative_to(root)}` projected {total:,.0f} CPU-hours; job by job, this rehearsal's "
            f"projections were {ratios.min():.2f}–{ratios.max():.2f} × its."
        )
    record = (
        " The earlier rehearsals on record, on the same machine type: " + " ".join(earlier) + " Requests cover "
        "each job's largest projection on record (`projected_minutes_on_record`, `projected_mb_on_record`)."
        if earlier
        else ""
    )
    return (
        "\n".join(rows) + f"\n\nProjected from `results/rehearsal/cost.csv`{source}: a cluster runs every "
        "training job at once, then the evaluations, which need every model; the Ising and Gaussian "
        f"Squeeze jobs (the default scale's, minutes) are left out.{record}\n"
    )


def command_durations(root: Path = ROOT) -> str:
    """How long the README's two long commands took when last measured: the default scale's runs
    (their span, from results/default/provenance.csv) and the test suite (results/test_suite.json,
    written from the `time` of a run of `python -m pytest` in a fresh clone)."""
    import json

    lines = []
    made = scale_run(root, "default")
    if made is not None:
        lines.append(
            f"- `snakemake --cores 2` (the default scale): its {made['runs']} runs span {made['span']} "
            f"({made['date']}, {made['commit']}, {made['cpu']}); the tables, figures and audit add minutes."
        )
    path = root / "results" / "test_suite.json"
    if path.is_file() and _committed(root, path):
        suite = json.loads(path.read_text())
        lines.append(
            f"- `python -m pytest`: {_duration(suite['wall_seconds'])} for {suite['passed']} tests passed "
            f"({suite['skipped']} skipped) on {suite['cpu']}, {suite['cores']} cores ({suite['date']}, {suite['commit']}; "
            f"{suite['conditions']}). It runs the smoke pipeline through Snakemake too."
        )
    return "\n".join(lines) + "\n" if lines else "No duration is on record yet.\n"


def rehearsal_made(root: Path = ROOT) -> str:
    """The rehearsal command's measured wall time (results/rehearsal/made.json, written from the
    `time` of the make that produced the committed results)."""
    import json

    path = root / "results" / "rehearsal" / "made.json"
    if not path.is_file() or not _committed(root, path):
        return "No rehearsal is committed yet.\n"
    made = json.loads(path.read_text())
    span = scale_run(root, "rehearsal")
    between = (
        f" The scales table's {span['span']} is the span of its {span['runs']} training runs (first start to last "
        "end, from their provenance.json); the command's wall time also holds its other jobs: the battle "
        "evaluations, the tables, figures, audit and cost table, and the kill-and-resume checks."
        if span is not None
        else ""
    )
    return (
        f"Measured: **{_duration(made['wall_seconds'])}** for {made['jobs']} jobs on {made['machine']}, "
        f"peak {made['max_rss_mb']:.0f} MB ({made['date']}, {made['commit']}; `results/rehearsal/made.json` says how)."
        + between
        + "\n"
    )


def paper_cost_heading(root: Path = ROOT) -> str:
    """The README's heading, with the paper scale's CPU-hours as the committed rehearsal projects them."""
    from replication.analysis.rehearsal import paper_cost_summary

    costs = _costs(root)
    if costs is None:
        return "## Before you spend the paper scale's CPU-hours\n"
    total = paper_cost_summary(costs).set_index("part").loc["all", "cpu_hours"]
    return f"## Before you spend {total:,.0f} CPU-hours\n"


def _span(values, fmt) -> str:
    low, high = min(values), max(values)
    return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)}–{fmt(high)}"


def paper_jobs(root: Path = ROOT) -> str:
    """Per Slurm rule of the paper scale: its jobs, threads, and (from the committed rehearsal's
    cost.csv) the work projected per job and what each asks for."""
    table = _costs(root)
    if table is None:
        return "No rehearsal is committed: its cost table gives each paper-scale job's requests.\n"
    rows = ["| rule | jobs | threads | projected per job | time limit asked | memory asked |", "|---|---|---|---|---|---|"]
    for rule, part in table.groupby("rule", sort=False):
        hours = part["projected_minutes"] / 60
        rows.append(
            f"| {rule} | {int(part['paper_jobs'].sum())} | {_span(part['threads'], str)} | "
            f"{_span(hours, lambda h: f'{h:.1f} h')} | {_span(part['requested_minutes'] / 60, lambda h: f'{h:.1f} h')} | "
            f"{_span(part['requested_mb'] / 1000, lambda g: f'{g:.1f} GB')} |"
        )
    return (
        "\n".join(rows)
        + "\n\nFrom `results/rehearsal/cost.csv` (one row per job there; `snakemake -n` shows each job's request).\n"
    )


def verdict_lists(root: Path = ROOT, scale: str = "default") -> str:
    """Which claims got which verdict at `scale` (from its committed audit.csv), with our value."""
    audit = _audit(root, scale)
    if audit is None:
        return f"No audit is committed for the {scale} scale.\n"

    from replication.analysis.audit import load_claims

    claims = {claim.id: claim for claim in load_claims()}

    def named(claim_id: str, value: float) -> str:
        """A value with its measure: `measure value`, or `P(X>Y) of measure value` for a comparison."""
        claim = claims.get(claim_id)
        if claim is None:
            return f"{value:.3g}"
        if claim.rule == "improves":
            return f"{'P(X>Y)' if claim.better == 'higher' else 'P(X<Y)'} of {claim.measure} {value:.3g}"
        return f"{claim.measure} {value:.3g}"

    def listed(rows: pd.DataFrame) -> str:
        return (
            "; ".join(
                f"`{row.id}` ({named(row.id, float(row.ours))})" if row.ours != "" else f"`{row.id}`" for row in rows.itertuples()
            )
            or "none"
        )

    reproduced = audit[audit["verdict"] == "reproduced"]
    inconclusive = audit[audit["verdict"] == "inconclusive"]
    return (
        f"- **Reproduced, informative** ({(reproduced['informative'] == 'yes').sum()}): "
        f"{listed(reproduced[reproduced['informative'] == 'yes'])}\n"
        f"- **Reproduced, but a null model or the untrained network passes too** "
        f"({(reproduced['informative'] != 'yes').sum()}): {listed(reproduced[reproduced['informative'] != 'yes'])}\n"
        f"- **Not reproduced** ({(audit['verdict'] == 'not reproduced').sum()}): "
        f"{listed(audit[audit['verdict'] == 'not reproduced'])}\n"
        f"- **Inconclusive** ({len(inconclusive)}): {(inconclusive['inconclusive_because'] == 'scale').sum()} need a "
        f"larger scale, {(inconclusive['inconclusive_because'] == 'interval').sum()} have an interval that "
        f"straddles their band"
        + (
            f", {(inconclusive['inconclusive_because'] == '').sum()} for another reason (too few seeds, an undefined measure)"
            if (inconclusive['inconclusive_because'] == '').any()
            else ""
        )
        + " (each claim's reason is in `audit.csv`).\n\n"
        f"Our value in brackets, after the measure it is a value of (`python -m replication measures` says what each "
        f"measures); its interval, the paper's value and the reason are in `results/{scale}/audit.md`.\n"
    )


def pilot_choices(root: Path = ROOT) -> str:
    """Each family's pilot and the power rule's choice (the committed results/pilot/<family>/choice.json)."""
    import json

    rows = [
        "| family | central claims | pilot budgets: why each does not decide | choice | the paper's protocol at 5 seeds |",
        "|---|---|---|---|---|",
    ]
    for path in sorted((root / "results" / "pilot").glob("*/choice.json")):
        choice = json.loads(path.read_text())
        budgets = "; ".join(f"**{b}**: {v['why_not'] or 'qualifies'}" for b, v in choice["budgets"].items())
        decided = "decides its claims" if choice["decided"] else "undecided"
        cost = choice.get("protocol_cost") or {}
        protocol = (
            f"{cost['protocol_budget']:,}: {cost['core_hours']:.1f} core-hours, {cost['wall_hours_2_cores']:.1f} h "
            f"on 2 cores, {cost['wall_hours_16_cores']:.1f} h on 16"
            if cost
            else "–"
        )
        rows.append(
            f"| {choice['family']} | {', '.join(f'`{c}`' for c in choice['claims'])} | {budgets} | "
            f"{choice['budget']:,} at {choice['seeds']} seeds, {decided} | {protocol} |"
        )
    if len(rows) == 2:
        return "No pilot is committed.\n"
    return (
        "\n".join(rows)
        + "\n\nFrom `results/pilot/<family>/choice.json` (its `pilot.csv`, `timing.csv` and `scale_study.png` beside it).\n"
    )


def central_verdicts(root: Path = ROOT, scale: str = "decisive") -> str:
    """The central claims' verdicts at `scale` (its committed audit.csv; the claims the pilots judge)."""
    import json

    audit = _audit(root, scale)
    if audit is None:
        return f"No audit is committed for the {scale} scale.\n"
    audit = audit.set_index("id")
    claims = [c for p in sorted((root / "results" / "pilot").glob("*/choice.json")) for c in json.loads(p.read_text())["claims"]]
    rows = ["| central claim | verdict | ours [95% interval] | needs |", "|---|---|---|---|"]
    for claim in claims:
        if claim not in audit.index:
            continue
        row = audit.loc[claim]
        value = (
            f"{float(row['ours']):.2f} [{float(row['ci_low']):.2f}, {float(row['ci_high']):.2f}]"
            if row["ours"] != "" and row["ci_low"] != ""
            else (f"{float(row['ours']):.2f}" if row["ours"] != "" else "undefined")
        )
        rows.append(f"| `{claim}` | {row['verdict']} | {value} | {row['needs_scale'] or '–'} scale |")
    return "\n".join(rows) + f"\n\nFrom `results/{scale}/audit.csv`.\n"


CENTRAL_FAMILY = {
    "A-battle-mfq-beats-il": "battle",
    "A-battle-ranking": "battle",
    "B-pursuit-welfare-ped-vs-idqn": "pursuit",
    "B-resource-welfare-ped-vs-idqn": "resource_sharing",
}
CENTRAL_PROTOCOL = {
    "battle": "2000 self-play rounds, 8 v 8 (workstation settings)",
    "pursuit": "1M steps (paper settings)",
    "resource_sharing": "2M steps (paper settings)",
}


def central_claims_table(root: Path = ROOT) -> str:
    """The README's front table: the four central claims as the committed central audit judges them
    (results/central/audit.csv), the protocol, "learned k of n", and the CPU-hours their family's
    finished jobs took (results/central/calibration.csv); before the audit, the jobs done."""
    folder = root / "results" / "central"
    calibration = folder / "calibration.csv"
    spent = (
        pd.read_csv(calibration).assign(family=lambda t: t["family"]).groupby("family")["measured_minutes"].sum() / 60
        if calibration.is_file() and _committed(root, calibration)
        else pd.Series(dtype=float)
    )
    audit = _audit(root, "central") if (folder / "audit.csv").is_file() and _committed(root, folder / "audit.csv") else None
    rows = [
        "| central claim | verdict | ours [95% interval] | protocol | learned | CPU-hours so far |",
        "|---|---|---|---|---|---|",
    ]
    for claim, family in CENTRAL_FAMILY.items():
        hours = f"{spent.get(family, 0.0):.1f}"
        if audit is None or claim not in set(audit["id"]):
            rows.append(f"| `{claim}` | not yet judged | – | {CENTRAL_PROTOCOL[family]} | – | {hours} |")
            continue
        row = audit.set_index("id").loc[claim]
        value = (
            f"{float(row['ours']):.2f} [{float(row['ci_low']):.2f}, {float(row['ci_high']):.2f}]"
            if row["ours"] != "" and row["ci_low"] != ""
            else "undefined"
        )
        rows.append(
            f"| `{claim}` | {row['verdict']} | {value} | {CENTRAL_PROTOCOL[family]} | {row.get('learned', '') or '–'} | {hours} |"
        )
    progress = folder / "progress.md"
    done = ""
    if progress.is_file() and _committed(root, progress):
        import re

        found = re.search(r"\*\*(\d+) of (\d+) jobs done", progress.read_text())
        done = f" {found.group(1)} of {found.group(2)} central jobs done (`results/central/progress.md`)." if found else ""
    return "\n".join(rows) + f"\n\nFrom `results/central/audit.csv` and `calibration.csv`.{done}\n"


ALGO_LABELS = {
    "mfq": "MF-Q",
    "il": "IL",
    "mfac": "MF-AC",
    "ac": "AC",
    "ped_dqn": "PED-DQN",
    "idqn": "IDQN",
    "pe_dqn": "PE-DQN",
    "reward_sharing": "reward sharing",
    "qmix": "QMIX",
}


def _last_change(root: Path, path: Path) -> str:
    """The date of the commit that last changed `path` (when its measurement was committed)."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ad", "--date=short", "--", str(path.relative_to(root))],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "uncommitted"


def _bench_table(root: Path, files: list[str], columns: dict[str, tuple[str, str]], by_task: bool = False) -> str:
    """A table of committed benchmark rows: one row per (task and) algorithm, one column per
    measure ({measure: (heading, format)}), then where each file's figures come from."""
    frames = [
        pd.read_csv(root / "results" / "bench" / name).assign(file=name)
        for name in files
        if (root / "results" / "bench" / name).is_file()
    ]
    if not frames:
        return "No benchmark is committed.\n"
    bench = pd.concat(frames, ignore_index=True)
    bench["task"] = bench["file"].map(lambda name: Path(name).stem.split("-")[0])
    keys = ["task", "algo"] if by_task else ["algo"]
    rows = [
        f"| {' | '.join(['task'] * by_task + ['algorithm'] + [head for head, _ in columns.values()])} |",
        "|" + "---|" * (len(keys) + len(columns)),
    ]
    learners = bench[bench["algo"] != "-"]
    for key, part in learners.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        values = dict(zip(part["measure"], part["value"]))
        cells = [format(values[m], fmt) if m in values else "–" for m, (_, fmt) in columns.items()]
        labels = [*key[:-1], ALGO_LABELS.get(key[-1], key[-1])]
        rows.append(f"| {' | '.join([*labels, *cells])} |")
    env = dict(
        zip(
            bench.loc[bench["measure"] == "env_only_steps_per_second", "file"],
            bench.loc[bench["measure"] == "env_only_steps_per_second", "value"],
        )
    )
    lines = []
    for name, part in bench.groupby("file", sort=False):
        first = part.iloc[0]
        machine = (
            f"{first['cpu']}, {int(first['threads'])} thread(s), torch {first['torch']}, "
            if "cpu" in part and pd.notna(first.get("cpu"))
            else "machine not recorded, "
        )
        lines.append(
            f"`results/bench/{name}`: {machine}committed {_last_change(root, root / 'results' / 'bench' / name)}"
            + (f"; the task alone {env[name]:,.0f} steps/s" if name in env else "")
        )
    return "\n".join(rows) + "\n\n" + "".join(f"- {line}\n" for line in lines)


def bench_battle(root: Path = ROOT) -> str:
    return _bench_table(
        root,
        ["battle.csv", "battle-ped_dqn.csv"],
        {
            "acting_steps_per_second": ("acting steps/s", ",.0f"),
            "acting_over_floor": ("acting ÷ its floor", ".2f"),
            "round_seconds": ("s per training round", ".1f"),
            "gradient_steps": ("gradient steps per round", ",.0f"),
            "gradient_floor_seconds": ("gradient floor (s)", ".1f"),
            "round_over_floor": ("round ÷ gradient floor", ".2f"),
            "gradient_samples_per_second": ("gradient samples/s", ",.0f"),
        },
    )


def bench_battle_grouped(root: Path = ROOT) -> str:
    return _bench_table(
        root,
        ["grouped/battle.csv"],
        {
            "seed_round_seconds_k1": ("s per seed-round, 1 seed", ".1f"),
            "seed_round_seconds_k5": ("5 seeds in one job", ".1f"),
            "group_speedup_k5": ("5 seeds' speed-up", ".2f"),
        },
    )


def bench_paper_b(root: Path = ROOT) -> str:
    return _bench_table(
        root,
        ["prisoners_dilemma.csv", "pursuit.csv", "resource_sharing.csv", "tiger_deer.csv"],
        {
            "training_steps_per_second": ("training steps/s", ",.0f"),
            "gradient_floor_steps_per_second": ("gradient floor (/s)", ",.0f"),
            "evaluation_steps_per_second": ("greedy evaluation steps/s", ",.0f"),
            "seed_steps_per_second_k1": ("1 seed (seed-steps/s)", ",.0f"),
            "seed_steps_per_second_k5": ("5 seeds in one job", ",.0f"),
            "group_speedup_k5": ("×", ".2f"),
        },
        by_task=True,
    )


def bench_small_teams(root: Path = ROOT) -> str:
    """Acting at a few agents per side (`bench battle --small-teams`, results/bench/small_teams/battle.csv):
    a team's forward pass with its layers applied through nn.Module calls (as before) and by
    `nets.run_layers` (now), against its arithmetic, and a round's acting and learning."""
    path = root / "results" / "bench" / "small_teams" / "battle.csv"
    if not path.is_file():
        return "No small-team benchmark is committed.\n"
    frame = pd.read_csv(path)
    value = frame.set_index(["algo", "agents_per_side", "measure"])["value"]
    columns = {
        "acting_pass_module_calls_ms": ("pass, module calls (ms)", ".3f"),
        "acting_pass_ms": ("pass now (ms)", ".3f"),
        "acting_pass_arithmetic_ms": ("its arithmetic (ms)", ".3f"),
        "acting_pass_over_arithmetic": ("now ÷ arithmetic", ".1f"),
        "round_acting_seconds": ("a round's acting (s)", ".2f"),
        "round_learning_seconds": ("its learning (s)", ".2f"),
    }
    rows = [
        "| algorithm | agents per side | " + " | ".join(head for head, _ in columns.values()) + " | saved |",
        "|---|---|" + "---|" * (len(columns) + 1),
    ]
    for (algo, agents), _ in frame.groupby(["algo", "agents_per_side"], sort=False):
        cells = [format(value[(algo, agents, m)], fmt) if (algo, agents, m) in value else "–" for m, (_, fmt) in columns.items()]
        before, now = value[(algo, agents, "acting_pass_module_calls_ms")], value[(algo, agents, "acting_pass_ms")]
        rows.append(f"| {ALGO_LABELS.get(algo, algo)} | {agents} | {' | '.join(cells)} | {1 - now / before:.0%} |")
    first = frame.iloc[0]
    return (
        "\n".join(rows) + f"\n\n- `results/bench/small_teams/battle.csv`: {first['cpu']}, {int(first['threads'])} thread(s), "
        f"torch {first['torch']}, committed {_last_change(root, path)}\n"
    )


BLOCKS = {
    "scales": scales_table,
    "verdicts": verdict_summary,
    "verdict-lists": verdict_lists,
    "pilot-choices": pilot_choices,
    "decisive-central": central_verdicts,
    "decisive-verdicts": lambda root=ROOT: verdict_summary(root, "decisive"),
    "paper-cost": paper_cost,
    "paper-cost-heading": paper_cost_heading,
    "rehearsal-made": rehearsal_made,
    "paper-jobs": paper_jobs,
    "bench-battle": bench_battle,
    "bench-battle-grouped": bench_battle_grouped,
    "bench-paper-b": bench_paper_b,
    "bench-small-teams": bench_small_teams,
    "central-claims": central_claims_table,
    "command-durations": command_durations,
}


# What a measured figure looks like in prose: a number with a unit of time, memory, throughput or
# cost, a verdict count or a test count. Outside generated blocks, code (fenced or inline: commands,
# settings and budgets are written as code) and the generated reference pages, none may appear.
MEASURED = re.compile(
    r"(?<![\w.])\d[\d  ,.]*\s?(?:s|min|h|ms|CPU-hours?|core-hours?|MB|GB|MiB|GiB|KiB|steps/s|rounds?/s|% CPU)(?![\w/])"
    r"|(?<![\w.])\d+ (?:claims|reproduced|not reproduced|inconclusive|passed|tests)\b"
)
UNSOURCED_SCOPE = ("README.md", "docs")


def unsourced_numbers(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(page, line, text) of every measured-looking figure typed outside a generated block."""
    fence, inline = re.compile(r"```.*?```", re.S), re.compile(r"`[^`\n]*`")
    whole = {root / page for page in REFERENCES}  # generated whole, from the code and the claims files
    pages = [root / "README.md", *sorted(p for p in (root / "docs").rglob("*.md") if p not in whole)]
    found = []
    for page in pages:
        text = page.read_text()

        def blank(m):  # a match replaced by spaces, its line breaks kept (so line numbers hold)
            return re.sub(r"[^\n]", " ", m.group())

        text = inline.sub(blank, fence.sub(blank, BLOCK.sub(blank, text)))
        for m in MEASURED.finditer(text):
            found.append((str(page.relative_to(root)), text.count("\n", 0, m.start()) + 1, m.group().strip()))
    return found


def fill_blocks(text: str, root: Path = ROOT) -> str:
    """`text` with every generated block filled anew; an unknown block name is an error."""

    def fill(match):
        name = match.group("name")
        if name not in BLOCKS:
            raise KeyError(f"unknown generated block {name!r}")
        return match.group(1) + BLOCKS[name](root) + match.group(4)

    return BLOCK.sub(fill, text)


# --- references ----------------------------------------------------------------------------------


def cli_reference(root: Path = ROOT) -> str:
    """Every subcommand of `python -m replication`, its description and its options (from the parser)."""
    from replication.parser import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = ["# Command line", ""]
    examples = root / "docs" / "notes" / "cli.md"  # hand-written examples, kept as written
    if examples.is_file():
        text = examples.read_text().split("\n", 1)[1].lstrip("\n")  # without its own title
        lines += [text.rstrip("\n"), ""]
    lines += [
        "## Every command and option",
        "",
        "Generated from the parser (`python -m replication docs`); `python -m replication COMMAND --help` says the same.",
        "",
    ]
    for name, command in sub.choices.items():
        lines += [f"### {name}", "", command.description or "", "", "| option | default | what it does |", "|---|---|---|"]
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            flags = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{action.dest}`"
            default = "" if action.default in (None, False, argparse.SUPPRESS) else f"`{action.default}`"
            text = (action.help or "").replace("|", "\\|").replace("\n", " ")
            if action.choices and not isinstance(action.choices, dict):
                text += f" (one of {', '.join(map(str, action.choices))})"
            lines.append(f"| {flags} | {default} | {text} |")
        lines.append("")
    return "\n".join(lines)


def _type_name(tp) -> str:
    if typing.get_origin(tp) is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp)).replace("|", "\\|")


RERUNS = {
    "bookkeeping": "nothing",
    "analysis": "the figures",
    "audit": "the audit",
    "selection": "adds or drops runs",
    "tournament": "the tournament",
    "scripted": "the scripted evaluation",
    "evaluation": "the battle evaluations",
    None: "the runs that read it",
}


def _row(f: dataclasses.Field, values: tuple, tp, prefix: str) -> str:
    """One setting: key, type, its value at the default and at the paper scale, and what an edit of
    it reruns (from its tags)."""
    reruns = RERUNS.get(f.metadata.get("role"), f.metadata.get("role"))
    if f.metadata.get("only"):
        reruns += f" ({', '.join(f.metadata['only'])} only)"
    if f.metadata.get("since"):
        reruns += f"; since {f.metadata['since']}"
    default, paper = (f"`{v}`".replace("|", "\\|") for v in values)
    return f"| `{prefix}{f.name}` | {_type_name(tp)} | {default} | {paper if paper != default else '='} | {reruns} |"


def _section_rows(sections: tuple, prefix: str) -> list[str]:
    """Rows of one section, given as (default scale's, paper scale's)."""
    hints = typing.get_type_hints(type(sections[0]))
    rows = []
    for f in dataclasses.fields(sections[0]):
        values = tuple(getattr(section, f.name) for section in sections)
        if dataclasses.is_dataclass(values[0]):
            rows += _section_rows(values, f"{prefix}{f.name}.")
        else:
            rows.append(_row(f, values, hints.get(f.name), prefix))
    return rows


TABLE_HEAD = ["| key | type | default scale | paper scale | an edit reruns |", "|---|---|---|---|---|"]


def config_reference(root: Path = ROOT) -> str:
    """Every setting: its type, its value at the default scale (`workflow/config/default.yaml`) and at
    the paper scale (with `paper.yaml` over it; `=` where the same), and what editing it reruns (its
    `role`, `only` and `since` tags, the ones the rerun logic reads)."""
    from replication.config import SuiteConfig, load_config

    configs = root / "workflow" / "config"
    default = load_config([str(configs / "default.yaml")])
    paper = load_config([str(configs / "default.yaml"), str(configs / "paper.yaml")])
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings dataclasses (`replication/config.py`) and the scales' YAML files "
        "(`python -m replication docs`). A YAML of your own overrides any key (`--configfile`). "
        "\"An edit reruns\" is what changing the key plans: the tags the rerun logic reads.",
        "",
    ]
    hints = typing.get_type_hints(SuiteConfig)
    top = []
    for f in dataclasses.fields(SuiteConfig):
        values = (getattr(default, f.name), getattr(paper, f.name))
        if dataclasses.is_dataclass(values[0]):
            lines += [f"## {f.name}", "", *TABLE_HEAD, *_section_rows(values, f"{f.name}."), ""]
        else:
            top.append(_row(f, values, hints.get(f.name), ""))
    return "\n".join([*lines, "## top level", "", *TABLE_HEAD, *top]) + "\n"


# --- the experiments' pages ----------------------------------------------------------------------

FAMILY_TITLES = {
    "ising_toy": "The Ising model's 3×3 toy",
    "ising": "The Ising model",
    "gaussian_squeeze": "Gaussian Squeeze",
    "battle": "The battle game",
    "semi_cooperative": "The semi-cooperative tasks",
}


def _caption(root: Path, name: str) -> str:
    path = root / "workflow" / "report" / f"{name}.rst"
    return path.read_text().strip() if path.is_file() else ""


def experiments_page(paper: str, root: Path = ROOT) -> str:
    """One paper's figures and tables: for each, the file `snakemake` writes, its report caption
    (`workflow/report/<name>.rst`) and, for a figure, the image of the committed default run; then
    the claims the audit judges, counted by the paper's figure or section they come from."""
    from replication.analysis.audit import load_claims
    from replication.analysis.outputs import FIGURES, REPORT_GROUPS, TABLES

    families = [family for family, (group, _) in REPORT_GROUPS.items() if group.startswith(f"Paper {paper}")]
    title = "Paper A: Mean Field MARL (Yang et al. 2018)" if paper == "A" else "Paper B: PED-DQN (Hostallero et al. 2020)"
    lines = [
        f"# {title}",
        "",
        "Generated from the report's captions (`workflow/report/*.rst`), the list of outputs "
        "(`replication/analysis/outputs.py`) and the claims registry (`python -m replication docs`).",
        "",
        "## How do I reproduce Fig. N?",
        "",
        "`snakemake --cores 2` makes every figure and table below at the default scale; add "
        "`--configfile workflow/config/<scale>.yaml` for another scale. The `figures` rule writes all "
        "figures at once, the `tables` rule all tables, from the runs under `results/<scale>/runs/`; to make "
        "one figure's inputs and the figure, name it: `snakemake --cores 2 results/default/figures/<name>.png`. "
        "The images below are those of the committed default scale.",
        "",
    ]
    for family in families:
        lines += [f"## {FAMILY_TITLES[family]}", ""]
        for name in FIGURES.get(family, []):
            lines += [
                f"### {name}",
                "",
                _caption(root, name),
                "",
                f"`results/<scale>/figures/{name}.png`",
                "",
                f"![{name}](figures/{name}.png)",
                "",
            ]
        for name in TABLES.get(family, []):
            lines += [
                f"### Table {name}",
                "",
                _caption(root, name),
                "",
                f"`results/<scale>/tables/{name}.csv` (and `.md`, `.html`)",
                "",
            ]
    claims = [claim for claim in load_claims() if claim.paper.startswith(paper)]
    counts = pd.Series([claim.figure for claim in claims]).value_counts(sort=False)
    lines += [
        "## The claims the audit judges",
        "",
        f"{len(claims)} claims (`replication/claims/*.yaml`), by the figure or section they come from; "
        "their verdicts are in `results/<scale>/audit.md` ([Reading the audit](audit.md)).",
        "",
        "| from | claims |",
        "|---|---|",
        *(f"| {figure} | {n} |" for figure, n in counts.items()),
        "",
    ]
    notes = root / "docs" / "notes" / f"paper-{paper.lower()}.md"  # hand-written findings, kept as written
    if notes.is_file():
        lines += [notes.read_text().rstrip("\n"), ""]
    return "\n".join(lines)


REFERENCES = {
    "docs/reference/cli.md": cli_reference,
    "docs/reference/configuration.md": config_reference,
    "docs/paper-a.md": lambda root: experiments_page("A", root),
    "docs/paper-b.md": lambda root: experiments_page("B", root),
}


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file's text: the pages with blocks filled, and the references."""
    out = {root / page: fill_blocks((root / page).read_text(), root) for page in PAGES_WITH_BLOCKS if (root / page).is_file()}
    out.update({root / page: make(root) for page, make in REFERENCES.items()})
    return out


def _differing(texts: dict[Path, str]) -> list[Path]:
    return [path for path, text in texts.items() if not path.is_file() or path.read_text() != text]


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose committed text differs from what the files and code give now."""
    return _differing(generated(root))


def write(root: Path = ROOT) -> list[Path]:
    """Write the stale generated files; returns them."""
    texts = generated(root)
    changed = _differing(texts)
    for path in changed:
        io.write_text(path, texts[path])
    return changed
