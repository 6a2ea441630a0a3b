"""An outside attack on the disclosure control of a run folder's country profiles.

A reader of a run folder sees, per CTDC release, the same unknown count "citizens of A
exploited in B" in several places: A's destinations table, B's origins table, the ranked
tables, the totals a profile states (`records_by_release`), the map classes, the shares of
the top places, and the release's whole citizenship x exploitation grid (`05_release`).
A table shows a cell as a number, `<10` (1..9), `(s)` (at least 10) or `–` (0); some rows
are sums ("other countries (N)"), totals or intervals. This module writes all of them down
as one system of linear constraints per release and asks `scipy.optimize.linprog` (HiGHS)
for the least and the greatest value of every hidden cell. A small cell is given away when
its range no longer holds all of 1..9 (unless it lies in a sum published as `<10`, which
may keep it below 9), a `(s)` cell when its range is a single value.

It is independent of the project's own audit on purpose: it imports nothing from
`analysis.run.audit`, `analysis.publish.disclosure` or `analysis.publish.bounds`, and reads
only what a reader gets: the CSV tables, the results JSON and the grid records of
`results/05_release.tables.json`. The profiles' own `*.tables.json` records serve only to
learn which ISO3 codes a profile's rows (and its "other countries" rows) stand for; their
numbers are not used. Not attacked: the breakdowns by form, gender and year, the rounded
percentages of the ranked tables and the numbers in the prose of the summary.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from analysis.data.releases import CTDC
from analysis.profiles import country_name

UNKNOWN = "unknown"
OTHER = "other countries"
EACH_SMALL = "in every release"  # the comparison's "other" row: each of its places is small
TOLERANCE = 1e-6
THRESHOLD = 10  # when a results file does not state its `min_cell`
GRID = "05_release grid"  # how a fact from the release grid names its source
RELEASE_BY_LABEL = {release.label: name for name, release in CTDC.items()}
# role -> (the dimension a profile fixes to its country, the one its rows name)
ROLES = {
    "destinations": ("citizenship", "exploitation"),
    "origins": ("exploitation", "citizenship"),
}

Cell = tuple[str, str]  # (citizenship, place of exploitation)


# --- What one published number says -------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One published number: the sum of `cells` in `release` lies in [low, high]. A cell fact
    (`is_cell`) shows one cell; `kind` says how it read ('exact', 'small', 'hidden', 'zero',
    'range', 'withheld')."""

    release: str
    cells: tuple[Cell, ...]
    kind: str
    low: float
    high: float
    source: str
    is_cell: bool = True


def reading(text: str, threshold: int, is_cell: bool = True) -> tuple[str, float, float]:
    """(kind, low, high) of a cell or a sum as a table or a sentence shows it. `(s)` on a cell
    is a secondary suppression (neither small nor zero); on a sum it only says 'withheld'."""
    text = str(text).strip()
    number = r"\d[\d,]*"
    if text in {"–", "-", "0"}:
        return "zero", 0, 0
    if text in {f"<{threshold}", f"fewer than {threshold}"}:
        return "small", 1, threshold - 1
    if text == "(s)":
        return ("hidden", threshold, math.inf) if is_cell else ("withheld", 0, math.inf)
    if text == "an undisclosed number":
        return "withheld", 0, math.inf
    if re.fullmatch(number, text):
        value = int(text.replace(",", ""))
        return "exact", value, value
    if m := re.fullmatch(rf"({number})\s*[–-]\s*({number})", text):
        return "range", int(m[1].replace(",", "")), int(m[2].replace(",", ""))
    if m := re.fullmatch(rf"({number}) or more", text):
        return "range", int(m[1].replace(",", "")), math.inf
    raise ValueError(f"cannot read {text!r} as a count")


def fact(release, cells, text, threshold, source, is_cell=True) -> Fact:
    kind, low, high = reading(text, threshold, is_cell)
    return Fact(release, tuple(cells), kind, low, high, source, is_cell)


# --- The release grid (05_release) ----------------------------------------------------------------


