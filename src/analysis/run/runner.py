"""Run the notebook DAG into a dated report folder: incremental, parallel, atomic, locked.

A run is written into `reports/.partial-<run>/` and renamed into place at the end, so a crash
leaves the previous report as it was; `latest` moves only when the run passed its audit.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from tqdm import tqdm

from analysis import catalog
from analysis.data import files, guard, paths, sources
from analysis.run import committed, executors, parameters, pipeline, store
from analysis.run.committed import changed
from analysis.run.index_page import INDEX, PROFILES_PAGE, below_threshold, write_index
from analysis.run.report_page import RunInfo, source_label
from analysis.run.steps import (
    STEPS,
    Step,
    dependencies,
    notebook_parameters,
    notebook_paths,
)

MANIFEST = "manifest.json"
LATEST = "latest"
REPORT_DIR_PARAMETER = "report_dir"
BROKEN = ("failed", "blocked")


class RunError(Exception):
    """The run cannot start (bad options, a lock held by another run)."""


@dataclass
class RunOptions:
    only: list[str] | None = None
    parameters: dict[str, dict] = field(default_factory=dict)  # notebook -> parameters
    fan_out: dict[str, list] = field(default_factory=dict)  # parameter -> one report per value
    drop: dict[str, list] = field(default_factory=dict)  # fan-out values to remove from latest
    prune_older_than: float | None = None  # seconds: store entries older than this go first
    jobs: int = os.cpu_count() or 1
    force: bool = False
    with_code: bool = False
    keep_going: bool = False
    reports_root: Path | None = None
    executor: str = "local"  # local: a process pool here; dask: a cluster (`executors`)
    scheduler: str | None = None  # the Dask scheduler's address (or $ANALYSIS_DASK_SCHEDULER)
    allow_modified: bool = False  # run notebooks that differ from the commit (`committed`)
    publish_below_threshold: bool = False  # such a run may become `latest` (min_cell < 10)
    dry_run: bool = False  # say what would run and why; run nothing (`Run.explain`)


@dataclass
class StepResult:
    status: str  # ok, failed, unchanged, blocked, not run
    seconds: float = 0.0
    key: str = ""
    error: str = ""
    peak_rss_bytes: int | None = None
    reused_from: str | None = None
    last_seconds: float | None = None  # an unchanged notebook's time when it last ran
    last_peak_rss_bytes: int | None = None  # and its kernel's peak memory then
    blocked_by: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # `Report.warn`: ends "ok with warnings"


# Hashes that decide whether a notebook is out of date.


def sha256_file(path: Path) -> str:
    stat = path.stat()
    return _sha256_unchanged(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _sha256_unchanged(path: Path, mtime_ns: int, size: int) -> str:
    """Each file is hashed once per process while it does not change (steps share inputs)."""
    return sources.sha256_of(path)


PACKAGE_ROOT = Path(__file__).parents[1]  # the `analysis` package whose code notebooks import
LOCK_FILE = "requirements.lock"


def code_hashes(notebook: Path) -> dict[str, str]:
    """sha256 of the code a notebook's outputs depend on, by path (`analysis/mse.py`): the
    modules it imports, closed over their imports, so that editing a module re-runs only the
    notebooks using it; plus the lock file and the package's non-Python files, read by path."""
    modules = _imported_files(_notebook_code(notebook))
    closure = _closure(modules) if modules is not None else _package_files("*.py")
    data = [p for p in _package_files("*") if p.suffix != ".py"]
    hashes = {
        str(p.relative_to(PACKAGE_ROOT.parent)): sha256_file(p) for p in sorted({*closure, *data})
    }
    lock = paths.project_root() / LOCK_FILE
    hashes[LOCK_FILE] = sha256_file(lock) if lock.is_file() else "missing"
    return hashes


def _package_files(pattern: str) -> list[Path]:
    found = PACKAGE_ROOT.rglob(pattern)
    return [p for p in found if p.is_file() and "__pycache__" not in p.parts]


