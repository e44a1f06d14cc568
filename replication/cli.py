"""Command line: `python -m replication <command> --help`. The parser, with every command's help,
is `replication.parser`; this module runs the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from replication.config import ConfigError, load_config
from replication.parser import build_parser
from replication.registry import BATTLE, SEMI_COOPERATIVE, algorithms_of
from replication.validation import check_tasks


def watch_command(args) -> int:
    """`evaluate` and `render`: a trained model, no training (replication/watch.py)."""
    from replication import run, watch

    if args.command == "evaluate" and args.rounds < 1:
        raise ConfigError(f"--rounds: must be at least 1, got {args.rounds}")
    if args.seed < 0:
        raise ConfigError(f"--seed: must be non-negative, got {args.seed}")
    if args.task != "battle" and args.opponent is not None:
        raise ConfigError(f"--opponent: {args.task} plays against its own opponents; --opponent is for battle")
    device = run.resolve_device(args.device)
    import numpy as np

    model = watch.load_model(
        watch.resolve_model_path(args.model, args.results), args.task, np.random.default_rng([args.seed, 6]), device
    )
    if args.task == "battle":
        opponent_name, label, opponent = watch.battle_opponent(
            watch.resolve_model_path(args.opponent or "random", args.results), model, args.seed, device
        )
    if args.command == "render":
        if args.task == "battle":
            frames = watch.battle_frames(model, opponent, args.seed)
            size = model.settings.map_size
            draw = watch.draw_battle((BATTLE.labels[model.algo], BATTLE.labels.get(opponent_name, opponent_name)), size)
        else:
            frames = watch.pursuit_frames(model, args.seed)
            draw, size = watch.draw_pursuit(SEMI_COOPERATIVE.labels[model.algo]), model.settings[1].grid_size
        out = watch.write_gif(frames, size, draw, args.out)
        print(f"wrote {out} ({len(frames)} frames, {out.stat().st_size / 1e6:.2f} MB)")
        return 0
    if args.task == "battle":
        rounds = watch.battle_rounds(model, opponent, args.rounds, args.seed)
        print(f"{model.algo} ({model.path}) against {label}, {args.rounds} rounds, win rule {model.settings.evaluation_win_rule}")
        print(watch.battle_summary(rounds).to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    else:
        rounds = watch.team_episodes(model, args.rounds, args.seed)
        print(f"{model.algo} ({model.path}) on {args.task}, {args.rounds} greedy episodes")
        print(rounds.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
        print("mean:", ", ".join(f"{k} {v:.2f}" for k, v in rounds.drop(columns="episode").mean().items()))
    if args.out:
        from replication import io

        io.write_csv(args.out, rounds)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "threads", 1) < 1:
            raise ConfigError(f"--threads: must be at least 1, got {args.threads}")
        if args.command == "bench":
            from replication import bench, run

            if args.rounds < 1:
                raise ConfigError(f"--rounds: must be at least 1, got {args.rounds}")
            if args.small_teams and args.task != "battle":
                raise ConfigError(f"--small-teams: battle only, got task {args.task}")
            out = args.out or f"results/bench/{'small_teams/' if args.small_teams else ''}{args.task}.csv"
            for algo in args.algos or ():
                if algo not in algorithms_of(args.task):
                    raise ConfigError(
                        f"--algos: {algo!r} is not an algorithm of task {args.task}; "
                        f"choose from {', '.join(algorithms_of(args.task))}"
                    )
            if args.small_teams:
                frame = bench.bench_small_teams(out, args.threads, args.rounds, args.algos)
                print(frame[["measure", "algo", "agents_per_side", "value"]].to_string(index=False))
                return 0
            if args.task == "battle":
                frame = bench.bench_battle(out, args.threads, run.resolve_device(args.device), args.rounds, args.algos)
            else:
                frame = bench.bench_semi_cooperative(args.task, out, args.threads, args.rounds, args.algos)
            print(frame[["measure", "algo", "value"]].to_string(index=False))
            import dataclasses  # the study at the paper's scale, its seeds grouped as the bench timed them

            from replication.analysis import cost

            paper = bench.paper_settings()
            family = "battle" if args.task == "battle" else "semi_cooperative"
            variants = [(f"{family}.seeds_per_job {k}", {"seeds_per_job": k}) for k in bench.GROUP_SIZES]
            if family == "battle":  # and as workflow/config/gpu.yaml runs it
                k = bench.GROUP_SIZES[-1]
                variants.append((f"battle.seeds_per_job {k}, stacked_update", {"seeds_per_job": k, "stacked_update": True}))
            for label, settings in variants:
                cfg = dataclasses.replace(paper, **{family: dataclasses.replace(getattr(paper, family), **settings)})
                print(f"{label}: " + cost.study_estimate(args.task, cfg, frame.assign(task=args.task, file=str(out))))
            return 0
        if args.command in ("evaluate", "render"):
            return watch_command(args)
        if args.command == "measures":
            from replication.analysis import audit

            print(audit.describe_measures())
            return 0
        if args.command == "docs":
            from replication import docs

            changed = docs.stale() if args.check else docs.write()
            for path in changed:
                print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(docs.ROOT)}")
            return 1 if args.check and changed else 0
        if args.command == "export":
            from replication.analysis import export

            if not Path(args.results).is_dir():
                raise ConfigError(f"export: {args.results} is not a folder")
            print(f"wrote {export.write_marl_eval(args.results, args.out)}")
            return 0
        if args.command == "compare":
            from replication.analysis import compare

            table, summary = compare.compare_audits(*args.results)
            print(compare.to_text(table, summary))
            if args.out:
                from replication import io

                io.write_csv(args.out, table)
            return 0
        cfg = check_tasks(load_config(args.config, args.preset))
        if args.command == "resume-check":
            from replication import resume_check
            from replication.run import check_request

            for seed in args.seed:
                check_request(args.task, args.algo, seed)
            if "{seed}" not in args.reference:
                raise ConfigError(f"--reference: {args.reference!r} must hold {{seed}}")
            if args.after < 1 or args.delay < 0:
                raise ConfigError("--after: must be at least 1, --delay non-negative")
            row = resume_check.resume_check(
                args.task, args.algo, args.seed, args.config, args.reference, args.scratch, args.after, args.delay
            )
            resume_check.write_resume_check(args.out, [row])
            print(row)
            return 0 if row["metrics_identical"] and row["models_identical"] else 1
        if args.command == "evidence":
            from replication import evidence
            from replication.run import check_request

            if args.task == "battle":
                if args.results is None or any(v is not None for v in (args.algo, args.seed, args.run)):
                    raise ConfigError(
                        "evidence --task battle: give --results (every run's evidence at once), not --algo/--seed/--run"
                    )
                written = evidence.battle_evidence(args.results, cfg)
                print(f"{len(written)} battle runs' evidence.csv written under {args.results}/runs/battle/")
                return 0
            if None in (args.algo, args.seed, args.run) or args.results is not None:
                raise ConfigError(f"evidence --task {args.task}: give --algo, --seed and --run (one run), not --results")
            check_request(args.task, args.algo, args.seed)
            if args.algo == SEMI_COOPERATIVE.null:
                raise ConfigError(f"--algo: {args.algo} is the null model itself; name a learner")
            table = evidence.write_evidence(args.task, args.algo, args.seed, cfg, args.run)
            print(table.groupby("policy", sort=False)["value"].mean().to_string())
            return 0
        if args.command == "progress":
            from replication.analysis import central

            if cfg.scale != "central":
                raise ConfigError(
                    f"--config: progress reads the central scale (workflow/config/central.yaml), got scale {cfg.scale}"
                )
            table = central.write_progress(args.results, cfg)
            print(f"{int(table['done'].sum())} of {len(table)} central jobs done; {args.results}/progress.md")
            return 0
        if args.command == "cost":
            from replication.analysis import rehearsal

            paper = check_tasks(load_config(args.paper_config, args.preset))
            rehearsal.write_cost_table(args.results, cfg, paper)
            return 0
        if args.command == "scale-study":
            from replication import scale_study

            if args.seeds < 2:
                raise ConfigError(f"--seeds: a pilot needs at least 2 seeds for a spread, got {args.seeds}")
            if args.budgets is not None and min(args.budgets) < 1:
                raise ConfigError(f"--budgets: must be positive, got {args.budgets}")
            choice = scale_study.scale_study(
                args.family,
                cfg,
                args.out or f"results/pilot/{args.family}",
                args.budgets,
                args.seeds,
                progress=not args.no_progress,
                configs=args.config,
            )
            print(json.dumps(choice, indent=2, default=float))
            return 0
        if args.command == "run":
            from replication import run

            if len(args.seed) > 1:
                run.run_seeds(
                    args.task,
                    args.algo,
                    args.seed,
                    cfg,
                    args.out,
                    threads=args.threads,
                    device=args.device,
                    progress=not args.no_progress,
                    stale=args.stale,
                    tensorboard=args.tensorboard,
                )
            else:
                seed = args.seed[0]
                run.check_request(args.task, args.algo, seed)
                run.run(
                    args.task,
                    args.algo,
                    seed,
                    cfg,
                    args.out.replace("{seed}", str(seed)),
                    threads=args.threads,
                    device=args.device,
                    progress=not args.no_progress,
                    stale=args.stale,
                    tensorboard=args.tensorboard,
                )
        elif args.command == "aggregate":
            from replication.analysis import aggregate

            aggregate.write_tables(args.results, cfg)
        elif args.command == "figures":
            from replication.analysis import figures

            figures.write_figures(args.results, cfg)
        elif args.command == "tournament":
            from replication import tournament

            if args.merge:
                tournament.merge_tournament(args.results, cfg, untrained=args.untrained)
            else:
                from replication.run import resolve_device

                tournament.run_tournament(
                    args.results,
                    cfg,
                    args.threads,
                    progress=not args.no_progress,
                    rows=args.rows,
                    device=resolve_device(args.device),
                    untrained=args.untrained,
                )
        elif args.command == "scripted":
            from replication import tournament

            tournament.run_scripted_evaluation(
                args.results, cfg, args.threads, progress=not args.no_progress, untrained=args.untrained, null=args.null
            )
        elif args.command == "audit":
            from replication.analysis import audit

            for path in args.claims:
                if not Path(path).is_file():
                    raise ConfigError(f"--claims: {path} is not a file")
            if args.compare and not Path(args.compare).is_dir():
                raise ConfigError(f"--compare: {args.compare} is not a folder")
            audit.write_audit(args.results, cfg, args.claims, args.compare)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
