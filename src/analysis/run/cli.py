"""Command line: `python -m analysis data fetch|verify|list`, `run`, `audit` and `verify`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

import yaml

from analysis.data import paths, sources
from analysis.data.errors import DataError
from analysis.run import executors, lifetime, parameters, runner, store


def _cmd_fetch(args) -> int:
    results = sources.fetch(args.sources, mirror=args.mirror)
    fetched = sum(r.detail != "present" for r in results)
    print(f"{len(results)} files OK ({fetched} fetched, {len(results) - fetched} already present)")
    return 0


def _cmd_data_verify(args) -> int:
    results = sources.verify(args.sources)
    for r in results:
        print(f"{r.state.upper():8} {r.file.key}" + (f"  {r.detail}" if r.detail else ""))
    bad = [r for r in results if r.state != "ok"]
    print(f"{len(results) - len(bad)} of {len(results)} registered files OK")
    if bad:
        print("run `python -m analysis data fetch` to fetch missing or bad files", file=sys.stderr)
    return 1 if bad else 0


def _cmd_list(args) -> int:
    for source in sources.select(args.sources):
        print(f"{source.name}: {source.title}")
        print(f"  publisher: {source.publisher}; vintage: {source.vintage}")
        print(f"  landing page: {source.landing_page}")
        print(f"  terms: {source.terms}")
        for f in source.files:
            state = sources.check(f).state
            print(f"  [{state}] {f.name} ({f.size:,} bytes)")
    return 0


def _parse_parameter(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value or notebook.key=value, got {text!r}")
    try:
        return key, yaml.safe_load(value)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem", None) or "not a YAML value"
        raise argparse.ArgumentTypeError(
            f"{key}: cannot read the value {value!r} ({where})"
        ) from None


def _age(text: str) -> float:
    try:
        return store.parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"at least 1 notebook at once, got {jobs}")
    return jobs


def _load_params_file(path: str) -> dict[str, object]:
    """A YAML mapping: `key: value` for every notebook that declares `key`, or
    `notebook: {key: value}` for one notebook. Flattened to `key` / `notebook.key`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise runner.RunError(f"cannot read parameters file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise runner.RunError(
            f"{path}: expected a mapping of parameters, got {type(data).__name__}"
        )
    flat: dict[str, object] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise runner.RunError(f"{path}: parameter names are text; got {key!r}")
        if isinstance(value, dict) and key[:2].isdigit():
            bad = [name for name in value if not isinstance(name, str)]
            if bad:
                raise runner.RunError(f"{path}: {key}: parameter names are text; got {bad[0]!r}")
            flat.update({f"{key}.{name}": v for name, v in value.items()})
        else:
            flat[key] = value
    return flat


