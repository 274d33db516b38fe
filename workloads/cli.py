"""`windmill`: one command for the whole system.

Each subcommand lives in its own module exposing `register(subparsers)`, which adds
a parser whose default `func(args) -> int` runs it. Modules keep heavy imports
(pyspark, dbldatagen, ortools) inside functions so `windmill --help` stays fast.

`dashboard`, `deploy` and `destroy` run the `dashboard` and `infra` packages as
processes (`python -m ...`): `workloads` never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from workloads import __version__
from workloads.errors import WindmillError

# (subcommand module, ...) in the order `windmill --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "workloads.generator.command",
    "workloads.engine.command",
    "workloads.engine.sql",
    "workloads.engine.clean",
    "workloads.dispatch.command",
    "workloads.supervisor.command",
    "workloads.ask.command",
    "workloads.ingest.command",
    "workloads.alerting.command",
    "workloads.model.command",
    "workloads.schedule.command",
)

# Subcommands served by another package, run as `python -m MODULE [ARGS...]`.
PASSTHROUGH: dict[str, tuple[str, list[str], str]] = {
    "dashboard": ("dashboard", [], "serve the live dashboard (Panel) and its JSON API"),
    "deploy": ("infra.deploy", ["deploy"], "provision a Databricks workspace (CDKTF + Terraform)"),
    "destroy": ("infra.deploy", ["destroy"], "tear down what `windmill deploy` created"),
}


def _load_commands(subparsers: argparse._SubParsersAction) -> None:
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that part of the system is not built yet
            raise
        module.register(subparsers)
    for name, (_, _, help_text) in PASSTHROUGH.items():
        subparsers.add_parser(name, help=help_text, add_help=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="windmill",
        description="Wind-turbine IoT monitoring and repair-crew dispatch, locally or on Databricks.",
    )
    parser.add_argument("--version", action="version", version=f"windmill {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _load_commands(subparsers)
    return parser


def _run_passthrough(name: str, rest: Sequence[str]) -> int:
    module, prefix, _ = PASSTHROUGH[name]
    os.execv(sys.executable, [sys.executable, "-m", module, *prefix, *rest])
    return 0  # not reached


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    if first in PASSTHROUGH:
        index = argv.index(first)
        return _run_passthrough(first, argv[index + 1 :])

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Spark's Python client logs every failed query with a JVM stack trace: the CLI
    # reports errors itself, in one sentence.
    for noisy in ("py4j", "SQLQueryContextLogger", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except WindmillError as exc:
        print(f"windmill {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"windmill {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