def release_of(record: dict) -> str:
    """The CTDC release a record's population names ('CTDC synthetic_2021: ...')."""
    found = re.match(r"CTDC (\S+?):", record.get("population", ""))
    if not found or found[1] not in CTDC:
        raise ValueError(f"no CTDC release in {record.get('population')!r}")
    return found[1]


def read_grids(run: Path) -> dict[str, dict]:
    """Each release's citizenship x exploitation record of `05_release`, when published."""
    path = run / "results" / "05_release.tables.json"
    if not path.exists():
        return {}
    records = json.loads(path.read_text())["tables"]
    grids = [r for r in records if r["dims"] == ["citizenship", "exploitation"]]
    return {release_of(r): r for r in grids}


def grid_facts(release: str, grid: dict) -> list[Fact]:
    """A grid's cells and its sums (all of its cells matching the sum's pattern)."""
    threshold = grid.get("threshold", THRESHOLD)
    cells = [tuple(c["key"]) for c in grid["cells"]]
    source = f"{GRID} ({release})"
    facts = [fact(release, [tuple(c["key"])], c["shown"], threshold, source) for c in grid["cells"]]
    for total in grid["sums"]:
        pattern = total["of"]
        members = [
            cell
            for cell in cells
            if all(
                cell[("citizenship", "exploitation").index(dim)] in codes
                for dim, codes in pattern.items()
            )
        ]
        facts.append(
            fact(
                release,
                members,
                total["shown"],
                threshold,
                f"{source} sum {pattern}",
                is_cell=False,
            )
        )
    return facts


def absent_from_grid(release: str, grid: dict, cells: set[Cell]) -> list[Fact]:
    """The grid lists every cell with records: a cell it leaves out is 0."""
    listed = {tuple(c["key"]) for c in grid["cells"]}
    return [
        Fact(release, (cell,), "zero", 0, 0, "absent from the 05_release grid", False)
        for cell in sorted(cells - listed)
    ]


# --- A country profile ----------------------------------------------------------------------------


def cell_of(role: str, iso3: str, place: str) -> Cell:
    return (iso3, place) if role == "destinations" else (place, iso3)


def place_name(code: str, iso3: str, role: str) -> str:
    """A place as the profile's tables name it."""
    if code == UNKNOWN:
        return "place of exploitation unknown" if role == "destinations" else "citizenship unknown"
    if code == iso3:
        where = "within the country" if role == "destinations" else "the country's own citizens"
        return f"{country_name(code)} ({where})"
    return country_name(code)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV table ([], [] when it is missing or empty)."""
    if not path.exists():
        return [], []
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    return (rows[0], rows[1:]) if rows else ([], [])


@dataclass
class Profile:
    """What one country profile publishes, and the codes of the places it may name."""

    iso3: str
    run: Path
    results: dict
    places: dict[str, set[str]] = field(default_factory=dict)  # role -> codes of its line
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> row name -> code

    @property
    def tables(self) -> Path:
        return self.run / "tables" / f"40_country_profile-{self.iso3}"

    @property
    def threshold(self) -> int:
        return int(self.results.get("min_cell", THRESHOLD))

    def code(self, name: str, role: str) -> str:
        if name not in self.names[role]:
            raise KeyError(f"{self.iso3} {role}: no code for the row {name!r}")
        return self.names[role][name]


def read_profile(run: Path, iso3: str, grids: dict[str, dict]) -> Profile:
    """A profile's results, and per role the codes its rows may name: those of its line in the
    grids and in the profile's records (read for their keys only), its own and 'unknown'."""
    results = json.loads((run / "results" / f"40_country_profile-{iso3}.json").read_text())
    profile = Profile(iso3, run, results["results"])
    records_path = run / "results" / f"40_country_profile-{iso3}.tables.json"
    records = json.loads(records_path.read_text())["tables"] if records_path.exists() else []
    for role, (fixed, named) in ROLES.items():
        codes = {iso3, UNKNOWN}
        for grid in grids.values():
            for c in grid["cells"]:
                key = dict(zip(("citizenship", "exploitation"), c["key"], strict=True))
                codes |= {key[named]} if key[fixed] == iso3 else set()
        for record in records:
            if record.get("of", {}).get("fixed") == {fixed: iso3}:
                codes |= {c["key"][0] for c in record["cells"]}
        profile.places[role] = codes
        profile.names[role] = {place_name(c, iso3, role): c for c in codes}
        assert len(profile.names[role]) == len(codes), f"{iso3} {role}: two places, one name"
    return profile


