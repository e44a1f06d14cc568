"""Typed, validated configuration: one YAML per scale, presets as overlays.

Every section is a frozen dataclass. `load_config` merges the YAML files in order, applies
an optional preset from `replication/presets/`, and builds the dataclasses, rejecting unknown
keys, wrong types and out-of-range values with a one-line `ConfigError` that names the key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from replication.registry import BATTLE, FAMILIES, SEMI_COOPERATIVE, SEMI_COOPERATIVE_TASKS, TASKS, algorithms_of
from replication.settings import ConfigError, constrained, fraction, non_negative, positive, tagged

# Tasks whose runs `compare_tasks` can also make under the other variant: all but battle, whose
# audit reads the tournament over its trained models as well (run it with --preset by hand).
COMPARABLE_TASKS = tuple(task for family in FAMILIES.values() if family is not BATTLE for task in family.tasks)

# in increasing order of what their runs can judge: a claim needs at least its min_scale.
# rehearsal: the paper scale's settings over the first minutes of its runs (workflow/config/
# rehearsal.yaml), so it ranks beside smoke, below every scale a claim names; workstation: the papers'
# own training protocols, with the population shrunk where the paper says it does not matter (battle 8 v 8)
SCALES = ("smoke", "rehearsal", "default", "decisive", "workstation", "central", "paper")
PRESET_DIR = Path(__file__).parent / "presets"


# --- sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IsingMFQConfig:
    """Tabular MF-Q on the Ising lattice (paper A §5.2, Eq. 9 with γ = 0: the game is stateless)."""

    steps: int = positive(20000)
    learning_rate: float = fraction(0.1)
    # Boltzmann temperature at step t: max(initial · decay^(⌊t/decay_every⌋+1), τ), as the
    # reference code. For τ ≥ initial_temperature this is τ throughout.
    initial_temperature: float = positive(0.3)
    temperature_decay: float = fraction(0.99)
    decay_every: int = positive(2000)
    measure_fraction: float = fraction(0.1)  # equilibrium ξ = mean ξ over this final share of steps
    log_every: int = positive(100)
    stop_when_stable: int = non_negative(0)  # reference code: 500 (stop once ξ sits at its max); 0 = off


@dataclass(frozen=True)
class IsingMCMCConfig:
    """Metropolis baseline (paper A, Algorithm 3)."""

    sweeps: int = positive(20000)
    initial_state: Literal["ordered", "random"] = "ordered"
    measure_fraction: float = fraction(0.5)  # equilibrium ξ = mean |m| over this final share of sweeps
    log_every: int = positive(100)


@dataclass(frozen=True)
class IsingConfig:
    lattice_size: int = positive(20)
    coupling: float = positive(1.0)  # λ
    magnetic_field: float = 0.0  # h
    taus: list[float] = constrained(
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5, 1.75, 2.0, 2.35, 2.7], minimum=0, exclusive=True
    )
    # every τ's final spins and ξ series are kept; these pick the ones Figs. 5 and 6 draw
    spin_map_taus: list[float] = constrained([0.9, 1.2, 2.0], minimum=0, exclusive=True, role="analysis")
    timeseries_taus: list[float] = constrained([0.8, 1.2], minimum=0, exclusive=True, role="analysis")
    mfq: IsingMFQConfig = field(default_factory=IsingMFQConfig, metadata={"only": ("mfq", "untrained")})
    # the null model (random spins) is measured on MCMC's schedule: sweeps, measure_fraction, log_every
    mcmc: IsingMCMCConfig = field(default_factory=IsingMCMCConfig, metadata={"only": ("mcmc", "random")})

    def check(self, path: str) -> None:
        if self.lattice_size % 2:
            raise ConfigError(
                f"{path}.lattice_size: must be even (the checkerboard Metropolis sweep needs a bipartite periodic lattice), got {self.lattice_size}"
            )
        for key in ("spin_map_taus", "timeseries_taus"):
            missing = sorted(set(getattr(self, key)) - set(self.taus))
            if missing:
                raise ConfigError(f"{path}.{key}: {missing} must also be listed in {path}.taus")
        if len(set(self.taus)) != len(self.taus):
            raise ConfigError(f"{path}.taus: duplicate temperatures in {self.taus}")


@dataclass(frozen=True)
class IsingToyConfig:
    """The 3×3 cyclic toy of paper A, Fig. 2."""

    lattice_size: int = positive(3)
    steps: int = positive(500)
    temperature: float = positive(0.1)
    learning_rate: float = fraction(0.1)
    snapshot_steps: list[int] = constrained([1, 10, 500], minimum=0, exclusive=True)

    def check(self, path: str) -> None:
        late = [s for s in self.snapshot_steps if s > self.steps]
        if late:
            raise ConfigError(f"{path}.snapshot_steps: {late} exceed {path}.steps = {self.steps}")


@dataclass(frozen=True)
class GaussianSqueezeConfig:
    """Gaussian Squeeze (paper A §5.1, App. C.1)."""

    family: ClassVar[str] = "gaussian_squeeze"  # + a sub-section per algorithm with settings of its own

    agent_counts: list[int] = constrained([100, 500, 1000], minimum=1, exclusive=False)
    mu: float = positive(400.0)
    sigma: float = positive(200.0)
    n_actions: int = positive(10)
    timesteps: int = positive(1000)  # Fig. 3's x-axis; one timestep = one joint action
    gamma: float = constrained(0.95, minimum=0, exclusive=False, maximum=1)
    batch_size: int = positive(200)
    replay_samples: int = positive(1_000_000)
    update_every_samples: int = positive(500)  # one gradient step per this many new agent-samples
    q_learning_rate: float = positive(1e-5, only=("il", "fmq", "rec_fmq", "mfq"))
    critic_learning_rate: float = positive(1e-3, only=("maac", "mfac"))
    actor_learning_rate: float = positive(1e-4, only=("maac", "mfac"))
    target_tau: float = fraction(0.01)
    epsilon_start: float = constrained(1.0, minimum=0, exclusive=False, maximum=1)
    epsilon_end: float = constrained(0.05, minimum=0, exclusive=False, maximum=1)
    epsilon_decay_timesteps: int = positive(500)
    normalise_reward: bool = True  # train on G(x)/G_max instead of G(x)
    embedding_dim: int = positive(16)
    hidden: int = positive(64)
    fmq_s: float = positive(0.006, only=("fmq", "rec_fmq"))
    fmq_max_temperature: float = positive(1000.0, only=("fmq", "rec_fmq"))
    fmq_c: float = positive(5.0, only=("fmq", "rec_fmq"))
    log_every: int = positive(1)
    measure_fraction: float = fraction(0.1)  # final performance = mean over this final share of timesteps

    def check(self, path: str) -> None:
        if len(set(self.agent_counts)) != len(self.agent_counts):
            raise ConfigError(f"{path}.agent_counts: duplicate values in {self.agent_counts}")
        if min(self.agent_counts) < 2:
            raise ConfigError(f"{path}.agent_counts: need at least 2 agents, got {self.agent_counts}")


Q_LEARNERS = ("il", "mfq", "ped_dqn")  # battle's Q-learning family (IL's update, MF-Q's and PED-DQN's build on it)
ACTOR_CRITICS = ("ac", "mfac")
STACKABLE = ("il", "mfq", "ac", "mfac", "ped_dqn")  # battle learners whose seeds `stacked_update` computes as one


@dataclass(frozen=True)
class BattleConfig:
    """MAgent battle (paper A §5.3, App. C.3); reference-code choices via the reference_code preset."""

    family: ClassVar[str] = "battle"  # + a sub-section per algorithm with settings of its own

    algorithms: list[Literal[BATTLE.names()]] = constrained(list(BATTLE.names()), role="selection")
    seeds: list[int] = constrained(
        [0, 1, 2, 3, 4], minimum=0, exclusive=False, role="selection"
    )  # battle's own: it is the costly one
    map_size: int = positive(40)
    agents_per_side: int = positive(64)
    max_steps: int = positive(400)
    minimap_mode: bool = True
    rounds: int = positive(2000)  # self-play training rounds
    learning_rate: float = positive(1e-4)
    gamma: float = constrained(0.95, minimum=0, exclusive=False, maximum=1)
    batch_size: int = positive(128)
    replay_capacity: int = positive(500_000)  # agent-transitions
    train_ratio: float = positive(2.0)  # gradient batches per round = ratio × new samples / batch
    target_tau: float = fraction(0.005)
    exploration: Literal["epsilon_greedy", "greedy"] = "epsilon_greedy"
    epsilon_start: float = constrained(1.0, minimum=0, exclusive=False, maximum=1)
    epsilon_end: float = constrained(0.05, minimum=0, exclusive=False, maximum=1)
    epsilon_decay_rounds: int = positive(2000)
    mean_action: Literal["neighbors", "team"] = "neighbors"
    q_target: Literal["paper", "double_q"] = tagged("paper", only=Q_LEARNERS)  # paper: max (IL) / Boltzmann v^MF (MF-Q)
    # reference: deaths and each agent's last transition left out of the Q loss
    q_loss_mask: Literal["none", "reference"] = tagged("none", only=Q_LEARNERS)
    ac_temperature: float = positive(0.1, only=ACTOR_CRITICS)
    entropy_coef: float = non_negative(0.08, only=ACTOR_CRITICS)
    value_coef: float = non_negative(0.1, only=ACTOR_CRITICS)
    # Self-play (reference code, algo/tools.py `sp_op`): after a round main wins on total reward,
    # opponent ← (1 − opponent_keeps)·main + opponent_keeps·opponent, so the opponent nearly copies main.
    opponent_keeps: float = constrained(0.01, minimum=0, exclusive=False, maximum=1)
    side: Literal["random", "left"] = "random"  # main's side each training round: drawn (reference) or always left
    checkpoint_every: int = positive(10, role="bookkeeping")
    # the replay ring (and PED-DQN's reshaped rewards) in the checkpoint, so a killed off-policy run
    # resumes to the byte; false: a resumed run refills the ring and its provenance says so (the
    # ring's cost at paper scale: `replay_mb` and the projections in results/rehearsal/cost.csv)
    checkpoint_replay: bool = tagged(True, role="bookkeeping", since="2026-12-03")
    # seeds of an algorithm trained side by side in one job (experiments/battle.py `train_seeds`); a
    # seed's results are its run alone's to the byte, so this is bookkeeping, not a run's setting
    seeds_per_job: int = positive(1, role="bookkeeping")
    # the round updates and acting of a job's seeds as one vmapped pass (algorithms/battle/stacked.py;
    # every battle learner), for a GPU: a seed then follows its run alone to float tolerance only, so the job's
    # seeds enter its settings hash (workflow/rules/common.smk `battle_settings`); slower on CPU (docs/benchmarks.md)
    stacked_update: bool = tagged(False, only=STACKABLE, since="2026-11-24")
    # threads that observe and step a job's seeds' environments side by side (experiments/battle.py
    # `play_rounds`); the learners act and store in order, so results are the same whatever the count
    env_threads: int = positive(1, role="bookkeeping", since="2026-11-24")
    # evaluation rounds per seed pair, a multiple of 4 (side × group order)
    tournament_rounds: int = positive(52, role="tournament")
    # rounds of a tournament pairing played at once, each model acting for all of them in one forward
    # pass per step (experiments/battle.py `balanced_rounds`); the draws of an actor-critic's π then
    # come in another order, so it is a tournament setting
    tournament_batch: int = positive(1, role="tournament", since="2026-11-24")
    scripted_rounds: int = positive(8, role="scripted")  # rounds per model against each scripted team, a multiple of 4
    # actor-critics sample π (reference); Q-learners are greedy either way
    evaluation_policy: Literal["sample", "greedy"] = tagged("sample", role="evaluation")
    # reference: kills before the last step's clearing, a tie wins for both
    evaluation_win_rule: Literal["exact", "reference"] = tagged("exact", role="evaluation")

    def check(self, path: str) -> None:
        # whether the map holds both formations is the task's to say: replication.validation
        if len(set(self.algorithms)) != len(self.algorithms) or not self.algorithms:
            raise ConfigError(f"{path}.algorithms: need distinct algorithms, got {self.algorithms}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"{path}.seeds: need distinct seeds, got {self.seeds}")
        for key in ("tournament_rounds", "scripted_rounds"):
            if getattr(self, key) % 4:
                raise ConfigError(
                    f"{path}.{key}: must be a multiple of 4 (each side × group order equally often), got {getattr(self, key)}"
                )
        if self.replay_capacity < 4 * self.agents_per_side:
            raise ConfigError(
                f"{path}.replay_capacity: must hold at least 4 steps of a team ({4 * self.agents_per_side}), got {self.replay_capacity}"
            )


@dataclass(frozen=True)
class SemiCooperativeConfig:
    """Learners of paper B (PED-DQN and its baselines); every default is the author code's unless noted."""

    family: ClassVar[str] = "semi_cooperative"  # + a sub-section per algorithm with settings of its own

    beta: float = non_negative(
        1.0, only=("ped_dqn", "pe_dqn", "reward_sharing")
    )  # weight of the peer evaluation (and of reward sharing)
    gamma: float = constrained(0.99, minimum=0, exclusive=False, maximum=1)
    action_learning_rate: float = positive(1e-4)  # PED-DQN's action network; also every single-network baseline
    buffer_size: int = positive(20_000)  # joint steps, one FIFO per network
    batch_size: int = positive(32)
    learning_starts: int = non_negative(128)  # env steps before the first gradient step
    epsilon_start: float = constrained(1.0, minimum=0, exclusive=False, maximum=1)
    epsilon_end: float = constrained(0.1, minimum=0, exclusive=False, maximum=1)
    # z's bootstrap: Q(o', π(o')) (paper) or max_u Q(o', u) (author code)
    peer_bootstrap: Literal["policy", "max"] = tagged("policy", only=("ped_dqn", "pe_dqn"))
    # z from the live mission network (paper) or its frozen copy (author code)
    peer_network: Literal["mission", "frozen_copy"] = tagged("mission", only=("ped_dqn", "pe_dqn"))
    # whose z a receives: the peers it observed when it acted (before the move) or those in its view
    # after the move, where the author code's pursuit reads them (`collect_incentives` reads the grid
    # `set_observations` set after the moves)
    peers_seen: Literal["before_move", "after_move"] = tagged(
        "before_move", only=("ped_dqn", "pe_dqn", "reward_sharing"), since="2026-12-03"
    )
    parameter_sharing: bool = False  # author code: one network per agent
    # seeds of a learner trained together in one job (experiments/seed_group.py). Part of the runs'
    # settings: grouped seeds follow their runs alone only to float precision, and drift apart over
    # long runs (docs/benchmarks.md)
    seeds_per_job: int = positive(5)


