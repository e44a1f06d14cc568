# Paper A §5.3: MAgent battle, self-play training per algorithm and seed, then the cross-play tournament.

BATTLE_ALGOS = CFG.battle.algorithms
BATTLE_RUNS = run_files("battle", BATTLE_ALGOS, seeds=CFG.battle.seeds)
BATTLE_TOURNAMENT = f"{RESULTS}/runs/battle/tournament.csv"


rule battle_train:
    output:
        metrics=f"{RESULTS}/runs/battle/{{algo}}/seed{{seed}}/metrics.csv",
        config=f"{RESULTS}/runs/battle/{{algo}}/seed{{seed}}/config.yaml",
        provenance=f"{RESULTS}/runs/battle/{{algo}}/seed{{seed}}/provenance.json",
        model=f"{RESULTS}/runs/battle/{{algo}}/seed{{seed}}/model.pt",
    log:
        f"{RESULTS}/logs/battle/{{algo}}/seed{{seed}}.log",
    wildcard_constraints:
        algo="|".join(BATTLE_ALGOS),
        seed=r"\d+",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=240,
    shell:
        "python -m replication run --task battle --algo {wildcards.algo} --seed {wildcards.seed} "
        "{CLI_CONFIG} --threads {threads} --device auto --out $(dirname {output.metrics}) > {log} 2>&1"


rule battle_tournament:
    input:
        run_files("battle", BATTLE_ALGOS, "model.pt", seeds=CFG.battle.seeds),
    output:
        BATTLE_TOURNAMENT,
    log:
        f"{RESULTS}/logs/battle/tournament.log",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=120,
    shell:
        "python -m replication tournament --results {RESULTS} {CLI_CONFIG} --threads {threads} > {log} 2>&1"
