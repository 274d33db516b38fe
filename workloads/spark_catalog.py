"""The Spark metastore's side of local table storage (`workloads.storage` is the files' side).

Readers through the engine resolve `windmill.<table>`: for a materialized view or a table
written outside the pipeline, an external Parquet table pointed at its newest published
version; for a streaming table, a view over the pipeline's own table.
"""

from __future__ import annotations

from workloads.storage import Version


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def catalog_types(spark, database: str) -> dict[str, str]:
    """Type (EXTERNAL, MANAGED, VIEW) of every table in `database`, in one metastore call."""
    return {
        t.name: str(t.tableType).upper()
        for t in spark.catalog.listTables(database)
        if not t.isTemporary
    }


def publish_in_catalog(
    spark, version: Version, database: str, schema=None, existing: str | None = "unknown"
) -> None:
    """Point `database.<table>` (an external Parquet table) at `version` in the metastore.

    `ALTER TABLE … SET LOCATION` is one metastore update: a Spark reader resolves the old
    location or the new one. A table of that name that is not ours (a managed table an
    older release wrote there) is dropped first. `schema` (a StructType, or a function
    returning one) is used only to create the table the first time; without it Spark
    infers the schema from the files. `existing` is the table's type if the caller knows
    it (`catalog_types`; None: no such table), else it is looked up.
    """
    name = f"{database}.{version.table}"
    location = version.folder.resolve().as_uri()
    if existing == "unknown":
        existing = _table_type(spark, database, version.table)
    if existing is not None and existing != "EXTERNAL":
        spark.sql(f"DROP {'VIEW' if existing == 'VIEW' else 'TABLE'} IF EXISTS {name}")
        existing = None
    if existing is None:
        schema = schema() if callable(schema) else schema
        spark.catalog.createTable(name, path=location, source="parquet", schema=schema)
    else:
        spark.sql(f"ALTER TABLE {name} SET LOCATION {_sql_string(location)}")


def expose_streaming_table(
    spark, table: str, pipeline_database: str, database: str, existing: str | None = "unknown"
) -> None:
    """`database.<table>`: a view over the pipeline's streaming table (its commit log is
    already consistent), so qualified and unqualified names work in `database`. Created
    once: a view that exists already is left as it is (`existing`: see publish_in_catalog).
    """
    if existing == "unknown":
        existing = _table_type(spark, database, table)
    if existing == "VIEW":
        return
    if existing is not None:
        spark.sql(f"DROP TABLE IF EXISTS {database}.{table}")
    spark.sql(
        f"CREATE OR REPLACE VIEW {database}.{table} AS SELECT * FROM {pipeline_database}.{table}"
    )


def drop_from_catalog(spark, table: str, database: str) -> None:
    """Drop `database.<table>` whatever it is (our external table, a view, a managed table)."""
    kind = _table_type(spark, database, table)
    if kind == "VIEW":
        spark.sql(f"DROP VIEW IF EXISTS {database}.{table}")
    elif kind is not None:
        spark.sql(f"DROP TABLE IF EXISTS {database}.{table}")


def _table_type(spark, database: str, table: str) -> str | None:
    if not spark.catalog.tableExists(f"{database}.{table}"):
        return None
    return str(spark.catalog.getTable(f"{database}.{table}").tableType).upper()


def write_outside_table(spark, frame, name: str, schema, table: str | None = None, paths=None):
    """Write a table that lives outside the pipeline (dispatch plan, risk, SLA, registry…).

    `frame` is pandas with the schema's columns. With `table` (a full Unity Catalog name):
    overwrite that table (Delta versions it). Locally (no `table`): write a new version
    folder under `paths` (default `$WINDMILL_HOME`), publish it (readers switch atomically,
    never see it half-written) and point `windmill.<name>` at it; returns the Version.
    """
    from workloads import storage
    from workloads.config import LOCAL_DATABASE
    from workloads.config import paths as home_paths

    frame = frame.astype(object).where(frame.notna(), None)
    records = [tuple(row) for row in frame.itertuples(index=False, name=None)]
    rows = spark.createDataFrame(records, schema=schema)
    if table is not None:
        rows.write.mode("overwrite").saveAsTable(table)
        return None
    paths = paths or home_paths()
    folder = storage.new_version_folder(paths, name)
    rows.coalesce(1).write.mode("overwrite").parquet(folder.resolve().as_uri())
    version = storage.publish(paths, name, folder)
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {LOCAL_DATABASE}")
    publish_in_catalog(spark, version, LOCAL_DATABASE, schema=rows.schema)
    return version
