"""Command line: `python -m analysis data fetch|verify|list`, `run`, `audit` and `verify`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tomllib
from pathlib import Path

import yaml

from analysis.data import paths, sources
from analysis.data.errors import DataError
from analysis.run import lifetime, parameters, runner, store


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


TYPES = {"parameter": _parse_parameter, "age": _age, "jobs": _jobs}
COMMANDS = tomllib.loads(Path(__file__).with_name("cli.toml").read_text(encoding="utf-8"))


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command declared in cli.toml."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    groups = {"": parser.add_subparsers(dest="command", required=True)}
    for name, spec in COMMANDS.items():
        parent, _, last = name.rpartition(" ")
        command = groups[parent].add_parser(last, help=spec["help"])
        for argument in spec.get("arguments", []):
            options = {k: v for k, v in argument.items() if k not in ("flags", "type")}
            if kind := argument.get("type"):
                options["type"] = TYPES[kind]
            if kind == "jobs":
                options["default"] = os.cpu_count() or 1
            command.add_argument(*argument["flags"], **options)
        if "handler" in spec:  # looked up now: a test may replace it
            command.set_defaults(handler=globals()[spec["handler"]])
        else:
            groups[name] = command.add_subparsers(dest=f"{last}_command", required=True)
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
