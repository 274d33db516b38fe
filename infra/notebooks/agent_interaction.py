# Databricks notebook source
# MAGIC %md
# MAGIC # Ask the fleet: a Genie conversation and the ask tools
# MAGIC
# MAGIC `windmill deploy` creates the Genie space "Windmill maintenance alerts" over the
# MAGIC pipeline's tables and loads it with the `windmill ask` question set (as sample
# MAGIC questions and as benchmarks). This notebook asks it questions through the Genie
# MAGIC conversation API, with a follow-up in the same conversation, and shows the tools
# MAGIC `windmill ask` calls beside SQL, described as Unity Catalog functions.
# MAGIC
# MAGIC The project's code comes from the wheel `windmill deploy` uploads to the artifacts
# MAGIC volume (a wheel of pure Python can be imported from its zip file).

# COMMAND ----------

import glob
import re
import sys

import pandas as pd
from databricks.sdk import WorkspaceClient
from databricks.sdk.runtime import dbutils, display, spark

user = spark.sql("SELECT current_user()").first()[0]
dbutils.widgets.text("catalog", "users")
dbutils.widgets.text("schema", re.sub(r"[^a-z0-9]", "_", user.split("@")[0].lower()))
dbutils.widgets.text("question", "Which turbines have open CRITICAL alerts?")
dbutils.widgets.text("follow_up", "Which of them has been open the longest?")
CATALOG = dbutils.widgets.get("catalog")
SCHEMA = dbutils.widgets.get("schema")

wheels = sorted(glob.glob(f"/Volumes/{CATALOG}/{SCHEMA}/artifacts/windmill*.whl"))
if not wheels:
    raise RuntimeError(
        f"No windmill wheel in /Volumes/{CATALOG}/{SCHEMA}/artifacts; run `windmill deploy`."
    )
sys.path.insert(0, wheels[-1])

from workloads.ask.genie import GenieError, ask_genie, find_space  # noqa: E402
from workloads.ask.tools import TOOLS, uc_function_info  # noqa: E402

client = WorkspaceClient()  # the notebook's own credentials
space_id = find_space(client)
print(f"Genie space {space_id}")


def show(answer) -> None:
    """Genie's sentence, its SQL and its rows."""
    print(answer.answer)
    print(answer.sql or "(no SQL)")
    display(pd.DataFrame(answer.rows, columns=answer.columns))


# COMMAND ----------

# MAGIC %md
# MAGIC ## A question, then a follow-up in the same conversation

# COMMAND ----------

try:
    first = ask_genie(client, space_id, dbutils.widgets.get("question"))
    show(first)
    follow_up = ask_genie(
        client,
        space_id,
        dbutils.widgets.get("follow_up"),
        conversation_id=first.conversation_id,
    )
    show(follow_up)
    print(f"conversation {first.conversation_id}: `windmill ask --conversation` continues it")
except GenieError as error:  # failed, cancelled, expired beyond repair or out of time
    print(error)

# COMMAND ----------

# MAGIC %md
# MAGIC ## The tools beside SQL
# MAGIC One registry describes them (name, description, typed parameters, returned
# MAGIC columns) in the shape of Unity Catalog function metadata, so the same tools can be
# MAGIC registered as functions here.

# COMMAND ----------

display(
    pd.DataFrame(
        [
            {
                "full_name": info["full_name"],
                "comment": info["comment"],
                "parameters": ", ".join(
                    f"{p['name']} {p['type_text']}" for p in info["input_params"]["parameters"]
                ),
                "returns": info["full_data_type"],
            }
            for info in (uc_function_info(tool, CATALOG, SCHEMA) for tool in TOOLS.values())
        ]
    )
)

# COMMAND ----------

# MAGIC %md
# MAGIC ## The dispatch plan the `crew_route` tool explains
# MAGIC Every crew's stops in order, from the plan the dispatch job publishes.

# COMMAND ----------

plan = ".".join(f"`{part}`" for part in (CATALOG, SCHEMA, "gold_dispatch_plan"))
display(spark.sql(f"SELECT * FROM {plan} ORDER BY crew_id, stop"))
