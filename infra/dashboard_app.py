"""The Databricks App serving the dashboard, its resources and who may use it."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import (
    AppResources,
    AppResourcesJob,
    AppResourcesSqlWarehouse,
    DatabricksApp,
    Job,
    Permissions,
    PermissionsAccessControl,
    Pipeline,
    SqlEndpoint,
)
from infra.config import WAREHOUSE_RESOURCE, EnvironmentConfig
from workloads.names import APP_NAME


class DashboardApp(Construct):
    """App "windmill-iot-streaming": CAN_USE on the warehouse, CAN_VIEW on every job
    (as App resources) and on the pipeline (App resources have no pipeline kind, so a
    permissions resource grants it to the App's service principal).

    Attributes: `app`, `pipeline_view`, `app_permissions` (None without a users group),
    `job_resources` (resource name -> job).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        warehouse: SqlEndpoint,
        jobs: dict[str, Job],
        pipeline: Pipeline,
    ) -> None:
        super().__init__(scope, id_)
        self.job_resources = dict(jobs)
        resources = [
            AppResources(
                name=WAREHOUSE_RESOURCE,
                description="Gold table reads and Genie.",
                sql_warehouse=AppResourcesSqlWarehouse(id=warehouse.id, permission="CAN_USE"),
            )
        ]
        resources += [
            AppResources(
                name=name,
                description=f"Status of {name}.",
                job=AppResourcesJob(id=job.id, permission="CAN_VIEW"),
            )
            for name, job in self.job_resources.items()
        ]
        self.app = DatabricksApp(
            self,
            "app",
            name=APP_NAME,
            description=f"Windmill IoT monitoring and repair-crew dispatch ({config.env}).",
            resources=resources,
        )
        self.pipeline_view = Permissions(
            self,
            "pipeline-view",
            pipeline_id=pipeline.id,
            access_control=[
                PermissionsAccessControl(
                    service_principal_name=self.app.service_principal_client_id,
                    permission_level="CAN_VIEW",
                )
            ],
        )
        self.app_permissions = None
        if config.app_users_group:
            self.app_permissions = Permissions(
                self,
                "app-users",
                app_name=self.app.name,
                access_control=[
                    PermissionsAccessControl(
                        group_name=config.app_users_group, permission_level="CAN_USE"
                    )
                ],
            )
