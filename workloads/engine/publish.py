"""Publishing a local update: what readers see after it (`workloads.storage` for the files,
`workloads.spark_catalog` for the metastore).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workloads import spark_catalog, storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths
from workloads.names import MATERIALIZED_VIEWS, STREAMING_TABLES

log = logging.getLogger(__name__)


def publish_update(
    spark,
    paths: Paths,
    dirs: Mapping[str, Path],
    database: str = PIPELINE_DATABASE,
    publish_database: str = LOCAL_DATABASE,
    phases: dict[str, Any] | None = None,
    published: Mapping[str, storage.Version] | None = None,
    views: Sequence[str] = MATERIALIZED_VIEWS,
) -> dict[str, storage.Version]:
    """After a completed update (and before the next starts): what readers see next.

    Each materialized view's files become a new published version (hard links), and
    `publish_database.<view>` is pointed at it; each streaming table is a view over the
    pipeline's (its commit log is already consistent). See `workloads.storage`.

    Every version is published (its pointer written: what the dashboard and the other file
    readers see) before the metastore is touched: the pointers take milliseconds, the
    metastore's updates seconds (a first start creates seven tables and views), and the
    page need not wait for those. Each table still switches at once for either kind of
    reader; a Spark reader just sees the new version a moment after a file reader.

    `published`: the views whose files were already published during the update, as their
    flows completed (`ViewPublisher`); only the others' files are published here. `views`:
    the views the update refreshed (the others keep their version, catalog entry included).
    """
    started = time.monotonic()
    early = dict(published or {})
    published = {
        name: early[name] if name in early else storage.publish(paths, name, dirs[name])
        for name in views
    }
    pointers_ms = (time.monotonic() - started) * 1000
    existing = spark_catalog.catalog_types(spark, publish_database)  # one metastore call, not seven
    for name, version in published.items():
        spark_catalog.publish_in_catalog(
            spark,
            version,
            publish_database,
            schema=lambda name=name: spark.table(f"{database}.{name}").schema,
            existing=existing.get(name),
        )
    for name in STREAMING_TABLES:
        spark_catalog.expose_streaming_table(
            spark, name, database, publish_database, existing=existing.get(name)
        )
    total_ms = (time.monotonic() - started) * 1000
    log.info(
        "published %s in %.0f ms (files %.0f ms, then the metastore)",
        ", ".join(f"{v.table} v{v.number} ({v.rows} rows)" for v in published.values()),
        total_ms,
        pointers_ms,
    )
    if phases is not None:
        phases["publish_files"] = round(pointers_ms / 1000, 3)
        phases["publish_metastore"] = round((total_ms - pointers_ms) / 1000, 3)
    return published


class ViewPublisher:
    """Publishes a materialized view's files the moment its flow completes, mid-update.

    The engine streams each flow's completion while later flows still run; a view's folder
    is final once its own flow completed (nothing else in the update writes it), so its
    files become the published version at once and the notifier and the dashboard, which
    read files, see e.g. a new fault episode before the remaining views are recomputed.
    The metastore follows after the run (`publish_update`). As on Databricks, where each
    flow commits its own table, a view whose flow completed keeps its new version even if
    a later flow of the same update fails.
    """

    def __init__(self, paths: Paths, dirs: Mapping[str, Path], origin: float) -> None:
        self.paths, self.dirs, self.origin = paths, dirs, origin
        self.published: dict[str, storage.Version] = {}
        self.at: dict[str, float] = {}  # seconds from `origin` (epoch) to each publish

    def __call__(self, dataset: str) -> None:
        if dataset in MATERIALIZED_VIEWS and dataset not in self.published:
            self.published[dataset] = storage.publish(self.paths, dataset, self.dirs[dataset])
            self.at[dataset] = round(time.time() - self.origin, 3)


def catalog_follows(spark, publisher: ViewPublisher, database: str, publish_database: str):
    """After a failed update: point the metastore at the views that were published before
    the failure, so Spark readers do not keep resolving a version that will be pruned."""
    for name, version in publisher.published.items():
        try:
            spark_catalog.publish_in_catalog(
                spark,
                version,
                publish_database,
                schema=lambda name=name: spark.table(f"{database}.{name}").schema,
            )
        except Exception as exc:  # the update's own error is the one reported
            log.warning(
                "could not point the metastore at %s (%s); Spark readers see it after the "
                "next completed update",
                name,
                type(exc).__name__,
            )
