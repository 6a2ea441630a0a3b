"""The 2009 claims: the committed table, a verdict and reason for each, numbers from the data."""

import json
import re

import pandas as pd
import pytest

from analysis import catalog
from analysis import claims as cl
from analysis import enforcement as en
from analysis.clean import glotip as glotip_raw
from analysis.data import paths, releases, seed
from analysis.data.errors import DataError
from analysis.definitions import instruments as ins
from analysis.publish import claims_views as views
from analysis.run import pipeline


@pytest.fixture(scope="module")
def checked():
    glotip = en.load_glotip("2025")
    ev = cl.evidence(
        glotip,
        cl.load_belarus_victims(),
        catalog.read("us_tip"),
        catalog.read("belarus_press"),
        cl.load_ilo(),
    )
    return views.assess(cl.load_claims(), ev).set_index("claim_id"), ev


@pytest.fixture(scope="module")
def raw_blr_2009() -> dict[tuple[str, str], int]:
    """Belarus 2009 totals read from the registered GLOTIP export itself (not the processed
    table): (indicator, sex) -> count."""
    raw, _ = glotip_raw.read_vintage("2025")
    rows = raw[(raw["Iso3_code"] == "BLR") & (raw["Year"] == "2009") & (raw["Dimension"] == "Total")
               & (raw["Category"] == "Total") & (raw["Age"] == "Total")]  # fmt: skip
    assert not rows.duplicated(["Indicator", "Sex"]).any()
    return {(r.Indicator, r.Sex): int(r.txtVALUE.replace(",", "")) for r in rows.itertuples()}


def test_the_claims_table_holds_the_2009_figures_with_their_sources():
    claims = cl.load_claims().set_index("claim_id")
    assert claims["value"].dropna().to_dict() == {
        "crimes_recorded": 321, "criminal_groups": 9, "criminal_organisations": 2,
        "channels": 57, "channel_countries": 12, "porn_sites": 9, "porn_studios": 2,
        "programme_budget": 1_335_000, "victims_total": 1_250_000, "female_share": 98,
    }  # fmt: skip
    assert pd.isna(claims.loc["definition_widened", "value"])  # a claim without a figure
    assert claims.loc["victims_total", "said_by"].startswith("not attributed")
    assert claims.loc["programme_budget", "said_by"].startswith("Valiantsina Staluha")
    # The July 2009 start is the report's narrative, not Staluha's words.
    assert claims.loc["programme_start", "said_by"].startswith("not attributed")
    assert "July 2009" not in claims.loc["programme_budget", "source_sentence"]
    assert claims.loc["crimes_recorded", "said_by"].startswith("Siarhei Kaltun")
    assert claims["source_date"].str.startswith("19 October 2009").all()
    assert claims.loc["crimes_recorded", "reference_period"].startswith("1 January to mid-October")
    assert claims[["source_sentence", "source_date", "said_by"]].notna().all().all()


def test_every_quote_is_found_word_for_word_in_the_report():
    text = seed.article_text()
    claims = cl.load_claims()
    assert cl.unquoted(claims, text) == []
    for quote in claims["source_sentence"]:  # white space aside: the report has no-break spaces
        assert " ".join(quote.split()) in " ".join(text.split())
    changed = claims.copy()
    changed.loc[0, "source_sentence"] = "In 2009 Belarus' Interior Ministry recorded 321 crimes."
    assert cl.unquoted(changed, text) == [changed.loc[0, "claim_id"]]


def test_the_quote_check_stops_the_report_and_names_a_changed_quote():
    text = seed.article_text()
    claims = cl.load_claims()
    line = views.quote_check(claims, text)
    assert f"({len(claims)} claims)" in line and "found word for word" in line
    assert line.endswith("Euroradio (European Radio for Belarus), report of the press "
                         "conference of 19 October 2009.")  # fmt: skip
    changed = claims.copy()
    row = changed.index[changed["claim_id"] == "crimes_recorded"][0]
    changed.loc[row, "source_sentence"] = "In 2009, 321 trafficking crimes were recorded."
    with pytest.raises(DataError, match=r"quote of 1 claim\(s\) is not found.*crimes_recorded "
                       r"\(321 crimes in the field"):  # fmt: skip
        views.quote_check(changed, text)
    shortened = text.replace("2 criminal organizations", "2 organizations")
    with pytest.raises(DataError, match="criminal_groups .*criminal_organisations "):
        views.quote_check(claims, shortened)