def other_members(profile: Profile, role: str, named: set[str]) -> list[Cell]:
    """The cells an 'other countries' row sums: the foreign places of the line it does not name."""
    rest = profile.places[role] - named - {profile.iso3, UNKNOWN}
    return [cell_of(role, profile.iso3, code) for code in sorted(rest)]


def comparison_facts(profile: Profile, role: str) -> list[Fact]:
    """`{role}_by_release.csv`: one column per release. Its rows hold every place of the line
    with a record in some release (a place it leaves out is 0); the destinations total of each
    release (`records_by_release`) is the sum of its column."""
    header, rows = read_csv(profile.tables / f"{role}_by_release.csv")
    if not header:
        return []
    source = f"{profile.iso3} {role}_by_release.csv"
    releases = [RELEASE_BY_LABEL[label] for label in header[1:]]
    named = {profile.code(row[0], role) for row in rows if not row[0].startswith(OTHER)}
    has_other = any(row[0].startswith(OTHER) for row in rows)
    others = other_members(profile, role, named) if has_other else []
    left_out = [cell_of(role, profile.iso3, c) for c in sorted(profile.places[role] - named)]
    t = profile.threshold
    facts = [
        Fact(release, (cell,), "zero", 0, 0, f"{source}: not a row", False)
        for release in releases
        for cell in left_out
        if cell not in others
    ]
    for row in rows:
        for release, text in zip(releases, row[1:], strict=True):
            if row[0].startswith(OTHER):
                facts.append(fact(release, others, text, t, f"{source} other", is_cell=False))
                if EACH_SMALL in row[0]:  # each of its places is small or zero in every release
                    facts += [Fact(release, (c,), "range", 0, t - 1, source, False) for c in others]
            else:
                cell = cell_of(role, profile.iso3, profile.code(row[0], role))
                facts.append(fact(release, [cell], text, t, source))
    if role == "destinations":
        table = [cell_of(role, profile.iso3, c) for c in sorted(named)] + others
        for release, words in profile.results.get("records_by_release", {}).items():
            facts.append(
                fact(release, table, words, t, f"{profile.iso3} records_by_release", is_cell=False)
            )
    return facts


def ranked_facts(profile: Profile, role: str) -> list[Fact]:
    """`{role}_ranked.csv`: the profile's release, its places named, the rest as one row."""
    header, rows = read_csv(profile.tables / f"{role}_ranked.csv")
    if not header:
        return []
    release, t = profile.results.get("release"), profile.threshold
    if release is None:
        raise KeyError(f"{profile.iso3}: a ranked table, but no release in the results")
    source = f"{profile.iso3} {role}_ranked.csv"
    named = {profile.code(row[0], role) for row in rows if not row[0].startswith(OTHER)}
    facts = []
    for row in rows:
        if row[0].startswith(OTHER):
            members = other_members(profile, role, named)
            facts.append(fact(release, members, row[1], t, f"{source} other", is_cell=False))
        else:
            cell = cell_of(role, profile.iso3, profile.code(row[0], role))
            facts.append(fact(release, [cell], row[1], t, source))
    return facts


def map_facts(profile: Profile) -> list[Fact]:
    """The destinations map: each foreign place's class ('10–24') in the profile's release."""
    release, t = profile.results.get("release"), profile.threshold
    classes = profile.results.get("destinations_map_classes") if release else None
    return [
        fact(release, [(profile.iso3, code)], text, t, f"{profile.iso3} map", is_cell=False)
        for code, text in (classes or {}).items()
    ]


