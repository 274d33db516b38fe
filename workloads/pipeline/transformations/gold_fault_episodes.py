"""gold_fault_episodes: one row per episode of one turbine in one fault (notifier, SLA, model)."""

from pyspark import pipelines as dp

from workloads.names import GOLD_EPISODES, GOLD_SEGMENTS, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings

COMMENT = (
    "Fault episodes: one row per turbine and fault_code episode, from its first to its last "
    "reading showing the fault. An episode ends once its turbine reports for more than "
    "windmill.episode_gap_minutes (default 30) without the fault; ended_at is then its last "
    "reading's time, null while open. alert_level INFO episodes (LOW_POWER_OUTPUT) included."
)
SCHEMA = """
    turbine_id STRING COMMENT 'Turbine identifier.',
    fault_code STRING COMMENT 'The fault of this episode.',
    alert_level STRING COMMENT 'Most severe level seen in the episode: INFO, WARNING or CRITICAL.',
    started_at TIMESTAMP COMMENT 'UTC time of the first reading showing the fault.',
    last_seen_at TIMESTAMP COMMENT 'UTC time of the latest reading showing the fault.',
    ended_at TIMESTAMP COMMENT 'UTC time the episode ended (its last reading); null while open.',
    readings BIGINT COMMENT 'Readings showing the fault in the episode.',
    peak_value DOUBLE COMMENT 'Most extreme value of the sensor the fault rule reads.',
    energy_lost_kwh DOUBLE COMMENT 'Energy the power curve expected at the wind, minus what was made, in kWh.'
"""


@dp.materialized_view(name=GOLD_EPISODES, comment=COMMENT, schema=SCHEMA)
def gold_fault_episodes():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    written = spark.read.table(GOLD_SEGMENTS)  # noqa: F821
    tail = spark.sql(gold.unsegmented_sql(SILVER, GOLD_SEGMENTS))  # noqa: F821
    segments = written.unionByName(gold.fault_segments(tail))
    return gold.episodes_from_segments(segments, settings.episode_gap_minutes)
