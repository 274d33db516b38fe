"""`windmill notify` (the notifier) and `windmill alerts ack|silence|unsilence|list|sla`.

Thin: parse, call one service function (notifier, actions, overview, sla), map errors
to one sentence. Channels come from `--notify URL` (repeatable) or `WINDMILL_NOTIFY`
(comma-separated); their URLs are never printed or logged, only their masked names.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path

from workloads import cli_args, names
from workloads.alerting.model import (
    GROUP_INTERVAL_S,
    GROUP_WAIT_S,
    NOTIFY_LEVELS,
    REPEAT_INTERVAL_S,
)
from workloads.errors import WindmillError

NOTIFY_ENV = "WINDMILL_NOTIFY"


def _duration_s(text: str) -> float:
    from workloads.alerting.actions import parse_duration

    try:
        return (
            float(text)
            if text.replace(".", "", 1).isdigit()
            else parse_duration(text).total_seconds()
        )
    except WindmillError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    notify = subparsers.add_parser(
        "notify",
        help="send fault and failure notifications (Alertmanager webhook JSON or apprise)",
        description="Watch gold_fault_episodes and the ledger; notify when a CRITICAL episode "
        "opens (WARNING too with --notify-level WARNING) and when it ends, and when a pipeline "
        "update or job run fails. Alerts of one site and level within --group-wait go out as one "
        "message; once a group's message went out, alerts joining it wait --group-interval for "
        "the next; an open unacknowledged CRITICAL repeats every --repeat-interval. Every "
        "notification waits in an outbox under $WINDMILL_HOME until a channel took it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_notify_arguments(notify)
    notify.set_defaults(func=run_notify)

    alerts = subparsers.add_parser(
        "alerts", help="acknowledge, silence and list fault alerts", description=__doc__
    )
    verbs = alerts.add_subparsers(dest="verb", metavar="VERB", required=True)
    ack = verbs.add_parser("ack", help="acknowledge an open episode: its repeats stop")
    ack.add_argument("turbine_id")
    ack.add_argument("fault_code")
    ack.add_argument("--by", help="who acknowledges (default: the OS user)")
    ack.set_defaults(func=run_ack)
    silence = verbs.add_parser("silence", help="send nothing about a turbine for a while")
    silence.add_argument("--turbine", required=True, dest="turbine_id")
    silence.add_argument("--for", required=True, dest="duration", help="e.g. 30m, 2h, 1d")
    silence.add_argument("--reason")
    silence.add_argument("--by", help="who silences (default: the OS user)")
    silence.set_defaults(func=run_silence)
    unsilence = verbs.add_parser("unsilence", help="end a turbine's silence now")
    unsilence.add_argument("--turbine", required=True, dest="turbine_id")
    unsilence.add_argument("--by", help="who ends it (default: the OS user)")
    unsilence.set_defaults(func=run_unsilence)
    listing = verbs.add_parser("list", help="open alerts, silences, notifications, dead letters")
    listing.add_argument("--json", action="store_true", help="print the overview as JSON")
    listing.set_defaults(func=run_list)
    sla = verbs.add_parser("sla", help="rewrite gold_sla_daily now (starts an engine if needed)")
    sla.set_defaults(func=run_sla)


def add_notify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify",
        action="append",
        metavar="URL",
        default=None,
        help=f"channel URL, repeatable (default: ${NOTIFY_ENV}, comma-separated)",
    )
    parser.add_argument("--notify-level", choices=NOTIFY_LEVELS, default="CRITICAL")
    parser.add_argument(
        "--group-wait",
        type=cli_args.non_negative_float,
        default=GROUP_WAIT_S,
        metavar="S",
        help="a new group's first message waits this long to gather its alerts",
    )
    parser.add_argument(
        "--group-interval",
        type=_duration_s,
        default=GROUP_INTERVAL_S,
        metavar="DURATION",
        help="after a group's message, alerts joining it wait this long after it "
        "(seconds, or 30s/5m/1h)",
    )
    parser.add_argument(
        "--repeat-interval",
        type=_duration_s,
        default=REPEAT_INTERVAL_S,
        metavar="DURATION",
        help="seconds, or 30m/4h/1d",
    )
    parser.add_argument(
        "--max-tries", type=cli_args.positive_int, default=8, help="then dead letter"
    )
    parser.add_argument(
        "--rate-limit",
        type=cli_args.positive_int,
        default=10,
        help="messages per channel per --rate-window",
    )
    parser.add_argument("--rate-window", type=cli_args.positive_float, default=60.0, metavar="S")
    parser.add_argument(
        "--timeout", type=cli_args.positive_float, default=10.0, metavar="S", help="per delivery"
    )
    parser.add_argument(
        "--poll",
        type=cli_args.positive_float,
        default=1.0,
        metavar="S",
        help="seconds between rounds",
    )
    parser.add_argument(
        "--sla-every",
        type=cli_args.non_negative_float,
        default=300.0,
        metavar="S",
        help="rewrite gold_sla_daily this often (0: never)",
    )
    parser.add_argument("--external-url", default="", help="dashboard URL put in the payloads")
    parser.add_argument("--no-health", action="store_true", help="no notifications for failed runs")
    parser.add_argument("--episodes-file", type=Path, help=argparse.SUPPRESS)  # tests: no Spark
    parser.add_argument(
        "--max-runtime",
        type=cli_args.positive_float,
        metavar="S",
        help="stop after this many seconds (the Databricks job's runs; default: until stopped)",
    )
    databricks = parser.add_argument_group("on Databricks (the notifier job)")
    databricks.add_argument("--catalog", help="read CATALOG.SCHEMA.gold_fault_episodes")
    databricks.add_argument("--schema")
    databricks.add_argument(
        "--notify-secret",
        metavar="SCOPE/KEY",
        help="read the channel URLs (comma-separated) from this Databricks secret",
    )
    databricks.add_argument(
        "--warehouse-id",
        help="record the outbox and read the actions through this SQL warehouse "
        "(default: the job's Spark session)",
    )
    databricks.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the state in SQLite on this /Volumes/... file instead of the Delta tables "
        "alert_outbox, alert_deliveries and alert_actions (the former layout)",
    )


def channel_urls(args_urls: list[str] | None) -> list[str]:
    if args_urls:
        return list(args_urls)
    return [u for u in os.environ.get(NOTIFY_ENV, "").split(",") if u.strip()]


def run_notify(args: argparse.Namespace) -> int:
    import logging
    import time

    from workloads.alerting.channels import parse_channels
    from workloads.alerting.delivery import DeliveryPolicy
    from workloads.alerting.notifier import Notifier, NotifierConfig
    from workloads.alerting.secrets import install_redaction
    from workloads.alerting.sla import refresh_local, sla_daily
    from workloads.alerting.sla import write_sla as write_sla_table
    from workloads.alerting.sources import SiteResolver, episode_reader
    from workloads.alerting.store import AlertStore
    from workloads.config import ensure_writable, paths
    from workloads.ledger import Ledger
    from workloads.signals import StopOnSignal

    urls = channel_urls(args.notify)
    if getattr(args, "notify_secret", None):
        from workloads.alerting.workspace import secret_urls

        urls += secret_urls(args.notify_secret)
    install_redaction(urls)
    channels = parse_channels(urls, args.timeout)
    if not channels:
        raise WindmillError(f"no notification channel: give --notify URL or set {NOTIFY_ENV}.")
    home = paths()
    state = None
    databricks = bool(args.catalog or args.schema)
    if databricks:
        from workloads.alerting.workspace import VolumeState, delta_store, table_reader

        if not (args.catalog and args.schema):
            raise WindmillError("on Databricks give --catalog and --schema together.")
        if args.state:  # the former home of the state: SQLite on a volume
            state = VolumeState(args.state)
            store = AlertStore(state.local)
        else:
            store = delta_store(args.catalog, args.schema, args.warehouse_id)
        read = table_reader(args.catalog, args.schema)
        registry = table_reader(args.catalog, args.schema, names.TURBINES)()
        sites = SiteResolver(registry)
        args.no_health = True  # job and pipeline failures: the workspace's destinations
    else:
        ensure_writable(home.home)
        store = AlertStore.for_home(home)
        read = episode_reader(home, args.episodes_file)
        sites = SiteResolver.for_home(home)
    policy = DeliveryPolicy(
        max_tries=args.max_tries,
        rate_limit=args.rate_limit,
        rate_window_s=args.rate_window,
        external_url=args.external_url,
    )
    config = NotifierConfig(
        notify_level=args.notify_level,
        group_wait_s=args.group_wait,
        group_interval_s=args.group_interval,
        repeat_interval_s=args.repeat_interval,
        poll_s=args.poll,
        health=not args.no_health,
        policy=policy,
    )
    ledger = None if args.no_health or not home.ledger.exists() else Ledger(home.ledger)
    deadline = None if args.max_runtime is None else time.monotonic() + args.max_runtime
    notifier = Notifier(store, channels, read, sites, config, ledger)
    log = logging.getLogger("windmill.notifier")
    log.info("notify: %s at %s and above", ", ".join(c.name for c in channels), args.notify_level)
    last_sla = [time.monotonic() - args.sla_every + 30.0]  # first SLA ~30 s after start

    def write_sla() -> None:
        if not databricks:
            refresh_local(home, read, store)
            return
        from pyspark.sql import SparkSession

        frame = sla_daily(read(), store.actions())
        table = f"{args.catalog}.{args.schema}.{names.GOLD_SLA}"
        write_sla_table(SparkSession.builder.getOrCreate(), frame, table=table)

    def after_round(_now: datetime) -> None:
        if state is not None:
            state.save()
        if not args.sla_every or args.episodes_file:
            return
        if time.monotonic() - last_sla[0] < args.sla_every:
            return
        last_sla[0] = time.monotonic()
        try:
            write_sla()
        except Exception as exc:  # noqa: BLE001 - the SLA table is secondary to notifying
            log.warning("notify: gold_sla_daily not written (%s)", str(exc).splitlines()[0][:200])

    with StopOnSignal(unit="the current round") as stop:
        notifier.run(
            lambda: stop.stopped or (deadline is not None and time.monotonic() > deadline),
            every_round=after_round,
        )
    return 0


def _desk():
    from workloads.alerting.desk import AlertDesk
    from workloads.config import paths

    return AlertDesk.local(paths())


def run_ack(args: argparse.Namespace) -> int:
    from workloads.alerting.actions import local_actor

    row = _desk().ack(args.turbine_id, args.fault_code, local_actor(args.by))
    print(
        f"acknowledged {row['turbine_id']} {row['fault_code']} (episode since "
        f"{row['episode_started_at']}) by {row['actor']} at {row['at']}"
    )
    return 0


def run_silence(args: argparse.Namespace) -> int:
    from workloads.alerting.actions import local_actor

    row = _desk().silence(args.turbine_id, args.duration, local_actor(args.by), args.reason)
    print(f"silenced {row['turbine_id']} until {row['until']} by {row['actor']}")
    return 0


def run_unsilence(args: argparse.Namespace) -> int:
    from workloads.alerting.actions import local_actor

    row = _desk().unsilence(args.turbine_id, local_actor(args.by))
    print(f"unsilenced {row['turbine_id']} by {row['actor']} at {row['at']}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    view = _desk().overview()
    if args.json:
        print(json.dumps(view, indent=2, default=str))
        return 0
    print(f"open alerts ({len(view['open'])}):")
    for e in view["open"]:
        state = f"acked by {e['acked_by']}" if e["acked_by"] else "unacknowledged"
        if e["silenced_until"]:
            state += f", silenced until {e['silenced_until']}"
        print(
            f"  {e['alert_level']:<8} {e['turbine_id']} {e['fault_code']} since {e['started_at']} ({state})"
        )
    print(f"silences ({len(view['silences'])}):")
    for s in view["silences"]:
        print(
            f"  {s['turbine_id']} until {s['until']} by {s['actor']}"
            + (f": {s['reason']}" if s["reason"] else "")
        )
    print(
        f"notifications (latest {len(view['notifications'])}, {len(view['dead_letters'])} dead letters):"
    )
    for n in view["notifications"][:20]:
        print(
            f"  {n['state']:<7} {n['status']:<8} {n['turbine_id'] or n['fault_code']} → {n['channel_name']}"
            + (f" ({n['last_error']})" if n["last_error"] else "")
        )
    return 0


def run_sla(args: argparse.Namespace) -> int:
    from workloads.alerting.sla import sla_daily, write_sla
    from workloads.config import paths
    from workloads.engine.attach import open_engine

    home = paths()
    desk = _desk()
    frame = sla_daily(desk.read_episodes(), desk.store.actions())
    with open_engine(home, app_name="windmill-sla") as spark:
        write_sla(spark, frame, paths=home)
    print(f"gold_sla_daily: {len(frame)} rows")
    return 0
