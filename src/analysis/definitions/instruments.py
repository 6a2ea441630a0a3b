"""The legal definitions of trafficking as data, and the comparisons derived from them.

The Palermo Protocol, the Council of Europe Convention, Framework Decision 2002/629/JHA and
Directive 2011/36/EU, each one `Instrument`; the Directive as amended by 2024/1712 is built by
`amend`, so what 2024/1712 changed is computed, never typed twice. Wording is paraphrased;
points resting on knowledge rather than a retrieved text are in each instrument's `unverified`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

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
ELEMENTS = {"acts": ACTS, "means": MEANS, "purposes": PURPOSES}  # the lists of every text
KNOWING_USE = {  # criminalising knowing use of services
    "none": "no offence",
    "consider": "states shall consider an offence",
    "mandatory": "mandatory offence",
}
# Whether the purposes are a minimum (an open list): for none, for some ("including at least"
# for labour only, as in the Framework Decision), or for all.
OPEN_LIST = ("no", "partly", "yes")
OPEN_LIST_NOTE = {"no": "", "partly": " (labour purposes a minimum: 'including at least')",
                  "yes": " (a minimum: open list)"}  # fmt: skip


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
    purposes_minimum: str  # one of OPEN_LIST: "at a minimum" / "as a minimum" (yes), for some
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
        rules = {"purposes_minimum": OPEN_LIST, "knowing_use_offence": KNOWING_USE}
        for name, vocabulary in (ELEMENTS | rules).items():
            value = getattr(self, name)
            unknown = set(value if isinstance(value, tuple) else [value]) - set(vocabulary)
            if unknown:
                raise ValueError(f"{self.key}: unknown {name} {sorted(unknown)}")


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
    purposes_minimum="yes",
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
    purposes_minimum="yes",
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

FRAMEWORK_2002 = Instrument(
    key="fd_2002",
    short="EU Framework Decision 2002/629/JHA",
    title="Council Framework Decision of 19 July 2002 on combating trafficking in human beings",
    citation="Council Framework Decision 2002/629/JHA, OJ L 203, 1.8.2002, p. 1 (CELEX 32002F0629)",
    adopted="2002-07-19",
    in_force="2002-08-01",
    term="trafficking in human beings",
    definition_article="Art. 1",
    acts=(*_PALERMO_ACTS, "exchange_or_transfer_of_control"),
    means=tuple(MEANS),
    purposes=(
        "forced_labour_or_services",
        "slavery_or_similar_practices",
        "servitude",
        "sexual_exploitation",
    ),
    purposes_minimum="partly",  # labour or services "including at least" three kinds; sexual
    consent_irrelevant_if_means=True,
    consent_covers="intended or actual exploitation",
    child_needs_no_means=True,
    child_below_age=18,
    vulnerability_definition=(
        "abuse of authority or of a position of vulnerability, such that the person has no real "
        "and acceptable alternative but to submit to the abuse involved"
    ),
    victim_definition=None,
    requires_transnational=False,
    requires_organised_group=False,
    knowing_use_offence="none",
    articles={
        "acts": "Art. 1(1)",
        "means": "Art. 1(1)(a)-(d)",
        "purposes": "Art. 1(1)",
        "vulnerability": "Art. 1(1)(c)",
        "consent": "Art. 1(2)",
        "child_rule": "Art. 1(3)",
        "child_age": "Art. 1(4)",
        "scope": "Art. 1",
        "knowing_use": "no provision",
    },
    quote="no real and acceptable alternative",
    sources=(
        "https://parlementairemonitor.nl/9353000/1/j9tvgajcor7dxyk_j9vvij5epmj1ey0/vitgbgib41zl",
        "http://eur-lex.europa.eu/legal-content/SK/TXT/?uri=URISERV:l33137&print=true",
        "http://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A52009PC0136",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A52010PC0095&print=true",
    ),
    unverified=(
        "Its acts, means and purposes follow the EUR-Lex summary and the legislative record, "
        "not a full copy of the Official Journal text.",
    ),
    notes=(
        "in effect from 1 August 2002 until 14 April 2011, when Directive 2011/36/EU replaced it",
        "the Commission proposed a new framework decision on 25 March 2009 (COM(2009) 136); the "
        "Lisbon Treaty ended that form, and the text was re-tabled as a directive proposal on "
        "29 March 2010 (COM(2010) 95), adopted as Directive 2011/36/EU",
        "its purposes also name pornography, as a form of sexual exploitation",
    ),
    scope_note="the EU text in force in 2009",
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
    purposes_minimum="yes",
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
        "services) is quoted in Commission report COM(2016) 719: the knowing use was not an "
        "offence under the Directive, but Member States were already asked to consider one.",
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
    articles={
        "knowing_use": "Art. 18a (mandatory offence)",
        "child_rule": "Art. 2(5); amended as regards the exploitation of surrogacy, not encoded",
    },
    quote="the exploitation of surrogacy, of forced marriage or of illegal adoption",
    sources=(
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A32024L1712",
        "https://eur-lex.europa.eu/eli/dir/2011/36",
        "https://eucrim.eu/news/new-directive-to-strengthen-anti-human-trafficking",
    ),
    unverified=(
        "Transposition deadline 15 July 2026: from a secondary source and knowledge.",
        "Art. 18a numbering: from a summary of the consolidated text, not the text itself.",
        "The child rule, Art. 2(5), was amended too, as regards the exploitation of surrogacy: "
        "as read in another language version and in a commentary, exploitation of surrogacy is "
        "trafficking without any means only where the surrogate mother is a child. The exact "
        "English wording has not been checked, so this comparison keeps the 2011 child rule.",
    ),
    notes=(
        "The new purposes fall under the Directive's existing penalties (maximum of at least "
        "5 years, 10 when aggravated, Art. 4); no separate penalty for the new forms.",
    ),
)

INSTRUMENTS: tuple[Instrument, ...] = (PALERMO_2000, COE_2005, EU_2011, EU_2024)
# The five texts the definitions report compares side by side; its shares stay on INSTRUMENTS.
COMPARED: tuple[Instrument, ...] = (FRAMEWORK_2002, *INSTRUMENTS)

# ---------------------------------------------------------------------------------------------
# Comparisons, all computed from the Instrument objects


def differences(before: Instrument, after: Instrument) -> dict[str, dict[str, list[str]]]:
    """Acts, means and purposes that `after` adds to or drops from `before`."""
    out = {}
    for name in ELEMENTS:
        a, b = getattr(before, name), getattr(after, name)
        out[name] = {"added": [x for x in b if x not in a], "removed": [x for x in a if x not in b]}
    return out


def purposes_against(inst: Instrument, others: Iterable[Instrument]) -> dict[str, list[str]]:
    """The purposes `inst` names that none of `others` names ("only_here"), and those every one
    of `others` names but `inst` does not ("missing")."""
    others = list(others)
    named = [set(o.purposes) for o in others]
    return {
        "only_here": [x for x in inst.purposes if not any(x in n for n in named)],
        "missing": [x for x in PURPOSES if all(x in n for n in named) and x not in inst.purposes],
    }


def widening(
    before: Instrument, after: Instrument, references: Iterable[Instrument]
) -> pd.DataFrame:
    """What `after` adds to `before` (acts, means, purposes; an open list of purposes), one row
    per addition, with whether each of `references` already names it (True/False)."""
    references = list(references)
    rows = []
    for kind, change in differences(before, after).items():
        for key in change["added"]:
            named = {r.key: key in getattr(r, kind) for r in references}
            rows.append({"kind": kind, "element": key, "label": ELEMENTS[kind][key], **named})
    if after.purposes_minimum == "yes" and before.purposes_minimum != "yes":
        named = {r.key: r.purposes_minimum == "yes" for r in references}
        label = "purposes as a minimum (an open list)"
        if before.purposes_minimum == "partly":
            label += (
                " for every purpose, where the labour purposes already read 'including at least'"
            )
        rows.append({"kind": "rule", "element": "purposes_minimum", "label": label, **named})
    return pd.DataFrame(rows, columns=["kind", "element", "label", *(r.key for r in references)])


def _column(inst: Instrument) -> dict[str, str]:
    """One instrument's column of `side_by_side`."""
    a = inst.articles
    scope = (
        "applies to transnational offences involving an organised criminal group"
        if inst.requires_transnational and inst.requires_organised_group
        else "national or transnational, with or without organised crime"
    )
    return {
        "citation": inst.citation,
        "in force": inst.in_force,
        "definition": f"{inst.definition_article}: {inst.term}",
        "acts": "; ".join(ACTS[x] for x in inst.acts),
        "means": "; ".join(MEANS[x] for x in inst.means),
        "purposes": "; ".join(PURPOSES[x] for x in inst.purposes)
        + OPEN_LIST_NOTE[inst.purposes_minimum],
        "position of vulnerability": f"defined ({a['vulnerability']}): "
        f"{inst.vulnerability_definition}"
        if inst.vulnerability_definition
        else "not defined in the text",
        "consent": f"irrelevant once a means is used, {inst.consent_covers} ({a['consent']})",
        "child": f"under {inst.child_below_age} ({a['child_age']}); "
        + ("no means needed" if inst.child_needs_no_means else "means needed")
        + f" ({a['child_rule']})",
        "victim": f"defined ({a['victim']}): {inst.victim_definition}"
        if inst.victim_definition
        else "not defined",
        "scope": f"{scope} ({a['scope']})" + (f"; {inst.scope_note}" if inst.scope_note else ""),
        "knowing use of a victim's services": f"{KNOWING_USE[inst.knowing_use_offence]} "
        f"({a['knowing_use']})",
    }