@dataclass(frozen=True)
class SemiCooperativeTask:
    """Schedule shared by the paper-B tasks: training length, exploration, warm-up, evaluation."""

    authors_end_is_done: ClassVar[bool] = False  # whether the author code's task sets `done` at an episode's end

    algorithms: list[Literal[SEMI_COOPERATIVE.names()]] = constrained(list(SEMI_COOPERATIVE.names()), role="selection")
    steps: int = positive(1_000_000)  # training env steps
    # a learner's own training length where it differs from `steps` (the rehearsal scale runs the
    # learners whose peer evaluations switch on past that switch, the others shorter); a run's
    # settings hold its own length only (`for_algo`)
    steps_of: dict[Literal[SEMI_COOPERATIVE.names()], int] = positive({}, since="2026-12-03")
    epsilon_decay_steps: int = positive(250_000)
    # linear: ε from start to end over epsilon_decay_steps; authors: ε falls by 1/epsilon_decay_steps
    # per env step to its floor, skipping the decrement on a step that ends an episode with `done`
    # (the step trainers' loop breaks before it; pursuit sets done at step 100, gems never does)
    epsilon_schedule: Literal["linear", "authors"] = tagged("linear", since="2026-12-03")
    target_update_every: int = positive(5000)  # training steps between hard target (and peer copy) refreshes
    # peer evaluations (and shared rewards) are added from this env step on
    peer_warmup_steps: int = non_negative(50_000, only=("ped_dqn", "pe_dqn", "reward_sharing"))
    eval_every: int = positive(4000)
    eval_episodes: int = positive(25)
    checkpoint_every: int = positive(50_000, role="bookkeeping")  # env steps between checkpoints
    hidden: int = positive(64)  # width of the Q-networks' two dense layers (author code: pursuit 64)
    qmix_embedding: int = positive(32, only=("qmix",))  # QMIX mixing width (author code: pursuit 32)

    def check(self, path: str) -> None:
        if not self.algorithms or len(set(self.algorithms)) != len(self.algorithms):
            raise ConfigError(f"{path}.algorithms: need distinct algorithms, got {self.algorithms}")
        for name, steps in {"steps": self.steps, **{f"steps_of.{a}": n for a, n in self.steps_of.items()}}.items():
            if self.eval_every > steps:
                raise ConfigError(
                    f"{path}.eval_every: {self.eval_every} exceeds {path}.{name} = {steps}; no evaluation would run"
                )

    def for_algo(self, algo: str):
        """This schedule as `algo` trains on it: its own length (`steps_of`) in `steps`."""
        if not self.steps_of:
            return self
        return dataclasses.replace(self, steps=self.steps_of.get(algo, self.steps), steps_of={})


