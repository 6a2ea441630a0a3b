"""10_victim_trends executed with papermill: on the fixture (known counts) and on real data."""

import json
from pathlib import Path

import pandas as pd
import pytest
from test_victims import FEMALE, KNOWN_GENDER, small_counts, write_fixture_data

from analysis import victims as vic
from analysis.data import paths
from analysis.publish import disclosure
from analysis.run import pipeline

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "10_victim_trends.ipynb"


def run(tmp_path: Path, **parameters) -> dict:
    report_dir = tmp_path / "report"
    outcome = pipeline.execute(
        NOTEBOOK, tmp_path / "out.ipynb", {**parameters, "report_dir": str(report_dir)}
    )
    assert outcome.ok, outcome.error
    return json.loads((report_dir / "results" / "10_victim_trends.json").read_text())["results"]


@pytest.mark.slow
def test_notebook_on_the_fixture_records_the_known_numbers(tmp_path):
    data = write_fixture_data(tmp_path / "data")
    results = run(tmp_path, release="kanon_2021", year_min=2015, year_max=2018, top_n=3,
                  n_origins=3, data_dir=str(data))  # fmt: skip
    # The selection is the whole release: the release step shows its female and male
    # records, so its known-gender total would give the 3 transgender records away.
    female = results["female_share"]
    assert female["suppressed"] and (female["count"], female["total"]) == (None, None)
    assert KNOWN_GENDER - FEMALE > 10  # hidden for that, not for a small rest
    child = results["child_share"]
    assert child["lower"] < child["share"] < child["upper"]
    tables = json.loads((tmp_path / "report" / "results" / "10_victim_trends.tables.json")
                        .read_text())["tables"]  # fmt: skip
    assert {t["population"] for t in tables} == {vic.population("kanon_2021")}
    assert disclosure.exposed_cells(tables) == []
    assert set(results["top_destinations"]) == {"USA", "RUS", "POL"}
    assert results["top_destinations"]["USA"]["female_share"]["count"] == 344
    # Female counts fall by ~10% a year in every destination, male counts rise by ~10%.
    irr = results["irr_year_by_gender"]
    assert irr["female"]["irr"] == pytest.approx(0.9, abs=0.02)
    assert irr["male"]["irr"] == pytest.approx(1.1, abs=0.02)
    # The sensitivity table: five models, one without the possibly redacted zeros (a
    # K-anonymised release) and one without each destination (the fixture has no hotline
    # records, so no row without the hotline years); its first row is the main model.
    checks = results["trend_sensitivity"]
    assert [r["model"] for r in checks][5:] == [
        "NB2 without the destination-years with a zero for either gender (a zero may hide 1–10 "
        "redacted records)",
        "NB2 without Poland", "NB2 without Russia", "NB2 without United States",
    ]  # fmt: skip
    assert checks[0]["female_irr"] == pytest.approx(irr["female"]["irr"], abs=0.01)
    assert results["female_share_trend_within_destinations"]["irr"] < 1
    # Of the 6 country-years both sources publish, those whose CTDC share the grid hides
    # (to protect the transgender records and the release's hidden cells) drop out.
    assert 0 < results["female_share_agreement"]["country_years"] <= 6
    assert results["records"] == {"release": 992, "selected": 992, "without_year": 0}
    figures = {p.name for p in (tmp_path / "report" / "figures" / "10_victim_trends").glob("*.png")}
    assert {"corridors.png", "trend_model_diagnostics.png", "female_share_agreement.png"} <= figures
    assert small_counts(results, 10) == []  # the JSON hides what the tables hide


@pytest.mark.realdata
@pytest.mark.slow
def test_recorded_female_share_of_the_synthetic_release_is_the_cleaned_count(tmp_path):
    results = run(tmp_path, release="synthetic_2021", top_n=4)
    assert small_counts(results, 10) == []
    table = pd.read_parquet(paths.processed_dir() / "victims.parquet",
                            columns=["release", "year", "gender"])  # fmt: skip
    rows = table[(table["release"] == "synthetic_2021") & table["year"].between(2002, 2021)]
    female = int((rows["gender"] == "female").sum())
    known = int(rows["gender"].isin(["female", "male", "transgender_nonconforming"]).sum())
    assert (results["female_share"]["count"], results["female_share"]["total"]) == (female, known)
    assert results["female_share"]["share"] == pytest.approx(female / known)
    # Described, not inferred from: no interval, test or model.
    assert results["female_share"]["lower"] is None and results["child_share"]["upper"] is None
    assert results["forms_association"] is None
    assert not {"irr_year_by_gender", "trend_model", "trend_sensitivity"} & set(results)
    assert len(results["headline"]) == 1
    cells = json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    selection = next(c for c in cells if "views.cell_words" in "".join(c["source"]))
    assert "not persons" in json.dumps(selection["outputs"])  # the release's one sentence
    assert results["records"]["without_year"] == int(
        table.loc[table["release"] == "synthetic_2021", "year"].isna().sum()
    )
