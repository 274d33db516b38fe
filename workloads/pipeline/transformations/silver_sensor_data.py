"""silver_sensor_data: valid readings, typed, deduplicated on (turbine_id, timestamp); fault
fields derived when the source has none; the turbine registry joined as a static frame."""

from pyspark import pipelines as dp

from workloads.names import SILVER
from workloads.pipeline import sources, transforms
from workloads.pipeline.settings import read_settings


@dp.table(
    name=SILVER,
    comment="Valid sensor readings, typed and deduplicated on (turbine_id, timestamp).",
    partition_cols=["reading_date"],
)
def silver_sensor_data():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    bronze = sources.bronze_with_watermark(spark, settings)  # noqa: F821
    return transforms.silver_readings(
        bronze,
        settings.thresholds,
        settings.future_tolerance_minutes,
        registry=sources.turbine_registry(spark),  # noqa: F821
    )