@dataclass(frozen=True)
class PrisonersDilemmaConfig(SemiCooperativeTask):
    """The schedule scaled down from pursuit's: the stateless game is learned in far fewer steps."""

    steps: int = positive(50_000)
    epsilon_decay_steps: int = positive(12_500)
    target_update_every: int = positive(250)
    peer_warmup_steps: int = non_negative(2_500, only=("ped_dqn", "pe_dqn", "reward_sharing"))
    eval_every: int = positive(1000)
    checkpoint_every: int = positive(10_000, role="bookkeeping")
    episode_length: int = positive(10)


@dataclass(frozen=True)
class PursuitConfig(SemiCooperativeTask):
    authors_end_is_done: ClassVar[bool] = True  # battery_endless.py: done when the step count reaches 100
    observation_timing: Literal["current", "reference"] = "current"  # reference: the author code's one-step-late features
    grid_size: int = positive(10)
    n_predators: int = positive(4)
    n_prey: int = positive(3)
    episode_length: int = positive(100)
    battery: int = positive(100)
    respawn_steps: int = non_negative(15)
    reward_form: Literal["picsq", "sigmoid_linear", "sigmoid_sigmoid"] = "picsq"  # the task's REWARD_FORMS

    def check(self, path: str) -> None:
        super().check(path)
        cells = self.grid_size * self.grid_size
        if self.n_predators + self.n_prey > cells:
            raise ConfigError(
                f"{path}.n_predators: {self.n_predators} predators and {self.n_prey} prey do not fit "
                f"the {cells} cells of a {self.grid_size}×{self.grid_size} grid"
            )


