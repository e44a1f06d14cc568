"""Bad input is one line naming the key, before any work starts."""

import subprocess
import sys

import pytest
import yaml

from replication.config import ConfigError, load_config

from conftest import SMOKE


def _with(tmp_path, **changes):
    raw = yaml.safe_load(SMOKE.read_text())
    for dotted, value in changes.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("change, message", [
    ({"scale": "huge"}, "scale: 'huge' is not allowed; choose one of smoke, default, paper"),
    ({"ising__mfq__steps": -5}, "ising.mfq.steps: must be positive, got -5"),
    ({"ising__mfq__steps": "many"}, "ising.mfq.steps: expected an integer, got 'many'"),
    ({"ising__mfq__learning_rate": 1.5}, "ising.mfq.learning_rate: must be at most 1, got 1.5"),
    ({"ising__mcmc__initial_state": "hot"}, "ising.mcmc.initial_state: 'hot' is not allowed; choose one of ordered, random"),
    ({"ising__lattice_size": 9}, "ising.lattice_size: must be even"),
    ({"ising__spin_map_taus": [0.33]}, "ising.spin_map_taus: [0.33] must also be listed in ising.taus"),
    ({"ising__colour": "red"}, "ising.colour: unknown key; allowed keys are"),
    ({"seeds": [1, 1]}, "seeds: duplicate seeds"),
    ({"seeds": [-1]}, "seeds[0]: must be non-negative, got -1"),
    ({"preset": "mine"}, "preset: 'mine' is not allowed"),
    ({"pursuit__n_predators": 99}, "pursuit.n_predators: 99 predators and 3 prey do not fit the 100 cells of a 10×10 grid"),
    ({"semi_cooperative__beta": -0.5}, "semi_cooperative.beta: must be non-negative, got -0.5"),
    ({"pursuit__reward_form": "cubic"}, "pursuit.reward_form: 'cubic' is not known; choose one of picsq, sigmoid_linear, sigmoid_sigmoid"),
    ({"tiger_deer__algorithms": ["qmix"]}, "tiger_deer.algorithms: qmix needs a global state"),
    ({"resource_sharing__demand": 5}, "resource_sharing.demand: 5 cannot give each of 8 agents a need of at least 1"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path, change, message):
    with pytest.raises(ConfigError) as err:
        load_config([_with(tmp_path, **change)])
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config([tmp_path / "nope.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("scale: [smoke\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config([bad])


def test_overlays_merge_and_preset_applies(tmp_path):
    over = tmp_path / "over.yaml"
    over.write_text("ising:\n  mfq:\n    steps: 7\n")
    cfg = load_config([SMOKE, over])
    assert cfg.ising.mfq.steps == 7 and cfg.ising.mfq.log_every == 50
    ref = load_config([SMOKE], preset="reference_code")
    assert ref.ising.mfq.stop_when_stable == 500 and ref.results_name == "smoke-reference_code"


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "replication", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("args, message", [
    (["--task", "chess", "--algo", "mfq"], "--task: 'chess' is not a task"),
    (["--task", "ising", "--algo", "dqn"], "--algo: 'dqn' is not an algorithm of task ising; choose one of mcmc, mfq"),
    (["--task", "ising", "--algo", "mfq", "--threads", "0"], "--threads: must be at least 1"),
])
def test_cli_rejects_bad_arguments_before_work(tmp_path, args, message):
    out = tmp_path / "out"
    proc = _cli("run", *args, "--seed", "0", "--config", str(SMOKE), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert not out.exists()


def test_cli_usage_error_is_one_line(tmp_path):
    proc = _cli("run", "--task", "ising", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "required" in proc.stderr
