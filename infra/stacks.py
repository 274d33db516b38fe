"""The stacks: the workspace (everything `windmill deploy` applies first) and the gold
read access (applied once the pipeline's first update has created the gold tables)."""

from __future__ import annotations

from constructs import Construct

from infra.access import GoldReadAccess
from infra.alerting import AlertDeskAccess, Alerting, webhook_requested
from infra.catalog import UnityCatalog
from infra.cdk import (
    DatabricksProvider,
    DataDatabricksApp,
    DataDatabricksCurrentUser,
    TerraformOutput,
    TerraformStack,
)
from infra.code import CodeArtifacts
from infra.compute import Compute
from infra.config import EnvironmentConfig
from infra.dashboard_app import DashboardApp
from infra.jobs import WindmillJobs
from infra.model_jobs import ModelJobs
from infra.pipeline import MedallionPipeline
from infra.warehouse import Warehouse
from workloads.names import APP_NAME


def _provider(stack: TerraformStack, config: EnvironmentConfig) -> DatabricksProvider:
    # Only the profile name: host and credentials come from ~/.databrickscfg or the
    # DATABRICKS_* environment, never from code.
    return DatabricksProvider(stack, "databricks", profile=config.profile)


class WorkspaceStack(TerraformStack):
    """Schema, volumes, uploads, cluster, pipeline, jobs, warehouse, alerting and App.

    Attributes: `config`, `compute`, `catalog`, `code`, `warehouse`, `pipeline`,
    `alerting`, `jobs`, `model_jobs`, `dashboard` (the constructs) and `schema_name`. `webhook`
    declares the webhook notification destination (default: WINDMILL_NOTIFY_WEBHOOK_DESTINATION).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        webhook: bool | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.provider = _provider(self, config)
        self.compute = Compute(self, "compute", config=config)
        user = self.compute.current_user
        self.schema_name = config.schema or user.alphanumeric
        self.catalog = UnityCatalog(
            self,
            "catalog",
            catalog=config.catalog,
            schema_name=self.schema_name,
            manage_schema=config.manage_schema,
        )
        self.code = CodeArtifacts(
            self, "code", catalog=self.catalog, user_home=user.home, env=config.env
        )
        self.warehouse = Warehouse(self, "warehouse", config=config)
        self.pipeline = MedallionPipeline(
            self,
            "pipeline",
            config=config,
            catalog=self.catalog,
            code=self.code,
            compute=self.compute,
        )
        self.alerting = Alerting(
            self,
            "alerting",
            config=config,
            catalog=self.catalog,
            warehouse=self.warehouse.warehouse,
            webhook=webhook_requested() if webhook is None else webhook,
        )
        self.jobs = WindmillJobs(
            self,
            "jobs",
            config=config,
            catalog=self.catalog,
            code=self.code,
            compute=self.compute,
            pipeline=self.pipeline.pipeline,
            warehouse=self.warehouse.warehouse,
            alerting=self.alerting,
        )
        self.model_jobs = ModelJobs(
            self,
            "model-jobs",
            config=config,
            catalog=self.catalog,
            code=self.code,
            compute=self.compute,
            alerting=self.alerting,
        )
        self.dashboard = DashboardApp(
            self,
            "dashboard",
            config=config,
            warehouse=self.warehouse.warehouse,
            jobs={
                "generator-job": self.jobs.generator,
                "pipeline-refresh-job": self.jobs.pipeline_refresh,
                "drop-tables-job": self.jobs.drop_tables,
                "dispatch-job": self.jobs.dispatch,
                "notifier-job": self.jobs.notifier,
                "model-train-job": self.model_jobs.train,
                "model-score-job": self.model_jobs.score,
            },
            pipeline=self.pipeline.pipeline,
        )
        self._outputs()

    def _outputs(self) -> None:
        app = self.dashboard.app
        pipeline = self.pipeline.pipeline
        values = {
            "workspace_url": self.compute.current_user.workspace_url,
            "app_name": app.name,
            "app_url": app.url,
            "app_source_path": f"{self.code.workspace_root}/app",
            "notebooks_path": f"{self.code.workspace_root}/notebooks",
            "pipeline_id": pipeline.id,
            "pipeline_url": pipeline.url,
            "generator_job_id": self.jobs.generator.id,
            "pipeline_refresh_job_id": self.jobs.pipeline_refresh.id,
            "drop_tables_job_id": self.jobs.drop_tables.id,
            "dispatch_job_id": self.jobs.dispatch.id,
            "notifier_job_id": self.jobs.notifier.id,
            "model_train_job_id": self.model_jobs.train.id,
            "model_score_job_id": self.model_jobs.score.id,
            "critical_alert_id": self.alerting.critical_alert.id,
            "notify_secret": self.alerting.notify_secret,
            "warehouse_id": self.warehouse.warehouse.id,
            "cluster_id": self.compute.cluster.id,
            "catalog": self.catalog.catalog_name,
            "schema": self.catalog.schema_name,
            "landing_path": self.catalog.landing_path,
        }
        for name, value in values.items():
            TerraformOutput(self, f"output-{name}", value=value).override_logical_id(name)


class GoldAccessStack(TerraformStack):
    """Grants for the App's service principal on the gold tables.

    A separate stack because grants on a table fail until the table exists, and the
    pipeline creates the gold tables on its first update (after the workspace stack).
    It finds the App and the schema by name, so it needs no state of the other stack.
    Attributes: `app`, `access`.
    """

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.provider = _provider(self, config)
        user = DataDatabricksCurrentUser(self, "me")
        schema = config.schema or user.alphanumeric
        self.app = DataDatabricksApp(self, "app", name=APP_NAME)
        self.access = GoldReadAccess(
            self,
            "gold-read",
            catalog=config.catalog,
            schema=schema,
            principal=self.app.app.service_principal_client_id,
            grant_catalog_use=config.grant_catalog_use,
        )
        self.alert_desk_access = AlertDeskAccess(
            self,
            "alert-desk",
            catalog=config.catalog,
            schema=schema,
            principal=self.app.app.service_principal_client_id,
        )
