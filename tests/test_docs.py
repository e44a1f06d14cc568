"""The generated documentation: numbers from committed files, references from the code, and a site
that builds strictly."""

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from replication import docs

REPO = docs.ROOT


def test_no_generated_page_is_stale():
    """README.md's and docs/'s generated blocks, the CLI and configuration references and the
    experiments' pages equal what the committed files and the code give now (`python -m replication
    docs` rewrites them)."""
    assert docs.stale() == []


def test_the_readme_is_short_and_keeps_no_history():
    """At most 250 lines; what changed and when is CHANGELOG.md's."""
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert (REPO / "CHANGELOG.md").is_file()


def test_a_scale_row_comes_from_its_provenance(tmp_path):
    """Four hand-made runs: IL seed 0 started 10:00:00, IL seed 1 10:00:30 and MF-Q seeds 0 and 1
    together in one job at 10:01:00; ended 10:05:00, 10:20:00 and 10:10:00 (both MF-Q seeds); 100,
    200 and 300 wall seconds (each MF-Q seed records its job's) on 1, 2 and 1 threads, peak 500, 900
    and 700 MB. The scale's row says 20 min 00 s (10:00 to 10:20), (100 + 400 + 300)/3600 = 0.2
    CPU-hours (the MF-Q job once, not twice), peak 900 MB; a scale without provenance.csv says it is
    not committed. A block fills from it."""
    folder = tmp_path / "results" / "decisive"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "task": ["battle"] * 4,
            "algo": ["il", "il", "mfq", "mfq"],
            "start": ["2026-12-03T10:00:00+00:00", "2026-12-03T10:00:30+00:00"] + ["2026-12-03T10:01:00+00:00"] * 2,
            "end": ["2026-12-03T10:05:00+00:00", "2026-12-03T10:20:00+00:00"] + ["2026-12-03T10:10:00+00:00"] * 2,
            "wall_seconds": [100, 200, 300, 300],
            "threads": [1, 2, 1, 1],
            "max_rss_mb": [500, 900, 700, 700],
            "git_commit": ["abcdef0123"] * 4,
            "cpu": ["AMD EPYC"] * 4,
        }
    ).to_csv(folder / "provenance.csv", index=False)
    made = docs.scale_run(tmp_path, "decisive")
    assert (made["span"], round(made["cpu_hours"], 3), made["max_rss_mb"], made["commit"]) == (
        "20 min 00 s",
        0.222,
        900,
        "abcdef0",
    )
    table = docs.scales_table(tmp_path)
    assert "| decisive |" in table and "20 min 00 s for 4 runs, 0.2 CPU-hours, peak 900 MB" in table
    assert (
        "| paper | the papers' own settings" in table and table.count("not committed") == 6
    )  # smoke, rehearsal, default, workstation, central, paper
    page = "x\n<!-- generated: scales -->\nold\n<!-- /generated -->\ny\n"
    assert docs.fill_blocks(page, tmp_path) == f"x\n<!-- generated: scales -->\n{table}<!-- /generated -->\ny\n"
    with pytest.raises(KeyError, match="unknown generated block"):
        docs.fill_blocks("<!-- generated: nope -->\n<!-- /generated -->", tmp_path)


def test_the_paper_cost_names_the_earlier_rehearsals_on_record(tmp_path):
    """Two battle seeds' training jobs: this rehearsal projects 600 and 60 min, the earlier one 1200
    and 40. CPU-hours (one thread, one job each): now (600 + 60)/60 = 11, then (1200 + 40)/60 ≈ 21;
    job by job now ÷ then: 0.50 and 1.50. Without an earlier table the sentence is left out."""
    folder = tmp_path / "results" / "rehearsal"
    (folder / "earlier").mkdir(parents=True)

    def table(minutes):
        return pd.DataFrame(
            {
                "job": ["battle_train battle/mfq", "battle_train battle/ac"],
                "rule": ["battle_train"] * 2,
                "projected_minutes": minutes,
                "threads": [1, 1],
                "paper_jobs": [1, 1],
                "requested_minutes": [m * 1.5 for m in minutes],
                "requested_mb": [1000, 1000],
            }
        )

    table([600.0, 60.0]).to_csv(folder / "cost.csv", index=False)
    assert "earlier rehearsals" not in docs.paper_cost(tmp_path)
    table([1200.0, 40.0]).to_csv(folder / "earlier" / "cost-abc1234.csv", index=False)
    text = docs.paper_cost(tmp_path)
    assert "| all | 2 | 11 |" in text
    assert "`results/rehearsal/earlier/cost-abc1234.csv` projected 21 CPU-hours" in text
    assert "this rehearsal's projections were 0.50–1.50 × its" in text


