"""Checks of a whole config that need a task's own knowledge (config.py imports no task): run by
the CLI and the Snakefile right after the config loads, before any job starts."""

from __future__ import annotations

from replication.config import ConfigError, SuiteConfig
from replication.tasks.formation import check_fits


def check_tasks(cfg: SuiteConfig) -> SuiteConfig:
    """The battle map holds both formations; returns the config, or raises a one-line ConfigError."""
    try:
        check_fits(cfg.battle.map_size, cfg.battle.agents_per_side)
    except ValueError as err:
        raise ConfigError(f"battle.{err}") from None
    return cfg
