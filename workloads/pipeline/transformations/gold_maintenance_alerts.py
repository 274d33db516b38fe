"""gold_maintenance_alerts: open WARNING/CRITICAL work per turbine and fault (Genie reads it)."""

from pyspark import pipelines as dp

from workloads.names import GOLD_ALERTS, GOLD_EPISODES, SILVER
from workloads.pipeline import gold
from workloads.pipeline.settings import read_settings

COMMENT = (
    "Open maintenance work on wind turbines: one row per turbine and fault that is currently "
    "at WARNING or CRITICAL level and whose episode has not ended (gold_fault_episodes). Use it to answer which turbines need "
    "a repair crew, since when, and how urgently (CRITICAL before WARNING, oldest first)."
)
SCHEMA = """
    turbine_id STRING COMMENT 'Turbine identifier, TURBINE_ followed by five digits.',
    fault_code STRING COMMENT 'Fault: GEARBOX_OVERHEAT, GENERATOR_OVERHEAT, TOWER_LEAN (critical), HIGH_VIBRATION, LOW_OIL_PRESSURE (warning).',
    alert_level STRING COMMENT 'Severity of the fault, Warning or Critical (written in capitals).',
    opened_at TIMESTAMP COMMENT 'UTC time of the first reading of the open episode of this fault (its true start, however long ago).',
    last_seen_at TIMESTAMP COMMENT 'UTC time of the latest reading showing this fault.',
    readings BIGINT COMMENT 'Number of readings showing this fault in the current episode.',
    latitude DOUBLE COMMENT 'Turbine latitude in degrees.',
    longitude DOUBLE COMMENT 'Turbine longitude in degrees.',
    maintenance_needed BOOLEAN COMMENT 'True when a repair crew is needed; always true here.'
"""


@dp.materialized_view(name=GOLD_ALERTS, comment=COMMENT, schema=SCHEMA)
def gold_maintenance_alerts():
    settings = read_settings(spark)  # noqa: F821 (set by the engine)
    silver = spark.read.table(SILVER)  # noqa: F821
    as_of = gold.as_of_column(settings.as_of, SILVER)
    episodes = spark.read.table(GOLD_EPISODES)  # noqa: F821
    return gold.maintenance_alerts(silver, as_of, settings.alert_window_hours, episodes)
