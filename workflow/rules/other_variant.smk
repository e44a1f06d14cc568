# The other variant of the tasks in config `compare_tasks` (the reference code's choices when the
# run is the paper's, and back), into their own results folder, for the audit's side-by-side table.

# each family's runs ask the scheduler for what the family's own rule asks
OTHER_RESOURCES = {
    task: getattr(CFG.resources, f"{family_of(task).name}_run")
    for task in CFG.compare_tasks
}

OTHER_VARIANT_RUNS = [
    path
    for task in CFG.compare_tasks
    for path in run_files(
        task,
        configured_algorithms(OTHER_CFG, task),
        seeds=OTHER_CFG.seeds,
        results=OTHER_RESULTS,
    )
]


rule other_variant_run:
    output:
        metrics=f"{OTHER_RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{OTHER_RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{OTHER_RESULTS}/runs/{{task}}/{{algo}}/seed{{seed}}/provenance.json",
    log:
        f"{OTHER_RESULTS}/logs/{{task}}/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        task=one_of(CFG.compare_tasks or ["none"]),
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: lambda wildcards: OTHER_RESOURCES[wildcards.task].threads
    resources:
        mem_mb=lambda wildcards: OTHER_RESOURCES[wildcards.task].mem_mb,
        runtime=lambda wildcards: OTHER_RESOURCES[wildcards.task].runtime,
        slurm_extra=lambda wildcards: OTHER_RESOURCES[wildcards.task].slurm_extra,
    params:
        settings=run_settings(cfg=OTHER_CFG),
        config=OTHER_CLI_CONFIG,
    shell:
        "python -m replication run --task {wildcards.task} --algo {wildcards.algo} --seed {wildcards.seed} "
        "{params.config} --threads {threads} --stale restart --out $(dirname {output.metrics}) > {log} 2>&1"
