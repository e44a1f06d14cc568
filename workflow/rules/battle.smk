# Paper A §5.3: MAgent battle, self-play training per algorithm and seed, then the cross-play tournament.

BATTLE_ALGOS = CFG.battle.algorithms
BATTLE_RUNS = (
    run_files("battle", BATTLE_ALGOS, seeds=CFG.battle.seeds)
    if "battle" in RUN_TASKS
    else []
)
BATTLE_TOURNAMENT = f"{RESULTS}/runs/battle/tournament.csv"
# one part of it: the pairings one algorithm's models lead (replication.tournament.part_file)
BATTLE_TOURNAMENT_PART = f"{RESULTS}/runs/battle/tournament/rows_{{algo}}.csv"
BATTLE_SCRIPTED = f"{RESULTS}/runs/battle/scripted.csv"
# the same evaluations over the runs' networks untrained (the audit's untrained-network control)
BATTLE_TOURNAMENT_UNTRAINED = f"{RESULTS}/runs/battle/tournament_untrained.csv"
BATTLE_TOURNAMENT_UNTRAINED_PART = (
    f"{RESULTS}/runs/battle/tournament_untrained/rows_{{algo}}.csv"
)
BATTLE_SCRIPTED_UNTRAINED = f"{RESULTS}/runs/battle/scripted_untrained.csv"


# An algorithm's seeds train side by side in one job, `battle.seeds_per_job` at a time
# (experiments/battle.py `train_seeds`; each seed's results are its run alone's). One rule per group.
for seeds in battle_seed_jobs():

    rule:
        name:
            f"battle_train_seeds_{'_'.join(map(str, seeds))}"
        output:
            metrics=[
                f"{RESULTS}/runs/battle/{{algo}}/seed{seed}/metrics.csv"
                for seed in seeds
            ],
            config=[
                f"{RESULTS}/runs/battle/{{algo}}/seed{seed}/config.yaml"
                for seed in seeds
            ],
            provenance=[
                f"{RESULTS}/runs/battle/{{algo}}/seed{seed}/provenance.json"
                for seed in seeds
            ],
            model=[
                f"{RESULTS}/runs/battle/{{algo}}/seed{seed}/model.pt" for seed in seeds
            ],
        log:
            f"{RESULTS}/logs/battle/{{algo}}/seeds{'-'.join(map(str, seeds))}.log",
        wildcard_constraints:
            algo=one_of(BATTLE_ALGOS),
        priority: 10  # the longest jobs start first, so the short ones fill the cores at the end
        conda:
            CONDA_ENV
        threads: CFG.resources.battle_train.threads
        resources:
            # the config's mem_mb and runtime are per seed, or measured (mem_safety, runtime_safety)
            mem_mb=lambda wildcards, seeds=seeds: job_mem_mb(
                "battle_train",
                "battle",
                wildcards.algo,
                seeds,
                device="cuda" if CFG.resources.battle_train.gpus else "cpu",
            ),
            runtime=lambda wildcards, seeds=seeds: job_runtime(
                "battle_train",
                "battle",
                wildcards.algo,
                seeds,
                device="cuda" if CFG.resources.battle_train.gpus else "cpu",
            ),
            gpu=CFG.resources.battle_train.gpus,
            slurm_extra=CFG.resources.battle_train.slurm_extra,
        params:
            settings=lambda wildcards, seeds=seeds: battle_settings(wildcards, seeds),
            config=CLI_CONFIG,
            seeds=CommandLineSeeds(seeds),
            device="cuda" if CFG.resources.battle_train.gpus else "auto",
            out=lambda wildcards: f"{RESULTS}/runs/battle/{wildcards.algo}/seed{{seed}}",
        shell:
            "python -m replication run --task battle --algo {wildcards.algo} --seed {params.seeds} "
            "{params.config} --threads {threads} --device {params.device} --stale restart "
            "--out {params.out} > {log} 2>&1"


