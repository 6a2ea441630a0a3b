"""Run the notebook DAG into a dated report folder: incremental, parallel, atomic, locked.

A run writes into `reports/.partial-<run>/` and renames it to `reports/<run>/` only at the
end, then points `reports/latest` at it: a crash or Ctrl-C leaves the previous report as it
was. Before that, the disclosure audit (`audit.py`) checks the tables of all its reports
together; when it fails, the run folder is still written but `latest` stays where it was.
A notebook is re-executed only when its source, parameters, inputs or the code it imports
(`code_hashes`) changed since the latest run (or with `force`); otherwise its outputs are
carried over from that run. Independent notebooks run side by side in worker processes.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from tqdm import tqdm

from analysis import catalog
from analysis.data import files, guard, paths, sources
from analysis.run import pipeline
from analysis.run.index_page import write_index
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
    jobs: int = os.cpu_count() or 1
    force: bool = False
    with_code: bool = False
    keep_going: bool = False
    reports_root: Path | None = None


@dataclass
class StepResult:
    status: str  # ok, failed, unchanged, blocked, not run
    seconds: float = 0.0
    key: str = ""
    error: str = ""
    peak_rss_bytes: int | None = None
    reused_from: str | None = None
    last_seconds: float | None = None  # an unchanged notebook's time when it last ran
    blocked_by: list[str] = field(default_factory=list)


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
    """sha256 of the code a notebook's outputs depend on, by path (`analysis/mse.py`).

    The `analysis` modules its code cells import, closed over those modules' own imports, so
    that editing a module re-runs only the notebooks that use it. Counted for every notebook:
    the lock file (library versions) and the package's non-Python files (mappings, registry,
    templates), which code reads by path at run time where imports cannot trace them. A
    notebook whose code does not parse counts every module.
    """
    modules = _imported_files(_notebook_code(notebook))
    closure = _closure(modules) if modules is not None else _package_files("*.py")
    data = [p for p in _package_files("*") if p.suffix != ".py"]
    hashes = {_code_name(p): sha256_file(p) for p in sorted({*closure, *data})}
    lock = paths.project_root() / LOCK_FILE
    hashes[LOCK_FILE] = sha256_file(lock) if lock.is_file() else "missing"
    return hashes


def _package_files(pattern: str) -> list[Path]:
    found = PACKAGE_ROOT.rglob(pattern)
    return [p for p in found if p.is_file() and "__pycache__" not in p.parts]


def _code_name(path: Path) -> str:
    return str(path.relative_to(PACKAGE_ROOT.parent))


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
    """The package files that the imports in `source` run (every import statement, also
    inside functions); None when the source does not parse."""
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
    """The files importing module `name` runs: each package's __init__.py, then the module
    (nothing outside the package; a trailing name that is no module, e.g. a function, is
    ignored)."""
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
    return str(path.relative_to(paths.project_root()))


def step_key(
    step: Step, notebook: Path, parameters: dict, with_code: bool, code: dict[str, str]
) -> str:
    blob = json.dumps(
        {
            "notebook": sha256_file(notebook),
            "parameters": parameters,
            "inputs": input_hashes(step),
            "code": code,
            "with_code": with_code,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


# The report folder: lock, previous run, carrying outputs over.


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


def load_manifest(run: Path) -> dict:
    return json.loads((run / MANIFEST).read_text(encoding="utf-8"))


def notebook_files(run: Path, notebook: str) -> list[Path]:
    """A notebook's files in a run folder, relative to it."""
    found = [
        run / f"{notebook}.ipynb",
        run / f"{notebook}.html",
        run / "results" / f"{notebook}.json",
        run / "results" / f"{notebook}.tables.json",  # its table records, for the audit
    ]
    for folder in (run / "figures" / notebook, run / "tables" / notebook):
        found += sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return [p.relative_to(run) for p in found if p.is_file()]


def carry_over(previous: Path, target: Path, notebook: str) -> None:
    for rel in notebook_files(previous, notebook):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(previous / rel, target / rel)
        except OSError:
            shutil.copy2(previous / rel, target / rel)