def side_by_side(instruments: Iterable[Instrument] = INSTRUMENTS) -> pd.DataFrame:
    """A readable table: one row per element, one column per instrument."""
    table = pd.DataFrame({inst.short: _column(inst) for inst in instruments})
    table.index.name = "element"
    return table.astype("string")


def element_matrix(instruments: Iterable[Instrument] = INSTRUMENTS) -> pd.DataFrame:
    """Instruments x elements as 0 (no), 1 (partly, or only "shall consider"), 2 (yes)."""
    lists = (("act", "acts", ACTS), ("means", "means", MEANS), ("purpose", "purposes", PURPOSES))
    columns = {}
    for inst in instruments:
        columns[inst.short] = {
            **{
                (group, label): 2 * (key in getattr(inst, name))
                for group, name, vocabulary in lists
                for key, label in vocabulary.items()
            },
            ("rule", "purposes are a minimum (open list)"): OPEN_LIST.index(inst.purposes_minimum),
            ("rule", "consent irrelevant once means used"): 2 * inst.consent_irrelevant_if_means,
            ("rule", "child: no means needed"): 2 * inst.child_needs_no_means,
            ("rule", "child = under 18"): 2 * (inst.child_below_age == 18),
            ("defined", "position of vulnerability defined"): 2
            * bool(inst.vulnerability_definition),
            ("defined", "victim defined"): 2 * bool(inst.victim_definition),
            ("scope", "applies only to transnational offences"): 2 * inst.requires_transnational,
            ("scope", "applies only with organised criminal group"): 2
            * inst.requires_organised_group,
            ("offence", "knowing use of victim's services"): list(KNOWING_USE).index(
                inst.knowing_use_offence
            ),
        }
    matrix = pd.DataFrame(columns)
    matrix.index.names = ["group", "element"]
    return matrix.astype("int64")
