"""gold_fault_summary: faulty readings by fault code and alert level."""

from pyspark import pipelines as dp

from workloads.names import GOLD_FAULTS
from workloads.pipeline import sources


@dp.materialized_view(
    name=GOLD_FAULTS,
    comment="Faulty readings by fault_code and alert_level: count, turbines, first and last seen.",
)
def gold_fault_summary():
    return sources.gold_frame(spark, GOLD_FAULTS)  # noqa: F821 (set by the engine)
