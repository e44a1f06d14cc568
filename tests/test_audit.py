"""The audit rule: a failing claim is reported as not reproduced, never hidden."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replication.analysis import audit, measures
from replication.analysis.audit import MIN_SEEDS, Claim, load_claims, verdict
from replication.analysis.measures import bootstrap_ci, curie_point, probability_of_improvement
from replication.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, DECISIVE = ROOT / "workflow/config/default.yaml", ROOT / "workflow/config/decisive.yaml"
WITHIN = Claim(id="x", paper="A", figure="Fig. 4", statement="s", paper_value=0.5, measure="ising_equilibrium_xi", tolerance=0.1)
ABOVE = Claim(
    id="y",
    paper="A",
    figure="Fig. 3",
    statement="s",
    paper_value=0.9,
    measure="ising_equilibrium_xi",
    rule="above",
    threshold=0.8,
)


def seeds(*values):
    return pd.Series(values, index=range(len(values)), dtype=float)


def test_inside_band_is_reproduced():
    assert verdict(WITHIN, seeds(0.48, 0.50, 0.52, 0.51, 0.49), "default").verdict == "reproduced"


def test_failing_claim_is_not_reproduced():
    judged = verdict(WITHIN, seeds(0.90, 0.91, 0.92, 0.89, 0.90), "default")
    assert judged.verdict == "not reproduced"
    assert "outside" in judged.reason and judged.estimate == pytest.approx(0.904) and judged.n_seeds == 5


def test_straddling_the_band_is_inconclusive():
    judged = verdict(WITHIN, seeds(0.3, 0.7, 0.4, 0.65, 0.5), "default")
    assert (judged.verdict, judged.cause) == ("inconclusive", "interval")


def test_reduced_scale_is_inconclusive_even_when_values_match():
    judged = verdict(WITHIN, seeds(0.5, 0.5, 0.5, 0.5, 0.5), "smoke")
    assert judged.verdict == "inconclusive" and "smoke scale" in judged.reason and judged.cause == "scale"


def test_a_decisive_claim_is_judged_from_the_decisive_scale_on_and_labelled_with_its_scale(tmp_path):
    """Scales in order smoke < rehearsal < default < decisive < workstation < central < paper. A claim with min_scale decisive and
    values 0.50, 0.50, 0.51, 0.49, 0.50 (all inside 0.5 ± 0.1): inconclusive for scale at default,
    reproduced at decisive and at paper. The audit's row and page name the scale each verdict was
    judged at, so a decisive-scale reproduction never reads as a paper-scale one."""
    decisive = Claim(**{**WITHIN.__dict__, "min_scale": "decisive"})
    values = seeds(0.50, 0.50, 0.51, 0.49, 0.50)
    judged = verdict(decisive, values, "default")
    assert (judged.verdict, judged.cause) == ("inconclusive", "scale")
    assert judged.reason == "run at default scale; this claim needs at least decisive scale"
    assert verdict(decisive, values, "decisive").verdict == "reproduced"
    assert verdict(decisive, values, "paper").verdict == "reproduced"
    workstation = Claim(**{**WITHIN.__dict__, "min_scale": "workstation"})
    assert verdict(workstation, values, "decisive").cause == "scale"
    assert verdict(workstation, values, "workstation").verdict == "reproduced"
    _ising_runs(tmp_path, "mcmc", {0.7: 0.99})
    claim = Claim(
        id="cold",
        paper="A",
        figure="4",
        statement="s",
        paper_value=1.0,
        measure="ising_equilibrium_xi",
        params={"algo": "mcmc", "tau": 0.7},
        tolerance=0.1,
        min_scale="decisive",
    )
    table = audit.audit_table(tmp_path, "decisive", [claim])
    assert (table.loc[0, "verdict"], table.loc[0, "judged_at"]) == ("reproduced", "decisive")
    page = audit.to_markdown(table, load_config([DEFAULT, DECISIVE]))
    assert "# Audit: decisive scale" in page and "| **reproduced** | decisive scale |" in page
    assert "smoke < rehearsal < default < decisive < workstation < central < paper" in page
    # the rehearsal's runs are the paper scale's first minutes: below every scale a claim names
    assert verdict(WITHIN, values, "rehearsal").cause == "scale"


def test_four_seeds_are_too_few_for_a_decisive_verdict():
    """Four seeds wholly inside the band (or wholly outside it) stay inconclusive: a decisive
    verdict needs MIN_SEEDS = 5 seeds with a defined value; the fifth seed decides."""
    assert MIN_SEEDS == 5
    for values in ((0.50, 0.50, 0.51, 0.49), (0.90, 0.91, 0.92, 0.89)):
        judged = verdict(WITHIN, seeds(*values), "default")
        assert (judged.verdict, judged.cause, judged.n_seeds) == ("inconclusive", "seeds", 4)
        assert "too few seeds: 4 with a defined value, a decisive verdict needs 5" in judged.reason
    assert verdict(WITHIN, seeds(0.50, 0.50, 0.51, 0.49, 0.50), "default").verdict == "reproduced"
    judged = verdict(WITHIN, seeds(0.5, 0.5, 0.5, 0.5, np.nan), "default")
    assert judged.cause == "seeds" and "undefined for 1 of 5 seeds" in judged.reason
    assert verdict(WITHIN, seeds(), "default").cause == "no runs"


def test_threshold_rules():
    assert verdict(ABOVE, seeds(0.95, 0.97, 0.99, 0.96, 0.98), "default").verdict == "reproduced"
    assert verdict(ABOVE, seeds(0.1, 0.0, 0.05, 0.02, 0.07), "default").verdict == "not reproduced"
    below = Claim(**{**ABOVE.__dict__, "rule": "below"})
    assert verdict(below, seeds(0.1, 0.0, 0.05, 0.02, 0.07), "default").verdict == "reproduced"


def test_bca_interval_by_hand():
    """x = (0, 0, 0, 0, 10), mean 2. A bootstrap mean is 2k, k ~ Binomial(5, 0.2) the number of
    10s drawn: CDF at k = 0, 1, 2, 3, 4: 0.32768, 0.73728, 0.94208, 0.99328, 0.99968.
    Bias z0 = Φ⁻¹ of the share of bootstrap means below 2, ties counted half (scipy's rule):
    Φ⁻¹((0.32768 + 0.73728)/2 = 0.53248) = 0.08149. Acceleration from the jackknife means
    (2.5 four times, 0 once; their mean 2): d = (−0.5 ×4, 2), a = Σd³ / (6 (Σd²)^1.5) = 7.5 / (6·5^1.5)
    = 0.11180. Upper level Φ(z0 + (z0 + 1.95996)/(1 − a(z0 + 1.95996))) = Φ(2.72665) = 0.99680,
    which falls at k = 4: upper bound 8; lower level Φ(−1.47095) = 0.0707 falls at k = 0: 0.
    The percentile interval would stop at the 0.975 quantile, k = 3: 6."""
    assert bootstrap_ci([0.0, 0.0, 0.0, 0.0, 10.0]) == (2.0, 0.0, 8.0)


def test_bca_interval_survives_values_near_underflow():
    """The same data times 2⁻⁶⁰⁰ (≈ 2.4e-181, as a collapsed G(x)/G_max at N = 1000): the interval
    is the same one times 2⁻⁶⁰⁰, not NaN (the jackknife's cubes underflow without rescaling)."""
    tiny = np.ldexp([0.0, 0.0, 0.0, 0.0, 10.0], -600)
    assert bootstrap_ci(tiny) == tuple(np.ldexp([2.0, 0.0, 8.0], -600))


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = [0.1, 0.4, 0.35, 0.2, 0.3]
    mean, low, high = bootstrap_ci(values)
    assert low < mean < high and mean == pytest.approx(0.27)
    assert bootstrap_ci(values) == (mean, low, high)
    assert bootstrap_ci([0.3, 0.3]) == (0.3, 0.3, 0.3)


def test_probability_of_improvement_by_hand():
    """P(X > Y) over all pairs, ties half: x = (1, 3), y = (2): pairs (1,2) 0, (3,2) 1 → 0.5.
    x = (1, 2, 3), y = (2, 2): (1,·) 0 + 0, (2,·) ½ + ½, (3,·) 1 + 1 → 3/6 = 0.5. x = (3, 4), y = (1, 2):
    every pair above → 1, and every resample too, so the interval is [1, 1]. x = (0, 0), y = (0, 0):
    all ties → 0.5. x = (3, …, 7), y = (1, …, 5): above 2 + 3 + 4 + 5 + 5 = 19 pairs, ties (3,3), (4,4),
    (5,5) → (19 + 1.5)/25 = 0.82."""
    assert probability_of_improvement([1, 3], [2])[0] == 0.5
    assert probability_of_improvement([1, 2, 3], [2, 2])[0] == 0.5
    assert probability_of_improvement([3, 4], [1, 2]) == (1.0, 1.0, 1.0)
    assert probability_of_improvement([0, 0], [0, 0]) == (0.5, 0.5, 0.5)
    p, low, high = probability_of_improvement([3, 4, 5, 6, 7], [1, 2, 3, 4, 5])
    assert p == pytest.approx(0.82) and low <= p <= high
    assert np.isnan(probability_of_improvement([], [1.0])[0])


IMPROVES = Claim(
    id="z",
    paper="B",
    figure="f",
    statement="s",
    paper_value=np.nan,
    measure="semi_cooperative_final",
    rule="improves",
    versus={"algo": "idqn"},
)


def test_improves_rule_puts_each_verdict_on_its_side_of_one_half():
    """X's five seeds all above Y's: P(X > Y) = 1 with interval [1, 1] → reproduced; all below:
    P = 0 → not reproduced; interleaved (1, 3, 5, 7, 9) v (2, 4, 6, 8, 10): P = 10/25 = 0.4 and the
    interval straddles 0.5 → inconclusive. Lower is better turns the comparison round. Four seeds of
    Y are too few."""
    high, low = seeds(10, 11, 12, 13, 14), seeds(1, 2, 3, 4, 5)
    assert verdict(IMPROVES, high, "default", low).verdict == "reproduced"
    assert verdict(IMPROVES, low, "default", high).verdict == "not reproduced"
    judged = verdict(IMPROVES, seeds(1, 3, 5, 7, 9), "default", seeds(2, 4, 6, 8, 10))
    assert judged.estimate == pytest.approx(0.4) and judged.verdict == "inconclusive" and judged.cause == "interval"
    sooner = Claim(**{**IMPROVES.__dict__, "better": "lower"})
    assert verdict(sooner, low, "default", high).verdict == "reproduced"
    judged = verdict(IMPROVES, high, "default", seeds(1, 2, 3, 4))
    assert (judged.verdict, judged.cause, judged.n_versus) == ("inconclusive", "seeds", 4)


def test_curie_point_interpolates_the_crossing():
    # ξ falls from 0.7 at τ = 1.1 to 0.3 at τ = 1.3: crosses 0.5 at 1.2
    assert curie_point(np.array([1.0, 1.1, 1.3, 1.5]), np.array([0.9, 0.7, 0.3, 0.1])) == pytest.approx(1.2)
    assert np.isnan(curie_point(np.array([1.0, 2.0]), np.array([0.9, 0.8])))


def test_registry_loads_and_every_claim_has_a_tolerance_or_threshold():
    claims = load_claims()
    assert len({c.id for c in claims}) == len(claims) > 20
    for c in claims:
        assert (
            (c.rule == "within" and c.tolerance > 0)
            or (c.rule in ("above", "below") and c.threshold is not None)
            or (c.rule == "improves" and c.versus)
        )


def _claims_file(tmp_path, claim: str) -> str:
    path = tmp_path / "mine.yaml"
    path.write_text('paper: "mine"\nclaims:\n  - {id: c1, figure: f, statement: s, paper_value: 0.5, ' + claim + "}\n")
    return str(path)


@pytest.mark.parametrize(
    "claim, message",
    [
        (
            "measure: xi, params: {algo: mcmc}, tolerance: 0.1",
            "claim c1: unknown measure 'xi'; `python -m replication measures` lists them",
        ),
        (
            "measure: ising_equilibrium_xi, params: {algo: mcmc}, tolerance: 0.1",
            "claim c1: params do not fit measure ising_equilibrium_xi: missing a required argument: 'tau'",
        ),
        (
            "measure: ising_equilibrium_xi, params: {algo: mcmc, tau: 2.0}, tolerence: 0.1",
            "claim c1: unknown key 'tolerence'; allowed keys are id, figure",
        ),
        (
            "measure: ising_equilibrium_xi, params: {algo: mcmc, tau: 2.0}, rule: improves",
            "claim c1: rule improves needs `versus`",
        ),
        (
            "measure: ising_equilibrium_xi, params: {algo: mcmc, tau: 2.0}, rule: below, threshold: low",
            "claim c1: threshold must be a number",
        ),
    ],
)
def test_a_bad_claim_of_your_own_is_one_line_naming_file_claim_and_key(tmp_path, claim, message):
    path = _claims_file(tmp_path, claim)
    with pytest.raises(ConfigError) as err:
        load_claims([path])
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value) and "\n" not in str(err.value)


def test_the_example_claims_file_loads_and_may_not_reuse_an_id():
    """examples/claims.yaml (the README's worked example) loads beside the papers' claims; a
    claim that reuses a paper claim's id is refused."""
    from conftest import SMOKE

    example = SMOKE.parents[2] / "examples" / "claims.yaml"
    mine = load_claims([example])
    assert [c.rule for c in mine] == ["below", "improves"] and mine[1].versus == {"algo": "mcmc"}
    with pytest.raises(ConfigError, match="id 'A-ising-curie-mcmc' is used twice"):
        audit._check_unique(load_claims() + [Claim(**{**mine[0].__dict__, "id": "A-ising-curie-mcmc"})])


def test_a_results_folder_without_runs_gives_no_runs_for_every_claim(tmp_path):
    """Auditing a folder with no runs at all (or, with a claims file of your own, a folder holding
    one task's runs only) names the missing runs instead of failing on a column the absent task
    would have had (`tau`, `n_agents`)."""
    table = audit.audit_table(tmp_path, "paper")
    assert len(table) == len(load_claims())
    assert (table["verdict"] == "inconclusive").all() and (table["inconclusive_because"] == "no runs").all()


def _ising_runs(root, algo: str, xi_by_tau: dict) -> None:
    """Five seeds of hand-made Ising runs: equilibrium ξ per τ (seed k adds 0.001·k)."""
    for seed in range(5):
        folder = root / "runs" / "ising" / algo / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame(
            [
                {
                    "task": "ising",
                    "algo": algo,
                    "seed": seed,
                    "step": 100,
                    "metric": "xi_equilibrium",
                    "value": xi + 0.001 * seed,
                    "tau": tau,
                }
                for tau, xi in xi_by_tau.items()
            ]
        ).to_csv(folder / "metrics.csv", index=False)


def test_a_claim_the_null_model_also_satisfies_is_flagged_uninformative(tmp_path):
    """MCMC's ξ: 0.08 at τ = 2.0 and 0.99 at τ = 0.7; the null model (random spins): 0.04 at both.
    Claim "ξ(2.0) ≈ 0.07 ± 0.1": ours 0.082 reproduces it, and so does the null model's 0.042, so
    the reproduction is uninformative. Claim "ξ(0.7) ≈ 1.0 ± 0.1": the null model's 0.042 lies
    outside the band, so ours is informative. The toy's null model (untrained MF-Q) has no runs here: blank."""
    _ising_runs(tmp_path, "mcmc", {0.7: 0.99, 2.0: 0.08})
    _ising_runs(tmp_path, "random", {0.7: 0.04, 2.0: 0.04})
    hot = Claim(
        id="hot",
        paper="A",
        figure="4",
        statement="s",
        paper_value=0.07,
        measure="ising_equilibrium_xi",
        params={"algo": "mcmc", "tau": 2.0},
        tolerance=0.1,
    )
    cold = Claim(**{**hot.__dict__, "id": "cold", "paper_value": 1.0, "params": {"algo": "mcmc", "tau": 0.7}})
    toy = Claim(id="toy", paper="A", figure="2", statement="s", paper_value=2.0, measure="toy_converged_q", tolerance=0.05)
    table = audit.audit_table(tmp_path, "default", [hot, cold, toy]).set_index("id")
    assert list(table["verdict"]) == ["reproduced", "reproduced", "inconclusive"]
    assert table.loc["hot", "null_value"] == pytest.approx(0.042) and table.loc["hot", "informative"] == "no"
    assert table.loc["cold", "null_verdict"] == "not reproduced" and table.loc["cold", "informative"] == "yes"
    assert table.loc["toy", "informative"] == "" and np.isnan(table.loc["toy", "null_value"])
    summary = audit._summary(table.reset_index())
    assert (
        summary[0]
        == "2 reproduced (1 informative, 1 that a null model or the untrained network also passes, 0 without a null model)"
    )


def test_a_learning_claim_is_judged_on_the_untrained_learner(tmp_path):
    """Fig. 2's toy: MF-Q's converged Q is 2.0 + 0.001·k on seeds k = 0…4, the untrained MF-Q's stays
    at 0. The claim "Q → 2.0 ± 0.05" is reproduced, and its null model is the untrained learner
    (the measure's own null), not random spins: its 0 lies outside the band, so the reproduction is
    informative. ξ claims keep the family's null model (random spins)."""
    for algo, q in (("mfq", 2.0), ("untrained", 0.0)):
        for seed in range(5):
            folder = tmp_path / "runs" / "ising_toy" / algo / f"seed{seed}"
            folder.mkdir(parents=True)
            pd.DataFrame(
                [
                    {
                        "task": "ising_toy",
                        "algo": algo,
                        "seed": seed,
                        "step": 500,
                        "metric": "q_consensus",
                        "value": q + (0.001 * seed if q else 0.0),
                    }
                ]
            ).to_csv(folder / "metrics.csv", index=False)
    toy = Claim(id="toy", paper="A", figure="2", statement="s", paper_value=2.0, measure="toy_converged_q", tolerance=0.05)
    row = audit.audit_table(tmp_path, "default", [toy]).iloc[0]
    assert row["verdict"] == "reproduced" and row["null_value"] == 0.0 and row["informative"] == "yes"
    xi = Claim(
        id="xi",
        paper="A",
        figure="4",
        statement="s",
        paper_value=0.07,
        measure="ising_equilibrium_xi",
        params={"algo": "mcmc", "tau": 2.0},
        tolerance=0.1,
    )
    fig5 = Claim(
        id="mse",
        paper="A",
        figure="5",
        statement="s",
        paper_value=0.03,
        measure="ising_final",
        params={"algo": "mfq", "tau": 0.8, "metric": "q_mse_final"},
        tolerance=0.05,
    )
    assert audit.null_params(xi)["algo"] == "random" and audit.null_params(fig5)["algo"] == "untrained"


def test_battle_null_model_is_the_scripted_random_team_seen_from_its_side(tmp_path):
    """scripted.csv, IL seed 0 against the random team, two rounds: kills (IL 3, random 5) and (4, 4),
    random's total reward −10 and −20; IL seed 1: (6, 1), reward −30. From the random team's side
    under the exact rule it wins round 1 only: win rate 0.5 against seed 0, 0 against seed 1; its
    reward −15 and −30. The audit judges a Fig. 8 win-rate claim of MF-Q against IL again with the
    random team in MF-Q's place: null value (0.5 + 0) / 2 = 0.25, from IL's two seeds."""
    from replication.analysis import measures

    rows = [("il", 0, 0, 3, 5, -10.0), ("il", 0, 1, 4, 4, -20.0), ("il", 1, 0, 6, 1, -30.0)]
    frame = pd.DataFrame(
        [
            {
                "row_algo": a,
                "row_seed": seed,
                "col_algo": "random",
                "col_seed": -1,
                "round": k,
                "row_group": 0,
                "row_side": "left",
                "row_kills": rk,
                "col_kills": ck,
                "row_kills_reference": rk,
                "col_kills_reference": ck,
                "row_total_reward": 0.0,
                "col_total_reward": reward,
                "win_rule": "exact",
            }
            for a, seed, k, rk, ck, reward in rows
        ]
    )
    (tmp_path / "runs" / "battle").mkdir(parents=True)
    frame.to_csv(tmp_path / "runs" / "battle" / "scripted.csv", index=False)
    assert measures.battle_win_rate(tmp_path, "random", "il").to_dict() == {0: 0.5, 1: 0.0}
    assert measures.battle_total_reward(tmp_path, "random", "il").to_dict() == {0: -15.0, 1: -30.0}
    claim = Claim(
        id="w",
        paper="A",
        figure="8",
        statement="s",
        paper_value=0.6,
        measure="battle_win_rate",
        params={"algo": "mfq", "opponent": "il"},
        tolerance=0.1,
        min_scale="paper",
    )
    row = audit.audit_table(tmp_path, "default", [claim]).iloc[0]
    assert row["null_value"] == pytest.approx(0.25) and row["null_verdict"] == "inconclusive"
    assert row["informative"] == ""  # two seeds: too few to tell


def test_two_variants_side_by_side_put_each_verdict_in_its_column():
    """Claims a–f judged under the paper's equations (reproduced, reproduced, not reproduced,
    inconclusive, reproduced, inconclusive with no runs read) and the reference code's (reproduced,
    inconclusive, reproduced; d not audited; e with no runs read; f reproduced): a is reproduced by both,
    b by the paper's variant only, c by the reference code's only; d, e and f are not compared
    (the reference audit lacks d, and one variant has no runs for e or f)."""

    def table(verdicts):
        return pd.DataFrame(
            [{"id": i, "paper": "A", "figure": "f", "statement": "s", "verdict": v, "runs": runs} for i, v, runs in verdicts]
        )

    run = "runs/ising/mcmc/seed0@0123456789abcdef"
    ours = table(
        [
            ("a", "reproduced", run),
            ("b", "reproduced", run),
            ("c", "not reproduced", run),
            ("d", "inconclusive", run),
            ("e", "reproduced", run),
            ("f", "inconclusive", ""),
        ]
    )
    theirs = table(
        [
            ("a", "reproduced", run),
            ("b", "inconclusive", run),
            ("c", "reproduced", run),
            ("e", "inconclusive", ""),
            ("f", "reproduced", run),
        ]
    )
    both = audit.variants_table({"paper": ours, "reference_code": theirs}).set_index("id")
    assert list(both["verdict_paper"]) == ["reproduced", "reproduced", "not reproduced", "inconclusive", "reproduced", "not run"]
    assert list(both["verdict_reference_code"]) == [
        "reproduced",
        "inconclusive",
        "reproduced",
        "not audited",
        "not run",
        "reproduced",
    ]
    assert list(both["reproduced_by"]) == ["both", "paper", "reference_code", "not compared", "not compared", "not compared"]


def _gs_runs(root, algo: str, n_agents: int, final: list[float], untrained: list[float]) -> None:
    """Hand-made Gaussian Squeeze runs, one seed per value: final and untrained greedy performance."""
    for seed, (end, start) in enumerate(zip(final, untrained)):
        folder = root / "runs" / "gaussian_squeeze" / algo / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame(
            [
                {
                    "task": "gaussian_squeeze",
                    "algo": algo,
                    "seed": seed,
                    "n_agents": n_agents,
                    "step": step,
                    "metric": metric,
                    "value": value,
                }
                for step, metric, value in ((1000, "final_performance", end), (0, "untrained_performance", start))
            ]
        ).to_csv(folder / "metrics.csv", index=False)


def test_a_reproduction_the_untrained_network_also_gets_came_from_the_start(tmp_path):
    """N = 500, claim "above 0.85". MF-Q ends at 0.92 on all five seeds (+0.001·k) and its networks
    scored 0.92 untrained too (every agent on action 1: x = 500, G/G_max ≈ 0.92): reproduced, but
    from the start, so uninformative. MF-AC ends at 0.99 after starting at 0.0: reproduced from
    learning, informative. The null model (random) has no runs here, so the untrained network alone
    decides. An `improves` claim has no untrained control."""
    _gs_runs(tmp_path, "mfq", 500, [0.92 + 0.001 * k for k in range(5)], [0.92] * 5)
    _gs_runs(tmp_path, "mfac", 500, [0.99 + 0.001 * k for k in range(5)], [0.0] * 5)
    lucky, learned = (
        Claim(
            id=algo,
            paper="A",
            figure="3",
            statement="s",
            paper_value=0.91,
            measure="gs_final_performance",
            params={"algo": algo, "n_agents": 500},
            rule="above",
            threshold=0.85,
        )
        for algo in ("mfq", "mfac")
    )
    table = audit.audit_table(tmp_path, "default", [lucky, learned]).set_index("id")
    assert list(table["verdict"]) == ["reproduced", "reproduced"]
    assert table.loc["mfq", "untrained_value"] == pytest.approx(0.92) and table.loc["mfq", "untrained_verdict"] == "reproduced"
    assert (
        table.loc["mfq", "informative"] == "no"
        and "from the start: the untrained network passes too" in table.loc["mfq", "reason"]
    )
    assert table.loc["mfac", "untrained_verdict"] == "not reproduced" and table.loc["mfac", "informative"] == "yes"
    assert "from learning" in table.loc["mfac", "reason"]
    assert "untrained 0.92 (passes too)" in audit._cells(table.reset_index().iloc[0])[3]
    first = Claim(
        id="first",
        paper="A",
        figure="3",
        statement="s",
        paper_value=float("nan"),
        measure="gs_time_to",
        params={"algo": "mfq", "n_agents": 500},
        versus={"algo": "mfac"},
        rule="improves",
        better="lower",
    )
    assert audit.untrained_judgement(tmp_path, first) is None


def test_a_paper_b_claim_is_judged_on_its_untrained_networks_too(tmp_path):
    """Prisoner's dilemma, "IDQN defects: cooperation rate below 0.5". Five seeds end at 0.05 +
    0.01·k; their untrained networks cooperated at 0.2 (step-0 rows `untrained_cooperation_rate`),
    also below 0.5: the reproduction came from the start, so it is uninformative."""
    for seed in range(5):
        folder = tmp_path / "runs" / "prisoners_dilemma" / "idqn" / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame(
            [
                {"task": "prisoners_dilemma", "algo": "idqn", "seed": seed, "step": step, "metric": metric, "value": value}
                for step, metric, value in ((0, "untrained_cooperation_rate", 0.2), (100, "cooperation_rate", 0.05 + 0.01 * seed))
            ]
        ).to_csv(folder / "metrics.csv", index=False)
    defects = Claim(
        id="defects",
        paper="B",
        figure="pd",
        statement="s",
        paper_value=float("nan"),
        measure="semi_cooperative_final",
        params={"task": "prisoners_dilemma", "algo": "idqn", "metric": "cooperation_rate"},
        rule="below",
        threshold=0.5,
    )
    row = audit.audit_table(tmp_path, "default", [defects]).iloc[0]
    assert row["verdict"] == "reproduced" and row["untrained_value"] == pytest.approx(0.2)
    assert row["informative"] == "no" and "from the start" in row["reason"]


def test_a_battle_claim_is_judged_on_the_untrained_networks_tournament_too(tmp_path):
    """ "MF-Q beats IL (win rate above 0.5)", five seeds. Trained: each MF-Q seed wins all 4 rounds
    against IL seed 0 (win rate 1): reproduced. Case 1, the untrained networks' tournament: MF-Q
    wins 3 of 4 against IL on every seed (0.75, above 0.5 too), so the reproduction came from the
    start: uninformative. Case 2: every untrained round is a 0–0 tie (win rate 0): from learning,
    informative. The claim's null model (battle's scripted random team) has no rounds here."""

    def rounds(kills):
        return [
            {
                "row_algo": "mfq",
                "row_seed": seed,
                "col_algo": "il",
                "col_seed": 0,
                "round": k,
                "row_group": 0,
                "row_side": "left",
                "row_kills": rk,
                "col_kills": ck,
                "row_kills_reference": rk,
                "col_kills_reference": ck,
                "row_total_reward": 0.0,
                "col_total_reward": 0.0,
                "win_rule": "exact",
            }
            for seed in range(5)
            for k, (rk, ck) in enumerate(kills)
        ]

    battle = tmp_path / "runs" / "battle"
    battle.mkdir(parents=True)
    pd.DataFrame(rounds([(3, 0)] * 4)).to_csv(battle / "tournament.csv", index=False)
    beats = Claim(
        id="beats",
        paper="A",
        figure="8",
        statement="s",
        paper_value=0.9,
        measure="battle_win_rate",
        params={"algo": "mfq", "opponent": "il"},
        rule="above",
        threshold=0.5,
    )
    verdicts = {}
    for case, untrained in (("start", [(1, 0)] * 3 + [(0, 1)]), ("learning", [(0, 0)] * 4)):
        pd.DataFrame(rounds(untrained)).to_csv(battle / "tournament_untrained.csv", index=False)
        measures._matches.cache_clear()
        # judged at the workstation scale, battle's training protocol: below it the verdict would
        # also need learning evidence (central.test_a_verdict_below_the_papers_length_…)
        verdicts[case] = audit.audit_table(tmp_path, "workstation", [beats]).iloc[0]
    start, learning = verdicts["start"], verdicts["learning"]
    assert start["verdict"] == learning["verdict"] == "reproduced"
    assert (
        start["untrained_value"] == pytest.approx(0.75) and start["informative"] == "no" and "from the start" in start["reason"]
    )
    assert learning["untrained_value"] == 0 and learning["informative"] == "yes" and "from learning" in learning["reason"]


def test_lucky_starts_are_flagged_and_the_claim_judged_again_without_them(tmp_path):
    """A-gs-n100-rec_fmq's case: "above 0.85". Rec-FMQ ends at 0.99, 0.98, 0.995, 0.9, 0.91 (mean
    0.955: reproduced), but seeds 0, 2 and 4 scored 0.986, 0.999 and 0.99 untrained, past 0.85 before
    any update: lucky starts. The untrained control on seed means (0.695, interval straddling 0.85)
    does not pass, so before this rule the reason said "from learning". Without the lucky seeds two
    seeds are left (0.98 and 0.9, mean 0.94): inconclusive (too few seeds), so the reproduction rests on lucky starts and is
    not informative."""
    _gs_runs(tmp_path, "rec_fmq", 100, [0.99, 0.98, 0.995, 0.9, 0.91], [0.986, 0.3, 0.999, 0.2, 0.99])
    claim = Claim(
        id="rec",
        paper="A",
        figure="3",
        statement="s",
        paper_value=0.98,
        measure="gs_final_performance",
        params={"algo": "rec_fmq", "n_agents": 100},
        rule="above",
        threshold=0.85,
    )
    row = audit.audit_table(tmp_path, "default", [claim]).iloc[0]
    assert row["verdict"] == "reproduced" and row["untrained_verdict"] != "reproduced"
    assert row["lucky_starts"] == "x: 0, 2, 4"
    assert row["without_lucky_verdict"] == "inconclusive" and row["without_lucky_value"] == pytest.approx(0.94)
    assert "rests on rec_fmq seeds 1, 3 and lucky start 0, 2, 4" in row["reason"]
    assert row["informative"] == "no"


def _gs_curves(root, algo: str, n_agents: int, reach: list[int], untrained: list[float]) -> None:
    """Hand-made Gaussian Squeeze curves: seed k's greedy performance is 0.5 until step reach[k]
    and 0.95 from it, logged at steps 0, 2, 4, …, 1000 with a loss from step 2 on (first gradient
    step in the interval logged at 2); its untrained performance untrained[k]."""
    for seed, (hit, start) in enumerate(zip(reach, untrained)):
        folder = root / "runs" / "gaussian_squeeze" / algo / f"seed{seed}"
        folder.mkdir(parents=True)
        rows = [(0, "untrained_performance", start)]
        for step in range(0, 1001, 2):
            rows += [(step, "performance", 0.95 if step >= hit else 0.5), (step, "loss", float("nan") if step == 0 else 1.0)]
        pd.DataFrame(
            [
                {"task": "gaussian_squeeze", "algo": algo, "seed": seed, "n_agents": n_agents, "step": s, "metric": m, "value": v}
                for s, m, v in rows
            ]
        ).to_csv(folder / "metrics.csv", index=False)


def test_a_time_to_level_claim_flags_a_seed_that_starts_at_the_level(tmp_path):
    """A-gs-n500-mfq-first's case: "MF-Q reaches 0.9 before MF-AC". MF-Q's seed 2 scored 0.996
    untrained and so reaches 0.9 at the first evaluation after its first gradient step (t = 4); its
    other seeds reach it at 600, 700, 650, 800; MF-AC's at 500, 550, 600, 450, 700 (none lucky:
    untrained 0.3). Seed 2 is flagged; without it MF-Q has 4 seeds: inconclusive (too few)."""
    _gs_curves(tmp_path, "mfq", 500, [600, 700, 2, 650, 800], [0.3, 0.3, 0.996, 0.3, 0.3])
    _gs_curves(tmp_path, "mfac", 500, [500, 550, 600, 450, 700], [0.3] * 5)
    claim = Claim(
        id="first",
        paper="A",
        figure="3",
        statement="s",
        paper_value=float("nan"),
        measure="gs_time_to",
        params={"algo": "mfq", "n_agents": 500, "level": 0.9, "censor": True},
        versus={"algo": "mfac"},
        rule="improves",
        better="lower",
    )
    assert audit.lucky_starts(tmp_path, claim) == {"x": [2], "y": []}
    row = audit.audit_table(tmp_path, "default", [claim]).iloc[0]
    assert row["lucky_starts"] == "x: 2"
    assert "rests on mfq seeds 0, 1, 3, 4 and lucky start 2 v mfac seeds 0, 1, 2, 3, 4" in row["reason"]
    assert row["without_lucky_verdict"] == "inconclusive" and "; without lucky starts: P(X < Y) = " in row["reason"]


def test_learned_k_of_n_is_read_from_paired_evaluations(tmp_path):
    """Prisoner's dilemma IDQN, five seeds with evidence.csv (four shared episodes each): seeds 0-3
    return 10, 11, 12, 13 trained against 0 untrained and 1 null on every episode (learned); seed 4
    returns 0, 1, 0, 1 against untrained 0, 1, 0, 1 (differences 0: not learned). The audit says
    "idqn learned 4 of 5" in its column and reason."""
    for seed in range(5):
        folder = tmp_path / "runs" / "prisoners_dilemma" / "idqn" / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame(
            [{"task": "prisoners_dilemma", "algo": "idqn", "seed": seed, "step": 100, "metric": "cooperation_rate", "value": 0.1}]
        ).to_csv(folder / "metrics.csv", index=False)
        trained = [10, 11, 12, 13] if seed < 4 else [0, 1, 0, 1]
        untrained = [0] * 4 if seed < 4 else [0, 1, 0, 1]
        pd.DataFrame(
            [
                {"policy": p, "episode": k, "value": v}
                for p, values in (("trained", trained), ("untrained", untrained), ("null_model", [1] * 4))
                for k, v in enumerate(values)
            ]
        ).to_csv(folder / "evidence.csv", index=False)
    claim = Claim(
        id="defects",
        paper="B",
        figure="pd",
        statement="s",
        paper_value=float("nan"),
        measure="semi_cooperative_final",
        params={"task": "prisoners_dilemma", "algo": "idqn", "metric": "cooperation_rate"},
        rule="below",
        threshold=0.5,
    )
    row = audit.audit_table(tmp_path, "default", [claim]).iloc[0]
    assert row["learned"] == "idqn learned 4 of 5" and row["reason"].endswith("; idqn learned 4 of 5")


def test_a_claim_without_a_value_is_not_informative():
    """No value (estimate NaN: a Curie point that never crossed) with a null model that does not pass:
    before, "yes" (informative); now "" (cannot be told). A valued reproduction beside the same
    null model is still "yes"."""
    nan = float("nan")
    null = audit.Judgement("not reproduced", "", 0.1, 0.0, 0.2, 5)
    assert audit._informative(audit.Judgement("inconclusive", "", nan, nan, nan, 0), null) == ""
    assert audit._informative(audit.Judgement("reproduced", "", 0.9, 0.88, 0.92, 5), null) == "yes"
