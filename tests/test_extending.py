"""The extension guide (docs/extending.md), followed as a newcomer would, in a copy of the repository:
for a toy learner of each family (Gaussian Squeeze, battle, paper B), its module, its registry line
and (battle) its YAML; then the toy trains at smoke scale through the CLI, the workflow plans it and
the family's table lists it. Battle's toy is the guide's own worked example, taken from the page."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "extending.md").read_text()


def _blocks(language: str) -> list[str]:
    """The guide's fenced blocks of one language, their indentation (inside the list) removed."""
    blocks = re.findall(rf"^( *)```{language}\n(.*?)^\1```", GUIDE, re.S | re.M)
    return [re.sub(rf"(?m)^{indent}", "", body) for indent, body in blocks]


def _family_line(registry: str, family: str, line: str) -> str:
    """registry.py with `line` added as the last algorithm of `family`'s tuple (guide, step 2)."""
    start = registry.index(f"{family} = Family(")
    end = registry.index("\n    ),\n    null=", start)
    return registry[:end] + "\n        " + line.strip() + registry[end:]


TOYS = {
    # family: (task, module path, module text, registry family, registry line, algorithm, scale whose plan lists it, table)
    "gaussian_squeeze": (
        "gaussian_squeeze",
        "replication/algorithms/toy.py",
        "from replication.algorithms.iql import IndependentQ\n\n\nclass Toy(IndependentQ):\n    pass\n",
        "GAUSSIAN_SQUEEZE",
        'Algorithm("toy", "Toy", 99, f"{_GS}.toy:Toy"),',
        "toy",
        "default",
        "gaussian_squeeze",
    ),
    "battle": (
        "battle",
        "replication/algorithms/battle/soft_dqn.py",
        None,  # the guide's worked example
        "BATTLE",
        None,
        "soft_dqn",
        "smoke",
        "battle_training",
    ),
    "semi_cooperative": (
        "prisoners_dilemma",
        "replication/algorithms/semi_cooperative/toy.py",
        "from replication.algorithms.semi_cooperative.idqn import IndependentDQN\n\n\nclass Toy(IndependentDQN):\n    pass\n",
        "SEMI_COOPERATIVE",
        'Algorithm("toy", "Toy", 99, f"{_SEMI}.toy:Toy"),',
        "toy",
        "default",
        "ped_dqn_final",
    ),
}


@pytest.mark.parametrize("family", TOYS)
def test_the_guide_adds_a_toy_learner(family, tmp_path):
    task, module, text, registry_family, line, algo, scale, table = TOYS[family]
    copy = tmp_path / "repo"
    for name in ("replication", "workflow", "Snakefile", "results/bench", "results/rehearsal"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / name)
    python = _blocks("python")
    if text is None:  # step 1 and 2 as the page writes them
        text = next(block for block in python if "class SoftDQN" in block)
        line = next(block for block in python if block.startswith('Algorithm("soft_dqn"'))
    (copy / module).write_text(text)
    registry = copy / "replication" / "registry.py"
    registry.write_text(_family_line(registry.read_text(), registry_family, line))
    if family == "battle":  # step 3: battle's scales list their algorithms
        section = yaml.safe_load(next(block for block in _blocks("yaml") if "soft_dqn" in block))["battle"]
        smoke = copy / "workflow" / "config" / "smoke.yaml"
        config = yaml.safe_load(smoke.read_text())
        config["battle"]["algorithms"] = [a for a in section["algorithms"] if a in config["battle"]["algorithms"] or a == algo]
        config["battle"][algo] = section[algo]
        smoke.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(copy)}
    configs = ["--config", "workflow/config/default.yaml", "--config", "workflow/config/smoke.yaml"]
    out = copy / "results" / "toy" / "runs" / task / algo / "seed0"
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "run", "--task", task, "--algo", algo, "--seed", "0", *configs, "--out", str(out),
         "--no-progress"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "metrics.csv").is_file() and (out / "provenance.json").is_file()
    plan = ["snakemake", "-n", "--cores", "1"] + (["--configfile", "workflow/config/smoke.yaml"] if scale == "smoke" else [])
    proc = subprocess.run(plan, cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"results/{scale}/runs/{task}/{algo}/seed0/metrics.csv" in proc.stdout
    # the family's table, built from the toy's smoke run, lists it with that run's seed (under the smoke
    # config, whose Gaussian Squeeze sizes the run has; paper B's smoke config lists its algorithms, so
    # the default's, which lists none and so holds the toy)
    code = (
        "import sys; from replication.analysis.aggregate import BUILDERS; from replication.config import load_config; "
        f"cfg = load_config({['workflow/config/default.yaml'] + (['workflow/config/smoke.yaml'] if family != 'semi_cooperative' else [])}); "
        f"print(BUILDERS['{table}']('results/toy', cfg).to_csv(index=False))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import io

    import pandas as pd

    built = pd.read_csv(io.StringIO(proc.stdout))
    mine = built[built.astype(str).eq(algo).any(axis=1) | built.astype(str).eq("Soft-DQN").any(axis=1)]
    assert len(mine), proc.stdout[-2000:]
    if "n_seeds" in built.columns:  # read from the toy's one run, not only listed
        assert (mine["n_seeds"] >= 1).any()
