"""Per-agent Q-networks in one batched module, and a DQN unit (online, target, Adam, TD step)."""

from __future__ import annotations

import math

import torch
from torch import nn

from replication.algorithms.mean_field import mean_field_value


class AgentQNetwork(nn.Module):
    """Q(o_a, ·) for every agent a in one pass over input (batch, agents, features).

    Independent: each agent has its own 2-hidden-layer MLP, stored as stacked weights and applied
    with batched matrix products. Shared (`parameter_sharing`): one MLP reads the input with the
    agent's one-hot index appended.
    """

    def __init__(self, n_agents: int, in_dim: int, n_actions: int, hidden: int, shared: bool):
        super().__init__()
        self.n_agents, self.shared = n_agents, shared
        if shared:
            self.net = nn.Sequential(nn.Linear(in_dim + n_agents, hidden), nn.ReLU(),
                                     nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_actions))
            return
        sizes = [in_dim, hidden, hidden, n_actions]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / math.sqrt(fan_in)  # nn.Linear's initialisation, per agent
            self.weights.append(nn.Parameter(torch.empty(n_agents, fan_in, fan_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(n_agents, 1, fan_out).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shared:
            ids = torch.eye(self.n_agents, dtype=x.dtype).expand(x.shape[0], -1, -1)
            return self.net(torch.cat([x, ids], dim=-1))
        h = x.transpose(0, 1)                                   # (agents, batch, features)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = torch.relu(h)
        return h.transpose(0, 1)                                # (batch, agents, actions)


class AgentConvQNetwork(nn.Module):
    """The authors' pursuit Q-network (ddhostallero/PED-DQN, `pursuit/agents/ind_dqn/dq_network.py`),
    one per agent: a 3×3 convolution with 32 filters and ReLU over the agent's view (no padding),
    flattened and concatenated with the rest of its input (features, and ā for MF-Q), then the two
    dense layers and Q head of `AgentQNetwork`. Every agent's convolution runs in one grouped
    convolution; with `shared`, one convolution serves every agent.

    Input (batch, agents, features): the first h·w·c features are the view in (row, column, channel) order.
    """

    def __init__(self, n_agents: int, view_shape, in_dim: int, n_actions: int, hidden: int, shared: bool, filters: int = 32):
        super().__init__()
        height, width, channels = view_shape
        self.view_shape, self.view_size, self.shared = tuple(view_shape), height * width * channels, shared
        groups = 1 if shared else n_agents
        self.conv = nn.Conv2d(channels * groups, filters * groups, kernel_size=3, groups=groups)
        flat = filters * (height - 2) * (width - 2)
        self.head = AgentQNetwork(n_agents, flat + in_dim - self.view_size, n_actions, hidden, shared)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, agents, _ = x.shape
        height, width, channels = self.view_shape
        view = x[..., :self.view_size].reshape(batch, agents, height, width, channels).permute(0, 1, 4, 2, 3)
        if self.shared:
            features = self.conv(view.reshape(batch * agents, channels, height, width))
        else:
            features = self.conv(view.reshape(batch, agents * channels, height, width))
        features = torch.relu(features).reshape(batch, agents, -1)
        return self.head(torch.cat([features, x[..., self.view_size:]], dim=-1))


def q_network(n_agents: int, in_dim: int, n_actions: int, hidden: int, shared: bool, view_shape=None) -> nn.Module:
    """The convolutional network when the task gives its agents a view, else the MLP."""
    if view_shape is None:
        return AgentQNetwork(n_agents, in_dim, n_actions, hidden, shared)
    return AgentConvQNetwork(n_agents, view_shape, in_dim, n_actions, hidden, shared)


def as_tensor(array, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(array, dtype=dtype)


class DQN:
    """One role's Q-networks: online and target (hard copy every `target_update_every` training
    steps, author code), Adam, and the author code's loss, the sum of squared TD errors."""

    def __init__(self, n_agents: int, in_dim: int, n_actions: int, cfg, learning_rate: float, hidden: int, view_shape=None):
        self.cfg = cfg
        self.online = q_network(n_agents, in_dim, n_actions, hidden, cfg.parameter_sharing, view_shape)
        self.target = q_network(n_agents, in_dim, n_actions, hidden, cfg.parameter_sharing, view_shape)
        self.update_target()
        self.optimizer = torch.optim.Adam(self.online.parameters(), lr=learning_rate)

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
        self.agent_loss = squared.detach().sum(dim=0)   # each agent's share: a seed group's per-seed loss
        return loss.item()
