"""Send what is due in the outbox: one message per group, retries, dead letters, rate limit.

For each channel: the due rows are grouped by their group (site and level) and each
group goes out as one message. A channel takes at most `rate_limit` messages per
`rate_window_s`: a round that would exceed it sends what fits and folds the rest into
one summary message; a channel at its limit is held back until the window has room
(then the held rows go out, folded). A failed try is retried after base·2^(tries-1) seconds
(capped); after `max_tries` the rows are dead letters (shown on the dashboard).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workloads.alerting.channels import Channel, DeliveryError
from workloads.alerting.payload import SUMMARY_GROUP, webhook_payload
from workloads.alerting.secrets import redact
from workloads.alerting.store import AlertStore

log = logging.getLogger("windmill.notifier")


@dataclass(frozen=True)
class DeliveryPolicy:
    max_tries: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0
    rate_limit: int = 10  # messages per channel per window
    rate_window_s: float = 60.0
    external_url: str = ""

    def retry_at(self, attempts_after: int, now: datetime) -> datetime | None:
        """When to try again after `attempts_after` failed tries (None: dead letter)."""
        if attempts_after >= self.max_tries:
            return None
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempts_after - 1))
        return now + timedelta(seconds=delay)


def message_key(keys: Sequence[str]) -> str:
    """Idempotency key of a message: its single alert's key, or a hash of its keys."""
    if len(keys) == 1:
        return keys[0]
    return "batch-" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]


def deliver(
    store: AlertStore, channels: Sequence[Channel], now: datetime, policy: DeliveryPolicy
) -> int:
    """Send every due message once; returns how many messages were taken by a channel."""
    delivered = 0
    for channel in channels:
        rows = store.due(channel.id, now)
        if not rows:
            continue
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["group_key"], []).append(row)
        budget = policy.rate_limit - store.sent_since(
            channel.id, now - timedelta(seconds=policy.rate_window_s)
        )
        if budget <= 0:
            continue  # held back: the rows go out, folded, once the window has room
        batches = list(groups.items())
        if len(batches) > budget:
            # Keep what fits and fold the rest into one summary: at most `rate_limit`
            # messages per window, whatever the burst.
            keep = budget - 1
            folded = [row for _, group in batches[keep:] for row in group]
            batches = [*batches[:keep], (SUMMARY_GROUP, folded)]
        for group, batch in batches:
            delivered += _send(store, channel, group, batch, now, policy)
    return delivered


def _send(
    store: AlertStore,
    channel: Channel,
    group: str,
    batch: list[dict[str, Any]],
    now: datetime,
    policy: DeliveryPolicy,
) -> int:
    keys = [row["key"] for row in batch]
    payload = webhook_payload([row["alert"] for row in batch], group, policy.external_url)
    try:
        channel.send(payload, message_key(keys))
    except DeliveryError as exc:
        error = redact(str(exc), [channel.url])  # channels redact too: never store a secret
        retry = {row["key"]: policy.retry_at(row["attempts"] + 1, now) for row in batch}
        store.mark_failed(channel.id, channel.name, keys, now, error, retry)
        dead = sum(when is None for when in retry.values())
        log.warning(
            "notify %s: %d alert(s) not delivered (%s)%s",
            channel.name,
            len(keys),
            error,
            f", {dead} now dead letters" if dead else ", will retry",
        )
        return 0
    store.mark_sent(channel.id, channel.name, keys, now, summary=group == SUMMARY_GROUP)
    log.info("notify %s: sent %d alert(s) (%s)", channel.name, len(keys), group)
    return 1
