"""The legal definitions of trafficking as data (`instruments.toml`, one table per text, with
the pages read), and the comparisons derived from them.

The Palermo Protocol, the Council of Europe Convention, Framework Decision 2002/629/JHA and
Directive 2011/36/EU, each one `Instrument`; the Directive as amended by 2024/1712 is built by
`amend` from what the data file says 2024/1712 changed, so that is computed, never typed twice.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data.errors import DataError

DATA_FILE = Path(__file__).with_suffix(".toml")
_VOCABULARY = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))["vocabulary"]
# keys are stable; labels are for tables and figures
ACTS: dict[str, str] = _VOCABULARY["acts"]
MEANS: dict[str, str] = _VOCABULARY["means"]
PURPOSES: dict[str, str] = _VOCABULARY["purposes"]
ELEMENTS = {"acts": ACTS, "means": MEANS, "purposes": PURPOSES}  # the lists of every text
KNOWING_USE: dict[str, str] = _VOCABULARY["knowing_use"]  # knowing use of a victim's services
# Whether the purposes are a minimum (an open list): "no", "partly" (for labour only, as in the
# Framework Decision) or "yes"; and what the side-by-side table adds to the list.
OPEN_LIST_NOTE: dict[str, str] = _VOCABULARY["purposes_minimum"]
OPEN_LIST = tuple(OPEN_LIST_NOTE)


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
    purposes_minimum: str  # one of OPEN_LIST
    consent_irrelevant_if_means: bool
    consent_covers: str  # which exploitation the consent rule speaks of
    child_needs_no_means: bool
    child_below_age: int
    requires_transnational: bool  # for the instrument to apply
    requires_organised_group: bool
    knowing_use_offence: str  # one of KNOWING_USE
    articles: Mapping[str, str]  # element -> article reference
    quote: str
    sources: tuple[str, ...]  # page addresses read (see shared/data/definitions/NOTES.md)
    vulnerability_definition: str | None = None  # None: the text does not define the phrase
    victim_definition: str | None = None
    unverified: tuple[Mapping[str, str], ...] = ()  # {point, basis}: not from a retrieved text
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


def amend(base: Instrument, **changes) -> Instrument:
    """A new Instrument from `base` with some elements replaced (an amending act)."""
    articles = {**base.articles, **changes.pop("articles", {})}
    return dataclasses.replace(base, amends=base.key, articles=articles, **changes)


def load(path: Path = DATA_FILE) -> dict[str, Instrument]:
    """The instruments of the data file by key. An amending act (`amends`) gives only what it
    changes, and `adds_purposes` extends the purposes of the text it amends."""
    found: dict[str, Instrument] = {}
    for key, table in tomllib.loads(path.read_text(encoding="utf-8"))["instrument"].items():
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
        try:
            if "amends" in fields:
                base = found[fields.pop("amends")]
                added = fields.pop("adds_purposes", ())
                found[key] = amend(base, key=key, purposes=(*base.purposes, *added), **fields)
            else:
                found[key] = Instrument(key=key, **fields)
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"{path}: instrument {key!r}: {error}") from error
    return found


_LOADED = load()
FRAMEWORK_2002, PALERMO_2000, COE_2005, EU_2011, EU_2024 = (
    _LOADED[k] for k in ("fd_2002", "palermo_2000", "coe_2005", "eu_2011", "eu_2024")
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