@dataclass(frozen=True)
class ResourceSharingConfig(SemiCooperativeTask):
    steps: int = positive(2_000_000)
    eval_every: int = positive(5000)  # author code (gems): test_interval 5000, 80 test episodes
    eval_episodes: int = positive(80)
    hidden: int = positive(32)  # author code (gems/agents/ind_dqn/dq_network.py)
    qmix_embedding: int = positive(64, only=("qmix",))  # author code (gems/agents/qmix/dq_network.py)
    n_agents: int = positive(8)
    supply: int = non_negative(40)
    demand: int = positive(40)
    episode_length: int = positive(30)
    mean_reward: bool = False  # the author code's "mean" variants
    global_success: Literal["all_satisfied", "reference"] = "all_satisfied"  # reference: the author code's logged measure

    def check(self, path: str) -> None:
        super().check(path)
        if self.n_agents < 3:
            raise ConfigError(f"{path}.n_agents: a ring needs at least 3 agents, got {self.n_agents}")
        if self.demand < self.n_agents:
            raise ConfigError(f"{path}.demand: {self.demand} cannot give each of {self.n_agents} agents a need of at least 1")


@dataclass(frozen=True)
class TigerDeerConfig(SemiCooperativeTask):
    algorithms: list[Literal[SEMI_COOPERATIVE.names()]] = constrained(
        list(SEMI_COOPERATIVE.names("tiger_deer")), role="selection"
    )
    steps: int = positive(500_000)
    epsilon_decay_steps: int = positive(125_000)
    target_update_every: int = positive(2500)
    peer_warmup_steps: int = non_negative(25_000, only=("ped_dqn", "pe_dqn", "reward_sharing"))
    eval_episodes: int = positive(10)
    map_size: int = positive(20)
    n_tigers: int = positive(8)
    n_deer: int = positive(20)
    episode_length: int = positive(100)
    tiger_step_recover: float = -0.1  # magent2's tiger_deer default: a tiger starves in 100 steps
    minimap_mode: bool = False

    def check(self, path: str) -> None:
        super().check(path)
        if "qmix" in self.algorithms:
            raise ConfigError(f"{path}.algorithms: qmix needs a global state, which tiger_deer does not give")
        if self.map_size < 10:
            raise ConfigError(f"{path}.map_size: magent2 needs at least 10, got {self.map_size}")
        if self.n_tigers + self.n_deer > (self.map_size - 2) ** 2 // 2:
            raise ConfigError(
                f"{path}.n_tigers: {self.n_tigers} tigers and {self.n_deer} deer crowd a {self.map_size}×{self.map_size} map; "
                f"use at most {(self.map_size - 2) ** 2 // 2} together"
            )