def _notebook_code(notebook: Path) -> str:
    """The code cells' source, IPython magics and shell lines (`%`, `!`) blanked."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
    ]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _closure(roots: set[Path]) -> set[Path]:
    """The package files `roots` import, directly or through each other."""
    seen: set[Path] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            stat = path.stat()
            todo.extend(_module_imports(path, stat.st_mtime_ns, stat.st_size))
    return seen


@functools.cache
def _module_imports(path: Path, mtime_ns: int, size: int) -> frozenset[Path]:
    """The package files a module imports (cached while the module does not change)."""
    package = path.parent.relative_to(PACKAGE_ROOT.parent).parts  # of its relative imports
    return frozenset(_imported_files(path.read_text(encoding="utf-8"), package) or ())


def _imported_files(source: str, package: tuple[str, ...] = ()) -> set[Path] | None:
    """The package files the imports in `source` run; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            start = package[: len(package) - node.level + 1] if node.level else ()
            base = ".".join([*start, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # maybe submodules
    return {path for name in names for path in _files_of(name)}


def _files_of(name: str) -> list[Path]:
    """The files importing module `name` runs: each package's __init__.py, then the module."""
    parts = name.split(".")
    if parts[0] != PACKAGE_ROOT.name:
        return []
    found, folder = [], PACKAGE_ROOT.parent
    for part in parts:
        folder = folder / part
        if (folder / "__init__.py").is_file():
            found.append(folder / "__init__.py")
        elif folder.with_suffix(".py").is_file():
            return [*found, folder.with_suffix(".py")]
        else:
            break
    return found


def input_hashes(step: Step) -> dict[str, str]:
    """sha256 of every input: registered raw files (from the registry) and processed tables."""
    names = None if "*" in step.raw_sources else step.raw_sources
    hashes = {f"raw:{f.key}": f.sha256 for s in sources.select(names) for f in s.files}
    for name in step.processed_inputs:
        path = catalog.table(name).location()
        hashes[project_relative(path)] = sha256_file(path) if path.is_file() else "missing"
    return hashes


def output_hashes(step: Step) -> dict[str, str]:
    written = (t.location() for t in catalog.written_by(step.notebook))
    return {project_relative(p): sha256_file(p) for p in written if p.is_file()}


def project_relative(path: Path) -> str:
    """A processed table as data/processed/<name> wherever it is (`verify` uses a scratch one)."""
    with contextlib.suppress(ValueError):
        return str(Path("data/processed") / path.relative_to(paths.processed_dir()))
    return str(path.relative_to(paths.project_root()))


def step_key(notebook: Path, parameters: dict, with_code: bool, code: dict, inputs: dict) -> str:
    fields = {"notebook": sha256_file(notebook), "parameters": parameters, "inputs": inputs}
    blob = json.dumps({**fields, "code": code, "with_code": with_code}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


# The report folder: lock, the previous run, the files of a notebook.


class ReportLock:
    """An exclusive lock on a reports folder, so that two runs never write it at once."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / ".lock"

    def __enter__(self):
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "unknown"
            self.handle.close()
            raise RunError(
                f"another run is writing {self.path.parent} ({holder}); wait for it to finish"
            ) from None
        self.handle.truncate(0)
        self.handle.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        self.handle.flush()
        return self

    def __exit__(self, *exc):
        self.handle.truncate(0)
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def latest_run(root: Path) -> Path | None:
    link = root / LATEST
    return link.resolve() if link.is_symlink() and (link / MANIFEST).is_file() else None


def previous_run(root: Path) -> tuple[Path | None, dict]:
    """The latest run and its manifest; a damaged one is named and treated as no earlier run."""
    previous = latest_run(root)
    if previous is None:
        return None, {}
    try:
        return previous, load_manifest(previous)
    except RunError as exc:
        print(f"warning: {exc}; running as if there were no earlier run", file=sys.stderr)
        return None, {}


def load_manifest(run: Path) -> dict:
    path = run / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{path} is damaged or unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("notebooks"), dict):
        raise RunError(f"{path} is damaged: it holds no notebooks")
    return manifest


def notebook_files(run: Path, notebook: str) -> list[Path]:
    """A notebook's files in a run folder, relative to it."""
    # results: its results, table records (for the audit), figures' titles and layout checks
    ends = (".json", ".tables.json", ".figures.json")
    found = [run / f"{notebook}.ipynb", run / f"{notebook}.html"]
    found += [run / "results" / f"{notebook}{end}" for end in ends]
    for folder in (run / "figures" / notebook, run / "tables" / notebook):
        found += sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return [p.relative_to(run) for p in found if p.is_file()]


def has_records(entry: dict, notebook: str) -> bool:
    """Whether a notebook's files include its table records where they include its results
    (a run made before the audit has none: its reports must re-run)."""
    files = entry.get("files", [])
    return f"results/{notebook}.json" not in files or f"results/{notebook}.tables.json" in files


def publish(partial: Path, final: Path, latest: bool = True) -> None:
    """Rename the finished run into place, then (atomically) point `latest` at it."""
    os.replace(partial, final)
    if not latest:
        return
    tmp_link = final.parent / f".{LATEST}.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, final.parent / LATEST)


# Progress: a bar and one line per notebook in a terminal; timestamped lines for cron.


class Progress:
    """`[k/N] name: outcome · time left` per finished task: above a tqdm bar in a terminal,
    as timestamped lines in a log."""

    def __init__(self, total: int, jobs: int = 1, bar: bool = True):
        self.total, self.jobs, self.finished, self.durations = total, max(1, jobs), 0, []
        self.tty = bar and sys.stderr.isatty()
        self.bar = tqdm(total=total, unit="notebook", file=sys.stderr, disable=not self.tty)

    def line(self, text: str) -> None:
        if self.tty:
            self.bar.write(text, file=sys.stderr)
        else:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"{stamp} {text}", file=sys.stderr, flush=True)

    def left(self) -> str:
        if not self.durations or self.finished >= self.total:
            return ""
        seconds = sum(self.durations) / len(self.durations) * (self.total - self.finished)
        seconds /= self.jobs
        return f" · {seconds / 60:.0f} min left" if seconds >= 90 else f" · {seconds:.0f} s left"

    def done(self, notebook: str, result: StepResult) -> None:
        self.finished += 1
        if result.status in ("ok", "failed"):
            self.durations.append(result.seconds)
        warned = f" with warnings ({'; '.join(result.warnings)})" if result.warnings else ""
        memory = f", {result.peak_rss_bytes / 2**20:.0f} MiB" if result.peak_rss_bytes else ""
        detail = {
            "ok": f"ok{warned} in {result.seconds:.1f} s{memory}",
            "failed": f"FAILED after {result.seconds:.1f} s{memory}: {result.error}",
            "unchanged": f"unchanged{warned}, carried over from {result.reused_from}",
            "blocked": f"skipped: needs {', '.join(result.blocked_by)}",
            "not run": "not run",
        }[result.status]
        self.line(f"[{self.finished}/{self.total}] {notebook}: {detail}{self.left()}")
        self.bar.update(1)


# The run.


def resolve_steps(
    notebook_dir: Path, steps: tuple[Step, ...] = STEPS
) -> dict[str, tuple[Step, Path]]:
    """Match the declared steps with the notebooks on disk; a mismatch is an error."""
    on_disk = {nb.stem: nb for nb in notebook_paths(notebook_dir)}
    declared = {s.notebook: s for s in steps}
    if set(on_disk) != set(declared):
        raise RunError(
            "notebooks and steps disagree: "
            f"not declared in analysis/run/steps.py: {sorted(set(on_disk) - set(declared))}; "
            f"declared but missing from {notebook_dir}: {sorted(set(declared) - set(on_disk))}"
        )
    unknown = {r for s in steps for r in s.processed_inputs if r not in catalog.TABLES}
    if unknown:
        raise RunError(f"steps read tables the catalog does not declare: {sorted(unknown)}")
    return {name: (declared[name], on_disk[name]) for name in declared}


@dataclass(frozen=True)
class Task:
    """One notebook execution: a step, or one instance of a fan-out step (`stem-VALUE`)."""

    name: str
    step: Step
    notebook: Path
    fixed: dict = field(default_factory=dict)  # the fan-out parameter of an instance


def fan_out_default(notebook: Path, parameter: str) -> object:
    declared = notebook_parameters(notebook)
    if parameter not in declared:
        raise RunError(f"{notebook.name} fans out over {parameter!r} but does not declare it")
    return ast.literal_eval(declared[parameter])


def expand(plan: dict[str, tuple[Step, Path]], fan_out: dict[str, list]) -> dict[str, Task]:
    """The tasks of a run: each step once, and each fan-out step once per value."""
    tasks = {}
    for stem, (step, notebook) in plan.items():
        if step.fan_out is None:
            tasks[stem] = Task(stem, step, notebook)
            continue
        values = (
            fan_out[step.fan_out]
            if step.fan_out in fan_out
            else [fan_out_default(notebook, step.fan_out)]
        )
        for value in dict.fromkeys(values):
            name = f"{stem}-{value}"
            tasks[name] = Task(name, step, notebook, {step.fan_out: value})
    return tasks


def task_dependencies(tasks: dict[str, Task]) -> dict[str, set[str]]:
    steps = {t.step.notebook: t.step for t in tasks.values()}
    by_step = dependencies(tuple(steps.values()))
    instances: dict[str, set[str]] = {}
    for task in tasks.values():
        instances.setdefault(task.step.notebook, set()).add(task.name)
    return {
        t.name: set().union(*(instances[d] for d in by_step[t.step.notebook]))
        for t in tasks.values()
    }


def run(
    options: RunOptions, notebook_dir: Path | None = None, steps: tuple[Step, ...] = STEPS
) -> tuple[int, Path]:
    """Run the DAG; return the exit status and the run folder written (when nothing changed,
    the one `latest` points to). 1 when a notebook failed or the run failed its audit."""
    root = options.reports_root or paths.reports_dir()
    plan = resolve_steps(notebook_dir or paths.notebooks_dir(), steps)
    if options.only and (unknown := set(options.only) - set(plan)):
        raise RunError(f"no notebook named {', '.join(sorted(unknown))}; have {', '.join(plan)}")
    for notebook, values in options.parameters.items():
        if notebook not in plan:
            raise RunError(f"parameters given for unknown notebook {notebook!r}")
        if unknown := set(values) - set(notebook_parameters(plan[notebook][1])):
            raise RunError(f"{notebook} has no parameter {', '.join(sorted(unknown))}")
    modified = check_committed(plan, options)
    check_raw_files(step for step, _ in plan.values())
    with ReportLock(root):
        for stale in root.glob(".partial-*") if not options.dry_run else ():
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed run
        if options.prune_older_than is not None and not options.dry_run:
            pruned = store.prune(root, options.prune_older_than)
            print(f"pruned {pruned} stored report(s) older than the limit", file=sys.stderr)
        previous, manifest = previous_run(root)
        before = manifest.get("notebooks", {})
        fan_out = kept_fan_out(plan, before, options.fan_out, options.drop,
                               manifest.get("fan_out"))  # fmt: skip
        pending = Run(options, expand(plan, fan_out), root, previous, before)
        pending.fan_out = fan_out
        pending.published = manifest.get("outputs", {})
        pending.modified = modified
        return pending.execute()


def check_committed(plan: dict[str, tuple[Step, Path]], options: RunOptions) -> dict:
    """The run's notebooks that differ from the commit: refused unless `allow_modified`."""
    chosen = {n: nb for n, (_, nb) in plan.items() if not options.only or n in options.only}
    found = committed.changes(chosen)
    if not found:
        return {}
    named = "; ".join(c.text() for c in found.values())
    if not options.allow_modified:
        raise RunError(
            f"notebooks differ from the commit: {named}. A scheduled run executes committed "
            "notebooks only: commit the change, discard it (git checkout -- notebooks/), "
            "or run with --allow-modified"
        )
    print(f"running notebooks that differ from the commit (--allow-modified): {named}",
          file=sys.stderr)  # fmt: skip
    return found


def check_raw_files(steps: Iterable[Step]) -> None:
    """Refuse to start when a raw file the steps read is missing or altered."""
    names = {name for step in steps for name in step.raw_sources}
    if not names:
        return
    problems = sources.recheck(None if "*" in names else sorted(names))
    if problems:
        listed = "; ".join(p.detail for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RunError(
            f"{len(problems)} raw file(s) missing or altered since they were fetched: {listed}"
            f"{more}. Delete any altered file and fetch the data again (make data)"
        )


def kept_fan_out(
    plan: dict[str, tuple[Step, Path]], before: dict, asked: dict[str, list], drop: dict,
    recorded: dict | None = None,
) -> dict[str, list]:  # fmt: skip
    """The fan-out values of a run: those asked for, then the latest run's, less those
    dropped (a profile once published stays until dropped). With none: the notebook's
    default, unless the latest run had none because they were dropped (`recorded` is [])."""
    recorded = recorded or {}
    values: dict[str, list] = {}
    for stem, (step, notebook) in plan.items():
        if step.fan_out is None:
            continue
        kept = [e["fan_out"][step.fan_out] for e in before.values()
                if e.get("notebook") == stem and step.fan_out in e.get("fan_out", {})]  # fmt: skip
        chosen = [*asked.get(step.fan_out, []), *kept]
        chosen = [v for v in dict.fromkeys(chosen) if v not in drop.get(step.fan_out, [])]
        if not chosen and not drop.get(step.fan_out) and recorded.get(step.fan_out) != []:
            chosen = [fan_out_default(notebook, step.fan_out)]
        values[step.fan_out] = chosen
    return values


class Run:
    """One run of the DAG into a partial folder; `execute` decides, schedules and collects."""

    def __init__(
        self, options: RunOptions, tasks: dict[str, Task], root: Path, previous, before: dict
    ):
        self.options, self.tasks, self.root = options, tasks, root
        self.previous, self.before = previous, before  # the latest run and its manifest entries
        self.started_utc = datetime.now(UTC)
        base = self.started_utc.strftime("%Y-%m-%dT%H%M%SZ")
        self.run_id, n = base, 1
        while (root / self.run_id).exists():  # a run started in the same second
            n += 1
            self.run_id = f"{base}-{n}"
        self.partial = root / f".partial-{self.run_id}"
        self.deps = task_dependencies(tasks)
        self.results: dict[str, StepResult] = {}
        self.parameters: dict[str, dict] = {}
        self.code: dict[str, dict[str, str]] = {}  # task -> the code files its key counts
        self.running: dict[Future, tuple[str, str]] = {}  # future -> (notebook, key)
        self.stop = False
        self.progress = Progress(len(tasks), options.jobs, bar=not options.dry_run)
        self.modified: dict = {}  # notebook stem -> `committed.Change`, run as asked
        self.inputs: dict[str, dict] = {}  # task -> its inputs' sha256 when it was decided
        self.why: dict[str, str] = {}  # task -> why it was executed (`reason`)
        self.pinned: dict[str, tuple[str, str]] = {}  # processed table -> (sha256, its writer)
        self.published: dict[str, str] = {}  # the previous run's files -> sha256 when made
        self.fan_out: dict[str, list] = {}  # parameter -> the values of this run's reports
        self.pool: Executor | None = None
        self.submitted: dict[str, tuple] = {}  # task -> the arguments of `pipeline.run_notebook`
        self.workers = executors.Workers()  # which local worker runs which task

    def ready(self) -> list[str]:
        """Tasks whose dependencies are done, the slowest last time first (shorter makespan)."""
        busy = {name for name, _ in self.running.values()}
        ready = [
            n
            for n in self.tasks
            if n not in self.results and n not in busy and self.deps[n] <= set(self.results)
        ]
        return sorted(ready, key=lambda n: -self.priority[n])

    def estimate(self, name: str) -> float:
        """A task's seconds: its last run time, else its step's typical time."""
        old = self.before.get(name, {})
        return old.get("seconds") or old.get("last_seconds") or self.tasks[name].step.seconds

    @functools.cached_property
    def priority(self) -> dict[str, float]:
        """The longest chain of work from each task to the end of the run: starting the
        longest chain first keeps both cores busy (critical-path list scheduling)."""
        after: dict[str, set[str]] = {name: set() for name in self.tasks}
        for name, before in self.deps.items():
            for dep in before:
                after[dep].add(name)
        chain: dict[str, float] = {}

        def longest(name: str) -> float:
            if name not in chain:
                tail = max((longest(n) for n in after[name]), default=0.0)
                chain[name] = self.estimate(name) + tail
            return chain[name]

        return {name: longest(name) for name in self.tasks}

    @functools.cached_property
    def git(self) -> dict:
        def git(*args: str) -> str:
            root = paths.project_root()
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
            return done.stdout.strip() if done.returncode == 0 else ""

        commit = git("rev-parse", "HEAD") or None
        return {"commit": commit, "dirty": bool(git("status", "--porcelain"))}

    def run_info(self, task: Task, params: dict) -> RunInfo:
        """What the header line of the task's report says: this run, its commit, the data."""
        commit = (self.git["commit"] or "unknown")[:7]
        commit += " (with uncommitted changes)" if self.git["dirty"] else ""
        steps = {t.step.notebook: t.step for t in self.tasks.values()}
        names = used_raw_sources(task.step, steps)
        found = {
            n: parameters.default_value(s) for n, s in notebook_parameters(task.notebook).items()
        }
        given = {n: value for n, value in found.items() if value is not ...} | params  # literals
        if "*" in names:
            data = ("every registered source",)
        else:
            registry = sources.registry()
            data = tuple(
                source_label(n, registry[n].title if n in registry else "")
                for n in chosen_vintages(names, given)
            )
        created = self.started_utc.strftime("%Y-%m-%d %H:%M UTC")
        min_cell = given.get("min_cell")
        change = self.modified.get(task.step.notebook)
        return RunInfo(self.run_id, created, commit, data, min_cell=min_cell,
                       modified=change.header() if change else "",
                       profiles=PROFILES_PAGE if task.step.fan_out else "")  # fmt: skip

    def incomplete(self) -> str:
        """Why the run does not become `latest`: what failed, and what `--only` left out."""
        broken = sorted(n for n, r in self.results.items() if r.status in BROKEN)
        left = sum(r.status == "not run" for r in self.results.values())
        parts = []
        if broken:
            parts.append(f"{', '.join(broken[:5])}{' …' if len(broken) > 5 else ''} "
                         "failed or blocked")  # fmt: skip
        if left:
            parts.append(f"{left} of {len(self.results)} notebooks not selected "
                         "(only a complete run becomes the latest)")  # fmt: skip
        return "this run is not complete: " + "; ".join(parts or ["some notebooks did not run"])

    def reason(self, name: str, params: dict, key: str = "") -> str:
        """Why a task runs, against the latest run (as the log and --dry-run say it)."""
        old = self.before.get(name)
        if old is None:
            return "not in the latest run"
        if self.options.force:
            return "forced"
        if old.get("status") not in ("ok", "unchanged"):
            return f"it was {old.get('status')} in the latest run"

        found = []
        if params != old.get("parameters", {}):
            found.append("parameters changed: " + ", ".join(changed(params, old["parameters"])))
        if inputs := changed(self.inputs.get(name, {}), old.get("inputs", {})):
            found.append("inputs changed: " + ", ".join(i.removeprefix("raw:") for i in inputs))
        if code := changed(self.code.get(name, {}), old.get("code", {})):
            more = f" and {len(code) - 3} more" if len(code) > 3 else ""
            found.append("code changed: " + ", ".join(code[:3]) + more)
        if not found and old.get("processed_outputs") != output_hashes(self.tasks[name].step):
            found.append("its tables changed since it wrote them")
        if not found and not store.unaltered(self.previous, old.get("files", []), self.published):
            found.append(f"its published files were edited after run {self.previous.name}")
        if not found and key and old.get("key") == key:
            found.append("its stored report was pruned or lost")
        return "; ".join(found) or "the notebook changed"

    def stored(self, name: str, key: str) -> dict | None:
        """The store's entry for this key, while its tables are the ones it wrote."""
        entry = store.find(self.root, key)
        if entry is None or entry.get("processed_outputs") != output_hashes(self.tasks[name].step):
            return None
        return entry if has_records(entry, name) else None

    def choose(self, name: str) -> tuple[str, str, object]:
        """What to do with a task whose dependencies are done: blocked, failed (a table changed
        under the run), store (reused from whichever run made it), not run, or execute; its
        key and a detail."""
        task = self.tasks[name]
        params = {**self.options.parameters.get(task.step.notebook, {}), **task.fixed}
        self.parameters[name] = params
        self.code[name] = code_hashes(task.notebook)
        self.inputs[name] = inputs = input_hashes(task.step)
        key = step_key(task.notebook, params, self.options.with_code, self.code[name], inputs)
        failed = sorted(d for d in self.deps[name] if self.results[d].status in BROKEN)
        only = self.options.only
        selected = only is None or name in only or task.step.notebook in only
        forced = selected and self.options.force
        if failed:
            return "blocked", key, {"blocked_by": failed}
        if changed := self.changed_under_run(inputs):
            return "failed", key, {"error": changed}
        if not forced and (entry := self.stored(name, key)):
            made_by = entry["run_id"]
            if not (self.root / made_by).is_dir():  # stopped before it was published, or removed
                made_by += " (a run that is not a folder of reports/: its files were kept)"
            return "store", key, (entry, made_by)
        if self.stop or not selected:
            return "not run", key, {}
        return "execute", key, None

    def decide(self, name: str) -> None:
        task = self.tasks[name]
        what, key, detail = self.choose(name)
        if what == "store":
            entry, made_by = detail
            store.restore(self.root, entry, self.partial)  # made by an earlier run, any run
            last = {"last_seconds": entry.get("seconds", 0.0)}
            last["last_peak_rss_bytes"] = entry.get("peak_rss_bytes")
            what, detail = "unchanged", {"reused_from": made_by, **last}
        if what != "execute":
            self.finish(name, StepResult(what, key=key, **detail))
            return
        params = self.parameters[name]
        injected = dict(params)
        if REPORT_DIR_PARAMETER in notebook_parameters(task.notebook):
            injected[REPORT_DIR_PARAMETER] = str(self.partial)
        reads = (*task.step.reads, *task.step.writes)  # a step may read back its own tables
        env = guard.environment(task.step.notebook, reads)
        # The instances of a fan-out share a kernel kept by each local worker (Dask workers
        # outlive the run: a kept kernel would carry this run's code into the next).
        keep = bool(task.fixed) and self.options.executor == "local"
        info = self.run_info(task, params)
        self.submitted[name] = (task.notebook, self.partial, injected, self.options.with_code,
                                name, env, info, keep)  # fmt: skip
        self.submit(name, key)
        self.why[name] = self.reason(name, params, key)
        self.progress.line(f"{name}: running ({self.why[name]})")

    def explain(self) -> tuple[int, Path | None]:
        """--dry-run: what a run would do with each task and why, on stdout. A task after one
        that would run is judged on the tables as they are now."""
        would: set[str] = set()
        while len(self.results) < len(self.tasks):
            for name in self.ready():
                what, key, detail = self.choose(name)
                after = sorted(self.deps[name] & would)
                if what == "execute":
                    would.add(name)
                    line = f"would run ({self.reason(name, self.parameters[name], key)})"
                    line += f", after {' and '.join(after)}" if after else ""
                elif what == "not run":
                    line = "not selected"
                else:
                    line = f"unchanged: would be carried over from {detail[1]}"
                    if after:
                        verb = "changes its" if len(after) == 1 else "change their"
                        line += f", unless {' and '.join(after)} {verb} tables"
                print(f"{name}: {line}")
                self.results[name] = StepResult("ok" if what == "execute" else "unchanged")
        print(f"dry run: {len(would)} of {len(self.tasks)} notebooks would run; nothing was "
              "executed or written")  # fmt: skip
        return 0, self.previous

    def submit(self, name: str, key: str) -> None:
        """Start a task in the pool (a local worker notes its pid first)."""
        args = (pipeline.run_notebook, *self.submitted[name])
        if isinstance(self.pool, ProcessPoolExecutor):
            args = (executors.tracked, self.workers.marker(name), *args)
        try:
            self.running[self.pool.submit(*args)] = (name, key)
        except BrokenProcessPool:  # a worker died since the last wait: a new pool, then this
            self.renew_pool()
            self.running[self.pool.submit(*args)] = (name, key)

    def renew_pool(self) -> None:
        """A new local pool in place of a broken one (its processes remembered first)."""
        self.workers.remember(self.pool)
        self.pool.shutdown(wait=False)
        self.pool = executors.make(self.options.executor, self.options.jobs)

    def collect(self) -> None:
        finished, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in finished:
            name, key = self.running.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:  # a local worker was killed (the OOM killer, say)
                if not (error := self.workers.lost(name, self.pool)):
                    self.resubmit(name, key)
                    continue
                outcome = pipeline.Outcome(name, False, 0.0, error)
            except Exception as exc:  # a Dask worker died, the connection was lost: a failure
                error = executors.task_error(exc, self.pool)
                outcome = pipeline.Outcome(name, False, 0.0, error)
            status = "ok" if outcome.ok else "failed"
            seconds = round(outcome.seconds, 2)
            if outcome.ok:  # kept at once: a run stopped later loses no finished work
                record = {"name": name, "run_id": self.run_id, "seconds": seconds,
                          "peak_rss_bytes": outcome.peak_rss,
                          "processed_outputs": output_hashes(self.tasks[name].step)}  # fmt: skip
                store.save(self.root, key, self.partial, notebook_files(self.partial, name), record)
            result = StepResult(status, seconds, key, outcome.error, outcome.peak_rss)
            result.warnings = list(outcome.warnings)
            self.finish(name, result)
            if not outcome.ok and not self.options.keep_going:
                self.stop = True

    def resubmit(self, name: str, key: str) -> None:
        """Run a task again in a new pool: the pool broke when a worker beside it was killed."""
        if getattr(self.pool, "_broken", False):
            self.renew_pool()
        self.progress.line(f"{name}: running again (a worker beside it was lost)")
        self.submit(name, key)

    def finish(self, name: str, result: StepResult) -> None:
        if result.status == "unchanged":  # carried over with its results file
            result.warnings = list(pipeline.report_warnings(self.partial, name))
        if result.status in ("ok", "unchanged"):  # what later steps must read: pinned
            for rel, sha in output_hashes(self.tasks[name].step).items():
                self.pinned[rel] = (sha, name)
        self.results[name] = result
        self.progress.done(name, result)

    def changed_under_run(self, hashes: dict[str, str]) -> str:
        """The processed tables (of `hashes`) that differ from what their step wrote in this
        run (a notebook run in JupyterLab meanwhile), in a sentence; or ''."""
        changed = [f"{rel} (written by {self.pinned[rel][1]})" for rel, sha in hashes.items()
                   if rel in self.pinned and self.pinned[rel][0] != sha]  # fmt: skip
        if not changed:
            return ""
        return (f"{', '.join(changed)} changed during this run, after its step wrote it (a "
                "notebook run outside the runner, in JupyterLab?); run again")  # fmt: skip

    def execute(self) -> tuple[int, Path | None]:
        if self.options.dry_run:
            return self.explain()
        started = time.perf_counter()
        try:  # before the partial folder: a scheduler out of reach leaves nothing behind
            self.pool = executors.make(self.options.executor, self.options.jobs,
                                       self.options.scheduler)  # fmt: skip
        except executors.ExecutorError as exc:
            raise RunError(str(exc)) from None
        self.partial.mkdir(parents=True)
        try:
            while len(self.results) < len(self.tasks):
                for name in self.ready():
                    if len(self.running) >= self.options.jobs:
                        break
                    self.decide(name)
                if self.running:
                    self.collect()
        except BaseException:
            executors.stop(self.pool)  # its kernels end with their workers
            shutil.rmtree(self.partial, ignore_errors=True)
            raise
        else:
            self.pool.shutdown()
        finally:
            self.progress.bar.close()
            self.workers.close()
        try:
            return self.publish(started)
        except BaseException:  # a full disk, say: no half-written partial folder stays
            shutil.rmtree(self.partial, ignore_errors=True)
            raise

    def publish(self, started: float) -> tuple[int, Path | None]:
        statuses = [r.status for r in self.results.values()]
        executed = sum(s in ("ok", "failed") for s in statuses)
        broken = sum(s in BROKEN for s in statuses)
        # none dropped, none added, and each the latest run's own (not one of other parameters
        # taken from the store)
        same_reports = set(self.tasks) == set(self.before) and all(
            self.results[n].key == self.before[n].get("key") for n in self.tasks
        )
        if self.previous is not None and not executed and not broken and same_reports:
            shutil.rmtree(self.partial)
            self.progress.line(f"nothing changed since {self.previous.name}: report is up to date")
            return 0, self.previous
        final = self.root / self.run_id
        found = self.audit(final)
        manifest = build_manifest(self, started)
        manifest["audit"] = found
        write_index(manifest, self.partial)  # its pages state the verdict: hashed too
        for page in (INDEX, PROFILES_PAGE):
            if (self.partial / page).is_file():
                manifest["outputs"][page] = sha256_file(self.partial / page)
        files.write_json(manifest, self.partial / MANIFEST)
        store.read_only(p for p in self.partial.rglob("*") if p.is_file())
        complete = all(s in ("ok", "unchanged") for s in statuses)
        unsafe = below_threshold(manifest) and not self.options.publish_below_threshold
        moved = self.changed_under_run({r: _table_hash(r, "missing") for r in self.pinned})
        latest = found["passed"] and complete and not unsafe and not moved
        publish(self.partial, final, latest=latest)
        self.progress.line(
            f"run {self.run_id}: {self.counts()}, {time.perf_counter() - started:.1f} s; "
            f"report: {final / 'index.html'}"
        )
        kept = f"still points at {self.previous.name}" if self.previous else "is not made"
        if not found["passed"]:
            self.progress.line(f"this run failed its audit: {LATEST} {kept}")
        elif moved:
            self.progress.line(f"{LATEST} {kept}: {moved}")
        elif unsafe:
            self.progress.line(
                f"{LATEST} {kept}: reports of this run use a small-cell threshold below the safe "
                f"one and are not safe to publish ({', '.join(below_threshold(manifest)[:5])}); "
                "--publish-below-threshold makes such a run the latest"
            )
        elif not complete:
            self.progress.line(f"{LATEST} {kept}: {self.incomplete()}; its report is "
                               f"{final / 'index.html'}")  # fmt: skip
        return (1 if broken or not found["passed"] else 0), final

    def counts(self) -> str:
        """'3 executed (1 failed), 10 unchanged, 1 blocked, 1 with warnings'."""
        count = Counter(r.status for r in self.results.values())
        text = f"{count['ok'] + count['failed']} executed"
        text += f" ({count['failed']} failed)" if count["failed"] else ""
        text += f", {count['unchanged']} unchanged"
        text += "".join(f", {count[s]} {s}" for s in ("blocked", "not run") if count[s])
        warned = sum(bool(r.warnings) for r in self.results.values())
        return text + (f", {warned} with warnings" if warned else "")

    def audit(self, final: Path) -> dict:
        """The disclosure audit of the partial run, as the manifest records it (and the log)."""
        from analysis.run import audit  # scipy: imported only by a run that publishes

        try:
            result = audit.audit(self.partial, list(self.tasks), audit.display(final))
            found = result.summary()
        except audit.AuditError as exc:
            found = {"passed": False, "status": 2, "error": str(exc),
                     "verdict": f"Disclosure audit could not run: {exc}"}  # fmt: skip
        self.progress.line(found["verdict"])
        for line in [c["text"] for c in found.get("exposed", [])] + found.get("inconsistent", []):
            self.progress.line(f"  {line}")
        return found


def build_manifest(run: Run, started: float) -> dict:
    notebooks = {}
    for name, result in run.results.items():
        step = run.tasks[name].step
        entry = {k: v for k, v in vars(result).items() if v not in (None, [], "")}
        entry["notebook"] = step.notebook
        entry["parameters"] = run.parameters.get(name, {})
        if run.tasks[name].fixed:
            entry["fan_out"] = run.tasks[name].fixed
        entry["inputs"] = run.inputs.get(name) or input_hashes(step)  # as the step read them
        if name in run.why:
            entry["why"] = run.why[name]
        entry["code"] = run.code.get(name, {})
        entry["processed_outputs"] = output_hashes(step)
        entry["files"] = [str(p) for p in notebook_files(run.partial, name)]
        notebooks[name] = entry
    written = sorted(p for p in run.partial.rglob("*") if p.is_file() and p.name != MANIFEST)
    used = {src for task in run.tasks.values() for src in task.step.raw_sources}
    return {
        "run_id": run.run_id,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.perf_counter() - started, 2),
        "git": run.git,
        "python": platform.python_version(),
        "kernel": pipeline.KERNEL_NAME,
        "packages": {d.metadata["Name"]: d.version for d in metadata.distributions()},
        "notebooks": notebooks,
        "fan_out": run.fan_out,  # [] when every report of a fan-out was dropped
        "outputs": {str(p.relative_to(run.partial)): sha256_file(p) for p in written},
        "sources": {
            s.name: {k: getattr(s, k) for k in ("title", "vintage", "citation", "landing_page")}
            for s in sources.select(sorted(sources.registry() if "*" in used else used))
        },
    }


def used_raw_sources(step: Step, steps: dict[str, Step]) -> list[str]:
    """The registry names a step's report rests on: its own raw reads and those of its tables'
    writers that carry the table's name (all of them when none does: `victims`)."""
    names = list(step.raw_sources)
    for table in step.processed_inputs:
        writer = steps.get(catalog.table(table).writer)
        raw = writer.raw_sources if writer else []
        names += [r for r in raw if r.startswith(table)] or raw
    return list(dict.fromkeys(names))


def chosen_vintages(names: list[str], given: dict) -> list[str]:
    """Of several vintages of one family (glotip_...), those a parameter value or an item of a
    list value names (glotip_vintage "2025": glotip_2025); all of them when none is named."""
    values = set()
    for value in given.values():
        items = value if isinstance(value, list | tuple) else [value]
        values.update(str(item) for item in items if isinstance(item, str | int))
    families: dict[str, list[str]] = {}
    for name in names:
        families.setdefault(name.split("_")[0], []).append(name)
    kept = []
    for members in families.values():
        named = [m for m in members if m.split("_", 1)[-1] in values]
        kept += named if named and len(members) > 1 else members
    return kept


def resolve_parameters(
    plan: dict[str, tuple[Step, Path]], values: dict[str, object]
) -> dict[str, dict]:
    """Spread `key` / `notebook.key` values to the notebooks that declare the parameter."""
    declared = {name: notebook_parameters(nb) for name, (_, nb) in plan.items()}
    resolved: dict[str, dict] = {}
    for key, value in values.items():
        notebook, _, name = key.rpartition(".")
        targets = [notebook] if notebook else [n for n in plan if name in declared[n]]
        if notebook and notebook not in plan:
            raise RunError(f"parameter {key}: no notebook named {notebook!r}")
        if not targets or (notebook and name not in declared[notebook]):
            raise RunError(f"no notebook declares a parameter {key!r}")
        for target in targets:
            checked = parameters.check(target, name, value, declared[target][name])
            resolved.setdefault(target, {})[name] = checked
    return resolved


def verify(
    run_dir: Path | None = None,
    jobs: int | None = None,
    notebook_dir: Path | None = None,
    steps: tuple[Step, ...] = STEPS,
    only: list[str] | None = None,
) -> int:
    """Hash a run's published files against its manifest, then re-execute its notebooks (and
    the steps they read from) into scratch folders and compare what a reader gets; 0 when all
    match. `data/processed` is never rewritten; a run that differs is kept for comparison."""
    root = paths.reports_dir()
    run_dir = run_dir.resolve() if run_dir else latest_run(root)
    if run_dir is None or not (run_dir / MANIFEST).is_file():
        raise RunError(f"no run to verify: {run_dir or root / LATEST} has no {MANIFEST}")
    recorded = load_manifest(run_dir)
    names = _verified(recorded, only)
    scratch = Path(tempfile.mkdtemp(prefix="thb-verify-"))
    with ReportLock(root):
        published = _published_states(run_dir, recorded, names)
        fresh_dir = _re_execute(recorded, names, jobs, notebook_dir, steps, scratch)
    fresh = load_manifest(fresh_dir)
    states = {}  # report -> each item a reader gets of it -> match, ALTERED or MISSING
    for name in names:
        now = _checked_items(fresh, name)
        states[name] = {i: _state(s, now.get(i)) for i, s in _checked_items(recorded, name).items()}
        if (run_dir / f"{name}.html").is_file():  # the page's text
            page = fresh_dir / f"{name}.html"
            got = page_text(page) if page.is_file() else None
            states[name][f"{name}.html (text)"] = _state(page_text(run_dir / f"{name}.html"), got)
    bad = _print_verdict(recorded, published, states, notebook_dir or paths.notebooks_dir())
    if bad:
        print(f"the re-executed run is kept for comparison: {fresh_dir}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if bad or not any(states.values()) else 0


def _verified(recorded: dict, only: list[str] | None) -> list[str]:
    """The run's reports to verify: all, or those of the notebooks named in `only`."""
    entries = recorded["notebooks"]
    if not only:
        return list(entries)
    stems = {entry["notebook"] for entry in entries.values()}
    if unknown := sorted(set(only) - stems):
        raise RunError(
            f"the run has no notebook {', '.join(unknown)}; it has {', '.join(sorted(stems))}"
        )
    return [name for name, entry in entries.items() if entry["notebook"] in only]


def _state(expected: str, got: str | None) -> str:
    return "match" if got == expected else ("MISSING" if got is None else "ALTERED")


def _print_verdict(recorded: dict, published: dict, states: dict, folder: Path) -> bool:
    """Print what differs, one line per report, then the verdict; whether anything does."""
    print(f"verify run {recorded['run_id']}: {len(states)} reports, {len(published)} published "
          f"files hashed, {sum(map(len, states.values()))} items re-executed")  # fmt: skip
    for item, state in sorted(published.items()):
        if state == "EXTRA":
            print(f"EXTRA     {item} (not published by the run: added after it)")
        elif state != "match":
            print(f"{state:9} {item} (published file, edited or removed after the run)")
    altered = 0
    for name, own in states.items():
        if not (wrong := sorted(i for i, s in own.items() if s != "match")):
            continue
        altered += 1
        what = ", ".join(f"{i} ({own[i]})" if own[i] == "MISSING" else i for i in wrong)
        entry, code = recorded["notebooks"][name], []
        notebook = folder / f"{entry['notebook']}.ipynb"
        if notebook.is_file() and entry.get("code"):  # the code files that differ from the run's
            code = changed(code_hashes(notebook), entry["code"])
        code_text = f"; code changed since the run: {', '.join(code)}" if code else ""
        print(f"ALTERED   {name}: {what}{code_text}")
    edited = sum(s != "match" for s in published.values())
    print(f"{len(states) - altered} of {len(states)} reports match on re-execution"
          + (f", {altered} ALTERED" if altered else "")
          + (f"; {edited} published files edited, removed or added" if edited else ""))  # fmt: skip
    return bool(altered or edited)


def _published_states(run_dir: Path, manifest: dict, names: list[str] | None = None) -> dict:
    """Each published file and processed table of the reports `names` (default all) against
    the manifest: match, ALTERED, MISSING or EXTRA."""
    names = list(manifest["notebooks"]) if names is None else names
    everything = len(names) == len(manifest["notebooks"])
    mine = {f for n in names for f in manifest["notebooks"][n].get("files", [])}
    states = {}
    for rel, sha in manifest.get("outputs", {}).items():
        if not everything and rel not in mine:
            continue
        path = run_dir / rel
        states[rel] = _state(sha, sources.sha256_of(path) if path.is_file() else None)
    for name in names:
        for rel, sha in manifest["notebooks"][name].get("processed_outputs", {}).items():
            states[rel] = _state(sha, _table_hash(rel))
    listed = {*manifest.get("outputs", {}), MANIFEST}
    if INDEX not in manifest.get("outputs", {}):  # a run made before its index was hashed
        listed |= {INDEX, PROFILES_PAGE}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file() or p.is_symlink()):
        if str(path.relative_to(run_dir)) not in listed:
            states[str(path.relative_to(run_dir))] = "EXTRA"
    return states


def _table_hash(rel: str, missing: str | None = None) -> str | None:
    """The sha256 of a processed table named as data/processed/<name>, or `missing`."""
    path = paths.processed_dir() / Path(rel).relative_to("data/processed")
    return sources.sha256_of(path) if path.is_file() else missing


def _re_execute(recorded: dict, names: list[str], jobs, notebook_dir, steps, scratch: Path) -> Path:
    """Re-execute a run's reports `names` and the steps they read from into `scratch`."""
    parameters: dict[str, dict] = {}
    fan_out: dict[str, list] = {}
    for name in names:
        entry = recorded["notebooks"][name]
        fixed = entry.get("fan_out", {})
        for key, value in fixed.items():
            fan_out.setdefault(key, []).append(value)
        shared = {k: v for k, v in entry.get("parameters", {}).items() if k not in fixed}
        parameters[entry["notebook"]] = shared
    wanted = {recorded["notebooks"][n]["notebook"] for n in names}
    needs = dependencies(steps)
    # and every step they read from, into the scratch processed folder
    while upstream := {u for w in wanted for u in needs.get(w, set())} - wanted:
        wanted |= upstream
    options = RunOptions(
        only=sorted(wanted),
        parameters=parameters,
        fan_out=fan_out,
        force=True,
        keep_going=True,
        jobs=jobs or os.cpu_count() or 1,
        reports_root=scratch / "reports",
        allow_modified=True,  # what changed since the run is what verify reports
    )
    processed = scratch / "processed"
    processed.mkdir(exist_ok=True)
    with pipeline.environment({paths.PROCESSED_ENV: str(processed)}):
        _, fresh_dir = run(options, notebook_dir, steps)
    return fresh_dir


def page_text(path: Path) -> str:
    """A report's text as a reader sees it, less its run header (run, date, commit, alerts)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for node in soup.select("p.thb-header, p.thb-unsafe, script, style"):
        node.decompose()
    return " ".join(soup.get_text(" ").split())


def _checked_items(manifest: dict, name: str) -> dict[str, str]:
    """What a reader gets of report `name`, with its sha256: figures, results, tables."""
    entry, outputs = manifest["notebooks"].get(name, {}), manifest["outputs"]
    kept = ("figures/", "results/", "tables/")
    items = {r: outputs[r] for r in entry.get("files", []) if r.startswith(kept) and r in outputs}
    return {**items, **entry.get("processed_outputs", {})}