def test_the_2011_directive_widened_the_framework_decision_in_line_with_and_beyond_un_and_coe():
    added = ins.widening(ins.FRAMEWORK_2002, ins.EU_2011, (ins.PALERMO_2000, ins.COE_2005))
    by_element = added.set_index("element")
    assert set(by_element.index) == {"removal_of_organs", "begging", "criminal_activities",
                                     "purposes_minimum"}  # fmt: skip
    assert by_element.loc["removal_of_organs", ["palermo_2000", "coe_2005"]].all()
    assert not by_element.loc[["begging", "criminal_activities"],
                              ["palermo_2000", "coe_2005"]].any().any()  # fmt: skip
    assert ins.widening(ins.EU_2011, ins.EU_2011, (ins.PALERMO_2000,)).empty


def test_the_definition_verdict_follows_the_comparison(checked):
    table, ev = checked
    claim = table.loc["definition_widened"]
    verdict, reason = views.RULES["definition"](claim, ev)
    assert verdict == "partly consistent"
    assert "Framework Decision 2002/629/JHA" in reason and "removal of organs" in reason
    in_line = dict(ev, definition=ev["definition"].assign(palermo_2000=True, coe_2005=True))
    assert views.RULES["definition"](claim, in_line)[0] == "consistent"
    beyond = dict(ev, definition=ev["definition"].assign(palermo_2000=False, coe_2005=False))
    assert views.RULES["definition"](claim, beyond)[0] == "contradicted"


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
    # 98 % is the ILO's share for forced commercial sexual exploitation, with 1.4 million of
    # that form: right for it, not for trafficking as a whole (55 % of all forced labour).
    assert table.loc["female_share", "verdict"] == "partly consistent"
    reason = table.loc["female_share", "reason"]
    assert "forced commercial sexual exploitation" in reason
    assert "at least 1.4 million persons" in reason and "all forced labour is 55%" in reason
    assert "detections are not prevalence" in reason
    assert table.loc["crimes_recorded", "verdict"] == "not comparable"
    assert table.loc["channel_countries", "verdict"] == "not comparable"
    assert table.loc["victims_total", "verdict"] == "not comparable"
    for claim in ("victims_total", "female_share"):  # the 1.25 million: no speaker, no area
        reason = table.loc[claim, "reason"]
        assert "global" not in reason.lower() and "representative" not in reason
    assert "%" not in table.loc["victims_total", "reason"]  # no share of the ILO figure


def test_verdict_numbers_are_recomputed_from_the_data(checked, raw_blr_2009):
    table, _ = checked
    female = raw_blr_2009[(en.INDICATORS["victims"], "Female")]
    total = raw_blr_2009[(en.INDICATORS["victims"], "Total")]
    reason = table.loc["female_share", "reason"]
    assert f"{100 * female / total:.1f}% in Belarus ({female:,} of {total:,})" in reason
    prosecuted = raw_blr_2009[(en.INDICATORS["prosecuted"], "Total")]
    assert f"it gives {prosecuted:,} persons prosecuted" in table.loc["crimes_recorded", "reason"]
    v = cl.load_belarus_victims()
    kanon = v[v["release"] == "kanon_2021"]
    abroad = kanon[kanon["exploitation_country"].notna() & (kanon["exploitation_country"] != "BLR")]
    sexual = abroad[abroad["form"].isin(cl.SEXUAL_FORMS).fillna(False)]
    n_2009 = sexual.loc[sexual["year"].between(*cl.WINDOW).fillna(False), "exploitation_country"]
    n_all = sexual["exploitation_country"].nunique()
    reason = table.loc["channel_countries", "reason"].split("K-anonymised release (2021): ")[1]
    assert reason.startswith(f"{n_2009.nunique()} in 2008–2010 ({n_all} over all years)")


