"""Partially-cooperative pursuit (paper B), as the authors' code defines it: github
ddhostallero/PED-DQN, `pursuit/envs/grid_core.py` (the world), `pursuit/envs/scenarios/
battery_endless.py` (the scenario, with `pursuit_battery.py` and `pursuit_base.py` it builds on)
and `pursuit/agents/simple_agent.py` (`RunningAgent`, the prey).

A 10×10 grid, walls outside, 4 learning predators and 3 prey; one agent per cell. Actions 0 stay,
1 up, 2 down, 3 left, 4 right. Each step:

1. Moves, agent by agent in list order (predators, then prey): a move into a wall or an occupied
   cell is blocked; an agent whose target cell holds another agent first lets that one move
   (`World.single_agent_step`), so a chain moving the same way all moves. A predator with no
   battery left cannot move; a captured prey is off the grid.
   A prey (`RunningAgent`) picks uniformly among the up/left/right/down cells that were empty
   when it last observed (after the previous step's moves), and stays when there is none.
2. A present prey with at least 3 predators in its 8 neighbouring cells is captured. Then, prey
   by prey: one absent for `respawn_steps` steps reappears on a uniformly drawn empty cell (and
   is not checked for capture this step); a captured one leaves the grid.
3. Every predator that chose to move (not stay) spends one unit of its battery, also when blocked
   and also below zero; every predator's count of team captures G grows by this step's captures.
4. Reward, only at the last step of the 100-step episode, by `reward_form`; the battery bonus
   counts only while the battery is above 0:
     picsq            100·[battery > 50] + 5·G²        (the authors' default)
     sigmoid_linear   100·σ((battery − 30)/10) + 12·G
     sigmoid_sigmoid  100·σ((battery − 70)/10) + 150·σ(G − 5)
   The dilemma: the battery bonus is private, while a capture needs three predators to move.

Observation per predator: a 7×7×3 binary view centred on it (wall, predator — itself included —
and prey channels) and [battery/100, step feature, G/10]. `observation_timing: current` (default)
shows the state after the whole step, with step feature t/100 after t steps. `reference` is the
authors' timing: the view is taken after the moves but before captured prey leave and absent
ones return, battery and G before this step's update, and the step feature is (t + 1)/100.
Peers: the predators inside an agent's view. Global state (QMIX, the authors' `qmix_full`): every
agent's x then y coordinate / (grid − 1), a captured prey at −1, and each predator's 3 features.
"""

from __future__ import annotations

import numpy as np

from replication.tasks.neighbourhood import chebyshev_peers

