"""One run: outputs, byte-identical metrics for the same seed, resume after a kill."""

import dataclasses
import json

import pytest
import yaml

from replication import run as run_module
from replication.config import ConfigError
from replication.experiments import ising as ising_experiments


def test_run_writes_outputs_and_provenance(tmp_path, smoke_cfg):
    out = run_module.run("ising", "mcmc", 3, smoke_cfg, tmp_path / "r", progress=False)
    header = (out / "metrics.csv").read_text().splitlines()[0]
    assert header == "task,algo,seed,step,metric,value,tau"
    prov = json.loads((out / "provenance.json").read_text())
    for key in (
        "git_commit",
        "git_dirty",
        "packages",
        "python",
        "platform",
        "cpu",
        "threads",
        "device",
        "seed",
        "start",
        "end",
        "wall_seconds",
        "config_hash",
    ):
        assert key in prov
    assert prov["seed"] == 3
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["task"] == "ising" and resolved["ising"]["lattice_size"] == 8
    assert (out / "spins.npz").exists() and not (out / "partial").exists()
    assert not list(out.glob(".*tmp"))


@pytest.mark.parametrize(
    "task, algo",
    [
        ("ising", "mfq"),
        ("ising", "mcmc"),
        ("ising_toy", "mfq"),
        ("gaussian_squeeze", "mfac"),
        ("battle", "mfq"),
        ("battle", "ac"),
    ],
)
def test_same_seed_gives_identical_metrics(tmp_path, smoke_cfg, task, algo):
    a = run_module.run(task, algo, 1, smoke_cfg, tmp_path / "a", progress=False)
    b = run_module.run(task, algo, 1, smoke_cfg, tmp_path / "b", progress=False)
    c = run_module.run(task, algo, 2, smoke_cfg, tmp_path / "c", progress=False)
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    assert (a / "metrics.csv").read_bytes() != (c / "metrics.csv").read_bytes()


def test_killed_run_resumes_with_identical_results(tmp_path, smoke_cfg, monkeypatch):
    reference = run_module.run("ising", "mfq", 0, smoke_cfg, tmp_path / "ref", progress=False)
    real = ising_experiments.mfq_at_temperatures

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(ising_experiments, "mfq_at_temperatures", killed)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_module.run("ising", "mfq", 0, smoke_cfg, out, progress=False)
    assert not (out / "metrics.csv").exists()  # nothing half-written

    # a run killed after its first two temperatures were saved, computed on their own
    taus = smoke_cfg.ising.taus
    monkeypatch.setattr(ising_experiments, "mfq_at_temperatures", real)
    ising_experiments.run_sweep("mfq", 0, dataclasses.replace(smoke_cfg.ising, taus=taus[:2]), out / "partial", progress=False)
    assert len(list((out / "partial").glob("*.csv"))) == 2

    calls = []
    monkeypatch.setattr(ising_experiments, "mfq_at_temperatures", lambda cfg, t, *a: (calls.append(t), real(cfg, t, *a))[1])
    run_module.run("ising", "mfq", 0, smoke_cfg, out, progress=False)
    assert calls == [taus[2:]]  # the two finished temperatures were not redone
    # and the temperatures computed apart equal those computed together: each has its own stream
    assert (out / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()


def test_partial_results_of_other_settings_are_never_reused(tmp_path, smoke_cfg, monkeypatch, capsys):
    """A run killed after two temperatures under one setting of ising.mfq.steps, then run again with
    another: `refuse` stops with one line; `restart` (what the pipeline passes) discards the old
    temperatures and gives exactly a fresh run's metrics. Before partial/ was stamped with the run's
    config hash, the second run silently kept the two stale temperatures."""
    edited = dataclasses.replace(
        smoke_cfg,
        ising=dataclasses.replace(
            smoke_cfg.ising, mfq=dataclasses.replace(smoke_cfg.ising.mfq, steps=smoke_cfg.ising.mfq.steps // 2)
        ),
    )
    reference = run_module.run("ising", "mfq", 0, edited, tmp_path / "ref", progress=False)
    real = ising_experiments.mfq_at_temperatures
    monkeypatch.setattr(ising_experiments, "mfq_at_temperatures", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_module.run("ising", "mfq", 0, smoke_cfg, out, progress=False)
    monkeypatch.setattr(ising_experiments, "mfq_at_temperatures", real)
    ising_experiments.run_sweep(
        "mfq", 0, dataclasses.replace(smoke_cfg.ising, taus=smoke_cfg.ising.taus[:2]), out / "partial", progress=False
    )
    with pytest.raises(ConfigError, match="partial results made with other settings than this run's"):
        run_module.run("ising", "mfq", 0, edited, out, progress=False)
    run_module.run("ising", "mfq", 0, edited, out, progress=False, stale="restart")
    assert "discarded, training afresh" in capsys.readouterr().err
    assert (out / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()


def test_the_provenance_table_has_a_row_per_run(tmp_path):
    """Two hand-made runs, ising/mcmc/seed1 and battle/mfq/seed0, each with a provenance.json: the
    table has one row per run, sorted by task, algorithm and seed (battle before ising), with the
    run's settings hash, commit, wall time, memory and torch version as the json gives them."""
    from replication.provenance import RUN_COLUMNS, run_table

    for task, algo, seed, wall in (("ising", "mcmc", 1, 7.5), ("battle", "mfq", 0, 415.9)):
        folder = tmp_path / "runs" / task / algo / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "provenance.json").write_text(
            json.dumps(
                {
                    "git_commit": "abc",
                    "git_dirty": False,
                    "packages": {"torch": "2.13.0+cpu"},
                    "cpu": "AMD EPYC",
                    "threads": 1,
                    "device": "cpu",
                    "seed": seed,
                    "start": "s",
                    "end": "e",
                    "wall_seconds": wall,
                    "max_rss_mb": 100.0,
                    "config_hash": f"hash-{task}",
                }
            )
        )
    table = run_table(tmp_path)
    assert list(table.columns) == list(RUN_COLUMNS)
    assert table[["task", "algo", "seed", "config_hash", "wall_seconds"]].values.tolist() == [
        ["battle", "mfq", 0, "hash-battle", 415.9],
        ["ising", "mcmc", 1, "hash-ising", 7.5],
    ]
    assert set(table["torch"]) == {"2.13.0+cpu"} and set(table["git_commit"]) == {"abc"}


def test_provenance_reads_the_source_at_the_start_and_ignores_results(tmp_path, monkeypatch):
    """In a git repository whose committed results/ file is rewritten (as the pipeline does) the
    source is clean: git_dirty False; an edited source file makes it True. The commit and state are
    read when the run starts: a commit made while it trains is not recorded."""
    import subprocess

    from replication import provenance

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "audit.csv").write_text("a\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("commit", "-qm", "one")
    monkeypatch.setattr(provenance, "REPO_ROOT", tmp_path)
    (tmp_path / "results" / "audit.csv").write_text("b\n")
    record = provenance.Provenance(0, {"a": 1}, 1, "cpu")
    first = record.commit
    git("commit", "-qam", "two")  # made while the run trains
    assert record.finish()["git_dirty"] is False and record.finish()["git_commit"] == first
    (tmp_path / "code.py").write_text("x = 2\n")
    assert provenance.Provenance(0, {"a": 1}, 1, "cpu").finish()["git_dirty"] is True
