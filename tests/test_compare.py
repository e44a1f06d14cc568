"""`python -m replication compare`: two audits claim by claim (analysis/compare.py), by hand."""

import subprocess
import sys

import pandas as pd

from replication.analysis import compare

COLUMNS = ["id", "verdict", "ours", "ci_low", "ci_high", "statement"]


def _audit(folder, rows):
    folder.mkdir(parents=True)
    pd.DataFrame(rows, columns=COLUMNS).to_csv(folder / "audit.csv", index=False)
    return folder


def test_two_audits_compared_by_hand(tmp_path):
    """Claim x: reproduced in both, 0.50 [0.40, 0.60] and 0.55 [0.45, 0.65]: each value inside the
    other's interval. Claim y: reproduced at 0.78 [0.60, 0.90], not reproduced at 0.36 [0.20, 0.50]:
    the verdict differs and each value lies outside the other's interval. Claim z: inconclusive
    without a value in both: same verdict, nothing to place. Claim w: in A only. Summary: 3 claims in
    both, 1 verdict differs, 1 value outside, 1 claim in one audit only."""
    a = _audit(
        tmp_path / "a",
        [
            ("x", "reproduced", 0.50, 0.40, 0.60, ""),
            ("y", "reproduced", 0.78, 0.60, 0.90, ""),
            ("z", "inconclusive", None, None, None, ""),
            ("w", "reproduced", 1.0, 0.9, 1.1, ""),
        ],
    )
    b = _audit(
        tmp_path / "b",
        [
            ("x", "reproduced", 0.55, 0.45, 0.65, ""),
            ("y", "not reproduced", 0.36, 0.20, 0.50, ""),
            ("z", "inconclusive", None, None, None, ""),
        ],
    )
    table, summary = compare.compare_audits(a, b)
    rows = table.set_index("id")
    assert (rows.loc["x", "a_inside_b"], rows.loc["x", "b_inside_a"], rows.loc["x", "same_verdict"]) == (True, True, True)
    assert (rows.loc["y", "a_inside_b"], rows.loc["y", "b_inside_a"], rows.loc["y", "same_verdict"]) == (False, False, False)
    assert pd.isna(rows.loc["z", "a_inside_b"]) and rows.loc["z", "same_verdict"]
    assert summary == {"claims": 3, "verdicts_differ": 1, "values_outside": 1, "only_in_one": 1}
    assert compare.summary_line(summary) == (
        "3 claims in both audits: 1 verdicts differ, 1 values outside the other's 95% interval; 1 claims in one audit only"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "compare", str(a), str(b), "--out", str(tmp_path / "c.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == compare.summary_line(summary)
    assert "not reproduced" in proc.stdout and " x " not in proc.stdout  # only the claims that differ are listed
    assert list(pd.read_csv(tmp_path / "c.csv")["id"]) == list(table["id"])


def test_a_folder_without_an_audit_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "replication", "compare", str(tmp_path / "empty"), str(tmp_path / "empty")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "audit.csv does not exist" in proc.stderr
