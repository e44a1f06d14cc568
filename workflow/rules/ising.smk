# Paper A §5.2: the Ising model (MF-Q and MCMC over a temperature sweep) and the 3×3 toy of Fig. 2.

ISING_RUNS = [
    path
    for task in ISING.tasks
    if task in RUN_TASKS
    for path in run_files(task, configured_algorithms(CFG, task))
]


rule ising_run:
    output:
        metrics=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/provenance.json",
    log:
        f"{RESULTS}/logs/{{task}}/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        task=one_of(ISING.tasks),
        algo=one_of(ISING.names()),
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: CFG.resources.ising_run.threads
    resources:
        mem_mb=CFG.resources.ising_run.mem_mb,
        runtime=CFG.resources.ising_run.runtime,
        slurm_extra=CFG.resources.ising_run.slurm_extra,
    params:
        settings=run_settings(),
        config=CLI_CONFIG,
    shell:
        "python -m replication run --task {wildcards.task} --algo {wildcards.algo} --seed {wildcards.seed} "
        "{params.config} --threads {threads} --stale restart --out $(dirname {output.metrics}) > {log} 2>&1"
