"""gold_fleet_hourly: energy, power, availability and faults per hour."""

from pyspark import pipelines as dp

from workloads.names import GOLD_HOURLY
from workloads.pipeline import sources


@dp.materialized_view(
    name=GOLD_HOURLY,
    comment="Fleet per hour: turbines reporting, readings, mean power, energy, availability, "
    "readings by alert level.",
)
def gold_fleet_hourly():
    return sources.gold_frame(spark, GOLD_HOURLY)  # noqa: F821 (set by the engine)
