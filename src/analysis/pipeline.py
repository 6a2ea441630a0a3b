"""Execute the notebooks with papermill and render them to HTML.

Every execution uses the project kernel (`KERNEL_NAME`), explicit start and execution
timeouts, the notebook's own folder as working directory, and IPC sockets in a private
temporary folder: no TCP ports to clash between kernels run side by side, and no
"running over TCP without encryption" warning from ipykernel 7 in scheduled-run logs.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter

from analysis import paths

KERNEL_NAME = "thb-analysis"
START_TIMEOUT_S = 120
EXECUTION_TIMEOUT_S = 1800


def _ipc_kernel_manager(folder: Path) -> type[AsyncKernelManager]:
    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(folder / "kernel"), **kwargs)

    return IPCKernelManager


def notebooks(folder: Path | None = None) -> list[Path]:
    """The pipeline's notebooks, in run order (their numeric prefix)."""
    return sorted((folder or paths.notebooks_dir()).glob("[0-9][0-9]_*.ipynb"))


def execute(notebook: Path, output: Path, parameters: dict | None = None) -> None:
    """Run `notebook` into `output`; papermill saves the output even when a cell fails."""
    with tempfile.TemporaryDirectory(prefix="thb-kernel-") as sockets:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters or {},
            kernel_name=KERNEL_NAME,
            cwd=notebook.parent,
            start_timeout=START_TIMEOUT_S,
            execution_timeout=EXECUTION_TIMEOUT_S,
            kernel_manager_class=_ipc_kernel_manager(Path(sockets)),
            progress_bar=False,
            log_output=False,
        )


def render_html(executed: Path, html: Path, with_code: bool = False) -> None:
    """Render an executed notebook to one self-contained HTML file (images are inline)."""
    exporter = HTMLExporter(exclude_input=not with_code, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    with paths.atomic_path(html) as tmp:
        tmp.write_text(body, encoding="utf-8")


@dataclass
class Outcome:
    notebook: str
    ok: bool
    seconds: float
    error: str = ""


def run_notebook(
    notebook: Path, out_dir: Path, parameters: dict | None = None, with_code: bool = False
) -> Outcome:
    """Execute and render one notebook. A failed notebook is still saved and rendered."""
    start = time.perf_counter()
    executed = out_dir / notebook.name
    error = ""
    with paths.atomic_path(executed) as tmp:
        try:
            execute(notebook, tmp, parameters)
        except papermill.PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    render_html(executed, executed.with_suffix(".html"), with_code)
    return Outcome(notebook.stem, not error, time.perf_counter() - start, error)
