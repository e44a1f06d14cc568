"""Which settings determine which job (config tags `only` and `role`), proved by running.

The Snakemake rules rerun a run when the hash of its `run_config` changes, so a setting left out of
a run's config must not change that run's results. Each test below edits one such setting and
checks that the run's metrics are byte-identical; the last ones check the hash itself.
"""

from __future__ import annotations

import dataclasses
import typing

import pytest
from conftest import SMOKE

from replication import run
from replication.config import analysis_config, config_hash, deep_merge, evaluation_config, load_config, run_config
from replication.registry import algorithms_of

DEFAULT = SMOKE.parent / "default.yaml"
TINY = {"battle": {"rounds": 2, "max_steps": 20, "seeds": [0]}}
SECTIONS = {
    "ising": ["ising"],
    "gaussian_squeeze": ["gaussian_squeeze"],
    "battle": ["battle"],
    "prisoners_dilemma": ["semi_cooperative", "prisoners_dilemma"],
}


def _edited(value, tp):
    """Another valid value of a setting: a different choice, the negation, twice the number."""
    if dataclasses.is_dataclass(value):
        first = dataclasses.fields(value)[0]
        return {first.name: _edited(getattr(value, first.name), typing.get_type_hints(type(value))[first.name])}
    if typing.get_origin(tp) is typing.Literal:
        return next(choice for choice in typing.get_args(tp) if choice != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, list):
        return value[:1]
    if isinstance(value, float):
        return value / 2
    return 2 * value if value else 4


def _untracked_settings():
    """(task, section, key, edited value, algorithm whose run must not change) for every tagged setting."""
    cfg = load_config([DEFAULT, SMOKE])
    cases = []
    for task, sections in SECTIONS.items():
        for section_name in sections:
            section = getattr(cfg, section_name)
            hints = typing.get_type_hints(type(section))
            for f in dataclasses.fields(section):
                owners, role = f.metadata.get("only"), f.metadata.get("role")
                if role == "selection" or (owners is None and role is None):
                    continue
                others = [a for a in algorithms_of(task) if owners is None or a not in owners]
                if task == "prisoners_dilemma":
                    others = [a for a in others if a in ("idqn", "qmix", "mfq", "ped_dqn")]
                for algo in others:
                    cases.append(
                        pytest.param(
                            task,
                            section_name,
                            f.name,
                            _edited(getattr(section, f.name), hints[f.name]),
                            algo,
                            id=f"{section_name}.{f.name}-{algo}",
                        )
                    )
    return cases


_BASE: dict = {}


def _metrics(tmp_path, name, task, algo, overrides):
    import yaml

    extra = tmp_path / f"{name}.yaml"
    extra.write_text(yaml.safe_dump(deep_merge(TINY, overrides)))
    out = tmp_path / name
    run.run(task, algo, 0, load_config([DEFAULT, SMOKE, extra]), out, progress=False)
    return (out / "metrics.csv").read_bytes(), (out / "config.yaml").read_text()


@pytest.mark.parametrize("task, section, key, value, algo", _untracked_settings())
def test_setting_left_out_of_a_run_does_not_change_it(tmp_path, task, section, key, value, algo):
    """Editing a setting tagged for other algorithms (or for evaluation, analysis, bookkeeping)
    leaves this run's metrics byte-identical and its config.yaml the same."""
    if (task, algo) not in _BASE:
        _BASE[task, algo] = _metrics(tmp_path, "base", task, algo, {})
    base_metrics, base_config = _BASE[task, algo]
    edited_metrics, edited_config = _metrics(tmp_path, "edited", task, algo, {section: {key: value}})
    assert edited_metrics == base_metrics
    assert edited_config == base_config


def test_run_hash_follows_exactly_its_own_settings():
    """IL's and MF-Q's Gaussian Squeeze runs: an MF-Q-only setting changes MF-Q's hash, not IL's;
    a shared one changes both; the tournament's rounds change no training run, only the tournament;
    an analysis-only setting changes only the analysis hash."""
    base = load_config([DEFAULT, SMOKE])

    def hashes(cfg):
        return {
            "il": config_hash(run_config(cfg, "gaussian_squeeze", "il", 0)),
            "mfq": config_hash(run_config(cfg, "gaussian_squeeze", "mfq", 0)),
            "battle_il": config_hash(run_config(cfg, "battle", "il", 0)),
            "tournament": config_hash(evaluation_config(cfg, "tournament")),
            "scripted": config_hash(evaluation_config(cfg, "scripted")),
            "ising_mcmc": config_hash(run_config(cfg, "ising", "mcmc", 0)),
            "analysis": config_hash(analysis_config(cfg)),
        }

    def changed(**sections):
        edited = dataclasses.replace(
            base, **{name: dataclasses.replace(getattr(base, name), **values) for name, values in sections.items()}
        )
        before, after = hashes(base), hashes(edited)
        return {k for k in before if before[k] != after[k]}

    gs_mfq = dataclasses.replace(base.gaussian_squeeze.mfq, boltzmann_temperature=0.5)
    assert changed(gaussian_squeeze={"mfq": gs_mfq}) == {"mfq", "analysis"}
    assert changed(gaussian_squeeze={"gamma": 0.9}) == {"il", "mfq", "analysis"}
    assert changed(battle={"tournament_rounds": 8}) == {"tournament", "analysis"}
    assert changed(battle={"evaluation_policy": "greedy"}) == {"tournament", "scripted", "analysis"}
    assert changed(battle={"learning_rate": 1e-3}) == {"battle_il", "tournament", "scripted", "analysis"}
    assert changed(ising={"timeseries_taus": [0.8]}) == {"analysis"}
    # bookkeeping changes no result, so nothing: checkpoint spacing, seeds per battle job
    assert changed(battle={"checkpoint_every": 7}) == set()
    assert changed(battle={"seeds_per_job": 5}) == set()
    assert changed(ising={"mfq": dataclasses.replace(base.ising.mfq, steps=7)}) == {"analysis"}
    assert changed(ising={"mcmc": dataclasses.replace(base.ising.mcmc, sweeps=7)}) == {"ising_mcmc", "analysis"}


def test_hash_ignores_key_order():
    assert config_hash({"a": 1, "b": {"c": 2, "d": 3}}) == config_hash({"b": {"d": 3, "c": 2}, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
