"""`make bench`: the runner on the real data against plain sequential `jupyter nbconvert`.

Cold, warm, one-changed and forced runs, kernel memory, the audit, a 20-profile fan-out and the
MSE bootstrap, on copies in a temporary folder (reports/ is not touched).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import mse
from analysis.data import paths
from analysis.run import pipeline, runner
from analysis.run.steps import STEPS


def _clear_parse_cache() -> None:
    shutil.rmtree(paths.processed_dir() / ".cache", ignore_errors=True)


def baseline(notebooks: list[Path], out_dir: Path) -> float:
    """Each notebook executed in turn by the `jupyter nbconvert` command line."""
    jupyter = Path(sys.executable).with_name("jupyter")
    start = time.perf_counter()
    for nb in notebooks:
        subprocess.run(
            [str(jupyter), "nbconvert", "--execute", "--to", "html", "--no-input",
             f"--ExecutePreprocessor.kernel_name={pipeline.KERNEL_NAME}",
             "--ExecutePreprocessor.timeout=1800", f"--output-dir={out_dir}", str(nb)],
            check=True, capture_output=True, cwd=nb.parent,
        )  # fmt: skip
    return time.perf_counter() - start


def mse_bootstrap(
    name: str = "UKdat_5", nboot: int = 1000, jobs: int = 2, seed: int = 1234
) -> dict:
    """Time the full stepwise bootstrap (1,000 replicates plus jackknife) on one table."""
    table = mse.read_table(name)
    mse.clear_cache()
    start = time.perf_counter()
    est = mse.estimate_population(table, nboot=nboot, seed=seed, jobs=jobs, progress=False)
    seconds = time.perf_counter() - start
    return {
        f"mse_bootstrap_{name}_{nboot}_replicates_s": round(seconds, 1),
        "mse_bootstrap_jobs": jobs,
        "mse_estimate": round(est.estimate, 1),
        "mse_ci": [round(v) for v in est.ci],
    }


def audit_time(run_dir: Path) -> dict:
    """Time the disclosure audit of a whole run, and what it covered."""
    from analysis.run import audit

    start = time.perf_counter()
    summary = audit.audit(run_dir).summary()
    seconds = time.perf_counter() - start
    return {"audit_of_full_run_s": round(seconds, 2), "audit": summary["verdict"]}


PROFILE = "40_country_profile"
FAN_OUT = 20  # country profiles in the fan-out measurement


def profile_baseline(project: Path, countries: list[str], out_dir: Path) -> float:
    """The same profiles one after another: the `papermill` command line, then `jupyter
    nbconvert` to HTML, as one would without the runner."""
    notebook = project / "notebooks" / f"{PROFILE}.ipynb"
    binaries = Path(sys.executable).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for iso3 in countries:
        executed = out_dir / f"{PROFILE}-{iso3}.ipynb"
        subprocess.run(
            [str(binaries / "papermill"), str(notebook), str(executed), "-k", pipeline.KERNEL_NAME,
             "-p", "iso3", iso3, "--cwd", str(notebook.parent), "--no-progress-bar"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(binaries / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True, capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - start


def fan_out(project: Path, jobs: int) -> dict:
    """Cold runner time for one profile and for `FAN_OUT`, seconds per extra profile, and the
    sequential papermill + nbconvert baseline for the same profiles."""
    from analysis.profiles import countries_with_data

    codes = countries_with_data()  # `FAN_OUT` of them, spread evenly
    countries = codes[:: max(1, len(codes) // FAN_OUT)][:FAN_OUT]
    only = ("--only", PROFILE, "--force", "--jobs", str(jobs), "--country")
    one = cli_run(project, *only, countries[0])
    many = cli_run(project, *only, *countries)
    base = profile_baseline(project, countries, project / "baseline-profiles")
    manifest = runner.load_manifest(max((project / "reports").glob("20*"), key=lambda p: p.name))
    memory = [e.get("peak_rss_bytes") or 0 for n, e in manifest["notebooks"].items()
              if n.startswith(PROFILE)]  # fmt: skip
    return {
        "fan_out_countries": " ".join(countries),
        "fan_out_one_profile_s": round(one, 1),
        f"fan_out_{len(countries)}_profiles_s": round(many, 1),
        "fan_out_s_per_extra_profile": round((many - one) / (len(countries) - 1), 2),
        f"fan_out_baseline_papermill_nbconvert_{len(countries)}_s": round(base, 1),
        "fan_out_speedup_vs_baseline": round(base / many, 2),
        "fan_out_peak_kernel_memory_mib_max": round(max(memory, default=0) / 2**20),
    }


def touch(notebook: Path) -> None:
    """Change a notebook's source without changing what it computes."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "".join(nb["cells"][0]["source"]) + "\n"
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def scratch_project(folder: Path) -> Path:
    """A copy of the project's notebooks beside its real data, with reports of its own."""
    root = paths.project_root()
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy2(root / name, folder / name)
    shutil.copytree(root / "notebooks", folder / "notebooks")
    (folder / "data").symlink_to(root / "data")
    return folder


def cli_run(project: Path, *args: str) -> float:
    """Time `python -m analysis run` as a user or cron would call it."""
    env = {**os.environ, "ANALYSIS_ROOT": str(project)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "run", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"analysis run {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main(jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="thb-bench-") as scratch:
        project = scratch_project(Path(scratch))
        order = [project / "notebooks" / f"{s.notebook}.ipynb" for s in STEPS]
        _clear_parse_cache()
        base = baseline(order, project / "baseline")
        _clear_parse_cache()
        cold = cli_run(project, "--force", "--jobs", str(jobs))
        manifest = runner.load_manifest((project / "reports" / runner.LATEST).resolve())
        warm = cli_run(project, "--jobs", str(jobs))
        touch(order[-1])
        one = cli_run(project, "--jobs", str(jobs))
        _clear_parse_cache()
        forced = cli_run(project, "--force", "--jobs", str(jobs))  # now with run-time history
        audited = audit_time((project / "reports" / runner.LATEST).resolve())
        profiles = fan_out(project, jobs)
    memory = {n: e.get("peak_rss_bytes", 0) for n, e in manifest["notebooks"].items()}
    figures = {
        "notebooks": len(order),
        "jobs": jobs,
        "baseline_nbconvert_sequential_s": round(base, 1),
        "cold_full_run_s": round(cold, 1),
        "speedup_cold_vs_baseline": round(base / cold, 2),
        "warm_no_change_s": round(warm, 2),
        f"after_touching_{order[-1].stem}_s": round(one, 1),
        "forced_full_run_with_history_s": round(forced, 1),
        "speedup_forced_vs_baseline": round(base / forced, 2),
        "peak_kernel_memory_mib": {n: round(b / 2**20) for n, b in sorted(memory.items())},
    }
    figures.update(audited)
    figures.update(profiles)
    figures.update(mse_bootstrap(jobs=jobs))  # MSE: 1,000 bootstrap replicates
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    return figures
