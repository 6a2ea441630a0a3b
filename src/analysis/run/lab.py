"""JupyterLab for the project (`make lab`): notebooks are saved without outputs, so a figure
or count shown in the lab never lands in git (`ContentsManager.pre_save_hook`).
"""

from __future__ import annotations


def strip_outputs(model: dict, **_) -> None:
    """Remove the outputs and execution counts of a notebook about to be saved (in place)."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    for cell in model["content"].get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
