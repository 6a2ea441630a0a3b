"""Command line: `python -m analysis data fetch|verify|list` and `python -m analysis run`."""

from __future__ import annotations

import argparse
import sys

from analysis import paths, pipeline, sources


def _cmd_fetch(args) -> int:
    results = sources.fetch(args.sources, mirror=args.mirror)
    fetched = sum(r.detail != "present" for r in results)
    print(f"{len(results)} files OK ({fetched} fetched, {len(results) - fetched} already present)")
    return 0


def _cmd_verify(args) -> int:
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
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, yaml.safe_load(value)


def _cmd_run(args) -> int:
    selected = pipeline.notebooks()
    if args.only:
        unknown = set(args.only) - {nb.stem for nb in selected}
        if unknown:
            raise sources.DataError(
                f"no notebook named {', '.join(sorted(unknown))}; "
                f"have {', '.join(nb.stem for nb in selected)}"
            )
        selected = [nb for nb in selected if nb.stem in args.only]
    parameters = dict(args.parameter)
    failed = 0
    for nb in selected:
        outcome = pipeline.run_notebook(nb, paths.reports_dir(), parameters, args.with_code)
        state = "ok" if outcome.ok else f"FAILED ({outcome.error})"
        print(f"{nb.stem}: {state} in {outcome.seconds:.1f} s", flush=True)
        failed += not outcome.ok
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="fetch, verify and list the registered raw data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    fetch = data_commands.add_parser("fetch", help="copy or download raw files, verify sha256")
    fetch.add_argument("--mirror", help=f"mirror folder (default: ${sources.MIRROR_ENV})")
    fetch.set_defaults(handler=_cmd_fetch)
    verify = data_commands.add_parser("verify", help="check present files against the registry")
    verify.set_defaults(handler=_cmd_verify)
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
        help="notebook parameter (YAML value), repeatable",
    )
    run.add_argument("--with-code", action="store_true", help="show code cells in the HTML")
    run.set_defaults(handler=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except sources.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
