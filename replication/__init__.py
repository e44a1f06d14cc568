"""Replication suite for Mean Field MARL (Yang et al. 2018) and PED-DQN (Hostallero et al. 2020).

Distributed as `marl-replication-suite` (the name `replication` on the public registry is another
project's); imported as `replication`.
"""

from importlib import metadata

DISTRIBUTION = "marl-replication-suite"

try:
    __version__ = metadata.version(DISTRIBUTION)
except metadata.PackageNotFoundError:  # run from a source tree that was not installed
    __version__ = "unknown"
