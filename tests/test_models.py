"""Count models and association tests against simulated data and hand-computed values."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats as sps

from analysis import models


def simulated_counts(seed: int, alpha: float | None = None) -> pd.DataFrame:
    """Counts with known rates: female x0.9 per year, male x1.1 per year, male level x0.5."""
    rng = np.random.default_rng(seed)
    rows = []
    for dest, level in [("A", 200.0), ("B", 80.0), ("C", 40.0)]:
        for year in range(12):
            for gender, base, slope in [("female", 1.0, 0.9), ("male", 0.5, 1.1)]:
                mu = level * base * slope**year
                if alpha:  # gamma-Poisson mixture: NB2 with variance mu + alpha mu^2
                    mu = rng.gamma(1 / alpha, alpha * mu)
                rows.append({"destination": dest, "year_c": year, "gender": gender,
                             "records": rng.poisson(mu)})  # fmt: skip
    return pd.DataFrame(rows)


FORMULA = "records ~ year_c * C(gender) + C(destination)"


def test_poisson_glm_recovers_the_known_rate_ratios():
    model = models.fit_counts(FORMULA, simulated_counts(1))
    assert model.family == "poisson"
    assert model.dispersion == pytest.approx(1, abs=0.35)
    slopes = models.slope_by_group(model.result, "year_c", "gender", ["female", "male"])
    assert slopes["irr"].tolist() == pytest.approx([0.9, 1.1], abs=0.01)
    assert (slopes["lower"] < [0.9, 1.1]).all() and (slopes["upper"] > [0.9, 1.1]).all()
    tidy = models.tidy(model.result).set_index("term")
    assert tidy.loc["C(gender)[T.male]", "irr"] == pytest.approx(0.5, abs=0.05)
    assert tidy.loc["C(destination)[T.B]", "irr"] == pytest.approx(0.4, abs=0.03)


def test_overdispersed_counts_switch_to_negative_binomial():
    data = simulated_counts(2, alpha=0.3)
    model = models.fit_counts(FORMULA, data)
    assert model.family == "negative binomial"
    assert model.dispersion > 5  # the Poisson fit is far from chi2/df = 1
    assert model.alpha == pytest.approx(0.3, rel=0.4)
    diag = models.diagnostics(model)
    assert diag["dispersion"] == pytest.approx(1, abs=0.4)  # the NB fit is not
    assert diag["aic"] < diag["poisson_aic"]
    slopes = models.slope_by_group(model.result, "year_c", "gender", ["female", "male"])
    assert slopes["irr"].tolist() == pytest.approx([0.9, 1.1], abs=0.05)
    # The NB intervals are wider than the (too narrow) Poisson ones.
    wide = models.tidy(model.result).set_index("term")
    narrow = models.tidy(model.poisson).set_index("term")
    assert wide.loc["year_c", "se"] > 2 * narrow.loc["year_c", "se"]


def test_combined_irr_adds_coefficients_with_their_covariance():
    result = models.fit_poisson(FORMULA, simulated_counts(3))
    terms = ["year_c", "year_c:C(gender)[T.male]"]
    got = models.combined_irr(result, terms, confidence=0.9)
    w = pd.Series(0.0, index=result.params.index)
    w[terms] = 1
    est, se = w @ result.params, np.sqrt(w @ result.cov_params() @ w)
    z = sps.norm.ppf(0.95)
    assert got["irr"] == pytest.approx(np.exp(est))
    assert (got["lower"], got["upper"]) == pytest.approx(
        (np.exp(est - z * se), np.exp(est + z * se))
    )
    with pytest.raises(ValueError, match="terms not in the model: \\['nope'\\]"):
        models.combined_irr(result, ["nope"])


def test_bad_counts_are_refused_with_their_rows():
    data = pd.DataFrame({"records": [3, -1, 2.5, 4], "x": [0, 1, 2, 3]})
    with pytest.raises(ValueError, match="rows \\[1, 2\\]"):
        models.fit_poisson("records ~ x", data)
    with pytest.raises(ValueError, match="'count' is missing"):
        models.fit_poisson("count ~ x", data)


def test_cramers_v_known_values():
    def v(rows):
        return models.association(pd.DataFrame(rows))["cramers_v"]

    assert v([[10, 0], [0, 10]]) == pytest.approx(1)
    assert v([[10, 20], [30, 60]]) == pytest.approx(0)
    # [[20, 10], [10, 20]]: chi2 = 60 * (400 - 100)^2 / 30^4 = 6.667, V = sqrt(6.667 / 60) = 1/3
    assert v([[20, 10], [10, 20]]) == pytest.approx(1 / 3)


def test_association_matches_scipy_and_drops_empty_lines():
    table = pd.DataFrame([[30, 10, 5], [10, 30, 8], [0, 0, 0]], columns=list("abc"))
    got = models.association(table)
    chi2, p, dof, expected = sps.chi2_contingency(table.iloc[:2], correction=False)
    assert (got["chi2"], got["p_value"], got["dof"]) == pytest.approx((chi2, p, dof))
    assert got["n"] == 93 and got["min_expected"] == pytest.approx(expected.min())
    with pytest.raises(ValueError, match="at least 2 x 2"):
        models.association(pd.DataFrame([[5, 6]]))


def test_adjusted_residuals_of_a_2x2_table_are_the_square_root_of_chi2():
    table = pd.DataFrame([[20, 10], [10, 20]])
    resid = models.adjusted_residuals(table)
    assert abs(resid.iat[0, 0]) == pytest.approx(np.sqrt(models.association(table)["chi2"]))
    assert resid.iat[0, 0] > 0 and resid.iat[0, 1] < 0


def test_the_quasi_binomial_errors_grow_with_the_pearson_dispersion():
    rng = np.random.default_rng(7)
    n = rng.integers(50, 200, size=40)
    p = rng.beta(5, 5, size=40)  # over-dispersed: each row its own share
    data = pd.DataFrame({"x": np.arange(40), "k": rng.binomial(n, p)}).assign(
        rest=lambda f: n - f["k"]
    )
    quasi = models.fit_share("k", "rest", "x", data)
    plain = smf.glm("k + rest ~ x", data, family=sm.families.Binomial()).fit()
    dispersion = plain.pearson_chi2 / plain.df_resid
    assert dispersion > 3
    assert quasi.bse["x"] == pytest.approx(plain.bse["x"] * np.sqrt(dispersion))


@pytest.mark.parametrize(
    ("v", "df_star", "size"),
    [(0.3, 1, "medium"), (0.3, 3, "large"), (0.25, 4, "large"), (0.12, 1, "small"),
     (0.06, 1, "negligible"), (0.2, 2, "small")],
)  # fmt: skip
def test_cramers_v_is_judged_with_the_degrees_of_freedom(v, df_star, size):
    # Cohen's w = V * sqrt(df*): the same V is a larger effect in a larger table.
    assert models.effect_size(v, df_star) == size
