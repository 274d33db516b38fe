"""The Jobs and Pipelines state vocabulary, declared once (Databricks REST API names).

The local ledger records these names, so `windmill status` and the dashboard show the
same thing locally and on Databricks. Pure constants: anything may import this module.
"""

from __future__ import annotations

# Pipeline states.
IDLE = "IDLE"
RUNNING = "RUNNING"
FAILED = "FAILED"
RECOVERING = "RECOVERING"  # a continuous pipeline being restarted
ACTIVE_PIPELINE_STATES = frozenset(
    {RUNNING, "STARTING", "DEPLOYING", RECOVERING, "RESETTING", "STOPPING"}
)

# Pipeline update states.
COMPLETED = "COMPLETED"
CANCELED = "CANCELED"
TERMINAL_UPDATE_STATES = frozenset({COMPLETED, FAILED, CANCELED})
ACTIVE_UPDATE_STATES = frozenset(
    {
        "QUEUED",
        "CREATED",
        "WAITING_FOR_RESOURCES",
        "INITIALIZING",
        "SETTING_UP_TABLES",
        RUNNING,
        "RESETTING",
        "STOPPING",
    }
)

# Job run life-cycle and result states.
PENDING = "PENDING"
TERMINATED = "TERMINATED"
INTERNAL_ERROR = "INTERNAL_ERROR"
SUCCESS = "SUCCESS"
OPEN_RUN_STATES = frozenset({PENDING, RUNNING})  # what the ledger itself writes while open
ACTIVE_RUN_STATES = frozenset(
    {PENDING, "QUEUED", RUNNING, "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"}
)
RESULT_STATES = frozenset({SUCCESS, FAILED, CANCELED})
NEVER_RUN = "NEVER_RUN"  # a job without runs (not an API state: what the dashboard shows)