def test_the_references_name_every_command_and_setting():
    """Every subcommand of the parser has a section in the CLI reference; the configuration reference
    has `battle.checkpoint_replay` with its default, and `battle.rounds` with the paper's 2000."""
    from replication.parser import build_parser

    cli = docs.cli_reference()
    sub = next(a for a in build_parser()._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    assert all(f"## {name}\n" in cli for name in sub.choices)
    config = docs.config_reference()
    assert "| `battle.checkpoint_replay` | bool | `True` | = | nothing; since 2026-12-03 |" in config
    assert "| `battle.rounds` | int | `80` | `2000` | the runs that read it |" in config


@pytest.mark.skipif(
    shutil.which("mkdocs") is None and subprocess.run([sys.executable, "-c", "import mkdocs"]).returncode,
    reason="mkdocs not installed (pip install -e '.[docs]'; CI installs it)",
)
def test_the_site_builds_strictly(tmp_path):
    """`mkdocs build --strict`: a broken link, a missing page or an image that is not there fails it.
    Pages are page.html with relative links (use_directory_urls false), so the built site can be
    browsed from disk: the home page links to paper-a.html, not to a folder a file:// URL cannot open."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "figures" / "fig3_gaussian_squeeze.png").is_file()
    assert "Paper A" in (tmp_path / "site" / "paper-a.html").read_text()
    assert 'href="paper-a.html"' in (tmp_path / "site" / "index.html").read_text()


def test_a_local_runs_uncommitted_provenance_is_not_read(tmp_path):
    """In a git checkout, a smoke run's results/smoke/provenance.csv (ignored by git) leaves the
    smoke row "not committed", so running the smoke scale does not make the pages stale; the
    committed default's row is read."""
    row = {
        "task": "ising",
        "algo": "mcmc",
        "start": "2026-12-03T10:00:00+00:00",
        "end": "2026-12-03T10:01:00+00:00",
        "wall_seconds": 60,
        "threads": 1,
        "max_rss_mb": 100,
        "git_commit": "abcdef0123",
        "cpu": "AMD EPYC",
    }
    for scale in ("default", "smoke"):
        (tmp_path / "results" / scale).mkdir(parents=True)
        pd.DataFrame([row]).to_csv(tmp_path / "results" / scale / "provenance.csv", index=False)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "results/default/provenance.csv"], cwd=tmp_path, check=True)
    assert docs.scale_run(tmp_path, "default")["runs"] == 1
    assert docs.scale_run(tmp_path, "smoke") is None


def test_no_measured_number_is_typed_outside_a_generated_block():
    """Wall times, benchmark figures, memory, CPU-hours, verdict and test counts in README.md and
    docs/ come from committed files through generated blocks; none is typed in the prose."""
    assert docs.unsourced_numbers() == []


def test_a_typed_measurement_is_caught(tmp_path):
    """A page with a typed wall time, a typed verdict count and a typed throughput is flagged on each
    line; the same figures in a generated block, in code or inside backticks are not."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "The default scale took 40 min 32 s.\n\n"
        "<!-- generated: verdicts -->\n84 claims, 24 reproduced\n<!-- /generated -->\n\n"
        "A budget of `2.5 h`.\n\n```bash\nsleep 10 s\n```\n"
    )
    (tmp_path / "docs" / "page.md").write_text("Intro.\n24 reproduced and 10 not reproduced.\nIt steps 3 185 steps/s.\n")
    found = docs.unsourced_numbers(tmp_path)
    assert [(page, line) for page, line, _ in found] == [
        ("README.md", 1),
        ("README.md", 1),
        ("docs/page.md", 2),
        ("docs/page.md", 2),
        ("docs/page.md", 3),
    ]


def test_the_readmes_command_durations_by_hand(tmp_path):
    """The default scale's runs from 10:00:00 to 10:40:32 span 40 min 32 s; a test-suite record of
    1234.5 s reads 20 min 34 s with its counts, machine and conditions; without either, a line says
    none is on record."""
    import json

    assert docs.command_durations(tmp_path) == "No duration is on record yet.\n"
    folder = tmp_path / "results" / "default"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "task": ["ising", "battle"],
            "algo": ["mcmc", "il"],
            "start": ["2026-12-03T10:00:00+00:00", "2026-12-03T10:10:00+00:00"],
            "end": ["2026-12-03T10:20:00+00:00", "2026-12-03T10:40:32+00:00"],
            "wall_seconds": [1200, 1832],
            "threads": [1, 1],
            "max_rss_mb": [500, 900],
            "git_commit": ["abcdef0123"] * 2,
            "cpu": ["AMD EPYC"] * 2,
        }
    ).to_csv(folder / "provenance.csv", index=False)
    suite = {"wall_seconds": 1234.5, "passed": 540, "skipped": 3, "cpu": "AMD EPYC", "cores": 2,
             "date": "2026-12-08", "commit": "abc1234", "conditions": "a fresh clone"}  # fmt: skip
    (tmp_path / "results" / "test_suite.json").write_text(json.dumps(suite))
    text = docs.command_durations(tmp_path)
    assert "its 2 runs span 40 min 32 s (2026-12-03, abcdef0, AMD EPYC)" in text
    assert (
        "`python -m pytest`: 20 min 34 s for 540 tests passed (3 skipped) on AMD EPYC, 2 cores (2026-12-08, abc1234; a fresh clone)"
        in text
    )
