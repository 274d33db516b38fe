"""silver_quarantine: every rejected line with the rules it broke."""

from pyspark import pipelines as dp

from workloads.names import BRONZE, QUARANTINE
from workloads.pipeline import sources, transforms
from workloads.pipeline.settings import read_settings


@dp.table(
    name=QUARANTINE,
    comment="Rejected landing lines: raw text, source file, rules broken, and what parsed.",
)
def silver_quarantine():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    bronze = spark.readStream.table(BRONZE)  # noqa: F821
    return transforms.quarantined_rows(
        bronze,
        settings.thresholds,
        settings.future_tolerance_minutes,
        registry=sources.turbine_registry(spark),  # noqa: F821
    )
