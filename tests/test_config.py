"""Bad input is one line naming the key, before any work starts."""

import subprocess
import sys

import pytest
import yaml
from conftest import SMOKE

from replication.config import ConfigError, load_config


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


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"scale": "huge"},
            "scale: 'huge' is not allowed; choose one of smoke, rehearsal, default, decisive, workstation, central, paper",
        ),
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
        ({"claims": ["no/such/claims.yaml"]}, "claims: no/such/claims.yaml is not a file"),
        (
            {"pursuit__reward_form": "cubic"},
            "pursuit.reward_form: 'cubic' is not allowed; choose one of picsq, sigmoid_linear, sigmoid_sigmoid",
        ),
        ({"tiger_deer__algorithms": ["qmix"]}, "tiger_deer.algorithms: qmix needs a global state"),
        ({"resource_sharing__demand": 5}, "resource_sharing.demand: 5 cannot give each of 8 agents a need of at least 1"),
    ],
)
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


@pytest.mark.parametrize(
    "tasks, message",
    [
        ("[battle]", "compare_tasks[0]: 'battle' is not allowed; choose one of ising, ising_toy"),
        ("[ising, ising]", "compare_tasks: duplicate tasks in ['ising', 'ising']"),
    ],
)
def test_compare_tasks_takes_each_task_but_battle_once(tmp_path, tasks, message):
    """The other variant of a task is a plain run of it under the other preset; battle's audit also
    needs the tournament over its models, so it is not offered, and a task named twice is a slip."""
    over = tmp_path / "over.yaml"
    over.write_text(f"compare_tasks: {tasks}\n")
    with pytest.raises(ConfigError) as err:
        load_config([SMOKE, over])
    assert message in str(err.value)
    assert load_config([SMOKE]).other_preset == "reference_code"
    assert load_config([SMOKE], preset="reference_code").other_preset == "paper"


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "replication", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--task", "chess", "--algo", "mfq"], "--task: 'chess' is not a task"),
        (["--task", "ising", "--algo", "dqn"], "--algo: 'dqn' is not an algorithm of task ising; choose one of mcmc, mfq"),
        (["--task", "ising", "--algo", "mfq", "--threads", "0"], "--threads: must be at least 1"),
    ],
)
def test_cli_rejects_bad_arguments_before_work(tmp_path, args, message):
    out = tmp_path / "out"
    proc = _cli("run", *args, "--seed", "0", "--config", str(SMOKE), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1
    assert not out.exists()


def test_bench_small_teams_is_battle_only_one_line_before_work(tmp_path):
    """`bench --small-teams` times battle's networks; asked of another task it says so in one line
    and writes nothing."""
    proc = _cli("bench", "pursuit", "--small-teams", "--out", "small.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--small-teams: battle only, got task pursuit" in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "small.csv").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is visible here")
@pytest.mark.parametrize(
    "command",
    [
        ["run", "--task", "battle", "--algo", "mfq", "--seed", "0", "--out", "out"],
        ["tournament", "--rows", "mfq", "--results", "results"],
    ],
)
def test_cuda_without_a_gpu_is_a_one_line_error(tmp_path, command):
    """Training and the tournament: `--device cuda` where torch sees no GPU stops before any work."""
    proc = _cli(*command, "--config", str(SMOKE), "--device", "cuda", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--device: cuda was asked for but torch sees no GPU" in proc.stderr and proc.stderr.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_cli_usage_error_is_one_line(tmp_path):
    proc = _cli("run", "--task", "ising", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "required" in proc.stderr


def test_defaults_are_the_paper_scale():
    """One source of the papers' settings: the dataclass defaults (what `python -m replication bench`
    measures) equal workflow/config/paper.yaml key for key; only the scheduler's resources differ
    (the defaults ask for one core and 30 minutes per job)."""
    from replication import bench
    from replication.config import to_dict

    paper = to_dict(load_config([SMOKE.parent / "paper.yaml"]))
    benched = to_dict(bench.paper_settings())
    paper.pop("resources"), benched.pop("resources")
    assert benched == paper


def test_a_map_too_small_for_the_formations_is_one_line_before_work(tmp_path):
    """The check needs the task's formations (replication/validation.py). 16 agents per side stand in
    ⌈√16⌉ = 4 columns and rows 2 apart, 3 cells left of the middle: on a 16-wide map the columns
    would be x = −3, −1, 1, 3, of which 1 and 3 lie inside the wall, so 2 × 4 = 8 agents fit; the
    first map that holds all 16 is 24 wide."""
    small = tmp_path / "small.yaml"
    small.write_text("battle: {map_size: 16, agents_per_side: 16}\n")
    out = tmp_path / "out"
    proc = _cli(
        "run",
        "--task",
        "battle",
        "--algo",
        "il",
        "--seed",
        "0",
        "--config",
        str(SMOKE),
        "--config",
        str(small),
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert (
        "battle.map_size 16 holds only 8 agents per side in formation; agents_per_side = 16 needs a map of at least 24"
        in proc.stderr
    )
    assert not out.exists()


def test_reward_forms_of_the_config_are_the_tasks():
    import typing

    from replication.config import PursuitConfig
    from replication.tasks.pursuit import REWARD_FORMS

    assert typing.get_args(typing.get_type_hints(PursuitConfig)["reward_form"]) == REWARD_FORMS


def _imports(path):
    import ast

    tree = ast.parse(path.read_text())
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names


def test_layering():
    """Tasks import no algorithm, algorithms import no task, config.py imports no task, and no
    algorithm module imports another algorithm's module (shared pieces live in modules named for
    what they are: mean_field, peer_evaluation, mean_action, and a family's own network/DQN units)."""
    package = SMOKE.parent.parent.parent / "replication"
    shared = {
        "replication.algorithms.mean_field",
        "replication.algorithms.peer_evaluation",
        "replication.algorithms.mean_action",
        "replication.algorithms.semi_cooperative.dqn",
    }
    bases = {
        "replication.algorithms.iql",
        "replication.algorithms.fmq",
        "replication.algorithms.battle.il",
        "replication.algorithms.battle.ac",
        "replication.algorithms.semi_cooperative.idqn",
    }  # a family's base learner
    for path in (package / "tasks").glob("*.py"):
        assert not any(m.startswith("replication.algorithms") for m in _imports(path)), path
    for path in (package / "algorithms").rglob("*.py"):
        imported = _imports(path)
        assert not any(m.startswith("replication.tasks") for m in imported), path
        others = {m for m in imported if m.startswith("replication.algorithms.")} - shared - bases
        assert not others, (path, others)
    assert not any(m.startswith("replication.tasks") for m in _imports(package / "config.py"))


def test_the_program_says_its_distribution_and_version():
    """`python -m replication --version` prints the distribution name, which is not the public
    registry's unrelated `replication`, and pyproject.toml's version."""
    import tomllib

    project = tomllib.loads((SMOKE.parent.parent.parent / "pyproject.toml").read_text())["project"]
    assert project["name"] == "marl-replication-suite"
    proc = _cli("--version", cwd=SMOKE.parent.parent.parent)
    assert proc.returncode == 0 and proc.stdout.strip() == f"marl-replication-suite {project['version']}"
