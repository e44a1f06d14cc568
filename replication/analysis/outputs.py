"""Names of the tables and figures each task produces; the Snakefile reads these for its targets."""

TABLES = {
    "ising": ["ising_xi_vs_tau", "ising_curie"],
    "ising_toy": ["ising_toy"],
    "gaussian_squeeze": ["gaussian_squeeze", "gaussian_squeeze_composition"],
    "battle": [
        "battle_training",
        "battle_cross_play",
        "battle_cross_play_by_side",
        "battle_ranking",
        "battle_ranking_all",
        "battle_vs_scripted",
    ],
    "semi_cooperative": ["ped_dqn_final"],
}

FIGURES = {
    "ising_toy": ["fig2_toy_q_tables"],
    "ising": ["fig4_ising_xi_vs_tau", "fig5_ising_timeseries", "fig6_ising_spin_maps"],
    "gaussian_squeeze": ["fig3_gaussian_squeeze", "gs_joint_action_composition"],
    "battle": ["fig7_battle_learning_curves", "fig8_battle_cross_play"],
    "semi_cooperative": ["ped_dqn_welfare_curves", "ped_dqn_pd_cooperation"],
}

# Where each family's outputs sit in `snakemake --report`: (category, subcategory).
PAPER_A, PAPER_B = "Paper A: Mean Field MARL (Yang et al. 2018)", "Paper B: PED-DQN (Hostallero et al. 2020)"
REPORT_GROUPS = {
    "ising_toy": (PAPER_A, "Ising model"),
    "ising": (PAPER_A, "Ising model"),
    "gaussian_squeeze": (PAPER_A, "Gaussian Squeeze"),
    "battle": (PAPER_A, "Battle"),
    "semi_cooperative": (PAPER_B, "Semi-cooperative tasks"),
}
AUDIT_GROUP = ("Audit", "Every claim, with its verdict")
