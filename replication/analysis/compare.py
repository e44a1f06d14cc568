"""Two audits of the same claims side by side (`python -m replication compare RESULTS_A RESULTS_B`).

Torch's CPU kernels differ between processors, so a re-run on another machine type changes the
last bits of a float early in training, and a run's numbers drift from there: the committed
results are byte-identical only on the machine type that made them. Across machines the question
is whether the replication held: per claim, both verdicts and both values (`ours`), and whether
each value lies inside the other's 95% interval (`ci_low`, `ci_high`). A claim only one audit has
is listed with the other side empty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from replication.config import ConfigError

COLUMNS = [
    "id",
    "verdict_a",
    "verdict_b",
    "same_verdict",
    "ours_a",
    "ci_low_a",
    "ci_high_a",
    "ours_b",
    "ci_low_b",
    "ci_high_b",
    "a_inside_b",
    "b_inside_a",
]


def _audit(results: str | Path) -> pd.DataFrame:
    path = Path(results) / "audit.csv"
    if not path.is_file():
        raise ConfigError(
            f"compare: {path} does not exist; run the audit first (python -m replication audit --results {results} ...)"
        )
    table = pd.read_csv(path)
    missing = {"id", "verdict", "ours", "ci_low", "ci_high"} - set(table.columns)
    if missing:
        raise ConfigError(f"compare: {path} lacks the columns {', '.join(sorted(missing))}; is it an audit.csv?")
    return table[["id", "verdict", "ours", "ci_low", "ci_high"]]


def _inside(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """Whether each value lies in [low, high]; NA where the value or the interval is missing."""
    known = value.notna() & low.notna() & high.notna()
    return pd.Series(np.where(known, (value >= low) & (value <= high), None), index=value.index, dtype="object")


def compare_audits(results_a: str | Path, results_b: str | Path) -> tuple[pd.DataFrame, dict]:
    """The claim-by-claim comparison (COLUMNS) and its summary: claims in both, verdicts that
    differ, values outside the other's interval (either way), claims in one audit only."""
    a, b = _audit(results_a), _audit(results_b)
    both = a.merge(b, on="id", how="outer", suffixes=("_a", "_b"), indicator=True)
    both["same_verdict"] = both["verdict_a"] == both["verdict_b"]
    both["a_inside_b"] = _inside(both["ours_a"], both["ci_low_b"], both["ci_high_b"])
    both["b_inside_a"] = _inside(both["ours_b"], both["ci_low_a"], both["ci_high_a"])
    paired = both["_merge"] == "both"
    summary = {
        "claims": int(paired.sum()),
        "verdicts_differ": int((paired & ~both["same_verdict"]).sum()),
        "values_outside": int((paired & ((both["a_inside_b"] == False) | (both["b_inside_a"] == False))).sum()),  # noqa: E712
        "only_in_one": int((~paired).sum()),
    }
    return both[COLUMNS].reset_index(drop=True), summary


def summary_line(summary: dict) -> str:
    return (
        f"{summary['claims']} claims in both audits: {summary['verdicts_differ']} verdicts differ, "
        f"{summary['values_outside']} values outside the other's 95% interval"
        + (f"; {summary['only_in_one']} claims in one audit only" if summary["only_in_one"] else "")
    )


def to_text(table: pd.DataFrame, summary: dict) -> str:
    """The claims where the audits differ (verdict, or a value outside the other's interval), then the summary line."""
    differs = table[~table["same_verdict"] | (table["a_inside_b"] == False) | (table["b_inside_a"] == False)]  # noqa: E712
    lines = []
    if len(differs):
        lines.append(differs.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    lines.append(summary_line(summary))
    return "\n".join(lines)