# The tournament in parts, one job per row algorithm (each pairing draws from streams of its own, so
# the parts are the whole tournament to the byte), joined on the submitting machine.
rule battle_tournament_rows:
    input:
        run_files("battle", BATTLE_ALGOS, "model.pt", seeds=CFG.battle.seeds),
    output:
        BATTLE_TOURNAMENT_PART,
    log:
        f"{RESULTS}/logs/battle/tournament_rows_{{algo}}.log",
    wildcard_constraints:
        algo=one_of(BATTLE_ALGOS),
    priority: 10
    conda:
        CONDA_ENV
    threads: CFG.resources.battle_tournament.threads
    resources:
        mem_mb=lambda wildcards: job_mem_mb(
            "battle_tournament",
            "battle",
            "tournament",
            rows=wildcards.algo,
            device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
        ),
        runtime=lambda wildcards: job_runtime(
            "battle_tournament",
            "battle",
            "tournament",
            rows=wildcards.algo,
            device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
        ),
        gpu=CFG.resources.battle_tournament.gpus,
        slurm_extra=CFG.resources.battle_tournament.slurm_extra,
    params:
        settings=EVALUATION_SETTINGS["tournament"],
        config=CLI_CONFIG,
        results=results_folder(3),
        device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
    shell:
        "python -m replication tournament --rows {wildcards.algo} --results {params.results} {params.config} "
        "--threads {threads} --device {params.device} > {log} 2>&1"


localrules:
    battle_tournament,


rule battle_tournament:
    input:
        expand(BATTLE_TOURNAMENT_PART, algo=BATTLE_ALGOS),
    output:
        BATTLE_TOURNAMENT,
    log:
        f"{RESULTS}/logs/battle/tournament.log",
    conda:
        CONDA_ENV
    params:
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication tournament --merge --results {params.results} {params.config} > {log} 2>&1"


rule battle_scripted:
    input:
        run_files("battle", BATTLE_ALGOS, "model.pt", seeds=CFG.battle.seeds),
    output:
        BATTLE_SCRIPTED,
    log:
        f"{RESULTS}/logs/battle/scripted.log",
    conda:
        CONDA_ENV
    threads: CFG.resources.battle_scripted.threads
    resources:
        mem_mb=job_mem_mb("battle_scripted", "battle", "scripted"),
        runtime=job_runtime("battle_scripted", "battle", "scripted"),
        slurm_extra=CFG.resources.battle_scripted.slurm_extra,
    params:
        settings=EVALUATION_SETTINGS["scripted"],
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication scripted --results {params.results} {params.config} --threads {threads} > {log} 2>&1"


# The untrained-network control: the tournament and the scripted evaluation again, over every run's
# network as its training starts it (no trained model read, so these run from the start). Their
# settings are the evaluations', which hold every battle setting the networks are built from.
rule battle_untrained_tournament_rows:
    output:
        BATTLE_TOURNAMENT_UNTRAINED_PART,
    log:
        f"{RESULTS}/logs/battle/tournament_untrained_rows_{{algo}}.log",
    wildcard_constraints:
        algo=one_of(BATTLE_ALGOS),
    conda:
        CONDA_ENV
    threads: CFG.resources.battle_tournament.threads
    resources:
        mem_mb=lambda wildcards: job_mem_mb(
            "battle_tournament",
            "battle",
            "tournament",
            rows=wildcards.algo,
            device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
            untrained=True,
        ),
        runtime=lambda wildcards: job_runtime(
            "battle_tournament",
            "battle",
            "tournament",
            rows=wildcards.algo,
            device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
            untrained=True,
        ),
        gpu=CFG.resources.battle_tournament.gpus,
        slurm_extra=CFG.resources.battle_tournament.slurm_extra,
    params:
        settings=EVALUATION_SETTINGS["tournament"],
        config=CLI_CONFIG,
        results=results_folder(3),
        device="cuda" if CFG.resources.battle_tournament.gpus else "cpu",
    shell:
        "python -m replication tournament --untrained --rows {wildcards.algo} --results {params.results} "
        "{params.config} --threads {threads} --device {params.device} > {log} 2>&1"


