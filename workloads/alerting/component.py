"""The notifier as a component of `windmill up` (the lead wires it into supervisor/stack.py).

Channel URLs go to the child in `WINDMILL_NOTIFY`, never on its command line: the
supervisor writes every command line to the component's log, and `ps` shows it.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.alerting.command import NOTIFY_ENV
from workloads.config import Paths
from workloads.supervisor.process import ALWAYS, Component


def notifier_component(
    paths: Paths,
    urls: Sequence[str],
    notify_level: str = "CRITICAL",
    after: tuple[str, ...] = (),
    extra_args: Sequence[str] = (),
) -> Component | None:
    """The `windmill notify` component for `urls`; None when no channel is configured."""
    from workloads.supervisor.stack import windmill_cli

    urls = [u.strip() for u in urls if u and u.strip()]
    if not urls:
        return None
    return Component(
        "notifier",
        windmill_cli("notify", "--notify-level", notify_level, *extra_args),
        restart=ALWAYS,
        after=after,
        env={"WINDMILL_HOME": str(paths.home), NOTIFY_ENV: ",".join(urls)},
    )


def notifier(ctx) -> Component | None:
    """The stack's builder (`supervisor.stack.BUILDERS`): the notifier when `windmill up`
    got channels (`--notify URL`, repeatable, or $WINDMILL_NOTIFY), else None."""
    import os

    urls = list(getattr(ctx.options, "notify", ()) or ())
    if not urls:
        urls = [u for u in os.environ.get(NOTIFY_ENV, "").split(",") if u.strip()]
    level = getattr(ctx.options, "notify_level", "CRITICAL")
    extra: list[str] = ["--poll", "0.5"]  # a new episode is seen half a second after publishing
    for option in ("group_wait", "group_interval"):  # when `windmill up` offers them
        value = getattr(ctx.options, option, None)
        if value is not None:
            extra += [f"--{option.replace('_', '-')}", f"{float(value):g}"]
    return notifier_component(ctx.paths, urls, level, after=ctx.after, extra_args=extra)
