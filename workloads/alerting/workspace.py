"""The notifier as a Databricks job: episodes from Unity Catalog, state in Delta tables.

The job runs the same `windmill notify` with `--catalog/--schema` (episodes read with
the job's Spark session); its outbox, deliveries and the App's acks and silences are the
Delta tables of delta.py in the same schema (`delta_store`), through the job's Spark
session or, with `--warehouse-id`, a SQL warehouse.

The former layout stays available with `--state /Volumes/…/alerting.sqlite`: the store
is worked on in a local copy and written back to the volume after every round that changed it,
with SQLite's online backup (a consistent copy, then an atomic rename), so a run that
dies loses at most its last round — whose notifications are then resent with the same
keys by the next run. One run at a time (the job's max_concurrent_runs is 1).

Failed pipeline updates and job runs notify through the workspace's own notification
destinations on Databricks (declared by infra/alerting.py), not through this loop.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from workloads import names


def table_reader(catalog: str, schema: str, table: str = names.GOLD_EPISODES):
    """A function returning `catalog.schema.table` as pandas (None while it is missing)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    full = f"{catalog}.{schema}.{table}"

    def read():
        return spark.table(full).toPandas() if spark.catalog.tableExists(full) else None

    return read


def delta_store(catalog: str, schema: str, warehouse_id: str | None = None):
    """The Delta alert store of `catalog.schema`, its tables created if missing."""
    from workloads.alerting.delta import DeltaAlertStore, quoted_schema
    from workloads.alerting.warehouse import spark_runner, warehouse_runner

    if warehouse_id:
        from databricks.sdk import WorkspaceClient

        run = warehouse_runner(WorkspaceClient(), warehouse_id)
    else:
        from pyspark.sql import SparkSession

        run = spark_runner(SparkSession.builder.getOrCreate())
    store = DeltaAlertStore(run, quoted_schema(catalog, schema))
    store.create_tables()
    return store


class VolumeState:
    """A local working copy of the store whose durable home is a file on a volume."""

    def __init__(self, durable: Path) -> None:
        self.durable = Path(durable)
        self.folder = Path(tempfile.mkdtemp(prefix="windmill-notify-"))
        self.local = self.folder / "alerting.sqlite"
        if self.durable.exists():
            shutil.copyfile(self.durable, self.local)
        self._version: tuple | None = None

    def _stamp(self) -> tuple:
        """(mtime, size) of the database and its write-ahead log: changes with any write."""
        files = (self.local, self.local.with_name(self.local.name + "-wal"))
        return tuple(
            (f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in files
        )

    def save(self) -> bool:
        """Copy the store back to the volume if it changed; True when it was written."""
        version = self._stamp()
        if version == self._version:
            return False
        self.durable.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.durable.with_name(self.durable.name + ".tmp")
        source, target = sqlite3.connect(self.local), sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(tmp, self.durable)
        self._version = version
        return True


def secret_urls(reference: str) -> list[str]:
    """Channel URLs (comma-separated) from the Databricks secret "SCOPE/KEY"."""
    import base64

    from databricks.sdk import WorkspaceClient

    from workloads.errors import WindmillError

    scope, _, key = reference.partition("/")
    if not scope or not key:
        raise WindmillError("--notify-secret must be SCOPE/KEY.")
    try:
        value = WorkspaceClient().secrets.get_secret(scope, key).value or ""
    except Exception as exc:  # noqa: BLE001 - one sentence, never the secret
        raise WindmillError(
            f"cannot read the secret {scope}/{key} ({type(exc).__name__}); put the channel "
            f"URLs there with `databricks secrets put-secret {scope} {key}`."
        ) from None
    text = base64.b64decode(value).decode()
    return [u.strip() for u in text.split(",") if u.strip()]
