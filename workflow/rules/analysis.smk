# Runs → tables → figures → audit. Short jobs: run on the submitting machine, never on a cluster.

ALL_RUNS = (
    ISING_RUNS
    + GS_RUNS
    + BATTLE_RUNS
    + (
        [
            BATTLE_TOURNAMENT,
            BATTLE_SCRIPTED,
            BATTLE_TOURNAMENT_UNTRAINED,
            BATTLE_SCRIPTED_UNTRAINED,
        ]
        if "battle" in RUN_TASKS
        else []
    )
    + SEMI_COOPERATIVE_RUNS
    + EVIDENCE_FILES
    + BATTLE_EVIDENCE
)


localrules:
    battle_evidence,
    tables,
    figures,
    audit,
    battle_render,
    rehearsal_cost,


rule tables:
    input:
        ALL_RUNS,
    output:
        REPORTED_TABLES,
        TABLE_TEXTS,
        PROVENANCE_TABLE,
    log:
        f"{RESULTS}/logs/tables.log",
    conda:
        CONDA_ENV
    params:
        settings=ANALYSIS_SETTINGS,
        config=CLI_CONFIG,
        results=results_folder(1),
    shell:
        "python -m replication aggregate --results {params.results} {params.config} > {log} 2>&1"


rule figures:
    input:
        ALL_RUNS,
        TABLE_FILES,
    output:
        REPORTED_FIGURES,
    log:
        f"{RESULTS}/logs/figures.log",
    conda:
        CONDA_ENV
    params:
        settings=ANALYSIS_SETTINGS,
        config=CLI_CONFIG,
        results=results_folder(1),
    shell:
        "python -m replication figures --results {params.results} {params.config} > {log} 2>&1"


# With config `compare_tasks`, the audit also sets the other variant's runs beside ours.
VARIANT_FILES = (
    {
        "variants_md": f"{RESULTS}/audit_variants.md",
        "variants_csv": f"{RESULTS}/audit_variants.csv",
    }
    if CFG.compare_tasks
    else {}
)


rule audit:
    input:
        ALL_RUNS,
        OTHER_VARIANT_RUNS,
        PAPER_CLAIMS,  # the papers' claims, and
        CFG.claims,  # claims files of your own (config `claims`): editing one reruns the audit
        BENCH_FILES,  # the cost of the scale an inconclusive claim needs is read from these
    output:
        **VARIANT_FILES,
        md=f"{RESULTS}/audit.md",
        html=in_report(f"{RESULTS}/audit.html", "audit", "claims"),
        csv=f"{RESULTS}/audit.csv",
    log:
        f"{RESULTS}/logs/audit.log",
    conda:
        CONDA_ENV
    params:
        settings=AUDIT_SETTINGS,
        config=CLI_CONFIG,
        results=results_folder(0),
        compare=f"--compare {OTHER_RESULTS}" if CFG.compare_tasks else "",
    shell:
        "python -m replication audit --results {params.results} {params.config} {params.compare} > {log} 2>&1"


# The rehearsal's cost table (analysis/rehearsal.py): every battle and paper-B job measured and
# projected to the paper scale's job it rehearses, with what paper.yaml asks the scheduler for it.
# The paper scale's config files are the rehearsal's but rehearsal.yaml.
REHEARSAL_COST = (
    {
        "csv": f"{RESULTS}/cost.csv",
        "md": f"{RESULTS}/cost.md",
        "html": in_report(f"{RESULTS}/cost.html", "audit", "table"),
    }
    if CFG.scale == "rehearsal"
    else {}
)
PAPER_CONFIG_FILES = [
    path for path in CONFIG_FILES if Path(path).name != "rehearsal.yaml"
]
# Earlier rehearsals' cost tables kept beside it: the requests cover their projections too.
REHEARSAL_EARLIER = [str(path) for path in earlier_tables(RESULTS)]


rule rehearsal_cost:
    input:
        BATTLE_RUNS,
        expand(BATTLE_TOURNAMENT_PART, algo=BATTLE_ALGOS),
        expand(BATTLE_TOURNAMENT_UNTRAINED_PART, algo=BATTLE_ALGOS),
        BATTLE_SCRIPTED,
        BATTLE_SCRIPTED_UNTRAINED,
        SEMI_COOPERATIVE_RUNS,
        PAPER_CONFIG_FILES,  # the lengths it projects to and the requests it reports
        REHEARSAL_EARLIER,
    output:
        **REHEARSAL_COST,
    log:
        f"{RESULTS}/logs/cost.log",
    conda:
        CONDA_ENV
    params:
        config=CLI_CONFIG,
        paper=" ".join(f"--paper-config {path}" for path in PAPER_CONFIG_FILES),
        results=results_folder(0),
    shell:
        "python -m replication cost --results {params.results} {params.config} {params.paper} > {log} 2>&1"


