# Paper B: PED-DQN and its baselines on the semi-cooperative tasks, one job per task × algorithm × seed.

SEMI_COOPERATIVE_RUNS = [
    path
    for task in SEMI_COOPERATIVE.tasks
    for path in run_files(task, configured_algorithms(CFG, task))
]


rule semi_cooperative_run:
    output:
        metrics=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/provenance.json",
    log:
        f"{RESULTS}/logs/{{task}}/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        task=one_of(SEMI_COOPERATIVE.tasks),
        algo=one_of(SEMI_COOPERATIVE.names()),
        seed=r"\d+",
    threads: CFG.resources.semi_cooperative_run.threads
    resources:
        mem_mb=CFG.resources.semi_cooperative_run.mem_mb,
        runtime=CFG.resources.semi_cooperative_run.runtime,
        slurm_extra=CFG.resources.semi_cooperative_run.slurm_extra,
    params:
        settings=run_settings(),
        config=CLI_CONFIG,
    shell:
        "python -m replication run --task {wildcards.task} --algo {wildcards.algo} --seed {wildcards.seed} "
        "{params.config} --threads {threads} --stale restart --out $(dirname {output.metrics}) > {log} 2>&1"
