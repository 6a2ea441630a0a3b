"""Multiple systems estimation: published results, hand-computed fits, checks, bootstrap, input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize

from analysis import enforcement as en
from analysis import mse
from analysis.clean import glotip as glotip_raw
from analysis.data import mse_tables
from analysis.data.errors import DataError
from analysis.run import pipeline


@pytest.fixture(scope="module")
def korea() -> mse.Table:
    return mse.read_table("Korea")


@pytest.fixture(scope="module")
def artificial() -> mse.Table:
    return mse.read_table("Artificial_3")


# Published results (Chan, Silverman and Vincent 2021; Home Office 2014)


def test_korea_stepwise_reproduces_published_estimate(korea):
    est = mse.estimate_population(korea, method="stepwise", pthresh=0.02)
    assert est.estimate == pytest.approx(268.78, abs=0.005)
    assert est.model == ("L1×L2",)
    assert est.observed == 123


def test_korea_bic_reproduces_published_estimate(korea):
    est = mse.estimate_population(korea, method="bic")
    assert est.estimate == pytest.approx(157.17, abs=0.005)
    assert est.model == ("L1×L2", "L2×L3")


def test_uk_five_lists_stepwise_gives_the_home_office_central_figure():
    est = mse.estimate_population(mse.read_table("UKdat_5"))
    assert est.estimate == pytest.approx(11_313, abs=1)
    assert est.observed == 2_744
    assert est.moves[0].added == "LA×NG"  # the strongest overlap enters first


@pytest.mark.parametrize("name", sorted(mse_tables.TABLES))
def test_the_fit_equals_statsmodels_glm_on_every_table(name):
    """The bootstrap's own IRLS against statsmodels' Poisson GLM: main effects, each single
    interaction and the model stepwise selection chooses, on every published table."""
    table = mse.read_table(name)
    chosen = mse.select_stepwise(table).fit.model
    models = {(), chosen, *((k,) for k in range(len(mse._pairs(table.t))))}
    compared = 0
    for model in sorted(models):
        check = mse._check_table(table, model)
        if not check.ok:
            continue
        x = mse._design(table.t)[np.ix_(check.keep, check.columns)]
        y = table.counts[check.keep].astype(float)
        reference = sm.GLM(y, x, family=sm.families.Poisson()).fit()
        fit = mse._fit(table, model, check)
        assert fit.estimate - table.observed == pytest.approx(np.exp(reference.params[0]), rel=1e-9)
        assert fit.loglik == pytest.approx(reference.llf, rel=1e-9)
        compared += 1
    assert compared > len(models) // 2


# Existence and identifiability (Artificial_3, Chan, Silverman and Vincent 2021, Table 2)


def test_the_checks_name_why_a_model_fails_and_fit_the_saturated_one(artificial):
    rows = mse.bic_table(artificial).set_index("model")
    reason = rows.at["[A×B, A×C, B×C]", "reason"]  # all three: the MLE exists, but
    assert reason.startswith("not identifiable") and "A×C, B×C" in reason  # at minus infinity
    reason = rows.at["[A×B]", "reason"]  # A×B alone: identifiable, but no MLE
    assert reason.startswith("no extended MLE") and "not identifiable" not in reason
    # A×C and B×C: four free parameters on four histories, saturated, so the hidden count is
    # n(A only) * n(B only) / n(A and B) = 40 * 30 / 6 = 200.
    assert rows.at["[A×C, B×C]", "reason"] == ""
    assert rows.at["[A×C, B×C]", "estimate"] == pytest.approx(96 + 200, abs=1e-6)
    with pytest.raises(mse.ModelError, match="Fienberg-Rinaldo"):
        mse._fit(artificial, rows.at["[A×B]", "pairs"])


def test_stepwise_skips_a_candidate_that_fails_the_checks(artificial):
    est = mse.estimate_population(artificial, pthresh=0.2)
    assert dict(est.skipped)["[A×B]"].startswith("no extended MLE")
    assert est.model == ("A×C", "B×C")
    assert est.neginf == ("A×C", "B×C")


def test_bic_table_marks_failing_models_with_a_reason(artificial):
    table = mse.bic_table(artificial)
    assert len(table) == 8
    failing = table[table["reason"] != ""]
    assert set(failing["model"]) == {"[A×B]", "[A×B, A×C]", "[A×B, B×C]", "[A×B, A×C, B×C]"}
    assert failing["bic"].isna().all()


def _positive_solution(a: np.ndarray, y: np.ndarray) -> bool:
    """Is there x > 0 with a @ x = a @ y? The primal form of the existence check."""
    n = a.shape[1]
    res = optimize.linprog(
        c=np.r_[np.zeros(n), -1.0],
        A_eq=np.c_[a, np.zeros(a.shape[0])],
        b_eq=a @ y,
        A_ub=np.c_[-np.eye(n), np.ones(n)],
        b_ub=np.zeros(n),
        bounds=[(0, None)] * n + [(0, 1)],
        method="highs",
    )
    assert res.status == 0, res.message
    return -res.fun > mse._LP_TOLERANCE


def test_existence_check_agrees_with_the_primal_linear_programme():
    """The null-space form of the Fienberg-Rinaldo check against the textbook form: is there a
    strictly positive table with the observed margins?"""
    rng = np.random.default_rng(7)
    failures = 0
    for _ in range(300):
        t = int(rng.integers(3, 6))
        seen = rng.random(2**t - 1) < rng.uniform(0.2, 0.9)
        n_pairs = t * (t - 1) // 2
        size = int(rng.integers(0, n_pairs + 1))
        model = tuple(sorted(rng.choice(n_pairs, size=size, replace=False).tolist()))
        check = mse._check(t, model, seen.tobytes())
        x = mse._design(t)[np.ix_(check.keep, check.columns)]
        assert check.exists == _positive_solution(x.T, seen[check.keep].astype(float))
        failures += not check.exists
    assert 50 < failures < 250  # both outcomes are exercised


# Fits and selection on hand-computed tables


def test_two_lists_give_the_lincoln_petersen_estimate():
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "n": [30, 20, 10]})
    # N = n_A * n_B / m = 40 * 30 / 10 = 120
    assert mse.estimate_population(table).estimate == pytest.approx(120, abs=1e-6)


def test_a_table_is_read_under_its_file_name_and_each_move_is_recorded(korea):
    assert korea.label == "Korea.csv"
    est = mse.estimate_population(korea)
    assert [m.added for m in est.moves] == ["L1×L2", None]  # one interaction, then stop
    assert est.moves[-1].p_value >= 0.02
    assert est.moves[0].estimate_after == pytest.approx(268.78, abs=0.005)


def test_stepwise_threshold_decides_whether_the_interaction_enters(korea):
    first_p = mse.estimate_population(korea).moves[0].p_value
    below = mse.estimate_population(korea, pthresh=first_p * 0.99)
    assert below.model == ()
    assert below.moves[0].added is None


def test_bic_is_refused_beyond_five_lists():
    assert mse.read_table("UKdat").t == mse.MAX_BIC_LISTS + 1
    with pytest.raises(mse.ModelError, match="limited to 5 lists"):
        mse.estimate_population(mse.read_table("UKdat"), method="bic")


def test_overview_names_each_table_and_leaves_bic_out_beyond_five_lists():
    table, _ = mse.overview(["Korea", "UKdat", "Artificial_3"])
    rows = table.set_index("table")
    assert rows.loc["UKdat", "title"] == "UK 2013, 6 lists"
    assert rows["trafficking"].to_dict() == {"Korea": True, "UKdat": True, "Artificial_3": False}
    assert np.isnan(rows.loc["UKdat", "BIC"])  # six lists
    assert rows.loc["Korea", "BIC"] == pytest.approx(157.17, abs=0.005)


def test_the_spread_holds_the_published_korea_results_and_flags_the_netherlands():
    korea = mse.spread(mse.read_table("Korea"))
    assert korea["estimates"]["stepwise p = 0.02"] == pytest.approx(268.78, abs=0.005)
    assert korea["estimates"]["BIC"] == pytest.approx(157.17, abs=0.005)  # both published
    assert set(korea["estimates"]) == {"stepwise p = 0.001", "stepwise p = 0.02",
                                       "stepwise p = 0.05", "BIC", "main effects only"}  # fmt: skip
    assert korea["low"] == min(korea["estimates"].values())
    assert korea["flagged"] == (korea["high"] > 2 * korea["low"])
    netherlands = mse.spread(mse.read_table("Ned"))  # six lists pooled over 2010-2015
    assert "BIC" not in netherlands["estimates"]  # beyond five lists
    assert netherlands["flagged"] and netherlands["high"] > 2 * netherlands["low"]
    table, _ = mse.overview(["Korea", "Ned"])
    rows = table.set_index("table")
    assert rows["fragile"].to_dict() == {"Korea": korea["flagged"], "Ned": True}
    assert rows.loc["Ned", "pooled years"] == "2010–2015"
    # Held against the published range of the same pooled table, not a yearly figure.
    assert (rows.loc["Ned", "published low"], rows.loc["Ned", "published high"]) == (42000, 58000)
    assert rows.loc["Ned", "spread high"] == pytest.approx(netherlands["high"])
    assert np.isnan(rows.loc["Korea", "published low"])


def test_lists_with_no_overlap_at_all_cannot_be_estimated():
    table = pd.DataFrame({"A": [1, 0], "B": [0, 1], "n": [3, 4]})
    with pytest.raises(mse.ModelError, match="main-effects model: no extended MLE"):
        mse.estimate_population(table)


# Bootstrap


def test_bca_interval_with_no_bias_and_no_acceleration_is_the_type_8_percentile():
    boot = np.arange(1000.0)  # half below 499.5: no bias correction
    lo, hi = mse.bca_interval(boot, 499.5, acceleration=0.0, level=0.95)
    # R type 8: h = (n + 1/3) p + 1/3; x_(25) + 0.3417 and x_(975) + 0.6583 (1-based)
    assert lo == pytest.approx(24.3417, abs=1e-3)
    assert hi == pytest.approx(974.6583, abs=1e-3)


def test_jackknife_acceleration_weights_each_history_by_its_count():
    # weights 2 and 1, estimates 0 and 3: mean 1, d = (1, -2),
    # a = (2 - 8) / (6 * (2 + 4) ** 1.5) = -0.068041
    assert mse._acceleration(np.array([2, 1]), np.array([0.0, 3.0])) == pytest.approx(
        -0.068041, abs=1e-6
    )


def test_bootstrap_is_seeded_and_its_interval_holds_the_estimate(korea):
    one = mse.estimate_population(korea, nboot=50, seed=11, progress=False)
    again = mse.estimate_population(korea, nboot=50, seed=11, progress=False)
    other = mse.estimate_population(korea, nboot=50, seed=12, progress=False)
    assert one.ci[0] < one.estimate < one.ci[1]
    assert one.ci == again.ci
    np.testing.assert_array_equal(one.boot, again.boot)
    assert not np.array_equal(one.boot, other.boot)
    assert one.acceleration is not None and one.failed_replicates == 0


def test_bootstrap_on_two_processes_gives_the_same_replicates(korea):
    serial = mse.estimate_population(korea, nboot=40, seed=3, progress=False, jobs=1)
    parallel = mse.estimate_population(korea, nboot=40, seed=3, progress=False, jobs=2)
    np.testing.assert_allclose(parallel.boot, serial.boot, rtol=1e-9)
    assert parallel.ci == pytest.approx(serial.ci)


def test_bic_bootstrap_reselects_in_every_replicate(korea):
    est = mse.estimate_population(korea, method="bic", nboot=30, seed=5, progress=False)
    assert est.ci[0] < est.estimate < est.ci[1]
    assert len(np.unique(est.boot.round(6))) > 5


# Bad input


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"A": [1, 0, 2], "B": [0, 1, 1], "n": [3, 4, 5]}),
            r"list column 'A' must hold only 0 or 1; rows 2 hold \['2'\]",
        ),
        (
            pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "n": [3, -4, 5]}),
            r"count column 'n' is negative in rows 1",
        ),
        (pd.DataFrame({"A": [1, 0], "n": [3, 4]}), "needs at least two list columns"),
        (
            pd.DataFrame({"A": [1, 0], "B": [0, 1], "C": [0, 0], "n": [30, 0]}),
            "all 30 cases are on list 'A' alone",
        ),
        (
            pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "n": [3, 4.5, 5]}),
            "not a whole number in rows 1",
        ),
        (
            pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "n": [3, 4, 5]}),
            "rows 2 count cases on no list at all",
        ),
    ],
    ids=["not-0-1", "negative", "one-list", "all-on-one-list", "fractional", "no-list"],
)
def test_bad_tables_are_refused_with_a_clear_error(frame, message):
    with pytest.raises(DataError, match=message):
        mse.estimate_population(frame)


def test_repeated_histories_are_summed():
    table = mse.as_table(
        pd.DataFrame({"A": [1, 1, 0, 1], "B": [0, 0, 1, 1], "n": [10, 20, 20, 10]})
    )
    assert table.counts.tolist() == [30, 20, 10]  # histories A only, B only, both


def test_bad_method_is_refused(korea):
    with pytest.raises(ValueError, match="method must be"):
        mse.estimate_population(korea, method="aic")


# The notebook


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "60_hidden_population.ipynb"


@pytest.fixture(scope="module")
def uk_raw() -> pd.DataFrame:
    """UK detected victims (all sexes and ages) per year, read from the registered 2025 GLOTIP
    export itself rather than the processed table the notebook uses."""
    raw, _ = glotip_raw.read_vintage("2025")
    rows = raw[(raw["Iso3_code"] == "GBR") & (raw["Indicator"] == en.INDICATORS["victims"])
               & (raw[["Dimension", "Category", "Sex", "Age"]] == "Total").all(axis=1)]  # fmt: skip
    assert not rows["Year"].duplicated().any()
    return pd.Series(rows["txtVALUE"].str.replace(",", "").astype(int).to_numpy(),
                     index=rows["Year"].astype(int).to_numpy())  # fmt: skip


@pytest.mark.realdata
@pytest.mark.slow
def test_notebook_records_the_published_estimates_and_the_glotip_comparison(tmp_path, uk_raw):
    report_dir = tmp_path / "report"
    params = {"dataset": "Korea", "nboot": 30, "nboot_all": 0,
              "tables": ["Korea", "UKdat_5", "Ned"]}  # fmt: skip
    params["report_dir"] = str(report_dir)
    outcome = pipeline.execute(NOTEBOOK, tmp_path / "out.ipynb", params)
    assert outcome.ok, outcome.error
    results = json.loads((report_dir / "results" / "60_hidden_population.json").read_text())
    results = results["results"]
    headline = results["headline_estimate"]
    [sentence] = results["headline"]  # the index's one line: observed, estimate, interval
    start = "Korea: the lists saw 123 cases; multiple systems estimation puts the total at 269 ("
    assert sentence.startswith(start + "95% interval ")
    lo, hi = (int(v) for v in re.findall(r"interval (\d+) to (\d+)\)\.$", sentence)[0])
    assert lo == pytest.approx(headline["ci"][0], abs=0.55)  # the record rounds to 0.1
    assert hi == pytest.approx(headline["ci"][1], abs=0.55)
    assert headline["estimate"] == pytest.approx(268.78, abs=0.005)
    assert headline["model"] == ["L1×L2"]
    assert headline["ci"][0] < headline["estimate"] < headline["ci"][1]
    assert results["sensitivity"]["BIC"] == pytest.approx(157.17, abs=0.005)
    assert results["headline_spread"]["fragile"] is False  # Korea: 142-269
    assert results["headline_spread"]["estimates"]["BIC"] == pytest.approx(157.17, abs=0.005)
    tables = results["tables"]
    assert set(tables) == {"Korea", "UKdat_5", "Ned"}
    assert tables["Ned"]["fragile"] and not tables["Korea"]["fragile"]
    low, high = tables["Ned"]["spread"]
    assert high > 2 * low
    assert tables["Ned"]["pooled_years"] == "2010–2015"
    assert tables["UKdat_5"]["published"] == [10_000, 13_000]
    assert tables["UKdat_5"]["estimate"] == pytest.approx(11_313, abs=1)
    assert tables["UKdat_5"]["ci"] is None  # nboot_all = 0
    assert tables["Korea"]["ci"] == headline["ci"]  # the headline is reused, not redone
    uk = results["uk_glotip_detected_2013"]
    assert (uk["vintage"], uk["year"]) == ("2025", 2013)
    assert uk["value"] == uk["lower"] == uk["upper"] == uk_raw[2013]
    later = uk_raw[uk_raw.index > 2013]
    peak = results["uk_glotip_detected_peak"]
    assert (peak["year"], peak["value"]) == (later.idxmax(), later.max())
    shown = pd.read_csv(report_dir / "tables" / "60_hidden_population" / "every_table.csv")
    flags = dict(zip(shown["table"], shown["model check"], strict=True))
    assert (
        flags["Netherlands, 6 lists (Ned)"]
        == "fragile: the models differ by more than a factor of 2"
    )
    assert flags["Korea"] == "–"
    published = pd.read_csv(
        report_dir / "tables" / "60_hidden_population" / "published_estimates.csv"
    )
    assert published["table"].tolist() == [
        "UK 2013, 5 lists (UKdat_5)",
        "Netherlands, 6 lists (Ned)",
    ]
    text = (tmp_path / "out.ipynb").read_text()
    assert (
        "Several years in one table.** Netherlands, 6 lists (Ned): the registrations of 2010–2015"
        in text
    )
    assert "MSE assumes one closed population" in " ".join(text.split())
    uk_low, uk_high = tables["UKdat_5"]["spread"]
    assert tables["UKdat_5"]["fragile"]  # so the UK paragraph gives its range, not one figure
    assert f"between **{uk_low:,.0f}** and **{uk_high:,.0f}**, depending on the model" in text
    figures = {p.name for p in (report_dir / "figures" / "60_hidden_population").glob("*.png")}
    assert figures == {"bootstrap.png", "sensitivity.png"}