def _country_lines(path: Path) -> list[str]:
    """A country list's lines: UTF-8, with or without a byte-order mark, or UTF-16 with one;
    anything else is refused in one line naming the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise runner.RunError(f"cannot read country list {path}: {exc.strerror}") from None
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding).splitlines()
    except UnicodeDecodeError as exc:
        raise runner.RunError(
            f"cannot read country list {path}: not UTF-8 or UTF-16 text (byte {exc.start})"
        ) from None


def _countries(codes: list[str] | None, list_file: str | None) -> list[str]:
    """ISO3 codes from --country (or `all`: every country with data) and --country-file."""
    codes = [c.upper() for c in codes or []]
    if list_file:
        lines = _country_lines(Path(list_file))
        codes += [line.split("#")[0].strip().upper() for line in lines]
    codes = [c for c in codes if c]
    if "ALL" in codes:
        from analysis.profiles import countries_with_data

        return countries_with_data()
    from analysis.profiles import known_codes

    bad = [c for c in codes if c not in known_codes()]
    if bad:
        raise runner.RunError(f"not ISO 3166-1 alpha-3 codes of a country: {', '.join(bad)}")
    return codes


def _cmd_run(args) -> int:
    plan = runner.resolve_steps(paths.notebooks_dir())
    values = _load_params_file(args.params) if args.params else {}
    values.update(dict(args.parameter))
    countries = _countries(args.country, args.country_file)
    dropped = _countries(args.drop_country, None)
    # the options named as on the command line (--only, --jobs, --force, --dry-run, ...)
    same = {f.name for f in dataclasses.fields(runner.RunOptions)} & set(vars(args))
    options = runner.RunOptions(
        **{name: getattr(args, name) for name in same},
        fan_out={"iso3": countries} if countries else {},
        drop={"iso3": dropped} if dropped else {},
        parameters=runner.resolve_parameters(plan, values),
    )
    status, _ = runner.run(options)
    return status


def _cmd_audit(args) -> int:
    """0 the audit passes, 1 a cell is exposed or numbers disagree, 2 it cannot run."""
    from analysis.run import audit

    run_dir = Path(args.run) if args.run else paths.reports_dir() / runner.LATEST
    try:
        result = audit.audit(run_dir)
    except audit.AuditError as exc:
        print(exc, file=sys.stderr)
        return 2
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(audit.report_text(summary))
    return result.status


def _cmd_verify(args) -> int:
    return runner.verify(Path(args.run) if args.run else None, jobs=args.jobs, only=args.only)


def _cmd_bench(args) -> int:
    from analysis.run import bench

    bench.main(args.jobs)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="fetch, verify and list the registered raw data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    fetch = data_commands.add_parser("fetch", help="copy or download raw files, verify sha256")
    fetch.add_argument("--mirror", help=f"mirror folder (default: ${sources.MIRROR_ENV})")
    fetch.set_defaults(handler=_cmd_fetch)
    verify = data_commands.add_parser("verify", help="check present files against the registry")
    verify.set_defaults(handler=_cmd_data_verify)
    listing = data_commands.add_parser("list", help="registered sources and what is present")
    listing.set_defaults(handler=_cmd_list)
    for sub in (fetch, verify, listing):
        sub.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (all)")

    run = commands.add_parser("run", help="execute the notebooks and write HTML reports")
    run.add_argument("--only", nargs="+", metavar="NAME", help="notebook names (file stems)")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        type=_parse_parameter,
        metavar="KEY=VALUE",
        help="parameter for every notebook that declares it, or notebook.key=value "
        "for one (YAML value); repeatable",
    )
    run.add_argument("--params", metavar="FILE", help="YAML file of parameters")
    run.add_argument(
        "--country",
        nargs="+",
        metavar="ISO3",
        help="one country profile per code (or `all`: every country with data)",
    )
    run.add_argument("--country-file", metavar="FILE", help="ISO3 codes, one per line")
    run.add_argument(
        "--drop-country",
        nargs="+",
        metavar="ISO3",
        help="remove these country profiles from the report (a profile once made stays "
        "until dropped)",
    )
    run.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, help="notebooks at once")
    run.add_argument(
        "--executor",
        choices=executors.EXECUTORS,
        default=executors.LOCAL,
        help="local: a process pool on this machine; dask: the workers of a Dask cluster",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"the Dask scheduler, e.g. tcp://HOST:8786 (default: ${executors.SCHEDULER_ENV})",
    )
    run.add_argument(
        "--prune-older-than",
        type=_age,
        metavar="AGE",
        help="first remove stored reports older than AGE (e.g. 90d, 12h)",
    )
    flags = {
        "--force": "re-run even unchanged notebooks",
        "--dry-run": "say which notebooks would run and why (a parameter, an input, code), and "
        "which would be carried over; run nothing",
        "--with-code": "show code cells in the HTML",
        "--keep-going": "after a failure, finish the other notebooks",
        "--publish-below-threshold": "let a run whose small-cell threshold (min_cell) is below "
        "10 become the latest",
        "--allow-modified": "run notebooks that differ from the commit (saved from JupyterLab, "
        "say); their reports say so",
    }
    for flag, text in flags.items():
        run.add_argument(flag, action="store_true", help=text)
    run.set_defaults(handler=_cmd_run)

    audit = commands.add_parser(
        "audit",
        help="check that no hidden cell of a run's tables can be worked out from all its "
        "reports together (exit 0 pass, 1 a cell is exposed, 2 cannot audit)",
    )
    audit.add_argument("run", nargs="?", help="run folder (default: reports/latest)")
    audit.add_argument("--json", action="store_true", help="print the summary as JSON")
    audit.set_defaults(handler=_cmd_audit)

    check = commands.add_parser(
        "verify",
        help="re-execute a run and compare what readers get: pages, tables, figures, results",
    )
    check.add_argument("run", nargs="?", help="run folder (default: reports/latest)")
    check.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1)
    check.add_argument(
        "--only", nargs="+", metavar="NAME", help="verify the reports of these notebooks only"
    )
    check.set_defaults(handler=_cmd_verify)

    timing = commands.add_parser("bench", help="time the runner against sequential nbconvert")
    timing.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1)
    timing.set_defaults(handler=_cmd_bench)
    return parser


def _writes_in(args) -> Path:
    """The folder a command writes in: the raw data's for `data`, the reports' otherwise."""
    data = (_cmd_fetch, _cmd_data_verify, _cmd_list)
    return paths.raw_dir() if args.handler in data else paths.reports_dir()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lifetime.handle_sigterm()
    try:
        return args.handler(args)
    except (DataError, runner.RunError, parameters.ParameterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except lifetime.Terminated:
        print("terminated: nothing was published; earlier outputs are intact", file=sys.stderr)
        return lifetime.TERMINATED_STATUS
    except KeyboardInterrupt:
        print("interrupted: nothing was published; earlier outputs are intact", file=sys.stderr)
        return 130
    except OSError as exc:
        if (problem := paths.disk_problem(exc, _writes_in(args))) is None:
            raise
        print(f"error: {problem}; nothing was published, earlier outputs are intact",
              file=sys.stderr)  # fmt: skip
        return 1


if __name__ == "__main__":
    sys.exit(main())
