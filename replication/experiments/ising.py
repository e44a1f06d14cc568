"""Ising experiments: the temperature sweep (Figs. 4–6) and the 3×3 toy (Fig. 2).

One run = one algorithm and one seed over every temperature of the sweep. Each temperature
draws from its own stream, seeded by (seed, τ, algorithm), and is saved to `partial/` as soon
as it is done, so a killed run resumes at the next temperature with identical results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from replication import io
from replication.algorithms import mcmc
from replication.algorithms.tabular_mfq import DOWN, UP, TabularMFQ, annealed_temperature
from replication.config import IsingConfig, IsingToyConfig
from replication.tasks import ising

ALGORITHMS = {"ising": ("mfq", "mcmc"), "ising_toy": ("mfq",)}
_STREAM = {"mfq": 1, "mcmc": 2}


def _rng(seed: int, tau: float, algo: str) -> np.random.Generator:
    return np.random.default_rng([seed, int(round(tau * 1_000_000)), _STREAM[algo]])


def _rows(step: np.ndarray, metric: str, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"step": step, "metric": metric, "value": value})


def mfq_at_temperature(cfg: IsingConfig, tau: float, rng: np.random.Generator):
    """MF-Q on the lattice at one τ: ξ and Q-MSE every `log_every` steps, equilibrium ξ, final spins."""
    m = cfg.mfq
    size = cfg.lattice_size
    agents = TabularMFQ(size * size)
    target = ising.reward_table(cfg.coupling, cfg.magnetic_field)
    spins = ising.random_spins(size, rng)
    xi = np.empty(m.steps)
    mse = np.empty(m.steps)
    best, stable = 0.0, 0
    for t in range(m.steps):
        temperature = annealed_temperature(t, m.initial_temperature, m.temperature_decay, m.decay_every, tau)
        n_up = ising.up_neighbours(spins).ravel()           # ā^j from the previous step
        actions = agents.act(n_up, temperature, rng)         # Eq. 12
        spins = (2 * actions - 1).astype(np.int8).reshape(size, size)
        reward = ising.rewards(spins, cfg.coupling, cfg.magnetic_field).ravel()
        new_q = agents.update(n_up, actions, reward, m.learning_rate)  # Eq. 9
        mse[t] = np.mean((new_q - target[n_up, actions]) ** 2)
        xi[t] = ising.order_parameter(spins)
        if m.stop_when_stable:  # the reference code's early stop
            best = max(best, xi[t])
            stable = stable + 1 if abs(best - xi[t]) < 0.001 else 0
            if stable == m.stop_when_stable:
                break
    done = t + 1
    logged = np.arange(m.log_every - 1, done, m.log_every)
    window = max(1, int(round(m.measure_fraction * done)))
    metrics = pd.concat([
        _rows(logged + 1, "xi", xi[logged]),
        _rows(logged + 1, "q_mse", mse[logged]),
        _rows(np.array([done]), "xi_equilibrium", np.array([xi[done - window:done].mean()])),
        _rows(np.array([done]), "q_mse_final", np.array([mse[done - window:done].mean()])),
    ])
    return metrics, spins


def mcmc_at_temperature(cfg: IsingConfig, tau: float, rng: np.random.Generator):
    """Metropolis at one τ: |m| every `log_every` sweeps, equilibrium ξ = mean |m| at the end, final spins."""
    m = cfg.mcmc
    size = cfg.lattice_size
    spins = (np.ones((size, size), dtype=np.int8) if m.initial_state == "ordered"
             else ising.random_spins(size, rng))
    parity = mcmc.checkerboard(size)
    xi = np.empty(m.sweeps)
    for t in range(m.sweeps):
        mcmc.sweep(spins, tau, cfg.coupling, cfg.magnetic_field, rng, parity)
        xi[t] = ising.order_parameter(spins)
    logged = np.arange(m.log_every - 1, m.sweeps, m.log_every)
    window = max(1, int(round(m.measure_fraction * m.sweeps)))
    metrics = pd.concat([
        _rows(logged + 1, "xi", xi[logged]),
        _rows(np.array([m.sweeps]), "xi_equilibrium", np.array([xi[-window:].mean()])),
    ])
    return metrics, spins


def run_sweep(algo: str, seed: int, cfg: IsingConfig, partial: Path, progress: bool = True):
    """Run every temperature (resuming from `partial/`); return tidy metrics and final spins by τ."""
    at_temperature = {"mfq": mfq_at_temperature, "mcmc": mcmc_at_temperature}[algo]
    frames, spin_maps = [], {}
    for i, tau in enumerate(tqdm(cfg.taus, desc=f"ising {algo} seed{seed}", unit="τ", disable=not progress)):
        csv_path, npy_path = partial / f"tau{i:03d}.csv", partial / f"tau{i:03d}.npy"
        if csv_path.exists() and npy_path.exists():
            metrics, spins = pd.read_csv(csv_path), np.load(npy_path)
        else:
            metrics, spins = at_temperature(cfg, tau, _rng(seed, tau, algo))
            metrics.insert(0, "tau", tau)
            with io.atomic_path(npy_path) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, spins)
            io.write_csv(csv_path, metrics)
        frames.append(metrics)
        spin_maps[f"tau{tau:g}"] = spins
    return pd.concat(frames, ignore_index=True), spin_maps


def run_toy(seed: int, cfg: IsingToyConfig, progress: bool = True) -> pd.DataFrame:
    """MF-Q on the 3×3 cyclic toy of Fig. 2: the highlighted agent's Q-table at every step."""
    size = cfg.lattice_size
    rng = np.random.default_rng([seed, 3])
    agents = TabularMFQ(size * size)
    j = (size - 1) * size  # bottom-left agent, highlighted in Fig. 2
    spins = ising.random_spins(size, rng)
    steps = np.arange(1, cfg.steps + 1)
    q_history = np.empty((cfg.steps, 5, 2))
    xi = np.empty(cfg.steps)
    for t in tqdm(range(cfg.steps), desc=f"toy seed{seed}", unit="step", disable=not progress, mininterval=1):
        n_up = ising.up_neighbours(spins).ravel()
        actions = agents.act(n_up, cfg.temperature, rng)
        spins = (2 * actions - 1).astype(np.int8).reshape(size, size)
        agents.update(n_up, actions, ising.rewards(spins, 1.0, 0.0).ravel(), cfg.learning_rate)
        q_history[t] = agents.q[j]
        xi[t] = ising.order_parameter(spins)
    # converged value: Q of keeping the agreed direction when every neighbour agrees
    consensus = UP if spins.sum() > 0 else DOWN
    q_consensus = q_history[:, 4 if consensus == UP else 0, consensus]
    frames = [_rows(steps, "xi", xi), _rows(steps, "q_consensus", q_consensus)]
    for level in range(5):
        for action, name in ((UP, "up"), (DOWN, "down")):
            frame = _rows(steps, "q", q_history[:, level, action])
            frame["abar"], frame["action"] = level / 4, name
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)
