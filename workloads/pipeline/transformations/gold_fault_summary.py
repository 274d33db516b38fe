"""gold_fault_summary: faulty readings by fault code and alert level."""

from pyspark import pipelines as dp

from workloads.names import GOLD_FAULTS, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings


@dp.materialized_view(
    name=GOLD_FAULTS,
    comment="Faulty readings by fault_code and alert_level: count, turbines, first and last seen.",
)
def gold_fault_summary():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    silver = spark.read.table(SILVER)  # noqa: F821
    as_of = gold.as_of_column(settings.as_of, SILVER)
    return gold.fault_summary(silver, as_of, settings.fault_window_hours)