def share_facts(profile: Profile) -> list[Fact]:
    """`top_destinations`/`top_origins`: a place's records and its share of the known places
    (to 4 decimals) bound the line's known total: records / (share +- 0.00005)."""
    release, facts = profile.results.get("release"), []
    if release is None:
        return []
    for role in ROLES:
        known = [cell_of(role, profile.iso3, c) for c in sorted(profile.places[role] - {UNKNOWN})]
        for top in profile.results.get(f"top_{role}") or []:
            if not top.get("share_of_known"):
                continue
            margin = 0.00005 + 1e-9
            low = math.ceil(top["records"] / (top["share_of_known"] + margin) - TOLERANCE)
            high = math.floor(top["records"] / (top["share_of_known"] - margin) + TOLERANCE)
            source = f"{profile.iso3} top_{role} {top['iso3']}"
            facts.append(Fact(release, tuple(known), "range", low, high, source, False))
    return facts


def profile_facts(profile: Profile) -> list[Fact]:
    facts = map_facts(profile) + share_facts(profile)
    for role in ROLES:
        facts += comparison_facts(profile, role) + ranked_facts(profile, role)
    return facts


def published_facts(run: Path) -> list[Fact]:
    """Everything the run folder states about the release grids' cells."""
    grids = read_grids(run)
    facts = [f for release, grid in grids.items() for f in grid_facts(release, grid)]
    for folder in sorted((run / "tables").glob("40_country_profile-*")):
        iso3 = folder.name.rsplit("-", 1)[1]
        facts += profile_facts(read_profile(run, iso3, grids))
    for release, grid in grids.items():
        named = {c for f in facts if f.release == release for c in f.cells}
        facts += absent_from_grid(release, grid, named)
    return facts


# --- The attack -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    release: str
    citizenship: str
    exploitation: str
    kind: str  # 'small' or 'hidden'
    low: float
    high: float


class Bounds:
    """The linear programme of one release's facts: one unknown per cell, >= 0; a fact on one
    cell bounds it, a fact on several bounds their sum."""

    def __init__(self, facts: list[Fact]):
        self.cells = sorted({c for f in facts for c in f.cells})
        self.index = {c: i for i, c in enumerate(self.cells)}
        self.bounds = [[0.0, math.inf] for _ in self.cells]
        eq, b_eq, ub, b_ub = [], [], [], []
        for f in facts:
            if len(f.cells) == 1:
                i = self.index[f.cells[0]]
                self.bounds[i] = [max(self.bounds[i][0], f.low), min(self.bounds[i][1], f.high)]
                assert self.bounds[i][0] <= self.bounds[i][1], f"{f.source} contradicts: {f}"
                continue
            row = np.zeros(len(self.cells))
            row[[self.index[c] for c in f.cells]] = 1
            if f.low == f.high:
                eq.append(row)
                b_eq.append(f.low)
                continue
            if f.low > 0:
                ub.append(-row)
                b_ub.append(-f.low)
            if f.high < math.inf:
                ub.append(row)
                b_ub.append(f.high)
        self.eq = (np.array(eq), np.array(b_eq)) if eq else (None, None)
        self.ub = (np.array(ub), np.array(b_ub)) if ub else (None, None)
        point = self.solve(np.zeros(len(self.cells)))
        self.seen_low, self.seen_high = point.copy(), point.copy()

    def solve(self, objective: np.ndarray) -> np.ndarray | None:
        """A point of least `objective` (None: unbounded below)."""
        found = linprog(
            objective,
            A_ub=self.ub[0],
            b_ub=self.ub[1],
            A_eq=self.eq[0],
            b_eq=self.eq[1],
            bounds=self.bounds,
            method="highs",
        )
        if found.status == 3:
            return None
        assert found.status == 0, f"the published numbers contradict each other: {found.message}"
        return found.x

    def extreme(self, cell: Cell, sign: int) -> float:
        """The least (sign 1) or greatest (sign -1) value of `cell`; the point found widens
        the values seen."""
        objective = np.zeros(len(self.cells))
        objective[self.index[cell]] = sign
        point = self.solve(objective)
        if point is None:
            return math.inf
        self.seen_low = np.minimum(self.seen_low, point)
        self.seen_high = np.maximum(self.seen_high, point)
        return float(point[self.index[cell]])

    def least(self, cell: Cell) -> float:
        return self.extreme(cell, 1)

    def greatest(self, cell: Cell) -> float:
        return self.extreme(cell, -1)

    def seen(self, cell: Cell) -> tuple[float, float]:
        """The least and greatest value of `cell` among the points found so far."""
        i = self.index[cell]
        return float(self.seen_low[i]), float(self.seen_high[i])


