"""Execute one notebook with papermill and render it to HTML.

Every execution uses the project kernel (`KERNEL_NAME`), explicit start and execution
timeouts, the notebook's own folder as working directory, and IPC sockets in a private
temporary folder: no TCP ports to clash between kernels run side by side, and no
"running over TCP without encryption" warning from ipykernel 7 in scheduled-run logs.

Each runner worker imports this module, so it imports little at the top (not pandas, which
analysis.run.steps pulls in through the catalog); papermill, nbconvert, nbformat and
jupyter_client, which take seconds, are imported where they are used, so that neither a run
with nothing to do nor a test that only names KERNEL_NAME pays for them.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.data import paths
from analysis.run import report_page

KERNEL_NAME = "thb-analysis"  # the Jupyter kernel every notebook runs with
TEMPLATES = Path(__file__).with_name("templates")  # thb: the lab template, nothing from the web
START_TIMEOUT_S = 120
EXECUTION_TIMEOUT_S = 1800


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
    """A kernel manager on IPC sockets in `sockets` that notes the kernel's peak memory."""
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        peak_rss: int | None = None

        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(sockets / "kernel"), **kwargs)

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


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the kernel started inside the block (it inherits them)."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(
    notebook: Path, output: Path, parameters: dict, env: dict[str, str] | None = None
) -> Outcome:
    """Run `notebook` into `output`. Papermill saves the output even when a cell fails.

    `env` goes to the kernel's environment: the runner names the step and its declared reads
    there (`analysis.data.guard`)."""
    import papermill

    start = time.perf_counter()
    error = ""
    with tempfile.TemporaryDirectory(prefix="thb-kernel-") as sockets, environment(env or {}):
        manager = _kernel_manager(Path(sockets))
        try:
            papermill.execute_notebook(
                notebook,
                output,
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                cwd=notebook.parent,
                start_timeout=START_TIMEOUT_S,
                execution_timeout=EXECUTION_TIMEOUT_S,
                kernel_manager_class=manager,
                progress_bar=False,
                log_output=False,
                # Written once at the end (or at the failing cell), not after every cell: a
                # notebook with its figures is a megabyte, and each save re-validates it.
                request_save_on_cell_execute=False,
            )
        except papermill.PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        except Exception as exc:  # timeouts, a dead kernel: still a failed notebook, not a crash
            if paths.disk_problem(exc):
                raise  # a full or read-only disk: no half-written notebook is kept
            log = Path(sockets) / "kernel.log"
            tail = log.read_text(errors="replace").strip()[-500:] if log.is_file() else ""
            error = f"{type(exc).__name__}: {exc}" + (f" (kernel log: {tail})" if tail else "")
    return Outcome(notebook.stem, not error, time.perf_counter() - start, error, manager.peak_rss)


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

    return HTMLExporter(
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
    """Render an executed notebook to one self-contained HTML file (images are inline), titled
    with its first heading; `info` (the run that made it) gives it its header line, and its
    `warnings` open the key findings."""
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
    name: str | None = None,
    env: dict[str, str] | None = None,
    info: report_page.RunInfo | None = None,
) -> Outcome:
    """Execute and render one notebook into `out_dir` as `name` (default: the notebook's stem).

    A failed notebook is still saved and rendered, with its error.
    """
    executed = out_dir / f"{name or notebook.stem}.ipynb"
    with paths.atomic_path(executed) as tmp:
        outcome = execute(notebook, tmp, parameters, env)
        if not tmp.stat().st_size:  # the kernel never started: keep the source notebook
            tmp.write_bytes(notebook.read_bytes())
    if outcome.ok:
        outcome = replace(outcome, warnings=report_warnings(out_dir, executed.stem))
    render_html(executed, executed.with_suffix(".html"), with_code, info, outcome.warnings)
    return outcome


def report_warnings(run_dir: Path, name: str) -> tuple[str, ...]:
    """The warnings a report recorded (`Report.warn`) in its results file; none without."""
    path = run_dir / "results" / f"{name}.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("results", {}).get("warnings")
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(str(w) for w in found) if isinstance(found, list) else ()