def new_run_id(root: Path) -> str:
    base = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    run_id, n = base, 1
    while (root / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def has_records(entry: dict, notebook: str) -> bool:
    """Whether a notebook's files in a manifest include its table records wherever they
    include its results (a run made before the audit has none: its reports must re-run)."""
    files = entry.get("files", [])
    return f"results/{notebook}.json" not in files or f"results/{notebook}.tables.json" in files


def publish(partial: Path, final: Path, latest: bool = True) -> None:
    """Rename the finished run into place, then point `latest` at it (both atomic renames);
    `latest=False` leaves `latest` where it was (a run that failed its audit)."""
    os.replace(partial, final)
    if not latest:
        return
    tmp_link = final.parent / f".{LATEST}.tmp"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, final.parent / LATEST)


# Progress: a bar and one line per notebook in a terminal; timestamped lines for cron.


class Progress:
    def __init__(self, total: int):
        self.tty = sys.stderr.isatty()
        self.bar = tqdm(total=total, unit="notebook", file=sys.stderr) if self.tty else None

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"{stamp} {text}", file=sys.stderr, flush=True)

    def done(self, notebook: str, result: StepResult) -> None:
        detail = {
            "ok": f"ok in {result.seconds:.1f} s",
            "failed": f"FAILED after {result.seconds:.1f} s: {result.error}",
            "unchanged": f"unchanged, carried over from {result.reused_from}",
            "blocked": f"skipped: needs {', '.join(result.blocked_by)}",
            "not run": "not run",
        }[result.status]
        self.line(f"{notebook}: {detail}")
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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


def check_parameters(plan: dict[str, tuple[Step, Path]], parameters: dict[str, dict]) -> None:
    for notebook, values in parameters.items():
        if notebook not in plan:
            raise RunError(f"parameters given for unknown notebook {notebook!r}")
        unknown = set(values) - set(notebook_parameters(plan[notebook][1]))
        if unknown:
            raise RunError(f"{notebook} has no parameter {', '.join(sorted(unknown))}")


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
        values = fan_out.get(step.fan_out) or [fan_out_default(notebook, step.fan_out)]
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
    check_parameters(plan, options.parameters)
    tasks = expand(plan, options.fan_out)
    with ReportLock(root):
        for stale in root.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed run
        return Run(options, tasks, root).execute()


