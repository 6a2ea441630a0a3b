"""The 2009 claims: the committed table, a verdict and reason for each, numbers from the data."""

import json

import pandas as pd
import pytest

from analysis import claims as cl
from analysis import enforcement as en
from analysis import paths, pipeline
from analysis.sources import DataError


@pytest.fixture(scope="module")
def checked():
    glotip = en.load_glotip("2025")
    ev = cl.evidence(
        glotip,
        cl.load_belarus_victims(),
        pd.read_parquet(paths.processed_dir() / "us_tip.parquet"),
        pd.read_parquet(paths.processed_dir() / "belarus_press.parquet"),
        cl.load_ilo(),
    )
    return cl.assess(cl.load_claims(), ev).set_index("claim_id"), ev


def test_the_claims_table_holds_the_2009_figures_with_their_sources():
    claims = cl.load_claims().set_index("claim_id")
    assert claims["value"].to_dict() == {
        "crimes_recorded": 321, "criminal_groups": 9, "criminal_organisations": 2,
        "channels": 57, "channel_countries": 12, "porn_sites": 9, "porn_studios": 2,
        "programme_budget": 1_335_000, "victims_total": 1_250_000, "female_share": 98,
    }  # fmt: skip
    assert claims.loc["victims_total", "said_by"] == "representative of the European Commission"
    assert claims[["source_sentence", "source_date", "said_by"]].notna().all().all()


def test_a_bad_claims_table_is_refused_with_its_line(tmp_path):
    text = cl.CLAIMS_FILE.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "claims.csv"
    bad.write_text("\n".join([text[0], text[1].replace(",321,", ",many,")]) + "\n")
    with pytest.raises(DataError, match=r"column value is not a number in line\(s\) \[2\]"):
        cl.load_claims(bad)


def test_every_claim_has_a_verdict_and_a_reason(checked):
    table, _ = checked
    assert set(table["verdict"]) <= set(cl.VERDICTS)
    assert table["reason"].str.len().gt(40).all()
    assert table.loc["female_share", "verdict"] == "partly consistent"
    assert table.loc["crimes_recorded", "verdict"] == "not comparable"


def test_verdict_numbers_are_recomputed_from_the_data(checked):
    table, _ = checked
    g = pd.read_parquet(paths.processed_dir() / "glotip.parquet")
    blr = g[(g["vintage"] == "2025") & (g["iso3"] == "BLR") & (g["year"] == 2009)
            & (g["dimension"] == "Total") & (g["age"] == "Total")]  # fmt: skip
    victims = blr[blr["indicator"] == "Detected trafficking victims"].set_index("sex")["value"]
    share = 100 * victims["Female"] / victims["Total"]
    reason = table.loc["female_share", "reason"]
    assert f"{share:.1f}% in Belarus ({victims['Female']} of {victims['Total']})" in reason
    prosecuted = blr[(blr["indicator"] == "Persons prosecuted") & (blr["sex"] == "Total")]
    assert (
        f"it gives {int(prosecuted['value'].iloc[0])} persons prosecuted"
        in table.loc["crimes_recorded", "reason"]
    )
    v = pd.read_parquet(paths.processed_dir() / "victims.parquet",
                        columns=["release", "citizenship", "exploitation_country"])  # fmt: skip
    kanon = v[(v["release"] == "kanon_2021") & (v["citizenship"] == "BLR")]
    foreign = kanon["exploitation_country"].dropna()
    n_any = foreign[foreign != "BLR"].nunique()
    assert (
        f"of {n_any} for any form"
        in table.loc["channel_countries", "reason"].split("kanon_2021")[1]
    )


def test_verdict_rules_follow_the_evidence(checked):
    table, ev = checked
    claim = table.loc["female_share"]
    inside = dict(ev, world=dict(ev["world"], female_share_lower=97.5, female_share_upper=98.5))
    assert cl.RULES["female_share"](claim, inside)[0] == "consistent"
    not_ilo = claim.copy()
    not_ilo["value"] = 85.0
    assert cl.RULES["female_share"](not_ilo, ev)[0] == "contradicted"
    same_year = dict(ev, belarus=dict(ev["belarus"], offences=321))
    assert cl.RULES["glotip_crimes"](table.loc["crimes_recorded"], same_year)[0] == "consistent"


def test_the_claims_notebook_records_each_verdict(tmp_path):
    notebook = paths.notebooks_dir() / "50_claims_check.ipynb"
    outcome = pipeline.execute(notebook, tmp_path / "out.ipynb", {"report_dir": str(tmp_path)})
    assert outcome.ok, outcome.error
    results = json.loads((tmp_path / "results/50_claims_check.json").read_text())["results"]
    assert len(results["claims"]) == 10
    assert all(c["verdict"] in cl.VERDICTS and c["reason"] for c in results["claims"])
    assert results["belarus_glotip_2009"]["prosecuted"] == 154
    assert results["belarus_glotip_2009"]["convicted"] == 63
    assert sum(results["verdict_counts"].values()) == 10
