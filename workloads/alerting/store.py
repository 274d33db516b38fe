"""The notifier's SQLite file (`$WINDMILL_HOME/alerting.sqlite`): outbox, memory, actions.

- `alerts`: every notification the rules decided on, once per idempotency key (the
  rules' memory: a firing already decided is never decided again, across restarts).
- `outbox`: one row per (key, channel) until the channel took it: pending → sent, or
  dead after the last try. Rows are written before anything is sent, in one transaction
  with `alerts`, so a kill -9 at any moment loses nothing; a crash between a send and
  its record resends the same key.
- `actions`: acks, silences and unsilences with who and when (never deleted).

Channels are stored by their masked name and a hash, never by their URL.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from workloads.alerting.model import iso, parse
from workloads.config import Paths

PENDING, SENT, DEAD = "pending", "sent", "dead"

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    status TEXT NOT NULL,
    group_key TEXT NOT NULL,
    alert TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    group_key TEXT NOT NULL,
    state TEXT NOT NULL,
    not_before TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    PRIMARY KEY (key, channel)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS actions (
    action_id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    turbine_id TEXT NOT NULL,
    fault_code TEXT,
    episode_started_at TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    until TEXT,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    keys TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT,
    summary INTEGER NOT NULL DEFAULT 0
);
"""


def labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notification rows with their alert's labels (turbine, fault, site, severity) in
    place of its JSON body: what the desk and the dashboard show."""
    for row in rows:
        alert = json.loads(row.pop("alert"))
        row.update({k: alert["labels"].get(k) for k in ("turbine_id", "fault_code", "site")})
        row["severity"] = alert["labels"]["severity"]
    return rows


def action_row(
    action: str,
    turbine_id: str,
    actor: str,
    at: datetime,
    *,
    fault_code: str | None = None,
    episode_started_at: datetime | None = None,
    until: datetime | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One ack / silence / unsilence as every store records it (times as ISO text)."""
    return {
        "action": action,
        "turbine_id": turbine_id,
        "fault_code": fault_code,
        "episode_started_at": iso(episode_started_at) if episode_started_at else None,
        "actor": actor,
        "at": iso(at),
        "until": iso(until) if until else None,
        "reason": reason,
    }


def store_path(paths: Paths) -> Path:
    return paths.home / "alerting.sqlite"


