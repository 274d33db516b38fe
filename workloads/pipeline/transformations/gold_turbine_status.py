"""gold_turbine_status: the latest reading and state of each turbine."""

from pyspark import pipelines as dp

from workloads.names import GOLD_STATUS, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings


@dp.materialized_view(
    name=GOLD_STATUS,
    comment="One row per turbine: its latest reading, fault and alert level.",
)
def gold_turbine_status():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    silver = spark.read.table(SILVER)  # noqa: F821
    as_of = gold.as_of_column(settings.as_of, SILVER)
    return gold.turbine_status(silver, as_of, settings.status_window_hours)
