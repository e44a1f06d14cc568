"""Command line: `python -m replication <command> --help`.

Commands
  run        one experiment (task × algorithm × seed) into an output folder
  aggregate  tidy runs → tables with 95% bootstrap confidence intervals
  figures    the papers' figures from the runs and tables
  audit      every claim of the claims registry → reproduced / not reproduced / inconclusive
  tournament battle cross-play of every trained model pair (Fig. 8)
  scripted   every trained battle model against scripted teams (random; stationary random attacker)
  bench      speed of a task's pieces on this machine (battle, pursuit)
"""

from __future__ import annotations

import argparse
import sys

from replication.config import ConfigError, available_presets, load_config

EPILOG = ("Bad input (config keys, values, task or algorithm names) is reported as one line "
          "naming the problem, before any work starts. Exit status 2.")


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
    parser = OneLineParser(prog="python -m replication", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    run = sub.add_parser("run", help="run one experiment", epilog=EPILOG,
                         description="Run one task × algorithm × seed; writes metrics.csv, config.yaml, provenance.json into --out.")
    run.add_argument("--task", required=True, help="ising | ising_toy | gaussian_squeeze | battle | prisoners_dilemma | "
                                                    "pursuit | resource_sharing | tiger_deer")
    run.add_argument("--algo", required=True,
                     help="ising: mfq | mcmc; ising_toy: mfq; gaussian_squeeze: il | fmq | rec_fmq | maac | mfq | mfac; "
                          "battle: il | mfq | ac | mfac | ped_dqn; prisoners_dilemma, pursuit, resource_sharing: "
                          "ped_dqn | idqn | pe_dqn | reward_sharing | qmix | mfq; tiger_deer: the same but qmix")
    run.add_argument("--seed", required=True, type=int)
    run.add_argument("--out", required=True, help="output folder, e.g. results/default/runs/ising/mfq/seed0")
    run.add_argument("--threads", type=int, default=1, help="CPU threads for this job (default 1)")
    run.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu",
                     help="where networks run: battle uses it; tabular tasks and Gaussian Squeeze use the CPU")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _common(run)

    for name, text in (("aggregate", "write results/<scale>/tables/*.csv and *.md"),
                       ("figures", "write results/<scale>/figures/*.png"),
                       ("audit", "write results/<scale>/audit.md and audit.csv")):
        cmd = sub.add_parser(name, help=text, description=text.capitalize() + " from the runs under --results.", epilog=EPILOG)
        cmd.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
        _common(cmd)
    tour = sub.add_parser("tournament", help="battle cross-play tournament", epilog=EPILOG,
                          description="Play every ordered pair of trained battle models, balanced over side and group order; writes runs/battle/tournament.csv.")
    tour.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    tour.add_argument("--threads", type=int, default=1)
    tour.add_argument("--no-progress", action="store_true")
    _common(tour)

    scripted = sub.add_parser("scripted", help="battle models against scripted teams", epilog=EPILOG,
                              description="Play every trained battle model against a random team and a stationary random "
                                          "attacker, balanced over side and group order; writes runs/battle/scripted.csv.")
    scripted.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    scripted.add_argument("--threads", type=int, default=1)
    scripted.add_argument("--no-progress", action="store_true")
    _common(scripted)

    bench = sub.add_parser("bench", help="benchmark a task on this machine", epilog=EPILOG,
                           description="Benchmark a task's pieces at the paper's settings; writes results/bench/<task>.csv.")
    bench.add_argument("task", choices=["battle", "pursuit"])
    bench.add_argument("--threads", type=int, default=1)
    bench.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    bench.add_argument("--rounds", type=int, default=2, help="battle: rounds per acting measurement; pursuit: 100-step episodes per measurement")
    bench.add_argument("--out", default=None, help="CSV path (default results/bench/<task>.csv)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "threads", 1) < 1:
            raise ConfigError(f"--threads: must be at least 1, got {args.threads}")
        if args.command == "bench":
            from replication import bench, run
            if args.rounds < 1:
                raise ConfigError(f"--rounds: must be at least 1, got {args.rounds}")
            out = args.out or f"results/bench/{args.task}.csv"
            if args.task == "pursuit":
                frame = bench.bench_pursuit(out, args.threads, args.rounds)
            else:
                frame = bench.bench_battle(out, args.threads, run.resolve_device(args.device), args.rounds)
            print(frame[["measure", "algo", "value"]].to_string(index=False))
            return 0
        cfg = load_config(args.config, args.preset)
        if args.command == "run":
            from replication import run
            run.check_request(args.task, args.algo, args.seed)
            run.run(args.task, args.algo, args.seed, cfg, args.out, threads=args.threads,
                    device=args.device, progress=not args.no_progress)
        elif args.command == "aggregate":
            from replication.analysis import aggregate
            aggregate.write_tables(args.results, cfg)
        elif args.command == "figures":
            from replication.analysis import figures
            figures.write_figures(args.results, cfg)
        elif args.command == "tournament":
            from replication import tournament
            tournament.run_tournament(args.results, cfg, args.threads, progress=not args.no_progress)
        elif args.command == "scripted":
            from replication import tournament
            tournament.run_scripted_evaluation(args.results, cfg, args.threads, progress=not args.no_progress)
        elif args.command == "audit":
            from replication.analysis import audit
            audit.write_audit(args.results, cfg)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
