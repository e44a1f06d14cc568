"""Command line: `python -m replication <command> --help`.

Commands
  run        one experiment (task × algorithm × seed) into an output folder
  aggregate  tidy runs → tables with 95% bootstrap confidence intervals
  figures    the papers' figures from the runs and tables
  audit      every claim of the claims registry → reproduced / not reproduced / inconclusive
  measures   the measures a claim can name (for a claims file of your own)
  tournament battle cross-play of every trained model pair (Fig. 8)
  scripted   every trained battle model against scripted teams (random; stationary random attacker)
  bench      speed of a task's pieces on this machine (battle, paper B's tasks)
  scale-study the decisive scale's pilot for a family and the power rule's choice (docs/scales.md)
  evaluate   a trained model without training it: wins, kills, rewards (battle); welfare (paper B)
  render     one round of a trained model as an animated GIF (battle, pursuit)
  cost       the rehearsal's cost table: each job measured and projected to the paper scale
  resume-check SIGKILL a training job after a checkpoint, rerun it, compare with its unkilled run
  compare    two results folders' audits side by side (a re-run on another machine)
  evidence   a paper-B run, its networks untrained and the null model on the same episodes
  progress   the central scale's ledger: jobs done, CPU-hours against projected, calibration.csv
  docs       the generated parts of README.md and docs/ (numbers from committed files, references)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from replication.config import ConfigError, available_presets, load_config
from replication.registry import BATTLE, SEMI_COOPERATIVE, SEMI_COOPERATIVE_TASKS, TASKS, algorithms_of
from replication.validation import check_tasks

EPILOG = ("Bad input (config keys, values, task or algorithm names) is reported as one line "
          "naming the problem, before any work starts. Exit status 2.")
UNTRAINED_HELP = ("play every configured model's network untrained instead (the weights its training run "
                  "starts from; no trained model is read): the audit's untrained-network control, "
                  "written to runs/battle/{file}")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error on a single line."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append", required=True, metavar="YAML",
                        help="scale config (workflow/config/{smoke,default,paper}.yaml); repeat to overlay files, later wins")
    parser.add_argument("--preset", choices=["paper", *available_presets()], default=None,
                        help="overlay a preset; default: the config's `preset` key, else paper")


def build_parser() -> argparse.ArgumentParser:
    from replication import DISTRIBUTION, __version__
    parser = OneLineParser(prog="python -m replication", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    run = sub.add_parser("run", help="run one experiment", epilog=EPILOG,
                         description="Run one task × algorithm × seed; writes metrics.csv, config.yaml, provenance.json into --out.")
    run.add_argument("--task", required=True, help=" | ".join(TASKS))
    run.add_argument("--algo", required=True,
                     help="; ".join(f"{task}: {' | '.join(algorithms_of(task))}" for task in TASKS))
    run.add_argument("--seed", required=True, type=int, nargs="+",
                     help="one seed; for battle and paper B's tasks several, trained together in one process")
    run.add_argument("--out", required=True, help="output folder, e.g. results/default/runs/ising/mfq/seed0; with "
                                                  "several seeds a pattern holding {seed}")
    run.add_argument("--threads", type=int, default=1, help="CPU threads for this job (default 1)")
    run.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu",
                     help="where networks run: battle uses it; tabular tasks and Gaussian Squeeze use the CPU")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    run.add_argument("--stale", choices=["refuse", "restart"], default="refuse",
                     help="a checkpoint or partial results in --out made with other settings: refuse (default) or "
                          "discard them and train afresh (the pipeline's choice: Snakemake reruns a job when its settings change)")
    _common(run)

    for name, text in (("aggregate", "write results/<scale>/tables/*.csv and *.md"),
                       ("figures", "write results/<scale>/figures/*.png"),
                       ("audit", "write results/<scale>/audit.md and audit.csv")):
        cmd = sub.add_parser(name, help=text, description=text.capitalize() + " from the runs under --results.", epilog=EPILOG)
        cmd.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
        if name == "audit":
            cmd.add_argument("--claims", action="append", default=[], metavar="YAML",
                             help="a claims file of your own, audited beside the papers' (repeatable; adds to the config's `claims`)")
            cmd.add_argument("--compare", default=None, metavar="RESULTS",
                             help="the results folder of the other variant (e.g. results/default-reference_code): also write "
                                  "audit_variants.csv/.md, both verdicts per claim")
        _common(cmd)
    cost = sub.add_parser("cost", help="the rehearsal's cost table: each job measured, projected to the paper scale",
                          epilog=EPILOG, description="From a rehearsal results folder (workflow/config/rehearsal.yaml), "
                          "write cost.csv, cost.md and cost.html: per battle and paper-B job, its measured seconds per unit "
                          "and peak memory, projected to the paper scale's job, and what that job asks the scheduler for.")
    cost.add_argument("--results", required=True, help="the rehearsal's results folder, e.g. results/rehearsal")
    cost.add_argument("--paper-config", action="append", required=True, metavar="YAML",
                      help="the scale the rehearsal projects to (workflow/config/paper.yaml over default.yaml; repeat to overlay)")
    _common(cost)
    resume = sub.add_parser("resume-check", help="SIGKILL a training job after a checkpoint, rerun it, compare with its unkilled run",
                            epilog=EPILOG, description="Start `run` for a job into --scratch, kill it (SIGKILL) once its "
                            "checkpoint has been written --after times and --delay seconds more have passed, run it again "
                            "to its end, and compare each seed's metrics.csv (bytes) and model.pt (tensors) with --reference; "
                            "writes one row to --out.")
    resume.add_argument("--task", required=True, choices=[t for t in TASKS if t == "battle" or t in SEMI_COOPERATIVE_TASKS])
    resume.add_argument("--algo", required=True)
    resume.add_argument("--seed", required=True, type=int, nargs="+", help="the job's seeds (paper B trains them in one job)")
    resume.add_argument("--reference", required=True, help="the unkilled runs' folder, a pattern holding {seed}")
    resume.add_argument("--scratch", required=True, help="folder for the killed and resumed run (emptied first)")
    resume.add_argument("--after", type=int, default=1, help="checkpoint writes before the kill (default 1)")
    resume.add_argument("--delay", type=float, default=2.0, help="seconds after that checkpoint (default 2)")
    resume.add_argument("--out", required=True, help="CSV to write the comparison to")
    _common(resume)
    evidence = sub.add_parser("evidence", help="a paper-B run, its networks untrained and the null model on the same episodes",
                              epilog=EPILOG, description="Play a finished paper-B run's trained networks (RUN/model.pt), "
                              "the same networks untrained and the null model (uniformly random actions) greedily on the "
                              "same evaluation episodes; write RUN/evidence.csv (per policy and episode, the social welfare) "
                              "and RUN/actions.csv (each policy's greedy action distribution). Battle (--results): every "
                              "run's evidence.csv from the scripted evaluations of the trained models, the networks "
                              "untrained and the null model (scripted, scripted --untrained, scripted --null).")
    evidence.add_argument("--task", required=True, choices=["battle", *SEMI_COOPERATIVE_TASKS])
    evidence.add_argument("--algo", help="paper B: the learner")
    evidence.add_argument("--seed", type=int, help="paper B: the run's seed")
    evidence.add_argument("--run", help="paper B: the run's folder (holding model.pt)")
    evidence.add_argument("--results", help="battle: the results folder whose scripted evaluations are read")
    _common(evidence)
    progress = sub.add_parser("progress", help="the central scale's ledger: jobs done, cost against projection",
                              epilog=EPILOG, description="From the central scale's results folder, write progress.md "
                              "(jobs done of the total, CPU-hours spent against projected, what runs next) and "
                              "calibration.csv (each finished job's measured wall time and peak memory beside its projection).")
    progress.add_argument("--results", default="results/central", help="the central scale's results folder")
    _common(progress)
    compare = sub.add_parser("compare", help="two audits of the same scale side by side, claim by claim", epilog=EPILOG,
                             description="Compare two results folders' audits (e.g. the committed results and a re-run "
                                         "on another machine): per claim both verdicts and values, and whether each "
                                         "value lies inside the other's interval; then a one-line summary.")
    compare.add_argument("results", nargs=2, metavar="RESULTS", help="two results folders holding audit.csv")
    compare.add_argument("--out", default=None, help="also write the comparison as CSV")
    docs = sub.add_parser("docs", help="write the generated parts of README.md and docs/", epilog=EPILOG,
                          description="Fill the generated blocks of README.md and docs/ from the committed results "
                                      "(wall times, verdict counts) and write the CLI and configuration references.")
    docs.add_argument("--check", action="store_true", help="write nothing; exit 1 and name every stale file")
    sub.add_parser("measures", help="list the measures a claim can name", epilog=EPILOG,
                   description="The registry of measures: each one's parameters and what it computes per seed.")
    tour = sub.add_parser("tournament", help="battle cross-play tournament", epilog=EPILOG,
                          description="Play every ordered pair of trained battle models, balanced over side and group order; writes runs/battle/tournament.csv.")
    tour.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    part = tour.add_mutually_exclusive_group()
    part.add_argument("--rows", default=None, metavar="ALGO",
                      help="play only the pairings ALGO's models lead (one part of the tournament): "
                           "writes runs/battle/tournament/rows_ALGO.csv")
    part.add_argument("--merge", action="store_true",
                      help="join the parts, one per algorithm, into runs/battle/tournament.csv (no play)")
    tour.add_argument("--untrained", action="store_true", help=UNTRAINED_HELP.format(file="tournament_untrained.csv"))
    tour.add_argument("--threads", type=int, default=1)
    tour.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu", help="where the models' networks run")
    tour.add_argument("--no-progress", action="store_true")
    _common(tour)

    scripted = sub.add_parser("scripted", help="battle models against scripted teams", epilog=EPILOG,
                              description="Play every trained battle model against a random team and a stationary random "
                                          "attacker, balanced over side and group order; writes runs/battle/scripted.csv.")
    scripted.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    scripted.add_argument("--untrained", action="store_true", help=UNTRAINED_HELP.format(file="scripted_untrained.csv"))
    scripted.add_argument("--null", action="store_true",
                          help="play the null model (the scripted random team) in every model's place on the same rounds "
                               "instead: the paired evaluations' third policy, written to runs/battle/scripted_null.csv")
    scripted.add_argument("--threads", type=int, default=1)
    scripted.add_argument("--no-progress", action="store_true")
    _common(scripted)

    for name, text in (("evaluate", "play a trained model without training it; print what happened"),
                       ("render", "draw one round (battle) or episode (pursuit) of a trained model as an animated GIF")):
        cmd = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ". The model carries the "
                             "settings it was trained with; no config file is needed.", epilog=EPILOG)
        tasks = ["battle", *SEMI_COOPERATIVE_TASKS] if name == "evaluate" else ["battle", "pursuit"]
        cmd.add_argument("--task", required=True, choices=tasks)
        cmd.add_argument("--model", required=True, metavar="PATH|best:ALGO",
                         help="a run's model.pt (results/<scale>/runs/<task>/<algo>/seed<k>/model.pt), or best:ALGO: "
                              "the battle seed of ALGO with the highest tournament win rate under --results")
        cmd.add_argument("--opponent", default=None, metavar="random|stationary_attacker|PATH|best:ALGO",
                         help="battle only: a scripted team or another trained model of the same map and team size "
                              "(default random); paper B's tasks play against their own opponents (pursuit: running prey)")
        cmd.add_argument("--results", default=None, help="results folder for best:ALGO, e.g. results/default")
        cmd.add_argument("--seed", type=int, default=0, help="seed of the rounds' random draws (default 0)")
        cmd.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu", help="battle: where the networks run")
        if name == "evaluate":
            cmd.add_argument("--rounds", type=int, default=8,
                             help="battle: rounds, the model's side and group order alternating (default 8); paper B: episodes")
            cmd.add_argument("--out", default=None, help="also write every round (or episode) to this CSV")
        else:
            cmd.add_argument("--out", required=True, help="the GIF to write, e.g. battle.gif")

    study = sub.add_parser("scale-study", help="the decisive scale's pilot and the power rule's choice", epilog=EPILOG,
                           description="Train a family's central-claim learners and null model at the pilot's budgets "
                                       "(3 seeds each, side by side), read the claims' measures, and apply the power rule "
                                       "(docs/scales.md, 'The decisive scale: the power rule'); writes pilot.csv, timing.csv, "
                                       "widths.csv, choice.json and scale_study.png into --out. A killed study resumes.")
    study.add_argument("family", choices=["battle", "pursuit", "resource_sharing"])
    _common(study)
    study.add_argument("--budgets", type=int, nargs="+", default=None,
                       help="battle: self-play rounds; paper B: steps (default: the rule's, docs/scales.md)")
    study.add_argument("--seeds", type=int, default=3, help="pilot seeds per learner (default 3)")
    study.add_argument("--out", default=None, help="output folder (default results/pilot/<family>)")
    study.add_argument("--no-progress", action="store_true")
    bench = sub.add_parser("bench", help="benchmark a task on this machine", epilog=EPILOG,
                           description="Benchmark a task's pieces at the paper's settings; writes results/bench/<task>.csv.")
    bench.add_argument("task", choices=["battle", *SEMI_COOPERATIVE_TASKS])
    bench.add_argument("--algos", nargs="+", default=None, metavar="ALGO",
                       help="only these algorithms (default: the task's algorithms at the paper's settings)")
    bench.add_argument("--threads", type=int, default=1)
    bench.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    bench.add_argument("--rounds", type=int, default=2, help="battle: rounds per acting measurement; paper B: episodes per measurement")
    bench.add_argument("--out", default=None, help="CSV path (default results/bench/<task>.csv)")
    bench.add_argument("--small-teams", action="store_true",
                       help="battle: acting at 4 and 8 agents per side against 64 (default out: results/bench/small_teams/battle.csv)")
    return parser


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
    model = watch.load_model(watch.resolve_model_path(args.model, args.results), args.task,
                             np.random.default_rng([args.seed, 6]), device)
    if args.task == "battle":
        opponent_name, label, opponent = watch.battle_opponent(watch.resolve_model_path(args.opponent or "random", args.results),
                                                model, args.seed, device)
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
                    raise ConfigError(f"--algos: {algo!r} is not an algorithm of task {args.task}; "
                                      f"choose from {', '.join(algorithms_of(args.task))}")
            if args.small_teams:
                frame = bench.bench_small_teams(out, args.threads, args.rounds, args.algos)
                print(frame[["measure", "algo", "agents_per_side", "value"]].to_string(index=False))
                return 0
            if args.task == "battle":
                frame = bench.bench_battle(out, args.threads, run.resolve_device(args.device), args.rounds, args.algos)
            else:
                frame = bench.bench_semi_cooperative(args.task, out, args.threads, args.rounds, args.algos)
            print(frame[["measure", "algo", "value"]].to_string(index=False))
            import dataclasses   # the study at the paper's scale, its seeds grouped as the bench timed them

            from replication.analysis import cost
            paper = bench.paper_settings()
            family = "battle" if args.task == "battle" else "semi_cooperative"
            variants = [(f"{family}.seeds_per_job {k}", {"seeds_per_job": k}) for k in bench.GROUP_SIZES]
            if family == "battle":   # and as workflow/config/gpu.yaml runs it
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
            row = resume_check.resume_check(args.task, args.algo, args.seed, args.config, args.reference, args.scratch,
                                            args.after, args.delay)
            resume_check.write_resume_check(args.out, [row])
            print(row)
            return 0 if row["metrics_identical"] and row["models_identical"] else 1
        if args.command == "evidence":
            from replication import evidence
            from replication.run import check_request
            if args.task == "battle":
                if args.results is None or any(v is not None for v in (args.algo, args.seed, args.run)):
                    raise ConfigError("evidence --task battle: give --results (every run's evidence at once), not --algo/--seed/--run")
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
                raise ConfigError(f"--config: progress reads the central scale (workflow/config/central.yaml), got scale {cfg.scale}")
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
            choice = scale_study.scale_study(args.family, cfg, args.out or f"results/pilot/{args.family}", args.budgets,
                                             args.seeds, progress=not args.no_progress, configs=args.config)
            print(json.dumps(choice, indent=2, default=float))
            return 0
        if args.command == "run":
            from replication import run
            if len(args.seed) > 1:
                run.run_seeds(args.task, args.algo, args.seed, cfg, args.out, threads=args.threads, device=args.device,
                              progress=not args.no_progress, stale=args.stale)
            else:
                seed = args.seed[0]
                run.check_request(args.task, args.algo, seed)
                run.run(args.task, args.algo, seed, cfg, args.out.replace("{seed}", str(seed)), threads=args.threads,
                        device=args.device, progress=not args.no_progress, stale=args.stale)
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
                tournament.run_tournament(args.results, cfg, args.threads, progress=not args.no_progress, rows=args.rows,
                                          device=resolve_device(args.device), untrained=args.untrained)
        elif args.command == "scripted":
            from replication import tournament
            tournament.run_scripted_evaluation(args.results, cfg, args.threads, progress=not args.no_progress,
                                               untrained=args.untrained, null=args.null)
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
