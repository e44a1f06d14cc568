# Replication suite: Mean Field MARL (Yang et al. 2018) and PED-DQN (Hostallero et al. 2020).
#   snakemake --cores 2                                          default scale
#   snakemake --cores 2 --configfile workflow/config/smoke.yaml  one-minute smoke run
#   snakemake --cores 2 --configfile workflow/config/paper.yaml  the papers' own scale
#   snakemake --cores 2 --configfile workflow/config/paper.yaml workflow/config/rehearsal.yaml
#                                                                its rehearsal: < 1 h, with cost.csv
#   snakemake --cores 2 --configfile workflow/config/central.yaml   the four central claims at the
#                                                                papers' protocol (≈ 43 CPU-hours)
# The rules call the package's CLI (`python -m replication --help`); logic lives there.


configfile: "workflow/config/default.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ising.smk"
include: "workflow/rules/gaussian_squeeze.smk"
include: "workflow/rules/battle.smk"
include: "workflow/rules/semi_cooperative.smk"
include: "workflow/rules/other_variant.smk"
include: "workflow/rules/analysis.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,  # workflow/rules/analysis.smk
