"""Execute one notebook with papermill and render it to HTML.

Kernels talk over IPC sockets in a private folder: no TCP ports clash between kernels side by
side. papermill, nbconvert and jupyter_client take seconds to import: imported where used.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.data import paths
from analysis.run import report_page

KERNEL_NAME = "thb-analysis"  # the Jupyter kernel every notebook runs with
TEMPLATES = Path(__file__).with_name("templates")  # thb: the lab template, nothing from the web
START_TIMEOUT_S = 120
EXECUTION_TIMEOUT_S = 1800
PAPERMILL = {
    "kernel_name": KERNEL_NAME,
    "start_timeout": START_TIMEOUT_S,
    "execution_timeout": EXECUTION_TIMEOUT_S,
    "progress_bar": False,
    "log_output": False,
    # Written once at the end (or at the failing cell), not after every cell: a notebook
    # with its figures is a megabyte, and each save re-validates it.
    "request_save_on_cell_execute": False,
}


def _peak_rss_bytes(pid: int | None) -> int | None:
    """The peak resident memory (VmHWM) of a live process, from /proc (Linux only)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _kernel_manager(sockets: Path) -> type:
    """A kernel manager on IPC sockets in `sockets`; it notes the kernel's peak memory and its
    clients (a kept kernel closes them)."""
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        peak_rss: int | None = None

        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(sockets / "kernel"), **kwargs)
            self.clients: list = []

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.clients.append(made)
            return made

        async def start_kernel(self, **kwargs) -> None:
            # The kernel process's own log (e.g. "KeyboardInterrupt caught in kernel" at
            # shutdown) goes to a file, not into scheduled-run logs; cell output is unaffected.
            with open(sockets / "kernel.log", "ab") as log:
                await super().start_kernel(stdout=log, stderr=log, **kwargs)

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            process = getattr(self.provisioner, "process", None)
            type(self).peak_rss = _peak_rss_bytes(getattr(process, "pid", None))
            await super().shutdown_kernel(now=now, restart=restart)

    return ProjectKernelManager


@dataclass
class Outcome:
    notebook: str
    ok: bool
    seconds: float
    error: str = ""
    peak_rss: int | None = None
    warnings: tuple[str, ...] = ()  # `Report.warn` sentences of a finished notebook


def environment(values: dict[str, str]):
    """Set environment variables for the kernel started inside the block (it inherits them)."""
    from unittest import mock

    return mock.patch.dict(os.environ, values)


# A kernel kept between notebooks: the instances of a fanned-out notebook (the country
# profiles) run one after another in the same kernel, its namespace cleared between them, so
# each pays neither the kernel's start nor its imports (about half of a profile's time).

RESET_CODE = (  # cell numbers restart at 1, as in a fresh kernel (errors name the cell)
    'get_ipython().run_line_magic("reset", "-f")\n'
    'import matplotlib.pyplot as plt; plt.close("all"); del plt\n'
    "get_ipython().execution_count = 1"
)
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]  # as nbclient starts its kernels
MAX_NOTEBOOKS_PER_KERNEL = 25  # then a fresh kernel: bounds what a long run accumulates


@dataclass
class KeptKernel:
    key: tuple  # the notebook and the kernel's environment it serves
    manager: object  # a started ProjectKernelManager
    sockets: tempfile.TemporaryDirectory
    runs: int = 0


_kept: KeptKernel | None = None


def _kept_kernel(notebook: Path, env: dict[str, str]) -> KeptKernel:
    """The kernel kept for this notebook and environment, started if there is none."""
    from jupyter_core.utils import run_sync

    global _kept
    key = (str(notebook), tuple(sorted(env.items())))
    if _kept is not None and (
        _kept.key != key
        or _kept.runs >= MAX_NOTEBOOKS_PER_KERNEL
        or not run_sync(_kept.manager.is_alive)()
    ):
        discard_kernel()
    if _kept is None:
        sockets = tempfile.TemporaryDirectory(prefix="thb-kernel-")
        _kept = KeptKernel(key, _kernel_manager(Path(sockets.name))(kernel_name=KERNEL_NAME),
                           sockets)  # fmt: skip
        _finalize_at_exit()
        with environment(env):
            run_sync(_kept.manager.start_kernel)(
                cwd=str(notebook.parent), extra_arguments=KERNEL_ARGUMENTS
            )
    return _kept


@functools.cache
def _finalize_at_exit() -> None:
    """Shut the kept kernel down when this process ends (a pool worker runs no atexit)."""
    from multiprocessing import util

    util.Finalize(None, discard_kernel, exitpriority=10)


def discard_kernel() -> None:
    """Shut the kept kernel down (nothing when there is none)."""
    from jupyter_core.utils import run_sync

    global _kept
    kept, _kept = _kept, None
    if kept is None:
        return
    with contextlib.suppress(Exception):
        _close_clients(kept.manager)
        run_sync(kept.manager.shutdown_kernel)(now=True)
    kept.sockets.cleanup()


def _close_clients(manager) -> None:
    for made in manager.clients:
        with contextlib.suppress(Exception):
            made.stop_channels()
    manager.clients.clear()


async def _reset(manager) -> bool:
    """Clear the kernel's namespace and figures; False when it does not answer."""
    made = manager.client()
    made.start_channels()
    try:
        await made.wait_for_ready(timeout=30)
        reply = await made.execute_interactive(RESET_CODE, timeout=30, store_history=False)
        return reply["content"]["status"] == "ok"
    except Exception:
        return False