class Run:
    """One run of the DAG into a partial folder; `execute` decides, schedules and collects."""

    def __init__(self, options: RunOptions, tasks: dict[str, Task], root: Path):
        self.options, self.tasks, self.root = options, tasks, root
        self.previous = latest_run(root)
        self.before = load_manifest(self.previous)["notebooks"] if self.previous else {}
        self.run_id = new_run_id(root)
        self.partial = root / f".partial-{self.run_id}"
        self.deps = task_dependencies(tasks)
        self.results: dict[str, StepResult] = {}
        self.parameters: dict[str, dict] = {}
        self.code: dict[str, dict[str, str]] = {}  # task -> the code files its key counts
        self.running: dict[Future, tuple[str, str]] = {}  # future -> (notebook, key)
        self.stop = False
        self.progress = Progress(len(tasks))

    def ready(self) -> list[str]:
        """Tasks whose dependencies are done, the slowest last time first (shorter makespan)."""
        busy = {name for name, _ in self.running.values()}
        ready = [
            n
            for n in self.tasks
            if n not in self.results and n not in busy and self.deps[n] <= set(self.results)
        ]
        return sorted(ready, key=lambda n: -self.priority[n])

    def last_seconds(self, name: str) -> float:
        old = self.before.get(name, {})
        return old.get("seconds") or old.get("last_seconds") or 0.0

    @functools.cached_property
    def priority(self) -> dict[str, float]:
        """The longest chain of work from a task to the end of the run, by last run times
        (1 s where unknown): starting the task that heads the longest chain first keeps both
        cores busy (critical-path list scheduling)."""
        after: dict[str, set[str]] = {name: set() for name in self.tasks}
        for name, before in self.deps.items():
            for dep in before:
                after[dep].add(name)
        chain: dict[str, float] = {}

        def longest(name: str) -> float:
            if name not in chain:
                tail = max((longest(n) for n in after[name]), default=0.0)
                chain[name] = (self.last_seconds(name) or 1.0) + tail
            return chain[name]

        return {name: longest(name) for name in self.tasks}

    def is_fresh(self, name: str, key: str) -> bool:
        old = self.before.get(name, {})
        return (
            old.get("key") == key
            and old.get("status") in ("ok", "unchanged")
            and old.get("processed_outputs") == output_hashes(self.tasks[name].step)
            and has_records(old, name)
        )

    def decide(self, name: str, pool: ProcessPoolExecutor) -> None:
        task = self.tasks[name]
        params = {**self.options.parameters.get(task.step.notebook, {}), **task.fixed}
        self.parameters[name] = params
        self.code[name] = code_hashes(task.notebook)
        key = step_key(task.step, task.notebook, params, self.options.with_code, self.code[name])
        failed = sorted(d for d in self.deps[name] if self.results[d].status in BROKEN)
        only = self.options.only
        selected = only is None or name in only or task.step.notebook in only
        if failed:
            self.finish(name, StepResult("blocked", key=key, blocked_by=failed))
        elif self.is_fresh(name, key) and not (selected and self.options.force):
            carry_over(self.previous, self.partial, name)
            reused = self.before[name].get("reused_from") or self.previous.name
            result = StepResult("unchanged", key=key, reused_from=reused)
            result.last_seconds = self.last_seconds(name)
            self.finish(name, result)
        elif self.stop or not selected:
            self.finish(name, StepResult("not run", key=key))
        else:
            injected = dict(params)
            if REPORT_DIR_PARAMETER in notebook_parameters(task.notebook):
                injected[REPORT_DIR_PARAMETER] = str(self.partial)
            reads = (*task.step.reads, *task.step.writes)  # a step may read back its own tables
            env = guard.environment(task.step.notebook, reads)
            args = (task.notebook, self.partial, injected, self.options.with_code, name, env)
            self.running[pool.submit(pipeline.run_notebook, *args)] = (name, key)
            self.progress.line(f"{name}: running")

    def collect(self) -> None:
        finished, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in finished:
            name, key = self.running.pop(future)
            outcome = future.result()
            status = "ok" if outcome.ok else "failed"
            seconds = round(outcome.seconds, 2)
            self.finish(name, StepResult(status, seconds, key, outcome.error, outcome.peak_rss))
            if not outcome.ok and not self.options.keep_going:
                self.stop = True

    def finish(self, name: str, result: StepResult) -> None:
        self.results[name] = result
        self.progress.done(name, result)

    def execute(self) -> tuple[int, Path | None]:
        self.partial.mkdir(parents=True)
        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(max(1, self.options.jobs), mp_context=context) as pool:
                while len(self.results) < len(self.tasks):
                    for name in self.ready():
                        if len(self.running) >= self.options.jobs:
                            break
                        self.decide(name, pool)
                    if self.running:
                        self.collect()
        except BaseException:
            shutil.rmtree(self.partial, ignore_errors=True)
            raise
        finally:
            self.progress.close()
        return self.publish(started)

    def publish(self, started: float) -> tuple[int, Path | None]:
        statuses = [r.status for r in self.results.values()]
        executed = sum(s in ("ok", "failed") for s in statuses)
        broken = sum(s in BROKEN for s in statuses)
        if self.previous is not None and not executed and not broken:
            shutil.rmtree(self.partial)
            self.progress.line(f"nothing changed since {self.previous.name}: report is up to date")
            return 0, self.previous
        final = self.root / self.run_id
        found = self.audit(final)
        manifest = build_manifest(self, started)
        manifest["audit"] = found
        files.write_json(manifest, self.partial / MANIFEST)
        write_index(manifest, self.partial)
        publish(self.partial, final, latest=found["passed"])
        self.progress.line(
            f"run {self.run_id}: {executed} executed, {statuses.count('unchanged')} unchanged, "
            f"{broken} failed or blocked, {time.perf_counter() - started:.1f} s; "
            f"report: {final / 'index.html'}"
        )
        if not found["passed"]:
            kept = f"still points at {self.previous.name}" if self.previous else "is not made"
            self.progress.line(f"this run failed its audit: {LATEST} {kept}")
        return (1 if broken or not found["passed"] else 0), final

    def audit(self, final: Path) -> dict:
        """The disclosure audit of the partial run (all its reports' tables together), as
        the manifest records it; its verdict and any exposed cell go to the log too."""
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