def exposed(lp: Bounds, shown: Fact, capped: bool) -> bool:
    """Whether the facts narrow a hidden cell (`shown`: how a table hid it): a small one below
    all of 1..threshold-1 (its maximum is not checked when it lies in a published small sum:
    `capped`), a `(s)` one to one value. The points already found answer most questions
    without a new programme."""
    cell = shown.cells[0]
    low, high = lp.seen(cell)
    if shown.kind == "small":
        reaches_one = low <= 1 + TOLERANCE or lp.least(cell) <= 1 + TOLERANCE
        top = shown.high - TOLERANCE
        reaches_top = capped or high >= top or lp.greatest(cell) >= top
        return not (reaches_one and reaches_top)
    return high - low <= TOLERANCE and lp.greatest(cell) - lp.least(cell) <= TOLERANCE


@dataclass
class Outcome:
    """One release's attack: its unknown cells, the hidden ones, those a profile hides, and
    the hidden cells the facts give away."""

    cells: int
    hidden: int
    hidden_in_profiles: int
    exposures: list[Exposure]


def attack_release(release: str, facts: list[Fact]) -> Outcome:
    lp = Bounds(facts)
    hiding = [f for f in facts if f.is_cell and f.kind in {"small", "hidden"}]
    hidden = {f.cells[0]: f for f in reversed(hiding)}  # cell -> the first fact hiding it
    in_profiles = {f.cells[0] for f in hiding if not f.source.startswith(GRID)}
    capped = {c for f in facts if not f.is_cell and f.kind == "small" for c in f.cells}
    exposures = [
        Exposure(release, *cell, shown.kind, lp.least(cell), lp.greatest(cell))
        for cell, shown in sorted(hidden.items())
        if exposed(lp, shown, cell in capped)
    ]
    return Outcome(len(lp.cells), len(hidden), len(in_profiles), exposures)


def attack_run(run: Path) -> dict[str, Outcome]:
    """Per release, what the run folder's facts give away."""
    facts = published_facts(run)
    releases = sorted({f.release for f in facts})
    return {r: attack_release(r, [f for f in facts if f.release == r]) for r in releases}


# --- The run folder's profiles --------------------------------------------------------------------


def test_no_hidden_profile_cell_is_recoverable(run_dir):
    if not list((run_dir / "tables").glob("40_country_profile-*")):
        pytest.skip("the run folder has no country profile")
    start = time.perf_counter()
    outcomes = attack_run(run_dir)
    for release, o in outcomes.items():
        print(
            f"{release}: {o.cells} cells, {o.hidden} hidden ({o.hidden_in_profiles} in the "
            f"profiles), {len(o.exposures)} given away"
        )
    print(f"attack: {time.perf_counter() - start:.2f} s")
    exposures = [e for o in outcomes.values() for e in o.exposures]
    assert not exposures, "hidden cells given away:\n" + "\n".join(map(str, exposures))
    columns = {
        label
        for path in run_dir.glob("tables/40_country_profile-*/*_by_release.csv")
        for label in read_csv(path)[0][1:]
    }
    if CTDC["synthetic_2021"].label in columns:
        assert outcomes["synthetic_2021"].hidden_in_profiles > 0


# --- The attack on made-up run folders (no run folder needed) -------------------------------------

SYNTHETIC = CTDC["synthetic_2021"].label
EACH_SMALL_ROW = "other countries (1), each fewer than 10 in every release"