@dataclass(frozen=True)
class RuleResources:
    """What one job of a rule asks the scheduler for (Snakemake threads and resources)."""

    threads: int = positive(1)
    mem_mb: int = positive(1000)
    runtime: int = positive(30)  # minutes (per seed for jobs that train several)
    # > 0: each job asks for ⌈its projected minutes × runtime_safety⌉, projected by the rehearsal
    # (results/rehearsal/cost.csv) or else from the benchmarks in results/bench (analysis/cost.py
    # `projected_minutes`); a job neither times asks for `runtime`
    runtime_safety: float = non_negative(0.0)
    # > 0: each job asks for ⌈its projected peak MB × mem_safety⌉, projected by the rehearsal
    # (results/rehearsal/cost.csv, analysis/rehearsal.py); a job it did not run asks for `mem_mb`
    mem_safety: float = non_negative(0.0)
    gpus: int = non_negative(0)  # > 0: the job runs its networks with --device cuda
    slurm_extra: str = ""  # appended to sbatch, e.g. "--constraint=a100 --qos=long" (GPUs: use `gpus`)


@dataclass(frozen=True)
class ResourcesConfig:
    ising_run: RuleResources = field(default_factory=RuleResources)
    gaussian_squeeze_run: RuleResources = field(default_factory=RuleResources)
    battle_train: RuleResources = field(default_factory=RuleResources)
    battle_tournament: RuleResources = field(default_factory=RuleResources)
    battle_scripted: RuleResources = field(default_factory=RuleResources)
    semi_cooperative_run: RuleResources = field(default_factory=RuleResources)


