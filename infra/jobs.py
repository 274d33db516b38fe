"""The windmill jobs: data generator, pipeline refresh, "Drop Tables", dispatch, notifier."""

from __future__ import annotations

from constructs import Construct

from infra.alerting import Alerting
from infra.artifacts import DIST_NAME
from infra.catalog import UnityCatalog
from infra.cdk import (
    Job,
    JobContinuous,
    JobEmailNotifications,
    JobEnvironment,
    JobEnvironmentSpec,
    JobParameter,
    JobSchedule,
    JobTask,
    JobTaskConditionTask,
    JobTaskDependsOn,
    JobTaskLibrary,
    JobTaskPipelineTask,
    JobTaskPythonWheelTask,
    JobTaskSparkPythonTask,
    JobTaskSqlTask,
    JobTaskSqlTaskFile,
    JobWebhookNotifications,
    JobWebhookNotificationsOnFailure,
    Pipeline,
    SqlEndpoint,
)
from infra.code import CodeArtifacts
from infra.compute import Compute
from infra.config import EnvironmentConfig
from workloads.names import (
    DISPATCH_JOB,
    DROP_TABLES_JOB,
    GENERATOR_JOB,
    NOTIFIER_JOB,
    PIPELINE_REFRESH_JOB,
    TURBINES,
)

# The notifier job runs every 10 minutes for 9.5 of them (one run at a time): a run that
# dies is replaced by the next; its state is a file on the artifacts volume.
NOTIFIER_CRON = "0 0/10 * * * ?"
NOTIFIER_RUNTIME_S = 570

ENTRY_POINT = "windmill"  # the console script of the wheel
JOB_CLUSTER_KEY = "windmill"
SERVERLESS_ENV_KEY = "windmill"
SERVERLESS_ENV_VERSION = "3"
EMPTY_LANDING_PARAMETER = "empty_landing"  # "Drop Tables" job parameter, "false" by default


def _flag_value(value: float) -> str:
    """A number as a command-line value: 15.0 -> "15", 0.5 -> "0.5"."""
    return str(int(value)) if float(value).is_integer() else str(value)


def generator_parameters(
    config: EnvironmentConfig, landing_path: str, registry_table: str | None = None
) -> list[str]:
    """`windmill generate` arguments from the environment's generator settings; with
    `registry_table` the generated fleet is also written to that turbine registry."""
    g = config.generator
    registry = ["--registry-table", registry_table] if registry_table else []
    return [
        "generate",
        "--records-per-batch",
        _flag_value(g.records_per_batch),
        "--batch-interval",
        _flag_value(g.batch_interval),
        "--max-iterations",
        _flag_value(g.max_iterations),
        "--turbines",
        _flag_value(g.turbines),
        "--landing",
        landing_path,
        *registry,
    ]


def notifier_parameters(catalog: UnityCatalog, notify_secret: str) -> list[str]:
    """`windmill notify` on Databricks: episodes from the schema, state in the schema's
    Delta alert tables, channels from the secret (never in the job's parameters)."""
    return [
        "notify",
        "--catalog",
        catalog.catalog_name,
        "--schema",
        catalog.schema_name,
        "--notify-secret",
        notify_secret,
        "--max-runtime",
        str(NOTIFIER_RUNTIME_S),
    ]