def test_verdict_counts_name_every_verdict_in_order():
    checked = pd.DataFrame({"verdict": ["contradicted", "consistent", "contradicted"]})
    counts = views.verdict_counts(checked)
    assert list(counts) == list(cl.VERDICTS)
    assert counts == {"consistent": 1, "partly consistent": 0, "not comparable": 0,
                      "contradicted": 2}  # fmt: skip


def test_verdict_rules_follow_the_evidence(checked):
    table, ev = checked
    claim = table.loc["female_share"]
    # Shares of detected victims decide nothing: they are not prevalence.
    inside = dict(ev, world=dict(ev["world"], female_share_lower=97.5, female_share_upper=98.5))
    assert views.RULES["female_share"](claim, inside)[0] == "partly consistent"
    not_ilo = claim.copy()
    not_ilo["value"] = 85.0
    assert views.RULES["female_share"](not_ilo, inside)[0] == "contradicted"
    not_ilo["value"] = 55.0  # the ILO's share of women and girls in all forced labour
    assert views.RULES["female_share"](not_ilo, ev)[0] == "consistent"
    same_year = dict(ev, belarus=dict(ev["belarus"], offences={"value": 321, "bounds": [321, 321]}))
    assert views.RULES["glotip_crimes"](table.loc["crimes_recorded"], same_year)[0] == "consistent"


def test_suppressed_figures_are_written_as_ranges(checked):
    table, ev = checked
    suppressed = {"value": None, "bounds": [1, 4]}
    small = dict(ev, belarus=dict(ev["belarus"], offences=suppressed))
    verdict, reason = views.RULES["glotip_crimes"](table.loc["crimes_recorded"], small)
    assert verdict == "contradicted" and "GLOTIP records 1–4 offences" in reason
    blr = dict(ev["belarus"], offences=None, offences_first=suppressed, prosecuted=suppressed,
               victims_female=suppressed, victims={"value": 8, "bounds": [8, 8]})  # fmt: skip
    small = dict(ev, belarus=blr)
    reason = views.RULES["glotip_crimes"](table.loc["crimes_recorded"], small)[1]
    assert "(1–4 offences)" in reason and "it gives 1–4 persons prosecuted" in reason
    reason = views.RULES["female_share"](table.loc["female_share"], small)[1]
    assert "12.5–50.0% in Belarus (1–4 of 8)" in reason  # 1/8 to 4/8


def test_a_missing_figure_names_the_indicator_year_and_file(checked):
    table, ev = checked
    no_victims = dict(ev, belarus={k: v for k, v in ev["belarus"].items() if k != "victims"})
    message = (
        rf"glotip\.parquet \(vintage 2025\): no published total of "
        rf"'{re.escape(en.INDICATORS['victims'])}' \(sex Total\) for BLR in 2009"
    )
    with pytest.raises(DataError, match=message):
        views.RULES["female_share"](table.loc["female_share"], no_victims)
    no_tip = dict(ev, us_tip_victims_2009=None)
    with pytest.raises(DataError, match=r"us_tip\.parquet: no victims_identified figure for 2009"):
        views.RULES["victims_total"](table.loc["victims_total"], no_tip)


def test_the_belarus_series_table_marks_small_cells_as_ranges():
    rows = [("BLR", 2010, en.INDICATORS["victims"], 30, 30, 30, False),
            ("BLR", 2010, cl.OFFENCES, pd.NA, 1, 4, True),
            ("BLR", 2011, en.INDICATORS["convicted"], 7, 7, 7, False),
            ("UKR", 2010, en.INDICATORS["victims"], 99, 99, 99, False)]  # fmt: skip
    glotip = pd.DataFrame(
        rows, columns=["iso3", "year", "indicator", "value", "lower", "upper", "is_suppressed"]
    ).assign(  # fmt: skip
        dimension="Total", sex="Total", age="Total", vintage="2025"
    )
    glotip = glotip.astype({"value": "Int64", "lower": "Int64", "upper": "Int64"})
    shown = views.glotip_view(glotip, "BLR", (2009, 2011))
    table = shown.frame
    assert table.index.tolist() == ["2010", "2011"]  # 2009: nothing published
    assert table.loc["2010"].tolist() == ["30", "–", "–", "1–4"]
    assert list(table.columns) == ["detected victims", "persons prosecuted", "persons convicted",
                                   "offences"]  # fmt: skip
    assert shown.caption == "Belarus in GLOTIP, 2009–2011"
    assert shown.shown().iloc[0].tolist() == ["2010", "30", "–", "–", "1–4"]


