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
  export     paper B's evaluation episodes as marl-eval's JSON
  progress   the central scale's ledger: jobs done, CPU-hours against projected, calibration.csv
  docs       the generated parts of README.md and docs/ (numbers from committed files, references)
"""

# This module is the command line's parser (every command, its options and its help, the docstring
# above its description); `replication.cli` runs the commands, and `replication.docs` generates the
# CLI reference from this parser without importing them.

from __future__ import annotations

import argparse

from replication.config import available_presets
from replication.registry import SEMI_COOPERATIVE_TASKS, TASKS, algorithms_of

EPILOG = (
    "Bad input (config keys, values, task or algorithm names) is reported as one line "
    "naming the problem, before any work starts. Exit status 2."
)
UNTRAINED_HELP = (
    "play every configured model's network untrained instead (the weights its training run "
    "starts from; no trained model is read): the audit's untrained-network control, "
    "written to runs/battle/{file}"
)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error on a single line."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        action="append",
        required=True,
        metavar="YAML",
        help="scale config (workflow/config/{smoke,default,paper}.yaml); repeat to overlay files, later wins",
    )
    parser.add_argument(
        "--preset",
        choices=["paper", *available_presets()],
        default=None,
        help="overlay a preset; default: the config's `preset` key, else paper",
    )


def build_parser() -> argparse.ArgumentParser:
    from replication import DISTRIBUTION, __version__

    parser = OneLineParser(
        prog="python -m replication", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG
    )
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    run = sub.add_parser(
        "run",
        help="run one experiment",
        epilog=EPILOG,
        description="Run one task × algorithm × seed; writes metrics.csv, config.yaml, provenance.json into --out.",
    )
    run.add_argument("--task", required=True, help=" | ".join(TASKS))
    run.add_argument("--algo", required=True, help="; ".join(f"{task}: {' | '.join(algorithms_of(task))}" for task in TASKS))
    run.add_argument(
        "--seed",
        required=True,
        type=int,
        nargs="+",
        help="one seed; for battle and paper B's tasks several, trained together in one process",
    )
    run.add_argument(
        "--out",
        required=True,
        help="output folder, e.g. results/default/runs/ising/mfq/seed0; with several seeds a pattern holding {seed}",
    )
    run.add_argument("--threads", type=int, default=1, help="CPU threads for this job (default 1)")
    run.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="cpu",
        help="where networks run: battle uses it; tabular tasks and Gaussian Squeeze use the CPU",
    )
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    run.add_argument(
        "--tensorboard",
        action="store_true",
        help="battle and paper B: also log every metric as a TensorBoard scalar into <out>/tensorboard/ "
        '(the tensorboard extra: pip install -e ".[tensorboard]"; REPLICATION_TENSORBOARD=1 does the same)',
    )
    run.add_argument(
        "--stale",
        choices=["refuse", "restart"],
        default="refuse",
        help="a checkpoint or partial results in --out made with other settings: refuse (default) or "
        "discard them and train afresh (the pipeline's choice: Snakemake reruns a job when its settings change)",
    )
    _common(run)

    for name, text in (
        ("aggregate", "write results/<scale>/tables/*.csv and *.md"),
        ("figures", "write results/<scale>/figures/*.png"),
        ("audit", "write results/<scale>/audit.md and audit.csv"),
    ):
        cmd = sub.add_parser(name, help=text, description=text.capitalize() + " from the runs under --results.", epilog=EPILOG)
        cmd.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
        if name == "audit":
            cmd.add_argument(
                "--claims",
                action="append",
                default=[],
                metavar="YAML",
                help="a claims file of your own, audited beside the papers' (repeatable; adds to the config's `claims`)",
            )
            cmd.add_argument(
                "--compare",
                default=None,
                metavar="RESULTS",
                help="the results folder of the other variant (e.g. results/default-reference_code): also write "
                "audit_variants.csv/.md, both verdicts per claim",
            )
        _common(cmd)
    cost = sub.add_parser(
        "cost",
        help="the rehearsal's cost table: each job measured, projected to the paper scale",
        epilog=EPILOG,
        description="From a rehearsal results folder (workflow/config/rehearsal.yaml), "
        "write cost.csv, cost.md and cost.html: per battle and paper-B job, its measured seconds per unit "
        "and peak memory, projected to the paper scale's job, and what that job asks the scheduler for.",
    )
    cost.add_argument("--results", required=True, help="the rehearsal's results folder, e.g. results/rehearsal")
    cost.add_argument(
        "--paper-config",
        action="append",
        required=True,
        metavar="YAML",
        help="the scale the rehearsal projects to (workflow/config/paper.yaml over default.yaml; repeat to overlay)",
    )
    _common(cost)
    resume = sub.add_parser(
        "resume-check",
        help="SIGKILL a training job after a checkpoint, rerun it, compare with its unkilled run",
        epilog=EPILOG,
        description="Start `run` for a job into --scratch, kill it (SIGKILL) once its "
        "checkpoint has been written --after times and --delay seconds more have passed, run it again "
        "to its end, and compare each seed's metrics.csv (bytes) and model.pt (tensors) with --reference; "
        "writes one row to --out.",
    )
    resume.add_argument("--task", required=True, choices=[t for t in TASKS if t == "battle" or t in SEMI_COOPERATIVE_TASKS])
    resume.add_argument("--algo", required=True)
    resume.add_argument("--seed", required=True, type=int, nargs="+", help="the job's seeds (paper B trains them in one job)")
    resume.add_argument("--reference", required=True, help="the unkilled runs' folder, a pattern holding {seed}")
    resume.add_argument("--scratch", required=True, help="folder for the killed and resumed run (emptied first)")
    resume.add_argument("--after", type=int, default=1, help="checkpoint writes before the kill (default 1)")
    resume.add_argument("--delay", type=float, default=2.0, help="seconds after that checkpoint (default 2)")
    resume.add_argument("--out", required=True, help="CSV to write the comparison to")
    _common(resume)
    evidence = sub.add_parser(
        "evidence",
        help="a paper-B run, its networks untrained and the null model on the same episodes",
        epilog=EPILOG,
        description="Play a finished paper-B run's trained networks (RUN/model.pt), "
        "the same networks untrained and the null model (uniformly random actions) greedily on the "
        "same evaluation episodes; write RUN/evidence.csv (per policy and episode, the social welfare) "
        "and RUN/actions.csv (each policy's greedy action distribution). Battle (--results): every "
        "run's evidence.csv from the scripted evaluations of the trained models, the networks "
        "untrained and the null model (scripted, scripted --untrained, scripted --null).",
    )
    evidence.add_argument("--task", required=True, choices=["battle", *SEMI_COOPERATIVE_TASKS])
    evidence.add_argument("--algo", help="paper B: the learner")
    evidence.add_argument("--seed", type=int, help="paper B: the run's seed")
    evidence.add_argument("--run", help="paper B: the run's folder (holding model.pt)")
    evidence.add_argument("--results", help="battle: the results folder whose scripted evaluations are read")
    _common(evidence)
    export = sub.add_parser(
        "export",
        help="paper B's evaluation episodes as marl-eval's JSON",
        epilog=EPILOG,
        description="Write every paper-B run's greedy evaluation episodes (runs/<task>/<algo>/seed<k>/episodes.csv) "
        "under RESULTS in marl-eval's raw-data JSON (environment, task, algorithm, run, step_<i> with step_count "
        "and each measure's per-episode values; return = social welfare).",
    )
    export.add_argument("results", metavar="RESULTS", help="a results folder, e.g. results/central")
    export.add_argument("--format", required=True, choices=["marl-eval"])
    export.add_argument("--out", default=None, help="the JSON file (default: RESULTS/marl_eval.json)")
    progress = sub.add_parser(
        "progress",
        help="the central scale's ledger: jobs done, cost against projection",
        epilog=EPILOG,
        description="From the central scale's results folder, write progress.md "
        "(jobs done of the total, CPU-hours spent against projected, what runs next) and "
        "calibration.csv (each finished job's measured wall time and peak memory beside its projection).",
    )
    progress.add_argument("--results", default="results/central", help="the central scale's results folder")
    _common(progress)
    compare = sub.add_parser(
        "compare",
        help="two audits of the same scale side by side, claim by claim",
        epilog=EPILOG,
        description="Compare two results folders' audits (e.g. the committed results and a re-run "
        "on another machine): per claim both verdicts and values, and whether each "
        "value lies inside the other's interval; then a one-line summary.",
    )
    compare.add_argument("results", nargs=2, metavar="RESULTS", help="two results folders holding audit.csv")
    compare.add_argument("--out", default=None, help="also write the comparison as CSV")
    docs = sub.add_parser(
        "docs",
        help="write the generated parts of README.md and docs/",
        epilog=EPILOG,
        description="Fill the generated blocks of README.md and docs/ from the committed results "
        "(wall times, verdict counts) and write the CLI and configuration references.",
    )
    docs.add_argument("--check", action="store_true", help="write nothing; exit 1 and name every stale file")
    sub.add_parser(
        "measures",
        help="list the measures a claim can name",
        epilog=EPILOG,
        description="The registry of measures: each one's parameters and what it computes per seed.",
    )
    tour = sub.add_parser(
        "tournament",
        help="battle cross-play tournament",
        epilog=EPILOG,
        description="Play every ordered pair of trained battle models, balanced over side and group order; writes runs/battle/tournament.csv.",
    )
    tour.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    part = tour.add_mutually_exclusive_group()
    part.add_argument(
        "--rows",
        default=None,
        metavar="ALGO",
        help="play only the pairings ALGO's models lead (one part of the tournament): "
        "writes runs/battle/tournament/rows_ALGO.csv",
    )
    part.add_argument(
        "--merge", action="store_true", help="join the parts, one per algorithm, into runs/battle/tournament.csv (no play)"
    )
    tour.add_argument("--untrained", action="store_true", help=UNTRAINED_HELP.format(file="tournament_untrained.csv"))
    tour.add_argument("--threads", type=int, default=1)
    tour.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu", help="where the models' networks run")
    tour.add_argument("--no-progress", action="store_true")
    _common(tour)

    scripted = sub.add_parser(
        "scripted",
        help="battle models against scripted teams",
        epilog=EPILOG,
        description="Play every trained battle model against a random team and a stationary random "
        "attacker, balanced over side and group order; writes runs/battle/scripted.csv.",
    )
    scripted.add_argument("--results", required=True, help="results folder of one scale, e.g. results/default")
    scripted.add_argument("--untrained", action="store_true", help=UNTRAINED_HELP.format(file="scripted_untrained.csv"))
    scripted.add_argument(
        "--null",
        action="store_true",
        help="play the null model (the scripted random team) in every model's place on the same rounds "
        "instead: the paired evaluations' third policy, written to runs/battle/scripted_null.csv",
    )
    scripted.add_argument("--threads", type=int, default=1)
    scripted.add_argument("--no-progress", action="store_true")
    _common(scripted)

    for name, text in (
        ("evaluate", "play a trained model without training it; print what happened"),
        ("render", "draw one round (battle) or episode (pursuit) of a trained model as an animated GIF"),
    ):
        cmd = sub.add_parser(
            name,
            help=text,
            description=text[0].upper() + text[1:] + ". The model carries the "
            "settings it was trained with; no config file is needed.",
            epilog=EPILOG,
        )
        tasks = ["battle", *SEMI_COOPERATIVE_TASKS] if name == "evaluate" else ["battle", "pursuit"]
        cmd.add_argument("--task", required=True, choices=tasks)
        cmd.add_argument(
            "--model",
            required=True,
            metavar="PATH|best:ALGO",
            help="a run's model.pt (results/<scale>/runs/<task>/<algo>/seed<k>/model.pt), or best:ALGO: "
            "the battle seed of ALGO with the highest tournament win rate under --results",
        )
        cmd.add_argument(
            "--opponent",
            default=None,
            metavar="random|stationary_attacker|PATH|best:ALGO",
            help="battle only: a scripted team or another trained model of the same map and team size "
            "(default random); paper B's tasks play against their own opponents (pursuit: running prey)",
        )
        cmd.add_argument("--results", default=None, help="results folder for best:ALGO, e.g. results/default")
        cmd.add_argument("--seed", type=int, default=0, help="seed of the rounds' random draws (default 0)")
        cmd.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu", help="battle: where the networks run")
        if name == "evaluate":
            cmd.add_argument(
                "--rounds",
                type=int,
                default=8,
                help="battle: rounds, the model's side and group order alternating (default 8); paper B: episodes",
            )
            cmd.add_argument("--out", default=None, help="also write every round (or episode) to this CSV")
        else:
            cmd.add_argument("--out", required=True, help="the GIF to write, e.g. battle.gif")

    study = sub.add_parser(
        "scale-study",
        help="the decisive scale's pilot and the power rule's choice",
        epilog=EPILOG,
        description="Train a family's central-claim learners and null model at the pilot's budgets "
        "(3 seeds each, side by side), read the claims' measures, and apply the power rule "
        "(docs/scales.md, 'The decisive scale: the power rule'); writes pilot.csv, timing.csv, "
        "widths.csv, choice.json and scale_study.png into --out. A killed study resumes.",
    )
    study.add_argument("family", choices=["battle", "pursuit", "resource_sharing"])
    _common(study)
    study.add_argument(
        "--budgets",
        type=int,
        nargs="+",
        default=None,
        help="battle: self-play rounds; paper B: steps (default: the rule's, docs/scales.md)",
    )
    study.add_argument("--seeds", type=int, default=3, help="pilot seeds per learner (default 3)")
    study.add_argument("--out", default=None, help="output folder (default results/pilot/<family>)")
    study.add_argument("--no-progress", action="store_true")
    bench = sub.add_parser(
        "bench",
        help="benchmark a task on this machine",
        epilog=EPILOG,
        description="Benchmark a task's pieces at the paper's settings; writes results/bench/<task>.csv.",
    )
    bench.add_argument("task", choices=["battle", *SEMI_COOPERATIVE_TASKS])
    bench.add_argument(
        "--algos",
        nargs="+",
        default=None,
        metavar="ALGO",
        help="only these algorithms (default: the task's algorithms at the paper's settings)",
    )
    bench.add_argument("--threads", type=int, default=1)
    bench.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    bench.add_argument(
        "--rounds", type=int, default=2, help="battle: rounds per acting measurement; paper B: episodes per measurement"
    )
    bench.add_argument("--out", default=None, help="CSV path (default results/bench/<task>.csv)")
    bench.add_argument(
        "--small-teams",
        action="store_true",
        help="battle: acting at 4 and 8 agents per side against 64 (default out: results/bench/small_teams/battle.csv)",
    )
    return parser