@dataclass(frozen=True)
class SuiteConfig:
    scale: Literal[SCALES]
    seeds: list[int] = constrained([0, 1, 2, 3, 4], minimum=0, exclusive=False, role="selection")
    preset: Literal["paper", "reference_code"] = "paper"
    # claims YAMLs of your own, audited beside replication/claims/*.yaml (paths from the working directory)
    claims: list[str] = tagged([], role="audit")
    # tasks the pipeline also runs under the other variant (preset reference_code when this one is
    # paper, and back), into results/<scale>[-<preset>]; the audit compares both (audit_variants.md)
    compare_tasks: list[Literal[COMPARABLE_TASKS]] = tagged([], role="audit")
    # per task, the scale whose settings this scale's runs of that task equal (checked by a test:
    # tests/test_central.py): the audit judges a claim on that task as at that scale. The central
    # scale's: battle the workstation's, pursuit and resource sharing the paper's
    protocol_of: dict[Literal[TASKS], Literal[SCALES]] = tagged({}, role="audit", since="2026-12-07")
    # the claims this scale audits, by id ([]: every claim); the central scale audits its four
    audit_claims: list[str] = tagged([], role="audit", since="2026-12-07")
    # the tasks this scale runs ([]: every task); the central scale runs battle, pursuit and resource sharing
    tasks: list[Literal[TASKS]] = tagged([], role="audit", since="2026-12-07")
    # paper B: play each learner's run, its networks untrained and the null model on the same
    # evaluation episodes (`python -m replication evidence`), the audit's "learned k of n"
    paired_evaluations: bool = tagged(False, role="audit", since="2026-12-07")
    ising: IsingConfig = field(default_factory=IsingConfig)
    ising_toy: IsingToyConfig = field(default_factory=IsingToyConfig)
    gaussian_squeeze: GaussianSqueezeConfig = field(default_factory=GaussianSqueezeConfig)
    battle: BattleConfig = field(default_factory=BattleConfig)
    semi_cooperative: SemiCooperativeConfig = field(default_factory=SemiCooperativeConfig)
    prisoners_dilemma: PrisonersDilemmaConfig = field(default_factory=PrisonersDilemmaConfig)
    pursuit: PursuitConfig = field(default_factory=PursuitConfig)
    resource_sharing: ResourceSharingConfig = field(default_factory=ResourceSharingConfig)
    tiger_deer: TigerDeerConfig = field(default_factory=TigerDeerConfig)
    resources: ResourcesConfig = field(default_factory=ResourcesConfig)

    def check(self, path: str) -> None:
        if not self.seeds:
            raise ConfigError("seeds: at least one seed is required")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds: duplicate seeds in {self.seeds}")
        if len(set(self.compare_tasks)) != len(self.compare_tasks):
            raise ConfigError(f"compare_tasks: duplicate tasks in {self.compare_tasks}")
        missing = [path for path in self.claims if not Path(path).is_file()]
        if missing:
            raise ConfigError(f"claims: {missing[0]} is not a file")

    @property
    def results_name(self) -> str:
        """Folder under results/: the scale, suffixed by a non-default preset."""
        return self.scale if self.preset == "paper" else f"{self.scale}-{self.preset}"

    @property
    def other_preset(self) -> str:
        """The variant `compare_tasks` runs: the reference code's beside the paper's, and back."""
        return "reference_code" if self.preset == "paper" else "paper"


# --- algorithms' own settings ----------------------------------------------------------------
# A family's section (it names its `family`) holds the settings several of its algorithms share.
# An algorithm with settings of its own declares them as a dataclass beside its learner and names it
# in its registry line; the section then gains a sub-section of the algorithm's name (YAML
# `battle: {mfq: {boltzmann_temperature: 0.1}}`), tagged as determining that algorithm's runs alone.


