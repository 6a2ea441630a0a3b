"""Parameter values from the command line or a parameters file, checked before any kernel starts.

Each value must have the type of the notebook's default; a whole number given for a text
default (`-p glotip_vintage=2023`, which YAML reads as a number) becomes text.
"""

from __future__ import annotations

import ast
import reprlib
import sys

from analysis.publish import disclosure


class ParameterError(ValueError):
    """A parameter value that does not fit the notebook's default."""


def default_value(source: str):
    """A default as Python sees it (its source text from the parameters cell), or ... where it
    is an expression that is not a literal."""
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return ...


def _type_name(default) -> str:
    if default is None:
        return "text or nothing (null)"
    if isinstance(default, list):
        kinds = {type(v).__name__ for v in default} or {"str"}
        return f"a list of {' or '.join(sorted(_PLURAL.get(k, k) for k in kinds))}"
    return _SINGULAR.get(type(default).__name__, type(default).__name__)


_SINGULAR = {"int": "a whole number", "str": "text", "float": "a number", "bool": "true or false"}
_PLURAL = {"int": "whole numbers", "str": "texts", "float": "numbers", "bool": "true/false values"}


def _fits(value, default):
    """`value` as the default's type, or raise TypeError."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if default is ... or (value is None and default is None):
        return value
    if default is None or isinstance(default, str):
        if isinstance(value, str) or whole:
            return str(value)  # -p glotip_vintage=2023: YAML reads a number
    elif isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if whole:
            return value
    elif isinstance(default, float):
        if whole or isinstance(value, float):
            return float(value)
    elif isinstance(default, list) and isinstance(value, list):
        text = not default or all(isinstance(v, str) for v in default)
        return [_fits(v, "" if text else default[0]) for v in value]
    raise TypeError


MAX_THRESHOLD = 100  # a small-cell threshold above this hides nearly every count
FOLDER_SUFFIX = "_dir"  # parameters that name a folder: set in JupyterLab only


def quoted(value, limit: int = 120) -> str:
    """A value as an error quotes it: a few items of each list, a few levels, cut at `limit`
    characters (a YAML alias bomb holds millions of items behind shared references)."""
    short = reprlib.Repr()  # Python 3.11 takes no limits as arguments
    short.maxlevel, short.maxlist, short.maxdict, short.maxstring = 3, 4, 4, 60
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check(notebook: str, name: str, value, default_source: str):
    """`value` converted to the type of the default (`default_source`), or a ParameterError.
    A folder (a parameter named `*_dir`) is refused: a run takes its folders from the project
    (the catalog's processed tables, the run folder), so that no run writes or reads elsewhere."""
    if name.endswith(FOLDER_SUFFIX):
        raise ParameterError(
            f"{notebook}: parameter {name} names a folder; a run reads and writes the "
            "project's own folders (data/processed, reports/), so it cannot be set here "
            "(in JupyterLab, set it in the notebook)"
        )
    default = default_value(default_source)
    try:
        value = _fits(value, default)
    except TypeError:
        raise ParameterError(
            f"{notebook}: parameter {name} must be {_type_name(default)} like its default "
            f"{default_source}; got {quoted(value)}"
        ) from None
    if name != "min_cell":
        return value
    try:
        disclosure.check_threshold(value)
    except ValueError as exc:
        raise ParameterError(f"{notebook}: parameter min_cell: {exc}") from None
    if value > MAX_THRESHOLD:
        raise ParameterError(
            f"{notebook}: parameter min_cell must be at most {MAX_THRESHOLD} (it hides every "
            f"count below it); got {value}"
        )
    if value < disclosure.DEFAULT_THRESHOLD:
        print(
            f"warning: {notebook}: small-cell threshold {value} is below "
            f"{disclosure.DEFAULT_THRESHOLD}: its tables are NOT safe to publish",
            file=sys.stderr,
        )
    return value
