"""Each loader of a mapping file refuses a bad copy with a DataError naming the file, the column
or entry, and the rows."""

from __future__ import annotations

import pytest

from analysis import catalog
from analysis.clean import ctdc
from analysis.data import mse_tables, releases
from analysis.data.errors import DataError
from analysis.schemas import victims


def bad_copy(tmp_path, source, old, new):
    """A copy of a mapping file with one text replaced (it must occur)."""
    text = source.read_text("utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def refused(load, path, *parts):
    with pytest.raises(DataError) as err:
        load(path)
    for part in [str(path), *parts]:
        assert part in str(err.value)


def test_flags(tmp_path):
    path = bad_copy(
        tmp_path,
        victims.FLAGS_FILE,
        "isForcedLabour,is_forced_labour,exploitation,1,1",
        "isSexualExploit,is_sexual_exploit,exploitaton,2,1",
    )
    refused(
        victims.load_flags,
        path,
        "repeated raw name in rows [3]",
        "column 'group' not in",
        "column 'synthetic_2021': not '0' or '1' in rows [3]",
        "column 'kanon_2021': repeated tidy name in rows [3]",
    )


def test_labels(tmp_path):
    path = bad_copy(tmp_path, ctdc.LABELS_FILE, "majority,Adult,False", "majority,Minor,yes")
    refused(
        ctdc.load_labels,
        path,
        "repeated (column, label) in rows [20]",
        "column 'value' not a tidy value of its column in rows [20]",
    )


@pytest.mark.parametrize(
    ("load", "source", "old", "new", "message"),
    [
        (
            ctdc.load_codings,
            ctdc.CODINGS_FILE,
            'codes = "ISO3"',
            'code = "ISO3"',
            "entry [synthetic_2021]: unknown keys ['code'], missing keys ['codes']",
        ),
        (
            releases.load,
            releases.RELEASES_FILE,
            'label = "CTDC Global Dataset (2020)"',
            "",
            "entry [ctdc.global_2020]: unknown keys [], missing keys ['label']",
        ),
    ],
)
def test_toml_entries(tmp_path, load, source, old, new, message):
    refused(load, bad_copy(tmp_path, source, old, new), message)


def test_mse_tables(tmp_path):
    old, new = '5 lists",1,,10000,', '5 lists",yes,,1O000,'
    path = bad_copy(tmp_path, mse_tables.TABLES_FILE, old, new)
    refused(
        mse_tables.load_tables,
        path,
        "column 'trafficking' not 0 or 1 in rows [2]",
        "column 'published_low' not a number in rows [2]",
    )


def test_catalog(tmp_path):
    old, new = "glotip,glotip.parquet", "victims,glotip.parquet"
    path = bad_copy(tmp_path, catalog.CATALOG_FILE, old, new)
    path.write_text(path.read_text("utf-8").replace("victims:VICTIMS", "victim:VICTIMS"), "utf-8")
    refused(
        catalog.load_catalog,
        path,
        "repeated table name in rows [5]",
        "column 'schema': unknown schema in rows [2]",
    )
