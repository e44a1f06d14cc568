"""The TD updates of K seeds of a battle Q-learner (IL, MF-Q) as one (config `battle.stacked_update`).

Each seed keeps its own ring, random stream, networks and optimiser; only the arithmetic is shared.
Per round, every seed's online and target parameters and its Adam moments are stacked along a
leading axis of length K (`torch.func.stack_module_state`); one vmapped forward and backward pass
(`torch.func.functional_call` through the learner's own `td_loss`, so the TD target is written once)
gives every seed's gradient; Adam and the soft target update φ⁻ ← τ·φ + (1 − τ)·φ⁻ are elementwise,
so each seed's slice follows exactly its own optimiser. Seeds take different numbers of gradient
steps in a round (⌈train_ratio × new samples / batch⌉, and their teams lose agents at different
rates): step i updates only the seeds with an i-th step (`active`), and the others' parameters,
moments and step counts stay as they were. Each seed draws its batches from its own stream in the
order it would alone, and at the round's end the stacked tensors are written back into the seed's
networks and optimiser, which act, follow self-play and checkpoint as before.

A seed inside a group therefore follows its run alone to float tolerance, not to the byte (Adam's
bias corrections are computed in float32 tensors here, in Python floats by torch.optim.Adam), which
is why the setting is part of a run's settings. On CPU it is slower than stepping the seeds one after
another (README, "Battle seeds in one job"); it is meant for a GPU, where the step is also captured
as a CUDA graph (`capture`, falling back to eager steps if capture fails) and one replay replaces
hundreds of small kernel launches.
"""

from __future__ import annotations

import copy
import sys

import numpy as np
import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from replication.algorithms.battle.il import BattleIndependentDQN, round_mean


def stackable(learners: list) -> bool:
    """Whether these learners' rounds can be stacked: several of them, each IL's TD round as it is
    (IL, MF-Q; PED-DQN's round also trains its mission network and is stepped seed by seed)."""
    return len(learners) > 1 and all(isinstance(learner, BattleIndependentDQN)
                                      and type(learner).train_round is BattleIndependentDQN.train_round
                                      for learner in learners)


def _adam_state(optimizer: torch.optim.Adam, params: list[torch.nn.Parameter]) -> tuple[list, list, float]:
    """A torch Adam's first and second moments for `params` (zeros before its first step) and its step count."""
    states = [optimizer.state.get(p, {}) for p in params]
    m = [state["exp_avg"] if "exp_avg" in state else torch.zeros_like(p) for p, state in zip(params, states)]
    v = [state["exp_avg_sq"] if "exp_avg_sq" in state else torch.zeros_like(p) for p, state in zip(params, states)]
    return m, v, float(states[0]["step"]) if "step" in states[0] else 0.0


class StackedQUpdate:
    """K learners' online and target networks and Adam moments, stacked for one round of updates."""

    def __init__(self, learners: list[BattleIndependentDQN]):
        self.learners = learners
        first = learners[0]
        self.cfg, self.device = first.cfg, first.device
        self.online = {name: p.detach() for name, p in stack_module_state([learner.q for learner in learners])[0].items()}
        self.target = {name: p.detach() for name, p in stack_module_state([learner.q_target for learner in learners])[0].items()}
        self.names = list(self.online)
        moments = [_adam_state(learner.optimizer, list(learner.q.parameters())) for learner in learners]
        self.m = {name: torch.stack([m[i] for m, _, _ in moments]) for i, name in enumerate(self.names)}
        self.v = {name: torch.stack([v[i] for _, v, _ in moments]) for i, name in enumerate(self.names)}
        self.steps = torch.tensor([step for _, _, step in moments], dtype=torch.float32, device=self.device)
        group = first.optimizer.param_groups[0]
        self.lr, (self.beta1, self.beta2), self.eps = group["lr"], group["betas"], group["eps"]
        skeleton = copy.deepcopy(first.q).to("meta")

        def loss(online: dict, target: dict, batch: dict):
            online_net = lambda *inputs: functional_call(skeleton, online, inputs)
            target_net = lambda *inputs: functional_call(skeleton, target, inputs)
            value, q_taken = first.td_loss(batch, online_net, target_net)
            return value, (value.detach(), q_taken.detach().mean())

        self.gradients = vmap(grad(loss, has_aux=True))

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
        with torch.no_grad():
            self._adam(grads, on)
        return losses, q_means

    def state(self) -> list[torch.Tensor]:
        """Every tensor a step changes."""
        return [self.steps] + [d[name] for d in (self.online, self.target, self.m, self.v) for name in self.names]

    def _adam(self, grads: dict, on: torch.Tensor) -> None:
        """Adam (torch.optim.Adam's update, per seed's own step count) and the soft target update, on
        the active seeds' slices, in place."""
        self.steps.add_(on.float())
        safe = self.steps.clamp(min=1.0)                             # inactive seeds before their first step
        correction1 = 1 - self.beta1 ** safe
        correction2_sqrt = (1 - self.beta2 ** safe).sqrt()
        for name in self.names:
            shape = (-1,) + (1,) * (self.online[name].dim() - 1)
            keep = on.view(shape)
            g = grads[name]
            m = torch.where(keep, self.m[name].lerp(g, 1 - self.beta1), self.m[name])
            v = torch.where(keep, self.v[name] * self.beta2 + (1 - self.beta2) * g * g, self.v[name])
            denom = v.sqrt() / correction2_sqrt.view(shape) + self.eps
            online = torch.where(keep, self.online[name] - (self.lr / correction1).view(shape) * m / denom, self.online[name])
            target = torch.where(keep, self.target[name].lerp(online, self.cfg.target_tau), self.target[name])
            for state, value in ((self.m, m), (self.v, v), (self.online, online), (self.target, target)):
                state[name].copy_(value)

    @torch.no_grad()
    def write_back(self) -> None:
        """Each seed's slice back into its networks and its Adam (moments and step count)."""
        for k, learner in enumerate(self.learners):
            online, target = dict(learner.q.named_parameters()), dict(learner.q_target.named_parameters())
            for name in self.names:
                online[name].copy_(self.online[name][k])
                target[name].copy_(self.target[name][k])
            if self.steps[k] > 0:
                for name in self.names:
                    learner.optimizer.state[online[name]] = {
                        "step": torch.tensor(float(self.steps[k])),
                        "exp_avg": self.m[name][k].clone(), "exp_avg_sq": self.v[name][k].clone()}