# Kill and resume at the paper's settings (replication/resume_check.py): a battle job SIGKILLed in
# its third round (after two checkpoints) and a paper-B job past step 50 000 (after its first
# checkpoint, at step 50 010), each run again to its end and compared, byte for byte, with the
# rehearsal's own unkilled run. Written to results/rehearsal/resume/<task>_<algo>.csv.
RESUME_CHECKS = (
    {
        "battle_il": dict(
            task="battle", algo="il", seeds=CFG.battle.seeds[:1], after=2, delay=3.0
        ),
        "resource_sharing_ped_dqn": dict(
            task="resource_sharing",
            algo="ped_dqn",
            seeds=list(seed_jobs("ped_dqn", CFG)[0]),
            after=1,
            delay=2.0,
        ),
    }
    if CFG.scale == "rehearsal"
    else {}
)


rule rehearsal_resume_check:
    input:
        lambda wildcards: run_files(
            RESUME_CHECKS[wildcards.check]["task"],
            [RESUME_CHECKS[wildcards.check]["algo"]],
            seeds=RESUME_CHECKS[wildcards.check]["seeds"],
        ),
    output:
        f"{RESULTS}/resume/{{check}}.csv",
    log:
        f"{RESULTS}/logs/resume_{{check}}.log",
    wildcard_constraints:
        check=one_of(RESUME_CHECKS) if RESUME_CHECKS else "none",
    conda:
        CONDA_ENV
    # a rehearsal job run twice (killed, then resumed), on a cluster too
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        config=CLI_CONFIG,
        job=lambda wildcards: RESUME_CHECKS[wildcards.check],
        seeds=lambda wildcards: " ".join(
            map(str, RESUME_CHECKS[wildcards.check]["seeds"])
        ),
        reference=lambda wildcards: "{}/runs/{task}/{algo}/seed{{seed}}".format(
            RESULTS, **RESUME_CHECKS[wildcards.check]
        ),
        scratch=lambda wildcards: f"{RESULTS}/resume_runs/{wildcards.check}",
    shell:
        "python -m replication resume-check --task {params.job[task]} --algo {params.job[algo]} --seed {params.seeds} "
        "--after {params.job[after]} --delay {params.job[delay]} --reference {params.reference} --scratch {params.scratch} "
        "--out {output} {params.config} > {log} 2>&1"


# The central scale's ledger (analysis/central.py): jobs done, their cost against the projection.
# It is remade by hand (`python -m replication progress`) as jobs finish; this rule makes the last.
CENTRAL_FILES = (
    [f"{RESULTS}/progress.md", f"{RESULTS}/calibration.csv"]
    if CFG.scale == "central"
    else []
)


rule central_progress:
    input:
        ALL_RUNS,
    output:
        CENTRAL_FILES,
    log:
        f"{RESULTS}/logs/progress.log",
    conda:
        CONDA_ENV
    params:
        config=CLI_CONFIG,
        results=results_folder(0),
    shell:
        "python -m replication progress --results {params.results} {params.config} > {log} 2>&1"


# What `snakemake` makes: a scale that runs some tasks only (config `tasks`: the central scale)
# makes their runs, the audit and its ledger; every other scale the tables, figures and report too.
if CFG.tasks:
    ALL_TARGETS = (
        ALL_RUNS + [f"{RESULTS}/audit.md", f"{RESULTS}/audit.csv"] + CENTRAL_FILES
    )
else:
    ALL_TARGETS = (
        TABLE_FILES
        + [PROVENANCE_TABLE]
        + FIGURE_FILES
        + BATTLE_ROUND_GIF
        + [f"{RESULTS}/audit.md", f"{RESULTS}/audit.html", f"{RESULTS}/audit.csv"]
        + list(VARIANT_FILES.values())
        + list(REHEARSAL_COST.values())
        + expand(f"{RESULTS}/resume/{{check}}.csv", check=RESUME_CHECKS)
    )
