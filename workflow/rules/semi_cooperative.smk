# Paper B: PED-DQN and its baselines on the semi-cooperative tasks. A learner's seeds train together
# in one job, `semi_cooperative.seeds_per_job` at a time (one network over every seed's agents:
# replication/experiments/seed_group.py). One rule per group of seeds.

SEMI_COOPERATIVE_RUNS = [
    path
    for task in SEMI_COOPERATIVE.tasks
    if task in RUN_TASKS
    for path in run_files(task, configured_algorithms(CFG, task))
]
# config `paired_evaluations`: each learner's run (not the null model's) played beside its networks
# untrained and the null model on the same episodes, for the audit's "learned k of n"
EVIDENCE_FILES = [
    str(Path(path).parent / name)
    for path in SEMI_COOPERATIVE_RUNS
    if Path(path).parent.parent.name != SEMI_COOPERATIVE.null
    for name in ("evidence.csv", "actions.csv")
    if CFG.paired_evaluations
]

SEED_JOBS = seed_jobs_by_group()


for seeds, algos in SEED_JOBS.items():

    rule:
        name:
            f"semi_cooperative_run_seeds_{'_'.join(map(str, seeds))}"
        output:
            metrics=[
                f"{RESULTS}/runs/{{task}}/{{algo}}/seed{seed}/metrics.csv"
                for seed in seeds
            ],
            config=[
                f"{RESULTS}/runs/{{task}}/{{algo}}/seed{seed}/config.yaml"
                for seed in seeds
            ],
            provenance=[
                f"{RESULTS}/runs/{{task}}/{{algo}}/seed{seed}/provenance.json"
                for seed in seeds
            ],
        log:
            f"{RESULTS}/logs/{{task}}/{{algo}}/seeds{'-'.join(map(str, seeds))}.log",
        wildcard_constraints:
            task=one_of(SEMI_COOPERATIVE.tasks),
            algo=one_of(algos),
        conda:
            CONDA_ENV
        threads: CFG.resources.semi_cooperative_run.threads
        resources:
            # measured where the config sets mem_safety, runtime_safety; else the typed mem_mb
            # (per job) and runtime (per seed)
            mem_mb=lambda wildcards, seeds=seeds: job_mem_mb(
                "semi_cooperative_run", wildcards.task, wildcards.algo, seeds
            ),
            runtime=lambda wildcards, seeds=seeds: job_runtime(
                "semi_cooperative_run", wildcards.task, wildcards.algo, seeds
            ),
            slurm_extra=CFG.resources.semi_cooperative_run.slurm_extra,
        params:
            settings=seeds_settings(seeds),
            config=CLI_CONFIG,
            seeds=" ".join(map(str, seeds)),
            out=seed_pattern,
        shell:
            "python -m replication run --task {wildcards.task} --algo {wildcards.algo} --seed {params.seeds} "
            "{params.config} --threads {threads} --stale restart --out {params.out} > {log} 2>&1"


rule semi_cooperative_evidence:
    input:
        f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/metrics.csv",
    output:
        evidence=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/evidence.csv",
        actions=f"{RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/actions.csv",
    log:
        f"{RESULTS}/logs/{{task}}/{{algo}}/evidence_seed{{seed}}.log",
    wildcard_constraints:
        task=one_of(SEMI_COOPERATIVE.tasks),
        algo=one_of([a for a in SEMI_COOPERATIVE.names() if a != SEMI_COOPERATIVE.null]),
        seed=r"\d+",
    conda:
        CONDA_ENV
    params:
        settings=run_settings(),
        config=CLI_CONFIG,
        run=lambda wildcards, output: str(Path(output.evidence).parent),
    shell:
        "python -m replication evidence --task {wildcards.task} --algo {wildcards.algo} --seed {wildcards.seed} "
        "--run {params.run} {params.config} > {log} 2>&1"
