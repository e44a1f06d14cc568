"""The round updates and acting of K seeds of a battle learner as one (config `battle.stacked_update`):
the TD updates of IL and MF-Q (`StackedQUpdate`) and of PED-DQN's two networks
(`StackedPeerEvaluationUpdate`), the on-policy update of AC and MF-AC (`StackedACUpdate`), and every
step's acting forward pass (`StackedActing`).

Each seed keeps its own ring, random stream, networks and optimiser; only the arithmetic is shared.
Every seed's parameters and Adam moments are stacked along a leading axis of length K
(`torch.func.stack_module_state`, `StackedAdam`); one vmapped forward and backward pass
(`torch.func.functional_call` through the learner's own loss, so each equation is written once)
gives every seed's gradient; Adam and the soft target update φ⁻ ← τ·φ + (1 − τ)·φ⁻ are elementwise,
so each seed's slice follows exactly its own optimiser.

Q-learners: seeds take different numbers of gradient steps in a round (⌈train_ratio × new samples /
batch⌉, and their teams lose agents at different rates): step i updates only the seeds with an i-th
step (`active`), and the others' parameters, moments and step counts stay as they were. Each seed
draws its batches from its own stream in the order it would alone. Actor-critics: one update per
round from all of the round's rows; seeds have different numbers of rows, so each is padded to the
longest with rows weighted 0 in the loss's means.

At the round's end the stacked tensors are written back into each seed's networks and optimiser,
which act, follow self-play and checkpoint as before; the next round loads them into the same
stacked tensors (`StackedRounds`, kept for the job).

A seed inside a group therefore follows its run alone to float tolerance, not to the byte (Adam's
bias corrections are computed in float32 tensors here, in Python floats by torch.optim.Adam), which
is why the setting is part of a run's settings. On CPU it is slower than stepping the seeds one after
another (docs/benchmarks.md, "Battle seeds in one job"); it is meant for a GPU, where the Q-learners' step and
the acting pass are also captured as CUDA graphs (`CapturedCall`, falling back to eager calls if
capture fails) and one replay replaces hundreds of small kernel launches.
"""

from __future__ import annotations

import copy
import sys

import numpy as np
import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from replication.algorithms.battle.ac import IndependentAC
from replication.algorithms.battle.il import BattleIndependentDQN, round_mean


def stackable(learners: list) -> bool:
    """Whether these learners' rounds can be stacked: several of one kind, each with its kind's round
    as it is: PED-DQN's (two TD rounds), IL's TD round (IL, MF-Q) or AC's on-policy update (AC, MF-AC)."""
    return len(learners) > 1 and _kind(learners) is not None


def _kind(learners: list):
    """The stacked update for these learners, or None. PED-DQN is known by its mission network
    (`mission_role`; stacked.py imports no learner module but the bases)."""
    if len({type(learner) for learner in learners}) == 1 and hasattr(learners[0], "mission_role"):
        return StackedPeerEvaluationUpdate
    for base, update in ((BattleIndependentDQN, StackedQUpdate), (IndependentAC, StackedACUpdate)):
        if all(isinstance(learner, base) and type(learner).train_round is base.train_round for learner in learners):
            return update
    return None


def _stacked(modules: list[torch.nn.Module]) -> dict:
    """The modules' parameters stacked along a leading seed axis: new tensors, not views."""
    return {name: p.detach().clone() for name, p in stack_module_state(modules)[0].items()}


@torch.no_grad()
def _load(stacked: dict, modules: list[torch.nn.Module]) -> None:
    """Each module's parameters into its slice of `stacked`, in place."""
    for k, module in enumerate(modules):
        for name, p in module.named_parameters():
            stacked[name][k].copy_(p)


@torch.no_grad()
def _write_back(stacked: dict, modules: list[torch.nn.Module]) -> None:
    """Each module's slice of `stacked` back into its parameters (`_load` undone)."""
    for k, module in enumerate(modules):
        for name, p in module.named_parameters():
            p.copy_(stacked[name][k])


