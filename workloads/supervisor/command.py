"""`windmill up` (run the whole local system, supervised) and `windmill status`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator

from workloads.cli_args import non_negative_float, port, positive_float, positive_int

ABANDONED = "abandoned: previous windmill up stopped unexpectedly"


def register(subparsers: argparse._SubParsersAction) -> None:
    from workloads.supervisor.stack import StackOptions

    d = StackOptions()  # every default once, in StackOptions (the generator's: GeneratorConfig)
    up = subparsers.add_parser(
        "up",
        help="run the whole system locally (generator, pipeline, dispatcher, dashboard), supervised",
        description=(
            "Run the whole system locally under one supervisor: on a first start, backfill "
            "history; then the generator (streaming), the continuous pipeline, the dispatcher "
            "and the maintenance schedule (re-planned after pipeline updates), risk scoring, "
            "the notifier (with --notify) and the dashboard. Crashed components are "
            "restarted with backoff; Ctrl-C stops everything. Logs: $WINDMILL_HOME/logs."
        ),
    )
    up.add_argument(
        "--turbines",
        type=positive_int,
        default=d.turbines,
        help=f"fleet size (default {d.turbines})",
    )
    up.add_argument(
        "--records-per-batch",
        type=positive_int,
        default=d.records_per_batch,
        help=f"readings per batch (default {d.records_per_batch})",
    )
    up.add_argument(
        "--batch-interval",
        type=non_negative_float,
        default=d.batch_interval,
        help=f"seconds between batches (default {d.batch_interval:g})",
    )
    up.add_argument(
        "--backfill-hours",
        type=non_negative_float,
        default=d.backfill_hours,
        help="history generated on a first start with an empty WINDMILL_HOME "
        f"(default {d.backfill_hours:g}; 0: none)",
    )
    up.add_argument("--seed", type=int, default=d.seed, help=f"generator seed (default {d.seed})")
    up.add_argument("--port", type=port, default=d.port, help=f"dashboard port (default {d.port})")
    up.add_argument("--address", default=d.address, help=f"dashboard address (default {d.address})")
    up.add_argument(
        "--refresh-seconds",
        type=positive_float,
        default=d.refresh_seconds,
        help=f"dashboard refresh period (default {d.refresh_seconds:g})",
    )
    up.add_argument(
        "--notify",
        action="append",
        metavar="URL",
        default=None,
        help=(
            "send fault and failure notifications to URL (repeatable; default: "
            "$WINDMILL_NOTIFY, comma-separated, which keeps secrets out of `ps`): http(s):// "
            "gets Alertmanager's webhook JSON, other URLs are apprise URLs (slack://, mailto://)"
        ),
    )
    up.add_argument(
        "--notify-level",
        choices=("CRITICAL", "WARNING"),
        default=d.notify_level,
        help=f"lowest alert level that notifies; INFO never does (default {d.notify_level})",
    )
    up.add_argument(
        "--group-wait",
        type=non_negative_float,
        default=d.group_wait,
        metavar="S",
        help="seconds a new alert group waits for more alerts before its message (default 5)",
    )
    up.add_argument(
        "--group-interval",
        type=non_negative_float,
        default=d.group_interval,
        metavar="S",
        help="seconds after a group's message before alerts joining it go out (default 300)",
    )
    # Tuning for tests and benchmarks, not part of the documented interface.
    hidden = argparse.SUPPRESS
    up.add_argument(
        "--pipeline-interval", type=positive_float, default=d.pipeline_interval, help=hidden
    )
    up.add_argument(
        "--reading-interval", type=positive_float, default=d.reading_interval, help=hidden
    )
    up.add_argument("--max-iterations", type=positive_int, default=d.max_iterations, help=hidden)
    up.add_argument("--restart-backoff", type=positive_float, default=1.0, help=hidden)
    up.add_argument("--restart-backoff-max", type=positive_float, default=30.0, help=hidden)
    up.add_argument("--healthy-after", type=positive_float, default=60.0, help=hidden)
    up.add_argument("--stop-grace", type=positive_float, default=15.0, help=hidden)
    up.add_argument("--no-dispatch", action="store_true", help=hidden)
    up.add_argument("--dispatch-every", type=positive_float, default=d.dispatch_every, help=hidden)
    up.add_argument("--only", type=_names, default=None, help=hidden)  # e.g. dashboard,pipeline
    up.set_defaults(func=run_up)

    status = subparsers.add_parser(
        "status",
        help="summary of local pipelines and jobs (as the dashboard's /api/status)",
        description="Counts of pipelines and jobs (total, active, idle) from the local run ledger.",
    )
    status.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    status.set_defaults(func=run_status)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _port_free(address: str, number: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, number))
        except OSError:
            return False
    return True


def _say(message: str, log_file=None) -> None:
    """A supervisor line: to its log file first, then to the terminal if it is still there."""
    line = f"{time.strftime('%H:%M:%S')} windmill up: {message}"
    if log_file is not None:
        log_file.write(line + "\n")
        log_file.flush()
    print(line, flush=True)  # a SafeStream (guard_terminal): never raises


@contextlib.contextmanager
def _logged_to(log_file) -> Iterator[None]:
    """The supervisor's warnings (and signal notices) go to its log file too."""
    handler = logging.StreamHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def run_up(args: argparse.Namespace) -> int:
    from workloads import names
    from workloads.config import ensure_writable, paths
    from workloads.errors import WindmillError
    from workloads.ledger import Ledger
    from workloads.spark import require_java
    from workloads.supervisor.lock import SupervisorLock
    from workloads.supervisor.process import Backoff, Supervisor
    from workloads.supervisor.stack import StackOptions, components, only
    from workloads.supervisor.terminal import guard_terminal

    # A terminal or pipe that goes away (Ctrl-C under `| tee`, `| head`, a closed window)
    # must not end the supervisor before it has stopped its components.
    guard_terminal()
    home = paths()
    ensure_writable(home.home)
    options = StackOptions(
        turbines=args.turbines,
        records_per_batch=args.records_per_batch,
        batch_interval=args.batch_interval,
        backfill_hours=args.backfill_hours,
        seed=args.seed,
        port=args.port,
        address=args.address,
        refresh_seconds=args.refresh_seconds,
        pipeline_interval=args.pipeline_interval,
        max_iterations=args.max_iterations,
        reading_interval=args.reading_interval,
        dispatch=not args.no_dispatch,
        notify=tuple(args.notify or ()),
        notify_level=args.notify_level,
        group_wait=args.group_wait,
        group_interval=args.group_interval,
        dispatch_every=args.dispatch_every,
    )
    with SupervisorLock(home):
        if not args.only or set(args.only) & {"generator", "pipeline", "dispatch"}:
            require_java()  # one clear sentence now rather than a crash loop later
        if not _port_free(args.address, args.port):
            raise WindmillError(
                f"port {args.port} on {args.address} is already in use; "
                "pass --port with a free port for the dashboard."
            )
        ensure_writable(home.logs, "logs")
        ledger = Ledger(home.ledger)
        with open(home.logs / "supervisor.log", "a") as log_file, _logged_to(log_file):

            def say(message: str) -> None:
                _say(message, log_file)

            closed = ledger.abandon_running(ABANDONED)
            if closed:
                say(f"marked {closed} run(s)/update(s) left RUNNING by a previous crash as failed")
                ledger.record_event("supervisor", "WARNING", f"{ABANDONED} ({closed} closed)")
            # Every job and the pipeline are listed (IDLE/never run) from the first moment.
            ledger.ensure_pipeline(names.PIPELINE_NAME)
            for job in (names.GENERATOR_JOB, names.DISPATCH_JOB, names.DASHBOARD_JOB):
                ledger.ensure_job(job)
            stack = components(home, options, ledger)
            if args.only:
                stack = only(stack, set(args.only))
            supervisor = Supervisor(
                stack,
                logs=home.logs,
                ledger=ledger,
                backoff=Backoff(
                    base=args.restart_backoff,
                    cap=args.restart_backoff_max,
                    healthy_after=args.healthy_after,
                ),
                grace=args.stop_grace,
                state_file=home.supervisor_file,
                announce=say,
            )
            host = "127.0.0.1" if args.address in ("0.0.0.0", "::") else args.address
            say(f"home {home.home}")
            say(f"dashboard http://{host}:{args.port}/  (JSON: /api/status)")
            say(f"logs in {home.logs}/<component>.log; Ctrl-C stops everything")
            first = {c.name for c in stack} & {"backfill", "history"}
            if first == {"backfill", "history"}:
                say(
                    f"first start: {options.backfill_hours:g} h of history, the last hour "
                    "first (the page shows it after the first update), the rest after it"
                )
            elif first:
                say(f"first start: backfilling {options.backfill_hours:g} h of history first")
            ledger.record_event("supervisor", "INFO", f"windmill up started (pid {os.getpid()})")
            code = supervisor.run()
            ledger.record_event("supervisor", "INFO", "windmill up stopped")
            say("stopped")
            return code


def run_status(args: argparse.Namespace) -> int:
    from workloads.config import paths
    from workloads.supervisor.status import render, summary

    data = summary(paths())
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render(data))
    return 0
