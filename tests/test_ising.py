"""The Ising task, tabular MF-Q and Metropolis, checked against hand-computed values."""

import dataclasses
import math

import numpy as np
import pytest

from replication.algorithms import mcmc
from replication.algorithms.tabular_mfq import TabularMFQ, annealed_temperature, boltzmann_up_probability, mfq_update
from replication.experiments import ising as ising_experiments
from replication.experiments.ising import run_toy
from replication.tasks import ising

# A drawn 4×4 periodic grid (+ = up, - = down)
GRID = np.array(
    [
        [+1, +1, -1, +1],
        [+1, +1, +1, -1],
        [-1, +1, -1, -1],
        [+1, -1, -1, +1],
    ],
    dtype=np.int8,
)


def test_neighbour_sum_wraps_around():
    nb = ising.neighbour_sum(GRID)
    # (0,0): up (3,0)=+1, down (1,0)=+1, left (0,3)=+1, right (0,1)=+1
    assert nb[0, 0] == 4
    # (3,3): up (2,3)=-1, down (0,3)=+1, left (3,2)=-1, right (3,0)=+1
    assert nb[3, 3] == 0
    # (2,2): up (1,2)=+1, down (3,2)=-1, left (2,1)=+1, right (2,3)=-1
    assert nb[2, 2] == 0
    assert ising.up_neighbours(GRID)[0, 0] == 4


def test_reward_is_half_coupling_times_alignment():
    r = ising.rewards(GRID, coupling=1.0, field=0.0)
    assert r[0, 0] == 2.0  # up among four up neighbours
    assert r[3, 3] == 0.0  # two agree, two disagree
    # (1,3) = -1 with neighbours (0,3)=+1, (2,3)=-1, (1,2)=+1, (1,0)=+1: Σ = 2 → r = 0.5·(−1)·2 = −1
    assert r[1, 3] == -1.0
    assert ising.rewards(GRID, coupling=1.0, field=0.5)[0, 0] == 2.5


def test_reward_table_matches_fig2_caption():
    # Fig. 2: staying with 0..4 neighbours in the same direction earns −2, −1, 0, 1, 2
    table = ising.reward_table(1.0, 0.0)
    assert table[:, 1].tolist() == [-2, -1, 0, 1, 2]  # up, n_up = 0..4
    assert table[::-1, 0].tolist() == [-2, -1, 0, 1, 2]  # down, n_down = 0..4


def test_order_parameter():
    assert ising.order_parameter(GRID) == abs(9 - 7) / 16


def test_fig2_worked_update():
    # Fig. 2 caption: Q(↑, ā=0) = 0.82 + 0.1 × (2.0 − 0.82) = 0.938, printed truncated as 0.93
    new = mfq_update(0.82, 2.0, 0.1)
    assert new == pytest.approx(0.938)
    assert math.floor(new * 100) / 100 == 0.93


def test_boltzmann_probability_by_hand():
    q = np.zeros((1, 5, 2))
    q[0, 3] = [-1.0, 1.0]  # Q(down), Q(up) at n_up = 3
    p = boltzmann_up_probability(q, np.array([3]), temperature=0.5)
    assert p[0] == pytest.approx(math.exp(1 / 0.5) / (math.exp(1 / 0.5) + math.exp(-1 / 0.5)))


def test_update_touches_only_the_used_entries():
    agents = TabularMFQ(3)
    agents.update(np.array([0, 4, 2]), np.array([1, 0, 1]), np.array([2.0, -1.0, 0.5]), 0.1)
    assert agents.q[0, 0, 1] == pytest.approx(0.2)
    assert agents.q[1, 4, 0] == pytest.approx(-0.1)
    assert agents.q[2, 2, 1] == pytest.approx(0.05)
    assert np.count_nonzero(agents.q) == 3


def test_temperature_is_floored_at_tau():
    assert annealed_temperature(0, 0.3, 0.99, 2000, 0.1) == pytest.approx(0.297)
    assert annealed_temperature(4000, 0.3, 0.99, 2000, 0.1) == pytest.approx(0.3 * 0.99**3)
    assert annealed_temperature(0, 0.3, 0.99, 2000, 1.2) == 1.2


def test_flip_energy_change_by_hand():
    # (0,0) is up with Σ = 4: flipping loses its reward 2 → ΔE = 4; (1,3) has r = −1 → ΔE = −2
    de = mcmc.flip_energy_change(ising.rewards(GRID, coupling=1.0, field=0.0))
    assert de[0, 0] == 4.0
    assert de[1, 3] == -2.0
    assert de[3, 3] == 0.0


def test_metropolis_acceptance_rule():
    de = np.array([-2.0, 0.0, 2.0, 2.0])
    u = np.array([0.999, 0.999, math.exp(-2) - 1e-9, math.exp(-2) + 1e-9])
    assert mcmc.accept(de, tau=1.0, uniform=u).tolist() == [True, True, True, False]