class WindmillJobs(Construct):
    """Jobs whose names all contain "windmill" (the dashboard filters on it).

    Attributes: `generator`, `pipeline_refresh`, `drop_tables`, `dispatch`, `notifier`
    (databricks_job; `notifier` is None without `alerting`). With `alerting`, every job's
    failures also notify its notification destinations.
    Wheel tasks run on a Photon single-user job cluster, or serverless where the
    config says so, except the generator: dbldatagen does not support Spark Connect,
    which serverless jobs use, so it always runs on its classic job cluster. The SQL
    task runs on the warehouse.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        catalog: UnityCatalog,
        code: CodeArtifacts,
        compute: Compute,
        pipeline: Pipeline,
        warehouse: SqlEndpoint,
        alerting: Alerting | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._config = config
        self._code = code
        self._compute = compute
        self._destinations = list(alerting.destination_ids) if alerting else []
        self.generator = self._wheel_job(
            "generator",
            GENERATOR_JOB,
            "Writes synthetic turbine readings to the landing volume (dbldatagen).",
            generator_parameters(
                config,
                catalog.landing_path,
                f"{catalog.catalog_name}.{catalog.schema_name}.{TURBINES}",
            ),
            # dbldatagen needs a classic Spark session; serverless jobs run Spark Connect.
            classic=True,
        )
        continuous = config.pipeline_continuous  # the job then runs the pipeline for good
        self.pipeline_refresh = Job(
            self,
            "pipeline-refresh",
            name=PIPELINE_REFRESH_JOB,
            description=(
                "Runs the Windmill IoT Lakeflow Pipeline continuously."
                if continuous
                else "Runs an update of the Windmill IoT Lakeflow Pipeline."
            ),
            continuous=JobContinuous(pause_status="UNPAUSED") if continuous else None,
            task=[
                JobTask(
                    task_key="refresh",
                    pipeline_task=JobTaskPipelineTask(pipeline_id=pipeline.id),
                )
            ],
            email_notifications=self._notifications(),
            webhook_notifications=self._webhooks(),
            max_concurrent_runs=1,
        )
        self.drop_tables = self._drop_tables_job(catalog, pipeline, warehouse)
        self.dispatch = self._wheel_job(
            "dispatch",
            DISPATCH_JOB,
            "Plans repair-crew routes over the open maintenance alerts (OR-Tools) and the "
            "3-day maintenance schedule (repairs, predictive and opportunistic work).",
            [
                "dispatch",
                "--catalog",
                catalog.catalog_name,
                "--schema",
                catalog.schema_name,
                "--schedule-days",
                "3",
            ],
        )
        self.notifier = None
        if alerting is not None:
            self.notifier = self._wheel_job(
                "notifier",
                NOTIFIER_JOB,
                "Notifies CRITICAL fault episodes (Alertmanager webhook JSON or apprise) and "
                "writes gold_sla_daily.",
                notifier_parameters(catalog, alerting.notify_secret),
                schedule=JobSchedule(
                    quartz_cron_expression=NOTIFIER_CRON,
                    timezone_id="UTC",
                    # dev: started by hand; prod: always on
                    pause_status="PAUSED" if config.development else "UNPAUSED",
                ),
            )

    def _drop_tables_job(
        self, catalog: UnityCatalog, pipeline: Pipeline, warehouse: SqlEndpoint
    ) -> Job:
        """ "Drop Tables", as the local `windmill clean`: every table is emptied and rebuilt
        from landing. SQL cannot drop the pipeline's materialized views and streaming
        tables, so a SQL file task on the warehouse drops only the tables written outside
        the pipeline (names.OUTSIDE_PIPELINE_TABLES), then a full refresh of the pipeline
        resets its own. With the job parameter `empty_landing=true` the landing folder is
        emptied first (a classic job cluster, only started then), so the refresh leaves
        the pipeline's tables empty."""
        requested = JobTaskConditionTask(
            left="{{job.parameters." + EMPTY_LANDING_PARAMETER + "}}", op="EQUAL_TO", right="true"
        )
        tasks = [
            JobTask(
                task_key="drop_outside_tables",
                sql_task=JobTaskSqlTask(
                    warehouse_id=warehouse.id,
                    file=JobTaskSqlTaskFile(
                        path=self._code.drop_tables_sql.workspace_path, source="WORKSPACE"
                    ),
                    parameters={"catalog": catalog.catalog_name, "schema": catalog.schema_name},
                ),
            ),
            JobTask(
                task_key="empty_landing_requested",
                depends_on=[JobTaskDependsOn(task_key="drop_outside_tables")],
                condition_task=requested,
            ),
            JobTask(
                task_key="empty_landing",
                depends_on=[JobTaskDependsOn(task_key="empty_landing_requested", outcome="true")],
                job_cluster_key=JOB_CLUSTER_KEY,
                spark_python_task=JobTaskSparkPythonTask(
                    python_file=self._code.empty_landing_py.workspace_path,
                    source="WORKSPACE",
                    parameters=[catalog.landing_path],
                ),
            ),
            JobTask(
                task_key="reset_pipeline",
                depends_on=[
                    JobTaskDependsOn(task_key="drop_outside_tables"),
                    JobTaskDependsOn(task_key="empty_landing"),
                ],
                # runs when emptying the landing folder was skipped, not when it failed
                run_if="NONE_FAILED",
                pipeline_task=JobTaskPipelineTask(pipeline_id=pipeline.id, full_refresh=True),
            ),
        ]
        return Job(
            self,
            "drop-tables",
            name=DROP_TABLES_JOB,
            description=(
                "Drop Tables: drops the tables written outside the pipeline, resets the "
                "pipeline's with a full refresh; empty_landing=true also deletes the landing files."
            ),
            parameter=[JobParameter(name=EMPTY_LANDING_PARAMETER, default="false")],
            job_cluster=[self._compute.job_cluster(JOB_CLUSTER_KEY)],
            task=tasks,
            email_notifications=self._notifications(),
            webhook_notifications=self._webhooks(),
            max_concurrent_runs=1,
        )

    def _notifications(self) -> JobEmailNotifications | None:
        emails = list(self._config.notification_emails)
        return JobEmailNotifications(on_failure=emails) if emails else None

    def _webhooks(self) -> JobWebhookNotifications | None:
        """A failed run notifies every notification destination (one per failure)."""
        # getattr: other job constructs borrow `_wheel_job` (infra/model_jobs.py) and
        # notify the destinations once they set `_destinations` too.
        destinations = getattr(self, "_destinations", ())
        if not destinations:
            return None
        return JobWebhookNotifications(
            on_failure=[JobWebhookNotificationsOnFailure(id=i) for i in destinations]
        )

    def _wheel_job(
        self,
        id_: str,
        name: str,
        description: str,
        parameters: list[str],
        *,
        classic: bool = False,
        schedule: JobSchedule | None = None,
    ) -> Job:
        """A job running one `windmill` wheel command: serverless where the config says so,
        unless `classic` (then always on a Photon single-user job cluster)."""
        wheel_task = JobTaskPythonWheelTask(
            package_name=DIST_NAME, entry_point=ENTRY_POINT, parameters=parameters
        )
        if self._config.serverless_jobs and not classic:
            return Job(
                self,
                id_,
                name=name,
                description=description,
                environment=[
                    JobEnvironment(
                        environment_key=SERVERLESS_ENV_KEY,
                        spec=JobEnvironmentSpec(
                            environment_version=SERVERLESS_ENV_VERSION,
                            dependencies=[self._code.wheel_path],
                        ),
                    )
                ],
                task=[
                    JobTask(
                        task_key="main",
                        environment_key=SERVERLESS_ENV_KEY,
                        python_wheel_task=wheel_task,
                    )
                ],
                email_notifications=self._notifications(),
                webhook_notifications=WindmillJobs._webhooks(self),
                schedule=schedule,
                max_concurrent_runs=1,
            )
        return Job(
            self,
            id_,
            name=name,
            description=description,
            job_cluster=[self._compute.job_cluster(JOB_CLUSTER_KEY)],
            task=[
                JobTask(
                    task_key="main",
                    job_cluster_key=JOB_CLUSTER_KEY,
                    python_wheel_task=wheel_task,
                    library=[JobTaskLibrary(whl=self._code.wheel_path)],
                )
            ],
            email_notifications=self._notifications(),
            webhook_notifications=WindmillJobs._webhooks(self),
            schedule=schedule,
            max_concurrent_runs=1,
        )
