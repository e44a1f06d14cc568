import shutil
from pathlib import Path

import pytest

from replication.config import load_config

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "workflow" / "config" / "smoke.yaml"


@pytest.fixture
def smoke_cfg():
    return load_config([SMOKE])


@pytest.fixture
def repo_copy(tmp_path):
    """A throw-away copy of the workflow (Snakefile, workflow/) to run Snakemake in."""
    dest = tmp_path / "suite"
    dest.mkdir()
    shutil.copy(REPO / "Snakefile", dest / "Snakefile")
    shutil.copytree(REPO / "workflow", dest / "workflow")
    return dest
