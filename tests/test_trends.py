"""The gender trend model on the fixture of test_victims (female counts x0.9 a year, male x1.1)
and on simulated overdispersed counts."""

import numpy as np
import pytest
from test_models import simulated_counts
from test_victims import write_fixture_data

from analysis import trends
from analysis import victims as vic

DESTINATIONS = ["USA", "RUS", "POL"]


@pytest.fixture
def grid(tmp_path):
    records = vic.load("kanon_2021", write_fixture_data(tmp_path))
    return vic.year_destination_gender(records, DESTINATIONS)


def test_model_grid_keeps_female_and_male_with_year_from_zero(grid):
    data = trends.model_grid(grid)
    assert set(data["gender"]) == {"female", "male"}
    assert sorted(set(data["year_c"])) == [0, 1, 2, 3]  # 2015-2018
    usa_2018 = data.query("destination == 'USA' and year == 2018").set_index("gender")["records"]
    assert usa_2018.to_dict() == {"female": 73, "male": 27}


def test_the_trend_per_gender_is_the_fixture_rate(grid):
    fit = trends.gender_trend(grid, 0.95)
    assert fit.formula == "records ~ year_c * C(gender) + C(destination) * C(gender)"
    assert fit.levels == ["female", "male"]
    assert fit.diagnostics["n_obs"] == 3 * 4 * 2  # destinations x years x genders
    assert fit.model.family == "poisson" and fit.diagnostics["alpha"] is None
    irr = fit.trend.set_index("gender")
    assert irr.loc["female", "irr"] == pytest.approx(0.9, abs=0.005)
    assert irr.loc["male", "irr"] == pytest.approx(1.1, abs=0.005)
    assert (irr["lower"] < irr["irr"]).all() and (irr["irr"] < irr["upper"]).all()
    # The male against the female trend is the ratio of the two slopes.
    assert fit.ratio["irr"] == pytest.approx(irr.loc["male", "irr"] / irr.loc["female", "irr"])
    common = fit.common_ratio_trend.set_index("gender")["irr"]
    assert common.to_dict() == pytest.approx({"female": 0.9, "male": 1.1}, abs=0.005)


def test_coefficients_and_fitted_values(grid):
    fit = trends.gender_trend(grid, 0.95)
    coef = trends.coefficients(fit, 0.95).set_index("term")
    assert not coef.index.str.startswith("Intercept").any()
    assert coef.loc["year_c", "irr"] == pytest.approx(fit.trend.loc[0, "irr"])
    fitted = trends.fitted(fit)
    # A Poisson GLM with an intercept reproduces the observed total (and each gender's).
    assert fitted["fitted"].sum() == pytest.approx(fitted["records"].sum())
    by_gender = fitted.groupby("gender")[["records", "fitted"]].sum()
    assert np.allclose(by_gender["records"], by_gender["fitted"])
    assert np.isfinite(fitted["resid"]).all()


def test_one_destination_has_no_destination_terms(grid):
    fit = trends.gender_trend(grid[grid["destination"] == "USA"], 0.95)
    assert fit.formula == "records ~ year_c * C(gender)"
    assert fit.diagnostics["n_obs"] == 4 * 2
    assert fit.trend.set_index("gender").loc["female", "irr"] == pytest.approx(0.9, abs=0.01)


def test_one_gender_has_no_ratio(grid):
    fit = trends.gender_trend(grid[grid["gender"] == "female"], 0.95)
    assert fit.levels == ["female"] and fit.ratio is None
    assert fit.trend["irr"].item() == pytest.approx(0.9, abs=0.005)


def test_overdispersed_counts_are_fitted_as_negative_binomial():
    data = simulated_counts(2, alpha=0.3)
    fit = trends.gender_trend(data.assign(year=2000 + data["year_c"]), 0.95)
    assert fit.model.family == "negative binomial" and fit.diagnostics["alpha"] > 0
    irr = fit.trend.set_index("gender")["irr"]
    assert irr.to_dict() == pytest.approx({"female": 0.9, "male": 1.1}, abs=0.05)
