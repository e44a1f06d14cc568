"""Replication suite for Mean Field MARL (Yang et al. 2018) and PED-DQN (Hostallero et al. 2020)."""
