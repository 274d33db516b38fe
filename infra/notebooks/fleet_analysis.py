# Databricks notebook source
# MAGIC %md
# MAGIC # Windmill fleet analysis
# MAGIC
# MAGIC The original README's five SQL examples, run on the pipeline's silver table (every
# MAGIC validated reading keeps the generator's `batch_id` and `ingestion_timestamp`), and
# MAGIC charts of the gold tables. `windmill deploy` puts this notebook in the deployment's
# MAGIC folder; set the widgets if the deployment used another catalog or schema.

# COMMAND ----------

import re

import matplotlib.pyplot as plt
from databricks.sdk.runtime import dbutils, display, spark

# The deployment's defaults: catalog `users`, schema the user's name in letters and digits.
user = spark.sql("SELECT current_user()").first()[0]
dbutils.widgets.text("catalog", "users")
dbutils.widgets.text("schema", re.sub(r"[^a-z0-9]", "_", user.split("@")[0].lower()))
CATALOG = dbutils.widgets.get("catalog")
SCHEMA = dbutils.widgets.get("schema")


def table(name: str) -> str:
    """A table of this deployment, quoted for Spark SQL."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in (CATALOG, SCHEMA, name))


SILVER = table("silver_sensor_data")

# COMMAND ----------

# MAGIC %md
# MAGIC ## 1. The 100 most recent readings

# COMMAND ----------

display(spark.sql(f"SELECT * FROM {SILVER} ORDER BY timestamp DESC LIMIT 100"))

# COMMAND ----------

# MAGIC %md
# MAGIC ## 2. Fault distribution

# COMMAND ----------

display(
    spark.sql(
        f"""
        SELECT fault_code, alert_level, COUNT(*) AS fault_count
        FROM {SILVER}
        WHERE fault_code IS NOT NULL
        GROUP BY fault_code, alert_level
        ORDER BY fault_count DESC
        """
    )
)

# COMMAND ----------

# MAGIC %md
# MAGIC ## 3. Turbines needing maintenance

# COMMAND ----------

display(
    spark.sql(
        f"""
        SELECT DISTINCT turbine_id, fault_code, alert_level
        FROM {SILVER}
        WHERE maintenance_needed = true AND alert_level IN ('WARNING', 'CRITICAL')
        ORDER BY alert_level DESC, turbine_id
        """
    )
)

# COMMAND ----------

# MAGIC %md
# MAGIC ## 4. Data freshness

# COMMAND ----------

display(
    spark.sql(
        f"""
        SELECT MAX(timestamp) AS latest_sensor_reading,
               MAX(ingestion_timestamp) AS latest_ingestion,
               COUNT(*) AS total_records
        FROM {SILVER}
        """
    )
)

# COMMAND ----------

# MAGIC %md
# MAGIC ## 5. Batch statistics

# COMMAND ----------

display(
    spark.sql(
        f"""
        SELECT batch_id, COUNT(*) AS records,
               MIN(timestamp) AS batch_start, MAX(timestamp) AS batch_end
        FROM {SILVER}
        GROUP BY batch_id
        ORDER BY batch_start DESC
        LIMIT 10
        """
    )
)

# COMMAND ----------

# MAGIC %md
# MAGIC ## Charts of the gold tables
# MAGIC Fleet power and energy per hour (`gold_fleet_hourly`), readings per fault
# MAGIC (`gold_fault_summary`) and open alerts per level (`gold_maintenance_alerts`).

# COMMAND ----------

hourly = spark.sql(
    f"SELECT hour, mean_power_kw, energy_mwh, availability FROM {table('gold_fleet_hourly')} "
    "ORDER BY hour"
).toPandas()
faults = spark.sql(
    f"SELECT fault_code, SUM(fault_count) AS readings FROM {table('gold_fault_summary')} "
    "GROUP BY fault_code ORDER BY readings DESC"
).toPandas()
alerts = spark.sql(
    f"SELECT alert_level, COUNT(*) AS open_alerts FROM {table('gold_maintenance_alerts')} "
    "GROUP BY alert_level ORDER BY alert_level"
).toPandas()

figure, axes = plt.subplots(2, 2, figsize=(14, 8))
hourly.plot(x="hour", y="mean_power_kw", ax=axes[0][0], title="Mean power per hour (kW)")
hourly.plot(x="hour", y="energy_mwh", kind="area", ax=axes[0][1], title="Energy per hour (MWh)")
faults.plot(x="fault_code", y="readings", kind="bar", ax=axes[1][0], title="Readings per fault")
alerts.plot(x="alert_level", y="open_alerts", kind="bar", ax=axes[1][1], title="Open alerts")
figure.tight_layout()
display(figure)

# COMMAND ----------

# MAGIC %md
# MAGIC The latest state of every turbine (`gold_turbine_status`), worst first.

# COMMAND ----------

display(
    spark.sql(
        f"SELECT * FROM {table('gold_turbine_status')} "
        "ORDER BY CASE alert_level WHEN 'CRITICAL' THEN 0 WHEN 'WARNING' THEN 1 ELSE 2 END, "
        "turbine_id"
    )
)
