"""The audit: every claim of the claims registry gets a verdict from our runs.

Rule (fixed before any result was seen, the same for every claim):
- `within` claims: our value should lie within paper value ± tolerance.
  reproduced      the whole 95% bootstrap CI over seeds lies inside the band;
  not reproduced  the whole CI lies outside the band;
  inconclusive    the CI straddles an edge of the band (more seeds needed).
- `above` / `below` claims: our value should be above / below a threshold; reproduced when the
  whole CI is on the claimed side, not reproduced when it is wholly on the other, else inconclusive.
- Always inconclusive: the results were made at a smaller scale than the claim needs, fewer than
  two seeds have a defined value, or no runs exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from replication import io
from replication.analysis.measures import MEASURES, bootstrap_ci
from replication.analysis.html import escape, page
from replication.config import SCALES, ConfigError, SuiteConfig

CLAIMS_DIR = Path(__file__).resolve().parent.parent / "claims"
RULES = ("within", "above", "below")


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    figure: str
    statement: str
    paper_value: float
    measure: str
    params: dict = field(default_factory=dict)
    rule: str = "within"
    tolerance: float = 0.0
    threshold: float | None = None
    min_scale: str = "default"
    note: str = ""


def load_claims(paths=None) -> list[Claim]:
    """Read and check every claims YAML (one per paper)."""
    claims = []
    for path in paths or sorted(CLAIMS_DIR.glob("*.yaml")):
        doc = yaml.safe_load(Path(path).read_text())
        for raw in doc["claims"]:
            claim = Claim(paper=doc["paper"], **raw)
            if claim.measure not in MEASURES:
                raise ConfigError(f"{path}: claim {claim.id}: unknown measure {claim.measure!r}")
            if claim.rule not in RULES:
                raise ConfigError(f"{path}: claim {claim.id}: rule must be one of {', '.join(RULES)}")
            if claim.min_scale not in SCALES:
                raise ConfigError(f"{path}: claim {claim.id}: min_scale must be one of {', '.join(SCALES)}")
            if claim.rule == "within" and not np.isfinite(claim.paper_value):
                raise ConfigError(f"{path}: claim {claim.id}: rule within needs a paper value")
            if claim.rule != "within" and claim.threshold is None:
                raise ConfigError(f"{path}: claim {claim.id}: rule {claim.rule} needs a threshold")
            claims.append(claim)
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ConfigError("claims registry: duplicate claim ids")
    return claims


def verdict(claim: Claim, values: pd.Series, scale: str) -> tuple[str, str, tuple]:
    """Return (verdict, reason, (mean, ci_low, ci_high)) for one claim from per-seed values."""
    values = pd.Series(values, dtype=float)
    defined = values.dropna()
    mean, low, high = bootstrap_ci(defined.to_numpy())
    if SCALES.index(scale) < SCALES.index(claim.min_scale):
        return "inconclusive", f"run at {scale} scale; this claim needs at least {claim.min_scale} scale", (mean, low, high)
    if len(values) == 0:
        return "inconclusive", "no runs for this claim", (mean, low, high)
    if len(defined) < 2:
        return "inconclusive", f"value defined for {len(defined)} of {len(values)} seeds; need at least 2", (mean, low, high)
    undefined = "" if len(defined) == len(values) else f"; undefined for {len(values) - len(defined)} of {len(values)} seeds"
    if claim.rule == "within":
        band_low, band_high = claim.paper_value - claim.tolerance, claim.paper_value + claim.tolerance
        if band_low <= low and high <= band_high:
            return "reproduced", f"95% CI inside paper ± {claim.tolerance:g}" + undefined, (mean, low, high)
        if high < band_low or low > band_high:
            return "not reproduced", f"95% CI outside paper ± {claim.tolerance:g}" + undefined, (mean, low, high)
        return "inconclusive", f"95% CI straddles the edge of paper ± {claim.tolerance:g}" + undefined, (mean, low, high)
    above = claim.rule == "above"
    side, other = ("above", "at or below") if above else ("below", "at or above")
    holds = low > claim.threshold if above else high < claim.threshold
    fails = high <= claim.threshold if above else low >= claim.threshold
    if holds:
        return "reproduced", f"95% CI wholly {side} {claim.threshold:g}" + undefined, (mean, low, high)
    if fails:
        return "not reproduced", f"95% CI wholly {other} {claim.threshold:g}" + undefined, (mean, low, high)
    return "inconclusive", f"95% CI straddles {claim.threshold:g}" + undefined, (mean, low, high)


def audit_table(results: str | Path, scale: str, claims: list[Claim] | None = None) -> pd.DataFrame:
    rows = []
    for claim in claims or load_claims():
        values = MEASURES[claim.measure](results, **claim.params)
        result, reason, (mean, low, high) = verdict(claim, values, scale)
        rows.append({
            "id": claim.id, "paper": claim.paper, "figure": claim.figure, "statement": claim.statement,
            "paper_value": claim.paper_value, "rule": claim.rule,
            "tolerance": claim.tolerance if claim.rule == "within" else np.nan,
            "threshold": claim.threshold if claim.threshold is not None else np.nan,
            "ours_mean": mean, "ci_low": low, "ci_high": high, "n_seeds": int(pd.Series(values).notna().sum()),
            "verdict": result, "reason": reason, "note": claim.note,
        })
    return pd.DataFrame(rows)


def _fmt(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.3g}"


def to_markdown(table: pd.DataFrame, cfg: SuiteConfig) -> str:
    counts = table["verdict"].value_counts()
    lines = [
        f"# Audit: {cfg.results_name} scale",
        "",
        "Each claim of the papers, our value (mean over seeds, 95% percentile-bootstrap CI) and a verdict.",
        "Rule, fixed before looking at results: **reproduced** when the whole CI lies inside paper ± tolerance",
        "(or wholly on the claimed side of a threshold), **not reproduced** when it lies wholly outside,",
        "**inconclusive** when it straddles the edge, fewer than two seeds are defined, or the scale is",
        "smaller than the claim needs. Tolerances live in `replication/claims/*.yaml` with their reasons.",
        "A paper value of – means the paper's number was not recovered: the claim is judged on its direction only.",
        "",
        "Summary: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in ("reproduced", "not reproduced", "inconclusive")),
        "",
    ]
    for paper, part in table.groupby("paper", sort=False):
        lines += [f"## {paper}", "",
                  "| claim | figure | statement | paper | ours [95% CI] | tol./threshold | seeds | verdict | reason |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in part.itertuples():
            bound = f"± {r.tolerance:g}" if r.rule == "within" else f"{r.rule} {r.threshold:g}"
            ours = f"{_fmt(r.ours_mean)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
            lines.append(f"| {r.id} | {r.figure} | {r.statement} | {_fmt(r.paper_value)} | {ours} | {bound} | "
                         f"{r.n_seeds} | **{r.verdict}** | {r.reason} |")
        lines.append("")
    return "\n".join(lines)


def to_html(table: pd.DataFrame, cfg: SuiteConfig) -> str:
    """The audit as one self-contained page (the report's audit page): the rule, the counts, and a
    table per paper with each verdict coloured."""
    counts = table["verdict"].value_counts()
    parts = ["<p>Each claim of the papers, our value (mean over seeds, 95% percentile-bootstrap CI) and a verdict. "
             "Rule, fixed before looking at results: <b>reproduced</b> when the whole CI lies inside paper ± tolerance "
             "(or wholly on the claimed side of a threshold), <b>not reproduced</b> when it lies wholly outside, "
             "<b>inconclusive</b> when it straddles the edge, fewer than two seeds are defined, or the scale is smaller "
             "than the claim needs. Tolerances live in <code>replication/claims/*.yaml</code> with their reasons.</p>",
             "<p class='summary'>" + "".join(
                 f"<span class='{v.replace(' ', '-')}'>{counts.get(v, 0)} {v}</span>"
                 for v in ("reproduced", "not reproduced", "inconclusive")) + "</p>"]
    for paper, part in table.groupby("paper", sort=False):
        parts += [f"<h2>{escape(paper)}</h2><table><tr><th>claim</th><th>figure</th><th>statement</th><th>paper</th>"
                  "<th>ours [95% CI]</th><th>tol./threshold</th><th>seeds</th><th>verdict</th><th>reason</th></tr>"]
        for r in part.itertuples():
            bound = f"± {r.tolerance:g}" if r.rule == "within" else f"{r.rule} {r.threshold:g}"
            ours = f"{_fmt(r.ours_mean)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
            parts.append(f"<tr class='{r.verdict.replace(' ', '-')}'><td>{escape(r.id)}</td><td>{escape(r.figure)}</td>"
                         f"<td>{escape(r.statement)}</td><td class='num'>{_fmt(r.paper_value)}</td>"
                         f"<td class='num'>{ours}</td><td class='num'>{escape(bound)}</td><td class='num'>{r.n_seeds}</td>"
                         f"<td><b>{escape(r.verdict)}</b></td><td>{escape(r.reason)}</td></tr>")
        parts.append("</table>")
    wide = "td:first-child { white-space: nowrap; } td:nth-child(3) { min-width: 18em; } td:last-child { min-width: 16em; }"
    return page(f"Audit: {cfg.results_name} scale", "\n".join(parts), wide)


def write_audit(results: str | Path, cfg: SuiteConfig) -> None:
    table = audit_table(results, cfg.scale)
    io.write_csv(Path(results) / "audit.csv", table)
    io.write_text(Path(results) / "audit.md", to_markdown(table, cfg))
    io.write_text(Path(results) / "audit.html", to_html(table, cfg))
