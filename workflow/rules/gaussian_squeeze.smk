# Paper A §5.1: Gaussian Squeeze, six learners over N ∈ agent_counts (Fig. 3).

GS_ALGOS = ["il", "fmq", "rec_fmq", "maac", "mfq", "mfac"]
GS_RUNS = run_files("gaussian_squeeze", GS_ALGOS)


rule gaussian_squeeze_run:
    output:
        metrics=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{RESULTS}/runs/gaussian_squeeze/{{algo}}/seed{{seed}}/provenance.json",
    log:
        f"{RESULTS}/logs/gaussian_squeeze/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        algo="|".join(GS_ALGOS),
        seed=r"\d+",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        "python -m replication run --task gaussian_squeeze --algo {wildcards.algo} --seed {wildcards.seed} "
        "{CLI_CONFIG} --threads {threads} --out $(dirname {output.metrics}) > {log} 2>&1"
