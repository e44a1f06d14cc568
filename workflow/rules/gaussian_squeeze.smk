# Paper A §5.1: Gaussian Squeeze, six learners over N ∈ agent_counts (Fig. 3).

GS_RUNS = (
    run_files("gaussian_squeeze", configured_algorithms(CFG, "gaussian_squeeze"))
    if "gaussian_squeeze" in RUN_TASKS
    else []
)


rule gaussian_squeeze_run:
    output:
        metrics=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/provenance.json",
    log:
        f"{RESULTS}/logs/gaussian_squeeze/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        algo=one_of(GAUSSIAN_SQUEEZE.names()),
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: CFG.resources.gaussian_squeeze_run.threads
    resources:
        mem_mb=CFG.resources.gaussian_squeeze_run.mem_mb,
        runtime=CFG.resources.gaussian_squeeze_run.runtime,
        slurm_extra=CFG.resources.gaussian_squeeze_run.slurm_extra,
    params:
        settings=run_settings("gaussian_squeeze"),
        config=CLI_CONFIG,
    shell:
        "python -m replication run --task gaussian_squeeze --algo {wildcards.algo} --seed {wildcards.seed} "
        "{params.config} --threads {threads} --stale restart --out $(dirname {output.metrics}) > {log} 2>&1"