class AlertStore:
    """The notifier's state; safe for one notifier plus any number of CLI/API writers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()

    @classmethod
    def for_home(cls, paths: Paths) -> AlertStore:
        return cls(store_path(paths))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._connect() as db:
            return [dict(row) for row in db.execute(sql, params).fetchall()]

    # The rules' memory ---------------------------------------------------------------------

    def decided(self) -> dict[str, dict[str, Any]]:
        """Every decided notification by key (fingerprint, starts_at, status, decided_at)."""
        rows = self._rows("SELECT key, fingerprint, starts_at, status, decided_at FROM alerts")
        return {row["key"]: row for row in rows}

    def enqueue(
        self,
        items: list[tuple[str, Any, str, str, dict[str, Any]]],
        channels: list[tuple[str, str]],
        now: datetime,
        not_before: datetime,
    ) -> int:
        """Record decided notifications and queue them for every channel, atomically.

        `items`: (key, alert fingerprint, starts_at iso, status, alert JSON body) tuples;
        `channels`: (channel id, masked name). Keys decided before are skipped. Returns
        how many were new.
        """
        new = 0
        with self._connect() as db:
            for key, fingerprint, starts_at, status, body in items:
                inserted = db.execute(
                    "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        fingerprint,
                        starts_at,
                        status,
                        body["group"],
                        json.dumps(body),
                        iso(now),
                    ),
                ).rowcount
                if not inserted:
                    continue
                new += 1
                for channel, name in channels:
                    db.execute(
                        "INSERT OR IGNORE INTO outbox(key, channel, channel_name, group_key, state,"
                        " not_before, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            channel,
                            name,
                            body["group"],
                            PENDING,
                            iso(not_before),
                            iso(not_before),
                        ),
                    )
        return new

    def pending_not_before(self, group_key: str, now: datetime) -> datetime | None:
        """The send time of a group still waiting (group_wait or group_interval), to join
        it; else None. A message due now and not yet tried is joined too: it goes out in
        this same round."""
        rows = self._rows(
            "SELECT MIN(not_before) AS t FROM outbox WHERE group_key = ? AND state = ?"
            " AND attempts = 0 AND not_before >= ?",
            (group_key, PENDING, iso(now)),
        )
        return parse(rows[0]["t"]) if rows and rows[0]["t"] else None

    def last_flush(self, group_key: str, now: datetime) -> datetime | None:
        """When the group's latest message was due (its send time, not its delivery), or
        None if it never had one: group_interval counts from there."""
        rows = self._rows(
            "SELECT MAX(not_before) AS t FROM outbox WHERE group_key = ? AND not_before < ?",
            (group_key, iso(now)),
        )
        return parse(rows[0]["t"]) if rows and rows[0]["t"] else None

    # Delivery ------------------------------------------------------------------------------

    def due(self, channel: str, now: datetime) -> list[dict[str, Any]]:
        """Pending rows of `channel` whose time has come, with their alert bodies, in order."""
        rows = self._rows(
            "SELECT o.*, a.alert FROM outbox o JOIN alerts a USING (key)"
            " WHERE o.channel = ? AND o.state = ? AND o.next_attempt_at <= ?"
            " ORDER BY o.not_before, a.decided_at, o.key",
            (channel, PENDING, iso(now)),
        )
        for row in rows:
            row["alert"] = json.loads(row["alert"])
        return rows

    def mark_sent(
        self, channel: str, name: str, keys: list[str], now: datetime, summary: bool
    ) -> None:
        with self._connect() as db:
            db.executemany(
                "UPDATE outbox SET state = ?, sent_at = ?, attempts = attempts + 1,"
                " last_error = NULL WHERE key = ? AND channel = ?",
                [(SENT, iso(now), key, channel) for key in keys],
            )
            db.execute(
                "INSERT INTO deliveries(channel, channel_name, keys, at, ok, summary)"
                " VALUES (?, ?, ?, ?, 1, ?)",
                (channel, name, json.dumps(keys), iso(now), int(summary)),
            )

    def mark_failed(
        self,
        channel: str,
        name: str,
        keys: list[str],
        now: datetime,
        error: str,
        retry_at: dict[str, datetime | None],
    ) -> None:
        """One failed try of `keys`: retry at `retry_at[key]`, or dead letter (None)."""
        with self._connect() as db:
            for key in keys:
                when = retry_at[key]
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?,"
                    " next_attempt_at = ? WHERE key = ? AND channel = ?",
                    (error, PENDING if when else DEAD, iso(when or now), key, channel),
                )
            db.execute(
                "INSERT INTO deliveries(channel, channel_name, keys, at, ok, error)"
                " VALUES (?, ?, ?, ?, 0, ?)",
                (channel, name, json.dumps(keys), iso(now), error),
            )

    def sent_since(self, channel: str, since: datetime) -> int:
        """Successful messages to `channel` since `since` (the rate limit's count)."""
        rows = self._rows(
            "SELECT COUNT(*) AS n FROM deliveries WHERE channel = ? AND ok = 1 AND at > ?",
            (channel, iso(since)),
        )
        return int(rows[0]["n"])

    def notifications(self, limit: int = 200) -> list[dict[str, Any]]:
        """Latest outbox rows (any state) with the alert's labels, newest first."""
        rows = self._rows(
            "SELECT o.key, o.channel_name, o.state, o.attempts, o.last_error, o.sent_at,"
            " a.status, a.alert, a.decided_at FROM outbox o JOIN alerts a USING (key)"
            " ORDER BY a.decided_at DESC, o.key LIMIT ?",
            (limit,),
        )
        return labelled(rows)

    # Actions ------------------------------------------------------------------------------

    def record_action(
        self, action: str, turbine_id: str, actor: str, at: datetime, **details: Any
    ) -> dict[str, Any]:
        """Record one action (`details`: those of `action_row`); the row as stored."""
        row = action_row(action, turbine_id, actor, at, **details)
        with self._connect() as db:
            cursor = db.execute(
                f"INSERT INTO actions({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            row = db.execute(
                "SELECT * FROM actions WHERE action_id = ?", (cursor.lastrowid,)
            ).fetchone()
        return dict(row)

    def actions(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every action, oldest first (or the latest `limit`, still oldest first)."""
        if limit is None:
            return self._rows("SELECT * FROM actions ORDER BY action_id")
        rows = self._rows("SELECT * FROM actions ORDER BY action_id DESC LIMIT ?", (limit,))
        return rows[::-1]
