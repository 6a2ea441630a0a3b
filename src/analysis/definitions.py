"""The legal definitions of trafficking as data, and what the recorded cases say about them.

Four instruments: the UN Palermo Protocol (2000, Art. 3), the Council of Europe Convention
(2005, Art. 4), EU Directive 2011/36/EU (Art. 2) and that Directive as amended by Directive
(EU) 2024/1712. Each is one `Instrument`; the amended Directive is built from the 2011 text by
`amend`, so what 2024/1712 changed is computed, never typed twice. Every comparison (the
side-by-side table, the element matrix, the differences) is derived from these objects.

The dataset categories (CTDC exploitation flags, types of labour and of sexual exploitation;
GLOTIP forms of exploitation) are mapped to each instrument's purposes in the reviewed table
`mappings/definitions_categories.csv`: `explicit` (the text names the purpose), `open_ended`
(covered only through the open list, "at a minimum", or by interpretation), `not_covered`.
`load_mapping` refuses a table whose `explicit` cells disagree with the encoded articles.

Wording is paraphrased; the few quoted phrases are short. Points that rest on knowledge of a
text rather than on a retrieved copy are listed in each instrument's `unverified`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import enforcement as en
from analysis import proportions
from analysis import victims as vic
from analysis.data import sources
from analysis.data.errors import DataError
from analysis.publish import disclosure
from analysis.schemas import victims as victims_schema

# ---------------------------------------------------------------------------------------------
# Vocabulary shared by all instruments (keys are stable; labels are for tables and figures)

ACTS: dict[str, str] = {
    "recruitment": "recruitment",
    "transportation": "transportation",
    "transfer": "transfer",
    "harbouring": "harbouring",
    "receipt": "receipt (EU: reception) of persons",
    "exchange_or_transfer_of_control": "exchange or transfer of control over persons",
}
MEANS: dict[str, str] = {
    "threat_or_use_of_force": "threat or use of force",
    "other_coercion": "other forms of coercion",
    "abduction": "abduction",
    "fraud": "fraud",
    "deception": "deception",
    "abuse_of_power": "abuse of power",
    "abuse_of_vulnerability": "abuse of a position of vulnerability",
    "payments_to_person_in_control": "payments or benefits to a person in control",
}
PURPOSES: dict[str, str] = {
    "sexual_exploitation": "prostitution of others or other sexual exploitation",
    "forced_labour_or_services": "forced labour or services",
    "begging": "begging (as forced labour or services)",
    "slavery_or_similar_practices": "slavery or practices similar to slavery",
    "servitude": "servitude",
    "criminal_activities": "exploitation of criminal activities",
    "removal_of_organs": "removal of organs",
    "surrogacy": "exploitation of surrogacy",
    "forced_marriage": "exploitation of forced marriage",
    "illegal_adoption": "exploitation of illegal adoption",
}
LEVELS = ("explicit", "open_ended", "not_covered")  # best first
LEVEL_LABELS = {
    "explicit": "named explicitly",
    "open_ended": "open list / interpretation only",
    "not_covered": "not covered",
}
KNOWING_USE = ("none", "consider", "mandatory")  # criminalising knowing use of services


@dataclass(frozen=True)
class Instrument:
    """One legal definition of trafficking, element by element, with its article references."""

    key: str
    short: str
    title: str
    citation: str
    adopted: str
    in_force: str
    term: str
    definition_article: str
    acts: tuple[str, ...]
    means: tuple[str, ...]
    purposes: tuple[str, ...]
    purposes_minimum: bool  # "at a minimum" / "as a minimum": the list is open
    consent_irrelevant_if_means: bool
    consent_covers: str  # which exploitation the consent rule speaks of
    child_needs_no_means: bool
    child_below_age: int
    vulnerability_definition: str | None  # None: the text does not define the phrase
    victim_definition: str | None
    requires_transnational: bool  # for the instrument to apply
    requires_organised_group: bool
    knowing_use_offence: str  # one of KNOWING_USE
    articles: Mapping[str, str]  # element -> article reference
    quote: str
    sources: tuple[str, ...]  # page addresses read (see shared/data/definitions/NOTES.md)
    unverified: tuple[str, ...] = ()  # points resting on knowledge, not on a retrieved text
    notes: tuple[str, ...] = ()
    amends: str | None = None
    scope_note: str = ""

    def __post_init__(self) -> None:
        for name, vocabulary in (("acts", ACTS), ("means", MEANS), ("purposes", PURPOSES)):
            unknown = set(getattr(self, name)) - set(vocabulary)
            if unknown:
                raise ValueError(f"{self.key}: unknown {name} {sorted(unknown)}")
        if self.knowing_use_offence not in KNOWING_USE:
            raise ValueError(f"{self.key}: knowing_use_offence must be one of {KNOWING_USE}")


_PALERMO_ACTS = ("recruitment", "transportation", "transfer", "harbouring", "receipt")
_PALERMO_PURPOSES = (
    "sexual_exploitation",
    "forced_labour_or_services",
    "slavery_or_similar_practices",
    "servitude",
    "removal_of_organs",
)

PALERMO_2000 = Instrument(
    key="palermo_2000",
    short="UN Palermo Protocol 2000",
    title=(
        "Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially Women and "
        "Children, supplementing the UN Convention against Transnational Organized Crime"
    ),
    citation="UN General Assembly resolution 55/25, Annex II (15 November 2000)",
    adopted="2000-11-15",
    in_force="2003-12-25",
    term="trafficking in persons",
    definition_article="Art. 3",
    acts=_PALERMO_ACTS,
    means=tuple(MEANS),
    purposes=_PALERMO_PURPOSES,
    purposes_minimum=True,
    consent_irrelevant_if_means=True,
    consent_covers="intended exploitation",
    child_needs_no_means=True,
    child_below_age=18,
    vulnerability_definition=None,
    victim_definition=None,
    requires_transnational=True,
    requires_organised_group=True,
    knowing_use_offence="none",
    articles={
        "acts": "Art. 3(a)",
        "means": "Art. 3(a)",
        "purposes": "Art. 3(a)",
        "consent": "Art. 3(b)",
        "child_rule": "Art. 3(c)",
        "child_age": "Art. 3(d)",
        "scope": "Art. 4",
        "knowing_use": "Art. 9(5) (discourage demand; no offence)",
    },
    quote="for the purpose of exploitation",
    sources=(
        "http://www.ungift.org/about/human-trafficking.html",
        "https://sherloc.unodc.org/cld/ru/education/tertiary/tip-and-som/module-6/key-issues/"
        "international-legal-framework.html",
        "https://sherloc.unodc.org/cld/ar/education/tertiary/tip-and-som/module-8/key-issues/"
        "trafficked-persons-as-victims.html",
        "https://anti-thb.org/en/normative-framework/council-of-europe",
    ),
    unverified=(
        "The interpretative note (travaux preparatoires, A/55/383/Add.1 para. 63) reads abuse "
        "of a position of vulnerability as a situation with 'no real and acceptable "
        "alternative'; the note is not part of Art. 3 and was not retrieved.",
        "UNTOC Art. 34(2) with Protocol Art. 1(2): domestic offences must be established "
        "without a transnational or organised-crime element; Art. 4 limits only the "
        "Protocol's application (cooperation, protection). Not retrieved.",
        "Art. 9(5) asks States to discourage demand; it creates no offence. Not retrieved.",
    ),
    notes=(
        "The scope condition (transnational + organised criminal group) limits where the "
        "Protocol applies between States; it is not an element of the domestic offence.",
    ),
    scope_note="domestic offences need neither (UNTOC Art. 34(2), Protocol Art. 1(2))",
)

COE_2005 = Instrument(
    key="coe_2005",
    short="Council of Europe Convention 2005",
    title="Council of Europe Convention on Action against Trafficking in Human Beings",
    citation="CETS No. 197, Warsaw, 16 May 2005",
    adopted="2005-05-16",
    in_force="2008-02-01",
    term="trafficking in human beings",
    definition_article="Art. 4",
    acts=_PALERMO_ACTS,
    means=tuple(MEANS),
    purposes=_PALERMO_PURPOSES,
    purposes_minimum=True,
    consent_irrelevant_if_means=True,
    consent_covers="intended exploitation",
    child_needs_no_means=True,
    child_below_age=18,
    vulnerability_definition=None,
    victim_definition="any natural person who is subject to trafficking in human beings",
    requires_transnational=False,
    requires_organised_group=False,
    knowing_use_offence="consider",
    articles={
        "acts": "Art. 4(a)",
        "means": "Art. 4(a)",
        "purposes": "Art. 4(a)",
        "consent": "Art. 4(b)",
        "child_rule": "Art. 4(c)",
        "child_age": "Art. 4(d)",
        "victim": "Art. 4(e)",
        "scope": "Art. 2",
        "knowing_use": "Art. 19 (shall consider)",
    },
    quote="any natural person who is subject to trafficking in human beings",
    sources=(
        "https://acse-alc.org/en/features/definition-de-la-traite",
        "https://sherloc.unodc.org/cld/ar/education/tertiary/tip-and-som/module-8/key-issues/"
        "trafficked-persons-as-victims.html",
        "https://anti-thb.org/en/normative-framework/council-of-europe",
        "http://www.worldlii.org/int/other/treaties/COETSER/2005/3.html",
    ),
    unverified=(
        "Art. 4(c) (child: no means) and 4(d) (under eighteen): from knowledge of the text; "
        "the retrieved pages cite 4(b) and 4(e) only.",
        "Art. 19 asks Parties to consider criminalising the knowing use of a victim's services: "
        "from knowledge, not retrieved.",
        "Entry into force 1 February 2008: from knowledge, not retrieved.",
        "The Explanatory Report (para. 83) explains abuse of a position of vulnerability; the "
        "Convention text does not define it. From knowledge.",
    ),
)

EU_2011 = Instrument(
    key="eu_2011",
    short="EU Directive 2011/36/EU",
    title=(
        "Directive 2011/36/EU on preventing and combating trafficking in human beings and "
        "protecting its victims, replacing Council Framework Decision 2002/629/JHA"
    ),
    citation="Directive 2011/36/EU of 5 April 2011, OJ L 101, 15.4.2011, p. 1",
    adopted="2011-04-05",
    in_force="2011-04-15",
    term="trafficking in human beings",
    definition_article="Art. 2",
    acts=(*_PALERMO_ACTS, "exchange_or_transfer_of_control"),
    means=tuple(MEANS),
    purposes=(
        "sexual_exploitation",
        "forced_labour_or_services",
        "begging",
        "slavery_or_similar_practices",
        "servitude",
        "criminal_activities",
        "removal_of_organs",
    ),
    purposes_minimum=True,
    consent_irrelevant_if_means=True,
    consent_covers="intended or actual exploitation",
    child_needs_no_means=True,
    child_below_age=18,
    vulnerability_definition=(
        "a situation in which the person concerned has no real or acceptable alternative but "
        "to submit to the abuse involved"
    ),
    victim_definition=None,
    requires_transnational=False,
    requires_organised_group=False,
    knowing_use_offence="consider",
    articles={
        "acts": "Art. 2(1)",
        "means": "Art. 2(1)",
        "vulnerability": "Art. 2(2)",
        "purposes": "Art. 2(3)",
        "consent": "Art. 2(4)",
        "child_rule": "Art. 2(5)",
        "child_age": "Art. 2(6)",
        "scope": "Art. 2(1) (intentional acts; no cross-border or organised-crime element)",
        "knowing_use": "Art. 18(4) (shall consider)",
    },
    quote="no real or acceptable alternative",
    sources=(
        "https://eur-lex.europa.eu/eli/dir/2011/36",
        "https://www.teamwork-against-trafficking-for-labour-exploitation.nl/introduction/"
        "phenomenon/definition",
        "https://pdfslide.us/documents/key-concepts-ejtn.html",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX%3A52016DC0719",
    ),
    unverified=(
        "Recital 11 says the definition also covers, for instance, illegal adoption or forced "
        "marriage where they fulfil the constitutive elements; from knowledge, not retrieved.",
        "Art. 2(4) speaks of exploitation 'whether intended or actual' (Palermo: intended); "
        "from knowledge of the text.",
    ),
    notes=(
        "Art. 18(4) (Member States shall consider criminalising the knowing use of a victim's "
        "services) is quoted in Commission report COM(2016) 719; NOTES.md's 'not an offence' "
        "is right, but the Directive already asked States to consider one.",
    ),
)


def amend(base: Instrument, **changes) -> Instrument:
    """A new Instrument from `base` with some elements replaced (an amending act)."""
    articles = {**base.articles, **changes.pop("articles", {})}
    return dataclasses.replace(base, amends=base.key, articles=articles, **changes)


EU_2024 = amend(
    EU_2011,
    key="eu_2024",
    short="EU 2011/36 as amended by 2024/1712",
    title="Directive 2011/36/EU as amended by Directive (EU) 2024/1712",
    citation="Directive (EU) 2024/1712 of 13 June 2024, OJ L, 2024/1712, 24.6.2024",
    adopted="2024-06-13",
    in_force="2024-07-14",
    purposes=(*EU_2011.purposes, "surrogacy", "forced_marriage", "illegal_adoption"),
    knowing_use_offence="mandatory",
    articles={"knowing_use": "Art. 18a (mandatory offence)"},
    quote="the exploitation of surrogacy, of forced marriage or of illegal adoption",
    sources=(
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A32024L1712",
        "https://eur-lex.europa.eu/eli/dir/2011/36",
        "https://eucrim.eu/news/new-directive-to-strengthen-anti-human-trafficking",
    ),
    unverified=(
        "Transposition deadline 15 July 2026: from a secondary source and knowledge.",
        "Art. 18a numbering: from the consolidated text as summarised in NOTES.md.",
    ),
    notes=(
        "The new purposes fall under the Directive's existing penalties (maximum of at least "
        "5 years, 10 when aggravated, Art. 4); no separate penalty for the new forms.",
    ),
)

INSTRUMENTS: tuple[Instrument, ...] = (PALERMO_2000, COE_2005, EU_2011, EU_2024)
BY_KEY = {i.key: i for i in INSTRUMENTS}


def instrument(key: str) -> Instrument:
    if key not in BY_KEY:
        raise KeyError(f"unknown instrument {key!r}; known: {list(BY_KEY)}")
    return BY_KEY[key]


# ---------------------------------------------------------------------------------------------
# Comparisons, all computed from the Instrument objects


def differences(before: Instrument, after: Instrument) -> dict[str, dict[str, list[str]]]:
    """Acts, means and purposes that `after` adds to or drops from `before`."""
    out = {}
    for name in ("acts", "means", "purposes"):
        a, b = getattr(before, name), getattr(after, name)
        out[name] = {
            "added": [x for x in b if x not in a],
            "removed": [x for x in a if x not in b],
        }
    return out


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def side_by_side(instruments: Iterable[Instrument] = INSTRUMENTS) -> pd.DataFrame:
    """A readable table: one row per element, one column per instrument."""
    rows: dict[str, dict[str, str]] = {}
    for inst in instruments:
        a = inst.articles
        rows.setdefault("citation", {})[inst.short] = inst.citation
        rows.setdefault("in force", {})[inst.short] = inst.in_force
        rows.setdefault("definition", {})[inst.short] = f"{inst.definition_article}: {inst.term}"
        rows.setdefault("acts", {})[inst.short] = "; ".join(ACTS[x] for x in inst.acts)
        rows.setdefault("means", {})[inst.short] = "; ".join(MEANS[x] for x in inst.means)
        rows.setdefault("purposes", {})[inst.short] = "; ".join(
            PURPOSES[x] for x in inst.purposes
        ) + (" (a minimum: open list)" if inst.purposes_minimum else "")
        rows.setdefault("position of vulnerability", {})[inst.short] = (
            f"defined ({a['vulnerability']}): {inst.vulnerability_definition}"
            if inst.vulnerability_definition
            else "not defined in the text"
        )
        rows.setdefault("consent", {})[inst.short] = (
            f"irrelevant once a means is used, {inst.consent_covers} ({a['consent']})"
        )
        rows.setdefault("child", {})[inst.short] = (
            f"under {inst.child_below_age} ({a['child_age']}); "
            + ("no means needed" if inst.child_needs_no_means else "means needed")
            + f" ({a['child_rule']})"
        )
        rows.setdefault("victim", {})[inst.short] = (
            f"defined ({a['victim']}): {inst.victim_definition}"
            if inst.victim_definition
            else "not defined"
        )
        rows.setdefault("scope", {})[inst.short] = (
            (
                "applies to transnational offences involving an organised criminal group"
                if inst.requires_transnational and inst.requires_organised_group
                else "national or transnational, with or without organised crime"
            )
            + f" ({a['scope']})"
            + (f"; {inst.scope_note}" if inst.scope_note else "")
        )
        rows.setdefault("knowing use of a victim's services", {})[inst.short] = {
            "none": "no offence",
            "consider": "states shall consider an offence",
            "mandatory": "mandatory offence",
        }[inst.knowing_use_offence] + f" ({a['knowing_use']})"
    table = pd.DataFrame(rows).T
    table.index.name = "element"
    return table.astype("string")


# Matrix cell values: 2 = yes, 1 = partly / only "shall consider", 0 = no
def element_matrix(instruments: Iterable[Instrument] = INSTRUMENTS) -> pd.DataFrame:
    """Instruments x elements as 0/1/2 (no / partly / yes); rows are elements, grouped."""
    columns = {}
    for inst in instruments:
        cells: dict[tuple[str, str], int] = {}
        for key, label in ACTS.items():
            cells[("act", label)] = 2 * (key in inst.acts)
        for key, label in MEANS.items():
            cells[("means", label)] = 2 * (key in inst.means)
        for key, label in PURPOSES.items():
            cells[("purpose", label)] = 2 * (key in inst.purposes)
        cells[("rule", "purposes are a minimum (open list)")] = 2 * inst.purposes_minimum
        cells[("rule", "consent irrelevant once means used")] = 2 * inst.consent_irrelevant_if_means
        cells[("rule", "child: no means needed")] = 2 * inst.child_needs_no_means
        cells[("rule", "child = under 18")] = 2 * (inst.child_below_age == 18)
        cells[("defined", "position of vulnerability defined")] = 2 * bool(
            inst.vulnerability_definition
        )
        cells[("defined", "victim defined")] = 2 * bool(inst.victim_definition)
        cells[("scope", "applies only to transnational offences")] = 2 * inst.requires_transnational
        cells[("scope", "applies only with organised criminal group")] = (
            2 * inst.requires_organised_group
        )
        cells[("offence", "knowing use of victim's services")] = KNOWING_USE.index(
            inst.knowing_use_offence
        )
        columns[inst.short] = cells
    matrix = pd.DataFrame(columns)
    matrix.index.names = ["group", "element"]
    return matrix.astype("int64")


# ---------------------------------------------------------------------------------------------
# Mapping dataset categories to each instrument's purposes

MAPPING_FILE = Path(__file__).resolve().parent / "mappings" / "definitions_categories.csv"
MAPPING_COLUMNS = [
    "dataset",
    "category",
    "group",
    "parent",
    "purpose",
    *[i.key for i in INSTRUMENTS],
    "reason",
]
DATASETS = ("ctdc", "glotip")
NO_LISTED_FORM = "no_listed_form"  # CTDC: form group known, but no listed form flagged
GLOTIP_DIMENSION = "by form of exploitation"
GLOTIP_INDICATOR = en.INDICATORS["victims"]
CTDC_FORM_COLUMNS = [
    *victims_schema.EXPLOITATION,
    *victims_schema.LABOUR,
    *victims_schema.SEX,
]


def load_mapping(path: Path = MAPPING_FILE) -> pd.DataFrame:
    """The reviewed mapping, checked: levels, reasons, and `explicit` agreeing with the texts.

    A row may say `explicit` for an instrument only when its `purpose` is in that instrument's
    list, and must say so when it is: the table cannot drift from the encoded articles.
    """
    table = sources.read_csv(path, dtype="string")
    if list(table.columns) != MAPPING_COLUMNS:
        raise DataError(f"{path}: columns should be {MAPPING_COLUMNS}, found {list(table.columns)}")
    problems = []
    row = table.index + 2  # spreadsheet row numbers (header is row 1)
    if table["reason"].isna().any():
        problems.append(f"empty reason in rows {list(row[table['reason'].isna()])}")
    if table.duplicated(["dataset", "category"]).any():
        problems.append(
            f"repeated category in rows {list(row[table.duplicated(['dataset', 'category'])])}"
        )
    if (~table["dataset"].isin(DATASETS)).any():
        problems.append(
            f"dataset not in {DATASETS} in rows {list(row[~table['dataset'].isin(DATASETS)])}"
        )
    bad_purpose = table["purpose"].notna() & ~table["purpose"].isin(list(PURPOSES))
    if bad_purpose.any():
        problems.append(f"unknown purpose in rows {list(row[bad_purpose])}")
    for inst in INSTRUMENTS:
        level = table[inst.key]
        bad = ~level.isin(LEVELS)
        if bad.any():
            problems.append(f"column {inst.key!r}: level not in {LEVELS} in rows {list(row[bad])}")
        named = table["purpose"].isin(list(inst.purposes)).fillna(False)
        disagree = (level == "explicit").fillna(False) != named
        if disagree.any():
            problems.append(
                f"column {inst.key!r}: 'explicit' must hold exactly where the purpose is in "
                f"{inst.definition_article} of {inst.short}; rows {list(row[disagree])}"
            )
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems))
    return table


def levels(mapping: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """category -> level per instrument, for one dataset."""
    part = mapping[mapping["dataset"] == dataset].set_index("category")
    return part[[i.key for i in INSTRUMENTS]]


def ctdc_categories_present(victims: pd.DataFrame) -> list[str]:
    """CTDC form columns with at least one recorded True, plus NO_LISTED_FORM when it occurs."""
    present = [c for c in CTDC_FORM_COLUMNS if victims[c].fillna(False).any()]
    if (form_known(victims) & ~victims[CTDC_FORM_COLUMNS].fillna(False).any(axis=1)).any():
        present.append(NO_LISTED_FORM)
    return present


def glotip_forms(glotip: pd.DataFrame) -> pd.DataFrame:
    return glotip[
        (glotip["dimension"] == GLOTIP_DIMENSION) & (glotip["indicator"] == GLOTIP_INDICATOR)
    ]


def unmapped(
    mapping: pd.DataFrame, victims: pd.DataFrame | None = None, glotip: pd.DataFrame | None = None
) -> dict[str, list[str]]:
    """Categories present in the data that the mapping lacks (empty lists when complete)."""
    out = {}
    if victims is not None:
        known = set(mapping.loc[mapping["dataset"] == "ctdc", "category"])
        out["ctdc"] = [c for c in ctdc_categories_present(victims) if c not in known]
    if glotip is not None:
        known = set(mapping.loc[mapping["dataset"] == "glotip", "category"])
        found = sorted(glotip_forms(glotip)["category"].dropna().unique())
        out["glotip"] = [c for c in found if c not in known]
    return out


def _require_mapped(mapping: pd.DataFrame, **data) -> None:
    missing = {k: v for k, v in unmapped(mapping, **data).items() if v}
    if missing:
        raise DataError(
            f"{MAPPING_FILE.name}: categories in the data without a mapping row: {missing}; "
            "add a reviewed row with a reason for each"
        )


# ---------------------------------------------------------------------------------------------
# CTDC: the most specific recorded form of each record, and its level per instrument


def form_known(victims: pd.DataFrame) -> pd.Series:
    """A record says something about its form: any form flag True, or the form group known."""
    flags = victims[CTDC_FORM_COLUMNS]
    return flags.fillna(False).any(axis=1) | victims[victims_schema.EXPLOITATION].notna().any(
        axis=1
    )


def recorded_forms(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame of the most specific forms recorded per record (mapping categories).

    A parent flag (forced labour, sexual exploitation) gives way to its types when a type is
    flagged: CTDC records begging as a type of forced labour, and the question is whether an
    instrument names begging, not whether it names forced labour.
    """
    ctdc = mapping[mapping["dataset"] == "ctdc"]
    flags = victims[CTDC_FORM_COLUMNS].fillna(False).astype(bool)
    forms = flags.copy()
    for parent, children in ctdc.dropna(subset=["parent"]).groupby("parent")["category"]:
        forms[parent] = forms[parent] & ~flags[list(children)].any(axis=1)
    forms[NO_LISTED_FORM] = form_known(victims) & ~flags.any(axis=1)
    return forms