def git_state() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=paths.project_root(), capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def build_manifest(run: Run, started: float) -> dict:
    notebooks = {}
    for name, result in run.results.items():
        step = run.tasks[name].step
        entry = {k: v for k, v in vars(result).items() if v not in (None, [], "")}
        entry["notebook"] = step.notebook
        entry["parameters"] = run.parameters.get(name, {})
        if run.tasks[name].fixed:
            entry["fan_out"] = run.tasks[name].fixed
        entry["inputs"] = input_hashes(step)
        entry["code"] = run.code.get(name, {})
        entry["processed_outputs"] = output_hashes(step)
        entry["files"] = [str(p) for p in notebook_files(run.partial, name)]
        notebooks[name] = entry
    written = sorted(p for p in run.partial.rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        "run_id": run.run_id,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.perf_counter() - started, 2),
        "git": git_state(),
        "python": platform.python_version(),
        "kernel": pipeline.KERNEL_NAME,
        "packages": {d.metadata["Name"]: d.version for d in metadata.distributions()},
        "notebooks": notebooks,
        "outputs": {str(p.relative_to(run.partial)): sha256_file(p) for p in written},
        "sources": {
            s.name: {"title": s.title, "vintage": s.vintage, "citation": s.citation}
            for s in sources.select(sorted(used_sources(run.tasks)))
        },
    }


def used_sources(tasks: dict[str, Task]) -> set[str]:
    names = {src for task in tasks.values() for src in task.step.raw_sources}
    return set(sources.registry()) if "*" in names else names


def resolve_parameters(
    plan: dict[str, tuple[Step, Path]], values: dict[str, object]
) -> dict[str, dict]:
    """Spread `key` / `notebook.key` values to the notebooks that declare the parameter."""
    declared = {name: set(notebook_parameters(nb)) for name, (_, nb) in plan.items()}
    resolved: dict[str, dict] = {}
    for key, value in values.items():
        notebook, _, name = key.rpartition(".")
        targets = [notebook] if notebook else [n for n in plan if name in declared[n]]
        if notebook and notebook not in plan:
            raise RunError(f"parameter {key}: no notebook named {notebook!r}")
        if not targets or (notebook and name not in declared[notebook]):
            raise RunError(f"no notebook declares a parameter {key!r}")
        for target in targets:
            resolved.setdefault(target, {})[name] = value
    return resolved


def verify(
    run_dir: Path | None = None,
    jobs: int | None = None,
    notebook_dir: Path | None = None,
    steps: tuple[Step, ...] = STEPS,
) -> int:
    """Re-execute a run's notebooks into a temporary folder; compare figures, results, data."""
    root = paths.reports_dir()
    run_dir = run_dir.resolve() if run_dir else latest_run(root)
    if run_dir is None or not (run_dir / MANIFEST).is_file():
        raise RunError(f"no run to verify: {run_dir or root / LATEST} has no {MANIFEST}")
    recorded = load_manifest(run_dir)
    parameters: dict[str, dict] = {}
    fan_out: dict[str, list] = {}
    for entry in recorded["notebooks"].values():
        fixed = entry.get("fan_out", {})
        for key, value in fixed.items():
            fan_out.setdefault(key, []).append(value)
        shared = {k: v for k, v in entry.get("parameters", {}).items() if k not in fixed}
        parameters[entry["notebook"]] = shared
    with tempfile.TemporaryDirectory(prefix="thb-verify-") as scratch:
        options = RunOptions(
            parameters=parameters,
            fan_out=fan_out,
            force=True,
            keep_going=True,
            jobs=jobs or os.cpu_count() or 1,
            reports_root=Path(scratch),
        )
        _, fresh_dir = run(options, notebook_dir, steps)
        fresh = load_manifest(fresh_dir)
    expected, actual = _checked_items(recorded), _checked_items(fresh)
    mismatches = 0
    for item in sorted(expected):
        got = actual.get(item)
        state = "match" if got == expected[item] else ("MISSING" if got is None else "MISMATCH")
        mismatches += state != "match"
        print(f"{state:9} {item}")
    print(f"{len(expected) - mismatches} of {len(expected)} items match run {recorded['run_id']}")
    return 0 if expected and not mismatches else 1


def _checked_items(manifest: dict) -> dict[str, str]:
    """The figures, results files and processed data of a run, with their sha256."""
    items = {
        rel: sha
        for rel, sha in manifest["outputs"].items()
        if rel.startswith(("figures/", "results/"))
    }
    for entry in manifest["notebooks"].values():
        items.update(entry.get("processed_outputs", {}))
    return items
