"""One registry per family of experiments: every algorithm's name, display label, fixed random-stream
id and learner class. The config's allowed values, the Snakemake wildcards, the run dispatcher, the
tables, the figure labels and the CLI's help all read it, so adding an algorithm to a family is its
module, its YAML section and one line here.

Learner classes are named as "module:Class" and imported only when a run starts. An algorithm with
settings of its own names their dataclass the same way (beside its learner, in the same module):
the config imports it when it builds the family's section, which gains a sub-section of that name
(e.g. `battle.mfq`). The Snakefile reads this registry's names without importing torch or magent2.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Algorithm:
    name: str
    label: str  # in figures and tables
    stream_id: int  # fixed: adding or reordering algorithms never moves another's random stream
    learner: str | None = None  # "package.module:Class"; None where the experiment dispatches itself (Ising)
    tasks: tuple[str, ...] | None = None  # the family's tasks it runs on; None: every one
    paper: str = ""  # the paper whose figures it belongs to where a family mixes them (battle: A or B)
    settings: str | None = None  # "package.module:Class" of its own settings (config `<family>.<name>`); None: none
    colour: str | None = None  # a fixed colour in figures where the family fixes them (Ising); None: the plot's cycle

    def load(self):
        """The learner class."""
        return _import(self.learner)

    def settings_class(self):
        """The dataclass of the algorithm's own settings, None if it has none."""
        return None if self.settings is None else _import(self.settings)


def _import(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class Family:
    name: str
    tasks: tuple[str, ...]
    algorithms: tuple[Algorithm, ...]
    # what learns nothing, the audit's null model: an algorithm of the family run beside the others,
    # or for battle the scripted random team of the scripted evaluation (algorithms/battle/scripted.py)
    null: str | None = None

    def __getitem__(self, name: str) -> Algorithm:
        for algorithm in self.algorithms:
            if algorithm.name == name:
                return algorithm
        raise KeyError(name)

    def names(self, task: str | None = None) -> tuple[str, ...]:
        """Algorithm names in registry order (the order of legends), those of `task` if given."""
        return tuple(a.name for a in self.algorithms if task is None or a.tasks is None or task in a.tasks)

    @property
    def labels(self) -> dict[str, str]:
        return {a.name: a.label for a in self.algorithms}

    @property
    def colours(self) -> dict[str, str | None]:
        return {a.name: a.colour for a in self.algorithms}


_GS = "replication.algorithms"
_BATTLE = "replication.algorithms.battle"
_SEMI = "replication.algorithms.semi_cooperative"

ISING = Family(
    "ising",
    ("ising", "ising_toy"),
    (
        Algorithm("mcmc", "MCMC", 2, tasks=("ising",), colour="tab:orange"),  # the baseline first, as in the tables
        Algorithm("mfq", "MF-Q", 1, colour="tab:blue"),
        Algorithm("random", "random spins", 3, tasks=("ising",), colour="tab:gray"),  # the null model
        # the null model of the learning claims (Q-values, Fig. 5's run): MF-Q that never updates its Q-table
        Algorithm("untrained", "untrained MF-Q", 4, colour="tab:olive"),
    ),
    null="random",
)

GAUSSIAN_SQUEEZE = Family(
    "gaussian_squeeze",
    ("gaussian_squeeze",),
    (
        Algorithm("il", "IL", 0, f"{_GS}.iql:IndependentQ"),
        Algorithm("fmq", "FMQ", 1, f"{_GS}.fmq:FrequencyMaximumQ"),
        Algorithm("rec_fmq", "Rec-FMQ", 2, f"{_GS}.rec_fmq:RecursiveFMQ", settings=f"{_GS}.rec_fmq:RecursiveFMQSettings"),
        Algorithm("maac", "MAAC", 3, f"{_GS}.maac:CentralisedCriticAC"),
        Algorithm("mfq", "MF-Q", 4, f"{_GS}.mfq:MeanFieldQ", settings=f"{_GS}.mfq:MeanFieldQSettings"),
        Algorithm("mfac", "MF-AC", 5, f"{_GS}.mfac:MeanFieldActorCritic"),
        Algorithm("random", "uniform random", 6, f"{_GS}.uniform_random:UniformRandomPolicy"),  # the null model
    ),
    null="random",
)

BATTLE = Family(
    "battle",
    ("battle",),
    (
        Algorithm(
            "mfq", "MF-Q", 1, f"{_BATTLE}.mfq:BattleMeanFieldDQN", paper="A", settings=f"{_BATTLE}.mfq:BattleMeanFieldDQNSettings"
        ),
        Algorithm("il", "IL", 0, f"{_BATTLE}.il:BattleIndependentDQN", paper="A"),
        Algorithm("mfac", "MF-AC", 3, f"{_BATTLE}.mfac:MeanFieldAC", paper="A", settings=f"{_BATTLE}.mfac:MeanFieldACSettings"),
        Algorithm("ac", "AC", 2, f"{_BATTLE}.ac:IndependentAC", paper="A"),
        Algorithm(
            "ped_dqn",
            "PED-DQN",
            4,
            f"{_BATTLE}.ped_dqn:BattlePeerEvaluationDualDQN",
            paper="B",
            settings=f"{_BATTLE}.ped_dqn:BattlePeerEvaluationDualDQNSettings",
        ),
    ),
    null="random",
)

SEMI_COOPERATIVE_TASKS = ("prisoners_dilemma", "pursuit", "resource_sharing", "tiger_deer")
# paper B's tasks have fixed stream ids of their own, like the algorithms
TASK_STREAM_ID = {"prisoners_dilemma": 0, "pursuit": 1, "resource_sharing": 2, "tiger_deer": 3}

SEMI_COOPERATIVE = Family(
    "semi_cooperative",
    SEMI_COOPERATIVE_TASKS,
    (
        Algorithm(
            "ped_dqn",
            "PED-DQN",
            0,
            f"{_SEMI}.ped_dqn:PeerEvaluationDualDQN",
            settings=f"{_SEMI}.ped_dqn:PeerEvaluationDualDQNSettings",
        ),
        Algorithm("idqn", "IDQN", 1, f"{_SEMI}.idqn:IndependentDQN"),
        Algorithm("pe_dqn", "PE-DQN", 2, f"{_SEMI}.pe_dqn:PeerEvaluationDQN"),
        Algorithm("reward_sharing", "reward sharing", 3, f"{_SEMI}.reward_sharing:RewardSharingDQN"),
        # QMIX mixes with the global state, which tiger_deer does not give
        Algorithm("qmix", "QMIX", 4, f"{_SEMI}.qmix:QMIX", tasks=("prisoners_dilemma", "pursuit", "resource_sharing")),
        Algorithm("mfq", "MF-Q", 5, f"{_SEMI}.mfq:MeanFieldDQN", settings=f"{_SEMI}.mfq:MeanFieldDQNSettings"),
        Algorithm("random", "uniform random", 6, f"{_SEMI}.uniform_random:UniformRandomAgents"),  # the null model
    ),
    null="random",
)

FAMILIES = {family.name: family for family in (ISING, GAUSSIAN_SQUEEZE, BATTLE, SEMI_COOPERATIVE)}
TASKS = tuple(task for family in FAMILIES.values() for task in family.tasks)


def family_of(task: str) -> Family | None:
    """The family a task belongs to; None for a name that is no task."""
    return next((family for family in FAMILIES.values() if task in family.tasks), None)


def algorithms_of(task: str) -> tuple[str, ...]:
    """The algorithms a task runs, read from its family's registry when asked."""
    return family_of(task).names(task)
