"""Names of the tables and figures each task produces; the Snakefile reads these for its targets."""

TABLES = {
    "ising": ["ising_xi_vs_tau", "ising_curie"],
    "ising_toy": ["ising_toy"],
    "gaussian_squeeze": ["gaussian_squeeze"],
    "battle": ["battle_training", "battle_cross_play", "battle_cross_play_by_side", "battle_ranking", "battle_ranking_all",
               "battle_vs_scripted"],
    "semi_cooperative": ["ped_dqn_final"],
}

FIGURES = {
    "ising_toy": ["fig2_toy_q_tables"],
    "ising": ["fig4_ising_xi_vs_tau", "fig5_ising_timeseries", "fig6_ising_spin_maps"],
    "gaussian_squeeze": ["fig3_gaussian_squeeze"],
    "battle": ["fig7_battle_learning_curves", "fig8_battle_cross_play"],
    "semi_cooperative": ["ped_dqn_welfare_curves", "ped_dqn_pd_cooperation"],
}
