"""bronze_sensor_data: every landing line, as raw text, with its file and ingestion time."""

from pyspark import pipelines as dp
from pyspark.sql import functions as F

from workloads.names import BRONZE
from workloads.pipeline import sources, transforms
from workloads.pipeline.settings import read_settings


@dp.table(
    name=BRONZE,
    comment="Every line of every landing file, unparsed, with its source file and ingestion time.",
)
@sources.expectations(sources.BRONZE_EXPECTATIONS)
def bronze_sensor_data():
    lines = sources.landing_lines(spark, read_settings(spark))  # noqa: F821 (set by the engine)
    return transforms.bronze_lines(lines, F.col("_metadata.file_path"), F.current_timestamp())
