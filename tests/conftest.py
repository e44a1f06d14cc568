import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from replication.config import load_config

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "workflow" / "config" / "smoke.yaml"


@pytest.fixture
def smoke_cfg():
    return load_config([SMOKE])


def copy_workflow(dest: Path) -> Path:
    """A throw-away copy of the workflow (Snakefile, workflow/) to run Snakemake in."""
    dest.mkdir(parents=True)
    shutil.copy(REPO / "Snakefile", dest / "Snakefile")
    shutil.copytree(REPO / "workflow", dest / "workflow")
    return dest


@pytest.fixture
def repo_copy(tmp_path):
    return copy_workflow(tmp_path / "suite")


@pytest.fixture(scope="session")
def local_smoke_run(tmp_path_factory):
    """The smoke pipeline run once locally (`snakemake --cores 2`), shared by the integration
    test and the Slurm test that compares against it: (workflow copy, finished process)."""
    dest = copy_workflow(tmp_path_factory.mktemp("local") / "suite")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "workflow/config/smoke.yaml"],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return dest, proc


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`-n auto --dist loadgroup`: pyproject.toml's addopts), the tests that read
    `local_smoke_run` go to one worker, which runs the smoke pipeline once for them all (a
    session fixture is per worker), and the Slurm tests come first, so that the time-limit test
    (minutes, most of them waiting on Slurm) starts beside the smoke run instead of after the rest
    (a stable sort: the order is otherwise the files'); tryfirst: before xdist reads the group."""
    for item in items:
        if "local_smoke_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("local_smoke_run"))
    items.sort(key=lambda item: item.get_closest_marker("slurm") is None)
