"""Ising experiments: the temperature sweep (Figs. 4–6) and the 3×3 toy (Fig. 2).

One run = one algorithm and one seed over every temperature of the sweep. The temperatures are
stepped together as a stack of lattices, one vectorised pass, but each draws from its own stream,
seeded by (seed, τ, algorithm), so its result is the same as if it ran alone. Each finished
temperature is saved to `partial/`; a restarted run computes only the temperatures missing there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from replication import io
from replication.algorithms import mcmc
from replication.algorithms.tabular_mfq import DOWN, UP, TabularMFQ, annealed_temperature
from replication.config import IsingConfig, IsingToyConfig
from replication.registry import ISING
from replication.streams import stacked_uniforms
from replication.tasks import ising


def _rng(seed: int, tau: float, algo: str) -> np.random.Generator:
    return np.random.default_rng([seed, int(round(tau * 1_000_000)), ISING[algo].stream_id])


def _rows(step: np.ndarray, metric: str, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"step": step, "metric": metric, "value": value})


def _tqdm_steps(n: int, label: str, progress: bool):
    return tqdm(range(n), desc=label, unit="step", disable=not progress, mininterval=2)


def mfq_at_temperatures(cfg: IsingConfig, taus: list[float], rngs: list[np.random.Generator], progress: bool = False):
    """MF-Q on one lattice per τ, all τ stepped together (lattice k draws from rngs[k] only, so each
    result is what that τ gives on its own): per τ, ξ and Q-MSE every `log_every` steps, equilibrium
    ξ, final spins."""
    m = cfg.mfq
    size, n_taus = cfg.lattice_size, len(taus)
    n = size * size
    agents = TabularMFQ(n_taus * n)  # lattice k's agents are rows k·n … (k+1)·n − 1
    target = ising.reward_table(cfg.coupling, cfg.magnetic_field)
    spins = np.stack([ising.random_spins(size, rng) for rng in rngs])
    xi = np.empty((m.steps, n_taus))
    mse = np.empty((m.steps, n_taus))
    best, stable = np.zeros(n_taus), np.zeros(n_taus, dtype=int)
    done = np.full(n_taus, m.steps)  # steps run per τ (fewer with the early stop)
    final_spins = [None] * n_taus
    for t in _tqdm_steps(m.steps, f"ising mfq {n_taus} τ", progress):
        temperature = np.repeat(
            [annealed_temperature(t, m.initial_temperature, m.temperature_decay, m.decay_every, tau) for tau in taus], n
        )
        n_up = ising.up_neighbours(spins).reshape(-1)  # ā^j from the previous step
        actions = agents.act(n_up, temperature, stacked_uniforms(rngs, (n,)).reshape(-1))  # Eq. 12
        spins = (2 * actions - 1).astype(np.int8).reshape(n_taus, size, size)
        reward = ising.rewards(spins, cfg.coupling, cfg.magnetic_field).reshape(-1)
        new_q = agents.update(n_up, actions, reward, m.learning_rate)  # Eq. 9
        mse[t] = np.mean(((new_q - target[n_up, actions]) ** 2).reshape(n_taus, n), axis=1)
        xi[t] = ising.order_parameter(spins)
        if m.stop_when_stable:  # the reference code's early stop, per τ
            running = done == m.steps
            best = np.maximum(best, xi[t])
            stable = np.where(np.abs(best - xi[t]) < 0.001, stable + 1, 0)
            for k in np.flatnonzero(running & (stable == m.stop_when_stable)):
                done[k], final_spins[k] = t + 1, spins[k].copy()
            if (done <= t + 1).all():
                break
    results = []
    for k in range(n_taus):
        steps = int(done[k])
        logged = np.arange(m.log_every - 1, steps, m.log_every)
        window = max(1, int(round(m.measure_fraction * steps)))
        metrics = pd.concat(
            [
                _rows(logged + 1, "xi", xi[logged, k]),
                _rows(logged + 1, "q_mse", mse[logged, k]),
                _rows(np.array([steps]), "xi_equilibrium", np.array([xi[steps - window : steps, k].mean()])),
                _rows(np.array([steps]), "q_mse_final", np.array([mse[steps - window : steps, k].mean()])),
            ]
        )
        results.append((metrics, final_spins[k] if final_spins[k] is not None else spins[k]))
    return results


def _per_temperature(xi: np.ndarray, spins: np.ndarray, m) -> list:
    """Per τ (column k of the sweeps × τ array `xi`): ξ every `log_every` sweeps and the equilibrium
    ξ = its mean over the final `measure_fraction` of sweeps, with the final spins."""
    logged = np.arange(m.log_every - 1, m.sweeps, m.log_every)
    window = max(1, int(round(m.measure_fraction * m.sweeps)))
    return [
        (
            pd.concat(
                [
                    _rows(logged + 1, "xi", xi[logged, k]),
                    _rows(np.array([m.sweeps]), "xi_equilibrium", np.array([xi[-window:, k].mean()])),
                ]
            ),
            spins[k],
        )
        for k in range(xi.shape[1])
    ]


def mcmc_at_temperatures(cfg: IsingConfig, taus: list[float], rngs: list[np.random.Generator], progress: bool = False):
    """Metropolis on one lattice per τ, all τ swept together (lattice k draws from rngs[k] only): per τ,
    |m| every `log_every` sweeps, equilibrium ξ = mean |m| at the end, final spins."""
    m = cfg.mcmc
    size, n_taus = cfg.lattice_size, len(taus)
    spins = (
        np.ones((n_taus, size, size), dtype=np.int8)
        if m.initial_state == "ordered"
        else np.stack([ising.random_spins(size, rng) for rng in rngs])
    )
    parity = mcmc.checkerboard(size)
    temperatures = np.asarray(taus, dtype=float)
    xi = np.empty((m.sweeps, n_taus))
    for t in _tqdm_steps(m.sweeps, f"ising mcmc {n_taus} τ", progress):
        mcmc.sweep(spins, temperatures, lambda s: ising.rewards(s, cfg.coupling, cfg.magnetic_field), rngs, parity)
        xi[t] = ising.order_parameter(spins)
    return _per_temperature(xi, spins, m)


def random_at_temperatures(cfg: IsingConfig, taus: list[float], rngs: list[np.random.Generator], progress: bool = False):
    """The audit's null model: every sweep a lattice of independent, uniformly random spins (what a
    learner that learns nothing shows), measured as MCMC is: per τ, ξ every `log_every` sweeps and
    equilibrium ξ = mean ξ over the final `measure_fraction` of `mcmc.sweeps`. τ changes nothing
    but the stream. On L×L spins ξ ≈ √(2/(π·L²)) (0.040 on 20×20)."""
    m = cfg.mcmc
    size, n_taus = cfg.lattice_size, len(taus)
    xi = np.empty((m.sweeps, n_taus))
    for t in _tqdm_steps(m.sweeps, f"ising random {n_taus} τ", progress):
        spins = np.where(stacked_uniforms(rngs, (size, size)) < 0.5, 1, -1).astype(np.int8)
        xi[t] = ising.order_parameter(spins)
    return _per_temperature(xi, spins, m)


def untrained_at_temperatures(cfg: IsingConfig, taus: list[float], rngs: list[np.random.Generator], progress: bool = False):
    """The null model of the learning claims: MF-Q whose Q-table never moves from its start (learning
    rate 0), acting by the same annealed Boltzmann policy and measured the same way."""
    return mfq_at_temperatures(untrained(cfg), taus, rngs, progress)


def untrained(cfg):
    """The same settings with MF-Q's learning rate 0 (the Ising sweep's `mfq` section, or the toy's)."""
    if isinstance(cfg, IsingConfig):
        return dataclasses.replace(cfg, mfq=dataclasses.replace(cfg.mfq, learning_rate=0.0))
    return dataclasses.replace(cfg, learning_rate=0.0)


