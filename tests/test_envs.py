"""The suite's tasks as PettingZoo environments (replication/envs.py): PettingZoo's own API and seed
tests, the wrapper driving the same task code, and the docs page's training loop."""

import re
from pathlib import Path

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test

from replication import envs

ROOT = Path(__file__).resolve().parents[1]


def _make(task):
    return envs.parallel_env(task, n_agents=20) if task == "gaussian_squeeze" else envs.parallel_env(task)


@pytest.mark.parametrize("task", envs.TASKS)
def test_pettingzoos_own_tests_pass(task):
    """parallel_api_test (200 cycles), parallel_seed_test, and api_test through parallel_to_aec."""
    parallel_api_test(_make(task), num_cycles=200)
    parallel_seed_test(lambda: _make(task))
    api_test(envs.aec_env(task, n_agents=20 if task == "gaussian_squeeze" else None), num_cycles=50)


def test_the_wrapper_drives_the_suites_own_task():
    """Resource sharing reset with seed 3 and stepped with fixed actions gives, step for step, the
    observations and rewards of the task itself built from default_rng(3) (make_task) and stepped
    with the same actions; the last step is a truncation (the step limit), infos name the ring
    neighbours as peers."""
    from replication.experiments.semi_cooperative import make_task

    env = envs.parallel_env("resource_sharing")
    obs, infos = env.reset(seed=3)
    task = make_task("resource_sharing", env.cfg.resource_sharing, np.random.default_rng(3))
    task.reset()
    assert np.array_equal(np.stack([obs[a] for a in env.possible_agents]), task.observe())
    assert infos["agent_0"]["peers"] == ["agent_1", "agent_7"]
    pattern = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    for t in range(task.max_steps):
        actions = np.roll(pattern, t)
        obs, rewards, terminations, truncations, _ = env.step({f"agent_{i}": int(a) for i, a in enumerate(actions)})
        expected, done = task.step(actions)
        assert [rewards[f"agent_{i}"] for i in range(8)] == expected.tolist()
        assert np.array_equal(np.stack([obs[f"agent_{i}"] for i in range(8)]), task.observe())
    assert done and all(truncations.values()) and not any(terminations.values()) and env.agents == []


def test_the_docs_training_loop_runs_and_learns_to_defect():
    """docs/envs.md's loop, run as written: in the prisoner's dilemma (payoffs 3/0/5/1) defection
    pays more whatever the other does, so the learned Q-function prefers defecting (action 1) at
    the first step of an episode, by more than a point of reward."""
    import torch

    page = (ROOT / "docs" / "envs.md").read_text()
    loop = next(block for block in re.findall(r"```python\n(.*?)```", page, re.S) if "for episode" in block)
    namespace = {}
    exec(compile(loop, "docs/envs.md", "exec"), namespace)
    obs, _ = namespace["env"].reset(seed=12345)
    with torch.no_grad():
        values = namespace["q"](torch.as_tensor(obs["agent_0"]))
    assert values[1] - values[0] > 1.0
