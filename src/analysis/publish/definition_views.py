"""What the definitions report shows: the shares it may publish, their tables, results records
and figures (its sentences are in notebook 30).

The analyses (`analysis.definitions`) return plain counts and shares. Here they pass the
small-cell rule (`analysis.publish.disclosure`): a share is hidden when its count, the rest of
its total, or a difference between two published counts would be a small cell.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap

from analysis import victims as vic
from analysis.data import releases
from analysis.data.releases import release_label
from analysis.definitions import shares
from analysis.definitions.instruments import (
    COE_2005,
    EU_2011,
    EU_2024,
    INSTRUMENTS,
    PALERMO_2000,
)
from analysis.definitions.mapping import load_mapping
from analysis.publish import bounds, disclosure, plots, tables
from analysis.publish import release as rel
from analysis.publish.bounded import bounds_text, format_bounds

NAMES = {i.key: i.short for i in INSTRUMENTS}  # column headings of every table
NOT_IN_RELEASE = "not in this release"
REAL_CASES = releases.CTDC["kanon_2021"].name  # the release of real (K-anonymised) cases

MATRIX_VALUES = {0: "no", 1: "partly", 2: "yes"}
MIDDLE = {"offence": "consider"}  # the middle value of a group where it is not "partly"


def plot_element_matrix(matrix: pd.DataFrame, source: str):
    """Instruments x elements as a labelled grid (deterministic: no randomness, fixed order)."""
    fig, ax = plots.figure(width=10, height=0.28 * len(matrix) + 1.8)
    colours = ListedColormap(["#f2f2f2", "#f4c27a", "#3b7dbf"])
    ax.imshow(matrix.to_numpy(), cmap=colours, vmin=0, vmax=2, aspect="auto")
    groups = matrix.index.get_level_values("group")
    for (i, j), value in pd.DataFrame(matrix.to_numpy()).stack().items():
        colour = "white" if value == 2 else "#333333"
        label = MIDDLE.get(groups[i], "partly") if value == 1 else MATRIX_VALUES[int(value)]
        ax.text(j, i, label, ha="center", va="center", fontsize=7.5, color=colour)
    ax.set_xticks(range(matrix.shape[1]), [c.replace(" ", "\n", 2) for c in matrix.columns],
                  fontsize=8)  # fmt: skip
    ax.set_yticks(range(len(matrix)), [f"{g}: {e}" for g, e in matrix.index], fontsize=8)
    ax.grid(False)
    for i in range(1, len(groups)):
        if groups[i] != groups[i - 1]:
            ax.axhline(i - 0.5, color="#555555", linewidth=0.8)
    plots.finish(fig, ax, title="Trafficking definitions, element by element",
                 xlabel="instrument", ylabel="element of the definition",
                 source=source)  # fmt: skip
    return fig


# ---------------------------------------------------------------------------------------------
# Shares named explicitly: what may be published


NAMED_LABELS = {
    PALERMO_2000.key: "named by Palermo 2000",
    COE_2005.key: "added by CoE 2005",
    EU_2011.key: "added by EU 2011",
    EU_2024.key: "added by EU 2024",
    shares.NOT_NAMED: "named by none",
    shares.FORM_UNKNOWN: "form not recorded",
}


def protect_named(
    counts: pd.Series,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
    linked: dict[str, list[dict]] | None = None,
) -> dict[str, disclosure.CountTable]:
    """Per release, the grid of `shares.ctdc_named_counts` as a protected table. It publishes
    its cells not hidden and the records per `named` category (each text's gain), per age group
    and in all; the records per gender are the release step's (`linked`, taken as published;
    without them, counted as shown). No row totals: the shares show them only where fixed."""
    tables = {}
    for release, part in counts.groupby(level="release", sort=True):
        part = part.droplevel("release")
        others = (linked or {}).get(release)
        keep = [("age_group",), ()] if others else [("gender",), ("age_group",), ()]
        tables[release] = disclosure.protect(
            f"Records by gender, age group and the first text that names their form "
            f"explicitly ({release})",
            vic.population(release),
            part,
            disclosure.margins(part, [("named",)]),
            threshold,
            shared=disclosure.margins(part, keep),
            linked=tuple(others or ()),
        )
    return tables


def named_grids(
    named: pd.Series, victims: pd.DataFrame, threshold: int, released: rel.Released
) -> tuple[dict[str, disclosure.CountTable], dict | None]:
    """Per release, the grid as the release step published it at `threshold`, with its records
    of this report's tables; else protected here against the release's records per gender, and
    None (an exploration, or the release step itself)."""
    held = released.held("definitions", {"threshold": int(threshold)})
    if held is not None:
        parts = named.groupby(level="release", sort=True)
        return {r: rel.restore(held[r], part.droplevel("release"), r) for r, part in parts}, held
    by_gender = released.margin(victims, "gender", threshold)
    return protect_named(named, threshold, {r: [t.record()] for r, t in by_gender.items()}), None


def named_table(tables: dict[str, disclosure.CountTable]) -> pd.DataFrame:
    """The protected grids as shown: one row per release, gender and age group (and one for
    the release's totals), one column per `named` category."""
    frames = {}
    for release, table in tables.items():
        text = disclosure.cell_text(table.counts, table.hidden, table.threshold)
        wide = text.unstack("named")[list(NAMED_LABELS)].rename(columns=NAMED_LABELS)
        wide = wide.reindex(pd.MultiIndex.from_product(
            [vic.DOMAINS["gender"], vic.DOMAINS["age_group"]]))  # fmt: skip
        wide.loc[("all", "all"), :] = [table.sum_text({"named": [n]}) for n in NAMED_LABELS]
        frames[release] = wide
    return pd.concat(frames, names=["release", "gender", "age group"])


def _share_patterns(row: dict, by: list[str]) -> tuple[dict, dict]:
    """The sums of the grid behind one share: its explicit count and the rest of the records
    with a known form."""
    group = {d: [row[d]] for d in by}
    explicit = shares.explicit_sums(row["instrument"])
    rest = [n for n in shares.KNOWN_FORM if n not in explicit]
    return {**group, "named": explicit}, {**group, "named": rest}


def _ratio_range(count: tuple, rest: tuple) -> tuple[float, float]:
    """The least and greatest count / (count + rest) over the two ranges."""
    (c_low, c_high), (r_low, r_high) = count, rest
    low = c_low / (c_low + r_high) if c_low + r_high > 0 else np.nan
    high = c_high / (c_high + r_low) if c_high + r_low > 0 else np.nan
    return (0.0 if np.isinf(r_high) else low), (1.0 if np.isinf(c_high) else high)


def without_intervals(table: pd.DataFrame, columns=("lower", "upper")) -> pd.DataFrame:
    """No interval for the releases that are described, not inferred from: their rows are not
    persons, so an interval would describe a sample that does not exist."""
    out = table.copy()
    described = ~out["release"].astype(str).map(releases.inference_allowed).astype(bool)
    out.loc[described, list(columns)] = np.nan
    return out


def protect_shares(
    table: pd.DataFrame,
    tables: dict[str, disclosure.CountTable],
    threshold: int = disclosure.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """A CTDC explicit-shares table (`shares.explicit_shares`) as it may be published. A share
    and its interval are shown where the grid fixes its two sums (the explicit count and the
    rest of the known forms) and neither is small; elsewhere (`suppressed`) only the range the
    published grid leaves (`share_min`, `share_max`), which a reader can work out anyway."""
    by = [c for c in shares.GROUPING if c in table]
    out = table.copy()
    suppressed, ranges = [], []
    for row in out.to_dict("records"):
        grid = tables[row["release"]]
        count, rest = (grid.sum_range(p) for p in _share_patterns(row, by))
        fixed = bounds.pinned(*count) and bounds.pinned(*rest)
        small = disclosure.is_small(row["explicit"], threshold) or disclosure.is_small(
            row["known_form"] - row["explicit"], threshold
        )
        suppressed.append(bool(small or not fixed))
        ranges.append(_ratio_range(count, rest))
    out["suppressed"] = out["known_form_hidden"] = suppressed
    ends = pd.DataFrame(ranges, index=out.index, columns=["share_min", "share_max"])
    out[ends.columns] = ends.where(out["suppressed"], out["share"], axis=0)
    columns = list(shares.SHARE_COLUMNS)
    out[columns] = out[columns].mask(out["suppressed"], axis=0)
    return without_intervals(out)


def share_column(
    table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD, prefix: str = ""
) -> pd.Series:
    """'93.7% (93.3–94.1)' per row from columns share/lower/upper (or `<prefix>_share`, ...);
    where the share is suppressed, the range its table leaves ('99.1–99.6%', columns
    share_min/share_max) or 'suppressed (<threshold)'; '' without a share."""
    pre = f"{prefix}_" if prefix else ""
    columns = [pd.to_numeric(table[pre + c]).astype(float) for c in ("share", "lower", "upper")]
    hidden = table[pre + "suppressed"].fillna(False).astype(bool)
    gone_text = disclosure.hidden_share_text(threshold)
    ranges = zip(*(table.get(pre + c, pd.Series(np.nan, index=table.index))
                   for c in ("share_min", "share_max")), strict=True)  # fmt: skip
    text = [
        disclosure.share_range_text(*ends, hidden=gone_text)
        if gone
        else disclosure.share_text(*numbers, hidden="")
        for *numbers, gone, ends in zip(*columns, hidden, ranges, strict=True)
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


def glotip_group_table(groups: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """A GLOTIP table by gender and age group protected by `protect_glotip_shares`, as shown:
    victims and shares as ranges where `<5` cells leave one ('35,597–38,867', '77.7–81.4%');
    hidden victims read '<10' when every value of their range is small, else '(s)'. GLOTIP's
    forms cannot tell the instruments apart, so one instrument's rows stand for all."""
    part = groups[groups["instrument"] == PALERMO_2000.key]
    hidden = part["victims_hidden"].astype(bool)
    victims = format_bounds(part["victims_lower"], part["victims_upper"]).where(
        ~hidden, disclosure.cell_text(part["victims_upper"], hidden, threshold)
    )
    numbers = [part[c].astype(float) for c in [*shares.RANGE_COLUMNS, "lower", "upper"]]
    share = [  # 'suppressed (<threshold)' where the share would reveal a small cell
        disclosure.hidden_share_text(threshold) if gone else glotip_share_text(*row)
        for *row, gone in zip(*numbers, part["suppressed"].astype(bool), strict=True)
    ]
    share = pd.Series(share, index=part.index, dtype="string")
    shown = part.assign(share=share, victims=victims)
    columns = [*shares.GROUPING, "victims", "share", "suppressed_cells"]
    return shown[columns].rename(columns={"share": "named explicitly (every instrument)"})


def results_shares(
    table: pd.DataFrame, keys: list[str], threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict:
    """`disclosure.share_record` of each row (`count`: explicit, `total`: known form), nested
    by `keys`; where hidden, `share_range`, the range the published grid leaves for the share."""

    def record(row: dict) -> dict:
        numbers = [row[c] for c in ("explicit", "known_form", "share", "lower", "upper")]
        out = disclosure.share_record(*numbers, threshold, hidden=bool(row["suppressed"]))
        if row["known_form_hidden"]:
            out["total"] = None
        if out["suppressed"] and pd.notna(row.get("share_min")):
            out["share_range"] = [float(row["share_min"]), float(row["share_max"])]
        return out

    return nested_records(table, keys, record)


def plot_shares(table: pd.DataFrame, source: str):
    """Explicit share per release (rows) and instrument (markers), with Wilson intervals."""
    fig, ax = plots.figure(width=10, height=3.8)
    releases_ = sorted(table["release"].unique())
    for k, (inst, marker) in enumerate(zip(INSTRUMENTS, "os^D", strict=True)):
        part = table[table["instrument"] == inst.key].set_index("release").reindex(releases_)
        y = [r + (k - 1.5) * 0.15 for r in range(len(releases_))]
        err = [100 * (part["share"] - part["lower"]), 100 * (part["upper"] - part["share"])]
        ax.errorbar(100 * part["share"], y, xerr=err, fmt=marker, label=inst.short,
                    capsize=2, markersize=5)  # fmt: skip
    ax.set_yticks(range(len(releases_)), [release_label(r) for r in releases_])
    ax.invert_yaxis()
    xlabel = "share of records with a known form (%, 95% Wilson interval)"
    if not all(releases.inference_allowed(str(r)) for r in releases_):
        xlabel = xlabel.replace(")", "; none for the synthetic release)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=True)
    plots.finish(fig, ax, title="Records whose recorded form the instrument names explicitly",
                 xlabel=xlabel,
                 ylabel="CTDC release", source=source)  # fmt: skip
    return fig


# ---------------------------------------------------------------------------------------------
# Forms only the EU texts name; minors and means


def eu_only_part(release: str, text: str) -> str:
    """The release's name of the table of records that only `text` names, of `release`."""
    return f"eu_only:{release}:{text}"


def eu_only_published(
    eu_only: pd.DataFrame,
    threshold: int,
    grids: dict[str, disclosure.CountTable],
    held: dict | None = None,
) -> tuple[pd.DataFrame, dict, list[disclosure.CountTable]]:
    """The rows of `shares.eu_only_counts` for releases that record the form: a display table,
    a results record and the protected tables. The counts of the categories one EU text adds
    sum to that text's gain in the grid: each release x text is a table with that total, all
    hidden where the grid does not fix the gain; restored from `held` where the release has it."""
    eu_only = eu_only[eu_only["recorded_in_release"]]
    hidden = pd.Series(False, index=eu_only.index)
    tables = []
    for (release, text), part in eu_only.groupby(["release", "first_explicit_in"], sort=False):
        index = pd.Index(part["category"].astype(str), name="category")
        counts = pd.Series(part["only_eu_explicit"].to_numpy(), index=index)
        if held is not None:
            if eu_only_part(release, text) not in held:
                raise rel.stale(f"the protected release has no table of records only "
                                f"{NAMES[text]} names ({release})")  # fmt: skip
            table = rel.restore(held[eu_only_part(release, text)], counts, release)
        else:
            gain_fixed = grids[release].determined({"named": [text]})
            table = disclosure.protect(
                f"Records that only {NAMES[text]} names explicitly, by the form it adds "
                f"({release})", f"CTDC {release}: records first named explicitly by "
                f"{NAMES[text]}", counts,
                shared=disclosure.margins(counts, [()]) if gain_fixed else (),
                threshold=threshold, also=None if gain_fixed else counts > 0,
            )  # fmt: skip
        # what it counts: the records of the grid's column of the text (the audit links them)
        table.of = {"population": grids[release].population, "fixed": {"named": text}}
        tables.append(table)
        hidden[part.index] = table.hidden.to_numpy()
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
        release: {r.category: {"flagged": _number(r.flagged),
                               "only_eu_explicit": _number(r.only_eu_explicit)}
                  for r in part.itertuples()}
        for release, part in shown.groupby("release")
    }  # fmt: skip
    return text[columns], record, tables


LIMIT_SHARES = ("minor", "minor_at_exploit", "no_means")


def _published_limits(limits: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`shares.minors_and_means` with each share as `disclosure.share_record` would publish it."""
    out = limits[["release", "records", "means_in_release"]].copy()
    intervals = [f"{n}_{k}" for n in LIMIT_SHARES for k in ("lower", "upper")]
    limits = without_intervals(limits, intervals)
    for name in LIMIT_SHARES:
        numbers = limits[[f"{name}_{k}" for k in ("count", "total", *shares.SHARE_COLUMNS)]]
        records = [disclosure.share_record(*row, threshold) for row in numbers.itertuples(False)]
        out = out.join(pd.DataFrame(records, index=out.index).add_prefix(f"{name}_"))
    return out


def limits_published(limits: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD):
    """Per release: records, the shares of minors, and the share with no means recorded, as a
    shown table; and {"minor_share": {release: share}, "no_means_share": {...}} for results
    JSON, None where not shown."""
    published = _published_limits(limits, threshold)
    shown = {name: share_column(published, threshold, name) for name in LIMIT_SHARES}
    table = pd.DataFrame(
        {
            "release": published["release"],
            "records": disclosure.suppress(published["records"], threshold),
            "minors at registration": shown["minor"],
            "minors when exploitation began": shown["minor_at_exploit"].mask(
                limits["minor_at_exploit_total"] == 0, NOT_IN_RELEASE
            ),
            "no means of control recorded": shown["no_means"].mask(
                ~limits["means_in_release"], NOT_IN_RELEASE
            ),
        }
    )
    by_release = published.set_index("release")
    record = {
        f"{name}_share": {r: _number(v, float) for r, v in by_release[f"{name}_share"].items()}
        for name in ("minor", "no_means")
    }
    return table, record


# ---------------------------------------------------------------------------------------------
# GLOTIP: counts and shares within the bounds of the export's `<5` cells


def protect_glotip_shares(
    table: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """A GLOTIP explicit-shares table with `suppressed` and `victims_hidden` columns and the
    hidden shares removed; its counts are ranges, so the rule must hold for every fill of the
    `<5` cells. A share is hidden when its explicit count, the rest of its victims, or its gain
    over the last shown instrument (they are nested) may be small; a group's victims when they
    may be small. Nothing more: no published figure is a sum of the groups (the overall share
    comes from the Total rows), so no subtraction gives a hidden group away."""
    by = [c for c in shares.GROUPING if c in table]
    out = table.copy()
    rest_lower = out["victims_lower"] - out["explicit_lower"]
    rest_upper = out["victims_upper"] - out["explicit_upper"]
    hidden = disclosure.may_be_small(out["explicit_lower"], out["explicit_upper"], threshold)
    hidden |= disclosure.may_be_small(rest_lower, rest_upper, threshold)
    for _, part in out.groupby(["vintage", *by], sort=False):
        before, nested = (0, 0), part.sort_values(["explicit_lower", "explicit_upper"])
        for row in nested.itertuples():
            gain = (row.explicit_lower - before[0], row.explicit_upper - before[1])
            hidden[row.Index] = hidden[row.Index] or bool(disclosure.may_be_small(*gain, threshold))
            if not hidden[row.Index]:
                before = (row.explicit_lower, row.explicit_upper)
    out["suppressed"] = hidden
    victims = (out["victims_lower"], out["victims_upper"])
    out["victims_hidden"] = disclosure.may_be_small(*victims, threshold)
    columns = ["share", *shares.RANGE_COLUMNS, "lower", "upper"]
    out[columns] = out[columns].mask(hidden, axis=0)
    return out


def glotip_share_text(share_min, share_max, lower=None, upper=None) -> str:
    """A GLOTIP share: as `disclosure.share_text` where its bounds agree, else its range,
    '74.8–75.4%', with the widened interval when given, '74.8–75.4% (74.7–75.5)'."""
    if pd.isna(share_min) or pd.isna(share_max):
        return disclosure.HIDDEN_SHARE
    if share_min == share_max:
        return disclosure.share_text(share_min, lower, upper)
    text = f"{bounds_text(100 * share_min, 100 * share_max, 1)}%"
    if pd.isna(lower) or pd.isna(upper):
        return text
    return f"{text} ({bounds_text(100 * lower, 100 * upper, 1)})"


def _number(value, kind=int):
    return None if pd.isna(value) else kind(value)


def glotip_share_record(row: dict) -> dict:
    """A row of a protected GLOTIP table for results JSON: counts (explicit, `total`: victims)
    and their bounds, the share, its range and interval; None where hidden."""
    hidden, total_hidden = bool(row["suppressed"]), bool(row.get("victims_hidden"))
    record = {}
    for name, column, gone in (("count", "explicit", hidden), ("total", "victims", total_hidden)):
        for end in ("", "_lower", "_upper"):
            record[name + end] = None if gone else _number(row[column + end])
    record |= {"suppressed": hidden, "suppressed_cells": int(row["suppressed_cells"])}
    for key in ("share", *shares.RANGE_COLUMNS, "lower", "upper"):
        record[key] = None if hidden else _number(row[key], float)
    return record


def nested_records(table: pd.DataFrame, keys: list[str], record=glotip_share_record) -> dict:
    """{key: ... {instrument: record(row)}} for results JSON (by default `glotip_share_record`
    of each row of a protected GLOTIP table)."""
    out: dict = {}
    for row in table.to_dict("records"):
        node = out
        for key in keys:
            node = node.setdefault(str(row[key]), {})
        node[row["instrument"]] = record(row)
    return out


# ---------------------------------------------------------------------------------------------
# The tables as a reader sees them: codes in words


WORDS = {
    "ctdc": "CTDC",
    "glotip": "GLOTIP",
    "transgender_nonconforming": "transgender or gender non-conforming",
    "age_group": "age group",
    "suppressed_cells": "cells published as <5",
    "first_explicit_in": "first named explicitly in",
    "flagged": "records with the form flagged",
    "only_eu_explicit": "named explicitly only by the EU texts",
    "records": "records of the release",
}


@functools.cache
def category_words() -> dict[str, str]:
    """Each category of the reviewed mapping as a reader names it ('labour_begging' → 'forced
    labour: begging'); GLOTIP's categories are words already."""
    return dict(load_mapping()[["category", "label"]].itertuples(index=False))


def _word(value):
    if not isinstance(value, str):
        return value
    if value in releases.CTDC:
        return release_label(value)
    for code in releases.CTDC:  # a release named inside a text (a mapping's reason)
        value = value.replace(f"{code} records", f"records of the {release_label(code)}")
    return WORDS.get(value) or category_words().get(value, value)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A shown table with its codes in words: releases by name, genders, categories and
    column names in words (cells that are numbers or shares are left as they are)."""
    out = frame.rename(index=_word, columns=_word)
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(_word)
    out.index.names = [WORDS.get(n, n) if n else n for n in out.index.names]
    return out


def table_view(frame: pd.DataFrame, caption: str, note: str = "", index: bool = True):
    """A table of this report for the reader (`tables.Table`), its codes in words."""
    return tables.Table(readable(frame), caption=caption, note=note, index=index)