def execute(
    notebook: Path,
    output: Path,
    parameters: dict,
    env: dict[str, str] | None = None,
    keep_kernel: bool = False,
) -> Outcome:
    """Run `notebook` into `output` (saved even when a cell fails), `env` in its kernel's
    environment; `keep_kernel`: keep the kernel for the next instance (`KeptKernel`)."""
    start = time.perf_counter()
    if keep_kernel:
        return _execute_in_kept_kernel(notebook, output, parameters, env or {}, start)
    discard_kernel()  # a kernel kept for a fan-out is not left idle beside this one
    with tempfile.TemporaryDirectory(prefix="thb-kernel-") as sockets, environment(env or {}):
        manager = _kernel_manager(Path(sockets))
        error = _papermill(notebook, output, parameters, Path(sockets),
                           kernel_manager_class=manager)  # fmt: skip
    return Outcome(notebook.stem, not error, time.perf_counter() - start, error, manager.peak_rss)


def _execute_in_kept_kernel(
    notebook: Path, output: Path, parameters: dict, env: dict[str, str], start: float
) -> Outcome:
    """`execute` in the kept kernel, cleared after the notebook (discarded when the kernel
    rather than a cell failed)."""
    from jupyter_core.utils import run_sync

    try:
        kept = _kept_kernel(notebook, env)
    except Exception as exc:  # the kernel did not start: a failed notebook, not a crash
        discard_kernel()
        error = f"the kernel did not start: {type(exc).__name__}: {exc}"
        return Outcome(notebook.stem, False, time.perf_counter() - start, error)
    try:
        kept.runs += 1
        error = _papermill(notebook, output, parameters, Path(kept.sockets.name), km=kept.manager)
        _close_clients(kept.manager)
        process = getattr(kept.manager.provisioner, "process", None)
        peak = _peak_rss_bytes(getattr(process, "pid", None))
        usable = (not error or error.startswith("cell ")) and run_sync(_reset)(kept.manager)
        _close_clients(kept.manager)
    except BaseException:
        discard_kernel()  # nothing runs in a kernel whose notebook was not cleared
        raise
    if not usable:
        discard_kernel()
    return Outcome(notebook.stem, not error, time.perf_counter() - start, error, peak)


def _papermill(notebook: Path, output: Path, parameters: dict, sockets: Path, **kernel) -> str:
    """Execute with papermill; the error as one line, '' when every cell ran."""
    import papermill

    try:
        papermill.execute_notebook(
            notebook, output, parameters=parameters, cwd=notebook.parent, **PAPERMILL, **kernel
        )
    except papermill.PapermillExecutionError as exc:
        return f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # timeouts, a dead kernel: still a failed notebook, not a crash
        if paths.disk_problem(exc):
            raise  # a full or read-only disk: no half-written notebook is kept
        log = sockets / "kernel.log"
        tail = log.read_text(errors="replace").strip()[-500:] if log.is_file() else ""
        return f"{type(exc).__name__}: {exc}" + (f" (kernel log: {tail})" if tail else "")
    return ""


def escaped_markdown(source: str) -> str:
    """Markdown as nbconvert renders it, but with any HTML in it escaped (shown as text) and
    no javascript: links: for the Markdown outputs that notebooks build from data."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=True, allow_harmful_protocols=False)
    return MarkdownWithMath(renderer=renderer).render(source)


@functools.cache
def _exporter(with_code: bool):
    """The HTML exporter, made once per process: compiling its templates takes 0.5 s."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {report_page.LAB_ONLY}
    return HTMLExporter(
        config=config,
        template_name="thb",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={"escaped_markdown": escaped_markdown},
    )


def render_html(
    executed: Path,
    html: Path,
    with_code: bool = False,
    info: report_page.RunInfo | None = None,
    warnings: Sequence[str] = (),
) -> None:
    """Render an executed notebook to one self-contained HTML file, with the run's header line
    (`info`) and its `warnings` at the top."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    title = report_page.title_of(notebook) or executed.stem
    body, _ = _exporter(with_code).from_notebook_node(notebook)
    with paths.atomic_path(html) as tmp:
        tmp.write_text(report_page.finish(body, title, info, warnings), encoding="utf-8")


def run_notebook(
    notebook: Path,
    out_dir: Path,
    parameters: dict,
    with_code: bool,
    name: str,
    env: dict[str, str],
    info: report_page.RunInfo,
    keep_kernel: bool,
) -> Outcome:
    """Execute and render one notebook into `out_dir` as `name`, also when it fails."""
    executed = out_dir / f"{name}.ipynb"
    with paths.atomic_path(executed) as tmp:
        outcome = execute(notebook, tmp, parameters, env, keep_kernel)
        if not tmp.stat().st_size:  # the kernel never started: keep the source notebook
            tmp.write_bytes(notebook.read_bytes())
    if outcome.ok:
        outcome = replace(outcome, warnings=report_warnings(out_dir, executed.stem))
    render_html(executed, executed.with_suffix(".html"), with_code, info, outcome.warnings)
    return outcome


def report_warnings(run_dir: Path, name: str) -> tuple[str, ...]:
    """The warnings a report recorded (`Report.warn`) in its results file."""
    path = run_dir / "results" / f"{name}.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("results", {}).get("warnings")
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(str(w) for w in found) if isinstance(found, list) else ()
