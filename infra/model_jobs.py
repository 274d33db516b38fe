"""The failure-risk model's jobs: training (weekly) and scoring (hourly), as wheel tasks.

Both run the wheel's `windmill train|score --catalog C --schema S` (workloads/model/command.py):
training reads Unity Catalog silver, logs to the workspace's MLflow and registers
`C.S.windmill_turbine_risk` with the alias `champion`; scoring loads that champion and
overwrites `C.S.gold_turbine_risk`, which the dispatch job and the App read. They run on the
same compute as the other wheel jobs (serverless where the config says so), built by the
very same `_wheel_job` as infra/jobs.py (borrowed, not copied, so they cannot drift apart).
"""

from __future__ import annotations

from constructs import Construct

from infra.alerting import Alerting
from infra.catalog import UnityCatalog
from infra.code import CodeArtifacts
from infra.compute import Compute
from infra.config import EnvironmentConfig
from infra.jobs import WindmillJobs
from workloads.model import SCORE_JOB, TRAIN_JOB

# Quartz cron, UTC: train on Sunday nights, score at the top of every hour.
TRAIN_CRON = "0 0 3 ? * SUN"
SCORE_CRON = "0 0 * * * ?"
TIMEZONE = "UTC"


class ModelJobs(Construct):
    """Attributes: `train`, `score` (databricks_job), named "windmill-…" like every job."""

    _wheel_job = WindmillJobs._wheel_job
    _notifications = WindmillJobs._notifications

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        catalog: UnityCatalog,
        code: CodeArtifacts,
        compute: Compute,
        alerting: Alerting | None = None,
    ) -> None:
        super().__init__(scope, id_)
        # Failures notify the stack's destinations, as every job of infra/jobs.py does.
        self._destinations = list(alerting.destination_ids) if alerting else []
        self._config = config
        self._code = code
        self._compute = compute
        where = ["--catalog", catalog.catalog_name, "--schema", catalog.schema_name]
        self.train = self._wheel_job(
            "model-train",
            TRAIN_JOB,
            "Trains the failure-risk model (LightGBM) on silver, logs it to MLflow and "
            "moves the Unity Catalog alias 'champion' to the new version.",
            ["train", *where],
        )
        self.score = self._wheel_job(
            "model-score",
            SCORE_JOB,
            "Scores every turbine's failure risk with the champion model into gold_turbine_risk.",
            ["score", *where],
        )
        self.train.put_schedule(quartz_cron_expression=TRAIN_CRON, timezone_id=TIMEZONE)
        self.score.put_schedule(quartz_cron_expression=SCORE_CRON, timezone_id=TIMEZONE)