@pytest.mark.slow
def test_countries_reporting_belarusian_victims_are_counted_from_the_raw_export(checked):
    _, ev = checked
    raw, _ = glotip_raw.read_vintage("2025")
    victims = raw["Indicator"] == en.INDICATORS["victims"]
    rows = raw[victims & (raw["Iso3_code"] != "BLR") & (raw["Category"] == "Belarus")]
    citizenship = rows.loc[rows["Dimension"] == "by citizenship", "Iso3_code"]
    either = rows.loc[rows["Dimension"].isin(glotip_raw.COUNTRY_DIMENSIONS), "Iso3_code"]
    assert ev["glotip_citizenship_all_years"] == sorted(citizenship.unique())
    assert ev["glotip_reporters_all_years"] == sorted(either.unique())
    assert len(either.unique()) > len(citizenship.unique())  # repatriation adds countries


def test_the_claims_notebook_records_each_verdict(tmp_path, raw_blr_2009):
    notebook = paths.notebooks_dir() / "50_claims_check.ipynb"
    outcome = pipeline.execute(notebook, tmp_path / "out.ipynb", {"report_dir": str(tmp_path)})
    assert outcome.ok, outcome.error
    results = json.loads((tmp_path / "results/50_claims_check.json").read_text())["results"]
    claims = cl.load_claims()
    assert results["quotes_not_found"] == []
    recorded = {c["claim_id"]: c for c in results["claims"]}
    assert list(recorded) == claims["claim_id"].tolist()  # each claim once, the definition too
    assert all(c["verdict"] in cl.VERDICTS and c["reason"] for c in recorded.values())
    for claim in claims.itertuples():  # the quote, speaker, date and period as in the table
        mine = recorded[claim.claim_id]
        assert mine["source_sentence"] == claim.source_sentence
        assert (mine["said_by"], mine["source_date"]) == (claim.said_by, claim.source_date)
        assert mine["reference_period"] == claim.reference_period
    assert recorded["definition_widened"]["value"] is None
    assert recorded["definition_widened"]["verdict"] == "partly consistent"
    assert recorded["female_share"]["verdict"] == "partly consistent"
    assert recorded["channel_countries"]["verdict"] == "not comparable"
    text = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for cell in json.loads((tmp_path / "out.ipynb").read_text())["cells"]
        for o in cell.get("outputs", [])
    )
    assert views.quote_check(claims, seed.article_text()) in text  # said once in the report
    counts = results["verdict_counts"]  # the findings count the verdicts the claims record
    head = ", ".join(f"**{counts[v]}** {v}" for v in cl.VERDICTS if counts.get(v))
    assert f"- Of {len(recorded)} claims quoted in 2009: {head}." in text
    counted = ", ".join(f"{counts[v]} {v}" for v in cl.VERDICTS if counts.get(v))
    assert results["headline"] == [
        f"Of {len(recorded)} claims quoted in 2009 about trafficking and Belarus: {counted}."
    ]
    shown = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
             for p in (tmp_path / "tables" / "50_claims_check").glob("*.csv")}  # fmt: skip
    the_claims_table_quotes_each_claim(shown["claims"], claims)
    ctdc = shown["ctdc_destinations"]  # names and words, not codes
    assert set(ctdc["CTDC release"]) <= {r.label for r in releases.CTDC.values()}
    assert not any(re.search(r"\b[A-Z]{3}\b", c) for c in ctdc["countries (sexual exploitation)"])
    assert "Russia" in ctdc["countries (sexual exploitation)"].iloc[0]
    reporters = [line for line in text.splitlines() if line.startswith("GLOTIP: ")]
    assert len(reporters) == 1 and not re.search(r"\b[A-Z]{3}\b", reporters[0])
    every = results["glotip_reporters"]
    assert set(every["by_citizenship"]) < set(every["all_years"])
    told = f"{len(every['all_years'])} in any year, of which {len(every['by_citizenship'])}"
    assert f"{told} reported them by citizenship" in reporters[0]
    assert "98%" in set(shown["ilo_estimates"]["value"])
    assert ("Source of every quote: Euroradio (European Radio for Belarus), report of the press "
            "conference of 19 October 2009.") in (tmp_path / "out.ipynb").read_text()  # fmt: skip
    assert sum(counts.values()) == len(recorded)
    for verdict in {c["verdict"] for c in recorded.values()}:
        assert counts[verdict] == sum(c["verdict"] == verdict for c in recorded.values())
    blr = results["belarus_glotip_2009"]
    for key in ("prosecuted", "convicted", "victims"):
        assert blr[key]["value"] == raw_blr_2009[(en.INDICATORS[key], "Total")]
    assert blr["victims_female"]["value"] == raw_blr_2009[(en.INDICATORS["victims"], "Female")]
    raw, _ = glotip_raw.read_vintage("2025")
    offences = raw[(raw["Iso3_code"] == "BLR") & (raw["Indicator"] == cl.OFFENCES)
                   & (raw[["Dimension", "Sex", "Age"]] == "Total").all(axis=1)]  # fmt: skip
    assert blr["offences"] is None  # no 2009 offences row in the export
    assert "2009" not in set(offences["Year"])
    assert blr["offences_first_year"] == int(offences["Year"].astype(int).min())
    assert sum(results["verdict_counts"].values()) == len(cl.load_claims())