class CapturedStep:
    """A `StackedQUpdate`'s step recorded once as a CUDA graph and replayed: the batch and the mask of
    active seeds are copied into static buffers, and one replay launches the whole step (forward,
    backward, Adam, soft update) instead of hundreds of small kernels. Built by `capture` only."""

    def __init__(self, update: StackedQUpdate, batches: list[dict]):
        self.update = update
        self.batch = update.stack_batches(batches)
        self.on = torch.ones(len(batches), dtype=torch.bool, device=update.device)
        saved = [t.clone() for t in update.state()]
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):          # warm-up, as torch.cuda.graphs asks
                for _ in range(3):
                    update.step_tensors(self.batch, self.on)
            torch.cuda.current_stream().wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.losses, self.q_means = update.step_tensors(self.batch, self.on)
        finally:                                   # the warm-up's steps undone, whether capture worked or not
            for tensor, value in zip(update.state(), saved):
                tensor.copy_(value)

    def step(self, batches: list[dict], active: list[bool]) -> tuple[torch.Tensor, torch.Tensor]:
        for key, value in self.update.stack_batches(batches).items():
            self.batch[key].copy_(value)
        self.on.copy_(torch.tensor(active))
        self.graph.replay()
        return self.losses.clone(), self.q_means.clone()


def capture(update: StackedQUpdate, batches: list[dict]):
    """The update's step as a CUDA graph on a CUDA device (falling back to eager steps, with a note on
    stderr, if capture fails); the eager update itself elsewhere."""
    if torch.device(update.device).type != "cuda":
        return update
    try:
        return CapturedStep(update, batches)
    except Exception as err:   # noqa: BLE001 (capture is an optimisation: any failure means eager steps)
        print(f"stacked update: CUDA-graph capture failed ({type(err).__name__}: {err}); stepping eagerly", file=sys.stderr)
        return update


def train_rounds(learners: list[BattleIndependentDQN]) -> list[dict]:
    """Every learner's round of TD updates (as `train_round` gives it alone), stacked. Each seed's
    batches come from its own rows and stream, in its own order; seeds out of steps sit the rest out."""
    plans = [learner.round_plan() for learner in learners]
    most = max(steps for _, steps in plans)
    if most == 0:
        return [{"loss": np.nan, "mean_q": np.nan, "gradient_steps": 0} for _ in learners]
    stacked = StackedQUpdate(learners)
    stepper = None
    losses, q_means = [[] for _ in learners], [[] for _ in learners]
    for i in range(most):
        active = [i < steps for _, steps in plans]
        drawn = [learner.draw_batch(rows) if on else None for learner, (rows, _), on in zip(learners, plans, active)]
        filler = next(batch for batch in drawn if batch is not None)  # a seed sitting out computes on another's batch
        batches = [batch if batch is not None else filler for batch in drawn]
        stepper = stepper or capture(stacked, batches)
        loss, q_mean = stepper.step(batches, active)
        for k, on in enumerate(active):
            if on:
                losses[k].append(loss[k])
                q_means[k].append(q_mean[k])
    stacked.write_back()
    return [{"loss": round_mean(loss), "mean_q": round_mean(q_mean), "gradient_steps": steps}
            for loss, q_mean, (_, steps) in zip(losses, q_means, plans)]