def test_checkerboard_sweep_keeps_a_frozen_lattice_at_low_temperature():
    spins = np.ones((6, 6), dtype=np.int8)
    rng = np.random.default_rng(0)
    for _ in range(20):
        mcmc.sweep(spins[None], np.array([0.05]), lambda s: ising.rewards(s, 1.0, 0.0), [rng], mcmc.checkerboard(6))
    assert spins.min() == 1  # ΔE = 4 at τ = 0.05: acceptance e^-80


def test_toy_converges_to_two(smoke_cfg):
    # Fig. 2: the Q-value of keeping the agreed direction converges to 2.0
    cfg = type(smoke_cfg.ising_toy)(steps=500, snapshot_steps=[1, 10, 500])
    metrics = run_toy(0, cfg, progress=False)
    q = metrics[metrics["metric"] == "q_consensus"]["value"].iloc[-1]
    xi = metrics[metrics["metric"] == "xi"]["value"].iloc[-1]
    assert xi == 1.0
    assert q == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("algo", ["mfq", "mcmc"])
def test_temperatures_stepped_together_equal_each_alone(smoke_cfg, algo):
    """The sweep steps every τ in one stacked pass; each τ must come out as if it ran alone,
    also when the reference code's early stop ends some τ before others."""
    cfg = smoke_cfg.ising
    cfg = dataclasses.replace(cfg, taus=[0.1, 0.3, 0.8, 2.0], mfq=dataclasses.replace(cfg.mfq, stop_when_stable=10))
    at_temperatures = {"mfq": ising_experiments.mfq_at_temperatures, "mcmc": ising_experiments.mcmc_at_temperatures}[algo]
    rngs = lambda taus: [ising_experiments._rng(0, tau, algo) for tau in taus]  # noqa: E731
    together = at_temperatures(cfg, cfg.taus, rngs(cfg.taus))
    steps_run = set()
    for tau, (metrics, spins) in zip(cfg.taus, together):
        ((alone_metrics, alone_spins),) = at_temperatures(cfg, [tau], rngs([tau]))
        assert metrics.equals(alone_metrics) and np.array_equal(spins, alone_spins)
        steps_run.add(int(metrics["step"].max()))
    if algo == "mfq":
        assert len(steps_run) > 1  # the early stop ended the temperatures at different steps


def test_random_spins_null_model_by_hand():
    """Independent uniform spins on 8×8: N↑ ~ Binomial(64, ½), so E|m| = E|2N↑ − 64|/64 =
    Σ_k C(64, k)·|2k − 64|/64 / 2⁶⁴ = 0.0993 (√(2/(π·64)) = 0.0997 for large N). The mean over
    the last half of 4 000 draws (σ/√2000 ≈ 0.0017) lies within 0.006 of it, at every τ, and each τ
    draws from its own stream."""
    from replication.config import IsingConfig
    from replication.experiments.ising import random_at_temperatures

    cfg = dataclasses.replace(IsingConfig(), lattice_size=8, mcmc=dataclasses.replace(IsingConfig().mcmc, sweeps=4000))
    exact = sum(math.comb(64, k) * abs(2 * k - 64) / 64 for k in range(65)) / 2**64
    assert exact == pytest.approx(0.0993, abs=1e-4)
    results = random_at_temperatures(cfg, [0.5, 2.0], [np.random.default_rng(0), np.random.default_rng(1)])
    xi = [m.loc[m["metric"] == "xi_equilibrium", "value"].item() for m, _ in results]
    assert xi[0] != xi[1] and all(abs(v - exact) < 0.006 for v in xi)


def test_untrained_mfq_null_model_keeps_its_start_q_table(smoke_cfg):
    """The learning claims' null model: MF-Q with learning rate 0. Eq. 9 with α = 0 gives
    Q ← Q + 0·(r − Q) = Q, so on the toy every entry of agent j's table stays at its start, 0, at
    every step (where MF-Q reaches 2.0). On the sweep Q = 0 makes the Boltzmann policy uniform, so
    spins are independent coin flips, n_up ~ Binomial(4, ½), and either action's reward is
    ±(n_up − 2) (reward table: agreeing minus disagreeing neighbours, halved): the Q-MSE is
    E[(n_up − 2)²] = Var n_up = 4·½·½ = 1 (MF-Q's: ≈ 0.03), and ξ is that of random spins on 8×8,
    0.0993 (test above). Over the last 60 of 600 steps both lie within sampling error of that."""
    cfg = type(smoke_cfg.ising_toy)(steps=50, snapshot_steps=[1, 10, 50])
    metrics = run_toy(0, cfg, progress=False, algo="untrained")
    assert (metrics.loc[metrics["metric"].isin(["q", "q_consensus"]), "value"] == 0).all()
    sweep = dataclasses.replace(smoke_cfg.ising, taus=[0.8])
    ((result, _),) = ising_experiments.untrained_at_temperatures(sweep, [0.8], [ising_experiments._rng(0, 0.8, "untrained")])
    assert result.loc[result["metric"] == "q_mse_final", "value"].item() == pytest.approx(1.0, abs=0.1)
    assert result.loc[result["metric"] == "xi_equilibrium", "value"].item() == pytest.approx(0.0993, abs=0.04)
