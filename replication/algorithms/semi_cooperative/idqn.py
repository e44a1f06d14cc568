"""Independent DQN (paper B's first baseline): each agent learns from its own reward only.

The other paper-B learners change what this one stores as the reward the acting network learns
from (`learning_reward`), or what the network reads (`inputs`).
"""

from __future__ import annotations

import numpy as np
import torch

from replication.algorithms.semi_cooperative.dqn import DQN, as_tensor
from replication.nets import epsilon_greedy
from replication.replay import JointStepReplay


class IndependentDQN:
    uses_mean_action = False
    needs_state = False

    def __init__(self, task, cfg, schedule, rng: np.random.Generator):
        self.cfg, self.schedule, self.rng = cfg, schedule, rng
        self.n_agents, self.n_actions = task.n_agents, task.n_actions
        self.n_seeds = getattr(task, "n_seeds", 1)  # a seed group's joint face of its seeds' tasks (seed_group)
        self.in_dim = task.obs_dim + (task.n_actions if self.uses_mean_action else 0)
        # the task's network widths (author code: 64 for pursuit, 32 for resource sharing), a convolution over a view
        self.network = {"hidden": schedule.hidden, "view_shape": getattr(task, "view_shape", None), "n_seeds": self.n_seeds}
        self.q = DQN(self.n_agents, self.in_dim, self.n_actions, cfg, cfg.action_learning_rate, **self.network)
        self.replay = JointStepReplay(cfg.buffer_size, self.replay_fields(task))
        self.train_steps = 0

    def replay_fields(self, task) -> dict:
        n = task.n_agents
        fields = {
            "obs": ((n, task.obs_dim), np.float32),
            "next_obs": ((n, task.obs_dim), np.float32),
            "action": ((n,), np.int64),
            "reward": ((n,), np.float32),
            "learning_reward": ((n,), np.float32),
            "terminal": ((n,), np.float32),
            "active": ((n,), np.float32),
        }
        if self.uses_mean_action:
            fields |= {"mean_action": ((n, task.n_actions), np.float32), "next_mean_action": ((n, task.n_actions), np.float32)}
        if self.needs_state:
            fields |= {"state": ((task.state_dim,), np.float32), "next_state": ((task.state_dim,), np.float32)}
        return fields

    def inputs(self, obs, mean_action=None) -> torch.Tensor:
        """Network input for (…, agents, features) arrays: the observation, with ā for MF-Q."""
        x = as_tensor(obs)
        return torch.cat([x, as_tensor(mean_action)], dim=-1) if self.uses_mean_action else x

    def act(self, obs, mean_action, epsilon: float | None) -> np.ndarray:
        """Every agent in one forward pass; ε-greedy, greedy when epsilon is None or 0."""
        q = self.q.values(self.inputs(obs[None], None if mean_action is None else mean_action[None]))[0]
        if not epsilon:
            return q.argmax(dim=-1).numpy()
        return epsilon_greedy(q, epsilon, self.rng).numpy()

    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        return step["reward"]

    def store(self, step: dict, global_step: int) -> None:
        """`step` holds obs, action, reward, next_obs, terminal (per agent), active, peers and, as
        the learner needs them, mean actions and states."""
        self.replay.add({**step, "learning_reward": self.learning_reward(step, global_step)})

    def train_step(self) -> float:
        batch = self.replay.sample(self.cfg.batch_size, self.rng)
        loss = self._td(self.q, batch, batch["learning_reward"])
        self.train_steps += 1
        if self.train_steps % self.schedule.target_update_every == 0:
            self.update_targets()
        return loss

    def seed_losses(self) -> list[float]:
        """The last gradient step's loss (the acting network's) of each seed of a group."""
        return self.q.agent_loss.reshape(self.n_seeds, -1).sum(dim=1).tolist()

    def _td(self, dqn: DQN, batch: dict, reward) -> float:
        mean, next_mean = batch.get("mean_action"), batch.get("next_mean_action")
        temperature = self.cfg.boltzmann_temperature if self.uses_mean_action else None
        return dqn.td_step(
            self.inputs(batch["obs"], mean),
            torch.as_tensor(batch["action"]),
            as_tensor(reward),
            self.inputs(batch["next_obs"], next_mean),
            as_tensor(batch["terminal"]),
            as_tensor(batch["active"]),
            temperature,
        )

    def update_targets(self) -> None:
        self.q.update_target()

    def networks(self) -> dict:
        return {"q": self.q.online, "q_target": self.q.target}

    def optimizers(self) -> dict:
        return {"q_optimizer": self.q.optimizer}