def run_sweep(algo: str, seed: int, cfg: IsingConfig, partial: Path, progress: bool = True):
    """Run every temperature not already in `partial/` (all of them in one vectorised pass), save each
    to `partial/`, and return tidy metrics and final spins by τ."""
    at_temperatures = {
        "mfq": mfq_at_temperatures,
        "mcmc": mcmc_at_temperatures,
        "random": random_at_temperatures,
        "untrained": untrained_at_temperatures,
    }[algo]
    paths = [(partial / f"tau{i:03d}.csv", partial / f"tau{i:03d}.npy") for i in range(len(cfg.taus))]
    pending = [i for i, (csv_path, npy_path) in enumerate(paths) if not (csv_path.exists() and npy_path.exists())]
    if pending:
        taus = [cfg.taus[i] for i in pending]
        for i, (metrics, spins) in zip(pending, at_temperatures(cfg, taus, [_rng(seed, tau, algo) for tau in taus], progress)):
            metrics.insert(0, "tau", cfg.taus[i])
            csv_path, npy_path = paths[i]
            with io.atomic_path(npy_path) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, spins)
            io.write_csv(csv_path, metrics)
    frames = [pd.read_csv(csv_path) for csv_path, _ in paths]
    spin_maps = {f"tau{tau:g}": np.load(npy_path) for tau, (_, npy_path) in zip(cfg.taus, paths)}
    return pd.concat(frames, ignore_index=True), spin_maps


def run_toy(seed: int, cfg: IsingToyConfig, progress: bool = True, algo: str = "mfq") -> pd.DataFrame:
    """MF-Q on the 3×3 cyclic toy of Fig. 2: the highlighted agent's Q-table at every step. `untrained`:
    the same with learning rate 0 (the null model), from a stream of its own."""
    if algo == "untrained":
        cfg = untrained(cfg)
    size = cfg.lattice_size
    rng = np.random.default_rng([seed, 3] + ([] if algo == "mfq" else [ISING[algo].stream_id]))
    agents = TabularMFQ(size * size)
    j = (size - 1) * size  # bottom-left agent, highlighted in Fig. 2
    spins = ising.random_spins(size, rng)
    steps = np.arange(1, cfg.steps + 1)
    q_history = np.empty((cfg.steps, 5, 2))
    xi = np.empty(cfg.steps)
    for t in tqdm(range(cfg.steps), desc=f"toy seed{seed}", unit="step", disable=not progress, mininterval=1):
        n_up = ising.up_neighbours(spins).ravel()
        actions = agents.act(n_up, cfg.temperature, rng.random(n_up.shape))
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
