"""gold_turbine_status: the latest reading and state of each turbine."""

from pyspark import pipelines as dp

from workloads.names import GOLD_STATUS
from workloads.pipeline import sources


@dp.materialized_view(
    name=GOLD_STATUS,
    comment="One row per turbine: its latest reading, fault and alert level.",
)
def gold_turbine_status():
    return sources.gold_frame(spark, GOLD_STATUS)  # noqa: F821 (set by the engine)
