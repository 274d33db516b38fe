"""Names shared by the local ledger, the Databricks resources and the dashboard.

Every job and pipeline name contains "windmill", as the dashboard's filters expect.
"""

PIPELINE_NAME = "Windmill IoT Lakeflow Pipeline"
GENERATOR_JOB = "windmill-data-generator"
PIPELINE_REFRESH_JOB = "windmill-pipeline-refresh"
DROP_TABLES_JOB = "windmill-drop-tables"
DISPATCH_JOB = "windmill-dispatch"
DASHBOARD_JOB = "windmill-dashboard"
NOTIFIER_JOB = "windmill-notifier"
SCHEDULE_JOB = "windmill-schedule"
MODEL_TRAIN_JOB = "windmill-model-train"
MODEL_SCORE_JOB = "windmill-model-score"
APP_NAME = "windmill-iot-streaming"
GENIE_SPACE_TITLE = "Windmill maintenance alerts"  # `windmill deploy` creates it, `ask` finds it

# Tables of the medallion pipeline (README, "`windmill pipeline run`"), in dependency order.
RAW_TABLE = "raw_sensor_data"
BRONZE = "bronze_sensor_data"
SILVER = "silver_sensor_data"
QUARANTINE = "silver_quarantine"
GOLD_STATUS = "gold_turbine_status"
GOLD_ALERTS = "gold_maintenance_alerts"
GOLD_HOURLY = "gold_fleet_hourly"
GOLD_FAULTS = "gold_fault_summary"
GOLD_RISK = "gold_turbine_risk"
GOLD_DISPATCH = "gold_dispatch_plan"
GOLD_SEGMENTS = "gold_fault_segments"  # silver per turbine, fault and 10 min (episodes' input)
GOLD_EPISODES = "gold_fault_episodes"  # one row per fault episode (pipeline)
GOLD_SLA = "gold_sla_daily"  # per day and level: acknowledge/close times (notifier)
GOLD_SCHEDULE = "gold_maintenance_schedule"  # multi-day crew plan (scheduler)
TURBINES = "turbines"  # the turbine registry (generator fleet and ingested assets)
PIPELINE_TABLES = (
    BRONZE,
    SILVER,
    QUARANTINE,
    GOLD_SEGMENTS,
    GOLD_EPISODES,
    GOLD_STATUS,
    GOLD_ALERTS,
    GOLD_HOURLY,
    GOLD_FAULTS,
)
# The pipeline's streaming tables (appended to, with a commit log) and its materialized views
# (rewritten whole on every update; published as versions locally, see workloads.storage).
STREAMING_TABLES = (BRONZE, SILVER, QUARANTINE, GOLD_SEGMENTS)
MATERIALIZED_VIEWS = tuple(t for t in PIPELINE_TABLES if t not in STREAMING_TABLES)
# Which table each streaming table reads from (rows read = rows its source gained).
UPSTREAM = {SILVER: BRONZE, QUARANTINE: BRONZE, GOLD_SEGMENTS: SILVER}

# Tables the dashboard reads: the gold tables on every refresh (the dispatch plan may not
# exist yet) and silver for a turbine's trend. The Databricks App is granted SELECT on
# exactly these (infra/access.py), so the two lists cannot drift apart.
# The risk scores and the turbine registry may not exist yet either (the map reads both).
DASHBOARD_GOLD_TABLES = (
    GOLD_STATUS,
    GOLD_ALERTS,
    GOLD_HOURLY,
    GOLD_FAULTS,
    GOLD_DISPATCH,
    GOLD_RISK,
    TURBINES,
)
DASHBOARD_TABLES = (*DASHBOARD_GOLD_TABLES, SILVER)
# Tables written outside the pipeline (by later steps). The pipeline cannot reset these, and
# SQL cannot drop the pipeline's own: "Drop Tables" and `windmill clean` reset the pipeline's
# tables through the pipeline and drop exactly these with SQL.
# The turbine registry is not among them: like the landing files it is input (an operator's
# ingested assets), which `windmill clean --landing` does not touch either.
OUTSIDE_PIPELINE_TABLES = (GOLD_DISPATCH, GOLD_RISK, GOLD_SLA, GOLD_SCHEDULE)
