#!/usr/bin/env bash
# Commit the central scale's finished jobs as they come in (docs/scales.md, "The central scale"):
# every run with a provenance.json (finished) gets its metrics, config, provenance, timing, final
# model, paired evaluations and evaluation episodes committed, never a checkpoint; the battle
# evaluations and the audit once they exist; then the regenerated ledger (progress.md,
# calibration.csv, calibration.png) and the README's central table. Only these paths are committed.
#   tools/commit-central.sh "what finished"
set -euo pipefail
cd "$(dirname "$0")/.."
python -m replication progress --config workflow/config/default.yaml --config workflow/config/central.yaml >/dev/null
paths=()
for provenance in results/central/runs/*/*/seed*/provenance.json; do
  [ -f "$provenance" ] || continue
  run=$(dirname "$provenance")
  for name in metrics.csv config.yaml provenance.json timing.csv model.pt evidence.csv actions.csv episodes.csv; do
    [ -f "$run/$name" ] && paths+=("$run/$name")
  done
done
for file in results/central/runs/battle/*.csv results/central/runs/battle/tournament*/*.csv \
            results/central/runs/battle/*/seed*/evidence.csv results/central/audit.*; do
  [ -f "$file" ] && paths+=("$file")
done
paths+=(results/central/progress.md results/central/calibration.csv results/central/calibration.png)
python -m replication docs >/dev/null   # the README's central table reads the ledger
paths+=(README.md docs/index.md)
git add -f -- "${paths[@]}"
if git diff --cached --quiet -- "${paths[@]}"; then
  echo "nothing new"
  exit 0
fi
done_jobs=$(grep -o '\*\*[0-9]* of [0-9]* jobs done' results/central/progress.md | tr -d '*')
git commit -q -m "results/central: ${1:-finished jobs} ($done_jobs)" -- "${paths[@]}"
git log --oneline -1
