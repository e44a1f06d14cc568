"""One run: outputs, byte-identical metrics for the same seed, resume after a kill."""

import json

import pytest
import yaml

from replication import run as run_module
from replication.experiments import ising as ising_experiments


def test_run_writes_outputs_and_provenance(tmp_path, smoke_cfg):
    out = run_module.run("ising", "mcmc", 3, smoke_cfg, tmp_path / "r", progress=False)
    header = (out / "metrics.csv").read_text().splitlines()[0]
    assert header == "task,algo,seed,step,metric,value,tau"
    prov = json.loads((out / "provenance.json").read_text())
    for key in ("git_commit", "git_dirty", "packages", "python", "platform", "cpu", "threads", "device",
                "seed", "start", "end", "wall_seconds", "config_hash"):
        assert key in prov
    assert prov["seed"] == 3
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["task"] == "ising" and resolved["ising"]["lattice_size"] == 8
    assert (out / "spins.npz").exists() and not (out / "partial").exists()
    assert not list(out.glob(".*tmp"))


@pytest.mark.parametrize("task, algo", [("ising", "mfq"), ("ising", "mcmc"), ("ising_toy", "mfq"), ("gaussian_squeeze", "mfac"),
                                       ("battle", "mfq"), ("battle", "ac")])
def test_same_seed_gives_identical_metrics(tmp_path, smoke_cfg, task, algo):
    a = run_module.run(task, algo, 1, smoke_cfg, tmp_path / "a", progress=False)
    b = run_module.run(task, algo, 1, smoke_cfg, tmp_path / "b", progress=False)
    c = run_module.run(task, algo, 2, smoke_cfg, tmp_path / "c", progress=False)
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    assert (a / "metrics.csv").read_bytes() != (c / "metrics.csv").read_bytes()


def test_killed_run_resumes_with_identical_results(tmp_path, smoke_cfg, monkeypatch):
    reference = run_module.run("ising", "mfq", 0, smoke_cfg, tmp_path / "ref", progress=False)

    real = ising_experiments.mfq_at_temperature
    calls = []

    def dies_on_third(cfg, tau, rng):
        calls.append(tau)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated kill")
        return real(cfg, tau, rng)

    monkeypatch.setattr(ising_experiments, "mfq_at_temperature", dies_on_third)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_module.run("ising", "mfq", 0, smoke_cfg, out, progress=False)
    assert not (out / "metrics.csv").exists()            # nothing half-written
    assert len(list((out / "partial").glob("*.csv"))) == 2

    calls.clear()
    monkeypatch.setattr(ising_experiments, "mfq_at_temperature", lambda *a: (calls.append(a[1]), real(*a))[1])
    run_module.run("ising", "mfq", 0, smoke_cfg, out, progress=False)
    assert calls == smoke_cfg.ising.taus[2:]              # the two finished temperatures were not redone
    assert (out / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()