class StackedAdam:
    """K seeds' copies of a network (`modules`) and their torch Adams, as stacked tensors: one Adam
    step over the active seeds' slices, each with its own step count (torch.optim.Adam's update,
    elementwise, so a slice follows exactly its own optimiser's arithmetic to float tolerance)."""

    def __init__(self, modules: list[torch.nn.Module], optimizers: list[torch.optim.Adam], device):
        self.modules, self.optimizers = modules, optimizers
        self.params = _stacked(modules)
        self.names = list(self.params)
        self.m = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.v = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.steps = torch.zeros(len(modules), dtype=torch.float32, device=device)
        group = optimizers[0].param_groups[0]
        self.lr, (self.beta1, self.beta2), self.eps = group["lr"], group["betas"], group["eps"]
        self.load()

    @torch.no_grad()
    def load(self) -> None:
        """Each seed's weights, Adam moments (zeros before its first step) and step count into its
        slice, in place: the stacked tensors keep their storage from round to round (a CUDA graph
        recorded on them stays valid)."""
        _load(self.params, self.modules)
        for k, (module, optimizer) in enumerate(zip(self.modules, self.optimizers)):
            states = {name: optimizer.state.get(p, {}) for name, p in module.named_parameters()}
            for name, state in states.items():
                for stacked, key in ((self.m, "exp_avg"), (self.v, "exp_avg_sq")):
                    stacked[name][k].copy_(state[key]) if key in state else stacked[name][k].zero_()
            first = states[self.names[0]]  # every parameter of one Adam has the same step count
            self.steps[k] = float(first["step"]) if "step" in first else 0.0

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step changes."""
        return [self.steps] + [d[name] for d in (self.params, self.m, self.v) for name in self.names]

    def keep(self, name: str, on: torch.Tensor) -> torch.Tensor:
        """The [K] mask of active seeds, shaped to broadcast over parameter `name`'s stack."""
        return on.view((-1,) + (1,) * (self.params[name].dim() - 1))

    @torch.no_grad()
    def step(self, grads: dict, on: torch.Tensor) -> None:
        """Adam on the active seeds' slices, in place; the others' weights, moments and steps stay."""
        self.steps.add_(on.float())
        safe = self.steps.clamp(min=1.0)  # inactive seeds before their first step
        correction1 = 1 - self.beta1**safe
        correction2_sqrt = (1 - self.beta2**safe).sqrt()
        for name in self.names:
            keep = self.keep(name, on)
            shape = keep.shape
            g = grads[name]
            m = torch.where(keep, self.m[name].lerp(g, 1 - self.beta1), self.m[name])
            v = torch.where(keep, self.v[name] * self.beta2 + (1 - self.beta2) * g * g, self.v[name])
            denom = v.sqrt() / correction2_sqrt.view(shape) + self.eps
            params = torch.where(keep, self.params[name] - (self.lr / correction1).view(shape) * m / denom, self.params[name])
            for state, value in ((self.m, m), (self.v, v), (self.params, params)):
                state[name].copy_(value)

    @torch.no_grad()
    def write_back(self) -> None:
        """Each seed's slice back into its network and its Adam (moments and step count)."""
        _write_back(self.params, self.modules)
        for k, (module, optimizer) in enumerate(zip(self.modules, self.optimizers)):
            params = dict(module.named_parameters())
            if self.steps[k] > 0:
                for name in self.names:
                    optimizer.state[params[name]] = {
                        "step": torch.tensor(float(self.steps[k])),
                        "exp_avg": self.m[name][k].clone(),
                        "exp_avg_sq": self.v[name][k].clone(),
                    }


def _functional(skeleton: torch.nn.Module, params: dict):
    """The network `skeleton` (on the meta device) with weights `params`, as a callable."""
    return lambda *inputs: functional_call(skeleton, params, inputs)


def _acting_role(learner) -> tuple:
    """A Q-learner's acting network's (online, target, optimizer)."""
    return learner.q, learner.q_target, learner.optimizer


