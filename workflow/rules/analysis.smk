# Runs → tables → figures → audit. Short jobs: run on the submitting machine, never on a cluster.

ALL_RUNS = ISING_RUNS + GS_RUNS + BATTLE_RUNS + [BATTLE_TOURNAMENT, BATTLE_SCRIPTED] + SEMI_COOPERATIVE_RUNS

localrules: tables, figures, audit


rule tables:
    input:
        ALL_RUNS,
    output:
        TABLE_FILES,
    log:
        f"{RESULTS}/logs/tables.log",
    shell:
        "python -m replication aggregate --results {RESULTS} {CLI_CONFIG} > {log} 2>&1"


rule figures:
    input:
        ALL_RUNS,
        TABLE_FILES,
    output:
        [report(path, caption=f"../report/{Path(path).stem}.rst", category="Figures") for path in FIGURE_FILES],
    log:
        f"{RESULTS}/logs/figures.log",
    shell:
        "python -m replication figures --results {RESULTS} {CLI_CONFIG} > {log} 2>&1"


rule audit:
    input:
        ALL_RUNS,
    output:
        md=report(f"{RESULTS}/audit.md", caption="../report/audit.rst", category="Audit"),
        csv=f"{RESULTS}/audit.csv",
    log:
        f"{RESULTS}/logs/audit.log",
    shell:
        "python -m replication audit --results {RESULTS} {CLI_CONFIG} > {log} 2>&1"
