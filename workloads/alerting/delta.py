"""The notifier's state on Databricks: Delta tables in the stack's schema, through SQL.

The same contract as the local SQLite store (store.py), so the rules, delivery and the
alert desk run unchanged; only where the rows live differs:

- `alert_outbox`: one row per (idempotency key, channel) with the decided alert's body.
  It is also the rules' memory (a key is decided once it has a row), so a round's
  decisions for every channel are recorded by ONE `MERGE` (atomic in Delta, as the
  SQLite transaction is) that only inserts keys it does not hold: a rerun, or a
  statement retried after a lost reply, never duplicates a notification. Rows are
  recorded before anything is sent; a crash between a send and its `mark_sent` resends
  the same key.
- `alert_deliveries`: every try (the rate limit counts them).
- `alert_actions`: acks, silences and unsilences with who and when, written by the App
  (actor from X-Forwarded-Email) and the CLI, read by the notifier job.

Every value goes as a named statement parameter, never into the SQL text; the table
names are the stack's catalog and schema, quoted. Times are ISO-8601 UTC text, as in
the local store (one form for keys and comparisons, ordered as the instants are).
`run(sql, params)` executes one statement and returns its rows as dicts of text; it is
the SQL warehouse's statement execution (warehouse.py) for the App, or the job's Spark
session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from workloads.alerting.model import iso, parse
from workloads.alerting.store import DEAD, PENDING, SENT, action_row, labelled

ALERT_OUTBOX = "alert_outbox"
ALERT_DELIVERIES = "alert_deliveries"
ALERT_ACTIONS = "alert_actions"

OUTBOX_DDL = (
    "key STRING NOT NULL, channel STRING NOT NULL, channel_name STRING NOT NULL, "
    "group_key STRING NOT NULL, fingerprint STRING NOT NULL, starts_at STRING NOT NULL, "
    "status STRING NOT NULL, alert STRING NOT NULL, decided_at STRING NOT NULL, "
    "state STRING NOT NULL, not_before STRING NOT NULL, attempts BIGINT NOT NULL, "
    "next_attempt_at STRING NOT NULL, last_error STRING, sent_at STRING"
)
DELIVERIES_DDL = (
    "delivery_id STRING NOT NULL, channel STRING NOT NULL, channel_name STRING NOT NULL, "
    "keys STRING NOT NULL, at STRING NOT NULL, ok BOOLEAN NOT NULL, error STRING, "
    "summary BOOLEAN NOT NULL"
)
ACTIONS_DDL = (
    "action_id STRING NOT NULL, action STRING NOT NULL, turbine_id STRING NOT NULL, "
    "fault_code STRING, episode_started_at STRING, actor STRING NOT NULL, at STRING NOT NULL, "
    "until STRING, reason STRING"
)
TABLES = {ALERT_OUTBOX: OUTBOX_DDL, ALERT_DELIVERIES: DELIVERIES_DDL, ALERT_ACTIONS: ACTIONS_DDL}
OUTBOX_COLUMNS = [c.split()[0] for c in OUTBOX_DDL.split(", ")]
# Parameters per statement stay at about 160 or fewer, whatever the burst: a first start
# with hundreds of open episodes is several statements, not one of thousands of markers.
ROWS_PER_MERGE = 20  # 8 parameters a row
KEYS_PER_STATEMENT = 50  # at most 3 parameters a key (mark_failed)

Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


def quoted_schema(catalog: str, schema: str) -> str:
    """`catalog`.`schema`, each name quoted (a backtick in a name stays a name)."""
    return ".".join("`" + name.replace("`", "``") + "`" for name in (catalog, schema))


def _chunks(values: Sequence[Any], size: int = KEYS_PER_STATEMENT) -> list[Sequence[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _in_list(prefix: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`(:p0, :p1, …)` and its parameters: a list of values, each its own parameter."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{name}" for name in params) + ")", params


class DeltaAlertStore:
    """The AlertStore contract over three Delta tables (see the module docstring)."""

    def __init__(self, run: Run, schema_prefix: str) -> None:
        """`schema_prefix`: the stack's schema as `quoted_schema` writes it."""
        self.run = run
        self.outbox = f"{schema_prefix}.`{ALERT_OUTBOX}`"
        self.deliveries = f"{schema_prefix}.`{ALERT_DELIVERIES}`"
        self.actions_table = f"{schema_prefix}.`{ALERT_ACTIONS}`"
        self._names = {ALERT_OUTBOX: self.outbox, ALERT_DELIVERIES: self.deliveries}
        self._names[ALERT_ACTIONS] = self.actions_table

    def create_tables(self) -> None:
        """Create the tables unless they exist (the notifier job at start; deploy too)."""
        for table, ddl in TABLES.items():
            self.run(f"CREATE TABLE IF NOT EXISTS {self._names[table]} ({ddl})", {})

    # The rules' memory ---------------------------------------------------------------------

    def decided(self) -> dict[str, dict[str, Any]]:
        rows = self.run(
            "SELECT key, fingerprint, starts_at, status, MIN(decided_at) AS decided_at"
            f" FROM {self.outbox} GROUP BY key, fingerprint, starts_at, status",
            {},
        )
        return {row["key"]: row for row in rows}

    def enqueue(
        self,
        items: list[tuple[str, Any, str, str, dict[str, Any]]],
        channels: list[tuple[str, str]],
        now: datetime,
        not_before: datetime,
    ) -> int:
        """Record decided notifications for every channel; keys decided before are skipped.
        Returns how many were new."""
        if not items or not channels:
            return 0
        known: set[str] = set()
        for keys in _chunks([item[0] for item in items]):
            marks, params = _in_list("k", keys)
            sql = f"SELECT DISTINCT key FROM {self.outbox} WHERE key IN {marks}"
            known |= {r["key"] for r in self.run(sql, params)}
        fresh = [item for item in items if item[0] not in known]
        rows = [(item, channel) for item in fresh for channel in channels]
        for chunk in _chunks(rows, ROWS_PER_MERGE):
            self._merge_new(chunk, now, not_before)
        return len(fresh)

    def _merge_new(self, rows, now: datetime, not_before: datetime) -> None:
        params: dict[str, Any] = {
            "decided_at": iso(now),
            "not_before": iso(not_before),
            "pending": PENDING,
        }
        values = []
        for i, ((key, fingerprint, starts_at, status, body), (channel, name)) in enumerate(rows):
            fields = {
                "key": key,
                "channel": channel,
                "channel_name": name,
                "group_key": body["group"],
                "fingerprint": fingerprint,
                "starts_at": starts_at,
                "status": status,
                "alert": json.dumps(body),
            }
            params.update({f"{field}{i}": value for field, value in fields.items()})
            values.append("(" + ", ".join(f":{field}{i}" for field in fields) + ")")
        self.run(
            f"MERGE INTO {self.outbox} AS t USING (SELECT * FROM (VALUES {', '.join(values)})"
            " AS v(key, channel, channel_name, group_key, fingerprint, starts_at, status, alert))"
            " AS s ON t.key = s.key AND t.channel = s.channel"
            " WHEN NOT MATCHED THEN INSERT (key, channel, channel_name, group_key, fingerprint,"
            " starts_at, status, alert, decided_at, state, not_before, attempts, next_attempt_at)"
            " VALUES (s.key, s.channel, s.channel_name, s.group_key, s.fingerprint, s.starts_at,"
            " s.status, s.alert, :decided_at, :pending, :not_before, 0, :not_before)",
            params,
        )

    def pending_not_before(self, group_key: str, now: datetime) -> datetime | None:
        rows = self.run(
            f"SELECT MIN(not_before) AS t FROM {self.outbox} WHERE group_key = :group"
            " AND state = :pending AND attempts = 0 AND not_before >= :now",
            {"group": group_key, "pending": PENDING, "now": iso(now)},
        )
        return parse(rows[0]["t"]) if rows and rows[0]["t"] else None

    def last_flush(self, group_key: str, now: datetime) -> datetime | None:
        rows = self.run(
            f"SELECT MAX(not_before) AS t FROM {self.outbox} WHERE group_key = :group"
            " AND not_before < :now",
            {"group": group_key, "now": iso(now)},
        )
        return parse(rows[0]["t"]) if rows and rows[0]["t"] else None

    # Delivery ------------------------------------------------------------------------------

    def due(self, channel: str, now: datetime) -> list[dict[str, Any]]:
        rows = self.run(
            f"SELECT * FROM {self.outbox} WHERE channel = :channel AND state = :pending"
            " AND next_attempt_at <= :now ORDER BY not_before, decided_at, key",
            {"channel": channel, "pending": PENDING, "now": iso(now)},
        )
        for row in rows:
            row["alert"] = json.loads(row["alert"])
            row["attempts"] = int(row["attempts"])
        return rows

    def mark_sent(
        self, channel: str, name: str, keys: list[str], now: datetime, summary: bool
    ) -> None:
        for chunk in _chunks(keys):
            marks, params = _in_list("k", chunk)
            self.run(
                f"UPDATE {self.outbox} SET state = :sent, sent_at = :now,"
                " attempts = attempts + 1, last_error = NULL"
                f" WHERE channel = :channel AND key IN {marks}",
                {**params, "sent": SENT, "now": iso(now), "channel": channel},
            )
        self._delivery(channel, name, keys, now, None, summary)

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
        for chunk in _chunks(keys):
            params: dict[str, Any] = {"channel": channel, "error": error}
            values = []
            for i, key in enumerate(chunk):
                when = retry_at[key]
                state = PENDING if when else DEAD
                params.update({f"key{i}": key, f"state{i}": state, f"at{i}": iso(when or now)})
                values.append(f"(:key{i}, :state{i}, :at{i})")
            self.run(
                f"MERGE INTO {self.outbox} AS t USING (SELECT * FROM (VALUES {', '.join(values)})"
                " AS v(key, state, next_attempt_at)) AS s"
                " ON t.key = s.key AND t.channel = :channel"
                " WHEN MATCHED THEN UPDATE SET attempts = t.attempts + 1, last_error = :error,"
                " state = s.state, next_attempt_at = s.next_attempt_at",
                params,
            )
        self._delivery(channel, name, keys, now, error, False)

    def _delivery(self, channel, name, keys, now, error: str | None, summary: bool) -> None:
        self.run(
            f"INSERT INTO {self.deliveries} (delivery_id, channel, channel_name, keys, at, ok,"
            " error, summary) VALUES (:id, :channel, :name, :keys, :at,"
            f" {'TRUE' if error is None else 'FALSE'}, :error, {'TRUE' if summary else 'FALSE'})",
            {
                "id": uuid.uuid4().hex,
                "channel": channel,
                "name": name,
                "keys": json.dumps(keys),
                "at": iso(now),
                "error": error,
            },
        )

    def sent_since(self, channel: str, since: datetime) -> int:
        rows = self.run(
            f"SELECT COUNT(*) AS n FROM {self.deliveries} WHERE channel = :channel AND ok"
            " AND at > :since",
            {"channel": channel, "since": iso(since)},
        )
        return int(rows[0]["n"])

    def notifications(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.run(
            "SELECT key, channel_name, state, attempts, last_error, sent_at, status, alert,"
            f" decided_at FROM {self.outbox} ORDER BY decided_at DESC, key LIMIT :limit",
            {"limit": int(limit)},
        )
        for row in rows:
            row["attempts"] = int(row["attempts"])
        return labelled(rows)

    # Actions ------------------------------------------------------------------------------

    def record_action(self, action: str, turbine_id: str, actor: str, at: datetime, **details):
        """As AlertStore.record_action; the id sorts as `at` does, then is unique (the
        actions' order is their ids' order)."""
        row = action_row(action, turbine_id, actor, at, **details)
        row = {"action_id": f"{row['at']}|{uuid.uuid4().hex[:12]}", **row}
        self.run(
            f"INSERT INTO {self.actions_table} ({', '.join(row)})"
            f" VALUES ({', '.join(':' + c for c in row)})",
            row,
        )
        return row

    def actions(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every action, oldest first (or the latest `limit`, still oldest first)."""
        if limit is None:
            return self.run(f"SELECT * FROM {self.actions_table} ORDER BY action_id", {})
        rows = self.run(
            f"SELECT * FROM {self.actions_table} ORDER BY action_id DESC LIMIT :limit",
            {"limit": int(limit)},
        )
        return rows[::-1]