class StackedQUpdate:
    """K Q-learners' (IL, MF-Q; PED-DQN's two networks) online networks and Adams (`StackedAdam`) and
    target networks, stacked: one vmapped TD step for every seed, then Adam and the soft target update
    on the active seeds. `role(learner)` names the networks, by default the acting network's, and
    `draw(learner, rows)` draws a batch, by default the learner's `draw_batch`."""

    def __init__(self, learners: list[BattleIndependentDQN], role=_acting_role, draw=None):
        self.learners, self.draw = learners, draw or (lambda learner, rows: learner.draw_batch(rows))
        first = learners[0]
        self.cfg, self.device = first.cfg, first.device
        online, target, optimizers = zip(*(role(learner) for learner in learners))
        self.target_modules = list(target)
        self.adam = StackedAdam(list(online), list(optimizers), self.device)
        self.names, self.steps = self.adam.names, self.adam.steps
        self.target = _stacked(self.target_modules)
        skeleton = copy.deepcopy(online[0]).to("meta")

        def loss(online: dict, target: dict, batch: dict):
            value, q_taken = first.td_loss(batch, _functional(skeleton, online), _functional(skeleton, target))
            return value, (value.detach(), q_taken.detach().mean())

        self.gradients = vmap(grad(loss, has_aux=True))

    @property
    def online(self) -> dict:
        return self.adam.params

    @torch.no_grad()
    def load(self) -> None:
        """The seeds' networks and Adams as they are now, into the stacked tensors (in place)."""
        self.adam.load()
        _load(self.target, self.target_modules)

    def stack_batches(self, batches: list[dict]) -> dict:
        """The seeds' batches as [K, batch, ...] tensors on the training device."""
        return {key: torch.stack([torch.as_tensor(b[key], device=self.device) for b in batches]) for key in batches[0]}

    def step(self, batches: list[dict], active: list[bool]) -> tuple[torch.Tensor, torch.Tensor]:
        """One gradient step of every active seed on its batch (an inactive seed's is ignored);
        returns each seed's loss and mean Q of the actions taken, as [K] tensors."""
        return self.step_tensors(self.stack_batches(batches), torch.tensor(active, device=self.device))

    def step_tensors(self, batch: dict, on: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`step` on a stacked batch and a [K] mask of the active seeds; every state tensor is updated
        in place, so the step can be captured as a CUDA graph (`capture`)."""
        grads, (losses, q_means) = self.gradients(self.online, self.target, batch)
        self.adam.step(grads, on)
        with torch.no_grad():  # φ⁻ ← τ·φ + (1 − τ)·φ⁻ on the active seeds
            for name in self.names:
                keep = self.adam.keep(name, on)
                self.target[name].copy_(
                    torch.where(keep, self.target[name].lerp(self.online[name], self.cfg.target_tau), self.target[name])
                )
        return losses, q_means

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step changes."""
        return self.adam.state() + [self.target[name] for name in self.names]

    @torch.no_grad()
    def write_back(self) -> None:
        """Each seed's slice back into its networks and its Adam (moments and step count)."""
        self.adam.write_back()
        _write_back(self.target, self.target_modules)

    def train_rounds(self, stepper=None, plans: list | None = None) -> tuple[list[dict], object]:
        """Every learner's round of TD updates (as `train_round` gives it alone), stacked. Each seed's
        batches come from its own rows and stream, in its own order; seeds out of steps sit the rest
        out. `plans`: each seed's (rows, steps), by default its `round_plan()`. `stepper` is the step
        captured in an earlier round (or None); returns the stats and the stepper to keep."""
        learners = self.learners
        plans = plans or [learner.round_plan() for learner in learners]
        most = max(steps for _, steps in plans)
        if most == 0:
            return [{"loss": np.nan, "mean_q": np.nan, "gradient_steps": 0} for _ in learners], stepper
        losses, q_means = [[] for _ in learners], [[] for _ in learners]
        for i in range(most):
            active = [i < steps for _, steps in plans]
            drawn = [self.draw(learner, rows) if on else None for learner, (rows, _), on in zip(learners, plans, active)]
            filler = next(batch for batch in drawn if batch is not None)  # a seed sitting out computes on another's batch
            batches = [batch if batch is not None else filler for batch in drawn]
            stepper = stepper or capture(self, batches)
            loss, q_mean = stepper.step(batches, active)
            for k, on in enumerate(active):
                if on:
                    losses[k].append(loss[k])
                    q_means[k].append(q_mean[k])
        self.write_back()
        return [
            {"loss": round_mean(loss), "mean_q": round_mean(q_mean), "gradient_steps": steps}
            for loss, q_mean, (_, steps) in zip(losses, q_means, plans)
        ], stepper


class StackedPeerEvaluationUpdate:
    """K PED-DQN seeds' round as one: the action networks' TD round on the reshaped reward r̂
    stacked, then the mission networks' on r, each with its own plan and batches as alone (the peer
    evaluations, made while storing, stay each seed's own)."""

    def __init__(self, learners: list):
        self.learners = learners
        self.action = StackedQUpdate(learners)
        self.mission = StackedQUpdate(
            learners, role=lambda learner: learner.mission_role(), draw=lambda learner, rows: learner.draw_mission_batch(rows)
        )

    def load(self) -> None:
        self.action.load()
        self.mission.load()

    def train_rounds(self, stepper=None) -> tuple[list[dict], tuple]:
        action_stepper, mission_stepper = stepper or (None, None)
        new_samples = [learner.new_samples for learner in self.learners]  # `round_plan` resets them
        stats, action_stepper = self.action.train_rounds(action_stepper)
        plans = [learner.mission_plan(n) for learner, n in zip(self.learners, new_samples)]
        if max(steps for _, steps in plans):
            _, mission_stepper = self.mission.train_rounds(mission_stepper, plans)
        return stats, (action_stepper, mission_stepper)


class StackedACUpdate:
    """K actor-critics' (AC, MF-AC) round updates as one: each seed's round (its transitions, then its
    survivors' final rows) padded to the longest with rows weighted 0, one vmapped forward pass for
    the targets (returns, or MF-AC's y, computed per seed from its own outputs as alone), one vmapped
    forward and backward pass for every seed's gradient, one stacked Adam step."""

    def __init__(self, learners: list[IndependentAC]):
        self.learners = learners
        first = learners[0]
        self.device = first.device
        self.adam = StackedAdam([learner.net for learner in learners], [learner.optimizer for learner in learners], self.device)
        skeleton = copy.deepcopy(first.net).to("meta")

        def outputs(params, view, features, mean_action):
            return first.forward(view, features, mean_action, _functional(skeleton, params))

        def loss(params, view, features, mean_action, action, target, weight):
            log_pi, critic = outputs(params, view, features, mean_action)
            value, stats = first.round_loss(log_pi, critic, action, target, weight)
            return value, (value.detach(), stats["mean_q"], stats["entropy"])

        self.outputs = vmap(outputs)
        self.gradients = vmap(grad(loss, has_aux=True))

    def load(self) -> None:
        """The seeds' networks and Adams as they are now, into the stacked tensors (in place)."""
        self.adam.load()

    def train_rounds(self, stepper=None) -> tuple[list[dict], None]:
        """Every learner's on-policy update of the round (as `train_round` gives it alone), stacked."""
        rounds = [learner.round_batch() for learner in self.learners]
        longest = max(len(batch["view"]) for _, _, batch in rounds)

        def padded(values, length: int) -> torch.Tensor:
            """Rows padded to `length` with copies of the first (weighted 0 wherever they count)."""
            values = torch.as_tensor(values, device=self.device)
            return torch.cat([values, values[:1].expand(length - len(values), *values.shape[1:])])

        inputs = [
            torch.stack([padded(batch[key], longest) for _, _, batch in rounds]) for key in ("view", "features", "mean_action")
        ]
        with torch.no_grad():
            log_pi, critic = self.outputs(self.adam.params, *inputs)
        most = max(len(rows) for rows, _, _ in rounds)
        targets, actions, weights = [], [], []
        for k, (learner, (rows, index, batch)) in enumerate(zip(self.learners, rounds)):
            n, size = len(rows), len(batch["view"])
            targets.append(padded(learner.targets(rows, index, log_pi[k, :size], critic[k, :size]), most))
            actions.append(padded(learner.ring.action[rows], most))
            weights.append(torch.cat([torch.ones(n, device=self.device), torch.zeros(most - n, device=self.device)]))
        grads, (losses, q_means, entropies) = self.gradients(
            self.adam.params, *(x[:, :most] for x in inputs), torch.stack(actions), torch.stack(targets), torch.stack(weights)
        )
        self.adam.step(grads, torch.ones(len(self.learners), dtype=torch.bool, device=self.device))
        self.adam.write_back()
        for learner in self.learners:
            learner.round_rows = []
        return [
            {"loss": loss.item(), "gradient_steps": 1, "mean_q": q_mean.item(), "entropy": entropy.item()}
            for loss, q_mean, entropy in zip(losses, q_means, entropies)
        ], stepper


class StackedActing:
    """One team role's acting networks of K seeds (every seed's main, or every seed's opponent), stacked:
    one vmapped forward pass per step serves all K rounds. Each seed's alive agents are padded to the
    team's size, so the pass has one shape all round; each seed then chooses its actions from its
    slice with its own stream (`choose`), as alone. `load` copies the networks in place (mains change
    when they train, opponents when they follow main)."""

    def __init__(self, learners: list, agents: int):
        self.learners, self.agents = learners, agents
        first = learners[0]
        self.device = first.device
        self.modules = [learner.networks()[_acting_network(learner)] for learner in learners]
        self.params = _stacked(self.modules)
        self.inputs, self.run = None, None
        skeleton = copy.deepcopy(self.modules[0]).to("meta")
        self.forward = vmap(
            lambda params, view, features, mean_action: first.policy_outputs(
                view, features, mean_action, _functional(skeleton, params)
            )
        )

    def load(self) -> None:
        _load(self.params, self.modules)

    @torch.no_grad()
    def outputs(self, observations: list) -> list:
        """Each seed's policy outputs (Q-values or log π) for its (view, features, mean action), or
        None for a seed whose round is over, from one forward pass over static input buffers (on a
        CUDA device captured once as a CUDA graph and replayed)."""
        if self.run is None:
            shapes = next(obs for obs in observations if obs is not None)
            self.inputs = [torch.zeros((len(observations), self.agents, *x.shape[1:]), device=self.device) for x in shapes]
            self.run = capture_call(lambda: self.forward(self.params, *self.inputs), [], self.device, "stacked acting")
        for i, buffer in enumerate(self.inputs):
            buffer.zero_()
            for k, obs in enumerate(observations):
                if obs is not None and len(obs[i]):
                    buffer[k, : len(obs[i])] = torch.as_tensor(obs[i], device=self.device)
        out = self.run().clone()
        return [None if obs is None else out[k, : len(obs[0])] for k, obs in enumerate(observations)]


def _acting_network(learner) -> str:
    """The name of the network a learner acts with (`networks()`): Q-learners' `q`, actor-critics' `net`."""
    return "q" if isinstance(learner, BattleIndependentDQN) else "net"


def _same(learners: list, kept: list | None) -> bool:
    """Whether `learners` are the very objects a job's stacked state was built for."""
    return kept is not None and len(learners) == len(kept) and all(a is b for a, b in zip(learners, kept))


class StackedActors:
    """A job's `StackedActing` for its mains and its opponents, kept from round to round like
    `StackedRounds`: built for the first round's seeds (and again when they change), reloaded after."""

    def __init__(self, agents: int):
        self.agents, self.seeds, self.teams = agents, None, None

    def __call__(self, mains: list, opponents: list) -> tuple:
        seeds = mains + opponents
        if not _same(seeds, self.seeds):
            self.seeds, self.teams = seeds, (StackedActing(mains, self.agents), StackedActing(opponents, self.agents))
        else:
            for team in self.teams:
                team.load()
        return self.teams


class CapturedCall:
    """`fn()` recorded once as a CUDA graph and replayed: `fn` reads only tensors whose storage stays
    (static buffers the caller refills before each call), and one replay launches all of its kernels
    instead of hundreds of small launches. The warm-up's changes to `state` (tensors `fn` updates in
    place) are undone, whether capture worked or not."""

    def __init__(self, fn, state: list[torch.Tensor] = ()):
        saved = [t.clone() for t in state]
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up, as torch.cuda.graphs asks
                for _ in range(3):
                    fn()
            torch.cuda.current_stream().wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.out = fn()
        finally:
            for tensor, value in zip(state, saved):
                tensor.copy_(value)

    def __call__(self):
        """`fn()`'s outputs, in static tensors that the next call overwrites."""
        self.graph.replay()
        return self.out


def capture_call(fn, state: list[torch.Tensor], device, what: str):
    """`fn` as a `CapturedCall` on a CUDA device, or `fn` itself elsewhere or where capture fails (with
    a note on stderr naming `what`): CUDA graphs are an optional layer over the eager path."""
    if torch.device(device).type != "cuda":
        return fn
    try:
        return CapturedCall(fn, state)
    except Exception as err:  # noqa: BLE001 (capture is an optimisation: any failure means eager calls)
        print(f"{what}: CUDA-graph capture failed ({type(err).__name__}: {err}); running eagerly", file=sys.stderr)
        return fn


class CapturedStep:
    """A `StackedQUpdate`'s step on static batch and mask buffers, captured as a CUDA graph where
    possible (`capture_call`): a step copies the seeds' batches and the mask of active seeds in and
    runs (or replays) the whole step (forward, backward, Adam, soft update)."""

    def __init__(self, update: StackedQUpdate, batches: list[dict]):
        self.update = update
        self.batch = update.stack_batches(batches)
        self.on = torch.ones(len(batches), dtype=torch.bool, device=update.device)
        self.run = capture_call(lambda: update.step_tensors(self.batch, self.on), update.state(), update.device, "stacked update")
        self.captured = isinstance(self.run, CapturedCall)

    def step(self, batches: list[dict], active: list[bool]) -> tuple[torch.Tensor, torch.Tensor]:
        for key, value in self.update.stack_batches(batches).items():
            self.batch[key].copy_(value)
        self.on.copy_(torch.tensor(active))
        losses, q_means = self.run()
        return losses.clone(), q_means.clone()


def capture(update: StackedQUpdate, batches: list[dict]):
    """The update's step as a CUDA graph on a CUDA device (falling back to eager steps, with a note on
    stderr, if capture fails); the eager update itself elsewhere."""
    if torch.device(update.device).type != "cuda":
        return update
    stepper = CapturedStep(update, batches)
    return stepper if stepper.captured else update


class StackedRounds:
    """A job's stacked update, kept from round to round (`battle.stacked_update`): built for the first
    round's learners, and again only when the set of learners changes (a resumed seed joins); every
    other round it reloads the seeds' networks and Adams into the same stacked tensors, so the step
    captured as a CUDA graph in the first round is replayed in every later one."""

    def __init__(self):
        self.learners, self.update, self.stepper = None, None, None

    def __call__(self, learners: list) -> list[dict]:
        """Every learner's round of updates, as each `train_round` gives it alone, to float tolerance."""
        if not _same(learners, self.learners):
            self.learners, self.update, self.stepper = list(learners), _kind(learners)(learners), None
        else:
            self.update.load()
        stats, self.stepper = self.update.train_rounds(self.stepper)
        return stats
