"""Per-agent Q-networks in one batched module, and a DQN unit (online, target, Adam, TD step)."""

from __future__ import annotations

import math

import torch
from torch import nn

from replication.algorithms.mean_field import mean_field_value


class StackedLinear(nn.Module):
    """Independent dense layers, one per unit (an agent, or a seed's shared network), applied in one
    batched matrix product to input (units, rows, fan_in). Each unit is initialised as nn.Linear
    initialises a layer (weights and biases uniform in ±1/√fan_in)."""

    def __init__(self, units: int, fan_in: int, fan_out: int):
        super().__init__()
        bound = 1 / math.sqrt(fan_in)
        self.weight = nn.Parameter(torch.empty(units, fan_in, fan_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(units, 1, fan_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class AgentQNetwork(nn.Module):
    """Q(o_a, ·) for every agent a in one pass over input (batch, agents, features): two hidden dense
    layers of `hidden` units with ReLU and a Q head, after, when the task gives its agents a view,
    the authors' pursuit convolution (ddhostallero/PED-DQN, `pursuit/agents/ind_dqn/dq_network.py`:
    3×3, 32 filters, ReLU, no padding, over the view, flattened and concatenated with the rest of
    the input). The first h·w·c features are then the view in (row, column, channel) order.

    Independent (the author code): every agent has its own weights. Shared (`parameter_sharing`):
    one network per seed reads the input with the agent's one-hot index appended. The weights are
    stacked along a leading unit axis (agents, or seeds when shared), `n_seeds` seeds' agents side
    by side (`experiments/seed_group.py`), and every unit runs in one batched product; the
    convolution is a batched product over the view's 3×3 patches.
    """

    def __init__(
        self,
        n_agents: int,
        in_dim: int,
        n_actions: int,
        hidden: int,
        shared: bool,
        view_shape=None,
        n_seeds: int = 1,
        filters: int = 32,
    ):
        super().__init__()
        self.n_agents, self.shared, self.n_seeds = n_agents, shared, n_seeds
        self.agents_per_seed = n_agents // n_seeds
        units = n_seeds if shared else n_agents
        dense_in = in_dim + (self.agents_per_seed if shared else 0)
        self.view_shape = None if view_shape is None else tuple(view_shape)
        if view_shape is not None:
            height, width, channels = view_shape
            self.view_size = height * width * channels
            self.conv = StackedLinear(units, 9 * channels, filters)  # one 3×3 patch × channels → filters
            dense_in += filters * (height - 2) * (width - 2) - self.view_size
        sizes = [dense_in, hidden, hidden, n_actions]
        self.layers = nn.ModuleList(StackedLinear(units, fan_in, fan_out) for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))

    def _by_unit(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, agents, f) → (units, rows, f): agent-major, or each seed's (batch · agents) rows when shared."""
        if not self.shared:
            return x.transpose(0, 1)
        batch = x.shape[0]
        return (
            x.reshape(batch, self.n_seeds, self.agents_per_seed, -1)
            .transpose(0, 1)
            .reshape(self.n_seeds, batch * self.agents_per_seed, -1)
        )

    def _by_agent(self, h: torch.Tensor, batch: int) -> torch.Tensor:
        """`_by_unit` undone."""
        if not self.shared:
            return h.transpose(0, 1)
        return h.reshape(self.n_seeds, batch, self.agents_per_seed, -1).transpose(0, 1).reshape(batch, self.n_agents, -1)

    def _view_features(self, view: torch.Tensor) -> torch.Tensor:
        """ReLU(conv 3×3) of (units, rows, h·w·c) views, flattened per row in (row, column, filter) order."""
        units, rows, _ = view.shape
        height, width, channels = self.view_shape
        patches = view.reshape(units, rows, height, width, channels).unfold(2, 3, 1).unfold(3, 3, 1)
        patches = patches.reshape(units, rows * (height - 2) * (width - 2), channels * 9)
        return torch.relu(self.conv(patches)).reshape(units, rows, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if self.shared:
            ids = torch.eye(self.agents_per_seed, dtype=x.dtype).repeat(self.n_seeds, 1)
            x = torch.cat([x, ids.expand(batch, -1, -1)], dim=-1)
        h = self._by_unit(x)
        if self.view_shape is not None:
            h = torch.cat([self._view_features(h[..., : self.view_size]), h[..., self.view_size :]], dim=-1)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return self._by_agent(h, batch)


def adam(params, learning_rate: float) -> torch.optim.Adam:
    """Adam (the author code's optimiser), every parameter updated by one fused kernel."""
    return torch.optim.Adam(params, lr=learning_rate, fused=True)


def as_tensor(array, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(array, dtype=dtype)


class DQN:
    """One role's Q-networks: online and target (hard copy every `target_update_every` training
    steps, author code), Adam, and the author code's loss, the sum of squared TD errors."""

    def __init__(
        self,
        n_agents: int,
        in_dim: int,
        n_actions: int,
        cfg,
        learning_rate: float,
        hidden: int,
        view_shape=None,
        n_seeds: int = 1,
    ):
        self.cfg = cfg
        self.online, self.target = (
            AgentQNetwork(n_agents, in_dim, n_actions, hidden, cfg.parameter_sharing, view_shape, n_seeds) for _ in range(2)
        )
        self.update_target()
        self.optimizer = adam(self.online.parameters(), learning_rate)

    def update_target(self) -> None:
        self.target.load_state_dict(self.online.state_dict())

    @torch.no_grad()
    def values(self, x: torch.Tensor, target: bool = False) -> torch.Tensor:
        return (self.target if target else self.online)(x)

    def td_step(self, x, action, reward, next_x, terminal, active, temperature: float | None = None) -> float:
        """y = r + γ(1 − terminal)·v(o'), v = max_u Q⁻(o', u), or the Boltzmann mean Σ_u π(u)Q⁻(o', u)
        with a temperature (MF-Q, paper A Eq. 10); loss Σ active·(Q(o, u) − y)². Tensors are (batch, agents)."""
        with torch.no_grad():
            next_q = self.target(next_x)
            if temperature is None:
                next_value = next_q.max(dim=-1).values
            else:
                next_value = mean_field_value(next_q, temperature)  # paper A, Eq. 10
            y = reward + self.cfg.gamma * (1.0 - terminal) * next_value
        q = self.online(x).gather(-1, action.unsqueeze(-1)).squeeze(-1)
        squared = active * (q - y) ** 2
        loss = squared.sum()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.agent_loss = squared.detach().sum(dim=0)  # each agent's share: a seed group's per-seed loss
        return loss.item()
