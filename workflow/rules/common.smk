# Shared settings: the validated config, the results folder, the CLI's config arguments.
import os
import sys
from pathlib import Path

from replication.analysis.outputs import FIGURES, TABLES
from replication.config import ConfigError, load_config, resolve

# Snakemake lists --configfile files first although they override the Snakefile's `configfile:`.
_OVERRIDES = [os.path.relpath(p) for p in workflow.overwrite_configfiles]
CONFIG_FILES = [os.path.relpath(p) for p in workflow.configfiles if os.path.relpath(p) not in _OVERRIDES] + _OVERRIDES

try:
    CFG = resolve(config)
    if CFG != load_config(CONFIG_FILES, config.get("preset")):
        raise ConfigError("--config KEY=VALUE overrides other than preset are not passed to the jobs; "
                          "put them in a YAML file and add it with --configfile")
except ConfigError as err:
    sys.exit(f"config error: {err}")

RESULTS = f"results/{CFG.results_name}"
CLI_CONFIG = " ".join(f"--config {path}" for path in CONFIG_FILES) + f" --preset {CFG.preset}"
SEEDS = CFG.seeds


def run_files(task, algos, name="metrics.csv", seeds=SEEDS):
    return expand(f"{RESULTS}/runs/{task}/{{algo}}/seed{{seed}}/{name}", algo=algos, seed=seeds)


TABLE_FILES = [f"{RESULTS}/tables/{name}.{ext}" for names in TABLES.values() for name in names for ext in ("csv", "md")]
FIGURE_FILES = [f"{RESULTS}/figures/{name}.png" for names in FIGURES.values() for name in names]
