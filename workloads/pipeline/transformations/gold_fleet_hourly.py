"""gold_fleet_hourly: energy, power, availability and faults per hour."""

from pyspark import pipelines as dp

from workloads.names import GOLD_HOURLY, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings


@dp.materialized_view(
    name=GOLD_HOURLY,
    comment="Fleet per hour: turbines reporting, readings, mean power, energy, availability, "
    "readings by alert level.",
)
def gold_fleet_hourly():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    silver = spark.read.table(SILVER)  # noqa: F821
    as_of = gold.as_of_column(settings.as_of, SILVER)
    return gold.fleet_hourly(silver, as_of, settings.hourly_window_hours)
