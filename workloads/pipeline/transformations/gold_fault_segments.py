"""gold_fault_segments: silver per turbine, fault and 10 minutes of data time (episodes' input)."""

from pyspark import pipelines as dp

from workloads.names import GOLD_SEGMENTS, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings


@dp.table(
    name=GOLD_SEGMENTS,
    comment="Silver readings aggregated per turbine, fault_code (null: healthy) and 10 minutes "
    "of reading time: first and last reading, count, peak value, summed lost power. Written "
    "once per segment; gold_fault_episodes stitches them into episodes.",
)
def gold_fault_segments():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    # A SQL WATERMARK clause, not withWatermark: see sources.bronze_with_watermark.
    delay_seconds = max(1, round(settings.episode_lateness_hours * 3600))
    silver = spark.sql(  # noqa: F821
        f"SELECT * FROM STREAM({SILVER}) "
        f"WATERMARK timestamp DELAY OF INTERVAL {delay_seconds} SECONDS"
    )
    return gold.fault_segments(silver)
