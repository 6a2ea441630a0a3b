"""What the definitions report shows: the shares it may publish, their texts, tables, results
records and figures.

The analyses (`analysis.definitions`) return plain counts and shares. Here they pass the
small-cell rule (`analysis.publish.disclosure`): a share is hidden when its count, the rest of
its total, or a difference between two published counts would be a small cell.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import ListedColormap

from analysis.data import releases
from analysis.definitions import shares
from analysis.definitions.instruments import (
    ACTS,
    COE_2005,
    EU_2011,
    EU_2024,
    INSTRUMENTS,
    MEANS,
    PALERMO_2000,
    PURPOSES,
    differences,
)
from analysis.definitions.mapping import LEVEL_LABELS
from analysis.publish import disclosure, plots

NAMES = {i.key: i.short for i in INSTRUMENTS}  # column headings of every table
NOT_IN_RELEASE = "not in this release"
REAL_CASES = releases.CTDC["kanon_2021"].name  # the release of real (K-anonymised) cases

# ---------------------------------------------------------------------------------------------
# The instruments


def differences_text() -> str:
    """What each later text adds to the lists of an earlier one, and the elements only some
    texts define, as Markdown bullets."""
    vocabulary = {"acts": ACTS, "means": MEANS, "purposes": PURPOSES}
    lines = []
    for before, after in ((PALERMO_2000, COE_2005), (PALERMO_2000, EU_2011), (EU_2011, EU_2024)):
        added = [
            f"{part}: " + "; ".join(vocabulary[part][x] for x in d["added"])
            for part, d in differences(before, after).items()
            if d["added"]
        ]
        lines.append(
            f"- **{after.short}** compared with **{before.short}** adds to the lists: "
            + (", ".join(added) if added else "nothing")
            + "."
        )
    lines.append(
        f"- Only **{COE_2005.short}** defines the victim ({COE_2005.articles['victim']}); only "
        f"the EU texts define the position of vulnerability "
        f'({EU_2011.articles["vulnerability"]}: "{EU_2011.quote}").'
    )
    lines.append(
        f"- Only the **{PALERMO_2000.short}** limits its application to transnational offences "
        f"involving an organised criminal group ({PALERMO_2000.articles['scope']}); "
        f"{PALERMO_2000.scope_note}."
    )
    return "\n".join(lines)


def unverified_text() -> str:
    """Every point resting on knowledge rather than a retrieved text, as Markdown bullets."""
    return "\n".join(f"- *{i.short}*: {point}" for i in INSTRUMENTS for point in i.unverified)


def purposes_added() -> dict[str, list[str]]:
    """The purposes each EU text adds, for results JSON."""
    return {
        "eu_2011_vs_palermo": differences(PALERMO_2000, EU_2011)["purposes"]["added"],
        "eu_2024_vs_eu_2011": differences(EU_2011, EU_2024)["purposes"]["added"],
    }


MATRIX_VALUES = {0: "no", 1: "consider", 2: "yes"}


def plot_element_matrix(matrix: pd.DataFrame, source: str):
    """Instruments x elements as a labelled grid (deterministic: no randomness, fixed order)."""
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


def mapping_table(mapping: pd.DataFrame) -> pd.DataFrame:
    """The reviewed mapping as shown: one column per instrument with the level's label."""
    shown = mapping.assign(**{k: mapping[k].map(LEVEL_LABELS) for k in NAMES})
    shown = shown.rename(columns=NAMES)
    return shown[["dataset", "category", *NAMES.values(), "reason"]]


# ---------------------------------------------------------------------------------------------
# Shares named explicitly: what may be published


def _layout(table: pd.DataFrame) -> tuple[list[str], list[str], str]:
    """The keys, the groups and the total column of a CTDC or GLOTIP explicit-shares table."""
    keys, total = (["release"], "known_form") if "known_form" in table else (["vintage"], "victims")
    return keys, [c for c in shares.GROUPING if c in table], total