REWARD_FORMS = ("picsq", "sigmoid_linear", "sigmoid_sigmoid")
OBSERVATION_TIMINGS = ("current", "reference")
STAY = 0
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)  # (row, column) steps
PREY_MOVES = np.array([1, 3, 4, 2])  # RunningAgent's order: up, left, right, down
NEIGHBOURS = np.array([[dr, dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc], dtype=np.int64)
VIEW_RADIUS = 3
CAPTURE_PREDATORS = 3
EMPTY = -1


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def final_reward(battery: np.ndarray, captures: int, form: str) -> np.ndarray:
    """Each predator's reward at the last step of an episode (battery_endless.py, `base_reward`)."""
    charged = battery > 0
    if form == "picsq":
        return 100.0 * (battery > 50) + 5.0 * captures**2
    if form == "sigmoid_linear":
        return 100.0 * sigmoid((battery - 30) / 10) * charged + 12.0 * captures
    if form == "sigmoid_sigmoid":
        return 100.0 * sigmoid((battery - 70) / 10) * charged + 150.0 * sigmoid(captures - 5)
    raise ValueError(f"reward_form: {form!r} is not known; choose one of {', '.join(REWARD_FORMS)}")


def neighbour_counts(occupant: np.ndarray, cells: np.ndarray, is_counted: np.ndarray) -> np.ndarray:
    """For each (row, column) cell, how many of its 8 neighbours hold a counted agent
    (`is_counted[agent]`); cells outside the grid count as empty."""
    grid = occupant.shape[0]
    padded = np.full((grid + 2, grid + 2), False)
    padded[1:-1, 1:-1] = np.where(occupant >= 0, is_counted[np.maximum(occupant, 0)], False)
    around = cells[:, None, :] + NEIGHBOURS[None] + 1
    return padded[around[..., 0], around[..., 1]].sum(axis=1)


class Pursuit:
    n_actions = 5

    def __init__(
        self,
        grid_size: int,
        n_predators: int,
        n_prey: int,
        episode_length: int,
        battery: int,
        respawn_steps: int,
        reward_form: str,
        rng: np.random.Generator,
        observation_timing: str = "current",
    ):
        if n_predators + n_prey > grid_size * grid_size:
            raise ValueError(f"{n_predators} predators and {n_prey} prey do not fit a {grid_size}×{grid_size} grid")
        if reward_form not in REWARD_FORMS:
            raise ValueError(f"reward_form: {reward_form!r} is not known; choose one of {', '.join(REWARD_FORMS)}")
        if observation_timing not in OBSERVATION_TIMINGS:
            raise ValueError(
                f"observation_timing: {observation_timing!r} is not known; choose one of {', '.join(OBSERVATION_TIMINGS)}"
            )
        self.grid, self.n_agents, self.n_prey = grid_size, n_predators, n_prey
        self.max_steps, self.full_battery, self.respawn_steps = episode_length, battery, respawn_steps
        self.reward_form, self.rng, self.timing = reward_form, rng, observation_timing
        side = 2 * VIEW_RADIUS + 1
        self.view_shape = (side, side, 3)
        self.obs_dim = side * side * 3 + 3
        self.state_dim = 2 * (n_predators + n_prey) + 3 * n_predators
        self.is_predator = np.arange(n_predators + n_prey) < n_predators
        self.reset()

    # --- the grid ------------------------------------------------------------------------------
    @property
    def predators(self) -> np.ndarray:
        return self.positions[: self.n_agents]

    @property
    def prey(self) -> np.ndarray:
        return self.positions[self.n_agents :]

    def _place(self, agent: int) -> None:
        """Put an agent on a uniformly drawn empty cell (the authors' `placeObj` draws until empty)."""
        empty = np.flatnonzero(self.occupant.ravel() == EMPTY)
        cell = empty[self.rng.integers(len(empty))]
        self.positions[agent] = divmod(int(cell), self.grid)
        self.occupant[tuple(self.positions[agent])] = agent

    def _remove(self, agent: int) -> None:
        self.occupant[tuple(self.positions[agent])] = EMPTY
        self.positions[agent] = -1

    def place(self, predators, prey) -> None:
        """Put the agents on given cells (tests and hand-made states); every prey present."""
        self.occupant[:] = EMPTY
        self.positions[:] = np.vstack([predators, prey])
        self.occupant[self.positions[:, 0], self.positions[:, 1]] = np.arange(len(self.positions))
        self.present[:] = True
        self._look()
        self._observe_now()

    def reset(self) -> None:
        n = self.n_agents + self.n_prey
        self.occupant = np.full((self.grid, self.grid), EMPTY, dtype=np.int64)
        self.positions = np.full((n, 2), -1, dtype=np.int64)
        for agent in range(n):
            self._place(agent)
        self.present = np.ones(self.n_prey, dtype=bool)
        self.absent_for = np.zeros(self.n_prey, dtype=np.int64)
        self.prey_free = np.zeros((self.n_prey, len(PREY_MOVES)), dtype=bool)
        self.battery = np.full(self.n_agents, self.full_battery, dtype=np.int64)
        self.captures = 0
        self.steps = 0
        self._look()
        self._observe_now()

    def _observe_now(self) -> None:
        """The observation of the grid, battery and G as they are now; step feature t/100, or (t + 1)/100
        with the authors' timing."""
        self._obs = self._render(
            self.battery, self.captures, (self.steps + 1) / 100 if self.timing == "reference" else self.steps / 100
        )

    # --- one step ------------------------------------------------------------------------------
    def _resolve_moves(self, targets: np.ndarray, can_move: np.ndarray) -> None:
        """`World.single_agent_step` for every agent in list order. Sequential by definition: who
        moves first decides who gets a contested cell, so this is a loop over the 7 agents."""
        settled, waiting = ~can_move, np.zeros(len(targets), dtype=bool)

        def move(agent: int) -> None:
            if settled[agent] or waiting[agent]:
                return
            settled[agent] = True
            r, c = targets[agent]
            if (r, c) == tuple(self.positions[agent]) or not (0 <= r < self.grid and 0 <= c < self.grid):
                return  # stays, or walks into the wall
            if self.occupant[r, c] != EMPTY:  # let the agent standing there move first
                settled[agent], waiting[agent] = False, True
                move(int(self.occupant[r, c]))
                settled[agent], waiting[agent] = True, False
            if self.occupant[r, c] == EMPTY:
                self.occupant[tuple(self.positions[agent])] = EMPTY
                self.occupant[r, c] = agent
                self.positions[agent] = (r, c)

        for agent in range(len(targets)):
            move(agent)

    def _prey_actions(self) -> np.ndarray:
        """RunningAgent: uniform among the cells free at the prey's last observation; stay if none."""
        counts = self.prey_free.sum(axis=1)
        pick = np.floor(self.rng.random(self.n_prey) * counts).astype(np.int64)
        ranked = np.cumsum(self.prey_free, axis=1) - 1  # rank of each free move
        chosen = (ranked == pick[:, None]) & self.prey_free
        return np.where(counts > 0, PREY_MOVES[chosen.argmax(axis=1)], STAY)

    def _look(self) -> None:
        """What the prey see after the moves: which of them are captured, and their free cells."""
        prey = np.maximum(self.prey, 0)
        self.caught = self.present & (neighbour_counts(self.occupant, prey, self.is_predator) >= CAPTURE_PREDATORS)
        cells = prey[:, None, :] + MOVES[PREY_MOVES][None]
        inside = ((cells >= 0) & (cells < self.grid)).all(axis=-1)
        free = inside & (self.occupant[cells[..., 0].clip(0, self.grid - 1), cells[..., 1].clip(0, self.grid - 1)] == EMPTY)
        self.prey_free = np.where(self.present[:, None], free, self.prey_free)  # an absent prey keeps its last look

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, bool]:
        actions = np.asarray(actions, dtype=np.int64)
        self.steps += 1
        can_move = np.concatenate([self.battery > 0, self.present])
        targets = self.positions + MOVES[np.concatenate([actions, self._prey_actions()])]
        self._resolve_moves(targets, can_move)
        self._look()
        if self.timing == "reference":  # before captured prey leave and battery and G update
            self._observe_now()
        caught_now = 0
        for k in range(self.n_prey):  # battery_endless.py, Scenario.reward
            agent = self.n_agents + k
            if not self.present[k]:
                self.absent_for[k] += 1
                if self.absent_for[k] >= self.respawn_steps:
                    self._place(agent)
                    self.present[k], self.absent_for[k] = True, 0
                continue
            if self.caught[k]:
                self._remove(agent)
                self.present[k] = False
                caught_now += 1
        self.battery -= actions != STAY
        self.captures += caught_now
        if self.timing == "current":
            self._observe_now()
        done = self.steps >= self.max_steps
        rewards = (final_reward(self.battery, self.captures, self.reward_form) if done else np.zeros(self.n_agents)).astype(
            np.float32
        )
        return rewards, done

    # --- what the learners see -----------------------------------------------------------------
    def _render(self, battery, captures, step_feature: float) -> np.ndarray:
        """Each predator's 7×7 view (wall, predator, prey) of the grid as it is now, and its features."""
        side, pad = 2 * VIEW_RADIUS + 1, VIEW_RADIUS
        layers = np.zeros((3, self.grid + 2 * pad, self.grid + 2 * pad), dtype=np.float32)
        layers[0] = 1.0
        layers[0, pad:-pad, pad:-pad] = 0.0
        occupied = self.occupant >= 0
        kind = self.is_predator[np.maximum(self.occupant, 0)]
        layers[1, pad:-pad, pad:-pad] = occupied & kind
        layers[2, pad:-pad, pad:-pad] = occupied & ~kind
        offsets = np.arange(side)
        rows = self.predators[:, 0, None] + offsets
        cols = self.predators[:, 1, None] + offsets
        views = layers[:, rows[:, :, None], cols[:, None, :]].transpose(1, 2, 3, 0).reshape(self.n_agents, -1)
        extra = np.stack([battery / 100, np.full(self.n_agents, step_feature), np.full(self.n_agents, captures / 10)], axis=1)
        return np.concatenate([views, extra], axis=1).astype(np.float32)

    def observe(self) -> np.ndarray:
        return self._obs.copy()

    def state(self) -> np.ndarray:
        coords = self.positions / (self.grid - 1)  # a captured prey sits at (−1, −1)
        return np.concatenate([coords[:, 1], coords[:, 0], self._obs[:, -3:].ravel()]).astype(np.float32)

    def peers(self) -> np.ndarray:
        return chebyshev_peers(self.predators, VIEW_RADIUS)

    def active(self) -> np.ndarray:
        return np.ones(self.n_agents, dtype=bool)

    def episode_metrics(self) -> dict:
        return {"captures": float(self.captures), "success": float(self.captures >= 4), "battery": float(self.battery.mean())}
