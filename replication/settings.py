"""The building blocks of typed settings: every config section (`replication/config.py`) and every
algorithm's own settings (a dataclass beside its learner, named in its registry line) declare their
fields with these helpers. Constraints and tags live in the field's metadata; `config._build`
checks the constraints, `config.job_settings` reads the tags.
"""

from __future__ import annotations

from dataclasses import field


class ConfigError(ValueError):
    """A configuration problem, reported as one line naming the key."""


# --- declarative constraints, checked by `_build` -------------------------------------------


def constrained(default, **rules):
    """A field whose value the config builder checks against `rules` (minimum, exclusive, maximum)
    and whose tags (`only`, `role`) say which jobs it determines."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=rules)
    return field(default=default, metadata=rules)


def positive(default, **tags):
    return constrained(default, minimum=0, exclusive=True, **tags)


def non_negative(default, **tags):
    return constrained(default, minimum=0, exclusive=False, **tags)


def fraction(default, **tags):
    """A value in (0, 1]."""
    return constrained(default, minimum=0, exclusive=True, maximum=1, **tags)


# --- which settings determine which job ----------------------------------------------------
# A setting without tags determines every run of its task. Tags narrow that down, so that an
# edit reruns exactly the jobs it affects (each Snakemake rule carries the `config_hash` of its
# job's settings as the param `settings`):
#   only=(algo, ...)  read by these algorithms' learners alone;
#   role="selection"  which runs exist (algorithms, seeds), not what a run computes;
#   role="bookkeeping" how a run is kept (checkpoint spacing), never its results;
#   role="analysis"   read by the tables, figures and audit only;
#   role="audit"      read by the audit only (claims files of your own);
#   role="tournament" / "scripted" / "evaluation"  the battle evaluation jobs (evaluation: both);
#   since="YYYY-MM-DD" a setting added after runs were made: it enters a job's settings only when
#                     set to other than its default, so those runs keep their settings hash.
def tagged(default, **tags):
    """A setting without range constraints, with `only`/`role` tags."""
    return constrained(default, **tags)