def protect_shares(table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """An explicit-shares table (`shares.ctdc_explicit_shares`, `glotip_explicit_shares`) with
    `suppressed` and `<total>_hidden` columns and the hidden shares removed.

    A share is hidden when its count or the rest of its total is a small cell, and beyond:
    across instruments, the explicit counts of one release (and group) are nested (each EU text
    names what Palermo names and more), so two shown counts must differ by 0 or at least
    `threshold`, and the last shown count must leave at least `threshold` (or 0) of the total.
    Across groups, each instrument's groups add up to the release's published count, so a
    line with one hidden group hides another (`disclosure.hidden_cells`); group totals likewise.
    """
    keys, by, total = _layout(table)
    out = table.copy()
    hidden = disclosure.is_small(out["explicit"], threshold) | disclosure.is_small(
        out[total] - out["explicit"], threshold
    )
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
    columns = list(shares.SHARE_COLUMNS)
    out[columns] = out[columns].mask(hidden, axis=0)
    return out


def share_column(
    table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD, prefix: str = ""
) -> pd.Series:
    """'93.7% (93.3–94.1)' per row from columns share/lower/upper (or `<prefix>_share`, ...);
    'suppressed (<threshold)' where the share would reveal a small cell; '' without a share."""
    name = (lambda c: f"{prefix}_{c}") if prefix else (lambda c: c)
    columns = [pd.to_numeric(table[name(c)]).astype(float) for c in ("share", "lower", "upper")]
    hidden = table[name("suppressed")].fillna(False).astype(bool)
    gone_text = disclosure.hidden_share_text(threshold)
    text = [
        gone_text if gone else disclosure.share_text(*numbers, hidden="")
        for *numbers, gone in zip(*columns, hidden, strict=True)
    ]
    return pd.Series(text, index=table.index, dtype="string")


def share_table(
    table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD, index=("release",)
) -> pd.DataFrame:
    """Share texts of a protected table, one column per instrument, one row per `index`."""
    wide = table.assign(share=share_column(table, threshold)).pivot(
        index=list(index), columns="instrument", values="share"
    )
    return wide[list(NAMES)].rename(columns=NAMES)


def group_share_table(groups: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """`share_table` of a protected CTDC table by gender and age group, with its records."""
    records = disclosure.cell_text(groups["known_form"], groups["known_form_hidden"], threshold)
    index = ["release", *shares.GROUPING, "records"]
    return share_table(groups.assign(records=records), threshold, index)


def glotip_group_table(groups: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """A protected GLOTIP table by gender and age group, as shown: GLOTIP's forms cannot tell
    the instruments apart, so one instrument's rows stand for all."""
    part = groups[groups["instrument"] == PALERMO_2000.key]
    shown = part.assign(
        share=share_column(part, threshold),
        victims=disclosure.cell_text(part["victims"], part["victims_hidden"], threshold),
    )
    columns = [*shares.GROUPING, "victims", "share", "suppressed_cells"]
    return shown[columns].rename(columns={"share": "named explicitly (every instrument)"})


def glotip_coverage_text(forms: pd.DataFrame, overall: pd.DataFrame, vintage: str) -> str:
    """Victims and country-years behind the GLOTIP shares, and the export's own `<5` cells."""
    return (
        f"GLOTIP {vintage}: {forms['victims'].sum():,} detected victims in "
        f"{int(forms['country_years'].iloc[0]):,} country-years with a complete breakdown by "
        f"form; {int(overall['suppressed_cells'].iloc[0]):,} cells `<5` left out."
    )


def results_shares(
    table: pd.DataFrame, keys: list[str], threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict:
    """Nested {key: ... {instrument: disclosure.share_record}} for results JSON: `count` is the
    explicit count, `total` the records (or victims) with a known form; None where hidden."""
    total = _layout(table)[2]
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


def _explicit_text(part: pd.DataFrame, key: str) -> str:
    hidden = part.at[key, "suppressed"]
    return "a suppressed number" if hidden else f"{int(part.at[key, 'explicit']):,}"


def _gain_text(part: pd.DataFrame, before: str, after: str, threshold: int) -> str:
    diff = int(part.at[after, "explicit"] - part.at[before, "explicit"])
    if disclosure.is_small(diff, threshold):
        return f"+{disclosure.fewer_than(threshold)}"
    if part.at[before, "suppressed"] or part.at[after, "suppressed"]:
        return "gain suppressed"
    return f"+{diff:,}"


def gains_text(table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD) -> str:
    """Per release, as Markdown bullets: records named explicitly by Palermo/CoE, EU 2011 and
    EU 2024, and the gain of each EU text. A gain of 1 to threshold - 1 reads 'fewer than N'; a
    count whose share is suppressed is not given, nor a gain that would reveal it."""
    un, eu11, eu24 = PALERMO_2000.key, EU_2011.key, EU_2024.key
    lines = []
    for release, part in table.groupby("release", sort=True):
        part = part.set_index("instrument")
        known = disclosure.suppress(part["known_form"].iloc[:1], threshold).iloc[0]
        lines.append(
            f"- **{release}**: {known} records with a known form; named explicitly by "
            f"Palermo/CoE {_explicit_text(part, un)}, by EU 2011 {_explicit_text(part, eu11)} "
            f"({_gain_text(part, un, eu11, threshold)}), by EU 2024 "
            f"{_explicit_text(part, eu24)} ({_gain_text(part, eu11, eu24, threshold)})."
        )
    return "\n".join(lines)


def plot_shares(table: pd.DataFrame, source: str):
    """Explicit share per release (rows) and instrument (markers), with Wilson intervals."""
    fig, ax = plots.figure(width=10, height=3.8)
    releases_ = sorted(table["release"].unique())
    offsets = {inst.key: (k - 1.5) * 0.15 for k, inst in enumerate(INSTRUMENTS)}
    markers = dict(zip([i.key for i in INSTRUMENTS], ["o", "s", "^", "D"], strict=True))
    for inst in INSTRUMENTS:
        part = table[table["instrument"] == inst.key].set_index("release").reindex(releases_)
        y = [r + offsets[inst.key] for r in range(len(releases_))]
        err = [100 * (part["share"] - part["lower"]), 100 * (part["upper"] - part["share"])]
        ax.errorbar(100 * part["share"], y, xerr=err, fmt=markers[inst.key], label=inst.short,
                    capsize=2, markersize=5)  # fmt: skip
    ax.set_yticks(range(len(releases_)), releases_)
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=True)
    plots.finish(fig, ax, title="Records whose recorded form the instrument names explicitly",
                 xlabel="share of records with a known form (%, 95% Wilson interval)",
                 ylabel="CTDC release", source=source)  # fmt: skip
    return fig


def closing_text(ctdc: pd.DataFrame, glotip_overall: pd.DataFrame, vintage: str) -> str:
    """The key findings as Markdown bullets, from protected CTDC and GLOTIP tables."""
    share = ctdc.set_index(["release", "instrument"])["share"].map(disclosure.share_text)
    k, un, eu11, eu24 = REAL_CASES, PALERMO_2000.key, EU_2011.key, EU_2024.key
    glotip_share = disclosure.share_text(glotip_overall["share"].iloc[0])
    return (
        f"- In the real CTDC cases ({k}), the share of records with a known form that the text "
        f"names explicitly rises from **{share[k, un]}** (Palermo, CoE) to "
        f"**{share[k, eu11]}** (EU 2011: begging, criminal activities) and "
        f"**{share[k, eu24]}** (EU 2024: forced marriage). The other two releases do not "
        "record these forms, so their shares do not move.\n"
        f"- GLOTIP {vintage}: **{glotip_share}** of detected victims (complete country-years) "
        "have a form that every instrument names; the rest sit in UNODC's bundled 'other forms', "
        "which the export does not split.\n"
        "- The widening of the EU definition concerns few recorded cases; it matters more for "
        "what a court or prosecutor may charge than for the counts. Surrogacy and illegal "
        "adoption are not recorded by any dataset here."
    )


# ---------------------------------------------------------------------------------------------
# Forms only the EU texts name; minors and means


def eu_only_published(eu_only: pd.DataFrame, threshold: int) -> tuple[pd.DataFrame, dict]:
    """The rows of `shares.eu_only_counts` for releases that record the form, as a display
    table and a results record under one rule.

    The only-EU counts of the categories one EU text adds sum to that text's gain over the
    previous one (published), so each release x text is a line for secondary suppression.
    """
    eu_only = eu_only[eu_only["recorded_in_release"]]
    hidden = pd.Series(False, index=eu_only.index)
    for _, part in eu_only.groupby(["release", "first_explicit_in"], sort=False):
        cells = disclosure.hidden_cells(part[["only_eu_explicit"]], threshold, "columns")
        hidden[part.index] = cells["only_eu_explicit"].to_numpy()
    text = eu_only.assign(
        first_explicit_in=eu_only["first_explicit_in"].map(NAMES),
        flagged=disclosure.suppress(eu_only["flagged"], threshold),
        only_eu_explicit=disclosure.cell_text(eu_only["only_eu_explicit"], hidden, threshold),
        records=disclosure.suppress(eu_only["records"], threshold),
    )
    columns = ["release", "category", "first_explicit_in", "flagged", "only_eu_explicit",
               "records"]  # fmt: skip
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
    return text[columns], record


def eu_only_note(eu_only: pd.DataFrame, without_data: list[str]) -> str:
    """The releases that record no EU-only form, and the EU purposes no dataset records."""
    absent = sorted(set(eu_only.loc[~eu_only["recorded_in_release"], "release"]))
    return (
        f"Releases that record none of these forms: {', '.join(absent)}. "
        "Purposes the EU texts add that **no dataset category records**: "
        + ", ".join(PURPOSES[p] for p in without_data)
        + "."
    )


LIMIT_SHARES = ("minor", "minor_at_exploit", "no_means")
RECORD_KEYS = ("count", "total", "suppressed", "share", "lower", "upper")


def _published_limits(limits: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`shares.minors_and_means` with each share as `disclosure.share_record` would publish it."""
    out = limits[["release", "records", "means_in_release"]].copy()
    for name in LIMIT_SHARES:
        numbers = limits[[f"{name}_{k}" for k in ("count", "total", *shares.SHARE_COLUMNS)]]
        records = [disclosure.share_record(*row, threshold) for row in numbers.itertuples(False)]
        for key in RECORD_KEYS:
            out[f"{name}_{key}"] = [r[key] for r in records]
    return out


def limits_table(limits: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """Per release: records, the shares of minors, and the share with no means recorded."""
    published = _published_limits(limits, threshold)
    at_exploit = share_column(published, threshold, "minor_at_exploit")
    no_means = share_column(published, threshold, "no_means")
    return pd.DataFrame(
        {
            "release": published["release"],
            "records": disclosure.suppress(published["records"], threshold),
            "minors at registration": share_column(published, threshold, "minor"),
            "minors when exploitation began": at_exploit.mask(
                limits["minor_at_exploit_total"] == 0, NOT_IN_RELEASE
            ),
            "no means of control recorded": no_means.mask(
                ~limits["means_in_release"], NOT_IN_RELEASE
            ),
        }
    )


def limits_record(limits: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD) -> dict:
    """{"minor_share": {release: share}, "no_means_share": {...}} for results JSON; None
    where hidden or not recorded."""
    published = _published_limits(limits, threshold).set_index("release")
    record = {}
    for name in ("minor", "no_means"):
        values = published[f"{name}_share"].items()
        record[f"{name}_share"] = {r: None if pd.isna(v) else float(v) for r, v in values}
    return record
