"""Metrics you can watch (replication/live.py): metrics.csv grows while a run trains, a killed run
leaves a readable one, and TensorBoard scalars on request."""

from pathlib import Path

import pandas as pd
import pytest

from replication import live
from replication.config import ConfigError, load_config
from replication.run import run

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, SMOKE = ROOT / "workflow/config/default.yaml", ROOT / "workflow/config/smoke.yaml"
# resource sharing for 200 steps with an evaluation every 100: two evaluations
SHORT = "resource_sharing:\n  steps: 200\n  eval_every: 100\n  eval_episodes: 2\n  checkpoint_every: 100\n"


def _cfg(tmp_path):
    overlay = tmp_path / "short.yaml"
    overlay.write_text(SHORT)
    return load_config([DEFAULT, SMOKE, overlay])


def test_metrics_csv_grows_at_every_evaluation(tmp_path, monkeypatch):
    """A copy of metrics.csv taken at each update: after the first evaluation it holds the
    untrained rows (step 0) and step 100's, in the finished file's columns; after the second, step
    200's too; the finished metrics.csv begins with the first snapshot's rows, and equals the
    second."""
    snapshots = []
    update = live.LiveLog.update

    def recording(self, rows):
        update(self, rows)
        snapshots.append(pd.read_csv(self.out / "metrics.csv"))

    monkeypatch.setattr(live.LiveLog, "update", recording)
    out = run("resource_sharing", "idqn", 0, _cfg(tmp_path), tmp_path / "run", progress=False)
    final = pd.read_csv(out / "metrics.csv")
    assert len(snapshots) == 2
    assert list(snapshots[0].columns) == ["task", "algo", "seed", "step", "metric", "value"] == list(final.columns)
    assert sorted(set(snapshots[0]["step"])) == [0, 100] and sorted(set(snapshots[1]["step"])) == [0, 100, 200]
    pd.testing.assert_frame_equal(final.iloc[: len(snapshots[0])], snapshots[0])
    pd.testing.assert_frame_equal(final, snapshots[1])


def test_a_run_killed_after_an_evaluation_leaves_a_readable_metrics_csv(tmp_path, monkeypatch):
    """The second evaluation fails (as a kill would stop it): metrics.csv is there and readable,
    with the first evaluation's rows and no later ones, and there is no provenance.json (the run did
    not finish)."""
    from replication.experiments import semi_cooperative

    calls = {"n": 0}
    evaluate = semi_cooperative.evaluate_episodes

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the untrained evaluation, the first, then this one
            raise KeyboardInterrupt("killed")
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(semi_cooperative, "evaluate_episodes", failing)
    with pytest.raises(KeyboardInterrupt):
        run("resource_sharing", "idqn", 0, _cfg(tmp_path), tmp_path / "run", progress=False)
    left = pd.read_csv(tmp_path / "run" / "metrics.csv")
    assert sorted(set(left["step"])) == [0, 100] and not (tmp_path / "run" / "provenance.json").exists()


def test_tensorboard_scalars_on_request(tmp_path, monkeypatch):
    """REPLICATION_TENSORBOARD=1: the run's tensorboard/ folder holds one scalar series per metric,
    with the values of metrics.csv at their steps (social welfare at steps 100 and 200)."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv(live.TENSORBOARD_ENV, "1")
    out = run("resource_sharing", "idqn", 0, _cfg(tmp_path), tmp_path / "run", progress=False)
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    metrics = pd.read_csv(out / "metrics.csv")
    welfare = metrics[metrics["metric"] == "social_welfare"]
    scalars = events.Scalars("social_welfare")
    assert [s.step for s in scalars] == welfare["step"].tolist()
    assert [s.value for s in scalars] == pytest.approx(welfare["value"].tolist())
    assert set(events.Tags()["scalars"]) == set(metrics["metric"])


def test_tensorboard_without_the_package_is_a_one_line_error(monkeypatch):
    """Asked for and not importable: ConfigError naming the extra, before any work."""
    import builtins

    real = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name == "tensorboard":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(ConfigError, match=r"tensorboard package is not installed"):
        live.check_tensorboard()
