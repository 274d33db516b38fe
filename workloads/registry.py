"""The turbine registry (`turbines`): which turbines exist, where they stand, how big they are.

One row per turbine: `SCHEMA`. `windmill generate` writes its own fleet here and
`windmill ingest` the operator's assets file, so the dashboard (positions, sites), the
dispatcher (sites) and the pipeline read one list. The pipeline joins it to the landing
stream (a stream-static join, `workloads.pipeline.sources.turbine_registry`): an id it
lists is valid whatever its shape, and its rated power scales the kW fault rule and range.

Writes merge: rows replace those with the same `turbine_id`, other turbines stay, so a
generated fleet and an ingested one live side by side. Locally a write is a published
version (`workloads.storage`, readers switch atomically) made with pyarrow, no JVM, so
`windmill ingest` and the generator need no engine; on Databricks it is the Unity Catalog
table `<catalog>.<schema>.turbines` (`write_table`, through
`spark_catalog.write_outside_table`). `read` is the pure reader (pandas, no JVM).
"""

from __future__ import annotations

import math

from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.names import TURBINES

SCHEMA: tuple[tuple[str, str], ...] = (
    ("turbine_id", "string"),
    ("site", "string"),
    ("latitude", "double"),
    ("longitude", "double"),
    ("rated_power_kw", "double"),
    ("model", "string"),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _ in SCHEMA)
GENERATED_MODEL = "windmill generator 3 MW"


def schema_ddl() -> str:
    return ", ".join(f"{name} {kind}" for name, kind in SCHEMA)


def spark_schema():
    """The schema as a StructType, built without parsing DDL: over Spark Connect a DDL parse
    is an analysis request, which a pipeline query function may not make."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    kinds = {"string": StringType(), "double": DoubleType()}
    return StructType([StructField(name, kinds[kind], True) for name, kind in SCHEMA])


def arrow_schema():
    import pyarrow as pa

    kinds = {"string": pa.string(), "double": pa.float64()}
    return pa.schema([(name, kinds[kind]) for name, kind in SCHEMA])


def check(frame, source: str = "the turbine registry"):
    """`frame` (pandas) as a registry: its columns in order, typed; or one WindmillError.

    Every turbine has an id (unique), a rated power above zero, and a position inside the
    globe when it has one.
    """
    import pandas as pd

    absent = [name for name in COLUMNS if name not in frame.columns]
    if absent:
        raise WindmillError(f"{source} has no column {absent[0]!r}.")
    out = pd.DataFrame({name: frame[name] for name in COLUMNS}).reset_index(drop=True)
    for name, kind in SCHEMA:
        if kind == "double":
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
        else:
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    for index, row in out.iterrows():
        turbine = row["turbine_id"]
        where = f"{source}, row {index + 1}"
        if not isinstance(turbine, str) or not turbine.strip():
            raise WindmillError(f"{where} has no turbine id.")
        rated = row["rated_power_kw"]
        if not (isinstance(rated, float) and math.isfinite(rated) and rated > 0):
            raise WindmillError(f"{where} ({turbine}): rated_power_kw must be a number above 0.")
        for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
            value = row[name]
            if not math.isnan(value) and not -bound <= value <= bound:
                raise WindmillError(f"{where} ({turbine}): {name} {value} is not on the globe.")
    duplicated = out["turbine_id"][out["turbine_id"].duplicated()]
    if len(duplicated):
        raise WindmillError(f"{source} lists turbine {duplicated.iloc[0]!r} twice.")
    return out


def merge(current, new):
    """`new` rows over `current` (same turbine_id replaced), sorted by turbine_id."""
    import pandas as pd

    if current is None or current.empty:
        merged = new
    else:
        kept = current[~current["turbine_id"].isin(set(new["turbine_id"]))]
        merged = pd.concat([kept[list(COLUMNS)], new[list(COLUMNS)]], ignore_index=True)
    return merged.sort_values("turbine_id", kind="stable").reset_index(drop=True)


def read(paths: Paths):
    """The registry as pandas (`COLUMNS`), or None before anything wrote it."""
    from workloads import storage

    return storage.read_table(paths, TURBINES)


def write_local(paths: Paths, frame):
    """Merge `frame` into the local registry and publish the result; returns the Version."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from workloads import storage

    merged = merge(read(paths), check(frame))
    folder = storage.new_version_folder(paths, TURBINES)
    table = pa.Table.from_pandas(merged, schema=arrow_schema(), preserve_index=False)
    pq.write_table(table, folder / "part-00000.parquet")
    return storage.publish(paths, TURBINES, folder)


def write_table(spark, frame, table: str) -> None:
    """Merge `frame` into the Unity Catalog registry `table` (`<catalog>.<schema>.turbines`)."""
    from workloads import spark_catalog

    new = check(frame)
    current = spark.table(table).toPandas() if spark.catalog.tableExists(table) else None
    spark_catalog.write_outside_table(spark, merge(current, new), TURBINES, spark_schema(), table)


def generated_fleet(turbines: int):
    """The generator's fleet as registry rows (its sites and fixed positions, 3 MW each)."""
    import numpy as np
    import pandas as pd

    from workloads import contract
    from workloads.generator import physics

    number = np.arange(1, turbines + 1, dtype=np.int64)
    latitude, longitude = physics.turbine_position(number)
    sites = [physics.SITES[i].name for i in physics.site_index(number)]
    return pd.DataFrame(
        {
            "turbine_id": [contract.turbine_id(int(n)) for n in number],
            "site": sites,
            "latitude": latitude.astype(float),
            "longitude": longitude.astype(float),
            "rated_power_kw": contract.RATED_POWER_KW,
            "model": GENERATED_MODEL,
        }
    )
