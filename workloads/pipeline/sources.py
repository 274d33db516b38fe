"""Where the streams come from: the one place that differs between Databricks and local Spark.

Dataset files call these so that each stays a decorator plus a pure transform.
"""

from __future__ import annotations

import os
from pathlib import Path

from workloads.names import BRONZE, TURBINES
from workloads.pipeline.settings import FILE_DISCOVERY_OPTIONS, Settings


def on_databricks(spark) -> bool:
    if os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        return True
    try:
        return bool(spark.conf.get("spark.databricks.clusterUsageTags.clusterId", None))
    except Exception:  # a conf the local engine does not know
        return False


def use_autoloader(spark, settings: Settings) -> bool:
    """Auto Loader (`cloudFiles`) exists on Databricks runtimes only."""
    if settings.autoloader in ("true", "false"):
        return settings.autoloader == "true"
    return on_databricks(spark)


def turbine_registry(spark):
    """The turbine registry as a static frame (`workloads.registry.COLUMNS`), for the
    stream-static join in silver and quarantine; empty when nothing wrote it yet.

    Read while the update registers its datasets, so each update sees the registry as it
    is then. On Databricks: the `turbines` table of the pipeline's catalog and schema.
    Locally: the registry's current published version under the engine's warehouse
    (`$WINDMILL_HOME/warehouse`), read by its files (an immutable version folder).
    """
    from workloads import registry, storage
    from workloads.config import Paths

    schema = registry.spark_schema()
    if on_databricks(spark):
        try:
            exists = spark.catalog.tableExists(TURBINES)
        except Exception:  # a runtime that does not answer: assume it is there
            exists = True
        if exists:
            return spark.read.table(TURBINES).select(*registry.COLUMNS)
        return spark.createDataFrame([], schema)
    warehouse = str(spark.conf.get("spark.sql.warehouse.dir"))
    home = Path(warehouse.removeprefix("file:")).parent
    version = storage.current_version(Paths(home), TURBINES)
    if version is None or not version.files:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).parquet(*[str(path) for path in version.paths()])


def autoloader_options(settings: Settings) -> dict[str, str]:
    """The `cloudFiles` reader options: text lines, files per trigger, and how new files
    are found (`FILE_DISCOVERY_OPTIONS`)."""
    return {
        "cloudFiles.format": "text",
        "cloudFiles.maxFilesPerTrigger": str(settings.max_files_per_trigger),
        **FILE_DISCOVERY_OPTIONS[settings.file_discovery],
    }


def landing_lines(spark, settings: Settings):
    """A stream of the landing files' lines (`value`) plus the file metadata column.

    Only finished files match the glob: the generator writes under a temporary
    name starting with "." and renames when done.
    """
    if not settings.landing_path:
        raise ValueError("windmill.landing_path is not set in the pipeline configuration")
    if use_autoloader(spark, settings):
        reader = spark.readStream.format("cloudFiles").options(**autoloader_options(settings))
    else:
        reader = spark.readStream.format("text").option(
            "maxFilesPerTrigger", str(settings.max_files_per_trigger)
        )
    return reader.option("pathGlobFilter", settings.landing_glob).load(settings.landing_path)


def bronze_with_watermark(spark, settings: Settings):
    """The bronze stream with a watermark on its own ingestion time.

    Written as a SQL WATERMARK clause: over Spark Connect `DataFrame.withWatermark`
    analyzes its input at once, so on a first run it fails (the table does not exist
    yet) and later it turns bronze into a plain catalog read, hiding from the engine
    that silver must wait for bronze; the SQL form is resolved with the graph.
    """
    delay_seconds = max(1, round(settings.dedup_window_hours * 3600))
    return spark.sql(
        f"SELECT * FROM STREAM({BRONZE}) "
        f"WATERMARK ingested_at DELAY OF INTERVAL {delay_seconds} SECONDS"
    )


# Data-quality expectations exist only on Databricks (Lakeflow); warn-only, so they report
# in the pipeline's event log without dropping anything: quarantine does the routing.
BRONZE_EXPECTATIONS = {
    "line is a JSON object": "ltrim(raw) LIKE '{%'",
    "line under 1 MB": "length(raw) < 1048576",
}


def expectations(rules: dict[str, str]):
    """`dp.expect_all(rules)` where the runtime has it (Databricks), else no decorator."""
    from pyspark import pipelines as dp

    expect_all = getattr(dp, "expect_all", None)
    if expect_all is None:
        return lambda query_function: query_function
    return expect_all(rules)
