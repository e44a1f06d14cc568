"""The audit rule: a failing claim is reported as not reproduced, never hidden."""

import numpy as np
import pandas as pd
import pytest

from replication.analysis.audit import Claim, load_claims, verdict
from replication.analysis.measures import bootstrap_ci, curie_point

WITHIN = Claim(id="x", paper="A", figure="Fig. 4", statement="s", paper_value=0.5, measure="ising_equilibrium_xi",
               tolerance=0.1)
ABOVE = Claim(id="y", paper="A", figure="Fig. 3", statement="s", paper_value=0.9, measure="ising_equilibrium_xi",
              rule="above", threshold=0.8)


def seeds(*values):
    return pd.Series(values, index=range(len(values)), dtype=float)


def test_inside_band_is_reproduced():
    assert verdict(WITHIN, seeds(0.48, 0.50, 0.52, 0.51, 0.49), "default")[0] == "reproduced"


def test_failing_claim_is_not_reproduced():
    result, reason, (mean, low, high) = verdict(WITHIN, seeds(0.90, 0.91, 0.92, 0.89, 0.90), "default")
    assert result == "not reproduced"
    assert "outside" in reason and mean == pytest.approx(0.904)


def test_straddling_the_band_is_inconclusive():
    assert verdict(WITHIN, seeds(0.3, 0.7, 0.4, 0.65, 0.5), "default")[0] == "inconclusive"


def test_reduced_scale_is_inconclusive_even_when_values_match():
    result, reason, _ = verdict(WITHIN, seeds(0.5, 0.5, 0.5), "smoke")
    assert result == "inconclusive" and "smoke scale" in reason


def test_too_few_defined_seeds_is_inconclusive():
    assert verdict(WITHIN, seeds(0.5, np.nan, np.nan), "default")[0] == "inconclusive"
    assert verdict(WITHIN, seeds(), "default")[0] == "inconclusive"


def test_threshold_rules():
    assert verdict(ABOVE, seeds(0.95, 0.97, 0.99), "default")[0] == "reproduced"
    assert verdict(ABOVE, seeds(0.1, 0.0, 0.05), "default")[0] == "not reproduced"
    below = Claim(**{**ABOVE.__dict__, "rule": "below"})
    assert verdict(below, seeds(0.1, 0.0, 0.05), "default")[0] == "reproduced"


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = [0.1, 0.4, 0.35, 0.2, 0.3]
    mean, low, high = bootstrap_ci(values)
    assert low < mean < high and mean == pytest.approx(0.27)
    assert bootstrap_ci(values) == (mean, low, high)
    assert bootstrap_ci([0.3, 0.3]) == (0.3, 0.3, 0.3)


def test_curie_point_interpolates_the_crossing():
    # ξ falls from 0.7 at τ = 1.1 to 0.3 at τ = 1.3: crosses 0.5 at 1.2
    assert curie_point(np.array([1.0, 1.1, 1.3, 1.5]), np.array([0.9, 0.7, 0.3, 0.1])) == pytest.approx(1.2)
    assert np.isnan(curie_point(np.array([1.0, 2.0]), np.array([0.9, 0.8])))


def test_registry_loads_and_every_claim_has_a_tolerance_or_threshold():
    claims = load_claims()
    assert len({c.id for c in claims}) == len(claims) > 20
    for c in claims:
        assert (c.rule == "within" and c.tolerance > 0) or (c.rule != "within" and c.threshold is not None)
