"""The look of every figure, from `style.toml`: seaborn's theme written out as matplotlib
settings (importing seaborn costs 1.3 s at the start of every kernel), plus the project's font
and bold titles."""

from __future__ import annotations

import tomllib
from pathlib import Path

from cycler import cycler

_STYLE = tomllib.loads(Path(__file__).with_name("style.toml").read_text(encoding="utf-8"))
COLORBLIND = tuple(_STYLE["colorblind"])
SERIES = tuple(_STYLE["series"])
SEABORN_THEME = {**_STYLE["seaborn"], "axes.prop_cycle": cycler(color=list(COLORBLIND))}
PROJECT = _STYLE["project"]
