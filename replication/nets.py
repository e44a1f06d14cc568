"""Networks shared by the algorithms, and target-network helpers."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class AgentMLP(nn.Module):
    """Shared 3-layer MLP over [agent embedding, extra inputs] (paper A, App. C.1).

    Every agent of a team goes through one forward pass: `agent` is a batch of agent indices,
    `extra` (optional) a batch of extra features such as the mean action ā.
    """

    def __init__(self, n_agents: int, n_out: int, extra_dim: int = 0, embedding_dim: int = 16, hidden: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(n_agents, embedding_dim)
        self.body = nn.Sequential(
            nn.Linear(embedding_dim + extra_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, agent: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embedding(agent)
        if extra is not None:
            x = torch.cat([x, extra], dim=-1)
        return self.body(x)


@torch.no_grad()
def soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """φ⁻ ← τ·φ + (1 − τ)·φ⁻ (paper A, Algorithms 1 and 2), every parameter in one foreach call."""
    torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), tau)


def sample_categorical(probs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
    """One draw per row of `probs` by inverse CDF, with caller-supplied uniforms (seeded by numpy)."""
    cdf = probs.cumsum(dim=-1)
    return torch.searchsorted(cdf, uniform.unsqueeze(-1).to(cdf.dtype)).squeeze(-1).clamp_(max=probs.shape[-1] - 1)


class SharedActor:
    """Independent actors π(a | e_j) as one network over agent embeddings, with a soft-updated
    target copy and its own Adam optimiser; acting samples every agent in one pass."""

    def __init__(self, n_agents: int, cfg, rng):
        self.rng, self.agents = rng, torch.arange(n_agents)
        self.net = AgentMLP(n_agents, cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.target = AgentMLP(n_agents, cfg.n_actions, embedding_dim=cfg.embedding_dim, hidden=cfg.hidden)
        self.target.load_state_dict(self.net.state_dict())
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.actor_learning_rate)

    @torch.inference_mode()
    def probs(self) -> torch.Tensor:
        return torch.softmax(self.net(self.agents), dim=-1)

    def act(self, mean_action=None, timestep: int = 0, epsilon: float = 0.0) -> np.ndarray:
        probs = self.probs()
        return sample_categorical(probs, torch.from_numpy(self.rng.random(len(probs)))).numpy()

    def greedy(self, mean_action=None) -> np.ndarray:
        return self.probs().argmax(dim=-1).numpy()

    def step(self, loss: torch.Tensor, tau: float) -> None:
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        soft_update(self.target, self.net, tau)


def run_layers(layers: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """`layers(x)`, each layer's function called directly instead of through nn.Module's call
    (hooks, which these networks never have): at a team of a few agents that call machinery costs as
    much as a third of an acting pass (docs/benchmarks.md, "Acting at a few agents"). The same
    kernels in the same order, so the outputs are the same to the byte (tested)."""
    for layer in layers:
        if isinstance(layer, nn.Linear):
            x = F.linear(x, layer.weight, layer.bias)
        elif isinstance(layer, nn.Conv2d) and layer.padding_mode == "zeros":
            x = F.conv2d(x, layer.weight, layer.bias, layer.stride, layer.padding, layer.dilation, layer.groups)
        elif isinstance(layer, nn.ReLU):
            x = F.relu(x)
        elif isinstance(layer, nn.Flatten):
            x = x.flatten(layer.start_dim, layer.end_dim)
        else:
            x = layer(x)
    return x


def epsilon_greedy(q: torch.Tensor, epsilon: float, rng) -> torch.Tensor:
    """Greedy actions of every agent, each replaced by a uniform one with probability ε (numpy rng)."""
    n, n_actions = q.shape
    explore = torch.from_numpy(rng.random(n) < epsilon)
    random_actions = torch.from_numpy(rng.integers(0, n_actions, n))
    return torch.where(explore, random_actions, q.argmax(dim=-1))


def boltzmann(logits_or_q: torch.Tensor, temperature: float) -> torch.Tensor:
    """π(a) ∝ exp(Q(a)/T) (paper A, Eq. 12 with β = 1/T)."""
    return torch.softmax(logits_or_q / temperature, dim=-1)


class BattleQNet(nn.Module):
    """The reference code's battle Q-network (mlii/mfrl): view → conv 32 (3×3) → conv 32 (3×3) →
    dense 256; features → dense 32; with a mean action, ā → 64 → 32; concat → 128 → 64 → Q per action."""

    def __init__(self, view_shape, feature_size: int, n_actions: int, mean_action: bool):
        super().__init__()
        height, width, channels = view_shape
        self.view = nn.Sequential(
            nn.Conv2d(channels, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (height - 4) * (width - 4), 256),
            nn.ReLU(),
        )
        self.features = nn.Sequential(nn.Linear(feature_size, 32), nn.ReLU())
        self.mean = nn.Sequential(nn.Linear(n_actions, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU()) if mean_action else None
        self.head = nn.Sequential(
            nn.Linear(256 + 32 + (32 if mean_action else 0), 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, n_actions),
        )

    def forward(
        self, view: torch.Tensor, features: torch.Tensor, mean_action: torch.Tensor | None = None, run=run_layers
    ) -> torch.Tensor:
        """Q(s, ·) (`run`: how a block of layers is applied; `bench battle --small-teams` times the
        module calls, `lambda layers, x: layers(x)`, against `run_layers`)."""
        parts = [run(self.view, view.permute(0, 3, 1, 2)), run(self.features, features)]
        if self.mean is not None:
            parts.append(run(self.mean, mean_action))
        return run(self.head, torch.cat(parts, dim=-1))


class BattleActorCritic(nn.Module):
    """The reference code's battle actor-critic: flatten view → 256, features → 256, concat → 512,
    a policy head and a critic head. The critic head gives V(s) (one output) or Q(s, ·) (one per
    action); with `critic_mean_action` the critic also reads ā through ā → 64 → 32."""

    def __init__(self, view_shape, feature_size: int, n_actions: int, critic_outputs: int, critic_mean_action: bool):
        super().__init__()
        self.view = nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(view_shape)), 256), nn.ReLU())
        self.features = nn.Sequential(nn.Linear(feature_size, 256), nn.ReLU())
        self.policy = nn.Sequential(nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, n_actions))
        self.mean = (
            nn.Sequential(nn.Linear(n_actions, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU()) if critic_mean_action else None
        )
        self.critic = nn.Sequential(
            nn.Linear(512 + (32 if critic_mean_action else 0), 128), nn.ReLU(), nn.Linear(128, critic_outputs)
        )

    def forward(self, view, features, mean_action=None, run=run_layers):
        """Return (policy logits, critic output) (`run` as BattleQNet's)."""
        body = torch.cat([run(self.view, view), run(self.features, features)], dim=-1)
        critic_in = body if self.mean is None else torch.cat([body, run(self.mean, mean_action)], dim=-1)
        return run(self.policy, body), run(self.critic, critic_in)