def the_claims_table_quotes_each_claim(shown: pd.DataFrame, claims: pd.DataFrame) -> None:
    """The claims table: each claim with its quote (in quotation marks, word for word from the
    report), speaker, date, period and verdict; the two unattributed claims say so."""
    assert list(shown.columns) == [
        "claim", "quote", "who said it (as the report names them)", "date",
        "period the figure refers to", "verdict", "reason",
    ]  # fmt: skip
    assert len(shown) == len(claims) and "definition" in " ".join(shown["claim"])
    text = " ".join(seed.article_text().split())
    for quote in shown["quote"]:
        assert quote[0] == "\u201c" and quote[-1] == "\u201d" and quote[1:-1] in text
    unattributed = shown[shown["claim"].str.contains("1 million 250 thousand|98 percent")]
    assert len(unattributed) == 2
    for row in unattributed.itertuples():  # no speaker, no area, and never called global
        cells = " ".join(map(str, row[1:])).lower()
        assert row[3].startswith("not attributed") and "global" not in cells
        assert "representative" not in cells and "aizsalnieks" not in cells


def test_the_findings_name_few_claims_and_count_the_rest(checked):
    table = checked[0].reset_index()
    findings = views.findings_text(table).splitlines()
    assert findings[0].startswith(f"- Of {len(table)} claims quoted in 2009: ")
    assert len(findings) <= 5  # a short box: each claim's reason is in the table below
    # Two claims partly consistent, named; ten not comparable: seven that no data here count,
    # and the three that the data count otherwise, named.
    assert findings[1] == ("- Partly consistent: 98 percent of the victims are women; the EU "
                           "definition of trafficking to be widened in line with the UN and "
                           "Council of Europe instruments.")  # fmt: skip
    assert findings[2].startswith("- Not comparable: 7 claims that no data here count, and 3 "
                                  "that the data count in another way: 321 crimes")  # fmt: skip
    assert "1 million 250 thousand victims" in findings[2]
    assert "9 pornographic sites" not in findings[2]


def test_the_glotip_record_holds_the_totals_the_report_shows():
    """What the audit reads of the claims report's GLOTIP table: each figure as printed."""
    from analysis.publish import claims_views

    glotip = en.load_glotip("2025")
    record = claims_views.glotip_record(glotip, "BLR", (2007, 2011))
    series = claims_views.glotip_view(glotip, "BLR", (2007, 2011)).frame
    labels = {k: en.LABELS[k] for k in en.INDICATORS}
    for cell in record["cells"]:
        indicator, _, iso3, year = cell["key"]
        assert str(cell["shown"]) == series.loc[str(year), labels[indicator]].replace(",", "")
    assert len(record["cells"]) == 15 and record["sums"] == []
