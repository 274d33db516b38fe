"""`windmill notify`'s loop: watch → decide (rules) → record (outbox) → deliver.

Each round reads the episodes and the ledger, decides what to notify with the rules,
records it in the outbox (with its group's send time, as Alertmanager: the first alert
of a site and level starts a `group_wait`, later ones join it; once a group's message
went out, its next one waits `group_interval` after it), then sends what is due. The clock is
injected (`now`), so a test drives `step` without sleeping. Every SLA interval the
round also rewrites `gold_sla_daily` (when an engine runs to write it with).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from workloads.alerting import rules
from workloads.alerting.actions import ActionState
from workloads.alerting.channels import Channel
from workloads.alerting.delivery import DeliveryPolicy, deliver
from workloads.alerting.model import (
    DEFAULT_LEVEL,
    FIRING,
    GROUP_INTERVAL_S,
    GROUP_WAIT_S,
    REPEAT_INTERVAL_S,
    RESOLVED,
    Alert,
    iso,
    parse,
)
from workloads.alerting.payload import alert_body
from workloads.alerting.sources import episode_alerts, health_alerts
from workloads.alerting.store import AlertStore

log = logging.getLogger("windmill.notifier")


@dataclass
class NotifierConfig:
    notify_level: str = DEFAULT_LEVEL
    group_wait_s: float = GROUP_WAIT_S
    group_interval_s: float = GROUP_INTERVAL_S
    repeat_interval_s: float = REPEAT_INTERVAL_S
    poll_s: float = 1.0
    health: bool = True
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)


@dataclass
class Round:
    decided: int = 0
    delivered: int = 0
    read_error: str | None = None


def anchor_failure_streaks(alerts, decided) -> list:
    """A failed-run alert keeps the start of the streak already notified and not resolved.

    The ledger is read in a window (the latest runs); a long streak's first failure can
    leave it, which would look like a new alert each round.
    """
    resolved = {
        (r["fingerprint"], r["starts_at"]) for r in decided.values() if r["status"] == RESOLVED
    }
    open_start = {
        r["fingerprint"]: r["starts_at"]
        for r in decided.values()
        if r["status"] == FIRING and (r["fingerprint"], r["starts_at"]) not in resolved
    }
    latest: dict[str, Alert] = {}  # only a source's latest streak can be the open one
    for alert in alerts:
        if alert.source is not None and (
            alert.fingerprint not in latest or alert.starts_at > latest[alert.fingerprint].starts_at
        ):
            latest[alert.fingerprint] = alert
    out = []
    for alert in alerts:
        start = open_start.get(alert.fingerprint)
        anchored = latest.get(alert.fingerprint) is alert and start is not None
        if anchored and parse(start) < alert.starts_at:
            alert = replace(alert, starts_at=parse(start))
        out.append(alert)
    return out


class Notifier:
    """One notifier: its store, channels and inputs (episodes reader, ledger, sites)."""

    def __init__(
        self,
        store: AlertStore,
        channels: Sequence[Channel],
        read_episodes: Callable[[], Any],
        site_of: Callable[[str], str],
        config: NotifierConfig,
        ledger=None,
    ) -> None:
        self.store = store
        self.channels = list(channels)
        self.read_episodes = read_episodes
        self.site_of = site_of
        self.config = config
        self.ledger = ledger
        self._last_error: str | None = None

    def step(self, now: datetime) -> Round:
        """One round at `now`: decide, record, deliver."""
        result = Round()
        try:
            frame = self.read_episodes()
        except (OSError, ValueError) as exc:  # a table being replaced: try next round
            result.read_error = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )
            frame = None
        if result.read_error is None:
            alerts, critical = episode_alerts(frame, self.config.notify_level, self.site_of)
            if self.config.health and self.ledger is not None:
                alerts += health_alerts(self.ledger)
            result.decided = self.record(alerts, critical, now)
        if result.read_error != self._last_error and result.read_error:
            log.warning("notify: episodes not read this round (%s)", result.read_error)
        self._last_error = result.read_error
        result.delivered = deliver(self.store, self.channels, now, self.config.policy)
        return result

    def record(self, alerts, critical: set[str], now: datetime) -> int:
        """Decide with the rules and queue the decisions for every channel."""
        state = ActionState.from_actions(self.store.actions(), now)
        decided = self.store.decided()
        decisions = rules.evaluate(
            anchor_failure_streaks(alerts, decided),
            decided,
            state,
            now,
            critical_turbines=critical,
            repeat_interval_s=self.config.repeat_interval_s,
        )
        by_group: dict[str, list[rules.Decision]] = {}
        for decision in decisions:
            by_group.setdefault(decision.alert.group, []).append(decision)
        channels = [(c.id, c.name) for c in self.channels]
        new = 0
        for group, members in by_group.items():
            send_at = self.send_time(group, now)
            items = [
                (
                    d.key,
                    d.alert.fingerprint,
                    iso(d.alert.starts_at),
                    d.status,
                    alert_body(d.alert, d.status, d.key, self.config.policy.external_url),
                )
                for d in members
            ]
            new += self.store.enqueue(items, channels, now, send_at)
        if new:
            log.info("notify: %d new notification(s) decided", new)
        return new

    def send_time(self, group: str, now: datetime) -> datetime:
        """When a decision of `group` made at `now` goes out (Alertmanager's timers).

        Joins the group's message still waiting; else, within `group_interval` of the
        group's last message, waits until that interval is over; else starts a new wait
        of `group_wait` (a group quiet for `group_interval` is a new group).
        """
        waiting = self.store.pending_not_before(group, now)
        if waiting is not None:
            return waiting
        last = self.store.last_flush(group, now)
        interval = timedelta(seconds=self.config.group_interval_s)
        if last is not None and now < last + interval:
            return last + interval
        return now + timedelta(seconds=self.config.group_wait_s)

    def run(
        self,
        should_stop: Callable[[], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        every_round: Callable[[datetime], None] | None = None,
    ) -> None:
        """Rounds every `poll_s` until `should_stop()`."""
        while not should_stop():
            started = time.monotonic()
            now = clock()
            self.step(now)
            if every_round is not None:
                every_round(now)
            pause = self.config.poll_s - (time.monotonic() - started)
            if pause > 0:
                time.sleep(pause)