def with_algorithm_settings(section: type) -> type:
    """A family's section class with one sub-section per registered algorithm that has settings."""
    family = section.__dict__.get("family")
    if family is None:
        return section
    return _composed_section(section, tuple(a for a in FAMILIES[family].algorithms if a.settings))


@functools.cache
def _composed_section(section: type, owners: tuple) -> type:
    sub_sections = [
        (a.name, a.settings_class(), field(default_factory=a.settings_class(), metadata={"only": (a.name,)})) for a in owners
    ]
    return dataclasses.make_dataclass(
        section.__name__,
        sub_sections,
        bases=(section,),
        frozen=True,
        namespace={"__doc__": section.__doc__, "__module__": section.__module__, "family_section": section},
    )


def algorithm_config(section, algo: str):
    """What one learner reads, as one flat typed object: its family section's shared settings and
    its own (the section's sub-section `algo`, or their defaults where the section has none, as in
    a section built by hand). Learners read `cfg.boltzmann_temperature`, not `cfg.mfq....`."""
    settings_class = FAMILIES[section.family][algo].settings_class()
    if settings_class is None:
        return section
    base = getattr(type(section), "family_section", type(section))
    own = getattr(section, algo, None) or settings_class()
    shared = {f.name: getattr(section, f.name) for f in dataclasses.fields(base)}
    return _flat_config(base, settings_class)(**shared, **{f.name: getattr(own, f.name) for f in dataclasses.fields(own)})


@functools.cache
def _flat_config(section: type, settings: type) -> type:
    clash = {f.name for f in dataclasses.fields(section)} & {f.name for f in dataclasses.fields(settings)}
    if clash:
        raise TypeError(f"{settings.__name__} repeats {sorted(clash)} of {section.__name__}: a setting lives in one place")
    return dataclasses.make_dataclass(f"{section.__name__}For{settings.__name__}", [], bases=(settings, section), frozen=True)


