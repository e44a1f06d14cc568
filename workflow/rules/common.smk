# Shared settings: the validated config, the results folder, the CLI's config arguments, and the
# settings hashes that make Snakemake rerun exactly the jobs a config edit affects.
import os
import sys
from pathlib import Path

from replication.analysis import cost
from replication.analysis.audit import CLAIMS_DIR
from replication.analysis.rehearsal import earlier_tables
from replication.analysis.outputs import AUDIT_GROUP, FIGURES, REPORT_GROUPS, TABLES
from replication.config import (
    ConfigError,
    analysis_config,
    config_hash,
    configured_algorithms,
    evaluation_config,
    load_config,
    resolve,
    run_config,
)
from replication.experiments.seed_group import seed_jobs
from replication.registry import (
    GAUSSIAN_SQUEEZE,
    ISING,
    SEMI_COOPERATIVE,
    TASKS,
    family_of,
)
from replication.validation import check_tasks

# Snakemake lists --configfile files first although they override the Snakefile's `configfile:`.
_OVERRIDES = [os.path.relpath(p) for p in workflow.overwrite_configfiles]
CONFIG_FILES = [
    os.path.relpath(p)
    for p in workflow.configfiles
    if os.path.relpath(p) not in _OVERRIDES
] + _OVERRIDES

try:
    CFG = check_tasks(resolve(config))
    if CFG != load_config(CONFIG_FILES, config.get("preset")):
        raise ConfigError(
            "--config KEY=VALUE overrides other than preset are not passed to the jobs; "
            "put them in a YAML file and add it with --configfile"
        )
except ConfigError as err:
    sys.exit(f"config error: {err}")

RESULTS = f"results/{CFG.results_name}"
# the tasks this scale runs (config `tasks`; every task where it names none)
RUN_TASKS = set(CFG.tasks) if CFG.tasks else set(TASKS)
# every job's software: the package and its pinned dependencies (`snakemake --sdm conda` builds it
# once, from this file's content, for every rule that names it; the pip route in the README is the
# tested one). Relative to the rule files in workflow/rules/.
CONDA_ENV = "../envs/replication.yaml"
SEEDS = CFG.seeds
# the benchmarks (python -m replication bench) the audit reads its cost estimates from
BENCH_FILES = sorted(str(path) for path in Path("results/bench").glob("*.csv"))
# the papers' claims (replication/claims/*.yaml): editing one reruns the audit
PAPER_CLAIMS = sorted(str(path) for path in CLAIMS_DIR.glob("*.yaml"))


class CommandLineConfig:
    """The jobs' `--config FILE ... --preset NAME` arguments, handed to the shell as a param.

    Snakemake compares a rule's params between runs to decide what to rerun, but skips values
    that are not plain data, as this one is. That is deliberate: which files the settings came
    from is not a reason to rerun; the settings are, and each rule carries their hash as the
    param `settings` (see replication.config.run_config)."""

    def __init__(self, files, preset):
        self.text = (
            " ".join(f"--config {path}" for path in files) + f" --preset {preset}"
        )

    def __str__(self):
        return self.text


CLI_CONFIG = CommandLineConfig(CONFIG_FILES, CFG.preset)


class CommandLineSeeds:
    """A job's `--seed` arguments. Not plain data, so Snakemake does not compare it between runs
    (see CommandLineConfig): where a seed's results do not depend on the seeds trained beside it
    (battle), regrouping the seeds into jobs is no reason to rerun them."""

    def __init__(self, seeds):
        self.text = " ".join(map(str, seeds))

    def __str__(self):
        return self.text


# The other variant (config `compare_tasks`): the reference code's choices when this run is the
# paper's, and back, into results/<scale>[-<preset>] of its own.
OTHER_CFG = load_config(CONFIG_FILES, CFG.other_preset)
OTHER_RESULTS = f"results/{OTHER_CFG.results_name}"
OTHER_CLI_CONFIG = CommandLineConfig(CONFIG_FILES, OTHER_CFG.preset)


def run_settings(task=None, cfg=CFG):
    """Param function: the hash of what determines one run (its config.yaml)."""

    def settings(wildcards):
        return config_hash(
            run_config(cfg, task or wildcards.task, wildcards.algo, int(wildcards.seed))
        )

    return settings


def seeds_settings(seeds):
    """Param function: the hash of what determines the runs of a job of several seeds."""

    def settings(wildcards):
        return config_hash(
            {
                seed: run_config(CFG, wildcards.task, wildcards.algo, seed)
                for seed in seeds
            }
        )

    return settings


def seed_pattern(wildcards):
    """Param function: a job's run folders, `{seed}` left for the CLI to fill in."""
    return f"{RESULTS}/runs/{wildcards.task}/{wildcards.algo}/seed{{seed}}"


