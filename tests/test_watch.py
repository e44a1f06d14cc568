"""`python -m replication evaluate` and `render`: trained models run without training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SMOKE
from PIL import Image

from replication import cli, run, watch
from replication.config import load_config

DEFAULT = SMOKE.parent / "default.yaml"


def _train(tmp_path, task, algo, name, **section):
    extra = tmp_path / f"{name}.yaml"
    extra.write_text(yaml.safe_dump({task: section}))
    out = tmp_path / name
    run.run(task, algo, 0, load_config([DEFAULT, SMOKE, extra]), out, progress=False)
    return out / "model.pt"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models")
    return {
        "mfq": _train(tmp, "battle", "mfq", "mfq", rounds=1, max_steps=12),
        "il": _train(tmp, "battle", "il", "il", rounds=1, max_steps=12),
        "il_small": _train(tmp, "battle", "il", "il_small", rounds=1, max_steps=12, map_size=16, agents_per_side=4),
        "pursuit": _train(tmp, "pursuit", "ped_dqn", "pursuit", steps=100, eval_every=100, episode_length=30),
    }


def test_battle_summary_by_hand():
    """Four rounds, the model left in rounds 0 and 2. Kills (model, opponent): (3, 1) win, (2, 2) tie,
    (0, 4) loss, (5, 0) win. Left: 1 win, 1 loss, model kills (3 + 0)/2 = 1.5, opponent (1 + 4)/2 = 2.5;
    right: 1 win, 1 tie, model kills 3.5, opponent 1; all: 2 wins, 1 loss, 1 tie, model reward
    (1 + 0 − 2 + 4)/4 = 0.75."""
    rounds = pd.DataFrame(
        {
            "row_side": ["left", "right", "left", "right"],
            "row_kills": [3, 2, 0, 5],
            "col_kills": [1, 2, 4, 0],
            "row_kills_reference": [3, 2, 0, 5],
            "col_kills_reference": [1, 2, 4, 0],
            "row_total_reward": [1.0, 0.0, -2.0, 4.0],
            "col_total_reward": [0.0, 0.0, 1.0, -1.0],
            "win_rule": "exact",
        }
    )
    summary = watch.battle_summary(rounds).set_index("split")
    assert summary.loc["model left", ["rounds", "wins", "losses", "ties"]].tolist() == [2, 1, 1, 0]
    assert summary.loc["model left", ["model_kills", "opponent_kills"]].tolist() == [1.5, 2.5]
    assert summary.loc["model right", ["wins", "losses", "ties", "model_kills", "opponent_kills"]].tolist() == [1, 0, 1, 3.5, 1.0]
    assert summary.loc["all", ["wins", "losses", "ties", "model_total_reward"]].tolist() == [2, 1, 1, 0.75]


def test_evaluate_battle_alternates_sides(models, capsys, tmp_path):
    """Six rounds against another trained model: the model plays left in rounds 0, 2, 4 and right in
    1, 3, 5 (the tournament's schedule), and the printed summary counts every round once."""
    out = tmp_path / "rounds.csv"
    assert (
        cli.main(
            [
                "evaluate",
                "--task",
                "battle",
                "--model",
                str(models["mfq"]),
                "--opponent",
                str(models["il"]),
                "--rounds",
                "6",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rounds = pd.read_csv(out)
    assert rounds["row_side"].tolist() == ["left", "right", "left", "right", "left", "right"]
    assert rounds["row_group"].tolist() == [0, 0, 1, 1, 0, 0]
    printed = capsys.readouterr().out
    assert "mfq" in printed and "model left" in printed and "model right" in printed
    assert printed.splitlines()[-1].split()[:2] == ["all", "6"]


def test_evaluate_is_reproducible(models, tmp_path):
    """Same model, opponent and seed: the same rounds, byte for byte."""
    paths = [tmp_path / f"{k}.csv" for k in range(2)]
    for path in paths:
        cli.main(
            [
                "evaluate",
                "--task",
                "battle",
                "--model",
                str(models["mfq"]),
                "--opponent",
                "random",
                "--rounds",
                "4",
                "--out",
                str(path),
            ]
        )
    assert paths[0].read_bytes() == paths[1].read_bytes()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--task", "battle", "--model", "missing.pt"], "--model: missing.pt does not exist"),
        (["--task", "battle", "--model", "{pursuit}"], "a pursuit model (ped_dqn), not a battle one"),
        (["--task", "pursuit", "--model", "{mfq}"], "a battle model (mfq), not a pursuit one"),
        (
            ["--task", "battle", "--model", "{mfq}", "--opponent", "{il_small}"],
            "trained on a 16×16 map with 4 agents per side, the model on 20×20 with 8",
        ),
        (["--task", "battle", "--model", "{mfq}", "--rounds", "0"], "--rounds: must be at least 1"),
        (["--task", "pursuit", "--model", "{pursuit}", "--opponent", "random"], "--opponent is for battle"),
        (["--task", "battle", "--model", "best:mfq"], "needs --results"),
        (["--task", "battle", "--model", "{garbage}"], "cannot be read safely"),
    ],
)
def test_evaluate_bad_input_is_one_line(models, tmp_path, capsys, argv, message):
    garbage = tmp_path / "garbage.pt"
    garbage.write_text("not a checkpoint")
    paths = {**{k: str(v) for k, v in models.items()}, "garbage": str(garbage)}
    assert cli.main(["evaluate", *[a.format(**paths) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_render_battle_gif(models, tmp_path):
    """One 12-step round: 13 frames (the start and every step), the model's team in the left formation
    at the start, a GIF well under 2 MB."""
    model = watch.load_model(models["mfq"], "battle", np.random.default_rng(0))
    frames = watch.battle_frames(model, watch.battle_opponent("random", model, 0)[2])
    assert len(frames) == 13 and [f["step"] for f in frames] == list(range(13))
    assert frames[0]["teams"][0][:, 0].max() < model.settings.map_size // 2 < frames[0]["teams"][1][:, 0].min()
    out = tmp_path / "battle.gif"
    assert (
        cli.main(
            ["render", "--task", "battle", "--model", str(models["mfq"]), "--opponent", str(models["il"]), "--out", str(out)]
        )
        == 0
    )
    gif = Image.open(out)
    assert gif.format == "GIF" and gif.n_frames == 13 and out.stat().st_size < 2_000_000


def test_render_pursuit_marks_every_capture(models, tmp_path):
    """A 30-step episode: 31 frames; the capture markers over the frames add up to the episode's captures,
    and a frame's capture count rises exactly by the prey marked caught in it."""
    model = watch.load_model(models["pursuit"], "pursuit", np.random.default_rng(0))
    frames = watch.pursuit_frames(model)
    assert len(frames) == 31
    for before, after in zip(frames, frames[1:]):
        assert after["captures"] - before["captures"] == len(after["caught"])
    out = tmp_path / "pursuit.gif"
    assert cli.main(["render", "--task", "pursuit", "--model", str(models["pursuit"]), "--out", str(out)]) == 0
    assert Image.open(out).n_frames == 31


def test_best_model_is_the_seed_with_the_highest_win_rate(tmp_path):
    """MF-Q seed 0 wins 1 of 2 rounds, seed 1 wins 2 of 2 (IL wins none): best:mfq is seed 1."""
    rows = [("mfq", 0, 3, 1), ("mfq", 0, 0, 2), ("mfq", 1, 2, 1), ("mfq", 1, 4, 0), ("il", 0, 0, 1), ("il", 0, 1, 1)]
    frame = pd.DataFrame(
        [
            {
                "row_algo": a,
                "row_seed": s,
                "col_algo": "x",
                "col_seed": 0,
                "round": 0,
                "row_group": 0,
                "row_side": "left",
                "row_kills": rk,
                "col_kills": ck,
                "row_kills_reference": rk,
                "col_kills_reference": ck,
                "row_total_reward": 0.0,
                "col_total_reward": 0.0,
                "win_rule": "exact",
            }
            for a, s, rk, ck in rows
        ]
    )
    (tmp_path / "runs" / "battle").mkdir(parents=True)
    frame.to_csv(tmp_path / "runs" / "battle" / "tournament.csv", index=False)
    assert watch.best_model(tmp_path, "mfq") == tmp_path / "runs" / "battle" / "mfq" / "seed1" / "model.pt"
    assert watch.best_model(tmp_path, "il") == tmp_path / "runs" / "battle" / "il" / "seed0" / "model.pt"
