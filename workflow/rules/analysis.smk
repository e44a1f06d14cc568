# Runs → tables → figures → audit. Short jobs: run on the submitting machine, never on a cluster.

ALL_RUNS = (
    ISING_RUNS
    + GS_RUNS
    + BATTLE_RUNS
    + [
        BATTLE_TOURNAMENT,
        BATTLE_SCRIPTED,
        BATTLE_TOURNAMENT_UNTRAINED,
        BATTLE_SCRIPTED_UNTRAINED,
    ]
    + SEMI_COOPERATIVE_RUNS
)


localrules:
    tables,
    figures,
    audit,
    battle_render,


rule tables:
    input:
        ALL_RUNS,
    output:
        REPORTED_TABLES,
        TABLE_TEXTS,
        PROVENANCE_TABLE,
    log:
        f"{RESULTS}/logs/tables.log",
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
    params:
        settings=AUDIT_SETTINGS,
        config=CLI_CONFIG,
        results=results_folder(0),
        compare=f"--compare {OTHER_RESULTS}" if CFG.compare_tasks else "",
    shell:
        "python -m replication audit --results {params.results} {params.config} {params.compare} > {log} 2>&1"
