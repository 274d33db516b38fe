"""`python -m dashboard` (also `windmill dashboard`): serve the live dashboard and JSON API."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from workloads.errors import WindmillError


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (1-65535)")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="windmill dashboard",
        description="Serve the live dashboard (Panel) and its JSON API (/api/status, ...).",
    )
    parser.add_argument(
        "--port", type=_port, default=int(os.environ.get("DATABRICKS_APP_PORT", 5006))
    )
    parser.add_argument("--address", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--workspace",
        choices=["local", "databricks"],
        default="local",
        help="local: run ledger and tables under WINDMILL_HOME; databricks: SDK + SQL warehouse",
    )
    parser.add_argument("--profile", help="Databricks config profile (databricks mode)")
    parser.add_argument(
        "--warehouse-id",
        default=os.environ.get("DATABRICKS_WAREHOUSE_ID"),
        help="SQL warehouse for the gold tables (databricks mode; env DATABRICKS_WAREHOUSE_ID)",
    )
    parser.add_argument(
        "--catalog",
        default=os.environ.get("WINDMILL_CATALOG", "main"),
        help="Unity Catalog catalog of the gold tables (databricks mode)",
    )
    parser.add_argument(
        "--schema",
        default=os.environ.get("WINDMILL_SCHEMA", "windmill"),
        help="schema of the gold tables (databricks mode)",
    )
    parser.add_argument(
        "--refresh-seconds",
        type=_positive,
        default=60.0,
        help="seconds between refreshes of the shared data (default 60)",
    )
    parser.add_argument(
        "--genie-space-id",
        default=os.environ.get("WINDMILL_GENIE_SPACE_ID"),
        help="Genie space that answers the Ask box (databricks mode; env "
        "WINDMILL_GENIE_SPACE_ID; without it the box is hidden)",
    )
    parser.add_argument("--home", help="WINDMILL_HOME override (local mode)")
    parser.add_argument(
        "--websocket-origin",
        action="append",
        default=[o for o in os.environ.get("WINDMILL_WEBSOCKET_ORIGINS", "").split(",") if o],
        help="extra allowed websocket origin (host[:port]); repeatable",
    )
    return parser


def build_sources(args: argparse.Namespace):
    """(status source, gold source) for the chosen workspace."""
    if args.workspace == "local":
        from dashboard.sources import LocalGoldSource, LocalStatusSource
        from workloads.config import paths

        local = paths(args.home)
        return LocalStatusSource(local), LocalGoldSource(local)
    from dashboard.databricks import connect

    return connect(
        profile=args.profile,
        warehouse_id=args.warehouse_id,
        catalog=args.catalog,
        schema=args.schema,
    )


def build_asker(args: argparse.Namespace, status_source):
    """What answers the Ask box: the local tables, or the Genie space if one is set."""
    from dashboard.ask import Asker

    if args.workspace == "local":
        from workloads.config import paths

        return Asker.local(paths(args.home))
    return Asker.genie(status_source.client, args.genie_space_id)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from dashboard import logbuffer

    buffer = logbuffer.install()
    try:
        status_source, gold_source = build_sources(args)
        from dashboard.app import serve
        from dashboard.state import Poller

        poller = Poller(status_source, gold_source, args.refresh_seconds)
        serve(
            poller,
            buffer,
            port=args.port,
            address=args.address,
            websocket_origins=args.websocket_origin or None,
            asker=build_asker(args, status_source),
        )
    except WindmillError as exc:
        print(f"windmill dashboard: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"windmill dashboard: cannot listen on {args.address}:{args.port} ({exc.strerror or exc}); "
            "pick another --port.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
