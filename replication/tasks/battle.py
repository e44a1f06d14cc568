"""MAgent battle (paper A §5.3) through magent2's raw GridWorld handle API.

Two teams of `agents_per_side` start in the reference code's square formations (spacing 2, a gap
of 3 either side of the middle). Agent stats and rewards are the paper's: hp 10, damage 2, view
radius 6 (13×13 view), attack radius 1.5, 0.1 hp recovered per step, 21 actions; rewards −0.005 per
step, +0.2 for attacking an enemy, −0.1 for attacking (anything), −0.1 for dying and +5 per kill
(paid by the engine through the agent type's kill_reward). The GridWorld config is magent2's own
battle config (`magent2.environments.battle.battle.get_config`), so the semantics are those of
PettingZoo's battle_v4.

Observations are read through `gridworld.group_observation`: copies of the engine's reused
buffers, non-finite minimap values (0/0 once a team is wiped out) set to 0, and no engine call for
a team with no agents left (magent2 reads out of bounds there).
"""

from __future__ import annotations

from dataclasses import dataclass

import magent2
import numpy as np
from magent2.environments.battle.battle import get_config

from replication.tasks.formation import check_fits, formation  # noqa: F401  (formation: re-exported for tests)
from replication.tasks.gridworld import group_observation

N_ACTIONS = 21
ATTACK_ACTIONS = np.arange(13, 21)  # the 8 neighbouring cells (magent2's attack_base is 13; 0–12 move, 6 stays)
VIEW_RADIUS = 6


@dataclass
class TeamObservation:
    view: np.ndarray  # (n_alive, 13, 13, C) float32, a copy
    features: np.ndarray  # (n_alive, F) float32, a copy
    ids: np.ndarray  # engine ids of the alive agents, in row order
    positions: np.ndarray  # (n_alive, 2) grid positions


class Battle:
    """Two-team battle on the raw GridWorld API; team 0 and team 1 are both learners' sides."""

    def __init__(
        self,
        map_size: int = 40,
        agents_per_side: int = 64,
        max_steps: int = 400,
        minimap_mode: bool = True,
        seed: int = 0,
        step_reward: float = -0.005,
        dead_penalty: float = -0.1,
        attack_penalty: float = -0.1,
        attack_opponent_reward: float = 0.2,
    ):
        check_fits(map_size, agents_per_side)
        self.map_size, self.agents_per_side, self.max_steps = map_size, agents_per_side, max_steps
        config = get_config(
            map_size,
            minimap_mode,
            seed,
            step_reward=step_reward,
            dead_penalty=dead_penalty,
            attack_penalty=attack_penalty,
            attack_opponent_reward=attack_opponent_reward,
        )
        self.env = magent2.GridWorld(config, map_size=map_size)
        self.handles = self.env.get_handles()
        self.view_shape = tuple(int(d) for d in self.env.get_view_space(self.handles[0]))
        self.feature_size = int(self.env.get_feature_space(self.handles[0])[0])
        self.steps = 0

    def reset(self, seed: int | None = None, left_team: int = 0) -> None:
        """A new round: team `left_team` in the left formation, the other team in the right one (the
        reference code's `generate_map` draws which group starts on the left). Group 0 still moves first."""
        if seed is not None:
            self.env.set_seed(seed)
        self.env.reset()
        for team in (0, 1):
            self.env.add_agents(
                self.handles[team], method="custom", pos=formation(self.map_size, self.agents_per_side, team == left_team)
            )
        self.steps = 0

    def alive_count(self, team: int) -> int:
        return int(self.env.get_num(self.handles[team]))

    def observe(self, team: int) -> TeamObservation:
        handle = self.handles[team]
        view, features = group_observation(self.env, handle)
        return TeamObservation(view, features, self.env.get_agent_id(handle).copy(), self.env.get_pos(handle).copy())

    def step(self, actions: tuple[np.ndarray, np.ndarray]):
        """Apply both teams' actions (rows in observation order); return per-team rewards and alive
        flags (rows as before the step), and whether the round is over. Dead agents are then cleared."""
        for handle, team_actions in zip(self.handles, actions):
            self.env.set_action(handle, np.ascontiguousarray(team_actions, dtype=np.int32))
        engine_done = self.env.step()
        self.steps += 1
        rewards = tuple(self.env.get_reward(h).copy() for h in self.handles)
        alive = tuple(self.env.get_alive(h).copy() for h in self.handles)
        self.env.clear_dead()
        done = engine_done or self.steps >= self.max_steps or min(self.alive_count(0), self.alive_count(1)) == 0
        return rewards, alive, done