def write_profile(run: Path, iso3: str, tables: dict, results: dict, places: dict) -> None:
    """A made-up profile: its `*_by_release` tables (name -> rows of the synthetic release),
    its results, and per fixed dimension the codes its records name."""
    folder = run / "tables" / f"40_country_profile-{iso3}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows([["country", SYNTHETIC], *rows])
    (run / "results").mkdir(exist_ok=True)
    content = {"iso3": iso3, "min_cell": 10, "release": "synthetic_2021", **results}
    records = [
        {"of": {"fixed": {dim: iso3}}, "cells": [{"key": [code]} for code in codes]}
        for dim, codes in places.items()
    ]
    stem = run / "results" / f"40_country_profile-{iso3}"
    stem.with_suffix(".json").write_text(json.dumps({"results": content}))
    stem.with_suffix(".tables.json").write_text(json.dumps({"tables": records}))


def made_up_run(run: Path, own_citizens: str) -> Path:
    """AAA's destinations hide BBB (`<10`), one other place CCC (`<10`) and AAA itself (`(s)`)
    and state their total; AAA's origins show its own citizens as `own_citizens`; BBB's
    origins show AAA as `<10` too (the same cell as BBB in AAA's destinations)."""
    aaa = {
        "destinations_by_release": [
            ["BBB", "<10"],
            [EACH_SMALL_ROW, "<10"],
            ["AAA (within the country)", "(s)"],
            ["place of exploitation unknown", "15"],
        ],
        "origins_by_release": [
            ["AAA (the country's own citizens)", own_citizens],
            ["citizenship unknown", "12"],
        ],
    }
    places = {"citizenship": ["BBB", "CCC", "AAA", UNKNOWN], "exploitation": ["AAA", UNKNOWN]}
    write_profile(run, "AAA", aaa, {"records_by_release": {"synthetic_2021": "40"}}, places)
    bbb = {
        "destinations_by_release": [["BBB (within the country)", "30"]],
        "origins_by_release": [["AAA", "<10"], ["BBB (the country's own citizens)", "30"]],
    }
    places = {"citizenship": ["BBB"], "exploitation": ["AAA", "BBB"]}
    write_profile(run, "BBB", bbb, {"records_by_release": {"synthetic_2021": "30"}}, places)
    return run


def test_the_attack_finds_a_leak(tmp_path):
    """40 - 15 - 20: the domestic cell, printed in AAA's origins, leaves 5 for BBB and CCC
    together, so BBB is at most 4; and the domestic cell is no longer hidden."""
    outcome = attack_run(made_up_run(tmp_path, own_citizens="20"))["synthetic_2021"]
    found = {(e.citizenship, e.exploitation, e.kind, e.low, e.high) for e in outcome.exposures}
    assert found == {("AAA", "BBB", "small", 1, 4), ("AAA", "AAA", "hidden", 20, 20)}
    assert outcome.hidden == outcome.hidden_in_profiles == 2


def test_the_attack_finds_nothing_where_nothing_leaks(tmp_path):
    """With the domestic cell hidden in both tables, BBB may be anything from 1 to 9."""
    outcome = attack_run(made_up_run(tmp_path, own_citizens="(s)"))["synthetic_2021"]
    assert outcome.exposures == []
    assert outcome.hidden == 2


@pytest.mark.parametrize(
    ("cells", "total", "given_away"),
    [
        ({"BBB": "<10", "CCC": 12}, 20, [("BBB", 8, 8)]),  # 20 - 12
        ({"BBB": "<10", "CCC": 12}, "(s)", []),  # a withheld total says nothing
        ({"BBB": "<10", "CCC": "<10"}, "<10", []),  # a small sum: neither may reach 9, as allowed
    ],
)
def test_the_attack_reads_the_release_grid(tmp_path, cells, total, given_away):
    """The grid's cells and its row total of AAA, on their own."""
    grid = {
        "dims": ["citizenship", "exploitation"],
        "population": "CTDC synthetic_2021: records registered 2002–2022",
        "threshold": 10,
        "cells": [{"key": ["AAA", code], "shown": shown} for code, shown in cells.items()],
        "sums": [{"of": {"citizenship": ["AAA"]}, "shown": total}],
    }
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "05_release.tables.json").write_text(json.dumps({"tables": [grid]}))
    outcome = attack_run(tmp_path)["synthetic_2021"]
    expected = [Exposure("synthetic_2021", "AAA", c, "small", lo, hi) for c, lo, hi in given_away]
    assert outcome.exposures == expected