def seed_jobs_by_group():
    """{seeds of one job: the paper-B algorithms whose runs are grouped so} (seed_group.seed_jobs)."""
    groups = {}
    for task in SEMI_COOPERATIVE.tasks:
        for algo in configured_algorithms(CFG, task):
            for seeds in seed_jobs(algo, CFG):
                groups.setdefault(seeds, set()).add(algo)
    return {seeds: sorted(algos) for seeds, algos in groups.items()}


def battle_settings(wildcards, seeds):
    """Param function: the hash of what determines a battle training job's runs but their seeds
    (each seed has output files of its own). How the seeds are grouped into jobs is not in it: a
    seed's results are the same alone or beside others; but with `battle.stacked_update`, whose
    seeds' updates are made together, the job's seeds are."""
    resolved = run_config(CFG, "battle", wildcards.algo, 0)
    settings = {key: value for key, value in resolved.items() if key != "seed"}
    if resolved["battle"].get("stacked_update"):
        settings["stacked_with"] = list(seeds)
    return config_hash(settings)


def battle_seed_jobs():
    """The seeds of battle's jobs, `battle.seeds_per_job` at a time (seed_group.seed_jobs)."""
    return seed_jobs(None, CFG, family="battle")


# A job's runtime and memory requests: measured, not typed, where its rule sets `runtime_safety` or
# `mem_safety` (analysis/cost.py: the rehearsal's projection of the job, results/rehearsal/cost.csv, or
# for the runtime else the benchmarks' in results/bench, × the safety factor).
BENCHES = cost.load_benches("results/bench")
MEASURED = cost.load_measured()


def job_runtime(rule, task, algo, seeds=(), rows="", device="cpu", untrained=False):
    """Minutes the job asks for (the `runtime` resource)."""
    job = cost.Job(task, algo, tuple(seeds), rows, untrained)
    return cost.requested_minutes(
        getattr(CFG.resources, rule), job, CFG, BENCHES, device, rule, MEASURED
    )


def job_mem_mb(rule, task, algo, seeds=(), rows="", device="cpu", untrained=False):
    """MB the job asks for (the `mem_mb` resource)."""
    job = cost.Job(task, algo, tuple(seeds), rows, untrained)
    return cost.requested_mb(
        getattr(CFG.resources, rule), job, CFG, rule, MEASURED, device
    )


EVALUATION_SETTINGS = {
    job: config_hash(evaluation_config(CFG, job)) for job in ("tournament", "scripted")
}
ANALYSIS_SETTINGS = config_hash(analysis_config(CFG))
AUDIT_SETTINGS = config_hash(analysis_config(CFG, audit=True))


def results_folder(levels_up):
    """Param function: the results folder, read off the job's first output `levels_up` folders up."""
    return lambda wildcards, output: str(Path(output[0]).parents[levels_up])


def one_of(names):
    """A wildcard constraint: exactly one of these names (from replication.registry)."""
    return "|".join(names)


def run_files(task, algos, name="metrics.csv", seeds=SEEDS, results=RESULTS):
    return expand(
        f"{results}/runs/{task}/{{algo}}/seed{{seed}}/{name}", algo=algos, seed=seeds
    )


TABLE_FILES = [
    f"{RESULTS}/tables/{name}.{ext}"
    for names in TABLES.values()
    for name in names
    for ext in ("csv", "md", "html")
]
FIGURE_FILES = [
    f"{RESULTS}/figures/{name}.png" for names in FIGURES.values() for name in names
]
# every run's provenance.json in one table, written with the tables (kept when the runs are not)
PROVENANCE_TABLE = f"{RESULTS}/provenance.csv"


KINDS = {".png": "figure", ".html": "table", ".gif": "animation"}


def in_report(path, group, kind=None):
    """`path` marked for `snakemake --report`, with its caption (workflow/report/<stem>.rst),
    under the paper and experiment `group` of replication.analysis.outputs.REPORT_GROUPS.
    One label only: with a second label of two values the report turns it into a toggle, and a
    group of one figure and one table (Gaussian Squeeze) then shows a blank page.
    """
    category, subcategory = REPORT_GROUPS.get(group, AUDIT_GROUP)
    return report(
        path,
        caption=f"../report/{Path(path).stem}.rst",
        category=category,
        subcategory=subcategory,
        labels={"item": f"{Path(path).stem} ({kind or KINDS[Path(path).suffix]})"},
    )


REPORTED_TABLES = [
    in_report(f"{RESULTS}/tables/{name}.html", group)
    for group, names in TABLES.items()
    for name in names
]
TABLE_TEXTS = [
    f"{RESULTS}/tables/{name}.{ext}"
    for names in TABLES.values()
    for name in names
    for ext in ("csv", "md")
]
REPORTED_FIGURES = [
    in_report(f"{RESULTS}/figures/{name}.png", group)
    for group, names in FIGURES.items()
    for name in names
]