# --- building ------------------------------------------------------------------------------


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp, path: str, meta: dict) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {type(value).__name__}")
        return _build(tp, value, path)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{path}: {value!r} is not allowed; choose one of {', '.join(map(str, allowed))}")
        return value
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {type(value).__name__}")
        return {_convert(k, key_tp, f"{path} key", {}): _convert(v, value_tp, f"{path}.{k}", meta) for k, v in value.items()}
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list, got {type(value).__name__}")
        return [_convert(v, item_tp, f"{path}[{i}]", meta) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        value = float(value)
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
    else:  # pragma: no cover - a programming error, not bad input
        raise TypeError(f"unsupported config type {_type_name(tp)} at {path}")
    _check_range(value, path, meta)
    return value


def _check_range(value, path: str, meta: dict) -> None:
    if "minimum" in meta:
        low = meta["minimum"]
        if (value <= low) if meta.get("exclusive") else (value < low):
            word = "positive" if meta.get("exclusive") else "non-negative"
            raise ConfigError(f"{path}: must be {word}, got {value!r}")
    if "maximum" in meta and value > meta["maximum"]:
        raise ConfigError(f"{path}: must be at most {meta['maximum']}, got {value!r}")


def _build(cls, data: dict, path: str = ""):
    cls = with_algorithm_settings(cls)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    prefix = f"{path}." if path else ""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key; allowed keys are {', '.join(fields)}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], prefix + name, dict(f.metadata))
        elif dataclasses.is_dataclass(hints[name]):  # a section left out: its defaults, composed and checked
            kwargs[name] = _build(hints[name], {}, prefix + name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{prefix}{name}: required key is missing")
    obj = cls(**kwargs)
    if hasattr(obj, "check"):
        obj.check(path)
    return obj


def build_section(cls, data: dict, path: str):
    """One validated config section (a dataclass) from a plain mapping, e.g. the settings saved in a model."""
    return _build(cls, data, path)


def deep_merge(base: dict, override: dict) -> dict:
    """Return base updated by override, recursing into nested mappings."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a mapping")
    return data


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def resolve(raw: dict, preset: str | None = None) -> SuiteConfig:
    """Apply a preset overlay to a raw mapping and build the validated config."""
    preset = preset or raw.get("preset") or "paper"
    if preset != "paper":
        if preset not in available_presets():
            raise ConfigError(f"preset: {preset!r} is not allowed; choose one of paper, {', '.join(available_presets())}")
        raw = deep_merge(raw, _read_yaml(PRESET_DIR / f"{preset}.yaml"))
    raw = dict(raw, preset=preset)
    return _build(SuiteConfig, raw)


def load_config(paths: list[str | Path], preset: str | None = None) -> SuiteConfig:
    """Merge the YAML files in order (later wins), apply the preset, validate."""
    raw: dict = {}
    for path in paths:
        raw = deep_merge(raw, _read_yaml(Path(path)))
    return resolve(raw, preset)


def configured_algorithms(cfg: SuiteConfig, task: str) -> tuple[str, ...]:
    """The algorithms a task runs under this config: its section's `algorithms` where it has that
    selection, else every algorithm of its family's registry that runs on it."""
    section = getattr(cfg, task, None)
    return tuple(getattr(section, "algorithms", None) or algorithms_of(task))


def to_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def _left_out_at_default(f: dataclasses.Field, value) -> bool:
    """A setting added after runs were made (tag `since`) at its default: left out of every settings
    mapping, so those runs keep their hashes."""
    if "since" not in f.metadata:
        return False
    return value == (f.default_factory() if f.default is dataclasses.MISSING else f.default)


def job_settings(section, algo: str | None = None, roles: tuple[str, ...] = ()) -> dict:
    """The settings of a config section that determine a job's results, as a plain mapping:
    every untagged setting, those whose `role` is in `roles`, and of the settings owned by some
    algorithms (`only`) those of `algo` (all of them when `algo` is None)."""
    settings = {}
    for f in dataclasses.fields(section):
        role, owners = f.metadata.get("role"), f.metadata.get("only")
        if (role is not None and role not in roles) or (algo is not None and owners is not None and algo not in owners):
            continue
        value = getattr(section, f.name)
        if _left_out_at_default(f, value):
            continue
        settings[f.name] = job_settings(value, algo, roles) if dataclasses.is_dataclass(value) else value
    return settings


def task_sections(cfg: SuiteConfig, task: str, algo: str | None = None, roles: tuple[str, ...] = ()) -> dict:
    """The sections a task's jobs read: its own, and for paper B's tasks the shared learner section."""
    section = getattr(cfg, task)
    if task in SEMI_COOPERATIVE_TASKS and algo is not None:
        section = section.for_algo(algo)
    sections = {task: job_settings(section, algo, roles)}
    if task in SEMI_COOPERATIVE_TASKS:
        sections = {"semi_cooperative": job_settings(cfg.semi_cooperative, algo, roles), **sections}
    return sections


def run_config(cfg: SuiteConfig, task: str, algo: str, seed: int) -> dict:
    """Everything that determines one run's results: written to its config.yaml, hashed into the
    Snakemake rule's `settings` param (so an edit reruns exactly the runs it affects)."""
    return {"scale": cfg.scale, "preset": cfg.preset, "task": task, "algo": algo, "seed": seed, **task_sections(cfg, task, algo)}


def evaluation_config(cfg: SuiteConfig, job: Literal["tournament", "scripted"]) -> dict:
    """What determines a battle evaluation job beyond the models it reads."""
    return {
        "scale": cfg.scale,
        "preset": cfg.preset,
        "job": job,
        **task_sections(cfg, "battle", None, (job, "evaluation", "selection")),
    }


def _without_bookkeeping(value):
    """A config (section) as a plain mapping without its bookkeeping settings (role "bookkeeping":
    how runs are kept and grouped into jobs, never what they compute), at every depth."""
    if not dataclasses.is_dataclass(value):
        return value
    return {
        f.name: _without_bookkeeping(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if f.metadata.get("role") != "bookkeeping" and not _left_out_at_default(f, getattr(value, f.name))
    }


def analysis_config(cfg: SuiteConfig, audit: bool = False) -> dict:
    """What the tables and figures read: every setting but the scheduler's resources, the
    bookkeeping (checkpoint spacing, seeds per battle job) and the audit's own (role "audit": claims
    files of your own); with `audit`, what the audit reads."""
    own = {f.name for f in dataclasses.fields(cfg) if f.metadata.get("role") == "audit"}
    return {k: v for k, v in _without_bookkeeping(cfg).items() if k != "resources" and (audit or k not in own)}


def config_hash(settings: dict) -> str:
    """A short, stable digest of a settings mapping (order of keys does not matter)."""
    return hashlib.sha256(yaml.safe_dump(settings, sort_keys=True).encode()).hexdigest()[:16]


def first_difference(saved, current, path: str = "") -> tuple[str, object, object] | None:
    """The first key (dotted) where two nested mappings differ, with both values; None if equal."""
    if isinstance(saved, dict) and isinstance(current, dict):
        for key in sorted(set(saved) | set(current), key=str):
            found = first_difference(saved.get(key), current.get(key), f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    return None if saved == current else (path, saved, current)
