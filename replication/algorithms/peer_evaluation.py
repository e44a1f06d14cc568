"""Paper B's reward reshaping, shared by PED-DQN on its own tasks and in battle, PE-DQN, and the
reward-sharing baseline.

Each agent k sends, for its own transition, the peer evaluation (paper B §3.2)

    z_k = r_k + γ·Q_k(o'_k, π_k(o'_k)) − Q_k(o_k, u_k),

and agent a learns from r̂_a = r_a + β·Z_a, Z_a the mean z_k of the peers a observes. Reward
sharing replaces z by the peers' raw rewards.
"""

from __future__ import annotations

import numpy as np
import torch


def peer_evaluation(reward, q_taken, next_value, terminal, gamma: float) -> np.ndarray:
    """z_k = r_k + γ(1 − terminal)·Q(o', π(o')) − Q(o, u) for every agent k (paper B §3.2)."""
    return reward + gamma * (1.0 - terminal) * next_value - q_taken


def peer_mean(values: np.ndarray, peers: np.ndarray) -> np.ndarray:
    """For each agent a, the mean of values[k] over the agents k that a observes (peers[a, k]); 0 with no peer.
    With the peer evaluations z this is Z_a (paper B §3.2)."""
    counts = peers.sum(axis=1)
    return np.where(counts > 0, (peers.astype(np.float32) @ values) / np.maximum(counts, 1), 0.0).astype(np.float32)


def reshaped_reward(reward, z, peers, beta: float) -> np.ndarray:
    """r̂_a = r_a + β·Z_a (paper B §3.2)."""
    return (reward + beta * peer_mean(z, peers)).astype(np.float32)


def shared_reward(reward: np.ndarray, peers: np.ndarray, beta: float) -> np.ndarray:
    """Reward sharing: r_a + β·(mean raw reward of the agents a observes)."""
    return (reward + beta * peer_mean(reward, peers)).astype(np.float32)


class PeerEvaluation:
    """Paper B's per-agent DQN units (`semi_cooperative/dqn.py`): z_k from the TD error of `evaluator`
    (its live network, or its frozen copy with
    `peer_network: frozen_copy`), bootstrapped with `actor`'s greedy policy (paper) or the
    evaluator's max (`peer_bootstrap: max`), and the reshaped reward r̂ the acting network learns from."""

    def __init__(self, evaluator, actor, inputs, cfg, schedule):
        self.evaluator, self.actor, self.inputs, self.cfg, self.schedule = evaluator, actor, inputs, cfg, schedule

    def signals(self, step: dict) -> np.ndarray:
        net = self.evaluator.target if self.cfg.peer_network == "frozen_copy" else self.evaluator.online
        with torch.no_grad():
            q = net(self.inputs(step["obs"][None]))[0]
            q_next = net(self.inputs(step["next_obs"][None]))[0]
            if self.cfg.peer_bootstrap == "policy":  # π(o'): the action network's greedy action
                policy = self.actor.values(self.inputs(step["next_obs"][None]))[0].argmax(dim=-1)
                next_value = q_next.gather(-1, policy[:, None]).squeeze(-1)
            else:
                next_value = q_next.max(dim=-1).values
            q_taken = q.gather(-1, torch.as_tensor(step["action"])[:, None]).squeeze(-1)
        return peer_evaluation(step["reward"], q_taken.numpy(), next_value.numpy(), step["terminal"], self.cfg.gamma)

    def learning_reward(self, step: dict, global_step: int) -> np.ndarray:
        """r̂ from `peer_warmup_steps` on, the raw reward before."""
        if global_step < self.schedule.peer_warmup_steps:
            return step["reward"]
        active = step["active"].astype(bool)
        z = np.where(active, self.signals(step), 0.0)
        return reshaped_reward(step["reward"], z, step["peers"] & active[None, :], self.cfg.beta)