def record_levels(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Best level per record and instrument (explicit > open_ended > not_covered); <NA> if the
    form is unknown."""
    _require_mapped(mapping, victims=victims)
    forms = recorded_forms(victims, mapping)
    table = levels(mapping, "ctdc").reindex(forms.columns)
    out = {}
    for inst in INSTRUMENTS:
        best = pd.Series(pd.NA, index=victims.index, dtype="string")
        for level in reversed(LEVELS):  # later (better) levels overwrite
            cats = table.index[table[inst.key] == level]
            best = best.mask(forms[list(cats)].any(axis=1), level)
        out[inst.key] = best
    return pd.DataFrame(out)


AGE_GROUPS = vic.AGE_GROUPS  # child (0-17) / adult (18+) / unknown, from is_minor
GROUPING = ["gender", "age_group"]


def ctdc_explicit_shares(
    victims: pd.DataFrame,
    mapping: pd.DataFrame,
    by: list[str] | None = None,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Share of records with a known form whose form each instrument names explicitly.

    One row per release x instrument x group; releases are never added together. Shares and
    Wilson intervals are suppressed where they would reveal a small cell, also by subtraction
    between instruments or groups (`protect_shares`).
    """
    by = list(by or [])
    levels_ = record_levels(victims, mapping)
    frame = victims[["release", "gender"]].assign(
        age_group=pd.Series(vic.age_group(victims), index=victims.index).astype("string")
    )
    rows = []
    for inst in INSTRUMENTS:
        known = levels_[inst.key].notna()
        part = frame[known].assign(explicit=(levels_.loc[known, inst.key] == "explicit"))
        counts = part.groupby(["release", *by], observed=True)["explicit"].agg(["sum", "size"])
        shares = disclosure.suppressed_shares(counts["sum"], counts["size"], threshold)
        rows.append(shares.reset_index().assign(instrument=inst.key))
    out = pd.concat(rows, ignore_index=True)
    out = out.rename(columns={"successes": "explicit", "total": "known_form"})
    out[["explicit", "known_form"]] = out[["explicit", "known_form"]].astype("int64")
    out = protect_shares(out, ["release"], by, "known_form", threshold)
    return out[["release", "instrument", *by, "explicit", "known_form", "share", "lower",
                "upper", "suppressed", "known_form_hidden"]]  # fmt: skip


def protect_shares(
    table: pd.DataFrame, keys: list[str], by: list[str], total: str, threshold: int
) -> pd.DataFrame:
    """Hide shares that subtraction would turn into a small cell, beyond `suppressed_shares`.

    Across instruments: the explicit counts of one release (and group) are nested (each EU text
    names what Palermo names and more), so two shown counts must differ by 0 or at least
    `threshold`, and the last shown count must leave at least `threshold` (or 0) of the total.
    Across groups: each instrument's groups add up to the release's published count, so a
    line with one hidden group hides another (`disclosure.hidden_cells`); group totals likewise.
    """
    out = table.copy()
    hidden = out["suppressed"].astype(bool).copy()
    for _, part in out.groupby([*keys, *by], sort=False):
        shown, previous = [], 0
        for idx, count in part["explicit"].sort_values(kind="stable").items():
            if not hidden[idx] and not disclosure.is_small(count - previous, threshold):
                shown.append(idx)
                previous = count
            hidden[idx] = hidden[idx] or idx not in shown
        while shown and disclosure.is_small(part.at[shown[-1], total] - previous, threshold):
            hidden[shown.pop()] = True
            previous = part.at[shown[-1], "explicit"] if shown else 0
    out[f"{total}_hidden"] = False
    if by:
        for _, part in out.groupby([*keys, "instrument"], sort=False):
            also = hidden[part.index].to_frame("explicit")
            more = disclosure.hidden_cells(part[["explicit"]], threshold, "columns", also=also)
            hidden[part.index] = more["explicit"].to_numpy()
            totals = disclosure.hidden_cells(part[[total]], threshold, "columns")[total]
            out.loc[part.index, f"{total}_hidden"] = totals.to_numpy()
    out["suppressed"] = hidden
    out[["share", "lower", "upper"]] = out[["share", "lower", "upper"]].mask(hidden, axis=0)
    return out


def eu_only_categories(mapping: pd.DataFrame) -> pd.DataFrame:
    """Mapping rows named explicitly by an EU text but by neither Palermo nor the CoE."""
    un_coe = (mapping[PALERMO_2000.key] == "explicit") | (mapping[COE_2005.key] == "explicit")
    eu = (mapping[EU_2011.key] == "explicit") | (mapping[EU_2024.key] == "explicit")
    part = mapping[eu & ~un_coe].copy()
    part["first_explicit_in"] = part[EU_2011.key].map({"explicit": EU_2011.key}).fillna(EU_2024.key)
    return part


def eu_purposes_without_data(mapping: pd.DataFrame) -> list[str]:
    """Purposes the EU texts add to Palermo that no dataset category records."""
    added = differences(PALERMO_2000, EU_2024)["purposes"]["added"]
    return [p for p in added if p not in set(mapping["purpose"].dropna())]


def eu_only_counts(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Per release and EU-only category: records flagged, and records explicit only under EU.

    `only_eu_explicit` counts records that no Palermo/CoE purpose names explicitly but the EU
    text does, because of this category.
    """
    _require_mapped(mapping, victims=victims)
    extra = eu_only_categories(mapping)
    extra = extra[extra["dataset"] == "ctdc"]
    forms = recorded_forms(victims, mapping)
    lv = record_levels(victims, mapping)
    not_un = lv[PALERMO_2000.key] != "explicit"
    rows = []
    for release, idx in victims.groupby("release", observed=True).groups.items():
        for cat in extra.itertuples():
            available = victims.loc[idx, cat.category].notna().any()
            rows.append(
                {
                    "release": release,
                    "category": cat.category,
                    "purpose": cat.purpose,
                    "first_explicit_in": cat.first_explicit_in,
                    "recorded_in_release": bool(available),
                    "flagged": int(victims.loc[idx, cat.category].fillna(False).sum()),
                    "only_eu_explicit": int((forms.loc[idx, cat.category] & not_un[idx]).sum()),
                    "records": len(idx),
                }
            )
    return pd.DataFrame(rows)


def _share(successes: int, total: int, threshold: int) -> dict:
    ci = proportions.proportion_ci([successes], [total]).iloc[0]
    return disclosure.share_record(
        successes, total, ci["share"], ci["lower"], ci["upper"], threshold
    )


def minors_and_means(
    victims: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Per release: share of minors, and share of records with no means of control recorded.

    Minors: at registration (`is_minor`) and when exploitation began (`is_minor_at_exploit`,
    closer to the child rule, which looks at the age at the time of the act), each among
    records where it is known. Means: CTDC's 'means of control' and abduction are the closest
    the data come to the legal means; a release without them has the share left empty.
    """
    means_cols = [*victims_schema.CONTROL, *victims_schema.STANDALONE]
    means_flagged = victims[means_cols].fillna(False).any(axis=1)
    rows = []
    for release, part in victims.groupby("release", observed=True):
        row: dict = {"release": release, "records": len(part)}
        for name, column in (("minor", "is_minor"), ("minor_at_exploit", "is_minor_at_exploit")):
            known = part[column].notna()
            share = _share(int(part.loc[known, column].sum()), int(known.sum()), threshold)
            row.update({f"{name}_{k}": v for k, v in share.items()})
        in_release = bool(part[means_cols].notna().any().any())
        none = int((~means_flagged[part.index]).sum())
        share = _share(none, len(part), threshold)
        if not in_release:
            share = {**share, "count": None, "share": None, "lower": None, "upper": None,
                     "suppressed": False}  # fmt: skip
        row["means_in_release"] = in_release
        row.update({f"no_means_{k}": v for k, v in share.items()})
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# GLOTIP: detected victims by form of exploitation

GLOTIP_SEX = {"Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown"}
GLOTIP_AGE = dict(zip(["0 to 17 years", "18 years or over", "Unknown"], AGE_GROUPS, strict=True))


def glotip_complete_groups(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Form rows of one vintage, kept only where a country-year-sex-age group publishes every
    form: a missing form may be a zero or an unreported form, and the export cannot tell."""
    forms = glotip_forms(glotip)
    forms = forms[forms["vintage"] == vintage]
    if forms.empty:
        raise DataError(
            f"glotip: no rows for vintage {vintage!r} in dimension {GLOTIP_DIMENSION!r}"
        )
    n_forms = forms["category"].nunique()
    key = ["iso3", "year", "sex", "age"]
    complete = forms.groupby(key)["category"].transform("nunique") == n_forms
    return forms[complete]


def glotip_explicit_shares(
    glotip: pd.DataFrame,
    mapping: pd.DataFrame,
    vintage: str,
    by: list[str] | None = None,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Share of GLOTIP detected victims whose form each instrument names explicitly.

    Without `by`: the sex Total / age Total rows; with `by` (gender, age_group): the
    disaggregated rows. Suppressed cells (`<5`) are left out of both numerator and
    denominator and counted in `suppressed_cells`.
    """
    _require_mapped(mapping, glotip=glotip)
    by = list(by or [])
    rows = glotip_complete_groups(glotip, vintage)
    if by:
        rows = rows[(rows["sex"] != "Total") & (rows["age"] != "Total")]
    else:
        rows = rows[(rows["sex"] == "Total") & (rows["age"] == "Total")]
    rows = rows.assign(
        gender=rows["sex"].map(GLOTIP_SEX).astype("string"),
        age_group=rows["age"].map(GLOTIP_AGE).astype("string"),
        value=rows["value"].fillna(0).astype("int64"),
        suppressed_cell=rows["is_suppressed"].fillna(False).astype("int64"),
    )
    table = levels(mapping, "glotip")
    out = []
    for inst in INSTRUMENTS:
        explicit = rows["category"].map(table[inst.key]).eq("explicit").fillna(False)
        part = rows.assign(explicit_value=rows["value"].where(explicit, 0))
        keys = by or (lambda _: "all")
        counts = part.groupby(keys).agg(
            explicit=("explicit_value", "sum"),
            victims=("value", "sum"),
            suppressed_cells=("suppressed_cell", "sum"),
        )
        shares = disclosure.suppressed_shares(counts["explicit"], counts["victims"], threshold)
        shares["suppressed_cells"] = counts["suppressed_cells"]
        frame = shares.reset_index() if by else shares.reset_index(drop=True)
        out.append(frame.assign(instrument=inst.key, vintage=vintage))
    result = pd.concat(out, ignore_index=True)
    result = result.rename(columns={"successes": "explicit", "total": "victims"})
    result[["explicit", "victims"]] = result[["explicit", "victims"]].astype("int64")
    result = protect_shares(result, ["vintage"], by, "victims", threshold)
    return result[["vintage", "instrument", *by, "explicit", "victims", "share", "lower", "upper",
                   "suppressed", "suppressed_cells", "victims_hidden"]]  # fmt: skip


def glotip_form_totals(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Detected victims and country-years per form (sex Total, age Total), complete groups only."""
    rows = glotip_complete_groups(glotip, vintage)
    rows = rows[(rows["sex"] == "Total") & (rows["age"] == "Total")]
    totals = rows.groupby("category").agg(
        victims=("value", lambda s: int(s.fillna(0).sum())),
        country_years=("iso3", "size"),
    )
    return totals


def level_counts(mapping: pd.DataFrame) -> pd.DataFrame:
    """Rows of the mapping at each level, per dataset and instrument."""
    long = mapping.melt(
        id_vars=["dataset", "category"],
        value_vars=[i.key for i in INSTRUMENTS],
        var_name="instrument",
        value_name="level",
    )
    counts = long.groupby(["dataset", "instrument", "level"]).size().unstack(fill_value=0)
    return counts.reindex(columns=list(LEVELS), fill_value=0)


MATRIX_VALUES = {0: "no", 1: "consider", 2: "yes"}


def plot_element_matrix(matrix: pd.DataFrame, source: str):
    """Instruments x elements as a labelled grid (deterministic: no randomness, fixed order)."""
    from matplotlib.colors import ListedColormap

    from analysis.publish import plots

    fig, ax = plots.figure(width=10, height=0.28 * len(matrix) + 1.8)
    colours = ListedColormap(["#f2f2f2", "#f4c27a", "#3b7dbf"])
    ax.imshow(matrix.to_numpy(), cmap=colours, vmin=0, vmax=2, aspect="auto")
    for (i, j), value in pd.DataFrame(matrix.to_numpy()).stack().items():
        colour = "white" if value == 2 else "#333333"
        ax.text(j, i, MATRIX_VALUES[int(value)], ha="center", va="center", fontsize=7.5,
                color=colour)  # fmt: skip
    ax.set_xticks(range(matrix.shape[1]), [c.replace(" ", "\n", 2) for c in matrix.columns],
                  fontsize=8)  # fmt: skip
    ax.set_yticks(range(len(matrix)), [f"{g}: {e}" for g, e in matrix.index], fontsize=8)
    ax.grid(False)
    groups = matrix.index.get_level_values("group")
    for i in range(1, len(groups)):
        if groups[i] != groups[i - 1]:
            ax.axhline(i - 0.5, color="#555555", linewidth=0.8)
    plots.finish(fig, ax, title="Trafficking definitions, element by element",
                 xlabel="instrument", ylabel="element of the definition",
                 source=source)  # fmt: skip
    return fig


def share_text(
    table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD, prefix: str = ""
) -> pd.Series:
    """'93.7% (93.3–94.1)' per row from columns share/lower/upper (or `<prefix>_share`, ...);
    'suppressed (<threshold)' where the share would reveal a small cell; '' without a share."""
    name = (lambda c: f"{prefix}_{c}") if prefix else (lambda c: c)
    columns = [pd.to_numeric(table[name(c)]).astype(float) for c in ("share", "lower", "upper")]
    text = pd.Series([disclosure.share_text(*r, hidden="") for r in zip(*columns, strict=True)],
                     index=table.index, dtype="string")  # fmt: skip
    if name("suppressed") in table:
        hidden = table[name("suppressed")].fillna(False).astype(bool)
        text = text.mask(hidden, f"suppressed (<{threshold})")
    return text


def results_shares(
    table: pd.DataFrame, keys: list[str], threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict:
    """Nested {key: ... {instrument: disclosure.share_record}} for results JSON: `count` is the
    explicit count, `total` the records (or victims) with a known form; None where hidden."""
    total = "known_form" if "known_form" in table else "victims"
    out: dict = {}
    for row in table.to_dict("records"):
        node = out
        for key in keys:
            node = node.setdefault(str(row[key]), {})
        numbers = [row[c] for c in ("explicit", total, "share", "lower", "upper")]
        record = disclosure.share_record(*numbers, threshold, hidden=bool(row["suppressed"]))
        if row.get(f"{total}_hidden"):
            record["total"] = None
        node[row["instrument"]] = record
    return out


def count_text(counts: pd.Series, hidden: pd.Series, threshold: int) -> pd.Series:
    """Counts as shown: '<threshold' for a small cell, '(s)' for one hidden to protect it."""
    small = disclosure.is_small(counts, threshold)
    return disclosure.suppress(counts, threshold).mask(hidden.astype(bool) & ~small, "(s)")


def _explicit_text(part: pd.DataFrame, key: str) -> str:
    hidden = part.at[key, "suppressed"]
    return "a suppressed number" if hidden else f"{int(part.at[key, 'explicit']):,}"


def _gain_text(part: pd.DataFrame, before: str, after: str, threshold: int) -> str:
    diff = int(part.at[after, "explicit"] - part.at[before, "explicit"])
    if disclosure.is_small(diff, threshold):
        return f"+fewer than {threshold}"
    if part.at[before, "suppressed"] or part.at[after, "suppressed"]:
        return "gain suppressed"
    return f"+{diff:,}"


def gains_text(shares: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD) -> list[str]:
    """Per release: records named explicitly by Palermo/CoE, EU 2011 and EU 2024, and the gain
    of each EU text. A gain of 1 to threshold - 1 reads 'fewer than N'; a count whose share is
    suppressed is not given, nor a gain that would reveal it."""
    un, eu11, eu24 = PALERMO_2000.key, EU_2011.key, EU_2024.key
    lines = []
    for release, part in shares.groupby("release", sort=True):
        part = part.set_index("instrument")
        known = disclosure.suppress(part["known_form"].iloc[:1], threshold).iloc[0]
        lines.append(
            f"- **{release}**: {known} records with a known form; named explicitly by "
            f"Palermo/CoE {_explicit_text(part, un)}, by EU 2011 {_explicit_text(part, eu11)} "
            f"({_gain_text(part, un, eu11, threshold)}), by EU 2024 "
            f"{_explicit_text(part, eu24)} ({_gain_text(part, eu11, eu24, threshold)})."
        )
    return lines


def eu_only_published(eu_only: pd.DataFrame, threshold: int) -> tuple[pd.DataFrame, dict]:
    """`eu_only_counts` as a display table and a results record under one rule.

    The only-EU counts of the categories one EU text adds sum to that text's gain over the
    previous one (published), so each release x text is a line for secondary suppression.
    """
    hidden = pd.Series(False, index=eu_only.index)
    for _, part in eu_only.groupby(["release", "first_explicit_in"], sort=False):
        cells = disclosure.hidden_cells(part[["only_eu_explicit"]], threshold, "columns")
        hidden[part.index] = cells["only_eu_explicit"].to_numpy()
    text = eu_only.assign(
        flagged=disclosure.suppress(eu_only["flagged"], threshold),
        only_eu_explicit=count_text(eu_only["only_eu_explicit"], hidden, threshold),
        records=disclosure.suppress(eu_only["records"], threshold),
    )
    shown = eu_only.assign(
        flagged=eu_only["flagged"].mask(disclosure.is_small(eu_only["flagged"], threshold)),
        only_eu_explicit=eu_only["only_eu_explicit"].mask(hidden),
    )
    record = {
        release: {
            r.category: {
                "flagged": None if pd.isna(r.flagged) else int(r.flagged),
                "only_eu_explicit": None
                if pd.isna(r.only_eu_explicit)
                else int(r.only_eu_explicit),
            }  # fmt: skip
            for r in part.itertuples()
        }
        for release, part in shown.groupby("release")
    }
    return text, record


def plot_shares(shares: pd.DataFrame, source: str):
    """Explicit share per release (rows) and instrument (markers), with Wilson intervals."""
    from analysis.publish import plots

    fig, ax = plots.figure(width=10, height=3.8)
    releases = sorted(shares["release"].unique())
    offsets = {inst.key: (k - 1.5) * 0.15 for k, inst in enumerate(INSTRUMENTS)}
    markers = dict(zip([i.key for i in INSTRUMENTS], ["o", "s", "^", "D"], strict=True))
    for inst in INSTRUMENTS:
        part = shares[shares["instrument"] == inst.key].set_index("release").reindex(releases)
        y = [r + offsets[inst.key] for r in range(len(releases))]
        err = [100 * (part["share"] - part["lower"]), 100 * (part["upper"] - part["share"])]
        ax.errorbar(100 * part["share"], y, xerr=err, fmt=markers[inst.key], label=inst.short,
                    capsize=2, markersize=5)  # fmt: skip
    ax.set_yticks(range(len(releases)), releases)
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=True)
    plots.finish(fig, ax, title="Records whose recorded form the instrument names explicitly",
                 xlabel="share of records with a known form (%, 95% Wilson interval)",
                 ylabel="CTDC release", source=source)  # fmt: skip
    return fig