localrules:
    battle_untrained_tournament,


rule battle_untrained_tournament:
    input:
        expand(BATTLE_TOURNAMENT_UNTRAINED_PART, algo=BATTLE_ALGOS),
    output:
        BATTLE_TOURNAMENT_UNTRAINED,
    log:
        f"{RESULTS}/logs/battle/tournament_untrained.log",
    conda:
        CONDA_ENV
    params:
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication tournament --untrained --merge --results {params.results} {params.config} > {log} 2>&1"


rule battle_untrained_scripted:
    output:
        BATTLE_SCRIPTED_UNTRAINED,
    log:
        f"{RESULTS}/logs/battle/scripted_untrained.log",
    conda:
        CONDA_ENV
    threads: CFG.resources.battle_scripted.threads
    resources:
        mem_mb=job_mem_mb("battle_scripted", "battle", "scripted", untrained=True),
        runtime=job_runtime("battle_scripted", "battle", "scripted", untrained=True),
        slurm_extra=CFG.resources.battle_scripted.slurm_extra,
    params:
        settings=EVALUATION_SETTINGS["scripted"],
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication scripted --untrained --results {params.results} {params.config} --threads {threads} > {log} 2>&1"


# Config `paired_evaluations`: the null model (the scripted random team) in every model's place on
# the scripted evaluation's rounds, then each run's evidence.csv from the trained, untrained and null
# rounds (replication/evidence.py), for the audit's "learned k of n".
BATTLE_SCRIPTED_NULL = f"{RESULTS}/runs/battle/scripted_null.csv"
BATTLE_EVIDENCE = (
    run_files("battle", BATTLE_ALGOS, "evidence.csv", seeds=CFG.battle.seeds)
    if CFG.paired_evaluations and "battle" in RUN_TASKS
    else []
)


rule battle_null_scripted:
    output:
        BATTLE_SCRIPTED_NULL,
    log:
        f"{RESULTS}/logs/battle/scripted_null.log",
    conda:
        CONDA_ENV
    threads: CFG.resources.battle_scripted.threads
    resources:
        mem_mb=job_mem_mb("battle_scripted", "battle", "scripted", untrained=True),
        runtime=job_runtime("battle_scripted", "battle", "scripted", untrained=True),
        slurm_extra=CFG.resources.battle_scripted.slurm_extra,
    params:
        settings=EVALUATION_SETTINGS["scripted"],
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication scripted --null --results {params.results} {params.config} --threads {threads} > {log} 2>&1"


rule battle_evidence:
    input:
        BATTLE_SCRIPTED,
        BATTLE_SCRIPTED_UNTRAINED,
        BATTLE_SCRIPTED_NULL,
    output:
        BATTLE_EVIDENCE,
    log:
        f"{RESULTS}/logs/battle/evidence.log",
    conda:
        CONDA_ENV
    params:
        config=CLI_CONFIG,
        results=results_folder(2),
    shell:
        "python -m replication evidence --task battle --results {params.results} {params.config} > {log} 2>&1"


# One round of the best MF-Q model against the best IL model (by tournament win rate), drawn as a GIF.
BATTLE_ROUND_GIF = (
    [f"{RESULTS}/figures/battle_round.gif"]
    if {"mfq", "il"} <= set(BATTLE_ALGOS)
    else []
)


rule battle_render:
    input:
        BATTLE_TOURNAMENT,
        run_files("battle", ["mfq", "il"], "model.pt", seeds=CFG.battle.seeds),
    output:
        in_report(f"{RESULTS}/figures/battle_round.gif", "battle"),
    log:
        f"{RESULTS}/logs/battle/render.log",
    conda:
        CONDA_ENV
    params:
        results=results_folder(1),
    shell:
        "python -m replication render --task battle --model best:mfq --opponent best:il "
        "--results {params.results} --out {output} > {log} 2>&1"
