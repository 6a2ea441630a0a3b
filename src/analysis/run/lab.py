"""JupyterLab for the project (`make lab`): notebooks are saved without outputs.

JupyterLab autosaves into the tracked notebook. With this hook (the server's
`ContentsManager.pre_save_hook`, set by `make lab`) what is saved holds the code and the text,
never the outputs or execution counts: a saved notebook stays committable and small, and a
figure or a count shown in the lab never lands in git. The run refuses a notebook whose cells
differ from the commit (`analysis.run.committed`).
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
